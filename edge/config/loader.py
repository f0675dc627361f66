"""Kea-dialect configuration files -> a family's validated, immutable snapshot: the entry points.

Rules this module keeps:
- `load_file`, `load_text` and `load_data` either return a complete snapshot or raise one ConfigError
  listing every problem found (file:line:column and key path each); nothing else escapes for any input.
- They dispatch on the top-level key: each family offers a Dialect (edge/dhcp4/config.py DIALECT for
  "Dhcp4", edge/dhcp6/config.py DIALECT for "Dhcp6") and the caller says which it accepts. This module
  knows no family; the families' own `load_*` functions pass their one dialect, and `edge-dhcp check`
  passes both.
- One daemon per file, as Kea's daemons each read their own: a second daemon's section is an error.

Theory of operation, in four passes over one document:
  1. jsonpos parses the text into plain values and a position map (syntax errors stop here);
  2. the top level is checked here (one daemon section, none of the obsolete shared-file sections);
  3. the dialect's key table checks every key and returns a cleaned copy whose types can be trusted (bad
     parts are dropped, so later passes see only well-typed values, and never report a follow-on error for
     a value that was already reported);
  4. the dialect's builder turns the cleaned document into model objects, checking meaning as it goes.
Every problem goes to one IssueLog by key path; the log finds the position. At the end, errors raise.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Protocol

from edge.config.errors import ConfigError, ConfigIssue, IssueLog
from edge.config.jsonpos import MAX_DEPTH, parse_text, read_config_text
from edge.config.positions import KeyPath
from edge.config.schema import show

__all__ = ["ConfigError", "ConfigIssue", "Dialect", "load_data", "load_file", "load_text"]

# Top-level sections of the other Kea daemons (Kea < 2.0 let them share a file).
KEA_DAEMONS = ("Dhcp4", "Dhcp6", "DhcpDdns", "Control-agent", "Netconf")


class Dialect(Protocol):
    """One family's configuration language: its top-level key, and how a document of it is built."""

    @property
    def root(self) -> str: ...

    def build(
        self, doc: Any, issues: IssueLog, source: str, interfaces_present: Collection[str] | None
    ) -> Any:
        """The snapshot for the value of the top-level key `root` (raises ConfigError)."""
        ...


def load_file(
    path: str, dialects: Sequence[Dialect], *, interfaces_present: Collection[str] | None = None
) -> Any:
    """Load a configuration file (Kea dialect, includes allowed).

    `interfaces_present`, when given, is the set of interface names on this machine: interfaces the
    configuration names that are not among them become warnings (never errors: a configuration may be
    checked on another machine than the one it is for)."""
    return load_text(read_config_text(path), path, dialects, interfaces_present=interfaces_present)


def load_text(
    text: str,
    source: str,
    dialects: Sequence[Dialect],
    *,
    interfaces_present: Collection[str] | None = None,
) -> Any:
    """Load a configuration from text; `source` names it in messages (and resolves relative includes)."""
    parsed = parse_text(text, source)
    issues = IssueLog(source, parsed.positions)
    issues.errors.extend(parsed.errors)
    issues.warnings.extend(parsed.warnings)
    return _build(parsed.value, issues, source, dialects, interfaces_present)


def load_data(
    obj: Any, source: str, dialects: Sequence[Dialect], *, interfaces_present: Collection[str] | None = None
) -> Any:
    """Load a configuration that is already a Python value (config-set). No positions exist, so every
    issue names `source` and the key path."""
    issues = IssueLog(source)
    problem = _not_json(obj)
    if problem is not None:
        path, message = problem
        issues.error(path, message)
        issues.raise_if_errors()
    return _build(obj, issues, source, dialects, interfaces_present)


def _build(
    doc: Any,
    issues: IssueLog,
    source: str,
    dialects: Sequence[Dialect],
    interfaces_present: Collection[str] | None,
) -> Any:
    found = _top_level(doc, issues, dialects)
    if found is not None:
        dialect, value = found
        return dialect.build(value, issues, source, interfaces_present)
    issues.raise_if_errors()
    raise ConfigError([issues.issue((), "no usable daemon section")])  # pragma: no cover


def _top_level(doc: Any, issues: IssueLog, dialects: Sequence[Dialect]) -> tuple[Dialect, Any] | None:
    """The dialect whose section the document holds, and that section; every other top-level key is an
    error (reported here)."""
    roots = {d.root: d for d in dialects}
    shapes = " or ".join(f'{{"{root}": {{...}}}}' for root in roots)
    if not isinstance(doc, dict):
        issues.error((), f"expected an object like {shapes}, got {show(doc)}")
        return None
    chosen = next((key for key in doc if key in roots), None)
    home = chosen or next(iter(roots))
    holds = f'"{chosen}"' if chosen else " or ".join(f'"{root}"' for root in roots)
    for key in doc:
        if key == chosen:
            continue
        if key == "Logging":
            issues.error(
                (key,),
                'the top-level "Logging" section is obsolete (Kea < 1.7); move its "loggers" list '
                f'into "{home}" as "{home}.loggers"',
                at_key=True,
            )
        elif key in KEA_DAEMONS:
            issues.error(
                (key,),
                f'"{key}" belongs to another Kea daemon; keep each daemon\'s section in its own file '
                f"(this file should hold only {holds})",
                at_key=True,
            )
        else:
            close = [root for root in roots if key.lower().startswith(root.lower())]
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            issues.error((key,), f'unknown top-level key "{key}"{hint}', at_key=True)
    if chosen is None:
        others = [k for k in doc if k in KEA_DAEMONS]
        also = f" (this file configures {', '.join(others)})" if others else ""
        names = " or ".join(f'"{root}"' for root in roots)
        issues.error((), f"no {names} section: an edge-dhcp configuration is {shapes}{also}")
        return None
    return roots[chosen], doc[chosen]


def _not_json(obj: Any) -> tuple[KeyPath, str] | None:
    """A value that json.dumps would not write, or that nests too deep: where and why (iteratively)."""
    stack: list[tuple[KeyPath, Any]] = [((), obj)]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_DEPTH:
            return path[:MAX_DEPTH], f"objects and lists nested more than {MAX_DEPTH} deep"
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    return path, f"object keys must be strings, got {type(key).__name__}"
                if not _is_text(key):
                    return path, "object keys must be text: one has a lone surrogate (\\ud800-\\udfff)"
                stack.append((path + (key,), item))
        elif isinstance(value, list):
            stack.extend((path + (i,), item) for i, item in enumerate(value))
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                return path, "numbers must be finite"
        elif isinstance(value, str):
            if not _is_text(value):
                return path, "strings must be text: this one has a lone surrogate (\\ud800-\\udfff)"
        elif not (value is None or isinstance(value, (int, bool))):
            return path, f"not a JSON value: {type(value).__name__}"
    return None


def _is_text(value: str) -> bool:
    """False for a string holding a lone surrogate (from a JSON \\ud800 escape): no file or log can take it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def top_level_key(path: str, keys: Sequence[str]) -> str | None:
    """Which of `keys` ("Dhcp4", "Dhcp6") the configuration file at `path` has at its top level; None
    when it has none of them or cannot be read (the family's own loader then says what is wrong, with its
    position)."""
    try:
        doc = parse_text(read_config_text(path), path).value
    except Exception:  # noqa: BLE001 - reported by the loader that reads the file for real
        return None
    if isinstance(doc, dict):
        for key in keys:
            if key in doc:
                return key
    return None
