"""Host reservations through the engine: identifier order, flex-id (Kea's flex_id hook expression),
global reservations with reservations-global, out-of-pool reservations, the KNOWN class."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.config.errors import ConfigError
from edge.dhcp4.config import load_data
from edge.dhcp4.engine import Engine, Inbound
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.wire import pkt4 as wire

NOW = 1_800_000_000.0
SERVER = 0xC0000201
FLEX = {
    "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_flex_id.so",
    "parameters": {"identifier-expression": "relay4[2].hex"},
}


def engine_for(dhcp4: dict[str, Any]) -> Engine:
    return Engine(
        load_data({"Dhcp4": {"interfaces-config": {"interfaces": ["eth0"]}, **dhcp4}}), MemoryLeaseStore4()
    )


def offer(engine: Engine, n: int, giaddr: int = 0, **options: bytes) -> wire.Packet | None:
    pkt = wire.Packet()
    pkt.chaddr = bytes((2, 0, 0, 0, 0, n)) + bytes(10)
    pkt.giaddr = struct.pack("!I", giaddr)
    pkt.set(53, b"\x01")
    for name, value in options.items():
        pkt.set(int(name.removeprefix("o")), value)
    inbound = Inbound(
        "eth0", 2, src_ip=giaddr, dst_ip=SERVER if giaddr else 0xFFFFFFFF, local_addresses=(SERVER,)
    )
    out = engine.handle(wire.encode(pkt), inbound, NOW)
    return wire.decode(out.payload) if out is not None else None


def yiaddr(reply: wire.Packet | None) -> str:
    assert reply is not None
    return ".".join(str(b) for b in reply.yiaddr)


SUBNET = {
    "id": 1,
    "subnet": "192.0.2.0/24",
    "interface": "eth0",
    "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}],
}


def test_flex_id_from_the_hook_expression_finds_its_reservation() -> None:
    relayed = {k: v for k, v in SUBNET.items() if k != "interface"}
    engine = engine_for(
        {
            "hooks-libraries": [FLEX],
            "host-reservation-identifiers": ["flex-id", "hw-address"],
            "subnet4": [
                {
                    **relayed,
                    "relay": {"ip-addresses": ["10.1.1.1"]},
                    "reservations": [{"flex-id": "'blue-port'", "ip-address": "192.0.2.77"}],
                }
            ],
        }
    )
    agent = wire.build_suboptions([(1, b"p1"), (2, b"blue-port")])
    assert yiaddr(offer(engine, 1, 0x0A010101, o82=agent)) == "192.0.2.77"
    assert yiaddr(offer(engine, 2, 0x0A010101)) == "192.0.2.100"


def test_a_bad_flex_id_expression_is_a_configuration_error() -> None:
    bad = {**FLEX, "parameters": {"identifier-expression": "relay4[2].hex =="}}
    with pytest.raises(ConfigError, match="identifier-expression: bad expression"):
        load_data({"Dhcp4": {"hooks-libraries": [bad]}})


def test_global_reservations_only_where_reservations_global() -> None:
    dhcp4 = {
        "reservations": [{"hw-address": "02:00:00:00:00:05", "ip-address": "192.0.2.55"}],
        "subnet4": [SUBNET],
    }
    assert yiaddr(offer(engine_for(dhcp4), 5)) == "192.0.2.100"
    assert yiaddr(offer(engine_for({**dhcp4, "reservations-global": True}), 5)) == "192.0.2.55"


def test_out_of_pool_mode_ignores_in_pool_reservations() -> None:
    """reservations-out-of-pool promises reservations lie outside the pools: Kea then neither honours an
    in-pool one nor checks pool addresses against reservations."""
    dhcp4 = {
        "subnet4": [
            {
                **SUBNET,
                "reservations-out-of-pool": True,
                "reservations": [
                    {"hw-address": "02:00:00:00:00:07", "ip-address": "192.0.2.150"},
                    {"hw-address": "02:00:00:00:00:08", "ip-address": "192.0.2.20"},
                ],
            }
        ]
    }
    engine = engine_for(dhcp4)
    assert yiaddr(offer(engine, 7)) == "192.0.2.100"
    assert yiaddr(offer(engine, 8)) == "192.0.2.20"


def test_identifier_order_decides_between_two_reservations() -> None:
    reservations = [
        {"hw-address": "02:00:00:00:00:09", "ip-address": "192.0.2.9"},
        {"client-id": "01:02:00:00:00:00:09", "ip-address": "192.0.2.10"},
    ]
    cid = bytes.fromhex("01020000000009")
    hw_first = engine_for({"subnet4": [{**SUBNET, "reservations": reservations}]})
    cid_first = engine_for(
        {
            "host-reservation-identifiers": ["client-id", "hw-address"],
            "subnet4": [{**SUBNET, "reservations": reservations}],
        }
    )
    assert yiaddr(offer(hw_first, 9, o61=cid)) == "192.0.2.9"
    assert yiaddr(offer(cid_first, 9, o61=cid)) == "192.0.2.10"


def test_known_and_unknown_classes_follow_the_reservation_lookup() -> None:
    engine = engine_for(
        {
            "client-classes": [
                {
                    "name": "guests",
                    "test": "unknown",
                    "option-data": [{"name": "ntp-servers", "data": "10.0.0.1"}],
                },
                {
                    "name": "staff",
                    "test": "known",
                    "option-data": [{"name": "ntp-servers", "data": "10.0.0.2"}],
                },
            ],
            "subnet4": [
                {**SUBNET, "reservations": [{"hw-address": "02:00:00:00:00:03", "hostname": "staffer"}]}
            ],
        }
    )
    assert offer(engine, 1, o55=bytes((42,))).get(42) == bytes((10, 0, 0, 1))
    assert offer(engine, 3, o55=bytes((42,))).get(42) == bytes((10, 0, 0, 2))


FUZZ_ENGINE = engine_for(
    {
        "hooks-libraries": [FLEX],
        "client-classes": [
            {"name": "a", "test": "substring(option[60].hex, 0, 3) == 'abc' or relay4[1].exists"},
            {"name": "b", "test": "addrtotext(option[50].hex) == '192.0.2.1' and known"},
            {"name": "c", "test": "vendor[4491].option[1].exists or vendor-class[*].data == 'x'"},
            {"name": "DROP", "test": "option[12].text == 'drop-me'"},
        ],
        "subnet4": [
            {**SUBNET, "reservations": [{"hw-address": "02:00:00:00:00:01", "client-classes": ["a"]}]}
        ],
    }
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 9),
    st.dictionaries(st.integers(1, 254).filter(lambda c: c != 53), st.binary(max_size=12), max_size=6),
    st.integers(0, 3),
)
def test_any_options_in_any_message_never_raise_out_of_the_engine(
    msg: int, options: dict[int, bytes], n: int
) -> None:
    pkt = wire.Packet()
    pkt.chaddr = bytes((2, 0, 0, 0, 0, n)) + bytes(10)
    pkt.set(53, bytes((msg,)))
    for code, value in options.items():
        pkt.set(code, value)
    inbound = Inbound("eth0", 2, local_addresses=(SERVER,))
    FUZZ_ENGINE.handle(wire.encode(pkt), inbound, NOW)  # an answer or None, never an exception
