"""ISC dhcpd 4.x configuration syntax: tokens and a tree of statements, with line numbers.

Rules this module keeps:
- Every token knows its file and line; every error is a MigrationError `FILE line N: message`.
- The reader knows only the shape of the language (statements end in `;` or carry a `{ ... }` block;
  `include "file";` splices another file in), not what the statements mean: that is read.py's job.
- Files are read lazily, one top-level statement at a time, so an error in a statement is reported before
  anything later in the file is looked at (dhcpd reports the first error it meets, and so do we).

Theory of operation. The lexer turns text into:
    string  a double-quoted string; the value is bytes (dhcpd strings may hold octal/hex escapes)
    word    a run of letters, digits and `- _ . :` -- names, numbers, addresses, hex lists and
            dotted option names alike (the meaning is decided by whoever reads the word)
    punct   one of  { } ; , = ( ) !  and the two-character != ~= ~~
`#` starts a comment to the end of the line. A word that ends in `:` gives the colon back as punct, so
`default:` and `case "x":` read the way dhcpd reads them.

The reader builds Statement(head tokens, block or None). One exception to "a `{` opens a block": in an
option definition (`option NAME code N = { ... };`) the braces are a record type and stay in the head.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from edge.migrate.common import MigrationError

__all__ = ["Statement", "Token", "read_file", "read_text", "tokens"]

WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")
PUNCT = frozenset("{};,=()!+*/%&|")
TWO_CHAR = ("!=", "~=", "~~")
MAX_INCLUDE_DEPTH = 16
MAX_BLOCK_DEPTH = 64  # real configurations nest a few levels; this only stops pathological input
# Words that only ever start a statement: met at the start of a later line inside a statement, they mean
# the statement before lacks its ';'.
STARTERS = frozenset(
    {
        "subnet",
        "shared-network",
        "host",
        "group",
        "class",
        "subclass",
        "pool",
        "range",
        "fixed-address",
        "hardware",
        "default-lease-time",
        "max-lease-time",
        "authoritative",
    }
)
SIMPLE_ESCAPES = {"t": 9, "r": 13, "n": 10, "b": 8}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "string", "word", "punct", "eof"
    value: str  # word/punct text; for strings the bytes decoded as latin-1 (one char per byte)
    line: int
    source: str

    @property
    def data(self) -> bytes:
        return self.value.encode("latin-1")

    def is_punct(self, text: str) -> bool:
        return self.kind == "punct" and self.value == text

    def is_word(self, text: str | None = None) -> bool:
        return self.kind == "word" and (text is None or self.value.lower() == text)

    def shown(self) -> str:
        if self.kind == "string":
            return '"' + self.value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
        if self.kind == "eof":
            return "end of file"
        return self.value


def tokens(text: str, source: str) -> Iterator[Token]:
    """The tokens of one file's text, then one "eof" token."""
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c == '"':
            start_line = line
            i += 1
            out = bytearray()
            while True:
                if i >= n:
                    raise MigrationError(source, start_line, "unterminated string")
                c = text[i]
                if c == '"':
                    i += 1
                    break
                if c == "\n":
                    line += 1
                if c == "\\" and i + 1 < n:
                    nxt = text[i + 1]
                    if nxt in SIMPLE_ESCAPES:
                        out.append(SIMPLE_ESCAPES[nxt])
                        i += 2
                    elif nxt in "01234567":
                        j = i + 1
                        while j < n and j < i + 4 and text[j] in "01234567":
                            j += 1
                        out.append(int(text[i + 1 : j], 8) & 0xFF)
                        i = j
                    elif nxt == "x" and i + 2 < n and text[i + 2] in "0123456789abcdefABCDEF":
                        j = i + 2
                        while j < n and j < i + 4 and text[j] in "0123456789abcdefABCDEF":
                            j += 1
                        out.append(int(text[i + 2 : j], 16))
                        i = j
                    else:
                        if nxt == "\n":
                            line += 1
                        out.extend(nxt.encode("utf-8"))
                        i += 2
                    continue
                out.extend(c.encode("utf-8"))
                i += 1
            yield Token("string", out.decode("latin-1"), start_line, source)
        elif c in WORD_CHARS:
            j = i
            while j < n and text[j] in WORD_CHARS:
                j += 1
            word = text[i:j]
            if word.endswith(":") and len(word) > 1:
                yield Token("word", word[:-1], line, source)
                yield Token("punct", ":", line, source)
            elif word == ":":
                yield Token("punct", ":", line, source)
            else:
                yield Token("word", word, line, source)
            i = j
        elif text.startswith(TWO_CHAR, i):
            yield Token("punct", text[i : i + 2], line, source)
            i += 2
        elif c in PUNCT:
            yield Token("punct", c, line, source)
            i += 1
        else:
            raise MigrationError(source, line, f"unexpected character {c!r}")
    yield Token("eof", "", line, source)


