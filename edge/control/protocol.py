"""Kea's control-channel message format: one JSON command in, one JSON answer out.

Rules this module keeps:
- A command is a JSON object `{"command": NAME, "arguments": {...}, "service": [...]}`; comments (`#`, `//`,
  `/* */`) are allowed as Kea 1.9.7+ allows them. `remote-address` (set by Kea's agent) is accepted and
  ignored like `service`; any other top-level key is refused, as Kea refuses it.
- An answer is `{"result": CODE, "text": ..., "arguments": ...}` with Kea's codes: 0 success, 1 error,
  2 unsupported command, 3 empty (nothing found / nothing done), 4 conflict.
- Nothing here raises anything but RequestError, whatever the bytes: sizes and nesting are bounded
  (MAX_COMMAND_BYTES, MAX_DEPTH), NaN/Infinity and invalid UTF-8 are refused with a message, and so are
  numbers that overflow to infinity (1e999) and lone surrogates (a `\\ud800` escape without its pair):
  whatever a command carries can be written back as strict JSON and as UTF-8 (answers, lease files, logs).
- Nothing here reads files: unlike the configuration parser, `<?include?>` is not a thing on the wire.

Theory of operation: a stream transport (the Unix socket) does not say where a command ends, so
`CommandScanner` is fed the bytes as they arrive and reports the offset where the top-level object closes,
tracking strings, escapes and comments across chunk boundaries (a `/` or `*` at the end of one chunk
pairs with the next). `parse_command` then blanks the comments and hands the text to the stdlib json
parser, which is fast and exact.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = [
    "CONFLICT",
    "EMPTY",
    "ERROR",
    "MAX_COMMAND_BYTES",
    "MAX_DEPTH",
    "SUCCESS",
    "UNSUPPORTED",
    "CommandScanner",
    "Request",
    "RequestError",
    "answer",
    "encode_answer",
    "not_plain_json",
    "parse_command",
    "strip_comments",
]

SUCCESS = 0
ERROR = 1
UNSUPPORTED = 2
EMPTY = 3
CONFLICT = 4

# A configuration with a few thousand reservations is well under a megabyte; 8 MiB leaves room without
# letting one client make a Raspberry Pi swap.
MAX_COMMAND_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64  # the same bound as the configuration parser's
TOP_LEVEL_KEYS = frozenset({"command", "arguments", "service", "remote-address"})


class RequestError(Exception):
    """The bytes are not a usable command; the message says why, for the client."""


def answer(result: int, text: str | None = None, arguments: Any = None) -> dict[str, Any]:
    """A control-channel answer in Kea's shape (keys present only when given)."""
    out: dict[str, Any] = {"result": result}
    if text is not None:
        out["text"] = text
    if arguments is not None:
        out["arguments"] = arguments
    return out


def encode_answer(value: Any, pretty: bool = False) -> bytes:
    """Strict JSON bytes for an answer (or a list of them); never fails on odd values: other types and
    non-finite numbers become strings (NaN and Infinity are not JSON, and Kea's clients refuse them)."""
    try:
        return _dump_answer(value, pretty)
    except ValueError:  # a non-finite float somewhere
        return _dump_answer(_finite_only(value), pretty)


def _dump_answer(value: Any, pretty: bool) -> bytes:
    if pretty:
        return json.dumps(value, indent=2, sort_keys=False, default=str, allow_nan=False).encode()
    return json.dumps(value, separators=(", ", ": "), default=str, allow_nan=False).encode()


