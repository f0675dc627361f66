"""The Dhcp6 key table: Kea 2.2's DHCPv6 keys on the shared key-table engine (edge/config/schema.py).

Rules this module keeps:
- The rows both families share come from edge/config/keys.py; the rows here are those only DHCPv6 has
  (subnet6, pd-pools, preferred lifetimes, rapid-commit, interface-id, server-id, data-directory,
  mac-sources, relay-supplied-options, v6 reservations' ip-addresses and prefixes) and those whose Kea 2.2
  default is DHCPv6's own: calculate-tee-times true, t1-percent 0.5 and t2-percent 0.8 (of the preferred
  lifetime: Dhcpv6Srv::setTeeTimes), host-reservation-identifiers ["hw-address", "duid"], dhcp-queue-control
  with kea-ring6 (src/lib/dhcpsrv/parsers/simple_parser6.cc).
- Kea's later spellings are rows too, as in the Dhcp4 table (control-sockets, output-options, client-classes
  on guards, evaluate-additional-classes, only-in-additional-list, pool-id, the ddns-ttl keys, allocator and
  pd-allocator, excluded-prefixes); keys Kea added that edge-dhcp does not act on are `parsed`.
- TABLE is the one table the Dhcp6 loader validates and fills defaults with.
"""

from __future__ import annotations

from edge.config.keys import (
    CLASS,
    COMPAT,
    OPTION_DEF,
    POOL,
    RESERVATION,
    SHARED,
    FamilyKeys,
    common_rows,
    section_kind_paths,
)
from edge.config.schema import BOOL, OPAQUE, PARSED, STR, Enum, Int, Key, KeyTable, List, Map, MapList, Real

__all__ = ["DHCP6", "FAMILY", "HOST_IDS", "MAC_SOURCES", "PD_POOL", "SERVER_ID", "SUBNET", "TABLE"]

DHCP6 = "Dhcp6"
SUBNET = "subnet6"
PD_POOL = "pd-pool"
SERVER_ID = "server-id"

FAMILY = FamilyKeys(
    root=DHCP6,
    subnet=SUBNET,
    space="dhcp6",
    max_code=65535,
    guarded=(SHARED, SUBNET, POOL, PD_POOL),
    with_options=(DHCP6, SHARED, SUBNET, POOL, PD_POOL, CLASS, RESERVATION),
)

KIND_PATHS: dict[str, tuple[str, ...]] = {
    DHCP6: ("Dhcp6",),
    SUBNET: ("Dhcp6.subnet6[]", "Dhcp6.shared-networks[].subnet6[]"),
    **section_kind_paths(DHCP6, SUBNET),
    PD_POOL: ("Dhcp6.subnet6[].pd-pools[]",),
    SERVER_ID: ("Dhcp6.server-id",),
}

HOST_IDS = ("hw-address", "duid", "flex-id")
# Kea 2.2's MAC address sources (src/lib/dhcpsrv/cfg_mac_source.cc), with their RFC-number aliases.
MAC_SOURCES = (
    "any",
    "raw",
    "duid",
    "ipv6-link-local",
    "client-link-addr-option",
    "rfc6939",
    "remote-id",
    "rfc4649",
    "subscriber-id",
    "rfc4580",
    "docsis-cmts",
    "docsis-modem",
)
SCOPES = FAMILY.scopes
NETWORKS = (SHARED, SUBNET)
P = PARSED

