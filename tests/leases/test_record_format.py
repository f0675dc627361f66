"""The durability engine with the record format plugged in: the DHCPv4 files stay byte for byte what they
were, and a record of another shape — a minimal DHCPv6-like one, defined here, with a 128-bit key, lease
type, prefix length, DUID and IAID — goes through the same store, indexes, journal, snapshot, compaction,
TinyDB view and reclamation without the shared code knowing it.

Also: the shared room imports no family room, and every store has the whole LeaseStore interface.
"""

from __future__ import annotations

import ast
import ipaddress
import json
import logging
import os
import re
import struct
from pathlib import Path
from typing import Any

import pytest

from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_store import MemfileLeaseStore4, MemoryLeaseStore4
from edge.leases.errors import JournalCorrupt
from edge.leases.lease import STATE_DECLINED, STATE_DEFAULT, STATE_EXPIRED_RECLAIMED
from edge.leases.memfile import MemfileLeaseStore
from edge.leases.reclaim import Reclaimer
from edge.leases.record import ACTIVE, BUCKET_SHIFT, RECLAIMED, RecordFormat
from edge.leases.store import LeaseStore, MemoryLeaseStore
from edge.leases.table import open_live_db
from edge.stats import Statistics

NOW = 1_800_000_000
ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------------------- v4 bytes


def test_v4_journal_and_snapshot_bytes_are_unchanged(tmp_path):
    """The exact bytes the store wrote before the record format became a plug-in."""
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path, sync="none")
    store.put(
        Lease(
            0xC0000201,
            hwaddr=b"\x02\x00\x00\x00\x00\x01",
            client_id=b"\x01abc",
            valid_lifetime=3600,
            cltt=NOW,
            subnet_id=1,
            hostname='café "x"',
            fqdn_fwd=True,
            user_context={"k": [1, "two"]},
        )
    )
    store.put(Lease(0xC0000202, hwaddr=b"\x02\x00\x00\x00\x00\x02", cltt=NOW, subnet_id=2, state=2))
    store.delete(0xC0000202)
    with open(path + ".journal", "rb") as handle:
        journal = handle.read()
    assert journal == (
        b'2a8f6f60 {"op":"put","lease":{"address":"192.0.2.1","hwaddr":"02:00:00:00:00:01","client_id":'
        b'"01:61:62:63","valid_lifetime":3600,"expire":1800003600,"subnet_id":1,"fqdn_fwd":true,"fqdn_rev":'
        b'false,"hostname":"caf\xc3\xa9 \\"x\\"","state":0,"user_context":{"k":[1,"two"]}}}\n'
        b'324964af {"op":"put","lease":{"address":"192.0.2.2","hwaddr":"02:00:00:00:00:02","client_id":"",'
        b'"valid_lifetime":0,"expire":1800000000,"subnet_id":2,"fqdn_fwd":false,"fqdn_rev":false,'
        b'"hostname":"","state":2}}\n'
        b'8fbda5a9 {"op":"del","address":"192.0.2.2"}\n'
    )
    store.close()
    with open(path, "rb") as handle:
        snapshot = re.sub(rb'"written": \d+', b'"written": 0', handle.read())
    assert snapshot == (
        b'{"snapshot": {"1": {"format": "edge-dhcp-leases-1", "leases": 1, "written": 0}},\n"leases": {\n'
        b'"3221225985": {"address":"192.0.2.1","hwaddr":"02:00:00:00:00:01","client_id":"01:61:62:63",'
        b'"valid_lifetime":3600,"expire":1800003600,"subnet_id":1,"fqdn_fwd":true,"fqdn_rev":false,'
        b'"hostname":"caf\xc3\xa9 \\"x\\"","state":0,"user_context":{"k":[1,"two"]}}\n}}\n'
    )


# ------------------------------------------------------------------------------------------- a v6-shaped record

NA, TA, PD = 0, 1, 2


