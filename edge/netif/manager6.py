"""The DHCPv6 socket manager: which interfaces to serve on port 547, opening what can be opened, keeping it so.

Rules this module keeps (those of manager.py, which it extends):
- The lifecycle is the v4 manager's, inherited unchanged: never blocks, sleeps or reads the clock behind
  the caller's back; Kea's service-sockets-max-retries / -retry-wait-time; `status()` for status-get; an
  interface that appears later, or comes back with another index, is opened without a restart; one that
  goes away is closed. Only what differs for IPv6 is here: what an interface needs (a usable link-local
  address, not an IPv4 one), what gets opened (udp6.Udp6Interface), how a reply leaves, and which netlink
  groups wake the manager (link and IPv6 address changes: DAD finishing, a link-local appearing).
- Interface specs come from Kea's Dhcp6 interfaces-config: "eth0", "eth0/2001:db8::1" (listen on that
  unicast address too, Kea's syntax) and "*" (every interface that is up, not loopback and has usable
  IPv6 addresses). Addresses are 16-byte bytes.
- One receiver per interface (a Udp6Interface is one selectable), so the event loop's bookkeeping is the
  same as for v4.

Log message ids: those of manager.py (DHCPSRV_OPEN_SOCKET, DHCPSRV_OPEN_SOCKET_FAIL, DHCPSRV_CLOSE_SOCKET,
...), plus DHCP6_PACKET_SEND_FAIL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from edge.netif.datagrams6 import SERVER_PORT, Transmit6
from edge.netif.interfaces6 import Interface6, scan6
from edge.netif.manager import WILDCARD, SocketManager
from edge.netif.sockets import RTMGRP_IPV6_IFADDR, RTMGRP_LINK, LinkWatcher
from edge.netif.udp6 import Udp6Interface
from edge.wire.addr import bytes_to_ip6, ip6_to_bytes

log = logging.getLogger("edge.netif")


def parse_interface_specs6(entries: Iterable[str]) -> list[tuple[str, bytes | None]]:
    """Kea Dhcp6 `interfaces-config.interfaces` entries ("eth0", "eth0/2001:db8::1", "*") to specs."""
    specs: list[tuple[str, bytes | None]] = []
    for entry in entries:
        name, _, address = entry.partition("/")
        if not name:
            raise ValueError(f"interface entry {entry!r} has no interface name")
        try:
            specs.append((name, ip6_to_bytes(address) if address else None))
        except ValueError:
            raise ValueError(f"interface entry {entry!r}: {address!r} is not an IPv6 address") from None
    return specs


@dataclass
class _Binding6:
    """An open interface: its scan record, the unicast address its spec named, and its sockets."""

    iface: Interface6
    address: bytes | None
    sock: Any  # Udp6Interface (or a test's stand-in)
    explicit: bool


class Socket6Manager(SocketManager):
    """Opens and keeps open the DHCPv6 server sockets on the configured interfaces.

    `scanner`, `factory` and `watch_links` exist so the logic can be tested without root.
    """

    def __init__(
        self,
        specs: Iterable[tuple[str, bytes | None]],
        retry_wait_ms: int = 5000,
        max_retries: int = 0,
        re_detect: bool = True,
        clock: Callable[[], float] = time.monotonic,
        *,
        port: int = SERVER_PORT,
        scanner: Callable[[], dict[str, Interface6]] = scan6,
        factory: Callable[..., Any] = Udp6Interface,
        watch_links: bool = True,
    ) -> None:
        kept: list[tuple[str, bytes | None]] = []
        seen: dict[str, bytes | None] = {}
        for name, address in specs:
            if name != WILDCARD and name in seen:
                if address != seen[name]:
                    first = seen[name]
                    log.warning(
                        "DHCPSRV_OPEN_SOCKET_FAIL %s is listed more than once; keeping %s",
                        name,
                        bytes_to_ip6(first) if first is not None else "its link-local address only",
                    )
                continue
            seen[name] = address
            kept.append((name, address))
        super().__init__(
            kept,
            "udp",
            retry_wait_ms,
            max_retries,
            re_detect,
            clock,
            port=port,
            scanner=scanner,
            udp_factory=factory,
            watch_links=False,
        )
        self._factory = factory
        if re_detect and watch_links:
            try:
                self._watcher = LinkWatcher(RTMGRP_LINK | RTMGRP_IPV6_IFADDR)
            except OSError as exc:
                log.warning("DHCPSRV_LINK_WATCH_FAIL cannot watch link changes (%s); polling instead", exc)

    # -- event-loop API ----------------------------------------------------------------------------------

    def send(self, ifname: str, tx: Transmit6) -> bool:  # type: ignore[override]
        """Transmit `tx` for a request that arrived on `ifname`. Logs and returns False on failure."""
        binding = self._bindings.get(ifname)
        if binding is None:
            log.warning(
                "DHCP6_PACKET_SEND_FAIL no open socket on %s for reply to %s", ifname, bytes_to_ip6(tx.dst_ip)
            )
            return False
        try:
            binding.sock.send(tx)
        except OSError as exc:
            log.warning(
                "DHCP6_PACKET_SEND_FAIL sending to [%s]:%d via %s: %s",
                bytes_to_ip6(tx.dst_ip),
                tx.dst_port,
                ifname,
                exc,
            )
            return False
        return True

    def local_addresses(self, ifname: str) -> list[bytes]:  # type: ignore[override]
        """The addresses the server listens on at `ifname`: its link-local, then the spec's unicast one."""
        binding = self._bindings.get(ifname)
        iface = binding.iface if binding is not None else self._ifaces.get(ifname)
        out: list[bytes] = []
        if iface is not None and iface.link_local is not None:
            out.append(iface.link_local)
        address = self._explicit.get(ifname)
        if address is not None and address not in out:
            out.append(address)
        return out

    # -- what differs from v4 ----------------------------------------------------------------------------

    def _problem(self, name: str, address: Any) -> str | None:
        iface = self._ifaces.get(name)
        if iface is None:
            return f"interface {name} does not exist"
        if not iface.up:
            return f"interface {name} is down"
        if iface.link_local is None:
            waiting = f" ({len(iface.tentative)} still tentative)" if iface.tentative else ""
            return f"interface {name} has no usable IPv6 link-local address{waiting}"
        if address is not None and not iface.has_address(address):
            return f"interface {name} does not have address {bytes_to_ip6(address)}"
        return None

    def _open(self, name: str, address: Any, explicit: bool) -> str | None:
        iface = self._ifaces[name]
        try:
            sock = self._factory(iface, self.port, address)
        except OSError as exc:
            return f"cannot open udp6 sockets on {name} (index {iface.index}): {exc}"
        self._bindings[name] = _Binding6(iface=iface, address=address, sock=sock, explicit=explicit)  # type: ignore[assignment]
        self.generation += 1
        link_local = iface.link_local
        log.info(
            "DHCPSRV_OPEN_SOCKET udp6 sockets on %s (index %d): [%s]:%d%s%s",
            name,
            iface.index,
            bytes_to_ip6(link_local) if link_local is not None else "?",
            self.port,
            ", [ff02::1:2]" if iface.multicast else " (no multicast on this interface)",
            f", [{bytes_to_ip6(address)}]" if address is not None else "",
        )
        return None
