"""edge-dhcp serving real DHCP clients in network namespaces (Foundation II).

The server sits on ifindex 70000 and the client on 131072 throughout (Linux allows indexes above 65535;
a 16-bit index anywhere in the server would break here). Each scenario is a real client, a real kernel
and edge-dhcp started as a user would start it (`python -m edge serve -c FILE`).
"""

from __future__ import annotations

import ipaddress
import json
import time

import pytest
from tinydb import TinyDB

from edge.wire import pkt4 as wire
from tests.lab import kea
from tests.lab.capture import Capture
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
from tests.lab.edge import EdgeServer
from tests.lab.fixtures import require
from tests.lab.netns import Lab, Site
from tests.lab.relay import DhcpRelay

pytestmark = pytest.mark.lab


def subnets(pool: tuple[str, str] = POOL) -> list[dict]:
    return [
        kea.subnet(1, "192.0.2.0/24", f"{pool[0]} - {pool[1]}", routers="192.0.2.1", dns=DNS, domain=DOMAIN),
        kea.subnet(
            2,
            "198.51.100.0/24",
            f"{RELAYED_POOL[0]} - {RELAYED_POOL[1]}",
            routers="198.51.100.1",
            dns=DNS,
            relay={"ip-addresses": ["198.51.100.1"]},
        ),
    ]


def start_edge(lab: Lab, site: Site, pool: tuple[str, str] = POOL, **kwargs: object) -> EdgeServer:
    return EdgeServer(
        lab, site.server.ns, interfaces=[site.server.ifname], subnets=subnets(pool), **kwargs
    ).start()


def stored_leases(server: EdgeServer) -> dict[str, dict]:
    """The server's lease file as stock TinyDB sees it (read after a clean stop)."""
    db = TinyDB(str(server.lease_path))
    try:
        return {doc["address"]: dict(doc) for doc in db.table("leases").all()}
    finally:
        db.close()