# fmt: off
ROWS: tuple[Key, ...] = (
    # ---- Dhcp6 only
    Key("data-directory", (DHCP6,), STR, note="where the server-id file is kept"),
    Key("option-def", (DHCP6,), MapList(OPTION_DEF), []),
    Key("host-reservation-identifiers", (DHCP6,), List(Enum(*HOST_IDS)), ["hw-address", "duid"]),
    Key("mac-sources", (DHCP6,), List(Enum(*MAC_SOURCES)), ["any"]),
    Key("relay-supplied-options", (DHCP6,), List(), ["65"],
        note="options a relay may supply for the client (RFC 6422); 65 (erp-local-domain-name) always"),
    Key("server-id", (DHCP6,), Map(SERVER_ID),
        {"type": "LLT", "identifier": "", "time": 0, "htype": 0, "enterprise-id": 0, "persist": True}),
    Key("dhcp-queue-control", (DHCP6,), Map(OPAQUE),
        {"enable-queue": False, "queue-type": "kea-ring6", "capacity": 64}, P),
    Key("allow-address-registration", (DHCP6,), BOOL, status=P, note="Kea >= 3.0 (RFC 9686)"),
    Key("delegated-prefix-routes", (DHCP6,), BOOL,
        note="edge-dhcp extension (Kea rejects it): a kernel route per delegated prefix via the router "
             "it was delegated to (edge/dhcp6/routes.py); default false"),

    # ---- scope parameters with DHCPv6's defaults, and those only DHCPv6 has
    Key("preferred-lifetime", SCOPES, Int(), 3600, inherit=True),
    Key("min-preferred-lifetime", SCOPES, Int(), inherit=True),
    Key("max-preferred-lifetime", SCOPES, Int(), inherit=True),
    Key("calculate-tee-times", SCOPES, BOOL, True, inherit=True),
    Key("t1-percent", SCOPES, Real(0, 1), 0.5, inherit=True),
    Key("t2-percent", SCOPES, Real(0, 1), 0.8, inherit=True),
    Key("pd-allocator", SCOPES, Enum("iterative", "random", "flq"), status=P, inherit=True, note="Kea >= 2.4"),
    Key("adaptive-lease-time-threshold", SCOPES, Real(0, 1), status=P, inherit=True, note="Kea >= 2.7"),
    Key("rapid-commit", NETWORKS, BOOL, note="a subnet in a shared network takes its network's"),
    Key("interface-id", NETWORKS, STR),

    # ---- subnets and prefix-delegation pools
    Key("pd-pools", (SUBNET,), MapList(PD_POOL), []),
    Key("prefix", (PD_POOL,), STR, required=True),
    Key("prefix-len", (PD_POOL,), Int(1, 128), required=True),
    Key("delegated-len", (PD_POOL,), Int(1, 128), required=True),
    Key("excluded-prefix", (PD_POOL,), STR, ""),
    Key("excluded-prefix-len", (PD_POOL,), Int(0, 128), 0),
    Key("pool-id", (PD_POOL,), Int(), status=P, note="Kea >= 2.5"),

    # ---- host reservations and classes
    Key("ip-addresses", (RESERVATION,), List(), []),
    Key("prefixes", (RESERVATION,), List(), []),
    Key("excluded-prefixes", (RESERVATION,), List(), status=P, note="Kea >= 2.7 (RFC 6603 per reservation)"),
    Key("preferred-lifetime", (CLASS,), Int()),
    Key("min-preferred-lifetime", (CLASS,), Int()),
    Key("max-preferred-lifetime", (CLASS,), Int()),

    # ---- server-id (the server's DUID)
    Key("type", (SERVER_ID,), Enum("LLT", "EN", "LL"), required=True),
    Key("identifier", (SERVER_ID,), STR, ""),
    Key("time", (SERVER_ID,), Int(), 0),
    Key("htype", (SERVER_ID,), Int(0, 65535), 0),
    Key("enterprise-id", (SERVER_ID,), Int(), 0),
    Key("persist", (SERVER_ID,), BOOL, True),

    # ---- compatibility
    Key("lenient-option-parsing", (COMPAT,), BOOL),
)
# fmt: on

# Keys that are not Kea DHCPv6 keys at all, but that people carry over from elsewhere.
HINTS = {
    "Logging": ' (the old top-level "Logging" section; its "loggers" list goes in Dhcp6.loggers)',
    "output-option": ' (did you mean "output_options"?)',
    "pool": ' (subnets list their pools in "pools": [{"pool": "a - b"}])',
    "dhcp-socket-type": " (DHCPv6 always uses UDP sockets; the key is Dhcp4's)",
}

TABLE = KeyTable(DHCP6, KIND_PATHS, (*common_rows(FAMILY), *ROWS), HINTS)
