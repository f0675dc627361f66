"""SocketManager with real sockets in namespaces: late interfaces, removal and return, sending, udp mode."""

from __future__ import annotations

import ipaddress
import select
import time

import pytest

from edge.netif.datagrams import RxDatagram, Transmit
from edge.netif.frames import BROADCAST_MAC, build_frame, parse_frame
from edge.netif.manager import SocketManager
from tests.lab.netns import Lab
from tests.netif.helpers import collect, packet_socket, udp_socket

pytestmark = pytest.mark.lab

SERVER_IP = int(ipaddress.IPv4Address("192.0.2.1"))


def serve_until(
    lab: Lab, ns: str, manager: SocketManager, until: object, clock: list[float], timeout: float = 10.0
) -> list[RxDatagram]:
    """A miniature event loop: select on manager.sockets(), recv, open_pending(now). Returns datagrams."""
    received: list[RxDatagram] = []
    deadline = time.monotonic() + timeout
    while not until(received):  # type: ignore[operator]
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


def broadcast_from(lab: Lab, ns: str, ifname: str, mac: bytes, payload: bytes) -> None:
    sender = packet_socket(lab, ns, ifname)
    try:
        sender.send(build_frame(mac, BROADCAST_MAC, 0, 0xFFFFFFFF, 68, 67, payload))
    finally:
        sender.close()


def test_missing_interface_is_retried_and_served_once_it_exists(lab: Lab) -> None:
    server_ns = lab.add_namespace("server")
    client_ns = lab.add_namespace("client")
    with lab.inside(server_ns):
        manager = SocketManager([("usb0", None)], retry_wait_ms=5000, max_retries=3, re_detect=False)
    try:
        with lab.inside(server_ns):
            assert manager.open_pending(0.0) == 5.0
        assert manager.status() == {
            "status": "retrying",
            "errors": [{"interface": "usb0", "error": "interface usb0 does not exist"}],
        }
        # plugged in: the adapter shows up with a large index and gets an address
        _usb, client = lab.add_link(
            (server_ns, "usb0"), (client_ns, "cli0"), a_index=70000, b_index=131072, a_address="192.0.2.1/24"
        )
        with lab.inside(server_ns):
            assert manager.open_pending(1.0) == 4.0  # not yet time to retry: nothing opened
            assert manager.open_interfaces() == []
            manager.open_pending(5.0)
        assert manager.status() == {"status": "ready", "errors": []}
        assert manager.interface("usb0") is not None and manager.interface("usb0").index == 70000  # type: ignore[union-attr]
        broadcast_from(lab, client_ns, "cli0", client.mac_bytes, b"discover-after-plug")
        got = serve_until(lab, server_ns, manager, lambda r: r, [5.0])
        assert (
            got[0].payload == b"discover-after-plug" and got[0].ifindex == 70000 and got[0].ifname == "usb0"
        )
    finally:
        manager.close()


def test_re_detect_follows_unplug_and_replug_through_netlink(lab: Lab) -> None:
    server_ns = lab.add_namespace("server")
    client_ns = lab.add_namespace("client")
    clock = [0.0]  # frozen: the 5 s re-detect poll never comes due, so only netlink can wake the manager
    with lab.inside(server_ns):
        manager = SocketManager([("usb0", None)], retry_wait_ms=5000, max_retries=0, re_detect=True)
        manager.open_pending(clock[0])
    try:
        assert manager.status()["status"] == "failed"  # Kea semantics: no retries by default
        lab.add_link((server_ns, "usb0"), (client_ns, "cli0"), a_index=70000, a_address="192.0.2.1/24")
        serve_until(lab, server_ns, manager, lambda r: manager.open_interfaces() == ["usb0"], clock)
        assert manager.status() == {"status": "ready", "errors": []}

        lab.ip(server_ns, "link", "del", "usb0")  # unplugged (removes the peer too)
        serve_until(lab, server_ns, manager, lambda r: manager.open_interfaces() == [], clock)
        assert manager.status()["errors"] == [{"interface": "usb0", "error": "interface usb0 does not exist"}]

        _usb, client = lab.add_link(
            (server_ns, "usb0"), (client_ns, "cli0"), a_index=70001, b_index=131072, a_address="192.0.2.1/24"
        )
        serve_until(lab, server_ns, manager, lambda r: manager.open_interfaces() == ["usb0"], clock)
        assert manager.interface("usb0").index == 70001  # type: ignore[union-attr]
        broadcast_from(lab, client_ns, "cli0", client.mac_bytes, b"discover-after-replug")
        got = serve_until(lab, server_ns, manager, lambda r: r, clock)
        assert (got[0].payload, got[0].ifindex) == (b"discover-after-replug", 70001)
    finally:
        manager.close()


