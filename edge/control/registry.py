"""The command registry: a table of commands, each with its handler and the arguments it accepts.

Rules this module keeps:
- One row per command (`Command`): its Kea name, its handler, and its arguments as `Arg` rows (name,
  type, required). Adding a command is adding a row in edge/control/commands.py; nothing else lists
  command names.
- Arguments are validated before a handler runs: a missing required argument, a value of the wrong type,
  or an argument the command does not know is answered with result 1 and a message naming it. A handler
  only ever sees values of the declared types. Relations between arguments (this one or that one) are
  the handler's to check, also with result 1.
- An unknown command is answered with result 2, as Kea answers it.
- No exception escapes `dispatch`: a bug in a handler is logged with its traceback and answered with
  result 1, so no command can crash the server.

Theory of operation: `Registry.dispatch(request, context)` looks the command up, checks the arguments
against its rows and calls `handler(context, args)`. A handler returns an answer dict, or a `Reply` when
something must happen after the answer has reached the client (shutdown).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from edge.control.protocol import ERROR, UNSUPPORTED, Request, answer

__all__ = ["Arg", "ArgError", "Command", "Registry", "Reply", "ValueKind"]

log = logging.getLogger("edge.control")

U32 = 2**32 - 1


class ArgError(Exception):
    """An argument is missing or wrong; the message is for the client."""


@dataclass(frozen=True, slots=True)
class ValueKind:
    """A kind of argument value: a name for messages and a converter that returns the value or raises
    ArgError (with a message that does not yet name the argument)."""

    name: str
    convert: Callable[[Any], Any]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def integer(lo: int = 0, hi: int = U32) -> ValueKind:
    def convert(value: Any) -> int:
        if not _is_int(value):
            raise ArgError(f"must be an integer, not {_show(value)}")
        if not lo <= value <= hi:
            raise ArgError(f"must be from {lo} to {hi}, not {value}")
        return int(value)

    return ValueKind(f"an integer from {lo} to {hi}", convert)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ArgError(f"must be a string, not {_show(value)}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ArgError(f"must be true or false, not {_show(value)}")
    return value


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ArgError(f"must be a JSON object (a map), not {_show(value)}")
    return value


def _ipv4(value: Any) -> int:
    if not isinstance(value, str):
        raise ArgError(f"must be an IPv4 address in a string, not {_show(value)}")
    try:
        return int(ipaddress.IPv4Address(value))
    except ValueError:
        raise ArgError(f'"{value[:60]}" is not an IPv4 address') from None


def hex_bytes(max_len: int, min_len: int = 1) -> ValueKind:
    """Hex octets as Kea writes them: `1a:1b:1c`, also with `-` or spaces as separators, or plain hex."""

    def convert(value: Any) -> bytes:
        if not isinstance(value, str):
            raise ArgError(f'must be a string of hex octets like "01:02:03", not {_show(value)}')
        text = value.strip()
        if any(sep in text for sep in ":- "):
            parts = [p for p in text.replace("-", ":").replace(" ", ":").split(":")]
            if any(not 1 <= len(p) <= 2 for p in parts):
                raise ArgError(f'"{value[:60]}" is not a list of hex octets like "01:02:03"')
            text = "".join(p.rjust(2, "0") for p in parts)
        elif len(text) % 2:
            raise ArgError(f'"{value[:60]}" has an odd number of hex digits')
        try:
            data = bytes.fromhex(text)
        except ValueError:
            raise ArgError(f'"{value[:60]}" is not a list of hex octets like "01:02:03"') from None
        if not min_len <= len(data) <= max_len:
            raise ArgError(f"must be {min_len} to {max_len} octets long, not {len(data)}")
        return data

    return ValueKind(f"hex octets (at most {max_len})", convert)


def list_of(item: ValueKind) -> ValueKind:
    def convert(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ArgError(f"must be a list, not {_show(value)}")
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item.convert(element))
            except ArgError as exc:
                raise ArgError(f"item {index} {exc}") from None
        return out

    return ValueKind(f"a list of {item.name}", convert)


STRING = ValueKind("a string", _string)
BOOL = ValueKind("true or false", _boolean)
MAP = ValueKind("a map", _mapping)
IPV4 = ValueKind("an IPv4 address", _ipv4)
ANY = ValueKind("any value", lambda value: value)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f'string "{value[:40]}"'
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class Arg:
    name: str
    kind: ValueKind
    required: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer plus something to do once it has been sent (or the client has gone)."""

    answer: dict[str, Any]
    after: Callable[[], None] | None = None


Handler = Callable[[Any, dict[str, Any]], "dict[str, Any] | Reply"]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    summary: str = ""
    # Extra argument names accepted and ignored (Kea's HA-only parameters, e.g. dhcp-disable "origin-id").
    ignored: tuple[str, ...] = ()
    # True: the arguments are a free-form document handed over as is (config-set's {"Dhcp4": {...}}).
    free_form: bool = False
    _by_name: dict[str, Arg] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for arg in self.args:
            self._by_name[arg.name] = arg

    def validate(self, arguments: dict[str, Any] | None) -> dict[str, Any]:
        """The arguments converted to their declared kinds; ArgError names the first bad one."""
        if self.free_form:
            return dict(arguments or {})
        given = arguments or {}
        out: dict[str, Any] = {}
        for name, value in given.items():
            arg = self._by_name.get(name)
            if arg is None:
                if name in self.ignored or name == "comment":
                    continue
                known = ", ".join(f"'{a.name}'" for a in self.args) or "none"
                raise ArgError(f"unknown argument '{name}' for {self.name} (it takes: {known})")
            try:
                out[name] = arg.kind.convert(value)
            except ArgError as exc:
                raise ArgError(f"'{name}' {exc}") from None
        for arg in self.args:
            if arg.required and arg.name not in given:
                raise ArgError(f"missing mandatory '{arg.name}' argument")
        return out


class Registry:
    """Commands by name; `dispatch` validates and runs one."""

    def __init__(self, commands: Iterable[Command] = ()) -> None:
        self._commands: dict[str, Command] = {}
        for command in commands:
            self.add(command)

    def add(self, command: Command) -> None:
        if command.name in self._commands:
            raise ValueError(f"command {command.name} is registered twice")
        self._commands[command.name] = command

    def names(self) -> list[str]:
        return sorted(self._commands)

    def get(self, name: str) -> Command | None:
        return self._commands.get(name)

    def dispatch(self, request: Request, context: Any) -> Reply:
        command = self._commands.get(request.command)
        if command is None:
            return Reply(answer(UNSUPPORTED, f"'{request.command[:80]}' command not supported."))
        try:
            args = command.validate(request.arguments)
        except ArgError as exc:
            return Reply(answer(ERROR, str(exc)))
        try:
            result = command.handler(context, args)
        except ArgError as exc:
            return Reply(answer(ERROR, str(exc)))
        except Exception as exc:  # a handler bug must not take the server down
            log.exception("COMMAND_FAIL command %s failed", command.name)
            return Reply(answer(ERROR, f"internal error while running {command.name}: {exc}"))
        return result if isinstance(result, Reply) else Reply(result)
