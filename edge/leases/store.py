"""The LeaseStore interface and the indexed in-memory store that every lease store builds on.

Rules:
- Every read the engine makes is an index lookup: by address, hardware address, client-id, hostname, and
  (subnet, expiry) for reclamation and per-subnet queries. Nothing on the packet path scans all leases.
- `put` is the only way to add or change a lease; it replaces the record for that address whole, and
  `delete` removes it. Both cost the same whatever the number of leases (amortised: a hash index doubles
  now and then). A lease that cannot be represented (address 0.0.0.0, a 300-byte client-id, ...) is a
  ValueError and changes nothing.
- Reads hand out fresh Lease objects: callers may change them and `put` them back.
- Every applied change is announced to subscribers as (old, new) — None for "absent" — so statistics and
  the allocator follow the store instead of guessing. A failing subscriber is logged, never fatal.
- Durability is counted in sequence numbers: `last_seq` numbers the last change handed to the store and
  `durable_seq` the last one that is as durable as the store promises. Memory has nothing to wait for, so
  the two are equal here; the memfile store (memfile.py) makes them differ and says when they meet through
  `wakeup_fd()` and `poll()`.

Theory of operation (memory is the constraint on a Pi): a lease is kept as one packed bytes record of
about 40-80 bytes keyed by address, not as a Python object with eleven attribute objects (~400 bytes);
at 100 000 leases that is ~25 MB instead of ~65 MB. Record layout (network byte order):

    cltt q | valid_lifetime I | subnet_id I | state B | flags B | hwlen B hwaddr | cidlen B client_id |
    hostlen H hostname (UTF-8) | user_context (compact JSON, to the end)
    flags: 1 fqdn_fwd, 2 fqdn_rev, 4 client-id present, 8 user_context present

The hardware-address, client-id and hostname indexes are open-addressing hash tables of 32-bit addresses
in an `array('I')` (4 bytes a slot, at most half full); a slot only says "look at this address", and the
key is confirmed against the record, so colliding keys cost a comparison, never a wrong answer. The expiry
index keeps a set of addresses per (class, 16-second bucket, subnet), class being "may need reclaiming"
(states default and declined) or "reclaimed, waiting to be flushed", with the bucket keys in a sorted list.
`page()` keeps a sorted address list only once someone pages, and then patches it from the changes since.
"""

from __future__ import annotations

import json
import logging
import struct
from abc import ABC, abstractmethod
from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator
from typing import Any

from edge.leases.lease import STATE_EXPIRED_RECLAIMED, Lease
from edge.wire.addr import ip_to_int

log = logging.getLogger("edge.leases")

Listener = Callable[[Lease | None, Lease | None], None]


class LeaseStoreError(Exception):
    """A change could not be recorded; the caller must not tell the client it has the lease."""


class LeaseStore(ABC):
    # Durability bookkeeping: see the module docstring. Memory stores never wait.
    last_seq = 0
    durable_seq = 0

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

    # -- durability hooks for the server loop (memfile.py overrides them)
    def wakeup_fd(self) -> int | None:
        """A file descriptor that becomes readable when `poll()` has news, or None if it never will."""
        return None

    def poll(self) -> list[tuple[int, bool]]:
        """Durability events since the last call, in order: (seq, ok). ok: every change up to seq is durable;
        not ok: changes after the previous event up to seq could not be made durable."""
        return []

    def flush(self) -> None:  # noqa: B027 - memory is as durable as it gets
        """Block until every change handed to the store so far is durable."""


# ---------------------------------------------------------------------------------------------- records

_HEAD = struct.Struct("!qIIBB")  # cltt, valid_lifetime, subnet_id, state, flags
_HEAD_SIZE = _HEAD.size  # 18
_F_FWD, _F_REV, _F_CID, _F_CTX = 1, 2, 4, 8
NO_ADDRESS = 0  # 0.0.0.0: never a lease; the empty slot of the hash indexes
TOMBSTONE = 0xFFFFFFFF  # 255.255.255.255: never a lease; a deleted slot
BUCKET_SHIFT = 4  # expiry buckets of 16 seconds
ACTIVE, RECLAIMED = 0, 1  # expiry index classes


