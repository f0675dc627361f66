"""ISC dhcpd's lease file, dhcpd.leases, read for `edge-dhcp leases import --format dhcpd-leases`.

Rules this module keeps:
- The parser has the signature of edge.leases.interchange's IMPORT_FORMATS rows (a text stream and its name
  in, Row / Removal / RowError out, in file order, line numbers from 1); migrate/leases.py registers it.
- dhcpd.leases is a log: dhcpd appends a `lease` declaration whenever a lease changes, so the last
  declaration of an address wins. Only `binding state active` is a lease; any other state (free, expired,
  released, abandoned, backup) of the last declaration means the address has no lease (a Removal).
  Times are dhcpd's UTC `W YYYY/MM/DD HH:MM:SS`, `epoch N` (db-time-format local) or `never`.
- The file is read with the configuration's own syntax reader (syntax.py); a syntax error ends the
  import of the file at its line, with a RowError saying so.
- Things that are not leases but matter (hosts made through OMAPI, DHCPv6 leases) are reported as warnings
  (RowError lines starting "warning:", which do not stop an import); nothing is dropped without a word.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import time
from collections.abc import Iterator
from typing import TextIO

from edge.leases.interchange import Item, Removal, Row, RowError
from edge.leases.lease import Lease
from edge.migrate.common import MigrationError
from edge.migrate.dhcpd.options import HEX_LIST
from edge.migrate.dhcpd.syntax import Statement, Token, read_text

__all__ = ["parse_dhcpd_leases"]

INFINITE = 0xFFFFFFFF
DHCPD_DATE = re.compile(r"^\d\s+(\d{4})\s*/\s*(\d{1,2})\s*/\s*(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})$")
# Top-level statements of a dhcpd.leases file that are not leases and need no word.
DHCPD_HEADER = {"authoring-byte-order", "server-duid", "failover", "lease6", "ia-na", "ia-ta", "ia-pd"}


def _time(stmt: Statement) -> int | None:
    """Seconds since the epoch for starts/ends/cltt; None for `never`. ValueError when unreadable."""
    words = [t.value for t in stmt.head[1:]]
    if words == ["never"]:
        return None
    if len(words) == 2 and words[0] == "epoch" and words[1].isdigit():
        return int(words[1])
    m = DHCPD_DATE.match(" ".join(words))
    if not m:
        raise ValueError(f"{stmt.keyword}: cannot read the time {' '.join(words)!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups())
    try:
        moment = datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.UTC)
    except ValueError:
        raise ValueError(f"{stmt.keyword}: cannot read the time {' '.join(words)!r}") from None
    return int(moment.timestamp())


def _bytes(tok: Token) -> bytes:
    if tok.kind == "string":
        return tok.data
    if tok.kind == "word" and HEX_LIST.match(tok.value):
        return bytes(int(p, 16) for p in tok.value.split(":"))
    raise ValueError(f"expected a string or a hex list, got {tok.shown()}")


def _dhcpd_lease(stmt: Statement) -> Item:
    if len(stmt.head) != 2 or stmt.block is None:
        return RowError(stmt.line, "expected `lease ADDRESS { ... }`")
    try:
        address = int(ipaddress.IPv4Address(stmt.head[1].value))
    except ValueError:
        if ":" in stmt.head[1].value:
            return RowError(stmt.line, "warning: a DHCPv6 lease, skipped")
        return RowError(stmt.line, f"{stmt.head[1].value} is not an IPv4 address")
    state = ""
    starts = ends = cltt = None
    hwaddr = b""
    client_id = None
    hostname = ""
    try:
        for inner in stmt.block:
            kw = inner.keyword
            words = [t.value.lower() for t in inner.head]
            if kw == "starts":
                starts = _time(inner)
            elif kw == "ends":
                ends = _time(inner)
                if ends is None:
                    ends = -1
            elif kw == "cltt":
                cltt = _time(inner)
            elif kw == "binding" and words[1:2] == ["state"] and len(words) == 3:
                state = words[2]
            elif kw == "abandoned":
                state = "abandoned"  # dhcpd 2's spelling
            elif kw == "hardware":
                if len(inner.head) != 3:
                    raise ValueError("expected `hardware TYPE ADDRESS`")
                hwaddr = _bytes(inner.head[2])
            elif kw == "uid":
                if len(inner.head) != 2:
                    raise ValueError("expected `uid VALUE`")
                client_id = _bytes(inner.head[1])
            elif kw == "client-hostname":
                if len(inner.head) != 2 or inner.head[1].kind != "string":
                    raise ValueError('expected `client-hostname "NAME"`')
                hostname = inner.head[1].data.decode("utf-8", "replace")
    except ValueError as exc:
        return RowError(stmt.line, f"lease {stmt.head[1].value}: {exc}")
    if state != "active":
        return Removal(stmt.line, address)
    if not hwaddr:
        return RowError(stmt.line, f"lease {stmt.head[1].value}: active but without a hardware address")
    begin = cltt if cltt is not None else starts
    if ends == -1:
        begin = begin if begin is not None else int(time.time())
        valid = INFINITE
    elif ends is None:
        return RowError(stmt.line, f"lease {stmt.head[1].value}: active but without an end time")
    else:
        if begin is None or begin > ends:
            begin = starts if starts is not None and starts <= ends else ends
        valid = ends - begin
    lease = Lease(
        address,
        hwaddr=hwaddr,
        client_id=client_id or None,
        valid_lifetime=valid,
        cltt=begin,
        hostname=hostname,
    )
    return Row(stmt.line, lease)


def parse_dhcpd_leases(stream: TextIO, source: str) -> Iterator[Item]:
    """ISC dhcpd's dhcpd.leases (the last declaration of an address wins; binding state active only)"""
    statements = read_text(stream.read(), source)
    try:
        for stmt in statements:
            kw = stmt.keyword
            if kw == "lease":
                yield _dhcpd_lease(stmt)
            elif kw == "host":
                name = stmt.head[1].value if len(stmt.head) > 1 else "?"
                yield RowError(
                    stmt.line,
                    f"warning: host {name} was declared through OMAPI; it is not a lease. "
                    "Add it to the configuration as a reservation",
                )
            elif kw not in DHCPD_HEADER:
                yield RowError(stmt.line, f"warning: '{kw or stmt.text()}' is not a lease; skipped")
    except MigrationError as exc:
        yield RowError(exc.line or 1, f"{exc.message}; the rest of the file is not read")
