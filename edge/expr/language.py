"""Kea's client-classification expression language: parsed once at configuration load, evaluated per packet.

Rules this module keeps:
- The grammar is Kea's. As in Kea, there are two kinds of expression: logical ones (a class `test`) and
  string ones (values). They do not mix: `'a' and 'b'` and `option[1].exists == 'true'` are syntax errors in
  Kea 2.2 and here. Every value is a byte string; logical values are Python bools (Kea's 'true'/'false'
  strings can never reach a comparison, so nothing is lost).
- Supported (Kea 2.2, plus what later Kea added and the issue asks for):
    literals        'text'  0x0a0b (odd digit count: a 0 is prepended)  192.0.2.1 (4 bytes)  123 (4 bytes,
                    network order; inside substring/split it is the number)
    options         option[CODE|NAME].hex|text|exists  option[C].option[S].hex|text|exists
                    relay4[S].hex|text|exists (option 82 sub-options)
    packet          pkt4.mac|hlen|htype|ciaddr|giaddr|yiaddr|siaddr|msgtype|transid  pkt.iface|src|dst|len
                    (hlen, htype, msgtype, transid and len are 4-byte unsigned integers, as in Kea)
    vendor          vendor[ID|*].exists  vendor.enterprise  vendor[ID].option[S].hex|text|exists
                    vendor-class[ID|*].exists  vendor-class.enterprise  vendor-class[ID].data[N]
    functions       substring(s, start, length|all)  concat(a, b)  a + b  ifelse(cond, a, b)
                    hexstring(s, sep)  split(s, delims, n)  lcase(s)  ucase(s)  addrtotext(s)
                    int8totext .. uint32totext(s)
    logic           ==  and  or  not  ( )  member('CLASS')  known  unknown
  `not` binds tightest, then `and`, then `or`; `and`/`or` associate to the left (Kea's precedence).
- Parse errors raise ExpressionError with the 0-based offset of the offending character in the expression
  text, so the configuration loader can point at file:line:column. `member()` of a class that is neither
  built in nor defined earlier is an error, as in Kea (no forward references, no loops).
- Evaluation never raises out of `Expression.evaluate`... except EvalError, on purpose: Kea treats a runtime
  type error (addrtotext of 3 bytes) as "this class does not match" and logs it; the classifier does that.

Theory of operation: a small lexer turns the text into tokens with offsets; a recursive-descent parser
follows Kea's two grammars (logical, string) and builds closures directly, one per node, so evaluating a
test is a handful of Python calls over a PacketView and no tree is walked at run time. While parsing it
records whether the expression depends on KNOWN/UNKNOWN (directly, or through member() of a class that
does): such classes are evaluated after the host reservation lookup, as in Kea.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from collections.abc import Callable, Container, Mapping
from typing import Any

from edge.expr.classes import KNOWN_CLASSES, is_built_in
from edge.wire import optiondef, options4
from edge.wire import pkt4 as wire
from edge.wire.errors import DecodeError

__all__ = [
    "EvalError",
    "Expression",
    "ExpressionError",
    "PacketView",
    "StringExpression",
    "compile_string",
    "compile_test",
]

StrFn = Callable[["PacketView"], bytes]
BoolFn = Callable[["PacketView"], bool]

MAX_NESTING = 100  # Kea's grammar has no limit; this keeps a pathological test from exhausting the stack


class ExpressionError(ValueError):
    """A parse error: `message` says what, `offset` is where (0-based, into the expression text)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at character {offset + 1})")
        self.message = message
        self.offset = offset


class EvalError(Exception):
    """A value of the wrong shape met at run time (Kea's EvalTypeError): the class does not match."""