@pytest.fixture
def site(lab: Lab) -> Site:
    return lab.build(server_index=SERVER_INDEX, client_index=CLIENT_INDEX)


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_client_gets_lease_with_router_and_dns(kind: str, lab: Lab, site: Site) -> None:
    server = start_edge(lab, site)
    assert lab.endpoint(site.server.ns, "srv0").ifindex == SERVER_INDEX
    client = make_client(kind, lab, site)
    lease = client.obtain()
    assert in_pool(lease.address, POOL), lease
    assert lease.prefix_len == 24
    assert lease.routers == (ipaddress.IPv4Address("192.0.2.1"),)
    assert lease.dns_servers == (ipaddress.IPv4Address(DNS),)
    assert lease.domain_name == DOMAIN
    assert lease.server_id == ipaddress.IPv4Address("192.0.2.1")
    assert lease.lease_time == 120
    assert_configured(lab, site, client, "192.0.2.1")
    assert lab.ping(site.client.ns, "192.0.2.1")
    assert "index 70000" in server.output()
    server.stop()
    row = stored_leases(server)[str(lease.address)]
    assert row["hwaddr"] == site.client.mac
    assert row["expire"] > time.time() + 60


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_release_frees_the_address_for_another_client(kind: str, lab: Lab, site: Site) -> None:
    # A one-address pool: the second client can only get an address if the release really freed it.
    server = start_edge(lab, site, pool=("192.0.2.100", "192.0.2.100"))
    first = make_client(kind, lab, site)
    lease = first.obtain()
    first.release()
    server.wait_log(rf"DHCP4_RELEASE \S+ released {lease.address}")
    lab.wait_for(lambda: lease.interface not in lab.addresses(site.client.ns, "cli0"), what="address removal")
    lab.ip(site.client.ns, "link", "set", "cli0", "address", "02:00:00:00:aa:01")
    second = make_client(kind, lab, site)
    assert second.obtain().address == lease.address
    server.stop()
    assert stored_leases(server)[str(lease.address)]["hwaddr"] == "02:00:00:00:aa:01"


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_lease_survives_server_restart(kind: str, how: str, lab: Lab, site: Site) -> None:
    server = start_edge(lab, site)
    client = make_client(kind, lab, site)
    first = client.obtain(background=True)
    if how == "sigkill":
        server.kill()  # no clean shutdown: the journal alone must carry the lease
    else:
        assert server.stop() == 0
    server.start()
    assert "1 lease(s) in store" in server.output()
    # Another client arriving first must not be given the surviving lease's address.
    lab.ip(site.client.ns, "link", "set", "cli0", "address", "02:00:00:00:bb:01")
    other = make_client("udhcpc", lab, site)
    assert other.obtain().address != first.address
    lab.ip(site.client.ns, "link", "set", "cli0", "address", site.client.mac)
    again = client.renew()
    assert again.address == first.address
    client.stop()


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_relayed_client_gets_relayed_subnet_and_option_82_is_echoed(kind: str, lab: Lab) -> None:
    require("dhcrelay")
    site = lab.build(relay=True, server_index=SERVER_INDEX, client_index=CLIENT_INDEX)
    assert site.relay_ns is not None
    server = start_edge(lab, site)
    DhcpRelay(
        lab, site.relay_ns, downstream=["down0"], upstream=["up0"], servers=[str(site.server.ip)]
    ).start()
    with Capture(lab, site.server.ns, "srv0") as capture:
        client = make_client(kind, lab, site)
        lease = client.obtain()
        assert in_pool(lease.address, RELAYED_POOL), lease
        assert lease.routers == (ipaddress.IPv4Address("198.51.100.1"),)
        assert_configured(lab, site, client, "198.51.100.1")
        requests = [p for p in capture.dhcp() if p.op == wire.BOOTREQUEST]
        replies = [p for p in capture.dhcp() if p.op == wire.BOOTREPLY]
    agent = requests[0].get(wire.OPT_RELAY_AGENT_INFO)
    assert agent is not None and (1, b"down0") in wire.parse_suboptions(agent)
    assert replies and all(p.get(wire.OPT_RELAY_AGENT_INFO) == agent for p in replies)
    assert {p.message_type for p in replies} >= {wire.DHCPOFFER, wire.DHCPACK}
    assert lab.ping(site.client.ns, site.server.ip)
    server.stop()
    assert stored_leases(server)[str(lease.address)]["subnet_id"] == 2


def test_sighup_with_bad_config_keeps_serving_and_good_config_applies(lab: Lab, site: Site) -> None:
    server = start_edge(lab, site)
    broken = json.dumps(server.config, indent=2).replace(
        '"192.0.2.100 - 192.0.2.150"', '"192.0.2.100 - 10.0.0.1"'
    )
    server.write_config(broken)
    out = server.reload(expect="DHCP4_CONFIG_LOAD_FAIL")
    assert "edge-dhcp4.json:" in out and "pools[0].pool" in out
    client = make_client("udhcpc", lab, site)
    assert in_pool(client.obtain().address, POOL)
    # A good file with a new DNS server takes effect on the next SIGHUP.
    server.config["Dhcp4"]["subnet4"][0]["option-data"][1]["data"] = "203.0.113.99"
    server.write_config()
    server.reload()
    fresh = make_client("dhclient", lab, site)
    assert fresh.obtain().dns_servers == (ipaddress.IPv4Address("203.0.113.99"),)


def test_interface_without_address_is_served_once_it_gets_one(lab: Lab) -> None:
    site = lab.build(server_index=SERVER_INDEX, client_index=CLIENT_INDEX, server_address=False)
    server = EdgeServer(
        lab,
        site.server.ns,
        interfaces=["srv0"],
        subnets=subnets(),
        extra={"interfaces-config": {"interfaces": ["srv0"], "service-sockets-retry-wait-time": 200}},
    )
    server.start(wait_for_sockets=False)
    server.wait_log("DHCPSRV_OPEN_SOCKET_FAIL")
    lab.ip(site.server.ns, "addr", "add", "192.0.2.1/24", "dev", "srv0")
    server.wait_log(r"DHCPSRV_OPEN_SOCKET \w+ socket on srv0 ")
    client = make_client("udhcpc", lab, site)
    assert in_pool(client.obtain().address, POOL)