class Toy6:
    """Just enough of a DHCPv6 lease for the store: what it must carry through unchanged."""

    __slots__ = (
        "address",
        "lease_type",
        "prefix_len",
        "duid",
        "iaid",
        "preferred_lifetime",
        "valid_lifetime",
        "cltt",
        "subnet_id",
        "hwaddr",
        "hostname",
        "state",
        "fqdn_fwd",
        "fqdn_rev",
        "user_context",
    )

    def __init__(self, address: int, duid: bytes = b"\x00\x03\x00\x01\x02\x00\x00\x00\x00\x01", **kw: Any):
        self.address = address
        self.lease_type = kw.pop("lease_type", NA)
        self.prefix_len = kw.pop("prefix_len", 128)
        self.duid = duid
        self.iaid = kw.pop("iaid", 1)
        self.preferred_lifetime = kw.pop("preferred_lifetime", 1800)
        self.valid_lifetime = kw.pop("valid_lifetime", 3600)
        self.cltt = kw.pop("cltt", NOW)
        self.subnet_id = kw.pop("subnet_id", 1)
        self.hwaddr = kw.pop("hwaddr", b"")
        self.hostname = kw.pop("hostname", "")
        self.state = kw.pop("state", STATE_DEFAULT)
        self.fqdn_fwd = kw.pop("fqdn_fwd", False)
        self.fqdn_rev = kw.pop("fqdn_rev", False)
        self.user_context = kw.pop("user_context", None)
        assert not kw, kw

    @property
    def expire(self) -> int:
        return self.cltt + self.valid_lifetime

    def copy(self) -> Toy6:
        out = Toy6(self.address)
        for name in Toy6.__slots__:
            setattr(out, name, getattr(self, name))
        return out

    def to_doc(self) -> dict[str, Any]:
        doc = {name: getattr(self, name) for name in Toy6.__slots__}
        doc["address"] = str(ipaddress.IPv6Address(self.address))
        doc["duid"] = self.duid.hex(":")
        doc["hwaddr"] = self.hwaddr.hex(":")
        if not self.user_context:
            del doc["user_context"]
        return doc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Toy6) and all(getattr(self, n) == getattr(other, n) for n in Toy6.__slots__)

    def __repr__(self) -> str:
        return "Toy6(%s/%d type %d)" % (ipaddress.IPv6Address(self.address), self.prefix_len, self.lease_type)


_HEAD = struct.Struct("!qIIIIBBBB")  # cltt, valid, preferred, subnet, iaid, state, type, prefix_len, flags


class Toy6Format(RecordFormat[Toy6]):
    name = "toy6"
    ip_version = 6
    key_bits = 128
    snapshot_tag = "toy6"

    def __init__(self) -> None:
        self.indexes = {
            "hwaddr": lambda r: self._fields(r)[0] or None,
            "hostname": lambda r: self._fields(r)[2].decode().lower() or None,
            "duid_iaid": lambda r: (self._fields(r)[1], _HEAD.unpack_from(r)[4], _HEAD.unpack_from(r)[6]),
            "duid": lambda r: self._fields(r)[1] or None,
        }

    @staticmethod
    def _fields(record: bytes) -> tuple[bytes, bytes, bytes, bytes]:
        offset = _HEAD.size
        parts = []
        for width in (1, 1, 2):
            length = int.from_bytes(record[offset : offset + width], "big")
            offset += width
            parts.append(record[offset : offset + length])
            offset += length
        return parts[0], parts[1], parts[2], record[offset:]

    def pack(self, lease: Toy6) -> bytes:
        self.check_key(lease.address)
        context = json.dumps(lease.user_context).encode() if lease.user_context else b""
        host = lease.hostname.encode()
        try:
            head = _HEAD.pack(
                lease.cltt,
                lease.valid_lifetime,
                lease.preferred_lifetime,
                lease.subnet_id,
                lease.iaid,
                lease.state,
                lease.lease_type,
                lease.prefix_len,
                lease.fqdn_fwd | lease.fqdn_rev << 1,
            )
        except struct.error as exc:
            raise ValueError(str(exc)) from exc
        return b"".join(
            (head, bytes((len(lease.hwaddr),)), lease.hwaddr, bytes((len(lease.duid),)), lease.duid)
            + (len(host).to_bytes(2, "big"), host, context)
        )

    def unpack(self, key: int, record: bytes) -> Toy6:
        cltt, valid, preferred, subnet, iaid, state, kind, plen, flags = _HEAD.unpack_from(record)
        hwaddr, duid, host, context = self._fields(record)
        return Toy6(
            key,
            duid,
            lease_type=kind,
            prefix_len=plen,
            iaid=iaid,
            preferred_lifetime=preferred,
            valid_lifetime=valid,
            cltt=cltt,
            subnet_id=subnet,
            hwaddr=hwaddr,
            hostname=host.decode(),
            state=state,
            fqdn_fwd=bool(flags & 1),
            fqdn_rev=bool(flags & 2),
            user_context=json.loads(context) if context else None,
        )

    def expiry_key(self, record: bytes) -> tuple[int, int, int]:
        cltt, valid, _, subnet, _, state, _, _, _ = _HEAD.unpack_from(record)
        return (
            RECLAIMED if state == STATE_EXPIRED_RECLAIMED else ACTIVE,
            (cltt + valid) >> BUCKET_SHIFT,
            subnet,
        )

    def expire(self, record: bytes) -> int:
        head = _HEAD.unpack_from(record)
        return head[0] + head[1]

    def subnet(self, record: bytes) -> int:
        return _HEAD.unpack_from(record)[3]

    def from_doc(self, doc: dict[str, Any]) -> Toy6:
        fields = dict(doc)
        address = self.parse_key(fields.pop("address"))
        duid = bytes.fromhex(fields.pop("duid").replace(":", ""))
        fields["hwaddr"] = bytes.fromhex(fields.get("hwaddr", "").replace(":", ""))
        return Toy6(address, duid, **fields)

    def text(self, key: int) -> str:
        return str(ipaddress.IPv6Address(key))

    def parse_key(self, text: str) -> int:
        return int(ipaddress.IPv6Address(text))


