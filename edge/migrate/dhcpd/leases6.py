"""ISC dhcpd -6's lease file, dhcpd6.leases, read for `edge-dhcp leases import --format dhcpd-leases`
with a Dhcp6 configuration.

Rules this module keeps:
- The parser has the signature of edge.leases.interchange's IMPORT_FORMATS rows; migrate/leases.py
  registers it in the DHCPv6 family's table under the same name as the v4 one (the configuration given
  with -c picks the family).
- dhcpd6.leases is a log like dhcpd.leases: an `ia-na`/`ia-pd` declaration is appended whenever one of its
  addresses or prefixes changes, so the last declaration of an address (or prefix) wins. Only
  `binding state active` is a lease; any other state means it has none (a Removal).
- An IA's name is its IAID (4 bytes) then the client's DUID. dhcpd writes the IAID in the byte order of
  the machine that wrote the file (`authoring-byte-order`, network order when the file does not say).
- Lifetimes: valid = max-life, preferred = preferred-life; the lease began at the IA's cltt (else at
  ends - max-life). ia-ta (temporary addresses) has no edge-dhcp pool: a warning.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from typing import TextIO

from edge.dhcp6.lease import TYPE_NA, TYPE_PD, Lease6
from edge.leases.interchange import Item, Removal, Row, RowError
from edge.migrate.common import MigrationError
from edge.migrate.dhcpd.leases import _bytes, _time
from edge.migrate.dhcpd.syntax import Statement, read_text

__all__ = ["parse_dhcpd6_leases"]

INFINITE = 0xFFFFFFFF
HEADER6 = {"server-duid", "failover", "lease", "host"}


def _joined(stmt: Statement) -> list[str]:
    """The words of a statement's head with the lexer's split colons joined again (`2001:db8:1:` `:`)."""
    out: list[str] = []
    for tok in stmt.head:
        if tok.is_punct(":") and out and out[-1].endswith(":"):
            out[-1] += ":"
        elif tok.is_punct("/") and out:
            out[-1] += "/"
        elif out and out[-1].endswith("/"):
            out[-1] += tok.value
        else:
            out.append(tok.value)
    return out


def _ia(stmt: Statement, little_endian: bool) -> Iterator[Item]:
    kind = stmt.keyword
    if len(stmt.head) != 2 or stmt.block is None:
        yield RowError(stmt.line, f'expected `{kind} "IAID+DUID" {{ ... }}`')
        return
    try:
        name = _bytes(stmt.head[1])
    except ValueError as exc:
        yield RowError(stmt.line, f"{kind}: {exc}")
        return
    if len(name) < 5:
        yield RowError(stmt.line, f"{kind}: the name is shorter than an IAID and a DUID")
        return
    iaid = int.from_bytes(name[:4], "little" if little_endian else "big")
    duid = name[4:]
    cltt = None
    for inner in stmt.block:
        if inner.keyword == "cltt":
            try:
                cltt = _time(inner)
            except ValueError as exc:
                yield RowError(inner.line, f"{kind}: {exc}")
                return
    for inner in stmt.block:
        if inner.keyword not in ("iaaddr", "iaprefix"):
            continue
        yield _binding(kind, inner, iaid, duid, cltt)


def _binding(kind: str, stmt: Statement, iaid: int, duid: bytes, cltt: int | None) -> Item:
    words = _joined(stmt)
    text = words[1] if len(words) == 2 else ""
    try:
        if stmt.keyword == "iaprefix":
            net = ipaddress.IPv6Network(text)
            address, plen, lease_type = int(net.network_address), net.prefixlen, TYPE_PD
        else:
            address, plen, lease_type = int(ipaddress.IPv6Address(text)), 128, TYPE_NA
    except ValueError:
        return RowError(
            stmt.line, f"{stmt.keyword}: {text or stmt.text()!r} is not an IPv6 address or prefix"
        )
    state = ""
    preferred = valid = None
    ends = None
    try:
        for inner in stmt.block or []:
            kw = inner.keyword
            args = [t.value.lower() for t in inner.head[1:]]
            if kw == "binding" and args[:1] == ["state"] and len(args) == 2:
                state = args[1]
            elif kw == "preferred-life" and len(args) == 1 and args[0].isdigit():
                preferred = int(args[0])
            elif kw == "max-life" and len(args) == 1 and args[0].isdigit():
                valid = int(args[0])
            elif kw == "ends":
                ends = _time(inner)
                if ends is None:
                    ends = -1
    except ValueError as exc:
        return RowError(stmt.line, f"{stmt.keyword} {text}: {exc}")
    if state != "active":
        return Removal(stmt.line, address)
    if kind == "ia-ta":
        return RowError(
            stmt.line, f"warning: {text} is a temporary address (ia-ta); edge-dhcp has no IA_TA pool"
        )
    if valid is None:
        return RowError(stmt.line, f"{stmt.keyword} {text}: active but without max-life")
    if ends == -1 or valid == INFINITE:
        valid = INFINITE
        begin = cltt if cltt is not None else int(time.time())
    elif cltt is not None:
        begin = cltt
    elif ends is not None:
        begin = ends - valid
    else:
        return RowError(stmt.line, f"{stmt.keyword} {text}: active but with neither cltt nor ends")
    lease = Lease6(
        address,
        duid=duid,
        iaid=iaid,
        lease_type=lease_type,
        prefix_len=plen,
        preferred_lifetime=min(preferred if preferred is not None else valid, valid),
        valid_lifetime=valid,
        cltt=begin,
    )
    return Row(stmt.line, lease)


def parse_dhcpd6_leases(stream: TextIO, source: str) -> Iterator[Item]:
    """ISC dhcpd -6's dhcpd6.leases (ia-na, ia-pd; the last declaration of an address or prefix wins;
    binding state active only)"""
    statements = read_text(stream.read(), source)
    little_endian = False
    try:
        for stmt in statements:
            kw = stmt.keyword
            if kw == "authoring-byte-order":
                little_endian = len(stmt.head) == 2 and stmt.head[1].value.lower() == "little-endian"
            elif kw in ("ia-na", "ia-pd", "ia-ta"):
                yield from _ia(stmt, little_endian)
            elif kw == "lease":
                yield RowError(stmt.line, "warning: a DHCPv4 lease in a DHCPv6 import, skipped")
            elif kw not in HEADER6:
                yield RowError(stmt.line, f"warning: '{kw or stmt.text()}' is not a lease; skipped")
    except MigrationError as exc:
        yield RowError(exc.line or 1, f"{exc.message}; the rest of the file is not read")
