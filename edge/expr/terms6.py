"""The DHCPv6 terms of the expression language, as Kea 2.2 evaluates them over a DHCPv6 message
(src/lib/eval/token.cc; the view is edge/expr/view.py PacketView6, supplied by the v6 engine):

    option[C|NAME].hex|text|exists      the client message's option (16-bit codes, dhcp6 space)
    option[C].option[S].hex|text|exists a sub-option of it (IA_NA's IAADDR, vendor sub-options ...)
    relay6[N].option[C].hex|text|exists an option of relay layer N
    relay6[N].peeraddr|linkaddr         relay layer N's addresses (16 bytes)
    pkt6.msgtype|transid                4-byte integers, as in Kea
    pkt.iface|src|dst|len               src and dst are 16-byte addresses
    vendor[ID|*].exists  vendor.enterprise  vendor[ID].option[S]...   vendor-opts (17)
    vendor-class[ID|*].exists  vendor-class.enterprise  vendor-class[ID].data[N]   vendor-class (16)

Rules this module keeps:
- relay6's nest level N is -32..31 (Kea's range): 0 is the relay closest to the server, -1 the one closest
  to the client. A level the message does not have reads as "" (fields) or as an absent option, as in Kea.
- relay6[N].option[C] takes a code (Kea's grammar allows no name there).
- relay4 and pkt4 are refused as Kea refuses them in DHCPv6.
"""

from __future__ import annotations

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
from edge.expr.view import PacketView6, RelayLayer

__all__ = ["HOP_COUNT_LIMIT", "TERMS6"]

HOP_COUNT_LIMIT = 32  # RFC 8415 section 7.6; Kea's nest-level range is -32..31
OPT_VENDOR_CLASS = 16
OPT_VENDOR_OPTS = 17

_PKT6_FIELDS: dict[str, StrFn] = {
    "msgtype": lambda v: u32(v.msg_type),  # type: ignore[attr-defined]
    "transid": lambda v: u32(v.transaction_id),  # type: ignore[attr-defined]
}
_PKT_FIELDS: dict[str, StrFn] = {
    "iface": lambda v: v.ifname.encode("utf-8", "replace"),
    "src": lambda v: bytes(v.src_address),  # type: ignore[attr-defined]
    "dst": lambda v: bytes(v.dst_address),  # type: ignore[attr-defined]
    "len": lambda v: u32(v.length),
}


def _representation(kind: str, defn: Any, get: Any) -> tuple[str, StrFn | BoolFn]:
    """The closure for .exists / .hex / .text over `get(view) -> bytes | None`."""
    if kind == "exists":
        return "bool", lambda v: get(v) is not None
    if kind == "hex":
        return "str", lambda v: get(v) or b""
    return "str", lambda v: option_text(defn, get(v) or b"")


