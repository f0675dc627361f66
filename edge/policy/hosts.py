"""Host reservations behind one interface, with a backend for the configuration and one for a TinyDB file.

Rules this module keeps:
- A HostBackend answers two questions, both by index (never a scan): "which reservation in subnet S (0: the
  global scope) has identifier (type, value)?" and "which reservations in subnet S reserve address A?".
- HostManager asks its backends in order, the configuration first, then the databases (`hosts-database`),
  as Kea's HostMgr does; the first answer wins.
- Every question is counted (`identifier_lookups`, `address_lookups`): reservation lookups are the
  expensive ones when reservations live in a database, and the allocator must cost about one address
  lookup per allocation however full the pool is (Kea #1124). Tests and `edge-dhcp bench` read the counters.
- The TinyDB backend reads its file once, when the configuration is applied (a reload re-reads it), and
  validates every document exactly like a `reservations` entry of the configuration: a bad document is a
  HostsDatabaseError naming the file, the document id and the problem; nothing is half-loaded.

- Nothing here knows a family: a reservation is anything with `identifiers()`, `reserved_addresses()` and
  `subnet_id` (edge/dhcp4/model.py Reservation4; DHCPv6's twin), and the configuration backend reads any
  snapshot with global `reservations` and `subnets` that each have `id` and `reservations`.

Theory of operation: HostBackend keeps two dictionaries, (subnet, type, value) -> reservation and
(subnet, address) -> [reservations]; the configuration backend and the TinyDB backend are both that, filled
from different places. `open_host_backends` (called by the server when a configuration is applied, never by
the engine) makes the configuration's backend and opens each hosts database. The TinyDB file holds one
table, "hosts", of documents in the Kea reservation syntax plus "subnet-id" (absent or 0: global), e.g.
    {"subnet-id": 1, "hw-address": "aa:bb:cc:dd:ee:ff", "ip-address": "192.0.2.10", "hostname": "nas"}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from edge.config.model import HostsDatabase

__all__ = [
    "GLOBAL",
    "ConfigHosts",
    "DocumentHosts",
    "HostBackend",
    "HostManager",
    "HostReservation",
    "HostsDatabaseError",
    "Identifier",
    "ParseHosts",
    "ReadHosts",
    "SqlHosts",
    "TinyDBHosts",
    "open_host_backends",
]

log = logging.getLogger("edge.policy")

GLOBAL = 0  # the subnet id of global reservations, as in Kea

Identifier = tuple[str, bytes]


class HostReservation(Protocol):
    """What the backends index a reservation by (each family's reservation has it)."""

    @property
    def subnet_id(self) -> int: ...
    def identifiers(self) -> tuple[Identifier, ...]: ...
    def reserved_addresses(self) -> tuple[int, ...]: ...


class _SubnetWithHosts(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def reservations(self) -> Sequence[Any]: ...


class _ConfigWithHosts(Protocol):
    @property
    def reservations(self) -> Sequence[Any]: ...
    @property
    def subnets(self) -> Sequence[_SubnetWithHosts]: ...


R = TypeVar("R", bound=HostReservation)
# Reads a hosts database's documents (each with its "doc-id") as reservations; raises HostsDatabaseError.
ParseHosts = Callable[[list[dict[str, Any]], str], tuple[Any, ...]]


class HostsDatabaseError(Exception):
    """A hosts database cannot be used; the message says which file and why."""


class HostBackend(Generic[R]):
    """Reservations by identifier and by address. Subclasses fill `_by_identifier` and `_by_address`."""

    name = "memory"

    def __init__(self, reservations: Iterable[R] = ()) -> None:
        self._by_identifier: dict[tuple[int, str, bytes], R] = {}
        self._by_address: dict[tuple[int, int], list[R]] = {}
        self._count = 0
        for reservation in reservations:
            self.add(reservation)

    def add(self, reservation: R, subnet_id: int | None = None) -> None:
        sid = reservation.subnet_id if subnet_id is None else subnet_id
        for kind, value in reservation.identifiers():
            self._by_identifier.setdefault((sid, kind, value), reservation)
        for address in reservation.reserved_addresses():
            self._by_address.setdefault((sid, address), []).append(reservation)
        self._count += 1

    def get(self, subnet_id: int, kind: str, value: bytes) -> R | None:
        return self._by_identifier.get((subnet_id, kind, value))

    def get_by_address(self, subnet_id: int, address: int) -> Sequence[R]:
        return self._by_address.get((subnet_id, address), ())

    def __len__(self) -> int:
        return self._count


class ConfigHosts(HostBackend[R]):
    """The reservations written in the configuration (global and per subnet)."""

    name = "config"

    def __init__(self, config: _ConfigWithHosts) -> None:
        super().__init__()
        for reservation in config.reservations:
            self.add(reservation, GLOBAL)
        for subnet in config.subnets:
            for reservation in subnet.reservations:
                self.add(reservation, subnet.id)


class DocumentHosts(HostBackend[R]):
    """Reservations read, when the configuration is applied, as documents in the Kea reservation syntax
    (each with "subnet-id" and "doc-id") and validated by the family's `parse` like the configuration's."""

    name = "documents"

    def __init__(self, label: str, docs: list[dict[str, Any]], parse: ParseHosts) -> None:
        super().__init__()
        self.path = label
        for reservation in parse(docs, label):
            self.add(reservation)
        log.info("HOSTS_BACKEND_OPENED %s hosts database %s: %d reservations", self.name, label, len(self))


# Reads a non-file hosts database's documents (HostsDatabaseError when it cannot), by database type.
ReadHosts = Callable[[HostsDatabase], list[dict[str, Any]]]


class TinyDBHosts(DocumentHosts[R]):
    """Reservations kept in a TinyDB file (table "hosts"), read when the configuration is applied."""

    name = "tinydb"
    TABLE = "hosts"

    def __init__(self, path: str, parse: ParseHosts) -> None:
        super().__init__(path, self._read(path), parse)

    @classmethod
    def _read(cls, path: str) -> list[dict[str, Any]]:
        """The documents of the hosts table, each with its TinyDB document id as "doc-id"."""
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise HostsDatabaseError(f"hosts database {path}: no such file") from None
        except OSError as exc:
            raise HostsDatabaseError(f"hosts database {path}: cannot read it: {exc.strerror}") from None
        if not text.strip():
            return []
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise HostsDatabaseError(f"hosts database {path}: not a TinyDB file (bad JSON: {exc})") from None
        if not isinstance(data, dict):
            raise HostsDatabaseError(
                f"hosts database {path}: not a TinyDB file (expected an object of tables)"
            )
        table = data.get(cls.TABLE, {})
        if not isinstance(table, dict):
            raise HostsDatabaseError(f'hosts database {path}: table "{cls.TABLE}" is not a TinyDB table')
        docs = []
        for doc_id, doc in sorted(table.items(), key=lambda item: _doc_order(item[0])):
            if not isinstance(doc, dict):
                raise HostsDatabaseError(f"hosts database {path}: document {doc_id} is not an object")
            docs.append({**doc, "doc-id": doc_id})
        return docs


def _doc_order(doc_id: str) -> tuple[int, str]:
    return (int(doc_id), "") if doc_id.isdigit() else (1 << 62, doc_id)


class SqlHosts(DocumentHosts[R]):
    """Reservations in an SQL database's hosts tables (Kea's schema), read when the configuration is
    applied (a reload re-reads them): lookups stay index lookups on the loop thread."""

    name = "sql"

    def __init__(self, db: HostsDatabase, read: ReadHosts, parse: ParseHosts) -> None:
        self.name = db.type
        super().__init__(db.name, read(db), parse)


def open_host_backends(
    config: _ConfigWithHosts,
    databases: Sequence[HostsDatabase],
    parse: ParseHosts,
    readers: dict[str, ReadHosts] | None = None,
) -> list[HostBackend[Any]]:
    """The configuration's reservations, then each hosts database (read now, with the family's `parse`;
    a database that is not a TinyDB file is read by `readers[type]`). File and database I/O: the server
    calls this when it applies a configuration and hands the result to the engine. HostsDatabaseError if a
    database cannot be used."""
    backends: list[HostBackend[Any]] = [ConfigHosts(config)]
    for db in databases:
        reader = (readers or {}).get(db.type)
        if reader is not None:
            backends.append(SqlHosts(db, reader, parse))
        elif db.type == "tinydb":
            backends.append(TinyDBHosts(db.name, parse))
        else:
            raise HostsDatabaseError(f'hosts database {db.name}: type "{db.type}" cannot be read here')
    return backends


class HostManager(Generic[R]):
    """The backends, asked in order, and the lookup counters."""

    def __init__(self, backends: Sequence[HostBackend[R]], identifier_order: Sequence[str]) -> None:
        self.backends = tuple(backends)
        self.identifier_order = tuple(identifier_order)
        self.identifier_lookups = 0
        self.address_lookups = 0
        self._empty = all(len(b) == 0 for b in self.backends)

    @property
    def empty(self) -> bool:
        return self._empty

    def find(self, subnet_id: int, identifiers: Sequence[Identifier]) -> R | None:
        """The reservation in `subnet_id` for the first of the client's identifiers (in the configured
        order) that has one; Kea asks every backend for one identifier before trying the next."""
        if self._empty:
            return None
        for kind, value in identifiers:
            self.identifier_lookups += 1
            for backend in self.backends:
                found = backend.get(subnet_id, kind, value)
                if found is not None:
                    return found
        return None

    def by_address(self, subnet_id: int, address: int) -> list[R]:
        """Every reservation of `address` in `subnet_id`, from all backends."""
        self.address_lookups += 1
        if self._empty:
            return []
        out: list[R] = []
        for backend in self.backends:
            out.extend(backend.get_by_address(subnet_id, address))
        return out
