"""Option 81, DHCID and NameChangeRequest codecs: RFC examples, Kea's own bytes, round trips, bad input."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.ddns import fqdn
from edge.ddns.dhcid import DhcidError, dhcid_for, duid_dhcid, fqdn_wire
from edge.ddns.ncr import CHG_ADD, CHG_REMOVE, NameChangeRequest, NcrError

# ---------------------------------------------------------------------------------------- DHCID


def test_dhcid_matches_the_three_examples_of_rfc_4701_section_3_6() -> None:
    duid = bytes.fromhex("00010006412df166010203040506")
    assert base64.b64encode(duid_dhcid("chi6.example.com", duid)).decode() == (
        "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="
    )
    client_id = bytes.fromhex("010708090a0b0c")
    assert base64.b64encode(dhcid_for("chi.example.com", b"\x00" * 6, client_id)).decode() == (
        "AAEBOSD+XR3Os/0LozeXVqcNc7FwCfQdWL3b/NaiUDlW2No="
    )
    assert base64.b64encode(
        dhcid_for("client.example.com", bytes.fromhex("010203040506"), None)
    ).decode() == ("AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY=")


@pytest.mark.parametrize(
    ("name", "hwaddr", "client_id", "kea"),
    [
        # What kea-dhcp4 2.2 put in its NameChangeRequests for these clients (tests/ddns lab probe).
        (
            "laptop.",
            "2a5cf4144db1",
            None,
            "000001EEC68CCC4237631349040135E9688A00963EAFC14189FA3549042C4773FE84E9",
        ),
        (
            "laptop.home.example.",
            "da2b75b1f1e2",
            None,
            "0000015A87624D97FA8F9BCE536F5CF6CCB9C7C4BC742266EC8ABF2E1AC4D7F7622A63",
        ),
        (
            "pizero.home.example.",
            "2a166f963551",
            "012a166f963551",
            "0001012E982CF32238FE5C048A96E7F3A16A306DEA4B37C923A8700705A9C8B6DEDA4E",
        ),
    ],
)
def test_dhcid_equals_what_kea_computes(name: str, hwaddr: str, client_id: str | None, kea: str) -> None:
    cid = bytes.fromhex(client_id) if client_id else None
    assert dhcid_for(name, bytes.fromhex(hwaddr), cid).hex().upper() == kea


def test_dhcid_is_case_insensitive_and_ignores_the_trailing_dot() -> None:
    mac = bytes.fromhex("020000000001")
    assert dhcid_for("Laptop.Home.Example", mac, None) == dhcid_for("laptop.home.example.", mac, None)


def test_dhcid_of_an_rfc_4361_client_id_uses_the_duid() -> None:
    duid = bytes.fromhex("0001000100112233445566778899")
    client_id = b"\xff" + b"\x00\x00\x00\x01" + duid
    assert dhcid_for("a.example.", b"", client_id) == duid_dhcid("a.example.", duid)


def test_dhcid_refuses_what_cannot_identify_a_client() -> None:
    with pytest.raises(DhcidError):
        dhcid_for("a.example.", b"", None)
    with pytest.raises(DhcidError):
        fqdn_wire("a..example")


# ---------------------------------------------------------------------------------------- option 81


def test_option_81_as_dhclient_sends_it_wire_format_fully_qualified() -> None:
    got = fqdn.decode(bytes.fromhex("050000066c6170746f7000"))
    assert (got.flags, got.name, got.full, got.e, got.s, got.n) == (0x05, "laptop", True, True, True, False)


def test_option_81_as_udhcpc_sends_it_ascii_partial() -> None:
    got = fqdn.decode(bytes.fromhex("01000070686f6e65"))
    assert (got.name, got.full, got.e) == ("phone", False, False)
    assert fqdn.encode(0x01, "phone.home.example", True) == bytes.fromhex(
        "01000070686f6e652e686f6d652e6578616d706c652e"
    )  # Kea 2.2's answer to it, byte for byte


def test_option_81_partial_wire_name_has_no_root_label() -> None:
    got = fqdn.decode(b"\x05\x00\x00\x06laptop\x04home")
    assert (got.name, got.full) == ("laptop.home", False)


@pytest.mark.parametrize(
    "data",
    [
        b"\x05\x00",  # too short
        b"\x0d\x00\x00",  # N and S both set
        b"\x05\x00\x00\xc0\x0c",  # a compression pointer
        b"\x05\x00\x00\x06lap",  # label runs past the end
        b"\x05\x00\x00\x00\x03abc",  # octets after the root label
        b"\x01\x00\x00a..b",  # an empty label in ASCII
    ],
)
def test_malformed_option_81_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(fqdn.FqdnError):
        fqdn.decode(data)


_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)


@given(
    labels=st.lists(_label, min_size=0, max_size=5),
    flags=st.integers(0, 15).filter(lambda f: not (f & 8 and f & 1)),
    full=st.booleans(),
    rcodes=st.tuples(st.integers(0, 255), st.integers(0, 255)),
)
def test_option_81_round_trips(labels: list[str], flags: int, full: bool, rcodes: tuple[int, int]) -> None:
    name = ".".join(labels)
    full = full and bool(name)
    data = fqdn.encode(flags, name, full, *rcodes)
    back = fqdn.decode(data)
    assert (back.flags, back.name, back.full, back.rcode1, back.rcode2) == (flags, name, full, *rcodes)
    assert fqdn.encode(back.flags, back.name, back.full, back.rcode1, back.rcode2) == data


@given(st.binary(max_size=300))
def test_option_81_decode_never_raises_anything_but_fqdn_error(data: bytes) -> None:
    try:
        fqdn.decode(data)
    except fqdn.FqdnError:
        pass


# ---------------------------------------------------------------------------------------- NameChangeRequest


def _ncr(**kw: object) -> NameChangeRequest:
    base: dict = dict(
        change_type=CHG_ADD,
        forward=True,
        reverse=True,
        fqdn="pizero.home.example.",
        ip_address="192.0.2.100",
        dhcid=bytes.fromhex("0001012E982CF32238FE5C048A96E7F3A16A306DEA4B37C923A8700705A9C8B6DEDA4E"),
        lease_expires_on=1795830974,
        lease_length=600,
    )
    base.update(kw)
    return NameChangeRequest(**base)  # type: ignore[arg-type]


def test_ncr_json_is_kea_2_2_byte_for_byte() -> None:
    # kea-dhcp4 2.2 sent exactly this (with this length prefix) for a udhcpc client named Pi_Zero.
    kea = (
        '{"change-type":0,"forward-change":true,"reverse-change":true,"fqdn":"pizero.home.example.",'
        '"ip-address":"192.0.2.100","dhcid":"0001012E982CF32238FE5C048A96E7F3A16A306DEA4B37C923A8700705A9C8B6DEDA4E",'
        '"lease-expires-on":"20261128020614","lease-length":600,"use-conflict-resolution":true}'
    )
    ncr = _ncr(lease_expires_on=1795831574)
    assert ncr.to_kea_json() == kea
    assert ncr.to_wire() == len(kea).to_bytes(2, "big") + kea.encode()
    assert NameChangeRequest.from_wire(ncr.to_wire()) == ncr


def test_ncr_round_trips_through_the_queue_record_with_every_mode() -> None:
    for mode in (
        "check-with-dhcid",
        "no-check-with-dhcid",
        "check-exists-with-dhcid",
        "no-check-without-dhcid",
    ):
        ncr = _ncr(change_type=CHG_REMOVE, forward=False, conflict_mode=mode)
        assert NameChangeRequest.from_record(ncr.to_record()) == ncr


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x05{}", b"\x00\x02{}", b"\x00\x03{x}", b'\x00\x0f{"fqdn": "a."}'],
)
def test_bad_ncr_bytes_are_a_clear_error(data: bytes) -> None:
    with pytest.raises(NcrError):
        NameChangeRequest.from_wire(data)


def test_an_ncr_must_change_something_for_an_absolute_name() -> None:
    with pytest.raises(NcrError):
        _ncr(forward=False, reverse=False)
    with pytest.raises(NcrError):
        _ncr(fqdn="pizero.home.example")
