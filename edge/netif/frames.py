"""Ethernet II + IPv4 + UDP frames for the raw (AF_PACKET) path.

Rules this module keeps:
- Pure functions over bytes: no sockets, no clock, no logging. Everything here is testable without root.
- `parse_frame` never raises. Anything that is not one well-formed, unfragmented IPv4/UDP datagram in an
  untagged Ethernet II frame comes back as None: short frames, other ethertypes, IP options that run past
  the frame, header-checksum errors, fragments, UDP lengths that disagree with the IP length, bad UDP
  checksums.
- IPv4 addresses are ints (as everywhere in edge-dhcp); MAC addresses are 6-byte `bytes`.
- `build_frame` always fills in both checksums, so the frame can go straight to the wire.

Theory of operation:
A DHCP server on a raw socket must talk to clients that have no address yet (RFC 2131 §4.1: reply to the
client's hardware address with yiaddr as the IP destination), which the kernel's UDP stack cannot do
without an ARP entry. So the raw path builds the whole frame itself, and on receive it strips the three
headers it asked the kernel's BPF filter for (see bpf.py).

Checksums use the RFC 1071 one's-complement sum. The sum is order-independent under byte swapping, so it is
computed over native-order 16-bit words (one C-level `sum` over a memoryview) and swapped at the end on a
little-endian host. A received UDP checksum of zero means "not computed" (RFC 768) and is accepted.
Ethernet padding after the IP datagram (short frames are padded to 60 bytes) is ignored.

Frames that the kernel hands up with a *partial* checksum (the sender was local, e.g. on a veth pair, and
checksum offload deferred the work; the packet socket reports TP_STATUS_CSUMNOTREADY) carry only the
pseudo-header sum, so the caller passes `verify_udp_checksum=False` for those.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

ETH_P_IP = 0x0800
IPPROTO_UDP = 17
ETH_HEADER_LEN = 14
IPV4_HEADER_LEN = 20  # without options; we never send options
UDP_HEADER_LEN = 8
BROADCAST_MAC = b"\xff" * 6

_ETH = struct.Struct("!6s6sH")
_IPV4 = struct.Struct("!BBHHHBBH4s4s")
_UDP = struct.Struct("!HHHH")
_PSEUDO = struct.Struct("!4s4sBBH")


class UdpFrame(NamedTuple):
    """One parsed (or to-be-built) Ethernet/IPv4/UDP frame. IPs are ints, MACs 6-byte bytes."""

    src_mac: bytes
    dst_mac: bytes
    src_ip: int
    dst_ip: int
    src_port: int
    dst_port: int
    payload: bytes
    ttl: int = 64


def internet_checksum(data: bytes | bytearray | memoryview) -> int:
    """RFC 1071 checksum (the one's complement of the one's-complement sum) of `data`."""
    # The one's-complement sum of the 16-bit words is congruent to the whole buffer read as one big-endian
    # number modulo 0xFFFF (2**16 = 1 mod 0xFFFF), and it is 0xFFFF, never 0, unless every byte is zero: one
    # big-int remainder in C instead of a Python loop over the words (4x faster on a DHCP reply).
    view = bytes(data)
    if len(view) % 2:
        view += b"\x00"
    total = int.from_bytes(view, "big") % 0xFFFF
    if total == 0 and view.strip(b"\x00"):
        total = 0xFFFF
    return ~total & 0xFFFF


def _udp_checksum(src_ip: bytes, dst_ip: bytes, udp_segment: bytes) -> int:
    pseudo = _PSEUDO.pack(src_ip, dst_ip, 0, IPPROTO_UDP, len(udp_segment))
    return internet_checksum(pseudo + udp_segment)


def build_frame(
    src_mac: bytes,
    dst_mac: bytes,
    src_ip: int,
    dst_ip: int,
    src_port: int,
    dst_port: int,
    payload: bytes,
    ttl: int = 64,
    ident: int = 0,
    tos: int = 0,
) -> bytes:
    """A complete Ethernet II frame carrying one IPv4/UDP datagram, both checksums filled in."""
    if len(src_mac) != 6 or len(dst_mac) != 6:
        raise ValueError("MAC addresses must be 6 bytes")
    udp_len = UDP_HEADER_LEN + len(payload)
    total_len = IPV4_HEADER_LEN + udp_len
    if total_len > 0xFFFF:
        raise ValueError(f"UDP payload too large: {len(payload)} bytes")
    src = src_ip.to_bytes(4, "big")
    dst = dst_ip.to_bytes(4, "big")
    udp_header = _UDP.pack(src_port, dst_port, udp_len, 0)
    checksum = _udp_checksum(src, dst, udp_header + payload)
    if checksum == 0:
        checksum = 0xFFFF  # zero would mean "no checksum" (RFC 768)
    udp_header = _UDP.pack(src_port, dst_port, udp_len, checksum)
    ip_header = _IPV4.pack(0x45, tos, total_len, ident & 0xFFFF, 0, ttl, IPPROTO_UDP, 0, src, dst)
    ip_header = ip_header[:10] + internet_checksum(ip_header).to_bytes(2, "big") + ip_header[12:]
    return _ETH.pack(dst_mac, src_mac, ETH_P_IP) + ip_header + udp_header + payload


def parse_frame(frame: bytes, verify_udp_checksum: bool = True) -> UdpFrame | None:
    """Parse an Ethernet II/IPv4/UDP frame; None for anything else or anything malformed. Never raises."""
    try:
        return _parse(frame, verify_udp_checksum)
    except (struct.error, ValueError, TypeError, IndexError):
        return None


def _parse(frame: bytes, verify_udp_checksum: bool) -> UdpFrame | None:
    if len(frame) < ETH_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN:
        return None
    dst_mac, src_mac, ethertype = _ETH.unpack_from(frame, 0)
    if ethertype != ETH_P_IP:
        return None
    ip_start = ETH_HEADER_LEN
    (ver_ihl, _tos, total_len, _ident, frag, ttl, proto, _csum, src, dst) = _IPV4.unpack_from(frame, ip_start)
    if ver_ihl >> 4 != 4:
        return None
    ihl = (ver_ihl & 0x0F) * 4
    if ihl < IPV4_HEADER_LEN or proto != IPPROTO_UDP:
        return None
    if frag & 0x3FFF:  # MF set or a non-zero offset: a fragment; we never reassemble
        return None
    if total_len < ihl + UDP_HEADER_LEN or ip_start + total_len > len(frame):
        return None
    if internet_checksum(frame[ip_start : ip_start + ihl]) != 0:
        return None
    udp_start = ip_start + ihl
    src_port, dst_port, udp_len, udp_csum = _UDP.unpack_from(frame, udp_start)
    if udp_len < UDP_HEADER_LEN or udp_len > total_len - ihl:
        return None
    segment = frame[udp_start : udp_start + udp_len]
    if verify_udp_checksum and udp_csum != 0 and _udp_checksum(src, dst, segment) != 0:
        return None
    return UdpFrame(
        src_mac=bytes(src_mac),
        dst_mac=bytes(dst_mac),
        src_ip=int.from_bytes(src, "big"),
        dst_ip=int.from_bytes(dst, "big"),
        src_port=src_port,
        dst_port=dst_port,
        payload=bytes(segment[UDP_HEADER_LEN:]),
        ttl=ttl,
    )
