"""dhcpd expressions (dhcp-eval(5)) -> Kea 2.2 client-class expressions.

Rules this module keeps:
- Parsing checks what dhcpd checks: a `match if` needs a boolean expression ("Expecting a boolean
  expression."), `and`/`or`/`not` take booleans, `=`/`!=` compare data; errors name the token's line.
- Constants are folded the way dhcpd evaluates them (substring, suffix, concat, encode-int on literals),
  and logical noise is removed (`not not X` is X, `not (A != B)` is A == B), so the Kea expression is
  as simple as the meaning allows.
- Only Kea 2.2's language is written: option[N].hex / .exists, relay4[N] for relay-agent sub-options,
  option[N].option[M] for other encapsulated spaces, vendor[E].option[M] for vivso spaces, pkt4.mac and
  pkt4.htype for `hardware`, substring, concat, member('KNOWN') for `known`, ==, not, and, or, and
  string or hex literals. Anything else (regular expressions, lcase/ucase, packet(), binary-to-ascii,
  pick-first-value, variables, ...) raises Untranslatable with the reason; nothing is guessed.

Theory of operation: a recursive-descent parser over the statement's tokens builds small nodes (tuples
tagged by kind). `fold` simplifies them; `to_kea` renders, putting parentheses around compound operands
of `and`/`or`/`not` as keama does, so outputs compare equal to keama's where keama is right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge.migrate.common import MigrationError, Untranslatable
from edge.migrate.dhcpd.options import HEX_LIST, OptionInfo
from edge.migrate.dhcpd.syntax import Token

MAX_DEPTH = 100  # parentheses and function calls; deeper is not a real configuration

__all__ = ["Expr", "ExprParser", "constant_boolean", "constant_data", "describe", "fold", "literal", "to_kea"]

# Functions dhcpd knows that Kea 2.2 has no equivalent for, with what they do (for the note).
NO_KEA_EQUIVALENT = {
    "lcase": "lower-casing (Kea 2.2 has no lcase)",
    "ucase": "upper-casing (Kea 2.2 has no ucase)",
    "packet": "raw packet bytes",
    "reverse": "byte-group reversal",
    "binary-to-ascii": "binary-to-ascii conversion",
    "pick-first-value": "pick-first-value",
    "extract-int": "integer extraction",
    "leased-address": "the leased address",
    "host-decl-name": "the host declaration's name",
    "config-option": "server configuration options",
    "gethostname": "the server's host name",
    "lease-time": "the lease time",
    "client-state": "the client state",
    "filename": "the configured file name",
    "server-name": "the configured server name",
    "null": "the null value",
    "variable": "a variable",
    "defined": "variable definitions",
    "static": "static (fixed-address) clients",
    "regex": "regular-expression matching (~= and ~~)",
    "suffix-of-hardware": "hardware-address suffixes",
}


@dataclass(frozen=True)
class Expr:
    kind: str  # lit num opt exists hardware func cmp not and or known static
    args: tuple = ()
    value: bytes = b""
    hex: bool = False  # a literal written (or best shown) as hex
    option: OptionInfo | None = None
    boolean: bool = False
    line: int = 0


def literal(data: bytes, hex_form: bool = False) -> Expr:
    return Expr("lit", value=data, hex=hex_form)


class ExprParser:
    """Parses one expression from `toks[start:]`; `resolve(token)` maps an option name to OptionInfo."""

    def __init__(
        self, toks: list[Token], start: int, source: str, line: int, resolve: Callable[[Token], OptionInfo]
    ) -> None:
        self.toks = toks
        self.i = start
        self.source = source
        self.line = line
        self.resolve = resolve
        self.depth = 0

    # -- tokens

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def fail(self, message: str) -> MigrationError:
        tok = self.peek()
        return MigrationError(self.source, tok.line if tok is not None else self.line, message)

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.fail("expression ends too early")
        self.i += 1
        return tok

    def expect(self, punct: str) -> None:
        tok = self.peek()
        if tok is None or not tok.is_punct(punct):
            raise self.fail(f"'{punct}' expected" + (f", got {tok.shown()}" if tok else ""))
        self.i += 1

    def at_word(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.is_word(word)

    # -- grammar

    def boolean(self) -> Expr:
        """A whole boolean expression (what `match if` and `if` take)."""
        start = self.peek()
        e = self.any()
        if not e.boolean:
            raise MigrationError(
                self.source, start.line if start else self.line, "Expecting a boolean expression."
            )
        return e

    def data(self) -> Expr:
        start = self.peek()
        e = self.any()
        if e.boolean:
            raise MigrationError(
                self.source, start.line if start else self.line, "Expecting a data expression."
            )
        return e

    def any(self) -> Expr:
        left = self.and_expr()
        terms = 1
        while self.at_word("or"):
            self.i += 1
            terms += 1
            if terms > MAX_DEPTH:
                raise self.fail(f"more than {MAX_DEPTH} terms joined by 'or'")
            right = self.and_expr()
            left = Expr("or", (self.need_bool(left), self.need_bool(right)), boolean=True)
        return left

    def and_expr(self) -> Expr:
        left = self.not_expr()
        terms = 1
        while self.at_word("and"):
            self.i += 1
            terms += 1
            if terms > MAX_DEPTH:
                raise self.fail(f"more than {MAX_DEPTH} terms joined by 'and'")
            right = self.not_expr()
            left = Expr("and", (self.need_bool(left), self.need_bool(right)), boolean=True)
        return left

    def need_bool(self, e: Expr) -> Expr:
        if not e.boolean:
            raise self.fail("Expecting a boolean expression.")
        return e

    def not_expr(self) -> Expr:
        negations = 0
        while self.at_word("not"):
            self.i += 1
            negations += 1
            if negations > MAX_DEPTH:
                raise self.fail(f"more than {MAX_DEPTH} 'not's in a row")
        e = self.comparison()
        for _ in range(negations):
            e = Expr("not", (self.need_bool(e),), boolean=True)
        return e

    def comparison(self) -> Expr:
        left = self.primary()
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.value in ("=", "!=", "~=", "~~"):
            self.i += 1
            right = self.primary()
            if left.boolean or right.boolean:
                raise self.fail("Expecting a data expression.")
            return Expr("cmp", (tok.value, left, right), boolean=True)
        return left

    def primary(self) -> Expr:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.fail(f"expression nested more than {MAX_DEPTH} deep")
            return self._primary()
        finally:
            self.depth -= 1

    def _primary(self) -> Expr:
        tok = self.take()
        if tok.is_punct("("):
            inner = self.any()
            self.expect(")")
            return inner
        if tok.kind == "string":
            return literal(tok.data)
        if tok.kind != "word":
            self.i -= 1
            raise self.fail(f"unexpected {tok.shown()} in an expression")
        word = tok.value.lower()
        if word == "exists":
            return Expr("exists", option=self.option_name(), boolean=True, line=tok.line)
        if word == "known":
            return Expr("known", boolean=True)
        if word == "static":
            return Expr("func", ("static",), boolean=True)
        if word == "defined":
            self.expect("(")
            self.take()
            self.expect(")")
            return Expr("func", ("defined",), boolean=True)
        if word == "option":
            return Expr("opt", option=self.option_name(), line=tok.line)
        if word == "config-option":
            self.option_name()
            return Expr("func", ("config-option",))
        if word == "hardware":
            return Expr("hardware")
        if word in (
            "substring",
            "suffix",
            "concat",
            "encode-int",
            "lcase",
            "ucase",
            "packet",
            "reverse",
            "binary-to-ascii",
            "pick-first-value",
            "extract-int",
            "gethostname",
        ):
            return self.function(word)
        if word in (
            "leased-address",
            "host-decl-name",
            "lease-time",
            "client-state",
            "filename",
            "server-name",
            "null",
        ):
            return Expr("func", (word,))
        if word.isdigit():
            # A number where dhcpd wants a number (offsets, widths); where it wants data, a one- or
            # two-digit word is a one-octet hex list, as dhcpd's lexer reads it there.
            return Expr(
                "num",
                (int(tok.value),),
                value=bytes.fromhex(tok.value.zfill(2)) if len(tok.value) <= 2 else b"",
            )
        if HEX_LIST.match(tok.value):
            return literal(bytes(int(p, 16) for p in tok.value.split(":")), hex_form=True)
        return Expr("func", ("variable", tok.value))

    def option_name(self) -> OptionInfo:
        tok = self.take()
        if tok.kind != "word":
            self.i -= 1
            raise self.fail(f"option name expected, got {tok.shown()}")
        return self.resolve(tok)

    def args(self) -> list[Expr]:
        self.expect("(")
        out: list[Expr] = []
        tok = self.peek()
        if tok is not None and tok.is_punct(")"):
            self.i += 1
            return out
        while True:
            out.append(self.any())
            tok = self.take()
            if tok.is_punct(")"):
                return out
            if not tok.is_punct(","):
                self.i -= 1
                raise self.fail(f"',' or ')' expected, got {tok.shown()}")

    def function(self, name: str) -> Expr:
        args = self.args()
        arity = {
            "substring": 3,
            "suffix": 2,
            "encode-int": 2,
            "lcase": 1,
            "ucase": 1,
            "packet": 2,
            "reverse": 2,
            "binary-to-ascii": 4,
            "extract-int": 2,
            "gethostname": 0,
        }
        if name in arity and len(args) != arity[name]:
            raise self.fail(f"{name} takes {arity[name]} arguments, got {len(args)}")
        if name == "concat" and not 2 <= len(args) <= MAX_DEPTH:
            raise self.fail(f"concat takes 2 to {MAX_DEPTH} arguments")
        if any(a.boolean for a in args):
            raise self.fail(f"{name} takes data, not a boolean expression")
        if name == "concat":
            node = args[-1]
            for a in reversed(args[:-1]):
                node = Expr("func", ("concat", a, node))
            return node
        return Expr("func", (name, *args))


# ------------------------------------------------------------------------------------------ folding


def _num(e: Expr) -> int | None:
    if e.kind == "num":
        return e.args[0]
    return None


def constant_data(e: Expr) -> bytes | None:
    """The bytes of a data expression that does not depend on the packet, else None."""
    e = fold(e)
    if e.kind == "lit":
        return e.value
    if e.kind == "num" and e.value:
        return e.value
    return None


def _lit_of(e: Expr) -> Expr | None:
    if e.kind == "lit":
        return e
    if e.kind == "num" and e.value:
        return literal(e.value, hex_form=True)
    return None


def fold(e: Expr) -> Expr:
    if e.kind == "func":
        name = e.args[0]
        args = [fold(a) if isinstance(a, Expr) else a for a in e.args[1:]]
        if name == "substring":
            base, off, length = args
            lit = _lit_of(base)
            if lit is not None and _num(off) is not None and _num(length) is not None:
                o, n = _num(off), _num(length)
                return literal(lit.value[o : o + n], lit.hex)
        elif name == "suffix":
            base, length = args
            lit = _lit_of(base)
            if lit is not None and _num(length) is not None:
                n = _num(length)
                return literal(lit.value[-n:] if n else b"", lit.hex)
        elif name == "concat":
            a, b = _lit_of(args[0]), _lit_of(args[1])
            if a is not None and b is not None:
                return literal(a.value + b.value, a.hex or b.hex)
        elif name == "encode-int":
            value, width = args
            if _num(value) is not None and _num(width) in (8, 16, 32):
                size = _num(width) // 8
                return literal((_num(value) % (1 << (8 * size))).to_bytes(size, "big"), hex_form=True)
        return Expr("func", (name, *args), boolean=e.boolean)
    if e.kind == "not":
        inner = fold(e.args[0])
        if inner.kind == "not":
            return inner.args[0]
        if inner.kind == "cmp" and inner.args[0] == "!=":
            return Expr("cmp", ("=", inner.args[1], inner.args[2]), boolean=True)
        if inner.kind == "cmp" and inner.args[0] == "=":
            return Expr("cmp", ("!=", inner.args[1], inner.args[2]), boolean=True)
        return Expr("not", (inner,), boolean=True)
    if e.kind in ("and", "or"):
        return Expr(e.kind, (fold(e.args[0]), fold(e.args[1])), boolean=True)
    if e.kind == "cmp":
        return Expr("cmp", (e.args[0], fold(e.args[1]), fold(e.args[2])), boolean=True)
    return e


def constant_boolean(e: Expr) -> bool:
    """True when a (folded) boolean expression does not depend on the packet at all."""
    if e.kind == "cmp":
        return _lit_of(e.args[1]) is not None and _lit_of(e.args[2]) is not None
    if e.kind in ("and", "or"):
        return constant_boolean(e.args[0]) and constant_boolean(e.args[1])
    if e.kind == "not":
        return constant_boolean(e.args[0])
    return False


# ---------------------------------------------------------------------------------------- rendering


def render_literal(data: bytes, hex_form: bool = False) -> str:
    printable = all(32 <= b < 127 for b in data) and b"'" not in data
    if data and (hex_form or not printable):
        return "0x" + data.hex()
    if not printable:
        return "''"
    return "'" + data.decode("ascii") + "'"


def _compound(e: Expr) -> bool:
    return e.kind in ("cmp", "and", "or", "not")


def _option_ref(
    info: OptionInfo, suffix: str, kea_space: Callable[[OptionInfo], tuple[str, int | None]]
) -> str:
    if info.space == "dhcp":
        return f"option[{info.code}].{suffix}"
    if info.space == "agent":
        return f"relay4[{info.code}].{suffix}"
    kind, parent = kea_space(info)
    if kind == "top":  # the packet's own space (dhcp6 in a DHCPv6 configuration)
        return f"option[{info.code}].{suffix}"
    if kind == "vendor" and parent is not None:
        return f"vendor[{parent}].option[{info.code}].{suffix}"
    if kind == "encapsulated" and parent is not None:
        return f"option[{parent}].option[{info.code}].{suffix}"
    raise Untranslatable(f"options of the {info.space} space cannot be named in a Kea expression")


def _no_parent(info: OptionInfo) -> tuple[str, int | None]:
    return "", None


def to_kea(e: Expr, kea_space: Callable[[OptionInfo], tuple[str, int | None]] = _no_parent) -> str:
    """Kea expression text for a folded expression (Untranslatable when Kea 2.2 cannot say it)."""

    def go(x: Expr) -> str:
        return to_kea(x, kea_space)

    def operand(x: Expr) -> str:
        text = go(x)
        return f"({text})" if _compound(x) else text

    kind = e.kind
    if kind == "lit":
        return render_literal(e.value, e.hex)
    if kind == "num":
        if e.value:
            return render_literal(e.value, True)
        return str(e.args[0])
    if kind == "opt":
        assert e.option is not None
        return _option_ref(e.option, "hex", kea_space)
    if kind == "exists":
        assert e.option is not None
        return _option_ref(e.option, "exists", kea_space)
    if kind == "known":
        return "member('KNOWN')"
    if kind == "hardware":
        return "concat(substring(pkt4.htype,-1,all), pkt4.mac)"
    if kind == "cmp":
        op, a, b = e.args
        if op in ("~=", "~~"):
            raise Untranslatable(NO_KEA_EQUIVALENT["regex"])
        text = f"{go(a)} == {go(b)}"
        return text if op == "=" else f"not ({text})"
    if kind == "not":
        return f"not {operand(e.args[0])}"
    if kind in ("and", "or"):
        return f"{operand(e.args[0])} {kind} {operand(e.args[1])}"
    if kind == "func":
        name = e.args[0]
        args = e.args[1:]
        if name == "substring":
            base, off, length = args
            o, n = _num(off), _num(length)
            if o is None or n is None:
                raise Untranslatable("substring with computed offsets")
            if base.kind == "hardware":
                if o == 0 and n >= 1:
                    if n == 1:
                        return "substring(pkt4.htype,-1,all)"
                    return f"substring(concat(substring(pkt4.htype,-1,all), pkt4.mac),0,{n})"
                return f"substring(pkt4.mac,{o - 1},{n})"
            return f"substring({go(base)},{o},{n})"
        if name == "suffix":
            base, length = args
            n = _num(length)
            if n is None:
                raise Untranslatable("suffix with a computed length")
            return f"substring({go(base)},-{n},all)"
        if name == "concat":
            return f"concat({go(args[0])}, {go(args[1])})"
        if name == "encode-int":
            raise Untranslatable("encode-int of a computed number")
        if name == "variable":
            raise Untranslatable(f"{NO_KEA_EQUIVALENT['variable']} ({args[0]})")
        raise Untranslatable(NO_KEA_EQUIVALENT.get(name, name))
    raise Untranslatable(f"expression of kind {kind}")


def describe(e: Expr) -> str:
    """dhcpd-like text of an expression, for comments."""
    kind = e.kind
    if kind == "lit":
        return render_literal(e.value, e.hex)
    if kind == "num":
        return str(e.args[0])
    if kind == "opt":
        return f"option {e.option.space}.{e.option.name}" if e.option else "option ?"
    if kind == "exists":
        return f"exists {e.option.space}.{e.option.name}" if e.option else "exists ?"
    if kind in ("known", "hardware"):
        return kind
    if kind == "cmp":
        return f"{describe(e.args[1])} {e.args[0]} {describe(e.args[2])}"
    if kind == "not":
        return f"not ({describe(e.args[0])})"
    if kind in ("and", "or"):
        return f"({describe(e.args[0])}) {kind} ({describe(e.args[1])})"
    if kind == "func":
        inner = ", ".join(describe(a) if isinstance(a, Expr) else str(a) for a in e.args[1:])
        return f"{e.args[0]}({inner})"
    return kind
