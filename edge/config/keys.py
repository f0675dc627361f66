"""The key-table rows both families share: the sections of Kea's daemon maps that mean the same in Dhcp4
and Dhcp6, built once and placed into each family's table (edge/dhcp4/keys.py, edge/dhcp6/keys.py).

Rules this module keeps:
- A row is here only when its name, type, default and status are the same in both of Kea 2.2's DHCP
  daemons. Where a default differs (calculate-tee-times, t1/t2-percent, host-reservation-identifiers,
  dhcp-queue-control) or a key exists in one daemon only, the row is in the family's table.
- Object kinds carry the same names in both tables (`subnet` is each family's subnet4 / subnet6 kind), so
  shared code can ask either table about "the subnet kind" without knowing the family.
- Rows that depend on the family (the option space, the option code range, where a kind sits) are built by
  functions taking a `FamilyKeys` description.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.config.schema import (
    BOOL,
    OPAQUE,
    PARSED,
    STR,
    U32,
    Enum,
    Int,
    Key,
    List,
    Map,
    MapList,
    Real,
)

__all__ = [
    "AUTH",
    "AUTH_CLIENT",
    "CLASS",
    "COMPAT",
    "CONTROL",
    "DDNS",
    "EXPIRED",
    "HOOK",
    "HOSTS_DB",
    "HTTP_HEADER",
    "IFACES",
    "LEASE_DB",
    "LOGGER",
    "LOG_OUTPUT",
    "OPTION_DATA",
    "OPTION_DEF",
    "POOL",
    "RELAY",
    "RESERVATION",
    "SANITY",
    "SHARED",
    "THREADS",
    "FamilyKeys",
    "common_rows",
    "section_kind_paths",
]

# Object kinds both tables have (the family adds its root, `subnet` and its own kinds).
IFACES = "interfaces-config"
LEASE_DB = "lease-database"
HOSTS_DB = "hosts-database"
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


@dataclass(frozen=True, slots=True)
class FamilyKeys:
    """What the shared rows need to know about a family's table."""

    root: str  # "Dhcp4": the daemon's kind and top-level key
    subnet: str  # the subnet kind's name and key: "subnet4"
    space: str  # the top-level option space: "dhcp4"
    max_code: int  # the largest option code: 255 or 65535
    guarded: tuple[str, ...]  # kinds a client class may guard: shared network, subnet, pool(s)
    with_options: tuple[str, ...]  # kinds that take option-data

    @property
    def scopes(self) -> tuple[str, ...]:
        """Where inherited scope parameters may be given: global -> shared network -> subnet."""
        return (self.root, SHARED, self.subnet)


def section_kind_paths(root: str, subnet: str) -> dict[str, tuple[str, ...]]:
    """Where the shared kinds sit in a `root` document (for messages and documentation)."""
    return {
        IFACES: (f"{root}.interfaces-config",),
        LEASE_DB: (f"{root}.lease-database",),
        HOSTS_DB: (f"{root}.hosts-database", f"{root}.hosts-databases[]"),
        POOL: (f"{root}.{subnet}[].pools[]",),
        SHARED: (f"{root}.shared-networks[]",),
        RELAY: (f"{root}.{subnet}[].relay", f"{root}.shared-networks[].relay"),
        RESERVATION: (f"{root}.reservations[]", f"{root}.{subnet}[].reservations[]"),
        OPTION_DATA: (f"{root}.option-data[]", f"{root}.{subnet}[].option-data[]", "...option-data[]"),
        OPTION_DEF: (f"{root}.option-def[]",),
        CLASS: (f"{root}.client-classes[]",),
        CONTROL: (f"{root}.control-socket", f"{root}.control-sockets[]"),
        AUTH: (f"{root}.control-sockets[].authentication",),
        AUTH_CLIENT: (f"{root}.control-sockets[].authentication.clients[]",),
        HTTP_HEADER: (f"{root}.control-sockets[].http-headers[]",),
        LOGGER: (f"{root}.loggers[]",),
        LOG_OUTPUT: (f"{root}.loggers[].output-options[]", f"{root}.loggers[].output_options[]"),
        EXPIRED: (f"{root}.expired-leases-processing",),
        THREADS: (f"{root}.multi-threading",),
        DDNS: (f"{root}.dhcp-ddns",),
        SANITY: (f"{root}.sanity-checks",),
        HOOK: (f"{root}.hooks-libraries[]",),
        COMPAT: (f"{root}.compatibility",),
    }


