"""The socket manager: which interfaces to serve, opening what can be opened, and keeping it that way.

Rules this module keeps:
- A missing, down or address-less interface never stops the server. The manager logs it, opens every
  socket it can, and reports the rest in `status()` (the `sockets` part of Kea's `status-get`).
- Retries mirror Kea's `service-sockets-max-retries` / `service-sockets-retry-wait-time`: max_retries is
  the number of *re*-tries after the first attempt, and 0 (Kea's default) means no retries at all. While
  retries remain the status is "retrying"; once they are spent with sockets still missing it is "failed";
  with everything open it is "ready". A new failure (an interface that was serving disappears) starts a
  fresh retry budget.
- `re_detect` goes further than Kea (which re-detects interfaces only on reconfiguration): the manager
  watches for link/address changes (netlink, plus a poll every retry_wait_ms as a safety net) for as long
  as it runs, so an interface that appears later is opened whenever it appears, retries spent or not, and
  one that disappears is closed cleanly and reopened when it returns (with whatever index it now has).
- Never blocks, never sleeps, never reads the clock behind the caller's back: the event loop calls
  `open_pending(now)` after every wake-up and uses the returned delay as its select() timeout.
- One socket per interface per role, so a packet is never processed twice: in raw mode one RawSocket per
  interface plus one shared UDP guard on the port; in udp mode one serving UdpSocket per interface.

Theory of operation:
`specs` come from `interfaces-config.interfaces`: ("eth0", None), ("eth0", address) for "eth0/192.0.2.1",
and ("*", None) for every non-loopback interface that is up and has an IPv4 address. An explicit address
picks the source address (and, in udp mode, the bind address); naming an interface twice keeps the first
address. Explicitly named interfaces that cannot be served are errors; wildcard matches that go away are
simply closed.

Every pass of `open_pending` that is due (first call, a netlink change, a socket reporting its interface
gone, a retry or poll timer) does one reconciliation: scan the interfaces, close sockets whose interface
vanished, went down, changed index or lost the needed address, and open sockets for wanted interfaces
that are usable. The set of errors left over drives the retry schedule and `status()`.

Log message ids (grep for them): DHCPSRV_OPEN_SOCKET, DHCPSRV_OPEN_SOCKET_FAIL, DHCPSRV_OPEN_SOCKETS_RETRY,
DHCPSRV_OPEN_SOCKETS_FAILED, DHCPSRV_CLOSE_SOCKET, DHCPSRV_NO_SOCKETS_OPEN, DHCPSRV_IFACE_SCAN_FAIL,
DHCPSRV_LINK_WATCH_FAIL, DHCP4_PACKET_SEND_FAIL.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from edge.netif.datagrams import RxDatagram, Transmit
from edge.netif.interfaces import Interface, scan
from edge.netif.sockets import LinkWatcher, RawSocket, UdpSocket
from edge.wire.addr import int_to_ip

log = logging.getLogger("edge.netif")

SocketType = Literal["raw", "udp"]
WILDCARD = "*"
GUARD_KEY = "*"  # the name errors about the shared UDP guard socket are reported under


class Receiver(Protocol):
    def fileno(self) -> int: ...
    def recv(self) -> RxDatagram | None: ...
    def close(self) -> None: ...


def parse_interface_specs(entries: Iterable[str]) -> list[tuple[str, int | None]]:
    """Kea `interfaces-config.interfaces` entries ("eth0", "eth0/192.0.2.1", "*") to manager specs."""
    specs: list[tuple[str, int | None]] = []
    for entry in entries:
        name, _, address = entry.partition("/")
        if not name:
            raise ValueError(f"interface entry {entry!r} has no interface name")
        specs.append((name, int(ipaddress.IPv4Address(address)) if address else None))
    return specs


@dataclass
class _Binding:
    """An open interface: its scan record, the address the spec asked for, and its socket."""

    iface: Interface
    address: int | None
    sock: Any  # RawSocket in raw mode, UdpSocket in udp mode
    explicit: bool
    broadcasts: frozenset[int] = frozenset()  # the interface's broadcast addresses, worked out once

    def __post_init__(self) -> None:
        self.broadcasts = frozenset(self.iface.broadcast_addresses())

    @property
    def source_ip(self) -> int:
        if self.address is not None:
            return self.address
        return self.iface.ipv4[0] if self.iface.addresses else 0


class SocketManager:
    """Opens and keeps open the server's sockets on the configured interfaces.

    `scanner`, `raw_factory`, `udp_factory` and `watch_links` exist so the scheduling logic can be tested
    without root; a server leaves them alone.
    """

    def __init__(
        self,
        specs: Iterable[tuple[str, int | None]],
        socket_type: SocketType = "raw",
        retry_wait_ms: int = 5000,
        max_retries: int = 0,
        re_detect: bool = True,
        clock: Callable[[], float] = time.monotonic,
        *,
        port: int = 67,
        scanner: Callable[[], dict[str, Interface]] = scan,
        raw_factory: Callable[..., Any] = RawSocket,
        udp_factory: Callable[..., Any] = UdpSocket,
        watch_links: bool = True,
    ) -> None:
        if socket_type not in ("raw", "udp"):
            raise ValueError(f"dhcp-socket-type must be 'raw' or 'udp', not {socket_type!r}")
        if max_retries < 0 or retry_wait_ms < 0:
            raise ValueError("service-sockets-max-retries and -retry-wait-time must not be negative")
        self.socket_type: SocketType = socket_type
        self.retry_wait = retry_wait_ms / 1000.0
        self.max_retries = max_retries
        self.re_detect = re_detect
        self.port = port
        self._clock = clock
        self._scanner = scanner
        self._raw_factory = raw_factory
        self._udp_factory = udp_factory
        self._wildcard = False
        self._explicit: dict[str, int | None] = {}
        for name, address in specs:
            if name == WILDCARD:
                self._wildcard = True
            elif name in self._explicit:
                if address != self._explicit[name]:
                    log.warning(
                        "DHCPSRV_OPEN_SOCKET_FAIL %s is listed more than once; keeping %s",
                        name,
                        int_to_ip(self._explicit[name])
                        if self._explicit[name] is not None
                        else "all its addresses",
                    )
            else:
                self._explicit[name] = address
        self._bindings: dict[str, _Binding] = {}
        # Moves whenever a socket is opened or closed: the event loop re-registers its sockets (and drops
        # what it cached about interfaces) only then, not on every wake-up.
        self.generation = 0
        self._guard: Any = None
        self._ifaces: dict[str, Interface] = {}
        self._errors: dict[str, str] = {}
        self._logged_errors: dict[str, str] = {}
        self._dirty = True
        self._started = False
        self._cycle_keys: set[str] = set()
        self._retries_done = 0
        self._next_retry: float | None = None
        self._next_poll: float | None = None
        self._watcher: LinkWatcher | None = None
        if re_detect and watch_links:
            try:
                self._watcher = LinkWatcher()
            except OSError as exc:
                log.warning("DHCPSRV_LINK_WATCH_FAIL cannot watch link changes (%s); polling instead", exc)

    # -- event-loop API ----------------------------------------------------------------------------------

    def open_pending(self, now: float | None = None) -> float | None:
        """Do whatever opening/closing is due; return seconds until it should be called again (or None)."""
        if now is None:
            now = self._clock()
        if self._watcher is not None and self._watcher.take_changed():
            self._dirty = True
        if any(b.sock.failure is not None for b in self._bindings.values()):
            self._dirty = True
        retry_due = self._next_retry is not None and now >= self._next_retry
        poll_due = self._next_poll is not None and now >= self._next_poll
        if self._dirty or retry_due or poll_due:
            self._dirty = False
            self._reconcile()
            self._schedule(now, retry_due)
            self._started = True
        return self._delay(now)

    def sockets(self) -> list[Receiver]:
        """The selectable objects to wait on; each has fileno() and recv() (which may return None)."""
        found: list[Receiver] = [b.sock for b in self._bindings.values()]
        if self._watcher is not None:
            found.append(self._watcher)
        return found

    def send(self, ifname: str, tx: Transmit) -> bool:
        """Transmit `tx` for a request that arrived on `ifname`. Logs and returns False on failure."""
        binding = self._bindings.get(ifname)
        if binding is None:
            log.warning(
                "DHCP4_PACKET_SEND_FAIL no open socket on %s for reply to %s", ifname, int_to_ip(tx.dst_ip)
            )
            return False
        if tx.src_ip is None:
            tx = tx._replace(src_ip=binding.source_ip)
        try:
            if self.socket_type == "udp":
                binding.sock.send(tx)
            elif tx.dst_mac is not None or tx.dst_ip in binding.broadcasts:
                binding.sock.send(tx)
            elif self._guard is not None:
                self._guard.send(tx)
            else:
                log.warning(
                    "DHCP4_PACKET_SEND_FAIL no UDP socket for routed reply to %s", int_to_ip(tx.dst_ip)
                )
                return False
        except OSError as exc:
            log.warning(
                "DHCP4_PACKET_SEND_FAIL sending to %s:%d via %s: %s",
                int_to_ip(tx.dst_ip),
                tx.dst_port,
                ifname,
                exc,
            )
            return False
        return True

    def local_addresses(self, ifname: str) -> list[int]:
        """IPv4 addresses the server may use on `ifname` (the spec's address alone, if one was given)."""
        binding = self._bindings.get(ifname)
        iface = binding.iface if binding is not None else self._ifaces.get(ifname)
        address = self._explicit.get(ifname)
        if address is not None:
            return [address]
        return iface.ipv4 if iface is not None else []

    def interface(self, ifname: str) -> Interface | None:
        """The last scanned record of `ifname` (name, index, MAC, addresses), if it exists."""
        return self._ifaces.get(ifname)

    def open_interfaces(self) -> list[str]:
        return sorted(self._bindings)

    def status(self) -> dict[str, Any]:
        """{"status": "ready"|"retrying"|"failed", "errors": [{"interface", "error"}, ...]}."""
        errors = [{"interface": name, "error": text} for name, text in sorted(self._errors.items())]
        if not self._started:
            state = "retrying"
        elif not errors:
            state = "ready"
        elif self._next_retry is not None:
            state = "retrying"
        else:
            state = "failed"
        return {"status": state, "errors": errors}

    def close(self) -> None:
        for name in list(self._bindings):
            self._close(name, "shutting down")
        if self._guard is not None:
            self._guard.close()
            self._guard = None
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None

    def __enter__(self) -> SocketManager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reconciliation ------------------------------------------------------------------------------------

    def _wanted(self) -> dict[str, tuple[int | None, bool]]:
        wanted = {name: (address, True) for name, address in self._explicit.items()}
        if self._wildcard:
            for name, iface in self._ifaces.items():
                if name not in wanted and not iface.loopback and iface.up and iface.addresses:
                    wanted[name] = (None, False)
        return wanted

    def _problem(self, name: str, address: int | None) -> str | None:
        """Why `name` cannot be served right now, or None if it can."""
        iface = self._ifaces.get(name)
        if iface is None:
            return f"interface {name} does not exist"
        if not iface.up:
            return f"interface {name} is down"
        if not iface.addresses:
            return f"interface {name} has no IPv4 address"
        if address is not None and not iface.has_address(address):
            return f"interface {name} does not have address {int_to_ip(address)}"
        return None

    def _reconcile(self) -> None:
        try:
            self._ifaces = self._scanner()
        except OSError as exc:
            log.warning("DHCPSRV_IFACE_SCAN_FAIL cannot list interfaces: %s", exc)
            return
        wanted = self._wanted()
        for name, binding in list(self._bindings.items()):
            reason = self._stale(name, binding, wanted)
            if reason is not None:
                self._close(name, reason)
        errors: dict[str, str] = {}
        if self.socket_type == "raw" and self._guard is None:
            try:
                self._guard = self._udp_factory(self.port, guard=True)
            except OSError as exc:
                errors[GUARD_KEY] = f"cannot bind UDP port {self.port}: {exc}"
        for name, (address, explicit) in wanted.items():
            if name in self._bindings:
                continue
            problem = self._problem(name, address)
            if problem is None:
                problem = self._open(name, address, explicit)
            if problem is not None and (explicit or name in self._ifaces):
                errors[name] = problem
        self._errors = errors
        for name, text in errors.items():
            if self._logged_errors.get(name) != text:
                log.warning("DHCPSRV_OPEN_SOCKET_FAIL %s", text)
        self._logged_errors = dict(errors)
        if not self._bindings:
            log.warning("DHCPSRV_NO_SOCKETS_OPEN no interface is open for DHCP traffic yet")

    def _stale(self, name: str, binding: _Binding, wanted: dict[str, tuple[int | None, bool]]) -> str | None:
        if name not in wanted:
            return "no longer selected"
        if binding.sock.failure is not None:
            return f"socket error: {binding.sock.failure}"
        current = self._ifaces.get(name)
        if current is None:
            return "interface disappeared"
        if current.index != binding.iface.index:
            return f"index changed from {binding.iface.index} to {current.index}"
        problem = self._problem(name, binding.address)
        if problem is not None:
            return problem
        if current.addresses != binding.iface.addresses or current.mac != binding.iface.mac:
            # Same interface, new addresses or MAC: reopen so replies use the new source.
            return "addresses changed"
        return None

    def _open(self, name: str, address: int | None, explicit: bool) -> str | None:
        iface = self._ifaces[name]
        try:
            if self.socket_type == "raw":
                sock = self._raw_factory(iface, self.port, address)
            else:
                sock = self._udp_factory(self.port, ifname=name, address=address or 0)
        except OSError as exc:
            return f"cannot open {self.socket_type} socket on {name} (index {iface.index}): {exc}"
        self._bindings[name] = _Binding(iface=iface, address=address, sock=sock, explicit=explicit)
        self.generation += 1
        log.info(
            "DHCPSRV_OPEN_SOCKET %s socket on %s (index %d, %s) port %d",
            self.socket_type,
            name,
            iface.index,
            int_to_ip(address)
            if address is not None
            else ", ".join(int_to_ip(a) for a in iface.ipv4) or "no address",
            self.port,
        )
        return None

    def _close(self, name: str, reason: str) -> None:
        binding = self._bindings.pop(name)
        self.generation += 1
        try:
            binding.sock.close()
        finally:
            log.info("DHCPSRV_CLOSE_SOCKET %s (index %d): %s", name, binding.iface.index, reason)

    # -- timers --------------------------------------------------------------------------------------------

    def _schedule(self, now: float, retry_due: bool) -> None:
        failing = set(self._errors)
        if not failing:
            self._cycle_keys = set()
            self._retries_done = 0
            self._next_retry = None
        else:
            new_cycle = bool(failing - self._cycle_keys)
            if new_cycle:
                # Something new broke: a fresh budget, as if this were the first attempt.
                self._retries_done = 0
                self._cycle_keys = failing
            elif retry_due:
                self._retries_done += 1
            if self._retries_done < self.max_retries:
                # A pass that was not the retry (a netlink change, a poll) leaves the retry where it was.
                if new_cycle or retry_due or self._next_retry is None:
                    self._next_retry = now + self.retry_wait
                    log.info(
                        "DHCPSRV_OPEN_SOCKETS_RETRY %d of %d retries left, next in %d ms",
                        self.max_retries - self._retries_done,
                        self.max_retries,
                        int(self.retry_wait * 1000),
                    )
            else:
                if self._next_retry is not None or not self._started or failing != self._cycle_keys:
                    log.error(
                        "DHCPSRV_OPEN_SOCKETS_FAILED giving up on %s after %d retries%s",
                        ", ".join(sorted(failing)),
                        self._retries_done,
                        "; will open them if they appear" if self.re_detect else "",
                    )
                self._next_retry = None
                self._cycle_keys = failing
        self._next_poll = now + self.retry_wait if self.re_detect else None

    def _delay(self, now: float) -> float | None:
        if self._dirty:
            return 0.0
        times = [t for t in (self._next_retry, self._next_poll) if t is not None]
        if not times:
            return None
        return max(0.0, min(times) - now)
