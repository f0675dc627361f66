"""Routes for delegated prefixes: the `delegated-prefix-routes` extension (off by default).

A router that was delegated a prefix (an IA_PD lease) routes it downstream, but nothing routes it to that
router: Kea and dhcpd leave this to scripts. With the key on, edge-dhcp keeps one kernel route per delegated
prefix, `PREFIX/LEN via NEXTHOP dev IFACE proto 237` (main table), where the next hop is the source of the
DHCPv6 message that committed the lease on its arrival interface: the requesting router's link-local address
when it asked directly, the relay's address when relayed.

Rules this module keeps:
- A lease wants a route (`wanted`) while it is an IA_PD lease in the default state with a valid lifetime
  and a known next hop. Every other state -- released (deleted), expired-reclaimed, declined, deleted by
  lease6-del or a flush -- withdraws it.
- The next hop of a lease is kept in its user context, `{"edge-dhcp": {"route-via": "fe80::1%eth0"}}`
  (address, then the interface by name; `route_via` / `with_route_via`), so the lease store carries it over a
  restart and lease6-get shows it. The family service writes it when the next hop it saw differs from the
  lease's (edge/server/dhcp6.py); an operator may set it with lease6-add / lease6-update too.
- `RouteKeeper` talks to the kernel over one netlink socket (pyroute2's IPRoute, imported only when the key
  is on). Netlink answers at once (no I/O is waited on), and every failure -- no such interface, a next hop
  the kernel refuses, pyroute2 missing -- is logged and remembered for a retry (`retry`), never raised.
- The routes are told apart from everyone else's by their protocol number (RTPROT_EDGE); `sync` (start-up,
  the key turned on by a reload) makes the kernel's routes of that protocol exactly the wanted ones, so
  routes left by a run that ended before a lease was released or expired go then. Stopping edge-dhcp leaves
  the routes in place: the prefixes are still delegated, and a restart takes them over.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from edge.dhcp6.lease import STATE_DEFAULT, TYPE_PD, Lease6, address_text

__all__ = ["CONTEXT_KEY", "RTPROT_EDGE", "RouteKeeper", "Via", "route_via", "wanted", "with_route_via"]

log = logging.getLogger("edge.dhcp6.routes")

RTPROT_EDGE = 237  # rtm_protocol of edge-dhcp's routes: no value iproute2's rt_protos or the kernel names
MAIN_TABLE = 254
ESRCH = 3  # a route to delete is gone already
CONTEXT_KEY = "edge-dhcp"  # the user-context map edge-dhcp keeps its own values in
VIA_KEY = "route-via"

Key = tuple[int, int]  # (prefix as a 128-bit integer, prefix length)


@dataclass(frozen=True, slots=True)
class Via:
    """A next hop: an IPv6 address (text, as ipaddress writes it) and the interface it is reached on ("":
    let the kernel find it, for a global next hop given by hand)."""

    address: str
    ifname: str = ""

    @classmethod
    def parse(cls, text: object) -> Via | None:
        """`ADDR%IFACE` or `ADDR`; None if it is not one."""
        if not isinstance(text, str):
            return None
        address, _, ifname = text.partition("%")
        try:
            parsed = ipaddress.IPv6Address(address)
        except ValueError:
            return None
        return cls(str(parsed), ifname)

    @classmethod
    def of(cls, address: bytes, ifname: str) -> Via:
        return cls(str(ipaddress.IPv6Address(bytes(address))), ifname)

    def __str__(self) -> str:
        return f"{self.address}%{self.ifname}" if self.ifname else self.address


def route_via(lease: Lease6) -> Via | None:
    """The next hop kept in the lease's user context, if any."""
    context = lease.user_context
    if not isinstance(context, dict):
        return None
    ours = context.get(CONTEXT_KEY)
    return Via.parse(ours.get(VIA_KEY)) if isinstance(ours, dict) else None


