"""What the lab scenarios share, whichever server they run against (Kea or edge-dhcp).

One topology, one pair of pools and one set of expectations, so a scenario reads the same for both servers
and a difference between them shows up as a failing assertion, not as two diverging copies of a helper.
"""

from __future__ import annotations

import ipaddress

from tests.lab.clients import CLIENTS, DhcpClient
from tests.lab.fixtures import require
from tests.lab.netns import Lab, Site

SERVER_INDEX = 70000
CLIENT_INDEX = 131072
POOL = ("192.0.2.100", "192.0.2.150")
RELAYED_POOL = ("198.51.100.100", "198.51.100.150")
DNS = "203.0.113.53"
DOMAIN = "lab.example"


def in_pool(address: ipaddress.IPv4Address, pool: tuple[str, str]) -> bool:
    return ipaddress.IPv4Address(pool[0]) <= address <= ipaddress.IPv4Address(pool[1])


def make_client(kind: str, lab: Lab, site: Site, **kwargs: object) -> DhcpClient:
    """A real client of `kind` on the site's client interface (skips if that client is not installed)."""
    cls = CLIENTS[kind]
    require(cls.binary)
    return cls(lab, site.client.ns, site.client.ifname, **kwargs)


def assert_configured(lab: Lab, site: Site, client: DhcpClient, router: str, dns: str = DNS) -> None:
    """The client's lease is really in effect: address on the interface, default route, resolver."""
    lease = client.lease
    assert lease is not None
    assert lease.interface in lab.addresses(site.client.ns, site.client.ifname)
    routes = lab.ip(site.client.ns, "-4", "route", "show", "default").stdout
    assert f"via {router} dev {site.client.ifname}" in routes
    assert f"nameserver {dns}" in lab.resolv_conf(site.client.ns).read_text()
