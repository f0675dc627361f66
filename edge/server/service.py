"""One DHCP family served in the loop: sockets in, the family's engine, the lease store, replies out.

Theory of operation:
- A FamilyService owns what Kea gives each of its daemons: one configuration (file or built-in default),
  one lease store, one statistics registry, one control channel with its command table, and the sockets
  of its family. It plugs into the server's Loop (loop.py) as a Service; two families in one process are
  two FamilyServices in one Loop. What differs per family — the socket manager, the engine, how a
  received datagram becomes the engine's Inbound, statistic names, the command rows — comes from a
  subclass (dhcp4.py; DHCPv6 beside it), never from an `if` here.
- `apply_config` is the one way a configuration goes into service (start-up, SIGHUP, config-set,
  config-reload): everything that can fail (control sockets opened, log outputs opened, the DNS update
  deliverer made, host databases read, socket manager built, engine indexes built) happens before anything
  is swapped; the steps after the swap were prepared before it or cannot fail, and a bug that makes one
  fail anyway is logged while the steps after it still run. Leases of subnets the new configuration drops
  stay in the store and are reported.
- The socket manager owns interface state (open, retrying, missing); each turn asks it when the next
  retry is due. Sockets are re-registered with the loop only when the manager's `generation` moves (or a
  reload replaces the manager).
- A reply that promises a lease change (`Outbound.wait_seq`, an ACK or a REPLY) is sent once the store's
  `durable_seq` reaches it (the store's wake-up fd is one of the loop's readers), and dropped — the client
  retries — if the store reports that change could not be made durable.
- While `dhcp-disable` is in force, packets are read and dropped (counted as <family>-receive-drop).
- One packet that makes the engine raise is counted, logged once with its traceback at ERROR and
  dropped; the service goes on (a net, not a fix: every case it catches is a bug to mend).
- Recent events (edge/dashboard/events.py) go into the service's bounded ring: lease changes as the
  family reads them off the store's change feed (`lease_event`), refused requests as it reads them off
  the replies (`reply_event`), and every configuration applied or refused. `events-get` reads the ring.
- `routes`, when given, are the web routes (the dashboard's) the HTTP control listeners serve.
"""

from __future__ import annotations

import gc
import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from edge.config.model import ControlSocket, DaemonConfig
from edge.control.commands import SHARED_COMMANDS, Family
from edge.control.registry import Command, Registry
from edge.control.routes import RouteTable
from edge.control.service import ControlService
from edge.dashboard.events import EVENT_COMMANDS, EventRing
from edge.ddns.service import DdnsService, discard, prepare
from edge.leases.reclaim import LeaseMaintenance
from edge.leases.store import LeaseStore
from edge.log import prepare_logging
from edge.server.loop import Loop, StopLoop
from edge.stats import Statistics

log = logging.getLogger("edge.server")

MAX_HELD_REPLIES = 4096  # replies waiting for the disk; beyond this the oldest are dropped (clients retry)
# Packets taken from one socket before the loop turns to its other work: under a flood the socket never runs
# dry, and the replies waiting for the disk, the timers and the control channel must still get their turn.
DISPATCH_BATCH = 32


class Outbound(Protocol):
    """A reply as the family's engine hands it over (edge/dhcp4/exchange.py Outbound and its v6 twin)."""

    message_type: int
    wait_seq: int


class Engine(Protocol):
    @property
    def config(self) -> DaemonConfig: ...

    def handle(self, payload: bytes, inbound: Any, now: float) -> Any: ...


class SocketManager(Protocol):
    generation: int

    def sockets(self) -> list[Any]: ...

    def open_pending(self, now: float) -> float | None: ...

    def status(self) -> dict[str, Any]: ...

    def local_addresses(self, ifname: str) -> list[Any]: ...

    def close(self) -> None: ...


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


