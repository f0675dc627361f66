"""dhcpd's option statements: option spaces, option definitions, and option values for a scope.

Rules this module keeps:
- `option space`, `option NAME code N = FORMAT` and `option NAME VALUE` (also `supersede` and `default`,
  which Kea cannot tell apart from `option`: the server's value is sent) are read here; a value is encoded
  to wire bytes at once (options.py), so a bad value is refused at its line, as dhcpd refuses it.
- A value given as an expression is kept when it folds to a constant (written as hex); computed from the
  packet, it has no Kea 2.2 equivalent and becomes a note.
- `option server.NAME VALUE` is dhcpd's other spelling of the parameter NAME: it is read as that statement.
- dhcp-renewal-time and dhcp-rebinding-time (58, 59) become Kea's renew-timer and rebind-timer where Kea has
  those; a host's dhcp-client-identifier identifies the host.
"""

from __future__ import annotations

from edge.migrate.common import Note, Untranslatable
from edge.migrate.dhcpd import expr as ex
from edge.migrate.dhcpd.context import ReaderContext
from edge.migrate.dhcpd.model import OptSetting, Scope
from edge.migrate.dhcpd.options import BUILTIN_SPACES, HEX_LIST, OptionInfo, encode_value, parse_type
from edge.migrate.dhcpd.syntax import Statement, Token
from edge.wire import options4

__all__ = ["OptionStatements"]


class OptionStatements(ReaderContext):
    def kw_option(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        if not toks:
            raise self.fail(stmt, "option name expected")
        if toks[0].is_word("space"):
            return self.option_space(stmt, toks[1:])
        if len(toks) >= 4 and toks[1].is_word("code"):
            return self.option_definition(stmt, toks, scope)
        return self.option_setting(stmt, toks, scope)

    def kw_supersede(self, stmt: Statement, scope: Scope) -> None:
        self.option_setting(stmt, self.args(stmt), scope)

    def kw_default(self, stmt: Statement, scope: Scope) -> None:
        # `default OPTION VALUE;` gives the value unless the client sent one: Kea sends the server's.
        self.option_setting(stmt, self.args(stmt), scope)

    def kw_prepend(self, stmt: Statement, scope: Scope) -> None:
        raise Untranslatable("prepending to the client's own option value has no Kea equivalent")

    kw_append = kw_prepend

    def option_space(self, stmt: Statement, toks: list[Token]) -> None:
        if not toks or toks[0].kind != "word":
            raise self.fail(stmt, "option space name expected")
        name = toks[0].value
        if name in self.spaces or name in BUILTIN_SPACES:
            return  # dhcpd takes a repeated declaration
        self.spaces[name] = None

    def option_definition(self, stmt: Statement, toks: list[Token], scope: Scope) -> None:
        name_tok = toks[0]
        if "." in name_tok.value:
            space, _, name = name_tok.value.partition(".")
        else:
            space, name = "dhcp", name_tok.value
        if space not in self.spaces and space not in ("vendor", "server"):
            raise self.fail(name_tok, f"no option space named {space}.")
        if not toks[2].value.isdigit():
            raise self.fail(toks[2], "option code number expected")
        code = int(toks[2].value)
        if len(toks) < 5 or not toks[3].is_punct("="):
            raise self.fail(stmt, "'=' expected after the option code")
        dtype, remarks = parse_type(toks[4:], stmt.source, stmt.line)
        if space == "vendor":
            if dtype.fields != ("encap",) or not dtype.encapsulate:
                raise Untranslatable("a vendor (vivso) option that does not encapsulate a space")
            if dtype.encapsulate not in self.spaces:
                raise self.fail(stmt, f"no option space named {dtype.encapsulate}.")
            self.vendor_spaces[dtype.encapsulate] = code
            self.options[(space, name.lower())] = OptionInfo(space, name, code, dtype, stmt.line)
            return
        if dtype.fields == ("encap",) and dtype.encapsulate and space == "dhcp":
            if dtype.encapsulate not in self.spaces:
                raise self.fail(stmt, f"no option space named {dtype.encapsulate}.")
            self.encapsulated[dtype.encapsulate] = code
        info = OptionInfo(space, name, code, dtype, stmt.line)
        if space == "dhcp" and options4.by_code(code) is not None:
            std = options4.by_code(code)
            self.info(
                scope,
                f"option {name} (code {code}) is the standard option {std.name}; no "
                "definition is written, its values are given as hex",
            )
        self.options[(space, name.lower())] = info
        self.definitions.append(info)
        for remark in remarks:
            self.notes.append(
                Note(
                    stmt.source,
                    stmt.line,
                    stmt.text(),
                    f"{remark}: Kea cannot define that; the option is defined as binary",
                )
            )
            self.root.items.append(self.notes[-1])

    def option_setting(self, stmt: Statement, toks: list[Token], scope: Scope) -> None:
        if not toks:
            raise self.fail(stmt, "option name expected")
        info = self.resolve_option(toks[0])
        if info.space == "server":
            fake = Statement(
                [Token("word", info.name, toks[0].line, toks[0].source), *toks[1:]],
                None,
                stmt.line,
                stmt.source,
                via_server_space=True,
            )
            if info.name.lower() in ("option", "server"):
                raise self.fail(toks[0], f"unknown option server.{info.name}")
            return self.statement(fake, scope)
        values = toks[1:]
        if values and values[0].is_punct("="):
            parser = ex.ExprParser(values, 1, stmt.source, stmt.line, self.resolve_option)
            expr = parser.data()
            if parser.i != len(values):
                raise self.fail(
                    values[parser.i], f"unexpected {values[parser.i].shown()} in the option value"
                )
            data = ex.constant_data(expr)
            if data is None:
                raise Untranslatable(
                    "the value is computed from the packet at run time; Kea 2.2 option values are constants"
                )
            scope.options.append(OptSetting(info, data, stmt.line, as_hex=True))
            return
        payload = encode_value(info.dtype, values, stmt.source, stmt.line)
        if (
            info.space == "dhcp"
            and info.code in (58, 59)
            and scope.kind in ("root", "shared", "subnet", "group")
        ):
            # dhcpd sends these as options; Kea computes them from renew-timer / rebind-timer
            key = "renew-timer" if info.code == 58 else "rebind-timer"
            return self.set_param(scope, key, int.from_bytes(payload, "big"), stmt)
        if scope.kind == "host" and info.space == "dhcp" and info.code == 61:
            scope.client_id = payload  # in a host declaration the client identifier identifies the host
            return
        as_hex = (
            bool(values)
            and values[0].kind == "word"
            and info.dtype.fields[0] in ("string", "text")
            and HEX_LIST.match(values[0].value) is not None
        )
        scope.options.append(OptSetting(info, payload, stmt.line, as_hex=as_hex))
