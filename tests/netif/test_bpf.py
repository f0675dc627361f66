"""bpf.py: the DHCP server filter, run by a model interpreter and by the kernel on a veth pair."""

from __future__ import annotations

import socket

import pytest

from edge.netif import bpf
from edge.netif.frames import BROADCAST_MAC, build_frame, internet_checksum
from tests.lab.netns import Lab
from tests.netif import bpf_interp
from tests.netif.helpers import collect, packet_socket

CLIENT_MAC = bytes.fromhex("020000000001")
SERVER_MAC = bytes.fromhex("020000000002")


def udp(dst_port: int, payload: bytes = b"x" * 32) -> bytes:
    return build_frame(CLIENT_MAC, BROADCAST_MAC, 0, 0xFFFFFFFF, 68, dst_port, payload)


def with_ip(frame: bytes, offset: int, value: bytes) -> bytes:
    out = bytearray(frame)
    out[14 + offset : 14 + offset + len(value)] = value
    out[24:26] = b"\x00\x00"
    out[24:26] = internet_checksum(bytes(out[14:34])).to_bytes(2, "big")
    return bytes(out)


def with_options(frame: bytes, dst_port_after_options: int) -> bytes:
    """IHL 6: four option bytes, after which the UDP header really starts."""
    ip = bytearray(frame[14:34])
    ip[0] = 0x46
    ip[2:4] = (int.from_bytes(ip[2:4], "big") + 4).to_bytes(2, "big")
    udp_header = bytearray(frame[34:42])
    udp_header[2:4] = dst_port_after_options.to_bytes(2, "big")
    return frame[:14] + bytes(ip) + b"\x01\x01\x01\x00" + bytes(udp_header) + frame[42:]


ARP = BROADCAST_MAC + CLIENT_MAC + b"\x08\x06" + bytes.fromhex("0001080006040001") + bytes(20)
IPV6_UDP_67 = BROADCAST_MAC + CLIENT_MAC + b"\x86\xdd" + bytes(40) + b"\x00\x44\x00\x43\x00\x08\x00\x00"
# An IPv6 frame whose bytes sit where IPv4's protocol (17), fragment field (0) and port (67, with the
# "IHL" nibble of 0x60 read as 0) would be: only the ethertype check tells it apart.
IPV6_LOOKALIKE = (
    BROADCAST_MAC + CLIENT_MAC + b"\x86\xdd" + b"\x60\x00\x00\x43\x00\x08\x00\x00\x00\x11" + bytes(38)
)

FILTER = bpf.dhcp_server_filter(67)

REJECTED = {
    "udp to 68": udp(68),
    "udp to 6700": udp(6700),
    "arp": ARP,
    "ipv6 udp to 67": IPV6_UDP_67,
    "ipv6 shaped like ipv4 udp to 67": IPV6_LOOKALIKE,
    "tcp to 67": with_ip(udp(67), 9, b"\x06"),
    "first fragment (MF)": with_ip(udp(67), 6, b"\x20\x00"),
    "later fragment": with_ip(udp(67), 6, b"\x00\x10"),
    "options hide port 68": with_options(udp(67), 68),
    "runt": udp(67)[:30],
}


def test_accepts_dhcp_to_port_67() -> None:
    assert bpf_interp.run(FILTER, udp(67)) == len(udp(67))
    assert bpf_interp.run(FILTER, udp(67), pkttype=bpf_interp.PACKET_HOST) > 0
    assert bpf_interp.run(FILTER, with_ip(udp(67), 6, b"\x40\x00")) > 0  # DF is not a fragment
    assert bpf_interp.run(FILTER, with_options(udp(68), 67)) > 0  # port found after IP options


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejects(name: str) -> None:
    assert bpf_interp.run(FILTER, REJECTED[name]) == 0


def test_rejects_our_own_outgoing_frames() -> None:
    assert bpf_interp.run(FILTER, udp(67), pkttype=bpf_interp.PACKET_OUTGOING) == 0


def test_port_is_a_parameter() -> None:
    assert bpf_interp.run(bpf.dhcp_server_filter(6767), udp(6767)) > 0
    assert bpf_interp.run(bpf.dhcp_server_filter(6767), udp(67)) == 0


def test_reject_all() -> None:
    assert bpf_interp.run(bpf.REJECT_ALL, udp(67)) == 0


def test_assembler_refuses_backward_jumps_and_duplicate_labels() -> None:
    with pytest.raises(ValueError):
        bpf.FilterProgram([("a", bpf.BPF_RET, 0, None, None), ("b", bpf.BPF_JMP | bpf.BPF_JEQ, 1, "a", None)])
    with pytest.raises(ValueError):
        bpf.FilterProgram([("a", bpf.BPF_RET, 0, None, None), ("a", bpf.BPF_RET, 0, None, None)])


def test_program_encodes_as_sock_filter_records() -> None:
    assert len(FILTER.code) == 8 * len(FILTER)


@pytest.mark.lab
def test_kernel_runs_the_filter(lab: Lab) -> None:
    """Frames sent over a veth pair: the kernel passes only good ones to a filtered packet socket."""
    site = lab.build(server_index=70000, client_index=131072)
    filtered = packet_socket(lab, site.server.ns, "srv0", FILTER)
    sender = packet_socket(lab, site.client.ns, "cli0")
    server_side = packet_socket(lab, site.server.ns, "srv0")
    try:
        # our own outgoing port-67 frame, which an ETH_P_ALL socket sees as PACKET_OUTGOING: must not pass
        server_side.send(build_frame(SERVER_MAC, BROADCAST_MAC, 0, 0xFFFFFFFF, 68, 67, b"outgoing"))
        for frame in REJECTED.values():
            sender.send(frame)
        good = [udp(67, b"good-1" + bytes(20)), with_options(udp(68, b"good-2" + bytes(20)), 67)]
        for frame in good:
            sender.send(frame)
        filtered.setblocking(False)
        got = collect(
            lambda: filtered.recv(65535),
            filtered.fileno(),
            until=lambda seen: any(b"good-2" in f for f in seen),
        )
        # veth preserves order, so everything sent before the last good frame has been judged by now
        assert got == good
    finally:
        for sock in (filtered, sender, server_side):
            sock.close()


def test_filter_attaches_to_a_udp_socket() -> None:
    # unprivileged: classic BPF on an ordinary socket needs no capability
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        bpf.attach(sock, bpf.REJECT_ALL)
        bpf.detach(sock)
