"""The key-table engine: one table per family of Kea configuration keys, and what it checks.

Rules this module keeps:
- Every key edge-dhcp accepts is one row of a family's KeyTable (edge/dhcp4/keys.py, edge/dhcp6/keys.py;
  the rows both families share are built by edge/config/keys.py). Adding a key is adding a row. Nothing
  else in the loaders lists key names for validation or defaults.
- A row names the kinds of object it may appear in (the daemon's map, `subnet`, `pool`, ... each table's
  `kind_paths` says where each kind sits in a document), a value type, a default, and a status:
    supported - acted on by edge-dhcp;
    parsed    - accepted and type-checked so Kea configurations load, but not acted on yet;
                `edge-dhcp check` warns when such a key is given a value other than its default.
- Keys not in the table are errors, with a "did you mean" suggestion when one is close.
- Defaults are Kea 2.2's (what `config-get` shows for a fresh server). A row marked `inherit` is a scope
  parameter (global -> shared network -> subnet): its default is filled in at the table's root only;
  lower scopes inherit, and the loader resolves them per subnet.
- Where Kea 2.2 and later Kea spell a key differently, both spellings are rows; the loader maps them.
- `comment` and `user-context` are allowed in every kind of object (as in Kea).

Theory of operation: `KeyTable.validate` walks a parsed daemon map against the table, kind by kind,
reporting unknown keys, wrong types and missing required keys to an IssueLog, and warnings for parsed-only
keys. `fill_defaults` returns a copy of a (valid) document with every default filled in, which becomes the
snapshot's `raw`. Maps of kind OPAQUE (hook parameters, database credentials, user-context) are not looked
into.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from edge.config.errors import IssueLog
from edge.config.positions import KeyPath

__all__ = [
    "ANY",
    "BOOL",
    "NO_DEFAULT",
    "OPAQUE",
    "PARSED",
    "STR",
    "SUPPORTED",
    "U32",
    "Enum",
    "Int",
    "Key",
    "KeyTable",
    "List",
    "Map",
    "MapList",
    "Real",
    "ValueType",
    "show",
]

SUPPORTED = "supported"
PARSED = "parsed"


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()
U32 = 2**32 - 1


# ----------------------------------------------------------------------------------------- value types


def show(value: Any) -> str:
    """A short description of a JSON value for messages: 'string "abc"', 'number 5', 'an object'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return 'string "' + text + '"'
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class ValueType:
    """What a value must look like. `check` returns None or what is wrong; `kind` names the object kind
    that a map (or each map of a list) is validated as."""

    name: str
    test: Callable[[Any], bool]
    kind: str | None = None  # for Map and MapList
    items: ValueType | None = None  # for lists of scalars

    def check(self, value: Any) -> str | None:
        if self.test(value):
            return None
        return f"expected {self.name}, got {show(value)}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def Int(lo: int = 0, hi: int = U32) -> ValueType:
    return ValueType(f"an integer from {lo} to {hi}", lambda v: _is_int(v) and lo <= v <= hi)


def Real(lo: float, hi: float) -> ValueType:
    return ValueType(
        f"a number from {lo} to {hi}",
        lambda v: (_is_int(v) or isinstance(v, float)) and lo <= v <= hi,
    )


BOOL = ValueType("true or false", lambda v: isinstance(v, bool))
STR = ValueType("a string", lambda v: isinstance(v, str))
ANY = ValueType("any value", lambda v: True)
OPAQUE = "*"  # a map kind whose content is not checked


def Enum(*choices: str) -> ValueType:
    listed = ", ".join(f'"{c}"' for c in choices)
    return ValueType(f"one of {listed}", lambda v: isinstance(v, str) and v in choices)


def List(items: ValueType = STR) -> ValueType:
    return ValueType(
        f"a list of {items.name.removeprefix('a ').removeprefix('an ')}s"
        if items is STR
        else f"a list, each {items.name}",
        lambda v: isinstance(v, list),
        items=items,
    )


