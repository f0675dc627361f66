"""The allocator's decisions and costs: lease before reservation (Kea #1124), conflicts, shared networks,
subnet selection by relay, interface and class."""

from __future__ import annotations

import pytest

from edge.config.model import ip_int
from edge.dhcp4.alloc import Allocator, ClientIdentity, Exchange
from edge.dhcp4.config import load_data
from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.dhcp4.model import Config4
from edge.dhcp4.select import SubnetSelector
from edge.policy.hosts import ConfigHosts, HostManager
from edge.stats import Statistics

NOW = 1_800_000_000.0


def mac(n: int) -> bytes:
    return bytes((0x02, 0x11, 0, 0, n >> 8 & 255, n & 255))


def build(
    config: Config4, store: MemoryLeaseStore4 | None = None
) -> tuple[Allocator, MemoryLeaseStore4, HostManager]:
    store = store if store is not None else MemoryLeaseStore4()
    hosts = HostManager([ConfigHosts(config)], config.host_reservation_identifiers)
    allocator = Allocator(config, store, hosts, SubnetSelector(config), Statistics())
    return allocator, store, hosts


def exchange(
    allocator: Allocator, config: Config4, hw: bytes, subnet_id: int = 1, classes: tuple[str, ...] = ("ALL",)
) -> Exchange:
    client = ClientIdentity(hw)
    subnet = config.subnet_by_id(subnet_id)
    assert subnet is not None
    ex = Exchange(
        client, client.identifiers(config.host_reservation_identifiers), dict.fromkeys(classes), subnet
    )
    allocator.find_reservations(ex)
    return ex


def lease_up(store: MemoryLeaseStore4, allocator: Allocator, address: int, hw: bytes, sid: int = 1) -> None:
    store.put(Lease(address, hwaddr=hw, valid_lifetime=3600, cltt=int(NOW), subnet_id=sid))
    allocator.note_busy(sid, address, NOW + 3600)