def term_option(p: Parser, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
    p.take()
    code, defn = p.option_code(p.space, "option")
    if p.tok.text == "." and p.toks[p.i + 1].text == "option":
        p.take()
        p.take()
        space = (defn.encapsulate or defn.sub_space) if defn is not None else ""
        sub, subdef = p.option_code(space, f"option[{code}].option")
        rep = p.representation(allow_exists, f"option[{code}].option[{sub}]")
        return _representation(rep, subdef, lambda v: v.suboptions(code).get(sub))
    rep = p.representation(allow_exists, f"option[{code}]")
    return _representation(rep, defn, lambda v: v.option(code))


def _nest_level(p: Parser) -> int:
    p.expect("[", "'[' after relay6")
    tok = p.tok
    level = p.integer("a nest level")
    if not -HOP_COUNT_LIMIT <= level < HOP_COUNT_LIMIT:
        raise p.fail(f"nest level {level} is not in -{HOP_COUNT_LIMIT}..{HOP_COUNT_LIMIT - 1}", tok)
    p.expect("]", "']'")
    return level


def _layer(level: int) -> Any:
    """view -> relay layer `level` (negative: from the client side), or None when there is no such one."""

    def find(v: PacketView6) -> RelayLayer | None:
        relays = v.relays
        index = level if level >= 0 else len(relays) + level
        return relays[index] if 0 <= index < len(relays) else None

    return find


def term_relay6(p: Parser, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
    p.take()
    level = _nest_level(p)
    find = _layer(level)
    p.expect(".", f"'.' after relay6[{level}]")
    tok = p.take()
    if tok.kind == "name" and tok.text in ("peeraddr", "linkaddr"):
        attribute = "peer_address" if tok.text == "peeraddr" else "link_address"

        def field(v: PacketView6) -> bytes:
            layer = find(v)
            return bytes(getattr(layer, attribute)) if layer is not None else b""

        return "str", field
    if tok.kind != "name" or tok.text != "option":
        raise p.fail(f"relay6[{level}] has: option[CODE], peeraddr, linkaddr; not {describe(tok)}", tok)
    p.expect("[", f"'[' after relay6[{level}].option")
    code_tok = p.tok
    code = p.integer("an option code")
    if not 0 <= code <= p.max_code:
        raise p.fail(f"option code {code} is not in 0..{p.max_code}", code_tok)
    p.expect("]", "']'")
    defn = p.registry.by_code(code, p.space)
    rep = p.representation(allow_exists, f"relay6[{level}].option[{code}]")

    def get(v: PacketView6) -> bytes | None:
        layer = find(v)
        return layer.get(code) if layer is not None else None

    return _representation(rep, defn, get)


def _fields(word: str, table: dict[str, StrFn]) -> Term:
    def term(p: Parser, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        p.take()
        p.expect(".", f"'.' after {word}")
        tok = p.take()
        fn = table.get(tok.text) if tok.kind == "name" else None
        if fn is None:
            raise p.fail(f"{word} has: " + ", ".join(table) + f"; not {describe(tok)}", tok)
        return "str", fn

    return term


# ----------------------------------------------------------------------------------------- vendor options


def _vendor_opts(payload: bytes | None) -> tuple[int, dict[int, bytes]] | None:
    """vendor-opts (17): (enterprise number, first instance of each sub-option); None when malformed."""
    if payload is None or len(payload) < 4:
        return None
    subs: dict[int, bytes] = {}
    pos = 4
    while pos + 4 <= len(payload):
        code = int.from_bytes(payload[pos : pos + 2], "big")
        size = int.from_bytes(payload[pos + 2 : pos + 4], "big")
        data = payload[pos + 4 : pos + 4 + size]
        if len(data) != size:
            return None
        subs.setdefault(code, data)
        pos += 4 + size
    if pos != len(payload):
        return None
    return int.from_bytes(payload[:4], "big"), subs


def _vendor_class(payload: bytes | None) -> tuple[int, list[bytes]] | None:
    """vendor-class (16): (enterprise number, its data tuples); None when malformed."""
    if payload is None or len(payload) < 4:
        return None
    tuples: list[bytes] = []
    pos = 4
    while pos + 2 <= len(payload):
        size = int.from_bytes(payload[pos : pos + 2], "big")
        data = payload[pos + 2 : pos + 2 + size]
        if len(data) != size:
            return None
        tuples.append(data)
        pos += 2 + size
    if pos != len(payload):
        return None
    return int.from_bytes(payload[:4], "big"), tuples


def term_vendor(p: Parser, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
    word = p.take().text
    code = OPT_VENDOR_OPTS if word == "vendor" else OPT_VENDOR_CLASS
    read = _vendor_opts if word == "vendor" else _vendor_class
    if p.tok.text == ".":
        p.take()
        p.expect("enterprise", f"'enterprise' after {word}.")

        def enterprise(v: PacketView6) -> bytes:
            found = read(v.option(code))
            return u32(found[0]) if found is not None else b""

        return "str", enterprise
    wanted = p.enterprise(word)

    def instance(v: PacketView6) -> Any:
        found = read(v.option(code))
        if found is None or (wanted and found[0] != wanted):
            return None
        return found[1]

    p.expect(".", f"'.' after {word}[...]")
    tok = p.tok
    if tok.kind == "name" and tok.text == "exists":
        if not allow_exists:
            raise p.fail(f"{word}[...].exists is a test, not a value")
        p.take()
        return "bool", lambda v: instance(v) is not None
    if word == "vendor" and tok.text == "option":
        p.take()
        sub, subdef = p.option_code("vendor-%d" % wanted, "vendor[...].option")
        rep = p.representation(allow_exists, f"vendor[{wanted}].option[{sub}]")

        def get(v: PacketView6) -> bytes | None:
            subs = instance(v)
            return subs.get(sub) if subs else None

        return _representation(rep, subdef, get)
    if word == "vendor-class" and tok.text == "data":
        p.take()
        index = 0
        if p.tok.text == "[":
            p.take()
            index = p.integer("a data tuple index")
            p.expect("]", "']'")

        def chunk(v: PacketView6) -> bytes:
            tuples = instance(v) or []
            return tuples[index] if 0 <= index < len(tuples) else b""

        return "str", chunk
    raise p.fail(f"unexpected {describe(tok)} after {word}[...].")


TERMS6: dict[str, Term] = {
    **GENERIC_TERMS,
    "option": term_option,
    "relay6": term_relay6,
    "pkt6": _fields("pkt6", _PKT6_FIELDS),
    "pkt": _fields("pkt", _PKT_FIELDS),
    "vendor": term_vendor,
    "vendor-class": term_vendor,
    "relay4": other_family("relay4", "DHCPv4"),
    "pkt4": other_family("pkt4", "DHCPv4"),
}
