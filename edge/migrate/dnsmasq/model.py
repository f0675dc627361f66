"""What reading a dnsmasq configuration gives the writer: subnets, tag classes, options and hosts.

Rules this module keeps:
- dnsmasq has no scopes: a subnet exists because a dhcp-range lies in it, a tag because something sets or
  tests it. So the model is flat: subnets by network (in the order their first range came), tag classes
  by name, the global options, parameters and reservations, the clients to drop, and what the writer
  needs to resolve dnsmasq's run-time defaults (this machine's addresses, the DNS and boot settings).
- Option entries are Kea option-data already, except those holding dnsmasq's own address (0.0.0.0),
  which stay marked "own-address" until the writer knows the subnet.
- The notes list holds every note in order; `items` are the comments and notes for Dhcp4 itself.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from edge.migrate.common import Note
from edge.migrate.dnsmasq.syntax import Directive

__all__ = ["Model", "Subnet", "TagClass"]


@dataclass
class Subnet:
    network: ipaddress.IPv4Network
    id: int
    line: int
    pools: list[dict[str, Any]] = field(default_factory=list)
    lease: int | None = None
    tags: set[str] = field(default_factory=set)  # set by its dhcp-ranges
    options: list[Any] = field(default_factory=list)
    reservations: list[Any] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    broadcast: str = ""
    boot: dict[str, Any] = field(default_factory=dict)


@dataclass
class TagClass:
    name: str
    conditions: list[str] = field(default_factory=list)  # Kea tests; any of them sets the tag
    depends: set[str] = field(default_factory=set)  # tags its tests name
    options: list[Any] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    items: list[Any] = field(default_factory=list)
    referenced: bool = False  # some test or condition names it


@dataclass
class Model:
    source: str
    interfaces: list[str]  # from the command line, then interface= directives
    local: list[tuple[str, ipaddress.IPv4Interface]]  # this machine's addresses, as dnsmasq would see them
    notes: list[Note] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)  # comments/notes for Dhcp4 itself
    subnets: dict[ipaddress.IPv4Network, Subnet] = field(default_factory=dict)
    tags: dict[str, TagClass] = field(default_factory=dict)
    global_options: list[Any] = field(default_factory=list)
    option_codes: dict[int, int] = field(default_factory=dict)  # global options given: code -> line
    suppressed: set[int] = field(
        default_factory=set
    )  # defaulted options turned off with an empty dhcp-option
    params: dict[str, Any] = field(default_factory=dict)
    global_reservations: list[Any] = field(default_factory=list)
    drop: list[str] = field(default_factory=list)  # Kea tests of clients not to answer
    dns_enabled: bool = True
    domains: list[tuple[str, ipaddress.IPv4Network | None, int]] = field(default_factory=list)
    not_dhcp: list[Directive] = field(default_factory=list)
    multi_ip: bool = False  # several hardware addresses share one reserved address
    boot: dict[str, Any] = field(default_factory=dict)  # dhcp-boot without tags
    boot_line: int = 0
    reservation_lines: dict[int, int] = field(default_factory=dict)  # id(global reservation) -> line

    def note(self, d: Directive, why: str, where: list[Any] | None = None) -> None:
        """A note on directive `d`, standing in `where` (default: Dhcp4 itself)."""
        n = Note(d.source, d.line, d.text(), why)
        self.notes.append(n)
        (where if where is not None else self.items).append(n.comment())

    def add_note(self, line: int | None, what: str, why: str) -> Note:
        """Record a note the writer makes (it places the note's comment itself) and return it."""
        n = Note(self.source, line, what, why)
        self.notes.append(n)
        return n
