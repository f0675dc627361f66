"""ISC dhcpd 4.x `dhcpd.conf` -> a Kea-dialect `Dhcp4` configuration (what `edge-dhcp migrate dhcpd` runs).

Rules this module keeps:
- The output is Kea 2.2's dialect: edge-dhcp runs it and `kea-dhcp4 -t` accepts it wherever the features
  are Kea's. Where keama (ISC's own converter) and this one agree on the meaning, the output is the same
  data keama writes (tests/migrate/test_keama.py measures this against keama's own test cases).
- Input dhcpd would refuse is refused: MigrationError `FILE line N: message`, first error only.
- Valid input with no Kea equivalent becomes a Note, written as a `// NOT TRANSLATED` comment where the
  translation would have gone, and counted in the exit status. Nothing is dropped silently.
- No network: names dhcpd would resolve with DNS (fixed-address www.example.com) become notes.

Theory of operation, in two passes:
  1. Reading. Each top-level statement is read (dhcpd_syntax) and interpreted at once into a tree of
     Scope objects mirroring dhcpd's declarations (root, shared-network, subnet, pool, host, group, class,
     subclass), each holding its parameters already in Kea terms (valid-lifetime, boot-file-name, ...),
     its option settings (encoded to bytes, dhcpd_options), notes, and child scopes. Errors surface
     here, in file order.
  2. Writing. The tree is walked once to build the Kea document. dhcpd parameters apply to everything
     declared inside their scope, whereas Kea inherits only global -> shared network -> subnet -> pool; so
     a group's parameters are copied into each declaration inside it (the declaration's own win), a
     superclass's into each of its subclasses, and hosts become global reservations (dhcpd hosts are
     global whatever block they sit in). Pools get a client-class guard from `allow/deny` permits and
     `deny unknown-clients`, combining several into one generated class when Kea 2.2's single
     `client-class` needs it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from edge.migrate import dhcpd_expr as ex
from edge.migrate.common import MigrationError, Note, Result, Untranslatable
from edge.migrate.dhcpd_options import (
    BUILTIN_SPACES,
    DHCPD_SPACES,
    HEX_LIST,
    IPV4,
    DType,
    NeedsDns,
    OptionInfo,
    encode_value,
    kea_definition,
    parse_type,
    standard_options,
)
from edge.migrate.dhcpd_syntax import Statement, Token, read_file, read_text
from edge.migrate.jsonout import Comment
from edge.migrate.kea import FORCE_HEX_CODES, KEA_LACKS, put_data
from edge.wire import optiondef, options4

__all__ = ["translate_file", "translate_text"]

DECLARATIONS = ("shared-network", "subnet", "pool", "host", "group", "class", "subclass")
EXECUTABLE = (
    "if",
    "elsif",
    "else",
    "switch",
    "on",
    "log",
    "execute",
    "set",
    "unset",
    "eval",
    "return",
    "break",
    "add",
    "define",
    "parse-vendor-option",
)
DHCPV6 = (
    "subnet6",
    "range6",
    "prefix6",
    "fixed-address6",
    "fixed-prefix6",
    "pool6",
    "preferred-lifetime",
    "dhcpv6-lease-file-name",
    "dhcpv6-pid-file-name",
    "dhcpv6-set-tee-times",
    "local-address6",
    "bind-local-address6",
    "ddns-local-address6",
    "prefix-length-mode",
    "persist-eui-64-leases",
    "use-eui-64",
    "limit-addrs-per-ia",
)

# Parameters with no Kea 2.2 equivalent, and why. A value in HARMLESS (what Kea and edge-dhcp do anyway)
# is dropped without a note.
UNSUPPORTED = {
    "dynamic-bootp-lease-cutoff": "bootp protocol is not supported (Kea needs its BOOTP hook)",
    "dynamic-bootp-lease-length": "bootp protocol is not supported (Kea needs its BOOTP hook)",
    "boot-unknown-clients": "bootp protocol is not supported (Kea needs its BOOTP hook)",
    "always-reply-rfc1048": "bootp protocol is not supported (Kea needs its BOOTP hook)",
    "always-broadcast": "Kea always answers as RFC 2131 says (broadcast only when the client asks)",
    "min-secs": "min-secs is not (yet?) supported by Kea",
    "lease-file-name": "the lease file is set by lease-database.name; import the leases with "
    "`edge-dhcp leases import --format dhcpd-leases`",
    "pid-file-name": "pid-file-name is an internal ISC DHCP feature",
    "local-port": "local-port is not supported; Kea and edge-dhcp take the port on their command line",
    "remote-port": "remote-port is not supported",
    "local-address": "local-address is not supported; name the interface (or interface/address) in "
    "interfaces-config instead",
    "omapi-port": "OMAPI is an internal ISC DHCP feature; Kea and edge-dhcp have a control channel instead",
    "omapi-key": "omapi-key is an internal ISC DHCP feature",
    "log-facility": "logging is configured in Dhcp4.loggers",
    "db-time-format": "the lease file format is the server's own",
    "dont-use-fsync": "lease-file syncing is the lease store's own business",
    "abandon-lease-time": "abandoned (declined) addresses return after decline-probation-period",
    "adaptive-lease-time-threshold": "adaptive lease times are not supported",
    "delayed-ack": "delayed acknowledgements are not supported",
    "max-ack-delay": "delayed acknowledgements are not supported",
    "dhcp-cache-threshold": "lease caching is configured with cache-threshold (Kea 2.2), which works "
    "differently: review it",
    "infinite-is-reserved": "infinite leases are not treated as reservations",
    "lease-id-format": "the lease file format is the server's own",
    "check-secs-byte-order": "not supported",
    "log-threshold-high": "pool-usage log thresholds are not supported",
    "log-threshold-low": "pool-usage log thresholds are not supported",
    "ping-check": "Kea 2.2 does not probe addresses with ICMP before offering them",
    "ping-timeout": "Kea 2.2 does not probe addresses with ICMP before offering them",
    "ping-timeout-ms": "Kea 2.2 does not probe addresses with ICMP before offering them",
    "ping-cltt-secs": "Kea 2.2 does not probe addresses with ICMP before offering them",
    "release-on-roam": "not supported",
    "server-id-check": "not supported",
    "site-option-space": "site-local option spaces are not supported",
    "stash-agent-options": "stash-agent-options needs Kea 2.6",
    "use-lease-addr-for-default-route": "not supported",
    "get-lease-hostnames": "host names from reverse DNS lookups are not supported",
    "update-static-leases": "DNS updates for fixed addresses are not supported",
    "do-forward-updates": "Kea's DNS updates are configured per scope with ddns-send-updates",
    "ddns-dual-stack-mixed-mode": "not supported by Kea 2.2",
    "ddns-guard-id-must-match": "not supported by Kea 2.2",
    "ddns-other-guard-is-dynamic": "not supported by Kea 2.2",
    "ddns-ttl": "Kea 2.2 has no ddns-ttl (the TTL comes from the lease time)",
    "ddns-rev-domainname": "reverse zones are configured in the DNS update (D2) configuration",
    "ddns-local-address4": "the DNS update sender address is in the D2 configuration",
    "one-lease-per-client": "Kea and edge-dhcp keep one lease per client and subnet anyway",
    "authoritative-in-host": "authoritative cannot be set per host",
}
HARMLESS = {
    "one-lease-per-client": ("true", "on"),
    "ping-check": ("false", "off"),
    "always-broadcast": ("false", "off"),
    "boot-unknown-clients": ("true", "on"),
    "update-static-leases": ("false", "off"),
    "get-lease-hostnames": ("false", "off"),
    "use-lease-addr-for-default-route": ("false", "off"),
}
LIFETIMES = {
    "default-lease-time": "valid-lifetime",
    "max-lease-time": "max-valid-lifetime",
    "min-lease-time": "min-valid-lifetime",
}
# Kea keys each kind of Kea object takes (beyond options) -- where a parameter can go.
KEA_SCOPE_KEYS = {
    "root": None,  # everything
    "shared": None,
    "subnet": None,
    "class": {
        "valid-lifetime",
        "min-valid-lifetime",
        "max-valid-lifetime",
        "next-server",
        "boot-file-name",
        "server-hostname",
    },
    "host": {"next-server", "boot-file-name", "server-hostname"},
    "pool": set(),
}
GLOBAL_ONLY = {"echo-client-id"}
FLAG_WORDS = {"true": True, "on": True, "false": False, "off": False}
HW_TYPES = {"ethernet": 1, "token-ring": 6, "fddi": 8, "infiniband": 32}


@dataclass
class OptSetting:
    info: OptionInfo
    payload: bytes
    line: int
    as_hex: bool = False  # given as a hex list or an expression: written as hex, csv-format false


@dataclass
class Scope:
    kind: str  # root shared subnet pool host group class subclass
    line: int
    parent: Scope | None
    name: str = ""
    params: dict[str, tuple[Any, int]] = field(default_factory=dict)
    options: list[OptSetting] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)  # child Scopes, Notes and Comments, in order
    option_notes: list[Note] = field(default_factory=list)
    # subnet
    network: ipaddress.IPv4Network | None = None
    subnet_id: int = 0
    ranges: list[tuple[int, int, int]] = field(default_factory=list)  # (low, high, line)
    interface: str = ""
    # pool permits: (allow?, what, class name, line)
    permits: list[tuple[bool, str, str, int]] = field(default_factory=list)
    # host
    hw: str = ""
    client_id: bytes | None = None
    circuit_id: bytes | None = None
    fixed: list[str] = field(default_factory=list)
    # class / subclass
    match_if: ex.Expr | None = None
    match: ex.Expr | None = None
    match_line: int = 0
    superclass: Scope | None = None
    selector: ex.Expr | None = None
    subclasses: int = 0
    vendor_space: str = ""
    kea: dict[str, Any] | None = None  # the Kea object built for it (subnets: filled in pass 2)

    def chain(self) -> Iterator[Scope]:
        s: Scope | None = self
        while s is not None:
            yield s
            s = s.parent

    def groups(self) -> list[Scope]:
        out = []
        s = self.parent
        while s is not None and s.kind == "group":
            out.append(s)
            s = s.parent
        return out

    def declared_in(self) -> Scope:
        """The nearest enclosing scope that is not a group."""
        s = self.parent
        while s is not None and s.kind == "group":
            s = s.parent
        assert s is not None
        return s


class DhcpdTranslator:
    def __init__(self, source: str, interfaces: Iterable[str] = ()) -> None:
        self.source = source
        self.extra_interfaces = list(interfaces)
        self.root = Scope("root", 0, None)
        self.options: dict[tuple[str, str], OptionInfo] = dict(standard_options())
        self.spaces: dict[str, int | None] = {"dhcp": None, "agent": None}  # user spaces -> vendor id
        self.vendor_spaces: dict[str, int] = {}  # dhcpd space -> enterprise number (vivso)
        self.encapsulated: dict[str, int] = {}  # dhcpd space -> dhcp option code that carries it
        self.definitions: list[OptionInfo] = []
        self.classes: dict[str, Scope] = {}
        self.notes: list[Note] = []
        self.subnet_count = 0
        self.server_duid_line = 0
        self.interfaces: list[str] = []

    # ---------------------------------------------------------------------------------- helpers

    def fail(self, where: Statement | Token | int, message: str) -> MigrationError:
        if isinstance(where, int):
            return MigrationError(self.source, where, message)
        return MigrationError(where.source, where.line, message)

    def note(
        self, scope: Scope, stmt: Statement, why: str, *, what: str | None = None, option: bool = False
    ) -> None:
        n = Note(stmt.source, stmt.line, what or stmt.text(), why)
        self.notes.append(n)
        if option:
            scope.option_notes.append(n)
        else:
            scope.items.append(n)

    def info(self, scope: Scope, *lines: str) -> None:
        scope.items.append(Comment(*lines))

    @staticmethod
    def args(stmt: Statement) -> list[Token]:
        return stmt.head[1:]

    def flag(self, stmt: Statement, toks: list[Token]) -> bool:
        if not toks:
            return True  # `authoritative;`-style flags default to on
        if len(toks) != 1 or toks[0].kind != "word" or toks[0].value.lower() not in FLAG_WORDS:
            raise self.fail(toks[0] if toks else stmt, "boolean value (true/false/on/off) expected")
        return FLAG_WORDS[toks[0].value.lower()]

    def number(self, stmt: Statement, toks: list[Token]) -> int:
        if len(toks) != 1 or toks[0].kind != "word" or not toks[0].value.isdigit():
            raise self.fail(toks[0] if toks else stmt, f"{stmt.keyword}: a number expected")
        return int(toks[0].value)

    def string(self, stmt: Statement, toks: list[Token]) -> str:
        if len(toks) != 1 or toks[0].kind != "string":
            raise self.fail(toks[0] if toks else stmt, f"{stmt.keyword}: a quoted string expected")
        return toks[0].value

    def address(self, stmt: Statement, toks: list[Token]) -> str:
        if len(toks) != 1 or toks[0].kind != "word":
            raise self.fail(toks[0] if toks else stmt, f"{stmt.keyword}: an address expected")
        text = toks[0].value
        if IPV4.match(text):
            try:
                return str(ipaddress.IPv4Address(text))
            except ValueError:
                raise self.fail(toks[0], f"{text} is not an IPv4 address") from None
        raise NeedsDns(text)

    def set_param(self, scope: Scope, key: str, value: Any, stmt: Statement) -> None:
        allowed = KEA_SCOPE_KEYS.get(scope.kind if scope.kind != "subclass" else "class")
        if scope.kind == "group" or allowed is None or key in allowed:
            if key in GLOBAL_ONLY and scope.kind != "root":
                self.note(scope, stmt, f"{key} can only be set globally in Kea")
                return
            scope.params[key] = (value, stmt.line)
            return
        if scope.kind == "pool" and key in ("valid-lifetime", "min-valid-lifetime", "max-valid-lifetime"):
            scope.params[key] = (value, stmt.line)  # moved to the subnet when written (Kea pools have none)
            return
        self.note(
            scope,
            stmt,
            f"Kea has no {key} for a {scope.kind} (only for global, shared-network and subnet scopes)",
        )

    # ---------------------------------------------------------------------------------- pass 1

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

    # -- parameters in Kea terms

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

    # -- options

    def resolve_option(self, tok: Token) -> OptionInfo:
        name = tok.value
        if "." in name:
            space, _, short = name.partition(".")
        else:
            space, short = "dhcp", name
        if space not in self.spaces and space not in BUILTIN_SPACES:
            raise self.fail(tok, f"no option space named {space}.")
        if space == "server":
            return OptionInfo("server", short, 0, DType(("string",)))
        info = self.options.get((space, short.lower()))
        if info is None:
            if space in BUILTIN_SPACES:
                raise Untranslatable(f"option {name}: {BUILTIN_SPACES[space] or 'not supported'}")
            raise self.fail(tok, f"unknown option {space}.{short}")
        return info

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
                stmt.end_line,
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

    # ---------------------------------------------------------------------------------- pass 2

    def kea_space(self, space: str) -> str:
        if space in DHCPD_SPACES:
            return DHCPD_SPACES[space]
        if space in self.vendor_spaces:
            return f"vendor-{self.vendor_spaces[space]}"
        return space

    def expr_space(self, info: OptionInfo) -> tuple[str, int | None]:
        if info.space in self.vendor_spaces:
            return "vendor", self.vendor_spaces[info.space]
        if info.space in self.encapsulated:
            return "encapsulated", self.encapsulated[info.space]
        return "", None

    def kea_def(self, info: OptionInfo) -> optiondef.OptionDef | None:
        space = self.kea_space(info.space)
        if info.line is None or (info.space == "dhcp" and options4.by_code(info.code) is not None):
            return options4.STANDARD.by_code(info.code, space)
        mapped = kea_definition(info.dtype)
        if mapped is None:
            return None
        kind, array, record = mapped
        try:
            return options4.make_def(
                info.code, info.name, space, kind, array, record, info.dtype.encapsulate
            )
        except ValueError:
            return None

    def option_entry(self, setting: OptSetting) -> dict[str, Any]:
        info = setting.info
        space = self.kea_space(info.space)
        defn = self.kea_def(info)
        entry: dict[str, Any] = {"space": space}
        if info.space == "dhcp" and info.code in KEA_LACKS:
            entry["code"] = info.code
        else:
            entry["name"] = defn.name if defn is not None and info.line is None else info.name
            if info.space == "dhcp" and info.line is not None and defn is not None:
                entry["name"] = defn.name
            entry["code"] = info.code
        if defn is not None and defn.type == "empty" and not setting.payload:
            return entry
        # Values of options whose Kea 2.2 text differs from edge-dhcp's, and values for standard codes a
        # configuration redefined in its own format, are written as hex: both servers read hex alike.
        hex_only = setting.as_hex or info.code in FORCE_HEX_CODES and info.space == "dhcp"
        if info.space == "dhcp" and info.line is not None and options4.by_code(info.code) is not None:
            hex_only = True
        put_data(entry, defn, setting.payload, hex_only)
        return entry

    def option_list(self, scope: Scope, extra: list[Scope]) -> list[Any]:
        """Kea option-data for a scope: its own settings, then those of `extra` scopes it inherits from
        (first wins), with notes for untranslatable ones where they stood."""
        out: list[Any] = []
        seen: set[tuple[str, int]] = set()
        vivso: set[int] = set()
        for source in [scope, *extra]:
            if source is scope:
                out.extend(n.comment() for n in source.option_notes)
            for setting in source.options:
                key = (setting.info.space, setting.info.code)
                if key in seen:
                    continue
                seen.add(key)
                enterprise = self.vendor_spaces.get(setting.info.space)
                if enterprise is not None and enterprise not in vivso:
                    vivso.add(enterprise)
                    out.append(
                        {"space": "dhcp4", "name": "vivso-suboptions", "code": 125, "data": str(enterprise)}
                    )
                out.append(self.option_entry(setting))
        return out

    def merged_params(self, scope: Scope, extra: list[Scope]) -> dict[str, tuple[Any, int]]:
        out = dict(scope.params)
        for source in extra:
            for key, value in source.params.items():
                out.setdefault(key, value)
        return out

    def place(self, obj: dict[str, Any], scope: Scope) -> None:
        """Comments and notes that stand in a scope go into its Kea object, in order."""
        for item in scope.items:
            if isinstance(item, Note):
                obj[item.comment()] = None
            elif isinstance(item, Comment):
                obj[item] = None

    def apply_params(self, obj: dict[str, Any], params: dict[str, tuple[Any, int]], kind: str) -> None:
        allowed = KEA_SCOPE_KEYS.get(kind)
        for key, (value, _line) in params.items():
            if key in ("use-host-decl-names", "unknown-clients", "known-clients", "hostname"):
                continue
            if allowed is not None and key not in allowed:
                continue
            obj[key] = value

    def build(self) -> Result:
        d4: dict[str, Any] = {}
        self.place(d4, self.root)
        self.apply_params(d4, self.root.params, "root")
        self.d4 = d4
        self.subnets_out: list[dict[str, Any]] = []
        self.networks_out: list[dict[str, Any]] = []
        self.classes_out: list[Any] = []
        self.reservations_out: list[Any] = []
        self.pools_out: list[tuple[dict[str, Any], Scope]] = []
        self.generated_classes: dict[str, dict[str, Any]] = {}
        self.walk(self.root, self.subnets_out)
        for pool, scope in self.pools_out:
            self.guard_pool(pool, scope)
        interfaces = list(dict.fromkeys(self.extra_interfaces + self.interfaces))
        if interfaces:
            d4["interfaces-config"] = {"interfaces": interfaces}
        elif self.subnets_out or self.networks_out:
            d4[
                Comment(
                    "This configuration declares subnets but no interfaces: dhcpd took them from its",
                    'command line. Add "interfaces-config": {"interfaces": [...]}, or rerun with -i.',
                )
            ] = None
        defs = [self.definition(info) for info in self.definitions]
        defs = [d for d in defs if d is not None]
        if defs:
            d4["option-def"] = defs
        options = self.option_list(self.root, [])
        if options or self.root.option_notes:
            d4["option-data"] = options
        classes = self.classes_out + list(self.generated_classes.values())
        if classes:
            d4["client-classes"] = classes
        if self.networks_out:
            d4["shared-networks"] = self.networks_out
        if self.subnets_out:
            d4["subnet4"] = self.subnets_out
        if self.reservations_out:
            kinds = []
            for r in self.reservations_out:
                if isinstance(r, dict):
                    for k in ("client-id", "circuit-id", "hw-address"):
                        if k in r and k not in kinds:
                            kinds.append(k)
            order = [k for k in ("circuit-id", "client-id", "hw-address") if k in kinds]
            d4["host-reservation-identifiers"] = order
            d4[
                Comment(
                    "dhcpd hosts are global: they become global reservations (reservations-global), "
                    "as keama's",
                    'reservation-mode "global" did; Kea 2.x spells it with these two flags.',
                )
            ] = None
            d4["reservations-global"] = True
            d4["reservations-in-subnet"] = False
            d4["reservations"] = self.reservations_out
        header = [f"Converted from ISC dhcpd configuration {self.source} by edge-dhcp migrate dhcpd."]
        return Result({"Dhcp4": d4}, self.notes, header)

    def definition(self, info: OptionInfo) -> dict[str, Any] | None:
        if info.space == "dhcp" and options4.by_code(info.code) is not None:
            return None
        if info.dtype.fields == ("encap",) and info.space == "vendor":
            return None
        out: dict[str, Any] = {"space": self.kea_space(info.space), "name": info.name, "code": info.code}
        mapped = kea_definition(info.dtype)
        if mapped is None:
            out["type"] = "binary"
            return out
        kind, array, record = mapped
        out["type"] = kind
        if array:
            out["array"] = True
        if record:
            out["record-types"] = record
        if info.dtype.encapsulate:
            out["encapsulate"] = self.kea_space(info.dtype.encapsulate)
        return out

    def walk(self, scope: Scope, subnets: list[dict[str, Any]]) -> None:
        for item in scope.items:
            if not isinstance(item, Scope):
                continue
            if item.kind == "group":
                self.walk(item, subnets)
            elif item.kind == "shared":
                self.networks_out.append(self.network(item))
            elif item.kind == "subnet":
                subnets.append(self.subnet_out(item))
            elif item.kind == "host":
                self.reservations_out.extend(self.reservation(item))
            elif item.kind in ("class", "subclass"):
                self.classes_out.append(self.class_out(item))
            elif item.kind == "pool":
                self.pool_out(item)

    def network(self, scope: Scope) -> dict[str, Any]:
        obj: dict[str, Any] = {"name": scope.name}
        self.place(obj, scope)
        groups = scope.groups()
        subnets: list[dict[str, Any]] = []
        scope.kea = obj
        obj["subnet4"] = subnets
        self.walk(scope, subnets)
        if scope.interface:
            obj["interface"] = scope.interface
        options = self.option_list(scope, groups)
        if options or scope.option_notes:
            obj["option-data"] = options
        self.apply_params(obj, self.merged_params(scope, groups), "shared")
        return obj

    def subnet_out(self, scope: Scope) -> dict[str, Any]:
        assert scope.network is not None
        obj: dict[str, Any] = {"id": scope.subnet_id, "subnet": str(scope.network)}
        scope.kea = obj
        self.place(obj, scope)
        groups = scope.groups()
        self.apply_params(obj, self.merged_params(scope, groups), "subnet")
        options = self.option_list(scope, groups)
        if options or scope.option_notes:
            obj["option-data"] = options
        for low, high, line in scope.ranges:
            pool = {"pool": f"{ipaddress.IPv4Address(low)} - {ipaddress.IPv4Address(high)}"}
            self.check_in_subnet(scope, low, high, line)
            obj.setdefault("pools", []).append(pool)
            self.pools_out.append((pool, scope))
        self.walk(scope, [])
        if scope.interface:
            obj["interface"] = scope.interface
        return obj

    def check_in_subnet(self, subnet: Scope, low: int, high: int, line: int) -> None:
        assert subnet.network is not None
        net = subnet.network
        if not (int(net.network_address) <= low and high <= int(net.broadcast_address)):
            raise self.fail(
                line,
                f"range {ipaddress.IPv4Address(low)} {ipaddress.IPv4Address(high)} is not "
                f"within subnet {net}",
            )

    def pool_out(self, scope: Scope) -> None:
        owner = scope.declared_in()
        candidates: list[Scope] = []
        if owner.kind == "subnet":
            candidates = [owner]
            network = owner.declared_in()
            if network.kind == "shared":
                candidates += [s for s in self.subnets_of(network) if s is not owner]
        elif owner.kind == "shared":
            candidates = self.subnets_of(owner)
        options = self.option_list(scope, [])
        for low, high, line in scope.ranges:
            target = next(
                (
                    s
                    for s in candidates
                    if s.network is not None
                    and int(s.network.network_address) <= low
                    and high <= int(s.network.broadcast_address)
                ),
                None,
            )
            if target is None or target.kea is None:
                raise self.fail(
                    line,
                    f"range {ipaddress.IPv4Address(low)} {ipaddress.IPv4Address(high)} is "
                    "not within any subnet of this network",
                )
            pool: dict[str, Any] = {}
            self.place(pool, scope)
            if options or scope.option_notes:
                pool["option-data"] = options
            pool["pool"] = f"{ipaddress.IPv4Address(low)} - {ipaddress.IPv4Address(high)}"
            target.kea.setdefault("pools", []).append(pool)
            self.pools_out.append((pool, scope))
            for key in ("valid-lifetime", "min-valid-lifetime", "max-valid-lifetime"):
                if key in scope.params:
                    value, pline = scope.params[key]
                    if key not in target.kea:
                        target.kea[
                            Comment(f"{key} moved from a pool (line {pline}): Kea pools have none")
                        ] = None
                        target.kea[key] = value
                    elif target.kea[key] != value:
                        n = Note(
                            self.source,
                            pline,
                            f"{key} {value} in a pool",
                            "Kea pools have no lease times and the subnet has its own",
                        )
                        self.notes.append(n)
                        pool[n.comment()] = None
        if not scope.ranges:
            n = Note(
                self.source, scope.line, "pool without a range", "a Kea pool is a range; nothing to allocate"
            )
            self.notes.append(n)
            if owner.kea is not None:
                owner.kea[n.comment()] = None

    def subnets_of(self, network: Scope) -> list[Scope]:
        out = []
        for item in network.items:
            if isinstance(item, Scope):
                if item.kind == "subnet":
                    out.append(item)
                elif item.kind == "group":
                    out.extend(self.subnets_of(item))
        return out

    def guard_pool(self, pool: dict[str, Any], scope: Scope) -> None:
        """Turn permits and `deny unknown-clients` into one client-class on the Kea pool."""
        conditions: list[tuple[str, str]] = []  # (kea test, readable)
        reasons: list[str] = []
        allows = [p for p in scope.permits if p[0] and p[1] != "all"]
        denies = [p for p in scope.permits if not p[0]]
        if any(p[1] == "all" for p in denies):
            n = Note(
                self.source,
                scope.line,
                "deny all clients",
                "a pool nobody may use; Kea has no such pool, it was written without a guard",
            )
            self.notes.append(n)
            pool[n.comment()] = None
        allow_terms = []
        for _, what, name, _line in allows:
            term = self.permit_test(what, name)
            allow_terms.append(f"({term})" if " or " in term and len(allows) > 1 else term)
            reasons.append(f"allow {self.permit_text(what, name)}")
        if allow_terms:
            conditions.append((" or ".join(f"({t})" if len(allow_terms) > 1 else t for t in allow_terms), ""))
        for _, what, name, _line in denies:
            if what == "all":
                continue
            term = self.permit_test(what, name)
            conditions.append((f"not ({term})" if " or " in term else f"not {term}", ""))
            reasons.append(f"deny {self.permit_text(what, name)}")
        if True:  # a scope-wide `deny unknown-clients` applies to every pool in the scope
            for s in scope.chain():
                if "unknown-clients" in s.params:
                    if not s.params["unknown-clients"][0]:
                        conditions.append(("member('KNOWN')", ""))
                        reasons.append("deny unknown-clients")
                    break
                if "known-clients" in s.params:
                    if not s.params["known-clients"][0]:
                        conditions.append(("member('UNKNOWN')", ""))
                        reasons.append("deny known-clients")
                    break
        if not conditions:
            return
        tests = [c for c, _ in conditions]
        single = {
            "member('KNOWN')": "KNOWN",
            "member('UNKNOWN')": "UNKNOWN",
            "not member('KNOWN')": "UNKNOWN",
            "not member('UNKNOWN')": "KNOWN",
        }
        if len(tests) == 1 and tests[0] in single:
            name = single[tests[0]]
        elif len(tests) == 1 and tests[0].startswith("member('") and tests[0].count("member(") == 1:
            name = tests[0][len("member('") : -2]
        else:
            test = " and ".join(f"({t})" for t in tests) if len(tests) > 1 else tests[0]
            name = "pool-guard-" + str(len(self.generated_classes) + 1)
            for existing, cls in self.generated_classes.items():
                if cls["test"] == test:
                    name = existing
                    break
            else:
                self.generated_classes[name] = {
                    Comment(f"made for a pool's permits: {'; '.join(reasons)}"): None,
                    "name": name,
                    "test": test,
                }
        pool[Comment("From:", *(f"  {r}" for r in reasons))] = None
        pool["client-class"] = name

    def permit_test(self, what: str, name: str) -> str:
        if what == "known":
            return "member('KNOWN')"
        if what == "unknown":
            return "member('UNKNOWN')"
        cls = self.classes.get(name)
        if cls is not None and cls.match is not None and cls.subclasses:
            # Members of a superclass are the clients in any of its subclasses (Kea's sub# classes).
            return " or ".join(f"member('sub#{name}#{i}')" for i in range(cls.subclasses))
        return f"member('{name}')"

    @staticmethod
    def permit_text(what: str, name: str) -> str:
        return {"known": "known clients", "unknown": "unknown clients"}.get(what, f'members of "{name}"')

    def reservation(self, scope: Scope) -> list[Any]:
        out: list[Any] = []
        groups = scope.groups()
        params = self.merged_params(scope, groups)
        obj: dict[str, Any] = {}
        self.place(obj, scope)
        use_names = next(
            (s.params["use-host-decl-names"][0] for s in scope.chain() if "use-host-decl-names" in s.params),
            False,
        )
        # dhcpd gives a host its declaration's name only with use-host-decl-names (keama always writes it,
        # but Kea sends a reservation's hostname to clients that ask for option 12, which dhcpd does not).
        if "hostname" in params:
            obj["hostname"] = params["hostname"][0]
        elif use_names:
            obj["hostname"] = scope.name
        if scope.hw:
            obj["hw-address"] = scope.hw
        if scope.client_id is not None:
            obj["client-id"] = scope.client_id.hex(":") if scope.client_id else ""
        if scope.circuit_id is not None:
            obj["circuit-id"] = scope.circuit_id.hex(":")
        if not (scope.hw or scope.client_id or scope.circuit_id):
            n = Note(
                self.source,
                scope.line,
                f"host {scope.name}",
                "it has no hardware address, client identifier or circuit-id, so no client can match it",
            )
            self.notes.append(n)
            return [n.comment()]
        addresses = []
        for text in scope.fixed:
            if IPV4.match(text):
                addresses.append(text)
            else:
                n = Note(
                    self.source,
                    scope.line,
                    f"fixed-address {text} of host {scope.name}",
                    f"{text} is a host name: dhcpd looks it up in DNS when it starts; give the address",
                )
                self.notes.append(n)
                obj[n.comment()] = None
        if addresses:
            obj["ip-address"] = addresses[0]
            if len(addresses) > 1:
                n = Note(
                    self.source,
                    scope.line,
                    f"fixed-address {', '.join(addresses)} of host {scope.name}",
                    "a Kea reservation holds one address; the first one was kept",
                )
                self.notes.append(n)
                obj[n.comment()] = None
        options = self.option_list(scope, groups)
        if use_names and not any(isinstance(o, dict) and o.get("code") == 12 for o in options):
            options.append({"space": "dhcp4", "name": "host-name", "code": 12, "data": scope.name})
        if options or scope.option_notes:
            obj["option-data"] = options
        self.apply_params(obj, params, "host")
        for key in params:
            if key not in KEA_SCOPE_KEYS["host"] and key not in (
                "use-host-decl-names",
                "hostname",
                "unknown-clients",
                "known-clients",
            ):
                line = params[key][1]
                n = Note(
                    self.source,
                    line,
                    f"{key} for host {scope.name}",
                    "a Kea reservation takes only options, next-server, boot-file-name and server-hostname",
                )
                self.notes.append(n)
                obj[n.comment()] = None
        if not any(
            k in obj
            for k in (
                "ip-address",
                "hostname",
                "option-data",
                "next-server",
                "boot-file-name",
                "server-hostname",
            )
        ):
            # Kea wants every reservation to give something; what a bare dhcpd host gives is "known".
            obj[Comment("a host with nothing to give but being known (allow/deny known-clients)")] = None
            obj["client-classes"] = ["KNOWN"]
        out.append(obj)
        return out

    def class_out(self, scope: Scope) -> Any:
        obj: dict[str, Any] = {}
        groups = scope.groups()
        if scope.kind == "subclass":
            sup = scope.superclass
            assert sup is not None and sup.match is not None and scope.selector is not None
            obj["name"] = f"sub#{sup.name}#{scope.subclasses}"
            self.place(obj, scope)
            try:
                match = ex.to_kea(sup.match, self.expr_space)
                test = f"{match} == {ex.to_kea(scope.selector)}"
                if sup.match_if is not None:
                    test = f"({ex.to_kea(sup.match_if, self.expr_space)}) and ({test})"
                obj[Comment(f"subclass of {sup.name}, selector {ex.describe(scope.selector)}")] = None
                obj["test"] = test
            except Untranslatable as u:
                n = Note(self.source, scope.line, f"subclass {sup.name} {ex.describe(scope.selector)}", u.why)
                self.notes.append(n)
                obj[n.comment()] = None
            extra = [sup, *groups]
        else:
            obj["name"] = scope.name
            self.place(obj, scope)
            if scope.match is not None:
                obj[Comment(f"match: {ex.describe(scope.match)} (see the sub# classes)")] = None
            if scope.match_if is not None:
                try:
                    obj["test"] = ex.to_kea(scope.match_if, self.expr_space)
                except Untranslatable as u:
                    n = Note(self.source, scope.line, f"match if {ex.describe(scope.match_if)}", u.why)
                    self.notes.append(n)
                    obj[n.comment()] = None
            extra = groups
        vendor_space = scope.vendor_space or next((s.vendor_space for s in extra if s.vendor_space), "")
        if vendor_space:
            obj["option-def"] = [
                {
                    "name": "vendor-encapsulated-options",
                    "code": 43,
                    "type": "empty",
                    "encapsulate": self.kea_space(vendor_space),
                }
            ]
        options = self.option_list(scope, extra)
        if vendor_space:
            options.insert(0, {"name": "vendor-encapsulated-options", "code": 43})
        if options or scope.option_notes:
            obj["option-data"] = options
        params = self.merged_params(scope, extra)
        self.apply_params(obj, params, "class")
        for key, (_value, line) in params.items():
            if key not in KEA_SCOPE_KEYS["class"] and key not in ("use-host-decl-names",):
                n = Note(
                    self.source,
                    line,
                    f"{key} in class {scope.name}",
                    "a Kea class takes only options, lease times, next-server, boot-file-name and "
                    "server-hostname",
                )
                self.notes.append(n)
                obj[n.comment()] = None
        return obj


def translate_text(text: str, source: str = "<dhcpd.conf>", interfaces: Iterable[str] = ()) -> Result:
    t = DhcpdTranslator(source, interfaces)
    t.read(read_text(text, source))
    return t.build()


def translate_file(path: str, interfaces: Iterable[str] = ()) -> Result:
    t = DhcpdTranslator(path, interfaces)
    t.read(read_file(path))
    return t.build()
