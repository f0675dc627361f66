"""The server's event loop hooks: readers and timers run from the loop, and stop() ends it."""

from __future__ import annotations

import os
import threading

from edge.dhcp4.config import load_data
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.server.dhcp4 import Dhcp4Service as Server


def make_server() -> Server:
    config = load_data({"Dhcp4": {"interfaces-config": {"interfaces": []}, "subnet4": []}})
    return Server(config, MemoryLeaseStore4())


def test_timers_and_readers_run_in_the_loop_and_stop_ends_it() -> None:
    server = make_server()
    ticks: list[int] = []
    seen: list[bytes] = []
    done = threading.Event()
    read_fd, write_fd = os.pipe()

    def on_readable(fd: int) -> None:
        seen.append(os.read(fd, 100))
        if len(ticks) >= 3:
            done.set()

    def tick() -> None:
        ticks.append(1)
        if len(ticks) == 3:
            os.write(write_fd, b"ping")

    server.loop.add_reader(read_fd, on_readable)
    server.loop.call_every(0.01, tick)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        assert done.wait(10), "the reader never ran"
    finally:
        server.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert seen == [b"ping"]
    assert len(ticks) >= 3
    os.close(read_fd)
    os.close(write_fd)


def test_a_flooded_socket_does_not_starve_the_loop() -> None:
    """Under a flood the socket never runs dry; the loop must still turn to its timers (and to the ACKs
    waiting for the disk, and the control channel), so one socket gets DISPATCH_BATCH packets per turn."""
    from edge.netif.datagrams import RxDatagram
    from edge.server import service as server_main

    server = make_server()
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"x")  # stays readable: select() always reports the flooded socket

    class Flood:
        taken = 0

        def fileno(self) -> int:
            return read_fd

        def recv(self) -> RxDatagram:
            Flood.taken += 1
            return RxDatagram(b"x", "eth0", 2, b"\x02" * 6, None, 0, 0xFFFFFFFF, 68, 67)

    flood = Flood()
    server.manager.sockets = lambda: [flood]  # type: ignore[method-assign]
    server.manager.local_addresses = lambda ifname: []  # type: ignore[method-assign]
    server.engine.handle = lambda payload, inbound, now: None  # type: ignore[method-assign]
    ticks: list[int] = []
    done = threading.Event()

    def tick() -> None:
        ticks.append(Flood.taken)
        if len(ticks) >= 3:
            done.set()

    server.loop.call_every(0.01, tick)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        assert done.wait(10), "the timer never ran while the socket was flooded"
    finally:
        server.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert Flood.taken >= server_main.DISPATCH_BATCH  # the flood was being served meanwhile
    before = Flood.taken
    server._dispatch(flood)  # one call takes one batch, not everything
    assert Flood.taken - before == server_main.DISPATCH_BATCH
    os.close(read_fd)
    os.close(write_fd)
