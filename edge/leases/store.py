"""The LeaseStore interface and the indexed in-memory store that every lease store builds on, for leases
of either family (the record format plugs in: see record.py).

Rules:
- Every read the engines make is an index lookup: by key (address or prefix), hardware address, hostname,
  the family's own identifiers (client-id for DHCPv4; DUID+IAID for DHCPv6), and (subnet, expiry) for
  reclamation and per-subnet queries. Nothing on the packet path scans all leases.
- `put` is the only way to add or change a lease; it replaces the record for that key whole, and
  `delete` removes it. Both cost the same whatever the number of leases (amortised: a hash index doubles
  now and then). A lease the format cannot represent (address 0.0.0.0, a 300-byte client-id, ...) is a
  ValueError and changes nothing.
- Reads hand out fresh lease objects: callers may change them and `put` them back.
- Every applied change is announced to subscribers as (old, new) — None for "absent" — so statistics and
  the allocator follow the store instead of guessing. Every store has this change feed. A failing
  subscriber is logged, never fatal.
- Durability is counted in sequence numbers: `last_seq` numbers the last change handed to the store and
  `durable_seq` the last one that is as durable as the store promises. Memory has nothing to wait for, so
  the two are equal here; the memfile store (memfile.py) makes them differ and says when they meet through
  `wakeup_fd()` and `poll()`.
- What a store cannot do, it declares as done: the memory store's compaction hooks say "nothing to
  compact", its durability hooks "already durable". Callers never probe a store for a method.

Theory of operation (memory is the constraint on a Pi): a lease is kept as one packed bytes record of
about 40-80 bytes keyed by address, not as a Python object with eleven attribute objects (~400 bytes);
at 100 000 leases that is ~25 MB instead of ~65 MB. The family's RecordFormat packs and unpacks records and
cuts index keys out of them; the indexes are in index.py. `page()` keeps a sorted key list only once
someone pages, and then patches it from the changes since.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Hashable, Iterator
from typing import Generic

from edge.leases.errors import LeaseStoreError
from edge.leases.index import ExpiryIndex, HashIndex
from edge.leases.lease import L
from edge.leases.record import ACTIVE, RECLAIMED, RecordFormat
from edge.stats import Statistics

log = logging.getLogger("edge.leases")

Listener = Callable[[L | None, L | None], None]

__all__ = ["LeaseStore", "LeaseStoreError", "Listener", "MemoryLeaseStore"]

WRITE_ERRORS = "lease-store-write-errors"  # the statistic a store counts failed writes and syncs in


class LeaseStore(ABC, Generic[L]):
    """What every lease store has, whatever keeps the leases (memory, a memfile, later SQL)."""

    format: RecordFormat[L]
    # Durability bookkeeping: see the module docstring. Memory stores never wait.
    last_seq = 0
    durable_seq = 0
    # Changes that could not be written / made durable (disk full, failed fsync): always 0 in memory.
    write_errors = 0
    sync_errors = 0
    _stats: Statistics | None = None  # where write errors are counted: see use_statistics

    # -- reads
    @abstractmethod
    def get(self, address: int) -> L | None: ...

    @abstractmethod
    def __contains__(self, address: object) -> bool: ...

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def all(self) -> Iterator[L]:
        """Every lease, in no particular order."""

    def ordered_addresses(self) -> list[int]:
        """Every lease's address, ascending (callers only read it; memory: one reference a lease)."""
        return sorted(self.addresses())

    @abstractmethod
    def addresses(self) -> list[int]:
        """Every key, in no particular order."""

    @abstractmethod
    def find(self, index: str, key: Hashable, subnet_id: int | None = None) -> list[L]:
        """The leases whose `index` key (one of the format's `indexes`) is `key`, in address order,
        restricted to one subnet if asked."""

    def find_by_hwaddr(self, hwaddr: bytes, subnet_id: int | None = None) -> list[L]:
        if not hwaddr:
            return []
        return self.find("hwaddr", bytes(hwaddr), subnet_id)

    def find_by_hostname(self, hostname: str) -> list[L]:
        if not hostname:
            return []
        return self.find("hostname", hostname.lower())

    @abstractmethod
    def find_by_subnet(self, subnet_id: int) -> list[L]:
        """Every lease of one subnet, in address order."""

    @abstractmethod
    def find_expired(self, now: float, limit: int | None = None, subnet_id: int | None = None) -> list[L]:
        """Leases in the default or declined state whose expiry is at or before `now`, oldest first, at
        most `limit`: what reclamation processes."""

    @abstractmethod
    def find_reclaimed(
        self, before: float, limit: int | None = None, subnet_id: int | None = None
    ) -> list[L]:
        """Expired-reclaimed leases that expired at or before `before`: what the flush removes."""

    @abstractmethod
    def page(self, from_address: int, limit: int) -> list[L]:
        """Up to `limit` leases with keys strictly above `from_address`, in key order (Kea's
        lease4-get-page / lease6-get-page: 0 for the first page, then the last key of the previous page)."""

    # -- change feed
    @abstractmethod
    def subscribe(self, listener: Listener[L]) -> None:
        """Call `listener(old, new)` after every applied change (None: no lease there)."""

    @abstractmethod
    def unsubscribe(self, listener: Listener[L]) -> None: ...

    # -- writes
    @abstractmethod
    def put(self, lease: L) -> None:
        """Add or replace the lease at `lease.address`. ValueError for a lease the format cannot hold;
        LeaseStoreError if the change could not be recorded (then nothing changed)."""

    @abstractmethod
    def delete(self, address: int) -> bool:
        """Remove the lease at `address`; False if there was none. LeaseStoreError as for put."""

    # -- statistics of the store itself
    def use_statistics(self, stats: Statistics) -> None:
        """Count failed writes and syncs (`lease-store-write-errors`) and compactions in `stats` from now on."""
        self._stats = stats

    def _count_write_error(self) -> None:
        if self._stats is not None:
            self._stats.inc(WRITE_ERRORS)

    # -- durability hooks for the server loop (memfile.py overrides them)
    @property
    def persistent_path(self) -> str | None:
        """The lease file this store keeps its leases in, or None if they live in memory only."""
        return None

    def wakeup_fd(self) -> int | None:
        """A file descriptor that becomes readable when `poll()` has news, or None if it never will."""
        return None

    def poll(self) -> list[tuple[int, bool]]:
        """Durability events since the last call, in order: (seq, ok). ok: every change up to seq is durable;
        not ok: changes after the previous event up to seq could not be made durable."""
        return []

    def flush(self) -> None:  # noqa: B027 - memory is as durable as it gets
        """Block until every change handed to the store so far is durable."""

    def close(self) -> None:  # noqa: B027 - nothing to release in memory
        """Flush and release resources."""

    # -- compaction hooks for the lease-file cleanup timer (memfile.py overrides them)
    @property
    def compacting(self) -> bool:
        return False

    def needs_compaction(self) -> bool:
        return False

    def start_compaction(self) -> bool:
        """Start compacting the lease file in the background; False if nothing was started."""
        return False

    def reap_compaction(self) -> None:  # noqa: B027 - nothing runs in the background in memory
        """Collect a finished background compaction, without waiting."""


