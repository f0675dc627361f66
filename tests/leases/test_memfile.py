"""The memfile store on disk: journal replay, torn and corrupt journals, stock TinyDB snapshots, locking,
and write failures that leave nothing half-written.

"Crash" here means `abandon()`: the store lets go of its files without syncing or compacting, which is
what the kernel does for a killed process (everything written reached the page cache; nothing else runs).
The SIGKILL-under-load test with real clients is tests/lab/test_lease_durability.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from tinydb import Query, TinyDB

from edge.dhcp4.lease import STATE_DECLINED, Lease
from edge.dhcp4.lease_store import MemfileLeaseStore4, MemoryLeaseStore4
from edge.leases.errors import LeaseStoreError
from edge.leases.journal import JournalCorrupt, decode_line, encode_record
from edge.leases.memfile import StoreLocked

BASE = 0xC0000264  # 192.0.2.100


def lease(n: int, **kw) -> Lease:
    fields = dict(hwaddr=bytes((2, 0, 0, 0, 0, n)), valid_lifetime=3600, cltt=1_800_000_000, subnet_id=1)
    fields.update(kw)
    return Lease(BASE + n, **fields)


def journal_lines(path: str) -> list[bytes]:
    with open(path + ".journal", "rb") as handle:
        return handle.read().split(b"\n")


def test_indexes_follow_changes():
    store = MemoryLeaseStore4()
    store.put(lease(1, client_id=b"\x01abc", hostname="Printer"))
    store.put(lease(2))
    assert [x.address for x in store.find_by_hwaddr(bytes((2, 0, 0, 0, 0, 1)))] == [BASE + 1]
    assert [x.address for x in store.find_by_client_id(b"\x01abc")] == [BASE + 1]
    assert [x.address for x in store.find_by_hostname("printer")] == [BASE + 1]
    # Replacing the lease for an address re-indexes it.
    store.put(lease(1, hwaddr=b"\x02\x00\x00\x00\x00\x09"))
    assert store.find_by_hwaddr(bytes((2, 0, 0, 0, 0, 1))) == []
    assert store.find_by_client_id(b"\x01abc") == []
    assert store.find_by_hwaddr(b"\x02\x00\x00\x00\x00\x09", subnet_id=2) == []
    assert store.delete(BASE + 2) and not store.delete(BASE + 2)
    assert len(store) == 1


@pytest.mark.parametrize("sync", ["batch", "always", "none"])
def test_leases_survive_restart_via_journal_without_clean_close(tmp_path, sync):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path, sync=sync)
    store.put(lease(1))
    store.put(lease(2, state=STATE_DECLINED))
    store.delete(BASE + 2)
    store.put(lease(3, client_id=b"\xff" + b"x" * 10, hostname="laptop", user_context={"note": "a,b"}))
    assert store.last_seq == 4
    store.abandon()  # as if the process was killed: the journal alone carries the changes
    reopened = MemfileLeaseStore4(path, sync=sync)
    assert sorted(x.address for x in reopened.all()) == [BASE + 1, BASE + 3]
    assert reopened.get(BASE + 3) == lease(
        3, client_id=b"\xff" + b"x" * 10, hostname="laptop", user_context={"note": "a,b"}
    )
    assert reopened.find_by_hostname("LAPTOP")[0].address == BASE + 3
    reopened.close()


def test_snapshot_is_stock_tinydb_keyed_by_address(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    for n in range(5):
        store.put(lease(n, hostname="host%d" % n))
    store.close()
    assert os.path.getsize(path + ".journal") == 0  # a clean close folds the journal into the snapshot
    db = TinyDB(path)
    table = db.table("leases")
    found = table.search(Query().hostname == "host3")
    assert [doc["address"] for doc in found] == ["192.0.2.103"]
    assert found[0].doc_id == BASE + 3
    assert table.get(doc_id=BASE + 4)["hostname"] == "host4"
    assert len(table) == 5
    db.close()


def test_a_file_written_by_stock_tinydb_is_read(tmp_path):
    path = str(tmp_path / "leases.json")
    db = TinyDB(path)
    db.table("leases").insert_multiple([lease(1).to_doc(), lease(2, hostname="pc").to_doc()])  # ids 1, 2
    db.close()
    store = MemfileLeaseStore4(path)
    assert store.get(BASE + 2).hostname == "pc" and len(store) == 2
    store.close()
    assert TinyDB(path).table("leases").get(doc_id=BASE + 2)["hostname"] == "pc"  # rewritten in our layout


def _write_journal_lines(path: str, lines: list[bytes]) -> None:
    with open(path + ".journal", "wb") as handle:
        handle.write(b"\n".join(lines))


@pytest.mark.parametrize("damage", ["cut", "zeros", "garbled"])
def test_torn_last_record_is_reported_and_ignored_then_cut_off(tmp_path, damage, caplog):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    store.put(lease(1))
    store.put(lease(2))
    store.abandon()
    data = open(path + ".journal", "rb").read()
    good = len(data.split(b"\n")[0]) + 1
    if damage == "cut":
        data = data[:-15]  # the second record lost its tail
    elif damage == "zeros":
        data = data[:good] + b"\0" * 300  # a power cut left the tail unwritten
    else:
        data = data[:-20] + b"X" + data[-19:]  # whole line, bad checksum, last in the file
    open(path + ".journal", "wb").write(data)
    reopened = MemfileLeaseStore4(path)
    assert [x.address for x in reopened.all()] == [BASE + 1]
    assert "DHCPSRV_MEMFILE_JOURNAL_TORN" in caplog.text
    # The torn tail was cut off before anything was appended after it: the next start is clean.
    assert os.path.getsize(path + ".journal") == good
    reopened.put(lease(3))
    reopened.abandon()
    caplog.clear()
    again = MemfileLeaseStore4(path)
    assert sorted(x.address for x in again.all()) == [BASE + 1, BASE + 3]
    assert "JOURNAL_TORN" not in caplog.text
    again.close()


def test_corrupt_record_in_the_middle_stops_start_with_file_and_offset(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    for n in range(3):
        store.put(lease(n))
    store.abandon()
    lines = journal_lines(path)
    first_len = len(lines[0]) + 1
    lines[1] = lines[1].replace(b"192.0.2.101", b"192.0.2.177")  # checksum no longer matches
    _write_journal_lines(path, lines)
    with pytest.raises(
        JournalCorrupt, match=r"leases\.json\.journal: corrupt journal record at byte offset %d" % first_len
    ):
        MemfileLeaseStore4(path)


def test_valid_checksum_but_impossible_lease_is_corruption_with_offset(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    store.put(lease(1))
    store.abandon()
    bad = encode_record({"op": "put", "lease": {"address": "300.1.2.3", "valid_lifetime": 1, "expire": 2}})
    with open(path + ".journal", "ab") as handle:
        offset = handle.tell()
        handle.write(bad)
    with pytest.raises(
        JournalCorrupt, match="byte offset %d has a valid checksum but is not a valid lease" % offset
    ):
        MemfileLeaseStore4(path)


def test_damaged_snapshot_names_file_and_line(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    for n in range(4):
        store.put(lease(n))
    store.close()
    text = open(path).read().splitlines(keepends=True)
    text[4] = text[4][:30] + "\n"  # the third lease document, line 5
    open(path, "w").write("".join(text))
    with pytest.raises(JournalCorrupt, match=r"leases\.json: line 5: damaged lease document"):
        MemfileLeaseStore4(path)
    head = "".join(open(path).read().splitlines(keepends=True)[:3])
    open(path, "w").write(head)  # the file ends after the first lease: truncated
    with pytest.raises(JournalCorrupt, match="truncated"):
        MemfileLeaseStore4(path)


def test_journal_records_are_checksummed_lines():
    line = encode_record({"op": "put", "lease": lease(1, hostname="new\nline").to_doc()})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_line(line[:-1])["lease"]["hostname"] == "new\nline"
    with pytest.raises(ValueError, match="checksum"):
        decode_line(line[:-1].replace(b"new", b"old"))


def test_second_writer_is_refused_but_readers_may_look(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    store.put(lease(1))
    with pytest.raises(StoreLocked, match="in use by pid %d" % os.getpid()):
        MemfileLeaseStore4(path)
    reader = MemfileLeaseStore4(path, readonly=True)
    assert reader.get(BASE + 1) == lease(1)
    with pytest.raises(LeaseStoreError, match="read-only"):
        reader.put(lease(2))
    store.close()
    MemfileLeaseStore4(path).close()  # the lock went with close()


def test_failed_write_leaves_no_partial_record_and_recovers(tmp_path):
    """A real kernel write error: RLIMIT_FSIZE makes the journal unable to grow (EFBIG), as a full disk
    would. Run in a child process so the limit touches nothing else."""
    path = str(tmp_path / "leases.json")
    script = textwrap.dedent(
        """
        import json, os, resource, signal, sys
        from edge.dhcp4.lease import Lease
        from edge.dhcp4.lease_store import MemfileLeaseStore4
        from edge.leases.errors import LeaseStoreError
        from edge.stats import Statistics
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        path = sys.argv[1]
        store = MemfileLeaseStore4(path, sync="always")
        stats = Statistics()
        store.use_statistics(stats)
        def lease(n):
            return Lease(0xC0000264 + n, hwaddr=bytes((2, 0, 0, 0, 0, n)), valid_lifetime=3600,
                         cltt=1800000000, subnet_id=1, hostname="h" * 40)
        store.put(lease(1))
        size = os.path.getsize(path + ".journal")
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 100, resource.RLIM_INFINITY))
        failures = []
        for n in (2, 3):
            try:
                store.put(lease(n))
            except LeaseStoreError as exc:
                failures.append(str(exc))
        after_failure = os.path.getsize(path + ".journal")
        present = [store.get(0xC0000264 + n) is not None for n in (1, 2, 3)]
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        store.put(lease(3))
        print(json.dumps({"size": size, "after_failure": after_failure, "failures": failures,
                          "present": present, "errors": store.write_errors,
                          "counted": stats.get("lease-store-write-errors")}))
        store.abandon()
        """
    )
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    out = subprocess.run(
        [sys.executable, "-c", script, path], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    import json

    result = json.loads(out.stdout)
    assert len(result["failures"]) == 2 and result["errors"] == result["counted"] == 2
    assert result["after_failure"] == result["size"]  # the partial record was cut off again
    assert result["present"] == [True, False, False]  # nothing applied that was not recorded
    reopened = MemfileLeaseStore4(path)  # no corruption in the middle: the journal is clean
    assert sorted(x.address - BASE for x in reopened.all()) == [1, 3]
    reopened.close()
