"""Logging set-up: Kea-style lines to the outputs the configuration's `loggers` name.

Every message starts with a Kea-style id (`DHCP4_LEASE_ALLOC ...`) so operators can grep. The line format
mirrors Kea's default pattern: time, severity, [logger/pid], message.

`loggers` entries are matched by name: `kea-dhcp4` (Kea's root name) and `edge-dhcp` configure the root of
our loggers; `kea-dhcp4.<x>` / `edge-dhcp.<x>` configure `edge.<x>`. Outputs: `stdout`, `stderr`,
`syslog[:name]`, or a file path (rotated at `maxsize` bytes keeping `maxver` old files, as Kea does).

Performance: at INFO the server logs every OFFER and ACK (DHCP4_LEASE_ADVERT, DHCP4_LEASE_ALLOC), as Kea does,
so a record must be cheap. `KeaFormatter` writes the FORMAT line directly, making the date string once per
second, and the logging module is told not to look up what the lines never show (the caller's file and
line, the thread name, the multiprocessing name: logging HOWTO, "Optimization").
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
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


def _handler_for(output: str, maxsize: int, maxver: int) -> logging.Handler:
    if output == "stdout":
        return logging.StreamHandler(sys.stdout)
    if output == "stderr":
        return logging.StreamHandler(sys.stderr)
    if output.startswith("syslog"):
        facility = output.partition(":")[2] or "edge-dhcp"
        address = "/dev/log" if os.path.exists("/dev/log") else ("localhost", 514)
        handler = logging.handlers.SysLogHandler(address=address)
        handler.ident = facility + ": "
        return handler
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    if maxsize > 0:
        return logging.handlers.RotatingFileHandler(output, maxBytes=maxsize, backupCount=max(maxver, 1))
    return logging.FileHandler(output)


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
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter)
        root.addHandler(handler)