def with_route_via(lease: Lease6, via: Via) -> Lease6:
    """A copy of `lease` whose user context names `via` (everything else in the context kept)."""
    context = dict(lease.user_context) if isinstance(lease.user_context, dict) else {}
    ours = context.get(CONTEXT_KEY)
    context[CONTEXT_KEY] = {**(ours if isinstance(ours, dict) else {}), VIA_KEY: str(via)}
    fresh = lease.copy()
    fresh.user_context = context
    return fresh


def delegated(lease: Lease6 | None) -> bool:
    """An IA_PD lease that holds its prefix (default state, a valid lifetime): one that may have a route."""
    return (
        lease is not None
        and lease.lease_type == TYPE_PD
        and lease.state == STATE_DEFAULT
        and lease.valid_lifetime > 0
    )


def wanted(lease: Lease6 | None, now: float | None = None) -> Via | None:
    """The next hop of the route `lease` wants (None: no route); with `now`, only while unexpired."""
    if not delegated(lease):
        return None
    assert lease is not None
    if now is not None and lease.expire <= now:
        return None
    return route_via(lease)


def key_of(lease: Lease6) -> Key:
    return (lease.address, lease.prefix_len)


def _text(key: Key) -> str:
    return "%s/%d" % (address_text(key[0]), key[1])


def _open_iproute() -> Any:
    from pyroute2 import IPRoute  # imported only when the extension is on: it weighs ~10 MB

    return IPRoute()


