"""Client classes and the names that refer to them, for either family.

Rules this module keeps:
- Class names are unique; a class test may use only built-in classes and classes defined above it (Kea's
  rule: no forward references, no loops). Tests are compiled here, once, so an error points into the
  expression (file:line:column of the offending character).
- A name in a guard (`client-class`, `client-classes`) or in `require-client-classes` /
  `evaluate-additional-classes` must be defined, built in (edge/expr/classes.py, the table the expression
  language reads too), or -- for guards -- assigned by some host reservation. Kea 2.2 does not check these
  names at all; a name no packet can ever be in is surely a mistake, so edge-dhcp refuses it -- or only
  warns when a hook library is configured, since hooks may assign classes.
- A reservation's `client-classes` need no definition: Kea uses them as tags of the host, which guards
  name (Kea's own examples do: reservations.json's "special_snowflake"). A tag that nothing defines and no
  guard names has no effect, and is warned about.
- HA_<server-name> is assigned by the HA hook library (load balancing). It is accepted when the HA hook is
  configured and names that server among its peers (silently) or lists no peers we can read; a warning
  says when the HA hook is missing or has no such peer, since the guard could then never match.
- The family decides what else a class holds (`make_class`): DHCPv4's BOOTP fixed fields, DHCPv6's
  preferred lifetimes.
"""

from __future__ import annotations

from typing import Any

from edge.config.context import close_match
from edge.config.errors import format_path
from edge.config.model import ClientClass, OptionDef
from edge.config.options import OptionsPart
from edge.config.positions import KeyPath
from edge.expr import classes as builtin
from edge.expr.language import Expression, ExpressionError, compile_test
from edge.wire import optiondef

__all__ = ["ClassesPart"]

LIFETIMES = ("min-valid-lifetime", "valid-lifetime", "max-valid-lifetime")


