"""dhcpd's parameters and the other statements that set something on the scope they stand in.

Rules this module keeps:
- Each `kw_<keyword>` handler reads one statement the way dhcpd does (refusing what dhcpd refuses) and
  records it in Kea's terms on its scope: a parameter under its Kea key (set_param checks the key may go
  there), a range, a host identifier, a permit, a class's match. What Kea cannot do becomes a note.
- Lease times, next-server, filename and server-name are Kea parameters; `option dhcp-renewal-time` and
  the like are options (option_statements.py). Host identification (hardware, fixed-address,
  host-identifier) is stored on the host scope; the writer makes the reservation.
- Pool permits are stored as they were written; the writer turns them into one client-class guard.
"""

from __future__ import annotations

import ipaddress

from edge.migrate.common import Untranslatable
from edge.migrate.dhcpd import expr as ex
from edge.migrate.dhcpd.context import ReaderContext
from edge.migrate.dhcpd.model import OptSetting, Scope
from edge.migrate.dhcpd.options import HEX_LIST, encode_value
from edge.migrate.dhcpd.syntax import Statement

__all__ = ["ParameterStatements"]

LIFETIMES = {
    "default-lease-time": "valid-lifetime",
    "max-lease-time": "max-valid-lifetime",
    "min-lease-time": "min-valid-lifetime",
}
HW_TYPES = {"ethernet": 1, "token-ring": 6, "fddi": 8, "infiniband": 32}


