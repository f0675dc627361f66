"""Builders for engine tests: configurations straight from the model, client packets from the codec."""

from __future__ import annotations

import struct

from edge.config.model import OptionData, ip_int
from edge.dhcp4.engine import Engine, Inbound
from edge.dhcp4.exchange import BROADCAST
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.dhcp4.model import Config4, Pool4, Reservation4, ScopeParams4, Subnet4
from edge.wire import pkt4 as wire

SERVER = ip_int("192.0.2.1")
RELAY = ip_int("198.51.100.1")


def option(code: int, name: str, data: bytes, **kw: object) -> OptionData:
    return OptionData(code=code, name=name, space="dhcp4", data=data, **kw)  # type: ignore[arg-type]


def make_config(
    params: ScopeParams4 | None = None,
    reservations: tuple[Reservation4, ...] = (),
    pool: tuple[str, str] = ("192.0.2.100", "192.0.2.109"),
    **config_kw: object,
) -> Config4:
    params = params or ScopeParams4(valid_lifetime=3600, min_valid_lifetime=600, max_valid_lifetime=7200)
    local = Subnet4(
        id=1,
        network=ip_int("192.0.2.0"),
        prefix_len=24,
        pools=(Pool4(ip_int(pool[0]), ip_int(pool[1])),),
        option_data=(
            option(3, "routers", struct.pack("!I", SERVER)),
            option(6, "domain-name-servers", struct.pack("!I", SERVER)),
        ),
        reservations=reservations,
        params=params,
        path="Dhcp4.subnet4[0]",
    )
    relayed = Subnet4(
        id=2,
        network=ip_int("198.51.100.0"),
        prefix_len=24,
        pools=(Pool4(ip_int("198.51.100.50"), ip_int("198.51.100.59")),),
        option_data=(option(3, "routers", struct.pack("!I", RELAY)),),
        params=params,
        path="Dhcp4.subnet4[1]",
    )
    return Config4(
        subnets=(local, relayed),
        option_data=(option(15, "domain-name", b"example.org"),),
        params=params,
        **config_kw,  # type: ignore[arg-type]
    )


def make_engine(config: Config4 | None = None) -> Engine:
    return Engine(config or make_config(), MemoryLeaseStore4())


def mac(n: int) -> bytes:
    return bytes((0x02, 0, 0, 0, 0, n))


def client_packet(
    msg_type: int,
    hw: bytes,
    xid: int = 0x1234,
    ciaddr: int = 0,
    giaddr: int = 0,
    broadcast: bool = False,
    options: dict[int, bytes] | None = None,
) -> wire.Packet:
    pkt = wire.Packet()
    pkt.op = wire.BOOTREQUEST
    pkt.htype = 1
    pkt.hlen = 6
    pkt.xid = xid
    pkt.flags = 0x8000 if broadcast else 0
    pkt.chaddr = hw + b"\0" * (16 - len(hw))
    pkt.ciaddr = struct.pack("!I", ciaddr)
    pkt.giaddr = struct.pack("!I", giaddr)
    pkt.set(wire.OPT_MESSAGE_TYPE, bytes((msg_type,)))
    pkt.set(wire.OPT_PARAM_REQUEST, bytes((1, 3, 6, 15, 12)))
    for code, payload in (options or {}).items():
        pkt.set(code, payload)
    return pkt


def local_inbound(dst_ip: int = BROADCAST, src_ip: int = 0) -> Inbound:
    return Inbound(ifname="veth-srv", ifindex=70000, src_ip=src_ip, dst_ip=dst_ip, local_addresses=(SERVER,))


def u32(data: bytes) -> int:
    return struct.unpack("!I", data)[0]
