"""The DHCPv4 terms of the expression language: option[C] (8-bit codes, dhcp4 space), relay4[S] (option 82
sub-options), pkt4.FIELD, pkt.FIELD with 4-byte addresses, vendor[ID] (option 125) and vendor-class[ID]
(option 124), as Kea 2.2 evaluates them over a DHCPv4 packet (edge/expr/view.py PacketView4).

Rules this module keeps: integers (hlen, htype, msgtype, transid, len, addresses of pkt) are 4-byte
network-order strings, as in Kea; relay6 and pkt6 are refused as Kea refuses them in DHCPv4.
"""

from __future__ import annotations

import struct
from typing import Any

from edge.expr.parser import (
    GENERIC_TERMS,
    BoolFn,
    Parser,
    StrFn,
    Term,
    describe,
    option_text,
    other_family,
    u32,
)
from edge.expr.view import PacketView4
from edge.wire import options4
from edge.wire import pkt4 as wire
from edge.wire.errors import DecodeError

__all__ = ["TERMS4"]

_PKT4_FIELDS: dict[str, StrFn] = {
    "mac": lambda v: bytes(v.packet.chaddr[: min(v.packet.hlen, 16)]),
    "hlen": lambda v: u32(v.packet.hlen),
    "htype": lambda v: u32(v.packet.htype),
    "ciaddr": lambda v: bytes(v.packet.ciaddr),
    "giaddr": lambda v: bytes(v.packet.giaddr),
    "yiaddr": lambda v: bytes(v.packet.yiaddr),
    "siaddr": lambda v: bytes(v.packet.siaddr),
    "msgtype": lambda v: u32(v.packet.message_type or 0),
    "transid": lambda v: u32(v.packet.xid),
}
_PKT_FIELDS: dict[str, StrFn] = {
    "iface": lambda v: v.ifname.encode("utf-8", "replace"),
    "src": lambda v: u32(v.src_ip),
    "dst": lambda v: u32(v.dst_ip),
    "len": lambda v: u32(v.length),
}


def _vendor_instances(payload: bytes) -> list[tuple[int, bytes]]:
    """(enterprise id, data) for each enterprise block of option 124 or 125 (RFC 3925)."""
    out = []
    pos = 0
    while pos + 5 <= len(payload):
        enterprise = struct.unpack_from("!I", payload, pos)[0]
        size = payload[pos + 4]
        data = payload[pos + 5 : pos + 5 + size]
        if len(data) != size:
            break
        out.append((enterprise, data))
        pos += 5 + size
    return out


def _vivco_chunks(data: bytes) -> list[bytes]:
    """The vendor-class-data chunks of one option 124 enterprise block (each: 1-byte length, data)."""
    chunks = []
    pos = 0
    while pos < len(data):
        size = data[pos]
        chunks.append(data[pos + 1 : pos + 1 + size])
        pos += 1 + size
    return chunks


