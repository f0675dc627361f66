"""Fuzz target: Engine.handle driven as the server's loop drives it.

One real Server (the configuration in tests/fuzz/engine.json, a memfile lease store in a temporary
directory, no interfaces) receives each input as a datagram through `Server._dispatch`, exactly the road a
packet takes in `serve`; its lease timers and the store's wake-ups run between packets, with a clock that
moves on. The server's per-packet safety net is turned into a crash (a bug it would swallow is a bug all
the same), and so is a reply that does not decode.

Input layout: byte 0 chooses where the datagram comes from (the receiving interface, a relay's address,
unicast or broadcast, source port); byte 1 how far the clock moves first; the rest is the UDP payload.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tests.fuzz.subjects import MemfileLeaseStore4, RxDatagram, Server, load_file, wire

CONFIG = Path(__file__).with_name("engine.json")
SERVER_IP = 0xC0000201  # 192.0.2.1, the receiving interface's address
SOURCES = (0, 0xC0000232, 0x0A010001, 0x0A020001, 0x0A030001, 0xC6336401)  # 0.0.0.0, a client, relays


class _Socket:
    """The socket manager's socket as the loop sees it: one datagram per readiness, then nothing."""

    def __init__(self) -> None:
        self.pending: RxDatagram | None = None

    def fileno(self) -> int:
        return -1

    def recv(self) -> RxDatagram | None:
        rx, self.pending = self.pending, None
        return rx


class EngineTarget:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="edge-fuzz-engine-")
        atexit.register(shutil.rmtree, self.dir, True)
        config = load_file(str(CONFIG))
        self.now = 1_700_000_000.0
        self.mono = 1000.0
        store = MemfileLeaseStore4(str(Path(self.dir) / "leases.db"), persist=True, sync="none")
        self.server = Server(config, store, clock=lambda: self.now, monotonic=lambda: self.mono)
        self.sent: list[Any] = []
        manager = self.server.manager
        manager.local_addresses = lambda ifname: [SERVER_IP]
        manager.send = lambda ifname, tx: self.sent.append(tx)
        self.server.loop.unexpected = self._crash  # type: ignore[assignment]
        self.sock = _Socket()

    @staticmethod
    def _crash(message_id: str, exc: BaseException, what: str) -> None:
        raise AssertionError(f"{message_id}: {what}: the safety net caught {exc!r}") from exc

    def one_input(self, data: bytes) -> None:
        if len(data) < 2:
            return
        how, step, payload = data[0], data[1], data[2:]
        self.now += step * (30 if step & 0x80 else 1)
        self.mono += step
        src_ip = SOURCES[how % len(SOURCES)]
        dst_ip = 0xFFFFFFFF if how & 0x40 else SERVER_IP
        src_port = 67 if src_ip in SOURCES[2:] else 68
        self.sock.pending = RxDatagram(
            payload, "eth0", 2, b"\x02\x00\x5e\x10\x00\x01", None, src_ip, dst_ip, src_port, 67
        )
        server = self.server
        server._dispatch(self.sock)
        server._on_store_wakeup(-1)
        if how & 0x20:
            server.loop.timers_changed()
            server.loop._run_timers()
        sent, self.sent = self.sent, []
        for tx in sent:
            reply = wire.decode(tx.payload)
            assert reply.op == wire.BOOTREPLY and reply.message_type in (
                wire.DHCPOFFER,
                wire.DHCPACK,
                wire.DHCPNAK,
            ), reply


_target: EngineTarget | None = None


def one_input(data: bytes) -> None:
    global _target
    if _target is None:
        _target = EngineTarget()
    _target.one_input(data)
