"""The DHCPv6 configuration snapshot: what the Dhcp6 loader (edge/dhcp6/config.py) builds and the v6 engine
reads. The twins of edge/dhcp4/model.py's classes, with the same rules:

- A Config6 is a value, never mutated after the loader returns it; reload builds a new one.
- Scope parameters (lifetimes, timers, rapid-commit, reservation modes, DDNS) are resolved per subnet
  (global -> shared network -> subnet) by the loader, so the engine never walks the chain per packet.
- Addresses and prefixes are 128-bit ints; pools are (first, last) ranges of them; option payloads are
  wire bytes (dhcp6 space, 16-bit codes); text forms live in `raw` (config-get).
- T1/T2 follow Kea 2.2 (Dhcpv6Srv::setTeeTimes): an explicit renew-timer / rebind-timer wins; else, with
  calculate-tee-times (default true), T1 = round(t1-percent x preferred), T2 = round(t2-percent x
  preferred); a T1 that is not below T2 is sent as 0. `ScopeParams6.tee_times` computes exactly that.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from edge.config.d2 import DdnsSettings
from edge.config.model import (
    ClientClass,
    ControlSocket,
    ExpiredLeasesProcessing,
    HostsDatabase,
    InterfaceSpec,
    LeaseDatabase,
    Logger,
    OptionData,
    OptionDef,
)
from edge.expr.language import StringExpression

__all__ = [
    "ClientClass6",
    "Config6",
    "PdPool6",
    "Pool6",
    "Reservation6",
    "ScopeParams6",
    "ServerId",
    "SharedNetwork6",
    "Subnet6",
    "prefix_text",
]

ALL_ONES = (1 << 128) - 1


def prefix_text(network: int, length: int) -> str:
    """2001:db8::/64 from (int, length)."""
    return f"{ipaddress.IPv6Address(network)}/{length}"


def prefix_last(network: int, length: int) -> int:
    return network | (ALL_ONES >> length)


@dataclass(frozen=True, slots=True)
class Pool6:
    """An address pool (IA_NA): "first - last" or "prefix/len" in the configuration."""

    first: int
    last: int
    option_data: tuple[OptionData, ...] = ()
    client_classes: tuple[str, ...] = ()
    require_client_classes: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def __contains__(self, address: int) -> bool:
        return self.first <= address <= self.last


@dataclass(frozen=True, slots=True)
class PdPool6:
    """A prefix-delegation pool (IA_PD): prefixes of `delegated_len` carved from `prefix`/`prefix_len`,
    with an optional excluded prefix (RFC 6603) inside each delegated one (0 length: none)."""

    prefix: int
    prefix_len: int
    delegated_len: int
    excluded_prefix: int = 0
    excluded_prefix_len: int = 0
    option_data: tuple[OptionData, ...] = ()
    client_classes: tuple[str, ...] = ()
    require_client_classes: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """How many prefixes can be delegated."""
        return 1 << (self.delegated_len - self.prefix_len)

    @property
    def last(self) -> int:
        """The last address covered by the pool."""
        return prefix_last(self.prefix, self.prefix_len)

    def __contains__(self, prefix: int) -> bool:
        return self.prefix <= prefix <= self.last

    @property
    def text(self) -> str:
        return prefix_text(self.prefix, self.prefix_len)


@dataclass(frozen=True, slots=True)
class Reservation6:
    """A DHCPv6 host reservation: one identifier (duid: the client's DUID; hw-address: its MAC, as Kea finds
    it from mac-sources; flex-id), addresses and (prefix, length) pairs reserved, host name, options, classes."""

    duid: bytes | None = None
    hw_address: bytes | None = None
    flex_id: bytes | None = None
    ip_addresses: tuple[int, ...] = ()
    prefixes: tuple[tuple[int, int], ...] = ()
    hostname: str | None = None
    client_classes: tuple[str, ...] = ()
    option_data: tuple[OptionData, ...] = ()
    subnet_id: int = 0  # 0 for global reservations

    def identifiers(self) -> tuple[tuple[str, bytes], ...]:
        """(identifier-type, value) pairs this reservation can be found by."""
        pairs = []
        for kind, value in (("hw-address", self.hw_address), ("duid", self.duid), ("flex-id", self.flex_id)):
            if value is not None:
                pairs.append((kind, value))
        return tuple(pairs)

    def reserved_addresses(self) -> tuple[int, ...]:
        """Addresses and delegated prefixes (by their first address) this reservation reserves, for the host
        backends' address index."""
        return self.ip_addresses + tuple(prefix for prefix, _ in self.prefixes)


@dataclass(frozen=True, slots=True)
class ClientClass6(ClientClass):
    """A DHCPv6 client class: the shared fields plus the preferred-lifetime triplet a class may set."""

    preferred_lifetime: int | None = None
    min_preferred_lifetime: int | None = None
    max_preferred_lifetime: int | None = None


