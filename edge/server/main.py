"""`edge-dhcp serve`: the event loop that joins the interfaces, the engine and the lease store.

Theory of operation:
- One thread, one `selectors` loop. It sleeps in select() until a packet, a signal or a timer is due: no
  busy polling (a Pi runs on a small power budget).
- Signals are turned into bytes on a self-pipe (signal.set_wakeup_fd) and handled in the loop, never inside
  a signal handler: SIGTERM/SIGINT stop cleanly (lease store closed = compacted), SIGHUP reloads the
  configuration file. A reload builds and validates the whole new snapshot, then the engine swaps one
  reference and the socket manager is rebuilt; on any error the running configuration keeps serving.
- `apply_config` is the one way a configuration goes into service (SIGHUP, config-set, config-reload):
  everything that can fail (control sockets opened, socket manager built, engine indexes built) happens
  before anything is swapped; leases of subnets the new configuration drops stay in the store and are
  reported.
- The control channel (edge/control) lives in the same loop through `add_reader`/`set_writable`; while
  `dhcp-disable` is in force, packets are read and dropped (counted as pkt4-receive-drop).
- The socket manager owns interface state (open, retrying, missing); the loop asks it when the next retry
  is due and uses that as the select() timeout.
- An ACK carries the lease store's change number it promises (`Outbound.wait_seq`); it is sent once the
  store's `durable_seq` reaches it (the store's wake-up fd is one of the loop's readers), and dropped —
  the client retries — if the store reports that change could not be made durable. Lease reclamation,
  the flush and the lease-file cleanup are timers of the loop (edge/leases/reclaim.py, `lease_timers`).
- The hot path (a packet in, a reply out) does no per-packet bookkeeping it can do per change: the
  interface addresses an `Inbound` carries are cached per interface, the sockets are re-registered only
  when the socket manager's `generation` moves (or the manager is replaced by a reload), and the timers
  are walked only when the soonest one is due (or after a reload, which may change their intervals).
"""

from __future__ import annotations

import gc
import logging
import os
import selectors
import signal
import struct
import threading
import time
from collections import deque
from dataclasses import replace
from typing import Any

from edge.config.model import ControlSocket
from edge.ddns.service import attach as attach_ddns
from edge.dhcp4.defaults import load_config
from edge.dhcp4.engine import Engine, Inbound, Outbound
from edge.dhcp4.model import Config4
from edge.leases.memfile import MemfileLeaseStore
from edge.leases.reclaim import LeaseMaintenance
from edge.leases.store import LeaseStore, MemoryLeaseStore
from edge.log import configure_logging, defer_flushes, flush_pending
from edge.netif.datagrams import Transmit
from edge.policy.hosts import HostsDatabaseError
from edge.stats import Statistics

log = logging.getLogger("edge.server")

DEFAULT_LEASE_FILE = "/var/lib/edge-dhcp/dhcp4.leases"
DHCPACK = 5
MAX_HELD_REPLIES = 4096  # ACKs waiting for the disk; beyond this the oldest are dropped (clients retry)
# Packets taken from one socket before the loop turns to its other work: under a flood the socket never runs
# dry, and the ACKs waiting for the disk, the timers and the control channel must still get their turn.
DISPATCH_BATCH = 32


def _as_int(address: Any) -> int:
    if address is None:
        return 0
    if isinstance(address, int):
        return address
    if isinstance(address, bytes | bytearray):
        return struct.unpack("!I", bytes(address))[0] if len(address) == 4 else 0
    parts = [int(p) for p in str(address).split(".")]
    return parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]


