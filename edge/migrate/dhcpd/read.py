"""Reading a dhcpd.conf: each statement, in file order, interpreted at once into the scope tree (model.py).

Rules this module keeps:
- Input dhcpd would refuse is refused: MigrationError `FILE line N: message`, the first error only, before
  anything after it is looked at (statements come one at a time from syntax.py).
- Declarations open a scope only where dhcpd allows one (a subnet in the root, a group or a shared
  network; a pool in a subnet or shared network; ...), with dhcpd's own error texts where it has them.
- A statement with a handler goes to it (`kw_<keyword>`, params.py and option_statements.py); one without
  is looked up in keywords.py's tables; anything else is an unknown statement, refused. Untranslatable
  raised by a handler becomes a note where the statement stood: nothing is dropped silently.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from edge.migrate.common import Untranslatable
from edge.migrate.dhcpd import expr as ex
from edge.migrate.dhcpd.keywords import DECLARATIONS, DHCPV6, EXECUTABLE, HARMLESS, UNSUPPORTED
from edge.migrate.dhcpd.model import Model, Scope
from edge.migrate.dhcpd.option_statements import OptionStatements
from edge.migrate.dhcpd.options import HEX_LIST
from edge.migrate.dhcpd.params import ParameterStatements
from edge.migrate.dhcpd.syntax import Statement

__all__ = ["Reader", "read_statements"]


class Reader(ParameterStatements, OptionStatements):
    def read(self, statements: Iterable[Statement]) -> None:
        for stmt in statements:
            self.statement(stmt, self.root)

    def block(self, stmts: list[Statement], scope: Scope) -> None:
        for stmt in stmts:
            self.statement(stmt, scope)

    def statement(self, stmt: Statement, scope: Scope) -> None:
        if not stmt.head:
            raise self.fail(stmt, "expecting a parameter or declaration")
        first = stmt.head[0]
        if first.kind != "word":
            raise self.fail(first, f"expecting a parameter or declaration, got {first.shown()}")
        kw = first.value.lower()
        if kw in ("case",):
            raise self.fail(stmt, "case statement in inappropriate scope.")
        if kw == "default" and len(stmt.head) > 1 and stmt.head[1].is_punct(":"):
            raise self.fail(stmt, "switch default statement in inappropriate scope.")
        if kw in DECLARATIONS:
            return self.declaration(kw, stmt, scope)
        if kw in ("vendor-class", "user-class"):
            raise self.fail(stmt, f"obsolete '{kw}' declaration")
        if stmt.block is not None and kw not in EXECUTABLE and kw not in ("failover", "key", "zone"):
            raise self.fail(stmt, f"'{first.value}' does not take a {{ }} block")
        if kw in EXECUTABLE:
            if kw in ("elsif", "else"):
                return  # part of the `if` noted just before
            return self.note(
                scope,
                stmt,
                "executable statements (if/switch/on/log/...) have no Kea "
                "equivalent; classes with tests cover the usual uses",
            )
        handler = getattr(self, "kw_" + kw.replace("-", "_"), None)
        if handler is not None:
            try:
                return handler(stmt, scope)
            except Untranslatable as u:
                return self.note(scope, stmt, u.why, option=kw in ("option", "supersede", "default"))
        if kw in DHCPV6:
            return self.note(scope, stmt, "a DHCPv6 parameter; edge-dhcp and this configuration are DHCPv4")
        if kw.startswith("ddns-") or kw in UNSUPPORTED:
            value = stmt.head[1].value.lower() if len(stmt.head) == 2 else ""
            if value and value in HARMLESS.get(kw, ()):
                return None
            return self.note(scope, stmt, UNSUPPORTED.get(kw, "not supported by Kea 2.2"))
        if stmt.via_server_space:
            return self.note(scope, stmt, "a server option with no Kea equivalent")
        raise self.fail(stmt, f"unknown statement '{first.value}' (expecting a parameter or declaration)")

    # -- declarations

    def declaration(self, kw: str, stmt: Statement, scope: Scope) -> None:
        where = scope.kind
        effective = scope.declared_in().kind if where == "group" else where
        if kw == "subclass":
            return self.subclass(stmt, scope)
        if stmt.block is None:
            if kw == "pool" and effective == "root":
                raise self.fail(stmt, "pool declared outside of network")
            raise self.fail(stmt, f"{kw} declaration needs a {{ }} block")
        if kw == "shared-network":
            if effective != "root" or where not in ("root", "group"):
                raise self.fail(stmt, "shared-network parameters not allowed here.")
            return self.shared_network(stmt, scope)
        if kw == "subnet":
            if where not in ("root", "group", "shared") or (
                where == "group" and effective not in ("root", "shared")
            ):
                raise self.fail(stmt, "subnet declarations not allowed here.")
            return self.subnet(stmt, scope)
        if kw == "pool":
            if effective == "root":
                raise self.fail(stmt, "pool declared outside of network")
            if where not in ("subnet", "shared"):
                raise self.fail(stmt, "pool declarations not allowed here.")
            return self.pool(stmt, scope)
        if kw == "host":
            if where in ("class", "subclass", "host", "pool"):
                raise self.fail(stmt, "host declarations not allowed here.")
            return self.host(stmt, scope)
        if kw == "group":
            if where in ("class", "subclass", "host"):
                raise self.fail(stmt, "group declarations not allowed here.")
            child = Scope("group", stmt.line, scope, name=" ".join(t.value for t in self.args(stmt)))
            scope.items.append(child)
            return self.block(stmt.block, child)
        if kw == "class":
            if where in ("class", "subclass", "host", "pool"):
                raise self.fail(stmt, "class declarations not allowed here.")
            return self.klass(stmt, scope)
        raise self.fail(stmt, f"unknown declaration {kw}")

    def shared_network(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        if len(toks) != 1 or toks[0].kind not in ("string", "word"):
            raise self.fail(stmt, "expecting a name for shared-network")
        child = Scope("shared", stmt.line, scope, name=toks[0].value)
        scope.items.append(child)
        self.block(stmt.block or [], child)

    def subnet(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        if len(toks) != 3 or not toks[1].is_word("netmask"):
            raise self.fail(stmt, "subnet NUMBER netmask MASK expected")
        try:
            number = ipaddress.IPv4Address(toks[0].value)
            mask = ipaddress.IPv4Address(toks[2].value)
        except ValueError:
            raise self.fail(stmt, "subnet number and netmask must be IPv4 addresses") from None
        bits = int(mask)
        prefix = bin(bits).count("1")
        if bits != ((0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF):
            raise self.fail(stmt, f"can't get a prefix from {number} mask {mask}")
        try:
            network = ipaddress.IPv4Network(f"{number}/{prefix}")
        except ValueError:
            raise self.fail(
                stmt, f"subnet {number} netmask {mask}: bad subnet number/mask combination."
            ) from None
        self.subnet_count += 1
        child = Scope("subnet", stmt.line, scope, network=network, subnet_id=self.subnet_count)
        scope.items.append(child)
        self.block(stmt.block or [], child)

    def pool(self, stmt: Statement, scope: Scope) -> None:
        if self.args(stmt):
            raise self.fail(stmt.head[1], "pool takes no arguments")
        child = Scope("pool", stmt.line, scope)
        scope.items.append(child)
        self.block(stmt.block or [], child)

    def host(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        if len(toks) != 1 or toks[0].kind not in ("string", "word"):
            raise self.fail(stmt, "host name expected")
        child = Scope("host", stmt.line, scope, name=toks[0].value)
        scope.items.append(child)
        self.block(stmt.block or [], child)

    def klass(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        if len(toks) != 1 or toks[0].kind not in ("string", "word"):
            raise self.fail(stmt, "class name expected")
        name = toks[0].value
        if name in self.classes:
            raise self.fail(stmt, f"class {name} is already defined")
        child = Scope("class", stmt.line, scope, name=name)
        self.classes[name] = child
        scope.items.append(child)
        self.block(stmt.block or [], child)

    def subclass(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        if not toks or toks[0].kind not in ("string", "word"):
            raise self.fail(stmt, "class name expected")
        name = toks[0].value
        parent_class = self.classes.get(name)
        if parent_class is None:
            raise self.fail(stmt, f"no class named {name}")
        if parent_class.match is None:
            raise self.fail(stmt, f"found class name {name} but it is not a suitable superclass")
        if len(toks) != 2:
            raise self.fail(toks[-1] if len(toks) > 2 else stmt, "Expecting string or hex list.")
        sel = toks[1]
        if sel.kind == "string":
            selector = ex.literal(sel.data)
        elif sel.kind == "word" and HEX_LIST.match(sel.value):
            selector = ex.literal(bytes(int(p, 16) for p in sel.value.split(":")), hex_form=True)
        else:
            raise self.fail(sel, "Expecting string or hex list.")
        child = Scope("subclass", stmt.line, scope, name=name, superclass=parent_class, selector=selector)
        child.subclasses = parent_class.subclasses
        parent_class.subclasses += 1
        scope.items.append(child)
        self.block(stmt.block or [], child)


def read_statements(statements: Iterable[Statement], source: str) -> Model:
    """The model of a configuration's top-level statements (syntax.read_text / read_file)."""
    reader = Reader(source)
    reader.read(statements)
    return reader.model()
