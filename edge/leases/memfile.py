"""Memfile-style persistent lease store: leases in memory, every change appended to a journal, the whole
set compacted now and then into a stock TinyDB snapshot by a low-priority child process (Kea's LFC).

Files, for `lease-database.name` = NAME:
    NAME               the snapshot: a stock TinyDB JSON file (snapshot.py), `TinyDB(NAME).table("leases")`
    NAME.journal       the current journal (journal.py): one checksummed record per change
    NAME.journal.N     journals rotated out for a compaction that has not finished (or crashed)
    NAME.tmp.PID       a snapshot being written (deleted at start-up if its writer died)
    NAME.lock          flock()ed by the one process that may write these files

Rules:
- State = snapshot, then NAME.journal.N in increasing N, then NAME.journal. Every journal record is a whole
  "this address now holds this lease" or "no lease here", so replaying records the snapshot already holds
  changes nothing: that is what makes every crash point of a compaction safe.
- A change is appended to the journal before it is applied in memory; if the append fails nothing
  changes and `put` raises LeaseStoreError (so the engine sends no ACK). The failed record is cut off the
  file, so the store recovers by itself once the disk has room again; failures are logged and counted.
- `last_seq` numbers the changes; `durable_seq` is the last one that is durable in the configured sync
  mode ("batch": after the group commit's fsync; "always": fsync inside put; "none": once in the kernel).
  The server holds an ACK until `durable_seq` reaches the change it depends on; `poll()` reports
  progress, the wake-up pipe (`wakeup_fd()`) says when to call it.
- Compaction (LFC) never blocks the server for more than a rename: the loop thread rotates NAME.journal to
  NAME.journal.N and opens a fresh one, then forks. The child lowers its CPU priority (os.nice), writes
  the leases it inherited — exactly the state up to the rotation — as a new snapshot (write, fsync,
  rename, fsync the directory), deletes NAME.journal.1..N and exits. The server keeps appending to the
  fresh journal meanwhile. The child dies with the server (PR_SET_DEATHSIG), so an orphan can never
  replace a newer snapshot. A compaction that fails leaves its rotated journals; the next one covers them.
- The fork child touches only memory and its own files, never the sync thread or sockets, and leaves with
  os._exit, so nothing of the server runs twice.
- `close()` (clean shutdown) writes a final snapshot in-process and empties the journals.
- With `persist: false` the server uses the plain memory store and nothing touches the disk (as in Kea).
"""

from __future__ import annotations

import ctypes
import fcntl
import gc
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from edge.leases.errors import JournalCorrupt, LeaseStoreError
from edge.leases.journal import (
    GROUP_COMMIT_WINDOW,
    SYNC_MODES,
    GroupCommit,
    Journal,
    encode_record,
    read_journal,
)
from edge.leases.lease import L
from edge.leases.record import RecordFormat
from edge.leases.snapshot import is_native, read_snapshot, write_snapshot
from edge.leases.store import MemoryLeaseStore

log = logging.getLogger("edge.leases")

LFC_NICENESS = 10  # how much lower than the server the compaction child runs
COMPACTION_STEPS = ("rotated", "written", "synced", "renamed", "dir-synced", "journals-deleted")
_PR_SET_PDEATHSIG = 1

__all__ = ["COMPACTION_STEPS", "JournalCorrupt", "MemfileLeaseStore", "StoreLocked"]


class StoreLocked(LeaseStoreError):
    """Another process writes these lease files."""


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _proc_io() -> dict[str, int]:
    """This process's I/O counters (Linux): rchar/wchar (system calls), read_bytes/write_bytes (storage)."""
    try:
        with open("/proc/self/io") as handle:
            return {k: int(v) for k, v in (line.split(": ") for line in handle)}
    except (OSError, ValueError):
        return {}