_DB_TEXT = ("user", "password", "host", "on-fail", "trust-anchor", "cert-file", "key-file", "cipher-list")
_DB_INTS = (
    "port",
    "connect-timeout",
    "read-timeout",
    "write-timeout",
    "tcp-user-timeout",
    "reconnect-wait-time",
    "max-reconnect-tries",
)

P = PARSED


def common_rows(f: FamilyKeys) -> list[Key]:
    """Every shared row, placed in `f`'s kinds."""
    return [
        *_daemon_rows(f),
        *_scope_rows(f),
        *_option_rows(f),
        *_class_and_scope_object_rows(f),
        *_section_rows(),
    ]


# fmt: off
def _daemon_rows(f: FamilyKeys) -> list[Key]:
    """Keys of the daemon map itself that both daemons take alike."""
    root = (f.root,)
    return [
        Key("interfaces-config", root, Map(IFACES), {}),
        Key("lease-database", root, Map(LEASE_DB), {}),
        Key("hosts-database", root, Map(HOSTS_DB), note='host reservations in a TinyDB file ("type": "tinydb")'),
        Key("hosts-databases", root, MapList(HOSTS_DB)),
        Key("decline-probation-period", root, Int(), 86400),
        Key(f.subnet, (f.root, SHARED), MapList(f.subnet), []),
        Key("shared-networks", root, MapList(SHARED), []),
        Key("client-classes", root, MapList(CLASS), []),
        Key("reservations", (f.root, f.subnet), MapList(RESERVATION), []),
        Key("ip-reservations-unique", root, BOOL, True),
        Key("early-global-reservations-lookup", root, BOOL, False),
        Key("reservations-lookup-first", root, BOOL, False),
        Key("expired-leases-processing", root, Map(EXPIRED), {}),
        Key("control-socket", root, Map(CONTROL), note="Kea <= 2.6 spelling"),
        Key("control-sockets", root, MapList(CONTROL), note="Kea >= 2.7 spelling"),
        Key("loggers", root, MapList(LOGGER)),
        Key("dhcp-ddns", root, Map(DDNS), {}),
        Key("multi-threading", root, Map(THREADS), {}, P),
        Key("hooks-libraries", root, MapList(HOOK), [], P),
        Key("server-tag", root, STR, "", P),
        Key("sanity-checks", root, Map(SANITY), {}, P),
        Key("dhcp4o6-port", root, Int(0, 65535), 0, P),
        Key("statistic-default-sample-count", root, Int(), 20, P),
        Key("statistic-default-sample-age", root, Int(), 0, P),
        Key("parked-packet-limit", root, Int(), 256, P),
        Key("config-control", root, Map(OPAQUE), status=P),
        Key("compatibility", root, Map(COMPAT), status=P),
    ]


def _scope_rows(f: FamilyKeys) -> list[Key]:
    """Scope parameters (global -> shared network -> subnet) with the same default in both daemons."""
    s = f.scopes
    return [
        Key("valid-lifetime", s, Int(), 7200, inherit=True),
        Key("min-valid-lifetime", s, Int(), inherit=True),
        Key("max-valid-lifetime", s, Int(), inherit=True),
        Key("renew-timer", s, Int(), inherit=True),
        Key("rebind-timer", s, Int(), inherit=True),
        Key("reservations-global", s, BOOL, False, inherit=True),
        Key("reservations-in-subnet", s, BOOL, True, inherit=True),
        Key("reservations-out-of-pool", s, BOOL, False, inherit=True),
        Key("reservation-mode", s, Enum("disabled", "out-of-pool", "global", "all"), inherit=True,
            note="old Kea spelling; mapped to reservations-global/-in-subnet/-out-of-pool"),
        Key("store-extended-info", s, BOOL, False, P, inherit=True),
        Key("cache-threshold", s, Real(0, 1), status=P, inherit=True),
        Key("cache-max-age", s, Int(), status=P, inherit=True),
        Key("ddns-send-updates", s, BOOL, True, inherit=True),
        Key("ddns-override-no-update", s, BOOL, False, inherit=True),
        Key("ddns-override-client-update", s, BOOL, False, inherit=True),
        Key("ddns-replace-client-name", s,
            Enum("never", "always", "when-present", "when-not-present"), "never", inherit=True),
        Key("ddns-generated-prefix", s, STR, "myhost", inherit=True),
        Key("ddns-qualifying-suffix", s, STR, "", inherit=True),
        Key("ddns-update-on-renew", s, BOOL, False, inherit=True),
        Key("ddns-use-conflict-resolution", s, BOOL, True, inherit=True,
            note="Kea <= 2.4 spelling; true is check-with-dhcid, false no-check-with-dhcid"),
        Key("ddns-conflict-resolution-mode", s,
            Enum("check-with-dhcid", "no-check-with-dhcid", "check-exists-with-dhcid", "no-check-without-dhcid"),
            inherit=True, note="Kea >= 2.5"),
        Key("ddns-ttl-percent", s, Real(0, 1), inherit=True, note="Kea >= 2.5"),
        Key("ddns-ttl", s, Int(), inherit=True, note="Kea >= 2.7"),
        Key("ddns-ttl-min", s, Int(), inherit=True, note="Kea >= 2.7"),
        Key("ddns-ttl-max", s, Int(), inherit=True, note="Kea >= 2.7"),
        Key("hostname-char-set", s, STR, "[^A-Za-z0-9.-]", inherit=True),
        Key("hostname-char-replacement", s, STR, "", inherit=True),
        Key("allocator", s, Enum("iterative", "random", "flq"), status=P, inherit=True, note="Kea >= 2.4"),
    ]


