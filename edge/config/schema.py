"""The one table of Kea DHCPv4 configuration keys: where each may appear, its type, default and status.

Rules this module keeps:
- Every key edge-dhcp accepts is one row of KEYS; adding a key is adding a row. Nothing else in the
  loader lists key names for validation or defaults.
- A row names the kinds of object it may appear in (`Dhcp4`, `subnet4`, `pool`, ... see KIND_PATHS for
  where each kind sits in a document), a value type, a default, and a status:
    supported - acted on by edge-dhcp;
    parsed    - accepted and type-checked so Kea configurations load, but not acted on yet;
                `edge-dhcp check` warns when such a key is given a value other than its default.
- Keys not in the table are errors, with a "did you mean" suggestion when one is close.
- Defaults are Kea 2.2's (what `config-get` shows for a fresh server). A row marked `inherit` is a scope
  parameter (global -> shared network -> subnet): its default is filled in at `Dhcp4` only; lower scopes
  inherit, and the loader resolves them per subnet.
- Where Kea 2.2 and later Kea spell a key differently, both spellings are rows; the loader maps them.

Theory of operation: `validate` walks a parsed `Dhcp4` map against the table, kind by kind, reporting
unknown keys, wrong types and missing required keys to an IssueLog, and warnings for parsed-only keys.
`fill_defaults` returns a copy of a (valid) document with every default filled in, which becomes
`Config.raw`. Maps of kind OPAQUE (hook parameters, database credentials, user-context) are not looked
into.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge.config.errors import IssueLog
from edge.config.jsonpos import KeyPath

__all__ = [
    "KEYS",
    "KIND_PATHS",
    "PARSED",
    "SUPPORTED",
    "Key",
    "fill_defaults",
    "lookup",
    "parsed_keys",
    "validate",
]

SUPPORTED = "supported"
PARSED = "parsed"


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()
U32 = 2**32 - 1


# ----------------------------------------------------------------------------------------- value types


def show(value: Any) -> str:
    """A short description of a JSON value for messages: 'string "abc"', 'number 5', 'an object'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return 'string "' + text + '"'
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class ValueType:
    """What a value must look like. `check` returns None or what is wrong; `kind` names the object kind
    that a map (or each map of a list) is validated as."""

    name: str
    test: Callable[[Any], bool]
    kind: str | None = None  # for Map and MapList
    items: ValueType | None = None  # for lists of scalars

    def check(self, value: Any) -> str | None:
        if self.test(value):
            return None
        return f"expected {self.name}, got {show(value)}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def Int(lo: int = 0, hi: int = U32) -> ValueType:
    return ValueType(f"an integer from {lo} to {hi}", lambda v: _is_int(v) and lo <= v <= hi)


def Real(lo: float, hi: float) -> ValueType:
    return ValueType(
        f"a number from {lo} to {hi}",
        lambda v: (_is_int(v) or isinstance(v, float)) and lo <= v <= hi,
    )


BOOL = ValueType("true or false", lambda v: isinstance(v, bool))
STR = ValueType("a string", lambda v: isinstance(v, str))
ANY = ValueType("any value", lambda v: True)
OPAQUE = "*"  # a map kind whose content is not checked


def Enum(*choices: str) -> ValueType:
    listed = ", ".join(f'"{c}"' for c in choices)
    return ValueType(f"one of {listed}", lambda v: isinstance(v, str) and v in choices)


def List(items: ValueType = STR) -> ValueType:
    return ValueType(
        f"a list of {items.name.removeprefix('a ').removeprefix('an ')}s"
        if items is STR
        else f"a list, each {items.name}",
        lambda v: isinstance(v, list),
        items=items,
    )


def Map(kind: str) -> ValueType:
    return ValueType("an object", lambda v: isinstance(v, dict), kind=kind)


def MapList(kind: str) -> ValueType:
    return ValueType("a list of objects", lambda v: isinstance(v, list), kind=kind)


# ----------------------------------------------------------------------------------------- object kinds

