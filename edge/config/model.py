"""The parts of a configuration snapshot both families share: options, classes, sockets, loggers, databases.

Rules this module keeps:
- Every value here is immutable and holds no parse positions. A family's snapshot (edge/dhcp4/model.py
  Config4, edge/dhcp6/model.py Config6) is built of these plus its own subnets, pools and reservations;
  reload builds a new snapshot and the server swaps one reference.
- Addresses are plain ints (32-bit for IPv4, 128-bit for IPv6); option payloads are encoded to wire bytes
  at load time (`OptionData.data`); class tests are compiled at load time (`ClientClass.expression`).
- `DaemonConfig` is what shared code (the server loop, control sockets, loggers, lease reclamation) may ask
  of either family's snapshot; it names only fields both have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from edge.config.d2 import DdnsSettings
from edge.expr.language import Expression
from edge.wire.addr import int_to_ip as ip_text  # noqa: F401 - re-exported for tests
from edge.wire.addr import ip_to_int as ip_int  # noqa: F401 - re-exported for tests

__all__ = [
    "ClientClass",
    "ControlSocket",
    "DaemonConfig",
    "DdnsScope",
    "NamedReservation",
    "PoolSpan",
    "SubnetView",
    "ExpiredLeasesProcessing",
    "HostsDatabase",
    "InterfaceSpec",
    "LeaseDatabase",
    "Logger",
    "LoggerOutput",
    "OptionData",
    "OptionDef",
]


@dataclass(frozen=True, slots=True)
class OptionData:
    """One `option-data` entry, already encoded. `data` is the wire payload (no code/length bytes)."""

    code: int
    name: str
    space: str
    data: bytes = b""
    always_send: bool = False
    never_send: bool = False
    csv_format: bool = True


@dataclass(frozen=True, slots=True)
class OptionDef:
    """A custom option definition (`option-def`)."""

    code: int
    name: str
    space: str
    type: str
    array: bool = False
    record_types: tuple[str, ...] = ()
    encapsulate: str = ""


@dataclass(frozen=True, slots=True)
class ClientClass:
    """A `client-classes` entry: what both families' classes have. The families add their own fields
    (edge/dhcp4/model.py ClientClass4: the BOOTP fixed fields; edge/dhcp6/model.py ClientClass6: preferred
    lifetimes)."""

    name: str
    test: str = ""
    only_if_required: bool = False
    option_data: tuple[OptionData, ...] = ()
    valid_lifetime: int | None = None
    min_valid_lifetime: int | None = None
    max_valid_lifetime: int | None = None
    # The class's own `option-def` entries (DHCPv4 only, as Kea 2.2): its option-data is encoded with them,
    # and an option they define as encapsulating a space carries the class's options of that space.
    option_defs: tuple[OptionDef, ...] = ()
    # The compiled `test`, made once by the loader; None when there is no test (or the class was built in
    # code: the classifier compiles `test` then).
    expression: Expression | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class HostsDatabase:
    """A `hosts-database` entry: where more host reservations live, a "tinydb" file or Kea's "postgresql"
    hosts tables."""

    type: str
    name: str
    # type "postgresql": Kea's connection keys as given, out of repr (the password never reaches a log line)
    params: tuple[tuple[str, Any], ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class InterfaceSpec:
    """An `interfaces-config.interfaces` entry: `eth0`, `eth0/192.0.2.1` (v4), `eth0/2001:db8::1` (v6, a
    unicast address to listen on as well) or `*`."""

    name: str
    address: int | None = None


@dataclass(frozen=True, slots=True)
class LeaseDatabase:
    type: str = "memfile"
    persist: bool = True
    name: str | None = None  # None: the server's default path
    lfc_interval: int = 3600
    sync: str = "batch"  # edge-dhcp extension: "batch" (group commit fsync), "always", "none" (see README)
    # type "postgresql": Kea's connection keys as given (name, host, port, user, password, connect-timeout);
    # kept out of repr so the password never reaches a log line or a traceback
    params: tuple[tuple[str, Any], ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class ControlSocket:
    socket_type: str  # "unix" | "http" | "https"
    socket_name: str | None = None  # unix
    socket_address: str = "127.0.0.1"  # http
    socket_port: int = 8000  # http
    raw: dict[str, Any] = field(default_factory=dict)
    socket_group: str | None = None  # unix: created 0660 with this group instead of 0600 (edge-dhcp key)
    # http(s) basic authentication: the accepted "user:password" secrets (read from files at load time,
    # as Kea reads them); empty: no authentication asked.
    credentials: tuple[str, ...] = ()
    realm: str = "edge-dhcp"
    trust_anchor: str | None = None  # https: CA file or directory for client certificates
    cert_file: str | None = None
    key_file: str | None = None
    cert_required: bool = True
    http_headers: tuple[tuple[str, str], ...] = ()  # extra response headers (Kea 2.7+ http-headers)

    @property
    def authenticated(self) -> bool:
        """Clients must prove who they are: basic auth, or TLS with required client certificates."""
        return bool(self.credentials) or (
            self.socket_type == "https" and self.cert_required and bool(self.trust_anchor)
        )


@dataclass(frozen=True, slots=True)
class LoggerOutput:
    output: str  # "stdout" | "stderr" | "syslog" | "syslog:NAME" | file path
    maxsize: int = 10240000
    maxver: int = 1
    flush: bool = True
    pattern: str = ""


@dataclass(frozen=True, slots=True)
class Logger:
    name: str
    severity: str = "INFO"
    debuglevel: int = 0
    outputs: tuple[LoggerOutput, ...] = ()


@dataclass(frozen=True, slots=True)
class ExpiredLeasesProcessing:
    reclaim_timer_wait_time: int = 10
    flush_reclaimed_timer_wait_time: int = 25
    hold_reclaimed_time: int = 3600
    max_reclaim_leases: int = 100
    max_reclaim_time: int = 250
    unwarned_reclaim_cycles: int = 5


class DdnsScope(Protocol):
    """The DNS-update parameters every family's resolved scope has (Kea's ddns-* and hostname-char-*)."""

    @property
    def ddns_send_updates(self) -> bool: ...
    @property
    def ddns_override_no_update(self) -> bool: ...
    @property
    def ddns_override_client_update(self) -> bool: ...
    @property
    def ddns_replace_client_name(self) -> str: ...
    @property
    def ddns_generated_prefix(self) -> str: ...
    @property
    def ddns_qualifying_suffix(self) -> str: ...
    @property
    def ddns_update_on_renew(self) -> bool: ...
    @property
    def ddns_conflict_resolution_mode(self) -> str: ...
    @property
    def ddns_ttl_percent(self) -> float | None: ...
    @property
    def ddns_ttl(self) -> int | None: ...
    @property
    def ddns_ttl_min(self) -> int | None: ...
    @property
    def ddns_ttl_max(self) -> int | None: ...
    @property
    def hostname_char_set(self) -> str: ...
    @property
    def hostname_char_replacement(self) -> str: ...


class PoolSpan(Protocol):
    @property
    def size(self) -> int: ...


class SubnetView(Protocol):
    """What shared code (lease statistics and import, DNS names) asks of either family's subnet."""

    @property
    def id(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def pools(self) -> Sequence[PoolSpan]: ...
    @property
    def params(self) -> DdnsScope: ...
    def __contains__(self, address: int) -> bool: ...


class NamedReservation(Protocol):
    @property
    def hostname(self) -> str | None: ...


class DaemonConfig(Protocol):
    """What every family's snapshot has: the shell's view of a configuration (sockets, files, logging),
    and the subnets as shared code sees them."""

    @property
    def interfaces(self) -> tuple[InterfaceSpec, ...]: ...
    @property
    def re_detect(self) -> bool: ...
    @property
    def lease_database(self) -> LeaseDatabase: ...
    @property
    def hosts_databases(self) -> tuple[HostsDatabase, ...]: ...
    @property
    def control_sockets(self) -> tuple[ControlSocket, ...]: ...
    @property
    def loggers(self) -> tuple[Logger, ...]: ...
    @property
    def expired_leases_processing(self) -> ExpiredLeasesProcessing: ...
    @property
    def decline_probation_period(self) -> int: ...
    @property
    def ddns(self) -> DdnsSettings: ...
    @property
    def raw(self) -> dict[str, Any]: ...
    @property
    def source(self) -> str | None: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...
    @property
    def params(self) -> DdnsScope: ...
    @property
    def subnets(self) -> Sequence[SubnetView]: ...
    def subnet_by_id(self, subnet_id: int) -> SubnetView | None: ...
