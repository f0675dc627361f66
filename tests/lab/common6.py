"""What the v6 lab scenarios share: the topology numbers, the standard Kea 2.2 Dhcp6 config, helpers.

One place for the pools and expectations so that a scenario reads the same against Kea and, later,
edge-dhcp's DHCPv6 server.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.lab import kea6
from tests.lab.netns import Lab
from tests.lab.netns6 import Site6

SERVER_INDEX = 70000
CLIENT_INDEX = 131072
PERF_CLIENT_INDEX = 1000  # Kea 2.2's perfdhcp cannot use an interface index of 65536 or more
CLIENT_MAC = "02:00:5e:10:00:02"
SERVER_MAC = "02:00:5e:10:00:01"

POOL6 = ("2001:db8:1::100", "2001:db8:1::1ff")
RELAYED_POOL6 = ("2001:db8:2::100", "2001:db8:2::1ff")
IFACE_ID_POOL6 = ("2001:db8:3::100", "2001:db8:3::1ff")
PD_POOL = ("2001:db8:8::", 56, 64)
DNS6 = "2001:db8:1::53"
RELAYED_DNS6 = "2001:db8:2::53"
DOMAIN6 = "lab.example"
# dhcrelay -6 -I -l down0#N sends interface-id = N as 4 bytes in host (little-endian) order: this N makes
# the bytes "cli1", a text Kea's "interface-id" subnet key can name.
IFACE_ID_TEXT = "cli1"
IFACE_ID_INDEX = int.from_bytes(IFACE_ID_TEXT.encode(), "little")


def in_range(address: ipaddress.IPv6Address | None, pool: tuple[str, str]) -> bool:
    if address is None:
        return False
    return ipaddress.IPv6Address(pool[0]) <= address <= ipaddress.IPv6Address(pool[1])


def standard_subnets(server_ifname: str = "srv0", **local: Any) -> list[dict[str, Any]]:
    """Subnet 1 on the server's own link (selected by interface), 2 behind the relay (by link-address),
    3 chosen only by the relay's interface-id."""
    return [
        kea6.subnet6(
            1,
            "2001:db8:1::/64",
            [f"{POOL6[0]}-{POOL6[1]}"],
            pd_pools=[kea6.pd_pool(*PD_POOL)],
            dns=DNS6,
            domain_search=DOMAIN6,
            interface=server_ifname,
            **local,
        ),
        kea6.subnet6(
            2,
            "2001:db8:2::/64",
            [f"{RELAYED_POOL6[0]}-{RELAYED_POOL6[1]}"],
            pd_pools=[kea6.pd_pool("2001:db8:9::", 56, 64)],
            dns=RELAYED_DNS6,
        ),
        kea6.subnet6(
            3, "2001:db8:3::/64", [f"{IFACE_ID_POOL6[0]}-{IFACE_ID_POOL6[1]}"], interface_id=IFACE_ID_TEXT
        ),
    ]


def start_kea6(
    lab: Lab,
    site: Site6,
    *,
    subnet_extra: dict[str, Any] | None = None,
    kind: str = "kea",
    **kwargs: Any,
) -> kea6.Kea6Server:
    """Kea 2.2 kea-dhcp6 (or, `kind="edge"`, edge-dhcp from the same Kea configuration) on the server
    end, listening on the interface and on its global address (the unicast from relays arrives there),
    with the standard subnets."""
    if kind == "edge":
        from tests.lab.edge6 import Edge6Server

        server_class: type[kea6.Kea6Server] = Edge6Server
    else:
        server_class = kea6.Kea6Server
    if kind == "kea" and not kea6.available():
        pytest.skip("kea-dhcp6 (Debian package kea-dhcp6-server) is not installed")
    ifname = site.server.ifname
    interfaces = kwargs.pop("interfaces", [f"{ifname}/{site.server.ip}"] if site.server.address else [ifname])
    subnets = kwargs.pop("subnets", standard_subnets(ifname, **(subnet_extra or {})))
    return server_class(lab, site.server.ns, interfaces=interfaces, subnets=subnets, **kwargs).start()