def term_option(p: Parser, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
    p.take()
    code, defn = p.option_code(options4.DHCP4_SPACE, "option")
    if p.tok.text == "." and p.toks[p.i + 1].text == "option":
        p.take()
        p.take()
        space = defn.encapsulate if defn is not None and defn.encapsulate else ""
        sub, subdef = p.option_code(space, f"option[{code}].option")
        rep = p.representation(allow_exists, f"option[{code}].option[{sub}]")
        return _sub_value(code, sub, subdef, rep)
    rep = p.representation(allow_exists, f"option[{code}]")
    if rep == "exists":
        return "bool", lambda v: code in v.packet.options
    if rep == "hex":
        return "str", lambda v: v.packet.options.get(code, b"")
    return "str", lambda v: option_text(defn, v.packet.options.get(code, b""))


def _sub_value(code: int, sub: int, subdef: Any, rep: str) -> tuple[str, StrFn | BoolFn]:
    if rep == "exists":
        return "bool", lambda v: sub in v.suboptions(code)
    if rep == "hex":
        return "str", lambda v: v.suboptions(code).get(sub, b"")
    return "str", lambda v: option_text(subdef, v.suboptions(code).get(sub, b""))


def term_relay4(p: Parser, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
    p.take()
    sub, subdef = p.option_code(options4.AGENT_SPACE, "relay4")
    rep = p.representation(allow_exists, f"relay4[{sub}]")
    return _sub_value(wire.OPT_RELAY_AGENT_INFO, sub, subdef, rep)


def term_pkt4(p: Parser, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
    p.take()
    p.expect(".", "'.' after pkt4")
    tok = p.take()
    fn = _PKT4_FIELDS.get(tok.text) if tok.kind == "name" else None
    if fn is None:
        raise p.fail("pkt4 has: " + ", ".join(_PKT4_FIELDS) + f"; not {describe(tok)}", tok)
    return "str", fn


def term_pkt(p: Parser, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
    p.take()
    p.expect(".", "'.' after pkt")
    tok = p.take()
    fn = _PKT_FIELDS.get(tok.text) if tok.kind == "name" else None
    if fn is None:
        raise p.fail("pkt has: " + ", ".join(_PKT_FIELDS) + f"; not {describe(tok)}", tok)
    return "str", fn


def term_vendor(p: Parser, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
    word = p.take().text
    code = 125 if word == "vendor" else 124
    if p.tok.text == ".":
        p.take()
        p.expect("enterprise", f"'enterprise' after {word}.")

        def enterprise(v: PacketView4) -> bytes:
            found = _vendor_instances(v.packet.options.get(code, b""))
            return u32(found[0][0]) if found else b""

        return "str", enterprise
    wanted = p.enterprise(word)

    def instance(v: PacketView4) -> bytes | None:
        found = _vendor_instances(v.packet.options.get(code, b""))
        if not found or (wanted and found[0][0] != wanted):
            return None
        return found[0][1]

    p.expect(".", f"'.' after {word}[...]")
    tok = p.tok
    if tok.kind == "name" and tok.text == "exists":
        if not allow_exists:
            raise p.fail(f"{word}[...].exists is a test, not a value")
        p.take()
        return "bool", lambda v: instance(v) is not None
    if code == 125 and tok.text == "option":
        p.take()
        space = "vendor-%d" % wanted
        sub, subdef = p.option_code(space, "vendor[...].option")
        rep = p.representation(allow_exists, f"vendor[{wanted}].option[{sub}]")

        def subs(v: PacketView4) -> dict[int, bytes]:
            data = instance(v)
            if not data:
                return {}
            try:
                out: dict[int, bytes] = {}
                for key, value in wire.parse_suboptions(data):
                    out.setdefault(key, value)
                return out
            except DecodeError:
                return {}

        if rep == "exists":
            return "bool", lambda v: sub in subs(v)
        if rep == "hex":
            return "str", lambda v: subs(v).get(sub, b"")
        return "str", lambda v: option_text(subdef, subs(v).get(sub, b""))
    if code == 124 and tok.text == "data":
        p.take()
        index = 0
        if p.tok.text == "[":
            p.take()
            index = p.integer("a data chunk index")
            p.expect("]", "']'")

        def chunk(v: PacketView4) -> bytes:
            data = instance(v)
            chunks = _vivco_chunks(data) if data else []
            return chunks[index] if 0 <= index < len(chunks) else b""

        return "str", chunk
    raise p.fail(f"unexpected {describe(tok)} after {word}[...].")


TERMS4: dict[str, Term] = {
    **GENERIC_TERMS,
    "option": term_option,
    "relay4": term_relay4,
    "pkt4": term_pkt4,
    "pkt": term_pkt,
    "vendor": term_vendor,
    "vendor-class": term_vendor,
    "relay6": other_family("relay6", "DHCPv6"),
    "pkt6": other_family("pkt6", "DHCPv6"),
}