TOY6 = Toy6Format()
BASE6 = int(ipaddress.IPv6Address("2001:db8::"))
HIGH6 = int(ipaddress.IPv6Address("fe80::"))  # keys above 2**127: no 64-bit storage would hold them


def toy(n: int, **kw: Any) -> Toy6:
    kw.setdefault("iaid", n)
    kw.setdefault("hwaddr", bytes((2, 0, 0, 0, n >> 8 & 255, n & 255)))
    kw.setdefault("hostname", "host%d" % n)
    return Toy6(BASE6 + n if n % 2 else HIGH6 + n, **kw)


def test_a_128_bit_record_through_the_memory_store():
    store: MemoryLeaseStore[Toy6] = MemoryLeaseStore(TOY6)
    leases = [toy(n) for n in range(1, 60)]  # enough to grow every hash table several times
    for lease in leases:
        store.put(lease)
    prefix = Toy6(BASE6 + (1 << 64), lease_type=PD, prefix_len=56, iaid=7, hwaddr=b"\xaa" * 6)
    store.put(prefix)
    assert len(store) == 60 and store.get(prefix.address) == prefix
    assert store.get(leases[10].address) == leases[10] and store.get(leases[10].address) is not leases[10]
    # The indexes a DHCPv6 store needs, by key of any shape the format chooses.
    duid = leases[0].duid
    assert store.find("duid_iaid", (duid, 7, PD)) == [prefix]
    assert store.find("duid_iaid", (duid, 5, NA)) == [leases[4]]
    assert len(store.find("duid", duid)) == 60
    assert store.find_by_hwaddr(b"\xaa" * 6) == [prefix]
    assert store.find_by_hostname("HOST33") == [leases[32]]
    # Key order is numeric over all 128 bits (paging across 2**127).
    order = sorted(lease.address for lease in [*leases, prefix])
    pages, after = [], 0
    while True:
        page = store.page(after, 7)
        if not page:
            break
        pages.extend(lease.address for lease in page)
        after = page[-1].address
    assert pages == order
    # Deletes leave tombstones that lookups step over and later inserts reuse.
    for lease in leases[::2]:  # n = 1, 3, 5, ...
        assert store.delete(lease.address)
    assert store.find_by_hostname("host2") == [leases[1]] and store.find_by_hostname("host1") == []
    assert len(store.find("duid", duid)) == 30
    store.put(toy(1, hostname="again"))
    assert store.find_by_hostname("again") == [toy(1, hostname="again")]
    # Expiry and subnets.
    store.put(toy(3, cltt=NOW - 7200, subnet_id=9))
    assert [lease.address for lease in store.find_expired(NOW)] == [toy(3).address]
    assert store.find_by_subnet(9) == [toy(3, cltt=NOW - 7200, subnet_id=9)]
    with pytest.raises(ValueError):
        store.put(Toy6(0))
    with pytest.raises(ValueError):
        store.put(Toy6((1 << 128) - 1))


