"""Log lines: the fast formatter writes exactly what the stock Formatter with FORMAT writes, and while the
server loop runs, outputs are flushed once per turn (ERROR lines and other threads' lines at once)."""

from __future__ import annotations

import logging
import os
import sys
import threading

import pytest

from edge import log as logs
from edge.config.model import Logger, LoggerOutput


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
            "edge.dhcp4", logging.INFO, "DHCP4_LEASE_ALLOC %s: lease %s", "00:0c:01:02:03:04", "198.18.1.0"
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
    log = logging.getLogger("edge.dhcp4")
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
    stock = logging.LogRecord("edge.dhcp4", logging.INFO, "/x/y/mod.py", 7, "m %s", args, None, "f", None)
    fast = logs.FastLogRecord("edge.dhcp4", logging.INFO, "/x/y/mod.py", 7, "m %s", args, None, "f", None)
    assert fast.__dict__ == stock.__dict__


# ---------------------------------------------------------------------------------------------- Lines


FIXED = 1_800_000_000.25


def only_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take pytest's log capture handlers (it adds them to non-propagating loggers such as `edge`) off the
    `edge` logger for this test: with them the short road is rightly not taken."""
    root = logging.getLogger("edge")
    for handler in list(root.handlers):
        if not isinstance(handler, logs._DeferredFlush):
            root.removeHandler(handler)  # pytest's own removal at the end of the phase is then a no-op


def test_lines_write_the_ordinary_line_the_short_way(
    output: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_ours(monkeypatch)
    monkeypatch.setattr(logs.time, "time", lambda: FIXED)
    log = logging.getLogger("edge.dhcp4")
    lines = logs.Lines(log)
    assert lines._current(), "with our outputs only, the short road is taken"
    args = ("00:0c:01:02:03:04", "198.18.1.0", 3600, "SELECTING")
    fmt = "DHCP4_LEASE_ALLOC %s: lease %s has been allocated for %d seconds (%s)"
    log.info(fmt, *args)
    lines.info(fmt, *args)
    first, second = output.flushed.splitlines()
    assert first == second
    assert " INFO  [edge-dhcp.dhcp4/%d] " % os.getpid() in first
    assert first.endswith(
        "DHCP4_LEASE_ALLOC 00:0c:01:02:03:04: lease 198.18.1.0 has been allocated for 3600 "
        "seconds (SELECTING)"
    )


def test_lines_wait_for_the_turn_like_the_ordinary_lines(
    output: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_ours(monkeypatch)
    lines = logs.Lines(logging.getLogger("edge.dhcp4"))
    assert lines._current()
    logs.defer_flushes(True)
    lines.info("DHCP4_LEASE_ADVERT %s", "one")
    assert "one" in output.buffer and "one" not in output.flushed
    logs.flush_pending()
    assert "one" in output.flushed
    worker = threading.Thread(target=lambda: lines.info("DHCP4_FROM_WORKER %s", "two"))
    worker.start()
    worker.join()
    assert "two" in output.flushed
    logs.defer_flushes(False)


def test_lines_keep_severity_and_logging_disable(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Recorder()
    monkeypatch.setattr(sys, "stdout", stream)
    logs.configure_logging((Logger("kea-dhcp4", "WARN", outputs=(LoggerOutput("stdout"),)),))
    try:
        lines = logs.Lines(logging.getLogger("edge.dhcp4"))
        lines.info("DHCP4_LEASE_ADVERT %s", "hidden")
        assert stream.flushed + stream.buffer == ""
        logs.configure_logging((Logger("kea-dhcp4", "INFO", outputs=(LoggerOutput("stdout"),)),))
        only_ours(monkeypatch)
        assert lines._current()
        logging.disable(logging.INFO)
        try:
            lines.info("DHCP4_LEASE_ADVERT %s", "disabled")
        finally:
            logging.disable(logging.NOTSET)
        assert "disabled" not in stream.flushed + stream.buffer
        lines.info("DHCP4_LEASE_ADVERT %s", "shown")
        assert "shown" in stream.flushed
    finally:
        logs.configure_logging()


def test_lines_reach_a_handler_added_later_through_the_ordinary_road(
    output: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_ours(monkeypatch)
    seen: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    lines = logs.Lines(logging.getLogger("edge.dhcp4"))
    lines.info("DHCP4_LEASE_ADVERT %s", "first")
    collector = Collect()
    root = logging.getLogger("edge")
    root.addHandler(collector)
    try:
        lines.info("DHCP4_LEASE_ADVERT %s", "second")
    finally:
        root.removeHandler(collector)
    lines.info("DHCP4_LEASE_ADVERT %s", "third")
    assert [r.getMessage() for r in seen] == ["DHCP4_LEASE_ADVERT second"]
    assert [line.rsplit(" ", 1)[1] for line in output.flushed.splitlines()] == ["first", "second", "third"]


def test_rotating_output_rotates_as_the_stock_handler(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The same lines through the stock RotatingFileHandler and through our output (ordinary and short
    road mixed, one line with non-ASCII text) leave the same files, byte for byte."""
    import logging.handlers

    monkeypatch.setattr(logs.time, "time", lambda: FIXED)
    (tmp_path / "stock").mkdir()
    stock = logging.handlers.RotatingFileHandler(
        tmp_path / "stock" / "dhcp4.log", maxBytes=1500, backupCount=1
    )
    stock.setFormatter(logging.Formatter(logs.FORMAT, logs.DATEFMT))
    stock.addFilter(logs._ShortName())
    ours_path = tmp_path / "ours" / "dhcp4.log"
    logs.configure_logging(
        (Logger("kea-dhcp4", "INFO", outputs=(LoggerOutput(str(ours_path), maxsize=1500, maxver=1),)),)
    )
    try:
        only_ours(monkeypatch)
        log = logging.getLogger("edge.dhcp4")
        lines = logs.Lines(log)
        assert lines._current()
        for i in range(41):
            text = "host-é" if i == 17 else "host-%d" % i
            stock.handle(
                logging.LogRecord("edge.dhcp4", logging.INFO, __file__, 1, "DHCP4_X %d %s", (i, text), None)
            )
            (lines.info if i % 3 else log.info)("DHCP4_X %d %s", i, text)
    finally:
        stock.close()
        logs.configure_logging()
    for name in ("dhcp4.log", "dhcp4.log.1"):
        assert (ours_path.parent / name).read_bytes() == (tmp_path / "stock" / name).read_bytes(), name
    assert (ours_path.parent / "dhcp4.log.1").stat().st_size > 1000  # it did rotate


