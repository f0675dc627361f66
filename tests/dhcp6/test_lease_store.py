"""DHCPv6 leases in the shared durability engine: the Lease6 record, its packed form and journal line, every
index against a brute-force scan, and the memfile store's promises (journal, group commit, snapshot,
compaction, restart, reclamation and decline probation) for v6 records in their own file."""

from __future__ import annotations

import errno
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.config.model import ExpiredLeasesProcessing
from edge.dhcp4.lease_store import MemfileLeaseStore4
from edge.dhcp6.lease import (
    EMPTY_DUID,
    STATE_DECLINED,
    STATE_DEFAULT,
    STATE_EXPIRED_RECLAIMED,
    TYPE_NA,
    TYPE_PD,
    TYPE_TA,
    Lease6,
    address_text,
    parse_address,
)
from edge.dhcp6.lease_record import LEASE6, encode_put, pack_record, unpack_record
from edge.dhcp6.lease_store import DEFAULT_LEASE_FILE6, MemfileLeaseStore6, MemoryLeaseStore6
from edge.leases.errors import JournalCorrupt
from edge.leases.journal import decode_line, encode_record
from edge.leases.reclaim import Reclaimer
from edge.stats import Statistics

NOW = 1_800_000_000
NET = parse_address("2001:db8:1::")
PD_NET = parse_address("2001:db8:8000::")
DUIDS = [
    bytes.fromhex("000100012a2b2c2d020000000001"),
    bytes.fromhex("00030001020000000002"),
    bytes.fromhex("0002000009bf" + "aa" * 8),
]


def na(n: int, **kw) -> Lease6:
    fields = dict(
        duid=DUIDS[0],
        iaid=1,
        preferred_lifetime=1800,
        valid_lifetime=3600,
        cltt=NOW,
        subnet_id=1,
        hwaddr=b"\x02\x00\x00\x00\x00\x01",
        hostname="host%d" % n,
    )
    fields.update(kw)
    return Lease6(NET + n, **fields)


def lease_strategy(addresses: int = 30) -> st.SearchStrategy[Lease6]:
    def build(n, kind, duid, iaid, valid, cltt, subnet, hw, host, state, fwd, rev, ctx):
        if state == STATE_DECLINED:
            duid, hw = EMPTY_DUID, b""
        address = PD_NET + (n << 72) if kind == TYPE_PD else NET + n
        return Lease6(
            address,
            duid=duid,
            iaid=iaid,
            lease_type=kind,
            prefix_len=56 if kind == TYPE_PD else 128,
            preferred_lifetime=valid // 2,
            valid_lifetime=valid,
            cltt=cltt,
            subnet_id=subnet,
            hwaddr=hw,
            hwtype=1,
            hwaddr_source=2 if hw else 0,
            hostname=host,
            state=state,
            fqdn_fwd=fwd,
            fqdn_rev=rev,
            user_context=ctx,
        )

    return st.builds(
        build,
        st.integers(1, addresses),
        st.sampled_from([TYPE_NA, TYPE_NA, TYPE_TA, TYPE_PD]),
        st.sampled_from(DUIDS),
        st.sampled_from([0, 1, 2**32 - 1]),
        st.sampled_from([0, 60, 3600, 2**32 - 1]),
        st.integers(NOW - 200, NOW + 200),
        st.sampled_from([1, 2, 7]),
        st.sampled_from([b"\x02\x00\x00\x00\x00\x01", b"\xaa" * 6, b""]),
        st.sampled_from(["", "printer", "PRINTER", "laptop.example.org", "café"]),
        st.sampled_from([STATE_DEFAULT, STATE_DECLINED, STATE_EXPIRED_RECLAIMED]),
        st.booleans(),
        st.booleans(),
        st.one_of(st.none(), st.just({"k": [1, "two"]})),
    )


