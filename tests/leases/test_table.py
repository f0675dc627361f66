"""The live store through TinyDB's own API (LeaseDB / LeaseTable / LiveStorage): reads are the store's,
every write is one journaled change, bad documents change nothing."""

from __future__ import annotations

import pytest
from tinydb import Query, TinyDB, where
from tinydb.table import Document

from edge.leases.lease import Lease
from edge.leases.memfile import MemfileLeaseStore
from edge.leases.table import open_live_db

BASE = 0xC0000200


def lease(n: int, **kw) -> Lease:
    fields = dict(
        hwaddr=bytes((2, 0, 0, 0, 0, n)),
        valid_lifetime=3600,
        cltt=1_800_000_000,
        subnet_id=1,
        hostname="host%d" % n,
    )
    fields.update(kw)
    return Lease(BASE + n, **fields)


@pytest.fixture
def store(tmp_path):
    made = MemfileLeaseStore(str(tmp_path / "leases.json"))
    for n in range(1, 6):
        made.put(lease(n))
    yield made
    made.close()


def test_reads_through_tinydb(store):
    db = open_live_db(store)
    table = db.table("leases")
    assert db.tables() == {"leases"} and len(db) == 5 and len(table) == 5
    assert table.get(doc_id=BASE + 3)["hostname"] == "host3"
    assert table.contains(doc_id=BASE + 2) and not table.contains(doc_id=BASE + 99)
    found = db.search(Query().hostname.matches("host[24]"))
    assert sorted(doc.doc_id for doc in found) == [BASE + 2, BASE + 4]
    assert db.count(where("subnet_id") == 1) == 5
    assert [doc.doc_id for doc in db.all()] == [BASE + n for n in range(1, 6)]
    with pytest.raises(ValueError):
        db.table("other")


def test_every_write_is_one_journaled_change(store, tmp_path):
    db = open_live_db(store)
    seq = store.last_seq
    doc_id = db.insert(lease(9).to_doc())
    assert doc_id == BASE + 9 and store.get(BASE + 9) == lease(9)
    assert store.last_seq == seq + 1
    assert db.update({"hostname": "renamed"}, doc_ids=[BASE + 1]) == [BASE + 1]
    assert store.find_by_hostname("renamed")[0].address == BASE + 1
    assert store.last_seq == seq + 2
    # A query-driven update writes only the documents it changed.
    db.update({"valid_lifetime": 7200}, Query().hostname == "host2")
    assert store.last_seq == seq + 3 and store.get(BASE + 2).valid_lifetime == 7200
    assert db.remove(Query().hostname == "host3") == [BASE + 3] and store.get(BASE + 3) is None
    db.upsert(Document(lease(4, hostname="up").to_doc(), doc_id=BASE + 4))
    assert store.get(BASE + 4).hostname == "up"
    assert store.last_seq == seq + 5
    store.abandon()  # the journal carries all of it
    again = MemfileLeaseStore(str(tmp_path / "leases.json"))
    assert again.get(BASE + 1).hostname == "renamed" and again.get(BASE + 3) is None
    assert again.get(BASE + 9) == lease(9)
    again.close()


@pytest.mark.parametrize(
    "action",
    [
        lambda db: db.insert({"address": "192.0.2.1", "valid_lifetime": 1}),  # no expire
        lambda db: db.insert(lease(1).to_doc()),  # exists already
        lambda db: db.insert({"hostname": "no address"}),
        lambda db: db.update({"address": "192.0.2.77"}, doc_ids=[BASE + 1]),  # id and address disagree
        lambda db: db.update({"valid_lifetime": -5}, Query().hostname.exists()),
        lambda db: db.insert_multiple([lease(8).to_doc(), {"address": "x"}]),  # one bad: none inserted
    ],
)
def test_bad_documents_change_nothing(store, action):
    db = open_live_db(store)
    before = ({x.address: x for x in store.all()}, store.last_seq)
    with pytest.raises(ValueError):
        action(db)
    assert ({x.address: x for x in store.all()}, store.last_seq) == before


def test_truncate_and_drop_tables_empty_the_store(store):
    db = open_live_db(store)
    db.table("leases").truncate()
    assert len(store) == 0
    store.put(lease(1))
    db.drop_tables()
    assert len(store) == 0


def test_on_disk_file_is_stock_tinydb_after_compaction(store, tmp_path):
    store.compact()
    db = TinyDB(str(tmp_path / "leases.json"))
    assert db.table("leases").get(Query().hostname == "host5").doc_id == BASE + 5
    db.close()
