"""The engine with the DDNS name handler attached: answers, lease records and update requests for real
DISCOVER/REQUEST/RELEASE/DECLINE exchanges (sans-IO: no sockets, a list as the queue)."""

from __future__ import annotations

from dataclasses import replace

from edge.config.d2 import DdnsSettings
from edge.ddns import fqdn
from edge.ddns.names import NameHandler
from edge.ddns.ncr import CHG_ADD, CHG_REMOVE, NameChangeRequest
from edge.dhcp4.engine import Engine
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.dhcp4.model import Config4, ScopeParams4
from edge.wire import pkt4 as wire
from tests.dhcp4.helpers import client_packet, local_inbound, mac, make_config, u32

NOW = 1_800_000_000.0


def setup(updates: bool = True, **params: object) -> tuple[Engine, list[NameChangeRequest]]:
    scope = ScopeParams4(
        valid_lifetime=3600,
        min_valid_lifetime=600,
        max_valid_lifetime=7200,
        ddns_qualifying_suffix="home.example",
        **params,
    )  # type: ignore[arg-type]
    config: Config4 = replace(make_config(scope), ddns=DdnsSettings(enable_updates=updates))
    sent: list[NameChangeRequest] = []
    engine = Engine(
        config, MemoryLeaseStore4(), names=NameHandler(lambda: config, sent.append if updates else None)
    )
    return engine, sent


def exchange(engine: Engine, hw: bytes, options: dict[int, bytes]) -> tuple[wire.Packet, wire.Packet]:
    out = engine.handle(
        wire.encode(client_packet(wire.DHCPDISCOVER, hw, options=options)), local_inbound(), NOW
    )
    assert out is not None
    offer = wire.decode(out.payload)
    opts = dict(options)
    opts.update({wire.OPT_SERVER_ID: offer.get(wire.OPT_SERVER_ID), wire.OPT_REQUESTED_IP: offer.yiaddr})
    out = engine.handle(wire.encode(client_packet(wire.DHCPREQUEST, hw, options=opts)), local_inbound(), NOW)
    assert out is not None
    return offer, wire.decode(out.payload)


def test_offer_and_ack_answer_option_81_and_the_lease_records_the_names() -> None:
    engine, sent = setup()
    offer, ack = exchange(engine, mac(1), {81: fqdn.encode(0x05, "laptop", False)})
    for reply in (offer, ack):
        answer = fqdn.decode(reply.get(81))
        assert (answer.flags, answer.name, answer.full) == (0x05, "laptop.home.example", True)
        assert reply.get(12) is None
    lease = engine.store.get(u32(ack.yiaddr))
    assert (lease.hostname, lease.fqdn_fwd, lease.fqdn_rev) == ("laptop.home.example.", True, True)
    assert [(n.change_type, n.fqdn, n.ip_address) for n in sent] == [
        (CHG_ADD, "laptop.home.example.", "192.0.2.100")
    ]  # one add: the OFFER asks for nothing


def test_a_renewal_asks_nothing_and_a_release_removes_once() -> None:
    engine, sent = setup()
    _, ack = exchange(engine, mac(1), {12: b"nas"})
    assert ack.get(12) == b"nas.home.example"
    address = u32(ack.yiaddr)
    renew = client_packet(wire.DHCPREQUEST, mac(1), ciaddr=address, options={12: b"nas"})
    assert engine.handle(wire.encode(renew), local_inbound(), NOW + 100) is not None
    assert [n.change_type for n in sent] == [CHG_ADD]
    release = client_packet(wire.DHCPRELEASE, mac(1), ciaddr=address)
    engine.handle(wire.encode(release), local_inbound(), NOW + 200)
    assert [n.change_type for n in sent] == [CHG_ADD, CHG_REMOVE]
    lease = engine.store.get(address)
    assert not lease.fqdn_fwd and not lease.fqdn_rev  # nothing left to remove at expiry
    engine.handle(wire.encode(release), local_inbound(), NOW + 300)
    assert len(sent) == 2


def test_a_decline_removes_the_names() -> None:
    engine, sent = setup()
    _, ack = exchange(engine, mac(2), {12: b"cam"})
    decline = client_packet(wire.DHCPDECLINE, mac(2), options={wire.OPT_REQUESTED_IP: ack.yiaddr})
    engine.handle(wire.encode(decline), local_inbound(), NOW + 10)
    assert [(n.change_type, n.fqdn) for n in sent] == [
        (CHG_ADD, "cam.home.example."),
        (CHG_REMOVE, "cam.home.example."),
    ]


def test_a_client_sending_n_and_s_gets_no_answer_at_all() -> None:
    engine, _ = setup()
    out = engine.handle(
        wire.encode(client_packet(wire.DHCPDISCOVER, mac(3), options={81: b"\x09\x00\x00"})),
        local_inbound(),
        NOW,
    )
    assert out is None
    assert engine.stats.get("pkt4-receive-drop") == 1


def test_with_updates_off_the_name_is_still_answered_and_recorded_without_dns_flags() -> None:
    engine, sent = setup(updates=False)
    _, ack = exchange(engine, mac(4), {81: fqdn.encode(0x01, "tv", False)})
    assert fqdn.decode(ack.get(81)).flags == fqdn.FLAG_N | fqdn.FLAG_O
    lease = engine.store.get(u32(ack.yiaddr))
    assert (lease.hostname, lease.fqdn_fwd, lease.fqdn_rev) == ("tv.home.example.", False, False)
    assert sent == []
