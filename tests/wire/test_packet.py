"""Packet decode/encode: unit tests and hypothesis round trips."""

import struct

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from edge.wire import addr as A
from edge.wire import pkt4 as P
from edge.wire.errors import DecodeError, EncodeError

# Explicit per test, so loading this module changes no global hypothesis profile;
# no deadline: timing is not what these tests check.
wire_settings = settings(deadline=None, max_examples=200)


def walk_options(raw, start, end):
    """An independent reader for the tests: [(code, payload)] in wire order, END excluded."""
    out = []
    i = start
    while i < end:
        code = raw[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            break
        n = raw[i + 1]
        out.append((code, raw[i + 2 : i + 2 + n]))
        i += 2 + n
    return out


# ------------------------------------------------------------------ strategies

option_codes = st.integers(1, 254).filter(lambda c: c != P.OPT_OVERLOAD)


@st.composite
def packets(draw, max_payload=300):
    p = P.Packet(
        op=draw(st.sampled_from([P.BOOTREQUEST, P.BOOTREPLY])),
        htype=draw(st.integers(0, 255)),
        hlen=draw(st.integers(0, 16)),
        hops=draw(st.integers(0, 255)),
        xid=draw(st.integers(0, 0xFFFFFFFF)),
        secs=draw(st.integers(0, 0xFFFF)),
        flags=draw(st.integers(0, 0xFFFF)),
        ciaddr=draw(st.binary(min_size=4, max_size=4)),
        yiaddr=draw(st.binary(min_size=4, max_size=4)),
        siaddr=draw(st.binary(min_size=4, max_size=4)),
        giaddr=draw(st.binary(min_size=4, max_size=4)),
        chaddr=draw(st.binary(min_size=16, max_size=16)),
        sname=draw(st.one_of(st.just(bytes(64)), st.binary(min_size=64, max_size=64))),
        file=draw(st.one_of(st.just(bytes(128)), st.binary(min_size=128, max_size=128))),
    )
    for code in draw(st.lists(option_codes, unique=True, max_size=12)):
        if code == P.OPT_MESSAGE_TYPE and draw(st.booleans()):
            p.set(code, draw(st.binary(min_size=1, max_size=1)))
        else:
            p.set(code, draw(st.binary(max_size=max_payload)))
    return p


# ------------------------------------------------------------------ round trips


@wire_settings
@given(p=packets(), max_size=st.integers(0, 1600))
def test_encode_decode_round_trip(p, max_size):
    try:
        raw = P.encode(p, max_size=max_size)
    except EncodeError as e:
        if e.reason == "bad-option":
            assert len(p.options[53]) != 1
            return
        assert e.reason == "too-big"
        limit = max(max_size, 576) - 28
        wanted = sum(len(v) + 2 * ((len(v) + 254) // 255 or 1) for v in p.options.values())
        # the options really did not fit in the options field alone
        assert 240 + wanted + 1 > limit
        return
    assert len(raw) <= max(max_size, 576) - 28
    assert len(raw) >= 300
    q = P.decode(raw)
    assert q.options == p.options
    assert sorted(q.option_order) == sorted(p.option_order)
    for field in (
        "op",
        "htype",
        "hlen",
        "hops",
        "xid",
        "secs",
        "flags",
        "ciaddr",
        "yiaddr",
        "siaddr",
        "giaddr",
        "chaddr",
    ):
        assert getattr(q, field) == getattr(p, field), field
    if q.overload & P.OVERLOAD_FILE:
        assert p.file == bytes(128)
    else:
        assert q.file == p.file
    if q.overload & P.OVERLOAD_SNAME:
        assert p.sname == bytes(64)
    else:
        assert q.sname == p.sname


@wire_settings
@given(p=packets(max_payload=40))
def test_small_packets_never_overload_and_keep_order(p):
    assume(sum(len(v) + 2 for v in p.options.values()) <= 307)
    assume(len(p.options.get(53, b"x")) == 1)
    raw = P.encode(p)
    found = walk_options(raw, 240, len(raw))
    codes = [c for c, _ in found]
    assert P.OPT_OVERLOAD not in codes
    expected = [c for c in (53, 54) if c in p.options]
    expected += [c for c in p.option_order if c not in (53, 54, 82)]
    expected += [82] if 82 in p.options else []
    assert codes == expected
    assert dict(found) == p.options


@wire_settings
@given(p=packets(), order=st.lists(st.integers(1, 254), max_size=20))
def test_order_argument_puts_those_options_first(p, order):
    p.remove(52)
    try:
        raw = P.encode(p, max_size=65535, order=order)
    except EncodeError:
        return
    codes = [c for c, _ in walk_options(raw, 240, len(raw))]
    # drop the repeats of split options
    seen = []
    for c in codes:
        if c not in seen:
            seen.append(c)
    head = [c for c in (53, 54) if c in p.options]
    assert seen[: len(head)] == head
    if 82 in p.options:
        assert seen[-1] == 82
    rest = seen[len(head) :]
    wanted = []
    for c in order:
        if c in p.options and c not in (53, 54, 82) and c not in wanted:
            wanted.append(c)
    assert rest[: len(wanted)] == wanted


@wire_settings
@given(payload=st.binary(min_size=256, max_size=1200))
def test_long_options_split_in_255_pieces(payload):
    p = P.Packet()
    p.set(224, payload)
    raw = P.encode(p, max_size=1500)
    pieces = [v for c, v in walk_options(raw, 240, len(raw)) if c == 224]
    assert [len(v) for v in pieces[:-1]] == [255] * (len(pieces) - 1)
    assert b"".join(pieces) == payload


# ------------------------------------------------------------------ units


def test_decode_accepts_bytearray_and_memoryview():
    raw = P.encode(P.Packet(xid=5))
    assert P.decode(bytearray(raw)).xid == 5
    assert P.decode(memoryview(raw)).xid == 5


def test_decode_rejects_non_bytes_with_decode_error():
    with pytest.raises(DecodeError) as e:
        P.decode("not bytes")
    assert e.value.reason == "not-bytes"
    with pytest.raises(DecodeError):
        P.decode(None)


def test_header_layout():
    p = P.Packet(op=2, htype=1, hlen=6, hops=3, xid=0xDEADBEEF, secs=9, flags=0x8000)
    p.ciaddr = A.ip_to_bytes("10.0.0.1")
    p.yiaddr = A.ip_to_bytes("10.0.0.2")
    p.siaddr = A.ip_to_bytes("10.0.0.3")
    p.giaddr = A.ip_to_bytes("10.0.0.4")
    p.chaddr = bytes.fromhex("aabbccddeeff")
    p.sname = b"server"
    p.file = b"boot"
    raw = P.encode(p)
    assert raw[:12] == bytes.fromhex("02010603deadbeef00098000")
    assert raw[12:28] == bytes.fromhex("0a000001 0a000002 0a000003 0a000004".replace(" ", ""))
    assert raw[28:44] == bytes.fromhex("aabbccddeeff") + bytes(10)
    assert raw[44:50] == b"server" and raw[50:108] == bytes(58)
    assert raw[108:112] == b"boot" and raw[112:236] == bytes(124)
    assert raw[236:240] == P.MAGIC_COOKIE


def test_encode_rejects_bad_fields():
    for kw in ({"xid": 1 << 32}, {"secs": -1}, {"op": 256}, {"flags": "x"}):
        with pytest.raises(EncodeError):
            P.encode(P.Packet(**kw))
    with pytest.raises(EncodeError):
        P.encode(P.Packet(chaddr=bytes(17)))
    with pytest.raises(EncodeError):
        P.encode(P.Packet(sname="text"))


def test_encode_refuses_a_malformed_option_53():
    p = P.Packet()
    p.set(53, b"")
    with pytest.raises(EncodeError) as e:
        P.encode(p)
    assert e.value.reason == "bad-option"


def test_encode_ignores_a_hand_set_option_52():
    p = P.Packet()
    p.options[52] = b"\x03"
    p.option_order.append(52)
    raw = P.encode(p)
    assert walk_options(raw, 240, len(raw)) == []


def test_make_reply_follows_table_3():
    req = P.Packet(op=1, htype=1, hlen=6, hops=2, xid=77, secs=30, flags=0x8000)
    req.ciaddr = A.ip_to_bytes("192.0.2.9")
    req.giaddr = A.ip_to_bytes("192.0.2.254")
    req.chaddr = bytes.fromhex("020000000001") + bytes(10)
    req.set(P.OPT_MESSAGE_TYPE, bytes([P.DHCPREQUEST]))
    ack = P.make_reply(req, P.DHCPACK)
    assert (ack.op, ack.htype, ack.hlen, ack.hops, ack.xid, ack.secs, ack.flags) == (
        2,
        1,
        6,
        0,
        77,
        0,
        0x8000,
    )
    assert ack.ciaddr == req.ciaddr and ack.giaddr == req.giaddr and ack.chaddr == req.chaddr
    assert ack.message_type == P.DHCPACK and ack.get(82) is None
    offer = P.Packet.reply_to(req, P.DHCPOFFER)
    assert offer.ciaddr == bytes(4) and offer.message_type == P.DHCPOFFER


def test_message_type_is_none_when_absent_or_malformed():
    p = P.Packet()
    assert p.message_type is None
    p.set(53, b"\x01\x02")
    assert p.message_type is None


def test_repr_names_the_message():
    p = P.Packet(xid=1)
    p.set(53, b"\x08")
    assert "DHCPINFORM" in repr(p)


def test_overload_uses_sname_when_file_is_busy():
    p = P.Packet(op=2, file=b"pxelinux.0")
    p.set(53, b"\x05")
    p.set(224, b"a" * 250)
    p.set(225, b"b" * 60)  # 3 + 252 + 62 > 307
    raw = P.encode(p)
    assert struct.unpack("!BBB", raw[240:243]) == (53, 1, 5)
    assert raw[243:246] == bytes([52, 1, P.OVERLOAD_SNAME])
    assert raw[44:46] == bytes([225, 60])
    q = P.decode(raw)
    assert q.file[:10] == b"pxelinux.0" and q.get(225) == b"b" * 60


def test_overload_fills_file_then_sname():
    p = P.Packet(op=2)
    p.set(53, b"\x05")
    p.set(224, b"a" * 250)
    p.set(225, b"b" * 100)
    p.set(226, b"c" * 40)
    raw = P.encode(p)
    assert raw[243:246] == bytes([52, 1, P.OVERLOAD_BOTH])
    assert walk_options(raw, 108, 236) == [(225, b"b" * 100)]
    assert walk_options(raw, 44, 108) == [(226, b"c" * 40)]
    assert P.decode(raw).option_order[-2:] == [225, 226]


def test_set_all_is_set_for_each_pair() -> None:
    by_set, by_set_all = P.Packet(), P.Packet()
    pairs = [
        (P.OPT_MESSAGE_TYPE, b"\x05"),
        (P.OPT_LEASE_TIME, b"\x00\x00\x0e\x10"),
        (P.OPT_ROUTERS, b"\xc0\x00\x02\x01"),
    ]
    by_set.set(P.OPT_LEASE_TIME, b"\x00\x00\x00\x01")
    by_set_all.set(P.OPT_LEASE_TIME, b"\x00\x00\x00\x01")
    for code, payload in pairs:
        by_set.set(code, payload)
    by_set_all.set_all(pairs)
    assert by_set_all.options == by_set.options
    assert by_set_all.option_order == by_set.option_order == [51, 53, 3]  # a replaced code keeps its place
    assert P.encode(by_set_all) == P.encode(by_set)
