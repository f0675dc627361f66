"""Pool permits (`allow`/`deny members of`, known/unknown clients) -> one Kea client-class on the pool.

Rules this module keeps:
- Kea 2.2 gives a pool one `client-class`, dhcpd a list of permits: the permits of a pool, and a
  scope-wide `deny unknown-clients` (or `deny known-clients`) above it, are joined into one test. A test
  that is a single class (KNOWN, UNKNOWN, or one class of the configuration) names that class; anything
  else gets a generated class, `pool-guard-N`, shared by every pool with the same test.
- Members of a superclass are the clients in any of its subclasses (Kea's `sub#NAME#i` classes).
- `deny all clients` makes a pool nobody may use; Kea has no such pool: a note, and no guard for it.
"""

from __future__ import annotations

from typing import Any

from edge.migrate.dhcpd.model import Model, Scope
from edge.migrate.jsonout import Comment

__all__ = ["PoolGuards"]

# A test that is one built-in class: the pool names that class.
SINGLE = {
    "member('KNOWN')": "KNOWN",
    "member('UNKNOWN')": "UNKNOWN",
    "not member('KNOWN')": "UNKNOWN",
    "not member('UNKNOWN')": "KNOWN",
}


class PoolGuards:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.generated: dict[str, dict[str, Any]] = {}  # the pool-guard-N classes, by name

    def guard(self, pool: dict[str, Any], scope: Scope) -> None:
        """Turn permits and `deny unknown-clients` into one client-class on the Kea pool."""
        tests: list[str] = []
        reasons: list[str] = []
        allows = [p for p in scope.permits if p[0] and p[1] != "all"]
        denies = [p for p in scope.permits if not p[0]]
        if any(p[1] == "all" for p in denies):
            n = self.model.add_note(
                scope.line,
                "deny all clients",
                "a pool nobody may use; Kea has no such pool, it was written without a guard",
            )
            pool[n.comment()] = None
        allow_terms = []
        for _, what, name, _line in allows:
            term = self.permit_test(what, name)
            allow_terms.append(f"({term})" if " or " in term and len(allows) > 1 else term)
            reasons.append(f"allow {permit_text(what, name)}")
        if allow_terms:
            tests.append(" or ".join(f"({t})" if len(allow_terms) > 1 else t for t in allow_terms))
        for _, what, name, _line in denies:
            if what == "all":
                continue
            term = self.permit_test(what, name)
            tests.append(f"not ({term})" if " or " in term else f"not {term}")
            reasons.append(f"deny {permit_text(what, name)}")
        # A scope-wide `deny unknown-clients` applies to every pool in the scope.
        for s in scope.chain():
            if "unknown-clients" in s.params:
                if not s.params["unknown-clients"][0]:
                    tests.append("member('KNOWN')")
                    reasons.append("deny unknown-clients")
                break
            if "known-clients" in s.params:
                if not s.params["known-clients"][0]:
                    tests.append("member('UNKNOWN')")
                    reasons.append("deny known-clients")
                break
        if not tests:
            return
        if len(tests) == 1 and tests[0] in SINGLE:
            name = SINGLE[tests[0]]
        elif len(tests) == 1 and tests[0].startswith("member('") and tests[0].count("member(") == 1:
            name = tests[0][len("member('") : -2]
        else:
            test = " and ".join(f"({t})" for t in tests) if len(tests) > 1 else tests[0]
            name = "pool-guard-" + str(len(self.generated) + 1)
            for existing, cls in self.generated.items():
                if cls["test"] == test:
                    name = existing
                    break
            else:
                self.generated[name] = {
                    Comment(f"made for a pool's permits: {'; '.join(reasons)}"): None,
                    "name": name,
                    "test": test,
                }
        pool[Comment("From:", *(f"  {r}" for r in reasons))] = None
        pool["client-class"] = name

    def permit_test(self, what: str, name: str) -> str:
        if what == "known":
            return "member('KNOWN')"
        if what == "unknown":
            return "member('UNKNOWN')"
        cls = self.model.classes.get(name)
        if cls is not None and cls.match is not None and cls.subclasses:
            # Members of a superclass are the clients in any of its subclasses (Kea's sub# classes).
            return " or ".join(f"member('sub#{name}#{i}')" for i in range(cls.subclasses))
        return f"member('{name}')"


def permit_text(what: str, name: str) -> str:
    return {"known": "known clients", "unknown": "unknown clients"}.get(what, f'members of "{name}"')
