"""Offer holds under a flood of DISCOVERs that never come back with a REQUEST (what an overloaded server sees
when clients give up): live holds are never dropped, expired ones are swept, and a sweep happens only when
the table has grown to twice what the last sweep left, so holding an offer stays cheap however many are
live (a sweep on every DISCOVER past a fixed size made overload cost O(offers) per packet)."""

from __future__ import annotations

from edge.dhcp4 import alloc as alloc_engine
from edge.dhcp4.alloc import OFFER_HOLD, OFFERS_SWEEP, Allocator, ClientIdentity
from edge.dhcp4.config import load_data
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.dhcp4.select import SubnetSelector
from edge.policy.hosts import ConfigHosts, HostManager
from edge.stats import Statistics

NOW = 1_800_000_000.0
BASE = 0x0A000000


def allocator() -> Allocator:
    config = load_data(
        {
            "Dhcp4": {
                "subnet4": [
                    {"id": 1, "subnet": "10.0.0.0/8", "pools": [{"pool": "10.0.0.1 - 10.255.255.254"}]}
                ]
            }
        }
    )
    hosts = HostManager([ConfigHosts(config)], config.host_reservation_identifiers)
    return Allocator(config, MemoryLeaseStore4(), hosts, SubnetSelector(config), Statistics())


def hold(alloc: Allocator, n: int, first: int, now: float) -> None:
    for i in range(first, first + n):
        client = ClientIdentity(bytes((2, 0, i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)))
        alloc.hold_offer(BASE + 1 + i, client, True, 1, now)


def test_live_offers_are_kept_and_sweeps_are_amortised(monkeypatch) -> None:
    alloc = allocator()
    sweeps = []
    real = alloc_engine.Allocator.hold_offer

    def counting(self, address, client, match, subnet_id, now):  # noqa: ANN001, ANN202
        before = self._offers
        real(self, address, client, match, subnet_id, now)
        if self._offers is not before:
            sweeps.append(len(self._offers))

    monkeypatch.setattr(alloc_engine.Allocator, "hold_offer", counting)
    live = 5 * OFFERS_SWEEP
    hold(alloc, live, 0, NOW)
    assert len(alloc.offers) == live  # nothing live is ever dropped
    # Each sweep found only live offers, so the next one waits for twice as many: a handful, not one per
    # DISCOVER past the threshold.
    assert 1 <= len(sweeps) <= 3, sweeps


def test_expired_offers_are_swept() -> None:
    alloc = allocator()
    hold(alloc, OFFERS_SWEEP, 0, NOW)
    later = NOW + OFFER_HOLD + 1  # every hold above has run out
    hold(alloc, 2, OFFERS_SWEEP, later)
    assert len(alloc.offers) == 2
    assert all(until > later for _, until in alloc.offers.values())
