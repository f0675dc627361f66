"""DHCPv6 address and prefix allocation (Kea 2.2's AllocEngine for IA_NA and IA_PD, iterative allocator).

Rules (each confirmed against kea-dhcp6 2.2 in tests/lab/kea6-observed.md):
- Iterative: per subnet and lease type one pointer walks its pools in order, the first pick being the first
  address of the first pool (`::` itself for a /64 pool), prefixes stepping by the delegated length. The
  pointer moves on every pick, an ADVERTISE's too, although an ADVERTISE commits nothing: the next
  SOLICIT gets the next address, and the REQUEST that follows an ADVERTISE names its address as a hint.
- A hint is honoured when it is free, inside one of the subnet's pools the client may use, and reserved to
  no one else; a hint outside the subnet is ignored; a prefix hint with only a length (`::/60`) has no
  effect.
- A candidate is free when no lease holds it or its lease has expired (reclaimed on the fly, as Kea does);
  a declined address is held until its probation period ends. Reserved addresses and prefixes go only to
  their host.
- Cost is flat in the pool's size: the pointer makes the next free candidate the next one tried, and at
  most MAX_ATTEMPTS candidates are looked at one by one per pick (Kea's order, expired leases reused in
  place). Past that the pick never gives up while something is free: the next candidate no lease holds
  is found by binary search over the store's ordered addresses (a run of busy leases costs O(log n), not
  its length), else an expired lease of the subnet from the expiry index. Memory is the store's: one
  sorted reference per lease, nothing per pool candidate.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from edge.dhcp6.lease import TYPE_NA, TYPE_PD, Lease6
from edge.dhcp6.lease_store import LeaseStore6
from edge.dhcp6.model import PdPool6, Pool6, Reservation6, Subnet6
from edge.policy.hosts import GLOBAL, HostManager

__all__ = ["MAX_ATTEMPTS", "Allocator6", "Range6", "ranges"]

MAX_ATTEMPTS = 4096


@dataclass(frozen=True, slots=True)
class Range6:
    """One pool as the allocator walks it: candidates first, first + step, ... up to last."""

    first: int
    last: int
    step: int
    prefix_len: int
    pool: Pool6 | PdPool6

    @property
    def count(self) -> int:
        return (self.last - self.first) // self.step + 1

    def __contains__(self, address: int) -> bool:
        return self.first <= address <= self.last and (address - self.first) % self.step == 0


def ranges(subnet: Subnet6, lease_type: int) -> tuple[Range6, ...]:
    if lease_type == TYPE_PD:
        return tuple(
            Range6(p.prefix, p.last, 1 << (128 - p.delegated_len), p.delegated_len, p)
            for p in subnet.pd_pools
        )
    return tuple(Range6(p.first, p.last, 1, 128, p) for p in subnet.pools)


def allowed(pool: Pool6 | PdPool6, classes: Collection[str]) -> bool:
    """Kea 2.2: a pool with a client class serves only packets in it."""
    return not pool.client_classes or any(name in classes for name in pool.client_classes)


def is_free(lease: Lease6 | None, now: float) -> bool:
    return lease is None or lease.valid_lifetime == 0 or lease.expire <= now


class Allocator6:
    """Picks addresses and prefixes for one configuration snapshot; the pointers survive a reconfigure
    (handed over with `pointers`)."""

    def __init__(
        self,
        store: LeaseStore6,
        hosts: HostManager[Reservation6],
        pointers: dict[tuple[int, int], tuple[int, int]] | None = None,
    ) -> None:
        self.store = store
        self.hosts = hosts
        # (subnet id, lease type) -> (range index, next candidate)
        self.pointers: dict[tuple[int, int], tuple[int, int]] = {} if pointers is None else pointers
        self._ranges: dict[tuple[int, int], tuple[Range6, ...]] = {}

    def ranges(self, subnet: Subnet6, lease_type: int) -> tuple[Range6, ...]:
        key = (subnet.id, lease_type)
        found = self._ranges.get(key)
        if found is None:
            found = self._ranges[key] = ranges(subnet, lease_type)
        return found

    def range_of(self, subnet: Subnet6, lease_type: int, address: int) -> Range6 | None:
        for r in self.ranges(subnet, lease_type):
            if address in r:
                return r
        return None

    def reserved_to_other(self, subnet: Subnet6, address: int, host: Reservation6 | None) -> bool:
        if self.hosts.empty:
            return False
        for sid in (subnet.id, GLOBAL):
            for owner in self.hosts.by_address(sid, address):
                if owner is not host:
                    return True
        return False

    def usable(
        self,
        subnet: Subnet6,
        lease_type: int,
        address: int,
        now: float,
        classes: Collection[str],
        host: Reservation6 | None,
        duid: bytes,
        taken: Collection[int],
    ) -> int | None:
        """The prefix length `address` would be leased with, when this client may have it now; else None."""
        if address in taken:
            return None
        r = self.range_of(subnet, lease_type, address)
        if r is None or not allowed(r.pool, classes):
            return None
        lease = self.store.get(address)
        if not is_free(lease, now) and (lease is None or lease.duid != duid):
            return None
        if self.reserved_to_other(subnet, address, host):
            return None
        return r.prefix_len

    def pick(
        self,
        subnet: Subnet6,
        lease_type: int,
        now: float,
        classes: Collection[str],
        host: Reservation6 | None,
        taken: Collection[int],
    ) -> tuple[int, int] | None:
        """The next free (address, prefix length) of the subnet's pools by the iterative pointer."""
        rs = self.ranges(subnet, lease_type)
        if not rs:
            return None
        key = (subnet.id, lease_type)
        index, candidate = self.pointers.get(key, (0, rs[0].first))
        if index >= len(rs) or candidate not in rs[index]:
            index, candidate = 0, rs[0].first
        total = sum(r.count for r in rs)
        for _ in range(min(total, MAX_ATTEMPTS)):
            r = rs[index]
            address = candidate
            # advance the pointer first: Kea moves it whether or not the candidate is used
            candidate = address + r.step
            if candidate > r.last:
                index = (index + 1) % len(rs)
                candidate = rs[index].first
            if not allowed(r.pool, classes) or address in taken:
                continue
            if not is_free(self.store.get(address), now):
                continue
            if self.reserved_to_other(subnet, address, host):
                continue
            self.pointers[key] = (index, candidate)
            return address, r.prefix_len
        if total > MAX_ATTEMPTS:
            found = self._beyond_cap(subnet, rs, index, candidate, now, classes, host, taken)
            if found is not None:
                index, address = found
                r = rs[index]
                candidate = address + r.step
                if candidate > r.last:
                    index = (index + 1) % len(rs)
                    candidate = rs[index].first
                self.pointers[key] = (index, candidate)
                return address, r.prefix_len
        self.pointers[key] = (index, candidate)
        return None

    def _beyond_cap(
        self,
        subnet: Subnet6,
        rs: tuple[Range6, ...],
        index: int,
        candidate: int,
        now: float,
        classes: Collection[str],
        host: Reservation6 | None,
        taken: Collection[int],
    ) -> tuple[int, int] | None:
        """(range index, address) of the next free candidate from the pointer on, when MAX_ATTEMPTS
        candidates in a row were busy: first a candidate no lease holds (found by binary search over the
        store's ordered addresses: O(log n) a run of busy leases), else an expired lease of the subnet."""
        order = self.store.ordered_addresses()
        # every range from the pointer on, then back to the pointer's own range from its first candidate
        walk = [(index, candidate)]
        walk += [((index + k) % len(rs), rs[(index + k) % len(rs)].first) for k in range(1, len(rs) + 1)]
        for i, start in walk:
            r = rs[i]
            if not allowed(r.pool, classes):
                continue
            address: int | None = start
            while address is not None:
                address = _hole(order, address, r)
                if address is None:
                    break
                if address in self.store:  # an address out of step inside the range: step past it
                    address = address + r.step if address + r.step <= r.last else None
                    continue
                if address not in taken and not self.reserved_to_other(subnet, address, host):
                    return i, address
                address = address + r.step if address + r.step <= r.last else None
        for lease in self.store.find_expired(now, subnet_id=subnet.id):
            if not is_free(lease, now):
                continue
            for i, r in enumerate(rs):
                if lease.address in r and allowed(r.pool, classes):
                    if lease.address not in taken and not self.reserved_to_other(subnet, lease.address, host):
                        return i, lease.address
        return None


def _hole(order: list[int], start: int, r: Range6) -> int | None:
    """The first candidate of `r` at or after `start` (itself a candidate) that no address in `order`
    (ascending) holds, or None. Assumes the leased addresses inside `r` are candidates of `r`: then the
    keys from `start` on equal start, start + step, ... exactly as far as the run of busy ones goes."""
    if start > r.last:
        return None
    i = bisect_left(order, start)
    if i == len(order) or order[i] != start:
        return start
    step = r.step
    # largest j with order[i + j] == start + j * step (true for j = 0)
    lo, hi = 0, min(len(order) - 1 - i, (r.last - start) // step)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if order[i + mid] == start + mid * step:
            lo = mid
        else:
            hi = mid - 1
    after = start + (lo + 1) * step
    return after if after <= r.last else None


def reserved_resources(host: Reservation6 | None, lease_type: int) -> Sequence[tuple[int, int]]:
    """(address, prefix length) pairs `host` reserves of one type."""
    if host is None:
        return ()
    if lease_type == TYPE_NA:
        return tuple((address, 128) for address in host.ip_addresses)
    if lease_type == TYPE_PD:
        return host.prefixes
    return ()