class PacketView:
    """What an expression may look at: the decoded request and where it came from, plus the classes the
    packet belongs to so far (for member/known/unknown)."""

    __slots__ = ("packet", "ifname", "src_ip", "dst_ip", "length", "classes", "_subs")

    def __init__(
        self,
        packet: wire.Packet,
        ifname: str = "",
        src_ip: int = 0,
        dst_ip: int = 0,
        length: int = 0,
        classes: Container[str] = (),
    ) -> None:
        self.packet = packet
        self.ifname = ifname
        self.src_ip = src_ip
        self.dst_ip = dst_ip
        self.length = length
        self.classes = classes
        self._subs: dict[int, dict[int, bytes]] = {}

    def suboptions(self, code: int) -> dict[int, bytes]:
        """Sub-options of option `code` (first instance of each sub-code); {} when absent or malformed."""
        found = self._subs.get(code)
        if found is None:
            found = {}
            payload = self.packet.options.get(code)
            if payload:
                try:
                    for sub, value in wire.parse_suboptions(payload):
                        found.setdefault(sub, value)
                except DecodeError:
                    found = {}
            self._subs[code] = found
        return found


def _u32(value: int) -> bytes:
    return struct.pack("!I", value & 0xFFFFFFFF)


# ----------------------------------------------------------------------------------------------- lexer

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<ip>\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?![\d.])
  | (?P<hex>0[xX][0-9A-Fa-f]+)
  | (?P<int>-?\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<str>'[^']*')
  | (?P<eq>==)
  | (?P<punct>[\[\]().,+*])
    """,
    re.VERBOSE,
)


class _Token:
    __slots__ = ("kind", "text", "offset")

    def __init__(self, kind: str, text: str, offset: int) -> None:
        self.kind = kind
        self.text = text
        self.offset = offset

    def __repr__(self) -> str:
        return f"{self.kind}:{self.text!r}@{self.offset}"


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            if text[pos] == "'":
                raise ExpressionError("a string is never closed (strings are 'single-quoted')", pos)
            if text[pos] == "=":
                raise ExpressionError("'=' is not an operator; compare with '=='", pos)
            raise ExpressionError(f"unexpected character {text[pos]!r}", pos)
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(_Token(kind, m.group(), pos))
        pos = m.end()
    out.append(_Token("end", "", len(text)))
    return out


def _describe(tok: _Token) -> str:
    if tok.kind == "end":
        return "the end of the expression"
    return repr(tok.text)


# ----------------------------------------------------------------------------------------------- parser

_PKT4_FIELDS: dict[str, StrFn] = {
    "mac": lambda v: bytes(v.packet.chaddr[: min(v.packet.hlen, 16)]),
    "hlen": lambda v: _u32(v.packet.hlen),
    "htype": lambda v: _u32(v.packet.htype),
    "ciaddr": lambda v: bytes(v.packet.ciaddr),
    "giaddr": lambda v: bytes(v.packet.giaddr),
    "yiaddr": lambda v: bytes(v.packet.yiaddr),
    "siaddr": lambda v: bytes(v.packet.siaddr),
    "msgtype": lambda v: _u32(v.packet.message_type or 0),
    "transid": lambda v: _u32(v.packet.xid),
}
_PKT_FIELDS: dict[str, StrFn] = {
    "iface": lambda v: v.ifname.encode("utf-8", "replace"),
    "src": lambda v: _u32(v.src_ip),
    "dst": lambda v: _u32(v.dst_ip),
    "len": lambda v: _u32(v.length),
}
_TO_TEXT = {
    "int8totext": (1, True),
    "int16totext": (2, True),
    "int32totext": (4, True),
    "uint8totext": (1, False),
    "uint16totext": (2, False),
    "uint32totext": (4, False),
}
_TEXT_TYPES = frozenset({"string", "binary", "empty", "fqdn", "tuple"})


def _substring(value: bytes, start: int, length: int | None) -> bytes:
    """Kea's substring: negative start counts from the end; negative length counts back from start."""
    size = len(value)
    if not value or start < -size or start >= size:
        return b""
    if start < 0:
        start += size
    if length is None:
        length = size
    if length < 0:
        length = -length
        if length <= start:
            start -= length
        else:
            length = start
            start = 0
    return value[start : start + length]


