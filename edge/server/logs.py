"""Logging set-up: Kea-style lines to the outputs the configuration's `loggers` name.

Every message starts with a Kea-style id (`DHCP4_LEASE_ALLOC ...`) so operators can grep. The line format
mirrors Kea's default pattern: time, severity, [logger/pid], message.

`loggers` entries are matched by name: `kea-dhcp4` (Kea's root name) and `edge-dhcp` configure the root of
our loggers; `kea-dhcp4.<x>` / `edge-dhcp.<x>` configure `edge.<x>`. Outputs: `stdout`, `stderr`,
`syslog[:name]`, or a file path (rotated at `maxsize` bytes keeping `maxver` old files, as Kea does).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys

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
    formatter = logging.Formatter(FORMAT, DATEFMT)
    short = _ShortName()
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
            handler.addFilter(short)
            target.addHandler(handler)
    if not configured_root or not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter)
        handler.addFilter(short)
        root.addHandler(handler)
