"""The server's one event loop: readers, timers and signals, and the services that plug into it.

Rules:
- One thread, one `selectors` loop. It sleeps in select() until a reader is ready, a signal arrives or a
  timer is due: no busy polling (a Pi runs on a small power budget).
- Signals become bytes on a self-pipe (signal.set_wakeup_fd) and are handled in the loop, never inside a
  signal handler: SIGTERM/SIGINT stop the loop cleanly, SIGHUP calls every service's `reload`.
- Everything else is a service (a DHCP family, later HA's partner link): it registers readers and timers
  and, once per turn before the loop sleeps, gets `turn(now)`, which returns how long it may sleep at most
  (None: no limit), or raises `StopLoop` to end the run. A new service is a new object, not an edit here.
- A callback that raises is logged once with its traceback and counted as its service says; the loop goes
  on (a net, not a fix: each case it catches is a bug to mend).
- The timers are walked only when the soonest one is due (call_every and cancel_timer ask for a walk at
  once); log lines are written out once per turn, before the loop waits (edge/log.py).
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import threading
import time
from collections.abc import Callable
from typing import Protocol

from edge.log import defer_flushes, flush_pending

__all__ = ["Loop", "Service", "StopLoop", "Timer"]

log = logging.getLogger("edge.server")

Reader = Callable[[int], None]


class StopLoop(Exception):
    """Raised by a service's turn() to end the run with `exit_code`."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


class Service(Protocol):
    """What the loop asks of a service once per turn, on SIGHUP and at the end."""

    def turn(self, now: float) -> float | None: ...

    def reload(self) -> bool: ...

    def close(self) -> None: ...


class Timer:
    __slots__ = ("interval", "callback", "name", "due")

    def __init__(self, interval: float, callback: Callable[[], object], name: str, now: float) -> None:
        self.interval = interval
        self.callback = callback
        self.name = name
        self.due = now + interval


class Loop:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.services: list[Service] = []
        self._selector = selectors.DefaultSelector()
        self._readers: dict[int, Reader] = {}
        self._timers: list[Timer] = []
        self._timers_next = 0.0  # monotonic time of the next timer pass
        self._running = False
        self._exit_code = 0
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)

    # ------------------------------------------------------------------ readers
    def add_reader(self, fd: int, callback: Reader) -> None:
        """Call `callback(fd)` from the loop whenever `fd` is readable."""
        self._readers[fd] = callback
        self._selector.register(fd, selectors.EVENT_READ, callback)

    def set_writable(self, fd: int, wanted: bool) -> None:
        """Also call a reader's callback when `fd` can be written (a connection with output pending)."""
        callback = self._readers.get(fd)
        if callback is not None:
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if wanted else 0)
            self._selector.modify(fd, events, callback)

    def remove_reader(self, fd: int) -> None:
        if self._readers.pop(fd, None) is not None:
            try:
                self._selector.unregister(fd)
            except (KeyError, ValueError):
                pass

    def has_reader(self, fd: int) -> bool:
        return fd in self._readers

    # ------------------------------------------------------------------ timers
    def call_every(self, interval: float, callback: Callable[[], object], name: str = "") -> Timer:
        """Run `callback()` from the loop every `interval` seconds (0 or less: never). Returns the timer,
        whose `interval` may be changed (e.g. on reload) and which `cancel_timer` removes."""
        timer = Timer(interval, callback, name or getattr(callback, "__name__", "timer"), self.monotonic())
        self._timers.append(timer)
        self._timers_next = 0.0
        return timer

    def cancel_timer(self, timer: Timer) -> None:
        if timer in self._timers:
            self._timers.remove(timer)
        self._timers_next = 0.0

    def timers_changed(self) -> None:
        """Intervals may have changed (a reload): walk the timers on the next turn."""
        self._timers_next = 0.0

    def _run_timers(self) -> None:
        now = self.monotonic()
        soonest: float | None = None
        self._timers_next = -1.0  # a callback's call_every/cancel_timer sets 0.0: walk again next turn
        for timer in list(self._timers):
            if timer.interval <= 0:
                continue
            if now >= timer.due:
                try:
                    timer.callback()
                except Exception:
                    log.exception("SERVER_TIMER_FAIL timer %s failed", timer.name)
                timer.due = now + timer.interval
            wait = max(0.0, timer.due - now)
            soonest = wait if soonest is None else min(soonest, wait)
        if self._timers_next != 0.0:
            self._timers_next = now + soonest if soonest is not None else float("inf")

    # ------------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        """True from the moment run() starts turning until it is stopped."""
        return self._running

    def stop(self, exit_value: int = 0) -> None:
        self._exit_code = exit_value
        self._running = False
        try:
            os.write(self._wake_w, b"\0")
        except BlockingIOError:
            pass  # the pipe is full: the loop wakes anyway

    def _on_signals(self) -> None:
        try:
            data = os.read(self._wake_r, 64)
        except BlockingIOError:
            return
        for signum in data:
            if signum in (signal.SIGTERM, signal.SIGINT):
                log.info("SERVER_SHUTDOWN_REQUEST signal %d received, shutting down", signum)
                self._running = False
            elif signum == signal.SIGHUP:
                log.info("SERVER_DYNAMIC_RECONFIGURATION SIGHUP received, reloading")
                for service in self.services:
                    service.reload()

    def _dispatch(self, callback: Reader, fd: int) -> None:
        try:
            callback(fd)
        except Exception:
            # The services guard their own callbacks (they know what to count); this is the last net.
            log.exception("SERVER_CALLBACK_FAIL callback for fd %d failed", fd)

    def run(self) -> int:
        """Serve until stopped; returns the exit code. Closes every service at the end."""
        previous = {}
        old_wakeup = None
        # Signals can only be taken over from the main thread (tests run the loop in another one).
        handle_signals = threading.current_thread() is threading.main_thread()
        if handle_signals:
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                previous[signum] = signal.signal(signum, lambda *_: None)
            old_wakeup = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        self._running = True
        defer_flushes(True)  # log lines are written out once per turn, before the loop waits
        try:
            while self._running:
                now = self.monotonic()
                timeout: float | None = None
                try:
                    for service in self.services:
                        wait = service.turn(now)
                        if wait is not None:
                            timeout = wait if timeout is None else min(timeout, wait)
                except StopLoop as stop:
                    self._exit_code = stop.exit_code
                    break
                if now >= self._timers_next:
                    self._run_timers()
                    now = self.monotonic()
                if self._timers_next != float("inf"):
                    timer_wait = max(0.0, self._timers_next - now)
                    timeout = timer_wait if timeout is None else min(timeout, timer_wait)
                flush_pending()
                for key, _ in self._selector.select(timeout):
                    callback = key.data
                    if callback is None:
                        self._on_signals()
                    else:
                        self._dispatch(callback, key.fd)
        finally:
            defer_flushes(False)
            if handle_signals:
                signal.set_wakeup_fd(old_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.close()
        return self._exit_code

    def close(self) -> None:
        for service in self.services:
            service.close()
        for fd in list(self._readers):
            self.remove_reader(fd)
        try:
            self._selector.unregister(self._wake_r)
        except (KeyError, ValueError):
            pass
