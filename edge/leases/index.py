"""The store's secondary indexes: hash indexes of keys verified against the records, and the expiry index.

Rules:
- An index never answers wrongly: a hash slot only says "look at this lease", and the key is confirmed
  against the packed record, so colliding keys cost a comparison, never a wrong answer.
- Every operation costs the same whatever the number of leases (amortised: a hash table doubles now and
  then); nothing here scans all leases except a rebuild.

Theory of operation: a HashIndex is an open-addressing table of lease keys (addresses), at most half full,
in the storage the RecordFormat gives (`array('I')`, 4 bytes a slot, for 32-bit keys; a list for 128-bit
ones); key 0 marks an empty slot and the all-ones key a deleted one (neither is ever a lease). Each slot
also keeps a one-byte tag of its key's hash, so a probe passes over another key's slot after comparing a
byte, and only a tag match pays for cutting the key out of the record (1 in 256 otherwise): the probes of
a lookup that finds nothing — every new client — cost almost nothing.

The ExpiryIndex keeps a set of keys per (class, 16-second bucket, subnet), class being "may need
reclaiming" (states default and declined) or "reclaimed, waiting to be flushed", with the bucket keys in a
sorted list for range scans.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from edge.leases.record import BUCKET_SHIFT, NO_KEY


def _tag(hashed: int) -> int:
    """Eight bits of a key's hash other than the ones that pick its slot (tables up to 2**20 slots)."""
    return hashed >> 20 & 0xFF


class HashIndex:
    """index key -> lease keys (see the module docstring)."""

    __slots__ = ("_slots", "_tags", "_mask", "_live", "_filled", "_key_of", "_records", "_tomb", "_new")

    def __init__(
        self,
        key_of: Callable[[bytes], Hashable | None],
        records: dict[int, bytes],
        new_slots: Callable[[int], Any],
        tombstone: int,
        capacity: int = 0,
    ) -> None:
        self._key_of = key_of
        self._records = records
        self._new = new_slots
        self._tomb = tombstone
        size = 16
        while size < capacity * 2 + 2:
            size *= 2
        self._slots = new_slots(size)
        self._tags = bytearray(size)
        self._mask = size - 1
        self._live = 0
        self._filled = 0  # live + tombstones

    def add(self, key: Hashable, address: int) -> None:
        if (self._filled + 1) * 2 > len(self._slots):
            self._rebuild(self._live + 1)
        slots, mask, tomb = self._slots, self._mask, self._tomb
        hashed = hash(key)
        i = hashed & mask
        while True:
            slot = slots[i]
            if slot == NO_KEY or slot == tomb:
                slots[i] = address
                self._tags[i] = _tag(hashed)
                self._live += 1
                if slot == NO_KEY:
                    self._filled += 1
                return
            i = (i + 1) & mask

    def discard(self, key: Hashable, address: int) -> None:
        slots, mask = self._slots, self._mask
        i = hash(key) & mask
        while True:
            slot = slots[i]
            if slot == NO_KEY:
                return
            if slot == address:
                slots[i] = self._tomb
                self._live -= 1
                return
            i = (i + 1) & mask

    def find(self, key: Hashable) -> list[int]:
        found = []
        slots, tags, mask, records, key_of = self._slots, self._tags, self._mask, self._records, self._key_of
        tomb = self._tomb
        hashed = hash(key)
        tag = _tag(hashed)
        i = hashed & mask
        while True:
            slot = slots[i]
            if slot == NO_KEY:
                return found
            if tags[i] == tag and slot != tomb and key_of(records[slot]) == key:
                found.append(slot)
            i = (i + 1) & mask

    def _rebuild(self, needed: int) -> None:
        tomb = self._tomb
        live = [slot for slot in self._slots if slot != NO_KEY and slot != tomb]
        size = 16
        while size < max(needed, len(live)) * 4:
            size *= 2
        self._slots = self._new(size)
        self._tags = bytearray(size)
        self._mask = size - 1
        self._live = self._filled = 0
        for address in live:
            key = self._key_of(self._records[address])
            if key is not None:
                self.add(key, address)

    def memory(self) -> int:
        slots = self._slots
        itemsize = getattr(slots, "itemsize", 8)  # an array's slot size; a list holds 8-byte references
        return itemsize * len(slots) + len(self._tags)


class ExpiryIndex:
    """Lease keys by (class, expiry bucket, subnet), the bucket keys kept sorted for range scans."""

    __slots__ = ("_sets", "_order")

    def __init__(self) -> None:
        self._sets: dict[tuple[int, int, int], set[int]] = {}
        self._order: list[tuple[int, int, int]] = []

    def add(self, key: tuple[int, int, int], address: int) -> None:
        bucket = self._sets.get(key)
        if bucket is None:
            bucket = self._sets[key] = set()
            insort(self._order, key)
        bucket.add(address)

    def discard(self, key: tuple[int, int, int], address: int) -> None:
        bucket = self._sets.get(key)
        if bucket is None:
            return
        bucket.discard(address)
        if not bucket:
            del self._sets[key]
            i = bisect_left(self._order, key)
            if i < len(self._order) and self._order[i] == key:
                del self._order[i]

    def due(self, cls: int, until: int, subnet_id: int | None) -> Iterator[int]:
        """Keys in `cls` whose bucket starts at or before time `until`, oldest bucket first (the last
        bucket may hold later times: callers check the exact expiry)."""
        last = until >> BUCKET_SHIFT
        i = bisect_left(self._order, (cls, -(2**63), -1))
        order = self._order
        keys = []
        while i < len(order):
            key = order[i]
            if key[0] != cls or key[1] > last:
                break
            if subnet_id is None or key[2] == subnet_id:
                keys.append(key)
            i += 1
        for key in keys:
            bucket = self._sets.get(key)
            if bucket:
                yield from list(bucket)

    def subnet(self, subnet_id: int) -> Iterator[int]:
        for key in [k for k in self._order if k[2] == subnet_id]:
            bucket = self._sets.get(key)
            if bucket:
                yield from list(bucket)