def Map(kind: str) -> ValueType:
    return ValueType("an object", lambda v: isinstance(v, dict), kind=kind)


def MapList(kind: str) -> ValueType:
    return ValueType("a list of objects", lambda v: isinstance(v, list), kind=kind)


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    kinds: tuple[str, ...]
    type: ValueType
    default: Any = NO_DEFAULT
    status: str = SUPPORTED
    inherit: bool = False  # scope parameter: default only at the root, resolved per subnet
    required: bool = False
    note: str = ""


# ----------------------------------------------------------------------------------------- the table


class KeyTable:
    """One family's keys: rows by kind, where each kind sits, and the checks and defaults they drive."""

    def __init__(
        self,
        root: str,
        kind_paths: Mapping[str, tuple[str, ...]],
        rows: Iterable[Key],
        hints: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root  # the daemon's kind, also its top-level key: "Dhcp4", "Dhcp6"
        self.kind_paths: dict[str, tuple[str, ...]] = dict(kind_paths)
        everywhere = tuple(self.kind_paths)
        self.rows: tuple[Key, ...] = (
            Key("comment", everywhere, STR),
            Key("user-context", everywhere, Map(OPAQUE)),
            *rows,
        )
        self.hints: dict[str, str] = dict(hints or {})
        self._by_kind: dict[str, dict[str, Key]] = {kind: {} for kind in self.kind_paths}
        for row in self.rows:
            for kind in row.kinds:
                if kind not in self._by_kind:
                    raise ValueError(f"row {row.name}: kind {kind} has no place in {root}")
                table = self._by_kind[kind]
                if row.name in table:
                    raise ValueError(f"two rows for {kind}.{row.name}")
                table[row.name] = row

    def lookup(self, kind: str, name: str) -> Key | None:
        return self._by_kind.get(kind, {}).get(name)

    def keys_of(self, kind: str) -> dict[str, Key]:
        return self._by_kind.get(kind, {})

    def patterns(self, row: Key) -> list[str]:
        """Key path patterns a row covers, e.g. ['Dhcp4.subnet4[].pools[].pool']."""
        return [f"{base}.{row.name}" for kind in row.kinds for base in self.kind_paths[kind]]

    def parsed_keys(self) -> list[str]:
        """Every key path pattern that is accepted but not acted on (for documentation and the report)."""
        out: list[str] = []
        for row in self.rows:
            if row.status == PARSED:
                out.extend(self.patterns(row))
        return out

    def default(self, kind: str, name: str) -> Any:
        """The row's default, or None when it has none (or there is no such row)."""
        row = self.lookup(kind, name)
        return None if row is None or row.default is NO_DEFAULT else row.default

    # -- validation

    def suggest(self, kind: str, name: str) -> str:
        if name in self.hints and name not in self.keys_of(kind):
            return self.hints[name]
        import difflib  # only for a message about a mistake: not loaded into a serving process otherwise

        here = difflib.get_close_matches(name, list(self.keys_of(kind)), n=1, cutoff=0.75)
        if here:
            return f'; did you mean "{here[0]}"?'
        elsewhere = sorted(k for k in self.kind_paths if k != kind and name in self.keys_of(k))
        if elsewhere:
            places = " or ".join(self.kind_paths[k][0] for k in elsewhere[:2])
            return f" (it belongs in {places})"
        return ""

    def is_default(self, row: Key, value: Any) -> bool:
        """True when `value` behaves exactly like the row's default (so a parsed-only key changes nothing)."""
        if row.default is NO_DEFAULT:
            return False
        if row.type.kind is not None and row.type.kind != OPAQUE and isinstance(value, dict):
            children = self.keys_of(row.type.kind)
            return all(
                name in children and self.is_default(children[name], child)
                for name, child in value.items()
                if name not in ("comment", "user-context")
            )
        return bool(value == row.default and type(value) is type(row.default))

    def validate(self, doc: Any, log: IssueLog, path: KeyPath | None = None) -> dict[str, Any] | None:
        """Check a parsed daemon map (the value of "Dhcp4" or "Dhcp6") against the table, reporting to `log`.

        Returns a cleaned copy that later stages can trust: unknown keys and values of the wrong type are
        left out of maps; in lists they become None (so list indices, and so key paths, stay as written);
        an object missing a required key becomes None too. Returns None when `doc` is not a map.
        """
        path = (self.root,) if path is None else path
        if not isinstance(doc, dict):
            log.error(path, f"expected an object, got {show(doc)}")
            return None
        return self._validate_map(doc, self.root, path, log, warned=False)

    def validate_kind(self, obj: Any, kind: str, path: KeyPath, log: IssueLog) -> dict[str, Any] | None:
        """Check one map of `kind` (e.g. a reservation read from a hosts database) as `validate` would."""
        if not isinstance(obj, dict):
            log.error(path, f"expected an object, got {show(obj)}")
            return None
        return self._validate_map(obj, kind, path, log, warned=True)

    def _validate_map(
        self, obj: dict[str, Any], kind: str, path: KeyPath, log: IssueLog, warned: bool
    ) -> dict[str, Any] | None:
        table = self.keys_of(kind)
        clean: dict[str, Any] = {}
        complete = True
        for name, value in obj.items():
            key_path = path + (name,)
            row = table.get(name)
            if row is None:
                log.error(key_path, f'unknown key "{name}"{self.suggest(kind, name)}', at_key=True)
                continue
            problem = row.type.check(value)
            if problem is not None:
                log.error(key_path, problem)
                complete = complete and not row.required
                continue
            warn_here = not warned and row.status == PARSED and not self.is_default(row, value)
            if warn_here:
                note = f" ({row.note})" if row.note else ""
                log.warning(key_path, f"accepted but not acted on by edge-dhcp yet{note}", at_key=True)
            child = self._validate_children(row, value, key_path, log, warned or warn_here)
            if child is None and row.required:
                complete = False
            elif child is not None:
                clean[name] = child
        for name, row in table.items():
            if row.required and name not in obj:
                log.error(path, f'missing required key "{name}"')
                complete = False
        return clean if complete else None

    def _validate_children(self, row: Key, value: Any, path: KeyPath, log: IssueLog, warned: bool) -> Any:
        vtype = row.type
        if vtype.kind == OPAQUE:
            return value
        if vtype.kind is not None:
            if isinstance(value, dict):
                return self._validate_map(value, vtype.kind, path, log, warned)
            items: list[Any] = []
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    items.append(self._validate_map(item, vtype.kind, path + (i,), log, warned))
                else:
                    log.error(path + (i,), f"expected an object, got {show(item)}")
                    items.append(None)
            return items
        if vtype.items is not None:
            checked: list[Any] = []
            for i, item in enumerate(value):
                problem = vtype.items.check(item)
                if problem is not None:
                    log.error(path + (i,), problem)
                    checked.append(None)
                else:
                    checked.append(item)
            return checked
        return value

    # -- defaults

    def fill_defaults(self, obj: dict[str, Any], kind: str | None = None) -> dict[str, Any]:
        """A deep copy of a validated map of `kind` (default: the root) with the table's defaults filled in,
        recursively. Inherited scope parameters get their default only at the root."""
        kind = self.root if kind is None else kind
        out: dict[str, Any] = {}
        table = self.keys_of(kind)
        for name, value in obj.items():
            row = table.get(name)
            out[name] = self._fill_value(row, value) if row is not None else _copy(value)
        for name, row in table.items():
            if name in out or row.default is NO_DEFAULT:
                continue
            if row.inherit and kind != self.root:
                continue
            out[name] = self._fill_value(row, _copy(row.default))
        return out

    def _fill_value(self, row: Key, value: Any) -> Any:
        kind = row.type.kind
        if kind is None or kind == OPAQUE:
            return _copy(value)
        if isinstance(value, dict):
            return self.fill_defaults(value, kind)
        if isinstance(value, list):
            return [self.fill_defaults(v, kind) if isinstance(v, dict) else _copy(v) for v in value]
        return _copy(value)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