def sixteen(lookup_first: bool = False) -> Config4:
    reservations = [
        {
            "hw-address": "02:22:00:00:%02x:%02x" % (i >> 8, i & 255),
            "ip-address": "10.0.%d.%d" % (200 + i // 250, 1 + i % 250),
        }
        for i in range(100)
    ]
    return load_data(
        {
            "Dhcp4": {
                "reservations-lookup-first": lookup_first,
                "subnet4": [
                    {
                        "id": 1,
                        "subnet": "10.0.0.0/16",
                        "pools": [{"pool": "10.0.0.1 - 10.0.19.255"}],
                        "reservations": reservations,
                    }
                ],
            }
        }
    )


def fill_95(
    config: Config4, learned: bool = True
) -> tuple[Allocator, MemoryLeaseStore4, HostManager, list[int]]:
    """A store 95% full (every 20th address free). `learned`: written before the allocator exists (a
    restart: the allocator reads it); else written behind its back, so that every candidate must be
    checked against the store, the case Kea #1124 is about."""
    store = MemoryLeaseStore4()
    allocator, store, hosts = (None, store, None) if learned else build(config, store)  # type: ignore[assignment]
    first, last = ip_int("10.0.0.1"), ip_int("10.0.19.255")
    free = []
    for n, address in enumerate(range(first, last + 1)):
        if n % 20 == 19:
            free.append(address)
            continue
        store.put(Lease(address, hwaddr=mac(n % 60000), valid_lifetime=3600, cltt=int(NOW), subnet_id=1))
    if learned:
        allocator, store, hosts = build(config, store)
    return allocator, store, hosts, free


@pytest.mark.parametrize("learned", [True, False])
def test_filling_a_95_percent_full_pool_costs_one_reservation_lookup_per_allocation(learned: bool) -> None:
    config = sixteen()
    allocator, store, hosts, free = fill_95(config, learned)
    got = []
    for n in range(200):
        ex = exchange(allocator, config, mac(60000 + n))
        address = allocator.allocate_unreserved(ex, NOW)
        assert address is not None
        lease_up(store, allocator, address, mac(60000 + n))
        got.append(address)
    assert got == free[:200]  # Kea's order: the next free address after the cursor
    per_allocation = hosts.address_lookups / 200
    assert 1.0 <= per_allocation <= 1.05, per_allocation


def test_checking_reservations_first_costs_one_lookup_per_address_skipped() -> None:
    """The other order (reservations-lookup-first, Kea's multi-threaded default) on the same full pool:
    the figure the previous test would show if the lease were not checked first."""
    config = sixteen(lookup_first=True)
    allocator, store, hosts, free = fill_95(config, learned=False)
    for n in range(200):
        ex = exchange(allocator, config, mac(60000 + n))
        address = allocator.allocate_unreserved(ex, NOW)
        assert address is not None
        lease_up(store, allocator, address, mac(60000 + n))
    assert hosts.address_lookups / 200 >= 19


def test_a_reserved_address_is_skipped_for_others_and_given_to_its_client() -> None:
    config = load_data(
        {
            "Dhcp4": {
                "subnet4": [
                    {
                        "id": 1,
                        "subnet": "192.0.2.0/24",
                        "pools": [{"pool": "192.0.2.100 - 192.0.2.102"}],
                        "reservations": [{"hw-address": "02:11:00:00:00:09", "ip-address": "192.0.2.100"}],
                    }
                ]
            }
        }
    )
    allocator, store, _ = build(config)
    other = exchange(allocator, config, mac(1))
    assert allocator.discover(other, NOW) == ip_int("192.0.2.101")
    owner = exchange(allocator, config, mac(9))
    assert allocator.discover(owner, NOW) == ip_int("192.0.2.100")


def test_a_reserved_address_in_use_is_a_counted_conflict() -> None:
    config = load_data(
        {
            "Dhcp4": {
                "subnet4": [
                    {
                        "id": 1,
                        "subnet": "192.0.2.0/24",
                        "pools": [{"pool": "192.0.2.100 - 192.0.2.110"}],
                        "reservations": [{"hw-address": "02:11:00:00:00:09", "ip-address": "192.0.2.105"}],
                    }
                ]
            }
        }
    )
    allocator, store, _ = build(config)
    lease_up(store, allocator, ip_int("192.0.2.105"), mac(3))
    owner = exchange(allocator, config, mac(9))
    assert allocator.discover(owner, NOW) == ip_int("192.0.2.100")
    stats = allocator.stats
    assert stats.get("v4-reservation-conflicts") == 1 and stats.get("subnet[1].v4-reservation-conflicts") == 1


def network_config() -> Config4:
    return load_data(
        {
            "Dhcp4": {
                "client-classes": [{"name": "phones", "test": "option[60].exists"}],
                "shared-networks": [
                    {
                        "name": "net",
                        "interface": "eth0",
                        "relay": {"ip-addresses": ["10.9.9.1"]},
                        "subnet4": [
                            {
                                "id": 30,
                                "subnet": "192.0.2.0/24",
                                "pools": [{"pool": "192.0.2.10 - 192.0.2.11"}],
                            },
                            {
                                "id": 10,
                                "subnet": "198.51.100.0/24",
                                "client-class": "phones",
                                "pools": [{"pool": "198.51.100.10 - 198.51.100.20"}],
                            },
                            {
                                "id": 20,
                                "subnet": "203.0.113.0/24",
                                "pools": [{"pool": "203.0.113.10 - 203.0.113.20"}],
                            },
                        ],
                    }
                ],
                "subnet4": [
                    {
                        "id": 5,
                        "subnet": "10.5.0.0/16",
                        "interface": "eth1",
                        "pools": [{"pool": "10.5.0.10 - 10.5.0.20"}],
                    }
                ],
            }
        }
    )


def test_selection_by_interface_and_relay_in_id_order_with_guards() -> None:
    config = network_config()
    selector = SubnetSelector(config)
    plain, phone = {"ALL": None}, {"ALL": None, "phones": None}
    assert selector.select(0, 0, "eth0", (), classes=plain).id == 20  # 10 is guarded
    assert selector.select(0, 0, "eth0", (), classes=phone).id == 10
    assert selector.select(ip_int("10.9.9.1"), 0, "eth9", (), classes=plain).id == 20
    assert selector.select(0, 0, "eth1", (), classes=plain).id == 5
    assert selector.select(ip_int("10.5.3.3"), 0, "eth0", (), classes=plain).id == 5  # giaddr in a subnet
    # ciaddr counts only for unicast (renewing); a broadcast with ciaddr is selected by interface
    assert (
        selector.select(0, ip_int("10.5.3.3"), "eth0", (), classes=plain, dst_ip=ip_int("192.0.2.1")).id == 5
    )
    assert selector.select(0, ip_int("10.5.3.3"), "eth0", (), classes=plain).id == 20
    assert selector.select(0, 0, "eth0", (), link_selection=ip_int("198.51.100.7"), classes=plain) is None
    assert [s.id for s in selector.ring(config.subnet_by_id(20), phone)] == [20, 30, 10]
    assert [s.id for s in selector.ring(config.subnet_by_id(20), plain)] == [20, 30]


def test_a_shared_network_fills_in_id_order_and_prefers_the_last_used_subnet() -> None:
    config = network_config()
    allocator, store, _ = build(config)
    got = []
    for n in range(5):
        ex = exchange(allocator, config, mac(n), subnet_id=20)
        address = allocator.discover(ex, NOW)
        lease_up(store, allocator, address, mac(n), ex.subnet.id)
        got.append((ex.subnet.id, address))
    # Selected 20; first allocation in 20, then Kea keeps preferring the subnet that allocated last.
    assert [sid for sid, _ in got] == [20] * 5
    ex = exchange(allocator, config, mac(1), subnet_id=30)
    assert allocator.discover(ex, NOW) == got[1][1] and ex.subnet.id == 20  # keeps its lease in the network


def test_exhausted_subnet_counts_kea_failure_statistics() -> None:
    config = load_data(
        {
            "Dhcp4": {
                "subnet4": [
                    {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.10"}]}
                ]
            }
        }
    )
    allocator, store, _ = build(config)
    lease_up(store, allocator, ip_int("192.0.2.10"), mac(1))
    assert allocator.discover(exchange(allocator, config, mac(2)), NOW) is None
    stats = allocator.stats
    assert [
        stats.get(n)
        for n in (
            "v4-allocation-fail",
            "v4-allocation-fail-subnet",
            "v4-allocation-fail-classes",
            "v4-allocation-fail-no-pools",
            "subnet[1].v4-allocation-fail",
        )
    ] == [1, 1, 1, 0, 1]
