"""Configuration problems, as values: what went wrong, where in which file, at which key path.

Rules this module keeps:
- Every problem the loader finds is a ConfigIssue naming the file, line and column (when the text was
  parsed from a file or string) and always the key path, e.g. `Dhcp4.subnet4[0].pools[0].pool`.
  `str(issue)` is `FILE:LINE:COL: PATH: MESSAGE`, the shape compilers use, so editors can jump to it.
- Loading fails with one ConfigError carrying every error found, not just the first one.
- Warnings use the same ConfigIssue shape; they never stop a load.

Theory of operation: the loader walks the parsed document with an IssueLog, which knows the source name
and (optionally) the position map from `jsonpos`. Code reports a problem by key path only; the log turns
the path into a position, falling back to the nearest ancestor that has one (e.g. a default that was
filled in has no position of its own, but its object does). `load_data` (config-set) has no positions,
so its issues carry the source name and the path only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from edge.config.positions import KeyPath, PositionMap

__all__ = ["ConfigError", "ConfigIssue", "IssueLog", "format_path"]


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        if self.path:
            return f"{where}: {self.path}: {self.message}"
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """A configuration that cannot be used. `issues` lists every error found; `warnings` any warnings."""

    def __init__(self, issues: Sequence[ConfigIssue], warnings: Sequence[ConfigIssue] = ()) -> None:
        self.issues: list[ConfigIssue] = list(issues)
        self.warnings: list[ConfigIssue] = list(warnings)
        super().__init__("\n".join(str(issue) for issue in self.issues))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)


def _plain_key(key: str) -> bool:
    return bool(key) and all(ch.isalnum() or ch in "-_" for ch in key)


MAX_PATH_PARTS = 16  # longer paths (only pathological nesting makes them) keep their two ends


def format_path(path: Iterable[str | int]) -> str:
    """('Dhcp4', 'subnet4', 0, 'pool') -> 'Dhcp4.subnet4[0].pool'. Odd keys are quoted: x["a b"]."""
    parts = list(path)
    if len(parts) > MAX_PATH_PARTS:
        head, tail = parts[: MAX_PATH_PARTS // 2], parts[-MAX_PATH_PARTS // 4 :]
        return f"{format_path(head)}...({len(parts) - len(head) - len(tail)} more)...{format_path(tail)}"
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _plain_key(part):
            out.append(("." if out else "") + part)
        else:
            out.append('["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]')
    return "".join(out)


class IssueLog:
    """Collects errors and warnings for one load; turns key paths into positions."""

    def __init__(self, source: str, positions: PositionMap | None = None) -> None:
        self.source = source
        self.positions = positions
        self.errors: list[ConfigIssue] = []
        self.warnings: list[ConfigIssue] = []

    def issue(self, path: KeyPath, message: str, *, at_key: bool = False, inside: int = 0) -> ConfigIssue:
        """`inside`: a character offset into the string value at `path` (an expression's error position);
        applied only when that value's own position is known and it is on one line."""
        file, line, column = self.source, None, None
        if self.positions is not None:
            pos = self.positions.locate(path, at_key=at_key)
            if pos is not None:
                file, line, column = pos
                if inside and not at_key and self.positions.values.get(tuple(path)) == pos:
                    column += 1 + inside  # skip the opening quote
        return ConfigIssue(file, line, column, format_path(path), message)

    def error(self, path: KeyPath, message: str, *, at_key: bool = False, inside: int = 0) -> None:
        self.errors.append(self.issue(path, message, at_key=at_key, inside=inside))

    def warning(self, path: KeyPath, message: str, *, at_key: bool = False) -> None:
        self.warnings.append(self.issue(path, message, at_key=at_key))

    def sorted(self, issues: list[ConfigIssue]) -> list[ConfigIssue]:
        """Issues in reading order: the main file first, then included files, each by line and column."""
        seen: dict[str, int] = {}
        for issue in issues:
            seen.setdefault(issue.file, len(seen))
        return sorted(
            issues,
            key=lambda i: (i.file != self.source, seen[i.file], i.line or 0, i.column or 0),
        )

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ConfigError(self.sorted(self.errors), self.sorted(self.warnings))


def not_ascii_name(text: str) -> str:
    """The message for a DNS name (or part of one) with characters beyond ASCII: names go on the wire one
    byte per character (option 12/81, DNS updates), so an internationalized name is written in its IDNA
    form. (Kea 2.2 would send the UTF-8 bytes as they are; no resolver reads them as the name meant.)"""
    bad = next(ch for ch in text if not ch.isascii())
    shown = repr(bad)[1:-1] if bad.isprintable() else f"U+{ord(bad):04X}"
    return (
        f'"{text[:40]}" is not usable in a DNS name: "{shown}" is not ASCII (write an internationalized '
        "name in its IDNA form, xn--...)"
    )