class FamilyService(ABC):
    family: Family  # the names the shared commands use (DHCPv4 / Dhcp4)
    prefix: str  # the family's log id prefix: DHCP4, DHCP6
    service_name: str  # Kea's name for the daemon: dhcp4, dhcp6
    pkt: str  # the family's packet statistics prefix: pkt4, pkt6
    family_commands: tuple[Command, ...]  # the command rows only this family answers (lease4-*)
    subject_text: Callable[[Any], str] = str  # how the family writes an event's address (v4: dotted quad)
    startup_counters: tuple[str, ...] = ()  # the statistics that exist at 0 from the start (Kea's per daemon)
    ha: Any = None  # the HA partner link (edge/ha/service.py HaService) when the family attaches one

    def __init__(
        self,
        config: DaemonConfig,
        store: LeaseStore,
        config_path: str | None = None,
        clock: Callable[[], float] | None = None,
        monotonic: Callable[[], float] | None = None,
        control_socket: str | None = None,
        loop: Loop | None = None,
        routes: RouteTable | None = None,
    ) -> None:
        import time

        self.loop = loop if loop is not None else Loop(monotonic or time.monotonic)
        self.clock = clock or time.time
        self.monotonic = monotonic or time.monotonic
        self.config_path = config_path
        self.control_socket = (
            control_socket  # `serve --control-socket`: the unix socket path, whatever the file says
        )
        self.stats = Statistics(self.clock, type(self).startup_counters)
        self.events = EventRing(self.clock, subject_text=type(self).subject_text)
        self.store = store
        store.use_statistics(self.stats)  # the store counts its write errors (lease-store-write-errors)
        self.engine = self.make_engine(config, self.open_hosts(config))
        self.manager = self.make_manager(config)
        self.started = self.monotonic()
        self.reloaded = self.monotonic()
        self.dhcp_disabled_until: float | None = (
            None  # monotonic deadline of dhcp-disable (inf: until enabled)
        )
        self.commands = Registry((*SHARED_COMMANDS, *self.family_commands, *EVENT_COMMANDS))
        self.control = ControlService(
            self, self.loop, self.commands, self.monotonic, self.service_name, routes=routes
        )
        store.subscribe(self.lease_event)
        self._registered: dict[int, Any] = {}
        self._synced: tuple[Any, int] | None = None  # (manager, generation) the registrations reflect
        self._held: deque[Any] = deque()
        wake = store.wakeup_fd()
        if wake is not None:
            self.loop.add_reader(wake, self._on_store_wakeup)
        self.lease_timers = LeaseMaintenance(
            store, self.stats, self.loop.call_every, self.clock, self.monotonic
        )
        self.lease_timers.configure(config)
        # DNS updates: the queue and its worker while dhcp-ddns.enable-updates is on (edge/ddns/service.py);
        # attached again after every reload.
        self.ddns: DdnsService | None = None
        self.attach_ddns()
        # Joined last: a constructor that failed half-way leaves no service in the loop.
        self.loop.services.append(self)

    # ------------------------------------------------------------------ what a family provides
    @abstractmethod
    def load_config(self, path: str | None) -> DaemonConfig:
        """The family's configuration from `path` (None: its built-in default); raises ConfigError."""

    @abstractmethod
    def make_engine(self, config: DaemonConfig, hosts: Sequence[Any]) -> Any:
        """The family's engine for `config`, with the host backends opened for it."""

    @abstractmethod
    def reconfigure_engine(self, config: DaemonConfig, hosts: Sequence[Any]) -> None:
        """Swap the engine to `config` (raises, changing nothing, if it cannot)."""

    @abstractmethod
    def open_hosts(self, config: DaemonConfig) -> Sequence[Any]:
        """The host backends of `config` (the configuration's reservations, then hosts databases)."""

    @abstractmethod
    def make_manager(self, config: DaemonConfig) -> Any:
        """The family's socket manager for `config`'s interfaces."""

    @abstractmethod
    def inbound(self, rx: Any) -> Any:
        """The engine's Inbound for a received datagram."""

    @abstractmethod
    def send(self, out: Any) -> None:
        """Hand a reply to the socket manager (OSError when it cannot be sent)."""

    @abstractmethod
    def attach_ddns(self, deliverer: Any = None) -> None:
        """Give the engine's name handler its DNS update sink for the configuration in force (with the
        deliverer `ddns.service.prepare` made for it, if any)."""

    @abstractmethod
    def recount_statistics(self) -> dict[str, dict[str, int]]:
        """Rebuild the lease gauges from the store; what was corrected."""

    @abstractmethod
    def uncount_sent(self, out: Any) -> None:
        """A reply the engine counted as sent was not sent after all."""

    def lease_event(self, old: Any, new: Any) -> None:  # noqa: B027 - a hook: a family records its events
        """A change the store applied (its change feed): record what it means in `self.events`."""

    def reply_event(self, out: Any) -> None:  # noqa: B027 - a hook, as lease_event
        """A reply about to be delivered: record a refusal (a DHCPv4 NAK) in `self.events`."""

    # ------------------------------------------------------------------ configuration
    @property
    def config(self) -> DaemonConfig:
        return self.engine.config  # type: ignore[no-any-return]

    def control_specs(self, config: DaemonConfig) -> tuple[ControlSocket, ...]:
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

    def apply_config(self, config: DaemonConfig) -> tuple[bool, str]:
        """Put `config` in service, all or nothing; (ok, message). On failure the running configuration
        keeps serving and the message says why."""
        origin = config.source or "<built-in default>"
        manager = None
        try:
            plan = self.control.prepare(self.control_specs(config))
        except Exception as exc:
            log.error(
                "%s_CONFIG_LOAD_FAIL %s not applied, the running configuration stays in service: %s",
                self.prefix,
                origin,
                exc,
            )
            self.events.add("reload-failed", text=f"{origin}: {exc}"[:300])
            return False, f"configuration not applied, the running one stays in service: {exc}"
        deliverer = logging_plan = None
        try:
            logging_plan = prepare_logging(config.loggers)  # outputs opened, not yet in place
            deliverer = prepare(self.ddns, config)
            hosts = self.open_hosts(config)
            manager = self.make_manager(config)
            self.reconfigure_engine(config, hosts)  # the swap: the last step that may fail
        except Exception as exc:
            plan.abort()
            if manager is not None:
                manager.close()
            discard(deliverer)
            if logging_plan is not None:
                logging_plan.close()
            log.error(
                "%s_CONFIG_LOAD_FAIL cannot apply the new configuration (%s); keeping the old one",
                self.prefix,
                exc,
            )
            self.events.add("reload-failed", text=f"{origin}: {exc}"[:300])
            return False, f"configuration not applied, the running one stays in service: {exc}"
        # From here on nothing may fail halfway: every step below was prepared above or cannot fail; a bug
        # that makes one fail anyway is logged, and the steps after it still run.
        for step in (
            plan.commit,
            lambda: self._swap_manager(manager),
            logging_plan.install,
            lambda: self.lease_timers.configure(config),
            lambda: self.attach_ddns(deliverer),
        ):
            try:
                step()
            except Exception as exc:
                self.loop.unexpected(
                    f"{self.prefix}_CONFIG_APPLY_FAIL", exc, f"a step of applying {origin} failed"
                )
        self.loop.timers_changed()
        self.reloaded = self.monotonic()
        message = self._kept_leases_note(config)
        release_free_memory()
        log.info(
            "%s_CONFIG_COMPLETE configuration applied from %s: %d subnet(s)",
            self.prefix,
            origin,
            len(config.subnets),
        )
        if message:
            log.warning("%s_CONFIG_LEASES_KEPT %s", self.prefix, message)
        self.events.add("reload", text=f"{origin}: {len(config.subnets)} subnet(s)")
        return True, message

    def _swap_manager(self, manager: Any) -> None:
        old, self.manager = self.manager, manager
        self._unregister_all()
        old.close()

    def _kept_leases_note(self, config: DaemonConfig) -> str:
        """Leases whose subnet the new configuration no longer has: kept, and said so."""
        known = {subnet.id for subnet in config.subnets}
        orphans: dict[int, int] = {}
        for lease in self.store.all():
            if lease.subnet_id not in known:
                orphans[lease.subnet_id] = orphans.get(lease.subnet_id, 0) + 1
        if not orphans:
            return ""
        ids = ", ".join(str(i) for i in sorted(orphans))
        family = self.service_name[-1]
        return (
            f"{sum(orphans.values())} lease(s) of subnet(s) {ids}, which the new configuration does not have, "
            f"are kept in the lease store (lease{family}-get-all lists them; lease{family}-wipe with their "
            "subnet-id removes them)"
        )

    def reload_config(self) -> tuple[bool, str]:
        """Load the configuration file again (the built-in default without one) and apply it."""
        try:
            config = self.load_config(self.config_path)
        except Exception as exc:  # a bad file must never stop a running server
            log.error(
                "%s_CONFIG_LOAD_FAIL configuration reload failed; the running configuration stays in service:\n%s",
                self.prefix,
                exc,
            )
            self.events.add("reload-failed", text=f"{self.config_path or '<built-in default>'}: {exc}"[:300])
            return False, f"configuration reload failed, the running one stays in service:\n{exc}"
        return self.apply_config(config)

    def reload(self) -> bool:
        return self.reload_config()[0]

    # ------------------------------------------------------------------ the loop's turn
    def turn(self, now: float) -> float | None:
        manager = self.manager
        timeout: float | None = manager.open_pending(now)
        if self._sockets_required_but_failed():
            raise StopLoop(1)
        synced = self._synced
        if synced is None or synced[0] is not manager or synced[1] != manager.generation:
            self._sync_sockets()
        return timeout

    def _sockets_required_but_failed(self) -> bool:
        """`service-sockets-require-all`: give up (as Kea does) once the retries for a missing socket are spent."""
        if not self.config.service_sockets_require_all:
            return False
        status = self.manager.status()
        if status["status"] != "failed":
            return False
        names = ", ".join(error["interface"] for error in status["errors"])
        log.error(
            "%s_OPEN_SOCKETS_FAILED service-sockets-require-all is set and sockets could not be opened on: %s; "
            "shutting down",
            self.prefix,
            names,
        )
        return True

    def _unregister_all(self) -> None:
        for fd in list(self._registered):
            self.loop.remove_reader(fd)
        self._registered.clear()
        self._synced = None
        self.sockets_changed()

    def sockets_changed(self) -> None:  # noqa: B027 - a hook: families that cache per interface forget here
        """Interfaces and their addresses may have changed with the sockets."""

    def _sync_sockets(self) -> None:
        manager = self.manager
        self._synced = (manager, manager.generation)
        self.sockets_changed()
        current = {sock.fileno(): sock for sock in manager.sockets()}
        for fd in list(self._registered):
            if fd not in current or current[fd] is not self._registered[fd]:
                self.loop.remove_reader(fd)
                del self._registered[fd]
        for fd, sock in current.items():
            if fd not in self._registered:
                self.loop.add_reader(fd, lambda _fd, sock=sock: self._dispatch(sock))
                self._registered[fd] = sock

    # ------------------------------------------------------------------ packets in
    def _dispatch(self, sock: Any) -> None:
        pkt = self.pkt
        for _ in range(DISPATCH_BATCH):
            try:
                rx = sock.recv()
            except BlockingIOError:
                return
            except OSError as exc:
                log.warning("%s_BUFFER_RECEIVE_FAIL error receiving a packet: %s", self.prefix, exc)
                return
            if rx is None:
                return
            if self.dhcp_disabled_until is not None and not self._dhcp_enabled_again():
                self.stats.inc(f"{pkt}-received")
                self.stats.inc(f"{pkt}-receive-drop")
                continue
            try:
                ha = self.ha
                if ha is not None:  # HA (edge/ha/service.py) sees the lease changes this packet makes
                    ha.packet_begin()
                outbound = self.engine.handle(rx.payload, self.inbound(rx), self.clock())
                if ha is not None:
                    outbound = ha.packet_end(outbound)  # None: held until the partner acknowledged
                if outbound is not None:
                    self._deliver(outbound)
            except Exception as exc:  # the net (module docstring): this packet is lost, the server is not
                self.stats.inc(f"{pkt}-processing-failed")
                self.stats.inc(f"{pkt}-receive-drop")
                self.loop.unexpected(
                    f"{self.prefix}_PACKET_PROCESS_STD_EXCEPTION",
                    exc,
                    "packet of %d bytes from %s on %s dropped" % (len(rx.payload), rx.src_ip, rx.ifname),
                )

    def _dhcp_enabled_again(self) -> bool:
        """dhcp-disable's max-period ran out: serve again."""
        if self.monotonic() < (self.dhcp_disabled_until or 0.0):
            return False
        log.info(
            "%s_DHCP_ENABLED max-period of dhcp-disable elapsed, DHCP service enabled again", self.prefix
        )
        self.dhcp_disabled_until = None
        return True

    # ------------------------------------------------------------------ replies held for durability
    def _deliver(self, out: Any) -> None:
        """Send now, or hold until the lease change the reply promises is durable (edge/leases/memfile.py)."""
        self.reply_event(out)
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

    def _drop_held(self, out: Any, why: str) -> None:
        log.warning("%s_PACKET_DROP_0014 %r not sent: %s", self.prefix, out, why)
        self.uncount_sent(out)

    def _release_all_held(self) -> None:
        """At shutdown: make everything durable, send what is, drop what cannot be."""
        try:
            self.store.flush()
        except Exception as exc:
            log.error("%s_LEASE_STORE_FAIL final sync failed: %s", self.prefix, exc)
        self._settle_held(self.store.poll())
        while self._held:
            self._drop_held(self._held.popleft(), "shutting down before its lease was on disk")

    def _send(self, out: Any) -> None:
        try:
            self.send(out)
        except OSError as exc:
            log.warning("%s_PACKET_SEND_FAIL cannot send %r: %s", self.prefix, out, exc)

    # ------------------------------------------------------------------ the end
    def stop(self, exit_value: int = 0) -> None:
        self.loop.stop(exit_value)

    def run(self) -> int:
        """Serve in this service's loop until stopped (the loop closes every service at the end)."""
        release_free_memory()  # what loading the configuration and the leases left behind
        families = [s for s in self.loop.services if isinstance(s, FamilyService)] or [self]
        for service in families:
            log.info(
                "%s_STARTED edge-dhcp serving %d subnet(s), %d lease(s) in store",
                service.prefix,
                len(service.config.subnets),
                len(service.store),
            )
        code = self.loop.run()
        for service in families:
            log.info("%s_SHUTDOWN edge-dhcp stopped", service.prefix)
        return code

    def close(self) -> None:
        if self.ha is not None:
            self.ha.close()
        self.control.close()
        if self.ddns is not None:
            self.ddns.close()  # what is still queued stays in its file for the next start
        self._unregister_all()
        wake = self.store.wakeup_fd()
        if wake is not None:
            self.loop.remove_reader(wake)
        self._release_all_held()
        self.manager.close()
        self.store.close()
