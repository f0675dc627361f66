"""The sans-IO engine, fed packets and a fake clock: no sockets, no files."""

from __future__ import annotations

import struct

import pytest

from edge.config.model import ip_int
from edge.dhcp4.exchange import BROADCAST, BROADCAST_MAC, Inbound
from edge.dhcp4.model import Reservation4, ScopeParams4
from edge.leases.lease import STATE_DECLINED
from edge.wire import pkt4 as wire
from tests.dhcp4.helpers import (
    RELAY,
    SERVER,
    client_packet,
    local_inbound,
    mac,
    make_config,
    make_engine,
    u32,
)

NOW = 1_800_000_000.0


def exchange(engine, hw, now=NOW, requested=None, options=None, **kw):
    """DISCOVER then REQUEST (SELECTING); returns (offer, ack) packets."""
    discover = client_packet(wire.DHCPDISCOVER, hw, options=options, **kw)
    out = engine.handle(wire.encode(discover), local_inbound(), now)
    assert out is not None, "no OFFER"
    offer = wire.decode(out.payload)
    opts = dict(options or {})
    opts.update(
        {wire.OPT_SERVER_ID: offer.get(wire.OPT_SERVER_ID), wire.OPT_REQUESTED_IP: requested or offer.yiaddr}
    )
    request = client_packet(wire.DHCPREQUEST, hw, options=opts, **kw)
    out = engine.handle(wire.encode(request), local_inbound(), now)
    assert out is not None, "no ACK"
    return offer, wire.decode(out.payload)


def test_discover_gets_offer_with_pool_address_and_options():
    engine = make_engine()
    out = engine.handle(wire.encode(client_packet(wire.DHCPDISCOVER, mac(1))), local_inbound(), NOW)
    offer = wire.decode(out.payload)
    assert offer.message_type == wire.DHCPOFFER
    assert offer.op == wire.BOOTREPLY
    assert u32(offer.yiaddr) == ip_int("192.0.2.100")
    assert u32(offer.get(wire.OPT_SERVER_ID)) == SERVER
    assert u32(offer.get(wire.OPT_LEASE_TIME)) == 3600
    assert offer.get(wire.OPT_SUBNET_MASK) == b"\xff\xff\xff\x00"
    assert u32(offer.get(wire.OPT_ROUTERS)) == SERVER
    assert offer.get(15) == b"example.org"
    # No broadcast bit, no ciaddr: unicast to yiaddr at the client's MAC (RFC 2131 4.1).
    assert out.dst_ip == ip_int("192.0.2.100") and out.dst_mac == mac(1) and out.dst_port == 68
    assert len(engine.store) == 0, "an OFFER must not create a lease"
    assert engine.stats.get("pkt4-offer-sent") == 1


def test_broadcast_bit_gets_broadcast_reply():
    engine = make_engine()
    out = engine.handle(
        wire.encode(client_packet(wire.DHCPDISCOVER, mac(1), broadcast=True)), local_inbound(), NOW
    )
    assert out.dst_ip == BROADCAST and out.dst_mac == BROADCAST_MAC


def test_selecting_request_acks_and_records_lease():
    engine = make_engine()
    offer, ack = exchange(engine, mac(1))
    assert ack.message_type == wire.DHCPACK
    assert ack.yiaddr == offer.yiaddr
    lease = engine.store.get(u32(ack.yiaddr))
    assert lease is not None and lease.hwaddr == mac(1) and lease.expire == int(NOW) + 3600
    assert engine.stats.get("subnet[1].assigned-addresses") == 1


def test_two_clients_discovering_at_once_get_different_offers():
    engine = make_engine()
    a = wire.decode(engine.handle(wire.encode(client_packet(1, mac(1))), local_inbound(), NOW).payload)
    b = wire.decode(engine.handle(wire.encode(client_packet(1, mac(2))), local_inbound(), NOW).payload)
    assert a.yiaddr != b.yiaddr