class ClassesPart(OptionsPart):
    def make_class(self, c: dict[str, Any], path: KeyPath, fields: dict[str, Any]) -> ClientClass:
        """The family's class type from the shared `fields` and the family's own keys of `c`."""
        return ClientClass(**fields)

    def compile_class_test(
        self, test: str, registry: optiondef.OptionRegistry, defined: dict[str, bool]
    ) -> Expression:
        return compile_test(test, registry, defined, family=self.expr_family)

    def client_classes(self, g: dict[str, Any], root: KeyPath) -> tuple[ClientClass, ...]:
        seen: dict[str, KeyPath] = {}
        for item_path, c in self.items(g, "client-classes", root):
            name = c["name"]
            if not name.strip():
                self.error(item_path + ("name",), "a class name cannot be empty")
            elif name in seen:
                self.error(
                    item_path + ("name",), f'class "{name}" is already defined at {format_path(seen[name])}'
                )
            else:
                seen[name] = item_path
        self.class_names = set(seen)
        classes: list[ClientClass] = []
        defined: dict[str, bool] = {}  # classes defined so far -> does the test depend on KNOWN/UNKNOWN
        for item_path, c in self.items(g, "client-classes", root):
            test = c.get("test")
            expression = None
            if test is not None and not test.strip():
                self.error(item_path + ("test",), 'the test expression is empty; leave "test" out instead')
            elif test is not None:
                try:
                    expression = self.compile_class_test(test, self.registry, defined)
                except ExpressionError as err:
                    self.error(
                        item_path + ("test",),
                        f"bad expression: {err.message} (at character {err.offset + 1} of the test)",
                        inside=err.offset,
                    )
            defined[c["name"]] = expression.depends_on_known if expression is not None else False
            if "only-if-required" in c and "only-in-additional-list" in c:
                self.error(
                    item_path, 'give "only-if-required" (Kea 2.2) or "only-in-additional-list", not both'
                )
            registry = self.registry
            class_defs: tuple[OptionDef, ...] = ()
            if c.get("option-def"):  # a class's own definitions (DHCPv4 only: the key table says where)
                registry = self.registry.copy()
                class_defs = self.option_defs(c, item_path, registry, over_custom=True)
            lifetimes = {k: c.get(k) for k in LIFETIMES}
            self.check_lifetime_order(lifetimes, item_path)
            fields: dict[str, Any] = {
                "name": c["name"],
                "test": test or "",
                "only_if_required": c.get("only-if-required", c.get("only-in-additional-list", False)),
                "option_data": self.option_data(c, item_path, registry),
                "valid_lifetime": lifetimes["valid-lifetime"],
                "min_valid_lifetime": lifetimes["min-valid-lifetime"],
                "max_valid_lifetime": lifetimes["max-valid-lifetime"],
                "expression": expression,
                "option_defs": class_defs,
            }
            classes.append(self.make_class(c, item_path, fields))
        return tuple(classes)

    def check_lifetime_order(self, lifetimes: dict[str, int | None], path: KeyPath) -> None:
        order = [(k, v) for k, v in lifetimes.items() if v is not None]
        for (lo_key, lo), (hi_key, hi) in zip(order, order[1:], strict=False):
            if lo > hi:
                self.error(path + (hi_key,), f"{lo_key} ({lo}) is greater than {hi_key} ({hi})")

    # -- names that refer to classes

    def note_class_tags(self, g: dict[str, Any], subnet_key: str) -> None:
        """Before anything is built: the classes reservations assign and the classes guards name."""
        scopes: list[dict[str, Any]] = [g]
        for net in g.get("shared-networks") or ():
            if net is not None:
                scopes.append(net)
                scopes.extend(s for s in net.get(subnet_key) or () if s is not None)
        scopes.extend(s for s in g.get(subnet_key) or () if s is not None)
        for scope in list(scopes):
            for key in ("pools", "pd-pools"):
                scopes.extend(p for p in scope.get(key) or () if p is not None)
        for scope in scopes:
            for r in scope.get("reservations") or ():
                if r is not None:
                    self.reservation_tags.update(n for n in r.get("client-classes") or () if n)
            if scope is not g:
                if scope.get("client-class"):
                    self.guard_names.add(scope["client-class"])
                self.guard_names.update(n for n in scope.get("client-classes") or () if n)

    def reservation_classes(self, names: list[str | None], path: KeyPath) -> tuple[str, ...]:
        """A reservation's client-classes: tags the host carries (see the module's rules)."""
        out: list[str] = []
        for i, name in enumerate(names):
            if name is None:
                continue
            item = path + ("client-classes", i)
            if not name:
                self.error(item, "a class name cannot be empty")
                continue
            if not (name in self.class_names or builtin.is_built_in(name) or name in self.guard_names):
                self.warning(
                    item,
                    f'class "{name}" is not defined and no guard names it: putting the host in it has no '
                    f"effect{close_match(name, sorted(self.class_names | self.guard_names))}",
                )
            elif name not in self.class_names:
                self.check_ha_class(name, item)
            out.append(name)
        return tuple(out)

    def class_refs(self, names: list[str | None], path: KeyPath, key: str) -> tuple[str, ...]:
        guard = key in ("client-class", "client-classes")
        out: list[str] = []
        for i, name in enumerate(names):
            if name is None:
                continue
            item = path + (key, i) if key != "client-class" else path + (key,)
            if not name:
                if key != "client-class":
                    self.error(item, "a class name cannot be empty")
                continue
            if name in self.class_names or (guard and name in self.reservation_tags):
                pass
            elif builtin.is_built_in(name):
                self.check_ha_class(name, item)
            else:
                close = close_match(name, sorted(self.class_names))
                if self.hooks_configured:
                    self.warning(
                        item, f'class "{name}" is not defined here (a hook library may set it){close}'
                    )
                else:
                    self.error(
                        item, f'class "{name}" is not defined in {self.table.root}.client-classes{close}'
                    )
            out.append(name)
        return tuple(out)

    def check_ha_class(self, name: str, path: KeyPath) -> None:
        """HA_<server-name>: only the HA hook assigns it, and only for a server among its peers."""
        if not name.startswith(builtin.HA_PREFIX):
            return
        found = self.hook("libdhcp_ha")
        if found is None:
            self.warning(
                path,
                f'class "{name}" is assigned by the HA hook library (libdhcp_ha.so), which is not '
                "configured here: no packet will be in it",
            )
            return
        peers = _ha_peer_names(found[1])
        server = name[len(builtin.HA_PREFIX) :]
        if peers and server not in peers:
            listed = ", ".join(sorted(peers))
            self.warning(
                path,
                f'class "{name}" names no HA peer: the HA hook\'s peers are {listed}{close_match(server, sorted(peers))}',
            )

    def guards(self, obj: dict[str, Any], path: KeyPath) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(client classes guarding the scope, classes to evaluate additionally) in either spelling."""
        if "client-class" in obj and "client-classes" in obj:
            self.error(path, 'give "client-class" (Kea 2.2) or "client-classes", not both')
        if "require-client-classes" in obj and "evaluate-additional-classes" in obj:
            self.error(
                path, 'give "require-client-classes" (Kea 2.2) or "evaluate-additional-classes", not both'
            )
        if "client-class" in obj:
            guard = self.class_refs([obj["client-class"]], path, "client-class")
        else:
            guard = self.class_refs(obj.get("client-classes", []), path, "client-classes")
        key = (
            "evaluate-additional-classes"
            if "evaluate-additional-classes" in obj
            else "require-client-classes"
        )
        required = self.class_refs(obj.get(key, []), path, key)
        return guard, required


def _ha_peer_names(parameters: Any) -> set[str]:
    """Server names in the HA hook's parameters (Kea: "high-availability": [{"peers": [{"name": ...}]}]);
    empty when they cannot be read (then nothing is checked)."""
    names: set[str] = set()
    if not isinstance(parameters, dict):
        return names
    relationships = parameters.get("high-availability")
    if not isinstance(relationships, list):
        return names
    for relationship in relationships:
        peers = relationship.get("peers") if isinstance(relationship, dict) else None
        for peer in peers if isinstance(peers, list) else ():
            if isinstance(peer, dict) and isinstance(peer.get("name"), str):
                names.add(peer["name"])
    return names
