"""Log lines: the fast formatter writes exactly what the stock Formatter with FORMAT writes, and while the
server loop runs, outputs are flushed once per turn (ERROR lines and other threads' lines at once)."""

from __future__ import annotations

import logging
import sys
import threading

import pytest

from edge.config.model import Logger, LoggerOutput
from edge.server import logs


def record(name: str, level: int, msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


@pytest.mark.parametrize(
    "rec",
    [
        record(
            "edge.engine", logging.INFO, "DHCP4_LEASE_ALLOC %s: lease %s", "00:0c:01:02:03:04", "198.18.1.0"
        ),
        record("edge", logging.WARNING, "DHCP4_X plain %d%%", 5),
        record("other.module", logging.ERROR, "DHCP4_Y no args"),
        record("edge.leases", logging.DEBUG, "DHCP4_Z %r and %s", [1, "two"], 3.5),
        record("edge.server", logging.ERROR, "DHCP4_TIMER_FAIL timer %s failed", "x", exc=True),
    ],
)
def test_kea_formatter_writes_what_the_stock_formatter_writes(rec: logging.LogRecord) -> None:
    stock = logging.Formatter(logs.FORMAT, logs.DATEFMT)
    logs._ShortName().filter(rec)
    expected = stock.format(rec)
    fresh = logging.LogRecord(
        rec.name, rec.levelno, rec.pathname, rec.lineno, rec.msg, rec.args, rec.exc_info
    )
    fresh.created, fresh.msecs = rec.created, rec.msecs
    assert logs.KeaFormatter().format(fresh) == expected


class Recorder:
    """A stream that tells written-but-unflushed text from flushed text."""

    def __init__(self) -> None:
        self.buffer = ""
        self.flushed = ""

    def write(self, text: str) -> int:
        self.buffer += text
        return len(text)

    def flush(self) -> None:
        self.flushed += self.buffer
        self.buffer = ""


@pytest.fixture
def output(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    stream = Recorder()
    monkeypatch.setattr(sys, "stdout", stream)
    logs.configure_logging((Logger("kea-dhcp4", "INFO", outputs=(LoggerOutput("stdout"),)),))
    yield stream
    logs.defer_flushes(False)
    logs.configure_logging()


def test_loop_lines_wait_for_the_turn_and_errors_do_not(output: Recorder) -> None:
    log = logging.getLogger("edge.engine")
    log.info("DHCP4_BEFORE not deferred yet")
    assert "DHCP4_BEFORE" in output.flushed
    logs.defer_flushes(True)
    log.info("DHCP4_LEASE_ADVERT one")
    log.info("DHCP4_LEASE_ALLOC two")
    assert "DHCP4_LEASE_ADVERT" in output.buffer and "DHCP4_LEASE_ADVERT" not in output.flushed
    log.error("DHCP4_LEASE_STORE_FAIL urgent")  # flushes everything written so far
    assert "DHCP4_LEASE_STORE_FAIL" in output.flushed and "DHCP4_LEASE_ALLOC" in output.flushed
    log.info("DHCP4_LEASE_ADVERT three")
    assert "three" not in output.flushed
    logs.flush_pending()
    assert "three" in output.flushed and output.buffer == ""
    worker = threading.Thread(target=lambda: log.info("DHCP4_FROM_WORKER another thread"))
    worker.start()
    worker.join()
    assert "DHCP4_FROM_WORKER" in output.flushed  # nobody would flush it for the worker
    log.info("DHCP4_LAST before the loop ends")
    logs.defer_flushes(False)
    assert "DHCP4_LAST" in output.flushed


@pytest.mark.parametrize(
    "args",
    [
        ("00:0c:01:02:03:04", "198.18.1.0"),
        (),
        ({"a": 1},),  # a single mapping becomes the args, as in the stock record
        ({},),
        (0,),
        ([1, 2],),
    ],
)
def test_fast_log_record_has_the_stock_record_attributes(
    args: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging, "logThreads", False)
    monkeypatch.setattr(logging, "logMultiprocessing", False)
    monkeypatch.setattr(logs.time, "time", lambda: 1_800_000_000.25)
    stock = logging.LogRecord("edge.engine", logging.INFO, "/x/y/mod.py", 7, "m %s", args, None, "f", None)
    fast = logs.FastLogRecord("edge.engine", logging.INFO, "/x/y/mod.py", 7, "m %s", args, None, "f", None)
    assert fast.__dict__ == stock.__dict__
