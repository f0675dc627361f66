"""The lease journal: checksummed, self-delimiting records appended to a file, and grouped fsyncs.

Rules:
- One record per change, one line: `<crc32 of body, 8 hex digits> <body>\\n`, body being compact JSON
  `{"op":"put","lease":{TinyDB document}}` or `{"op":"del","address":"<the lease's key as text>"}` (the
  family's RecordFormat writes both: 192.0.2.1 for DHCPv4, 2001:db8::1 for DHCPv6). JSON escapes every
  newline inside strings, so a newline only ever ends a record; the checksum tells a record that was
  written whole from one that was not.
- A record is written with a single os.write() on an O_APPEND descriptor: when `append` returns, the
  change has reached the kernel and survives the process being killed. If the write fails or is short
  (disk full), the file is cut back to where it was, so a failed append never leaves half a record in
  front of the next good one; the caller gets LeaseStoreError and must not apply the change.
- Reading tolerates a torn last record (the writer died mid-write, or a power cut left the tail unwritten:
  reported, not fatal) and refuses damage anywhere else with JournalCorrupt naming the file and the byte
  offset, because dropping leases silently is worse than not starting.
- Sync modes: "none" (durable once in the kernel: survives a crash of edge-dhcp, not a power cut — what Kea's
  memfile does), "always" (fsync inside every append), "batch" (group commit: a background thread fsyncs
  once per group, covering every record written meanwhile; `GroupCommit` reports which records
  are durable through a wake-up pipe the server loop watches).

Theory of operation of the group commit: the loop thread appends and calls `request(seq)`. If the sync
thread is idle, the loop hands it a run (one item on a queue); otherwise it only raises the wanted seq. A
run fsyncs up to the highest seq wanted, queues (seq, ok) and writes a byte to the wake-up pipe the loop
watches, and fsyncs again at once if more was wanted meanwhile: the next group is whatever the loop wrote
while the disk worked, so groups grow with the load and no timer holds a reply. The loop reads the results
with `events()` and releases the replies held for those records. Under load an fsync is always in flight,
so throughput is bounded by how many records the loop can write, not by fsync latency; on an SD card this
also turns hundreds of tiny flash writes into a few. The thread takes no lock the loop waits on. (An older
version shared a Condition with the loop and slept a 4 ms window before each fsync: every ACK waited the
window, and the loop could wait on the lock while the thread holding it was not scheduled. That the lock
cost throughput was a suspicion, not a profiled fact; both are gone.)
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from typing import Any

from edge.leases.errors import JournalCorrupt, LeaseStoreError

log = logging.getLogger("edge.leases")

SYNC_MODES = ("batch", "always", "none")
GROUP_COMMIT_WINDOW = 0.0  # seconds from an idle thread's first request to its fsync (0: at once)


_compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def encode_record(record: dict[str, Any]) -> bytes:
    return encode_body(_compact_json(record).encode("utf-8"))


def encode_body(body: bytes) -> bytes:
    """The journal line of an already encoded record body (a family's fast path builds the body itself)."""
    return b"%08x %s\n" % (zlib.crc32(body), body)


def decode_line(line: bytes) -> dict[str, Any]:
    """The record of one line (without its newline); ValueError if the line is not a whole record."""
    crc_text, sep, body = line.partition(b" ")
    if not sep or len(crc_text) != 8:
        raise ValueError("no checksum field")
    try:
        expected = int(crc_text, 16)
    except ValueError as exc:
        raise ValueError("bad checksum field %r" % crc_text[:8]) from exc
    if expected != zlib.crc32(body):
        raise ValueError("checksum mismatch")
    record = json.loads(body)
    if not isinstance(record, dict) or record.get("op") not in ("put", "del"):
        raise ValueError("not a journal record")
    return record


def read_journal(
    path: str, data: bytes | None = None
) -> tuple[list[tuple[int, dict[str, Any]]], int, str | None]:
    """([(byte offset, record)], length of the good prefix, torn-tail description or None). Raises
    JournalCorrupt for a damaged record that is followed by more data."""
    if data is None:
        with open(path, "rb") as handle:
            data = handle.read()
    records: list[tuple[int, dict[str, Any]]] = []
    offset = 0
    size = len(data)
    while offset < size:
        end = data.find(b"\n", offset)
        if end < 0:
            if not data[offset:].strip(b"\0"):
                return records, offset, "%d zero bytes at byte %d" % (size - offset, offset)
            return records, offset, "incomplete last record at byte %d (%d bytes)" % (offset, size - offset)
        try:
            records.append((offset, decode_line(data[offset:end])))
        except ValueError as exc:
            if end + 1 >= size:
                return records, offset, "damaged last record at byte %d: %s" % (offset, exc)
            raise JournalCorrupt(
                "%s: corrupt journal record at byte offset %d (of %d): %s; the records after it are intact, "
                "so this is damage, not an interrupted write: refusing to guess which leases it held"
                % (path, offset, size, exc)
            ) from exc
        offset = end + 1
    return records, offset, None


class Journal:
    """The append side of one journal file."""

    def __init__(self, path: str) -> None:
        self.path = path
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        self.fd = os.open(path, flags, 0o644)
        self.size = os.fstat(self.fd).st_size
        self.records = 0
        self.bytes_written = 0

    def truncate_to(self, size: int) -> None:
        os.ftruncate(self.fd, size)
        self.size = size

    def append(self, line: bytes) -> None:
        """Write one encoded record whole, or raise LeaseStoreError leaving the file as it was."""
        try:
            written = os.write(self.fd, line)
        except OSError as exc:
            self._undo()
            raise LeaseStoreError("cannot write to %s: %s" % (self.path, exc.strerror or exc)) from exc
        if written != len(line):
            self._undo()
            raise LeaseStoreError(
                "short write to %s (%d of %d bytes): the disk is probably full"
                % (self.path, written, len(line))
            )
        self.size += written
        self.records += 1
        self.bytes_written += written

    def _undo(self) -> None:
        # Cut any partial record off: shrinking needs no free space. If even that fails, the next append
        # tries again before writing (size is unchanged, so the file is still longer than it should be).
        try:
            if os.fstat(self.fd).st_size != self.size:
                os.ftruncate(self.fd, self.size)
        except OSError as exc:
            log.error("DHCPSRV_MEMFILE_TRUNCATE_FAIL cannot cut a failed record off %s: %s", self.path, exc)

    def sync(self) -> None:
        os.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class GroupCommit:
    """A thread that fsyncs the current journal for the loop, one group of records at a time (see above).

    The loop thread owns every field but the result queue: the thread reads `_fd` and `_wanted` (plain
    attribute reads) and never takes a lock the loop could wait on, so the loop is never held up by a
    thread that is waiting for the disk, the GIL or a CPU."""

    def __init__(
        self,
        wake_fd: int,
        window: float = GROUP_COMMIT_WINDOW,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        self._wake_fd = wake_fd
        self._window = window
        self._fsync = fsync
        self._fd = -1
        self._wanted = 0  # highest seq someone waits for
        self._done = 0  # highest seq the thread has finished with (synced or failed)
        self._running = False  # a run was handed to the thread and it has not said it ended
        self._asks: queue.SimpleQueue[bool] = queue.SimpleQueue()  # True: start a run; False: leave
        self._results: queue.SimpleQueue[tuple[int, bool, str, bool]] = queue.SimpleQueue()
        self._events: deque[tuple[int, bool, str]] = deque()
        self.fsyncs = 0
        self._thread = threading.Thread(target=self._run, name="edge-lease-sync", daemon=True)
        self._thread.start()

    def set_fd(self, fd: int, done: int) -> None:
        """Sync `fd` from now on; every seq up to `done` is already taken care of. Waits for a run in
        flight on the previous descriptor to end first."""
        while self._running:
            self._take(self._results.get())
        self._fd = fd
        self._done = max(self._done, done)
        self._wanted = max(self._wanted, done)

    def request(self, seq: int) -> None:
        if seq > self._wanted:
            self._wanted = seq
            if not self._running:
                self._running = True
                self._asks.put(True)

    def wait_idle(self) -> int:
        """Wait until nothing is in flight and nothing is asked for; return the last seq finished."""
        while self._running or self._wanted > self._done:
            if not self._running:
                self._running = True
                self._asks.put(True)
            self._take(self._results.get())
        return self._done

    def events(self) -> list[tuple[int, bool, str]]:
        while True:
            try:
                result = self._results.get_nowait()
            except queue.Empty:
                break
            self._take(result)
        out = list(self._events)
        self._events.clear()
        return out

    def _take(self, result: tuple[int, bool, str, bool]) -> None:
        target, ok, error, last = result
        self._done = max(self._done, target)
        self._events.append((target, ok, error))
        if last:
            self._running = False
            if self._wanted > self._done:  # asked for after the thread last looked: the next run
                self._running = True
                self._asks.put(True)

    def stop(self) -> None:
        self._asks.put(False)
        self._thread.join(10)

    def _run(self) -> None:
        # A run: fsync up to the highest seq asked for, and again while more was asked for meanwhile (the
        # next group formed while the disk worked); the last result of a run says so, and only then may
        # the loop start another. Nothing here touches the lease tables, only the descriptor.
        while self._asks.get():
            if self._window > 0:
                time.sleep(self._window)
            target = 0
            while True:
                target, fd = self._wanted, self._fd
                ok, error = True, ""
                try:
                    self._fsync(fd)
                    self.fsyncs += 1
                except OSError as exc:
                    ok, error = False, str(exc.strerror or exc)
                last = self._wanted <= target or not ok
                self._results.put((target, ok, error, last))
                try:
                    os.write(self._wake_fd, b"s")
                except (BlockingIOError, OSError):
                    pass  # the pipe is full of wake-ups already, or closing: the loop will look anyway
                if last:
                    break
