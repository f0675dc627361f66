"""Reading a `dhcpd -6` configuration: the v4 reader (read.py) with DHCPv6's declarations and parameters.

Rules this module keeps:
- Same contract as read.py: dhcpd's refusals are refused (`FILE line N: message`, keama's line), valid
  input with no Kea equivalent becomes a note where it stood.
- subnet6/pool6/range6/prefix6 fill the same scope tree (model.py), with the v6 fields; hosts are
  identified by `host-identifier option dhcp6.client-id` (a DUID) or by `hardware` (Kea: hw-address).
- Options in the v4 `dhcp` space named in a v6 configuration become notes; names in `dhcp6` use
  options6.py's table.
- The lexer gives back the colon of a word that ends in `:` (syntax.py), so `2001::/64` arrives as
  `2001:` `:` `/` `64`: v6 statements join such pieces again before reading them.
"""

from __future__ import annotations

import dataclasses
import ipaddress

from edge.migrate.common import Untranslatable
from edge.migrate.dhcpd.model import Scope
from edge.migrate.dhcpd.options import BUILTIN_SPACES, OptionInfo, encode_value
from edge.migrate.dhcpd.options6 import standard_options6
from edge.migrate.dhcpd.read import Reader
from edge.migrate.dhcpd.syntax import Statement, Token

__all__ = ["Reader6", "join_colons"]

DECLARATIONS6 = ("subnet6", "pool6")
V4_ONLY = ("subnet", "range", "fixed-address")


def join_colons(toks: list[Token]) -> list[Token]:
    """`2001:` `:` -> `2001::` (the lexer's split of a word ending in a colon, undone)."""
    out: list[Token] = []
    for tok in toks:
        if tok.is_punct(":") and out and out[-1].kind == "word" and out[-1].value.endswith(":"):
            last = out.pop()
            out.append(Token("word", last.value + ":", last.line, last.source))
        else:
            out.append(tok)
    return out