def test_lines_with_arguments_that_do_not_fit_do_not_raise(
    output: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_ours(monkeypatch)
    lines = logs.Lines(logging.getLogger("edge.dhcp4"))
    lines.info("DHCP4_X %d addresses", "not a number")  # logging reports it (on stderr), as log.info would
    lines.info("DHCP4_Y 100% sure")  # no arguments: a lone % is text
    assert output.flushed.endswith("DHCP4_Y 100% sure\n")


def test_unbuffered_stdout_gets_a_buffer_flushed_per_turn(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Under python -u (stdout writing each line through to the file) the output still waits for the loop's
    turn: one write for the burst, not one per line."""
    import io

    path = tmp_path / "stdout"
    raw = io.FileIO(str(path), "w")
    console = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)  # what python -u makes of stdout
    monkeypatch.setattr(sys, "stdout", console)
    logs.configure_logging((Logger("kea-dhcp4", "INFO", outputs=(LoggerOutput("stdout"),)),))
    try:
        only_ours(monkeypatch)
        log = logging.getLogger("edge.dhcp4")
        log.info("DHCP4_BEFORE not deferred yet")
        assert path.read_text().count("\n") == 1
        logs.defer_flushes(True)
        log.info("DHCP4_LEASE_ADVERT one")
        logs.Lines(log).info("DHCP4_LEASE_ALLOC %s", "two")
        assert path.read_text().count("\n") == 1, "written before the turn ended"
        logs.flush_pending()
        after = path.read_text().splitlines()
        assert len(after) == 3
        assert after[1].endswith("DHCP4_LEASE_ADVERT one") and after[2].endswith("DHCP4_LEASE_ALLOC two")
        log.error("DHCP4_URGENT at once")
        assert "DHCP4_URGENT" in path.read_text()
    finally:
        logs.defer_flushes(False)
        logs.configure_logging()
        console.close()