def _finite_only(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite_only(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_only(item) for item in value]
    return value


# ----------------------------------------------------------------------------------------- stream scanner

_OUT, _STRING, _ESCAPE, _LINE_COMMENT, _BLOCK_COMMENT = range(5)
# What CommandScanner.feed skips without looking at each byte: the body of a string up to its closing quote
# or a backslash, a line comment up to its end, and what lies between tokens that matter (outside strings
# only quotes, brackets, braces and comment starts do).
_IN_STRING = re.compile(rb'[^"\\]*')
_IN_LINE_COMMENT = re.compile(rb"[^\r\n]*")
_BETWEEN_TOKENS = re.compile(rb'(?s)(?:[^"{}\[\]/#]+|"[^"\\]*(?:\\.[^"\\]*)*")*')  # and complete strings


class CommandScanner:
    """Finds where one JSON object ends in a byte stream fed in chunks.

    `feed(chunk)` returns None while the object is incomplete, or the number of bytes (counted from the
    first byte ever fed) that make up the complete command. It raises RequestError as soon as the stream
    cannot be a command: it does not start with `{`, nests deeper than MAX_DEPTH, or grows past the limit.
    Bytes after the end of the object are ignored (a client may send a trailing newline).
    """

    __slots__ = ("limit", "_state", "_depth", "_seen", "_slash", "_star", "_started", "comments")

    def __init__(self, limit: int = MAX_COMMAND_BYTES) -> None:
        self.limit = limit
        self._state = _OUT
        self._depth = 0
        self._seen = 0
        self._slash = False  # the previous byte (outside strings) was a '/' that may open a comment
        self._star = False  # inside a block comment, the previous byte was '*'
        self._started = False
        self.comments = False  # a comment was seen (outside strings): the parser must blank it

    def feed(self, chunk: bytes) -> int | None:
        """Runs of bytes that cannot change the state (inside a string, a comment, or between tokens) are
        skipped by regular expressions, at C speed; `_step` takes the bytes that may change it, one by one.
        A 64 KiB chunk of JSON costs well under a millisecond."""
        base = self._seen
        self._seen += len(chunk)
        i, n = 0, len(chunk)
        step = self._step
        while i < n:
            state = self._state
            if state == _STRING:
                i = _IN_STRING.match(chunk, i).end()  # type: ignore[union-attr]
            elif state == _LINE_COMMENT:
                i = _IN_LINE_COMMENT.match(chunk, i).end()  # type: ignore[union-attr]
            elif state == _BLOCK_COMMENT and not self._star:
                at = chunk.find(b"*", i)
                i = n if at < 0 else at
            elif state == _OUT and self._started and not self._slash:
                i = _BETWEEN_TOKENS.match(chunk, i).end()  # type: ignore[union-attr]
            if i >= n:
                break
            if step(chunk[i]):
                return base + i + 1
            i += 1
        if self._seen > self.limit:
            raise RequestError(f"command is larger than {self.limit // 1024 // 1024} MiB")
        return None

    def _step(self, byte: int) -> bool:
        state = self._state
        if state == _STRING:
            if byte == 0x5C:  # backslash
                self._state = _ESCAPE
            elif byte == 0x22:
                self._state = _OUT
            return False
        if state == _ESCAPE:
            self._state = _STRING
            return False
        if state == _LINE_COMMENT:
            if byte in (0x0A, 0x0D):
                self._state = _OUT
            self.comments = True
            return False
        if state == _BLOCK_COMMENT:
            self.comments = True
            if self._star and byte == 0x2F:
                self._state = _OUT
                self._star = False
            else:
                self._star = byte == 0x2A
            return False
        # outside strings and comments
        if self._slash:
            self._slash = False
            if byte == 0x2F:
                self._state = _LINE_COMMENT
                return False
            if byte == 0x2A:
                self._state = _BLOCK_COMMENT
                self._star = False
                return False
            if not self._started:
                raise RequestError("a command must be a JSON object starting with '{'")
            # a lone '/' inside the object: the JSON parser will report it
        if byte in (0x20, 0x09, 0x0A, 0x0D):
            return False
        if byte == 0x2F:
            self._slash = True
            return False
        if byte == 0x23:  # '#'
            self._state = _LINE_COMMENT
            return False
        if not self._started:
            if byte != 0x7B:
                raise RequestError("a command must be a JSON object starting with '{'")
            self._started = True
        if byte == 0x22:
            self._state = _STRING
        elif byte in (0x7B, 0x5B):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise RequestError(f"command nests more than {MAX_DEPTH} levels deep")
        elif byte in (0x7D, 0x5D):
            self._depth -= 1
            if self._depth <= 0:
                return True
        return False


# ----------------------------------------------------------------------------------------- parsing


def strip_comments(text: str) -> str:
    """`text` with Kea-style comments outside strings replaced by spaces (line breaks kept)."""
    out: list[str] = []
    i, n = 0, len(text)
    start = 0
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            continue
        if ch == "#" or (ch == "/" and i + 1 < n and text[i + 1] == "/"):
            end = i
            while end < n and text[end] not in "\r\n":
                end += 1
            out.append(text[start:i])
            out.append(" " * (end - i))
            i = start = end
            continue
        if ch == "/" and i + 1 < n and text[i + 1] == "*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(text[start:i])
            out.append("".join(c if c in "\r\n" else " " for c in text[i:end]))
            i = start = end
            continue
        i += 1
    out.append(text[start:])
    return "".join(out)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(literal: str) -> float:
    number = float(literal)
    if number in (math.inf, -math.inf):
        raise ValueError(f"number {literal[:40]} is out of range")
    return number


# Lone surrogates can only come from escapes (UTF-8 cannot carry them): look for the values only then.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def not_plain_json(value: Any) -> str | None:
    """Why `value` could not be written back as strict JSON in UTF-8 (a non-finite number, a string with a
    lone surrogate, a non-JSON type), or None. Iterative, so any depth is fine."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not _is_text(item):
                return f'a string holds a lone surrogate ("{item.encode("utf-8", "backslashreplace").decode()[:40]}")'
        elif isinstance(item, dict):
            for key, element in item.items():
                if not isinstance(key, str) or not _is_text(key):
                    return "an object key is not text (a lone surrogate)"
                stack.append(element)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"the number {item} is not finite"
        elif not (item is None or isinstance(item, (bool, int))):
            return f"{type(item).__name__} is not a JSON value"
    return None


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _depth_ok(value: Any) -> bool:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


class Request:
    """A parsed command: its name, its arguments (None when absent) and the services it names."""

    __slots__ = ("command", "arguments", "service", "checked")

    def __init__(
        self, command: str, arguments: dict[str, Any] | None, service: list[str] | None, checked: bool = False
    ) -> None:
        self.command = command
        self.arguments = arguments
        self.service = service
        self.checked = checked  # parse_command has made sure every value is plain JSON (not_plain_json)

    def __repr__(self) -> str:
        return f"Request({self.command!r})"


def parse_value(data: bytes | str) -> Any:
    """Decode and parse one JSON text (comments allowed); RequestError says what is wrong."""
    if len(data) > MAX_COMMAND_BYTES:
        raise RequestError(f"command is larger than {MAX_COMMAND_BYTES // 1024 // 1024} MiB")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RequestError(f"command is not valid UTF-8 (byte {exc.start})") from None
    else:
        text = data
    text = strip_comments(text)
    if not text.strip():
        raise RequestError("empty command")
    try:
        value = json.loads(text, parse_constant=_no_constants, parse_float=_finite)
    except RecursionError:
        raise RequestError(f"command nests more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise RequestError(f"invalid JSON: {exc}") from None
    if _SURROGATE_ESCAPE.search(text):
        problem = not_plain_json(value)
        if problem is not None:
            raise RequestError(f"command refused: {problem}")
    return value


def parse_command(data: bytes | str | Any, *, parsed: bool = False, checked: bool = False) -> Request:
    """A Request from the bytes of one command (or, with parsed=True, from an already parsed value; with
    checked=True too, one whose depth and values have been checked already: jsonsteps.steps' value)."""
    value = data if parsed else parse_value(data)
    if not checked and not _depth_ok(value):
        raise RequestError(f"command nests more than {MAX_DEPTH} levels deep")
    if parsed and not checked:
        problem = not_plain_json(value)
        if problem is not None:
            raise RequestError(f"command refused: {problem}")
    if not isinstance(value, dict):
        raise RequestError('a command must be a JSON object, e.g. {"command": "status-get"}')
    for key in value:
        if key not in TOP_LEVEL_KEYS:
            raise RequestError(
                f'unsupported parameter \'{key}\' (a command has "command", "arguments", "service")'
            )
    if "command" not in value:
        raise RequestError("missing mandatory 'command' parameter")
    command = value["command"]
    if not isinstance(command, str) or not command:
        raise RequestError("'command' must be a non-empty string")
    arguments = value.get("arguments")
    if arguments is not None and not isinstance(arguments, dict):
        raise RequestError("'arguments' must be a JSON object (a map)")
    service = value.get("service")
    if service is not None:
        if not isinstance(service, list) or not all(isinstance(s, str) for s in service):
            raise RequestError("'service' must be a list of strings, e.g. [\"dhcp4\"]")
    return Request(command, arguments, service, checked=True)