def test_request_for_other_server_is_ignored_and_frees_offer():
    engine = make_engine(make_config(pool=("192.0.2.100", "192.0.2.100")))
    offer = wire.decode(engine.handle(wire.encode(client_packet(1, mac(1))), local_inbound(), NOW).payload)
    other = client_packet(
        wire.DHCPREQUEST,
        mac(1),
        options={wire.OPT_SERVER_ID: b"\x0a\x00\x00\x01", wire.OPT_REQUESTED_IP: offer.yiaddr},
    )
    assert engine.handle(wire.encode(other), local_inbound(), NOW) is None
    # The address is free again for another client.
    again = wire.decode(engine.handle(wire.encode(client_packet(1, mac(2))), local_inbound(), NOW).payload)
    assert again.yiaddr == offer.yiaddr


def test_returning_client_gets_same_address_and_renewal_extends():
    engine = make_engine()
    _, ack = exchange(engine, mac(1))
    exchange(engine, mac(2))
    # RENEWING: unicast, ciaddr set, no server id / requested ip.
    renew = client_packet(wire.DHCPREQUEST, mac(1), ciaddr=u32(ack.yiaddr))
    out = engine.handle(wire.encode(renew), local_inbound(dst_ip=SERVER, src_ip=u32(ack.yiaddr)), NOW + 1800)
    reply = wire.decode(out.payload)
    assert reply.message_type == wire.DHCPACK and reply.yiaddr == ack.yiaddr
    assert out.dst_ip == u32(ack.yiaddr)  # unicast to ciaddr
    assert engine.store.get(u32(ack.yiaddr)).expire == int(NOW + 1800) + 3600
    # A new DISCOVER from the same client offers the same address.
    offer, _ = exchange(engine, mac(1), now=NOW + 1900)
    assert offer.yiaddr == ack.yiaddr
    assert engine.stats.get("subnet[1].assigned-addresses") == 2


# Kea 2.2 (assignLease): an INIT-REBOOT client the server has no lease for is ignored when not
# authoritative and NAKed when authoritative, even if the address happens to be free: the client then
# DISCOVERs and gets a lease the server knows about. tests/lab/test_parity.py checks this against Kea.
@pytest.mark.parametrize("authoritative, expected", [(False, None), (True, wire.DHCPNAK)])
def test_init_reboot_unknown_client(authoritative, expected):
    params = ScopeParams4(
        valid_lifetime=3600, min_valid_lifetime=600, max_valid_lifetime=7200, authoritative=authoritative
    )
    engine = make_engine(make_config(params=params))
    reboot = client_packet(
        wire.DHCPREQUEST, mac(1), options={wire.OPT_REQUESTED_IP: struct.pack("!I", ip_int("192.0.2.105"))}
    )
    out = engine.handle(wire.encode(reboot), local_inbound(), NOW)
    assert (None if out is None else wire.decode(out.payload).message_type) == expected


def test_init_reboot_known_lease_acks_and_wrong_network_naks():
    engine = make_engine()
    _, ack = exchange(engine, mac(1))
    reboot = client_packet(wire.DHCPREQUEST, mac(1), options={wire.OPT_REQUESTED_IP: ack.yiaddr})
    assert (
        wire.decode(engine.handle(wire.encode(reboot), local_inbound(), NOW + 10).payload).message_type
        == wire.DHCPACK
    )
    moved = client_packet(wire.DHCPREQUEST, mac(1), options={wire.OPT_REQUESTED_IP: b"\x0a\x01\x02\x03"})
    out = engine.handle(wire.encode(moved), local_inbound(), NOW + 20)
    nak = wire.decode(out.payload)
    assert nak.message_type == wire.DHCPNAK and out.dst_ip == BROADCAST
    assert nak.yiaddr == b"\0\0\0\0"