class MemoryLeaseStore(LeaseStore[L]):
    """Leases as packed records with secondary indexes; the base of the persistent memfile store."""

    def __init__(self, format: RecordFormat[L], capacity: int = 0) -> None:
        self.format = format
        self._records: dict[int, bytes] = {}
        # The format's functions, looked up once: every put and every read calls them.
        self._pack = format.pack
        self._unpack = format.unpack
        self._expiry_key = format.expiry_key
        self._record_expire = format.expire
        self._record_subnet = format.subnet
        self._keys_offset = format.keys_offset
        self._key_functions = tuple(format.indexes.items())
        self._make_indexes(capacity)
        self._sorted: list[int] | None = None  # built on the first page() call
        self._added: set[int] = set()
        self._removed: set[int] = set()
        self._listeners: list[Listener[L]] = []

    def _make_indexes(self, capacity: int) -> None:
        fmt = self.format
        self._indexes = {
            name: HashIndex(key_of, self._records, fmt.new_slots, fmt.tombstone, capacity)
            for name, key_of in self._key_functions
        }
        # (index, key function) pairs, for the writes that keep every index in step
        self._index_pairs = tuple((self._indexes[name], key_of) for name, key_of in self._key_functions)
        self._by_hwaddr = self._indexes["hwaddr"]
        self._by_hostname = self._indexes["hostname"]
        self._expiry = ExpiryIndex()

    # -- reads
    def get(self, address: int) -> L | None:
        record = self._records.get(address)
        return self._unpack(address, record) if record is not None else None

    def __contains__(self, address: object) -> bool:
        return address in self._records

    def _leases(self, addresses: list[int], subnet_id: int | None) -> list[L]:
        records, unpack, subnet_of = self._records, self._unpack, self._record_subnet
        found = []
        for address in sorted(addresses):
            record = records[address]
            if subnet_id is None or subnet_of(record) == subnet_id:
                found.append(unpack(address, record))
        return found

    def find(self, index: str, key: Hashable, subnet_id: int | None = None) -> list[L]:
        if key is None:
            return []
        return self._leases(self._indexes[index].find(key), subnet_id)

    def find_by_hwaddr(self, hwaddr: bytes, subnet_id: int | None = None) -> list[L]:
        if not hwaddr:
            return []
        return self._leases(self._by_hwaddr.find(bytes(hwaddr)), subnet_id)

    def find_by_hostname(self, hostname: str) -> list[L]:
        if not hostname:
            return []
        return self._leases(self._by_hostname.find(hostname.lower()), None)

    def find_by_subnet(self, subnet_id: int) -> list[L]:
        return self._leases(list(self._expiry.subnet(subnet_id)), None)

    def find_expired(self, now: float, limit: int | None = None, subnet_id: int | None = None) -> list[L]:
        return self._due(ACTIVE, int(now), limit, subnet_id)

    def find_reclaimed(
        self, before: float, limit: int | None = None, subnet_id: int | None = None
    ) -> list[L]:
        return self._due(RECLAIMED, int(before), limit, subnet_id)

    def _due(self, cls: int, until: int, limit: int | None, subnet_id: int | None) -> list[L]:
        found: list[L] = []
        records, expire = self._records, self._record_expire
        for address in self._expiry.due(cls, until, subnet_id):
            if limit is not None and len(found) >= limit:
                break
            record = records.get(address)
            if record is not None and expire(record) <= until:
                found.append(self._unpack(address, record))
        return found

    def page(self, from_address: int, limit: int) -> list[L]:
        order = self._settle_order()
        start = bisect_right(order, from_address)
        unpack, records = self._unpack, self._records
        return [unpack(a, records[a]) for a in order[start : start + max(0, limit)]]

    def _settle_order(self) -> list[int]:
        if self._sorted is None or len(self._added) + len(self._removed) > 64 + len(self._sorted) // 32:
            self._sorted = sorted(self._records)
        else:
            order = self._sorted
            for address in self._removed:
                i = bisect_left(order, address)
                if i < len(order) and order[i] == address:
                    del order[i]
            for address in self._added:
                insort(order, address)
        self._added.clear()
        self._removed.clear()
        return self._sorted

    def ordered_addresses(self) -> list[int]:
        return self._settle_order()

    def all(self) -> Iterator[L]:
        records, unpack = self._records, self._unpack
        for address in list(records):
            record = records.get(address)
            if record is not None:
                yield unpack(address, record)

    def addresses(self) -> list[int]:
        return list(self._records)

    def __len__(self) -> int:
        return len(self._records)

    # -- subscribers
    def subscribe(self, listener: Listener[L]) -> None:
        """Call `listener(old, new)` after every applied change (None: no lease there). After put(lease) `new`
        is that very lease object, not a copy: a listener reads it and keeps nothing of it."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener[L]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- writes (in memory; the memfile store records them first)
    def put(self, lease: L) -> None:
        self._apply(lease.address, self._pack(lease), lease)

    def delete(self, address: int) -> bool:
        if address not in self._records:
            return False
        self._apply(address, None)
        return True

    def _apply(self, address: int, record: bytes | None, lease: L | None = None) -> None:
        """Make `record` (None: no lease) the state of `address` and keep every index in step. `lease`: the
        lease `record` was packed from, if the caller has it (put): the subscribers get it as the new lease
        instead of a copy read back from the record."""
        old = self._records.get(address)
        if record is None:
            if old is None:
                return
            del self._records[address]
        else:
            self._records[address] = record
        if old is None:
            self._index_new(address, record)  # type: ignore[arg-type]
        elif record is None:
            self._unindex(address, old)
        else:
            self._reindex(address, old, record)
        if self._listeners:
            self._announce(address, old, record, lease)

    def _index_new(self, address: int, record: bytes) -> None:
        for index, key_of in self._index_pairs:
            key = key_of(record)
            if key is not None:
                index.add(key, address)
        self._expiry.add(self._expiry_key(record), address)
        if self._sorted is not None:
            if address in self._removed:
                self._removed.discard(address)
            else:
                self._added.add(address)

    def _unindex(self, address: int, record: bytes) -> None:
        for index, key_of in self._index_pairs:
            key = key_of(record)
            if key is not None:
                index.discard(key, address)
        self._expiry.discard(self._expiry_key(record), address)
        if self._sorted is not None:
            if address in self._added:
                self._added.discard(address)
            else:
                self._removed.add(address)

    def _reindex(self, address: int, old: bytes, new: bytes) -> None:
        # A renewal changes none of the keys but the expiry: touch only what moved (and when the bytes the
        # keys are read from are the same, look at no hash index at all).
        offset = self._keys_offset
        if old[offset:] != new[offset:]:
            for index, key_of in self._index_pairs:
                before, after = key_of(old), key_of(new)
                if before != after:
                    if before is not None:
                        index.discard(before, address)
                    if after is not None:
                        index.add(after, address)
        before_key, after_key = self._expiry_key(old), self._expiry_key(new)
        if before_key != after_key:
            self._expiry.discard(before_key, address)
            self._expiry.add(after_key, address)

    def _announce(self, address: int, old: bytes | None, new: bytes | None, lease: L | None = None) -> None:
        unpack = self._unpack
        before = unpack(address, old) if old is not None else None
        after = lease if lease is not None else (unpack(address, new) if new is not None else None)
        for listener in list(self._listeners):
            try:
                listener(before, after)
            except Exception:
                log.exception("DHCPSRV_LEASE_LISTENER_FAIL a lease-change subscriber failed")

    def _replace_all(self, records: dict[int, bytes]) -> None:
        """Adopt `records` (key -> packed record) as the whole state (loading), building every index at
        its final size."""
        self._records = records
        self._make_indexes(len(records))
        self._sorted = None
        self._added.clear()
        self._removed.clear()
        pairs, expiry, expiry_key = self._index_pairs, self._expiry, self._expiry_key
        for address, record in records.items():
            for index, key_of in pairs:
                key = key_of(record)
                if key is not None:
                    index.add(key, address)
            expiry.add(expiry_key(record), address)
