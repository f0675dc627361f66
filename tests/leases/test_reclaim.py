"""Expired-lease reclamation per `expired-leases-processing`: bounded slices, lease affinity, the flush,
declined addresses coming back after probation (through the real engine), statistics, and the timers."""

from __future__ import annotations

import logging
from dataclasses import replace

from edge.config.model import ExpiredLeasesProcessing
from edge.dhcp4.config import load_data
from edge.dhcp4.lease import STATE_DECLINED, STATE_EXPIRED_RECLAIMED, Lease
from edge.dhcp4.lease_stats import attach_statistics
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.leases.reclaim import LeaseMaintenance, Reclaimer
from edge.stats import Statistics
from edge.wire import pkt4 as wire
from tests.dhcp4.helpers import client_packet, local_inbound, mac, make_config, make_engine, u32

NOW = 1_800_000_000
BASE = 0xC0000200


def lease(n: int, expire: int, **kw) -> Lease:
    fields = dict(
        hwaddr=n.to_bytes(6, "big"),
        client_id=b"\x01" + n.to_bytes(6, "big"),
        valid_lifetime=600,
        cltt=expire - 600,
        subnet_id=1,
        hostname="h%d" % n,
        fqdn_fwd=True,
    )
    fields.update(kw)
    return Lease(BASE + n, **fields)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now
        self.mono = 0.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono


def setup(settings: ExpiredLeasesProcessing, expired: int = 0, live: int = 0):
    store = MemoryLeaseStore4()
    stats = Statistics()
    attach_statistics(store, stats)
    for n in range(1, expired + 1):
        store.put(lease(n, NOW - 1000 + n))
    for n in range(expired + 1, expired + live + 1):
        store.put(lease(n, NOW + 1000))
    clock = Clock(NOW)
    return store, stats, Reclaimer(store, stats, settings, clock.time, clock.monotonic), clock


def test_reclaims_in_slices_of_max_reclaim_leases_oldest_first():
    store, stats, reclaimer, _ = setup(
        ExpiredLeasesProcessing(max_reclaim_leases=100, max_reclaim_time=0), expired=250, live=20
    )
    assert stats.get("subnet[1].assigned-addresses") == 270
    first = store.find_expired(NOW, 1)[0].address
    assert [reclaimer.reclaim() for _ in range(4)] == [100, 100, 50, 0]
    assert store.get(first).state == STATE_EXPIRED_RECLAIMED  # with affinity (the defaults): kept
    assert store.find_expired(NOW) == [] and len(store) == 270
    assert stats.get("subnet[1].assigned-addresses") == 20
    assert stats.get("reclaimed-leases") == stats.get("subnet[1].reclaimed-leases") == 250


def test_max_reclaim_time_bounds_a_cycle():
    store, _, reclaimer, clock = setup(
        ExpiredLeasesProcessing(max_reclaim_leases=0, max_reclaim_time=50), expired=40
    )
    real_get = store.get

    def slow_get(address):  # every lease takes 10 ms of the cycle's 50
        clock.mono += 0.010
        return real_get(address)

    store.get = slow_get  # type: ignore[method-assign]
    done = reclaimer.reclaim()
    assert 3 <= done <= 5 and len(store.find_expired(NOW)) == 40 - done


def test_affinity_keeps_the_client_but_not_the_name_and_the_flush_removes_it_later():
    settings = ExpiredLeasesProcessing(hold_reclaimed_time=3600, flush_reclaimed_timer_wait_time=25)
    store, _, reclaimer, clock = setup(settings, expired=3)
    reclaimer.reclaim()
    kept = store.get(BASE + 1)
    assert kept.state == STATE_EXPIRED_RECLAIMED and kept.hwaddr == (1).to_bytes(6, "big")
    assert kept.client_id and kept.hostname == "" and not kept.fqdn_fwd
    assert store.find_by_hwaddr((1).to_bytes(6, "big"))[0].address == BASE + 1  # a returning client finds it
    assert reclaimer.flush() == 0  # held for an hour after expiry
    clock.now = NOW + 3600
    assert reclaimer.flush() == 3 and len(store) == 0


def test_without_affinity_reclaimed_leases_are_deleted():
    for settings in (
        ExpiredLeasesProcessing(hold_reclaimed_time=0),
        ExpiredLeasesProcessing(flush_reclaimed_timer_wait_time=0),
    ):
        store, stats, reclaimer, _ = setup(settings, expired=5, live=1)
        assert reclaimer.reclaim() == 5
        assert len(store) == 1 and stats.get("reclaimed-leases") == 5