@settings(max_examples=300, deadline=None)
@given(lease_strategy())
def test_record_document_and_journal_line_round_trip(lease: Lease6) -> None:
    assert unpack_record(lease.address, pack_record(lease)) == lease
    assert Lease6.from_doc(lease.to_doc()) == lease
    assert LEASE6.pack_document(lease.to_doc()) == (lease.address, pack_record(lease))
    line = encode_put(lease)
    assert line == encode_record({"op": "put", "lease": lease.to_doc()})  # the fast path's promise
    assert decode_line(line.rstrip(b"\n")) == {"op": "put", "lease": lease.to_doc()}


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        Lease6,
        address=st.integers(1, 2**128 - 2),
        duid=st.binary(min_size=2, max_size=130),
        iaid=st.integers(0, 2**32 - 1),
        lease_type=st.sampled_from([0, 1, 2]),
        prefix_len=st.integers(0, 128),
        preferred_lifetime=st.integers(0, 2**32 - 1),
        valid_lifetime=st.integers(0, 2**32 - 1),
        cltt=st.integers(0, 2**40),
        subnet_id=st.integers(0, 2**32 - 1),
        hwaddr=st.binary(max_size=20),
        hwtype=st.integers(0, 0xFFFF),
        hwaddr_source=st.integers(0, 2**32 - 1),
        hostname=st.text(max_size=30),
        state=st.sampled_from([0, 2]),
        fqdn_fwd=st.booleans(),
        fqdn_rev=st.booleans(),
        user_context=st.one_of(st.none(), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)),
    )
)
def test_any_representable_lease_round_trips_and_encodes_alike(lease: Lease6) -> None:
    if not lease.user_context:
        lease.user_context = None
    assert unpack_record(lease.address, pack_record(lease)) == lease
    assert encode_put(lease) == encode_record({"op": "put", "lease": lease.to_doc()})


def test_unusual_field_types_take_the_general_journal_path() -> None:
    for field, value in (("fqdn_fwd", 1), ("valid_lifetime", True), ("duid", bytearray(DUIDS[1]))):
        lease = na(1)
        setattr(lease, field, value)
        assert encode_put(lease) == encode_record({"op": "put", "lease": lease.to_doc()})


@pytest.mark.parametrize(
    "field, value",
    [
        ("address", 0),
        ("address", 2**128 - 1),
        ("address", 2**128),
        ("duid", b""),
        ("duid", EMPTY_DUID),  # only a declined lease may carry the empty DUID
        ("duid", b"x" * 131),
        ("lease_type", 3),
        ("prefix_len", 129),
        ("iaid", 2**32),
        ("preferred_lifetime", -1),
        ("hwaddr", b"x" * 21),
        ("user_context", ["not", "a", "map"]),
        ("state", 256),
    ],
)
def test_unrepresentable_leases_are_refused_and_change_nothing(field: str, value: object) -> None:
    store = MemoryLeaseStore6()
    bad = na(1)
    setattr(bad, field, value)
    with pytest.raises(ValueError):
        store.put(bad)
    assert len(store) == 0 and store.find_by_duid(DUIDS[0]) == []


def test_a_declined_lease_is_kept_as_kea_writes_it() -> None:
    store = MemoryLeaseStore6()
    declined = na(1, duid=EMPTY_DUID, hwaddr=b"", preferred_lifetime=0, valid_lifetime=86400, state=1)
    store.put(declined)
    assert store.get(NET + 1) == declined
    # Not in the DUID indexes: nobody looks up the empty DUID, and declined addresses would share it.
    assert store.find_by_duid(EMPTY_DUID) == [] and store.find_by_duid_iaid(EMPTY_DUID, 1, TYPE_NA) == []


operations = st.lists(
    st.one_of(
        lease_strategy().map(lambda x: ("put", x)),
        st.integers(1, 30).map(lambda n: ("del", NET + n)),
        st.integers(1, 30).map(lambda n: ("del", PD_NET + (n << 72))),
    ),
    max_size=120,
)


@settings(max_examples=120, deadline=None)
@given(operations, st.integers(NOW - 300, NOW + 4000))
def test_every_index_agrees_with_a_scan(ops: list[tuple[str, object]], now: int) -> None:
    store = MemoryLeaseStore6()
    model: dict[int, Lease6] = {}
    for op, arg in ops:
        if op == "put":
            assert isinstance(arg, Lease6)
            store.put(arg)
            model[arg.address] = arg.copy()
        else:
            assert isinstance(arg, int)
            assert store.delete(arg) == (arg in model)
            model.pop(arg, None)
    leases = sorted(model.values(), key=lambda x: x.address)
    assert len(store) == len(model)
    for address, lease in model.items():
        assert store.get(address) == lease
        assert store.get6(lease.lease_type, address) == lease
        assert store.get6((lease.lease_type + 1) % 3, address) is None
    for duid in DUIDS:
        assert store.find_by_duid(duid) == [x for x in leases if x.duid == duid]
        for iaid in (0, 1, 2**32 - 1):
            for kind in (TYPE_NA, TYPE_TA, TYPE_PD):
                for subnet in (None, 2):
                    expected = [
                        x
                        for x in leases
                        if (x.duid, x.iaid, x.lease_type) == (duid, iaid, kind)
                        and subnet in (None, x.subnet_id)
                    ]
                    assert store.find_by_duid_iaid(duid, iaid, kind, subnet) == expected
    for hw in (b"\x02\x00\x00\x00\x00\x01", b"\xaa" * 6):
        assert store.find_by_hwaddr(hw) == [x for x in leases if x.hwaddr == hw]
    for name in ("printer", "CAFÉ", "laptop.example.org"):
        assert store.find_by_hostname(name) == [x for x in leases if x.hostname.lower() == name.lower()]
    for subnet in (1, 2, 7):
        assert store.find_by_subnet(subnet) == [x for x in leases if x.subnet_id == subnet]
    expired = [x for x in leases if x.state != STATE_EXPIRED_RECLAIMED and x.expire <= now]
    assert sorted(store.find_expired(now), key=lambda x: x.address) == expired
    reclaimed = [x for x in leases if x.state == STATE_EXPIRED_RECLAIMED and x.expire <= now]
    assert sorted(store.find_reclaimed(now), key=lambda x: x.address) == reclaimed
    seen: list[Lease6] = []
    after = 0
    while page := store.page(after, 7):
        seen.extend(page)
        after = page[-1].address
    assert seen == leases


