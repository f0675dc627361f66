"""`edge-dhcp serve`: the event loop that joins the interfaces, the engine and the lease store.

Theory of operation:
- One thread, one `selectors` loop. It sleeps in select() until a packet, a signal or a timer is due: no
  busy polling (a Pi runs on a small power budget).
- Signals are turned into bytes on a self-pipe (signal.set_wakeup_fd) and handled in the loop, never inside
  a signal handler: SIGTERM/SIGINT stop cleanly (lease store closed = compacted), SIGHUP reloads the
  configuration file. A reload builds and validates the whole new snapshot, then the engine swaps one
  reference and the socket manager is rebuilt; on any error the running configuration keeps serving.
- The socket manager owns interface state (open, retrying, missing); the loop asks it when the next retry
  is due and uses that as the select() timeout.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import struct
import threading
import time
from typing import Any

from edge.config.model import Config
from edge.engine.engine import Engine, Inbound, Outbound
from edge.leases.memfile import MemfileLeaseStore
from edge.leases.store import LeaseStore, MemoryLeaseStore
from edge.server.logs import configure_logging
from edge.stats import Statistics

log = logging.getLogger("edge.server")

DEFAULT_LEASE_FILE = "/var/lib/edge-dhcp/dhcp4.leases"


def _as_int(address: Any) -> int:
    if address is None:
        return 0
    if isinstance(address, int):
        return address
    if isinstance(address, bytes | bytearray):
        return struct.unpack("!I", bytes(address))[0] if len(address) == 4 else 0
    parts = [int(p) for p in str(address).split(".")]
    return parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]


def load_config(path: str | None) -> Config:
    """The configuration file, or the built-in default for the first interface with an address."""
    from edge.config.loader import load_data, load_file

    if path:
        return load_file(path)
    from edge.config.defaults import builtin_default, first_interface

    found = first_interface()
    if found is None:
        raise RuntimeError("no interface with an IPv4 address found for the built-in default configuration")
    ifname, address, prefix_len = found
    return load_data(builtin_default(ifname, address, prefix_len), source="<built-in default>")


def open_store(config: Config, override: str | None = None) -> LeaseStore:
    database = config.lease_database
    if not database.persist and not override:
        return MemoryLeaseStore()
    return MemfileLeaseStore(override or database.name or DEFAULT_LEASE_FILE, persist=True)


class _Timer:
    __slots__ = ("interval", "callback", "name", "due")

    def __init__(self, interval: float, callback: Any, name: str, now: float) -> None:
        self.interval = interval
        self.callback = callback
        self.name = name
        self.due = now + interval


class Server:
    def __init__(
        self,
        config: Config,
        store: LeaseStore,
        config_path: str | None = None,
        clock: Any = time.time,
        monotonic: Any = time.monotonic,
    ) -> None:
        from edge.netif.manager import SocketManager

        self._manager_class = SocketManager
        self.config_path = config_path
        self.clock = clock
        self.monotonic = monotonic
        self.stats = Statistics(clock)
        self.store = store
        self.engine = Engine(config, store, self.stats)
        self.engine.recount(clock())
        self.manager = self._make_manager(config)
        self.started = monotonic()
        self.reloaded = monotonic()
        self._running = False
        self._exit_code = 0
        self._selector = selectors.DefaultSelector()
        self._registered: dict[int, Any] = {}
        self._readers: dict[int, Any] = {}  # fd -> callback(fd), e.g. control sockets
        self._timers: list[_Timer] = []
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    def _make_manager(self, config: Config) -> Any:
        specs = [(spec.name, spec.address) for spec in config.interfaces]
        return self._manager_class(
            specs,
            config.dhcp_socket_type,
            config.service_sockets_retry_wait_time,
            config.service_sockets_max_retries,
            config.re_detect,
        )

    # ------------------------------------------------------------------ reload
    def reload(self) -> bool:
        try:
            config = load_config(self.config_path)
        except Exception as exc:  # a bad file must never stop a running server
            log.error("DHCP4_CONFIG_LOAD_FAIL configuration reload failed; the running configuration stays "
                      "in service:\n%s", exc)
            return False
        try:
            manager = self._make_manager(config)
            self.engine.reconfigure(config)
        except Exception as exc:
            log.error("DHCP4_CONFIG_LOAD_FAIL cannot apply the new configuration (%s); keeping the old one", exc)
            return False
        old, self.manager = self.manager, manager
        self._unregister_all()
        old.close()
        configure_logging(config.loggers)
        self.reloaded = self.monotonic()
        log.info("DHCP4_CONFIG_COMPLETE configuration reloaded from %s: %d subnet(s)",
                 config.source or "<built-in default>", len(config.subnets))
        return True

    # ------------------------------------------------------------------ hooks for other services
    def add_reader(self, fd: int, callback: Any) -> None:
        """Call `callback(fd)` from the loop whenever `fd` is readable (control sockets, child pipes)."""
        self._readers[fd] = callback
        self._selector.register(fd, selectors.EVENT_READ, ("reader", callback))

    def remove_reader(self, fd: int) -> None:
        if self._readers.pop(fd, None) is not None:
            try:
                self._selector.unregister(fd)
            except (KeyError, ValueError):
                pass

    def call_every(self, interval: float, callback: Any, name: str = "") -> _Timer:
        """Run `callback()` from the loop every `interval` seconds (0 or less: never). Returns the timer,
        whose `interval` may be changed (e.g. on reload) and which `cancel_timer` removes."""
        timer = _Timer(interval, callback, name or getattr(callback, "__name__", "timer"), self.monotonic())
        self._timers.append(timer)
        return timer

    def cancel_timer(self, timer: _Timer) -> None:
        if timer in self._timers:
            self._timers.remove(timer)

    def _run_timers(self) -> float | None:
        """Run the timers that are due; return seconds until the next one (None: no timers)."""
        now = self.monotonic()
        soonest: float | None = None
        for timer in list(self._timers):
            if timer.interval <= 0:
                continue
            if now >= timer.due:
                try:
                    timer.callback()
                except Exception:
                    log.exception("DHCP4_TIMER_FAIL timer %s failed", timer.name)
                timer.due = now + timer.interval
            wait = max(0.0, timer.due - now)
            soonest = wait if soonest is None else min(soonest, wait)
        return soonest

    # ------------------------------------------------------------------ loop
    def _unregister_all(self) -> None:
        for fd in list(self._registered):
            try:
                self._selector.unregister(fd)
            except (KeyError, ValueError):
                pass
        self._registered.clear()

    def _sync_sockets(self) -> None:
        current = {sock.fileno(): sock for sock in self.manager.sockets()}
        for fd in list(self._registered):
            if fd not in current or current[fd] is not self._registered[fd]:
                try:
                    self._selector.unregister(fd)
                except (KeyError, ValueError):
                    pass
                del self._registered[fd]
        for fd, sock in current.items():
            if fd not in self._registered:
                self._selector.register(fd, selectors.EVENT_READ, sock)
                self._registered[fd] = sock

    def _dispatch(self, sock: Any) -> None:
        while True:
            try:
                rx = sock.recv()
            except BlockingIOError:
                return
            except OSError as exc:
                log.warning("DHCP4_BUFFER_RECEIVE_FAIL error receiving a packet: %s", exc)
                return
            if rx is None:
                return
            inbound = Inbound(
                ifname=rx.ifname,
                ifindex=rx.ifindex,
                src_ip=_as_int(rx.src_ip),
                dst_ip=_as_int(rx.dst_ip),
                src_port=rx.src_port,
                src_mac=rx.src_mac or b"",
                local_addresses=tuple(_as_int(a) for a in self.manager.local_addresses(rx.ifname)),
            )
            outbound = self.engine.handle(rx.payload, inbound, self.clock())
            if outbound is not None:
                self._send(outbound)

    def _send(self, out: Outbound) -> None:
        from edge.netif.datagrams import Transmit

        tx = Transmit(
            payload=out.payload,
            dst_ip=out.dst_ip,
            dst_port=out.dst_port,
            dst_mac=out.dst_mac,
            src_ip=out.src_ip,
        )
        try:
            self.manager.send(out.ifname, tx)
        except OSError as exc:
            log.warning("DHCP4_PACKET_SEND_FAIL cannot send %r: %s", out, exc)

    def _sockets_required_but_failed(self) -> bool:
        """`service-sockets-require-all`: give up (as Kea does) once the retries for a missing socket are spent."""
        if not self.engine.config.service_sockets_require_all:
            return False
        status = self.manager.status()
        if status["status"] != "failed":
            return False
        names = ", ".join(error["interface"] for error in status["errors"])
        log.error("DHCP4_OPEN_SOCKETS_FAILED service-sockets-require-all is set and sockets could not be opened "
                  "on: %s; shutting down", names)
        return True

    def _on_signals(self) -> None:
        try:
            data = os.read(self._wake_r, 64)
        except BlockingIOError:
            return
        for signum in data:
            if signum in (signal.SIGTERM, signal.SIGINT):
                log.info("DHCP4_SHUTDOWN_REQUEST signal %d received, shutting down", signum)
                self._running = False
            elif signum == signal.SIGHUP:
                log.info("DHCP4_DYNAMIC_RECONFIGURATION SIGHUP received, reloading %s", self.config_path)
                self.reload()

    def stop(self) -> None:
        self._running = False
        os.write(self._wake_w, b"\0")

    def run(self) -> int:
        previous = {}
        old_wakeup = None
        # Signals can only be taken over from the main thread (tests run the loop in another one).
        handle_signals = threading.current_thread() is threading.main_thread()
        if handle_signals:
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                previous[signum] = signal.signal(signum, lambda *_: None)
            old_wakeup = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._running = True
        log.info("DHCP4_STARTED edge-dhcp serving %d subnet(s), %d lease(s) in store",
                 len(self.engine.config.subnets), len(self.store))
        try:
            while self._running:
                timeout = self.manager.open_pending(self.monotonic())
                if self._sockets_required_but_failed():
                    self._exit_code = 1
                    break
                self._sync_sockets()
                timer_wait = self._run_timers()
                if timer_wait is not None:
                    timeout = timer_wait if timeout is None else min(timeout, timer_wait)
                for key, _ in self._selector.select(timeout):
                    if key.data is None:
                        self._on_signals()
                    elif isinstance(key.data, tuple):
                        key.data[1](key.fd)
                    else:
                        self._dispatch(key.data)
        finally:
            if handle_signals:
                signal.set_wakeup_fd(old_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.close()
        log.info("DHCP4_SHUTDOWN edge-dhcp stopped")
        return self._exit_code

    def close(self) -> None:
        self._unregister_all()
        for fd in list(self._readers):
            self.remove_reader(fd)
        try:
            self._selector.unregister(self._wake_r)
        except (KeyError, ValueError):
            pass
        self.manager.close()
        self.store.close()


def run_server(config_path: str | None, lease_file: str | None = None, control_socket: str | None = None) -> int:
    configure_logging()
    try:
        config = load_config(config_path)
    except Exception as exc:
        log.error("DHCP4_INIT_FAIL cannot start: %s", exc)
        return 1
    configure_logging(config.loggers)
    for warning in config.warnings:
        log.warning("DHCP4_CONFIG_WARNING %s", warning)
    try:
        store = open_store(config, lease_file)
    except Exception as exc:
        log.error("DHCP4_INIT_FAIL cannot open the lease database: %s", exc)
        return 1
    server = Server(config, store, config_path)
    return server.run()