def check_address(address: int) -> None:
    if not isinstance(address, int) or not NO_ADDRESS < address < TOMBSTONE:
        raise ValueError("%r is not a usable IPv4 lease address" % (address,))


def pack_record(lease: Lease) -> bytes:
    """The packed form of `lease` (without its address, which is the key). ValueError if it does not fit."""
    check_address(lease.address)
    return _pack(
        lease.hwaddr,
        lease.client_id,
        lease.valid_lifetime,
        lease.cltt,
        lease.subnet_id,
        lease.hostname,
        lease.state,
        lease.fqdn_fwd,
        lease.fqdn_rev,
        lease.user_context,
    )


def pack_document(doc: dict[str, Any]) -> tuple[int, bytes]:
    """(address, packed record) straight from a TinyDB lease document, as Lease.from_doc would read it
    (the loader's fast path: no Lease object). ValueError/KeyError/TypeError for a bad document."""
    address = ip_to_int(doc["address"])
    check_address(address)
    valid = int(doc["valid_lifetime"])
    client_id = doc.get("client_id") or ""
    return address, _pack(
        bytes.fromhex(doc.get("hwaddr", "").replace(":", "")),
        bytes.fromhex(client_id.replace(":", "")) if client_id else None,
        valid,
        int(doc["expire"]) - valid,
        int(doc.get("subnet_id", 0)),
        doc.get("hostname", "") or "",
        int(doc.get("state", 0)),
        bool(doc.get("fqdn_fwd", False)),
        bool(doc.get("fqdn_rev", False)),
        doc.get("user_context"),
    )