def test_addresses_print_as_kea_prints_them() -> None:
    assert address_text(parse_address("2001:0db8:0000:0000:0000:0000:0000:0001")) == "2001:db8::1"
    assert address_text(parse_address("2001:db8:0:1:0:0:0:1")) == "2001:db8:0:1::1"
    with pytest.raises(ValueError):
        parse_address("192.0.2.1")
    with pytest.raises(ValueError):
        address_text(2**128)


# ------------------------------------------------------------------------------------------- memfile


def test_the_v6_file_is_its_own(tmp_path) -> None:
    assert DEFAULT_LEASE_FILE6 == "/var/lib/edge-dhcp/dhcp6.leases"
    path = str(tmp_path / "dhcp6.leases")
    store = MemfileLeaseStore6(path)
    store.put(na(1))
    store.close()
    with open(path) as handle:
        header = json.loads(handle.readline().rstrip().rstrip(",") + "}")
    assert header["snapshot"]["1"]["records"] == "lease6"
    with pytest.raises(JournalCorrupt, match="lease6 records"):
        MemfileLeaseStore4(path, readonly=True)


def test_changes_survive_a_kill_and_a_compaction(tmp_path) -> None:
    path = str(tmp_path / "dhcp6.leases")
    fsyncs: list[int] = []

    def fsync(fd: int) -> None:
        fsyncs.append(fd)

    store = MemfileLeaseStore6(path, sync="batch", fsync=fsync)
    for n in range(1, 41):
        store.put(na(n, duid=DUIDS[n % 3], iaid=n))
    prefix = Lease6(PD_NET, DUIDS[2], 9, TYPE_PD, 56, 1800, 3600, NOW, 1, hostname="router")
    store.put(prefix)
    store.delete(NET + 5)
    assert store.last_seq == 42
    store.flush()
    events = store.poll()
    assert store.durable_seq == 42 and events and events[-1] == (42, True) and fsyncs
    expected = {x.address: x for x in store.all()}
    store.abandon()  # killed: the journal alone holds everything
    again = MemfileLeaseStore6(path)
    assert {x.address: x for x in again.all()} == expected
    assert again.get6(TYPE_PD, PD_NET) == prefix and again.get6(TYPE_NA, PD_NET) is None
    again.compact()
    assert again.last_compaction is not None and again.last_compaction["leases"] == 40
    again.put(na(5))
    again.close()
    third = MemfileLeaseStore6(path, readonly=True)
    assert len(third) == 41 and third.find_by_duid_iaid(DUIDS[1], 7, TYPE_NA) == [
        na(7, duid=DUIDS[1], iaid=7)
    ]
    third.close()


