"""The reply path's per-configuration caches (lease options per subnet and lifetime, the option chain per
subnet and pool, siaddr/sname/file per subnet, the options answered per question, required classes) go with
their configuration: after Engine.reconfigure the very next reply carries the new values. And a cached
answer is never another client's: two clients asking different questions get their own answers."""

from __future__ import annotations

import struct
from dataclasses import replace

from edge.config.model import ip_int
from edge.dhcp4.model import ScopeParams4
from edge.wire import pkt4 as wire

from .helpers import SERVER, client_packet, local_inbound, mac, make_config, make_engine, option, u32

NOW = 1_700_000_000.0


def offer_for(engine, hw: bytes, **kw):  # noqa: ANN001, ANN201
    out = engine.handle(wire.encode(client_packet(wire.DHCPDISCOVER, hw, **kw)), local_inbound(), NOW)
    assert out is not None, "no OFFER"
    return wire.decode(out.payload)


def test_reconfigure_changes_the_next_reply_options_lifetime_and_fixed_fields() -> None:
    engine = make_engine()
    before = offer_for(engine, mac(1))
    assert u32(before.get(wire.OPT_ROUTERS)) == SERVER
    assert u32(before.get(wire.OPT_LEASE_TIME)) == 3600
    assert before.get(wire.OPT_RENEWAL_TIME) is None
    assert before.siaddr == b"\0\0\0\0"
    offer_for(engine, mac(2))  # a second reply from the same caches

    config = make_config()
    subnet = config.subnets[0]
    params = ScopeParams4(
        valid_lifetime=1800,
        min_valid_lifetime=600,
        max_valid_lifetime=7200,
        renew_timer=900,
        next_server=ip_int("192.0.2.9"),
    )
    changed = replace(
        subnet,
        params=params,
        option_data=(
            option(3, "routers", struct.pack("!I", ip_int("192.0.2.254"))),
            option(6, "domain-name-servers", struct.pack("!I", SERVER)),
        ),
    )
    engine.reconfigure(replace(config, subnets=(changed, *config.subnets[1:])))

    after = offer_for(engine, mac(3))
    assert u32(after.get(wire.OPT_ROUTERS)) == ip_int("192.0.2.254")
    assert u32(after.get(wire.OPT_LEASE_TIME)) == 1800
    assert u32(after.get(wire.OPT_RENEWAL_TIME)) == 900
    assert after.siaddr == struct.pack("!I", ip_int("192.0.2.9"))


def test_cached_answers_follow_each_clients_question() -> None:
    engine = make_engine()
    plain = offer_for(engine, mac(1))
    assert plain.get(15) == b"example.org"  # domain-name: a basic option, sent when configured
    asked = offer_for(engine, mac(2), options={wire.OPT_LEASE_TIME: struct.pack("!I", 900)})
    again = offer_for(engine, mac(3))
    # A lifetime asked for (clamped to 600..7200) is that client's; the next client gets the subnet's again.
    assert u32(asked.get(wire.OPT_LEASE_TIME)) == 900
    assert u32(again.get(wire.OPT_LEASE_TIME)) == 3600
    assert u32(plain.get(wire.OPT_LEASE_TIME)) == 3600
    assert [c for c in again.option_order if c != wire.OPT_RELAY_AGENT_INFO] == [
        c for c in plain.option_order if c != wire.OPT_RELAY_AGENT_INFO
    ]
