"""The lease life cycle after expiry: reclamation, the flush of reclaimed leases, and the timers that run
them and the lease-file compaction from the server loop (Kea's `expired-leases-processing`).

Rules (Kea 2.2's semantics, see its "Lease Expiration" chapter):
- Reclamation runs every `reclaim-timer-wait-time` seconds (0: never) and handles at most
  `max-reclaim-leases` leases (0: no limit) and at most `max-reclaim-time` milliseconds (0: no limit) per
  cycle, oldest expiry first, so a mass expiry never stalls packet processing: the rest waits for the next
  cycle. After `unwarned-reclaim-cycles` cycles in a row that ended with leases left over, a warning says
  the settings cannot keep up.
- An expired lease is reclaimed: with lease affinity (`hold-reclaimed-time` > 0 and
  `flush-reclaimed-timer-wait-time` > 0) it stays as expired-reclaimed, hostname and DNS flags cleared but
  client identity kept, so a returning client can get its address back; without affinity it is deleted. A
  declined address whose `decline-probation-period` is over is deleted: the address is free again.
- The flush deletes expired-reclaimed leases `hold-reclaimed-time` seconds after their expiry, every
  `flush-reclaimed-timer-wait-time` seconds, in the same bounded slices.
- Statistics follow the store's change feed (stats.py); reclamation adds only the counters that name it
  (`reclaimed-leases`, `reclaimed-declined-addresses`).
- A lease change that cannot be recorded (disk full) ends the cycle; the lease is retried next time.

Theory of operation: the store's expiry index hands out due leases a chunk at a time; each is re-checked
and rewritten or deleted through the store, which journals the change and moves it out of the index.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from edge.config.model import DaemonConfig, ExpiredLeasesProcessing
from edge.leases.lease import STATE_DECLINED, STATE_DEFAULT, STATE_EXPIRED_RECLAIMED, Lease
from edge.leases.stats import LeaseStatistics, holds_address
from edge.leases.store import LeaseStoreError, MemoryLeaseStore
from edge.stats import Statistics

log = logging.getLogger("edge.leases")

CHUNK = 256  # leases fetched from the index at a time: bounds the memory of an unlimited cycle


class Reclaimer:
    def __init__(
        self,
        store: MemoryLeaseStore,
        stats: Statistics,
        settings: ExpiredLeasesProcessing | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.counters = LeaseStatistics(stats)
        self.settings = settings or ExpiredLeasesProcessing()
        self.clock = clock
        self.monotonic = monotonic
        self.slow_cycles = 0
        self.reclaimed_total = 0
        # Told of each lease once it has been reclaimed (with its names and DNS flags as they were), e.g.
        # edge/ddns, which removes the lease's names from DNS.
        self.on_reclaim: list[Callable[[Lease], Any]] = []
        self.flushed_total = 0

    @property
    def affinity(self) -> bool:
        s = self.settings
        return s.hold_reclaimed_time > 0 and s.flush_reclaimed_timer_wait_time > 0

    def _budget(self) -> tuple[int | None, float | None]:
        s = self.settings
        limit = s.max_reclaim_leases or None
        deadline = self.monotonic() + s.max_reclaim_time / 1000.0 if s.max_reclaim_time else None
        return limit, deadline

    def reclaim_all(self, remove: bool = False) -> int:
        """Reclaim every expired lease now, without the cycle limits (Kea's `leases-reclaim` command; with
        `remove`, reclaimed leases are deleted instead of kept for affinity)."""
        saved = self.settings
        self.settings = replace(
            saved,
            max_reclaim_leases=0,
            max_reclaim_time=0,
            hold_reclaimed_time=0 if remove else saved.hold_reclaimed_time,
        )
        try:
            return self.reclaim()
        finally:
            self.settings = saved

    def reclaim(self) -> int:
        """One bounded reclamation cycle; returns how many leases it reclaimed."""
        now = int(self.clock())
        limit, deadline = self._budget()
        done = 0
        stopped = False
        while limit is None or done < limit:
            want = CHUNK if limit is None else min(CHUNK, limit - done)
            due = self.store.find_expired(now, want)
            if not due:
                break
            for lease in due:
                if (deadline is not None and self.monotonic() >= deadline) or (
                    limit is not None and done >= limit
                ):
                    stopped = True
                    break
                try:
                    self._reclaim_one(lease, now)
                except LeaseStoreError as exc:
                    log.error(
                        "ALLOC_ENGINE_V4_LEASE_RECLAMATION_FAILED %s: %s; retried next cycle",
                        _text(lease.address),
                        exc,
                    )
                    stopped = True
                    break
                done += 1
            if stopped:
                break
        if not self.settings.flush_reclaimed_timer_wait_time:
            self.flush()  # no flush timer: expired-reclaimed leases go as soon as their hold time is over
        left = bool(self.store.find_expired(now, 1))
        if left:
            self.slow_cycles += 1
            unwarned = self.settings.unwarned_reclaim_cycles
            if unwarned and self.slow_cycles >= unwarned:
                log.warning(
                    "ALLOC_ENGINE_V4_LEASES_RECLAMATION_SLOW expired leases still exist after %d reclamation "
                    "cycles; consider raising max-reclaim-leases or max-reclaim-time",
                    self.slow_cycles,
                )
                self.slow_cycles = 0
        else:
            self.slow_cycles = 0
        self.reclaimed_total += done
        if done:
            log.debug(
                "ALLOC_ENGINE_V4_RECLAIMED_LEASES_COMPLETE reclaimed %d lease(s)%s",
                done,
                ", more left" if left else "",
            )
        return done

    def _reclaim_one(self, lease: Lease, now: int) -> None:
        current = self.store.get(lease.address)
        if current is None or current.expire > now or current.state not in (STATE_DEFAULT, STATE_DECLINED):
            return  # changed since the index was read
        counted = holds_address(current)
        if current.state == STATE_DECLINED or not self.affinity:
            self.store.delete(current.address)
        else:
            reclaimed = current.copy()
            reclaimed.state = STATE_EXPIRED_RECLAIMED
            reclaimed.hostname = ""
            reclaimed.fqdn_fwd = reclaimed.fqdn_rev = False
            self.store.put(reclaimed)
        for listener in self.on_reclaim:
            listener(current)
        if counted:
            self.counters.count_reclaimed(current)
        log.debug(
            "ALLOC_ENGINE_V4_LEASE_RECLAIM %s (subnet %d, %s) reclaimed",
            _text(current.address),
            current.subnet_id,
            "declined" if current.state == STATE_DECLINED else "expired",
        )

    def flush(self) -> int:
        """One bounded flush cycle: delete expired-reclaimed leases whose hold time is over."""
        before = int(self.clock()) - self.settings.hold_reclaimed_time
        limit, deadline = self._budget()
        done = 0
        while limit is None or done < limit:
            want = CHUNK if limit is None else min(CHUNK, limit - done)
            due = self.store.find_reclaimed(before, want)
            if not due:
                break
            for lease in due:
                if (deadline is not None and self.monotonic() >= deadline) or (
                    limit is not None and done >= limit
                ):
                    self.flushed_total += done
                    return done
                try:
                    self.store.delete(lease.address)
                except LeaseStoreError as exc:
                    log.error("ALLOC_ENGINE_V4_LEASE_FLUSH_FAILED %s: %s", _text(lease.address), exc)
                    self.flushed_total += done
                    return done
                done += 1
        self.flushed_total += done
        return done


def _text(address: int) -> str:
    return "%d.%d.%d.%d" % (address >> 24 & 255, address >> 16 & 255, address >> 8 & 255, address & 255)


class LeaseMaintenance:
    """The lease timers of one server: reclaim, flush, compaction. Glue only: the server passes its
    `call_every`, and calls `configure` again after every reload."""

    def __init__(
        self,
        store: MemoryLeaseStore,
        stats: Statistics,
        call_every: Callable[..., Any],
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.reclaimer = Reclaimer(store, stats, None, clock, monotonic)
        self._timers = {
            "reclaim": call_every(0, self.reclaimer.reclaim, "lease-reclaim"),
            "flush": call_every(0, self.reclaimer.flush, "lease-flush"),
            "compact": call_every(0, self.compact, "lease-file-cleanup"),
        }
        self._database: Any = None

    def configure(self, config: DaemonConfig) -> None:
        settings = config.expired_leases_processing
        self.reclaimer.settings = settings
        self._timers["reclaim"].interval = settings.reclaim_timer_wait_time
        self._timers["flush"].interval = (
            settings.flush_reclaimed_timer_wait_time if self.reclaimer.affinity else 0
        )
        database = config.lease_database
        self._timers["compact"].interval = (
            database.lfc_interval if hasattr(self.store, "start_compaction") else 0
        )
        if self._database is not None and database != self._database:
            log.warning(
                "DHCPSRV_LEASE_DATABASE_UNCHANGED lease-database settings changed; they take effect "
                "when edge-dhcp restarts"
            )
        else:
            self._database = database

    def compact(self) -> bool:
        """Start a compaction if the journal holds anything (the LFC timer, and on demand)."""
        store: Any = self.store
        store.reap_compaction()  # a finished child, even if its wake-up byte was missed
        if store.compacting or not store.needs_compaction():
            return False
        return bool(store.start_compaction())
