"""PgSqlLeaseStore4: DHCPv4 leases in PostgreSQL, in the `lease4` table of Kea 2.2's own schema (the one
`kea-admin db-init pgsql` creates, schema version 13.0), so Kea and edge-dhcp read each other's rows.

Row encoding (as Kea 2.2's pgsql_lease_mgr writes and reads a lease4 row):
- address: the IPv4 address as an unsigned 32-bit integer (BIGINT);
- hwaddr, client_id: BYTEA, the empty string (not NULL) when the lease has none;
- valid_lifetime: BIGINT; expire: TIMESTAMP WITH TIME ZONE = cltt + valid_lifetime (cltt alone for an
  infinite lifetime, 0xffffffff), read back as `extract(epoch from expire)` so cltt = expire - lifetime;
- subnet_id, fqdn_fwd, fqdn_rev, hostname, state: as they are; user_context: the JSON text, "" for none.

Reads: this store keeps the indexed in-memory copy the memfile store keeps (store.py) and treats the
database as the durable log: at start-up every lease4 row is loaded, and every lookup of the engine stays
an index lookup on the loop thread, so a slow database never delays an answer to a lease it already knows.
The price: a second server writing the same database is not seen until a restart. Kea reads the database
on every lookup; sharing one database between several live servers (read-through) is the next slice, and
until then one edge-dhcp server owns its lease4 rows.

Writes: `put`/`delete` change memory and hand the row to one writer thread through a bounded queue; the
writer commits what has queued up in one transaction (group commit) and reports the sequence numbers
through `wakeup_fd()`/`poll()`, so the server sends an ACK only after its lease's row is committed, as it
waits for the memfile's fsync. A full queue (the database is down or far behind) refuses the change with
LeaseStoreError before memory is touched: the client is not answered, and the loop never blocks. A
failed transaction is reported as not durable (its replies are dropped) and the writer reconnects.
A put is an INSERT ... ON CONFLICT (address) DO UPDATE: where Kea's addLease4 fails on the duplicate key
and its updateLease4 needs the old expiry, the row in memory is the truth here and the upsert makes it
the row in the database in one statement.

Credentials: the password goes to the driver as a keyword and never into a message: every error text
is scrubbed of it before it is raised or logged, and the store has no repr carrying it.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from edge.dhcp4.lease import Lease4
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.leases.errors import LeaseStoreError
from edge.leases.pgsql import SCHEMA_VERSION, PgSqlAccess, connect_kwargs

log = logging.getLogger("edge.leases")

__all__ = ["SCHEMA_VERSION", "PgSqlLeaseStore4", "connect_kwargs", "lease_from_row", "lease_to_row"]

INFINITE = 0xFFFFFFFF
QUEUE_LIMIT = 10000  # changes waiting for the database before new ones are refused
BATCH_LIMIT = 500  # changes committed in one transaction at most

_COLUMNS = (
    "address, hwaddr, client_id, valid_lifetime, extract(epoch from expire)::bigint, subnet_id, "
    "fqdn_fwd, fqdn_rev, hostname, state, user_context"
)
_UPSERT = (
    "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, "
    "hostname, state, user_context) VALUES (%s, %s, %s, %s, to_timestamp(%s), %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (address) DO UPDATE SET hwaddr = EXCLUDED.hwaddr, client_id = EXCLUDED.client_id, "
    "valid_lifetime = EXCLUDED.valid_lifetime, expire = EXCLUDED.expire, subnet_id = EXCLUDED.subnet_id, "
    "fqdn_fwd = EXCLUDED.fqdn_fwd, fqdn_rev = EXCLUDED.fqdn_rev, hostname = EXCLUDED.hostname, "
    "state = EXCLUDED.state, user_context = EXCLUDED.user_context"
)
_DELETE = "DELETE FROM lease4 WHERE address = %s"


def lease_to_row(lease: Lease4) -> tuple[Any, ...]:
    """The lease4 row values as Kea writes them (expire as epoch seconds for to_timestamp)."""
    lifetime = lease.valid_lifetime
    expire = lease.cltt if lifetime == INFINITE else lease.cltt + lifetime
    context = json.dumps(lease.user_context, separators=(",", ":")) if lease.user_context else ""
    return (
        lease.address,
        bytes(lease.hwaddr or b""),
        bytes(lease.client_id or b""),
        lifetime,
        expire,
        lease.subnet_id,
        bool(lease.fqdn_fwd),
        bool(lease.fqdn_rev),
        lease.hostname or "",
        lease.state,
        context,
    )


def lease_from_row(row: Iterable[Any]) -> Lease4:
    """A Lease4 from the columns of _COLUMNS, read as Kea reads them."""
    address, hwaddr, client_id, lifetime, expire, subnet_id, fwd, rev, hostname, state, context = row
    lifetime = int(lifetime or 0)
    expire = int(expire or 0)
    cltt = expire if lifetime == INFINITE else expire - lifetime
    return Lease4(
        int(address),
        hwaddr=bytes(hwaddr or b""),
        client_id=bytes(client_id) if client_id else None,
        valid_lifetime=lifetime,
        cltt=cltt,
        subnet_id=int(subnet_id or 0),
        hostname=hostname or "",
        state=int(state or 0),
        fqdn_fwd=bool(fwd),
        fqdn_rev=bool(rev),
        user_context=json.loads(context) if context else None,
    )


class PgSqlLeaseStore4(MemoryLeaseStore4):
    """DHCPv4 leases in PostgreSQL (Kea 2.2's lease4 table); see the module docstring."""

    def __init__(self, params: Mapping[str, Any], *, queue_limit: int = QUEUE_LIMIT) -> None:
        super().__init__()
        self._access = PgSqlAccess(params, LeaseStoreError, "lease-database")
        self._where = self._access.where
        self.last_seq = 0
        self.durable_seq = 0
        self._queue: queue.Queue[tuple[int, str, tuple[Any, ...]] | None] = queue.Queue(queue_limit)
        self._events: list[tuple[int, bool]] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._conn: Any = None
        try:
            self._conn = self._connect()
            self._check_schema(self._conn)
            self._load(self._conn)
        except BaseException:
            self._release()
            raise
        self._thread = threading.Thread(target=self._writer, name="pgsql-lease4-writer", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return "<PgSqlLeaseStore4 %s>" % self._where

    # -- connection, schema, loading
    def _scrub(self, exc: BaseException) -> str:
        return self._access.scrub(exc)

    def _connect(self) -> Any:
        return self._access.connect()

    def _check_schema(self, conn: Any) -> None:
        self._access.check_schema(conn)

    def _load(self, conn: Any) -> None:
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT %s FROM lease4" % _COLUMNS)
                rows = cur.fetchall()
            conn.rollback()
        except Exception as exc:  # noqa: BLE001
            raise LeaseStoreError(
                "cannot read the leases of the %s: %s" % (self._where, self._scrub(exc))
            ) from None
        for row in rows:
            try:
                MemoryLeaseStore4.put(self, lease_from_row(row))
            except ValueError as exc:
                log.warning(
                    "DHCPSRV_PGSQL_LEASE_SKIPPED lease4 row %s is not a lease edge-dhcp can keep: %s",
                    row[0],
                    exc,
                )

    # -- writes
    def _enqueue(self, op: str, row: tuple[Any, ...]) -> int:
        seq = self.last_seq + 1
        try:
            self._queue.put_nowait((seq, op, row))
        except queue.Full:
            self.write_errors += 1
            self._count_write_error()
            raise LeaseStoreError(
                "the %s is %d changes behind; the change is refused" % (self._where, self._queue.maxsize)
            ) from None
        self.last_seq = seq
        return seq

    def put(self, lease: Lease4) -> None:
        record = self._pack(lease)  # ValueError before anything is queued
        self._enqueue("put", lease_to_row(lease))
        self._apply(lease.address, record, lease)

    def delete(self, address: int) -> bool:
        if address not in self._records:
            return False
        self._enqueue("del", (address,))
        self._apply(address, None)
        return True

    def _writer(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            stop = False
            while len(batch) < BATCH_LIMIT:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            ok = self._commit(batch)
            self._report(batch[-1][0], ok)
            if stop:
                return

    def _commit(self, batch: list[tuple[int, str, tuple[Any, ...]]]) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            with self._conn.cursor() as cur:
                for _, op, row in batch:
                    cur.execute(_UPSERT if op == "put" else _DELETE, row)
            self._conn.commit()
            return True
        except Exception as exc:  # noqa: BLE001 - reported as not durable; the next batch reconnects
            log.error(
                "DHCPSRV_PGSQL_COMMIT_FAIL %d lease change(s) up to #%d not committed to the %s: %s; "
                "the replies waiting for them are dropped",
                len(batch),
                batch[-1][0],
                self._where,
                self._scrub(exc),
            )
            try:
                if self._conn is not None:
                    self._conn.close()
            except Exception:  # noqa: BLE001, S110 - the connection is given up either way
                pass
            self._conn = None
            return False

    def _report(self, seq: int, ok: bool) -> None:
        with self._lock:
            self._events.append((seq, ok))
            self._idle.notify_all()
        try:
            os.write(self._wake_w, b"\0")
        except (BlockingIOError, OSError):
            pass  # the pipe is full (poll will find every event) or closed

    # -- durability hooks
    def wakeup_fd(self) -> int | None:
        return self._wake_r if self._wake_r >= 0 else None

    def poll(self) -> list[tuple[int, bool]]:
        if self._wake_r >= 0:
            try:
                while os.read(self._wake_r, 4096):
                    pass
            except BlockingIOError:
                pass
        with self._lock:
            events, self._events = self._events, []
        for seq, ok in events:
            if ok:
                self.durable_seq = max(self.durable_seq, seq)
            else:
                self.sync_errors += 1
                self._count_write_error()
        return events

    def _done(self) -> int:
        """The last sequence number the writer has reported on, committed or not (under the lock)."""
        return max((seq for seq, _ in self._events), default=self.durable_seq)

    def flush(self) -> None:
        """Wait until the writer has reported on every change handed to the store (committed or failed);
        the events stay for poll()."""
        target = self.last_seq
        with self._idle:
            while self._done() < target and self._thread.is_alive():
                self._idle.wait(0.5)
        if not self._events or self._events[-1][0] < target:
            return
        # flush() callers outside the loop (tests, shutdown) see durable_seq move as poll() would move it
        for seq, ok in self._events:
            if ok:
                self.durable_seq = max(self.durable_seq, seq)

    def close(self) -> None:
        if getattr(self, "_thread", None) is not None and self._thread.is_alive():
            self.flush()
            self._queue.put(None)
            self._thread.join(10)
        self._release()

    def _release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001, S110 - closing on the way out
                pass
            self._conn = None
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1
