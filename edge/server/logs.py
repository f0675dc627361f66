"""Logging set-up: Kea-style lines to the outputs the configuration's `loggers` name.

Every message starts with a Kea-style id (`DHCP4_LEASE_ALLOC ...`) so operators can grep. The line format
mirrors Kea's default pattern: time, severity, [logger/pid], message.

`loggers` entries are matched by name: `kea-dhcp4` (Kea's root name) and `edge-dhcp` configure the root of
our loggers; `kea-dhcp4.<x>` / `edge-dhcp.<x>` configure `edge.<x>`. Outputs: `stdout`, `stderr`,
`syslog[:name]`, or a file path (rotated at `maxsize` bytes keeping `maxver` old files, as Kea does).

Performance: at INFO the server logs every OFFER and ACK (DHCP4_LEASE_ADVERT, DHCP4_LEASE_ALLOC), as Kea does,
so a record must be cheap. `KeaFormatter` writes the FORMAT line directly, making the date string once per
second, and the logging module is told not to look up what the lines never show (the caller's file and
line, the thread name, the multiprocessing name: logging HOWTO, "Optimization"); records are made by
`FastLogRecord` (the same attributes, less work per record: logging.setLogRecordFactory). While the server loop runs
(`defer_flushes(True)`), stream and file outputs are flushed once per turn of the loop, before it waits
(`flush_pending()`), rather than after every line: one write for a burst of lines. Lines at ERROR and
above, lines from other threads, and closing a handler still flush at once.
"""

from __future__ import annotations

import collections.abc
import logging
import os
import sys
import threading
import time

from edge.config.model import Logger

FORMAT = "%(asctime)s.%(msecs)03d %(levelname)-5s [edge-dhcp.%(short)s/%(process)d] %(message)s"
DATEFMT = "%Y-%m-%d %H:%M:%S"

_SEVERITY = {
    "FATAL": logging.CRITICAL,
    "ERROR": logging.ERROR,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "INFO": logging.INFO,
    "DEBUG": logging.DEBUG,
    "NONE": logging.CRITICAL + 10,
}


