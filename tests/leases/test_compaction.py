"""Lease-file cleanup (LFC): a crash at every step loses nothing, the server keeps appending while the
low-priority child writes, a failed compaction is covered by the next, and the child dies with its parent.

Each crash test builds a store with a snapshot and a journal, makes changes, starts a compaction whose
child dies right after one step (fault injection in the real child process), lets the "server" go on
writing, then drops everything as a killed process would and starts again from the files.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_store import MemfileLeaseStore4
from edge.leases.memfile import COMPACTION_STEPS, LFC_NICENESS

BASE = 0xC0000200


def lease(n: int, cltt: int = 1_800_000_000, **kw) -> Lease:
    return Lease(
        BASE + n,
        hwaddr=bytes((2, 0, 0, 0, n >> 8, n & 255)),
        valid_lifetime=3600,
        cltt=cltt,
        subnet_id=1,
        **kw,
    )


def state(store: MemfileLeaseStore4) -> dict[int, Lease]:
    return {x.address: x for x in store.all()}


@pytest.mark.parametrize("step", COMPACTION_STEPS)
def test_crash_at_each_step_of_the_compaction_loses_nothing(tmp_path, step):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    for n in range(1, 40):
        store.put(lease(n))
    store.compact()  # a snapshot on disk to start from
    for n in range(20, 60):  # renewals, new leases and deletions in the journal
        store.put(lease(n, cltt=1_800_000_100 + n, hostname="h%d" % n))
    for n in range(1, 6):
        store.delete(BASE + n)
    assert store.start_compaction(crash_after=step)
    store.wait_compaction()
    # Rotating happens in the server; every other step in the child, which died there.
    assert store.compaction_failures == (0 if step == "rotated" else 1)
    # The server went on while (and after) its compaction died.
    store.put(lease(70, hostname="after"))
    store.delete(BASE + 30)
    expected = state(store)
    store.abandon()
    reopened = MemfileLeaseStore4(path)
    assert state(reopened) == expected
    assert not [n for n in os.listdir(tmp_path) if ".tmp." in n]  # a dead writer's temporary file is gone
    # The next compaction covers whatever the dead one left (its rotated journal included).
    reopened.compact()
    assert reopened.compaction_failures == 0 and reopened.compactions == 1
    assert reopened.rotated_journals() == []
    reopened.abandon()
    assert state(MemfileLeaseStore4(path, readonly=True)) == expected


def test_server_keeps_appending_while_the_child_compacts(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path, sync="none")
    for n in range(1, 3001):
        store.put(lease(n))
    store.compaction_fault = ("pause", "written")  # hold the child after it wrote the temporary file
    assert store.start_compaction()
    assert store.compacting
    pid = store._lfc[0]
    for n in range(3001, 3101):  # appended to the fresh journal while the child works
        store.put(lease(n, hostname="during"))
    store.delete(BASE + 1)
    assert len(store.rotated_journals()) == 1
    os.kill(pid, signal.SIGKILL)  # the child dies at its pause: a failed compaction
    store.wait_compaction()
    store.compaction_fault = None
    assert store.compaction_failures == 1
    store.compact()
    assert store.compactions == 1 and store.rotated_journals() == []
    expected = state(store)
    store.abandon()
    assert state(MemfileLeaseStore4(path, readonly=True)) == expected and len(expected) == 3099


def test_child_runs_at_lower_priority_and_reports_its_io(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    for n in range(1, 200):
        store.put(lease(n))
    store.compact()
    info = store.last_compaction
    assert info["nice"] == min(19, os.nice(0) + LFC_NICENESS)
    assert info["leases"] == 199 and info["bytes"] == os.path.getsize(path)
    assert info["read_bytes"] == 0  # written from the leases in memory, nothing read back
    store.close()


def test_compaction_needs_something_to_do(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    assert not store.needs_compaction()
    store.put(lease(1))
    assert store.needs_compaction()
    store.compact()
    assert not store.needs_compaction() and os.path.getsize(path + ".journal") == 0
    store.close()


def test_the_child_dies_with_the_server(tmp_path):
    """An orphaned compaction could rename an old snapshot over a newer server's: it must not survive."""
    path = str(tmp_path / "leases.json")
    script = textwrap.dedent(
        """
        import sys, time
        from edge.dhcp4.lease import Lease
        from edge.dhcp4.lease_store import MemfileLeaseStore4
        store = MemfileLeaseStore4(sys.argv[1])
        for n in range(1, 50):
            store.put(Lease(0xC0000200 + n, hwaddr=b"\\x02" * 6, valid_lifetime=60, cltt=1, subnet_id=1))
        store.compaction_fault = ("pause", "written")
        store.start_compaction()
        print(store._lfc[0], flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, path],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
    )
    try:
        child = int(proc.stdout.readline())
        deadline = time.monotonic() + 10
        while not any(".tmp." in n for n in os.listdir(tmp_path)):  # the child is at its pause
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.kill()
        proc.wait(10)
        deadline = time.monotonic() + 5
        while _alive(child):
            assert time.monotonic() < deadline, "the compaction child outlived the server"
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # A new server starts cleanly from what the dead pair left.
    reopened = MemfileLeaseStore4(path)
    assert len(reopened) == 49 and not any(".tmp." in n for n in os.listdir(tmp_path))
    reopened.close()


def _alive(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_close_writes_a_final_snapshot_and_empties_the_journals(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    for n in range(1, 10):
        store.put(lease(n))
    store.start_compaction(crash_after="written")  # leaves a rotated journal behind
    store.wait_compaction()
    store.put(lease(10))
    store.close()
    assert store.rotated_journals() == [] and os.path.getsize(path + ".journal") == 0
    with open(path) as handle:
        assert json.loads(handle.read())["snapshot"]["1"]["leases"] == 10
