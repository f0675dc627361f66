"""The expression language's machinery both families share: the lexer, Kea's two grammars (logical and
string expressions), the family-neutral terms (literals, functions, member/known/unknown) and the compiled
expression objects. The family terms (option, relay4/relay6, pkt4/pkt6, vendor) are edge/expr/terms4.py
and terms6.py; edge/expr/language.py puts them together.

Rules this module keeps:
- A Parser is given the family's term table, its option registry, top-level option space and largest
  option code; it knows no family itself. A term is a function (parser, allow_exists) -> (kind, closure)
  with kind "str" (the closure returns bytes) or "bool".
- Parse errors raise ExpressionError with the 0-based offset of the offending character.
- Closures are built once at parse time; evaluating is a handful of calls over a PacketView.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from collections.abc import Callable, Mapping
from typing import Any

from edge.expr.classes import KNOWN_CLASSES, is_built_in
from edge.expr.view import PacketView
from edge.wire import optiondef
from edge.wire.errors import DecodeError

__all__ = [
    "GENERIC_TERMS",
    "BoolFn",
    "EvalError",
    "Expression",
    "ExpressionError",
    "Parser",
    "StrFn",
    "StringExpression",
    "Term",
    "option_text",
    "other_family",
    "u32",
]

StrFn = Callable[[PacketView], bytes]
BoolFn = Callable[[PacketView], bool]

MAX_NESTING = 100  # Kea's grammar has no limit; this keeps a pathological test from exhausting the stack


class ExpressionError(ValueError):
    """A parse error: `message` says what, `offset` is where (0-based, into the expression text)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at character {offset + 1})")
        self.message = message
        self.offset = offset


class EvalError(Exception):
    """A value of the wrong shape met at run time (Kea's EvalTypeError): the class does not match."""


def u32(value: int) -> bytes:
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


def describe(tok: _Token) -> str:
    if tok.kind == "end":
        return "the end of the expression"
    return repr(tok.text)


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


def option_text(defn: Any, payload: bytes) -> bytes:
    """option[N].text: the payload as text; options whose type is not text-like are rendered as Kea
    writes their data (addresses dotted, numbers in decimal)."""
    if defn is None or defn.type in _TEXT_TYPES or defn.type == "record":
        return payload
    try:
        return str(optiondef.wire_to_text(defn, payload)).encode()
    except (DecodeError, ValueError):
        return payload


class Parser:
    def __init__(
        self,
        text: str,
        registry: optiondef.OptionRegistry,
        classes: Mapping[str, bool] | None,
        terms: Mapping[str, Term],
        space: str,
        max_code: int,
    ) -> None:
        self.text = text
        self.terms = terms  # the named terms of the family: generic ones plus option, pkt4/pkt6, ...
        self.space = space  # the family's top-level option space
        self.max_code = max_code
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
            raise ExpressionError(f"expected {what or repr(text)}, found {describe(tok)}", tok.offset)
        return self.take()

    def fail(self, message: str, tok: _Token | None = None) -> ExpressionError:
        tok = tok or self.tok
        return ExpressionError(message, tok.offset)

    def integer(self, what: str) -> int:
        tok = self.tok
        if tok.kind != "int":
            raise self.fail(f"expected {what} (an integer), found {describe(tok)}")
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
            raise self.fail(f"expected '==' after a string value, found {describe(self.tok)}")
        self.take()
        right = self.parse_string()
        return lambda v: left(v) == right(v)

    def parse_member(self) -> BoolFn:
        self.take()
        self.expect("(", "'(' after member")
        tok = self.tok
        if tok.kind != "str":
            raise self.fail(f"member() takes a class name in single quotes, found {describe(tok)}")
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
            packed = u32(number)
            return "str", lambda v: packed
        if tok.kind != "name":
            if tok.kind == "punct" and tok.text == "(":
                raise self.fail("parentheses group tests, not strings (no '(' here)")
            raise self.fail(f"expected a value, found {describe(tok)}")
        word = tok.text
        handler = self.terms.get(word)
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
        raise self.fail(f"expected hex, text or exists after {where}., found {describe(tok)}")

    def option_code(self, space: str, where: str) -> tuple[int, Any]:
        """The [CODE] or [NAME] after option/relay4/relay6; returns (code, definition or None)."""
        self.expect("[", f"'[' after {where}")
        tok = self.tok
        if tok.kind == "int":
            self.take()
            code = int(tok.text)
            if not 0 <= code <= self.max_code:
                raise self.fail(f"option code {code} is not in 0..{self.max_code}", tok)
            defn = self.registry.by_code(code, space)
        elif tok.kind == "name":
            self.take()
            defn = self.registry.by_name(tok.text, space)
            if defn is None:
                raise self.fail(f'unknown option "{tok.text}" in space "{space}"', tok)
            code = defn.code
        else:
            raise self.fail(f"expected an option code or name, found {describe(tok)}")
        self.expect("]", "']'")
        return code, defn

    # -- the named terms

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

    def finish(self) -> None:
        if self.tok.kind != "end":
            if self.tok.kind == "eq":
                raise self.fail("a test cannot be compared with '=='; only strings can")
            raise self.fail(f"unexpected {describe(self.tok)} after a complete expression")


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


Term = Callable[[Parser, bool], tuple[str, Any]]

# The named terms every family has (functions, and the test words that cannot stand for a value).
GENERIC_TERMS: dict[str, Term] = {
    "substring": Parser.term_substring,
    "concat": Parser.term_concat,
    "ifelse": Parser.term_ifelse,
    "hexstring": Parser.term_hexstring,
    "split": Parser.term_split,
    "lcase": Parser.term_case,
    "ucase": Parser.term_case,
    "addrtotext": Parser.term_addrtotext,
    **dict.fromkeys(_TO_TEXT, Parser.term_inttotext),
    "member": Parser.term_bool_word,
    "known": Parser.term_bool_word,
    "unknown": Parser.term_bool_word,
}


def other_family(word: str, family: str) -> Term:
    """A term of the other family: Kea's own refusal ("pkt6 can only be used in DHCPv6.")."""

    def refuse(p: Parser, allow_exists: bool) -> tuple[str, Any]:
        raise p.fail(f"{word} can only be used in {family}")

    return refuse
