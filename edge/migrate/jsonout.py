"""Kea-dialect JSON with comments, written by the migration tools.

Rules this module keeps:
- A comment is a value of its own, `Comment`, placed where it belongs: as an element of a list (it then
  stands where an untranslated item would have been) or as a key of a dict (it stands before the keys that
  follow it). Comments never change the data: `plain()` drops them, and the text `dumps()` writes parses
  back (with Kea's or edge-dhcp's comment-aware JSON reader) to exactly `plain(obj)`.
- Output is stable: keys keep the order they were inserted in, two-space indentation, `//` comments.

Theory of operation: the translators build ordinary dicts and lists and drop `Comment` objects in as they
go. `dumps` walks the tree; commas go after values only (a comment never takes a comma), so it looks
ahead for the next real member before deciding whether a value needs one.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["Comment", "dumps", "plain"]


class Comment:
    """One or more comment lines. Hashes by identity, so many may sit in one dict as keys."""

    __slots__ = ("lines",)

    def __init__(self, *lines: str) -> None:
        out: list[str] = []
        for line in lines:
            out.extend(line.splitlines() or [""])
        self.lines = out

    def __repr__(self) -> str:
        return f"Comment({' / '.join(self.lines)!r})"


def plain(obj: Any) -> Any:
    """The data without comments."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items() if not isinstance(k, Comment)}
    if isinstance(obj, list):
        return [plain(v) for v in obj if not isinstance(v, Comment)]
    return obj


def _comment_lines(comment: Comment, pad: str) -> list[str]:
    return [f"{pad}// {line}".rstrip() for line in comment.lines]


def dumps(obj: Any, indent: int = 2, header: Comment | None = None) -> str:
    lines: list[str] = []
    if header is not None:
        lines.extend(_comment_lines(header, ""))
    _write(obj, 0, indent, lines, prefix="", suffix="")
    return "\n".join(lines) + "\n"


def _write(obj: Any, level: int, indent: int, out: list[str], prefix: str, suffix: str) -> None:
    pad = " " * (indent * level)
    if isinstance(obj, dict):
        entries = list(obj.items())
        if not entries:
            out.append(f"{pad}{prefix}{{}}{suffix}")
            return
        out.append(f"{pad}{prefix}{{")
        real = [i for i, (k, _) in enumerate(entries) if not isinstance(k, Comment)]
        last = real[-1] if real else -1
        inner = " " * (indent * (level + 1))
        for i, (key, value) in enumerate(entries):
            if isinstance(key, Comment):
                out.extend(_comment_lines(key, inner))
                continue
            comma = "," if i != last else ""
            _write(value, level + 1, indent, out, prefix=json.dumps(key) + ": ", suffix=comma)
        out.append(f"{pad}}}{suffix}")
        return
    if isinstance(obj, list):
        if not obj:
            out.append(f"{pad}{prefix}[]{suffix}")
            return
        out.append(f"{pad}{prefix}[")
        real = [i for i, v in enumerate(obj) if not isinstance(v, Comment)]
        last = real[-1] if real else -1
        inner = " " * (indent * (level + 1))
        for i, value in enumerate(obj):
            if isinstance(value, Comment):
                out.extend(_comment_lines(value, inner))
                continue
            _write(value, level + 1, indent, out, prefix="", suffix="," if i != last else "")
        out.append(f"{pad}]{suffix}")
        return
    out.append(f"{pad}{prefix}{json.dumps(obj)}{suffix}")
