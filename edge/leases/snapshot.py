"""Lease snapshots: whole lease files in stock TinyDB format, written atomically, read as a stream.

Rules:
- A snapshot is a JSON document TinyDB's own JSONStorage reads: `{"snapshot": {"1": {...}}, "leases":
  {"<doc id>": {lease document}, ...}}`. The document id of a lease is its address as an integer, so
  `TinyDB(path).table("leases").get(doc_id=int(ipaddress.ip_address("192.0.2.10")))` finds it, and queries
  like `table.search(Query().hostname == "printer")` work with stock TinyDB.
- We write one document per line, with a small `snapshot` table first that names the format and the
  number of leases. That layout is still plain JSON to TinyDB; to us it means start-up parses one short
  line at a time (peak memory stays near the size of the leases, not ten times it) and a damaged line is
  reported by file and line.
- Writing is atomic: a temporary file beside the target, fsync, rename over the target, fsync of the
  directory. A crash at any point leaves either the old snapshot or the new one, never a mix.
- The header names the kind of record the file holds (`"records": "lease6"`) for every family but
  DHCPv4, whose files predate the key and stay byte for byte what they were; a store refuses a file of
  the other family's records with a message saying so.
- A file that is not in our layout (written by TinyDB itself, or edited) is read whole with json.load:
  any TinyDB file with a `leases` table (or only a `_default` one) is accepted, its document ids ignored.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from edge.leases.errors import JournalCorrupt

FORMAT = "edge-dhcp-leases-1"
_decode = json.JSONDecoder().decode
TABLE = "leases"
META_TABLE = "snapshot"


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_snapshot(
    path: str,
    lines: Iterable[tuple[int, str]],
    count: int,
    *,
    now: float | None = None,
    step: Callable[[str], None] | None = None,
    sync: bool = True,
    records: str | None = None,
) -> int:
    """Write (doc id, document JSON) pairs as the snapshot at `path`, atomically. Returns bytes written.

    `records` names the kind of record in the header (None: DHCPv4 leases, named by no key). `step(name)`
    is called after "written", "synced", "renamed", "dir-synced" (fault injection for tests)."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = "%s.tmp.%d" % (path, os.getpid())
    header: dict[str, Any] = {"format": FORMAT}
    if records is not None:
        header["records"] = records
    header["leases"] = count
    header["written"] = int(now if now is not None else time.time())
    meta = json.dumps(header)
    written = 0
    try:
        with open(tmp, "w", encoding="utf-8", buffering=1 << 20) as handle:
            head = '{"%s": {"1": %s},\n"%s": {' % (META_TABLE, meta, TABLE)
            handle.write(head)
            written += len(head)
            separator = "\n"
            seen = 0
            for doc_id, document in lines:
                chunk = '%s"%d": %s' % (separator, doc_id, document)
                handle.write(chunk)
                written += len(chunk)
                separator = ",\n"
                seen += 1
            tail = "\n}}\n"
            handle.write(tail)
            written += len(tail)
            handle.flush()
            if seen != count:
                raise RuntimeError("snapshot of %s: %d leases announced, %d written" % (path, count, seen))
            if step:
                step("written")
            if sync:
                os.fsync(handle.fileno())
        if step:
            step("synced")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if step:
        step("renamed")
    if sync:
        _fsync_dir(directory)
    if step:
        step("dir-synced")
    return written


def is_native(path: str) -> bool:
    """True if the file at `path` is missing or in our layout (False: written by something else)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
    except FileNotFoundError:
        return True
    return not first.strip() or first.startswith('{"%s": {"1": ' % META_TABLE)


def read_snapshot(path: str, records: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, lease document) for every lease in the snapshot at `path` (nothing if it is missing
    or empty). Raises JournalCorrupt for a damaged snapshot, naming the file and line, and for one whose
    header names other records than `records` (None: DHCPv4 leases)."""
    try:
        handle = open(path, encoding="utf-8")
    except FileNotFoundError:
        return
    with handle:
        yield from read_tinydb(handle, path, records)


def read_tinydb(
    handle: TextIO, path: str, records: str | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """read_snapshot for an open text stream (`path` names it in messages)."""
    first = handle.readline()
    if not first.strip():
        rest = handle.read()
        if rest.strip():
            yield from _read_whole(path, rest)
        return
    if not first.startswith('{"%s": {"1": ' % META_TABLE):
        yield from _read_whole(path, first + handle.read())
        return
    try:
        meta = json.loads(first[len('{"%s": {"1": ' % META_TABLE) : first.rindex("},")])
    except ValueError as exc:
        raise JournalCorrupt("%s: line 1: unreadable snapshot header: %s" % (path, exc)) from exc
    expected = meta.get("leases")
    found = meta.get("records")
    if found != records:
        raise JournalCorrupt(
            "%s: holds %s records, not %s: is this the other family's lease file?"
            % (path, found or "lease4", records or "lease4")
        )
    if handle.readline() != '"%s": {\n' % TABLE:
        raise JournalCorrupt('%s: line 2: expected the "%s" table to start there' % (path, TABLE))
    count = 0
    number = 2
    closed = False
    for number, line in enumerate(handle, start=3):
        text = line.rstrip("\n")
        if text == "}}":
            closed = True
            break
        if text.endswith(","):
            text = text[:-1]
        if not text:
            continue
        try:
            doc_id_text, _, body = text.partition(": ")
            if not (doc_id_text.startswith('"') and doc_id_text.endswith('"')):
                raise ValueError("the document id is not a quoted integer")
            int(doc_id_text[1:-1])
            document = _decode(body)
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            raise JournalCorrupt("%s: line %d: damaged lease document: %s" % (path, number, exc)) from exc
        count += 1
        yield number, document
    if not closed:
        raise JournalCorrupt(
            "%s: ends at line %d without its closing braces: the file is truncated" % (path, number)
        )
    if expected is not None and expected != count:
        raise JournalCorrupt("%s: header announces %s leases, the file holds %d" % (path, expected, count))


def _read_whole(path: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise JournalCorrupt("%s: not a TinyDB JSON file: %s" % (path, exc)) from exc
    if not isinstance(data, dict):
        raise JournalCorrupt("%s: not a TinyDB JSON file (top level is not an object)" % path)
    table = data.get(TABLE)
    if table is None and set(data) <= {"_default"}:
        table = data.get("_default", {})
    if table is None:
        raise JournalCorrupt(
            '%s: TinyDB file without a "%s" table (tables: %s)'
            % (path, TABLE, ", ".join(sorted(data)) or "none")
        )
    if not isinstance(table, dict):
        raise JournalCorrupt('%s: the "%s" table is not an object' % (path, TABLE))
    for number, document in enumerate(table.values(), start=1):
        if not isinstance(document, dict):
            raise JournalCorrupt("%s: document %d of the leases table is not an object" % (path, number))
        yield number, document
