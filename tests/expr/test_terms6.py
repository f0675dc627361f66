"""DHCPv6 expressions: pkt6, relay6, option[] with 16-bit codes, vendor terms, evaluated over real DHCPv6
messages (encoded and decoded by edge.wire.pkt6) through the PacketView6 interface, as the v6 engine will."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

import pytest

from edge.expr.language import ExpressionError, PacketView6, compile_string, compile_test
from edge.expr.view import RelayLayer
from edge.wire import pkt6
from edge.wire.errors import DecodeError
from edge.wire.payloads6 import build_options, build_vendor_class, build_vendor_opts, parse_options

CLIENT = ipaddress.IPv6Address("fe80::1").packed
RELAY_NEAR_CLIENT = ipaddress.IPv6Address("2001:db8:1::1").packed
RELAY_NEAR_SERVER = ipaddress.IPv6Address("2001:db8:ff::1").packed
SERVER = ipaddress.IPv6Address("2001:db8:ff::547").packed
IA_HEADER = 12  # IAID, T1, T2


class WireView6(PacketView6):
    """The test's PacketView6 over a decoded edge.wire.pkt6.Packet6 (the v6 engine supplies its own)."""

    __slots__ = ("packet", "src", "dst")

    def __init__(self, packet: pkt6.Packet6, src: bytes, dst: bytes, ifname: str = "eth1", length: int = 0):
        super().__init__(ifname, length, {"ALL": None})
        self.packet, self.src, self.dst = packet, src, dst

    @property
    def msg_type(self) -> int:
        return self.packet.msg_type

    @property
    def transaction_id(self) -> int:
        return self.packet.transaction_id

    @property
    def src_address(self) -> bytes:
        return self.src

    @property
    def dst_address(self) -> bytes:
        return self.dst

    def option(self, code: int) -> bytes | None:
        return self.packet.get(code)

    def suboptions(self, code: int) -> Mapping[int, bytes]:
        payload = self.packet.get(code)
        if payload is None:
            return {}
        start = IA_HEADER if code in (3, 25) else 4 if code == 4 else 0
        try:
            found: dict[int, bytes] = {}
            for sub, value in parse_options(payload, start):
                found.setdefault(sub, value)
            return found
        except DecodeError:
            return {}

    @property
    def relays(self) -> Sequence[RelayLayer]:
        return self.packet.relays


def solicit() -> pkt6.Packet6:
    ia_na = (
        (1).to_bytes(4, "big")
        + bytes(8)
        + build_options([(5, ipaddress.IPv6Address("2001:db8:1::77").packed + bytes(8))])
    )
    return pkt6.Packet6(
        pkt6.SOLICIT,
        0xABCDEF,
        [
            (1, bytes.fromhex("00030001aabbccddeeff")),
            (3, ia_na),
            (16, build_vendor_class(4491, [b"docsis3.0", b"second"])),
            (17, build_vendor_opts(4491, [(1, b"\x00\x20"), (36, b"ECM")])),
            (8, b"\x00\x00"),
        ],
    )


def relayed() -> WireView6:
    """A SOLICIT through two relays, decoded from its wire bytes."""
    inner = solicit()
    inner.relays = [
        pkt6.Relay(pkt6.RELAY_FORW, 1, RELAY_NEAR_CLIENT, RELAY_NEAR_SERVER, [(18, b"port-7")]),
        pkt6.Relay(
            pkt6.RELAY_FORW, 0, RELAY_NEAR_CLIENT, CLIENT, [(18, b"eth0"), (37, b"\x00\x00\x0d\xe9rid")]
        ),
    ]
    data = pkt6.encode6(inner)
    return WireView6(pkt6.decode6(data), RELAY_NEAR_SERVER, SERVER, length=len(data))


def direct() -> WireView6:
    data = pkt6.encode6(solicit())
    return WireView6(pkt6.decode6(data), CLIENT, ipaddress.IPv6Address("ff02::1:2").packed, length=len(data))


def true(text: str, view: WireView6) -> bool:
    return compile_test(text, family=6).evaluate(view)


def value(text: str, view: WireView6) -> bytes:
    return compile_string(text, family=6).evaluate(view)


def test_pkt6_fields_are_four_byte_integers_as_in_kea() -> None:
    v = direct()
    assert value("pkt6.msgtype", v) == b"\x00\x00\x00\x01"
    assert value("pkt6.transid", v) == b"\x00\xab\xcd\xef"
    assert true("pkt6.msgtype == 1", v) and not true("pkt6.msgtype == 3", v)


def test_pkt_fields_carry_sixteen_byte_addresses() -> None:
    v = relayed()
    assert value("pkt.src", v) == RELAY_NEAR_SERVER and value("pkt.dst", v) == SERVER
    assert value("addrtotext(pkt.src)", v) == b"2001:db8:ff::1"
    assert value("pkt.iface", v) == b"eth1" and value("pkt.len", v) == v.length.to_bytes(4, "big")


