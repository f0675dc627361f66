"""A large control command parsed in bounded steps, so the server loop serves packets in between.

Rules this module keeps:
- The value is exactly what `protocol.parse_value` gives for the same bytes (the stdlib JSON decoder does
  the parsing; the same hooks refuse NaN, Infinity and 1e999; comments are blanked first; lone surrogates
  are refused), or a RequestError, never anything else.
- No step does much more than STEP bytes of work: `steps()` is a generator that yields between steps, and
  the control channel runs one step per turn of the loop (edge/control/service.py).

Theory of operation: the text is first made ASCII (comments blanked; a command with characters beyond
ASCII has them written as JSON \\u escapes, which decode to the same strings), in slices. Then values are
read from the start: a container is first measured with a bounded look-ahead (strings and brackets only);
one that ends within SMALL characters is handed whole to the C decoder (`raw_decode`), and a larger one is
walked here, key by key or item by item, each of its members treated the same way. So the C decoder never
gets more than SMALL characters at once (a single huge string scalar excepted: one C call, ~1 ms per MB),
and the Python walk only visits the few containers that are large.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Generator
from json.decoder import scanstring
from typing import Any

from edge.control.protocol import (
    MAX_COMMAND_BYTES,
    MAX_DEPTH,
    CommandScanner,
    RequestError,
    _finite,
    _no_constants,
    not_plain_json,
    strip_comments,
)

__all__ = ["SMALL", "STEP", "steps"]

STEP = 16 * 1024  # bytes of work between two yields (a few hundred small values: ~2-3 ms)
DECODE_SLICE = 512 * 1024  # bytes decoded per step (C speed: ~0.5 ms)
SMALL = 16 * 1024  # containers up to this many characters go to the C decoder in one call

_DECODER = json.JSONDecoder(parse_constant=_no_constants, parse_float=_finite)
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_SPACE = re.compile(r"[ \t\n\r]*")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeEncodeError)
    out = []
    for ch in error.object[error.start : error.end]:
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
        else:
            out.append("\\u%04x" % code)
    return "".join(out), error.end


codecs.register_error("edge-json-escape", _json_escape)


class _Budget:
    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = 0


def steps(data: bytes | bytearray, comments: bool | None = None) -> Generator[None, None, Any]:
    """Parse `data` (one command's bytes), yielding between bounded steps; the generator's return value
    is the parsed value. RequestError for anything that is not a usable JSON text. `comments`: whether
    the stream scanner saw a comment in it (None: not scanned; then it is, here, in steps)."""
    if len(data) > MAX_COMMAND_BYTES:
        raise RequestError(f"command is larger than {MAX_COMMAND_BYTES // 1024 // 1024} MiB")
    if comments is None:
        scanner = CommandScanner(limit=len(data) + 1)
        for start in range(0, len(data), STEP):
            if scanner.feed(data[start : start + STEP]) is not None:
                break
            yield
        comments = scanner.comments
    text = yield from _ascii_text(data, comments)
    budget = _Budget()
    pos = _skip(text, 0)
    if pos >= len(text):
        raise RequestError("empty command")
    try:
        if _large(text, pos):
            value, end = yield from _value(text, pos, 0, budget)
        else:
            value, end = _small(text, pos, budget)
    except RecursionError:
        raise RequestError(f"command nests more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise RequestError(f"invalid JSON: {exc}") from None
    end = _skip(text, end)
    if end != len(text):
        raise RequestError(f"invalid JSON: extra data at character {end}")
    surrogates = False
    for start in range(0, len(text), STEP):  # in slices; an escape split by a slice edge is seen by the next
        if _SURROGATE_ESCAPE.search(text, max(0, start - 6), start + STEP):
            surrogates = True
            break
        yield
    if surrogates:
        problem = not_plain_json(value)
        if problem is not None:
            raise RequestError(f"command refused: {problem}")
    return value


def _ascii_text(data: bytes | bytearray, comments: bool) -> Generator[None, None, str]:
    """`data` as an ASCII str that parses to the same value: comments blanked, other characters escaped."""
    if comments:
        try:
            text = strip_comments(bytes(data).decode("utf-8"))  # rare for large commands: in one go
        except UnicodeDecodeError as exc:
            raise RequestError(f"command is not valid UTF-8 (byte {exc.start})") from None
        yield
        data = text.encode("utf-8", "surrogatepass")
    decoder = codecs.getincrementaldecoder("utf-8")()
    parts = []
    for start in range(0, len(data), DECODE_SLICE):
        try:
            piece = decoder.decode(
                data[start : start + DECODE_SLICE], final=start + DECODE_SLICE >= len(data)
            )
        except UnicodeDecodeError as exc:
            raise RequestError(f"command is not valid UTF-8 (byte {start + exc.start})") from None
        parts.append(piece if piece.isascii() else piece.encode("ascii", "edge-json-escape").decode("ascii"))
        yield
    return "".join(parts)


def _skip(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _extent(text: str, pos: int) -> int | None:
    """Where the container opening at `pos` ends, if within SMALL characters; None if it goes on."""
    depth = 0
    for match in _TOKENS.finditer(text, pos, pos + SMALL):
        token = match.group()
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
            if depth == 0:
                return match.end()
    return None


def _value(text: str, pos: int, depth: int, budget: _Budget) -> Generator[None, None, tuple[Any, int]]:
    if depth > MAX_DEPTH:
        raise RequestError(f"command nests more than {MAX_DEPTH} levels deep")
    if text[pos : pos + 1] == "{":
        return (yield from _object(text, pos, depth, budget))
    return (yield from _array(text, pos, depth, budget))


def _large(text: str, pos: int) -> bool:
    """Whether the value at `pos` is a container that does not end within SMALL characters."""
    return text[pos : pos + 1] in ("{", "[") and _extent(text, pos) is None


def _small(text: str, pos: int, budget: _Budget) -> tuple[Any, int]:
    """The value at `pos` (not _large) from the C decoder; counts its size toward the step."""
    value, end = _DECODER.raw_decode(text, pos)
    budget.used += end - pos
    return value, end


def _object(text: str, pos: int, depth: int, budget: _Budget) -> Generator[None, None, tuple[Any, int]]:
    out: dict[str, Any] = {}
    pos = _skip(text, pos + 1)
    if text[pos : pos + 1] == "}":
        return out, pos + 1
    while True:
        if text[pos : pos + 1] != '"':
            raise ValueError(f"expected a property name in double quotes at character {pos}")
        key, pos = scanstring(text, pos + 1)
        pos = _skip(text, pos)
        if text[pos : pos + 1] != ":":
            raise ValueError(f"expected ':' at character {pos}")
        pos = _skip(text, pos + 1)
        if _large(text, pos):
            item, pos = yield from _value(text, pos, depth + 1, budget)
        else:
            item, pos = _small(text, pos, budget)
            if budget.used >= STEP:
                budget.used = 0
                yield
        out[key] = item
        pos = _skip(text, pos)
        separator = text[pos : pos + 1]
        if separator == "}":
            return out, pos + 1
        if separator != ",":
            raise ValueError(f"expected ',' or '}}' at character {pos}")
        pos = _skip(text, pos + 1)


def _array(text: str, pos: int, depth: int, budget: _Budget) -> Generator[None, None, tuple[Any, int]]:
    out: list[Any] = []
    pos = _skip(text, pos + 1)
    if text[pos : pos + 1] == "]":
        return out, pos + 1
    while True:
        if _large(text, pos):
            item, pos = yield from _value(text, pos, depth + 1, budget)
        else:
            item, pos = _small(text, pos, budget)
            if budget.used >= STEP:
                budget.used = 0
                yield
        out.append(item)
        pos = _skip(text, pos)
        separator = text[pos : pos + 1]
        if separator == "]":
            return out, pos + 1
        if separator != ",":
            raise ValueError(f"expected ',' or ']' at character {pos}")
        pos = _skip(text, pos + 1)