DHCP4 = "Dhcp4"
IFACES = "interfaces-config"
LEASE_DB = "lease-database"
HOSTS_DB = "hosts-database"
SUBNET = "subnet4"
POOL = "pool"
SHARED = "shared-network"
RELAY = "relay"
RESERVATION = "reservation"
OPTION_DATA = "option-data"
OPTION_DEF = "option-def"
CLASS = "client-class"
CONTROL = "control-socket"
AUTH = "authentication"
AUTH_CLIENT = "authentication-client"
HTTP_HEADER = "http-header"
LOGGER = "logger"
LOG_OUTPUT = "logger-output"
EXPIRED = "expired-leases-processing"
THREADS = "multi-threading"
DDNS = "dhcp-ddns"
SANITY = "sanity-checks"
HOOK = "hooks-library"
COMPAT = "compatibility"

# Where each kind of object sits in a document (for documentation and messages).
KIND_PATHS: dict[str, tuple[str, ...]] = {
    DHCP4: ("Dhcp4",),
    IFACES: ("Dhcp4.interfaces-config",),
    LEASE_DB: ("Dhcp4.lease-database",),
    HOSTS_DB: ("Dhcp4.hosts-database", "Dhcp4.hosts-databases[]"),
    SUBNET: ("Dhcp4.subnet4[]", "Dhcp4.shared-networks[].subnet4[]"),
    POOL: ("Dhcp4.subnet4[].pools[]",),
    SHARED: ("Dhcp4.shared-networks[]",),
    RELAY: ("Dhcp4.subnet4[].relay", "Dhcp4.shared-networks[].relay"),
    RESERVATION: ("Dhcp4.reservations[]", "Dhcp4.subnet4[].reservations[]"),
    OPTION_DATA: ("Dhcp4.option-data[]", "Dhcp4.subnet4[].option-data[]", "...option-data[]"),
    OPTION_DEF: ("Dhcp4.option-def[]", "Dhcp4.client-classes[].option-def[]"),
    CLASS: ("Dhcp4.client-classes[]",),
    CONTROL: ("Dhcp4.control-socket", "Dhcp4.control-sockets[]"),
    AUTH: ("Dhcp4.control-sockets[].authentication",),
    AUTH_CLIENT: ("Dhcp4.control-sockets[].authentication.clients[]",),
    HTTP_HEADER: ("Dhcp4.control-sockets[].http-headers[]",),
    LOGGER: ("Dhcp4.loggers[]",),
    LOG_OUTPUT: ("Dhcp4.loggers[].output-options[]", "Dhcp4.loggers[].output_options[]"),
    EXPIRED: ("Dhcp4.expired-leases-processing",),
    THREADS: ("Dhcp4.multi-threading",),
    DDNS: ("Dhcp4.dhcp-ddns",),
    SANITY: ("Dhcp4.sanity-checks",),
    HOOK: ("Dhcp4.hooks-libraries[]",),
    COMPAT: ("Dhcp4.compatibility",),
}

ALL_KINDS = tuple(KIND_PATHS)
SCOPES = (DHCP4, SHARED, SUBNET)  # where inherited scope parameters may be given
GUARDED = (SHARED, SUBNET, POOL)  # what client classes can guard


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    kinds: tuple[str, ...]
    type: ValueType
    default: Any = NO_DEFAULT
    status: str = SUPPORTED
    inherit: bool = False  # scope parameter: default only at Dhcp4, resolved per subnet
    required: bool = False
    note: str = ""

    def patterns(self) -> list[str]:
        """Key path patterns this row covers, e.g. ['Dhcp4.subnet4[].pools[].pool']."""
        return [f"{base}.{self.name}" for kind in self.kinds for base in KIND_PATHS[kind]]


S, P = SUPPORTED, PARSED
HOST_IDS = ("hw-address", "duid", "circuit-id", "client-id", "flex-id")

