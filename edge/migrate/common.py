"""What every migration tool shares: the refusal error, the notes, the result.

Rules this module keeps:
- Input that the old server itself would refuse is refused with one MigrationError whose text is
  `FILE line N: message` (the shape keama and dhcpd use), never a traceback.
- Input that is valid but cannot be carried over becomes a Note: where it was (file, line), what it was,
  and why it was not translated. Each note is also written as a comment into the output, next to where
  the translation would have gone; the command's exit status is the number of notes (as keama's is).
- Informational remarks (something was translated in a way worth knowing) are comments only; they are not
  notes and do not count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edge.migrate.jsonout import Comment, dumps, plain

__all__ = ["MigrationError", "Note", "Result", "Untranslatable"]


class MigrationError(Exception):
    """The input is invalid; `str()` is `FILE line N: message`."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source} line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class Untranslatable(Exception):
    """Valid input that has no translation; the message says why (it becomes a Note)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class Note:
    source: str
    line: int | None
    what: str
    why: str

    def __str__(self) -> str:
        where = f"{self.source} line {self.line}" if self.line is not None else self.source
        return f"{where}: not translated: {self.what}: {self.why}"

    def comment(self) -> Comment:
        where = f"line {self.line}" if self.line is not None else self.source
        return Comment(f"NOT TRANSLATED ({where}): {self.what}", f"  why: {self.why}")


@dataclass
class Result:
    """A translated configuration: the document (with Comment objects in it) and the notes."""

    document: dict[str, Any]
    notes: list[Note] = field(default_factory=list)
    header: list[str] = field(default_factory=list)

    def data(self) -> dict[str, Any]:
        """The document without comments, as Kea or edge-dhcp would read it."""
        return plain(self.document)

    def text(self) -> str:
        lines = list(self.header)
        if self.notes:
            lines.append(
                f"{len(self.notes)} thing(s) could not be translated; each is marked NOT TRANSLATED."
            )
        return dumps(self.document, header=Comment(*lines) if lines else None)
