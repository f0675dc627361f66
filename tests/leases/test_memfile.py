"""The first-cut memfile store: indexes, journal replay, torn and corrupt journals, stock TinyDB snapshots."""

from __future__ import annotations

import os

import pytest
from tinydb import Query, TinyDB

from edge.leases.lease import STATE_DECLINED, Lease
from edge.leases.memfile import JournalCorrupt, MemfileLeaseStore
from edge.leases.store import MemoryLeaseStore

BASE = 0xC0000264  # 192.0.2.100


def lease(n: int, **kw) -> Lease:
    fields = dict(hwaddr=bytes((2, 0, 0, 0, 0, n)), valid_lifetime=3600, cltt=1_800_000_000, subnet_id=1)
    fields.update(kw)
    return Lease(BASE + n, **fields)


def test_indexes_follow_changes():
    store = MemoryLeaseStore()
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


def test_leases_survive_restart_via_journal_without_clean_close(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore(path)
    store.put(lease(1))
    store.put(lease(2, state=STATE_DECLINED))
    store.delete(BASE + 2)
    store.put(lease(3, client_id=b"\xff" + b"x" * 10, hostname="laptop"))
    # No close(): as if the process was killed. The journal alone must carry the changes.
    reopened = MemfileLeaseStore(path)
    assert sorted(x.address for x in reopened.all()) == [BASE + 1, BASE + 3]
    assert reopened.get(BASE + 3) == lease(3, client_id=b"\xff" + b"x" * 10, hostname="laptop")
    reopened.close()


def test_snapshot_is_stock_tinydb(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore(path)
    for n in range(5):
        store.put(lease(n, hostname="host%d" % n))
    store.close()
    assert os.path.getsize(path + ".journal") == 0
    db = TinyDB(path)
    found = db.table("leases").search(Query().hostname == "host3")
    assert [doc["address"] for doc in found] == ["192.0.2.103"]
    db.close()


def test_torn_last_record_is_ignored(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore(path)
    store.put(lease(1))
    store.put(lease(2))
    os.close(store._journal_fd)
    with open(path + ".journal", "r+b") as handle:
        data = handle.read()
        handle.seek(0)
        handle.truncate()
        handle.write(data[:-15])  # the second record loses its tail
    reopened = MemfileLeaseStore(path)
    assert [x.address for x in reopened.all()] == [BASE + 1]


def test_corrupt_record_in_the_middle_stops_start_with_offset(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore(path)
    for n in range(3):
        store.put(lease(n))
    os.close(store._journal_fd)
    with open(path + ".journal", "rb") as handle:
        lines = handle.read().split(b"\n")
    first_len = len(lines[0]) + 1
    lines[1] = lines[1].replace(b"192.0.2.101", b"192.0.2.177")  # checksum no longer matches
    with open(path + ".journal", "wb") as handle:
        handle.write(b"\n".join(lines))
    with pytest.raises(JournalCorrupt, match="byte offset %d" % first_len):
        MemfileLeaseStore(path)
