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
  most MAX_ATTEMPTS candidates are looked at per pick.
"""

from __future__ import annotations

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
        self.pointers[key] = (index, candidate)
        return None


def reserved_resources(host: Reservation6 | None, lease_type: int) -> Sequence[tuple[int, int]]:
    """(address, prefix length) pairs `host` reserves of one type."""
    if host is None:
        return ()
    if lease_type == TYPE_NA:
        return tuple((address, 128) for address in host.ip_addresses)
    if lease_type == TYPE_PD:
        return host.prefixes
    return ()
