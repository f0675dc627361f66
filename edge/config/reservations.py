"""What host reservations of both families have in common: one identifier each, written as Kea writes it,
unique within its scope; a valid host name; the identifier types searched, in order.

Rules this module keeps:
- An identifier is hex octets separated by ':' (or '-' or blanks), plain hex, or (except for hw-address) a
  'quoted string'; each type has Kea's length limit. One identifier per reservation.
- Two reservations of one scope with the same identifier are refused: the second could never be found.
- The family decides which identifier types exist (`identifier_limits`) and builds its own reservation
  from what this part checked (edge/dhcp4/config.py, edge/dhcp6/config.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from edge.config.classes import ClassesPart
from edge.config.errors import IssueLog, format_path, not_ascii_name
from edge.config.keys import RESERVATION
from edge.config.positions import KeyPath
from edge.config.schema import KeyTable, show

__all__ = ["IDENTIFIER_MAX", "ReservationsPart", "host_document_scopes", "parse_identifier"]

# Kea's length limits per identifier type (the longest DUID is 128 bytes: RFC 8415 section 11.1).
IDENTIFIER_MAX = {"hw-address": 20, "client-id": 128, "circuit-id": 128, "duid": 128, "flex-id": 128}

_SEPARATOR_RE = re.compile(r"[:\-\s]")
_OCTET_RE = re.compile(r"[0-9A-Fa-f]{1,2}")
_HEX_RE = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def parse_identifier(kind: str, text: str) -> bytes:
    """A reservation identifier as Kea writes it: hex octets separated by ':' (or '-' or blanks), plain
    hex, or (except for hw-address) a 'quoted string'. Raises ValueError with the reason."""
    text = text.strip()
    if kind != "hw-address" and len(text) >= 2 and text[0] == text[-1] == "'":
        data = text[1:-1].encode("utf-8")
    elif _SEPARATOR_RE.search(text):
        groups = _SEPARATOR_RE.split(text)
        if not all(_OCTET_RE.fullmatch(g) for g in groups):
            raise ValueError(f'"{text}" is not hex octets separated by ":"')
        data = bytes(int(g, 16) for g in groups)
    else:
        digits = text[2:] if text[:2] in ("0x", "0X") else text
        if not _HEX_RE.fullmatch(digits):
            hint = "" if kind == "hw-address" else " or a 'quoted string'"
            raise ValueError(f'"{text}" is not hex (like 01:02:03 or 010203){hint}')
        data = bytes.fromhex(digits)
    if not data:
        raise ValueError("is empty")
    if len(data) > IDENTIFIER_MAX[kind]:
        raise ValueError(f"is {len(data)} bytes long; at most {IDENTIFIER_MAX[kind]} are allowed")
    return data


class ReservationsPart(ClassesPart):
    identifier_kinds: tuple[str, ...]  # the family's identifier types, in Kea's order (set by the family)
    default_host_identifiers: tuple[str, ...]  # host-reservation-identifiers' default

    def host_identifiers(self, g: dict[str, Any], root: KeyPath) -> tuple[str, ...]:
        out: list[str] = []
        for i, name in enumerate(g.get("host-reservation-identifiers", list(self.default_host_identifiers))):
            if name is None:
                continue
            if name in out:
                self.error(root + ("host-reservation-identifiers", i), f'"{name}" is listed twice')
                continue
            out.append(name)
        return tuple(out)

    def reservation_identifier(
        self, r: dict[str, Any], path: KeyPath, by_id: dict[tuple[str, bytes], KeyPath]
    ) -> tuple[str, bytes] | None:
        """The reservation's one identifier (type, bytes), checked and recorded in `by_id` (the scope's);
        None when it has none usable (reported)."""
        kinds = [k for k in self.identifier_kinds if k in r]
        if not kinds:
            self.error(path, "a reservation needs one identifier: " + ", ".join(self.identifier_kinds))
            return None
        if len(kinds) > 1:
            self.error(path, f'give one identifier per reservation, not both "{kinds[0]}" and "{kinds[1]}"')
            return None
        kind = kinds[0]
        try:
            ident = parse_identifier(kind, r[kind])
        except ValueError as err:
            self.error(path + (kind,), f"{kind} {err}")
            return None
        if (kind, ident) in by_id:
            self.error(
                path + (kind,),
                f"another reservation in this scope has the same {kind} ({format_path(by_id[(kind, ident)])})",
            )
        by_id.setdefault((kind, ident), path)
        return kind, ident

    def reservation_hostname(self, r: dict[str, Any], path: KeyPath) -> str | None:
        hostname = r.get("hostname", "")
        if hostname and not hostname.isascii():
            self.error(path + ("hostname",), not_ascii_name(hostname))
        elif hostname and (
            len(hostname) > 255 or any(ch.isspace() or not ch.isprintable() for ch in hostname)
        ):
            self.error(path + ("hostname",), f'"{hostname[:40]}" is not a valid host name')
        return hostname or None


def host_document_scopes(
    docs: list[dict[str, Any]],
    table: KeyTable,
    issues: IssueLog,
    has_subnet: Callable[[int], bool],
) -> dict[int, list[tuple[KeyPath, dict[str, Any]]]]:
    """Reservations read from a hosts database, grouped by subnet id (0: global) and type-checked against
    the family's reservation rows. Each document is a `reservations` entry (Kea syntax) plus "subnet-id"
    (absent or 0: global) and "doc-id" (its id in the database: paths read hosts[ID])."""
    scopes: dict[int, list[tuple[KeyPath, dict[str, Any]]]] = {}
    for doc in docs:
        doc = dict(doc)
        doc_id = doc.pop("doc-id", len(scopes))
        path: KeyPath = ("hosts", int(doc_id) if str(doc_id).isdigit() else str(doc_id))
        sid = doc.pop("subnet-id", 0)
        if not isinstance(sid, int) or isinstance(sid, bool) or sid < 0:
            issues.error(path + ("subnet-id",), f"expected a subnet id (an integer), got {show(sid)}")
            continue
        if sid and not has_subnet(sid):
            issues.error(path + ("subnet-id",), f"subnet {sid} is not in the configuration")
            continue
        clean = table.validate_kind(doc, RESERVATION, path, issues)
        if clean is not None:
            scopes.setdefault(sid, []).append((path, clean))
    return scopes