def test_reclamation_and_decline_probation(tmp_path, caplog) -> None:
    store = MemfileLeaseStore6(str(tmp_path / "dhcp6.leases"))
    stats = Statistics()
    store.put(na(1, cltt=NOW - 4000, hostname="gone.example.org", fqdn_fwd=True))
    store.put(
        na(2, duid=EMPTY_DUID, hwaddr=b"", preferred_lifetime=0, valid_lifetime=600, cltt=NOW - 601, state=1)
    )
    store.put(
        na(3, duid=EMPTY_DUID, hwaddr=b"", preferred_lifetime=0, valid_lifetime=600, cltt=NOW - 10, state=1)
    )
    store.put(na(4))
    reclaimer = Reclaimer(
        store,
        stats,
        ExpiredLeasesProcessing(hold_reclaimed_time=3600, flush_reclaimed_timer_wait_time=25),
        clock=lambda: NOW,
    )
    with caplog.at_level(logging.DEBUG, logger="edge.leases"):
        assert reclaimer.reclaim() == 2
    kept = store.get(NET + 1)
    assert kept is not None and kept.state == STATE_EXPIRED_RECLAIMED and kept.hostname == ""
    assert not kept.fqdn_fwd and kept.duid == DUIDS[0] and kept.iaid == 1  # affinity: the same IA
    assert store.get(NET + 2) is None  # probation over: the address is free again
    assert store.get(NET + 3) is not None and store.get(NET + 3).state == STATE_DECLINED  # still in probation
    assert store.get(NET + 4) == na(4)
    assert stats.get("reclaimed-leases") == 2 and stats.get("reclaimed-declined-addresses") == 1
    assert "ALLOC_ENGINE_V6_LEASE_RECLAIM 2001:db8:1::1 " in caplog.text
    # The flush removes reclaimed leases once hold-reclaimed-time has passed since their expiry.
    reclaimer.clock = lambda: NOW + 3600
    assert reclaimer.flush() == 1 and store.get(NET + 1) is None
    store.close()


# ------------------------------------------------------------------------------------------- durability


class GatedFsync:
    """os.fsync that waits for the test to open the gate (or fails when told to)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls = 0
        self.fail = False

    def __call__(self, fd: int) -> None:
        self.gate.wait(10)
        self.calls += 1
        if self.fail:
            raise OSError(errno.EIO, "Input/output error")
        os.fsync(fd)


def test_a_v6_change_is_durable_only_after_its_fsync_and_many_share_one(tmp_path) -> None:
    fsync = GatedFsync()
    store = MemfileLeaseStore6(str(tmp_path / "dhcp6.leases"), sync="batch", window=0.001, fsync=fsync)
    store.put(na(1))
    assert (store.last_seq, store.durable_seq) == (1, 0)  # a REPLY promising it must wait
    assert not select.select([store.wakeup_fd()], [], [], 0.1)[0] and store.poll() == []
    for n in range(2, 60):
        store.put(na(n, iaid=n))
    fsync.gate.set()
    events: list[tuple[int, bool]] = []
    while not events or events[-1][0] < 59:
        assert select.select([store.wakeup_fd()], [], [], 5)[0]
        events += store.poll()
    assert all(ok for _, ok in events) and store.durable_seq == 59 and fsync.calls <= 3
    store.close()


def test_a_failed_v6_fsync_is_reported_and_the_file_rewritten(tmp_path) -> None:
    fsync = GatedFsync()
    fsync.fail = True
    fsync.gate.set()
    stats = Statistics()
    store = MemfileLeaseStore6(str(tmp_path / "dhcp6.leases"), sync="batch", window=0.001, fsync=fsync)
    store.use_statistics(stats)
    store.put(na(1))
    assert select.select([store.wakeup_fd()], [], [], 5)[0]
    assert store.poll() == [(1, False)] and store.durable_seq == 0  # the REPLY is dropped, the client retries
    assert stats.get("lease-store-write-errors") == 1 and store.compacting  # rewritten from memory
    store.wait_compaction()
    store.close()


_WRITER = """
import sys
from edge.dhcp6.lease import Lease6
from edge.dhcp6.lease_store import MemfileLeaseStore6
store = MemfileLeaseStore6(sys.argv[1], sync="none")
base = int(sys.argv[2])
n = 0
while True:
    n += 1
    store.put(Lease6(base + n, bytes.fromhex("00030001020000000001"), n, 0, 128, 1800, 3600, 1800000000, 1))
    if store.durable_seq == store.last_seq:
        print(n, flush=True)  # what a REPLY could have promised by now
"""


def test_sigkill_loses_no_lease_the_store_called_durable(tmp_path) -> None:
    path = str(tmp_path / "dhcp6.leases")
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, path, str(NET)],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
    )
    assert proc.stdout is not None
    promised = 0
    for line in proc.stdout:
        promised = int(line)
        if promised >= 3000:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = MemfileLeaseStore6(path, readonly=True)
    assert promised >= 3000 and all(store.get(NET + n) is not None for n in range(1, promised + 1))
    assert store.find_by_duid_iaid(bytes.fromhex("00030001020000000001"), promised, TYPE_NA)
