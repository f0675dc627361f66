"""Memfile-style persistent lease store: in-memory indexes, an append-only journal, a TinyDB snapshot.

Theory of operation:
- The lease file (`lease-database.name`) is a stock TinyDB JSON document with one table, `leases`, whose
  documents are Lease.to_doc() dictionaries. Anyone can open it with `TinyDB(path).table("leases")`.
- Every change appends one line to `<name>.journal`: `<crc32 hex8> <json>\n`, where json is
  `{"op": "put", "lease": {...}}` or `{"op": "del", "address": "a.b.c.d"}`. The line is written with a single
  os.write() on an O_APPEND descriptor, so when `put` returns the change has reached the OS and survives the
  process being killed. (Power-cut durability with grouped fsyncs is the lease-store issue's work; the
  `sync` flag already forces an fsync per write for those who want it now.)
- Start-up reads the snapshot, then replays the journal. A torn last line (the process died mid-write) is
  reported and ignored; a bad line in the middle stops the start with the file and byte offset, because
  silently dropping leases is worse than not starting.
- Compaction writes a fresh snapshot next to the old one (write, fsync, rename) and then truncates the
  journal. It runs at start-up when a journal is present and on close. TinyDB's stock table rewrites the whole
  file on every write, so TinyDB is only ever asked to write whole snapshots, never per-lease changes.
- With `persist: false` the store is the in-memory one and nothing touches the disk (as in Kea).
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from collections.abc import Iterator

from tinydb import TinyDB

from edge.leases.lease import Lease, _ip_int, _ip_text
from edge.leases.store import LeaseStoreError, MemoryLeaseStore

log = logging.getLogger("edge.leases")

TABLE = "leases"


class JournalCorrupt(Exception):
    pass


class MemfileLeaseStore(MemoryLeaseStore):
    def __init__(self, path: str, persist: bool = True, sync: bool = False) -> None:
        super().__init__()
        self.path = path
        self.journal_path = path + ".journal"
        self.persist = persist
        self.sync = sync
        self._journal_fd: int | None = None
        self.journal_records = 0
        if persist:
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
            self._load()
            self.compact()
            self._open_journal()

    # -- start-up
    def _load(self) -> None:
        snapshot = 0
        if os.path.exists(self.path) and os.path.getsize(self.path) > 0:
            db = TinyDB(self.path)
            try:
                for doc in db.table(TABLE).all():
                    self._apply_put(Lease.from_doc(doc))
                    snapshot += 1
            finally:
                db.close()
        replayed = self._replay_journal()
        log.info(
            "DHCPSRV_MEMFILE_LEASES_LOADED %d leases from %s (%d from snapshot, %d journal records)",
            len(self),
            self.path,
            snapshot,
            replayed,
        )

    def _replay_journal(self) -> int:
        if not os.path.exists(self.journal_path):
            return 0
        with open(self.journal_path, "rb") as handle:
            data = handle.read()
        offset = 0
        count = 0
        while offset < len(data):
            end = data.find(b"\n", offset)
            if end < 0:
                log.warning(
                    "DHCPSRV_MEMFILE_JOURNAL_TORN %s: incomplete last record at byte %d (%d bytes) ignored",
                    self.journal_path,
                    offset,
                    len(data) - offset,
                )
                break
            line = data[offset:end]
            try:
                self._apply_record(line)
            except (ValueError, KeyError) as exc:
                if end + 1 >= len(data):
                    log.warning(
                        "DHCPSRV_MEMFILE_JOURNAL_TORN %s: damaged last record at byte %d ignored: %s",
                        self.journal_path,
                        offset,
                        exc,
                    )
                    break
                raise JournalCorrupt(
                    "%s: corrupt journal record at byte offset %d: %s" % (self.journal_path, offset, exc)
                ) from exc
            count += 1
            offset = end + 1
        return count

    def _apply_record(self, line: bytes) -> None:
        crc_text, _, body = line.partition(b" ")
        if len(crc_text) != 8 or int(crc_text, 16) != zlib.crc32(body):
            raise ValueError("checksum mismatch")
        record = json.loads(body)
        if record["op"] == "put":
            self._apply_put(Lease.from_doc(record["lease"]))
        elif record["op"] == "del":
            self._apply_delete(_ip_int(record["address"]))
        else:
            raise ValueError("unknown op %r" % record["op"])

    # -- writes
    def _open_journal(self) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        self._journal_fd = os.open(self.journal_path, flags, 0o644)

    def _append(self, record: dict) -> None:
        if self._journal_fd is None:
            return
        body = json.dumps(record, separators=(",", ":")).encode()
        line = b"%08x %s\n" % (zlib.crc32(body), body)
        try:
            written = os.write(self._journal_fd, line)
            if written != len(line):
                raise OSError("short write to %s (%d of %d bytes)" % (self.journal_path, written, len(line)))
            if self.sync:
                os.fsync(self._journal_fd)
        except OSError as exc:
            raise LeaseStoreError("cannot record lease change: %s" % exc) from exc
        self.journal_records += 1

    def put(self, lease: Lease) -> None:
        self._append({"op": "put", "lease": lease.to_doc()})
        self._apply_put(lease)

    def delete(self, address: int) -> bool:
        if self.get(address) is None:
            return False
        self._append({"op": "del", "address": _ip_text(address)})
        return self._apply_delete(address)

    # -- compaction
    def compact(self) -> None:
        """Write all leases as a fresh TinyDB snapshot atomically, then start an empty journal."""
        if not self.persist:
            return
        tmp = self.path + ".tmp"
        if os.path.exists(tmp):
            os.unlink(tmp)
        db = TinyDB(tmp)
        try:
            db.table(TABLE).insert_multiple(lease.to_doc() for lease in self._by_address.values())
        finally:
            db.close()
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(os.path.dirname(os.path.abspath(self.path)))
        # The snapshot now holds everything the journal held: start it afresh.
        if self._journal_fd is not None:
            os.ftruncate(self._journal_fd, 0)
        elif os.path.exists(self.journal_path):
            os.truncate(self.journal_path, 0)
        self.journal_records = 0

    def all(self) -> Iterator[Lease]:
        return super().all()

    def close(self) -> None:
        if self.persist and self._journal_fd is not None:
            self.compact()
            os.close(self._journal_fd)
            self._journal_fd = None


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
