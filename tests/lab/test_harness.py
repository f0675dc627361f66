"""The lab harness proven against a reference server (ISC Kea 2.2) before edge-dhcp's server exists.

What this shows, per real client (dhclient, udhcpc, dhcpcd):
- it gets an address from the pool, with router and DNS servers applied: the address is on the client's
  interface, the default route points at the router, and the namespace's own resolv.conf copy (not
  /etc/resolv.conf, which the session guard checks byte for byte) names the DNS server;
- renew keeps the address, release removes it from the interface and from Kea's lease file;
- hostname and client-id are sent where the client supports them;
- through ISC dhcrelay (-a), a client behind a relay gets an address from the relayed subnet, and Kea sees
  the relay's option 82 circuit-id.

The server sits on ifindex 70000 and the client on 131072, as edge-dhcp's own lab tests will have them.
"""

from __future__ import annotations

import ipaddress
import os

import pytest

from tests.lab import kea
from tests.lab.clients import CLIENTS
from tests.lab.common import (
    CLIENT_INDEX,
    DNS,
    DOMAIN,
    POOL,
    RELAYED_POOL,
    SERVER_INDEX,
    assert_configured,
    in_pool,
    make_client,
)
from tests.lab.fixtures import require
from tests.lab.netns import Lab, Site
from tests.lab.relay import DhcpRelay

pytestmark = pytest.mark.lab


# Where the clients keep global state by default; our runners must put none of theirs there.
CLIENT_STATE_DIRS = ("/run/dhcpcd", "/var/lib/dhcpcd", "/var/lib/dhcp", "/run")


def client_state(ifname: str) -> dict[str, list[str]]:
    """Client state files on the machine that name our interface or are the clients' default files.

    Only those: other programs on the machine (another engineer's capture run, say) may use these
    directories at the same time, and their files are not ours to judge.
    """
    found: dict[str, list[str]] = {}
    defaults = {"dhclient.leases", "dhclient.pid", "udhcpc.pid", "dhcrelay.pid"}
    for path in CLIENT_STATE_DIRS:
        try:
            names = os.listdir(path)
        except FileNotFoundError:
            names = []
        found[path] = sorted(n for n in names if ifname in n or n in defaults)
    return found


def start_kea(lab: Lab, site: Site, **kwargs: object) -> kea.KeaServer:
    if not kea.available():
        pytest.skip("kea-dhcp4 (Debian package kea-dhcp4-server) is not installed")
    subnets = [
        kea.subnet(1, "192.0.2.0/24", f"{POOL[0]} - {POOL[1]}", routers="192.0.2.1", dns=DNS, domain=DOMAIN),
        kea.subnet(
            2, "198.51.100.0/24", f"{RELAYED_POOL[0]} - {RELAYED_POOL[1]}", routers="198.51.100.1", dns=DNS
        ),
    ]
    return kea.KeaServer(
        lab, site.server.ns, interfaces=[site.server.ifname], subnets=subnets, **kwargs
    ).start()


@pytest.fixture
def site(lab: Lab) -> Site:
    return lab.build(server_index=SERVER_INDEX, client_index=CLIENT_INDEX)