def _split(value: bytes, delimiters: bytes, field: int) -> bytes:
    """Kea's split: fields numbered from 1; adjacent delimiters make empty fields; out of range is ''."""
    if not value:
        return b""
    if not delimiters:
        return value
    fields = re.split(b"[" + re.escape(delimiters) + b"]", value)
    if field < 1 or field > len(fields):
        return b""
    return fields[field - 1]


def _to_text(size: int, signed: bool) -> StrFn:
    def convert(value: bytes) -> bytes:
        if not value:
            return b""
        if len(value) != size:
            raise EvalError(f"cannot convert {len(value)} bytes to a {size * 8}-bit integer")
        return str(int.from_bytes(value, "big", signed=signed)).encode()

    return convert  # type: ignore[return-value]


def _addr_to_text(value: bytes) -> bytes:
    if not value:
        return b""
    if len(value) == 4:
        return str(ipaddress.IPv4Address(value)).encode()
    if len(value) == 16:
        return str(ipaddress.IPv6Address(value)).encode()
    raise EvalError(f"cannot convert {len(value)} bytes to an address")


def _option_text(defn: Any, payload: bytes) -> bytes:
    """option[N].text: the payload as text; options whose type is not text-like are rendered as Kea
    writes their data (addresses dotted, numbers in decimal)."""
    if defn is None or defn.type in _TEXT_TYPES or defn.type == "record":
        return payload
    try:
        return str(optiondef.wire_to_text(defn, payload)).encode()
    except (DecodeError, ValueError):
        return payload


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