# fmt: off
KEYS: tuple[Key, ...] = (
    # ---- everywhere
    Key("comment", ALL_KINDS, STR),
    Key("user-context", ALL_KINDS, Map(OPAQUE)),

    # ---- Dhcp4 only
    Key("interfaces-config", (DHCP4,), Map(IFACES), {}),
    Key("lease-database", (DHCP4,), Map(LEASE_DB), {}),
    Key("hosts-database", (DHCP4,), Map(HOSTS_DB), note='host reservations in a TinyDB file ("type": "tinydb")'),
    Key("hosts-databases", (DHCP4,), MapList(HOSTS_DB)),
    Key("echo-client-id", (DHCP4,), BOOL, True),
    Key("decline-probation-period", (DHCP4,), Int(), 86400),
    Key("option-def", (DHCP4, CLASS), MapList(OPTION_DEF), []),
    Key("subnet4", (DHCP4, SHARED), MapList(SUBNET), []),
    Key("shared-networks", (DHCP4,), MapList(SHARED), []),
    Key("client-classes", (DHCP4,), MapList(CLASS), []),
    Key("reservations", (DHCP4, SUBNET), MapList(RESERVATION), []),
    Key("host-reservation-identifiers", (DHCP4,), List(Enum(*HOST_IDS)),
        ["hw-address", "duid", "circuit-id", "client-id"]),
    Key("ip-reservations-unique", (DHCP4,), BOOL, True),
    Key("early-global-reservations-lookup", (DHCP4,), BOOL, False),
    Key("reservations-lookup-first", (DHCP4,), BOOL, False),
    Key("expired-leases-processing", (DHCP4,), Map(EXPIRED), {}),
    Key("control-socket", (DHCP4,), Map(CONTROL), note="Kea <= 2.6 spelling"),
    Key("control-sockets", (DHCP4,), MapList(CONTROL), note="Kea >= 2.7 spelling"),
    Key("loggers", (DHCP4,), MapList(LOGGER)),
    Key("dhcp-ddns", (DHCP4,), Map(DDNS), {}),
    Key("multi-threading", (DHCP4,), Map(THREADS), {}, P),
    Key("hooks-libraries", (DHCP4,), MapList(HOOK), [], P),
    Key("server-tag", (DHCP4,), STR, "", P),
    Key("sanity-checks", (DHCP4,), Map(SANITY), {}, P),
    Key("dhcp4o6-port", (DHCP4,), Int(0, 65535), 0, P),
    Key("statistic-default-sample-count", (DHCP4,), Int(), 20, P),
    Key("statistic-default-sample-age", (DHCP4,), Int(), 0, P),
    Key("parked-packet-limit", (DHCP4,), Int(), 256, P),
    Key("config-control", (DHCP4,), Map(OPAQUE), status=P),
    Key("dhcp-queue-control", (DHCP4,), Map(OPAQUE),
        {"enable-queue": False, "queue-type": "kea-ring4", "capacity": 64}, P),
    Key("compatibility", (DHCP4,), Map(COMPAT), status=P),
    Key("stash-agent-options", (DHCP4,), BOOL, status=P, note="Kea >= 2.6"),

    # ---- scope parameters: global -> shared network -> subnet
    Key("valid-lifetime", SCOPES, Int(), 7200, inherit=True),
    Key("min-valid-lifetime", SCOPES, Int(), inherit=True),
    Key("max-valid-lifetime", SCOPES, Int(), inherit=True),
    Key("renew-timer", SCOPES, Int(), inherit=True),
    Key("rebind-timer", SCOPES, Int(), inherit=True),
    Key("calculate-tee-times", SCOPES, BOOL, False, inherit=True),
    Key("t1-percent", SCOPES, Real(0, 1), 0.5, inherit=True),
    Key("t2-percent", SCOPES, Real(0, 1), 0.875, inherit=True),
    Key("match-client-id", SCOPES, BOOL, True, inherit=True),
    Key("authoritative", SCOPES, BOOL, False, inherit=True),
    Key("next-server", SCOPES, STR, "0.0.0.0", inherit=True),
    Key("server-hostname", SCOPES, STR, "", inherit=True),
    Key("boot-file-name", SCOPES, STR, "", inherit=True),
    Key("reservations-global", SCOPES, BOOL, False, inherit=True),
    Key("reservations-in-subnet", SCOPES, BOOL, True, inherit=True),
    Key("reservations-out-of-pool", SCOPES, BOOL, False, inherit=True),
    Key("reservation-mode", SCOPES, Enum("disabled", "out-of-pool", "global", "all"), inherit=True,
        note="old Kea spelling; mapped to reservations-global/-in-subnet/-out-of-pool"),
    Key("store-extended-info", SCOPES, BOOL, False, P, inherit=True),
    Key("cache-threshold", SCOPES, Real(0, 1), status=P, inherit=True),
    Key("cache-max-age", SCOPES, Int(), status=P, inherit=True),
    Key("ddns-send-updates", SCOPES, BOOL, True, inherit=True),
    Key("ddns-override-no-update", SCOPES, BOOL, False, inherit=True),
    Key("ddns-override-client-update", SCOPES, BOOL, False, inherit=True),
    Key("ddns-replace-client-name", SCOPES,
        Enum("never", "always", "when-present", "when-not-present"), "never", inherit=True),
    Key("ddns-generated-prefix", SCOPES, STR, "myhost", inherit=True),
    Key("ddns-qualifying-suffix", SCOPES, STR, "", inherit=True),
    Key("ddns-update-on-renew", SCOPES, BOOL, False, inherit=True),
    Key("ddns-use-conflict-resolution", SCOPES, BOOL, True, inherit=True,
        note="Kea <= 2.4 spelling; true is check-with-dhcid, false no-check-with-dhcid"),
    Key("ddns-conflict-resolution-mode", SCOPES,
        Enum("check-with-dhcid", "no-check-with-dhcid", "check-exists-with-dhcid", "no-check-without-dhcid"),
        inherit=True, note="Kea >= 2.5"),
    Key("ddns-ttl-percent", SCOPES, Real(0, 1), inherit=True, note="Kea >= 2.5"),
    Key("ddns-ttl", SCOPES, Int(), inherit=True, note="Kea >= 2.7"),
    Key("ddns-ttl-min", SCOPES, Int(), inherit=True, note="Kea >= 2.7"),
    Key("ddns-ttl-max", SCOPES, Int(), inherit=True, note="Kea >= 2.7"),
    Key("hostname-char-set", SCOPES, STR, "[^A-Za-z0-9.-]", inherit=True),
    Key("hostname-char-replacement", SCOPES, STR, "", inherit=True),
    Key("allocator", SCOPES, Enum("iterative", "random", "flq"), status=P, inherit=True, note="Kea >= 2.4"),
    Key("offer-lifetime", (*SCOPES, CLASS), Int(), status=P, note="Kea >= 2.6"),

    # ---- options, everywhere they may be given
    Key("option-data", (DHCP4, SHARED, SUBNET, POOL, CLASS, RESERVATION), MapList(OPTION_DATA), []),

    # ---- client-class guards and additional classes (Kea 2.2 and later spellings)
    Key("client-class", GUARDED, STR, note="Kea <= 2.6: one class guarding this scope"),
    Key("client-classes", GUARDED, List(), note="Kea >= 2.7: classes guarding this scope"),
    Key("require-client-classes", GUARDED, List(), note="Kea <= 2.6 spelling"),
    Key("evaluate-additional-classes", GUARDED, List(), note="Kea >= 2.7 spelling"),

    # ---- shared networks and subnets
    Key("name", (SHARED,), STR, required=True),
    Key("interface", (SHARED, SUBNET), STR),
    Key("relay", (SHARED, SUBNET), Map(RELAY), {"ip-addresses": []}),
    Key("id", (SUBNET,), Int(0, U32 - 1)),
    Key("subnet", (SUBNET,), STR, required=True),
    Key("pools", (SUBNET,), MapList(POOL), []),
    Key("4o6-interface", (SUBNET,), STR, "", P),
    Key("4o6-interface-id", (SUBNET,), STR, "", P),
    Key("4o6-subnet", (SUBNET,), STR, "", P),
    Key("pool", (POOL,), STR, required=True),
    Key("pool-id", (POOL,), Int(), status=P, note="Kea >= 2.5"),
    Key("ip-address", (RELAY,), STR, note="old spelling of ip-addresses with one address"),
    Key("ip-addresses", (RELAY,), List()),

    # ---- host reservations
    Key("hw-address", (RESERVATION,), STR),
    Key("client-id", (RESERVATION,), STR),
    Key("circuit-id", (RESERVATION,), STR),
    Key("duid", (RESERVATION,), STR),
    Key("flex-id", (RESERVATION,), STR),
    Key("ip-address", (RESERVATION,), STR),
    Key("hostname", (RESERVATION,), STR, ""),
    Key("client-classes", (RESERVATION,), List(), []),
    Key("next-server", (RESERVATION, CLASS), STR, "0.0.0.0"),
    Key("server-hostname", (RESERVATION, CLASS), STR, ""),
    Key("boot-file-name", (RESERVATION, CLASS), STR, ""),

    # ---- client classes
    Key("name", (CLASS,), STR, required=True),
    Key("test", (CLASS,), STR),
    Key("only-if-required", (CLASS,), BOOL, note="Kea <= 2.6 spelling"),
    Key("only-in-additional-list", (CLASS,), BOOL, note="Kea >= 2.7 spelling"),
    Key("valid-lifetime", (CLASS,), Int()),
    Key("min-valid-lifetime", (CLASS,), Int()),
    Key("max-valid-lifetime", (CLASS,), Int()),
    Key("template-test", (CLASS,), STR, status=P, note="Kea >= 2.5 (class templates)"),

    # ---- option-data entries and option definitions
    Key("name", (OPTION_DATA,), STR),
    Key("code", (OPTION_DATA,), Int(0, 255)),
    Key("space", (OPTION_DATA,), STR, "dhcp4"),
    Key("data", (OPTION_DATA,), STR),
    Key("csv-format", (OPTION_DATA,), BOOL, True),
    Key("always-send", (OPTION_DATA,), BOOL, False),
    Key("never-send", (OPTION_DATA,), BOOL, note="Kea >= 2.4"),
    Key("client-classes", (OPTION_DATA,), List(), status=P, note="Kea >= 2.7 option class-tagging"),
    Key("name", (OPTION_DEF,), STR, required=True),
    Key("code", (OPTION_DEF,), Int(0, 255), required=True),
    Key("space", (OPTION_DEF,), STR, "dhcp4"),
    Key("type", (OPTION_DEF,), STR, required=True),
    Key("array", (OPTION_DEF,), BOOL, False),
    Key("record-types", (OPTION_DEF,), STR, ""),
    Key("encapsulate", (OPTION_DEF,), STR, ""),

    # ---- interfaces
    Key("interfaces", (IFACES,), List(), []),
    Key("dhcp-socket-type", (IFACES,), Enum("raw", "udp"), "raw"),
    Key("outbound-interface", (IFACES,), Enum("same-as-inbound", "use-routing"), status=P),
    Key("re-detect", (IFACES,), BOOL, True),
    Key("service-sockets-require-all", (IFACES,), BOOL),
    Key("service-sockets-max-retries", (IFACES,), Int()),
    Key("service-sockets-retry-wait-time", (IFACES,), Int()),

    # ---- lease database (memfile; the SQL keys are parsed so the "only memfile" error is the one shown)
    Key("type", (LEASE_DB,), STR, "memfile"),
    Key("persist", (LEASE_DB,), BOOL, True),
    Key("name", (LEASE_DB,), STR),
    Key("lfc-interval", (LEASE_DB,), Int(), 3600),
    Key("sync", (LEASE_DB,), Enum("batch", "always", "none"),
        note='edge-dhcp extension (Kea rejects it): when an ACKed lease is on disk; default "batch"'),
    Key("max-row-errors", (LEASE_DB,), Int(), status=P),
    *(Key(name, (LEASE_DB,), STR, status=P)
      for name in ("user", "password", "host", "on-fail", "trust-anchor", "cert-file", "key-file",
                   "cipher-list")),
    *(Key(name, (LEASE_DB,), Int(), status=P)
      for name in ("port", "connect-timeout", "read-timeout", "write-timeout", "tcp-user-timeout",
                   "reconnect-wait-time", "max-reconnect-tries")),
    Key("readonly", (LEASE_DB,), BOOL, status=P),
    Key("retry-on-startup", (LEASE_DB,), BOOL, status=P),

    # ---- hosts databases: TinyDB files (the SQL keys are parsed so the "only tinydb" error is the one shown)
    Key("type", (HOSTS_DB,), STR, required=True),
    Key("name", (HOSTS_DB,), STR),
    *(Key(name, (HOSTS_DB,), STR, status=P)
      for name in ("user", "password", "host", "on-fail", "trust-anchor", "cert-file", "key-file",
                   "cipher-list")),
    *(Key(name, (HOSTS_DB,), Int(), status=P)
      for name in ("port", "connect-timeout", "read-timeout", "write-timeout", "tcp-user-timeout",
                   "reconnect-wait-time", "max-reconnect-tries", "max-row-errors")),
    Key("readonly", (HOSTS_DB,), BOOL, status=P),
    Key("retry-on-startup", (HOSTS_DB,), BOOL, status=P),

    # ---- control sockets
    Key("socket-type", (CONTROL,), Enum("unix", "http", "https"), required=True),
    Key("socket-name", (CONTROL,), STR),
    Key("socket-address", (CONTROL,), STR),
    Key("socket-port", (CONTROL,), Int(1, 65535)),
    Key("socket-group", (CONTROL,), STR,
        note="edge-dhcp extension (Kea has no such key): the unix socket is made 0660 with this group"),
    Key("authentication", (CONTROL,), Map(AUTH)),
    Key("trust-anchor", (CONTROL,), STR),
    Key("cert-file", (CONTROL,), STR),
    Key("key-file", (CONTROL,), STR),
    Key("cert-required", (CONTROL,), BOOL),
    Key("http-headers", (CONTROL,), MapList(HTTP_HEADER)),
    Key("type", (AUTH,), Enum("basic"), required=True),
    Key("realm", (AUTH,), STR),
    Key("directory", (AUTH,), STR),
    Key("clients", (AUTH,), MapList(AUTH_CLIENT)),
    Key("user", (AUTH_CLIENT,), STR),
    Key("password", (AUTH_CLIENT,), STR),
    Key("user-file", (AUTH_CLIENT,), STR),
    Key("password-file", (AUTH_CLIENT,), STR),
    Key("name", (HTTP_HEADER,), STR, required=True),
    Key("value", (HTTP_HEADER,), STR, required=True),

    # ---- loggers
    Key("name", (LOGGER,), STR, required=True),
    Key("severity", (LOGGER,), Enum("FATAL", "ERROR", "WARN", "INFO", "DEBUG", "NONE"), "INFO"),
    Key("debuglevel", (LOGGER,), Int(0, 99), 0),
    Key("output_options", (LOGGER,), MapList(LOG_OUTPUT), note="Kea <= 2.4 spelling"),
    Key("output-options", (LOGGER,), MapList(LOG_OUTPUT), note="Kea >= 2.5 spelling"),
    Key("output", (LOG_OUTPUT,), STR, required=True),
    Key("maxsize", (LOG_OUTPUT,), Int(0, 2**63 - 1), 10240000),
    Key("maxver", (LOG_OUTPUT,), Int(), 1),
    Key("flush", (LOG_OUTPUT,), BOOL, True),
    Key("pattern", (LOG_OUTPUT,), STR, "", P, note="log4cplus layout patterns are not interpreted"),

    # ---- expired-leases-processing
    Key("reclaim-timer-wait-time", (EXPIRED,), Int(), 10),
    Key("flush-reclaimed-timer-wait-time", (EXPIRED,), Int(), 25),
    Key("hold-reclaimed-time", (EXPIRED,), Int(), 3600),
    Key("max-reclaim-leases", (EXPIRED,), Int(), 100),
    Key("max-reclaim-time", (EXPIRED,), Int(), 250),
    Key("unwarned-reclaim-cycles", (EXPIRED,), Int(), 5),

    # ---- multi-threading, sanity checks, hooks, compatibility (parsed only); DDNS (see edge/config/d2.py)
    Key("enable-multi-threading", (THREADS,), BOOL, False),
    Key("thread-pool-size", (THREADS,), Int(), 0),
    Key("packet-queue-size", (THREADS,), Int(), 64),
    Key("enable-updates", (DDNS,), BOOL, False),
    Key("server-ip", (DDNS,), STR, "127.0.0.1"),
    Key("server-port", (DDNS,), Int(0, 65535), 53001),
    Key("sender-ip", (DDNS,), STR, "0.0.0.0"),
    Key("sender-port", (DDNS,), Int(0, 65535), 0),
    Key("max-queue-size", (DDNS,), Int(), 1024),
    Key("ncr-protocol", (DDNS,), Enum("UDP", "TCP"), "UDP"),
    Key("ncr-format", (DDNS,), Enum("JSON"), "JSON"),
    *(Key(name, (DDNS,), STR, note="deprecated in Kea; use the ddns-* scope keys")
      for name in ("generated-prefix", "hostname-char-replacement", "hostname-char-set",
                   "qualifying-suffix", "replace-client-name")),
    *(Key(name, (DDNS,), BOOL, note="deprecated in Kea; use the ddns-* scope keys")
      for name in ("override-client-update", "override-no-update")),
    Key("lease-checks", (SANITY,), Enum("none", "warn", "fix", "fix-del", "del"), "warn"),
    Key("extended-info-checks", (SANITY,), Enum("none", "fix", "strict", "pedantic")),
    Key("library", (HOOK,), STR, required=True),
    Key("parameters", (HOOK,), Map(OPAQUE)),
    *(Key(name, (COMPAT,), BOOL)
      for name in ("lenient-option-parsing", "ignore-dhcp-server-identifier", "ignore-rai-link-selection",
                   "exclude-first-last-24")),
)
# fmt: on