def test_declined_lease_is_freed_after_probation_and_counted():
    store, stats, reclaimer, clock = setup(ExpiredLeasesProcessing())
    store.put(Lease(BASE + 9, valid_lifetime=86400, cltt=NOW, subnet_id=1, state=STATE_DECLINED))
    assert stats.get("declined-addresses") == 1 and stats.get("subnet[1].assigned-addresses") == 1
    assert reclaimer.reclaim() == 0
    clock.now = NOW + 86400
    assert reclaimer.reclaim() == 1
    assert store.get(BASE + 9) is None  # the address is free again
    assert stats.get("declined-addresses") == stats.get("subnet[1].assigned-addresses") == 0
    assert (
        stats.get("reclaimed-declined-addresses") == stats.get("subnet[1].reclaimed-declined-addresses") == 1
    )


def test_declined_address_returns_to_a_client_after_probation_through_the_engine():
    config = replace(make_config(pool=("192.0.2.100", "192.0.2.100")), decline_probation_period=600)
    engine = make_engine(config)
    discover = client_packet(wire.DHCPDISCOVER, mac(1))
    offer = wire.decode(engine.handle(wire.encode(discover), local_inbound(), NOW).payload)
    request = client_packet(
        wire.DHCPREQUEST,
        mac(1),
        options={wire.OPT_SERVER_ID: offer.get(wire.OPT_SERVER_ID), wire.OPT_REQUESTED_IP: offer.yiaddr},
    )
    assert (
        wire.decode(engine.handle(wire.encode(request), local_inbound(), NOW).payload).message_type
        == wire.DHCPACK
    )
    decline = client_packet(
        wire.DHCPDECLINE,
        mac(1),
        options={wire.OPT_REQUESTED_IP: offer.yiaddr, wire.OPT_SERVER_ID: offer.get(wire.OPT_SERVER_ID)},
    )
    engine.handle(wire.encode(decline), local_inbound(), NOW + 1)
    assert engine.store.get(u32(offer.yiaddr)).state == STATE_DECLINED
    # In probation the only address of the pool is not offered to anyone.
    assert (
        engine.handle(wire.encode(client_packet(wire.DHCPDISCOVER, mac(2))), local_inbound(), NOW + 2) is None
    )
    clock = Clock(NOW + 602)
    reclaimer = Reclaimer(
        engine.store, engine.stats, config.expired_leases_processing, clock.time, clock.monotonic
    )
    assert reclaimer.reclaim() == 1
    again = engine.handle(wire.encode(client_packet(wire.DHCPDISCOVER, mac(2))), local_inbound(), NOW + 603)
    assert again is not None and wire.decode(again.payload).yiaddr == offer.yiaddr
    assert engine.stats.get("reclaimed-declined-addresses") == 1


def test_slow_reclamation_is_warned_after_unwarned_cycles(caplog):
    settings = ExpiredLeasesProcessing(max_reclaim_leases=1, unwarned_reclaim_cycles=3)
    _, _, reclaimer, _ = setup(settings, expired=10)
    with caplog.at_level(logging.WARNING, logger="edge.leases"):
        for _ in range(2):
            reclaimer.reclaim()
        assert "RECLAMATION_SLOW" not in caplog.text
        reclaimer.reclaim()
    assert "ALLOC_ENGINE_V4_LEASES_RECLAMATION_SLOW" in caplog.text


def test_leases_reclaim_all_ignores_the_cycle_limits():
    store, _, reclaimer, _ = setup(ExpiredLeasesProcessing(max_reclaim_leases=5), expired=30)
    assert reclaimer.reclaim_all(remove=True) == 30 and len(store) == 0
    assert reclaimer.settings.max_reclaim_leases == 5


def test_timers_follow_the_configuration():
    timers: list[object] = []

    class Timer:
        def __init__(self, interval: float, callback: object, name: str) -> None:
            self.interval, self.callback, self.name = interval, callback, name

    def call_every(interval, callback, name=""):
        timers.append(Timer(interval, callback, name))
        return timers[-1]

    store = MemoryLeaseStore4()
    maintenance = LeaseMaintenance(store, Statistics(), call_every)
    maintenance.configure(
        load_data(
            {
                "Dhcp4": {
                    "expired-leases-processing": {
                        "reclaim-timer-wait-time": 3,
                        "flush-reclaimed-timer-wait-time": 7,
                        "hold-reclaimed-time": 60,
                    },
                    "lease-database": {"type": "memfile", "lfc-interval": 120},
                }
            }
        )
    )
    by_name = {t.name: t.interval for t in timers}  # type: ignore[attr-defined]
    # A memory store has no file to clean up.
    assert by_name == {"lease-reclaim": 3, "lease-flush": 7, "lease-file-cleanup": 0}
    maintenance.configure(
        load_data(
            {"Dhcp4": {"expired-leases-processing": {"reclaim-timer-wait-time": 0, "hold-reclaimed-time": 0}}}
        )
    )
    assert {t.name: t.interval for t in timers} == {  # type: ignore[attr-defined]
        "lease-reclaim": 0,
        "lease-flush": 0,
        "lease-file-cleanup": 0,
    }
