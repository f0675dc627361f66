"""DHCPv6 lease statistics with Kea 2.2's names, kept from the store's change feed as the v4 ones are, and
the recount that checks them (what both families share: edge/leases/stats.py).

Rules (Kea 2.2: LeaseMgr::recountLeaseStats6, AllocEngine; names confirmed against kea-dhcp6 2.2 in
tests/lab/kea6-observed.md):
- Gauges, per subnet: `assigned-nas` counts IA_NA leases in the default state that hold an address (valid
  lifetime > 0) and declined IA_NA leases (Kea counts a declined address as assigned until it is
  reclaimed); `declined-addresses` (and the global `declined-addresses`) counts declined IA_NA leases;
  `assigned-pds` counts IA_PD leases in the default state. IA_TA leases are in no statistic (Kea: "we don't
  support TYPE_TAs yet"). An expired lease stays assigned until reclamation, as in Kea.
- `total-nas` / `total-pds` come from the configuration: the addresses of a subnet's pools, the prefixes
  its pd-pools can delegate. A /64 pool is 2**64 addresses; Kea's int64 shows -1 for it, we keep the
  number.
- Counters only grow: `cumulative-assigned-nas` / `cumulative-assigned-pds` (per subnet and global) when
  a lease becomes assigned to a client IA that did not hold it (a renewal of the same DUID, IAID and type
  counts nothing); `reclaimed-leases` / `reclaimed-declined-addresses` as in both families.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from edge.dhcp6.lease import STATE_DECLINED, STATE_DEFAULT, TYPE_NA, TYPE_PD, Lease6
from edge.leases.lease import holds_lease
from edge.leases.stats import RECLAIM_COUNTERS, apply_recount, count_reclaimed, subnet_stat
from edge.leases.store import LeaseStore
from edge.stats import Statistics

log = logging.getLogger("edge.dhcp6")

GAUGES = ("assigned-nas", "declined-addresses", "assigned-pds")
COUNTERS = ("cumulative-assigned-nas", "cumulative-assigned-pds", *RECLAIM_COUNTERS)
_CUMULATIVE = {TYPE_NA: "cumulative-assigned-nas", TYPE_PD: "cumulative-assigned-pds"}

__all__ = [
    "COUNTERS",
    "GAUGES",
    "Lease6Statistics",
    "attach_statistics6",
    "count_leases6",
    "counted",
    "recount_statistics6",
]


class _Pool(Protocol):
    @property
    def size(self) -> int: ...


class Subnet6Totals(Protocol):
    """What the recount reads of a v6 subnet: its id, its address pools and its prefix-delegation pools
    (each with `size`: addresses, or prefixes it can delegate)."""

    @property
    def id(self) -> int: ...

    @property
    def pools(self) -> Sequence[_Pool]: ...

    @property
    def pd_pools(self) -> Sequence[_Pool]: ...


class Config6Totals(Protocol):
    @property
    def subnets(self) -> Sequence[Subnet6Totals]: ...


def counted(lease: Lease6 | None) -> str | None:
    """The assigned-* gauge `lease` counts in ("assigned-nas", "assigned-pds"), or None."""
    if lease is None:
        return None
    if lease.lease_type == TYPE_NA:
        return "assigned-nas" if holds_lease(lease) else None
    if lease.lease_type == TYPE_PD:
        return "assigned-pds" if lease.state == STATE_DEFAULT and lease.valid_lifetime > 0 else None
    return None


def _assigned_to_client(lease: Lease6 | None) -> bool:
    return (
        lease is not None
        and lease.state == STATE_DEFAULT
        and lease.valid_lifetime > 0
        and lease.lease_type in _CUMULATIVE
    )


def _same_holder(old: Lease6, new: Lease6) -> bool:
    return (
        old.subnet_id == new.subnet_id
        and old.duid == new.duid
        and old.iaid == new.iaid
        and old.lease_type == new.lease_type
    )


class Lease6Statistics:
    """Keeps the v6 lease gauges and counters of one Statistics registry in step with one store."""

    def __init__(self, stats: Statistics) -> None:
        self.stats = stats

    def on_change(self, old: Lease6 | None, new: Lease6 | None) -> None:
        inc = self.stats.inc
        before = counted(old)
        if before is not None:
            assert old is not None
            inc(subnet_stat(old.subnet_id, before), -1)
            if old.state == STATE_DECLINED:
                inc(subnet_stat(old.subnet_id, "declined-addresses"), -1)
                inc("declined-addresses", -1)
        after = counted(new)
        if after is not None:
            assert new is not None
            inc(subnet_stat(new.subnet_id, after))
            if new.state == STATE_DECLINED:
                inc(subnet_stat(new.subnet_id, "declined-addresses"))
                inc("declined-addresses")
        if _assigned_to_client(new):
            assert new is not None
            if old is not None and _assigned_to_client(old) and _same_holder(old, new):
                return  # a renewal (or any update of the same IA's lease)
            name = _CUMULATIVE[new.lease_type]
            inc(subnet_stat(new.subnet_id, name))
            inc(name)
            if before is not None:
                assert old is not None
                # Taken over while it still counted: an expired lease of another client, or a declined
                # address whose probation is over, reclaimed on the fly.
                count_reclaimed(self.stats, old)


def attach_statistics6(store: LeaseStore[Lease6], stats: Statistics) -> Lease6Statistics:
    """Make `stats` follow `store` from now on, write errors included (call recount_statistics6 once for the
    starting values)."""
    keeper = Lease6Statistics(stats)
    store.subscribe(keeper.on_change)
    store.use_statistics(stats)
    return keeper


def count_leases6(store: LeaseStore[Lease6]) -> dict[str, int]:
    """The lease gauges as the store's records define them."""
    values: dict[str, int] = {"declined-addresses": 0}
    for lease in store.all():
        gauge = counted(lease)
        if gauge is None:
            continue
        name = subnet_stat(lease.subnet_id, gauge)
        values[name] = values.get(name, 0) + 1
        if lease.state == STATE_DECLINED:
            name = subnet_stat(lease.subnet_id, "declined-addresses")
            values[name] = values.get(name, 0) + 1
            values["declined-addresses"] += 1
    return values


def recount_statistics6(
    config: Config6Totals, store: LeaseStore[Lease6], stats: Statistics
) -> dict[str, dict[str, Any]]:
    """Rebuild the v6 lease gauges of `stats` from `store` (and total-nas / total-pds from `config`);
    returns the corrections, as the v4 recount does."""
    truth = count_leases6(store)
    for subnet in config.subnets:
        truth[subnet_stat(subnet.id, "total-nas")] = sum(pool.size for pool in subnet.pools)
        truth[subnet_stat(subnet.id, "total-pds")] = sum(pool.size for pool in subnet.pd_pools)
        for name in GAUGES:
            truth.setdefault(subnet_stat(subnet.id, name), 0)
    corrections = apply_recount(
        stats, truth, ("].assigned-nas", "].assigned-pds", "].declined-addresses"), COUNTERS
    )
    if corrections:
        log.debug(
            "DHCP6_STATS_RECOUNT %d statistic(s) corrected: %s",
            len(corrections),
            ", ".join("%s %s->%s" % (n, c["old"], c["new"]) for n, c in corrections.items()),
        )
    return corrections