_BY_KIND: dict[str, dict[str, Key]] = {}
for _row in KEYS:
    for _kind in _row.kinds:
        _table = _BY_KIND.setdefault(_kind, {})
        assert _row.name not in _table, f"two rows for {_kind}.{_row.name}"
        _table[_row.name] = _row


def lookup(kind: str, name: str) -> Key | None:
    return _BY_KIND.get(kind, {}).get(name)


def keys_of(kind: str) -> dict[str, Key]:
    return _BY_KIND.get(kind, {})


def parsed_keys() -> list[str]:
    """Every key path pattern that is accepted but not acted on (for documentation and the report)."""
    out: list[str] = []
    for row in KEYS:
        if row.status == PARSED:
            out.extend(row.patterns())
    return out


# ----------------------------------------------------------------------------------------- validation


# Keys that are not Kea DHCPv4 keys at all, but that people carry over from elsewhere.
_HINTS = {
    "Logging": ' (the old top-level "Logging" section; its "loggers" list goes in Dhcp4.loggers)',
    "output-option": ' (did you mean "output_options"?)',
    "pool": ' (subnets list their pools in "pools": [{"pool": "a - b"}])',
}


def _suggest(kind: str, name: str) -> str:
    if name in _HINTS and name not in keys_of(kind):
        return _HINTS[name]
    import difflib  # only for a message about a mistake: not loaded into a serving process otherwise

    here = difflib.get_close_matches(name, list(keys_of(kind)), n=1, cutoff=0.75)
    if here:
        return f'; did you mean "{here[0]}"?'
    elsewhere = sorted(k for k in ALL_KINDS if k != kind and name in keys_of(k))
    if elsewhere:
        places = " or ".join(KIND_PATHS[k][0] for k in elsewhere[:2])
        return f" (it belongs in {places})"
    return ""