def _option_rows(f: FamilyKeys) -> list[Key]:
    """option-data wherever it may be given, its entries, and option definitions, in `f`'s space."""
    return [
        Key("option-data", f.with_options, MapList(OPTION_DATA), []),
        Key("name", (OPTION_DATA,), STR),
        Key("code", (OPTION_DATA,), Int(0, f.max_code)),
        Key("space", (OPTION_DATA,), STR, f.space),
        Key("data", (OPTION_DATA,), STR),
        Key("csv-format", (OPTION_DATA,), BOOL, True),
        Key("always-send", (OPTION_DATA,), BOOL, False),
        Key("never-send", (OPTION_DATA,), BOOL, note="Kea >= 2.4"),
        Key("client-classes", (OPTION_DATA,), List(), status=P, note="Kea >= 2.7 option class-tagging"),
        Key("name", (OPTION_DEF,), STR, required=True),
        Key("code", (OPTION_DEF,), Int(0, f.max_code), required=True),
        Key("space", (OPTION_DEF,), STR, f.space),
        Key("type", (OPTION_DEF,), STR, required=True),
        Key("array", (OPTION_DEF,), BOOL, False),
        Key("record-types", (OPTION_DEF,), STR, ""),
        Key("encapsulate", (OPTION_DEF,), STR, ""),
    ]


def _class_and_scope_object_rows(f: FamilyKeys) -> list[Key]:
    """Client classes, the guards that name them, shared networks, subnets, pools, relays, reservations."""
    g = f.guarded
    return [
        # client-class guards and additional classes (Kea 2.2 and later spellings)
        Key("client-class", g, STR, note="Kea <= 2.6: one class guarding this scope"),
        Key("client-classes", g, List(), note="Kea >= 2.7: classes guarding this scope"),
        Key("require-client-classes", g, List(), note="Kea <= 2.6 spelling"),
        Key("evaluate-additional-classes", g, List(), note="Kea >= 2.7 spelling"),
        # shared networks, subnets, pools, relays
        Key("name", (SHARED,), STR, required=True),
        Key("interface", (SHARED, f.subnet), STR),
        Key("relay", (SHARED, f.subnet), Map(RELAY), {"ip-addresses": []}),
        Key("id", (f.subnet,), Int(0, U32 - 1)),
        Key("subnet", (f.subnet,), STR, required=True),
        Key("pools", (f.subnet,), MapList(POOL), []),
        Key("pool", (POOL,), STR, required=True),
        Key("pool-id", (POOL,), Int(), status=P, note="Kea >= 2.5"),
        *(Key(name, (POOL,), BOOL, status=P, note="Kea >= 2.7 (pool-level DDNS)")
          for name in ("ddns-send-updates", "ddns-override-no-update", "ddns-override-client-update",
                       "ddns-update-on-renew")),
        *(Key(name, (POOL,), STR, status=P, note="Kea >= 2.7 (pool-level DDNS)")
          for name in ("ddns-replace-client-name", "ddns-generated-prefix", "ddns-qualifying-suffix",
                       "ddns-conflict-resolution-mode", "hostname-char-set", "hostname-char-replacement")),
        *(Key(name, (POOL,), Int(), status=P, note="Kea >= 2.7 (pool-level DDNS)")
          for name in ("ddns-ttl", "ddns-ttl-min", "ddns-ttl-max")),
        Key("ddns-ttl-percent", (POOL,), Real(0, 1), status=P, note="Kea >= 2.7 (pool-level DDNS)"),
        Key("ip-address", (RELAY,), STR, note="old spelling of ip-addresses with one address"),
        Key("ip-addresses", (RELAY,), List()),
        # host reservations: the identifiers and fields both families have
        Key("hw-address", (RESERVATION,), STR),
        Key("duid", (RESERVATION,), STR),
        Key("flex-id", (RESERVATION,), STR),
        Key("hostname", (RESERVATION,), STR, ""),
        Key("client-classes", (RESERVATION,), List(), []),
        # client classes
        Key("name", (CLASS,), STR, required=True),
        Key("test", (CLASS,), STR),
        Key("only-if-required", (CLASS,), BOOL, note="Kea <= 2.6 spelling"),
        Key("only-in-additional-list", (CLASS,), BOOL, note="Kea >= 2.7 spelling"),
        Key("valid-lifetime", (CLASS,), Int()),
        Key("min-valid-lifetime", (CLASS,), Int()),
        Key("max-valid-lifetime", (CLASS,), Int()),
        Key("template-test", (CLASS,), STR, status=P, note="Kea >= 2.5 (class templates)"),
    ]


