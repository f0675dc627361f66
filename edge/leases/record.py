"""RecordFormat: what the shared lease store must be told about one family's lease record.

The durability engine (store.py, memfile.py, journal.py, snapshot.py, table.py, reclaim.py) keeps leases
of any family. It never looks inside a lease itself: the family hands it a RecordFormat, and everything
the engine needs from a lease goes through it —

- the key: an integer address (`key_bits` wide: 32 for IPv4, 128 for an IPv6 address or prefix), never 0
  and never all ones (those two values mark the empty and the deleted slot of the hash indexes);
- the packed record (`pack`/`unpack`): the bytes the store keeps per lease instead of a Python object, and
  the functions that cut index keys out of those bytes without unpacking (`indexes`: name -> function;
  every family has "hwaddr" and "hostname", lower-cased), the offset from which they read
  (`keys_offset`), and the expiry-index key (`expiry_key`);
- the document form (`to_doc`/`from_doc`): the JSON object the journal and the TinyDB snapshot store;
  `pack_document` may go straight from a document to a record (the loader's fast path);
- the key as text (`text`/`parse_key`), used by journal deletions, messages and logs;
- the journal line of a put (`journal_put`), which a family may write faster than the general encoder as
  long as the bytes are the same;
- what reclamation keeps of an expired lease for affinity (`reclaimed`), and the family's IP version for
  its log ids.

Rules: `pack` raises ValueError for a lease that cannot be represented and changes nothing; `unpack`
returns a fresh object each time (callers may change it and put it back); index-key functions return None
for "not in this index". A format is stateless: one instance serves every store of its family.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from array import array
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic

from edge.leases.journal import encode_record
from edge.leases.lease import STATE_EXPIRED_RECLAIMED, L

BUCKET_SHIFT = 4  # expiry buckets of 16 seconds
ACTIVE, RECLAIMED = 0, 1  # expiry index classes: "may need reclaiming", "reclaimed, waiting for the flush"
NO_KEY = 0  # never a lease (0.0.0.0, ::): the empty slot of the hash indexes

IndexKey = Callable[[bytes], Hashable | None]
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def text_bytes(text: str, what: str) -> bytes:
    """UTF-8 of a lease's text field; ValueError (the lease is refused) for text that has none, such as a
    lone surrogate from a control command: every reader of the lease file expects strict UTF-8."""
    try:
        return text.encode("utf-8") if text else b""
    except UnicodeEncodeError:
        raise ValueError("%s is not text (it holds a lone surrogate)" % what) from None


def context_bytes(user_context: Any) -> bytes:
    """A user context as compact strict JSON in UTF-8 (no NaN, no Infinity: Kea and every JSON reader refuse
    them); ValueError when it is not a plain JSON object."""
    if not isinstance(user_context, dict):
        raise ValueError("user_context must be a JSON object, not %s" % type(user_context).__name__)
    try:
        return json.dumps(user_context, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
            "utf-8"
        )
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise ValueError("user_context is not plain JSON: %s" % exc) from None


def expiry_class(state: int) -> int:
    return RECLAIMED if state == STATE_EXPIRED_RECLAIMED else ACTIVE


class RecordFormat(ABC, Generic[L]):
    """One family's lease record as the shared store sees it (see the module docstring)."""

    name: str  # "lease4", "lease6": named in snapshot headers and messages
    ip_version: int  # 4 or 6: the family's log ids say V4 / V6
    key_bits: int  # 32 or 128
    snapshot_tag: str | None  # the snapshot header's "records" (snapshot.py); None for DHCPv4's files
    # Every index key (hash indexes, not expiry) is read from record[keys_offset:]: a change that leaves
    # those bytes as they were (a renewal) leaves the hash indexes alone. 0: no such promise.
    keys_offset: int = 0
    indexes: Mapping[str, IndexKey]  # secondary hash indexes: name -> key of a packed record

    @property
    def tombstone(self) -> int:
        """The all-ones key: never a lease; the deleted slot of the hash indexes."""
        return (1 << self.key_bits) - 1

    def new_slots(self, size: int) -> Any:
        """Zeroed storage for `size` keys: 4 bytes a slot for 32-bit keys, a list for wider ones."""
        if self.key_bits <= 32:
            return array("I", bytes(4 * size))
        return [NO_KEY] * size

    def check_key(self, key: int) -> None:
        if type(key) is not int or not NO_KEY < key < self.tombstone:
            raise ValueError("%r is not a usable %s key" % (key, self.name))

    # -- packed records
    @abstractmethod
    def pack(self, lease: L) -> bytes:
        """The packed form of `lease` (without its key). ValueError if it cannot be represented."""

    @abstractmethod
    def unpack(self, key: int, record: bytes) -> L: ...

    @abstractmethod
    def expiry_key(self, record: bytes) -> tuple[int, int, int]:
        """(expiry_class(state), expire >> BUCKET_SHIFT, subnet id) of a packed record."""

    @abstractmethod
    def expire(self, record: bytes) -> int: ...

    @abstractmethod
    def subnet(self, record: bytes) -> int: ...

    # -- documents (journal and snapshot)
    def to_doc(self, lease: L) -> dict[str, Any]:
        return lease.to_doc()

    @abstractmethod
    def from_doc(self, doc: dict[str, Any]) -> L:
        """The lease a document describes; KeyError/ValueError/TypeError for a bad one."""

    def pack_document(self, doc: dict[str, Any]) -> tuple[int, bytes]:
        """(key, packed record) of a document, as `from_doc` reads it."""
        lease = self.from_doc(doc)
        return lease.address, self.pack(lease)

    def snapshot_line(self, key: int, record: bytes) -> str:
        """The compact JSON document of one record, as the snapshot stores it."""
        return _dumps(self.to_doc(self.unpack(key, record)))

    def journal_put(self, lease: L) -> bytes:
        """The journal line that records `lease` (see journal.py)."""
        return encode_record({"op": "put", "lease": self.to_doc(lease)})

    # -- the family's hooks for reclamation
    def reclaimed(self, lease: L) -> L:
        """What reclamation keeps of an expired lease for lease affinity (Kea's reclaimExpiredLease):
        the same client and address in the expired-reclaimed state, its names and DNS flags cleared."""
        kept = lease.copy()
        kept.state = STATE_EXPIRED_RECLAIMED
        kept.hostname = ""
        kept.fqdn_fwd = kept.fqdn_rev = False
        return kept

    # -- keys as text
    @abstractmethod
    def text(self, key: int) -> str: ...

    @abstractmethod
    def parse_key(self, text: str) -> int:
        """The key a text names; ValueError if none."""