def is_default(row: Key, value: Any) -> bool:
    """True when `value` behaves exactly like the row's default (so a parsed-only key changes nothing)."""
    if row.default is NO_DEFAULT:
        return False
    if row.type.kind is not None and row.type.kind != OPAQUE and isinstance(value, dict):
        children = keys_of(row.type.kind)
        return all(
            name in children and is_default(children[name], child)
            for name, child in value.items()
            if name not in ("comment", "user-context")
        )
    return bool(value == row.default and type(value) is type(row.default))


def validate(dhcp4: Any, log: IssueLog, path: KeyPath = ("Dhcp4",)) -> dict[str, Any] | None:
    """Check a parsed Dhcp4 map against the table, reporting to `log`.

    Returns a cleaned copy that later stages can trust: unknown keys and values of the wrong type are
    left out of maps; in lists they become None (so list indices, and so key paths, stay as written);
    an object missing a required key becomes None too. Returns None when `dhcp4` is not a map.
    """
    if not isinstance(dhcp4, dict):
        log.error(path, f"expected an object, got {show(dhcp4)}")
        return None
    return _validate_map(dhcp4, DHCP4, path, log, warned=False)


def validate_kind(obj: Any, kind: str, path: KeyPath, log: IssueLog) -> dict[str, Any] | None:
    """Check one map of `kind` (e.g. a reservation read from a hosts database) as `validate` would."""
    if not isinstance(obj, dict):
        log.error(path, f"expected an object, got {show(obj)}")
        return None
    return _validate_map(obj, kind, path, log, warned=True)