@pytest.mark.parametrize("authoritative, expected", [(False, None), (True, wire.DHCPNAK)])
def test_init_reboot_for_address_leased_to_another_client(authoritative, expected):
    # The thief is unknown here: silence when not authoritative (another server may know it), NAK when
    # authoritative; never an ACK for another client's address.
    params = ScopeParams4(
        valid_lifetime=3600, min_valid_lifetime=600, max_valid_lifetime=7200, authoritative=authoritative
    )
    engine = make_engine(make_config(params=params))
    _, ack = exchange(engine, mac(1))
    thief = client_packet(wire.DHCPREQUEST, mac(2), options={wire.OPT_REQUESTED_IP: ack.yiaddr})
    out = engine.handle(wire.encode(thief), local_inbound(), NOW)
    assert (None if out is None else wire.decode(out.payload).message_type) == expected


def test_release_frees_address_but_remembers_owner():
    engine = make_engine()
    _, ack = exchange(engine, mac(1))
    address = u32(ack.yiaddr)
    release = client_packet(
        wire.DHCPRELEASE, mac(1), ciaddr=address, options={wire.OPT_SERVER_ID: struct.pack("!I", SERVER)}
    )
    assert engine.handle(wire.encode(release), local_inbound(dst_ip=SERVER), NOW + 5) is None
    assert not engine.store.get(address).is_active(NOW + 6)
    assert engine.stats.get("subnet[1].assigned-addresses") == 0
    offer, _ = exchange(engine, mac(1), now=NOW + 10)
    assert u32(offer.yiaddr) == address


def test_release_from_non_owner_is_ignored():
    engine = make_engine()
    _, ack = exchange(engine, mac(1))
    release = client_packet(wire.DHCPRELEASE, mac(9), ciaddr=u32(ack.yiaddr))
    engine.handle(wire.encode(release), local_inbound(dst_ip=SERVER), NOW + 5)
    assert engine.store.get(u32(ack.yiaddr)).is_active(NOW + 6)


def test_decline_puts_address_in_probation():
    engine = make_engine()
    _, ack = exchange(engine, mac(1))
    decline = client_packet(wire.DHCPDECLINE, mac(1), options={wire.OPT_REQUESTED_IP: ack.yiaddr})
    engine.handle(wire.encode(decline), local_inbound(), NOW + 1)
    lease = engine.store.get(u32(ack.yiaddr))
    assert lease.state == STATE_DECLINED and lease.expire == int(NOW + 1) + 86400
    assert engine.stats.get("subnet[1].declined-addresses") == 1
    offer, _ = exchange(engine, mac(1), now=NOW + 2)
    assert offer.yiaddr != ack.yiaddr


def test_inform_returns_options_without_lease():
    engine = make_engine()
    inform = client_packet(wire.DHCPINFORM, mac(1), ciaddr=ip_int("192.0.2.50"))
    out = engine.handle(wire.encode(inform), local_inbound(dst_ip=SERVER, src_ip=ip_int("192.0.2.50")), NOW)
    reply = wire.decode(out.payload)
    assert reply.message_type == wire.DHCPACK
    assert reply.get(wire.OPT_LEASE_TIME) is None and reply.yiaddr == b"\0\0\0\0"
    assert u32(reply.get(wire.OPT_ROUTERS)) == SERVER
    assert out.dst_ip == ip_int("192.0.2.50")
    assert len(engine.store) == 0


def test_relayed_discover_uses_giaddr_subnet_and_echoes_option_82():
    engine = make_engine()
    agent = wire.build_suboptions([(1, b"port-7"), (2, b"\x01\x02\x03")])
    discover = client_packet(
        wire.DHCPDISCOVER, mac(3), giaddr=RELAY, options={wire.OPT_RELAY_AGENT_INFO: agent}
    )
    out = engine.handle(
        wire.encode(discover), Inbound("veth-srv", 70000, RELAY, SERVER, 67, b"", (SERVER,)), NOW
    )
    offer = wire.decode(out.payload)
    assert ip_int("198.51.100.50") <= u32(offer.yiaddr) <= ip_int("198.51.100.59")
    assert u32(offer.get(wire.OPT_ROUTERS)) == RELAY
    assert offer.get(wire.OPT_RELAY_AGENT_INFO) == agent
    assert offer.giaddr == discover.giaddr
    assert (out.dst_ip, out.dst_port, out.dst_mac) == (RELAY, 67, None)  # UDP path: the kernel routes it