def release_free_memory() -> None:
    """Give the C library's free heap back to the system (glibc malloc_trim). Start-up and reloads parse the
    configuration and the lease file into short-lived objects; once they are gone a few MB stay in the
    process as free heap, which on a board with little memory is better given back. Elsewhere: nothing."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc


def open_store(config: Config4, override: str | None = None, sync: str | None = None) -> LeaseStore:
    """The lease store the configuration names; `override` replaces its file name and `sync` its
    lease-database.sync (`serve --lease-file` / `--lease-sync`: one configuration file, shared with Kea,
    which does not know the `sync` key, served in any durability mode)."""
    database = config.lease_database
    if not database.persist and not override:
        return MemoryLeaseStore()
    return MemfileLeaseStore(
        override or database.name or DEFAULT_LEASE_FILE, persist=True, sync=sync or database.sync
    )


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
        config: Config4,
        store: LeaseStore,
        config_path: str | None = None,
        clock: Any = time.time,
        monotonic: Any = time.monotonic,
        control_socket: str | None = None,
    ) -> None:
        from edge.control.service import ControlService
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
        self._synced: tuple[Any, int] | None = None  # (manager, generation) the registrations reflect
        self._local: dict[str, tuple[int, ...]] = {}  # ifname -> our addresses there, for Inbound
        self._timers_next = 0.0  # monotonic time of the next timer pass
        self._readers: dict[int, Any] = {}  # fd -> callback(fd), e.g. control sockets
        self._timers: list[_Timer] = []
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.control_socket = control_socket  # `serve --control-socket`: the unix socket path, whatever the file says
        self.dhcp_disabled_until: float | None = None  # monotonic deadline of dhcp-disable (inf: until enabled)
        self.control = ControlService(self, self, now=monotonic)
        # The lease store: ACKs held until their lease change is durable; reclaim, flush, compaction timers.
        self._held: deque[Outbound] = deque()
        if hasattr(store, "stats"):
            store.stats = self.stats  # the memfile store counts write errors (lease-store-write-errors)
        wake = store.wakeup_fd()
        if wake is not None:
            self.add_reader(wake, self._on_store_wakeup)
        self.lease_timers = LeaseMaintenance(store, self.stats, self.call_every, clock, monotonic)
        self.lease_timers.configure(config)
        # DNS names: the engine's name handler always; the update queue and its worker (server.ddns) while
        # dhcp-ddns.enable-updates is on (edge/ddns/service.py). Attached again after every reload.
        self.ddns: Any = None
        attach_ddns(self)

    @property
    def config(self) -> Config4:
        return self.engine.config

    def _make_manager(self, config: Config4) -> Any:
        specs = [(spec.name, spec.address) for spec in config.interfaces]
        return self._manager_class(
            specs,
            config.dhcp_socket_type,
            config.service_sockets_retry_wait_time,
            config.service_sockets_max_retries,
            config.re_detect,
        )

    # ------------------------------------------------------------------ reload
    def control_specs(self, config: Config4) -> tuple[ControlSocket, ...]:
        """The control sockets to serve for `config`, with the `--control-socket` override applied: it
        replaces the configured unix socket(s), or adds one."""
        if not self.control_socket:
            return config.control_sockets
        others = tuple(spec for spec in config.control_sockets if spec.socket_type != "unix")
        unix = [spec for spec in config.control_sockets if spec.socket_type == "unix"]
        base = unix[0] if unix else ControlSocket("unix")
        return (replace(base, socket_name=self.control_socket), *others)

    def open_control(self) -> tuple[bool, str]:
        """Open the control sockets of the configuration in force (at start-up)."""
        try:
            plan = self.control.prepare(self.control_specs(self.config))
        except Exception as exc:
            return False, str(exc)
        plan.commit()
        return True, ""

    def apply_config(self, config: Config4) -> tuple[bool, str]:
        """Put `config` in service, all or nothing; (ok, message). Everything that can fail is done before
        anything is swapped: new control sockets opened, the socket manager built, the engine's indexes
        built (Engine.reconfigure swaps one reference at its very end). On failure the running
        configuration keeps serving and the message says why."""
        origin = config.source or "<built-in default>"
        manager = None
        try:
            plan = self.control.prepare(self.control_specs(config))
        except Exception as exc:
            log.error("DHCP4_CONFIG_LOAD_FAIL %s not applied, the running configuration stays in service: %s",
                      origin, exc)
            return False, f"configuration not applied, the running one stays in service: {exc}"
        try:
            manager = self._make_manager(config)
            self.engine.reconfigure(config)
        except Exception as exc:
            plan.abort()
            if manager is not None:
                manager.close()
            log.error("DHCP4_CONFIG_LOAD_FAIL cannot apply the new configuration (%s); keeping the old one", exc)
            return False, f"configuration not applied, the running one stays in service: {exc}"
        plan.commit()
        old, self.manager = self.manager, manager
        self._unregister_all()
        old.close()
        configure_logging(config.loggers)
        self.lease_timers.configure(config)
        self._timers_next = 0.0  # intervals may have changed: walk the timers on the next turn
        attach_ddns(self)
        self.reloaded = self.monotonic()
        message = self._kept_leases_note(config)
        release_free_memory()
        log.info("DHCP4_CONFIG_COMPLETE configuration applied from %s: %d subnet(s)", origin, len(config.subnets))
        if message:
            log.warning("DHCP4_CONFIG_LEASES_KEPT %s", message)
        return True, message

    def _kept_leases_note(self, config: Config4) -> str:
        """Leases whose subnet the new configuration no longer has: kept, and said so."""
        known = {subnet.id for subnet in config.subnets}
        orphans: dict[int, int] = {}
        for lease in self.store.all():
            if lease.subnet_id not in known:
                orphans[lease.subnet_id] = orphans.get(lease.subnet_id, 0) + 1
        if not orphans:
            return ""
        ids = ", ".join(str(i) for i in sorted(orphans))
        return (f"{sum(orphans.values())} lease(s) of subnet(s) {ids}, which the new configuration does not have, "
                "are kept in the lease store (lease4-get-all lists them; lease4-wipe with their subnet-id "
                "removes them)")

    def reload_config(self) -> tuple[bool, str]:
        """Load the configuration file again (the built-in default without one) and apply it."""
        try:
            config = load_config(self.config_path)
        except Exception as exc:  # a bad file must never stop a running server
            log.error("DHCP4_CONFIG_LOAD_FAIL configuration reload failed; the running configuration stays "
                      "in service:\n%s", exc)
            return False, f"configuration reload failed, the running one stays in service:\n{exc}"
        return self.apply_config(config)

    def reload(self) -> bool:
        return self.reload_config()[0]

    # ------------------------------------------------------------------ hooks for other services
    def add_reader(self, fd: int, callback: Any) -> None:
        """Call `callback(fd)` from the loop whenever `fd` is readable (control sockets, child pipes)."""
        self._readers[fd] = callback
        self._selector.register(fd, selectors.EVENT_READ, ("reader", callback))

    def set_writable(self, fd: int, wanted: bool) -> None:
        """Also call a reader's callback when `fd` can be written (a connection with output pending)."""
        callback = self._readers.get(fd)
        if callback is not None:
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if wanted else 0)
            self._selector.modify(fd, events, ("reader", callback))

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
        self._timers_next = 0.0
        return timer

    def cancel_timer(self, timer: _Timer) -> None:
        if timer in self._timers:
            self._timers.remove(timer)
        self._timers_next = 0.0

    def _run_timers(self) -> float | None:
        """Run the timers that are due; return seconds until the next one (None: no timers)."""
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
                    log.exception("DHCP4_TIMER_FAIL timer %s failed", timer.name)
                timer.due = now + timer.interval
            wait = max(0.0, timer.due - now)
            soonest = wait if soonest is None else min(soonest, wait)
        # The next pass: when the soonest timer is due (call_every, cancel_timer and a reload, which may
        # change intervals, ask for one at once).
        if self._timers_next != 0.0:
            self._timers_next = now + soonest if soonest is not None else float("inf")
        return soonest

    # ------------------------------------------------------------------ loop
    def _unregister_all(self) -> None:
        for fd in list(self._registered):
            try:
                self._selector.unregister(fd)
            except (KeyError, ValueError):
                pass
        self._registered.clear()
        self._synced = None
        self._local.clear()

    def _sync_sockets(self) -> None:
        manager = self.manager
        self._synced = (manager, manager.generation)
        self._local.clear()  # interfaces and their addresses may have changed with the sockets
        current = {sock.fileno(): sock for sock in manager.sockets()}
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
        for _ in range(DISPATCH_BATCH):
            try:
                rx = sock.recv()
            except BlockingIOError:
                return
            except OSError as exc:
                log.warning("DHCP4_BUFFER_RECEIVE_FAIL error receiving a packet: %s", exc)
                return
            if rx is None:
                return
            if self.dhcp_disabled_until is not None and not self._dhcp_enabled_again():
                self.stats.inc("pkt4-received")
                self.stats.inc("pkt4-receive-drop")
                continue
            ifname = rx.ifname
            local = self._local.get(ifname)
            if local is None:
                local = self._local[ifname] = tuple(_as_int(a) for a in self.manager.local_addresses(ifname))
            src_ip, dst_ip = rx.src_ip, rx.dst_ip
            inbound = Inbound(
                ifname,
                rx.ifindex,
                src_ip if type(src_ip) is int else _as_int(src_ip),
                dst_ip if type(dst_ip) is int else _as_int(dst_ip),
                rx.src_port,
                rx.src_mac or b"",
                local,
            )
            outbound = self.engine.handle(rx.payload, inbound, self.clock())
            if outbound is not None:
                self._deliver(outbound)

    # ------------------------------------------------------------------ replies held for durability
    def _deliver(self, out: Outbound) -> None:
        """Send now, or hold until the lease change the reply promises is durable (edge/leases/memfile.py)."""
        if out.wait_seq <= self.store.durable_seq:
            self._send(out)
            return
        if len(self._held) >= MAX_HELD_REPLIES:
            self._drop_held(self._held.popleft(), "too many replies waiting for the disk")
        self._held.append(out)

    def _on_store_wakeup(self, fd: int) -> None:
        self._settle_held(self.store.poll())

    def _settle_held(self, events: list[tuple[int, bool]]) -> None:
        held = self._held
        for seq, ok in events:
            while held and held[0].wait_seq <= seq:
                out = held.popleft()
                if ok:
                    self._send(out)
                else:
                    self._drop_held(out, "its lease could not be written to disk")
        while held and held[0].wait_seq <= self.store.durable_seq:
            self._send(held.popleft())

    def _drop_held(self, out: Outbound, why: str) -> None:
        log.warning("DHCP4_PACKET_DROP_0014 %r not sent: %s", out, why)
        self.stats.inc("pkt4-sent", -1)  # the engine counted it when it built the reply
        if out.message_type == DHCPACK:
            self.stats.inc("pkt4-ack-sent", -1)
        self.stats.inc("pkt4-receive-drop")

    def _release_all_held(self) -> None:
        """At shutdown: make everything durable, send what is, drop what cannot be."""
        try:
            self.store.flush()
        except Exception as exc:
            log.error("DHCP4_LEASE_STORE_FAIL final sync failed: %s", exc)
        self._settle_held(self.store.poll())
        while self._held:
            self._drop_held(self._held.popleft(), "shutting down before its lease was on disk")

    def _dhcp_enabled_again(self) -> bool:
        """dhcp-disable's max-period ran out: serve again."""
        if self.monotonic() < (self.dhcp_disabled_until or 0.0):
            return False
        log.info("DHCP4_DHCP_ENABLED max-period of dhcp-disable elapsed, DHCP service enabled again")
        self.dhcp_disabled_until = None
        return True

    def _send(self, out: Outbound) -> None:
        tx = Transmit(out.payload, out.dst_ip, out.dst_port, out.dst_mac, out.src_ip)  # its field order
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

    def stop(self, exit_value: int = 0) -> None:
        self._exit_code = exit_value
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
        defer_flushes(True)  # log lines are written out once per turn, before the loop waits
        release_free_memory()  # what loading the configuration and the leases left behind
        log.info("DHCP4_STARTED edge-dhcp serving %d subnet(s), %d lease(s) in store",
                 len(self.engine.config.subnets), len(self.store))
        try:
            while self._running:
                now = self.monotonic()
                manager = self.manager
                timeout = manager.open_pending(now)
                if self._sockets_required_but_failed():
                    self._exit_code = 1
                    break
                synced = self._synced
                if synced is None or synced[0] is not manager or synced[1] != manager.generation:
                    self._sync_sockets()
                if now >= self._timers_next:
                    self._run_timers()
                    now = self.monotonic()
                if self._timers_next != float("inf"):
                    timer_wait = max(0.0, self._timers_next - now)
                    timeout = timer_wait if timeout is None else min(timeout, timer_wait)
                flush_pending()
                for key, _ in self._selector.select(timeout):
                    if key.data is None:
                        self._on_signals()
                    elif isinstance(key.data, tuple):
                        key.data[1](key.fd)
                    else:
                        self._dispatch(key.data)
        finally:
            defer_flushes(False)
            if handle_signals:
                signal.set_wakeup_fd(old_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.close()
        log.info("DHCP4_SHUTDOWN edge-dhcp stopped")
        return self._exit_code

    def close(self) -> None:
        self.control.close()
        if self.ddns is not None:
            self.ddns.close()  # what is still queued stays in its file for the next start
        self._unregister_all()
        for fd in list(self._readers):
            self.remove_reader(fd)
        try:
            self._selector.unregister(self._wake_r)
        except (KeyError, ValueError):
            pass
        self._release_all_held()
        self.manager.close()
        self.store.close()


def run_server(
    config_path: str | None,
    lease_file: str | None = None,
    control_socket: str | None = None,
    lease_sync: str | None = None,
) -> int:
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
        store = open_store(config, lease_file, lease_sync)
    except Exception as exc:
        log.error("DHCP4_INIT_FAIL cannot open the lease database: %s", exc)
        return 1
    try:
        server = Server(config, store, config_path, control_socket=control_socket)
    except HostsDatabaseError as exc:  # a hosts-database file that cannot be used: say which and why
        log.error("DHCP4_INIT_FAIL cannot open the hosts database: %s", exc)
        store.close()
        return 1
    ok, message = server.open_control()
    if not ok:
        log.error("DHCP4_INIT_FAIL cannot open the control channel: %s", message)
        server.close()
        return 1
    return server.run()