def _validate_map(
    obj: dict[str, Any], kind: str, path: KeyPath, log: IssueLog, warned: bool
) -> dict[str, Any] | None:
    table = keys_of(kind)
    clean: dict[str, Any] = {}
    complete = True
    for name, value in obj.items():
        key_path = path + (name,)
        row = table.get(name)
        if row is None:
            log.error(key_path, f'unknown key "{name}"{_suggest(kind, name)}', at_key=True)
            continue
        problem = row.type.check(value)
        if problem is not None:
            log.error(key_path, problem)
            complete = complete and not row.required
            continue
        warn_here = not warned and row.status == PARSED and not is_default(row, value)
        if warn_here:
            note = f" ({row.note})" if row.note else ""
            log.warning(key_path, f"accepted but not acted on by edge-dhcp yet{note}", at_key=True)
        child = _validate_children(row, value, key_path, log, warned or warn_here)
        if child is None and row.required:
            complete = False
        elif child is not None:
            clean[name] = child
    for name, row in table.items():
        if row.required and name not in obj:
            log.error(path, f'missing required key "{name}"')
            complete = False
    return clean if complete else None


def _validate_children(row: Key, value: Any, path: KeyPath, log: IssueLog, warned: bool) -> Any:
    vtype = row.type
    if vtype.kind == OPAQUE:
        return value
    if vtype.kind is not None:
        if isinstance(value, dict):
            return _validate_map(value, vtype.kind, path, log, warned)
        items: list[Any] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                items.append(_validate_map(item, vtype.kind, path + (i,), log, warned))
            else:
                log.error(path + (i,), f"expected an object, got {show(item)}")
                items.append(None)
        return items
    if vtype.items is not None:
        checked: list[Any] = []
        for i, item in enumerate(value):
            problem = vtype.items.check(item)
            if problem is not None:
                log.error(path + (i,), problem)
                checked.append(None)
            else:
                checked.append(item)
        return checked
    return value


# ----------------------------------------------------------------------------------------- defaults


def fill_defaults(obj: dict[str, Any], kind: str = DHCP4) -> dict[str, Any]:
    """A deep copy of a validated map of `kind` with the table's defaults filled in, recursively.
    Inherited scope parameters get their default only at Dhcp4."""
    out: dict[str, Any] = {}
    table = keys_of(kind)
    for name, value in obj.items():
        row = table.get(name)
        out[name] = _fill_value(row, value) if row is not None else _copy(value)
    for name, row in table.items():
        if name in out or row.default is NO_DEFAULT:
            continue
        if row.inherit and kind != DHCP4:
            continue
        out[name] = _fill_value(row, _copy(row.default))
    return out


def _fill_value(row: Key, value: Any) -> Any:
    kind = row.type.kind
    if kind is None or kind == OPAQUE:
        return _copy(value)
    if isinstance(value, dict):
        return fill_defaults(value, kind)
    if isinstance(value, list):
        return [fill_defaults(v, kind) if isinstance(v, dict) else _copy(v) for v in value]
    return _copy(value)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
