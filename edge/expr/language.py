"""Kea's client-classification expression language: parsed once at configuration load, evaluated per packet.

Rules this module keeps:
- The grammar is Kea's. As in Kea, there are two kinds of expression: logical ones (a class `test`) and
  string ones (values). They do not mix: `'a' and 'b'` and `option[1].exists == 'true'` are syntax errors in
  Kea 2.2 and here. Every value is a byte string; logical values are Python bools (Kea's 'true'/'false'
  strings can never reach a comparison, so nothing is lost).
- An expression belongs to a family (Kea's "universe"), given at compile time: family 4 has option[] with
  8-bit codes, relay4, pkt4 (edge/expr/terms4.py); family 6 has 16-bit codes, relay6, pkt6
  (edge/expr/terms6.py); each refuses the other's terms as Kea does. Both have:
    literals        'text'  0x0a0b (odd digit count: a 0 is prepended)  192.0.2.1 (4 bytes)  123 (4 bytes,
                    network order; inside substring/split it is the number)
    functions       substring(s, start, length|all)  concat(a, b)  a + b  ifelse(cond, a, b)
                    hexstring(s, sep)  split(s, delims, n)  lcase(s)  ucase(s)  addrtotext(s)
                    int8totext .. uint32totext(s)
    logic           ==  and  or  not  ( )  member('CLASS')  known  unknown
  `not` binds tightest, then `and`, then `or`; `and`/`or` associate to the left (Kea's precedence).
- Parse errors raise ExpressionError with the 0-based offset of the offending character in the expression
  text, so the configuration loader can point at file:line:column. `member()` of a class that is neither
  built in (edge/expr/classes.py, the table the loader reads too) nor defined earlier is an error, as in
  Kea (no forward references, no loops).
- Evaluation never raises out of `Expression.evaluate`... except EvalError, on purpose: Kea treats a runtime
  type error (addrtotext of 3 bytes) as "this class does not match" and logs it; the classifier does that.
- Expressions see packets through a PacketView (edge/expr/view.py): PacketView4 for DHCPv4, the
  PacketView6 interface (implemented by the v6 engine) for DHCPv6.

Theory of operation: a small lexer turns the text into tokens with offsets; a recursive-descent parser
(edge/expr/parser.py) follows Kea's two grammars and builds closures directly, one per node, so evaluating
a test is a handful of Python calls over a PacketView and no tree is walked at run time. While parsing it
records whether the expression depends on KNOWN/UNKNOWN (directly, or through member() of a class that
does): such classes are evaluated after the host reservation lookup, as in Kea.
"""

from __future__ import annotations

from collections.abc import Mapping

from edge.expr.parser import EvalError, Expression, ExpressionError, Parser, StringExpression, Term
from edge.expr.terms4 import TERMS4
from edge.expr.terms6 import TERMS6
from edge.expr.view import PacketView, PacketView4, PacketView6
from edge.wire import optiondef, options4, options6

__all__ = [
    "EvalError",
    "Expression",
    "ExpressionError",
    "PacketView",
    "PacketView4",
    "PacketView6",
    "StringExpression",
    "compile_string",
    "compile_test",
]

# family -> (its terms, its standard options, its top-level option space, its largest option code)
_FAMILIES: dict[int, tuple[Mapping[str, Term], optiondef.OptionRegistry, str, int]] = {
    4: (TERMS4, options4.STANDARD, options4.DHCP4_SPACE, 255),
    6: (TERMS6, options6.STANDARD, options6.DHCP6_SPACE, 65535),
}


def _parser(
    text: str, registry: optiondef.OptionRegistry | None, classes: Mapping[str, bool] | None, family: int
) -> Parser:
    if not text.strip():
        raise ExpressionError("the expression is empty", 0)
    terms, standard, space, max_code = _FAMILIES[family]
    return Parser(text, registry or standard, classes, terms, space, max_code)


def compile_test(
    text: str,
    registry: optiondef.OptionRegistry | None = None,
    classes: Mapping[str, bool] | None = None,
    family: int = 4,
) -> Expression:
    """Parse a class `test` of `family` (4 or 6). `classes` maps the names a member() may use (classes defined
    earlier) to whether each depends on KNOWN/UNKNOWN; None accepts any name. Raises ExpressionError."""
    parser = _parser(text, registry, classes, family)
    fn = parser.parse_bool()
    parser.finish()
    return Expression(text, fn, parser.depends_on_known, tuple(parser.members))


def compile_string(
    text: str,
    registry: optiondef.OptionRegistry | None = None,
    classes: Mapping[str, bool] | None = None,
    family: int = 4,
) -> StringExpression:
    """Parse a string expression (a value, not a test) of `family`. Raises ExpressionError."""
    parser = _parser(text, registry, classes, family)
    fn = parser.parse_string()
    parser.finish()
    return StringExpression(text, fn, parser.depends_on_known)
