"""Lease interchange: other servers' lease files in, ours out (`edge-dhcp leases import/export`), for
either family.

Rules:
- Each family has its tables of formats (edge/dhcp4/lease_csv.py: Kea's lease4 CSV, Kea's lease4-get-all
  JSON, TinyDB; edge/dhcp6/lease_csv.py the same for lease6): format name -> parser, format name ->
  writer. A parser has the signature

      def parse_x(stream: TextIO, source: str) -> Iterator[Row | Removal | RowError]

  reading text from `stream` (`source` names it in messages) and yielding, in file order, `Row(line, lease)`
  for a lease, `Removal(line, address)` for "this address has no lease any more", and `RowError(line,
  message)` for a row it cannot read (then it carries on with the next row). Line numbers count from 1.
  Later rows for an address replace earlier ones (Kea's CSV and ISC dhcpd's leases file are both logs).
  A lease whose subnet the file does not know gets subnet_id 0: the import finds its subnet in the
  configuration by address. Adding a format is adding a row.
- Nothing is imported half-way without saying so: every row is parsed and checked (a lease the store's
  format can hold, an address inside a configured subnet whose id matches) before the store is touched.
  With any bad row the import stops and lists them all by line number, unless asked to skip them, and
  then it says how many it skipped and which.
- Kea's CSV escaping is shared: Kea escapes "," as "&#x2c" and "&" as "&#x26" inside values (no CSV
  quoting); we also escape newlines so a row stays one line.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol, TextIO

from edge.leases.errors import JournalCorrupt
from edge.leases.lease import LeaseRecord
from edge.leases.record import RecordFormat
from edge.leases.snapshot import read_tinydb
from edge.leases.store import LeaseStore


class Row(NamedTuple):
    line: int
    lease: Any  # the family's lease record


class Removal(NamedTuple):
    line: int
    address: int


class RowError(NamedTuple):
    line: int
    message: str


Item = Row | Removal | RowError
Parser = Callable[[TextIO, str], Iterator[Item]]
Writer = Callable[[Iterable[Any], TextIO], int]

_ESCAPE = re.compile(r"&#x([0-9a-fA-F]{2})")


class SubnetsConfig(Protocol):
    """What an import checks leases against (either family's configuration)."""

    @property
    def subnets(self) -> Sequence[Any]: ...

    def subnet_by_id(self, subnet_id: int) -> Any: ...


# ------------------------------------------------------------------------------------------- small parts


def kea_unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "&#x" in text else text


def kea_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in ",&\n\r":
            out.append("&#x%02x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def parse_hex(text: str, what: str, limit: int) -> bytes:
    cleaned = text.strip().replace(":", "").replace("-", "")
    try:
        value = bytes.fromhex(cleaned)
    except ValueError:
        raise ValueError("%s %r is not hexadecimal bytes (like 01:02:03)" % (what, text)) from None
    if len(value) > limit:
        raise ValueError("%s %r is %d bytes, at most %d" % (what, text, len(value), limit))
    return value


def parse_int(text: str, what: str, low: int = 0, high: int = 2**32 - 1) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("%s %r is not a number" % (what, text)) from None
    if not low <= value <= high:
        raise ValueError("%s %d is out of range (%d..%d)" % (what, value, low, high))
    return value


def parse_bool(text: str, what: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true"):
        return True
    if value in ("0", "false", ""):
        return False
    raise ValueError("%s %r is not 0 or 1" % (what, text))


def read_kea_csv(
    stream: TextIO, required: Sequence[str], what: str, row: Callable[[int, dict[str, str]], Sequence[Item]]
) -> Iterator[Item]:
    """The rows of a Kea memfile CSV: columns found by the header (so older files with fewer columns and
    newer ones with more read too), values unescaped, each row turned into items by `row` (the lease or
    removal, after any warnings about it; a ValueError it raises becomes that line's RowError).
    `required`: the columns a file must have; `what` names the kind of file in the message when it lacks
    them."""
    header = stream.readline().rstrip("\r\n")
    columns = header.split(",")
    missing = [name for name in required if name not in columns]
    if missing:
        yield RowError(1, "not a %s: the header %r lacks %s" % (what, header[:120], ", ".join(missing)))
        return
    for number, raw in enumerate(stream, start=2):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        fields = line.split(",")
        if len(fields) != len(columns):
            yield RowError(number, "%d fields where the header has %d columns" % (len(fields), len(columns)))
            continue
        values = {name: kea_unescape(value) for name, value in zip(columns, fields, strict=True)}
        try:
            items = row(number, values)
        except ValueError as exc:
            yield RowError(number, str(exc))
        else:
            yield from items


# ------------------------------------------------------------------------------------------- TinyDB


def tinydb_parser(format: RecordFormat[Any]) -> Parser:
    """The parser of a TinyDB JSON file with a "leases" table of `format`'s documents (an edge-dhcp
    lease file of that family)."""

    def parse_tinydb(stream: TextIO, source: str) -> Iterator[Item]:
        if source and os.path.exists(source + ".journal") and os.path.getsize(source + ".journal"):
            yield RowError(
                0,
                "warning: %s.journal exists and is not empty: the changes it holds are not in %s "
                "(stop that server cleanly first; it folds the journal into the file)" % (source, source),
            )
        try:
            for number, document in read_tinydb(stream, source, format.snapshot_tag):
                try:
                    yield Row(number, format.from_doc(document))
                except (KeyError, ValueError, TypeError) as exc:
                    yield RowError(
                        number,
                        "not a lease document: %s"
                        % (exc if not isinstance(exc, KeyError) else "no %s" % exc),
                    )
        except JournalCorrupt as exc:
            match = re.search(r": line (\d+): ", str(exc))
            yield RowError(int(match.group(1)) if match else 1, str(exc))

    parse_tinydb.__doc__ = 'a TinyDB JSON file with a "leases" table (an edge-dhcp lease file)'
    return parse_tinydb


# ------------------------------------------------------------------------------------------- Kea JSON


def kea_json_parser(from_kea: Callable[[dict[str, Any]], LeaseRecord], family: str) -> Parser:
    """The parser of Kea's lease<family>-get-all answer ({"leases": [...]}, the whole answer, or a bare
    list); `from_kea` turns one of its lease maps into a lease (ValueError for a bad one)."""

    def parse_kea_json(stream: TextIO, source: str) -> Iterator[Item]:
        text = stream.read()
        try:
            data = json.loads(text)
        except ValueError as exc:
            yield RowError(getattr(exc, "lineno", 1), "not JSON: %s" % exc)
            return
        if isinstance(data, list) and data and isinstance(data[0], dict) and "arguments" in data[0]:
            data = data[0]  # a ctl answer from Kea's control agent
        if isinstance(data, dict):
            data = (data.get("arguments") or data).get("leases")
        if not isinstance(data, list):
            yield RowError(1, 'expected {"leases": [...]} or a list of leases')
            return
        starts = [m.start() for m in re.finditer(r'"ip-address"', text)]
        for index, obj in enumerate(data):
            line = text.count("\n", 0, starts[index]) + 1 if index < len(starts) else 1
            try:
                yield Row(line, from_kea(obj))
            except ValueError as exc:
                yield RowError(line, "leases[%d]: %s" % (index, exc))

    parse_kea_json.__doc__ = (
        'Kea\'s lease%s-get-all answer ({"leases": [...]}, the whole answer, or a bare list)' % (family)
    )
    return parse_kea_json


def kea_json_writer(to_kea: Callable[[Any], dict[str, Any]]) -> Writer:
    """The writer of {"leases": [...]} with each lease as `to_kea` maps it (Kea's lease*-get-all form)."""

    def export_json(leases: Iterable[Any], out: TextIO) -> int:
        items = [to_kea(lease) for lease in leases]
        json.dump({"leases": items}, out, indent=1)
        out.write("\n")
        return len(items)

    return export_json


# ------------------------------------------------------------------------------------------- import


class ImportReport(NamedTuple):
    errors: list[RowError]  # bad rows (and warnings, line 0)
    added: int
    replaced: int
    unchanged: int
    skipped: int
    imported: bool  # False: nothing was written

    def summary(self) -> str:
        if not self.imported:
            return "nothing imported: %d bad row(s)" % self.skipped
        text = "%d lease(s) imported (%d new, %d replaced, %d already identical)" % (
            self.added + self.replaced,
            self.added,
            self.replaced,
            self.unchanged,
        )
        if self.skipped:
            text += "; %d bad row(s) skipped" % self.skipped
        return text


def check_leases(
    config: SubnetsConfig, format: RecordFormat[Any], items: Iterable[Item]
) -> tuple[list[Row], list[RowError]]:
    """The final lease of every address in `items`, each checked against `config` and `format`, and the bad
    rows."""
    final: dict[int, Row | Removal] = {}
    errors: list[RowError] = []
    for item in items:
        if isinstance(item, RowError):
            errors.append(item)
        elif isinstance(item, Removal):
            final[item.address] = item
        else:
            final[item.lease.address] = item
    rows: list[Row] = []
    for item in final.values():
        if isinstance(item, Removal):
            continue
        problem = _check(config, format, item.lease)
        if problem:
            errors.append(RowError(item.line, problem))
        else:
            rows.append(item)
    errors.sort(key=lambda e: e.line)
    rows.sort(key=lambda r: r.lease.address)
    return rows, errors


def _check(config: SubnetsConfig, format: RecordFormat[Any], lease: LeaseRecord) -> str | None:
    try:
        format.pack(lease)
    except ValueError as exc:
        return str(exc)
    address = format.text(lease.address)
    home = next((s for s in config.subnets if lease.address in s), None)
    if lease.subnet_id == 0:
        if home is None:
            return "%s is in no configured subnet" % address
        lease.subnet_id = home.id
        return None
    subnet = config.subnet_by_id(lease.subnet_id)
    if subnet is None:
        hint = " (the address is in subnet %d, %s)" % (home.id, home.text) if home is not None else ""
        return "subnet_id %d is not in the configuration%s" % (lease.subnet_id, hint)
    if lease.address not in subnet:
        return "%s is not inside subnet %d (%s)" % (address, subnet.id, subnet.text)
    return None


def import_leases(
    config: SubnetsConfig,
    store: LeaseStore[Any],
    items: Iterable[Item],
    *,
    skip_bad: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    rows, errors = check_leases(config, store.format, items)
    bad = [e for e in errors if e.line > 0 and not e.message.startswith("warning:")]
    if (bad and not skip_bad) or dry_run:
        return ImportReport(errors, 0, 0, 0, len(bad), False)
    added = replaced = unchanged = 0
    for row in rows:
        current = store.get(row.lease.address)
        if current == row.lease:
            unchanged += 1
            continue
        store.put(row.lease)
        if current is None:
            added += 1
        else:
            replaced += 1
    return ImportReport(errors, added, replaced, unchanged, len(bad), True)


def export_leases(store: LeaseStore[Any], writer: Writer, out: TextIO) -> int:
    """Write every lease of `store`, in address order, with one of a family's writers."""
    leases = sorted(store.all(), key=lambda lease: lease.address)
    return writer(leases, out)


def parse_text(parser: Parser, text: str, source: str = "<text>") -> list[Item]:
    """Convenience for tests and the control channel: parse a whole string."""
    return list(parser(io.StringIO(text), source))