class _ShortName(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.short = record.name[5:] if record.name.startswith("edge.") else record.name
        return True


_NOT_MAPPINGS = frozenset((str, int, float, bool, bytes, tuple, list, type(None)))
_file_and_module: dict[str, tuple[str, str]] = {}


class FastLogRecord(logging.LogRecord):
    """A LogRecord with exactly the attributes the stock one gets (CPython 3.11's LogRecord.__init__), made
    with less work: the file name and module split of a path is remembered, and the "single mapping
    argument" test skips the abstract-base-class check for plain values."""

    def __init__(  # noqa: PLR0913 - LogRecord's own signature
        self,
        name: str,
        level: int,
        pathname: str,
        lineno: int,
        msg: object,
        args: object,
        exc_info: object,
        func: str | None = None,
        sinfo: str | None = None,
        **kwargs: object,
    ) -> None:
        ct = time.time()
        self.name = name
        self.msg = msg
        if args and len(args) == 1:  # type: ignore[arg-type]
            first = args[0]  # type: ignore[index]
            if type(first) not in _NOT_MAPPINGS and isinstance(first, collections.abc.Mapping) and first:
                args = first
        self.args = args  # type: ignore[assignment]
        self.levelname = logging.getLevelName(level)
        self.levelno = level
        self.pathname = pathname
        split = _file_and_module.get(pathname)
        if split is None:
            try:
                filename = os.path.basename(pathname)
                split = (filename, os.path.splitext(filename)[0])
            except (TypeError, ValueError, AttributeError):
                split = (pathname, "Unknown module")
            if len(_file_and_module) < 1024:
                _file_and_module[pathname] = split
        self.filename, self.module = split
        self.exc_info = exc_info  # type: ignore[assignment]
        self.exc_text = None
        self.stack_info = sinfo
        self.lineno = lineno
        self.funcName = func  # type: ignore[assignment]
        self.created = ct
        self.msecs = int((ct - int(ct)) * 1000) + 0.0
        self.relativeCreated = (ct - logging._startTime) * 1000  # type: ignore[attr-defined]
        if logging.logThreads:
            self.thread = threading.get_ident()
            self.threadName = threading.current_thread().name
        else:
            self.thread = None
            self.threadName = None
        if not logging.logMultiprocessing:
            self.processName = None
        else:
            self.processName = "MainProcess"
            mp = sys.modules.get("multiprocessing")
            if mp is not None:
                try:
                    self.processName = mp.current_process().name
                except Exception:  # noqa: BLE001 - as the stock record: keep the default
                    pass
        self.process = os.getpid() if logging.logProcesses and hasattr(os, "getpid") else None


class KeaFormatter(logging.Formatter):
    """FORMAT, made without Formatter's general machinery: the same text, a fraction of the work. Records
    with exception or stack information take the general path."""

    def __init__(self) -> None:
        super().__init__(FORMAT, DATEFMT)
        self._second = -1
        self._date = ""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            if not hasattr(record, "short"):
                _ShortName().filter(record)
            return super().format(record)
        created = record.created
        second = int(created)
        if second != self._second:
            self._date = time.strftime(DATEFMT, self.converter(created))
            self._second = second
        record.message = message = record.getMessage()
        record.asctime = self._date
        short = getattr(record, "short", None)
        if short is None:
            name = record.name
            short = name[5:] if name.startswith("edge.") else name
        return "%s.%03d %-5s [edge-dhcp.%s/%d] %s" % (
            self._date, record.msecs, record.levelname, short, record.process, message
        )


_deferring_thread: int | None = None  # the server loop's thread while flushes are deferred
_pending: list[_DeferredFlush] = []


class _DeferredFlush(logging.Handler):
    """A stream or file handler whose flush waits for the loop's turn (see the module docstring)."""

    _urgent = True
    _queued = False

    def handle(self, record: logging.LogRecord) -> bool:
        self._urgent = record.levelno >= logging.ERROR or threading.get_ident() != _deferring_thread
        return super().handle(record)

    def flush(self) -> None:
        if not self._urgent and _deferring_thread is not None:
            if not self._queued:
                self._queued = True
                _pending.append(self)
            return
        super().flush()

    def flush_now(self) -> None:
        self._queued = False
        super().flush()

    def close(self) -> None:
        self._urgent = True
        super().close()


class _StreamHandler(_DeferredFlush, logging.StreamHandler):  # type: ignore[misc]
    pass


class _FileHandler(_DeferredFlush, logging.FileHandler):  # type: ignore[misc]
    pass


_rotating: type[logging.Handler] | None = None


def _rotating_handler_class() -> type[logging.Handler]:
    """The rotating file handler, made on first use: logging.handlers (with pickle and socket handlers)
    costs a serving process ~2 MB resident that outputs to stdout or one file never use."""
    global _rotating
    if _rotating is None:
        import logging.handlers

        class _RotatingFileHandler(_DeferredFlush, logging.handlers.RotatingFileHandler):  # type: ignore[misc]
            pass

        _rotating = _RotatingFileHandler
    return _rotating


def defer_flushes(on: bool) -> None:
    """The server loop starts (True: this thread's lines are flushed by flush_pending) or ends (False)."""
    global _deferring_thread
    _deferring_thread = threading.get_ident() if on else None
    if not on:
        flush_pending()


def flush_pending() -> None:
    """Write out what the outputs hold: the server loop calls this before it waits."""
    if not _pending:
        return
    handlers = _pending[:]
    _pending.clear()
    for handler in handlers:
        try:
            handler.flush_now()
        except (OSError, ValueError):
            pass  # a closed or broken output: the next line's own error handling reports it


def _handler_for(output: str, maxsize: int, maxver: int) -> logging.Handler:
    if output == "stdout":
        return _StreamHandler(sys.stdout)
    if output == "stderr":
        return _StreamHandler(sys.stderr)
    if output.startswith("syslog"):
        import logging.handlers

        facility = output.partition(":")[2] or "edge-dhcp"
        address = "/dev/log" if os.path.exists("/dev/log") else ("localhost", 514)
        handler = logging.handlers.SysLogHandler(address=address)
        handler.ident = facility + ": "
        return handler
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    if maxsize > 0:
        return _rotating_handler_class()(output, maxBytes=maxsize, backupCount=max(maxver, 1))  # type: ignore[call-arg]
    return _FileHandler(output)


def _target(name: str) -> str:
    for prefix in ("kea-dhcp4", "edge-dhcp"):
        if name == prefix:
            return "edge"
        if name.startswith(prefix + "."):
            return "edge." + name[len(prefix) + 1 :]
    return "edge." + name


def configure_logging(loggers: tuple[Logger, ...] = (), default_level: int = logging.INFO) -> None:
    """(Re)configure the `edge` logger tree. Called at start and after each successful reload."""
    root = logging.getLogger("edge")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(default_level)
    root.propagate = False
    # What no line shows is not looked up per record (the caller's frame walk is the dearest part).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logMultiprocessing = False
    if sys.version_info[:2] == (3, 11) and logging.getLogRecordFactory() is logging.LogRecord:
        logging.setLogRecordFactory(FastLogRecord)  # written against 3.11's LogRecord; others keep theirs
    formatter = KeaFormatter()  # works out the short logger name itself: no per-record filter
    configured_root = False
    for entry in loggers:
        target = logging.getLogger(_target(entry.name))
        if target is not root:
            for handler in list(target.handlers):
                target.removeHandler(handler)
                handler.close()
            target.propagate = not entry.outputs
        else:
            configured_root = True
        target.setLevel(_SEVERITY.get(entry.severity.upper(), logging.INFO))
        for output in entry.outputs or ():
            handler = _handler_for(output.output, output.maxsize, output.maxver)
            handler.setFormatter(formatter)
            target.addHandler(handler)
    if not configured_root or not root.handlers:
        handler = _StreamHandler(sys.stderr)
        handler.setFormatter(formatter)
        root.addHandler(handler)