class ParameterStatements(ReaderContext):
    def kw_authoritative(self, stmt: Statement, scope: Scope) -> None:
        if self.args(stmt):
            raise self.fail(stmt.head[1], "authoritative takes no value")
        if scope.kind in ("host", "class", "subclass", "pool"):
            return self.note(scope, stmt, f"authoritative cannot be set for a {scope.kind} in Kea")
        self.set_param(scope, "authoritative", True, stmt)

    def kw_not(self, stmt: Statement, scope: Scope) -> None:
        if len(stmt.head) != 2 or not stmt.head[1].is_word("authoritative"):
            raise self.fail(stmt, "expecting 'not authoritative'")
        if scope.kind in ("host", "class", "subclass", "pool"):
            return self.note(scope, stmt, f"authoritative cannot be set for a {scope.kind} in Kea")
        self.set_param(scope, "authoritative", False, stmt)

    def lifetime(self, stmt: Statement, scope: Scope) -> None:
        self.set_param(scope, LIFETIMES[stmt.keyword], self.number(stmt, self.args(stmt)), stmt)

    kw_default_lease_time = lifetime
    kw_max_lease_time = lifetime
    kw_min_lease_time = lifetime

    def kw_next_server(self, stmt: Statement, scope: Scope) -> None:
        self.set_param(scope, "next-server", self.address(stmt, self.args(stmt)), stmt)

    def kw_filename(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        if len(toks) != 1 or toks[0].kind != "string":
            raise Untranslatable("a computed file name (Kea takes a fixed boot-file-name)")
        self.set_param(scope, "boot-file-name", toks[0].value, stmt)

    def kw_server_name(self, stmt: Statement, scope: Scope) -> None:
        self.set_param(scope, "server-hostname", self.string(stmt, self.args(stmt)), stmt)

    def kw_server_identifier(self, stmt: Statement, scope: Scope) -> None:
        address = self.address(stmt, self.args(stmt))
        info = self.options[("dhcp", "dhcp-server-identifier")]
        scope.options.append(OptSetting(info, ipaddress.IPv4Address(address).packed, stmt.line))

    def kw_ignore_client_uids(self, stmt: Statement, scope: Scope) -> None:
        self.set_param(scope, "match-client-id", not self.flag(stmt, self.args(stmt)), stmt)

    def kw_echo_client_id(self, stmt: Statement, scope: Scope) -> None:
        self.set_param(scope, "echo-client-id", self.flag(stmt, self.args(stmt)), stmt)

    def kw_use_host_decl_names(self, stmt: Statement, scope: Scope) -> None:
        scope.params["use-host-decl-names"] = (self.flag(stmt, self.args(stmt)), stmt.line)

    def kw_ddns_update_style(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        style = toks[0].value.lower() if len(toks) == 1 else ""
        if style not in ("none", "interim", "standard", "ad-hoc"):
            raise self.fail(stmt, "ddns-update-style: none, interim or standard expected")
        if style == "none":
            return self.set_param(scope, "ddns-send-updates", False, stmt)
        if style == "ad-hoc":
            return self.note(scope, stmt, "the ad-hoc update style was removed from dhcpd itself")
        self.set_param(scope, "ddns-send-updates", True, stmt)
        self.note(
            scope,
            stmt,
            "DNS updates also need the dhcp-ddns section (and a DNS update agent): "
            "set them up, this converter cannot know your DNS servers and keys",
        )

    def kw_ddns_updates(self, stmt: Statement, scope: Scope) -> None:
        self.set_param(scope, "ddns-send-updates", self.flag(stmt, self.args(stmt)), stmt)

    def kw_ddns_domainname(self, stmt: Statement, scope: Scope) -> None:
        self.set_param(scope, "ddns-qualifying-suffix", self.string(stmt, self.args(stmt)), stmt)

    def kw_ddns_hostname(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        if scope.kind == "host" and len(toks) == 1 and toks[0].kind == "string":
            scope.params["hostname"] = (toks[0].value, stmt.line)
            return
        raise Untranslatable(
            "Kea sets a DNS name per host reservation (hostname) only; a computed "
            "or scope-wide ddns-hostname has no equivalent"
        )

    def kw_update_conflict_detection(self, stmt: Statement, scope: Scope) -> None:
        self.set_param(scope, "ddns-use-conflict-resolution", self.flag(stmt, self.args(stmt)), stmt)

    def kw_update_optimization(self, stmt: Statement, scope: Scope) -> None:
        # update-optimization off: update DNS on every renewal, which is Kea's ddns-update-on-renew.
        self.set_param(scope, "ddns-update-on-renew", not self.flag(stmt, self.args(stmt)), stmt)

    def kw_client_updates(self, stmt: Statement, scope: Scope) -> None:
        self.set_param(scope, "ddns-override-client-update", not self.flag(stmt, self.args(stmt)), stmt)

    def kw_vendor_option_space(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        if len(toks) != 1 or toks[0].kind != "word":
            raise self.fail(stmt, "option space name expected")
        space = toks[0].value
        if space not in self.spaces:
            raise self.fail(toks[0], f"no option space named {space}.")
        if scope.kind not in ("class", "subclass"):
            raise Untranslatable(
                "Kea can redefine option 43 to carry another space only inside a client "
                "class; put the vendor options in a class that matches the vendor"
            )
        scope.vendor_space = space

    def kw_interface(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind not in ("shared", "subnet"):
            raise self.fail(
                stmt,
                "expecting a parameter or declaration (interface is allowed in "
                "shared-network and subnet declarations only)",
            )
        name = self.args(stmt)
        if len(name) != 1 or name[0].kind not in ("string", "word"):
            raise self.fail(stmt, "interface name expected")
        if scope.interface:
            raise self.fail(
                stmt,
                f"A {'shared network' if scope.kind == 'shared' else 'subnet'} can't be "
                "connected to two interfaces.",
            )
        scope.interface = name[0].value
        if scope.interface not in self.interfaces:
            self.interfaces.append(scope.interface)

    def kw_range(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind not in ("subnet", "pool"):
            raise self.fail(stmt, "range declaration not allowed here.")
        toks = self.args(stmt)
        bootp = False
        if toks and toks[0].is_word("dynamic-bootp"):
            bootp = True
            toks = toks[1:]
        if len(toks) not in (1, 2):
            raise self.fail(stmt, "range LOW [HIGH] expected")
        try:
            low = int(ipaddress.IPv4Address(toks[0].value))
            high = int(ipaddress.IPv4Address(toks[-1].value))
        except ValueError:
            raise self.fail(stmt, "range addresses must be IPv4 addresses") from None
        if low > high:
            low, high = high, low  # dhcpd takes a reversed range too
        scope.ranges.append((low, high, stmt.line))
        if bootp:
            self.note(
                scope,
                stmt,
                "dynamic-bootp: BOOTP clients are not served (Kea needs its BOOTP "
                "hook); the range is kept for DHCP clients",
            )

    def kw_hardware(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind != "host":
            raise self.fail(stmt, "hardware address parameter not allowed here.")
        toks = self.args(stmt)
        if len(toks) != 2 or toks[0].kind != "word":
            raise self.fail(stmt, "hardware TYPE ADDRESS expected")
        if toks[0].value.lower() not in HW_TYPES:
            raise self.fail(toks[0], f"expecting a network hardware type, got {toks[0].value}")
        if not HEX_LIST.match(toks[1].value):
            raise self.fail(toks[1], "expecting hexadecimal number.")
        scope.hw = ":".join(f"{int(p, 16):02x}" for p in toks[1].value.split(":"))

    def kw_fixed_address(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind != "host":
            raise self.fail(stmt, "fixed-address parameter not allowed here.")
        for tok in self.args(stmt):
            if tok.is_punct(","):
                continue
            if tok.kind != "word":
                raise self.fail(tok, "an address or host name expected")
            scope.fixed.append(tok.value)
        if not scope.fixed:
            raise self.fail(stmt, "fixed-address needs an address")

    def kw_host_identifier(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind != "host":
            raise self.fail(stmt, "host-identifier parameter not allowed here.")
        toks = self.args(stmt)
        if len(toks) < 3 or not toks[0].is_word("option"):
            raise self.fail(stmt, "host-identifier option NAME VALUE expected")
        info = self.resolve_option(toks[1])
        payload = encode_value(info.dtype, toks[2:], stmt.source, stmt.line)
        if info.space == "agent" and info.code == 1:
            scope.circuit_id = payload
        elif info.space == "dhcp" and info.code == 61:
            scope.client_id = payload
        else:
            raise Untranslatable(
                f"Kea 2.2 identifies hosts by hw-address, client-id, circuit-id or "
                f"(with a hook) flex-id, not by {info.space}.{info.name}"
            )

    def kw_server_duid(self, stmt: Statement, scope: Scope) -> None:
        toks = self.args(stmt)
        kind = toks[0].value.lower() if toks and toks[0].kind == "word" else ""
        rest = toks[1:]
        if kind == "en":
            if not rest or not rest[0].value.isdigit():
                raise self.fail(stmt, "enterprise number expected")
            if len(rest) != 2 or not (rest[1].kind == "string" or HEX_LIST.match(rest[1].value)):
                raise self.fail(stmt, "identifier expected")
        elif kind in ("ll", "llt"):
            if rest:
                if rest[0].kind != "word" or rest[0].value.lower() not in HW_TYPES:
                    raise self.fail(stmt, "hardware type expected")
                rest = rest[1:]
                if kind == "llt":
                    if not rest or not rest[0].value.isdigit():
                        raise self.fail(stmt, "timestamp expected")
                    rest = rest[1:]
                if len(rest) != 1 or not HEX_LIST.match(rest[0].value):
                    raise self.fail(stmt, "expecting hexadecimal number.")
        elif not (len(toks) == 1 and toks[0].value.isdigit()):
            raise self.fail(stmt, "server-duid: en, ll or llt expected")
        if self.server_duid_line:
            raise self.fail(stmt, "there is already a server-id")
        self.server_duid_line = stmt.line
        self.note(scope, stmt, "a DHCPv6 server DUID; a DHCPv4 server does not use it")

    def kw_allow(self, stmt: Statement, scope: Scope) -> None:
        self.permit(stmt, scope, True)

    def kw_deny(self, stmt: Statement, scope: Scope) -> None:
        self.permit(stmt, scope, False)

    def kw_ignore(self, stmt: Statement, scope: Scope) -> None:
        self.permit(stmt, scope, False)

    def permit(self, stmt: Statement, scope: Scope, allow: bool) -> None:
        words = [t.value.lower() if t.kind == "word" else t.value for t in self.args(stmt)]
        what = " ".join(words)
        if scope.kind == "pool":
            if what in ("known-clients", "known clients"):
                return scope.permits.append((allow, "known", "", stmt.line))
            if what in ("unknown-clients", "unknown clients"):
                return scope.permits.append((allow, "unknown", "", stmt.line))
            if what == "all clients":
                return scope.permits.append((allow, "all", "", stmt.line))
            if len(words) == 3 and words[:2] == ["members", "of"] and stmt.head[3].kind == "string":
                name = stmt.head[3].value
                if name not in self.classes:
                    raise self.fail(stmt, f"no class named {name}")
                return scope.permits.append((allow, "member", name, stmt.line))
            if what in ("dynamic bootp clients", "bootp"):
                if allow:
                    return self.note(scope, stmt, "BOOTP clients are not served (Kea needs its BOOTP hook)")
                return None  # what Kea does anyway
            if what in ("authenticated clients", "unauthenticated clients") or words[:1] == ["after"]:
                return self.note(scope, stmt, f"the '{what}' permit has no Kea equivalent")
        if what in ("unknown-clients", "unknown clients"):
            if scope.kind in ("root", "shared", "subnet", "group"):
                scope.params["unknown-clients"] = (allow, stmt.line)
                return None
            return self.note(scope, stmt, "unknown-clients cannot be restricted here in Kea")
        if what in ("known-clients", "known clients"):
            if scope.kind in ("root", "shared", "subnet", "group"):
                scope.params["known-clients"] = (allow, stmt.line)
                return None
            return self.note(scope, stmt, "known-clients cannot be restricted here in Kea")
        if what == "bootp":
            return (
                None
                if not allow
                else self.note(scope, stmt, "BOOTP clients are not served (Kea needs its BOOTP hook)")
            )
        if what in ("booting", "duplicates", "declines", "client-updates", "leasequery"):
            if what == "client-updates":
                return self.set_param(scope, "ddns-override-client-update", not allow, stmt)
            if what == "declines" and not allow:
                return self.note(
                    scope,
                    stmt,
                    "Kea always honours DHCPDECLINE (the address is held for decline-probation-period)",
                )
            if allow and what in ("booting", "duplicates", "declines"):
                return None  # dhcpd's default, and Kea's behaviour
            return self.note(scope, stmt, f"'{stmt.keyword} {what}' has no Kea equivalent")
        if words[:2] == ["members", "of"] or what in ("dynamic bootp clients", "all clients"):
            raise self.fail(stmt, f"'{stmt.keyword} {what}' is a pool permit; it is allowed in pools only")
        raise self.fail(stmt, f"unknown {stmt.keyword} keyword: {what}")

    def kw_match(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind != "class":
            raise self.fail(stmt, "match statements are only allowed in class declarations.")
        toks = stmt.head
        if len(toks) > 1 and toks[1].is_word("if"):
            parser = ex.ExprParser(toks, 2, stmt.source, stmt.line, self.resolve_option)
            expr = parser.boolean()
            if parser.i != len(toks):
                raise self.fail(toks[parser.i], f"unexpected {toks[parser.i].shown()} after the expression")
            folded = ex.fold(expr)
            if ex.constant_boolean(folded):
                raise self.fail(stmt, f"'match if' with a constant boolean expression {ex.describe(folded)}")
            scope.match_if = folded
            return None
        if scope.match is not None:
            raise self.fail(stmt, "can't override existing submatch/spawn")
        parser = ex.ExprParser(toks, 1, stmt.source, stmt.line, self.resolve_option)
        expr = parser.data()
        if parser.i != len(toks):
            raise self.fail(toks[parser.i], f"unexpected {toks[parser.i].shown()} after the expression")
        scope.match = ex.fold(expr)
        scope.match_line = stmt.line

    def kw_spawn(self, stmt: Statement, scope: Scope) -> None:
        if scope.kind != "class":
            raise self.fail(stmt, "spawn statements are only allowed in class declarations.")
        if scope.match is not None:
            raise self.fail(stmt, "can't override existing submatch/spawn")
        parser = ex.ExprParser(stmt.head, 2, stmt.source, stmt.line, self.resolve_option)
        scope.match = ex.fold(parser.data())
        scope.match_line = stmt.line
        self.note(
            scope,
            stmt,
            "spawning classes (one class per distinct value, usually to limit leases "
            "per client group) have no Kea equivalent",
        )

    def kw_lease(self, stmt: Statement, scope: Scope) -> None:
        if (
            scope.kind not in ("class", "subclass")
            or len(stmt.head) != 3
            or not stmt.head[1].is_word("limit")
        ):
            raise self.fail(stmt, "lease limit N is allowed in class declarations only")
        self.note(scope, stmt, "per-class lease limits need Kea's limits hook (Kea >= 2.3)")

    def kw_vendor_class(self, stmt: Statement, scope: Scope) -> None:
        raise self.fail(stmt, "obsolete 'vendor-class' declaration")

    def kw_user_class(self, stmt: Statement, scope: Scope) -> None:
        raise self.fail(stmt, "obsolete 'user-class' declaration")

    def kw_failover(self, stmt: Statement, scope: Scope) -> None:
        self.note(
            scope,
            stmt,
            "dhcpd failover has no Kea 2.2 equivalent without the High Availability "
            "hook, and edge-dhcp has none; run one server, or set up Kea HA by hand",
        )

    def kw_key(self, stmt: Statement, scope: Scope) -> None:
        self.note(scope, stmt, "TSIG keys for DNS updates go into the DNS update agent's configuration")

    def kw_zone(self, stmt: Statement, scope: Scope) -> None:
        self.note(scope, stmt, "DNS zones for updates go into the DNS update agent's configuration")
