"""Packets that once stopped the server (issue 22), driven through the engine with the memfile lease store.

A client-id is what the lease store keys a client by; Kea 2.2 takes one of 2 to 128 bytes and drops the
packet otherwise (tests/lab/test_parity_hardening.py plays the same packets against Kea). Before the fix a
301-byte client-id (two option 61 instances, RFC 3396) reached the store's record packing and raised out
of Engine.handle.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.dhcp4.engine import Engine
from edge.dhcp4.lease_store import MemfileLeaseStore4
from edge.wire import pkt4 as wire
from tests.dhcp4.helpers import SERVER, client_packet, local_inbound, mac, make_config

NOW = 1_700_000_000.0


@pytest.fixture
def engine(tmp_path: Path):
    store = MemfileLeaseStore4(str(tmp_path / "leases.db"))
    yield Engine(make_config(), store)
    store.close()


def _select(engine: Engine, hw: bytes, client_id: bytes) -> wire.Packet | None:
    request = client_packet(
        wire.DHCPREQUEST,
        hw,
        options={
            wire.OPT_CLIENT_ID: client_id,
            wire.OPT_SERVER_ID: SERVER.to_bytes(4, "big"),
            wire.OPT_REQUESTED_IP: bytes((192, 0, 2, 105)),
        },
    )
    out = engine.handle(wire.encode(request), local_inbound(), NOW)
    return None if out is None else wire.decode(out.payload)


def test_long_client_id_split_over_two_options_is_dropped_not_raised(engine: Engine) -> None:
    client_id = b"\x00" + bytes(range(256)) + bytes(44)  # 301 bytes: 255 + 46 on the wire
    encoded = wire.encode(client_packet(wire.DHCPREQUEST, mac(5), options={wire.OPT_CLIENT_ID: client_id}))
    assert encoded.count(bytes((wire.OPT_CLIENT_ID, 255))) == 1  # really two instances
    assert _select(engine, mac(5), client_id) is None
    assert engine.stats.get("pkt4-receive-drop") == 1
    assert len(engine.store) == 0


@pytest.mark.parametrize("length", [0, 1, 129, 255, 256])
def test_client_id_lengths_kea_refuses_are_dropped(engine: Engine, length: int) -> None:
    assert _select(engine, mac(6), bytes(length)) is None
    assert engine.stats.get("pkt4-receive-drop") == 1


@pytest.mark.parametrize("length", [2, 128])
def test_client_id_lengths_kea_takes_are_served(engine: Engine, length: int) -> None:
    reply = _select(engine, mac(7), b"\x00" + bytes(range(length - 1)))
    assert reply is not None and reply.message_type == wire.DHCPACK
    assert len(engine.store) == 1
