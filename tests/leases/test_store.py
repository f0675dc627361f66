"""The in-memory store's indexes against a brute-force model, and the packed record format.

Every lookup the engine and the control channel make (address, hardware address, client-id, hostname,
subnet, expiry, pages) is checked after random sequences of puts and deletes against a plain list scan,
so a stale index entry, a lost tombstone or a wrong bucket shows up as a wrong answer.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.dhcp4.lease import STATE_DECLINED, STATE_DEFAULT, STATE_EXPIRED_RECLAIMED, Lease
from edge.dhcp4.lease_record import pack_record, unpack_record
from edge.dhcp4.lease_store import MemoryLeaseStore4

BASE = 0xC0000200  # 192.0.2.0


def lease_strategy(addresses: int = 40) -> st.SearchStrategy[Lease]:
    small_bytes = st.sampled_from(
        [b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02", b"\xaa" * 6, b""]
    )
    return st.builds(
        Lease,
        address=st.integers(BASE + 1, BASE + addresses),
        hwaddr=small_bytes,
        client_id=st.one_of(st.none(), st.sampled_from([b"\x01abc", b"\x01xyz", b"\xff" + b"d" * 12])),
        valid_lifetime=st.sampled_from([0, 60, 3600, 2**32 - 1]),
        cltt=st.integers(1_800_000_000 - 200, 1_800_000_000 + 200),
        subnet_id=st.sampled_from([1, 2, 7]),
        hostname=st.sampled_from(["", "printer", "PRINTER", "laptop.example.org", "café"]),
        state=st.sampled_from([STATE_DEFAULT, STATE_DECLINED, STATE_EXPIRED_RECLAIMED]),
        fqdn_fwd=st.booleans(),
        fqdn_rev=st.booleans(),
        user_context=st.one_of(st.none(), st.just({"k": [1, "two"]})),
    )


def normalised(lease: Lease) -> Lease:
    """What a store hands back: an empty client-id or user context means none."""
    out = lease.copy()
    out.client_id = out.client_id or None
    out.user_context = out.user_context or None
    return out


@settings(max_examples=300, deadline=None)
@given(lease_strategy())
def test_record_round_trip(lease: Lease) -> None:
    assert unpack_record(lease.address, pack_record(lease)) == normalised(lease)
    # The TinyDB document form round-trips to the same lease as well (what the journal stores).
    assert Lease.from_doc(lease.to_doc()) == normalised(lease)


@pytest.mark.parametrize(
    "field, value",
    [
        ("address", 0),
        ("address", 0xFFFFFFFF),
        ("hwaddr", b"x" * 21),
        ("client_id", b"x" * 256),
        ("valid_lifetime", -1),
        ("valid_lifetime", 2**32),
        ("subnet_id", 2**32),
        ("state", 256),
    ],
)
def test_unrepresentable_leases_are_refused_and_change_nothing(field: str, value: object) -> None:
    store = MemoryLeaseStore4()
    bad = Lease(BASE + 1, hwaddr=b"\x02" * 6, valid_lifetime=60, cltt=1, subnet_id=1)
    setattr(bad, field, value)
    with pytest.raises(ValueError):
        store.put(bad)
    assert len(store) == 0 and store.find_by_hwaddr(b"\x02" * 6) == []


operations = st.lists(
    st.one_of(
        lease_strategy().map(lambda x: ("put", x)), st.integers(BASE + 1, BASE + 40).map(lambda a: ("del", a))
    ),
    max_size=120,
)


@settings(max_examples=120, deadline=None)
@given(operations, st.integers(1_800_000_000 - 300, 1_800_000_000 + 4000))
def test_every_index_agrees_with_a_scan(ops: list[tuple[str, object]], now: int) -> None:
    store = MemoryLeaseStore4()
    model: dict[int, Lease] = {}
    for op, arg in ops:
        if op == "put":
            assert isinstance(arg, Lease)
            store.put(arg)
            model[arg.address] = normalised(arg)
        else:
            assert isinstance(arg, int)
            assert store.delete(arg) == (arg in model)
            model.pop(arg, None)
    leases = sorted(model.values(), key=lambda x: x.address)
    assert len(store) == len(model)
    assert sorted(store.all(), key=lambda x: x.address) == leases
    for address, lease in model.items():
        assert store.get(address) == lease
    for hw in (b"\x02\x00\x00\x00\x00\x01", b"\xaa" * 6):
        for subnet in (None, 1, 7):
            expected = [x for x in leases if x.hwaddr == hw and subnet in (None, x.subnet_id)]
            assert store.find_by_hwaddr(hw, subnet) == expected
    for cid in (b"\x01abc", b"\xff" + b"d" * 12):
        assert store.find_by_client_id(cid) == [x for x in leases if x.client_id == cid]
    for name in ("printer", "Printer", "CAFÉ", "laptop.example.org"):
        assert store.find_by_hostname(name) == [x for x in leases if x.hostname.lower() == name.lower()]
    for subnet in (1, 2, 7):
        assert store.find_by_subnet(subnet) == [x for x in leases if x.subnet_id == subnet]
    expired = [x for x in leases if x.state != STATE_EXPIRED_RECLAIMED and x.expire <= now]
    assert sorted(store.find_expired(now), key=lambda x: x.address) == expired
    reclaimed = [x for x in leases if x.state == STATE_EXPIRED_RECLAIMED and x.expire <= now]
    assert sorted(store.find_reclaimed(now), key=lambda x: x.address) == reclaimed
    assert len(store.find_expired(now, limit=2)) == min(2, len(expired))
    # Pages walk every lease once, in address order, whatever changed between pages.
    assert store.page(0, 1000) == leases
    seen: list[Lease] = []
    after = 0
    while page := store.page(after, 7):
        seen.extend(page)
        after = page[-1].address
    assert seen == leases


def test_pages_follow_changes_made_between_pages() -> None:
    store = MemoryLeaseStore4()
    for n in range(1, 30):
        store.put(Lease(BASE + n * 2, hwaddr=b"\x02" * 6, valid_lifetime=60, cltt=1, subnet_id=1))
    first = store.page(0, 10)
    store.put(
        Lease(BASE + 1, hwaddr=b"\x03" * 6, valid_lifetime=60, cltt=1, subnet_id=1)
    )  # before the cursor
    store.put(Lease(BASE + 61, hwaddr=b"\x03" * 6, valid_lifetime=60, cltt=1, subnet_id=1))  # after it
    store.delete(BASE + 22)
    second = store.page(first[-1].address, 100)
    assert [x.address for x in second] == [BASE + n * 2 for n in range(11, 30) if n != 11] + [BASE + 61]


def test_expiry_lookup_is_exact_inside_a_bucket() -> None:
    store = MemoryLeaseStore4()
    for n, expire in enumerate((1000, 1001, 1015, 1016, 1017)):
        store.put(Lease(BASE + n + 1, hwaddr=b"\x02" * 6, valid_lifetime=10, cltt=expire - 10, subnet_id=1))
    assert [x.expire for x in store.find_expired(1015)] == [1000, 1001, 1015]
    assert [x.expire for x in store.find_expired(1016, subnet_id=1)][-2:] == [1015, 1016]
    assert store.find_expired(999) == [] and store.find_expired(2000, subnet_id=2) == []


def test_hash_index_survives_growth_and_churn() -> None:
    store = MemoryLeaseStore4()
    for round_ in range(3):
        for n in range(3000):
            store.put(
                Lease(
                    BASE + n + 1,
                    hwaddr=n.to_bytes(6, "big"),
                    client_id=b"\x01" + n.to_bytes(6, "big"),
                    valid_lifetime=60,
                    cltt=round_,
                    subnet_id=1,
                    hostname="h%d" % n,
                )
            )
        for n in range(0, 3000, 2):
            store.delete(BASE + n + 1)
    assert len(store) == 1500
    assert store.find_by_hwaddr((2999).to_bytes(6, "big"))[0].address == BASE + 3000
    assert store.find_by_hwaddr((2998).to_bytes(6, "big")) == []
    assert store.find_by_hostname("H1499")[0].address == BASE + 1500
    assert store.find_by_client_id(b"\x01" + (7).to_bytes(6, "big"))[0].hostname == "h7"


def test_subscribers_see_old_and_new_and_a_failing_one_does_not_break_writes() -> None:
    store = MemoryLeaseStore4()
    seen: list[tuple[object, object]] = []
    store.subscribe(lambda old, new: seen.append((old and old.valid_lifetime, new and new.valid_lifetime)))
    store.subscribe(lambda old, new: 1 / 0)
    lease = Lease(BASE + 1, hwaddr=b"\x02" * 6, valid_lifetime=60, cltt=1, subnet_id=1)
    store.put(lease)
    lease.valid_lifetime = 120
    store.put(lease)
    store.delete(BASE + 1)
    assert seen == [(None, 60), (60, 120), (120, None)]


def test_reads_hand_out_copies() -> None:
    store = MemoryLeaseStore4()
    store.put(Lease(BASE + 1, hwaddr=b"\x02" * 6, valid_lifetime=60, cltt=1, subnet_id=1, hostname="a"))
    got = store.get(BASE + 1)
    got.hostname = "changed"
    assert store.get(BASE + 1).hostname == "a"
