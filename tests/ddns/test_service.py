"""The DDNS service without a network: queue order, back-off while nobody answers, give-up on refusal,
the worker thread reporting through the loop's pipe, and attach/detach on reload."""

from __future__ import annotations

import logging
import os
import select
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from edge.config.d2 import DdnsSettings
from edge.ddns import service as service_module
from edge.ddns.names import NameHandler
from edge.ddns.ncr import CHG_ADD, NameChangeRequest
from edge.ddns.outcome import DONE, FAILED, RETRY, Outcome
from edge.ddns.service import DdnsService, attach
from edge.dhcp4.config import load_data


def ncr(n: int) -> NameChangeRequest:
    return NameChangeRequest(
        CHG_ADD,
        True,
        True,
        f"h{n}.home.example.",
        f"192.0.2.{n}",
        b"\x00\x00\x01" + bytes(32),
        1_900_000_000,
        600,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Script:
    """A deliverer that answers from a list of statuses and remembers what it was given."""

    def __init__(self, *statuses: str) -> None:
        self.statuses = list(statuses)
        self.seen: list[str] = []

    def deliver(self, request: NameChangeRequest) -> Outcome:
        self.seen.append(request.fqdn)
        return Outcome(self.statuses.pop(0) if self.statuses else DONE, "scripted")


class FakeServer:
    def __init__(self, config: Any, store: Any = None) -> None:
        self.readers: dict[int, Any] = {}
        self.timers: list[Any] = []
        self.monotonic = Clock()
        self.engine = type("E", (), {"config": config, "ddns": None})()
        self.store = store
        self.ddns = None

    def add_reader(self, fd: int, callback: Any) -> None:
        self.readers[fd] = callback

    def remove_reader(self, fd: int) -> None:
        self.readers.pop(fd, None)

    def call_every(self, interval: float, callback: Any, name: str = "") -> Any:
        self.timers.append(callback)
        return callback

    def cancel_timer(self, timer: Any) -> None:
        self.timers.remove(timer)

    def run_until_idle(self, service: DdnsService, rounds: int = 20) -> None:
        """What the loop does: wait for the worker's byte, call the reader."""
        for _ in range(rounds):
            if service._busy is None:
                return
            ready, _, _ = select.select(list(self.readers), [], [], 5)
            for fd in ready:
                self.readers[fd](fd)


def kea_d2_config() -> Any:
    return load_data({"Dhcp4": {"dhcp-ddns": {"enable-updates": True}}})


def make(tmp_path: Path, deliverer: Script) -> tuple[DdnsService, FakeServer]:
    config = kea_d2_config()
    server = FakeServer(config)
    svc = DdnsService(config, str(tmp_path / "leases.ddns-queue"), server.monotonic)
    svc.deliverer = deliverer
    svc.start(server)
    return svc, server


def test_requests_are_delivered_in_order_by_the_worker(tmp_path: Path) -> None:
    script = Script()
    svc, server = make(tmp_path, script)
    for n in (1, 2, 3):
        svc.submit(ncr(n))
        server.run_until_idle(svc)
    assert script.seen == ["h1.home.example.", "h2.home.example.", "h3.home.example."]
    assert len(svc.queue) == 0 and svc.delivered == 3
    svc.close()


def test_retry_backs_off_and_keeps_order_then_resumes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "edge.ddns")
    script = Script(RETRY, RETRY, RETRY)
    svc, server = make(tmp_path, script)
    svc.submit(ncr(1))
    svc.submit(ncr(2))
    delays = []
    for _ in range(3):
        server.run_until_idle(svc)
        delays.append(svc._next_attempt - server.monotonic.now)
        svc.pump()  # not due yet: nothing happens
        assert svc._busy is None
        server.monotonic.now = svc._next_attempt
        svc.pump()
    server.run_until_idle(svc)
    server.run_until_idle(svc)
    assert delays == [1.0, 2.0, 4.0]
    assert script.seen == ["h1.home.example."] * 4 + ["h2.home.example."]
    assert len(svc.queue) == 0
    assert "DHCP_DDNS_ADD_RETRY" in caplog.text and "DHCP_DDNS_RESUMED" in caplog.text
    svc.close()


def test_a_refused_request_is_logged_and_dropped_not_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script(FAILED)
    svc, server = make(tmp_path, script)
    svc.submit(ncr(1))
    svc.submit(ncr(2))
    server.run_until_idle(svc)
    server.run_until_idle(svc)
    assert script.seen == ["h1.home.example.", "h2.home.example."]
    assert svc.failed == 1 and "DHCP_DDNS_ADD_FAILED" in caplog.text
    svc.close()


def test_what_is_queued_at_close_is_there_at_the_next_start(tmp_path: Path) -> None:
    svc, server = make(tmp_path, Script(RETRY))
    svc.submit(ncr(1))
    server.run_until_idle(svc)
    svc.submit(ncr(2))
    svc.close()
    again, server = make(tmp_path, Script())
    server.run_until_idle(again)
    server.run_until_idle(again)
    assert len(again.queue) == 0 and again.delivered == 2
    again.close()


def test_a_deliverer_bug_keeps_the_request(tmp_path: Path) -> None:
    class Broken:
        def deliver(self, request: NameChangeRequest) -> Outcome:
            raise RuntimeError("boom")

    svc, server = make(tmp_path, Script())
    svc.deliverer = Broken()
    svc.submit(ncr(1))
    server.run_until_idle(svc)
    assert len(svc.queue) == 1 and svc._delay == 1.0
    svc.close()


def test_attach_follows_enable_updates_across_reloads(tmp_path: Path) -> None:
    off = load_data({"Dhcp4": {}})
    loop = FakeServer(off)
    handler = NameHandler(lambda: off)
    path = str(tmp_path / "dhcp4.leases") + service_module.QUEUE_SUFFIX
    on_reclaim: list[Any] = []

    def attach_for(config: Any, current: DdnsService | None) -> DdnsService | None:
        return attach(current, config, handler, loop, path, on_reclaim, loop.monotonic)

    assert attach_for(off, None) is None and handler.sink is None  # names still answered
    svc = attach_for(kea_d2_config(), None)
    assert svc is not None and handler.sink == svc.submit and on_reclaim == [svc.remove_for]
    assert svc.handler is handler and os.path.exists(path)
    changed = replace(kea_d2_config(), ddns=DdnsSettings(enable_updates=True, server_port=53011))
    assert attach_for(changed, svc) is svc and svc.settings.server_port == 53011  # reconfigured, same queue
    assert on_reclaim == [svc.remove_for]  # hooked once
    assert attach_for(off, svc) is None and handler.sink is None and on_reclaim == []
    assert loop.readers == {}
