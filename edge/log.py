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

The per-exchange lines take a shorter road still: `Lines(logger).info(fmt, *args)` (the engine's OFFER and ACK
lines) writes the very line `KeaFormatter` would make straight to the outputs, without a LogRecord, when
every output the record would reach is one of ours (stream, file or rotating file, KeaFormatter, no
filters) — the usual case once `configure_logging` ran. What it checks per line is cheap: the logger is
enabled for the level (logging's own cached test, which honours `logging.disable`), and the handler lists
along the logger's propagation chain are still the ones the plan was made from. Anything else (a handler
someone added, such as pytest's, syslog, a filter) takes the ordinary `logging` call, so severity,
outputs and rotation mean what they always meant. The rotating file output keeps its size itself instead
of asking the file system twice and formatting the record a second time per line (the stock
RotatingFileHandler.shouldRollover does both); it rotates under the same condition.
"""

from __future__ import annotations

import collections.abc
import io
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
            self._date,
            record.msecs,
            record.levelname,
            short,
            record.process,
            message,
        )

    def date(self, created: float) -> str:
        """The date part of a line made at `created` (the cache `format` uses)."""
        second = int(created)
        if second != self._second:
            self._date = time.strftime(DATEFMT, self.converter(created))
            self._second = second
        return self._date


_pid = os.getpid()  # the process id the lines show, kept here (os.getpid is a system call on glibc)


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


class Lines:
    """Lines of one logger written the short way (see the module docstring): `Lines(log).info(fmt, *args)`
    means `log.info(fmt, *args)`, and writes the same text to the same outputs."""

    __slots__ = ("logger", "short", "_chain", "_handlers", "_formats")

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        name = logger.name
        self.short = name[5:] if name.startswith("edge.") else name
        self._chain: tuple[tuple[logging.Logger, list[logging.Handler], bool], ...] = ()
        self._handlers: tuple[logging.Handler, ...] = ()
        self._formats: dict[tuple[int, str, bool], str] = {}

    def _plan(self) -> tuple[logging.Handler, ...]:
        """The handlers a record from our logger reaches, when every one can be written the short way;
        () when the ordinary road must be taken. The plan holds while `_chain` matches the loggers."""
        chain = []
        handlers: list[logging.Handler] = []
        logger: logging.Logger | None = self.logger
        while logger is not None:
            chain.append((logger, list(logger.handlers), logger.propagate))
            handlers.extend(logger.handlers)
            logger = logger.parent if logger.propagate else None  # type: ignore[assignment]
        self._chain = tuple(chain)
        short_way = (
            bool(handlers)
            and not self.logger.filters
            and all(
                isinstance(h, _DeferredFlush) and type(h.formatter) is KeaFormatter and not h.filters
                for h in handlers
            )
        )
        self._handlers = tuple(handlers) if short_way else ()
        return self._handlers

    def _current(self) -> tuple[logging.Handler, ...]:
        for logger, handlers, propagate in self._chain:
            if logger.handlers != handlers or logger.propagate is not propagate:
                return self._plan()
        if not self._chain or self.logger.filters:
            return self._plan()
        return self._handlers

    def info(self, msg: str, *args: object) -> None:
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        handlers = self._current()
        if handlers:
            try:
                self._write(handlers, logging.INFO, msg, args)
                return
            except (TypeError, ValueError, KeyError):
                pass  # the message and its arguments do not match: the ordinary road reports it
        logger.info(msg, *args, stacklevel=2)

    def _format(self, level: int, msg: str, with_args: bool) -> str:
        """FORMAT with the level name, logger and message put in: what remains is date, msecs, pid, args."""
        key = (level, msg, with_args)
        found = self._formats.get(key)
        if found is None:
            head = "%-5s [edge-dhcp.%s/" % (logging.getLevelName(level), self.short)
            found = (
                "%s.%03d " + head.replace("%", "%%") + "%d] " + (msg if with_args else msg.replace("%", "%%"))
            )
            if len(self._formats) < 256:
                self._formats[key] = found
        return found

    def _write(self, handlers: tuple[logging.Handler, ...], level: int, msg: str, args: tuple) -> None:
        """What Logger.callHandlers does for these handlers, without the record (made only if needed).
        Raises TypeError/ValueError/KeyError before writing anything if `msg % args` cannot be made."""
        logger = self.logger
        created = time.time()
        fmt = self._format(level, msg, bool(args))
        msecs = int((created - int(created)) * 1000)
        urgent = level >= logging.ERROR or threading.get_ident() != _deferring_thread
        for handler in handlers:
            if level < handler.level:
                continue
            formatter = handler.formatter
            if type(formatter) is not KeaFormatter:  # replaced since the plan was made: the general road
                handler.handle(logger.makeRecord(logger.name, level, "(unknown file)", 0, msg, args, None))
                continue
            text = fmt % ((formatter.date(created), msecs, _pid) + args) + handler.terminator  # type: ignore[attr-defined]
            with handler.lock:  # type: ignore[union-attr]
                try:
                    handler.write_line(text, urgent)  # type: ignore[attr-defined]
                except RecursionError:
                    raise
                except Exception:
                    handler.handleError(
                        logger.makeRecord(logger.name, level, "(unknown file)", 0, msg, args, None)
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

    def write_line(self, text: str, urgent: bool) -> None:
        """Write one formatted line (terminator included): to a fresh file first where the output rotates and
        the line would not fit, then flushed at once if `urgent`, else at the loop's turn. Lock held by the
        caller. emit() of the rotating output and Lines (the short road) both write this way."""
        roll_due = getattr(self, "roll_due", None)
        if roll_due is not None and roll_due(text):
            self.doRollover()  # type: ignore[attr-defined]
        if self.stream is None:  # type: ignore[attr-defined]
            self.stream = self._open()  # type: ignore[attr-defined]
        try:
            self.stream.write(text)  # type: ignore[attr-defined]
        except UnicodeEncodeError:  # a character the output cannot take (a lone surrogate): escaped, not lost
            self.stream.write(text.encode("ascii", "backslashreplace").decode("ascii"))  # type: ignore[attr-defined]
        self._urgent = urgent
        self.flush()

    def emit(self, record: logging.LogRecord) -> None:
        # StreamHandler.emit, through write_line (one place that writes, and escapes what cannot be encoded).
        try:
            self.write_line(self.format(record) + self.terminator, self._urgent)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

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
            """Rotates when the file's size plus the line reaches maxBytes, as the stock handler does, with
            the size kept here (re-read from the file after each open) rather than looked up per line."""

            _size: int | None = None  # bytes in the file as far as we wrote it; None: ask the file
            _regular = True  # a regular file (never rotate anything else: CPython bpo-45401)

            def _open(self):  # type: ignore[no-untyped-def]
                self._size = None
                return super()._open()

            def roll_due(self, text: str) -> bool:
                """Whether `text` (a formatted line with its terminator) must go to a fresh file."""
                if self.maxBytes <= 0:
                    return False
                if self.stream is None:
                    self.stream = self._open()
                size = self._size
                if size is None:
                    name = self.baseFilename
                    self._regular = not os.path.exists(name) or os.path.isfile(name)
                    self.stream.seek(0, 2)
                    size = self.stream.tell()
                if not self._regular:
                    return False
                if size + len(text) >= self.maxBytes:
                    self._size = None
                    return True
                # What the write adds: the characters, when they are bytes one for one; else ask again.
                self._size = size + len(text) if text.isascii() else None
                return False

            def shouldRollover(self, record: logging.LogRecord) -> bool:  # type: ignore[override]
                return self.roll_due(self.format(record) + self.terminator)

            emit = _DeferredFlush.emit  # not RotatingFileHandler's: write_line rolls over itself

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


def _buffered(stream: object) -> object:
    """`stream` (sys.stdout or sys.stderr), or, when it writes each line through to its file at once (python
    -u or PYTHONUNBUFFERED, or a terminal's line buffering), a buffered writer of our own on the same file
    descriptor: a system call per log line is what the per-turn flush (module docstring) saves, and the lines
    still leave before the loop waits, at ERROR at once, and when the output is closed."""
    if not (getattr(stream, "write_through", False) or getattr(stream, "line_buffering", False)):
        return stream
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
        return io.TextIOWrapper(
            io.BufferedWriter(io.FileIO(fd, "w", closefd=False)),
            encoding=stream.encoding,  # type: ignore[attr-defined]
            errors=stream.errors,  # type: ignore[attr-defined]
        )
    except (AttributeError, OSError, ValueError):
        return stream


def _handler_for(output: str, maxsize: int, maxver: int) -> logging.Handler:
    if output == "stdout":
        return _StreamHandler(_buffered(sys.stdout))
    if output == "stderr":
        return _StreamHandler(_buffered(sys.stderr))
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
    prepare_logging(loggers, default_level).install()


class LoggingPlan:
    """Log outputs opened for a configuration, not yet in use: `install()` (cannot fail) puts them in place
    of the current ones, `close()` drops them (the reload they were for failed)."""

    def __init__(self, install: collections.abc.Callable[[], None], handlers: list[logging.Handler]) -> None:
        self.install = install
        self._handlers = handlers

    def close(self) -> None:
        for handler in self._handlers:
            handler.close()


def prepare_logging(loggers: tuple[Logger, ...] = (), default_level: int = logging.INFO) -> LoggingPlan:
    """Open every output `loggers` name. Opening may fail (OSError: a log directory that cannot be made, a
    file that cannot be opened); then nothing has changed and what was opened is closed again. Installing
    the plan cannot fail, so a reload prepares its logging before it swaps the configuration in
    (edge/server/main.py apply_config)."""
    formatter = KeaFormatter()  # works out the short logger name itself: no per-record filter
    built: list[tuple[Logger, list[logging.Handler]]] = []
    try:
        for entry in loggers:
            handlers: list[logging.Handler] = []
            built.append((entry, handlers))
            for output in entry.outputs or ():
                handler = _handler_for(output.output, output.maxsize, output.maxver)
                handler.setFormatter(formatter)
                handlers.append(handler)
    except BaseException:
        for _, handlers in built:
            for handler in handlers:
                handler.close()
        raise
    opened = [handler for _, handlers in built for handler in handlers]
    return LoggingPlan(lambda: _install(built, default_level, formatter), opened)


def _install(
    built: list[tuple[Logger, list[logging.Handler]]], default_level: int, formatter: KeaFormatter
) -> None:
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
    configured_root = False
    for entry, handlers in built:
        target = logging.getLogger(_target(entry.name))
        if target is not root:
            for handler in list(target.handlers):
                target.removeHandler(handler)
                handler.close()
            target.propagate = not entry.outputs
        else:
            configured_root = True
        target.setLevel(_SEVERITY.get(entry.severity.upper(), logging.INFO))
        for handler in handlers:
            target.addHandler(handler)
    if not configured_root or not root.handlers:
        handler = _StreamHandler(sys.stderr)
        handler.setFormatter(formatter)
        root.addHandler(handler)