def test_options_use_sixteen_bit_codes_and_the_dhcp6_names() -> None:
    v = direct()
    assert true("option[1].exists", v) and true("option[clientid].exists", v)
    assert value("option[1].hex", v) == bytes.fromhex("00030001aabbccddeeff")
    assert not true("option[23].exists", v) and value("option[dns-servers].hex", v) == b""
    assert true("option[elapsed-time].exists", v)
    with pytest.raises(ExpressionError, match="not in 0..65535"):
        compile_test("option[65536].exists", family=6)
    compile_test("option[1026].exists", family=6)  # above 255: fine in DHCPv6


def test_sub_options_of_an_ia_na() -> None:
    v = direct()
    assert true("option[3].option[5].exists", v)
    assert (
        value("substring(option[3].option[5].hex, 0, 16)", v)
        == ipaddress.IPv6Address("2001:db8:1::77").packed
    )
    assert not true("option[3].option[13].exists", v)


def test_relay6_counts_from_the_server_side_and_negative_from_the_client_side() -> None:
    v = relayed()
    assert value("relay6[0].peeraddr", v) == RELAY_NEAR_SERVER
    assert value("relay6[1].peeraddr", v) == CLIENT
    assert value("relay6[-1].peeraddr", v) == CLIENT and value("relay6[-2].linkaddr", v) == RELAY_NEAR_CLIENT
    assert value("relay6[0].option[18].hex", v) == b"port-7"
    assert value("relay6[1].option[18].hex", v) == b"eth0"
    assert true("relay6[1].option[37].exists", v) and not true("relay6[0].option[37].exists", v)
    # a level the message does not have: "" and absent, as in Kea
    assert value("relay6[2].linkaddr", v) == b"" and not true("relay6[5].option[18].exists", v)
    assert (
        value("relay6[0].peeraddr", direct()) == b"" and value("relay6[-1].option[18].hex", direct()) == b""
    )


def test_relay6_needs_a_level_in_kea_range_and_an_option_code() -> None:
    for text, words in (
        ("relay6[32].peeraddr == 0x00", "nest level 32 is not in -32..31"),
        ("relay6[-33].peeraddr == 0x00", "nest level -33"),
        ("relay6[0].option[dns-servers].exists", "an option code"),
        ("relay6[0].hops == 0x00", "relay6[0] has: option[CODE], peeraddr, linkaddr"),
    ):
        with pytest.raises(ExpressionError) as caught:
            compile_test(text, family=6)
        assert words in caught.value.message


def test_vendor_terms_read_options_17_and_16() -> None:
    v = direct()
    assert true("vendor[4491].exists", v) and true("vendor[*].exists", v) and not true("vendor[9].exists", v)
    assert value("vendor.enterprise", v) == (4491).to_bytes(4, "big")
    assert value("vendor[4491].option[36].hex", v) == b"ECM"
    assert true("vendor[4491].option[1].exists", v) and not true("vendor[4491].option[2].exists", v)
    assert true("vendor-class[4491].exists", v) and value("vendor-class.enterprise", v) == (4491).to_bytes(
        4, "big"
    )
    assert value("vendor-class[4491].data", v) == b"docsis3.0"
    assert (
        value("vendor-class[4491].data[1]", v) == b"second" and value("vendor-class[4491].data[2]", v) == b""
    )


def test_vendor_class_id_is_kea_classify_by_vendor() -> None:
    assert direct().vendor_class_id() == b"docsis3.0"  # a DOCSIS tuple wins over the first one
    plain = solicit()
    plain.set(16, build_vendor_class(9, [b"acme", b"docsis4"]))
    assert WireView6(plain, CLIENT, SERVER).vendor_class_id() == b"acme"
    plain.remove(16)
    assert WireView6(plain, CLIENT, SERVER).vendor_class_id() is None


def test_the_families_refuse_each_others_terms_as_kea_does() -> None:
    with pytest.raises(ExpressionError, match="pkt4 can only be used in DHCPv4"):
        compile_test("pkt4.mac == 0x00", family=6)
    with pytest.raises(ExpressionError, match="relay4 can only be used in DHCPv4"):
        compile_test("relay4[1].exists", family=6)
    with pytest.raises(ExpressionError, match="relay6 can only be used in DHCPv6"):
        compile_test("relay6[0].peeraddr == 0x00", family=4)
    with pytest.raises(ExpressionError, match="pkt6 can only be used in DHCPv6"):
        compile_test("pkt6.msgtype == 1", family=4)
    with pytest.raises(ExpressionError, match="not in 0..255"):
        compile_test("option[1026].exists", family=4)


def test_a_kea_style_v6_class_test_combines_terms() -> None:
    test = "relay6[0].option[18].hex == 'port-7' and (pkt6.msgtype == 1 or pkt6.msgtype == 3)"
    assert true(test, relayed()) and not true(test, direct())
