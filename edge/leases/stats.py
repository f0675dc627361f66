"""What lease statistics share across families: Kea's per-subnet names, the reclamation counters, and the
recount that compares a registry with the truth the store implies.

Rules:
- Each family keeps its own gauges from the store's change feed (edge/dhcp4/lease_stats.py: assigned- and
  declined-addresses; edge/dhcp6/lease_stats.py: assigned-nas/-pds, declined-addresses); this module only
  holds what their keepers have in common.
- The reclamation counters are the same in both families (Kea's names): `reclaimed-leases` and
  `reclaimed-declined-addresses`, global and per subnet. They grow when reclamation (reclaim.py) frees a
  lease that still counted, or an allocation takes over such a lease.
- A recount rebuilds gauges only; counters are history, not state, and are left alone (created at 0 if
  missing). It returns what it corrected; statistics that did not exist yet are created without being
  called corrections.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from edge.leases.lease import STATE_DECLINED, LeaseRecord
from edge.stats import Statistics

RECLAIM_COUNTERS = ("reclaimed-leases", "reclaimed-declined-addresses")

_SUBNET_STAT_NAMES: dict[tuple[int, str], str] = {}


def subnet_stat(subnet_id: int, name: str) -> str:
    """ "subnet[ID].NAME", made once per (subnet, statistic): every lease change names two or three."""
    key = (subnet_id, name)
    found = _SUBNET_STAT_NAMES.get(key)
    if found is None:
        found = "subnet[%d].%s" % (subnet_id, name)
        if len(_SUBNET_STAT_NAMES) < 65536:
            _SUBNET_STAT_NAMES[key] = found
    return found


def count_reclaimed(stats: Statistics, old: LeaseRecord) -> None:
    """`old`, which still counted as assigned, has been reclaimed (or taken over)."""
    stats.inc(subnet_stat(old.subnet_id, "reclaimed-leases"))
    stats.inc("reclaimed-leases")
    if old.state == STATE_DECLINED:
        stats.inc(subnet_stat(old.subnet_id, "reclaimed-declined-addresses"))
        stats.inc("reclaimed-declined-addresses")


def apply_recount(
    stats: Statistics, truth: dict[str, int], gauge_suffixes: Iterable[str], counters: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Make the gauges of `stats` what `truth` says. Per-subnet gauges (names ending in one of
    `gauge_suffixes`, e.g. "].assigned-addresses") that the registry has but `truth` does not go to zero
    (all such leases are gone). Returns {name: {"old": before, "new": now}} for the ones that were wrong."""
    suffixes = tuple(gauge_suffixes)
    for name in stats.names():
        if name.endswith(suffixes) and name not in truth:
            truth[name] = 0
    corrections: dict[str, dict[str, Any]] = {}
    for name, value in sorted(truth.items()):
        known = stats.stamp(name) is not None
        old = stats.get(name)
        if not known or old != value:
            stats.set(name, value)
            if known:
                corrections[name] = {"old": old, "new": value}
    for name in counters:
        if stats.stamp(name) is None:
            stats.set(name, 0)
    return corrections
