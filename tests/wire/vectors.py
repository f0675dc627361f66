# ruff: noqa: UP031
"""Test vectors for edge.wire, as plain data, runnable under CPython and MicroPython.

Rules this file keeps:
- MicroPython subset, like edge/wire itself: no annotations, f-strings,
  dataclasses or typing; it imports nothing but edge.wire and binascii.
- Every expectation is written out by hand.  The captured packets were read
  byte by byte from their hex (see tests/wire/capture_clients.py for how they
  were captured: ISC dhclient 4.4.3-P1, busybox udhcpc 1.35.0 and dhcpcd 9.4.1
  in a throw-away network namespace); nothing here was produced by the code
  under test.
- Each vector is a (name, check) pair; a check raises Fail (or any exception)
  when the codec disagrees.  ``run(report)`` runs them all and returns
  (passed, failed, failure_messages); ``report(name, ok, message)`` is called
  once per vector when given.

tests/wire/test_vectors.py runs each vector as its own pytest test;
tests/micropython/run.mjs runs ``run`` under MicroPython 1.27 (WebAssembly).
"""

import binascii

from edge.wire import addr as A
from edge.wire import optiondef, options4
from edge.wire import pkt4 as P
from edge.wire import types as T
from edge.wire.errors import DecodeError, EncodeError, OptionTextError


class Fail(Exception):
    pass


def h(text):
    """Hex with blanks and newlines -> bytes."""
    return binascii.unhexlify("".join(text.split()))


def hx(data):
    return binascii.hexlify(data).decode()


def eq(got, want, what):
    if got != want:
        raise Fail("%s: got %r, want %r" % (what, got, want))