@dataclass(frozen=True, slots=True)
class ScopeParams6:
    """Parameters that Kea inherits global -> shared network -> subnet, resolved for one subnet."""

    preferred_lifetime: int = 3600
    min_preferred_lifetime: int = 3600
    max_preferred_lifetime: int = 3600
    valid_lifetime: int = 7200
    min_valid_lifetime: int = 7200
    max_valid_lifetime: int = 7200
    renew_timer: int | None = None
    rebind_timer: int | None = None
    calculate_tee_times: bool = True
    t1_percent: float = 0.5
    t2_percent: float = 0.8
    rapid_commit: bool = False
    reservations_global: bool = False
    reservations_in_subnet: bool = True
    reservations_out_of_pool: bool = False
    ddns_send_updates: bool = True
    ddns_override_no_update: bool = False
    ddns_override_client_update: bool = False
    ddns_replace_client_name: str = "never"
    ddns_generated_prefix: str = "myhost"
    ddns_qualifying_suffix: str = ""
    ddns_update_on_renew: bool = False
    ddns_conflict_resolution_mode: str = "check-with-dhcid"
    ddns_ttl_percent: float | None = None
    ddns_ttl: int | None = None
    ddns_ttl_min: int | None = None
    ddns_ttl_max: int | None = None
    hostname_char_set: str = "[^A-Za-z0-9.-]"
    hostname_char_replacement: str = ""

    def tee_times(self, preferred: int) -> tuple[int, int]:
        """(T1, T2) for an IA whose lease has `preferred` lifetime, as Kea 2.2 sets them."""
        t2 = 0
        if self.rebind_timer is not None:
            t2 = self.rebind_timer
        elif self.calculate_tee_times:
            t2 = int(_round(self.t2_percent * preferred))
        t1 = 0
        if self.renew_timer is not None:
            t1 = self.renew_timer
        elif self.calculate_tee_times:
            t1 = int(_round(self.t1_percent * preferred))
        return (t1 if t1 < t2 else 0), t2


def _round(value: float) -> float:
    """C's round(): halves away from zero (Python's round() goes to even)."""
    return float(int(value + 0.5)) if value >= 0 else -float(int(-value + 0.5))


@dataclass(frozen=True, slots=True)
class Subnet6:
    id: int
    network: int  # the prefix as a 128-bit int
    prefix_len: int
    pools: tuple[Pool6, ...] = ()
    pd_pools: tuple[PdPool6, ...] = ()
    option_data: tuple[OptionData, ...] = ()  # the subnet's own
    shared_network_option_data: tuple[OptionData, ...] = ()  # from its shared network, if any
    reservations: tuple[Reservation6, ...] = ()
    relay_addresses: tuple[int, ...] = ()  # relay.ip-addresses: link-addresses this subnet is selected by
    interface: str | None = None  # direct clients on this interface
    interface_id: bytes | None = None  # relayed clients whose relay sends this interface-id (option 18)
    shared_network: str | None = None
    client_classes: tuple[str, ...] = ()
    require_client_classes: tuple[str, ...] = ()
    params: ScopeParams6 = field(default_factory=ScopeParams6)
    path: str = ""  # key path in the configuration, e.g. Dhcp6.subnet6[2]

    @property
    def last(self) -> int:
        return prefix_last(self.network, self.prefix_len)

    def __contains__(self, address: int) -> bool:
        return self.network <= address <= self.last

    @property
    def text(self) -> str:
        return prefix_text(self.network, self.prefix_len)


@dataclass(frozen=True, slots=True)
class SharedNetwork6:
    name: str
    subnet_ids: tuple[int, ...]
    interface: str | None = None
    interface_id: bytes | None = None
    relay_addresses: tuple[int, ...] = ()
    client_classes: tuple[str, ...] = ()
    option_data: tuple[OptionData, ...] = ()
    require_client_classes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServerId:
    """`server-id`: how the server's DUID is made (LLT, EN or LL) and whether it is kept in a file in the
    data directory (Kea's kea-dhcp6-serverid). Unset parts (identifier b"", time 0, htype 0, enterprise 0)
    are chosen when the DUID is first generated, as Kea does."""

    type: str = "LLT"
    identifier: bytes = b""
    time: int = 0
    htype: int = 0
    enterprise_id: int = 0
    persist: bool = True


@dataclass(frozen=True, slots=True)
class Config6:
    interfaces: tuple[InterfaceSpec, ...] = ()  # address: a unicast address to listen on ("eth0/2001:db8::1")
    re_detect: bool = True
    service_sockets_require_all: bool = False
    service_sockets_max_retries: int = 0
    service_sockets_retry_wait_time: int = 5000  # milliseconds
    lease_database: LeaseDatabase = field(default_factory=LeaseDatabase)
    params: ScopeParams6 = field(default_factory=ScopeParams6)  # the global scope
    option_data: tuple[OptionData, ...] = ()
    option_defs: tuple[OptionDef, ...] = ()
    subnets: tuple[Subnet6, ...] = ()  # sorted by id
    shared_networks: tuple[SharedNetwork6, ...] = ()
    client_classes: tuple[ClientClass6, ...] = ()
    reservations: tuple[Reservation6, ...] = ()  # global reservations
    host_reservation_identifiers: tuple[str, ...] = ("hw-address", "duid")
    mac_sources: tuple[str, ...] = ("any",)
    relay_supplied_options: tuple[int, ...] = (65,)  # option codes a relay may supply (RFC 6422)
    server_id: ServerId = field(default_factory=ServerId)
    data_directory: str = "/var/lib/edge-dhcp"
    decline_probation_period: int = 86400
    expired_leases_processing: ExpiredLeasesProcessing = field(default_factory=ExpiredLeasesProcessing)
    control_sockets: tuple[ControlSocket, ...] = ()
    loggers: tuple[Logger, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)  # {"Dhcp6": {...}} with defaults filled in
    source: str | None = None
    warnings: tuple[str, ...] = ()
    ip_reservations_unique: bool = True
    early_global_reservations_lookup: bool = False
    reservations_lookup_first: bool = False
    hosts_databases: tuple[HostsDatabase, ...] = ()
    flex_id_expression: StringExpression | None = field(default=None, compare=False, repr=False)
    ddns: DdnsSettings = field(default_factory=DdnsSettings)  # dhcp-ddns, parsed for DHCPv6 II

    def subnet_by_id(self, subnet_id: int) -> Subnet6 | None:
        for subnet in self.subnets:
            if subnet.id == subnet_id:
                return subnet
        return None
