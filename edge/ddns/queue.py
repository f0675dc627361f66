"""The persistent DNS update queue: every NameChangeRequest is on disk before the client is answered.

Rules this module keeps:
- The file (`<lease file>.ddns-queue`) is a journal of lines `<crc32 hex8> <json>\\n`, where json is
  `{"add": N, "ncr": {...}}` (request number N joins the queue) or `{"done": N}` (N left it: delivered,
  or given up on for a reason that was logged). Each line is one os.write() on an O_APPEND descriptor, so
  a change has reached the OS when `append`/`done` return and survives the process being killed.
- Order is kept: requests leave in the order they came (an add and a later remove of one name must reach
  DNS in that order).
- Start-up replays the journal: pending = added - done. A torn last line (killed mid-write) is reported
  and ignored; a damaged line elsewhere is reported with its byte offset and skipped - unlike the lease
  file, a lost DNS request is not a reason to refuse to serve DHCP. Then the file is rewritten with only
  the pending requests (write, fsync, rename), and again whenever the queue drains and the journal has
  grown, so it stays small.
- `max-queue-size` bounds memory and disk: a request that would exceed it is refused with an error
  (Kea's D2 client stops sending at that point too).
- With no path (lease-database persist: false) the queue lives in memory only, as the leases do.
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from collections import deque

from edge.ddns.ncr import NameChangeRequest, NcrError

log = logging.getLogger("edge.ddns")

__all__ = ["QueueFull", "UpdateQueue"]

COMPACT_AFTER = 256  # journal records beyond which an empty queue rewrites its file


class QueueFull(Exception):
    pass


class UpdateQueue:
    def __init__(self, path: str | None, max_size: int = 1024) -> None:
        self.path = path
        self.max_size = max_size if max_size > 0 else 1024
        self._pending: deque[tuple[int, NameChangeRequest]] = deque()
        self._next_id = 1
        self._fd: int | None = None
        self.records = 0
        if path is not None:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._load()
            self._rewrite()

    # -- reads
    def __len__(self) -> int:
        return len(self._pending)

    def head(self) -> tuple[int, NameChangeRequest] | None:
        return self._pending[0] if self._pending else None

    def pending(self) -> list[NameChangeRequest]:
        return [ncr for _, ncr in self._pending]

    # -- writes
    def append(self, ncr: NameChangeRequest) -> int:
        if len(self._pending) >= self.max_size:
            raise QueueFull(f"{len(self._pending)} DNS updates are already waiting (max-queue-size)")
        ident = self._next_id
        self._write({"add": ident, "ncr": ncr.to_record()})
        self._next_id += 1
        self._pending.append((ident, ncr))
        return ident

    def done(self, ident: int) -> None:
        if not self._pending or self._pending[0][0] != ident:
            raise ValueError(f"request {ident} is not at the head of the queue")
        self._write({"done": ident})
        self._pending.popleft()
        if not self._pending and self.records > COMPACT_AFTER:
            self._rewrite()

    def close(self, compact: bool = False) -> None:
        """Close the journal; `compact`: first rewrite the file with only what is pending (a clean stop)."""
        if compact and self.path is not None:
            self._rewrite()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- the file
    def _write(self, record: dict) -> None:
        if self.path is None:
            return
        text = json.dumps(record, separators=(",", ":"))
        line = ("%08x %s\n" % (zlib.crc32(text.encode()), text)).encode()
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        os.write(self._fd, line)
        self.records += 1

    def _load(self) -> None:
        assert self.path is not None
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return
        added: dict[int, NameChangeRequest] = {}
        order: list[int] = []
        offset = 0
        lines = data.split(b"\n")
        for number, raw in enumerate(lines):
            start = offset
            offset += len(raw) + 1
            if not raw.strip():
                continue
            last = number == len(lines) - 1  # no newline after it: written partly
            record = _parse_line(raw)
            if record is None:
                what = "torn last line (the process stopped while writing it)" if last else "damaged line"
                log.warning("DHCP_DDNS_QUEUE_LINE_IGNORED %s: %s at byte %d ignored", self.path, what, start)
                continue
            if "add" in record:
                try:
                    ident = int(record["add"])
                    added[ident] = NameChangeRequest.from_record(record.get("ncr"))
                except (NcrError, TypeError, ValueError) as exc:
                    log.warning(
                        "DHCP_DDNS_QUEUE_LINE_IGNORED %s: bad request at byte %d: %s", self.path, start, exc
                    )
                    continue
                order.append(ident)
                self._next_id = max(self._next_id, ident + 1)
            elif "done" in record:
                added.pop(record.get("done"), None)
        for ident in order:
            if ident in added:
                self._pending.append((ident, added[ident]))
        if self._pending:
            log.info(
                "DHCP_DDNS_QUEUE_LOADED %d DNS update(s) still to deliver from %s",
                len(self._pending),
                self.path,
            )

    def _rewrite(self) -> None:
        assert self.path is not None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as handle:
            for ident, ncr in self._pending:
                text = json.dumps({"add": ident, "ncr": ncr.to_record()}, separators=(",", ":"))
                handle.write(("%08x %s\n" % (zlib.crc32(text.encode()), text)).encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        self.records = len(self._pending)


def _parse_line(raw: bytes) -> dict | None:
    head, _, body = raw.partition(b" ")
    try:
        if len(head) != 8 or int(head, 16) != zlib.crc32(body):
            return None
        record = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None
