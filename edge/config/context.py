"""What every part of a configuration builder shares: the issue log, the option registry being built, the
names of the defined classes, and small helpers for reporting by key path.

Rules this module keeps:
- Builders never raise for a bad configuration: they report to the IssueLog by key path and carry on with
  what is usable, so one load reports every problem. The loader raises once, at the end.
- The parts of a builder (edge/config/{sections,control_sockets,options,classes,scopes}.py) are classes
  over this one context; a family's builder (edge/dhcp4/config.py, edge/dhcp6/config.py) combines them
  and adds what only that family has. The context names the family's rules as attributes the family sets:
  its key table and its option rules.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from edge.config.errors import IssueLog, format_path
from edge.config.positions import KeyPath
from edge.config.schema import KeyTable
from edge.wire import optiondef

__all__ = ["IFNAME_MAX", "BuildContext", "close_match"]

IFNAME_MAX = 15  # Linux IFNAMSIZ - 1


def close_match(name: str, known: list[str]) -> str:
    """'; did you mean "x"?' for a near miss, else ''."""
    import difflib  # only for a message about a mistake: not loaded into a serving process otherwise

    match = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    return f'; did you mean "{match[0]}"?' if match else ""


class BuildContext:
    """The state of one load, shared by every part of the builder."""

    table: KeyTable  # the family's key table (set by the family's builder class)
    expr_family: int  # the expression language's family for class tests (4 or 6)
    address_family = "IPv4"  # how the family names its addresses in messages
    example_address = "192.0.2.1"  # an address of the family, for examples in messages

    def __init__(
        self,
        issues: IssueLog,
        source: str,
        interfaces_present: Collection[str] | None,
        registry: optiondef.OptionRegistry,
    ) -> None:
        self.issues = issues
        self.source = source
        self.interfaces_present = interfaces_present
        self.registry = registry  # the family's standard options plus this configuration's option-defs
        # option spaces per registry; the registry is kept in the value so its id cannot be reused
        self.space_cache: dict[int, tuple[optiondef.OptionRegistry, list[str]]] = {}
        self.class_names: set[str] = set()
        self.reservation_tags: set[str] = set()  # classes host reservations assign
        self.guard_names: set[str] = set()  # classes guards (client-class, client-classes) name
        self.hooks: list[tuple[KeyPath, str, Any]] = []  # (path, library file name, parameters)
        self.ip_unique = True

    @property
    def root(self) -> KeyPath:
        return (self.table.root,)

    @property
    def hooks_configured(self) -> bool:
        return bool(self.hooks)

    def hook(self, name: str) -> tuple[KeyPath, Any] | None:
        """The first configured hook library whose file name contains `name` ("ha", "flex_id"), with its
        parameters: (path, parameters)."""
        for path, library, parameters in self.hooks:
            if name in library:
                return path, parameters
        return None

    def note_hooks(self, g: dict[str, Any]) -> None:
        self.hooks = [
            (path, str(h.get("library", "")).rsplit("/", 1)[-1], h.get("parameters"))
            for path, h in self.items(g, "hooks-libraries", self.root)
        ]

    # -- reporting

    def error(self, path: KeyPath, message: str, *, at_key: bool = False, inside: int = 0) -> None:
        self.issues.error(path, message, at_key=at_key, inside=inside)

    def warning(self, path: KeyPath, message: str, *, at_key: bool = False) -> None:
        self.issues.warning(path, message, at_key=at_key)

    def drop_warnings_inside(self, path: KeyPath) -> None:
        """Forget the warnings about keys inside `path` (an error about the whole object says enough)."""
        inside = format_path(path) + "."
        self.issues.warnings = [w for w in self.issues.warnings if not w.path.startswith(inside)]

    # -- addresses

    def parse_address(self, text: str) -> int | None:
        """An address of the family as an int, or None (each family's builder defines it)."""
        raise NotImplementedError

    def address(self, obj: dict[str, Any], key: str, path: KeyPath) -> int | None:
        text = obj.get(key)
        if text is None:
            return None
        value = self.parse_address(text)
        if value is None:
            self.error(path + (key,), f'"{text}" is not an {self.address_family} address')
        return value

    # -- walking cleaned documents

    @staticmethod
    def items(obj: dict[str, Any], key: str, path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
        """(path, item) for each well-formed item of a cleaned list (bad items are None: skipped)."""
        for i, item in enumerate(obj.get(key) or ()):
            if item is not None:
                yield path + (key, i), item

    def field_text(self, obj: dict[str, Any], key: str, path: KeyPath, limit: int) -> str | None:
        text = obj.get(key)
        if text is not None and len(text.encode("utf-8")) > limit:
            self.error(path + (key,), f"is {len(text.encode('utf-8'))} bytes long; at most {limit} fit")
        return text

    # -- interfaces named anywhere

    @staticmethod
    def interface_name_problem(name: str) -> str | None:
        if not name:
            return "the name is empty"
        if name == "*":
            return '"*" takes no address'
        if len(name) > IFNAME_MAX:
            return f"Linux interface names are at most {IFNAME_MAX} characters"
        if any(ch.isspace() or ch == "/" or not ch.isprintable() for ch in name):
            return "the name has a blank or an unprintable character"
        return None

    def interface_name(self, obj: dict[str, Any], path: KeyPath) -> str | None:
        name = obj.get("interface")
        if name is None:
            return None
        problem = self.interface_name_problem(name)
        if problem:
            self.error(path + ("interface",), f'"{name}" is not an interface name: {problem}')
            return None
        self.check_present(name, path + ("interface",))
        return name

    def check_present(self, name: str, path: KeyPath) -> None:
        if self.interfaces_present is not None and name not in self.interfaces_present:
            self.warning(
                path,
                f'interface "{name}" does not exist on this machine '
                "(fine if the configuration is meant for another one)",
            )
