"""Fuzz target: the DHCPv6 service's packet path, driven as the server's loop drives it.

One real Dhcp6Service (the configuration in tests/fuzz/engine6.json, leases in memory, no interfaces)
receives each input as a datagram through `_dispatch`, the road a packet takes in `serve`; its lease timers
run between packets, with a clock that moves on. The service's per-packet safety net is turned into a crash
(a bug it would swallow is a bug all the same), and so is a reply that does not decode, is not ADVERTISE,
REPLY or RELAY-REPL, or carries another transaction id than the request.

Input layout: byte 0 chooses where the datagram comes from (a direct client's link-local address or a
relay's, multicast or unicast); byte 1 how far the clock moves first; the rest is the UDP payload.
"""

from __future__ import annotations

from typing import Any

from tests.fuzz.fuzz_engine import EngineTarget, _Socket
from tests.fuzz.subjects import Dhcp6Server, MemoryLeaseStore6, RxDatagram6, load_file6, pkt6

CONFIG = __file__.rsplit("/", 1)[0] + "/engine6.json"
SOURCES = (
    bytes.fromhex("fe800000000000000000000000000001"),
    bytes.fromhex("fe80000000000000005eff0000fe1002"),
    bytes.fromhex("20010db8000100000000000000000002"),
    bytes.fromhex("20010db8004400000000000000000001"),
)
MULTICAST = bytes.fromhex("ff020000000000000000000000010002")
OURS = bytes.fromhex("fe800000000000000000000000000abc")
SERVER_ID = bytes.fromhex("000100012c3a1b2a020000000abc")


class Engine6Target:
    def __init__(self) -> None:
        config = load_file6(CONFIG)
        self.now = 1_700_000_000.0
        self.mono = 1000.0
        self.server = Dhcp6Server(
            config, MemoryLeaseStore6(), clock=lambda: self.now, monotonic=lambda: self.mono
        )
        self.server.engine.server_id = SERVER_ID  # requests may name it (the corpus does)
        self.sent: list[Any] = []
        manager = self.server.manager
        manager.local_addresses = lambda ifname: [OURS]
        manager.send = lambda ifname, tx: self.sent.append(tx)
        self.server.loop.unexpected = EngineTarget._crash  # type: ignore[assignment]
        self.sock = _Socket()

    def one_input(self, data: bytes) -> None:
        if len(data) < 2:
            return
        how, step, payload = data[0], data[1], data[2:]
        self.now += step * (30 if step & 0x80 else 1)
        self.mono += step
        src = SOURCES[how % len(SOURCES)]
        dst = MULTICAST if how & 0x40 else OURS
        port = 547 if how & 0x10 else 546
        self.sock.pending = RxDatagram6(payload, "eth0", 70000, src, port, dst)  # type: ignore[assignment]
        server = self.server
        server._dispatch(self.sock)
        if how & 0x20:
            server.loop.timers_changed()
            server.loop._run_timers()
        sent, self.sent = self.sent, []
        if not sent:
            return
        request = pkt6.decode6(payload, lenient=True)
        for tx in sent:
            reply = pkt6.decode6(tx.payload)
            assert reply.msg_type in (pkt6.ADVERTISE, pkt6.REPLY), reply
            assert reply.transaction_id == request.transaction_id, (reply, request)
            assert len(reply.relays) == len(request.relays), (reply, request)


_target: Engine6Target | None = None


def one_input(data: bytes) -> None:
    global _target
    if _target is None:
        _target = Engine6Target()
    _target.one_input(data)