def test_a_128_bit_record_through_journal_snapshot_and_compaction(tmp_path):
    path = str(tmp_path / "dhcp6.leases")
    store: MemfileLeaseStore[Toy6] = MemfileLeaseStore(TOY6, path, sync="batch")
    for n in range(1, 21):
        store.put(toy(n, user_context={"n": n}))
    store.delete(toy(4).address)
    store.flush()
    assert store.durable_seq == store.last_seq == 21
    with open(path + ".journal", "rb") as handle:
        assert b'"op":"del","address":"fe80::4"' in handle.read()
    expected = {lease.address: lease for lease in store.all()}
    store.abandon()  # as if killed: only the journal holds the leases
    again: MemfileLeaseStore[Toy6] = MemfileLeaseStore(TOY6, path)
    assert {lease.address: lease for lease in again.all()} == expected
    again.compact()
    assert again.last_compaction and again.last_compaction["leases"] == 19
    with open(path) as handle:
        header = json.loads(handle.readline().rstrip().rstrip(",") + "}")
    assert header["snapshot"]["1"]["records"] == "toy6"
    again.put(toy(21))
    again.close()
    third: MemfileLeaseStore[Toy6] = MemfileLeaseStore(TOY6, path, readonly=True)
    assert len(third) == 20 and third.get(toy(21).address) == toy(21)
    assert third.find("duid_iaid", (toy(5).duid, 5, NA)) == [toy(5, user_context={"n": 5})]
    # The other family's store refuses the file with a message that says why.
    with pytest.raises(JournalCorrupt, match="toy6 records"):
        MemfileLeaseStore4(path, readonly=True)


def test_a_v4_file_is_refused_by_another_family(tmp_path):
    path = str(tmp_path / "dhcp4.leases")
    store = MemfileLeaseStore4(path)
    store.put(Lease(0xC0000201, hwaddr=b"\x02" * 6, valid_lifetime=60, cltt=NOW, subnet_id=1))
    store.close()
    with pytest.raises(JournalCorrupt, match="not toy6"):
        MemfileLeaseStore(TOY6, path, readonly=True)


def test_tinydb_view_and_reclamation_of_a_128_bit_record(tmp_path, caplog):
    store: MemfileLeaseStore[Toy6] = MemfileLeaseStore(TOY6, str(tmp_path / "l6"))
    db = open_live_db(store)
    table = db.table("leases")
    doc_id = table.insert(toy(5).to_doc())
    assert doc_id == toy(5).address and store.get(doc_id) == toy(5)
    assert table.get(doc_id=toy(5).address)["hostname"] == "host5"
    store.put(toy(7, cltt=NOW - 4000, hostname="gone", fqdn_fwd=True))
    store.put(toy(9, cltt=NOW - 4000, state=STATE_DECLINED))
    stats = Statistics()
    reclaimer = Reclaimer(store, stats, clock=lambda: NOW)
    reclaimer.settings = type(reclaimer.settings)(
        hold_reclaimed_time=3600, flush_reclaimed_timer_wait_time=25
    )
    with caplog.at_level(logging.DEBUG, logger="edge.leases"):
        assert reclaimer.reclaim() == 2
    kept = store.get(toy(7).address)
    assert kept is not None and kept.state == STATE_EXPIRED_RECLAIMED and kept.hostname == ""
    assert not kept.fqdn_fwd and kept.duid == toy(7).duid and kept.iaid == 7
    assert store.get(toy(9).address) is None  # a declined address is free again
    assert stats.get("reclaimed-leases") == 2 and stats.get("reclaimed-declined-addresses") == 1
    assert "ALLOC_ENGINE_V6_LEASE_RECLAIM 2001:db8::7 " in caplog.text  # odd n: 2001:db8::n
    store.close()


# ------------------------------------------------------------------------------------------- structure


def test_the_shared_room_imports_no_family_room():
    for path in sorted((ROOT / "edge" / "leases").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("edge.dhcp4", "edge.dhcp6", "edge.server", "edge.control")), (
                    "%s imports %s" % (path.name, name)
                )


@pytest.mark.parametrize("kind", ["memory", "memfile"])
def test_every_store_has_the_whole_interface(tmp_path, kind):
    store: LeaseStore[Lease] = (
        MemoryLeaseStore4() if kind == "memory" else MemfileLeaseStore4(str(tmp_path / "l"), persist=False)
    )
    for name in vars(LeaseStore):
        if not name.startswith("_"):
            assert hasattr(store, name), name
    # What a store cannot do it declares as done, so callers never probe.
    assert store.persistent_path is None and not store.compacting and not store.needs_compaction()
    assert store.start_compaction() is False and store.wakeup_fd() is None and store.poll() == []
    stats = Statistics()
    store.use_statistics(stats)
    seen: list[tuple[Any, Any]] = []
    store.subscribe(lambda old, new: seen.append((old, new)))
    lease = Lease(0xC0000201, hwaddr=b"\x02" * 6, valid_lifetime=60, cltt=NOW, subnet_id=1)
    store.put(lease)
    assert seen == [(None, lease)] and store.last_seq == store.durable_seq
    store.close()


def test_the_persistent_store_names_its_file(tmp_path):
    path = str(tmp_path / "leases")
    store = MemfileLeaseStore4(path)
    assert store.persistent_path == path and os.path.exists(path + ".lock")
    store.close()
