"""The server loop's safety nets (issue 22): a packet, timer or reader that raises costs only itself.

A fault is planted in the real engine (tests/server/faulty_serve.py: a DISCOVER with vendor class
"raise-me" raises inside Engine.handle). In-process, the loop is fed real DHCP payloads through a socket
stand-in; in the lab, `serve` runs as a user starts it and a crafted client sends the packets. Either
way: the bad packets are counted in pkt4-processing-failed and pkt4-receive-drop, logged at ERROR with one
traceback for the kind of failure, and the next client is served.

And apply_config (the one road into service for SIGHUP, config-set, config-reload): what can fail is done
before the swap, so a configuration whose log output cannot be opened is refused whole and the running one
keeps serving, logging where it did.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from edge.dhcp4.config import load_data
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.netif.datagrams import RxDatagram
from edge.server.dhcp4 import Dhcp4Service as Server
from edge.wire import pkt4 as wire
from tests.dhcp4.helpers import SERVER, client_packet, mac
from tests.server import faulty_serve

SUBNET = {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.150"}]}


@pytest.fixture
def planted():
    saved = faulty_serve.Engine.handlers
    faulty_serve.plant()
    yield
    faulty_serve.Engine.handlers = saved


def _discover(n: int, vendor: bytes = b"") -> bytes:
    options = {60: vendor} if vendor else {}
    return wire.encode(client_packet(wire.DHCPDISCOVER, mac(n), xid=n, broadcast=True, options=options))


class _Socket:
    """What the socket manager hands the loop: readable (a pipe byte) while datagrams are queued."""

    def __init__(self, payloads: list[bytes]) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.queue = list(payloads)
        os.write(self.write_fd, b"x")

    def fileno(self) -> int:
        return self.read_fd

    def recv(self) -> RxDatagram | None:
        if not self.queue:
            os.read(self.read_fd, 1)  # drained: no longer readable
            return None
        return RxDatagram(self.queue.pop(0), "eth0", 2, mac(99), None, 0, 0xFFFFFFFF, 68, 67)


def test_a_packet_that_raises_is_counted_logged_once_and_dropped(planted, caplog) -> None:
    config = load_data({"Dhcp4": {"interfaces-config": {"interfaces": []}, "subnet4": [SUBNET]}})
    server = Server(config, MemoryLeaseStore4())
    sock = _Socket([_discover(1, faulty_serve.TRIGGER), _discover(2), _discover(3, faulty_serve.TRIGGER)])
    sent: list[Any] = []
    server.manager.sockets = lambda: [sock]  # type: ignore[method-assign]
    server.manager.local_addresses = lambda ifname: [SERVER]  # type: ignore[method-assign]
    server.manager.send = lambda ifname, tx: sent.append(tx)  # type: ignore[method-assign]
    done = threading.Event()
    turns: list[int] = []

    def tick() -> None:  # the loop still turns after the faults
        turns.append(len(sent))
        if not sock.queue and len(turns) >= 3:
            done.set()

    server.loop.call_every(0.01, tick)
    caplog.set_level(logging.DEBUG, logger="edge")
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        assert done.wait(10), "the loop stopped turning"
    finally:
        server.stop()
        thread.join(10)
    assert not thread.is_alive() and server.loop.exit_code == 0
    assert [wire.decode(tx.payload).xid for tx in sent] == [2]  # the good client got its OFFER
    assert server.stats.get("pkt4-processing-failed") == 2
    assert server.stats.get("pkt4-receive-drop") == 2
    errors = [r for r in caplog.records if "DHCP4_PACKET_PROCESS_STD_EXCEPTION" in r.getMessage()]
    assert [r.levelno for r in errors] == [
        logging.ERROR,
        logging.DEBUG,
    ]  # one traceback for one kind of fault
    assert errors[0].exc_info is not None and "planted fault" in errors[0].getMessage()
    os.close(sock.read_fd)
    os.close(sock.write_fd)


def test_a_timer_or_reader_that_raises_does_not_stop_the_loop(caplog) -> None:
    config = load_data({"Dhcp4": {"interfaces-config": {"interfaces": []}, "subnet4": [SUBNET]}})
    server = Server(config, MemoryLeaseStore4())
    read_fd, write_fd = os.pipe()
    calls = {"reader": 0, "timer": 0}
    done = threading.Event()

    def bad_reader(fd: int) -> None:
        os.read(fd, 1)
        calls["reader"] += 1
        raise KeyError("planted reader fault")

    def bad_timer() -> None:
        calls["timer"] += 1
        if calls["timer"] == 2:
            os.write(write_fd, b"x")
        if calls["timer"] >= 4 and calls["reader"]:
            done.set()
        raise ValueError("planted timer fault")

    server.loop.add_reader(read_fd, bad_reader)
    server.loop.call_every(0.01, bad_timer)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        assert done.wait(10), "the loop stopped turning"
    finally:
        server.stop()
        thread.join(10)
    assert calls["reader"] == 1 and calls["timer"] >= 4
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno == logging.ERROR]
    assert sorted(r.getMessage().split()[0] for r in tracebacks) == ["SERVER_LOOP_FAIL", "SERVER_TIMER_FAIL"]
    os.close(read_fd)
    os.close(write_fd)


def test_a_reload_whose_log_output_cannot_be_opened_changes_nothing(tmp_path: Path) -> None:
    good_log = tmp_path / "edge.log"
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the new log directory would have to be")

    def doc(log_path: Path, pool: str) -> dict[str, Any]:
        subnet = {**SUBNET, "pools": [{"pool": pool}]}
        loggers = [{"name": "kea-dhcp4", "output_options": [{"output": str(log_path)}], "severity": "INFO"}]
        return {"Dhcp4": {"interfaces-config": {"interfaces": []}, "subnet4": [subnet], "loggers": loggers}}

    first = load_data(doc(good_log, "192.0.2.100 - 192.0.2.150"))
    server = Server(first, MemoryLeaseStore4())
    assert server.apply_config(first)[0]
    second = load_data(doc(blocker / "sub" / "edge.log", "192.0.2.200 - 192.0.2.210"))
    ok, message = server.apply_config(second)
    assert not ok and "not applied" in message
    assert server.config is first  # the engine still serves the first configuration
    logging.getLogger("edge.server").warning("DHCP4_TEST still logging where the running configuration says")
    for handler in logging.getLogger("edge").handlers:
        handler.flush()
    assert "DHCP4_TEST still logging" in good_log.read_text()
    server.close()
    from edge.log import configure_logging

    configure_logging()


def test_a_reload_whose_dns_updater_cannot_be_made_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    from edge.ddns import service as ddns_service

    base = {"interfaces-config": {"interfaces": []}, "subnet4": [SUBNET]}
    first = load_data({"Dhcp4": base})
    server = Server(first, MemoryLeaseStore4())
    ddns = {"enable-updates": True, "server-ip": "127.0.0.1", "server-port": 53001}
    second = load_data({"Dhcp4": {**base, "dhcp-ddns": ddns}})

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("planted: no deliverer")

    monkeypatch.setattr(ddns_service, "make_deliverer", refuse)
    ok, message = server.apply_config(second)
    assert not ok and "planted" in message
    assert server.config is first and server.ddns is None
    server.close()
