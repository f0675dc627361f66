"""What every statement handler of the dhcpd reader works with: the state being built and small helpers.

Rules this module keeps:
- Errors are refusals dhcpd would make too: `fail()` gives the MigrationError (`FILE line N: message`) of
  the statement or token at fault; handlers raise it. Untranslatable (and NeedsDns) raised by a handler
  becomes a note on the statement (read.py does that), never an error.
- `note()` records a note in the model's list and stands it where the statement was: among the scope's
  items, or among its option notes (so it is written inside option-data, where the option would be).
- Values are read the way dhcpd reads them: `flag` takes true/false/on/off (none: on), `address` an IPv4
  address (a host name raises NeedsDns: dhcpd would look it up, a converter must not).

Theory of operation: ReaderContext holds the scope tree and the option spaces, definitions and classes
declared so far; params.py and option_statements.py add the handlers (`kw_<keyword>` methods) as
subclasses of it, and read.py joins them with the dispatch and the declarations. `model()` hands the
result on to the writer.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from edge.migrate.common import MigrationError, Note, Untranslatable
from edge.migrate.dhcpd.model import KEA_SCOPE_KEYS, Model, Scope
from edge.migrate.dhcpd.options import (
    BUILTIN_SPACES,
    IPV4,
    DType,
    NeedsDns,
    OptionInfo,
    standard_options,
)
from edge.migrate.dhcpd.syntax import Statement, Token
from edge.migrate.jsonout import Comment

__all__ = ["ReaderContext"]

GLOBAL_ONLY = {"echo-client-id"}
FLAG_WORDS = {"true": True, "on": True, "false": False, "off": False}


class ReaderContext:
    def __init__(self, source: str) -> None:
        self.source = source
        self.root = Scope("root", 0, None)
        self.options: dict[tuple[str, str], OptionInfo] = dict(standard_options())
        self.spaces: dict[str, int | None] = {"dhcp": None, "agent": None}  # user spaces -> vendor id
        self.vendor_spaces: dict[str, int] = {}  # dhcpd space -> enterprise number (vivso)
        self.encapsulated: dict[str, int] = {}  # dhcpd space -> dhcp option code that carries it
        self.definitions: list[OptionInfo] = []
        self.classes: dict[str, Scope] = {}
        self.notes: list[Note] = []
        self.subnet_count = 0
        self.server_duid_line = 0
        self.interfaces: list[str] = []

    def model(self) -> Model:
        return Model(
            self.source,
            self.root,
            self.interfaces,
            self.vendor_spaces,
            self.encapsulated,
            self.definitions,
            self.classes,
            self.notes,
        )

    def statement(self, stmt: Statement, scope: Scope) -> None:
        """Interpret one statement inside `scope` (read.py's dispatch)."""
        raise NotImplementedError

    def fail(self, where: Statement | Token, message: str) -> MigrationError:
        return MigrationError(where.source, where.line, message)

    def note(
        self, scope: Scope, stmt: Statement, why: str, *, what: str | None = None, option: bool = False
    ) -> None:
        n = Note(stmt.source, stmt.line, what or stmt.text(), why)
        self.notes.append(n)
        if option:
            scope.option_notes.append(n)
        else:
            scope.items.append(n)

    def info(self, scope: Scope, *lines: str) -> None:
        scope.items.append(Comment(*lines))

    @staticmethod
    def args(stmt: Statement) -> list[Token]:
        return stmt.head[1:]

    def flag(self, stmt: Statement, toks: list[Token]) -> bool:
        if not toks:
            return True  # `authoritative;`-style flags default to on
        if len(toks) != 1 or toks[0].kind != "word" or toks[0].value.lower() not in FLAG_WORDS:
            raise self.fail(toks[0] if toks else stmt, "boolean value (true/false/on/off) expected")
        return FLAG_WORDS[toks[0].value.lower()]

    def number(self, stmt: Statement, toks: list[Token]) -> int:
        if len(toks) != 1 or toks[0].kind != "word" or not toks[0].value.isdigit():
            raise self.fail(toks[0] if toks else stmt, f"{stmt.keyword}: a number expected")
        return int(toks[0].value)

    def string(self, stmt: Statement, toks: list[Token]) -> str:
        if len(toks) != 1 or toks[0].kind != "string":
            raise self.fail(toks[0] if toks else stmt, f"{stmt.keyword}: a quoted string expected")
        return toks[0].value

    def address(self, stmt: Statement, toks: list[Token]) -> str:
        if len(toks) != 1 or toks[0].kind != "word":
            raise self.fail(toks[0] if toks else stmt, f"{stmt.keyword}: an address expected")
        text = toks[0].value
        if IPV4.match(text):
            try:
                return str(ipaddress.IPv4Address(text))
            except ValueError:
                raise self.fail(toks[0], f"{text} is not an IPv4 address") from None
        raise NeedsDns(text)

    def set_param(self, scope: Scope, key: str, value: Any, stmt: Statement) -> None:
        allowed = KEA_SCOPE_KEYS.get(scope.kind if scope.kind != "subclass" else "class")
        if scope.kind == "group" or allowed is None or key in allowed:
            if key in GLOBAL_ONLY and scope.kind != "root":
                self.note(scope, stmt, f"{key} can only be set globally in Kea")
                return
            scope.params[key] = (value, stmt.line)
            return
        if scope.kind == "pool" and key in ("valid-lifetime", "min-valid-lifetime", "max-valid-lifetime"):
            scope.params[key] = (value, stmt.line)  # moved to the subnet when written (Kea pools have none)
            return
        self.note(
            scope,
            stmt,
            f"Kea has no {key} for a {scope.kind} (only for global, shared-network and subnet scopes)",
        )

    def resolve_option(self, tok: Token) -> OptionInfo:
        name = tok.value
        if "." in name:
            space, _, short = name.partition(".")
        else:
            space, short = "dhcp", name
        if space not in self.spaces and space not in BUILTIN_SPACES:
            raise self.fail(tok, f"no option space named {space}.")
        if space == "server":
            return OptionInfo("server", short, 0, DType(("string",)))
        info = self.options.get((space, short.lower()))
        if info is None:
            if space in BUILTIN_SPACES:
                raise Untranslatable(f"option {name}: {BUILTIN_SPACES[space] or 'not supported'}")
            raise self.fail(tok, f"unknown option {space}.{short}")
        return info
