"""A real downstream router with a delegated prefix: dhcpcd -6 (dhcpcd 9) asks edge-dhcp for IA_NA and IA_PD on
its upstream link and delegates the prefix to its downstream link itself (`ia_pd 2 lan0/0/64`), with edge-dhcp's
`"delegated-prefix-routes": true`.

    [server ns] srv0 ==veth== cli0 [router ns, forwarding on, dhcpcd] lan0 ==veth== hst0 [host ns]
    2001:db8:1::1/64          fe80:: + IA_NA /128               P::1/64 (dhcpcd)  P::2/64, default via P::1

What this shows, on the real kernel: edge-dhcp holds an IA_PD lease for dhcpcd's prefix P; the address dhcpcd
numbered lan0 with is inside P (nobody but dhcpcd put it there); the server namespace routes P via the router's
link-local address on srv0 (protocol 237), and pings both dhcpcd's lan0 address and the host behind it (which
only the router's forwarding reaches); after `dhcpcd -k` the route, the lease and lan0's address are gone.
The namespaces are named edgepdc<pid>n<k>-<role>, apart from every other lab run's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest

from tests.lab.clients6 import Dhcpcd6
from tests.lab.common6 import CLIENT_INDEX, CLIENT_MAC, PD_POOL, POOL6, SERVER_INDEX, in_range, start_kea6
from tests.lab.fixtures import require
from tests.lab.kea6 import Kea6Server
from tests.lab.netns import Lab, cleanup_stale
from tests.lab.netns6 import SERVER_NET, build6, global_addresses, wait_settled
from tests.lab.test_pd_routes import RTPROT_EDGE, router_with_host, routes_to

pytestmark = pytest.mark.lab

PDC_PREFIX = "edgepdc"
PD_NET = ipaddress.IPv6Network(f"{PD_POOL[0]}/{PD_POOL[1]}")


@pytest.fixture
def pdc_lab(lab: Lab) -> Iterator[Lab]:
    """A lab of its own name (the `lab` fixture around it keeps the skip rules and the resolv.conf check)."""
    cleanup_stale(PDC_PREFIX)  # what a crashed earlier run of this test left (its pid is gone)
    with Lab(prefix=PDC_PREFIX) as made:
        yield made


def pd_leases(server: Kea6Server) -> list[dict[str, Any]]:
    """The server's IA_PD leases, over its control socket."""
    return [r for r in server.command("lease6-get-all")["arguments"]["leases"] if r["type"] == "IA_PD"]


def test_dhcpcd_delegates_its_prefix_downstream_and_the_server_routes_it(pdc_lab: Lab) -> None:
    require("dhcpcd")
    lab = pdc_lab
    site = build6(lab, server_index=SERVER_INDEX, client_index=CLIENT_INDEX, client_mac=CLIENT_MAC)
    server_ns, router_ns = site.server.ns, site.client.ns
    host_ns = router_with_host(lab, site)
    lab.ip(router_ns, "-6", "route", "add", str(SERVER_NET), "dev", "cli0")  # the server's link, on-link
    server = start_kea6(lab, site, kind="edge", extra={"delegated-prefix-routes": True})
    assert not pd_leases(server)
    assert not global_addresses(lab, router_ns, "lan0")

    router = Dhcpcd6(lab, router_ns, "cli0", ia_na=1, ia_pd=1, delegate_to="lan0", timeout=45.0)
    lease = router.obtain(background=True)
    assert len(lease.addresses) == 1 and in_range(lease.addresses[0], POOL6), lease
    assert len(lease.prefixes) == 1, lease
    prefix = lease.prefixes[0]
    assert prefix.prefixlen == PD_POOL[2] and prefix.subnet_of(PD_NET), prefix

    # 1. the server holds the prefix as an IA_PD lease, and knows where to route it
    (row,) = lab.wait_for(lambda: pd_leases(server), what="the server's IA_PD lease")
    assert ipaddress.IPv6Network(f"{row['ip-address']}/{row['prefix-len']}") == prefix, row
    assert row["user-context"] == {"edge-dhcp": {"route-via": f"{site.client.link_local}%srv0"}}, row
    pd_key = (str(prefix.network_address), "2")  # lease_type 2: IA_PD, in the lease store's CSV rows
    assert server.leases()[pd_key]["prefix_len"] == str(prefix.prefixlen)

    # 2. dhcpcd itself numbered the downstream link from the prefix
    (downstream,) = lab.wait_for(
        lambda: [a for a in global_addresses(lab, router_ns, "lan0") if a.ip in prefix],
        timeout=30,
        what="dhcpcd's address from the delegated prefix on lan0",
    )
    assert downstream.network == prefix, downstream
    assert not [a for a in global_addresses(lab, router_ns, "lan0") if a.ip not in prefix]
    host = downstream.network[2]
    assert host != downstream.ip
    lab.ip(host_ns, "-6", "addr", "add", f"{host}/64", "dev", "hst0", "nodad")
    lab.ip(host_ns, "-6", "route", "add", "default", "via", str(downstream.ip), "dev", "hst0")
    wait_settled(lab, [router_ns, host_ns])

    # 3. the server routes the prefix via the router's link-local address, and reaches through it
    (route,) = lab.wait_for(lambda: routes_to(lab, server_ns, prefix), what="the route of the prefix")
    assert route["gateway"] == str(site.client.link_local) and route["dev"] == "srv0", route
    assert str(route["protocol"]) == RTPROT_EDGE, route
    assert lab.ping(server_ns, downstream.ip), "dhcpcd's downstream address is not reachable"
    assert lab.ping(server_ns, host), "the host behind the router is not reachable through the prefix"

    # 4. dhcpcd -k: RELEASE; the route and the lease go, and dhcpcd takes its downstream address back
    router.release()
    lab.wait_for(lambda: not routes_to(lab, server_ns, prefix), what="the route to go with the release")
    lab.wait_for(lambda: not pd_leases(server), what="the server to drop the released IA_PD lease")
    assert not server.command("lease6-get-all")["arguments"]["leases"], "the IA_NA lease outlived the release"
    assert pd_key not in server.leases()
    pd_rows = [r for r in server.lease_rows() if (r["address"], r["lease_type"]) == pd_key]
    assert pd_rows[-1]["valid_lifetime"] == "0", pd_rows  # the store wrote the release
    assert not [a for a in global_addresses(lab, router_ns, "lan0") if a.ip in prefix]
    assert not lab.ping(server_ns, host, timeout=1)
    assert server.stop() == 0
