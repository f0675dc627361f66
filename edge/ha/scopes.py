"""Which HA scope a query belongs to, and whether this server answers it: Kea 2.2's QueryFilter.

Rules this module keeps (query_filter.cc at Kea-2.2.0, read, not copied):
- The servers of a relationship are ordered primary first, then the secondary or standby, then the
  backups; the load-balancing "active" servers are the primary and the secondary.
- Only DISCOVER, REQUEST, DECLINE, RELEASE and INFORM are filtered. Any other query is in scope and in
  the first server's class.
- load-balancing: the key is option 61's whole data (type octet included) when present and not empty,
  else chaddr (hlen octets); RFC 3074's hash of the key (its section 6 mixing table, start value the
  key's length, over the key from its last octet to its first) modulo the number of active servers is
  the index of the server whose scope the query is in. Without either key the query is in no scope.
- hot-standby and passive-backup: every filtered query is in the primary's scope.
- The query's class is "HA_" + the name of the scope's server; the query is answered when this server
  serves that scope now (`Scopes.served`, which the state machine sets: default, failover, none).
"""

from __future__ import annotations

from collections.abc import Iterable

from edge.ha.config import HaConfig

__all__ = ["FILTERED_TYPES", "Scopes", "lb_hash", "ordered_servers"]

# RFC 3074 section 6: the mixing table, 256 distinct octets.
MIXING_TABLE = bytes(
    [
        251,
        175,
        119,
        215,
        81,
        14,
        79,
        191,
        103,
        49,
        181,
        143,
        186,
        157,
        0,
        232,
        31,
        32,
        55,
        60,
        152,
        58,
        17,
        237,
        174,
        70,
        160,
        144,
        220,
        90,
        57,
        223,
        59,
        3,
        18,
        140,
        111,
        166,
        203,
        196,
        134,
        243,
        124,
        95,
        222,
        179,
        197,
        65,
        180,
        48,
        36,
        15,
        107,
        46,
        233,
        130,
        165,
        30,
        123,
        161,
        209,
        23,
        97,
        16,
        40,
        91,
        219,
        61,
        100,
        10,
        210,
        109,
        250,
        127,
        22,
        138,
        29,
        108,
        244,
        67,
        207,
        9,
        178,
        204,
        74,
        98,
        126,
        249,
        167,
        116,
        34,
        77,
        193,
        200,
        121,
        5,
        20,
        113,
        71,
        35,
        128,
        13,
        182,
        94,
        25,
        226,
        227,
        199,
        75,
        27,
        41,
        245,
        230,
        224,
        43,
        225,
        177,
        26,
        155,
        150,
        212,
        142,
        218,
        115,
        241,
        73,
        88,
        105,
        39,
        114,
        62,
        255,
        192,
        201,
        145,
        214,
        168,
        158,
        221,
        148,
        154,
        122,
        12,
        84,
        82,
        163,
        44,
        139,
        228,
        236,
        205,
        242,
        217,
        11,
        187,
        146,
        159,
        64,
        86,
        239,
        195,
        42,
        106,
        198,
        118,
        112,
        184,
        172,
        87,
        2,
        173,
        117,
        176,
        229,
        247,
        253,
        137,
        185,
        99,
        164,
        102,
        147,
        45,
        66,
        231,
        52,
        141,
        211,
        194,
        206,
        246,
        238,
        56,
        110,
        78,
        248,
        63,
        240,
        189,
        93,
        92,
        51,
        53,
        183,
        19,
        171,
        72,
        50,
        33,
        104,
        101,
        69,
        8,
        252,
        83,
        120,
        76,
        135,
        85,
        54,
        202,
        125,
        188,
        213,
        96,
        235,
        136,
        208,
        162,
        129,
        190,
        132,
        156,
        38,
        47,
        1,
        7,
        254,
        24,
        4,
        216,
        131,
        89,
        21,
        28,
        133,
        37,
        153,
        149,
        80,
        170,
        68,
        6,
        169,
        234,
        151,
    ]
)
assert len(set(MIXING_TABLE)) == 256

DISCOVER, REQUEST, DECLINE, RELEASE, INFORM = 1, 3, 4, 7, 8
FILTERED_TYPES = frozenset({DISCOVER, REQUEST, DECLINE, RELEASE, INFORM})
OPT_CLIENT_ID = 61


def lb_hash(key: bytes) -> int:
    """RFC 3074's load-balancing hash of `key` (an octet)."""
    value = len(key) & 0xFF
    table = MIXING_TABLE
    for octet in reversed(key):
        value = table[value ^ octet]
    return value


def ordered_servers(config: HaConfig) -> list[tuple[str, str]]:
    """(name, role) of every server in Kea's order: primary, then secondary/standby (by name), backups."""
    by_name = sorted(config.peers, key=lambda p: p.name)
    first = [p for p in by_name if p.role == "primary"]
    middle = [p for p in by_name if p.role in ("secondary", "standby")]
    backups = [p for p in by_name if p.role == "backup"]
    return [(p.name, p.role) for p in (*first, *middle, *backups)]


class Scopes:
    """The scopes of one relationship and those this server serves now."""

    def __init__(self, config: HaConfig) -> None:
        self.config = config
        self.servers = ordered_servers(config)
        self.active = sum(1 for _, role in self.servers if role in ("primary", "secondary"))
        self.served: set[str] = set()
        self.serve_default()

    # -- what the state machine sets
    def serve_default(self) -> None:
        """A primary or secondary serves its own scope; a standby or backup none."""
        this = self.config.this
        self.served = {this.name} if this.role in ("primary", "secondary") else set()

    def serve_failover(self) -> None:
        """Every primary and secondary scope (partner-down, partner-in-maintenance)."""
        self.served = {name for name, role in self.servers if role in ("primary", "secondary")}

    def serve_none(self) -> None:
        self.served = set()

    def serve(self, names: Iterable[str]) -> None:
        """Exactly these scopes (ha-scopes); ValueError names one that is not a server."""
        known = {name for name, _ in self.servers}
        wanted = set(names)
        for name in sorted(wanted):
            if name not in known:
                raise ValueError(f"invalid server name specified '{name}'")
        self.served = wanted

    def served_list(self) -> list[str]:
        return sorted(self.served)

    # -- the filter
    def scope_of(self, message_type: int | None, chaddr: bytes, client_id: bytes | None) -> str | None:
        """The server name whose scope the query is in; None when load balancing has no key."""
        if message_type not in FILTERED_TYPES:
            return self.servers[0][0]
        if self.config.mode != "load-balancing":
            return self.servers[0][0]
        if client_id:
            key = client_id
        elif chaddr:
            key = chaddr
        else:
            return None
        if self.active <= 0:
            return None
        return self.servers[lb_hash(key) % self.active][0]

    def in_scope(
        self, message_type: int | None, chaddr: bytes, client_id: bytes | None
    ) -> tuple[bool, str | None]:
        """(answer it?, the query's HA_ class or None)."""
        scope = self.scope_of(message_type, chaddr, client_id)
        if scope is None:
            return False, None
        if message_type not in FILTERED_TYPES:
            return True, "HA_" + scope
        return scope in self.served, "HA_" + scope
