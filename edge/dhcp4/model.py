"""The DHCPv4 configuration snapshot: what the Dhcp4 loader (edge/dhcp4/config.py) builds and the v4 engine
reads.

Rules this module keeps:
- A Config4 is a value. Nothing here is mutated after the loader returns it; reload builds a new one and the
  server swaps one reference.
- Every scope-inherited parameter (lifetimes, timers, match-client-id, authoritative, boot fields, reservation
  modes) is *resolved* per subnet by the loader, so the engine never walks global -> shared-network -> subnet
  for each packet.
- IPv4 addresses are plain ints in the snapshot (fast comparisons, constant-time set membership); text forms
  live in `raw`, the Kea-dialect dictionary with defaults filled in, which is what `config-get` returns.
- The parts both families share (options, classes, sockets, loggers, databases) are edge/config/model.py's;
  the names here end in 4 so that edge/dhcp6/model.py's twins (Subnet6, Pool6, ...) read as their peers.
"""

from __future__ import annotations

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
from edge.wire.addr import int_to_ip as ip_text

__all__ = ["ClientClass4", "Config4", "Pool4", "Reservation4", "ScopeParams4", "SharedNetwork4", "Subnet4"]


@dataclass(frozen=True, slots=True)
class Pool4:
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
class Reservation4:
    """A host reservation. Identifier values are raw bytes (hw-address: the 6 MAC bytes; client-id: the
    option 61 payload including its type byte; circuit-id: the option 82 sub-option 1 payload)."""

    hw_address: bytes | None = None
    client_id: bytes | None = None
    circuit_id: bytes | None = None
    duid: bytes | None = None
    flex_id: bytes | None = None
    ip_address: int | None = None
    hostname: str | None = None
    client_classes: tuple[str, ...] = ()
    option_data: tuple[OptionData, ...] = ()
    next_server: int | None = None
    server_hostname: str | None = None
    boot_file_name: str | None = None
    subnet_id: int = 0  # 0 for global reservations

    def identifiers(self) -> tuple[tuple[str, bytes], ...]:
        """(identifier-type, value) pairs this reservation can be found by."""
        pairs = []
        for kind, value in (
            ("hw-address", self.hw_address),
            ("client-id", self.client_id),
            ("circuit-id", self.circuit_id),
            ("duid", self.duid),
            ("flex-id", self.flex_id),
        ):
            if value is not None:
                pairs.append((kind, value))
        return tuple(pairs)

    def reserved_addresses(self) -> tuple[int, ...]:
        """The addresses this reservation reserves (for the host backends' address index)."""
        return () if self.ip_address is None else (self.ip_address,)


@dataclass(frozen=True, slots=True)
class ClientClass4(ClientClass):
    """A DHCPv4 client class: the shared fields plus the BOOTP fixed fields a class may set."""

    next_server: int | None = None
    server_hostname: str | None = None
    boot_file_name: str | None = None


@dataclass(frozen=True, slots=True)
class ScopeParams4:
    """Parameters that Kea inherits global -> shared network -> subnet, resolved for one subnet."""

    valid_lifetime: int = 7200
    min_valid_lifetime: int = 7200
    max_valid_lifetime: int = 7200
    renew_timer: int | None = None
    rebind_timer: int | None = None
    calculate_tee_times: bool = False
    t1_percent: float = 0.5
    t2_percent: float = 0.875
    match_client_id: bool = True
    authoritative: bool = False
    next_server: int = 0
    server_hostname: str = ""
    boot_file_name: str = ""
    reservations_global: bool = False
    reservations_in_subnet: bool = True
    reservations_out_of_pool: bool = False
    # DDNS behaviour (Kea's ddns-* keys; ddns-use-conflict-resolution is folded into the mode)
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


@dataclass(frozen=True, slots=True)
class Subnet4:
    id: int
    network: int  # network address as int
    prefix_len: int
    pools: tuple[Pool4, ...] = ()
    option_data: tuple[OptionData, ...] = ()  # the subnet's own
    shared_network_option_data: tuple[OptionData, ...] = ()  # from its shared network, if any
    reservations: tuple[Reservation4, ...] = ()
    relay_addresses: tuple[int, ...] = ()
    interface: str | None = None
    shared_network: str | None = None
    client_classes: tuple[str, ...] = ()
    require_client_classes: tuple[str, ...] = ()
    params: ScopeParams4 = field(default_factory=ScopeParams4)
    path: str = ""  # key path in the configuration, e.g. Dhcp4.subnet4[2]

    @property
    def netmask(self) -> int:
        return (0xFFFFFFFF << (32 - self.prefix_len)) & 0xFFFFFFFF if self.prefix_len else 0

    @property
    def broadcast(self) -> int:
        return self.network | (~self.netmask & 0xFFFFFFFF)

    def __contains__(self, address: int) -> bool:
        return (address & self.netmask) == self.network

    @property
    def text(self) -> str:
        return f"{ip_text(self.network)}/{self.prefix_len}"


@dataclass(frozen=True, slots=True)
class SharedNetwork4:
    name: str
    subnet_ids: tuple[int, ...]
    interface: str | None = None
    relay_addresses: tuple[int, ...] = ()
    client_classes: tuple[str, ...] = ()
    option_data: tuple[OptionData, ...] = ()
    require_client_classes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Config4:
    interfaces: tuple[InterfaceSpec, ...] = ()
    dhcp_socket_type: str = "raw"
    re_detect: bool = True
    service_sockets_require_all: bool = False
    service_sockets_max_retries: int = 0
    service_sockets_retry_wait_time: int = 5000  # milliseconds
    lease_database: LeaseDatabase = field(default_factory=LeaseDatabase)
    params: ScopeParams4 = field(default_factory=ScopeParams4)  # the global scope
    option_data: tuple[OptionData, ...] = ()  # global option-data
    option_defs: tuple[OptionDef, ...] = ()
    subnets: tuple[Subnet4, ...] = ()  # sorted by id
    shared_networks: tuple[SharedNetwork4, ...] = ()
    client_classes: tuple[ClientClass4, ...] = ()
    reservations: tuple[Reservation4, ...] = ()  # global reservations
    host_reservation_identifiers: tuple[str, ...] = ("hw-address", "duid", "circuit-id", "client-id")
    decline_probation_period: int = 86400
    echo_client_id: bool = True
    expired_leases_processing: ExpiredLeasesProcessing = field(default_factory=ExpiredLeasesProcessing)
    control_sockets: tuple[ControlSocket, ...] = ()
    loggers: tuple[Logger, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)  # {"Dhcp4": {...}} with defaults filled in
    source: str | None = None  # file the config was read from, None for the built-in default
    warnings: tuple[str, ...] = ()  # parsed-but-not-acted-on keys, missing interfaces, ...
    ip_reservations_unique: bool = True  # false: several reservations may share one address (Kea 2.1+)
    early_global_reservations_lookup: bool = False  # look up global reservations before subnet selection
    reservations_lookup_first: bool = False  # allocator: check a candidate's reservation before its lease
    hosts_databases: tuple[HostsDatabase, ...] = ()
    # Kea's flex_id hook: the compiled `identifier-expression` whose value is the client's flex-id for host
    # reservations; None when no flex_id hook is configured.
    flex_id_expression: StringExpression | None = field(default=None, compare=False, repr=False)
    ddns: DdnsSettings = field(default_factory=DdnsSettings)  # dhcp-ddns (+ the built-in updater's D2 config)

    def subnet_by_id(self, subnet_id: int) -> Subnet4 | None:
        for subnet in self.subnets:
            if subnet.id == subnet_id:
                return subnet
        return None
