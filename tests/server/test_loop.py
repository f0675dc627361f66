"""The server's event loop hooks: readers and timers run from the loop, and stop() ends it."""

from __future__ import annotations

import os
import threading

from edge.config.loader import load_data
from edge.leases.store import MemoryLeaseStore
from edge.server.main import Server


def make_server() -> Server:
    config = load_data({"Dhcp4": {"interfaces-config": {"interfaces": []}, "subnet4": []}})
    return Server(config, MemoryLeaseStore())


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

    server.add_reader(read_fd, on_readable)
    server.call_every(0.01, tick)
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
