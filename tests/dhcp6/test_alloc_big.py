"""Pools too big to enumerate: a nearly full 65 536-prefix pool and a /64 address pool loaded from the store
as after a restart give out every free candidate (none is refused past the MAX_ATTEMPTS cap), and a full
pool gives nothing."""

from __future__ import annotations

import ipaddress
import random

from edge.dhcp6.alloc import MAX_ATTEMPTS, Allocator6
from edge.dhcp6.lease import TYPE_NA, TYPE_PD, Lease6
from edge.dhcp6.lease_store import MemfileLeaseStore6, MemoryLeaseStore6
from edge.dhcp6.model import PdPool6, Pool6, Subnet6
from edge.policy.hosts import HostManager

NOW = 1_700_000_000
PD_NET = int(ipaddress.IPv6Address("2001:db8::"))
NA_NET = int(ipaddress.IPv6Address("2001:db8:1::"))
PD_STEP = 1 << (128 - 56)
SUBNET = Subnet6(
    id=1,
    network=int(ipaddress.IPv6Address("2001:db8::")),
    prefix_len=32,
    pools=(Pool6(NA_NET, NA_NET + 2**64 - 1),),
    pd_pools=(PdPool6(PD_NET, 40, 56),),
)


def _lease(address: int, lease_type: int, n: int) -> Lease6:
    return Lease6(
        address, b"\x00\x03\x00\x01" + n.to_bytes(6, "big"), n, lease_type,
        56 if lease_type == TYPE_PD else 128, 1800, 3600, NOW, 1,
    )  # fmt: skip


def _allocator(store: MemoryLeaseStore6) -> Allocator6:
    return Allocator6(store, HostManager([], ["duid"]))


def _drain(allocator: Allocator6, lease_type: int, limit: int) -> list[int]:
    """Pick (and lease) until the allocator answers None or `limit` picks."""
    got = []
    for n in range(limit):
        found = allocator.pick(SUBNET, lease_type, NOW + 1, (), None, ())
        if found is None:
            break
        address, _ = found
        assert allocator.store.get(address) is None
        allocator.store.put(_lease(address, lease_type, 10**6 + n))
        got.append(address)
    return got


def test_a_99_percent_full_prefix_pool_after_a_restart_gives_every_free_prefix(tmp_path) -> None:
    count = 1 << 16
    rng = random.Random(7)
    free = set(rng.sample(range(MAX_ATTEMPTS, count), 12))  # all beyond the first MAX_ATTEMPTS candidates
    path = str(tmp_path / "dhcp6.leases")
    store = MemfileLeaseStore6(path)
    for k in range(count):
        if k not in free:
            store.put(_lease(PD_NET + k * PD_STEP, TYPE_PD, k))
    store.close()
    again = MemfileLeaseStore6(path)  # the restart: a fresh allocator, pointer at the pool's start
    try:
        assert len(again) == count - len(free)
        got = _drain(_allocator(again), TYPE_PD, 100)
        assert sorted(got) == sorted(PD_NET + k * PD_STEP for k in free)
        assert got == sorted(got)  # pool order, as Kea's iterative allocator walks it
        # full now: no prefix, however often asked
        allocator = _allocator(again)
        assert allocator.pick(SUBNET, TYPE_PD, NOW + 1, (), None, ()) is None
        assert allocator.pick(SUBNET, TYPE_PD, NOW + 1, (), None, ()) is None
    finally:
        again.close()


def test_an_expired_lease_is_reused_when_nothing_else_is_free() -> None:
    count = 1 << 16
    store = MemoryLeaseStore6()
    for k in range(count):
        lease = _lease(PD_NET + k * PD_STEP, TYPE_PD, k)
        if k == 50_000:
            lease.cltt = NOW - 7200  # expired an hour ago, not yet reclaimed
        store.put(lease)
    allocator = _allocator(store)
    assert allocator.pick(SUBNET, TYPE_PD, NOW + 1, (), None, ()) == (PD_NET + 50_000 * PD_STEP, 56)


def test_a_slash_64_with_a_long_busy_run_gives_the_addresses_after_it() -> None:
    store = MemoryLeaseStore6()
    busy = 3 * MAX_ATTEMPTS  # one run of busy addresses from the pool's start, then some scattered
    for k in range(busy):
        store.put(_lease(NA_NET + k, TYPE_NA, k))
    for k in (busy + 1, busy + 3):
        store.put(_lease(NA_NET + k, TYPE_NA, k))
    got = _drain(_allocator(store), TYPE_NA, 4)
    assert got == [NA_NET + busy, NA_NET + busy + 2, NA_NET + busy + 4, NA_NET + busy + 5]


def test_a_full_address_pool_answers_nothing() -> None:
    store = MemoryLeaseStore6()
    small = Subnet6(
        id=1, network=NA_NET, prefix_len=64, pools=(Pool6(NA_NET, NA_NET + 2 * MAX_ATTEMPTS - 1),)
    )
    for k in range(2 * MAX_ATTEMPTS):
        store.put(_lease(NA_NET + k, TYPE_NA, k))
    allocator = _allocator(store)
    assert allocator.pick(small, TYPE_NA, NOW + 1, (), None, ()) is None
    store.delete(NA_NET + 2 * MAX_ATTEMPTS - 2)
    assert allocator.pick(small, TYPE_NA, NOW + 1, (), None, ()) == (NA_NET + 2 * MAX_ATTEMPTS - 2, 128)