class RouteKeeper:
    """The kernel routes of the delegated prefixes, as wanted by the leases.

    `iproute`: a factory for the netlink socket (pyroute2.IPRoute by default; the tests give a fake with the
    same `route()` and `close()`); `ifindex`: interface name -> index (socket.if_nametoindex)."""

    def __init__(
        self,
        iproute: Callable[[], Any] = _open_iproute,
        ifindex: Callable[[str], int] = socket.if_nametoindex,
        ifname: Callable[[int], str] = socket.if_indextoname,
    ) -> None:
        self._factory = iproute
        self._ifindex = ifindex
        self._ifname = ifname
        self._ipr: Any = None
        self._open_failed = False
        self.routes: dict[Key, Via] = {}  # what is in the kernel, as far as we know
        self.failed: dict[Key, Via] = {}  # wanted, but the kernel refused it (retried by `retry`)

    # ------------------------------------------------------------------ what the service calls
    def changed(self, old: Lease6 | None, new: Lease6 | None, via: Via | None) -> None:
        """A lease change off the store's feed: `via` is the next hop `new` wants (None: no route)."""
        if old is not None and old.lease_type == TYPE_PD:
            gone = key_of(old)
            if via is None or gone != key_of(new):  # type: ignore[arg-type]
                self.withdraw(gone)
        if via is not None and new is not None:
            self.set(key_of(new), via)

    def set(self, key: Key, via: Via) -> bool:
        """Install (or replace) the route of `key` via `via`; False (logged, kept for a retry) if refused.
        Asked again for the same route, it is replaced again: a route someone removed comes back."""
        self.failed.pop(key, None)
        before = self.routes.get(key)
        if not self._netlink("replace", key, via):
            self.routes.pop(key, None)
            self.failed[key] = via
            return False
        self.routes[key] = via
        if before != via:
            log.info("DHCP6_ROUTE_ADD %s via %s", _text(key), via)
        return True

    def withdraw(self, key: Key) -> None:
        """Remove the route of `key`, if we have one."""
        self.failed.pop(key, None)
        via = self.routes.pop(key, None)
        if via is not None and self._netlink("del", key, via):
            log.info("DHCP6_ROUTE_DEL %s via %s", _text(key), via)

    def retry(self) -> None:
        """Try the refused routes again (an interface may have appeared)."""
        for key, via in list(self.failed.items()):
            self.set(key, via)

    def sync(self, leases: Iterable[Lease6], now: float) -> None:
        """Make the kernel's routes of RTPROT_EDGE exactly those the (unexpired) leases want."""
        desired: dict[Key, Via] = {}
        for lease in leases:
            via = wanted(lease, now)
            if via is not None:
                desired[key_of(lease)] = via
        present = self._ours()
        self.routes = dict(present)
        for key in present:
            if key not in desired:
                self.withdraw(key)
        for key, via in desired.items():
            if present.get(key) != via:
                self.set(key, via)
        log.info(
            "DHCP6_ROUTES_SYNCED %d route(s) for delegated prefixes (%d kept, %d refused)",
            len(self.routes),
            sum(1 for k, v in desired.items() if present.get(k) == v),
            len(self.failed),
        )

    def clear(self) -> None:
        """Remove every route of RTPROT_EDGE (the extension was turned off)."""
        self.routes = self._ours()
        for key in list(self.routes):
            self.withdraw(key)
        self.failed.clear()

    def close(self) -> None:
        """Close the netlink socket; the routes stay in the kernel."""
        ipr, self._ipr = self._ipr, None
        if ipr is not None:
            try:
                ipr.close()
            except Exception as exc:
                log.warning("DHCP6_ROUTE_FAIL closing the netlink socket: %s", exc)

    # ------------------------------------------------------------------ netlink
    def _socket(self) -> Any:
        if self._ipr is None and not self._open_failed:
            try:
                self._ipr = self._factory()
            except Exception as exc:  # pyroute2 missing, no netlink: said once, the server goes on
                self._open_failed = True
                log.error(
                    "DHCP6_ROUTE_FAIL delegated-prefix-routes is on but no netlink socket could be "
                    "opened (%s: %s); no routes are installed",
                    type(exc).__name__,
                    exc,
                )
        return self._ipr

    def _netlink(self, command: str, key: Key, via: Via) -> bool:
        ipr = self._socket()
        if ipr is None:
            return False
        args: dict[str, Any] = {
            "family": socket.AF_INET6,
            "dst": address_text(key[0]),
            "dst_len": key[1],
            "gateway": via.address,
            "proto": RTPROT_EDGE,
            "table": MAIN_TABLE,
        }
        try:
            if via.ifname:
                args["oif"] = self._ifindex(via.ifname)
            ipr.route(command, **args)
        except Exception as exc:  # NetlinkError, OSError (no such interface), a bug in the library
            if command == "del" and getattr(exc, "code", None) == ESRCH:
                return True  # gone already (its interface went down, or someone removed it)
            log.warning(
                "DHCP6_ROUTE_FAIL cannot %s the route %s via %s: %s",
                "remove" if command == "del" else "install",
                _text(key),
                via,
                exc,
            )
            return False
        return True

    def _ours(self) -> dict[Key, Via]:
        """The kernel's routes of RTPROT_EDGE in the main table."""
        ipr = self._socket()
        if ipr is None:
            return {}
        try:
            dumped = ipr.route("dump", family=socket.AF_INET6, proto=RTPROT_EDGE, table=MAIN_TABLE)
            found: dict[Key, Via] = {}
            for message in dumped:
                if message["proto"] != RTPROT_EDGE:  # the filter is pyroute2's; look again
                    continue
                dst, gateway, oif = (message.get_attr(n) for n in ("RTA_DST", "RTA_GATEWAY", "RTA_OIF"))
                if dst is None or gateway is None:
                    continue
                key = (int(ipaddress.IPv6Address(dst)), int(message["dst_len"]))
                found[key] = Via(str(ipaddress.IPv6Address(gateway)), self._name_of(oif))
            return found
        except Exception as exc:
            log.warning("DHCP6_ROUTE_FAIL cannot list the routes of delegated prefixes: %s", exc)
            return {}

    def _name_of(self, oif: int | None) -> str:
        if oif is None:
            return ""
        try:
            return self._ifname(oif)
        except OSError:
            return ""


def routes_of(keeper: RouteKeeper) -> Mapping[str, str]:
    """What the keeper believes is installed, as text (for logs and tests)."""
    return {_text(key): str(via) for key, via in sorted(keeper.routes.items())}