class Reader6(Reader):
    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.options.update(standard_options6())
        self.spaces["dhcp6"] = None

    def statement(self, stmt: Statement, scope: Scope) -> None:
        if stmt.head:
            stmt = dataclasses.replace(stmt, head=join_colons(stmt.head))
            kw = stmt.head[0].value.lower() if stmt.head[0].kind == "word" else ""
            if kw in DECLARATIONS6:
                return self.declaration6(kw, stmt, scope)
            if kw in V4_ONLY:
                return self.note(scope, stmt, "a DHCPv4 statement in a DHCPv6 configuration")
        return super().statement(stmt, scope)

    def resolve_option(self, tok: Token) -> OptionInfo:
        space, _, short = tok.value.partition(".")
        if short and space == "dhcp6":
            info = self.options.get(("dhcp6", short.lower()))
            if info is None:
                raise self.fail(tok, f"unknown option dhcp6.{short}")
            return info
        return super().resolve_option(tok)

    def kw_option(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        if toks and toks[0].kind == "word" and not toks[0].is_word("space"):
            name = toks[0].value
            if name.lower().startswith("vsio."):
                # dhcpd -6's vendor space (vendor-opts, 17) is what `vendor.` is in DHCPv4 (vivso, 125)
                name = "vendor." + name[5:]
            if len(toks) > 1 and toks[1].is_word("code") and "compressed" in [t.value for t in toks[2:]]:
                raise self.fail(stmt, "domain list in DHCPv6 MUST NOT be compressed")
            renamed = Token("word", name, toks[0].line, toks[0].source)
            stmt = dataclasses.replace(stmt, head=[stmt.head[0], renamed, *toks[1:]])
        return super().kw_option(stmt, scope)

    def option_setting(self, stmt: Statement, toks: list[Token], scope: Scope) -> None:
        if toks:
            info = self.resolve_option(toks[0])
            if (
                info.space in ("dhcp", "agent")
                or info.space in BUILTIN_SPACES
                and info.space not in ("server", "dhcp6")
            ):
                raise Untranslatable(
                    f"{info.space}.{info.name} is a DHCPv4 option; this is a DHCPv6 configuration"
                )
        return super().option_setting(stmt, toks, scope)

    # -- declarations

    def declaration6(self, kw: str, stmt: Statement, scope: Scope) -> None:
        where = scope.kind
        effective = scope.declared_in().kind if where == "group" else where
        if stmt.block is None:
            if kw == "pool6" and effective == "root":
                raise self.fail(stmt, "pool6 declared outside of network")
            raise self.fail(stmt, f"{kw} declaration needs a {{ }} block")
        if kw == "subnet6":
            if where not in ("root", "group", "shared") or (
                where == "group" and effective not in ("root", "shared")
            ):
                raise self.fail(stmt, "subnet declarations not allowed here.")
            return self.subnet6(stmt, scope)
        if effective == "root":
            raise self.fail(stmt, "pool6 declared outside of network")
        if where not in ("subnet", "shared"):
            raise self.fail(stmt, "pool6 declarations not allowed here.")
        return self.pool(stmt, scope)

    def network6(self, stmt: Statement, toks: list[Token]) -> ipaddress.IPv6Network:
        if not toks:
            raise self.fail(stmt, "Expecting an IPv6 address.")
        if len(toks) < 2 or not toks[1].is_punct("/"):
            raise self.fail(stmt, "Expecting a '/'.")
        if len(toks) < 3 or not toks[2].value.isdigit():
            raise self.fail(stmt, "Expecting a number.")
        try:
            address = ipaddress.IPv6Address(toks[0].value)
        except ValueError:
            raise self.fail(stmt, "Invalid IPv6 address.") from None
        bits = int(toks[2].value)
        if not 0 < bits < 128:
            raise self.fail(stmt, "networks have 0 to 128 bits (exclusive)")
        return ipaddress.IPv6Network((address, bits), strict=False)

    def subnet6(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        network = self.network6(stmt, toks)
        if len(toks) != 3:
            raise self.fail(stmt, "subnet6 PREFIX/LENGTH expected")
        self.subnet_count += 1
        child = Scope("subnet", stmt.line, scope, network=network, subnet_id=self.subnet_count)
        scope.items.append(child)
        self.block(stmt.block or [], child)

    # -- parameters

    def kw_range6(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind not in ("subnet", "pool"):
            raise self.fail(stmt, "range6 declaration not allowed here.")
        toks = self.args(stmt)
        temporary = bool(toks) and toks[-1].is_word("temporary")
        if temporary:
            toks = toks[:-1]
        if len(toks) == 3 and toks[1].is_punct("/"):
            net = self.network6(stmt, toks)
            text = f"{toks[0].value}/{net.prefixlen}"
        elif len(toks) in (1, 2) and all(t.kind == "word" for t in toks):
            try:
                low = ipaddress.IPv6Address(toks[0].value)
                high = ipaddress.IPv6Address(toks[-1].value)
            except ValueError:
                raise self.fail(stmt, "Invalid IPv6 address.") from None
            if len(toks) == 1:
                # one address alone: dhcpd takes the subnet's /64 from it
                text = f"{toks[0].value}/64"
            else:
                if low > high:
                    low, high = high, low
                text = f"{toks[0].value} - {toks[1].value}"
        else:
            raise self.fail(stmt, "range6 LOW HIGH, range6 PREFIX/LEN or range6 ADDRESS temporary expected")
        if temporary:
            return self.note(
                scope,
                stmt,
                "temporary addresses (IA_TA): Kea 2.2 and edge-dhcp have no pool of temporary addresses",
            )
        scope.ranges6.append((text, stmt.line, False))

    def kw_prefix6(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind not in ("subnet", "pool"):
            raise self.fail(stmt, "prefix6 declaration not allowed here.")
        toks = self.args(stmt)
        if len(toks) != 4 or not toks[2].is_punct("/") or not toks[3].value.isdigit():
            raise self.fail(stmt, "prefix6 LOW HIGH / LENGTH expected")
        try:
            low = int(ipaddress.IPv6Address(toks[0].value))
            high = int(ipaddress.IPv6Address(toks[1].value))
        except ValueError:
            raise self.fail(stmt, "Invalid IPv6 address.") from None
        delegated = int(toks[3].value)
        if not 0 < delegated < 128:
            raise self.fail(stmt, "networks have 0 to 128 bits (exclusive)")
        if low > high:
            low, high = high, low
        # A Kea pd-pool is one prefix: the range of delegated prefixes is cut into the aligned prefixes
        # that cover exactly it (one, when it is a whole prefix; keama gives up otherwise)
        size = 1 << (128 - delegated)
        low -= low % size
        high += size - 1 - high % size
        blocks = ipaddress.summarize_address_range(ipaddress.IPv6Address(low), ipaddress.IPv6Address(high))
        for block in blocks:
            scope.prefixes6.append((str(block.network_address), block.prefixlen, delegated, stmt.line))

    def kw_fixed_address6(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind != "host":
            raise self.fail(stmt, "fixed-address parameter not allowed here.")
        for tok in self.args(stmt):
            if tok.is_punct(","):
                continue
            try:
                scope.fixed6.append(str(ipaddress.IPv6Address(tok.value)))
            except ValueError:
                raise self.fail(tok, "Invalid IPv6 address.") from None

    def kw_fixed_prefix6(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind != "host":
            raise self.fail(stmt, "fixed-prefix6 declaration not allowed here.")
        net = self.network6(stmt, self.args(stmt))
        scope.fixed_prefixes6.append(str(net))

    def kw_preferred_lifetime(self, stmt: Statement, scope: Scope) -> None:
        value = self.number(stmt, self.args(stmt))
        if scope.kind in ("host", "class", "subclass"):
            return self.note(scope, stmt, f"Kea has no preferred-lifetime for a {scope.kind}")
        scope.params["preferred-lifetime"] = (value, stmt.line)

    def kw_authoritative(self, stmt: Statement, scope: Scope) -> None:
        if self.args(stmt):
            raise self.fail(stmt.head[1], "authoritative takes no value")
        # a DHCPv6 server answers what it knows whatever this says (Kea has no such setting); dropped, as
        # keama drops it

    def kw_host_identifier(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind != "host":
            raise self.fail(stmt, "host-identifier parameter not allowed here.")
        toks = self.args(stmt)
        if len(toks) >= 3 and toks[0].is_word("option"):
            info = self.resolve_option(toks[1])
            if info.space == "dhcp6" and info.code == 1:
                scope.duid = encode_value(info.dtype, toks[2:], stmt.source, stmt.line)
                return None
        raise Untranslatable(
            "Kea 2.2 identifies DHCPv6 hosts by duid or hw-address (flex-id needs a hook); "
            "only host-identifier option dhcp6.client-id is translated"
        )

    def kw_server_duid(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        kinds = {"llt": "LLT", "ll": "LL", "en": "EN"}
        kind = toks[0].value.lower() if toks and toks[0].kind == "word" else ""
        super().kw_server_duid(stmt, scope)
        scope.items.pop()  # the v4 reader's "not used" note: a DHCPv6 server uses it
        self.notes.pop()
        server_id: dict[str, object] = {"type": kinds.get(kind, "")}
        rest = toks[1:]
        if kind == "en" and len(rest) == 2:
            server_id["enterprise-id"] = int(rest[0].value)
            ident = rest[1]
            data = ident.data if ident.kind == "string" else bytes(int(p, 16) for p in ident.value.split(":"))
            server_id["identifier"] = data.hex()
        elif kind in ("ll", "llt") and rest:
            server_id["htype"] = {"ethernet": 1, "token-ring": 6, "fddi": 8, "infiniband": 32}[
                rest[0].value.lower()
            ]
            if kind == "llt":
                server_id["time"] = int(rest[1].value)
            server_id["identifier"] = "".join(f"{int(p, 16):02x}" for p in rest[-1].value.split(":"))
        if not server_id["type"]:
            return self.note(scope, stmt, "a server DUID given by number has no Kea equivalent")
        scope.params["server-id"] = (server_id, stmt.line)
