"""A JSON parser for Kea's configuration dialect that remembers where every key and value came from.

Rules this module keeps:
- Accepts what Kea's lexer accepts beyond JSON: `#` and `//` line comments, `/* ... */` block comments,
  `<?include "path"?>` (the included file's tokens are spliced in where the directive stands, so it may
  stand for a value or for a run of members; positions then name the included file), and an extraneous
  comma before `}` or `]`, which Kea 2.2 takes with a warning and so do we; and numbers as Kea's lexer reads
  them: an integer is -?[0-9]+, anything else numeric a float, which may be written .5, 5. or +0.5.
- Rejects what Kea rejects: a key given twice in one object (reported with both positions; parsing goes
  on so several duplicates are reported at once), raw control characters inside strings, bare words.
- Every value and every key gets a position (file, line, column; 1-based, a tab counts as one column),
  stored by key path in a PositionMap. The map lives only while a configuration is being loaded.
- Never raises anything but ConfigError, whatever the input: nesting depth, number sizes, include depth
  and include cycles are bounded.

Theory of operation: a regular-expression tokenizer (`_Lexer`) per source text, a stack of them for
includes, and a small recursive-descent parser over the spliced token stream. Line and column are found
by bisecting the offsets of line starts, computed once per text.
"""

from __future__ import annotations

import bisect
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from edge.config.errors import ConfigError, ConfigIssue, format_path
from edge.config.positions import KeyPath, Position, PositionMap

__all__ = ["KeyPath", "ParsedText", "Position", "PositionMap", "parse_text", "read_config_text"]

MAX_DEPTH = 64  # Kea configurations nest about 8 deep; this only stops pathological input
MAX_INCLUDE_DEPTH = 16
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NUMBER_CHARS = 64  # Kea's integers are 64-bit; a longer literal is surely a mistake


@dataclass
class ParsedText:
    value: Any
    positions: PositionMap
    errors: list[ConfigIssue] = field(default_factory=list)  # problems that did not stop the parse
    warnings: list[ConfigIssue] = field(default_factory=list)


class _Token(NamedTuple):
    kind: str  # "{", "}", "[", "]", ":", ",", "string", "number", "word", "include", "close", "eof"
    value: Any
    pos: Position


