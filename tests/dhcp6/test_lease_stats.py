"""DHCPv6 lease statistics (Kea 2.2's names) following the store's change feed: after any sequence of
changes the gauges equal a recount, counters count what Kea counts, and the recount reports what it fixed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.config.model import ExpiredLeasesProcessing
from edge.dhcp6.lease import (
    EMPTY_DUID,
    STATE_DECLINED,
    STATE_EXPIRED_RECLAIMED,
    TYPE_NA,
    TYPE_PD,
    TYPE_TA,
    Lease6,
    parse_address,
)
from edge.dhcp6.lease_config import lease_config6_from_text
from edge.dhcp6.lease_stats import attach_statistics6, count_leases6, recount_statistics6
from edge.dhcp6.lease_store import MemoryLeaseStore6
from edge.leases.reclaim import Reclaimer
from edge.stats import Statistics

NOW = 1_800_000_000
NET = parse_address("2001:db8:1::")
PD = parse_address("2001:db8:8000::")
DUID_A = bytes.fromhex("00030001020000000001")
DUID_B = bytes.fromhex("00030001020000000002")

CONFIG = """{"Dhcp6": {
  // pools and pd-pools give total-nas and total-pds
  "subnet6": [
    {"id": 1, "subnet": "2001:db8:1::/64",
     "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}, {"pool": "2001:db8:1:0:1::/112"}],
     "pd-pools": [{"prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56}]},
    {"subnet": "2001:db8:2::/64"}
  ]}}"""


def lease(n: int, **kw) -> Lease6:
    fields = dict(duid=DUID_A, iaid=1, preferred_lifetime=1800, valid_lifetime=3600, cltt=NOW, subnet_id=1)
    fields.update(kw)
    return Lease6(NET + n, **fields)


def prefix(n: int, **kw) -> Lease6:
    fields = dict(duid=DUID_A, iaid=1, lease_type=TYPE_PD, prefix_len=56, preferred_lifetime=1800)
    fields.update(valid_lifetime=3600, cltt=NOW, subnet_id=1)
    fields.update(kw)
    return Lease6(PD + (n << 72), **fields)


def test_kea_names_move_with_the_leases() -> None:
    store = MemoryLeaseStore6()
    stats = Statistics()
    attach_statistics6(store, stats)
    store.put(lease(1))
    store.put(lease(2, duid=DUID_B, iaid=7))
    store.put(prefix(1))
    store.put(lease(3, lease_type=TYPE_TA))  # IA_TA: in no statistic (Kea 2.2)
    assert stats.get("subnet[1].assigned-nas") == 2 and stats.get("subnet[1].assigned-pds") == 1
    assert stats.get("cumulative-assigned-nas") == 2 and stats.get("subnet[1].cumulative-assigned-nas") == 2
    assert stats.get("cumulative-assigned-pds") == 1 and stats.get("subnet[1].cumulative-assigned-pds") == 1
    # A renewal of the same IA counts nothing new.
    store.put(lease(1, cltt=NOW + 600))
    store.put(prefix(1, hostname="router"))
    assert stats.get("cumulative-assigned-nas") == 2 and stats.get("cumulative-assigned-pds") == 1
    # Another IA of the same client taking the address counts as a new assignment, and as a reclaim.
    store.put(lease(1, iaid=2))
    assert stats.get("cumulative-assigned-nas") == 3 and stats.get("subnet[1].assigned-nas") == 2
    assert stats.get("reclaimed-leases") == 1 and stats.get("subnet[1].reclaimed-leases") == 1
    # DECLINE as Kea records it: still assigned, and declined.
    store.put(
        lease(2, duid=EMPTY_DUID, iaid=7, preferred_lifetime=0, valid_lifetime=86400, state=STATE_DECLINED)
    )
    assert stats.get("subnet[1].assigned-nas") == 2
    assert stats.get("subnet[1].declined-addresses") == 1 and stats.get("declined-addresses") == 1
    # RELEASE (Kea 2.2 deletes the lease).
    store.delete(NET + 1)
    store.delete(PD + (1 << 72))
    assert stats.get("subnet[1].assigned-nas") == 1 and stats.get("subnet[1].assigned-pds") == 0


def test_reclaiming_a_declined_address_counts_as_kea_does() -> None:
    store = MemoryLeaseStore6()
    stats = Statistics()
    attach_statistics6(store, stats)
    store.put(
        lease(
            1, duid=EMPTY_DUID, preferred_lifetime=0, valid_lifetime=60, cltt=NOW - 61, state=STATE_DECLINED
        )
    )
    store.put(prefix(2, cltt=NOW - 4000))
    Reclaimer(store, stats, ExpiredLeasesProcessing(), clock=lambda: NOW).reclaim()
    # Kea's defaults keep the expired prefix for affinity; the declined address is free again.
    assert [x.state for x in store.all()] == [STATE_EXPIRED_RECLAIMED]
    assert stats.get("subnet[1].assigned-nas") == 0 and stats.get("subnet[1].assigned-pds") == 0
    assert stats.get("declined-addresses") == 0 and stats.get("subnet[1].declined-addresses") == 0
    assert stats.get("reclaimed-leases") == 2 and stats.get("reclaimed-declined-addresses") == 1
    assert stats.get("subnet[1].reclaimed-declined-addresses") == 1


def test_recount_fills_totals_from_the_configuration_and_reports_corrections() -> None:
    config = lease_config6_from_text(CONFIG)
    store = MemoryLeaseStore6()
    for n in range(1, 4):
        store.put(lease(n, iaid=n))
    store.put(prefix(1))
    stats = Statistics()
    assert recount_statistics6(config, store, stats) == {}  # first values are not corrections
    assert stats.get("subnet[1].total-nas") == 256 + 65536
    assert stats.get("subnet[1].total-pds") == 256 and stats.get("subnet[2].total-nas") == 0
    assert stats.get("subnet[1].assigned-nas") == 3 and stats.get("subnet[2].assigned-nas") == 0
    for name in ("cumulative-assigned-nas", "cumulative-assigned-pds", "reclaimed-leases"):
        assert stats.stamp(name) is not None
    stats.set("subnet[1].assigned-pds", 9)
    stats.set("subnet[5].assigned-nas", 4)  # a subnet no longer backed by any lease
    assert recount_statistics6(config, store, stats) == {
        "subnet[1].assigned-pds": {"old": 9, "new": 1},
        "subnet[5].assigned-nas": {"old": 4, "new": 0},
    }


leases = st.builds(
    lambda n, kind, duid, iaid, state, valid, subnet: Lease6(
        (PD + (n << 72)) if kind == TYPE_PD else NET + n,
        EMPTY_DUID if state == STATE_DECLINED else duid,
        iaid,
        kind,
        56 if kind == TYPE_PD else 128,
        0,
        valid,
        NOW,
        subnet,
        state=state,
    ),
    st.integers(1, 12),
    st.sampled_from([TYPE_NA, TYPE_TA, TYPE_PD]),
    st.sampled_from([DUID_A, DUID_B]),
    st.integers(0, 2),
    st.sampled_from([0, 1, 2]),
    st.sampled_from([0, 3600]),
    st.sampled_from([1, 2]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(leases, st.integers(1, 12)), max_size=60))
def test_the_feed_always_agrees_with_a_recount(ops: list[object]) -> None:
    store = MemoryLeaseStore6()
    stats = Statistics()
    attach_statistics6(store, stats)
    for op in ops:
        if isinstance(op, Lease6):
            store.put(op)
        else:
            store.delete(NET + op)
    truth = count_leases6(store)
    for name in (
        "subnet[1].assigned-nas",
        "subnet[2].assigned-nas",
        "subnet[1].assigned-pds",
        "subnet[1].declined-addresses",
        "declined-addresses",
    ):
        assert stats.get(name) == truth.get(name, 0), name
