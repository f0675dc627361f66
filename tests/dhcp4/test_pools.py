"""Free sets per pool: constant-time finds, and the hand-out order of Kea's iterative allocator.

The reference is a plain model of Kea 2.2's IterativeAllocator as its source describes it: a cursor per
pool that walks candidate by candidate; the engine refuses used candidates and asks again. Our free sets
must pick exactly the address the model picks, for any sequence of allocations and frees.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.dhcp4.model import Pool4
from edge.dhcp4.pools import PoolState, SubnetPools


class IterativeModel:
    """Kea's iterative allocator walked the slow way: one candidate at a time, at most capacity of them."""

    def __init__(self, pools: list[tuple[int, int]]) -> None:
        self.pools = pools
        self.last: list[int | None] = [None] * len(pools)  # None: never used (or rewound): next is `first`
        self.spent = [False] * len(pools)
        self.current = 0

    def _next_candidate(self) -> int:
        for rewound in (False, True):
            if rewound:
                self.last = [None] * len(self.pools)
                self.spent = [False] * len(self.pools)
                self.current = 0
            for index in range(self.current, len(self.pools)):
                first, last = self.pools[index]
                if self.spent[index]:
                    continue
                candidate = first if self.last[index] is None else self.last[index] + 1  # type: ignore[operator]
                if candidate > last:
                    self.spent[index] = True
                    continue
                self.last[index] = candidate
                self.current = index
                if candidate == last:
                    self.spent[index] = True
                return candidate
        raise AssertionError("unreachable: a rewound pool always has a candidate")

    def pick(self, used: set[int]) -> int | None:
        capacity = sum(last - first + 1 for first, last in self.pools)
        for _ in range(capacity):
            candidate = self._next_candidate()
            if candidate not in used:
                return candidate
        return None


POOLS = [(100, 109), (200, 204), (300, 300)]
SMALL = [(100, 103), (200, 201), (300, 300)]  # small enough that random runs wrap around often


def fresh(pools: list[tuple[int, int]] = POOLS) -> SubnetPools:
    return SubnetPools([PoolState(Pool4(first, last)) for first, last in pools])


def test_a_fresh_server_hands_out_pools_in_order() -> None:
    pools = fresh()

    def take(state: PoolState, address: int) -> bool:
        state.mark_used(address, float("inf"))  # what the engine's lease-store feed does on commit
        return True

    got = [pools.pick([0, 1, 2], 0.0, lambda a, now: None, take) for _ in range(17)]
    assert got == list(range(100, 110)) + list(range(200, 205)) + [300, None]


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from([POOLS, SMALL]),
    st.lists(
        st.tuples(st.sampled_from(["alloc", "alloc", "alloc", "free"]), st.integers(0, 30)), max_size=80
    ),
)
def test_free_sets_pick_what_keas_iterative_allocator_picks(
    layout: list[tuple[int, int]], operations: list[tuple[str, int]]
) -> None:
    model = IterativeModel(layout)
    pools = fresh(layout)
    used: set[int] = set()
    every = [a for first, last in layout for a in range(first, last + 1)]
    for op, n in operations:
        if op == "free":
            if used:
                address = sorted(used)[n % len(used)]
                used.discard(address)
                state = next(s for s in pools.states if s.first <= address <= s.last)
                state.mark_free(address)
            continue
        expected = model.pick(used)

        def accept(state: PoolState, address: int) -> bool:
            if address in used:  # the lease store says it is taken: the engine refuses it
                state.mark_used(address, float("inf"))
                return False
            return True

        got = pools.pick([0, 1, 2], 0.0, lambda a, now: None, accept)
        assert got == expected, (operations, used)
        if got is not None:
            used.add(got)
    assert used <= set(every)


def test_busy_addresses_come_back_when_their_time_is_due() -> None:
    state = PoolState(Pool4(10, 12))
    for address in (10, 11, 12):
        state.mark_used(address, until=100.0)
    state.drain(50.0, lambda a, now: None)
    assert state.find() is None
    # At 100 the store says: 11 is free, 10 renewed until 200, 12 held for good.
    answers = {10: 200.0, 11: None, 12: float("inf")}
    state.drain(100.0, lambda a, now: answers[a])
    assert state.find() == 11
    state.drain(300.0, lambda a, now: None)
    assert state.find() == 10


def test_network_and_broadcast_addresses_are_excluded() -> None:
    state = PoolState(Pool4(0xC0000200, 0xC00002FF), exclude=(0xC0000200, 0xC00002FF))
    assert state.find() == 0xC0000201 and state.free_count() == 254


def test_class_guarded_pools_are_skipped_and_order_kept() -> None:
    pools = fresh()
    got = [pools.pick([1, 2], 0.0, lambda a, now: None, lambda s, a: True) for _ in range(3)]
    assert got == [200, 201, 202]
    assert pools.pick([0], 0.0, lambda a, now: None, lambda s, a: True) == 100


def test_after_the_last_pool_the_walk_starts_again_from_the_first() -> None:
    pools = fresh(SMALL)
    used: set[int] = set()

    def take(state: PoolState, address: int) -> bool:
        if address in used:
            state.mark_used(address, float("inf"))
            return False
        used.add(address)
        return True

    got = [pools.pick([0, 1, 2], 0.0, lambda a, now: None, take) for _ in range(8)]
    assert got == [100, 101, 102, 103, 200, 201, 300, None]
    for address in (201, 101):
        used.discard(address)
        pools.states[1 if address > 200 else 0].mark_free(address)
    assert [pools.pick([0, 1, 2], 0.0, lambda a, now: None, take) for _ in range(3)] == [101, 201, None]


def test_renewals_do_not_pile_up_busy_entries() -> None:
    state = PoolState(Pool4(10, 12))
    for renewal in range(1000):
        state.mark_used(11, until=100.0 + renewal)
    assert len(state.due) == 1
    state.drain(1100.0, lambda a, now: 5000.0)  # still leased: one entry rescheduled
    assert sum(1 for when, a in state.busy if state.due.get(a) == when) == 1 and state.find() == 10
    state.drain(6000.0, lambda a, now: None)
    assert state.find() == 10 and state.used[1] == 0
