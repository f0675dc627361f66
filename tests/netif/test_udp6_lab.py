"""DHCPv6 sockets in real network namespaces: multicast and unicast in, replies out, large ifindexes,
interfaces and addresses that appear later (udp6.py, manager6.py, interfaces6.py)."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable

import pytest

from edge.netif.datagrams6 import RxDatagram6, Transmit6
from edge.netif.interfaces6 import scan6
from edge.netif.manager6 import Socket6Manager, parse_interface_specs6
from edge.netif.udp6 import Udp6Interface
from edge.wire.addr import ip6_to_bytes
from tests.lab.netns import Lab
from tests.netif.helpers import collect
from tests.netif.helpers6 import client_socket, link6, link_local, namespace6

pytestmark = pytest.mark.lab

ALL_DHCP = ip6_to_bytes("ff02::1:2")


def b6(text: str) -> bytes:
    return ip6_to_bytes(text)


def open_interface(lab: Lab, ns: str, ifname: str, unicast: str | None = None) -> Udp6Interface:
    with lab.inside(ns):
        return Udp6Interface(scan6()[ifname], unicast=b6(unicast) if unicast else None)


def receive(sock: Udp6Interface, marker: bytes) -> RxDatagram6:
    got = collect(sock.recv, sock.fileno(), until=lambda seen: any(d.payload == marker for d in seen))
    return next(d for d in got if d.payload == marker)


def to_server(client: socket.socket, payload: bytes, address: str, ifindex: int) -> None:
    scope = ifindex if address.startswith(("fe80", "ff02")) else 0
    client.sendto(payload, (address, 547, 0, scope))


def reply_to(client: socket.socket) -> tuple[bytes, tuple]:
    got = collect(lambda: client.recvfrom(2048), client.fileno(), until=lambda seen: len(seen) >= 1)
    return got[0]


@pytest.mark.parametrize("server_index,client_index", [(70000, 131072), (131072, 70000)])
def test_multicast_and_link_local_in_reply_out(lab: Lab, server_index: int, client_index: int) -> None:
    server_ns, client_ns = namespace6(lab, "server"), namespace6(lab, "client")
    link6(lab, (server_ns, "srv0"), (client_ns, "cli0"), a_index=server_index, b_index=client_index)
    server_ll, client_ll = link_local(lab, server_ns, "srv0"), link_local(lab, client_ns, "cli0")
    assert server_ll and client_ll
    server = open_interface(lab, server_ns, "srv0")
    client = client_socket(lab, client_ns, "cli0")
    try:
        assert (server.index, server.link_local) == (server_index, b6(server_ll))
        assert [s.address for s in server.sockets] == [b6(server_ll), ALL_DHCP]
        to_server(client, b"solicit", "ff02::1:2", client_index)
        assert receive(server, b"solicit") == RxDatagram6(
            payload=b"solicit",
            ifname="srv0",
            ifindex=server_index,
            src_ip=b6(client_ll),
            src_port=546,
            dst_ip=ALL_DHCP,
            dst_port=547,
        )
        to_server(client, b"unicast-to-ll", server_ll, client_index)
        got = receive(server, b"unicast-to-ll")
        assert (got.dst_ip, got.ifindex, got.ifname) == (b6(server_ll), server_index, "srv0")
        server.send(Transmit6(b"advertise", dst_ip=b6(client_ll), dst_port=546))
        assert reply_to(client) == (b"advertise", (server_ll, 547, 0, client_index))
    finally:
        client.close()
        server.close()


def test_unicast_address_listen_and_source(lab: Lab) -> None:
    server_ns, client_ns = namespace6(lab, "server"), namespace6(lab, "client")
    link6(
        lab,
        (server_ns, "srv0"),
        (client_ns, "cli0"),
        a_index=70000,
        b_index=131072,
        a_addresses=("2001:db8:1::1/64",),
        b_addresses=("2001:db8:1::50/64",),
    )
    server_ll = link_local(lab, server_ns, "srv0")
    server = open_interface(lab, server_ns, "srv0", unicast="2001:db8:1::1")
    relay = client_socket(lab, client_ns, "cli0", port=547, address="2001:db8:1::50")
    try:
        assert [s.address for s in server.sockets] == [b6(server_ll), ALL_DHCP, b6("2001:db8:1::1")]
        to_server(relay, b"relay-forw", "2001:db8:1::1", 131072)
        got = receive(server, b"relay-forw")
        assert (got.src_ip, got.src_port, got.dst_ip, got.ifindex) == (
            b6("2001:db8:1::50"),
            547,
            b6("2001:db8:1::1"),
            70000,
        )
        server.send(Transmit6(b"relay-repl", dst_ip=got.src_ip, dst_port=547, src_ip=b6("2001:db8:1::1")))
        assert reply_to(relay) == (b"relay-repl", ("2001:db8:1::1", 547, 0, 0))
        server.send(Transmit6(b"from-link-local", dst_ip=got.src_ip, dst_port=547))
        assert reply_to(relay)[1][0] == server_ll
    finally:
        relay.close()
        server.close()


def serve_until(
    lab: Lab, ns: str, manager: Socket6Manager, until: Callable[[list[RxDatagram6]], bool], clock: list[float]
) -> list[RxDatagram6]:
    """A miniature event loop: select on manager.sockets(), recv, open_pending(now)."""
    received: list[RxDatagram6] = []
    deadline = time.monotonic() + 10.0
    while not until(received):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up; status {manager.status()}, received {received}")
        with lab.inside(ns):
            ready, _, _ = select.select(manager.sockets(), [], [], 0.2)
            for sock in ready:
                datagram = sock.recv()
                if datagram is not None:
                    received.append(datagram)
            manager.open_pending(clock[0])
    return received


def test_wildcard_serves_two_interfaces_each_with_its_own_index(lab: Lab) -> None:
    server_ns = namespace6(lab, "server")
    a_ns, b_ns = namespace6(lab, "client-a"), namespace6(lab, "client-b")
    link6(lab, (server_ns, "srv0"), (a_ns, "cli0"), a_index=70000)
    link6(lab, (server_ns, "srv1"), (b_ns, "cli0"), a_index=131072)
    clock = [0.0]
    with lab.inside(server_ns):
        manager = Socket6Manager(parse_interface_specs6(["*"]), re_detect=False)
        manager.open_pending(clock[0])
    a = client_socket(lab, a_ns, "cli0")
    b = client_socket(lab, b_ns, "cli0")
    try:
        assert manager.status() == {"status": "ready", "errors": []}
        assert manager.open_interfaces() == ["srv0", "srv1"]  # lo is never served
        with lab.inside(a_ns):
            a_index = socket.if_nametoindex("cli0")
        with lab.inside(b_ns):
            b_index = socket.if_nametoindex("cli0")
        to_server(a, b"from-a", "ff02::1:2", a_index)
        to_server(b, b"from-b", "ff02::1:2", b_index)
        got = serve_until(lab, server_ns, manager, lambda r: len(r) >= 2, clock)
        assert sorted((d.payload, d.ifname, d.ifindex) for d in got) == [
            (b"from-a", "srv0", 70000),
            (b"from-b", "srv1", 131072),
        ]
        # each reply leaves through the interface its request came in on
        for d, client in (
            (got[0], a if got[0].payload == b"from-a" else b),
            (got[1], b if got[1].payload == b"from-b" else a),
        ):
            assert manager.send(d.ifname, Transmit6(b"re-" + d.payload, dst_ip=d.src_ip))
            assert reply_to(client)[0] == b"re-" + d.payload
        assert manager.local_addresses("srv0") == [b6(link_local(lab, server_ns, "srv0") or "")]
    finally:
        a.close()
        b.close()
        manager.close()


def test_an_interface_that_appears_later_is_served_without_restart(lab: Lab) -> None:
    server_ns, client_ns = namespace6(lab, "server"), namespace6(lab, "client")
    clock = [0.0]  # frozen: the re-detect poll never comes due, so only netlink can wake the manager
    with lab.inside(server_ns):
        manager = Socket6Manager([("usb0", None)], re_detect=True)
        manager.open_pending(clock[0])
    try:
        assert manager.status() == {
            "status": "failed",
            "errors": [{"interface": "usb0", "error": "interface usb0 does not exist"}],
        }
        link6(lab, (server_ns, "usb0"), (client_ns, "cli0"), a_index=70000, b_index=131072)
        serve_until(lab, server_ns, manager, lambda r: manager.open_interfaces() == ["usb0"], clock)
        client = client_socket(lab, client_ns, "cli0")
        try:
            to_server(client, b"after-plug", "ff02::1:2", 131072)
            got = serve_until(lab, server_ns, manager, lambda r: r, clock)
            assert (got[0].payload, got[0].ifname, got[0].ifindex) == (b"after-plug", "usb0", 70000)
        finally:
            client.close()
        # unplugged, and back with another index
        lab.ip(server_ns, "link", "del", "usb0")
        serve_until(lab, server_ns, manager, lambda r: manager.open_interfaces() == [], clock)
        link6(lab, (server_ns, "usb0"), (client_ns, "cli0"), a_index=131072, b_index=70000)
        serve_until(lab, server_ns, manager, lambda r: manager.open_interfaces() == ["usb0"], clock)
        client = client_socket(lab, client_ns, "cli0")
        try:
            to_server(client, b"after-replug", "ff02::1:2", 70000)
            got = serve_until(lab, server_ns, manager, lambda r: r, clock)
            assert (got[0].payload, got[0].ifindex) == (b"after-replug", 131072)
        finally:
            client.close()
    finally:
        manager.close()


def test_a_unicast_address_added_later_is_picked_up_through_ipv6_netlink(lab: Lab) -> None:
    server_ns, client_ns = namespace6(lab, "server"), namespace6(lab, "client")
    link6(lab, (server_ns, "srv0"), (client_ns, "cli0"), a_index=70000, b_addresses=("2001:db8:1::50/64",))
    clock = [0.0]
    with lab.inside(server_ns):
        manager = Socket6Manager(parse_interface_specs6(["srv0/2001:db8:1::1"]))
        manager.open_pending(clock[0])
    try:
        assert manager.status()["errors"] == [
            {"interface": "srv0", "error": "interface srv0 does not have address 2001:db8:1::1"}
        ]
        # an address change only (no link event): only the IPv6 address group can report it
        lab.ip(server_ns, "addr", "add", "2001:db8:1::1/64", "dev", "srv0", "nodad")
        serve_until(lab, server_ns, manager, lambda r: manager.open_interfaces() == ["srv0"], clock)
        assert manager.status() == {"status": "ready", "errors": []}
        relay = client_socket(lab, client_ns, "cli0", port=547, address="2001:db8:1::50")
        try:
            to_server(relay, b"to-unicast", "2001:db8:1::1", 0)
            got = serve_until(lab, server_ns, manager, lambda r: r, clock)
            assert (got[0].dst_ip, got[0].ifindex) == (b6("2001:db8:1::1"), 70000)
            assert manager.send(
                "srv0", Transmit6(b"back", dst_ip=got[0].src_ip, dst_port=547, src_ip=got[0].dst_ip)
            )
            assert reply_to(relay) == (b"back", ("2001:db8:1::1", 547, 0, 0))
        finally:
            relay.close()
    finally:
        manager.close()
