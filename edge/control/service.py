"""The control channel of one family service: its listeners, their connections, and command execution.

Rules this module keeps:
- Commands run in the loop, one at a time, between packets: no locks, no threads, and a configuration
  swap happens between two packets, never during one.
- Reconfiguration is two-phase: `prepare(specs)` opens every new listener (binding, TLS certificates,
  group lookup) without touching the running ones and returns a Plan; `Plan.commit()` swaps them in and
  closes the ones no longer configured, `Plan.abort()` closes what was opened. A listener whose address
  (path, or IP and port) is unchanged is kept open, with its new settings applied at commit.
- The command table is the family service's: the commands both families share (commands.py) and the
  family's own (lease4-* or lease6-*), handed in as one Registry.

A 1-second sweep timer runs only while connections are open, closing those past their deadline.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from edge.config.model import ControlSocket
from edge.control.protocol import Request
from edge.control.registry import Registry, Reply
from edge.control.routes import RouteTable
from edge.control.transport import Connection, ControlError, Listener, Loop
from edge.control.unix import open_unix

__all__ = ["ControlError", "ControlService", "Loop", "Plan"]

log = logging.getLogger("edge.control")

SWEEP_INTERVAL = 1.0
# Commands that only read: logged at debug level (Stork polls status-get every few seconds).
QUIET_COMMANDS = frozenset(
    {
        "list-commands",
        "version-get",
        "build-report",
        "status-get",
        "config-get",
        "config-hash-get",
        "config-test",
        "statistic-get",
        "statistic-get-all",
        "events-get",
    }
)


# ----------------------------------------------------------------------------------------- the service


class Plan:
    """New listeners opened and settings checked, not yet in service; commit() or abort() exactly once."""

    def __init__(self, service: ControlService) -> None:
        self.service = service
        self.opened: list[Listener] = []
        self.kept: list[tuple[Listener, ControlSocket, Any]] = []
        self.done = False

    def commit(self) -> None:
        if self.done:
            return
        self.done = True
        service = self.service
        wanted = {listener.key for listener in self.opened} | {listener.key for listener, _, _ in self.kept}
        for key, listener in list(service.listeners.items()):
            if key not in wanted:
                log.info("COMMAND_SOCKET_CLOSE closing %s (no longer configured)", listener.describe())
                listener.close()
                del service.listeners[key]
        for listener, spec, settings in self.kept:
            listener.apply_settings(spec, settings)
        for listener in self.opened:
            service.listeners[listener.key] = listener
            service.loop.add_reader(listener.fd, listener.on_readable)
            log.info("COMMAND_ACCEPTOR_START control channel on %s", listener.describe())

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        for listener in self.opened:
            listener.close()


class ControlService:
    """The control channel of one server: its listeners, its open connections, and command execution."""

    def __init__(
        self,
        server: Any,
        loop: Loop,
        registry: Registry,
        now: Callable[[], float] = time.monotonic,
        service_name: str = "dhcp4",
        routes: RouteTable | None = None,
    ) -> None:
        self.server = server  # what the command handlers get (edge.control.commands.ServerApi)
        self.loop = loop
        self.registry = registry
        self.service_name = service_name
        self.routes = routes  # what HTTP listeners serve beside `POST /` (the dashboard's pages)
        self.now = now
        self.listeners: dict[tuple[Any, ...], Listener] = {}
        self.connections: set[Connection] = set()
        self._sweeper: Any = None

    # -- configuration
    def prepare(self, specs: tuple[ControlSocket, ...] | list[ControlSocket]) -> Plan:
        """Open what `specs` adds and check what it changes; raise ControlError (nothing changed) if any
        socket cannot be opened."""
        plan = Plan(self)
        try:
            for spec in specs:
                key = _key(spec)
                listener = self.listeners.get(key)
                if listener is not None and listener.kind == _kind(spec):
                    plan.kept.append((listener, spec, listener.prepare_settings(spec)))
                elif spec.socket_type == "unix":
                    plan.opened.append(open_unix(self, spec))
                else:
                    # Imported only when an HTTP socket is configured: it brings ssl and hashlib (OpenSSL,
                    # ~4 MB resident) into the process.
                    from edge.control.http import open_http

                    plan.opened.append(open_http(self, spec))
        except ControlError:
            plan.abort()
            raise
        except OSError as exc:
            plan.abort()
            raise ControlError(f"cannot open a control socket: {exc}") from None
        return plan

    def close(self) -> None:
        for connection in list(self.connections):
            connection.close()
        for listener in self.listeners.values():
            listener.close()
        self.listeners.clear()

    def describe(self) -> list[str]:
        return [listener.describe() for listener in self.listeners.values()]

    # -- connections
    def adopt(self, connection: Connection) -> None:
        self.connections.add(connection)
        self.loop.add_reader(connection.fd, connection.on_event)
        if self._sweeper is None:
            self._sweeper = self.loop.call_every(SWEEP_INTERVAL, self.sweep, "control-channel deadlines")

    def forget(self, connection: Connection) -> None:
        self.connections.discard(connection)
        if not self.connections and self._sweeper is not None:
            self.loop.cancel_timer(self._sweeper)
            self._sweeper = None

    def sweep(self) -> None:
        now = self.now()
        for connection in [c for c in self.connections if c.deadline <= now]:
            log.warning(
                "COMMAND_SOCKET_CONNECTION_TIMEOUT %s: client too slow, connection dropped", connection.label
            )
            connection.expired()

    # -- commands
    def execute(self, request: Request, origin: str) -> Reply:
        if request.command in QUIET_COMMANDS:
            log.debug("COMMAND_RECEIVED received command %s (%s)", request.command, origin)
        else:
            log.info("COMMAND_RECEIVED received command %s (%s)", request.command, origin)
        reply = self.registry.dispatch(request, self.server)
        if reply.answer.get("result") not in (0, 3) and request.command not in QUIET_COMMANDS:
            log.info(
                "COMMAND_RESULT %s: result %s: %s",
                request.command,
                reply.answer.get("result"),
                str(reply.answer.get("text", ""))[:300],
            )
        return reply


def _kind(spec: ControlSocket) -> str:
    return "unix" if spec.socket_type == "unix" else "http"


def _key(spec: ControlSocket) -> tuple[Any, ...]:
    if spec.socket_type == "unix":
        return ("unix", os.path.abspath(spec.socket_name or ""))
    return ("tcp", spec.socket_address, spec.socket_port)