_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t\r\n\f\v]+)
  | (?P<comment>(?:\#|//)[^\n]*)
  | (?P<block>/\*)
  | (?P<string>")
  | (?P<number>[-+]?\.?[0-9][0-9A-Za-z.+\-]*)
  | (?P<punct>[{}\[\]:,])
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<include><\?include\b)
  | (?P<close>\?>)
    """,
    re.VERBOSE,
)
# Kea's lexer: an integer is -?[0-9]+; anything else it reads as a floating point number, which may lack
# digits before or after its point (.5, 5.) and may carry a plus sign.
_INT_RE = re.compile(r"-?[0-9]+")
_NUMBER_RE = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_STRING_RUN_RE = re.compile(r'[^"\\\x00-\x1f]*')
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WORDS = {"true": True, "false": False, "null": None}


def _describe(tok: _Token) -> str:
    if tok.kind == "eof":
        return "end of file"
    if tok.kind == "string":
        text = tok.value if len(tok.value) <= 30 else tok.value[:27] + "..."
        return "string " + _quote(text)
    if tok.kind == "number":
        return "number " + str(tok.value)
    if tok.kind == "word":
        return f"word '{tok.value}'"
    if tok.kind == "include":
        return "'<?include'"
    if tok.kind == "close":
        return "'?>'"
    return f"'{tok.kind}'"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Lexer:
    """Tokens of one source text."""

    def __init__(self, text: str, file: str) -> None:
        if text.startswith("\ufeff"):
            text = text[1:]
        self.text = text
        self.file = file
        self.offset = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> Position:
        index = bisect.bisect_right(self.line_starts, offset) - 1
        return (self.file, index + 1, offset - self.line_starts[index] + 1)

    def fail(self, offset: int, message: str, path: KeyPath = ()) -> ConfigError:
        file, line, column = self.position(offset)
        return ConfigError([ConfigIssue(file, line, column, format_path(path), message)])

    def next(self, path: KeyPath) -> _Token:
        text = self.text
        while True:
            start = self.offset
            if start >= len(text):
                return _Token("eof", None, self.position(len(text)))
            m = _TOKEN_RE.match(text, start)
            if m is None:
                ch = text[start]
                shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
                hint = " (strings need double quotes)" if ch == "'" else ""
                raise self.fail(start, f"unexpected character {shown}{hint}", path)
            kind = m.lastgroup or ""
            self.offset = m.end()
            if kind in ("space", "comment"):
                continue
            if kind == "block":
                end = text.find("*/", self.offset)
                if end < 0:
                    raise self.fail(start, "comment opened here is never closed with */", path)
                self.offset = end + 2
                continue
            pos = self.position(start)
            if kind == "string":
                return _Token("string", self._string(start, path), pos)
            if kind == "number":
                return _Token("number", self._number(start, m.group(), path), pos)
            if kind == "punct":
                return _Token(m.group(), None, pos)
            if kind == "word":
                word = m.group()
                if word not in _WORDS:
                    raise self.fail(
                        start, f"unexpected word '{word[:40]}' (strings need double quotes)", path
                    )
                return _Token("word", word, pos)
            return _Token(kind, None, pos)  # include, close

    def _number(self, start: int, literal: str, path: KeyPath) -> int | float:
        if len(literal) > MAX_NUMBER_CHARS:
            raise self.fail(start, f"number is too long ({len(literal)} characters)", path)
        if not _NUMBER_RE.fullmatch(literal):
            raise self.fail(start, f"malformed number '{literal}'", path)
        if not _INT_RE.fullmatch(literal):
            number = float(literal)
            if math.isinf(number):
                raise self.fail(start, f"number '{literal}' is out of range", path)
            return number
        value = int(literal)
        if not -(2**63) <= value < 2**63:
            raise self.fail(start, f"integer {literal} does not fit in 64 bits", path)
        return value

    def _string(self, start: int, path: KeyPath) -> str:
        text = self.text
        i = start + 1
        parts: list[str] = []
        while True:
            m = _STRING_RUN_RE.match(text, i)
            assert m is not None  # the pattern matches the empty string
            parts.append(m.group())
            i = m.end()
            if i >= len(text):
                raise self.fail(start, "string is never closed", path)
            ch = text[i]
            if ch == '"':
                self.offset = i + 1
                return "".join(parts)
            if ch == "\\":
                esc = text[i + 1 : i + 2]
                if esc in _SIMPLE_ESCAPES:
                    parts.append(_SIMPLE_ESCAPES[esc])
                    i += 2
                elif esc == "u":
                    char, i = self._unicode_escape(i, path)
                    parts.append(char)
                else:
                    raise self.fail(i, f"invalid escape '\\{esc}' in string", path)
            elif ch == "\n":
                raise self.fail(start, "string is not closed before the end of the line", path)
            else:
                raise self.fail(
                    i, f"control character U+{ord(ch):04X} in string; write it as \\u{ord(ch):04x}", path
                )

    def _hex4(self, i: int, path: KeyPath) -> int:
        digits = self.text[i + 2 : i + 6]
        if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
            raise self.fail(i, "\\u must be followed by four hex digits", path)
        return int(digits, 16)

    def _unicode_escape(self, i: int, path: KeyPath) -> tuple[str, int]:
        code = self._hex4(i, path)
        if 0xD800 <= code < 0xDC00 and self.text[i + 6 : i + 8] == "\\u":
            low = self._hex4(i + 6, path)
            if 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), i + 12
        if 0xD800 <= code < 0xE000:
            raise self.fail(i, f"\\u{code:04x} is half of a surrogate pair", path)
        return chr(code), i + 6


class _Parser:
    def __init__(self, text: str, file: str, base_dir: str) -> None:
        self.lexers = [_Lexer(text, file)]
        self.base_dirs = [base_dir]
        self.chain = [os.path.realpath(file) if os.path.isfile(file) else file]
        self.positions = PositionMap()
        self.errors: list[ConfigIssue] = []
        self.warnings: list[ConfigIssue] = []
        self.depth = 0

    def fail(self, tok: _Token, message: str, path: KeyPath) -> ConfigError:
        file, line, column = tok.pos
        return ConfigError([ConfigIssue(file, line, column, format_path(path), message)])

    def next(self, path: KeyPath) -> _Token:
        while True:
            tok = self.lexers[-1].next(path)
            if tok.kind == "eof" and len(self.lexers) > 1:
                self.lexers.pop()
                self.base_dirs.pop()
                self.chain.pop()
                continue
            if tok.kind == "include":
                self._include(tok, path)
                continue
            if tok.kind == "close":
                raise self.fail(tok, "'?>' without '<?include'", path)
            return tok

    def _include(self, tok: _Token, path: KeyPath) -> None:
        lexer = self.lexers[-1]
        name_tok = lexer.next(path)
        if name_tok.kind != "string":
            raise self.fail(name_tok, "<?include must be followed by a file name in double quotes", path)
        close = lexer.next(path)
        if close.kind != "close":
            raise self.fail(close, f"expected '?>' to end <?include, found {_describe(close)}", path)
        if len(self.lexers) > MAX_INCLUDE_DEPTH:
            raise self.fail(tok, f"includes nested more than {MAX_INCLUDE_DEPTH} deep", path)
        if not name_tok.value or "\0" in name_tok.value:
            raise self.fail(name_tok, "<?include needs a file name without NUL characters", path)
        name = os.path.join(self.base_dirs[-1], name_tok.value)
        real = os.path.realpath(name)
        if real in self.chain:
            raise self.fail(tok, f"file {_quote(name_tok.value)} includes itself", path)
        try:
            text = read_config_text(name)
        except ConfigError as err:
            message = err.issues[0].message if err.issues else "cannot be read"
            raise self.fail(tok, f"cannot include {_quote(name_tok.value)}: {message}", path) from None
        self.lexers.append(_Lexer(text, name))
        self.base_dirs.append(os.path.dirname(name))
        self.chain.append(real)

    def document(self) -> Any:
        first = self.next(())
        if first.kind == "eof":
            raise self.fail(first, 'the configuration is empty; expected {"Dhcp4": {...}}', ())
        value = self.value(first, ())
        trailing = self.next(())
        if trailing.kind != "eof":
            raise self.fail(
                trailing, f"unexpected {_describe(trailing)} after the end of the configuration", ()
            )
        return value

    def value(self, tok: _Token, path: KeyPath) -> Any:
        self.positions.values[path] = tok.pos
        kind = tok.kind
        if kind == "{":
            return self.object(tok, path)
        if kind == "[":
            return self.array(tok, path)
        if kind in ("string", "number"):
            return tok.value
        if kind == "word":
            return _WORDS[tok.value]
        raise self.fail(tok, f"expected a value, found {_describe(tok)}", path)

    def _enter(self, tok: _Token, path: KeyPath) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(tok, f"objects and lists nested more than {MAX_DEPTH} deep", path)

    def object(self, open_tok: _Token, path: KeyPath) -> dict[str, Any]:
        self._enter(open_tok, path)
        result: dict[str, Any] = {}
        first_seen: dict[str, Position] = {}
        tok = self.next(path)
        if tok.kind == "}":
            self.depth -= 1
            return result
        while True:
            if tok.kind != "string":
                raise self.fail(tok, f"expected a key in double quotes, found {_describe(tok)}", path)
            key = tok.value
            key_path = path + (key,)
            colon = self.next(key_path)
            if colon.kind != ":":
                raise self.fail(
                    colon, f"expected ':' after key {_quote(key)}, found {_describe(colon)}", key_path
                )
            if key in first_seen:
                file, line, column = first_seen[key]
                self.errors.append(
                    ConfigIssue(
                        tok.pos[0],
                        tok.pos[1],
                        tok.pos[2],
                        format_path(key_path),
                        f"duplicate key {_quote(key)} (first given at {file}:{line}:{column})",
                    )
                )
                # Parse the duplicate's value for syntax, but keep the first value and its positions.
                kept = self.positions
                self.positions = PositionMap()
                try:
                    self.value(self.next(key_path), key_path)
                finally:
                    self.positions = kept
            else:
                first_seen[key] = tok.pos
                self.positions.keys[key_path] = tok.pos
                result[key] = self.value(self.next(key_path), key_path)
            tok = self.next(path)
            if tok.kind == "}":
                break
            if tok.kind != ",":
                raise self.fail(tok, f"expected ',' or '}}', found {_describe(tok)}", path)
            comma = tok
            tok = self.next(path)
            if tok.kind == "}":
                self._extraneous_comma(comma, path)
                break
        self.depth -= 1
        return result

    def array(self, open_tok: _Token, path: KeyPath) -> list[Any]:
        self._enter(open_tok, path)
        result: list[Any] = []
        tok = self.next(path)
        if tok.kind == "]":
            self.depth -= 1
            return result
        while True:
            item_path = path + (len(result),)
            result.append(self.value(tok, item_path))
            tok = self.next(path)
            if tok.kind == "]":
                break
            if tok.kind != ",":
                raise self.fail(tok, f"expected ',' or ']', found {_describe(tok)}", path)
            comma = tok
            tok = self.next(path)
            if tok.kind == "]":
                self._extraneous_comma(comma, path)
                break
        self.depth -= 1
        return result

    def _extraneous_comma(self, comma: _Token, path: KeyPath) -> None:
        file, line, column = comma.pos
        self.warnings.append(
            ConfigIssue(
                file, line, column, format_path(path), "extraneous comma (Kea accepts it with a warning)"
            )
        )


def parse_text(text: str, source: str = "<string>", base_dir: str | None = None) -> ParsedText:
    """Parse Kea-dialect JSON. Raises ConfigError (one issue) on a syntax error; duplicate keys are
    returned in `errors` so the caller can report them together with later findings."""
    if base_dir is None:
        base_dir = os.path.dirname(source) if os.path.isfile(source) else os.getcwd()
    parser = _Parser(text, source, base_dir)
    value = parser.document()
    return ParsedText(value, parser.positions, parser.errors, parser.warnings)


def read_config_text(path: str) -> str:
    """Read a configuration file as text; any failure is a ConfigError naming the file."""

    def fail(message: str, line: int | None = None, column: int | None = None) -> ConfigError:
        return ConfigError([ConfigIssue(path, line, column, "", message)])

    try:
        if os.path.isdir(path):
            raise fail("is a directory, not a configuration file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise fail(f"cannot read: {err.strerror or err}") from None
    if len(data) > MAX_FILE_BYTES:
        raise fail(f"is larger than {MAX_FILE_BYTES // 2**20} MiB; this is not a configuration file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start].decode("utf-8", "replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        raise fail(f"not UTF-8 text (byte 0x{data[err.start]:02x})", line, column) from None
