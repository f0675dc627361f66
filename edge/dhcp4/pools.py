"""Free addresses of one pool, found in constant time, handed out in Kea's iterative-allocator order.

Rules this module keeps:
- A pool's state is one byte per address (`used`): 0 = free as far as we know, 1 = in use, held for an
  offer, declined, or reserved for another client. Finding the next free address is `bytearray.find`
  (a C memchr over at most the pool's size: microseconds for a /16, whatever the utilisation).
- The state is a hint, never the truth: the lease store is. Every address the pool proposes is verified by
  the caller (lease first, then reservation: Kea #1124) before it is handed out; an address found busy is
  marked used with the time to look again (`recheck`), so a lease that expires, or an offer nobody took,
  frees its address by itself without anyone scanning the store.
- Order: Kea's default (iterative) allocator walks a subnet's pools in configuration order; within a pool it
  continues from the address after the last one it handed out; a pool whose end was reached is skipped until
  every pool has been walked, then all start again from their first address. `SubnetPools.pick` does the
  same with the free sets, so a fresh server hands out .first, .first+1, ... exactly like Kea.

Theory of operation: `PoolState.busy` is a heap of (time, address) for addresses marked used that may
become free at `time` (a lease's expiry, an offer's hold), and `due` the one time that counts for each
address (a renewal schedules a new time; the entry for the old one is then stale and skipped when it
falls due, so nothing is rechecked twice and stale entries leave the heap by themselves). Before picking, due entries are popped and the caller's
`recheck(address, now)` says whether the address is free now or until when it stays busy.
Addresses reserved for other clients are marked used with no recheck: reservations only change with the
configuration, and a new configuration builds new pool states.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

from edge.dhcp4.model import Pool4

FREE = 0
USED = 1

# recheck(address, now) -> None if free now, else the time to look again (float("inf"): never by itself)
Recheck = Callable[[int, float], float | None]


class PoolState:
    __slots__ = ("pool", "first", "last", "used", "next_index", "busy", "due", "spent")

    def __init__(self, pool: Pool4, exclude: Sequence[int] = ()) -> None:
        self.pool = pool
        self.first = pool.first
        self.last = pool.last
        self.used = bytearray(pool.size)
        self.next_index = 0  # where the walk continues (Kea's "last allocated" + 1)
        self.spent = False  # the walk reached the end; skipped until the subnet rewinds
        self.busy: list[tuple[float, int]] = []
        self.due: dict[int, float] = {}  # address -> the time its current busy entry is for
        for address in exclude:
            if pool.first <= address <= pool.last:
                self.used[address - pool.first] = USED

    def mark_used(self, address: int, until: float) -> None:
        """`address` is busy; look at it again at `until` (inf: only a new configuration frees it)."""
        index = address - self.first
        if 0 <= index < len(self.used):
            self.used[index] = USED
            if until == float("inf"):
                self.due.pop(address, None)
            elif self.due.get(address) != until:
                self.due[address] = until
                heapq.heappush(self.busy, (until, address))

    def mark_free(self, address: int) -> None:
        index = address - self.first
        if 0 <= index < len(self.used):
            self.used[index] = FREE
            self.due.pop(address, None)

    def drain(self, now: float, recheck: Recheck) -> None:
        """Look again at every busy address whose time has come."""
        busy = self.busy
        due = self.due
        while busy and busy[0][0] <= now:
            when, address = heapq.heappop(busy)
            if due.get(address) != when:
                continue  # stale: freed, or rescheduled since
            del due[address]
            index = address - self.first
            if self.used[index] != USED:
                continue
            until = recheck(address, now)
            if until is None:
                self.used[index] = FREE
            elif until != float("inf"):
                when = max(until, now + 1e-3)
                due[address] = when
                heapq.heappush(busy, (when, address))

    def find(self) -> int | None:
        """The next free address from where the walk stands, without moving it; None at the pool's end."""
        if self.spent:
            return None
        index = self.used.find(FREE, self.next_index)
        return None if index < 0 else self.first + index

    def advance(self, address: int) -> None:
        """The walk handed out (or looked past) `address`: continue after it."""
        self.next_index = address - self.first + 1
        if self.next_index >= len(self.used):
            self.spent = True

    def rewind(self) -> None:
        self.next_index = 0
        self.spent = False

    def free_count(self) -> int:
        return len(self.used) - sum(self.used)


class SubnetPools:
    """The pools of one subnet and where Kea's iterative walk stands among them."""

    __slots__ = ("states", "current")

    def __init__(self, states: list[PoolState]) -> None:
        self.states = states
        self.current = 0  # index of the pool the walk is in

    def pick(
        self,
        allowed: Sequence[int],
        now: float,
        recheck: Recheck,
        accept: Callable[[PoolState, int], bool],
    ) -> int | None:
        """The next address in Kea's order among the `allowed` pool indexes that `accept`s; None when every
        allowed pool is exhausted. `accept(pool, address)` verifies a candidate (lease, reservation) and
        marks it used itself when it refuses it."""
        if not allowed:
            return None
        for index in allowed:
            self.states[index].drain(now, recheck)
        # Kea's walk tries every candidate once when nothing is free and so ends where it began: keep the
        # position to restore it if this pick fails, so the next pick continues from the same place.
        saved = [(self.states[i].next_index, self.states[i].spent) for i in allowed]
        saved_current = self.current
        start = None
        current = self.current
        for i in allowed:
            if i >= current:
                start = i
                break
        ordered = [i for i in allowed if start is not None and i >= start]
        for rewound in (False, True):
            if rewound:
                for index in allowed:
                    self.states[index].rewind()
                ordered = list(allowed)
            for index in ordered:
                state = self.states[index]
                while True:
                    address = state.find()
                    if address is None:
                        state.spent = True
                        break
                    state.advance(address)
                    if accept(state, address):
                        self.current = index
                        return address
        for index, (next_index, spent) in zip(allowed, saved, strict=True):
            self.states[index].next_index = next_index
            self.states[index].spent = spent
        self.current = saved_current
        return None
