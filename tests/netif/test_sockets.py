"""sockets.py in namespaces: raw receive/send with large ifindexes, kernel checksum agreement, UDP mode, guard."""

from __future__ import annotations

import errno
import ipaddress
import select
import socket

import pytest

from edge.netif.datagrams import RxDatagram, Transmit
from edge.netif.frames import BROADCAST_MAC, build_frame, parse_frame
from edge.netif.interfaces import scan
from edge.netif.sockets import RawSocket, UdpSocket
from tests.lab.netns import Lab, Site
from tests.netif.helpers import collect, packet_socket, udp_socket, wait_readable

pytestmark = pytest.mark.lab

SERVER_IP = int(ipaddress.IPv4Address("192.0.2.1"))
CLIENT_IP = int(ipaddress.IPv4Address("192.0.2.50"))
MAX_IFINDEX = 2**31 - 1


def ip_int(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


@pytest.fixture
def site(lab: Lab) -> Site:
    return lab.build(server_index=70000, client_index=131072)


def raw_socket(lab: Lab, ns: str, ifname: str) -> RawSocket:
    with lab.inside(ns):
        return RawSocket(scan()[ifname])


def receive_one(sock: RawSocket | UdpSocket, marker: bytes) -> RxDatagram:
    got = collect(sock.recv, sock.fileno(), until=lambda seen: any(marker in d.payload for d in seen))
    return next(d for d in got if marker in d.payload)


def test_raw_socket_receives_a_clients_broadcast(lab: Lab, site: Site) -> None:
    server = raw_socket(lab, site.server.ns, "srv0")
    client = udp_socket(lab, site.client.ns, 68, ifname="cli0")  # no address yet, like a DHCPDISCOVER
    sender = packet_socket(lab, site.client.ns, "cli0")
    try:
        assert server.index == 70000
        # 1. the client's kernel builds the frame (veth leaves the UDP checksum partial: CSUMNOTREADY)
        client.sendto(b"kernel-built", ("255.255.255.255", 67))
        got = receive_one(server, b"kernel-built")
        assert got == RxDatagram(
            payload=b"kernel-built",
            ifname="srv0",
            ifindex=70000,
            src_mac=site.client.mac_bytes,
            dst_mac=BROADCAST_MAC,
            src_ip=0,
            dst_ip=0xFFFFFFFF,
            src_port=68,
            dst_port=67,
        )
        # 2. a frame we built ourselves, the way a raw DHCP client sends it
        sender.send(build_frame(site.client.mac_bytes, BROADCAST_MAC, 0, 0xFFFFFFFF, 68, 67, b"hand-built"))
        assert receive_one(server, b"hand-built").ifindex == 70000
        # 3. with tx checksum offload off the kernel finishes the checksum and we verify it
        lab.set_checksum_offload(site.client.ns, "cli0", tx=False)
        client.sendto(b"full-checksum", ("255.255.255.255", 67))
        assert receive_one(server, b"full-checksum").src_mac == site.client.mac_bytes
    finally:
        for sock in (server, client, sender):
            sock.close()


def test_raw_socket_drops_frames_with_bad_checksums(lab: Lab, site: Site) -> None:
    server = raw_socket(lab, site.server.ns, "srv0")
    sender = packet_socket(lab, site.client.ns, "cli0")
    try:
        bad = bytearray(build_frame(site.client.mac_bytes, BROADCAST_MAC, 0, 0xFFFFFFFF, 68, 67, b"bad-sum!"))
        bad[-1] ^= 0xFF  # payload changed after the checksum was computed
        sender.send(bytes(bad))
        sender.send(build_frame(site.client.mac_bytes, BROADCAST_MAC, 0, 0xFFFFFFFF, 68, 67, b"good-sum"))
        got = collect(
            server.recv, server.fileno(), until=lambda seen: any(d.payload == b"good-sum" for d in seen)
        )
        assert [d.payload for d in got] == [b"good-sum"]
    finally:
        server.close()
        sender.close()


def test_unicast_reply_reaches_the_clients_mac(lab: Lab, site: Site) -> None:
    server = raw_socket(lab, site.server.ns, "srv0")
    capture = packet_socket(lab, site.client.ns, "cli0")
    capture.setblocking(False)
    try:
        yiaddr = ip_int("192.0.2.77")  # not configured anywhere: only a frame to the MAC can deliver it
        server.send(Transmit(b"DHCPOFFER-ish", dst_ip=yiaddr, dst_port=68, dst_mac=site.client.mac_bytes))
        frames = collect(
            lambda: parse_frame(capture.recv(65535)),
            capture.fileno(),
            until=lambda seen: any(f.payload == b"DHCPOFFER-ish" for f in seen),
        )
        frame = next(f for f in frames if f.payload == b"DHCPOFFER-ish")
        assert frame.dst_mac == site.client.mac_bytes
        assert frame.src_mac == site.server.mac_bytes
        assert (frame.src_ip, frame.dst_ip, frame.src_port, frame.dst_port) == (SERVER_IP, yiaddr, 67, 68)
    finally:
        server.close()
        capture.close()


def test_kernel_accepts_our_checksums_and_rejects_broken_ones(lab: Lab, site: Site) -> None:
    """Frames we build are delivered by the client's UDP stack, which verifies both checksums."""
    lab.ip(site.client.ns, "addr", "add", "192.0.2.50/24", "dev", "cli0")
    lab.set_checksum_offload(site.client.ns, "cli0", rx=False)  # make the receiving kernel really check
    server = raw_socket(lab, site.server.ns, "srv0")
    client = udp_socket(lab, site.client.ns, 68)
    client.setblocking(False)
    try:
        frame = bytearray(
            build_frame(
                site.server.mac_bytes, site.client.mac_bytes, SERVER_IP, CLIENT_IP, 67, 68, b"corrupt!"
            )
        )
        frame[-1] ^= 0x01
        server.send_frame(bytes(frame))
        server.send(Transmit(b"accepted", dst_ip=CLIENT_IP, dst_port=68, dst_mac=site.client.mac_bytes))
        got = collect(lambda: client.recvfrom(2048), client.fileno(), until=lambda seen: len(seen) >= 1)
        assert got[0] == (b"accepted", ("192.0.2.1", 67))
    finally:
        server.close()
        client.close()


def test_kernel_checksums_pass_our_parser(lab: Lab, site: Site) -> None:
    lab.ip(site.client.ns, "addr", "add", "192.0.2.50/24", "dev", "cli0")
    lab.set_checksum_offload(site.client.ns, "cli0", tx=False)  # the kernel computes the full checksum
    capture = packet_socket(lab, site.server.ns, "srv0")
    capture.setblocking(False)
    client = udp_socket(lab, site.client.ns, 68)
    try:
        client.sendto(b"from-the-kernel", ("192.0.2.1", 67))
        frames = collect(
            lambda: capture.recv(65535),
            capture.fileno(),
            until=lambda seen: any(b"from-the-kernel" in f for f in seen),
        )
        raw = next(f for f in frames if b"from-the-kernel" in f)
        assert raw[40:42] != b"\x00\x00"  # a real checksum was computed
        parsed = parse_frame(raw, verify_udp_checksum=True)
        assert parsed is not None and parsed.payload == b"from-the-kernel"
    finally:
        capture.close()
        client.close()


def test_udp_mode_reports_ifindex_from_pktinfo_and_replies_from_our_address(lab: Lab) -> None:
    site = lab.build(relay=True, server_index=70000, client_index=131072)
    assert site.relay_up is not None
    with lab.inside(site.server.ns):
        server = UdpSocket(67, ifname="srv0")
    relay = udp_socket(lab, site.relay_up.ns, 67, address=str(site.relay_up.ip))  # a relay talks 67 <-> 67
    relay.setblocking(False)
    try:
        relay.sendto(b"relayed-request", ("192.0.2.1", 67))
        got = receive_one(server, b"relayed-request")
        assert got.ifindex == 70000 and got.ifname == "srv0"
        assert (got.src_ip, got.dst_ip, got.src_port, got.dst_port) == (
            int(site.relay_up.ip),
            SERVER_IP,
            67,
            67,
        )
        assert got.src_mac is None and got.dst_mac is None
        server.send(Transmit(b"relayed-reply", dst_ip=got.src_ip, dst_port=67, src_ip=SERVER_IP))
        replies = collect(lambda: relay.recvfrom(2048), relay.fileno(), until=lambda seen: len(seen) >= 1)
        assert replies[0] == (b"relayed-reply", ("192.0.2.1", 67))
    finally:
        server.close()
        relay.close()


def test_pktinfo_ifindex_at_the_kernel_maximum(lab: Lab) -> None:
    server_ns = lab.add_namespace("server")
    client_ns = lab.add_namespace("client")
    lab.add_link(
        (server_ns, "srv0"),
        (client_ns, "cli0"),
        a_index=MAX_IFINDEX,
        b_index=MAX_IFINDEX,
        a_address="192.0.2.1/24",
        b_address="192.0.2.50/24",
    )
    with lab.inside(server_ns):
        server = UdpSocket(67, ifname="srv0")
        raw = RawSocket(scan()["srv0"])
    client = udp_socket(lab, client_ns, 68)
    try:
        client.sendto(b"max-index", ("192.0.2.1", 67))
        assert receive_one(server, b"max-index").ifindex == MAX_IFINDEX
        assert receive_one(raw, b"max-index").ifindex == MAX_IFINDEX
    finally:
        for sock in (server, raw, client):
            sock.close()


def _refused_after_sending_to_67(lab: Lab, site: Site) -> bool:
    """Send to the server's port 67, then prove any ICMP reply has arrived; True if it was port-unreachable."""
    probe = udp_socket(lab, site.client.ns, 0)
    marker = udp_socket(lab, site.client.ns, 0)
    echo = udp_socket(lab, site.server.ns, 9999)
    try:
        probe.connect(("192.0.2.1", 67))
        probe.send(b"anyone on 67?")
        # Any ICMP error for the probe was generated when the server received it, before it receives the
        # marker, and travels back over the same veth ahead of the echo: once the echo is here, so is it.
        marker.sendto(b"marker", ("192.0.2.1", 9999))
        assert wait_readable(echo.fileno())
        data, peer = echo.recvfrom(100)
        echo.sendto(data, peer)
        assert wait_readable(marker.fileno())
        probe.setblocking(False)
        try:
            probe.recv(100)
        except BlockingIOError:
            return False
        except ConnectionRefusedError:
            return True
        raise AssertionError("the probe got a reply on port 67")
    finally:
        for sock in (probe, marker, echo):
            sock.close()


def test_guard_socket_stops_port_unreachable_and_queues_nothing(lab: Lab, site: Site) -> None:
    lab.ip(site.client.ns, "addr", "add", "192.0.2.50/24", "dev", "cli0")
    # control: without the guard the kernel answers port-unreachable (so this test can tell the difference)
    assert _refused_after_sending_to_67(lab, site)
    with lab.inside(site.server.ns):
        guard = UdpSocket(67, guard=True)
    try:
        assert not _refused_after_sending_to_67(lab, site)
        readable, _, _ = select.select([guard.fileno()], [], [], 0)
        assert readable == []  # the reject-all filter kept the datagram out of its queue
        assert guard.recv() is None
        # a second server on the same port must fail to bind rather than share it
        with lab.inside(site.server.ns), pytest.raises(OSError) as failure:
            UdpSocket(67, guard=True)
        assert failure.value.errno == errno.EADDRINUSE
    finally:
        guard.close()


def test_routed_unicast_goes_through_the_kernel(lab: Lab, site: Site) -> None:
    """The guard sends a unicast the kernel routes and ARPs for, from the source address we choose."""
    lab.ip(site.client.ns, "addr", "add", "192.0.2.50/24", "dev", "cli0")
    lab.ip(site.server.ns, "addr", "add", "192.0.2.2/24", "dev", "srv0")
    with lab.inside(site.server.ns):
        guard = UdpSocket(67, guard=True)
    client = udp_socket(lab, site.client.ns, 68)
    client.setblocking(False)
    try:
        guard.send(Transmit(b"ack-to-ciaddr", dst_ip=CLIENT_IP, dst_port=68, src_ip=ip_int("192.0.2.2")))
        got = collect(lambda: client.recvfrom(2048), client.fileno(), until=lambda seen: len(seen) >= 1)
        assert got[0] == (b"ack-to-ciaddr", ("192.0.2.2", 67))
    finally:
        guard.close()
        client.close()


def test_raw_socket_reports_its_interface_going_away(lab: Lab, site: Site) -> None:
    server = raw_socket(lab, site.server.ns, "srv0")
    try:
        lab.ip(site.server.ns, "link", "del", "srv0")
        assert wait_readable(server.fileno())  # the error wakes select()
        assert server.recv() is None
        assert server.failure is not None and server.failure.errno == errno.ENETDOWN
    finally:
        server.close()


def test_sockets_are_non_blocking(lab: Lab, site: Site) -> None:
    server = raw_socket(lab, site.server.ns, "srv0")
    with lab.inside(site.server.ns):
        udp = UdpSocket(67, ifname="srv0")
    try:
        assert server.recv() is None and udp.recv() is None
        assert isinstance(server.fileno(), int) and isinstance(udp.fileno(), int)
    finally:
        server.close()
        udp.close()
    assert server.closed and udp.closed


def test_socket_module_constants() -> None:
    assert socket.CMSG_SPACE(12) >= 12
