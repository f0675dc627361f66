"""interfaces.py: scan() inside a namespace reports large interface indexes exactly, with MACs and flags."""

from __future__ import annotations

import ipaddress

import pytest

from edge.netif.interfaces import scan
from tests.lab.netns import Lab

pytestmark = pytest.mark.lab

# Linux keeps ifindex in an int: 2**31 - 1 is the largest index `ip link add ... index N` accepts.
MAX_IFINDEX = 2**31 - 1


def test_scan_reports_large_indexes_exactly(lab: Lab) -> None:
    site = lab.build(server_index=70000, client_index=131072)
    lab.add_link(
        (site.server.ns, "big0"), (site.server.ns, "big1"), a_index=MAX_IFINDEX, b_index=MAX_IFINDEX - 1
    )
    lab.ip(site.server.ns, "addr", "add", "203.0.113.9/28", "dev", "big0")
    lab.ip(site.server.ns, "addr", "add", "203.0.113.10/28", "dev", "big0")
    lab.ip(site.server.ns, "link", "set", "big1", "down")
    with lab.inside(site.server.ns):
        found = scan()
    assert set(found) == {"lo", "srv0", "big0", "big1"}
    srv0 = found["srv0"]
    assert srv0.index == 70000
    assert srv0.mac == site.server.mac_bytes
    assert srv0.addresses == ((int(ipaddress.IPv4Address("192.0.2.1")), 24),)
    assert srv0.up and srv0.broadcast and not srv0.loopback
    assert found["big0"].index == MAX_IFINDEX
    assert found["big0"].addresses == (
        (int(ipaddress.IPv4Address("203.0.113.9")), 28),
        (int(ipaddress.IPv4Address("203.0.113.10")), 28),
    )
    assert found["big0"].broadcast_addresses() == {0xFFFFFFFF, int(ipaddress.IPv4Address("203.0.113.15"))}
    assert found["big1"].index == MAX_IFINDEX - 1 and not found["big1"].up and found["big1"].addresses == ()
    assert found["lo"].loopback and found["lo"].index == 1
    with lab.inside(site.client.ns):
        client_side = scan()
    assert client_side["cli0"].index == 131072
    assert client_side["cli0"].mac == site.client.mac_bytes


def test_alias_labels_fold_into_their_interface(lab: Lab) -> None:
    site = lab.build()
    lab.ip(site.server.ns, "addr", "add", "192.0.2.200/24", "dev", "srv0", "label", "srv0:1")
    with lab.inside(site.server.ns):
        found = scan()
    assert "srv0:1" not in found
    assert int(ipaddress.IPv4Address("192.0.2.200")) in found["srv0"].ipv4


def test_indexes_above_the_kernel_limit_are_refused_by_ip(lab: Lab) -> None:
    # Documents the ceiling the lab works under: 2**31 and above cannot be requested.
    ns = lab.add_namespace("limits")
    result = lab.ip(
        ns, "link", "add", "huge0", "index", str(2**31), "type", "veth", "peer", "name", "huge1", check=False
    )
    assert result.returncode != 0
