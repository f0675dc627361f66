"""The built-in updater against a real BIND: RFC 4703 conflict resolution, every TSIG algorithm Kea D2
offers, refusals and an unreachable server, one request at a time (the service and DHCP come later)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from edge.ddns.dhcid import dhcid_for
from edge.ddns.ncr import CHG_ADD, CHG_REMOVE, NameChangeRequest
from edge.ddns.rfc2136 import DONE, FAILED, RETRY, Outcome, Rfc2136Updater
from edge.dhcp4.config import load_data
from tests.ddns import bind
from tests.lab.netns import Lab

pytestmark = pytest.mark.lab

MAC_A = bytes.fromhex("020000000a01")
MAC_B = bytes.fromhex("020000000b02")


def updater(document: dict) -> Rfc2136Updater:
    config = load_data(
        {"Dhcp4": {"dhcp-ddns": {"enable-updates": True, "user-context": {"d2-config": document}}}}
    )
    assert config.ddns.d2 is not None
    return Rfc2136Updater(config.ddns.d2)


def request(
    change: int,
    fqdn: str,
    address: str,
    mac: bytes,
    mode: str = "check-with-dhcid",
    forward: bool = True,
    reverse: bool = True,
) -> NameChangeRequest:
    return NameChangeRequest(
        change, forward, reverse, fqdn, address, dhcid_for(fqdn, mac, None), 1_900_000_000, 600, mode
    )


class Peer:
    """named in a namespace and a way to run the updater from inside it."""

    def __init__(self, lab: Lab, algorithm: str = "hmac-sha256") -> None:
        self.lab = lab
        self.ns = lab.add_namespace("dns")
        self.named = bind.Named(lab, self.ns, algorithm=algorithm).start()
        self.updater = updater(bind.d2_document(algorithm=algorithm.upper(), timeout_ms=2000))

    def send(self, ncr: NameChangeRequest, using: Rfc2136Updater | None = None) -> Outcome:
        with self.lab.inside(self.ns):
            return (using or self.updater).deliver(ncr)


@pytest.fixture
def peer(lab: Lab) -> Iterator[Peer]:
    missing = bind.available()
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    yield Peer(lab)


def test_add_puts_a_dhcid_a_and_ptr_and_remove_takes_them_away(peer: Peer) -> None:
    add = request(CHG_ADD, "laptop.home.example.", "192.0.2.100", MAC_A)
    assert peer.send(add).status == DONE
    found = peer.named.names_of("laptop.home.example", "192.0.2.100")
    assert found["A"] == ["192.0.2.100"] and found["PTR"] == ["laptop.home.example."]
    assert found["DHCID"] == [base64.b64encode(add.dhcid).decode()]
    assert peer.send(add).status == DONE  # the same client again: replaced, still one A
    assert peer.named.dig("laptop.home.example") == ["192.0.2.100"]
    assert peer.send(add.with_change(CHG_REMOVE)).status == DONE
    assert peer.named.names_of("laptop.home.example", "192.0.2.100") == {"A": [], "DHCID": [], "PTR": []}


def test_the_same_client_moving_to_a_new_address_replaces_its_a_record(peer: Peer) -> None:
    assert peer.send(request(CHG_ADD, "tab.home.example.", "192.0.2.101", MAC_A)).status == DONE
    assert peer.send(request(CHG_ADD, "tab.home.example.", "192.0.2.102", MAC_A)).status == DONE
    assert peer.named.dig("tab.home.example") == ["192.0.2.102"]


def test_a_second_client_cannot_take_a_name_that_has_another_clients_dhcid(peer: Peer) -> None:
    assert peer.send(request(CHG_ADD, "laptop.home.example.", "192.0.2.100", MAC_A)).status == DONE
    outcome = peer.send(request(CHG_ADD, "laptop.home.example.", "192.0.2.120", MAC_B))
    assert outcome.status == FAILED and "in use" in outcome.detail
    assert peer.named.dig("laptop.home.example") == ["192.0.2.100"]
    assert peer.named.ptr("192.0.2.120") == []  # not even the PTR of the refused client
    # nor can the other client remove it (when its lease ends, its own removal request comes)
    assert peer.send(request(CHG_REMOVE, "laptop.home.example.", "192.0.2.120", MAC_B)).status == DONE
    assert peer.named.dig("laptop.home.example") == ["192.0.2.100"]
    assert peer.named.ptr("192.0.2.100") == ["laptop.home.example."]


def test_conflict_modes(peer: Peer) -> None:
    # "router" is a static record (no DHCID): check-exists-with-dhcid protects it...
    outcome = peer.send(
        request(CHG_ADD, "router.home.example.", "192.0.2.130", MAC_A, "check-exists-with-dhcid")
    )
    assert outcome.status == FAILED and "static" in outcome.detail
    assert peer.named.dig("router.home.example") == ["192.0.2.1"]
    # ...while a dynamic name with any DHCID may be taken over
    assert peer.send(request(CHG_ADD, "cam.home.example.", "192.0.2.131", MAC_A)).status == DONE
    assert (
        peer.send(
            request(CHG_ADD, "cam.home.example.", "192.0.2.132", MAC_B, "check-exists-with-dhcid")
        ).status
        == DONE
    )
    assert peer.named.dig("cam.home.example") == ["192.0.2.132"]
    # no-check-with-dhcid overwrites anything and writes a DHCID
    assert (
        peer.send(
            request(CHG_ADD, "router.home.example.", "192.0.2.133", MAC_B, "no-check-with-dhcid")
        ).status
        == DONE
    )
    assert peer.named.dig("router.home.example") == ["192.0.2.133"]
    assert peer.named.dig("router.home.example", "DHCID")
    # no-check-without-dhcid writes none
    assert (
        peer.send(
            request(CHG_ADD, "plain.home.example.", "192.0.2.134", MAC_B, "no-check-without-dhcid")
        ).status
        == DONE
    )
    assert peer.named.names_of("plain.home.example", "192.0.2.134") == {
        "A": ["192.0.2.134"],
        "DHCID": [],
        "PTR": ["plain.home.example."],
    }
    assert (
        peer.send(
            request(CHG_REMOVE, "plain.home.example.", "192.0.2.134", MAC_B, "no-check-without-dhcid")
        ).status
        == DONE
    )
    assert peer.named.dig("plain.home.example") == []


def test_reverse_only_as_for_a_client_that_updates_its_own_a_record(peer: Peer) -> None:
    ncr = request(CHG_ADD, "self.home.example.", "192.0.2.140", MAC_A, forward=False)
    assert peer.send(ncr).status == DONE
    assert peer.named.names_of("self.home.example", "192.0.2.140") == {
        "A": [],
        "DHCID": [],
        "PTR": ["self.home.example."],
    }


def test_a_wrong_tsig_secret_is_refused_not_retried(peer: Peer) -> None:
    document = bind.d2_document(timeout_ms=2000)
    document["DhcpDdns"]["tsig-keys"][0]["secret"] = base64.b64encode(
        b"a different secret entirely!!"
    ).decode()
    outcome = peer.send(request(CHG_ADD, "x.home.example.", "192.0.2.150", MAC_A), updater(document))
    assert outcome.status == FAILED
    assert peer.named.dig("x.home.example") == []


def test_an_unsigned_update_is_refused(peer: Peer) -> None:
    document = bind.d2_document(timeout_ms=2000)
    for section in ("forward-ddns", "reverse-ddns"):
        del document["DhcpDdns"][section]["ddns-domains"][0]["key-name"]
    outcome = peer.send(request(CHG_ADD, "x.home.example.", "192.0.2.150", MAC_A), updater(document))
    assert outcome.status == FAILED and "REFUSED" in outcome.detail


def test_no_server_answering_means_retry(peer: Peer) -> None:
    peer.named.stop()
    outcome = peer.send(request(CHG_ADD, "x.home.example.", "192.0.2.150", MAC_A))
    assert outcome.status == RETRY and "127.0.0.1:53" in outcome.detail


@pytest.mark.parametrize("algorithm", ["hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha384", "hmac-sha512"])
def test_every_tsig_algorithm_kea_d2_offers(lab: Lab, algorithm: str) -> None:
    missing = bind.available()
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    peer = Peer(lab, algorithm)
    assert peer.send(request(CHG_ADD, "k.home.example.", "192.0.2.160", MAC_A)).status == DONE
    assert peer.named.dig("k.home.example") == ["192.0.2.160"]