def test_builtin_default_serves_the_first_interface(lab: Lab, site: Site) -> None:
    server = EdgeServer(lab, site.server.ns, interfaces=["srv0"], builtin_default=True).start()
    client = make_client("dhclient", lab, site)
    lease = client.obtain()
    assert lease.address in ipaddress.IPv4Network("192.0.2.0/24")
    assert lease.address != ipaddress.IPv4Address("192.0.2.1")
    assert lease.routers == (ipaddress.IPv4Address("192.0.2.1"),)
    assert "built-in default" in server.output() or "<built-in default>" in server.output()


def test_require_all_gives_up_when_an_interface_never_appears(lab: Lab, site: Site) -> None:
    server = EdgeServer(
        lab,
        site.server.ns,
        subnets=subnets(),
        extra={
            "interfaces-config": {
                "interfaces": ["srv0", "usb0"],
                "service-sockets-require-all": True,
                "service-sockets-max-retries": 2,
                "service-sockets-retry-wait-time": 100,
            }
        },
    )
    server.start(wait_for_sockets=False)
    assert server.proc is not None
    assert server.proc.wait(20) == 1
    assert "DHCP4_OPEN_SOCKETS_FAILED" in server.output() and "usb0" in server.output()


def test_hot_plugged_interface_is_served_without_restart(lab: Lab) -> None:
    """The Pi's USB Ethernet adapter: configured, absent at start, plugged in later."""
    server_ns = lab.add_namespace("server")
    client_ns = lab.add_namespace("client")
    server = EdgeServer(
        lab,
        server_ns,
        subnets=subnets(),
        extra={"interfaces-config": {"interfaces": ["usb0"], "service-sockets-retry-wait-time": 200}},
    )
    server.start(wait_for_sockets=False)
    server.wait_log("DHCPSRV_OPEN_SOCKET_FAIL")
    lab.add_link(
        (server_ns, "usb0"),
        (client_ns, "cli0"),
        a_index=SERVER_INDEX,
        b_index=CLIENT_INDEX,
        a_address="192.0.2.1/24",
    )
    server.wait_log(r"DHCPSRV_OPEN_SOCKET \w+ socket on usb0 \(index 70000")
    client = CLIENTS["udhcpc"](lab, client_ns, "cli0")
    require(client.binary)
    assert in_pool(client.obtain().address, POOL)


def test_udp_socket_mode_serves_relayed_clients(lab: Lab) -> None:
    """`dhcp-socket-type: udp` (as Kea): relayed traffic only, received on an ordinary UDP socket."""
    require("dhcrelay")
    site = lab.build(relay=True, server_index=SERVER_INDEX, client_index=CLIENT_INDEX)
    assert site.relay_ns is not None
    server = start_edge(lab, site, socket_type="udp")
    assert "udp socket on srv0" in server.output()
    DhcpRelay(
        lab, site.relay_ns, downstream=["down0"], upstream=["up0"], servers=[str(site.server.ip)]
    ).start()
    client = make_client("dhclient", lab, site)
    lease = client.obtain()
    assert in_pool(lease.address, RELAYED_POOL), lease
    assert_configured(lab, site, client, "198.51.100.1")


def test_loggers_output_file_gets_kea_style_lines(lab: Lab, site: Site) -> None:
    log_file = lab.tmp / "edge-dhcp4.log"
    server = start_edge(
        lab,
        site,
        extra={
            "loggers": [
                {
                    "name": "kea-dhcp4",
                    "severity": "INFO",
                    "output-options": [{"output": "stdout"}, {"output": str(log_file)}],
                },
            ]
        },
    )
    client = make_client("udhcpc", lab, site)
    lease = client.obtain()
    server.stop()
    text = log_file.read_text()
    assert "DHCP4_LEASE_ALLOC" in text and str(lease.address) in text
    assert "INFO  [edge-dhcp.dhcp4/" in text
