"""DHCPv4 lease statistics with Kea's names, kept from the store's own change feed, and the recount that
checks them (what both families share: edge/leases/stats.py).

Rules:
- The gauges are functions of the lease records, so they can be kept exactly: every change the store
  applies is announced as (old, new) and the gauges move by the difference. Nothing else touches them, so
  no code path can count a lease twice or forget one (Kea 1.7.10's negative statistics, #1196, came from
  several paths each adjusting the counters on their own).
- Kea's meaning, per lease: `subnet[id].assigned-addresses` counts leases in the default state that hold
  an address (valid lifetime > 0) *and* declined leases (Kea counts a declined address as assigned until it
  is reclaimed); `subnet[id].declined-addresses` and the global `declined-addresses` count declined leases.
  An expired lease stays assigned until reclamation turns it into expired-reclaimed, as in Kea. A released
  lease (default state, valid lifetime 0: kept only so the client gets the same address back) holds nothing.
- Counters only grow: `cumulative-assigned-addresses` (subnet and global) when an address becomes assigned
  to a client that did not hold it, `reclaimed-leases` / `reclaimed-declined-addresses` when reclamation
  (edge/leases/reclaim.py) frees a lease or an allocation takes over an address that still counted as
  assigned.
- `recount_statistics` rebuilds the gauges from the store and returns what it had to correct; it is what
  `edge-dhcp stats recount` and the control channel's `stats-recount` run. Counters are history, not state:
  a recount leaves them alone. `subnet[id].total-addresses` is rebuilt from the configuration.
- Statistics never go negative (the registry clamps at zero); a recount returns what it corrected.
"""

from __future__ import annotations

import logging
from typing import Any

from edge.dhcp4.lease import STATE_DECLINED, STATE_DEFAULT, Lease
from edge.dhcp4.model import Config4
from edge.leases.lease import holds_lease
from edge.leases.stats import RECLAIM_COUNTERS, apply_recount, count_reclaimed, subnet_stat
from edge.leases.store import LeaseStore
from edge.stats import Statistics

log = logging.getLogger("edge.dhcp4")

GAUGES = ("assigned-addresses", "declined-addresses")
COUNTERS = ("cumulative-assigned-addresses", *RECLAIM_COUNTERS)

__all__ = [
    "COUNTERS",
    "GAUGES",
    "LeaseStatistics",
    "attach_statistics",
    "count_leases",
    "holds_address",
    "recount_statistics",
    "subnet_stat",
]

# Counted in assigned-addresses: Kea's rule for both families (edge/leases/lease.py).
holds_address = holds_lease


def _assigned_to_client(lease: Lease | None) -> bool:
    return lease is not None and lease.state == STATE_DEFAULT and lease.valid_lifetime > 0


def _same_holder(old: Lease, new: Lease) -> bool:
    return old.subnet_id == new.subnet_id and old.hwaddr == new.hwaddr and old.client_id == new.client_id


class LeaseStatistics:
    """Keeps the lease gauges and counters of one Statistics registry in step with one store."""

    def __init__(self, stats: Statistics) -> None:
        self.stats = stats

    def on_change(self, old: Lease | None, new: Lease | None) -> None:
        inc = self.stats.inc
        if holds_address(old):
            assert old is not None
            inc(subnet_stat(old.subnet_id, "assigned-addresses"), -1)
            if old.state == STATE_DECLINED:
                inc(subnet_stat(old.subnet_id, "declined-addresses"), -1)
                inc("declined-addresses", -1)
        if holds_address(new):
            assert new is not None
            inc(subnet_stat(new.subnet_id, "assigned-addresses"))
            if new.state == STATE_DECLINED:
                inc(subnet_stat(new.subnet_id, "declined-addresses"))
                inc("declined-addresses")
        if _assigned_to_client(new):
            assert new is not None
            if old is not None and _assigned_to_client(old) and _same_holder(old, new):
                return  # a renewal (or any update of the same client's lease)
            inc(subnet_stat(new.subnet_id, "cumulative-assigned-addresses"))
            inc("cumulative-assigned-addresses")
            if holds_address(old):
                assert old is not None
                # Taken over while it still counted: an expired lease of another client, or a declined
                # address whose probation is over, reclaimed on the fly (as Kea counts it).
                self.count_reclaimed(old)

    def count_reclaimed(self, old: Lease) -> None:
        count_reclaimed(self.stats, old)


def attach_statistics(store: LeaseStore[Lease], stats: Statistics) -> LeaseStatistics:
    """Make `stats` follow `store` from now on, write errors included (call recount_statistics once for the
    starting values)."""
    keeper = LeaseStatistics(stats)
    store.subscribe(keeper.on_change)
    store.use_statistics(stats)
    return keeper


def count_leases(store: LeaseStore[Lease]) -> dict[str, int]:
    """The lease gauges as the store's records define them."""
    values: dict[str, int] = {"declined-addresses": 0}
    for lease in store.all():
        if not holds_address(lease):
            continue
        name = subnet_stat(lease.subnet_id, "assigned-addresses")
        values[name] = values.get(name, 0) + 1
        if lease.state == STATE_DECLINED:
            name = subnet_stat(lease.subnet_id, "declined-addresses")
            values[name] = values.get(name, 0) + 1
            values["declined-addresses"] += 1
    return values


def recount_statistics(
    config: Config4, store: LeaseStore[Lease], stats: Statistics
) -> dict[str, dict[str, Any]]:
    """Rebuild the lease gauges of `stats` from `store` (and total-addresses from `config`).

    Returns the corrections: {statistic name: {"old": value before, "new": value now}} for statistics that
    existed and were wrong; empty when everything agreed. Statistics that did not exist yet are created
    without being called corrections. Counters (cumulative, reclaimed) are left as they are."""
    truth = count_leases(store)
    for subnet in config.subnets:
        truth[subnet_stat(subnet.id, "total-addresses")] = sum(pool.size for pool in subnet.pools)
        for name in GAUGES:
            truth.setdefault(subnet_stat(subnet.id, name), 0)
    corrections = apply_recount(stats, truth, ("].assigned-addresses", "].declined-addresses"), COUNTERS)
    if corrections:  # the caller reports them (stats-recount answers with them); at start-up they are noise
        log.debug(
            "DHCP4_STATS_RECOUNT %d statistic(s) corrected: %s",
            len(corrections),
            ", ".join("%s %s->%s" % (n, c["old"], c["new"]) for n, c in corrections.items()),
        )
    return corrections