class MemfileLeaseStore(MemoryLeaseStore[L]):
    """Leases of one family (the RecordFormat) in memory, their changes journaled to `path` (see above)."""

    def __init__(
        self,
        format: RecordFormat[L],
        path: str,
        persist: bool = True,
        sync: str = "batch",
        *,
        readonly: bool = False,
        window: float = GROUP_COMMIT_WINDOW,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        super().__init__(format)
        if sync not in SYNC_MODES:
            raise ValueError("sync must be one of %s, not %r" % (", ".join(SYNC_MODES), sync))
        self.path = path
        self._journal_put = format.journal_put
        self.journal_path = path + ".journal"
        self.persist = persist
        self.sync = sync
        self.readonly = readonly
        self.last_seq = 0
        self.durable_seq = 0
        self.write_errors = 0
        self.sync_errors = 0
        self.compactions = 0
        self.compaction_failures = 0
        self.last_compaction: dict[str, Any] | None = None
        self.compaction_fault: tuple[str, str] | None = None  # crash tests only: see start_compaction
        self.journal_records = 0  # records in the journals since the last snapshot
        self._failing = False
        self._events: list[tuple[int, bool]] = []  # durability results not yet handed out by poll()
        self._journal: Journal | None = None
        self._committer: GroupCommit | None = None
        self._lfc: tuple[int, int, list[str], float] | None = None  # pid, status fd, rotated, started
        self._lock_fd = -1
        self._wake_r = self._wake_w = -1
        self._closed = False
        self._foreign_snapshot = False
        if not persist:
            return
        self.directory = os.path.dirname(os.path.abspath(path))
        if readonly:
            self._load_retrying()
            return
        os.makedirs(self.directory, exist_ok=True)
        self._lock()
        try:
            self._remove_stale_temporaries()
            self._load()
            self._journal = Journal(self.journal_path)
            if sync != "none":
                _fsync_dir(self.directory)
            self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            if sync == "batch":
                self._committer = GroupCommit(self._wake_w, window, fsync)
                self._committer.set_fd(self._journal.fd, 0)
        except BaseException:
            self._release()
            raise

    # ------------------------------------------------------------------ files and locking
    def _lock(self) -> None:
        fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StoreLocked(
                "%s is in use by %s (an edge-dhcp server?); stop it or use its control channel"
                % (self.path, "pid " + holder if holder.isdigit() else holder)
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"%d\n" % os.getpid(), 0)
        self._lock_fd = fd

    def _release(self) -> None:
        if self._committer is not None:
            self._committer.stop()
            self._committer = None
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        for fd in (self._wake_r, self._wake_w, self._lock_fd):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = self._lock_fd = -1

    def _remove_stale_temporaries(self) -> None:
        prefix = os.path.basename(self.path) + ".tmp."
        for name in os.listdir(self.directory):
            if name.startswith(prefix):
                os.unlink(os.path.join(self.directory, name))

    @property
    def persistent_path(self) -> str | None:
        return self.path if self.persist else None

    def rotated_journals(self) -> list[str]:
        """NAME.journal.N files, in replay order."""
        pattern = re.compile(re.escape(os.path.basename(self.journal_path)) + r"\.(\d+)$")
        found = []
        for name in os.listdir(self.directory):
            match = pattern.match(name)
            if match:
                found.append((int(match.group(1)), os.path.join(self.directory, name)))
        return [path for _, path in sorted(found)]

    # ------------------------------------------------------------------ start-up
    def _load_retrying(self) -> None:
        # A reader beside a running server can see a compaction delete a journal it just listed.
        for attempt in range(5):
            try:
                self._load()
                return
            except FileNotFoundError:
                if attempt == 4:
                    raise
                time.sleep(0.05)

    def _load(self) -> None:
        started = time.monotonic()
        records: dict[int, bytes] = {}
        self._foreign_snapshot = not is_native(self.path)  # rewritten in our layout by the next compaction
        snapshot = 0
        pack_document = self.format.pack_document
        for number, document in read_snapshot(self.path, self.format.snapshot_tag):
            try:
                address, record = pack_document(document)
                records[address] = record
            except (ValueError, KeyError, TypeError) as exc:
                raise JournalCorrupt("%s: line %d: not a valid lease: %s" % (self.path, number, exc)) from exc
            snapshot += 1
        replayed = 0
        journals = [*self.rotated_journals(), self.journal_path]
        for path in journals:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except FileNotFoundError:
                if path == self.journal_path:
                    continue
                raise
            entries, good, torn = read_journal(path, data)
            for offset, record in entries:
                try:
                    self._replay(records, record)
                except (ValueError, KeyError, TypeError) as exc:
                    raise JournalCorrupt(
                        "%s: journal record at byte offset %d has a valid checksum but is not a valid lease "
                        "change: %s" % (path, offset, exc)
                    ) from exc
            replayed += len(entries)
            if torn:
                log.warning(
                    "DHCPSRV_MEMFILE_JOURNAL_TORN %s: %s ignored (a write was interrupted)", path, torn
                )
                if path == self.journal_path and not self.readonly:
                    # Appending after a torn tail would turn it into damage in the middle.
                    os.truncate(path, good)
        self._replace_all(records)
        self.journal_records = replayed
        log.info(
            "DHCPSRV_MEMFILE_LEASES_LOADED %d leases from %s (%d from the snapshot, %d journal records in %d "
            "file(s)) in %.2f s",
            len(self),
            self.path,
            snapshot,
            replayed,
            len(journals),
            time.monotonic() - started,
        )

    def _replay(self, records: dict[int, bytes], record: dict[str, Any]) -> None:
        if record["op"] == "put":
            address, packed = self.format.pack_document(record["lease"])
            records[address] = packed
        else:
            records.pop(self.format.parse_key(record["address"]), None)

    # ------------------------------------------------------------------ writes
    def _record(self, record: dict[str, Any] | bytes) -> None:
        """Append one change (a record, or its encoded line) to the journal, durably as `sync` says."""
        if self._journal is None:
            if self.persist:
                raise LeaseStoreError("%s is open read-only" % self.path)
            return
        line = record if isinstance(record, bytes) else encode_record(record)
        try:
            self._journal.append(line)
            if self.sync == "always":
                try:
                    self._journal.sync()
                except OSError as exc:
                    self._journal.truncate_to(self._journal.size - len(line))
                    raise LeaseStoreError("cannot fsync %s: %s" % (self.journal_path, exc)) from exc
        except LeaseStoreError as exc:
            self._write_failed(exc)
            raise
        self.last_seq += 1
        self.journal_records += 1
        if self._committer is not None:
            self._committer.request(self.last_seq)
        else:
            self.durable_seq = self.last_seq
        if self._failing:
            self._failing = False
            log.info(
                "DHCPSRV_MEMFILE_WRITE_RECOVERED %s: lease changes are recorded again", self.journal_path
            )

    def _write_failed(self, exc: Exception) -> None:
        self.write_errors += 1
        self._count_write_error()
        if not self._failing or self.write_errors % 100 == 0:
            log.error(
                "DHCPSRV_MEMFILE_WRITE_FAIL %s (%d failed so far); the client is not answered",
                exc,
                self.write_errors,
            )
        self._failing = True

    def put(self, lease: L) -> None:
        record = self._pack(lease)  # ValueError before anything is written
        self._record(self._journal_put(lease))
        self._apply(lease.address, record, lease)

    def delete(self, address: int) -> bool:
        if address not in self._records:
            return False
        self._record({"op": "del", "address": self.format.text(address)})
        self._apply(address, None)
        return True

    # ------------------------------------------------------------------ durability
    def wakeup_fd(self) -> int | None:
        return self._wake_r if self._wake_r >= 0 else None

    def poll(self) -> list[tuple[int, bool]]:
        if self._wake_r >= 0:
            try:
                while os.read(self._wake_r, 4096):
                    pass
            except BlockingIOError:
                pass
        failed = self._collect()
        events, self._events = self._events, []
        if failed and self._lfc is None and self._journal is not None:
            # After a failed fsync the kernel may have dropped those pages: rewrite everything from memory.
            self.start_compaction()
        self._reap_compaction(block=False)
        return events

    def _collect(self) -> bool:
        """Take the group commit's results: advance durable_seq, log failures, keep them for poll()."""
        failed = False
        if self._committer is None:
            return failed
        for seq, ok, error in self._committer.events():
            if ok:
                self.durable_seq = max(self.durable_seq, seq)
            else:
                failed = True
                self.sync_errors += 1
                self._count_write_error()
                log.error(
                    "DHCPSRV_MEMFILE_SYNC_FAIL fsync of %s failed (%s): the replies waiting for changes up to "
                    "#%d are dropped; rewriting the lease file from memory",
                    self.journal_path,
                    error,
                    seq,
                )
            self._events.append((seq, ok))
        return failed

    def flush(self) -> None:
        if self._committer is not None:
            self._committer.wait_idle()
            self._collect()

    # ------------------------------------------------------------------ compaction (LFC)
    @property
    def compacting(self) -> bool:
        return self._lfc is not None

    def needs_compaction(self) -> bool:
        if self._journal is None:
            return False
        return self._journal.size > 0 or self._foreign_snapshot or bool(self.rotated_journals())

    def start_compaction(self, crash_after: str | None = None) -> bool:
        """Start a compaction child unless one runs already. Fault injection for the crash tests:
        `crash_after` (or `self.compaction_fault = ("crash" | "pause", step)`) makes the child die (or sleep a
        minute) right after that step of COMPACTION_STEPS; "rotated" stops before the fork."""
        if self._journal is None or self._lfc is not None:
            return False
        fault = ("crash", crash_after) if crash_after else self.compaction_fault
        rotated = self._rotate()
        if rotated is None:
            return False
        if fault is not None and fault[1] == "rotated":
            return True  # as if the server died right after the rotation
        status_r, status_w = os.pipe2(os.O_CLOEXEC)
        parent = os.getpid()
        gc.collect()  # nothing left for a collection in the child to walk (and copy)
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(status_r)
            os.close(status_w)
            self.compaction_failures += 1
            log.error("DHCPSRV_MEMFILE_LFC_FAIL cannot start the compaction child: %s; retried later", exc)
            return False
        if pid == 0:  # ---------------------------------------------------------------- the child
            code = 1
            try:
                os.close(status_r)
                if self._lock_fd >= 0:
                    os.close(self._lock_fd)  # the lock stays the server's alone (same open file)
                _die_with_parent()
                if os.getppid() != parent:
                    os._exit(1)
                gc.disable()
                os.nice(LFC_NICENESS)
                result = self._write_compaction(rotated, fault)
                os.write(status_w, b"ok " + json.dumps(result).encode())
                code = 0
            except BaseException as exc:  # report whatever it was; the parent logs it
                try:
                    os.write(status_w, ("error %s: %s" % (type(exc).__name__, exc)).encode()[:3000])
                except OSError:
                    pass
            finally:
                try:
                    os.write(self._wake_w, b"c")
                except OSError:
                    pass
                os._exit(code)
        os.close(status_w)
        self._lfc = (pid, status_r, rotated, time.monotonic())
        log.info(
            "DHCPSRV_MEMFILE_LFC_START compacting %d leases of %s in child %d (nice +%d)",
            len(self),
            self.path,
            pid,
            LFC_NICENESS,
        )
        return True

    def _rotate(self) -> list[str] | None:
        """Close the current journal under a new number and open a fresh one; returns every rotated
        journal the next snapshot will cover, or None if the fresh journal cannot be made."""
        assert self._journal is not None
        numbers = [int(p.rsplit(".", 1)[1]) for p in self.rotated_journals()]
        target = "%s.%d" % (self.journal_path, max(numbers, default=0) + 1)
        self.flush()  # the rotated journal is complete and synced before anyone copies it
        os.rename(self.journal_path, target)
        try:
            fresh = Journal(self.journal_path)
        except OSError as exc:
            os.rename(target, self.journal_path)
            log.error("DHCPSRV_MEMFILE_LFC_FAIL cannot start a fresh journal %s: %s", self.journal_path, exc)
            return None
        old, self._journal = self._journal, fresh
        if self._committer is not None:
            self._committer.set_fd(fresh.fd, self.last_seq)
        old.close()
        try:
            _fsync_dir(self.directory)
        except OSError as exc:
            log.warning("DHCPSRV_MEMFILE_SYNC_FAIL cannot fsync %s: %s", self.directory, exc)
        self.journal_records = 0
        return self.rotated_journals()

    def _snapshot_lines(self) -> Iterator[tuple[int, str]]:
        line = self.format.snapshot_line
        for address, record in self._records.items():
            yield address, line(address, record)

    def _write_compaction(self, rotated: list[str], fault: tuple[str, str] | None) -> dict[str, Any]:
        started = time.monotonic()
        before = _proc_io()

        def step(name: str) -> None:
            if fault is not None and name == fault[1]:
                if fault[0] == "pause":
                    time.sleep(60)
                os._exit(70)

        written = write_snapshot(
            self.path, self._snapshot_lines(), len(self._records), step=step, records=self.format.snapshot_tag
        )
        for path in rotated:  # oldest first: what remains is always a suffix of the history
            os.unlink(path)
        _fsync_dir(self.directory)
        step("journals-deleted")
        after = _proc_io()
        return {
            "leases": len(self._records),
            "bytes": written,
            "seconds": round(time.monotonic() - started, 3),
            "read_bytes": after.get("read_bytes", 0) - before.get("read_bytes", 0),
            "write_bytes": after.get("write_bytes", 0) - before.get("write_bytes", 0),
            "rchar": after.get("rchar", 0) - before.get("rchar", 0),
            "wchar": after.get("wchar", 0) - before.get("wchar", 0),
            "nice": os.nice(0),
        }

    def _reap_compaction(self, block: bool) -> None:
        if self._lfc is None:
            return
        pid, status_fd, rotated, started = self._lfc
        try:
            done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            done, status = pid, -1
        if done == 0:
            return
        self._lfc = None
        try:
            message = os.read(status_fd, 65536).decode(errors="replace")
        except OSError:
            message = ""
        os.close(status_fd)
        if (
            status != -1
            and os.WIFEXITED(status)
            and os.WEXITSTATUS(status) == 0
            and message.startswith("ok ")
        ):
            self.compactions += 1
            self._foreign_snapshot = False
            self.last_compaction = json.loads(message[3:])
            if self._stats is not None:  # its timestamp tells when the last one finished (the dashboard)
                self._stats.inc("lease-store-compactions")
            log.info(
                "DHCPSRV_MEMFILE_LFC_DONE %s: %d leases, %d bytes written in %.2f s (child %d)",
                self.path,
                self.last_compaction["leases"],
                self.last_compaction["bytes"],
                time.monotonic() - started,
                pid,
            )
        else:
            self.compaction_failures += 1
            if self._stats is not None:
                self._stats.inc("lease-store-compaction-failures")
            how = ("exit %d" % os.WEXITSTATUS(status)) if status != -1 and os.WIFEXITED(status) else "killed"
            log.error(
                "DHCPSRV_MEMFILE_LFC_FAIL compaction of %s failed (%s)%s; %d journal(s) kept, the next "
                "compaction covers them",
                self.path,
                how,
                ": " + message[6:] if message else "",
                len(rotated),
            )

    def compact(self) -> None:
        """Compact now and wait for it (the same child process the timer starts)."""
        self._reap_compaction(block=True)
        if self.start_compaction():
            self._reap_compaction(block=True)

    def wait_compaction(self) -> None:
        self._reap_compaction(block=True)

    def reap_compaction(self) -> None:
        self._reap_compaction(block=False)

    # ------------------------------------------------------------------ shutdown
    def abandon(self) -> None:
        """Let go of the files exactly as a killed process would: no sync, no snapshot (crash tests)."""
        self._closed = True
        if self._lfc is not None:
            os.kill(self._lfc[0], 9)
            self._reap_compaction(block=True)
        self._release()

    def close(self) -> None:
        if self._closed or not self.persist or self.readonly:
            self._closed = True
            return
        self._closed = True
        try:
            self.flush()
            self._reap_compaction(block=True)
            if self._journal is not None and self.needs_compaction():
                write_snapshot(
                    self.path, self._snapshot_lines(), len(self._records), records=self.format.snapshot_tag
                )
                for path in self.rotated_journals():
                    os.unlink(path)
                self._journal.truncate_to(0)
                _fsync_dir(self.directory)
                self.journal_records = 0
                self._foreign_snapshot = False
        except OSError as exc:
            # The journals still hold everything: the next start replays them.
            log.error("DHCPSRV_MEMFILE_CLOSE_FAIL final snapshot of %s not written: %s", self.path, exc)
        finally:
            self._release()