def test_relayed_reply_on_the_raw_path_goes_to_the_frame_s_sender():
    # The request's frame came from the relay's MAC (the next hop towards giaddr): the reply is a frame to it.
    engine = make_engine()
    relay_mac = bytes.fromhex("02005e00a001")
    discover = client_packet(wire.DHCPDISCOVER, mac(4), giaddr=RELAY)
    out = engine.handle(
        wire.encode(discover), Inbound("veth-srv", 70000, RELAY, SERVER, 67, relay_mac, (SERVER,)), NOW
    )
    assert (out.dst_ip, out.dst_port, out.dst_mac) == (RELAY, 67, relay_mac)


def test_reservation_by_hw_address_and_reserved_address_not_given_to_others():
    reserved = Reservation4(hw_address=mac(7), ip_address=ip_int("192.0.2.100"), hostname="printer")
    engine = make_engine(make_config(reservations=(reserved,)))
    other, _ = exchange(engine, mac(1))
    assert u32(other.yiaddr) != ip_int("192.0.2.100")
    offer, ack = exchange(engine, mac(7))
    assert u32(ack.yiaddr) == ip_int("192.0.2.100")
    assert ack.get(wire.OPT_HOSTNAME) == b"printer"


def test_lifetime_request_is_clamped_to_bounds():
    engine = make_engine()
    _, ack = exchange(engine, mac(1), options={wire.OPT_LEASE_TIME: struct.pack("!I", 10)})
    assert u32(ack.get(wire.OPT_LEASE_TIME)) == 600
    _, ack = exchange(engine, mac(2), options={wire.OPT_LEASE_TIME: struct.pack("!I", 999999)})
    assert u32(ack.get(wire.OPT_LEASE_TIME)) == 7200


def test_calculated_tee_times():
    params = ScopeParams4(
        valid_lifetime=4000, min_valid_lifetime=4000, max_valid_lifetime=4000, calculate_tee_times=True
    )
    engine = make_engine(make_config(params=params))
    _, ack = exchange(engine, mac(1))
    assert u32(ack.get(wire.OPT_RENEWAL_TIME)) == 2000
    assert u32(ack.get(wire.OPT_REBINDING_TIME)) == 3500


def test_client_id_identifies_client_when_match_client_id():
    engine = make_engine()
    cid = b"\x01" + mac(1)
    _, ack = exchange(engine, mac(1), options={wire.OPT_CLIENT_ID: cid})
    # Same client-id, new NIC: same address.
    offer, _ = exchange(engine, mac(2), now=NOW + 10, options={wire.OPT_CLIENT_ID: cid})
    assert offer.yiaddr == ack.yiaddr
    assert offer.get(wire.OPT_CLIENT_ID) == cid


def test_pool_exhaustion_is_counted_and_silent():
    engine = make_engine(make_config(pool=("192.0.2.100", "192.0.2.101")))
    exchange(engine, mac(1))
    exchange(engine, mac(2))
    assert engine.handle(wire.encode(client_packet(1, mac(3))), local_inbound(), NOW) is None
    assert engine.stats.get("v4-allocation-fail") == 1


@pytest.mark.parametrize("garbage", [b"", b"\x01" * 100, b"\x01\x01\x06\x00" + b"\0" * 232 + b"XXXX"])
def test_malformed_packets_are_counted_and_dropped(garbage):
    engine = make_engine()
    assert engine.handle(garbage, local_inbound(), NOW) is None
    assert engine.stats.get("pkt4-parse-failed") == 1


def test_expired_lease_of_another_client_is_reused():
    engine = make_engine(make_config(pool=("192.0.2.100", "192.0.2.100")))
    _, ack = exchange(engine, mac(1))
    later = NOW + 4000  # past the 3600 s lifetime
    offer, ack2 = exchange(engine, mac(2), now=later)
    assert offer.yiaddr == ack.yiaddr and engine.store.get(u32(ack2.yiaddr)).hwaddr == mac(2)