def _pack(
    hwaddr: bytes | None,
    client_id: bytes | None,
    valid: int,
    cltt: int,
    subnet_id: int,
    hostname: str,
    state: int,
    fqdn_fwd: bool,
    fqdn_rev: bool,
    user_context: Any,
) -> bytes:
    hwaddr = bytes(hwaddr or b"")
    # An empty client-id and an empty user context are "none": that is how the documents store them.
    cid = bytes(client_id) if client_id else b""
    host = hostname.encode("utf-8") if hostname else b""
    flags = (_F_FWD if fqdn_fwd else 0) | (_F_REV if fqdn_rev else 0) | (_F_CID if cid else 0)
    context = b""
    if user_context:
        if not isinstance(user_context, dict):
            raise ValueError("user_context must be a JSON object, not %s" % type(user_context).__name__)
        flags |= _F_CTX
        context = json.dumps(user_context, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(hwaddr) > 20:
        raise ValueError("hardware address of %d bytes (at most 20)" % len(hwaddr))
    if len(cid) > 255:
        raise ValueError("client-id of %d bytes (at most 255)" % len(cid))
    if len(host) > 0xFFFF:
        raise ValueError("hostname of %d bytes" % len(host))
    try:
        head = _HEAD.pack(cltt, valid, subnet_id, state, flags)
    except struct.error as exc:
        raise ValueError(
            "lease field out of range (cltt %r, valid_lifetime %r, subnet_id %r, state %r): %s"
            % (cltt, valid, subnet_id, state, exc)
        ) from exc
    return b"".join(
        (
            head,
            bytes((len(hwaddr),)),
            hwaddr,
            bytes((len(cid),)),
            cid,
            len(host).to_bytes(2, "big"),
            host,
            context,
        )
    )


def unpack_record(address: int, record: bytes) -> Lease:
    cltt, valid, subnet_id, state, flags = _HEAD.unpack_from(record)
    offset = _HEAD_SIZE + 1 + record[_HEAD_SIZE]
    hwaddr = record[_HEAD_SIZE + 1 : offset]
    cid_len = record[offset]
    client_id = record[offset + 1 : offset + 1 + cid_len] if flags & _F_CID else None
    offset += 1 + cid_len
    host_len = record[offset] << 8 | record[offset + 1]
    offset += 2
    hostname = record[offset : offset + host_len].decode("utf-8") if host_len else ""
    context = json.loads(record[offset + host_len :]) if flags & _F_CTX else None
    return Lease(
        address,
        hwaddr,
        client_id,
        valid,
        cltt,
        subnet_id,
        hostname,
        state,
        bool(flags & _F_FWD),
        bool(flags & _F_REV),
        context,
    )


def _hwaddr_key(record: bytes) -> bytes | None:
    return record[_HEAD_SIZE + 1 : _HEAD_SIZE + 1 + record[_HEAD_SIZE]] or None


def _client_id_key(record: bytes) -> bytes | None:
    if not record[_HEAD_SIZE - 1] & _F_CID:
        return None
    offset = _HEAD_SIZE + 1 + record[_HEAD_SIZE]
    return record[offset + 1 : offset + 1 + record[offset]] or None


def _hostname_key(record: bytes) -> str | None:
    offset = _HEAD_SIZE + 1 + record[_HEAD_SIZE]
    offset += 1 + record[offset]
    length = record[offset] << 8 | record[offset + 1]
    if not length:
        return None
    return record[offset + 2 : offset + 2 + length].decode("utf-8").lower()


def record_expire(record: bytes) -> int:
    cltt, valid, _, _, _ = _HEAD.unpack_from(record)
    return cltt + valid


def record_subnet(record: bytes) -> int:
    return _HEAD.unpack_from(record)[2]


def _expiry_key(record: bytes) -> tuple[int, int, int]:
    cltt, valid, subnet_id, state, _ = _HEAD.unpack_from(record)
    return (
        RECLAIMED if state == STATE_EXPIRED_RECLAIMED else ACTIVE,
        (cltt + valid) >> BUCKET_SHIFT,
        subnet_id,
    )


# ---------------------------------------------------------------------------------------------- indexes


def _tag(hashed: int) -> int:
    """Eight bits of a key's hash other than the ones that pick its slot (tables up to 2**20 slots)."""
    return hashed >> 20 & 0xFF


class _HashIndex:
    """key -> addresses, as an open-addressing table of addresses verified against the records.

    Each slot also keeps a one-byte tag of its key's hash, so a probe passes over another key's slot after
    comparing a byte, and only a tag match pays for cutting the key out of the record (1 in 256 otherwise):
    the probes of a lookup that finds nothing — every new client — cost almost nothing."""

    __slots__ = ("_slots", "_tags", "_mask", "_live", "_filled", "_key_of", "_records")

    def __init__(self, key_of: Callable[[bytes], Any], records: dict[int, bytes], capacity: int = 0) -> None:
        self._key_of = key_of
        self._records = records
        size = 16
        while size < capacity * 2 + 2:
            size *= 2
        self._slots = array("I", bytes(4 * size))
        self._tags = bytearray(size)
        self._mask = size - 1
        self._live = 0
        self._filled = 0  # live + tombstones

    def add(self, key: Any, address: int) -> None:
        if (self._filled + 1) * 2 > len(self._slots):
            self._rebuild(self._live + 1)
        slots, mask = self._slots, self._mask
        hashed = hash(key)
        i = hashed & mask
        while True:
            slot = slots[i]
            if slot == NO_ADDRESS or slot == TOMBSTONE:
                slots[i] = address
                self._tags[i] = _tag(hashed)
                self._live += 1
                if slot == NO_ADDRESS:
                    self._filled += 1
                return
            i = (i + 1) & mask

    def discard(self, key: Any, address: int) -> None:
        slots, mask = self._slots, self._mask
        i = hash(key) & mask
        while True:
            slot = slots[i]
            if slot == NO_ADDRESS:
                return
            if slot == address:
                slots[i] = TOMBSTONE
                self._live -= 1
                return
            i = (i + 1) & mask

    def find(self, key: Any) -> list[int]:
        found = []
        slots, tags, mask, records, key_of = self._slots, self._tags, self._mask, self._records, self._key_of
        hashed = hash(key)
        tag = _tag(hashed)
        i = hashed & mask
        while True:
            slot = slots[i]
            if slot == NO_ADDRESS:
                return found
            if tags[i] == tag and slot != TOMBSTONE and key_of(records[slot]) == key:
                found.append(slot)
            i = (i + 1) & mask

    def _rebuild(self, needed: int) -> None:
        live = [slot for slot in self._slots if slot != NO_ADDRESS and slot != TOMBSTONE]
        size = 16
        while size < max(needed, len(live)) * 4:
            size *= 2
        self._slots = array("I", bytes(4 * size))
        self._tags = bytearray(size)
        self._mask = size - 1
        self._live = self._filled = 0
        for address in live:
            self.add(self._key_of(self._records[address]), address)

    def memory(self) -> int:
        return self._slots.itemsize * len(self._slots) + len(self._tags)


class _ExpiryIndex:
    """Addresses by (class, expiry bucket, subnet), the bucket keys kept sorted for range scans."""

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
        """Addresses in `cls` whose bucket starts at or before time `until`, oldest bucket first (the last
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


# ---------------------------------------------------------------------------------------------- the store


class MemoryLeaseStore(LeaseStore):
    """Leases as packed records with secondary indexes; the base of the persistent memfile store."""

    def __init__(self, capacity: int = 0) -> None:
        self._records: dict[int, bytes] = {}
        self._by_hwaddr = _HashIndex(_hwaddr_key, self._records, capacity)
        self._by_client_id = _HashIndex(_client_id_key, self._records, capacity)
        self._by_hostname = _HashIndex(_hostname_key, self._records, capacity)
        self._expiry = _ExpiryIndex()
        self._sorted: list[int] | None = None  # built on the first page() call
        self._added: set[int] = set()
        self._removed: set[int] = set()
        self._listeners: list[Listener] = []

    # -- reads
    def get(self, address: int) -> Lease | None:
        record = self._records.get(address)
        return unpack_record(address, record) if record is not None else None

    def __contains__(self, address: object) -> bool:
        return address in self._records

    def _leases(self, addresses: list[int], subnet_id: int | None) -> list[Lease]:
        records = self._records
        found = []
        for address in sorted(addresses):
            record = records[address]
            if subnet_id is None or record_subnet(record) == subnet_id:
                found.append(unpack_record(address, record))
        return found

    def find_by_hwaddr(self, hwaddr: bytes, subnet_id: int | None = None) -> list[Lease]:
        if not hwaddr:
            return []
        return self._leases(self._by_hwaddr.find(bytes(hwaddr)), subnet_id)

    def find_by_client_id(self, client_id: bytes, subnet_id: int | None = None) -> list[Lease]:
        if not client_id:
            return []
        return self._leases(self._by_client_id.find(bytes(client_id)), subnet_id)

    def find_by_hostname(self, hostname: str) -> list[Lease]:
        if not hostname:
            return []
        return self._leases(self._by_hostname.find(hostname.lower()), None)

    def find_by_subnet(self, subnet_id: int) -> list[Lease]:
        """Every lease of one subnet, in address order."""
        return self._leases(list(self._expiry.subnet(subnet_id)), None)

    def find_expired(self, now: float, limit: int | None = None, subnet_id: int | None = None) -> list[Lease]:
        """Leases in the default or declined state whose expiry is at or before `now`, oldest first
        (bucket order), at most `limit`: what reclamation processes."""
        return self._due(ACTIVE, int(now), limit, subnet_id)

    def find_reclaimed(
        self, before: float, limit: int | None = None, subnet_id: int | None = None
    ) -> list[Lease]:
        """Expired-reclaimed leases that expired at or before `before`: what the flush removes."""
        return self._due(RECLAIMED, int(before), limit, subnet_id)

    def _due(self, cls: int, until: int, limit: int | None, subnet_id: int | None) -> list[Lease]:
        found: list[Lease] = []
        records = self._records
        for address in self._expiry.due(cls, until, subnet_id):
            if limit is not None and len(found) >= limit:
                break
            record = records.get(address)
            if record is not None and record_expire(record) <= until:
                found.append(unpack_record(address, record))
        return found

    def page(self, from_address: int, limit: int) -> list[Lease]:
        """Up to `limit` leases with addresses strictly above `from_address`, in address order (Kea's
        lease4-get-page: pass 0 for the first page, then the last address of the previous page)."""
        order = self._settle_order()
        start = bisect_right(order, from_address)
        return [unpack_record(a, self._records[a]) for a in order[start : start + max(0, limit)]]

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

    def all(self) -> Iterator[Lease]:
        records = self._records
        for address in list(records):
            record = records.get(address)
            if record is not None:
                yield unpack_record(address, record)

    def addresses(self) -> list[int]:
        return list(self._records)

    def __len__(self) -> int:
        return len(self._records)

    # -- subscribers
    def subscribe(self, listener: Listener) -> None:
        """Call `listener(old, new)` after every applied change (None: no lease there). After put(lease) `new`
        is that very Lease, not a copy: a listener reads it and keeps nothing of it."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- writes (in memory; the memfile store records them first)
    def put(self, lease: Lease) -> None:
        self._apply(lease.address, pack_record(lease), lease)

    def delete(self, address: int) -> bool:
        if address not in self._records:
            return False
        self._apply(address, None)
        return True

    def _apply(self, address: int, record: bytes | None, lease: Lease | None = None) -> None:
        """Make `record` (None: no lease) the state of `address` and keep every index in step. `lease`: the
        Lease `record` was packed from, if the caller has it (put): the subscribers get it as the new lease
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
        key = _hwaddr_key(record)
        if key is not None:
            self._by_hwaddr.add(key, address)
        key = _client_id_key(record)
        if key is not None:
            self._by_client_id.add(key, address)
        key = _hostname_key(record)
        if key is not None:
            self._by_hostname.add(key, address)
        self._expiry.add(_expiry_key(record), address)
        if self._sorted is not None:
            if address in self._removed:
                self._removed.discard(address)
            else:
                self._added.add(address)

    def _unindex(self, address: int, record: bytes) -> None:
        key = _hwaddr_key(record)
        if key is not None:
            self._by_hwaddr.discard(key, address)
        key = _client_id_key(record)
        if key is not None:
            self._by_client_id.discard(key, address)
        key = _hostname_key(record)
        if key is not None:
            self._by_hostname.discard(key, address)
        self._expiry.discard(_expiry_key(record), address)
        if self._sorted is not None:
            if address in self._added:
                self._added.discard(address)
            else:
                self._removed.add(address)

    def _reindex(self, address: int, old: bytes, new: bytes) -> None:
        # A renewal changes none of the keys but the expiry: touch only what moved.
        for index, key_of in (
            (self._by_hwaddr, _hwaddr_key),
            (self._by_client_id, _client_id_key),
            (self._by_hostname, _hostname_key),
        ):
            before, after = key_of(old), key_of(new)
            if before != after:
                if before is not None:
                    index.discard(before, address)
                if after is not None:
                    index.add(after, address)
        before_key, after_key = _expiry_key(old), _expiry_key(new)
        if before_key != after_key:
            self._expiry.discard(before_key, address)
            self._expiry.add(after_key, address)

    def _announce(self, address: int, old: bytes | None, new: bytes | None, lease: Lease | None = None) -> None:
        before = unpack_record(address, old) if old is not None else None
        after = lease if lease is not None else (unpack_record(address, new) if new is not None else None)
        for listener in list(self._listeners):
            try:
                listener(before, after)
            except Exception:
                log.exception("DHCPSRV_LEASE_LISTENER_FAIL a lease-change subscriber failed")

    def _replace_all(self, records: dict[int, bytes]) -> None:
        """Adopt `records` (address -> packed record) as the whole state (loading), building every index at
        its final size."""
        self._records = records
        size = len(records)
        self._by_hwaddr = _HashIndex(_hwaddr_key, self._records, size)
        self._by_client_id = _HashIndex(_client_id_key, self._records, size)
        self._by_hostname = _HashIndex(_hostname_key, self._records, size)
        self._expiry = _ExpiryIndex()
        self._sorted = None
        self._added.clear()
        self._removed.clear()
        hw, cid, host, expiry = self._by_hwaddr, self._by_client_id, self._by_hostname, self._expiry
        for address, record in self._records.items():
            key = _hwaddr_key(record)
            if key is not None:
                hw.add(key, address)
            key = _client_id_key(record)
            if key is not None:
                cid.add(key, address)
            key = _hostname_key(record)
            if key is not None:
                host.add(key, address)
            expiry.add(_expiry_key(record), address)

    # -- TinyDB view
