"""The Dhcp4 key table: Kea 2.2's DHCPv4 keys on the shared key-table engine (edge/config/schema.py).

Rules this module keeps:
- The rows both families share come from edge/config/keys.py; the rows here are those only DHCPv4 has
  (subnet4, the BOOTP fixed fields, match-client-id, authoritative, circuit-id and client-id reservations,
  4o6 keys, the raw/udp socket type) and those whose Kea 2.2 default is DHCPv4's own (calculate-tee-times
  false, t2-percent 0.875, host-reservation-identifiers, dhcp-queue-control's kea-ring4).
- TABLE is the one table the Dhcp4 loader validates and fills defaults with.
"""

from __future__ import annotations

from edge.config.keys import (
    CLASS,
    COMPAT,
    IFACES,
    OPTION_DEF,
    POOL,
    RESERVATION,
    SHARED,
    FamilyKeys,
    common_rows,
    section_kind_paths,
)
from edge.config.schema import BOOL, OPAQUE, PARSED, STR, Enum, Int, Key, KeyTable, List, Map, MapList, Real

__all__ = ["DHCP4", "FAMILY", "HOST_IDS", "SUBNET", "TABLE"]

DHCP4 = "Dhcp4"
SUBNET = "subnet4"

FAMILY = FamilyKeys(
    root=DHCP4,
    subnet=SUBNET,
    space="dhcp4",
    max_code=255,
    guarded=(SHARED, SUBNET, POOL),
    with_options=(DHCP4, SHARED, SUBNET, POOL, CLASS, RESERVATION),
)

KIND_PATHS: dict[str, tuple[str, ...]] = {
    DHCP4: ("Dhcp4",),
    SUBNET: ("Dhcp4.subnet4[]", "Dhcp4.shared-networks[].subnet4[]"),
    **section_kind_paths(DHCP4, SUBNET),
    OPTION_DEF: ("Dhcp4.option-def[]", "Dhcp4.client-classes[].option-def[]"),
}

HOST_IDS = ("hw-address", "duid", "circuit-id", "client-id", "flex-id")
SCOPES = FAMILY.scopes
P = PARSED

# fmt: off
ROWS: tuple[Key, ...] = (
    # ---- Dhcp4 only
    Key("echo-client-id", (DHCP4,), BOOL, True),
    Key("option-def", (DHCP4, CLASS), MapList(OPTION_DEF), []),
    Key("host-reservation-identifiers", (DHCP4,), List(Enum(*HOST_IDS)),
        ["hw-address", "duid", "circuit-id", "client-id"]),
    Key("dhcp-queue-control", (DHCP4,), Map(OPAQUE),
        {"enable-queue": False, "queue-type": "kea-ring4", "capacity": 64}, P),
    Key("stash-agent-options", (DHCP4,), BOOL, status=P, note="Kea >= 2.6"),

    # ---- scope parameters with DHCPv4's defaults, and those only DHCPv4 has
    Key("calculate-tee-times", SCOPES, BOOL, False, inherit=True),
    Key("t1-percent", SCOPES, Real(0, 1), 0.5, inherit=True),
    Key("t2-percent", SCOPES, Real(0, 1), 0.875, inherit=True),
    Key("match-client-id", SCOPES, BOOL, True, inherit=True),
    Key("authoritative", SCOPES, BOOL, False, inherit=True),
    Key("next-server", SCOPES, STR, "0.0.0.0", inherit=True),
    Key("server-hostname", SCOPES, STR, "", inherit=True),
    Key("boot-file-name", SCOPES, STR, "", inherit=True),
    Key("offer-lifetime", (*SCOPES, CLASS), Int(), status=P, note="Kea >= 2.6"),

    # ---- subnets
    Key("4o6-interface", (SUBNET,), STR, "", P),
    Key("4o6-interface-id", (SUBNET,), STR, "", P),
    Key("4o6-subnet", (SUBNET,), STR, "", P),

    # ---- host reservations and classes: the v4 identifiers and the BOOTP fixed fields
    Key("client-id", (RESERVATION,), STR),
    Key("circuit-id", (RESERVATION,), STR),
    Key("ip-address", (RESERVATION,), STR),
    Key("next-server", (RESERVATION, CLASS), STR, "0.0.0.0"),
    Key("server-hostname", (RESERVATION, CLASS), STR, ""),
    Key("boot-file-name", (RESERVATION, CLASS), STR, ""),

    # ---- interfaces: the v4 socket kinds
    Key("dhcp-socket-type", (IFACES,), Enum("raw", "udp"), "raw"),
    Key("outbound-interface", (IFACES,), Enum("same-as-inbound", "use-routing"), status=P),

    # ---- compatibility
    *(Key(name, (COMPAT,), BOOL)
      for name in ("lenient-option-parsing", "ignore-dhcp-server-identifier", "ignore-rai-link-selection",
                   "exclude-first-last-24")),
)
# fmt: on

# Keys that are not Kea DHCPv4 keys at all, but that people carry over from elsewhere.
HINTS = {
    "Logging": ' (the old top-level "Logging" section; its "loggers" list goes in Dhcp4.loggers)',
    "output-option": ' (did you mean "output_options"?)',
    "pool": ' (subnets list their pools in "pools": [{"pool": "a - b"}])',
}

TABLE = KeyTable(DHCP4, KIND_PATHS, (*common_rows(FAMILY), *ROWS), HINTS)
