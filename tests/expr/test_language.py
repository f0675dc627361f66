"""Kea's classification expression language: every operator on Kea's documented examples, the errors with
their positions, the KNOWN dependency, and a fuzz run that only ever gets ExpressionError."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.expr.language import EvalError, ExpressionError, PacketView4, compile_string, compile_test
from edge.wire import pkt4 as wire


def request(**options: bytes) -> wire.Packet:
    pkt = wire.Packet()
    pkt.op = wire.BOOTREQUEST
    pkt.xid = 0x01020304
    pkt.chaddr = bytes.fromhex("0a0b0c0d0e0f") + bytes(10)
    pkt.ciaddr = bytes((192, 0, 2, 10))
    pkt.giaddr = bytes((10, 1, 1, 1))
    pkt.set(53, b"\x03")
    for name, value in options.items():
        pkt.set(int(name.removeprefix("o")), value)
    return pkt


def view(pkt: wire.Packet | None = None, classes: tuple[str, ...] = ("ALL",)) -> PacketView4:
    return PacketView4(pkt or request(), "eth1", 0x0A010101, 0xC0000201, 321, {c: None for c in classes})


def true(text: str, v: PacketView4 | None = None) -> bool:
    return compile_test(text).evaluate(v or view())


def value(text: str, v: PacketView4 | None = None) -> bytes:
    return compile_string(text).evaluate(v or view())


# Kea's manual (classify.rst), section "Substring", every example.
@pytest.mark.parametrize(
    "expression",
    [
        "substring('foobar', 0, 6) == 'foobar'",
        "substring('foobar', 3, 3) == 'bar'",
        "substring('foobar', 3, all) == 'bar'",
        "substring('foobar', 1, 4) == 'ooba'",
        "substring('foobar', -5, 4) == 'ooba'",
        "substring('foobar', -1, -3) == 'oba'",
        "substring('foobar', 4, -2) == 'ob'",
        "substring('foobar', 10, 2) == ''",
        # Kea's section "Split", every example, and the two edge cases it describes.
        "split ('one.two..four', '.', 1) == 'one'",
        "split ('one.two..four', '.', 2) == 'two'",
        "split ('one.two..four', '.', 3) == ''",
        "split ('one.two..four', '.', 4) == 'four'",
        "split ('one.two..four', '.', 5) == ''",
        "split('a.b', '', 1) == 'a.b'",
        "split('', '.', 1) == ''",
        "concat('foo', 'bar') == 'foobar'",
        "'abc' + 'def' + 'ghi' == concat(concat('abc', 'def'), 'ghi')",
        "ifelse('foo' == 'bar', 'us', 'them') == 'them'",
        "hexstring('foo', '-') == '66-6f-6f'",
        "hexstring(pkt4.mac, ':') == '0a:0b:0c:0d:0e:0f'",
        "lcase('LoWeR') == 'lower' and ucase('uPpEr') == 'UPPER'",
        "0x5a7d == 'Z}' and 0x5a7 == 0x05a7",
        "10.0.0.1 == 0x0a000001",
        "123 == 0x0000007b",
        "addrtotext(192.10.0.1) == '192.10.0.1'",
        "int8totext(0xff) == '-1' and uint8totext(0xff) == '255'",
        "int16totext(0xffff) == '-1' and uint16totext(0xffff) == '65535'",
        "int32totext(0xffffffff) == '-1' and uint32totext(0xffffffff) == '4294967295'",
        "uint32totext('') == ''",
        "not ('foo' == 'bar')",
        # precedence: not > and > or, left to right
        "'a' == 'b' and 'a' == 'b' or 'a' == 'a'",
        "not 'a' == 'b' and 'x' == 'x'",
    ],
)
def test_documented_examples_hold(expression: str) -> None:
    assert true(expression), expression


def test_packet_fields_are_kea_shaped() -> None:
    v = view()
    assert value("pkt4.mac", v) == bytes.fromhex("0a0b0c0d0e0f")
    assert value("pkt4.hlen", v) == struct.pack("!I", 6) and value("pkt4.htype", v) == struct.pack("!I", 1)
    assert value("pkt4.ciaddr", v) == bytes((192, 0, 2, 10)) and value("pkt4.giaddr", v) == bytes(
        (10, 1, 1, 1)
    )
    assert value("pkt4.yiaddr", v) == bytes(4) and value("pkt4.siaddr", v) == bytes(4)
    assert value("pkt4.msgtype", v) == struct.pack("!I", 3) and value("pkt4.transid", v) == bytes(
        (1, 2, 3, 4)
    )
    assert value("pkt.iface", v) == b"eth1" and value("pkt.len", v) == struct.pack("!I", 321)
    assert value("pkt.src", v) == bytes((10, 1, 1, 1)) and value("pkt.dst", v) == bytes((192, 0, 2, 1))
    assert true("pkt4.msgtype == 3 and pkt.iface == 'eth1'", v)


def test_options_sub_options_and_relay_agent_information() -> None:
    agent = wire.build_suboptions([(1, b"Gi1/0/17"), (2, b"floor-2")])
    v = view(request(o60=b"PXEClient:Arch:00007", o82=agent, o12=b"host", o50=bytes((192, 0, 2, 99))))
    assert true("option[60].exists and not option[61].exists", v)
    assert true("substring(option[60].hex, 0, 9) == 'PXEClient'", v)
    assert true("option[vendor-class-identifier].text == 'PXEClient:Arch:00007'", v)
    assert true("option[82].option[1].hex == 'Gi1/0/17' and option[82].option[2].exists", v)
    assert true(
        "relay4[2].hex == 'floor-2' and relay4[circuit-id].text == 'Gi1/0/17' and not relay4[5].exists", v
    )
    assert true("option[61].hex == '' and option[82].option[9].hex == ''", v)
    # .text renders typed options the way Kea writes their data
    assert true("option[50].text == '192.0.2.99' and option[12].text == 'host'", v)


def test_vendor_options() -> None:
    vivso = struct.pack("!IB", 4491, 7) + bytes((2, 5)) + b"ABCDE"
    vivco = struct.pack("!IB", 4491, 10) + bytes((9,)) + b"docsis3.0"
    v = view(request(o125=vivso, o124=vivco))
    assert true("vendor[4491].exists and vendor[*].exists and not vendor[9].exists", v)
    assert true("vendor.enterprise == 4491 and vendor[4491].option[2].hex == 'ABCDE'", v)
    assert true("vendor-class[4491].exists and vendor-class.enterprise == 4491", v)
    assert true("vendor-class[4491].data == 'docsis3.0' and vendor-class[4491].data[1] == ''", v)


def test_member_known_unknown_read_the_packet_classes() -> None:
    assert true("member('ALL') and not member('KNOWN') and unknown and not known")
    assert true("known and member('KNOWN') and member('gold')", view(classes=("ALL", "KNOWN", "gold")))


def test_known_dependency_is_found_directly_and_through_member() -> None:
    classes = {"direct": True, "plain": False}
    assert compile_test("unknown", classes=classes).depends_on_known
    assert compile_test("member('KNOWN')", classes=classes).depends_on_known
    assert compile_test("member('direct') or 'a' == 'b'", classes=classes).depends_on_known
    assert not compile_test("member('plain') and member('ALL')", classes=classes).depends_on_known


def test_a_run_time_type_error_is_an_eval_error() -> None:
    with pytest.raises(EvalError):
        compile_test("addrtotext('abc') == ''").evaluate(view())
    with pytest.raises(EvalError):
        compile_test("uint16totext('a') == ''").evaluate(view())


@pytest.mark.parametrize(
    "expression, offset, words",
    [
        ("option[1].exists == 'true'", 17, "cannot be compared"),  # a test is not a value (Kea agrees)
        ("'a' and 'b'", 4, "expected '=='"),
        ("option[60].hex", 14, "compare it with '=='"),
        ("substring('abc', 0)", 18, "','"),
        ("substring(option[60].hex, 0, 'x') == ''", 29, "integer"),
        ("member('later')", 7, "not defined before"),
        ("pkt4.bogus == 1", 5, "pkt4 has"),
        ("option[nonsense].hex == ''", 7, 'unknown option "nonsense"'),
        ("option[300].hex == ''", 7, "0..255"),
        ("'abc == 'x'", 10, "never closed"),
        ("option[1].hex = 'x'", 14, "'=='"),
        ("lcase('A')", 10, "compare it"),
        ("known and", 9, "expected a value"),
        ("(option[1].exists", 17, "')'"),
        ("", 0, "empty"),
        ("option[1].exists $", 17, "unexpected character"),
        ("4294967296 == 1", 0, "32-bit"),
        ("(" * 120 + "known" + ")" * 120, 100, "nests more than"),
    ],
)
def test_errors_say_what_and_where(expression: str, offset: int, words: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_test(expression, classes={"earlier": False})
    assert caught.value.offset == offset, caught.value
    assert words in caught.value.message


TOKENS = st.sampled_from(
    [
        "option",
        "[",
        "]",
        "(",
        ")",
        ".",
        ",",
        "==",
        "+",
        "and",
        "or",
        "not",
        "hex",
        "text",
        "exists",
        "60",
        "-1",
        "'x'",
        "0x0a",
        "10.0.0.1",
        "substring",
        "concat",
        "ifelse",
        "split",
        "member",
        "'ALL'",
        "known",
        "pkt4",
        "mac",
        "relay4",
        "all",
        "vendor",
        "vendor-class",
        "*",
        "data",
        "enterprise",
        "hexstring",
        "lcase",
        "$",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(TOKENS, max_size=25))
def test_any_token_soup_parses_or_raises_expression_error(tokens: list[str]) -> None:
    text = " ".join(tokens)
    try:
        expr = compile_test(text)
    except ExpressionError as err:
        assert 0 <= err.offset <= len(text)
        return
    try:
        expr.evaluate(view(request(o60=b"abc")))
    except EvalError:
        pass
