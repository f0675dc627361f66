"""The LeaseStore interface and an indexed in-memory implementation.

Rules:
- Every read the engine makes is an index lookup: by address, hardware address, client-id, hostname.
  Nothing on the packet path scans all leases.
- `put` is the only way to add or change a lease and it replaces the record for that address whole. When
  `put` returns, the change is as durable as the store promises (see memfile.py); the engine relies on that
  before it ACKs.
- Stores hand out their own Lease objects for speed; callers copy before changing and then `put` the copy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

from edge.leases.lease import Lease


class LeaseStoreError(Exception):
    """A change could not be recorded; the caller must not tell the client it has the lease."""


class LeaseStore(ABC):
    @abstractmethod
    def get(self, address: int) -> Lease | None: ...

    @abstractmethod
    def find_by_hwaddr(self, hwaddr: bytes, subnet_id: int | None = None) -> list[Lease]: ...

    @abstractmethod
    def find_by_client_id(self, client_id: bytes, subnet_id: int | None = None) -> list[Lease]: ...

    @abstractmethod
    def find_by_hostname(self, hostname: str) -> list[Lease]: ...

    @abstractmethod
    def put(self, lease: Lease) -> None: ...

    @abstractmethod
    def delete(self, address: int) -> bool: ...

    @abstractmethod
    def all(self) -> Iterator[Lease]: ...

    @abstractmethod
    def __len__(self) -> int: ...

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release in memory
        """Flush and release resources."""


class _MultiIndex:
    """key -> set of addresses."""

    __slots__ = ("_map",)

    def __init__(self) -> None:
        self._map: dict[object, set[int]] = {}

    def add(self, key: object, address: int) -> None:
        if key:
            self._map.setdefault(key, set()).add(address)

    def discard(self, key: object, address: int) -> None:
        if key:
            bucket = self._map.get(key)
            if bucket is not None:
                bucket.discard(address)
                if not bucket:
                    del self._map[key]

    def get(self, key: object) -> Iterable[int]:
        return self._map.get(key, ())


class MemoryLeaseStore(LeaseStore):
    """Leases in dictionaries with secondary indexes; the base of the persistent memfile store."""

    def __init__(self) -> None:
        self._by_address: dict[int, Lease] = {}
        self._by_hwaddr = _MultiIndex()
        self._by_client_id = _MultiIndex()
        self._by_hostname = _MultiIndex()

    # -- reads
    def get(self, address: int) -> Lease | None:
        return self._by_address.get(address)

    def _resolve(self, addresses: Iterable[int], subnet_id: int | None) -> list[Lease]:
        found = []
        for address in addresses:
            lease = self._by_address[address]
            if subnet_id is None or lease.subnet_id == subnet_id:
                found.append(lease)
        return found

    def find_by_hwaddr(self, hwaddr: bytes, subnet_id: int | None = None) -> list[Lease]:
        return self._resolve(self._by_hwaddr.get(hwaddr), subnet_id)

    def find_by_client_id(self, client_id: bytes, subnet_id: int | None = None) -> list[Lease]:
        return self._resolve(self._by_client_id.get(client_id), subnet_id)

    def find_by_hostname(self, hostname: str) -> list[Lease]:
        return self._resolve(self._by_hostname.get(hostname.lower()), None)

    def all(self) -> Iterator[Lease]:
        return iter(list(self._by_address.values()))

    def __len__(self) -> int:
        return len(self._by_address)

    # -- writes (in memory; subclasses record them first)
    def put(self, lease: Lease) -> None:
        self._apply_put(lease)

    def delete(self, address: int) -> bool:
        return self._apply_delete(address)

    def _apply_put(self, lease: Lease) -> None:
        old = self._by_address.get(lease.address)
        if old is not None:
            self._unindex(old)
        self._by_address[lease.address] = lease
        self._by_hwaddr.add(lease.hwaddr, lease.address)
        self._by_client_id.add(lease.client_id, lease.address)
        self._by_hostname.add(lease.hostname.lower() if lease.hostname else "", lease.address)

    def _apply_delete(self, address: int) -> bool:
        old = self._by_address.pop(address, None)
        if old is None:
            return False
        self._unindex(old)
        return True

    def _unindex(self, lease: Lease) -> None:
        self._by_hwaddr.discard(lease.hwaddr, lease.address)
        self._by_client_id.discard(lease.client_id, lease.address)
        self._by_hostname.discard(lease.hostname.lower() if lease.hostname else "", lease.address)