def test_raw_mode_send_paths(lab: Lab) -> None:
    site = lab.build(server_index=70000, client_index=131072)
    with lab.inside(site.server.ns):
        manager = SocketManager([("srv0", None)], re_detect=False)
        manager.open_pending(0.0)
    capture = packet_socket(lab, site.client.ns, "cli0")
    capture.setblocking(False)
    try:
        assert manager.local_addresses("srv0") == [SERVER_IP]
        offer = Transmit(
            b"to-the-mac", dst_ip=int(ipaddress.IPv4Address("192.0.2.77")), dst_mac=site.client.mac_bytes
        )
        assert manager.send("srv0", offer)
        assert manager.send("srv0", Transmit(b"to-everyone", dst_ip=0xFFFFFFFF))
        frames = collect(
            lambda: parse_frame(capture.recv(65535)),
            capture.fileno(),
            until=lambda seen: {b"to-the-mac", b"to-everyone"} <= {f.payload for f in seen},
        )
        by_payload = {f.payload: f for f in frames}
        assert by_payload[b"to-the-mac"].dst_mac == site.client.mac_bytes
        assert by_payload[b"to-everyone"].dst_mac == BROADCAST_MAC
        assert by_payload[b"to-everyone"].src_ip == SERVER_IP

        # a client that has its address gets a routed unicast (kernel ARP), through the guard socket
        lab.ip(site.client.ns, "addr", "add", "192.0.2.50/24", "dev", "cli0")
        client = udp_socket(lab, site.client.ns, 68)
        client.setblocking(False)
        try:
            assert manager.send(
                "srv0", Transmit(b"to-ciaddr", dst_ip=int(ipaddress.IPv4Address("192.0.2.50")))
            )
            got = collect(lambda: client.recvfrom(2048), client.fileno(), until=lambda seen: len(seen) >= 1)
            assert got[0] == (b"to-ciaddr", ("192.0.2.1", 67))
        finally:
            client.close()
    finally:
        capture.close()
        manager.close()


def test_udp_mode_serves_a_relay(lab: Lab) -> None:
    site = lab.build(relay=True, server_index=70000, client_index=131072)
    assert site.relay_up is not None
    with lab.inside(site.server.ns):
        manager = SocketManager([("srv0", SERVER_IP)], socket_type="udp", re_detect=False)
        manager.open_pending(0.0)
    relay = udp_socket(lab, site.relay_up.ns, 67, address=str(site.relay_up.ip))
    relay.setblocking(False)
    try:
        assert manager.status() == {"status": "ready", "errors": []}
        relay.sendto(b"relayed-discover", ("192.0.2.1", 67))
        got = serve_until(lab, site.server.ns, manager, lambda r: r, [0.0])
        assert got[0].ifindex == 70000 and got[0].ifname == "srv0" and got[0].dst_ip == SERVER_IP
        assert manager.send("srv0", Transmit(b"relayed-offer", dst_ip=got[0].src_ip, dst_port=67))
        replies = collect(lambda: relay.recvfrom(2048), relay.fileno(), until=lambda seen: len(seen) >= 1)
        assert replies[0] == (b"relayed-offer", ("192.0.2.1", 67))
    finally:
        relay.close()
        manager.close()
