"""Client classification in Kea's order: which classes does a packet belong to, and when is that decided.

Rules this module keeps (Kea 2.2's classification steps):
1. Every packet is in ALL; a packet with a vendor class is in VENDOR_CLASS_<x> (DHCPv4: option 60; DHCPv6: the
   vendor-class option, see edge/expr/view.py).
2. Classes with a test that does not depend on KNOWN/UNKNOWN, and not `only-if-required`, are evaluated in
   the order they are defined (`first_pass`). A class whose test errors at run time does not match.
3. DROP, if the packet is in it now, drops the packet (the engine checks `dropped`).
4. Subnet selection happens (not here), then host reservations are looked up. Reserved classes are added;
   when a global reservation with classes is found (or a subnet reservation outside a shared network),
   every class that has a test is removed and the first pass runs again with the reserved classes known,
   so a guard like `not member('cameras')` sees a reserved `cameras` (Kea 1.6.3, #1139). That is
   `with_reserved(..., reevaluate=True)`.
5. KNOWN or UNKNOWN is added and the classes that depend on them are evaluated (`known_pass`); DROP again.
6. After allocation, the classes a pool, subnet or shared network requires (`require-client-classes`) are
   evaluated (`required`), whether or not they are `only-if-required`.
Classes defined without a test are never assigned by evaluation, only by reservations or hooks.

Theory of operation: the packet's classes are an insertion-ordered dict (Kea keeps insertion order: it is
the precedence order for class options and boot fields). Expressions were compiled by the configuration
loader; a Config built in code (tests) is compiled here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from edge.config.model import ClientClass
from edge.expr.classes import VENDOR_CLASS_PREFIX
from edge.expr.language import EvalError, Expression, ExpressionError, PacketView, compile_test

log = logging.getLogger("edge.policy")

Classes = dict[str, None]


class ClassDef:
    __slots__ = ("name", "expression", "only_if_required", "depends_on_known", "definition")

    def __init__(self, definition: ClientClass, expression: Expression | None) -> None:
        self.definition = definition
        self.name = definition.name
        self.expression = expression
        self.only_if_required = definition.only_if_required
        self.depends_on_known = expression.depends_on_known if expression is not None else False


def compile_classes(classes: Sequence[ClientClass]) -> list[ClassDef]:
    """Class definitions with compiled tests (the loader's, or compiled now). Raises ExpressionError."""
    known: dict[str, bool] = {}
    out: list[ClassDef] = []
    for definition in classes:
        expression = definition.expression
        if expression is None and definition.test:
            expression = compile_test(definition.test, classes=known)
        cdef = ClassDef(definition, expression)
        known[definition.name] = cdef.depends_on_known
        out.append(cdef)
    return out


class Classifier:
    def __init__(self, classes: Sequence[ClientClass]) -> None:
        self.defs = compile_classes(classes)
        self.by_name = {d.name: d for d in self.defs}
        self._first = [
            d
            for d in self.defs
            if d.expression is not None and not d.only_if_required and not d.depends_on_known
        ]
        self._known = [
            d for d in self.defs if d.expression is not None and not d.only_if_required and d.depends_on_known
        ]
        self._tested = frozenset(d.name for d in self.defs if d.expression is not None)

    # -- the passes
    def first_pass(self, view: PacketView) -> Classes:
        classes: Classes = {"ALL": None}
        vendor = view.vendor_class_id()
        if vendor:
            classes[VENDOR_CLASS_PREFIX + vendor.decode("latin-1")] = None
        view.classes = classes
        self._evaluate(view, classes, self._first)
        return classes

    def with_reserved(
        self, view: PacketView, classes: Classes, reserved: Iterable[str], reevaluate: bool
    ) -> None:
        """Add the classes of the client's reservation; with `reevaluate`, redo the first pass with them."""
        reserved = tuple(reserved)
        if reevaluate:
            for name in self._tested:
                classes.pop(name, None)
            for name in reserved:
                classes[name] = None
            self._evaluate(view, classes, self._first)
        else:
            for name in reserved:
                classes[name] = None

    def known_pass(self, view: PacketView, classes: Classes, known: bool) -> None:
        classes["KNOWN" if known else "UNKNOWN"] = None
        self._evaluate(view, classes, self._known)

    def mark_known(self, view: PacketView, classes: Classes) -> None:
        """Early global reservation lookup found the client: KNOWN, and the classes depending on it."""
        classes["KNOWN"] = None
        self._evaluate(view, classes, self._known)

    def required(self, view: PacketView, classes: Classes, names: Iterable[str]) -> None:
        for name in names:
            cdef = self.by_name.get(name)
            if cdef is None or cdef.expression is None:
                continue  # Kea 2.2: an undefined or untestable required class is skipped
            if self._test(view, cdef):
                classes[name] = None

    @staticmethod
    def dropped(classes: Classes) -> bool:
        return "DROP" in classes

    # -- evaluation
    def _evaluate(self, view: PacketView, classes: Classes, defs: Sequence[ClassDef]) -> None:
        view.classes = classes
        for cdef in defs:
            if self._test(view, cdef):
                classes[cdef.name] = None

    @staticmethod
    def _test(view: PacketView, cdef: ClassDef) -> bool:
        assert cdef.expression is not None
        try:
            return cdef.expression.evaluate(view)
        except EvalError as exc:
            log.debug("EVAL_RESULT class %s: the test failed to evaluate (%s); not a member", cdef.name, exc)
            return False


__all__ = ["ClassDef", "Classes", "Classifier", "ExpressionError", "compile_classes"]
