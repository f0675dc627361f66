"""The v6 lab harness proven against the reference server, Kea 2.2's kea-dhcp6, and the same real clients
against edge-dhcp's DHCPv6 server (every test that starts a server runs once per server: [kea], [edge]).

What this shows:
- the v6 topologies come up with the chosen interface indexes (70000 server, 131072 client), link-local
  addresses, DAD off and nothing tentative, in direct and relayed form;
- each runner does what it says against real Kea: dhclient -6 (IA_NA, several IA_NA, stateless, IA_PD,
  release, renew at T1, restart with CONFIRM / REBIND, DECLINE, rapid commit), dhcpcd -6, dhcrelay -6
  (subnet by link-address, and by interface-id), perfdhcp -6 (address-only, prefix-only);
- the capture sees the exchanged messages and the crafted sender gets Kea's answers (direct SOLICIT ->
  ADVERTISE; RELAY-FORW -> RELAY-REPL).
Each check reads what Kea wrote or sent (its lease file, its statistics, the wire), not what the runner
assumed.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.lab import dhcp6msg as m
from tests.lab import kea6
from tests.lab.capture6 import Capture6
from tests.lab.clients6 import Dhclient6, Dhcpcd6, run_perfdhcp6
from tests.lab.common6 import (
    CLIENT_INDEX,
    CLIENT_MAC,
    DNS6,
    DOMAIN6,
    IFACE_ID_INDEX,
    IFACE_ID_POOL6,
    PD_POOL,
    PERF_CLIENT_INDEX,
    POOL6,
    RELAYED_POOL6,
    SERVER_INDEX,
    in_range,
    start_kea6,
)
from tests.lab.crafted6 import CraftedClient6
from tests.lab.fixtures import require
from tests.lab.netns import Lab
from tests.lab.netns6 import Site6, add_address6, addresses6, build6, global_addresses
from tests.lab.relay6 import DhcpRelay6

pytestmark = pytest.mark.lab

PD_NET = ipaddress.IPv6Network(f"{PD_POOL[0]}/{PD_POOL[1]}")
_KIND = ["kea"]  # the server the current test runs against (set by the `server_kind` fixture)


@pytest.fixture(autouse=True, params=["kea", "edge"])
def server_kind(request: pytest.FixtureRequest) -> str:
    if request.param != "kea" and request.function.__name__ == "test_v6_topology":
        pytest.skip("no server in this test")
    _KIND[0] = request.param
    return str(request.param)


def start6(lab: Lab, site: Site6, **kwargs: Any) -> kea6.Kea6Server:
    return start_kea6(lab, site, kind=_KIND[0], **kwargs)


@pytest.fixture
def site(lab: Lab) -> Site6:
    return build6(lab, server_index=SERVER_INDEX, client_index=CLIENT_INDEX, client_mac=CLIENT_MAC)


def relayed_site(lab: Lab) -> Site6:
    require("dhcrelay")
    return build6(
        lab, relay=True, server_index=SERVER_INDEX, client_index=CLIENT_INDEX, client_mac=CLIENT_MAC
    )


def dhclient(lab: Lab, site: Site6, **kwargs: object) -> Dhclient6:
    require("dhclient")
    return Dhclient6(lab, site.client.ns, site.client.ifname, **kwargs)  # type: ignore[arg-type]


def sent_types(capture: Capture6) -> list[str]:
    return [msg.name for msg in capture.messages(outgoing=True)]


# -- the topology --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("relay", [False, True], ids=["direct", "relayed"])
def test_v6_topology(lab: Lab, relay: bool) -> None:
    site = build6(
        lab, relay=relay, server_index=SERVER_INDEX, client_index=CLIENT_INDEX, client_mac=CLIENT_MAC
    )
    assert site.server.ifindex == SERVER_INDEX and site.client.ifindex == CLIENT_INDEX
    # the EUI-64 link-local address of the MAC we chose
    assert site.client.link_local == ipaddress.IPv6Address("fe80::5eff:fe10:2")
    assert site.server.ip == ipaddress.IPv6Address("2001:db8:1::1")
    namespaces = [site.server.ns, site.client.ns] + ([site.relay_ns] if site.relay_ns else [])
    for ns in namespaces:
        for entry in addresses6(lab, ns):
            assert not entry.get("tentative") and not entry.get("dadfailed"), entry
        for key in ("all", "default"):
            assert lab.run(ns, ["sysctl", "-n", f"net.ipv6.conf.{key}.accept_dad"]).stdout.strip() == "0"
    assert lab.run(site.client.ns, ["sysctl", "-n", "net.ipv6.conf.cli0.accept_dad"]).stdout.strip() == "0"
    # link-local reachability on the client's link, and (relayed) the server's route to the client link
    peer = site.relay_down if relay else site.server
    assert peer is not None
    done = lab.run(
        site.client.ns, ["ping", "-6", "-c", "1", "-W", "5", f"{peer.link_local}%cli0"], check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    if relay:
        assert site.relay_down is not None and site.relay_down.ip == ipaddress.IPv6Address("2001:db8:2::1")
        done = lab.run(
            site.server.ns, ["ping", "-6", "-c", "1", "-W", "5", str(site.relay_down.ip)], check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


# -- dhclient -6 -----------------------------------------------------------------------------------------------


def test_dhclient6_gets_an_address(lab: Lab, site: Site6) -> None:
    server = start6(lab, site)
    client = dhclient(lab, site)
    lease = client.obtain()
    assert len(lease.addresses) == 1 and in_range(lease.addresses[0], POOL6), lease
    assert lease.dns_servers == (ipaddress.IPv6Address(DNS6),)
    assert lease.domain_search == (DOMAIN6,)
    assert lease.server_id == server.server_id().replace(":", "")
    assert ipaddress.IPv6Interface(f"{lease.addresses[0]}/128") in global_addresses(
        lab, site.client.ns, "cli0"
    )
    assert f"nameserver {DNS6}" in lab.resolv_conf(site.client.ns).read_text()
    row = lab.wait_for(lambda: server.leases().get((str(lease.addresses[0]), "0")), what="Kea's lease row")
    assert row["duid"].replace(":", "") == lease.client_id
    assert row["hwaddr"] == CLIENT_MAC
    assert int(row["iaid"]) == int(lease.bindings[0].iaid, 16) == int(CLIENT_MAC.replace(":", "")[-8:], 16)


def test_dhclient6_several_ia_na(lab: Lab, site: Site6) -> None:
    server = start6(lab, site)
    lease = dhclient(lab, site, ia_na=3).obtain()
    assert len(set(lease.addresses)) == 3 and all(in_range(a, POOL6) for a in lease.addresses), lease
    assert len({b.iaid for b in lease.bindings}) == 3
    rows = lab.wait_for(lambda: len(server.leases()) == 3 and server.leases(), what="three lease rows")
    assert {a for a, _ in rows} == {str(a) for a in lease.addresses}


def test_dhclient6_stateless(lab: Lab, site: Site6) -> None:
    server = start6(lab, site)
    with Capture6(lab, site.client.ns, "cli0") as capture:
        client = dhclient(lab, site, stateless=True)
        lease = client.obtain()
        client.stop()
    assert lease.dns_servers == (ipaddress.IPv6Address(DNS6),)
    assert lease.domain_search == (DOMAIN6,)
    assert lease.bindings == ()
    assert sent_types(capture)[:1] == ["INFORMATION-REQUEST"]
    assert server.lease_rows() == []
    assert server.statistics()["pkt6-infrequest-received"] == 1


def test_dhclient6_prefix_delegation(lab: Lab, site: Site6) -> None:
    server = start6(lab, site)
    lease = dhclient(lab, site, ia_na=0, ia_pd=1).obtain()
    assert lease.addresses == [] and len(lease.prefixes) == 1, lease
    prefix = lease.prefixes[0]
    assert prefix.prefixlen == PD_POOL[2] and prefix.subnet_of(PD_NET)
    row = lab.wait_for(lambda: server.leases().get((str(prefix.network_address), "2")), what="Kea's PD row")
    assert row["prefix_len"] == str(PD_POOL[2])


def test_dhclient6_release(lab: Lab, site: Site6) -> None:
    server = start6(lab, site)
    client = dhclient(lab, site, ia_pd=1)
    lease = client.obtain()
    with Capture6(lab, site.client.ns, "cli0") as capture:
        events = client.release()
        capture.wait_for(lambda d: not d.outgoing and d.message().name == "REPLY", what="the RELEASE reply")
    assert sent_types(capture) == ["RELEASE"]
    assert {e["reason"] for e in events} == {"RELEASE6"}
    assert client.lease is None
    lab.wait_for(lambda: not server.leases(), what="Kea to drop the released leases")
    assert ipaddress.IPv6Interface(f"{lease.addresses[0]}/128") not in global_addresses(
        lab, site.client.ns, "cli0"
    )


def test_dhclient6_renews_at_t1(lab: Lab, site: Site6) -> None:
    start6(lab, site, renew_timer=2, rebind_timer=100)
    client = dhclient(lab, site)
    first = client.obtain(background=True)
    with Capture6(lab, site.client.ns, "cli0") as capture:
        renewed = client.wait_renewal()
    assert renewed[0]["reason"] == "RENEW6"
    assert renewed[0]["bindings"][0]["address"] == str(first.addresses[0])
    assert "RENEW" in sent_types(capture)
    client.stop()


@pytest.mark.parametrize(("ia_pd", "expected"), [(0, "CONFIRM"), (1, "REBIND")])
def test_dhclient6_restart(lab: Lab, site: Site6, ia_pd: int, expected: str) -> None:
    start6(lab, site)
    client = dhclient(lab, site, ia_pd=ia_pd)
    first = client.obtain()
    with Capture6(lab, site.client.ns, "cli0") as capture:
        again = client.restart()
    assert again.addresses == first.addresses
    assert sent_types(capture)[0] == expected


def test_dhclient6_decline(lab: Lab, site: Site6) -> None:
    server = start6(lab, site)
    client = dhclient(lab, site, decline=1)
    with Capture6(lab, site.client.ns, "cli0") as capture:
        lease = client.obtain()
    declined = [msg for msg in capture.messages(outgoing=True) if msg.name == "DECLINE"]
    assert len(declined) == 1
    bad = m.ias(declined[0])[0].addresses[0][0]
    assert lease.addresses[0] != bad
    row = lab.wait_for(lambda: server.leases().get((str(bad), "0")), what="the declined lease row")
    assert row["state"] == "1"
    assert server.statistics()["declined-addresses"] == 1


def test_dhclient6_rapid_commit(lab: Lab, site: Site6) -> None:
    server = start6(lab, site, subnet_extra={"rapid_commit": True})
    with Capture6(lab, site.client.ns, "cli0") as capture:
        lease = dhclient(lab, site, rapid_commit=True).obtain()
    received = [msg for msg in capture.messages(outgoing=False)]
    assert [msg.name for msg in received][:1] == ["REPLY"]
    assert m.RAPID_COMMIT in received[0].codes()
    assert sent_types(capture)[0] == "SOLICIT"
    assert (str(lease.addresses[0]), "0") in server.leases()


# -- dhcrelay -6 -----------------------------------------------------------------------------------------------


def test_dhcrelay6_subnet_by_link_address(lab: Lab) -> None:
    site = relayed_site(lab)
    assert site.relay_ns is not None
    server = start6(lab, site)
    DhcpRelay6(lab, site.relay_ns, lower=["down0"], upper=[f"{site.server.ip}%up0"]).start()
    with Capture6(lab, site.server.ns, "srv0") as capture:
        lease = dhclient(lab, site).obtain()
    assert in_range(lease.addresses[0], RELAYED_POOL6), lease
    forwarded = [msg for msg in capture.messages(outgoing=False) if msg.name == "RELAY-FORW"]
    assert forwarded and forwarded[0].link == ipaddress.IPv6Address("2001:db8:2::1")
    assert forwarded[0].peer == site.client.link_local
    assert forwarded[0].get(m.INTERFACE_ID) is None  # without -I and with one lower link: no interface-id
    assert server.leases()[(str(lease.addresses[0]), "0")]["subnet_id"] == "2"


def test_dhcrelay6_subnet_by_interface_id(lab: Lab) -> None:
    site = relayed_site(lab)
    assert site.relay_ns is not None
    server = start6(lab, site)
    DhcpRelay6(
        lab,
        site.relay_ns,
        lower=[f"down0#{IFACE_ID_INDEX}"],
        upper=[f"{site.server.ip}%up0"],
        interface_id=True,
    ).start()
    with Capture6(lab, site.server.ns, "srv0") as capture:
        lease = dhclient(lab, site).obtain()
    forwarded = [msg for msg in capture.messages(outgoing=False) if msg.name == "RELAY-FORW"]
    assert forwarded[0].get(m.INTERFACE_ID) == b"cli1"
    # interface-id wins over the link-address (2001:db8:2::1 would pick subnet 2)
    assert in_range(lease.addresses[0], IFACE_ID_POOL6), lease
    assert server.leases()[(str(lease.addresses[0]), "0")]["subnet_id"] == "3"


# -- dhcpcd -6 ---------------------------------------------------------------------------------------------


def test_dhcpcd6_gets_and_releases_an_address(lab: Lab, site: Site6) -> None:
    require("dhcpcd")
    server = start6(lab, site)
    client = Dhcpcd6(lab, site.client.ns, "cli0")
    lease = client.obtain()
    assert len(lease.addresses) == 1 and in_range(lease.addresses[0], POOL6), lease
    assert lease.dns_servers == (ipaddress.IPv6Address(DNS6),)
    assert ipaddress.IPv6Interface(f"{lease.addresses[0]}/128") in global_addresses(
        lab, site.client.ns, "cli0"
    )
    assert (client.db_dir / "duid").exists()  # its DUID went to the private directory
    row = lab.wait_for(lambda: server.leases().get((str(lease.addresses[0]), "0")), what="Kea's lease row")
    assert row["duid"].replace(":", "") == lease.client_id
    client.release()
    lab.wait_for(lambda: not server.leases(), what="Kea to drop the released lease")


# -- perfdhcp -6 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "stat"),
    [("address-only", "cumulative-assigned-nas"), ("prefix-only", "cumulative-assigned-pds")],
)
def test_perfdhcp6(lab: Lab, mode: str, stat: str) -> None:
    require("perfdhcp")
    site = build6(lab, server_index=SERVER_INDEX, client_index=PERF_CLIENT_INDEX)
    server = start6(lab, site)
    result = run_perfdhcp6(lab, site.client.ns, "cli0", mode=mode, rate=20, num_request=10)
    assert result.sent("SOLICIT-ADVERTISE") == 10, result.output[-1500:]
    assert result.received("REQUEST-REPLY") >= 1, result.output[-1500:]
    stats = server.statistics()
    # perfdhcp exits once its last REQUEST is out, so the REPLY to it may still be on its way: Kea committed
    # every REQUEST it answered, at least the ones perfdhcp saw answered and at most the ones it sent.
    assert result.received("REQUEST-REPLY") <= stats[stat] <= result.sent("REQUEST-REPLY"), result.output[
        -1500:
    ]
    other = "cumulative-assigned-pds" if stat.endswith("nas") else "cumulative-assigned-nas"
    assert stats[other] == 0


# -- crafted messages ------------------------------------------------------------------------------------------


def test_crafted_solicit_gets_an_advertise(lab: Lab, site: Site6) -> None:
    server = start6(lab, site)
    duid = m.duid_ll(site.client.mac_bytes)
    solicit = m.Message(
        m.SOLICIT, 0x5EED01, [(m.CLIENT_ID, duid), (m.ELAPSED_TIME, m.elapsed()), (m.IA_NA, m.ia_na(7))]
    )
    with (
        Capture6(lab, site.server.ns, "srv0") as capture,
        CraftedClient6(lab, site.client.ns, "cli0") as client,
    ):
        reply = client.ask(solicit)
        assert reply is not None and reply.name == "ADVERTISE" and reply.xid == 0x5EED01
        assert client.last_source is not None and client.last_source[1] == 547
        capture.wait_for(lambda d: d.outgoing and d.payload[0] == m.ADVERTISE, what="Kea's ADVERTISE")
    assert reply.get(m.CLIENT_ID) == duid
    assert reply.get(m.SERVER_ID) == bytes.fromhex(server.server_id().replace(":", ""))
    (ia,) = m.ias(reply)
    assert ia.iaid == 7 and in_range(ia.addresses[0][0], POOL6)
    # the capture on the server's link saw the same bytes
    seen = [d.payload for d in capture.datagrams() if d.outgoing]
    assert reply.encode() in seen
    assert server.lease_rows() == []  # an ADVERTISE commits nothing


def test_crafted_relay_forw_gets_a_relay_repl(lab: Lab, site: Site6) -> None:
    server = start6(lab, site)
    inner = m.Message(
        m.SOLICIT,
        0x5EED02,
        [
            (m.CLIENT_ID, m.duid_ll(bytes.fromhex("020000000042"))),
            (m.ELAPSED_TIME, m.elapsed()),
            (m.IA_NA, m.ia_na(1)),
        ],
    )
    forw = m.relay_forw(
        inner.encode(),
        link="2001:db8:2::1",
        peer="fe80::42",
        options=[(m.INTERFACE_ID, b"crafted")],
        relay_msg_last=True,
    )
    add_address6(lab, site.client.ns, "cli0", "2001:db8:1::2/64")  # the crafted relay's own address
    with CraftedClient6(lab, site.client.ns, "cli0", relay=True, source="2001:db8:1::2") as relay:
        reply = relay.ask(forw, to=str(site.server.ip))
    assert reply is not None and reply.name == "RELAY-REPL"
    assert reply.link == forw.link and reply.peer == forw.peer
    assert reply.get(m.INTERFACE_ID) == b"crafted"
    advertise = reply.inner()
    assert advertise.name == "ADVERTISE" and advertise.xid == 0x5EED02
    assert in_range(m.ias(advertise)[0].addresses[0][0], RELAYED_POOL6)
    assert server.statistics()["pkt6-solicit-received"] == 1