class _Parser:
    def __init__(
        self,
        text: str,
        registry: optiondef.OptionRegistry,
        classes: Mapping[str, bool] | None,
    ) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.registry = registry
        # class name -> does it depend on KNOWN/UNKNOWN; None: accept any name (no check possible)
        self.classes = classes
        self.depends_on_known = False
        self.members: list[str] = []
        self.depth = 0

    # -- token helpers
    @property
    def tok(self) -> _Token:
        return self.toks[self.i]

    def take(self) -> _Token:
        tok = self.toks[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def peek_name(self, *names: str) -> bool:
        return self.tok.kind == "name" and self.tok.text in names

    def expect(self, text: str, what: str = "") -> _Token:
        tok = self.tok
        if tok.text != text or tok.kind in ("str", "end"):
            raise ExpressionError(f"expected {what or repr(text)}, found {_describe(tok)}", tok.offset)
        return self.take()

    def fail(self, message: str, tok: _Token | None = None) -> ExpressionError:
        tok = tok or self.tok
        return ExpressionError(message, tok.offset)

    def integer(self, what: str) -> int:
        tok = self.tok
        if tok.kind != "int":
            raise self.fail(f"expected {what} (an integer), found {_describe(tok)}")
        self.take()
        return int(tok.text)

    # -- logical expressions
    def parse_bool(self) -> BoolFn:
        left = self.parse_and()
        while self.peek_name("or"):
            self.take()
            right = self.parse_and()
            left = (lambda a, b: lambda v: a(v) or b(v))(left, right)
        return left

    def parse_and(self) -> BoolFn:
        left = self.parse_not()
        while self.peek_name("and"):
            self.take()
            right = self.parse_not()
            left = (lambda a, b: lambda v: a(v) and b(v))(left, right)
        return left

    def parse_not(self) -> BoolFn:
        self.enter()
        try:
            if self.peek_name("not"):
                self.take()
                inner = self.parse_not()
                return lambda v: not inner(v)
            return self.parse_bool_atom()
        finally:
            self.depth -= 1

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(f"the expression nests more than {MAX_NESTING} levels deep")

    def parse_bool_atom(self) -> BoolFn:
        tok = self.tok
        if tok.text == "(" and tok.kind == "punct":
            self.take()
            inner = self.parse_bool()
            self.expect(")", "')' closing the '('")
            return inner
        if tok.kind == "name" and tok.text == "member":
            return self.parse_member()
        if tok.kind == "name" and tok.text in ("known", "unknown"):
            self.take()
            self.depends_on_known = True
            if tok.text == "known":
                return lambda v: "KNOWN" in v.classes
            return lambda v: "KNOWN" not in v.classes
        # A string expression compared with ==, or an `.exists` test (which starts like a string).
        kind, fn = self.parse_term(allow_exists=True)
        if kind == "bool":
            return fn  # type: ignore[return-value]
        left = self.parse_string_tail(fn)  # type: ignore[arg-type]
        if self.tok.kind != "eq":
            if self.tok.kind == "end" and self.i > 0 and self.toks[self.i - 1].kind != "end":
                raise self.fail("a string is not a test: compare it with '==' (e.g. ... == 'value')")
            raise self.fail(f"expected '==' after a string value, found {_describe(self.tok)}")
        self.take()
        right = self.parse_string()
        return lambda v: left(v) == right(v)

    def parse_member(self) -> BoolFn:
        self.take()
        self.expect("(", "'(' after member")
        tok = self.tok
        if tok.kind != "str":
            raise self.fail(f"member() takes a class name in single quotes, found {_describe(tok)}")
        self.take()
        name = tok.text[1:-1]
        self.expect(")", "')' closing member(")
        if self.classes is not None and not is_built_in(name) and name not in self.classes:
            raise ExpressionError(
                f"member('{name}'): class \"{name}\" is not defined before this one (a class may only "
                "use built-in classes and classes defined above it)",
                tok.offset,
            )
        if name in KNOWN_CLASSES or (self.classes is not None and self.classes.get(name)):
            self.depends_on_known = True
        self.members.append(name)
        return lambda v: name in v.classes

    # -- string expressions
    def parse_string(self) -> StrFn:
        self.enter()
        try:
            kind, fn = self.parse_term(allow_exists=False)
            return self.parse_string_tail(fn)  # type: ignore[arg-type]
        finally:
            self.depth -= 1

    def parse_string_tail(self, left: StrFn) -> StrFn:
        while self.tok.kind == "punct" and self.tok.text == "+":
            self.take()
            _, right = self.parse_term(allow_exists=False)
            left = (lambda a, b: lambda v: a(v) + b(v))(left, right)  # type: ignore[operator]
        return left

    def parse_term(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        tok = self.tok
        if tok.kind == "str":
            self.take()
            value = tok.text[1:-1].encode("utf-8")
            return "str", lambda v: value
        if tok.kind == "hex":
            self.take()
            digits = tok.text[2:]
            if len(digits) % 2:
                digits = "0" + digits
            hexvalue = bytes.fromhex(digits)
            return "str", lambda v: hexvalue
        if tok.kind == "ip":
            self.take()
            try:
                packed = ipaddress.IPv4Address(tok.text).packed
            except ValueError:
                raise self.fail(f"{tok.text} is not an IPv4 address", tok) from None
            return "str", lambda v: packed
        if tok.kind == "int":
            self.take()
            number = int(tok.text)
            if not 0 <= number <= 0xFFFFFFFF:
                raise self.fail(f"{tok.text} does not fit in a 32-bit unsigned integer", tok)
            packed = _u32(number)
            return "str", lambda v: packed
        if tok.kind != "name":
            if tok.kind == "punct" and tok.text == "(":
                raise self.fail("parentheses group tests, not strings (no '(' here)")
            raise self.fail(f"expected a value, found {_describe(tok)}")
        word = tok.text
        handler = self._TERMS.get(word)
        if handler is None:
            if word in ("and", "or", "not"):
                raise self.fail(f"'{word}' needs a test on its left and right")
            raise self.fail(f"unknown name '{word}'")
        return handler(self, allow_exists)

    def args(self, *kinds: str) -> list[Any]:
        """Parse '(' arguments ')' of the given kinds: 'str', 'bool', 'int', 'len' (int or all)."""
        name_tok = self.take()
        self.expect("(", f"'(' after {name_tok.text}")
        out: list[Any] = []
        for index, kind in enumerate(kinds):
            if index:
                self.expect(",", f"',' between the arguments of {name_tok.text}()")
            if kind == "str":
                out.append(self.parse_string())
            elif kind == "bool":
                out.append(self.parse_bool())
            elif kind == "int":
                out.append(self.integer(f"argument {index + 1} of {name_tok.text}()"))
            elif kind == "len":
                if self.peek_name("all"):
                    self.take()
                    out.append(None)
                else:
                    out.append(self.integer(f"the length of {name_tok.text}() (or all)"))
        if self.tok.text == ",":
            raise self.fail(f"{name_tok.text}() takes {len(kinds)} arguments")
        self.expect(")", f"')' closing {name_tok.text}(")
        return out

    def representation(self, allow_exists: bool, where: str) -> str:
        self.expect(".", f"'.hex', '.text' or '.exists' after {where}")
        tok = self.tok
        if tok.kind == "name" and tok.text in ("hex", "text", "exists"):
            if tok.text == "exists" and not allow_exists:
                raise self.fail(f"{where}.exists is a test, not a value: it cannot be compared or combined")
            self.take()
            return tok.text
        raise self.fail(f"expected hex, text or exists after {where}., found {_describe(tok)}")

    def option_code(self, space: str, where: str) -> tuple[int, Any]:
        """The [CODE] or [NAME] after option/relay4; returns (code, definition or None)."""
        self.expect("[", f"'[' after {where}")
        tok = self.tok
        if tok.kind == "int":
            self.take()
            code = int(tok.text)
            if not 0 <= code <= 255:
                raise self.fail(f"option code {code} is not in 0..255", tok)
            defn = self.registry.by_code(code, space)
        elif tok.kind == "name":
            self.take()
            defn = self.registry.by_name(tok.text, space)
            if defn is None:
                raise self.fail(f'unknown option "{tok.text}" in space "{space}"', tok)
            code = defn.code
        else:
            raise self.fail(f"expected an option code or name, found {_describe(tok)}")
        self.expect("]", "']'")
        return code, defn

    # -- the named terms
    def term_option(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        self.take()
        code, defn = self.option_code(options4.DHCP4_SPACE, "option")
        if self.tok.text == "." and self.toks[self.i + 1].text == "option":
            self.take()
            self.take()
            space = defn.encapsulate if defn is not None and defn.encapsulate else ""
            sub, subdef = self.option_code(space, f"option[{code}].option")
            rep = self.representation(allow_exists, f"option[{code}].option[{sub}]")
            return self._sub_value(code, sub, subdef, rep)
        rep = self.representation(allow_exists, f"option[{code}]")
        if rep == "exists":
            return "bool", lambda v: code in v.packet.options
        if rep == "hex":
            return "str", lambda v: v.packet.options.get(code, b"")
        return "str", lambda v: _option_text(defn, v.packet.options.get(code, b""))

    def _sub_value(self, code: int, sub: int, subdef: Any, rep: str) -> tuple[str, StrFn | BoolFn]:
        if rep == "exists":
            return "bool", lambda v: sub in v.suboptions(code)
        if rep == "hex":
            return "str", lambda v: v.suboptions(code).get(sub, b"")
        return "str", lambda v: _option_text(subdef, v.suboptions(code).get(sub, b""))

    def term_relay4(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        self.take()
        sub, subdef = self.option_code(options4.AGENT_SPACE, "relay4")
        rep = self.representation(allow_exists, f"relay4[{sub}]")
        return self._sub_value(wire.OPT_RELAY_AGENT_INFO, sub, subdef, rep)

    def term_pkt4(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        self.take()
        self.expect(".", "'.' after pkt4")
        tok = self.take()
        fn = _PKT4_FIELDS.get(tok.text) if tok.kind == "name" else None
        if fn is None:
            raise self.fail("pkt4 has: " + ", ".join(_PKT4_FIELDS) + f"; not {_describe(tok)}", tok)
        return "str", fn

    def term_pkt(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        self.take()
        self.expect(".", "'.' after pkt")
        tok = self.take()
        fn = _PKT_FIELDS.get(tok.text) if tok.kind == "name" else None
        if fn is None:
            raise self.fail("pkt has: " + ", ".join(_PKT_FIELDS) + f"; not {_describe(tok)}", tok)
        return "str", fn

    def enterprise(self, where: str) -> int:
        """[ID] or [*] after vendor/vendor-class; 0 means any."""
        self.expect("[", f"'[' after {where}")
        if self.tok.text == "*":
            self.take()
            value = 0
        else:
            value = self.integer("an enterprise id or *")
            if not 0 <= value <= 0xFFFFFFFF:
                raise self.fail(f"enterprise id {value} is not a 32-bit number", self.toks[self.i - 1])
        self.expect("]", "']'")
        return value

    def term_vendor(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        word = self.take().text
        code = 125 if word == "vendor" else 124
        if self.tok.text == ".":
            self.take()
            self.expect("enterprise", f"'enterprise' after {word}.")

            def enterprise(v: PacketView) -> bytes:
                found = _vendor_instances(v.packet.options.get(code, b""))
                return _u32(found[0][0]) if found else b""

            return "str", enterprise
        wanted = self.enterprise(word)

        def instance(v: PacketView) -> bytes | None:
            found = _vendor_instances(v.packet.options.get(code, b""))
            if not found or (wanted and found[0][0] != wanted):
                return None
            return found[0][1]

        self.expect(".", f"'.' after {word}[...]")
        tok = self.tok
        if tok.kind == "name" and tok.text == "exists":
            if not allow_exists:
                raise self.fail(f"{word}[...].exists is a test, not a value")
            self.take()
            return "bool", lambda v: instance(v) is not None
        if code == 125 and tok.text == "option":
            self.take()
            space = "vendor-%d" % wanted
            sub, subdef = self.option_code(space, "vendor[...].option")
            rep = self.representation(allow_exists, f"vendor[{wanted}].option[{sub}]")

            def subs(v: PacketView) -> dict[int, bytes]:
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
            return "str", lambda v: _option_text(subdef, subs(v).get(sub, b""))
        if code == 124 and tok.text == "data":
            self.take()
            index = 0
            if self.tok.text == "[":
                self.take()
                index = self.integer("a data chunk index")
                self.expect("]", "']'")

            def chunk(v: PacketView) -> bytes:
                data = instance(v)
                chunks = _vivco_chunks(data) if data else []
                return chunks[index] if 0 <= index < len(chunks) else b""

            return "str", chunk
        raise self.fail(f"unexpected {_describe(tok)} after {word}[...].")

    def term_substring(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        value, start, length = self.args("str", "int", "len")
        return "str", lambda v: _substring(value(v), start, length)

    def term_concat(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        a, b = self.args("str", "str")
        return "str", lambda v: a(v) + b(v)

    def term_ifelse(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        cond, a, b = self.args("bool", "str", "str")
        return "str", lambda v: a(v) if cond(v) else b(v)

    def term_hexstring(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        value, sep = self.args("str", "str")
        return "str", lambda v: sep(v).join(b"%02x" % byte for byte in value(v))

    def term_split(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        value, delims, field = self.args("str", "str", "int")
        return "str", lambda v: _split(value(v), delims(v), field)

    def term_case(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        lower = self.tok.text == "lcase"
        (value,) = self.args("str")
        if lower:
            return "str", lambda v: value(v).lower()
        return "str", lambda v: value(v).upper()

    def term_addrtotext(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        (value,) = self.args("str")
        return "str", lambda v: _addr_to_text(value(v))

    def term_inttotext(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        size, signed = _TO_TEXT[self.tok.text]
        (value,) = self.args("str")
        convert = _to_text(size, signed)
        return "str", lambda v: convert(value(v))  # type: ignore[arg-type]

    def term_bool_word(self, allow_exists: bool) -> tuple[str, StrFn | BoolFn]:
        raise self.fail(f"'{self.tok.text}' is a test, not a value")

    _TERMS: dict[str, Callable[[_Parser, bool], tuple[str, Any]]] = {
        "option": term_option,
        "relay4": term_relay4,
        "pkt4": term_pkt4,
        "pkt": term_pkt,
        "vendor": term_vendor,
        "vendor-class": term_vendor,
        "substring": term_substring,
        "concat": term_concat,
        "ifelse": term_ifelse,
        "hexstring": term_hexstring,
        "split": term_split,
        "lcase": term_case,
        "ucase": term_case,
        "addrtotext": term_addrtotext,
        **dict.fromkeys(_TO_TEXT, term_inttotext),
        "member": term_bool_word,
        "known": term_bool_word,
        "unknown": term_bool_word,
    }

    def finish(self) -> None:
        if self.tok.kind != "end":
            if self.tok.kind == "eq":
                raise self.fail("a test cannot be compared with '=='; only strings can")
            raise self.fail(f"unexpected {_describe(self.tok)} after a complete expression")


class Expression:
    """A compiled logical expression (a class test)."""

    __slots__ = ("source", "depends_on_known", "members", "_fn")

    def __init__(self, source: str, fn: BoolFn, depends_on_known: bool, members: tuple[str, ...]) -> None:
        self.source = source
        self._fn = fn
        self.depends_on_known = depends_on_known
        self.members = members

    def evaluate(self, view: PacketView) -> bool:
        """True or False; raises EvalError for a run-time type error (the caller treats it as False)."""
        try:
            return bool(self._fn(view))
        except EvalError:
            raise
        except (IndexError, ValueError, struct.error) as exc:  # malformed packet data
            raise EvalError(str(exc)) from exc

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


class StringExpression:
    """A compiled string expression (e.g. a flex-id identifier expression)."""

    __slots__ = ("source", "depends_on_known", "_fn")

    def __init__(self, source: str, fn: StrFn, depends_on_known: bool) -> None:
        self.source = source
        self._fn = fn
        self.depends_on_known = depends_on_known

    def evaluate(self, view: PacketView) -> bytes:
        try:
            return self._fn(view)
        except EvalError:
            raise
        except (IndexError, ValueError, struct.error) as exc:
            raise EvalError(str(exc)) from exc


def compile_test(
    text: str,
    registry: optiondef.OptionRegistry | None = None,
    classes: Mapping[str, bool] | None = None,
) -> Expression:
    """Parse a class `test`. `classes` maps the names a member() may use (classes defined earlier) to
    whether each depends on KNOWN/UNKNOWN; None accepts any name. Raises ExpressionError."""
    if not text.strip():
        raise ExpressionError("the expression is empty", 0)
    parser = _Parser(text, registry or options4.STANDARD, classes)
    fn = parser.parse_bool()
    parser.finish()
    return Expression(text, fn, parser.depends_on_known, tuple(parser.members))


def compile_string(
    text: str,
    registry: optiondef.OptionRegistry | None = None,
    classes: Mapping[str, bool] | None = None,
) -> StringExpression:
    """Parse a string expression (a value, not a test). Raises ExpressionError."""
    if not text.strip():
        raise ExpressionError("the expression is empty", 0)
    parser = _Parser(text, registry or options4.STANDARD, classes)
    fn = parser.parse_string()
    parser.finish()
    return StringExpression(text, fn, parser.depends_on_known)
