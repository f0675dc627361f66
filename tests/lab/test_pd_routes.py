"""Routes for delegated prefixes in the lab: edge-dhcp with `"delegated-prefix-routes": true`, a downstream
router that gets a prefix with a real `dhclient -6 -P`, and a host behind that router on the prefix.

    [server ns] srv0 ==veth== cli0 [router ns, forwarding on] lan0 ==veth== hst0 [host ns]
    2001:db8:1::1/64          fe80:: only                      P::1/64          P::2/64, default via P::1

What this shows, on the real kernel (pyroute2 in the server process): no route to the prefix before the
delegation (the ping fails); after it the server namespace routes P/64 via the router's link-local address on
srv0 (protocol 237) and its ping reaches the host through the router; a route someone removed while edge-dhcp
was stopped is back after a restart, from the lease store; and after `dhclient -6 -r` the route is gone.
Relayed (a dhcrelay -6 namespace between server and router), the route goes via the relay's address.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from tests.lab.clients6 import Dhclient6
from tests.lab.common6 import CLIENT_INDEX, CLIENT_MAC, PD_POOL, SERVER_INDEX, start_kea6
from tests.lab.fixtures import require
from tests.lab.netns import Lab
from tests.lab.netns6 import SERVER_NET, Site6, add_link6, build6, dad_off, wait_settled
from tests.lab.relay6 import DhcpRelay6

pytestmark = pytest.mark.lab

RTPROT_EDGE = "237"


def routes_to(lab: Lab, ns: str, prefix: ipaddress.IPv6Network) -> list[dict[str, Any]]:
    """`ip -6 route` entries for exactly `prefix` in `ns`."""
    found = json.loads(lab.ip(ns, "-j", "-6", "route", "show", "exact", str(prefix)).stdout or "[]")
    return list(found)


def router_with_host(lab: Lab, site: Site6) -> str:
    """The host namespace behind the router (client) namespace, forwarding on in the router."""
    host_ns = lab.add_namespace("host")
    dad_off(lab, host_ns)
    add_link6(lab, (site.client.ns, "lan0"), (host_ns, "hst0"))
    lab.run(site.client.ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"])
    return host_ns


def delegate(lab: Lab, site: Site6, host_ns: str) -> tuple[Dhclient6, ipaddress.IPv6Network]:
    """dhclient -6 -P on the router's cli0; the router numbers its downstream link from the prefix (as a
    home router does) and the host takes an address there, its default route via the router."""
    router = Dhclient6(lab, site.client.ns, "cli0", ia_na=0, ia_pd=1)
    lease = router.obtain()
    assert len(lease.prefixes) == 1, lease
    prefix = lease.prefixes[0]
    assert prefix.prefixlen == PD_POOL[2]
    lab.ip(site.client.ns, "-6", "addr", "add", f"{prefix[1]}/64", "dev", "lan0", "nodad")
    lab.ip(host_ns, "-6", "addr", "add", f"{prefix[2]}/64", "dev", "hst0", "nodad")
    lab.ip(host_ns, "-6", "route", "add", "default", "via", str(prefix[1]), "dev", "hst0")
    wait_settled(lab, [site.client.ns, host_ns])
    return router, prefix


def test_a_delegated_prefix_is_routed_to_its_router_until_released(lab: Lab) -> None:
    require("dhclient")
    site = build6(lab, server_index=SERVER_INDEX, client_index=CLIENT_INDEX, client_mac=CLIENT_MAC)
    server_ns, router_ns = site.server.ns, site.client.ns
    host_ns = router_with_host(lab, site)
    lab.ip(router_ns, "-6", "route", "add", str(SERVER_NET), "dev", "cli0")  # the server's link, on-link
    server = start_kea6(lab, site, kind="edge", extra={"delegated-prefix-routes": True})
    assert not lab.ping(server_ns, "2001:db8:8::2", timeout=1)  # no route to the pool's first prefix yet

    router, prefix = delegate(lab, site, host_ns)

    (route,) = lab.wait_for(lambda: routes_to(lab, server_ns, prefix), what="the route of the prefix")
    assert route["gateway"] == str(site.client.link_local) and route["dev"] == "srv0", route
    assert str(route["protocol"]) == RTPROT_EDGE, route
    assert lab.ping(server_ns, prefix[2]), "the host behind the router is not reachable through the prefix"
    (row,) = [r for r in server.command("lease6-get-all")["arguments"]["leases"] if r["type"] == "IA_PD"]
    assert row["user-context"] == {"edge-dhcp": {"route-via": f"{site.client.link_local}%srv0"}}

    # restored from the lease store: removed while edge-dhcp was stopped, back once it runs again
    assert server.stop() == 0
    assert routes_to(lab, server_ns, prefix), "stopping edge-dhcp must leave the route in place"
    lab.ip(server_ns, "-6", "route", "del", str(prefix))
    assert not lab.ping(server_ns, prefix[2], timeout=1)
    server.restart()
    (route,) = lab.wait_for(lambda: routes_to(lab, server_ns, prefix), what="the restored route")
    assert route["gateway"] == str(site.client.link_local) and route["dev"] == "srv0", route
    assert lab.ping(server_ns, prefix[2])

    router.release()
    lab.wait_for(lambda: not routes_to(lab, server_ns, prefix), what="the route to go with the release")
    assert not lab.ping(server_ns, prefix[2], timeout=1)
    server.stop()


def test_a_relayed_delegation_is_routed_via_the_relay(lab: Lab) -> None:
    require("dhclient")
    require("dhcrelay")
    site = build6(
        lab, relay=True, server_index=SERVER_INDEX, client_index=CLIENT_INDEX, client_mac=CLIENT_MAC
    )
    assert site.relay_ns is not None and site.relay_up is not None and site.relay_down is not None
    host_ns = router_with_host(lab, site)
    lab.ip(
        site.client.ns, "-6", "route", "add", "default", "via", str(site.relay_down.link_local), "dev", "cli0"
    )
    server = start_kea6(lab, site, kind="edge", extra={"delegated-prefix-routes": True})
    DhcpRelay6(lab, site.relay_ns, lower=["down0"], upper=[f"{site.server.ip}%up0"]).start()
    router, prefix = delegate(lab, site, host_ns)
    assert prefix.subnet_of(ipaddress.IPv6Network("2001:db8:9::/56"))  # subnet 2's pd-pool: behind the relay
    (route,) = lab.wait_for(lambda: routes_to(lab, site.server.ns, prefix), what="the route of the prefix")
    assert route["gateway"] == str(site.relay_up.ip) and route["dev"] == "srv0", route
    # the relay's own route to the prefix is the relay's business (a real relay router snoops or is told)
    lab.ip(
        site.relay_ns, "-6", "route", "add", str(prefix), "via", str(site.client.link_local), "dev", "down0"
    )
    assert lab.ping(site.server.ns, prefix[2])
    router.release()
    lab.wait_for(lambda: not routes_to(lab, site.server.ns, prefix), what="the route to go with the release")
    server.stop()
