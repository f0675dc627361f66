"""The DDNS service inside `edge-dhcp serve`: the persistent queue, the worker that delivers it, retries.

Rules this module keeps:
- Nothing here blocks the packet loop. The engine's name handler appends a request to the queue (one
  write) and returns; delivery happens in ONE worker thread, one request at a time, in queue order. The
  thread is there because a delivery blocks: the built-in updater waits for DNS answers (dnspython's
  query functions block, and one request is up to four exchanges, each up to `dns-server-timeout`), and
  the D2 sender waits to see whether D2 refused the datagram. The worker never touches the queue or the
  leases: it gets one request, returns one outcome through a pipe the loop watches (`add_reader`), and
  the loop thread alone records it. So the queue has one writer and needs no lock.
- Nothing is forgotten: a request leaves the queue only when it was applied, or failed for a reason a
  retry cannot change (the DNS server refused it, e.g. a name conflict or a bad key), which is logged as
  an error. While no DNS server (or no D2) answers, the head of the queue is retried with back-off
  (1 s, doubling, at most RETRY_MAX) and everything behind it waits in order; across a restart the queue
  file brings them back.
- Reloading keeps the queue: a new D2 configuration takes effect with the next request.

Theory of operation: `attach(...)` is called by the family service at start-up and after every reload,
with the engine's NameHandler (which always exists: names are answered even with updates off). When
`dhcp-ddns.enable-updates` is true it makes or reconfigures the DdnsService (the family service keeps it as
`ddns`), whose `submit` is the handler's sink. `DdnsService.remove_for(lease)` is the one call other parts
use to take a lease's names out of DNS (lease4-del with update-ddns, expired-lease reclamation).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue as stdqueue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from edge.config.d2 import MODE_BUILT_IN, MODE_OFF, DdnsSettings
from edge.config.model import DaemonConfig
from edge.ddns.d2client import D2Sender
from edge.ddns.names import Lease, NameHandler
from edge.ddns.ncr import NameChangeRequest
from edge.ddns.outcome import DONE, FAILED, RETRY, Outcome
from edge.ddns.queue import QueueFull, UpdateQueue

log = logging.getLogger("edge.ddns")

__all__ = ["DdnsService", "Hooks", "attach", "discard", "make_deliverer", "prepare", "queue_path_for"]

RETRY_FIRST = 1.0
RETRY_MAX = 16.0
TICK = 1.0
QUEUE_SUFFIX = ".ddns-queue"


class _Worker(threading.Thread):
    """Delivers one request at a time; reports through `results` and a byte on the pipe."""

    def __init__(self, notify_fd: int) -> None:
        super().__init__(name="edge-ddns", daemon=True)
        self.jobs: stdqueue.Queue[Any] = stdqueue.Queue()
        self.results: deque[tuple[int, NameChangeRequest, Outcome]] = deque()
        self.notify_fd = notify_fd

    def run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            ident, ncr, deliverer = job
            try:
                outcome = deliverer.deliver(ncr)
            except Exception as exc:  # a bug must not kill the thread: keep the request, log, retry
                log.exception("DHCP_DDNS_DELIVERY_ERROR delivering %s failed unexpectedly", ncr.describe())
                outcome = Outcome(RETRY, f"internal error: {exc}")
            self.results.append((ident, ncr, outcome))
            with contextlib.suppress(OSError):
                os.write(self.notify_fd, b"\0")


class DdnsService:
    def __init__(
        self,
        config: DaemonConfig,
        queue_path: str | None,
        monotonic: Callable[[], float] = time.monotonic,
        confirm_wait: float = 0.1,
        deliverer: Any = None,
    ) -> None:
        self.monotonic = monotonic
        self.confirm_wait = confirm_wait
        self.settings = config.ddns
        self.queue = UpdateQueue(queue_path, config.ddns.max_queue_size)
        self.deliverer = deliverer if deliverer is not None else self._make_deliverer(config.ddns)
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        os.set_blocking(self._write_fd, False)
        self._worker = _Worker(self._write_fd)
        self._worker.start()
        self._busy: int | None = None  # id of the request the worker has
        self._delay = 0.0
        self._next_attempt = 0.0
        self._failures_logged = 0
        self.delivered = 0
        self.failed = 0
        self._loop: Hooks | None = None
        self.handler: NameHandler | None = None  # the engine's name handler whose sink this is (attach)
        self._timer: Any = None

    # -- wiring
    def _make_deliverer(self, settings: DdnsSettings) -> Any:
        return make_deliverer(settings, self.confirm_wait)

    def start(self, loop: Hooks) -> None:
        self._loop = loop
        loop.add_reader(self._read_fd, self._on_result)
        self._timer = loop.call_every(TICK, self.pump, "ddns-retry")
        mode = (
            "built-in RFC 2136 updates"
            if self.settings.mode == MODE_BUILT_IN
            else (f"NameChangeRequests to Kea D2 at {self.settings.server_ip}:{self.settings.server_port}")
        )
        log.info(
            "DHCPSRV_DHCP_DDNS_SENDER_STARTED DNS updates on: %s; %d waiting in the queue",
            mode,
            len(self.queue),
        )
        self.pump()

    def reconfigure(self, config: DaemonConfig, deliverer: Any = None) -> None:
        if config.ddns != self.settings:
            old = self.deliverer
            self.settings = config.ddns
            self.deliverer = deliverer if deliverer is not None else self._make_deliverer(config.ddns)
            self.queue.max_size = config.ddns.max_queue_size or self.queue.max_size
            if isinstance(old, D2Sender) and self._busy is None:
                old.close()
            self._delay = 0.0
            self._next_attempt = 0.0
        self.pump()

    def close(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self._read_fd)
            if self._timer is not None:
                self._loop.cancel_timer(self._timer)
        self._worker.jobs.put(None)
        self._worker.join(timeout=2.0)  # an exchange in flight stays queued and is redone next start
        if isinstance(self.deliverer, D2Sender):
            self.deliverer.close()
        try:
            self.queue.close(compact=True)
        except OSError as exc:  # the journal as it stands is still complete
            log.warning("DHCPSRV_DHCP_DDNS_QUEUE_WRITE_FAIL cannot compact the DNS update queue: %s", exc)
            self.queue.close()
        for fd in (self._read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        if len(self.queue):
            log.info(
                "DHCPSRV_DHCP_DDNS_SENDER_STOPPED %d DNS update(s) kept for the next start", len(self.queue)
            )

    # -- the sink and the public removal call
    def submit(self, ncr: NameChangeRequest) -> None:
        try:
            self.queue.append(ncr)
        except QueueFull as exc:
            log.error("DHCPSRV_DHCP_DDNS_QUEUE_FULL %s: %s dropped", exc, ncr.describe())
            return
        except OSError as exc:
            log.error("DHCPSRV_DHCP_DDNS_QUEUE_WRITE_FAIL cannot record %s: %s", ncr.describe(), exc)
            return
        log.debug("DHCPSRV_DHCP_DDNS_NCR_QUEUED %s", ncr.describe())
        self.pump()

    def remove_for(self, lease: Lease) -> bool:
        """Queue the removal of `lease`'s names (lease4-del with update-ddns, reclamation). True if the
        lease had names in DNS to remove."""
        handler = self.handler
        if handler is None or handler.sink is None:
            return False
        return handler.lease_removed(lease)

    # -- delivery
    def pump(self) -> None:
        if self._busy is not None:
            return
        head = self.queue.head()
        if head is None or self.monotonic() < self._next_attempt:
            return
        ident, ncr = head
        self._busy = ident
        self._worker.jobs.put((ident, ncr, self.deliverer))

    def _on_result(self, fd: int) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while os.read(fd, 256):
                pass
        while self._worker.results:
            ident, ncr, outcome = self._worker.results.popleft()
            self._busy = None
            self._record(ident, ncr, outcome)
        self.pump()

    def _record(self, ident: int, ncr: NameChangeRequest, outcome: Outcome) -> None:
        verb = "ADD" if ncr.is_add else "REMOVE"
        if outcome.status == RETRY:
            self._delay = RETRY_FIRST if self._delay == 0 else min(self._delay * 2, RETRY_MAX)
            self._next_attempt = self.monotonic() + self._delay
            self._failures_logged += 1
            level = (
                logging.WARNING if self._failures_logged <= 3 or self._delay >= RETRY_MAX else logging.DEBUG
            )
            log.log(
                level,
                "DHCP_DDNS_%s_RETRY %s: %s; %d update(s) waiting, next try in %.0f s",
                verb,
                ncr.describe(),
                outcome.detail,
                len(self.queue),
                self._delay,
            )
            return
        try:
            self.queue.done(ident)
        except (OSError, ValueError) as exc:
            log.error(
                "DHCPSRV_DHCP_DDNS_QUEUE_WRITE_FAIL cannot record the end of %s: %s", ncr.describe(), exc
            )
            return
        if self._failures_logged:
            log.info(
                "DHCP_DDNS_RESUMED the DNS server answers again after %d failed attempt(s)",
                self._failures_logged,
            )
        self._delay = 0.0
        self._next_attempt = 0.0
        self._failures_logged = 0
        if outcome.status == DONE:
            self.delivered += 1
            if isinstance(self.deliverer, D2Sender):
                log.info("DHCPSRV_DHCP_DDNS_NCR_SENT %s sent to D2", ncr.describe())
            else:
                log.info(
                    "DHCP_DDNS_%s_SUCCEEDED %s%s",
                    verb,
                    ncr.describe(),
                    f" ({outcome.detail})" if outcome.detail else "",
                )
        else:
            assert outcome.status == FAILED
            self.failed += 1
            log.error("DHCP_DDNS_%s_FAILED %s: %s", verb, ncr.describe(), outcome.detail)

    def status(self) -> dict[str, Any]:
        return {
            "mode": self.settings.mode,
            "queued": len(self.queue),
            "delivered": self.delivered,
            "failed": self.failed,
            "retrying": self._delay > 0,
        }


def queue_path_for(store: Any) -> str | None:
    path = store.persistent_path
    if not path:
        return None
    return path + QUEUE_SUFFIX


def make_deliverer(settings: DdnsSettings, confirm_wait: float = 0.1) -> Any:
    """What delivers the updates `settings` ask for (may raise: dnspython missing, a key it refuses)."""
    if settings.mode == MODE_BUILT_IN:
        from edge.ddns.rfc2136 import Rfc2136Updater  # dnspython: loaded only when it is used

        assert settings.d2 is not None
        return Rfc2136Updater(settings.d2)
    return D2Sender(settings, confirm_wait)


def prepare(current: DdnsService | None, config: DaemonConfig) -> Any:
    """What `attach` will need for `config` and could fail to make, made now, before the configuration is
    swapped in (FamilyService.apply_config): the deliverer, when `config` changes the DNS settings in
    force. None when nothing new is needed. Raises what making it raises; nothing is changed."""
    if config.ddns.mode == MODE_OFF:
        return None
    if current is not None and current.settings == config.ddns:
        return None
    return make_deliverer(config.ddns)


def discard(deliverer: Any) -> None:
    """A prepared deliverer that will not be used (the reload failed later)."""
    if isinstance(deliverer, D2Sender):
        deliverer.close()


class Hooks(Protocol):
    """The loop hooks the DDNS service runs on (edge/server/loop.py provides them)."""

    def add_reader(self, fd: int, callback: Callable[[int], None]) -> None: ...

    def remove_reader(self, fd: int) -> None: ...

    def call_every(self, interval: float, callback: Callable[[], object], name: str = "") -> Any: ...

    def cancel_timer(self, timer: Any) -> None: ...


def attach(
    current: DdnsService | None,
    config: DaemonConfig,
    handler: NameHandler,
    loop: Hooks,
    queue_path: str | None,
    on_reclaim: list[Callable[[Lease], object]],
    monotonic: Callable[[], float],
    deliverer: Any = None,
) -> DdnsService | None:
    """The DDNS service for `config` (None while updates are off): `current` reconfigured, or a new one
    started on `loop`, or `current` stopped. The engine's name `handler` gets the service's sink, and the
    service is hooked to expired-lease reclamation (`on_reclaim`). Called at start-up and after each
    successful reload, with what `prepare` made for it."""
    if config.ddns.mode == MODE_OFF:
        handler.sink = None
        if current is not None:
            if current.remove_for in on_reclaim:
                on_reclaim.remove(current.remove_for)
            current.close()
            log.info(
                "DHCPSRV_DHCP_DDNS_SENDER_STOPPED DNS updates are off (dhcp-ddns.enable-updates is false)"
            )
        return None
    service = current
    if service is None:
        try:
            service = DdnsService(config, queue_path, monotonic, deliverer=deliverer)
        except OSError as exc:  # the lease directory works (the store opened), so this is rare
            log.error(
                "DHCPSRV_DHCP_DDNS_QUEUE_OPEN_FAIL cannot open %s (%s); DNS updates are queued in memory "
                "only and a restart loses the ones not yet delivered",
                queue_path,
                exc,
            )
            service = DdnsService(config, None, monotonic, deliverer=deliverer)
        service.start(loop)
    else:
        service.reconfigure(config, deliverer)
    service.handler = handler
    handler.sink = service.submit
    if service.remove_for not in on_reclaim:
        on_reclaim.append(service.remove_for)
    return service