def test_topology_has_the_requested_indexes(lab: Lab, site: Site) -> None:
    assert lab.endpoint(site.server.ns, "srv0").ifindex == SERVER_INDEX
    assert lab.endpoint(site.client.ns, "cli0").ifindex == CLIENT_INDEX
    assert site.server.ip == ipaddress.IPv4Address("192.0.2.1")
    assert lab.resolv_conf(site.client.ns).exists()
    # the namespace's processes see the lab copy, not the machine's file
    seen = lab.run(site.client.ns, ["cat", "/etc/resolv.conf"]).stdout
    assert seen == lab.resolv_conf(site.client.ns).read_text()


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_client_obtains_and_releases(kind: str, lab: Lab, site: Site) -> None:
    server = start_kea(lab, site)
    client = make_client(kind, lab, site)
    host_state = client_state(site.client.ifname)
    lease = client.obtain()
    assert in_pool(lease.address, POOL), lease
    assert lease.prefix_len == 24
    assert lease.routers == (ipaddress.IPv4Address("192.0.2.1"),)
    assert lease.dns_servers == (ipaddress.IPv4Address(DNS),)
    assert lease.domain_name == DOMAIN
    assert lease.server_id == ipaddress.IPv4Address("192.0.2.1")
    assert lease.lease_time == 120
    assert_configured(lab, site, client, "192.0.2.1")
    row = lab.wait_for(lambda: server.leases().get(str(lease.address)), what="Kea's lease")
    assert row["hwaddr"] == site.client.mac

    client.release()
    assert client.lease is None
    lab.wait_for(lambda: lease.interface not in lab.addresses(site.client.ns, "cli0"), what="address removal")
    lab.wait_for(lambda: str(lease.address) not in server.leases(), what="Kea to drop the released lease")
    # Kea logs the release after it has written the lease file, so this too is waited for
    lab.wait_for(lambda: "DHCP4_RELEASE" in server.output(), what="Kea's DHCP4_RELEASE log line")
    assert client_state(site.client.ifname) == host_state  # no pid or lease files on the machine
    assert any(client.dir.rglob("*lease*"))  # they went to the client's own directory instead


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_client_renews_the_same_address(kind: str, lab: Lab, site: Site) -> None:
    start_kea(lab, site)
    client = make_client(kind, lab, site)
    first = client.obtain(background=True)
    again = client.renew()
    assert again.address == first.address
    assert_configured(lab, site, client, "192.0.2.1")
    client.stop()


def test_dhclient_renews_by_itself_at_t1(lab: Lab, site: Site) -> None:
    start_kea(lab, site, renew_timer=2, rebind_timer=100)
    client = make_client("dhclient", lab, site)
    first = client.obtain(background=True)
    record = client.wait_event("renew", after=client.last_seq(), timeout=20)
    assert record["reason"] == "RENEW"
    assert record["lease"]["address"] == str(first.address)


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_client_sends_hostname_and_client_id(kind: str, lab: Lab, site: Site) -> None:
    server = start_kea(lab, site, extra={"ddns-send-updates": False, "ddns-qualifying-suffix": "lab.example"})
    client_id = bytes.fromhex("01020304050607")
    client = make_client(kind, lab, site, hostname=f"{kind}-host", client_id=client_id)
    lease = client.obtain()
    row = lab.wait_for(lambda: server.leases().get(str(lease.address)), what="Kea's lease")
    assert row["client_id"] == client_id.hex(":")
    # Kea qualifies the client's option 12 with ddns-qualifying-suffix when it stores it
    assert row["hostname"] == f"{kind}-host.lab.example"


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_client_through_relay(kind: str, lab: Lab) -> None:
    require("dhcrelay")
    site = lab.build(relay=True, server_index=SERVER_INDEX, client_index=CLIENT_INDEX)
    assert site.relay_down is not None and site.relay_up is not None and site.relay_ns is not None
    server = start_kea(lab, site)
    relay = DhcpRelay(
        lab, site.relay_ns, downstream=["down0"], upstream=["up0"], servers=[str(site.server.ip)]
    ).start()
    client = make_client(kind, lab, site)
    lease = client.obtain()
    assert in_pool(lease.address, RELAYED_POOL), lease
    assert lease.routers == (ipaddress.IPv4Address("198.51.100.1"),)
    assert_configured(lab, site, client, "198.51.100.1")
    row = lab.wait_for(lambda: server.leases().get(str(lease.address)), what="Kea's lease")
    # ISC dhcrelay -a: option 82 with sub-option 1 (circuit-id), length 5, "down0" (the relay's downstream
    # interface); Kea 2.2 stores the raw option 82 payload in the lease's user context.
    assert "relay-agent-info" in row["user_context"]
    assert "0105" + b"down0".hex().upper() in row["user_context"].upper()
    # and the relayed client can reach the server through the relay
    assert lab.ping(site.client.ns, site.server.ip)
    relay.stop()
