"""frames.py: build/parse round trips, checksums against known values, and rejection of anything odd."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from edge.netif.frames import BROADCAST_MAC, UdpFrame, build_frame, internet_checksum, parse_frame

CLIENT_MAC = bytes.fromhex("020000000001")
SERVER_MAC = bytes.fromhex("020000000002")
SERVER_IP = 0xC0000201  # 192.0.2.1
CLIENT_IP = 0xC0000264  # 192.0.2.100

macs = st.binary(min_size=6, max_size=6)
ips = st.integers(min_value=0, max_value=0xFFFFFFFF)
ports = st.integers(min_value=0, max_value=0xFFFF)


def sample(payload: bytes = b"\x01\x01\x06\x00" + bytes(296)) -> bytes:
    return build_frame(SERVER_MAC, CLIENT_MAC, SERVER_IP, CLIENT_IP, 67, 68, payload)


def test_checksum_of_a_known_ipv4_header() -> None:
    # The classic example header 4500 0073 0000 4000 4011 ---- c0a8 0001 c0a8 00c7 has checksum 0xb861.
    header = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
    assert internet_checksum(header) == 0xB861
    assert internet_checksum(header[:10] + b"\xb8\x61" + header[12:]) == 0


def test_checksum_handles_odd_lengths() -> None:
    # RFC 1071: an odd trailing byte is padded with zero on the right.
    assert internet_checksum(b"\x01") == internet_checksum(b"\x01\x00") == 0xFEFF


def _reference_checksum(data: bytes) -> int:
    """RFC 1071 spelled out: add the 16-bit words, fold the carries back in, complement."""
    if len(data) % 2:
        data += b"\x00"
    total = 0
    for i in range(0, len(data), 2):
        total += data[i] << 8 | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@given(st.binary(max_size=1600))
def test_checksum_matches_the_word_by_word_sum(data: bytes) -> None:
    assert internet_checksum(data) == _reference_checksum(data)


def test_checksum_edge_sums() -> None:
    # all zero (sum 0), a sum of exactly 0xFFFF, and one that wraps onto 0xFFFF
    for data in (b"", bytes(8), b"\xff\xff", b"\xff\xff\xff\xff", b"\x80\x00\x7f\xff", b"\xff\xfe\x00\x01"):
        assert internet_checksum(data) == _reference_checksum(data), data.hex()


def test_built_frame_layout() -> None:
    frame = sample(b"hello")
    assert frame[:6] == CLIENT_MAC and frame[6:12] == SERVER_MAC and frame[12:14] == b"\x08\x00"
    version_ihl, _tos, total, _id, frag, ttl, proto = struct.unpack_from("!BBHHHBB", frame, 14)
    assert (version_ihl, total, frag, ttl, proto) == (0x45, 20 + 8 + 5, 0, 64, 17)
    assert internet_checksum(frame[14:34]) == 0
    src_port, dst_port, length, checksum = struct.unpack_from("!HHHH", frame, 34)
    assert (src_port, dst_port, length) == (67, 68, 13)
    assert checksum != 0


def test_round_trip() -> None:
    parsed = parse_frame(sample(b"payload"))
    assert parsed == UdpFrame(SERVER_MAC, CLIENT_MAC, SERVER_IP, CLIENT_IP, 67, 68, b"payload", 64)


@given(
    src_mac=macs, dst_mac=macs, src=ips, dst=ips, sport=ports, dport=ports, payload=st.binary(max_size=1400)
)
def test_round_trip_property(
    src_mac: bytes, dst_mac: bytes, src: int, dst: int, sport: int, dport: int, payload: bytes
) -> None:
    frame = build_frame(src_mac, dst_mac, src, dst, sport, dport, payload)
    assert parse_frame(frame) == UdpFrame(src_mac, dst_mac, src, dst, sport, dport, payload, 64)


def test_ethernet_padding_is_ignored() -> None:
    frame = build_frame(SERVER_MAC, BROADCAST_MAC, SERVER_IP, 0xFFFFFFFF, 67, 68, b"x")
    parsed = parse_frame(frame + bytes(60 - len(frame)) if len(frame) < 60 else frame + bytes(4))
    assert parsed is not None and parsed.payload == b"x"


def test_zero_udp_checksum_means_not_computed() -> None:
    frame = bytearray(sample(b"abc"))
    frame[40:42] = b"\x00\x00"
    assert parse_frame(bytes(frame)) is not None


def test_bad_udp_checksum_is_rejected_unless_the_kernel_says_not_ready() -> None:
    frame = bytearray(sample(b"abc"))
    frame[40] ^= 0x55
    assert parse_frame(bytes(frame)) is None
    assert parse_frame(bytes(frame), verify_udp_checksum=False) is not None


def _with_ip_change(offset: int, value: bytes, fix_checksum: bool = True) -> bytes:
    frame = bytearray(sample(b"abcdef"))
    frame[14 + offset : 14 + offset + len(value)] = value
    if fix_checksum:
        frame[24:26] = b"\x00\x00"
        frame[24:26] = internet_checksum(bytes(frame[14:34])).to_bytes(2, "big")
    return bytes(frame)


def test_rejections() -> None:
    good = sample(b"abcdef")
    assert parse_frame(good) is not None
    assert parse_frame(good[:41]) is None  # truncated headers
    assert parse_frame(good[:-1]) is None  # IP total length runs past the frame
    assert parse_frame(good[:12] + b"\x86\xdd" + good[14:]) is None  # IPv6 ethertype
    assert parse_frame(good[:12] + b"\x08\x06" + good[14:]) is None  # ARP
    assert parse_frame(_with_ip_change(6, b"\x20\x00")) is None  # more-fragments set
    assert parse_frame(_with_ip_change(6, b"\x00\x01")) is None  # non-zero fragment offset
    assert parse_frame(_with_ip_change(6, b"\x40\x00")) is not None  # DF alone is fine
    assert parse_frame(_with_ip_change(9, b"\x06")) is None  # TCP
    assert parse_frame(_with_ip_change(0, b"\x65")) is None  # version 6 in an IPv4 frame
    assert parse_frame(_with_ip_change(0, b"\x44")) is None  # IHL below 5
    assert parse_frame(_with_ip_change(8, b"\x01", fix_checksum=False)) is None  # header checksum wrong
    frame = bytearray(good)
    frame[38:40] = (len(good) - 34 + 1).to_bytes(2, "big")  # UDP length longer than the IP payload
    assert parse_frame(bytes(frame)) is None
    frame[38:40] = (7).to_bytes(2, "big")  # UDP length shorter than its header
    assert parse_frame(bytes(frame)) is None


def test_ip_options_are_skipped() -> None:
    payload = b"with options"
    frame = bytearray(sample(payload))
    ip = bytearray(frame[14:34])
    ip[0] = 0x46  # IHL 6: one 4-byte option word (NOP NOP NOP EOL)
    ip[2:4] = (len(frame) - 14 + 4).to_bytes(2, "big")
    ip[10:12] = b"\x00\x00"
    options = b"\x01\x01\x01\x00"
    ip[10:12] = internet_checksum(bytes(ip) + options).to_bytes(2, "big")
    rebuilt = bytes(frame[:14]) + bytes(ip) + options + bytes(frame[34:])
    parsed = parse_frame(rebuilt)
    assert parsed is not None and parsed.payload == payload


@given(st.binary(max_size=600))
def test_parse_never_raises_on_garbage(data: bytes) -> None:
    parse_frame(data)


@given(st.data())
def test_parse_never_raises_on_mutated_frames(data: st.DataObject) -> None:
    frame = bytearray(sample(b"x" * 40))
    for _ in range(data.draw(st.integers(1, 6))):
        index = data.draw(st.integers(0, len(frame) - 1))
        frame[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(frame)))
    result = parse_frame(bytes(frame[:cut]))
    assert result is None or isinstance(result, UdpFrame)