@dataclass
class Statement:
    head: list[Token]
    block: list[Statement] | None
    line: int
    source: str
    via_server_space: bool = False  # rewritten from `option server.NAME VALUE;`

    @property
    def keyword(self) -> str:
        first = self.head[0] if self.head else None
        return first.value.lower() if first is not None and first.kind == "word" else ""

    def text(self) -> str:
        """The statement as it was written, on one line (blocks shown as `{ ... }`)."""
        shown = " ".join(t.shown() for t in self.head)
        for p in (" ;", " ,", " )", " :"):
            shown = shown.replace(p, p[1:])
        shown = shown.replace("( ", "(")
        return shown + (" { ... }" if self.block is not None else ";")


class _Reader:
    def __init__(self, text: str, source: str, depth: int = 0) -> None:
        self.source = source
        self.depth = depth
        self._tokens = tokens(text, source)
        self._peeked: Token | None = None
        self._blocks = 0

    def peek(self) -> Token:
        if self._peeked is None:
            self._peeked = next(self._tokens)
        return self._peeked

    def take(self) -> Token:
        tok = self.peek()
        self._peeked = None
        return tok

    def statements(self, inside: Token | None) -> Iterator[Statement]:
        """Statements up to the closing brace of `inside` (or the end of the file when None)."""
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                if inside is not None:
                    raise MigrationError(self.source, inside.line, "missing '}' for the block opened here")
                return
            if tok.is_punct("}"):
                if inside is None:
                    raise MigrationError(self.source, tok.line, "'}' without a block to close")
                self.take()
                return
            if tok.is_punct(";"):
                self.take()  # a stray semicolon (people write `};`); dhcpd takes it too
                continue
            stmt = self.statement()
            if stmt.keyword == "include":
                yield from self.include(stmt)
            else:
                yield stmt

    def statement(self) -> Statement:
        head: list[Token] = []
        first = self.peek()
        while True:
            tok = self.take()
            if tok.kind == "eof":
                raise MigrationError(
                    self.source, first.line, f"statement '{_shown(head)}' has no ';' at its end"
                )
            if tok.is_punct(";"):
                return Statement(head, None, first.line, self.source)
            if tok.is_punct("{"):
                if _is_option_definition(head):
                    head.append(tok)
                    self.record_type(head, tok)
                    continue
                self._blocks += 1
                if self._blocks > MAX_BLOCK_DEPTH:
                    raise MigrationError(
                        self.source, tok.line, f"blocks nested more than {MAX_BLOCK_DEPTH} deep"
                    )
                block = list(self.statements(tok))
                self._blocks -= 1
                return Statement(head, block, first.line, self.source)
            if tok.is_punct("}"):
                raise MigrationError(self.source, tok.line, f"'}}' where '{_shown(head)}' needs a ';'")
            if (
                head
                and tok.line > head[-1].line
                and tok.kind == "word"
                and tok.value.lower() in STARTERS
                and not head[-1].is_punct(",")
            ):
                # dhcpd stops at the first token that cannot continue the statement: this one
                raise MigrationError(
                    self.source,
                    tok.line,
                    f"expecting ';' before '{tok.value}' (the "
                    f"statement '{_shown(head)}' of line {first.line} has none)",
                )
            head.append(tok)

    def record_type(self, head: list[Token], opening: Token) -> None:
        depth = 1
        while depth:
            tok = self.take()
            if tok.kind == "eof":
                raise MigrationError(self.source, opening.line, "record type without its closing '}'")
            head.append(tok)
            if tok.is_punct("{"):
                depth += 1
            elif tok.is_punct("}"):
                depth -= 1

    def include(self, stmt: Statement) -> Iterator[Statement]:
        if len(stmt.head) != 2 or stmt.head[1].kind != "string":
            raise MigrationError(self.source, stmt.line, "filename string expected.")
        if stmt.block is not None:
            raise MigrationError(self.source, stmt.line, "include takes a file name and a ';'")
        name = stmt.head[1].value
        if self.depth >= MAX_INCLUDE_DEPTH:
            raise MigrationError(self.source, stmt.line, f"include nested more than {MAX_INCLUDE_DEPTH} deep")
        path = name
        if not os.path.isabs(path) and not os.path.exists(path):
            # dhcpd opens relative names from its working directory; a converter is seldom run there, so
            # the including file's directory is tried too.
            beside = os.path.join(os.path.dirname(self.source), name)
            if os.path.exists(beside):
                path = beside
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as handle:
                text = handle.read()
        except OSError as err:
            raise MigrationError(self.source, stmt.line, f"Can't open {name}: {err.strerror}") from None
        yield from _Reader(text, path, self.depth + 1).statements(None)


def _is_option_definition(head: list[Token]) -> bool:
    words = [t.value.lower() if t.kind == "word" else t.value for t in head]
    return len(words) >= 5 and words[0] == "option" and words[2] == "code" and words[-1] == "="


def _shown(head: list[Token]) -> str:
    return " ".join(t.shown() for t in head[:6]) + (" ..." if len(head) > 6 else "")


def read_text(text: str, source: str) -> Iterator[Statement]:
    """Top-level statements of a configuration text, one at a time."""
    return _Reader(text, source).statements(None)


def read_file(path: str) -> Iterator[Statement]:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except OSError as err:
        raise MigrationError(path, None, f"cannot read: {err.strerror}") from None
    return read_text(text, path)