def _section_rows() -> list[Key]:
    """The sections whose content is the same in both daemons."""
    return [
        # interfaces (the family adds its socket keys)
        Key("interfaces", (IFACES,), List(), []),
        Key("re-detect", (IFACES,), BOOL, True),
        Key("service-sockets-require-all", (IFACES,), BOOL),
        Key("service-sockets-max-retries", (IFACES,), Int()),
        Key("service-sockets-retry-wait-time", (IFACES,), Int()),

        # lease database (memfile; the SQL keys are parsed so the "only memfile" error is the one shown)
        Key("type", (LEASE_DB,), STR, "memfile"),
        Key("persist", (LEASE_DB,), BOOL, True),
        Key("name", (LEASE_DB,), STR),
        Key("lfc-interval", (LEASE_DB,), Int(), 3600),
        Key("sync", (LEASE_DB,), Enum("batch", "always", "none"),
            note='edge-dhcp extension (Kea rejects it): when an ACKed lease is on disk; default "batch"'),
        Key("max-row-errors", (LEASE_DB,), Int(), status=P),
        Key("ssl-mode", (LEASE_DB,), STR, status=P, note="Kea >= 2.7 (PostgreSQL)"),
        *(Key(name, (LEASE_DB,), STR, status=P) for name in _DB_TEXT),
        *(Key(name, (LEASE_DB,), Int(), status=P) for name in _DB_INTS),
        Key("readonly", (LEASE_DB,), BOOL, status=P),
        Key("retry-on-startup", (LEASE_DB,), BOOL, status=P),

        # hosts databases: TinyDB files (the SQL keys are parsed so the "only tinydb" error is the one shown)
        Key("type", (HOSTS_DB,), STR, required=True),
        Key("name", (HOSTS_DB,), STR),
        *(Key(name, (HOSTS_DB,), STR, status=P) for name in _DB_TEXT),
        *(Key(name, (HOSTS_DB,), Int(), status=P) for name in (*_DB_INTS, "max-row-errors")),
        Key("ssl-mode", (HOSTS_DB,), STR, status=P, note="Kea >= 2.7 (PostgreSQL)"),
        Key("readonly", (HOSTS_DB,), BOOL, status=P),
        Key("retry-on-startup", (HOSTS_DB,), BOOL, status=P),

        # control sockets
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

        # loggers
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

        # expired-leases-processing
        Key("reclaim-timer-wait-time", (EXPIRED,), Int(), 10),
        Key("flush-reclaimed-timer-wait-time", (EXPIRED,), Int(), 25),
        Key("hold-reclaimed-time", (EXPIRED,), Int(), 3600),
        Key("max-reclaim-leases", (EXPIRED,), Int(), 100),
        Key("max-reclaim-time", (EXPIRED,), Int(), 250),
        Key("unwarned-reclaim-cycles", (EXPIRED,), Int(), 5),

        # multi-threading, sanity checks, hooks (parsed only); DDNS (see edge/config/d2.py)
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
    ]
# fmt: on
