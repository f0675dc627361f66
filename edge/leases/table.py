"""The live lease store as a TinyDB database: TinyDB's API over the indexes, with constant-cost writes.

Stock TinyDB keeps every table in its Storage as one dict and rewrites all of it on each write
(`Table._update_table` reads the whole database, applies the change, writes the whole database back): at
10 000 leases that is milliseconds per insert, tens with a JSON file. TinyDB's extension points let us keep
its API and documents without that cost:
- `LiveStorage` (a tinydb Storage) whose data *is* a lease store: `read()` returns a lazy mapping of doc id
  to document built from the store, `write()` (used only by whole-database operations such as
  drop_tables) reconciles the store with what it is given.
- `LeaseTable` (TinyDB.table_class) overrides the two methods every stock Table operation goes through:
  `_read_table` returns the lazy view (so `get(doc_id=...)`, `contains`, `len` are index lookups), and
  `_update_table` hands the updater a change-recording mapping and then applies only the documents the
  updater touched, each as one journaled `put`/`delete` of the store. `insert` keys a document by its
  address instead of "largest id + 1" (which would scan every id).

Rules:
- Documents are the family's lease documents (RecordFormat.to_doc); the document id of a lease is its
  address (or prefix) as an integer, the same ids the snapshot file uses, so a document means the same
  thing live and on disk.
- Every document an updater writes is validated (it must make a lease, and its id must be its address)
  before any is applied; a bad one is a ValueError and nothing changes. Valid changes are then applied
  one by one, each journaled on its own (there are no multi-lease transactions, as in Kea's memfile).
- Searches with a Query still visit every document, as in stock TinyDB; the indexed lookups are the store's
  `find_by_*` methods and `get(doc_id=...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from edge.leases.lease import LeaseRecord
from edge.leases.record import RecordFormat
from edge.leases.store import LeaseStore

TABLE = "leases"


class _DocumentView(Mapping[str, Mapping[str, Any]]):
    """str(doc id) -> document, read from the store on access (what stock Table._read_table returns)."""

    def __init__(self, store: LeaseStore[Any]) -> None:
        self._store = store

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        try:
            lease = self._store.get(int(key))
        except ValueError:
            lease = None
        if lease is None:
            raise KeyError(key)
        return lease.to_doc()

    def __iter__(self) -> Iterator[str]:
        return (str(address) for address in self._store.addresses())

    def __len__(self) -> int:
        return len(self._store)

    def items(self) -> Iterator[tuple[str, Mapping[str, Any]]]:  # type: ignore[override]
        return ((str(lease.address), lease.to_doc()) for lease in self._store.all())


class _Changes(MutableMapping[int, dict[str, Any]]):
    """The mapping an updater sees: reads come from the store, writes are recorded for `commit`."""

    def __init__(self, store: LeaseStore[Any]) -> None:
        self._store = store
        self._written: dict[int, dict[str, Any]] = {}
        self._deleted: set[int] = set()

    def __getitem__(self, doc_id: int) -> dict[str, Any]:
        if doc_id in self._written:
            return self._written[doc_id]
        if doc_id in self._deleted:
            raise KeyError(doc_id)
        lease = self._store.get(doc_id) if isinstance(doc_id, int) else None
        if lease is None:
            raise KeyError(doc_id)
        document = lease.to_doc()  # a copy the updater may change in place; commit() compares it
        self._written[doc_id] = document
        return document

    def __setitem__(self, doc_id: int, document: dict[str, Any]) -> None:
        self._written[doc_id] = dict(document)
        self._deleted.discard(doc_id)

    def __delitem__(self, doc_id: int) -> None:
        if doc_id not in self:
            raise KeyError(doc_id)
        self._written.pop(doc_id, None)
        self._deleted.add(doc_id)

    def __contains__(self, doc_id: object) -> bool:
        if doc_id in self._written:
            return True
        return doc_id not in self._deleted and doc_id in self._store

    def __iter__(self) -> Iterator[int]:
        seen = set(self._written)
        yield from list(self._written)
        for address in self._store.addresses():
            if address not in seen and address not in self._deleted:
                yield address

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        self._written.clear()
        self._deleted.update(self._store.addresses())

    def commit(self) -> None:
        puts: list[LeaseRecord] = []
        for doc_id, document in self._written.items():
            lease = lease_from_document(self._store.format, document, doc_id)
            if lease != self._store.get(doc_id):
                puts.append(lease)
        deletes = [doc_id for doc_id in self._deleted if doc_id in self._store]
        for doc_id in deletes:
            self._store.delete(doc_id)
        for lease in puts:
            self._store.put(lease)


def lease_from_document(
    format: RecordFormat[Any], document: Mapping[str, Any], doc_id: int | None = None
) -> LeaseRecord:
    """The lease a TinyDB document describes; ValueError naming the problem if it describes none."""
    try:
        lease: LeaseRecord = format.from_doc(dict(document))
    except KeyError as exc:
        raise ValueError("lease document %s lacks %s" % (doc_id if doc_id is not None else "", exc)) from exc
    except (TypeError, ValueError) as exc:
        raise ValueError("lease document %s: %s" % (doc_id if doc_id is not None else "", exc)) from exc
    if doc_id is not None and lease.address != doc_id:
        raise ValueError(
            "document id %d is not the integer form of its address %s" % (doc_id, document["address"])
        )
    return lease


class LiveStorage(Storage):
    """A TinyDB Storage backed by a lease store (pass `store=` through TinyDB's constructor)."""

    def __init__(self, store: LeaseStore[Any]) -> None:
        self.store = store

    def read(self) -> dict[str, Any]:
        return {TABLE: _DocumentView(self.store)}

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        changes = _Changes(self.store)
        changes.clear()
        for key, document in (data.get(TABLE) or {}).items():
            changes[int(key)] = dict(document)
        changes.commit()


class LeaseTable(Table):
    """The `leases` table of a LeaseDB (see the module docstring)."""

    def __init__(self, storage: Storage, name: str, *args: Any, **kwargs: Any) -> None:
        if name != TABLE or not isinstance(storage, LiveStorage):
            raise ValueError('the live lease database has one table, "%s"' % TABLE)
        kwargs.pop("persist_empty", None)
        super().__init__(storage, name, *args, **kwargs)
        self._store = storage.store

    def _read_table(self) -> Mapping[str, Mapping[str, Any]]:  # type: ignore[override]
        return _DocumentView(self._store)

    def _update_table(self, updater: Callable[[dict[int, Mapping[str, Any]]], None]) -> None:
        changes = _Changes(self._store)
        try:
            updater(changes)  # type: ignore[arg-type]
            changes.commit()
        finally:
            self.clear_cache()

    def _get_next_id(self) -> int:
        raise ValueError("lease documents are keyed by their address; insert documents with an address")

    def insert(self, document: Mapping[str, Any]) -> int:
        return self.insert_multiple([document])[0]

    def insert_multiple(self, documents: Any) -> list[int]:
        ids: list[int] = []

        def updater(table: MutableMapping[int, Any]) -> None:
            for document in documents:
                if not isinstance(document, Mapping):
                    raise ValueError("Document is not a Mapping")
                doc_id = (
                    document.doc_id
                    if isinstance(document, Document)
                    else _address_id(self._store.format, document)
                )
                if doc_id in table:
                    raise ValueError("Document with ID %d already exists" % doc_id)
                table[doc_id] = dict(document)
                ids.append(doc_id)

        self._update_table(updater)
        return ids

    def __len__(self) -> int:
        return len(self._store)


def _address_id(format: RecordFormat[Any], document: Mapping[str, Any]) -> int:
    try:
        return format.parse_key(str(document["address"]))
    except KeyError:
        raise ValueError('a lease document needs an "address"') from None


class LeaseDB(TinyDB):
    table_class = LeaseTable
    default_table_name = TABLE


def open_live_db(store: LeaseStore[Any]) -> LeaseDB:
    return LeaseDB(storage=LiveStorage, store=store)