def raises(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        return e
    except Exception as e:  # noqa: BLE001 - a wrong exception is a failure to report
        raise Fail(
            "%s raised %s(%s), want %s" % (getattr(fn, "__name__", fn), type(e).__name__, e, exc.__name__)
        ) from None
    raise Fail("%s did not raise %s" % (getattr(fn, "__name__", fn), exc.__name__))


# ------------------------------------------------------------------ captured packets
# Each packet is the UDP payload as captured.  ``expect`` was written by reading the
# hex: header fields, then each option in wire order as (code, payload).

MAC = h("02005e100001")
ZERO4 = b"\x00\x00\x00\x00"

CAPTURED = [
    {
        "name": "dhclient-4.4.3-discover",
        "hex": (
            "01010600ad70d6130000000000000000000000000000000000000000"
            "02005e10000100000000000000000000" + "00" * 64 + "00" * 128 + "63825363"
            "350101"
            "0c0d" + "7763 6170 2d64 6863 6c69 656e 74"
            "370b011c02030f06770c1a792a"
            "ff" + "00" * 28
        ),
        "expect": {
            "len": 300,
            "op": 1,
            "htype": 1,
            "hlen": 6,
            "hops": 0,
            "xid": 0xAD70D613,
            "secs": 0,
            "flags": 0,
            "message_type": 1,
            "options": [
                (53, b"\x01"),
                (12, b"wcap-dhclient"),
                (55, bytes([1, 28, 2, 3, 15, 6, 119, 12, 26, 121, 42])),
            ],
            "text": {12: "wcap-dhclient", 55: "1, 28, 2, 3, 15, 6, 119, 12, 26, 121, 42"},
        },
    },
    {
        "name": "dhclient-4.4.3-request",
        "hex": (
            "01010600ad70d6130000000000000000000000000000000000000000"
            "02005e10000100000000000000000000" + "00" * 64 + "00" * 128 + "63825363"
            "350103"
            "3604c0000201"
            "3204c0000232"
            "0c0d" + "7763 6170 2d64 6863 6c69 656e 74"
            "370b011c02030f06770c1a792a"
            "ff" + "00" * 16
        ),
        "expect": {
            "len": 300,
            "op": 1,
            "htype": 1,
            "hlen": 6,
            "hops": 0,
            "xid": 0xAD70D613,
            "secs": 0,
            "flags": 0,
            "message_type": 3,
            "options": [
                (53, b"\x03"),
                (54, b"\xc0\x00\x02\x01"),
                (50, b"\xc0\x00\x02\x32"),
                (12, b"wcap-dhclient"),
                (55, bytes([1, 28, 2, 3, 15, 6, 119, 12, 26, 121, 42])),
            ],
            "text": {54: "192.0.2.1", 50: "192.0.2.50"},
        },
    },
    {
        "name": "udhcpc-1.35-discover",
        "hex": (
            "010106009b6d072b0000000000000000000000000000000000000000"
            "02005e10000100000000000000000000" + "00" * 64 + "00" * 128 + "63825363"
            "350101"
            "39020240"
            "37070103060c0f1c2a"
            "0c0b" + "7763 6170 2d75 6468 6370 63"
            "3c09" + "7763 6170 2d74 6573 74"
            "3d070102005e100001"
            "ff" + "00" * 10
        ),
        "expect": {
            "len": 300,
            "op": 1,
            "htype": 1,
            "hlen": 6,
            "hops": 0,
            "xid": 0x9B6D072B,
            "secs": 0,
            "flags": 0,
            "message_type": 1,
            "options": [
                (53, b"\x01"),
                (57, b"\x02\x40"),
                (55, bytes([1, 3, 6, 12, 15, 28, 42])),
                (12, b"wcap-udhcpc"),
                (60, b"wcap-test"),
                (61, b"\x01" + MAC),
            ],
            "text": {57: "576", 60: "wcap-test", 61: "0102005e100001"},
            "max_message_size": 576,
        },
    },
    {
        "name": "udhcpc-1.35-request",
        "hex": (
            "010106009b6d072b0000000000000000000000000000000000000000"
            "02005e10000100000000000000000000" + "00" * 64 + "00" * 128 + "63825363"
            "350103"
            "3204c0000232"
            "3604c0000201"
            "39020240"
            "37070103060c0f1c2a"
            "0c0b" + "7763 6170 2d75 6468 6370 63"
            "3c09" + "7763 6170 2d74 6573 74"
            "3d070102005e100001"
            "ff"
        ),
        "expect": {
            "len": 302,
            "op": 1,
            "htype": 1,
            "hlen": 6,
            "hops": 0,
            "xid": 0x9B6D072B,
            "secs": 0,
            "flags": 0,
            "message_type": 3,
            "options": [
                (53, b"\x03"),
                (50, b"\xc0\x00\x02\x32"),
                (54, b"\xc0\x00\x02\x01"),
                (57, b"\x02\x40"),
                (55, bytes([1, 3, 6, 12, 15, 28, 42])),
                (12, b"wcap-udhcpc"),
                (60, b"wcap-test"),
                (61, b"\x01" + MAC),
            ],
        },
    },
    {
        # no padding after END: 335 bytes on the wire
        "name": "dhcpcd-9.4.1-discover",
        "hex": (
            "01010600ded18ae90000000000000000000000000000000000000000"
            "02005e10000100000000000000000000" + "00" * 64 + "00" * 128 + "63825363"
            "350101"
            "370a0103060c0f1c21333a3b"
            "390205c0"
            "3c36" + "6468 6370 6364 2d39 2e34 2e31 3a4c 696e 7578 2d36 2e31 382e"
            "3434 2d66 632d 7635 3039 3a78 3836 5f36 343a 4175 7468 656e 7469 6341 4d44"
            "0c0b" + "7763 6170 2d64 6863 7063 64"
            "740101"
            "910101"
            "ff"
        ),
        "expect": {
            "len": 335,
            "op": 1,
            "htype": 1,
            "hlen": 6,
            "hops": 0,
            "xid": 0xDED18AE9,
            "secs": 0,
            "flags": 0,
            "message_type": 1,
            "options": [
                (53, b"\x01"),
                (55, bytes([1, 3, 6, 12, 15, 28, 33, 51, 58, 59])),
                (57, b"\x05\xc0"),
                (60, b"dhcpcd-9.4.1:Linux-6.18.44-fc-v509:x86_64:AuthenticAMD"),
                (12, b"wcap-dhcpcd"),
                (116, b"\x01"),
                (145, b"\x01"),
            ],
            "text": {57: "1472", 116: "1", 55: "1, 3, 6, 12, 15, 28, 33, 51, 58, 59"},
            "max_message_size": 1472,
        },
    },
    {
        # option 50 comes before 53 here
        "name": "dhcpcd-9.4.1-request",
        "hex": (
            "01010600ded18ae90000000000000000000000000000000000000000"
            "02005e10000100000000000000000000" + "00" * 64 + "00" * 128 + "63825363"
            "3204c0000232"
            "350103"
            "3604c0000201"
            "370a0103060c0f1c21333a3b"
            "390205c0"
            "3c36" + "6468 6370 6364 2d39 2e34 2e31 3a4c 696e 7578 2d36 2e31 382e"
            "3434 2d66 632d 7635 3039 3a78 3836 5f36 343a 4175 7468 656e 7469 6341 4d44"
            "0c0b" + "7763 6170 2d64 6863 7063 64"
            "910101"
            "ff"
        ),
        "expect": {
            "len": 344,
            "op": 1,
            "htype": 1,
            "hlen": 6,
            "hops": 0,
            "xid": 0xDED18AE9,
            "secs": 0,
            "flags": 0,
            "message_type": 3,
            "options": [
                (50, b"\xc0\x00\x02\x32"),
                (53, b"\x03"),
                (54, b"\xc0\x00\x02\x01"),
                (55, bytes([1, 3, 6, 12, 15, 28, 33, 51, 58, 59])),
                (57, b"\x05\xc0"),
                (60, b"dhcpcd-9.4.1:Linux-6.18.44-fc-v509:x86_64:AuthenticAMD"),
                (12, b"wcap-dhcpcd"),
                (145, b"\x01"),
            ],
            "max_message_size": 1472,
        },
    },
]


def _check_captured(vec):
    raw = h(vec["hex"])
    e = vec["expect"]
    eq(len(raw), e["len"], "captured length")
    p = P.decode(raw)
    for field in ("op", "htype", "hlen", "hops", "xid", "secs", "flags"):
        eq(getattr(p, field), e[field], field)
    for field in ("ciaddr", "yiaddr", "siaddr", "giaddr"):
        eq(getattr(p, field), ZERO4, field)
    eq(p.mac, MAC, "mac")
    eq(p.chaddr, MAC + bytes(10), "chaddr")
    eq(p.message_type, e["message_type"], "message_type")
    eq(p.broadcast, False, "broadcast")
    eq(p.option_order, [c for c, _ in e["options"]], "option_order")
    for code, payload in e["options"]:
        eq(p.get(code), payload, "option %d" % code)
    eq(len(p.options), len(e["options"]), "option count")
    want_prl = []
    for code, payload in e["options"]:
        if code == 55:
            want_prl = list(payload)
    eq(p.requested_params(), want_prl, "requested_params")
    eq(p.max_message_size(), e.get("max_message_size", 576), "max_message_size")
    texts = e.get("text", {})
    for code in texts:
        eq(
            optiondef.wire_to_text(options4.by_code(code), p.get(code)),
            texts[code],
            "text of option %d" % code,
        )
    # re-encoding keeps the decoded meaning (53 first, padded to 300 at least)
    again = P.decode(P.encode(p))
    eq(again.options, p.options, "options after encode/decode")
    eq(again.xid, p.xid, "xid after encode/decode")


# ------------------------------------------------------------------ hand-made packets


def bootp_header(op=1, xid=0x01020304, flags=0, giaddr=ZERO4, sname=None, file=None, hlen=6):
    return (
        bytes([op, 1, hlen, 0])
        + xid.to_bytes(4, "big")
        + b"\x00\x00"
        + flags.to_bytes(2, "big")
        + ZERO4 * 3
        + giaddr
        + MAC
        + bytes(10)
        + (sname if sname is not None else bytes(64))
        + (file if file is not None else bytes(128))
    )


COOKIE = h("63825363")


def _decode_error(raw, reason):
    e = raises(DecodeError, P.decode, raw)
    eq(e.reason, reason, "DecodeError.reason")


def v_overload_both():
    # 52 = 3: file then sname carry options (RFC 2131 s4.1, RFC 3396 s5)
    file = h("0304c0000201 ff") + bytes(128 - 7)
    sname = h("06040808 0808 ff") + bytes(64 - 7)
    raw = bootp_header(sname=sname, file=file) + COOKIE + h("350105 340103 ff")
    raw += bytes(300 - len(raw))
    p = P.decode(raw)
    eq(p.message_type, 5, "message_type")
    eq(p.get(3), h("c0000201"), "routers from file")
    eq(p.get(6), h("08080808"), "dns from sname")
    eq(p.overload, 3, "overload")
    eq(p.get(52), None, "52 consumed")
    eq(p.option_order, [53, 3, 6], "order: options, file, sname")
    eq(p.file, bytes(128), "file blanked")
    eq(p.sname, bytes(64), "sname blanked")


def v_overload_file_only_keeps_sname():
    file = h("0f0b 6578616d706c652e636f6d ff") + bytes(128 - 14)
    sname = b"tftp.example" + bytes(64 - 12)
    raw = bootp_header(sname=sname, file=file) + COOKIE + h("350102 340101 ff") + bytes(50)
    p = P.decode(raw)
    eq(p.get(15), b"example.com", "domain-name from file")
    eq(p.sname, sname, "sname untouched")
    eq(p.overload, 1, "overload")


def v_overload_concatenates_split_option():
    # option 119 split across the options field and the file field (RFC 3396)
    file = h("7705 03636f6d00 ff") + bytes(128 - 8)
    raw = bootp_header(file=file) + COOKIE + h("350105 340101 7708 076578616d706c65 ff") + bytes(40)
    p = P.decode(raw)
    eq(p.get(119), h("076578616d706c65 03636f6d00"), "concatenated 119")
    eq(optiondef.wire_to_text(options4.by_code(119), p.get(119)), "example.com", "domain-search text")


def v_split_option_decode():
    raw = bootp_header() + COOKIE + h("350101 5203 010161 5204 0202 6263 ff") + bytes(40)
    p = P.decode(raw)
    eq(p.get(82), h("010161 02026263"), "82 concatenated")
    eq(P.parse_suboptions(p.get(82)), [(1, b"a"), (2, b"bc")], "sub-options")


def v_encode_rfc3396_split():
    p = P.Packet(xid=7, chaddr=MAC)
    p.set(53, b"\x02")
    p.set(224, bytes(range(200)) + bytes(range(200)) + bytes(range(200)))
    raw = P.encode(p, max_size=1500)
    # 35 01 02 at 240; e0 ff [255] at 243; e0 ff [255] at 500; e0 5a [90] at 757; ff at 849
    eq(len(raw), 850, "length")
    eq(raw[240:243], h("350102"), "53 first")
    eq(raw[243:245], h("e0ff"), "first instance")
    eq(raw[500:502], h("e0ff"), "second instance")
    eq(raw[757:759], h("e05a"), "third instance")
    eq(raw[849], 0xFF, "end")
    eq(P.decode(raw).get(224), p.get(224), "concatenated back")


def v_encode_overload_into_file():
    p = P.Packet(op=2, xid=9, chaddr=MAC)
    p.set(53, b"\x05")
    p.set(54, h("c0000201"))
    p.set(224, b"A" * 250)
    p.set(225, b"B" * 100)
    raw = P.encode(p)  # 576: 307 bytes of options before END
    eq(len(raw), 505, "length")
    eq(raw[240:243], h("350105"), "53")
    eq(raw[243:249], h("3604c0000201"), "54")
    eq(raw[249:252], h("340101"), "52 = file")
    eq(raw[252:254], h("e0fa"), "224 stays in options")
    eq(raw[504], 0xFF, "end of options")
    eq(raw[108:110], h("e164"), "225 in file")
    eq(raw[210], 0xFF, "end in file")
    eq(raw[44:108], bytes(64), "sname unused")
    q = P.decode(raw)
    eq(q.get(225), b"B" * 100, "225 back")
    eq(q.overload, 1, "overload")


def v_encode_overload_needs_empty_fields():
    p = P.Packet(op=2, xid=9, chaddr=MAC, file=b"pxelinux.0", sname=b"boot.example")
    p.set(53, b"\x05")
    p.set(224, b"A" * 250)
    p.set(225, b"B" * 100)
    e = raises(EncodeError, P.encode, p)
    eq(e.reason, "too-big", "reason")
    # the same options fit when the client allows 1500 (option 57)
    raw = P.encode(p, max_size=1500)
    eq(P.decode(raw).file[:10], b"pxelinux.0", "file kept")


def v_option57_limits():
    base = bootp_header() + COOKIE + h("350101")
    eq(P.decode(base + h("390205dc ff")).max_message_size(), 1500, "57 = 1500")
    eq(P.decode(base + h("3902012c ff")).max_message_size(), 576, "57 = 300 -> 576")
    eq(P.decode(base + h("ff")).max_message_size(), 576, "no 57")
    eq(P.decode(base + h("3901ff ff")).max_message_size(), 576, "57 with bad length")
    p = P.Packet(op=2, chaddr=MAC)
    p.set(53, b"\x02")
    p.set(224, b"x" * 320)
    raw = P.encode(p, max_size=1500)
    eq(raw.find(h("340101")) == -1, True, "no overload at 1500")
    raw = P.encode(p, max_size=300)  # below the minimum: counts as 576
    eq(len(raw) <= 548, True, "fits 576")
    eq(raw[243:246], h("340101"), "overloaded at 576")


def v_reply_echoes_relay_info():
    rai = h("0106 000403010001 0206 02005e100001")
    raw = (
        bootp_header(flags=0x8000, giaddr=h("c0000201"))
        + COOKIE
        + h("350101")
        + bytes([82, len(rai)])
        + rai
        + h("ff")
    )
    req = P.decode(raw)
    eq(req.broadcast, True, "broadcast flag")
    r = P.make_reply(req, P.DHCPOFFER)
    eq((r.op, r.xid, r.flags, r.giaddr, r.hops), (2, 0x01020304, 0x8000, h("c0000201"), 0), "table 3 fields")
    r.set(54, h("c0000201"))
    r.set(1, h("ffffff00"))
    out = P.encode(r)
    # 53, 54, 1, then 82 last: 240 + 3 + 6 + 6 = 255 -> 52 14 ... then END
    eq(out[240:243], h("350102"), "53 first")
    eq(out[243:249], h("3604c0000201"), "54 second")
    eq(out[249:255], h("0104ffffff00"), "subnet mask")
    eq(out[255:257], h("5210"), "82 last")
    eq(out[257:273], rai, "82 byte-exact")
    eq(out[273], 0xFF, "end")
    eq(P.parse_suboptions(rai), [(1, h("000403010001")), (2, MAC)], "parse")
    eq(P.build_suboptions([(1, h("000403010001")), (2, MAC)]), rai, "build")


def v_suboption_overrun():
    e = raises(DecodeError, P.parse_suboptions, h("0106 0004030100"))
    eq(e.reason, "suboption-overrun", "reason")
    e = raises(DecodeError, P.parse_suboptions, h("010100 02"))
    eq(e.reason, "suboption-overrun", "reason (no length)")


def v_decode_errors():
    good = bootp_header() + COOKIE + h("350101 ff") + bytes(50)
    eq(P.decode(good).message_type, 1, "baseline decodes")
    _decode_error(good[:235], "truncated-header")
    _decode_error(b"", "truncated-header")
    _decode_error(good[:238], "bad-cookie")
    _decode_error(good[:236] + h("63825364") + good[240:], "bad-cookie")
    _decode_error(bytes([3]) + good[1:], "bad-op")
    _decode_error(good[:2] + bytes([17]) + good[3:], "bad-hlen")
    _decode_error(bootp_header() + COOKIE + h("350101 0c05 6162"), "option-overrun")
    _decode_error(bootp_header() + COOKIE + h("350101 0c"), "option-overrun")
    _decode_error(bootp_header() + COOKIE + h("350101 340104 ff") + bytes(40), "bad-overload")
    _decode_error(bootp_header() + COOKIE + h("350101 34020101 ff") + bytes(40), "bad-option-length")
    _decode_error(bootp_header() + COOKIE + h("35020101 ff") + bytes(40), "bad-option-length")
    garbage = h("0c7f") + bytes(126)  # option 12 claims 127 bytes in a 128-byte field
    _decode_error(bootp_header(file=garbage) + COOKIE + h("350101 340101 ff") + bytes(40), "bad-overload")


def v_decode_lenient():
    # pads inside the options, no END, bytes after END: all accepted
    p = P.decode(bootp_header() + COOKIE + h("00 00 350101 00 0c0161"))
    eq((p.message_type, p.get(12)), (1, b"a"), "no END")
    p = P.decode(bootp_header() + COOKIE + h("350101 ff 0c05"))
    eq(p.get(12), None, "bytes after END ignored")
    p = P.decode(bootp_header() + COOKIE)
    eq((p.options, p.message_type), ({}, None), "cookie only (BOOTP)")


def v_empty_packet():
    p = P.Packet()
    eq(
        (p.op, p.htype, p.hlen, p.xid, p.flags, p.options, p.option_order),
        (1, 1, 6, 0, 0, {}, []),
        "defaults",
    )
    raw = P.encode(p)
    eq(len(raw), 300, "padded to 300")
    eq(raw[:4], h("01010600"), "op htype hlen hops")
    eq(raw[236:241], h("63825363ff"), "cookie then END")
    eq(raw[241:], bytes(59), "zero padding")


def v_packet_api():
    p = P.Packet()
    p.set(12, b"host")
    p.set(3, h("c0000201"))
    p.set(12, b"other")
    eq(p.option_order, [12, 3], "set keeps first position")
    eq(p.get(12), b"other", "set replaces")
    p.remove(12)
    eq((p.option_order, p.get(12), p.get(12, b"d")), ([3], None, b"d"), "remove")
    raises(ValueError, p.set, 0, b"")
    raises(ValueError, p.set, 255, b"")
    raises(ValueError, p.set, 3, "text")
    eq(P.MESSAGE_TYPE_NAMES[8], "DHCPINFORM", "names")
    eq(P.MAGIC_COOKIE, h("63825363"), "cookie")
    p.set(55, bytes([1, 3, 6]))
    eq(p.requested_params(), [1, 3, 6], "requested_params")


def v_encode_fast_paths():
    # What the encoder's common path skips must still come out right: options put into ``options``
    # without set() go after the ordered ones, by code; bytearray payloads and fields encode as bytes do;
    # header fields that are not plain ints in range are refused.
    p = P.Packet(xid=7)
    p.set(53, b"\x02")
    p.set(6, h("c0000235"))
    p.options[3] = h("c0000201")  # not through set(): not in option_order
    p.options[1] = bytearray(h("ffffff00"))
    p.set(12, bytearray(b"host"))
    raw = P.encode(p)
    eq(
        raw[240:],
        h("350102" + "0604c0000235" + "0c04" + hx(b"host") + "0104ffffff00" + "0304c0000201" + "ff")
        + bytes(300 - 240 - 28),
        "hand-put options last, by code",
    )
    q = P.Packet(xid=7, ciaddr=bytearray(h("c0000209")), chaddr=h("aabbccddeeff"))
    eq(P.encode(q)[12:16], h("c0000209"), "bytearray field")
    eq(P.encode(q)[28:44], h("aabbccddeeff") + bytes(10), "short chaddr padded")
    for field, value in (("op", True), ("hops", -1), ("xid", -1), ("secs", 1 << 16), ("flags", 1.0)):
        bad = P.Packet()
        setattr(bad, field, value)
        e = raises(EncodeError, P.encode, bad)
        eq(e.reason, "bad-field", "%s=%r refused" % (field, value))
    top = P.Packet(
        op=255, htype=255, hlen=16, hops=255, xid=0xFFFFFFFF, secs=0xFFFF, flags=0xFFFF, chaddr=bytes(16)
    )
    eq(P.encode(top)[:12], h("ffff10ffffffffffffffffff"), "largest values")


def v_ip_helpers():
    eq(A.ip_to_bytes("192.0.2.1"), h("c0000201"), "ip_to_bytes")
    eq(A.bytes_to_ip(h("c0000201")), "192.0.2.1", "bytes_to_ip")
    eq(A.ip_to_int("10.0.0.1"), 0x0A000001, "ip_to_int")
    eq(A.int_to_ip(0xFFFFFFFF), "255.255.255.255", "int_to_ip")
    for bad in ("1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "", "1..2.3", " 1.2.3.4"):
        raises(ValueError, A.ip_to_bytes, bad)
    raises(ValueError, A.bytes_to_ip, b"\x01\x02\x03")
    raises(ValueError, A.int_to_ip, -1)
    raises(ValueError, A.int_to_ip, 1 << 32)


# ------------------------------------------------------------------ option text <-> wire
# (option name, csv text, wire hex, canonical text).  The canonical text is what
# wire_to_text gives; it parses back to the same wire.  Every row is also run with
# csv_format=False on the wire hex.

TEXT_VECTORS = [
    # ipv4-address
    ("subnet-mask", "255.255.255.0", "ffffff00", "255.255.255.0"),
    # dnr (RFC 9463 s5.1, worked by hand): per instance a length, priority, ADN length + name, address length +
    # addresses, SvcParams in key order; the second instance is ADN-only
    (
        "v4-dnr",
        "10, a.example., 192.0.2.1, alpn=dot | 20, b.example.",
        "001b 000a 0b 0161076578616d706c6500 04 c0000201 0001000403646f74 000e 0014 0b 0162076578616d706c6500",
        "10, a.example., 192.0.2.1, alpn=dot | 20, b.example.",
    ),
    ("routers", "192.0.2.1,  192.0.2.2", "c0000201 c0000202", "192.0.2.1, 192.0.2.2"),
    ("routers", "", "", ""),
    # int32 (RFC 2132 s3.4: two's complement)
    ("time-offset", "-18000", "ffffb9b0", "-18000"),
    ("time-offset", "0x10", "00000010", "16"),
    # string
    ("host-name", "client-1", "636c69656e742d31", "client-1"),
    ("boot-file-name", "foo\\,bar", "666f6f2c626172", "foo\\,bar"),
    ("domain-name", "example.org", "6578616d706c652e6f7267", "example.org"),
    # uint8 / uint16 / uint32
    ("default-ip-ttl", "64", "40", "64"),
    ("interface-mtu", "1500", "05dc", "1500"),
    ("dhcp-lease-time", "4294967295", "ffffffff", "4294967295"),
    ("dhcp-parameter-request-list", "1, 3, 6, 15, 119", "0103060f77", "1, 3, 6, 15, 119"),
    ("path-mtu-plateau-table", "68, 296", "0044 0128", "68, 296"),
    # boolean
    ("ip-forwarding", "true", "01", "true"),
    ("ip-forwarding", "0", "00", "false"),
    # binary
    ("dhcp-client-identifier", "01:02:5e:10:00:01", "01025e100001", "01025e100001"),
    ("dhcp-client-identifier", "0x0a0b", "0a0b", "0a0b"),
    ("user-class", "a0b", "0a0b", "0a0b"),
    # empty (an encapsulating empty option also takes its raw sub-options as hex)
    ("dhcp-agent-options", "", "", ""),
    ("vendor-encapsulated-options", "0104c0000201", "0104c0000201", "0104c0000201"),
    # fqdn (RFC 1035 labels), arrays of them
    ("v4-lost", "lost.example.com.", "046c6f7374 076578616d706c65 03636f6d 00", "lost.example.com"),
    (
        "domain-search",
        "example.com, sub.example.org",
        "076578616d706c6503636f6d00 03737562076578616d706c65036f726700",
        "example.com, sub.example.org",
    ),
    ("domain-search", "a\\.b.example", "03612e62 076578616d706c65 00", "a\\.b.example"),
    # tuple array
    (
        "v4-sztp-redirect",
        "https://a, https://b",
        "0968747470733a2f2f61 0968747470733a2f2f62",
        "https://a, https://b",
    ),
    # records
    (
        "fqdn",
        "5, 0, 0, host.example.com",
        "05 00 00 04686f7374 076578616d706c65 03636f6d 00",
        "5, 0, 0, host.example.com",
    ),
    (
        "slp-directory-agent",
        "true, 192.0.2.1, 192.0.2.2",
        "01 c0000201 c0000202",
        "true, 192.0.2.1, 192.0.2.2",
    ),
    ("slp-service-scope", "false, scope1", "00 73636f706531", "false, scope1"),
    ("client-ndi", "1, 2, 1", "010201", "1, 2, 1"),
    (
        "uuid-guid",
        "0, 00112233445566778899aabbccddeeff",
        "00 00112233445566778899aabbccddeeff",
        "0, 00112233445566778899aabbccddeeff",
    ),
    ("client-system", "7, 9", "0007 0009", "7, 9"),
    ("vivco-suboptions", "4491, 0401020304", "0000118b 0401020304", "4491, 0401020304"),
    (
        "rdnss-selection",
        "1, 192.0.2.1, 192.0.2.2, example.com, example.net",
        "01 c0000201 c0000202 076578616d706c6503636f6d00 076578616d706c65036e657400",
        "1, 192.0.2.1, 192.0.2.2, example.com, example.net",
    ),
    ("status-code", "0, all good", "00 616c6c20676f6f64", "0, all good"),
    # psid inside a record (RFC 7618; Kea's example: PSID 3 of length 4 -> 0011 0000 0000 0000b)
    ("v4-portparams", "2, 3/4", "02 04 3000", "2, 3/4"),
    # ipv6-address inside a record (RFC 5969 6rd)
    (
        "option-6rd",
        "10, 32, 2001:db8::, 192.0.2.1",
        "0a 20 20010db8000000000000000000000000 c0000201",
        "10, 32, 2001:db8::, 192.0.2.1",
    ),
    # classless static routes (RFC 3442), Kea >= 2.6 text and the hex form
    (
        "classless-static-route",
        "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 192.168.1.1",
        "19 0ae50080 0ae50001 00 c0a80101",
        "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 192.168.1.1",
    ),
    (
        "classless-static-route",
        "190ae500800ae5000100c0a80101",
        "19 0ae50080 0ae50001 00 c0a80101",
        "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 192.168.1.1",
    ),
    ("classless-static-route", "10.0.0.0/8-10.0.0.1", "08 0a 0a000001", "10.0.0.0/8 - 10.0.0.1"),
    # vivso (RFC 3925; Kea text is the enterprise number)
    ("vivso-suboptions", "4491", "0000118b 00", "4491"),
    ("vivso-suboptions", "4491 0102aa", "0000118b 03 0102aa", "4491 0102aa"),
    # not in Kea's table
    ("tftp-server-address", "192.0.2.10, 192.0.2.11", "c000020a c000020b", "192.0.2.10, 192.0.2.11"),
    ("wpad-url", "http://wpad/wpad.dat", "687474703a2f2f777061642f777061642e646174", "http://wpad/wpad.dat"),
]

# custom definitions for the types no standard option uses on its own
CUSTOM_DEFS = [
    ("int8", options4.make_def(224, "my-int8", "dhcp4", "int8"), "-1", "ff", "-1"),
    (
        "int8-array",
        options4.make_def(224, "my-int8s", "dhcp4", "int8", True),
        "-128, 127",
        "807f",
        "-128, 127",
    ),
    ("int16", options4.make_def(225, "my-int16", "dhcp4", "int16"), "-2", "fffe", "-2"),
    (
        "ipv6-address",
        options4.make_def(226, "my-v6", "dhcp4", "ipv6-address", True),
        "2001:DB8::1, ::ffff:192.0.2.1, ::",
        "20010db8000000000000000000000001 00000000000000000000ffffc0000201 00000000000000000000000000000000",
        "2001:db8::1, ::ffff:c000:201, ::",
    ),
    (
        "ipv6-address-rfc5952",
        options4.make_def(226, "my-v6b", "dhcp4", "ipv6-address"),
        "2001:0db8:0:0:1:0:0:1",
        "20010db8000000000001000000000001",
        "2001:db8::1:0:0:1",
    ),
    (
        "ipv6-prefix",
        options4.make_def(227, "my-prefix", "dhcp4", "ipv6-prefix"),
        "2001:db8:1::/48",
        "30 20010db80001",
        "2001:db8:1::/48",
    ),
    ("psid", options4.make_def(228, "my-psid", "dhcp4", "psid"), "0x34/8", "08 3400", "52/8"),
    ("tuple", options4.make_def(229, "my-tuple", "dhcp4", "tuple"), "hi", "02 6869", "hi"),
    (
        "uint32-array",
        options4.make_def(230, "my-u32s", "dhcp4", "uint32", True),
        "1, 0xffffffff",
        "00000001 ffffffff",
        "1, 4294967295",
    ),
    (
        "record-trailing-binary",
        options4.make_def(231, "my-rec", "dhcp4", "record", False, "uint16, ipv4-address, binary"),
        "7, 192.0.2.1, 0a0b",
        "0007 c0000201 0a0b",
        "7, 192.0.2.1, 0a0b",
    ),
    (
        "agent circuit-id",
        options4.by_name("circuit-id", "dhcp-agent-options-space"),
        "65:74:68:30",
        "65746830",
        "65746830",
    ),
    (
        "docsis oro",
        options4.by_name("oro", "vendor-4491"),
        "1, 2",
        "0102",
        "1, 2",
    ),
    (
        "agent link-selection",
        options4.by_name("link-selection", "dhcp-agent-options-space"),
        "192.0.2.0",
        "c0000200",
        "192.0.2.0",
    ),
]

# (option name or def, bad text, csv_format): each must raise OptionTextError
BAD_TEXT = [
    ("default-ip-ttl", "256", True),
    ("default-ip-ttl", "-1", True),
    ("default-ip-ttl", "ten", True),
    ("default-ip-ttl", "1, 2", True),
    ("default-ip-ttl", "", True),
    ("time-offset", "2147483648", True),
    ("subnet-mask", "255.255.255", True),
    ("subnet-mask", "255.255.255.0.1", True),
    ("routers", "192.0.2.1, nope", True),
    ("ip-forwarding", "yes", True),
    ("dhcp-client-identifier", "0g", True),
    ("dhcp-client-identifier", "01:0203", True),
    ("dhcp-client-identifier", "01:02 03", True),
    ("dhcp-agent-options", "circuit", True),
    ("host-name", "a,b", True),
    ("fqdn", "5, 0, host.example.com", True),
    ("fqdn", "5, 0, 0, host..example.com", True),
    ("domain-search", "a" * 64 + ".com", True),
    ("classless-static-route", "10.0.0.0/33 - 10.0.0.1", True),
    ("classless-static-route", "10.0.0.0 - 10.0.0.1", True),
    ("classless-static-route", "10.0.0.0/8 - 10.0.0", True),
    ("classless-static-route", "0a0a", True),
    ("vivso-suboptions", "x", True),
    ("v4-portparams", "2, 16/4", True),
    ("slp-directory-agent", "true", True),
    ("subnet-mask", "zz", False),
]

# (option name, wire hex): each must raise DecodeError("bad-option-data") in wire_to_text
BAD_WIRE = [
    ("subnet-mask", "ffffff"),
    ("routers", "c0000201c00002"),
    ("ip-forwarding", "02"),
    ("interface-mtu", "05"),
    ("domain-search", "076578616d706c65"),
    ("domain-search", "c000"),
    ("domain-search", "03616263c000"),
    ("classless-static-route", "21 0a000000 0a000001"),
    ("classless-static-route", "18 0a00 0a000001"),
    ("fqdn", "0500"),
    ("slp-directory-agent", "01"),
    ("host-name", "ff"),
    ("dhcp-requested-address", ""),
]


def _def(name):
    if isinstance(name, optiondef.OptionDef):
        return name
    d = options4.by_name(name)
    if d is None:
        raise Fail("no standard option named %r" % name)
    return d


def _check_text(defn, text, wire_hex, canonical):
    wire = h(wire_hex)
    eq(hx(optiondef.text_to_wire(defn, text)), hx(wire), "text_to_wire(%r)" % text)
    eq(optiondef.wire_to_text(defn, wire), canonical, "wire_to_text")
    eq(hx(optiondef.text_to_wire(defn, canonical)), hx(wire), "canonical text back to wire")
    eq(hx(optiondef.text_to_wire(defn, hx(wire), csv_format=False)), hx(wire), "csv_format=False hex")


def v_rfc3397_compression():
    # RFC 3397 s3's example: eng.apple.com and marketing.apple.com, the second
    # ending in a pointer to offset 4 ("apple.com").
    wire = h("03656e67 056170706c65 03636f6d 00 096d61726b6574696e67 c004")
    eq(
        optiondef.wire_to_text(options4.by_code(119), wire),
        "eng.apple.com, marketing.apple.com",
        "compressed domain-search",
    )
    eq(T.TYPES["fqdn"].read(wire, 15, len(wire))[1], len(wire), "pointer ends the name")


def v_rfc3442_table():
    # RFC 3442 s3: subnet number / mask width / destination descriptor
    rows = [
        ("0.0.0.0/0", "00"),
        ("10.0.0.0/8", "08 0a"),
        ("10.0.0.0/24", "18 0a 00 00"),
        ("10.17.0.0/16", "10 0a 11"),
        ("10.27.129.0/24", "18 0a 1b 81"),
        ("10.229.0.128/25", "19 0a e5 00 80"),
        ("10.198.122.47/32", "20 0a c6 7a 2f"),
    ]
    d = options4.by_code(121)
    for net, desc in rows:
        wire = h(desc + "c0000201")
        eq(hx(optiondef.text_to_wire(d, net + " - 192.0.2.1")), hx(wire), "descriptor of " + net)
        eq(optiondef.wire_to_text(d, wire), net + " - 192.0.2.1", "text of " + desc)
    # host bits past the width are zeroed (RFC 3442: the client MUST zero them)
    eq(hx(optiondef.text_to_wire(d, "10.1.2.3/8 - 192.0.2.1")), "080ac0000201", "masked")


def v_hex_forms():
    for text in ("0A0B", "0a:0b", "0a 0b", "0x0a0b", "a0b", "a:b", " 0a  0b ", "0X0A0B"):
        eq(optiondef.hex_to_bytes(text), h("0a0b"), "hex_to_bytes(%r)" % text)
    eq(optiondef.hex_to_bytes(""), b"", "empty hex")
    eq(optiondef.hex_to_bytes("f"), b"\x0f", "one digit")
    for bad in ("0x", "0g", "abc:def", "1:2 3", "::"):
        raises(OptionTextError, optiondef.hex_to_bytes, bad)


def v_split_csv():
    eq(optiondef.split_csv(" a , b\\,c ,d "), ["a", "b,c", "d"], "escaped comma")
    eq(optiondef.split_csv(""), [], "blank")
    eq(optiondef.split_csv("a,,b"), ["a", "", "b"], "empty field")
    eq(optiondef.split_csv("a\\b"), ["a\\b"], "other backslash kept")


def v_table_shape():
    for code, name in (
        (1, "subnet-mask"),
        (6, "domain-name-servers"),
        (43, "vendor-encapsulated-options"),
        (50, "dhcp-requested-address"),
        (61, "dhcp-client-identifier"),
        (66, "tftp-server-name"),
        (67, "boot-file-name"),
        (76, "streettalk-directory-assistance-server"),
        (77, "user-class"),
        (81, "fqdn"),
        (82, "dhcp-agent-options"),
        (93, "client-system"),
        (94, "client-ndi"),
        (97, "uuid-guid"),
        (108, "v6-only-preferred"),
        (119, "domain-search"),
        (121, "classless-static-route"),
        (124, "vivco-suboptions"),
        (125, "vivso-suboptions"),
        (150, "tftp-server-address"),
        (252, "wpad-url"),
    ):
        d = options4.by_code(code)
        eq(d is not None and d.name, name, "name of option %d" % code)
        eq(options4.by_name(name).code, code, "code of %s" % name)
    for code in range(1, 77):
        eq(options4.by_code(code) is not None, True, "RFC 2132 option %d present" % code)
    eq(options4.by_code(82).encapsulate, "dhcp-agent-options-space", "82 encapsulates")
    for code, name in (
        (1, "circuit-id"),
        (2, "remote-id"),
        (5, "link-selection"),
        (6, "subscriber-id"),
        (11, "server-id-override"),
        (12, "relay-id"),
        (19, "relay-port"),
    ):
        eq(options4.by_code(code, "dhcp-agent-options-space").name, name, "agent sub-option %d" % code)
    eq(options4.by_name("tftp-servers", "vendor-4491").code, 2, "DOCSIS3 vendor space")
    eq(options4.by_name("no-such-option"), None, "unknown name")
    eq(options4.by_code(200), None, "unknown code")
    eq((options4.by_code(3).type, options4.by_code(3).array), ("ipv4-address", True), "routers def")
    eq(options4.by_code(81).record_types, ("uint8", "uint8", "uint8", "fqdn"), "fqdn record")


def v_registry():
    reg = optiondef.OptionRegistry(options4.STANDARD)
    eq(reg.by_code(6).name, "domain-name-servers", "copy of standard")
    d = options4.make_def(224, "foo", "dhcp4", "uint32")
    reg.add(d)
    eq(reg.by_name("foo"), d, "added by name")
    eq(reg.by_code(224), d, "added by code")
    eq(options4.by_code(224), None, "standard untouched")
    raises(ValueError, reg.add, options4.make_def(224, "bar", "dhcp4", "uint8"))
    raises(ValueError, reg.add, options4.make_def(6, "dns2", "dhcp4", "uint8"))
    reg.add(options4.make_def(1, "cookie", "APC", "string"))
    eq(reg.by_name("cookie", "APC").code, 1, "own space")
    eq(optiondef.text_to_wire(reg.by_name("foo"), "12345"), h("00003039"), "custom def text")


def v_make_def_validation():
    raises(ValueError, options4.make_def, 0, "x", "dhcp4", "uint8")
    raises(ValueError, options4.make_def, 255, "x", "dhcp4", "uint8")
    raises(ValueError, options4.make_def, 300, "x", "dhcp4", "uint8")
    raises(ValueError, options4.make_def, 224, "", "dhcp4", "uint8")
    raises(ValueError, options4.make_def, 224, "bad name", "dhcp4", "uint8")
    raises(ValueError, options4.make_def, 224, "x", "dhcp4", "uint64")
    raises(ValueError, options4.make_def, 224, "x", "dhcp4", "record")
    raises(ValueError, options4.make_def, 224, "x", "dhcp4", "record", False, "string, uint8")
    raises(ValueError, options4.make_def, 224, "x", "dhcp4", "record", True, "uint8, binary")
    raises(ValueError, options4.make_def, 224, "x", "dhcp4", "uint8", False, "uint8")
    raises(ValueError, options4.make_def, 224, "x", "dhcp4", "string", True)
    d = options4.make_def(0, "zero", "my-space", "uint8")
    eq(d.code, 0, "code 0 allowed outside dhcp4")
    d = options4.make_def(224, "rec", "dhcp4", "record", True, "ipv4-address, uint16")
    eq(optiondef.text_to_wire(d, "192.0.2.100, 1, 2"), h("c0000264 0001 0002"), "record with array tail")


def _bad_text(name, text, csv):
    raises(OptionTextError, optiondef.text_to_wire, _def(name), text, csv)


def _bad_wire(name, wire_hex):
    e = raises(DecodeError, optiondef.wire_to_text, _def(name), h(wire_hex))
    eq(e.reason, "bad-option-data", "reason")


# ------------------------------------------------------------------ the list


def _vectors():
    out = []
    for vec in CAPTURED:
        out.append(("captured/" + vec["name"], (lambda v: lambda: _check_captured(v))(vec)))
    for name, fn in (
        ("packet/overload-both", v_overload_both),
        ("packet/overload-file-keeps-sname", v_overload_file_only_keeps_sname),
        ("packet/overload-concatenates-split", v_overload_concatenates_split_option),
        ("packet/rfc3396-split-decode", v_split_option_decode),
        ("packet/rfc3396-split-encode", v_encode_rfc3396_split),
        ("packet/encode-overload-into-file", v_encode_overload_into_file),
        ("packet/encode-overload-needs-empty-fields", v_encode_overload_needs_empty_fields),
        ("packet/option57-limits", v_option57_limits),
        ("packet/reply-echoes-option82", v_reply_echoes_relay_info),
        ("packet/suboption-overrun", v_suboption_overrun),
        ("packet/decode-errors", v_decode_errors),
        ("packet/decode-lenient", v_decode_lenient),
        ("packet/empty-packet", v_empty_packet),
        ("packet/api", v_packet_api),
        ("packet/encode-fast-paths", v_encode_fast_paths),
        ("packet/ip-helpers", v_ip_helpers),
        ("options/rfc3397-compression", v_rfc3397_compression),
        ("options/rfc3442-table", v_rfc3442_table),
        ("options/hex-forms", v_hex_forms),
        ("options/split-csv", v_split_csv),
        ("options/table-shape", v_table_shape),
        ("options/registry", v_registry),
        ("options/make-def-validation", v_make_def_validation),
    ):
        out.append((name, fn))
    for i, row in enumerate(TEXT_VECTORS):
        name, text, wire_hex, canonical = row
        out.append(
            (
                "text/%s#%d" % (name, i),
                (lambda n, t, w, c: lambda: _check_text(_def(n), t, w, c))(name, text, wire_hex, canonical),
            )
        )
    for label, defn, text, wire_hex, canonical in CUSTOM_DEFS:
        out.append(
            (
                "text/custom-" + label,
                (lambda d, t, w, c: lambda: _check_text(d, t, w, c))(defn, text, wire_hex, canonical),
            )
        )
    for i, row in enumerate(BAD_TEXT):
        out.append(("bad-text/%s#%d" % (row[0], i), (lambda r: lambda: _bad_text(r[0], r[1], r[2]))(row)))
    for i, row in enumerate(BAD_WIRE):
        out.append(("bad-wire/%s#%d" % (row[0], i), (lambda r: lambda: _bad_wire(r[0], r[1]))(row)))
    return out


VECTORS = _vectors()


def run(report=None):
    """Run every vector; returns (passed, failed, failure_messages)."""
    passed = 0
    failed = 0
    messages = []
    for name, check in VECTORS:
        try:
            check()
            ok, msg = True, ""
        except Exception as e:  # noqa: BLE001 - any exception is that vector's failure
            ok, msg = False, "%s: %s" % (type(e).__name__, e)
        if ok:
            passed += 1
        else:
            failed += 1
            messages.append("%s: %s" % (name, msg))
        if report is not None:
            report(name, ok, msg)
    return passed, failed, messages


if __name__ == "__main__":
    p, f, msgs = run()
    for m in msgs:
        print("FAIL " + m)
    print("vectors: %d passed, %d failed" % (p, f))
