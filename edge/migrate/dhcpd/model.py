"""What reading a dhcpd.conf gives the writer: a tree of scopes, already in Kea's terms where it can be.

Rules this module keeps:
- The tree mirrors dhcpd's declarations: root, shared-network ("shared"), subnet, pool, host, group, class,
  subclass. Each Scope holds its parameters by their Kea key (valid-lifetime, boot-file-name, ...) with
  the line that set them, its option settings encoded to wire bytes, and its items in file order: child
  scopes, and the notes and comments that stand where they were met.
- Nothing here knows Kea's document: where each parameter may go in Kea (KEA_SCOPE_KEYS) is the one piece of
  Kea knowledge both sides need -- the reader to refuse what cannot go anywhere, the writer to place it.
- A Model is the whole of what the reader hands on; the writer reads it and only appends notes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from edge.migrate.common import Note
from edge.migrate.dhcpd import expr as ex
from edge.migrate.dhcpd.options import OptionInfo

__all__ = ["KEA_SCOPE_KEYS", "Model", "OptSetting", "Scope"]

# Kea keys each kind of Kea object takes (beyond options) -- where a parameter can go.
KEA_SCOPE_KEYS = {
    "root": None,  # everything
    "shared": None,
    "subnet": None,
    "class": {
        "valid-lifetime",
        "min-valid-lifetime",
        "max-valid-lifetime",
        "next-server",
        "boot-file-name",
        "server-hostname",
    },
    "host": {"next-server", "boot-file-name", "server-hostname"},
    "pool": set(),
}


@dataclass
class OptSetting:
    info: OptionInfo
    payload: bytes
    line: int
    as_hex: bool = False  # given as a hex list or an expression: written as hex, csv-format false


@dataclass
class Scope:
    kind: str  # root shared subnet pool host group class subclass
    line: int
    parent: Scope | None
    name: str = ""
    params: dict[str, tuple[Any, int]] = field(default_factory=dict)
    options: list[OptSetting] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)  # child Scopes, Notes and Comments, in order
    option_notes: list[Note] = field(default_factory=list)
    # subnet
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    subnet_id: int = 0
    ranges: list[tuple[int, int, int]] = field(default_factory=list)  # (low, high, line)
    interface: str = ""
    # DHCPv6 (read6.py): pools as Kea writes them ("A - B" or "P/len", line, temporary?), prefix pools
    # (prefix, prefix-len, delegated-len, line), a host's DUID, fixed-address6 and fixed-prefix6 values
    ranges6: list[tuple[str, int, bool]] = field(default_factory=list)
    prefixes6: list[tuple[str, int, int, int]] = field(default_factory=list)
    duid: bytes | None = None
    fixed6: list[str] = field(default_factory=list)
    fixed_prefixes6: list[str] = field(default_factory=list)
    # pool permits: (allow?, what, class name, line)
    permits: list[tuple[bool, str, str, int]] = field(default_factory=list)
    # host
    hw: str = ""
    client_id: bytes | None = None
    circuit_id: bytes | None = None
    fixed: list[str] = field(default_factory=list)
    # class / subclass
    match_if: ex.Expr | None = None
    match: ex.Expr | None = None
    superclass: Scope | None = None
    selector: ex.Expr | None = None
    subclasses: int = 0
    vendor_space: str = ""

    def chain(self) -> Iterator[Scope]:
        s: Scope | None = self
        while s is not None:
            yield s
            s = s.parent

    def groups(self) -> list[Scope]:
        out = []
        s = self.parent
        while s is not None and s.kind == "group":
            out.append(s)
            s = s.parent
        return out

    def declared_in(self) -> Scope:
        """The nearest enclosing scope that is not a group."""
        s = self.parent
        while s is not None and s.kind == "group":
            s = s.parent
        assert s is not None
        return s


@dataclass
class Model:
    """A dhcpd.conf, read: the scope tree and the option spaces and classes it declared."""

    source: str
    root: Scope
    interfaces: list[str]  # named by `interface` statements, in the order met
    vendor_spaces: dict[str, int]  # dhcpd space -> enterprise number (vivso)
    encapsulated: dict[str, int]  # dhcpd space -> dhcp option code that carries it
    definitions: list[OptionInfo]  # option definitions, in file order
    classes: dict[str, Scope]  # class name -> its scope
    notes: list[Note]  # every note so far, in order (the writer adds its own)

    def add_note(self, line: int | None, what: str, why: str) -> Note:
        """Record a note the writer makes (it places the note's comment itself) and return it."""
        n = Note(self.source, line, what, why)
        self.notes.append(n)
        return n
