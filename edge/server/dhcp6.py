"""The DHCPv6 family service: UDP sockets on port 547, the DHCPv6 engine, lease6-* commands.

What only DHCPv6 knows in the server (edge/server/service.py holds the rest, shared with DHCPv4):
- the socket manager of edge/netif (Socket6Manager: per interface a link-local socket and one joined to
  ff02::1:2, as Kea opens them; no raw sockets for v6);
- the `Inbound6` a received datagram becomes (16-byte addresses, the arrival interface's full 32-bit index,
  this interface's own addresses cached until the sockets change), and the reply handed to the socket
  manager as a `Transmit6`;
- the server's DUID (server-id): made once and kept in the data directory as Kea's `kea-dhcp6-serverid`
  (edge/dhcp6/server_id.py), before the engine is built, so a client renewing after a restart still
  finds the server it was talking to;
- the statistic names of a reply counted as sent that never left (a REPLY whose lease could not be made
  durable), and what a lease change means as a dashboard event (a v6 lease's holder is its DUID + IAID).

DNS updates for DHCPv6 (option 39, AAAA/PTR in ip6.arpa): the engine is given a NameHandler6
(edge/ddns/names6.py) and, with `dhcp-ddns.enable-updates` on, the same DDNS service as DHCPv4 (queue,
built-in RFC 2136 or Kea D2) is attached to it and to expired-lease reclamation.

Routes for delegated prefixes (`"delegated-prefix-routes": true`, an edge-dhcp extension; edge/dhcp6/routes.py
says what a route is): the service follows the store's change feed and hands each IA_PD change to its
RouteKeeper. The next hop is known two ways. While the engine handles a datagram (`_RoutingEngine6.handle`)
the datagram's source on its arrival interface is the next hop of every prefix that datagram commits (the
requesting router's link-local address, or the relay's address); once the engine is done with it, a lease
whose user context names another next hop (or none) is written again with this one (`route-via`, a second
store write, which the reply does not wait for and the event ring does not show). Any other change (a
reclamation, lease6-*, HA) takes the next hop from the lease's user context, and so does start-up, which
makes the kernel's routes those of the leases in the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from edge.control.commands import Family
from edge.dashboard.events import change_kind
from edge.ddns.names6 import NameHandler6
from edge.ddns.service import attach, queue_path_for
from edge.dhcp6.config import DIALECT, open_host_backends
from edge.dhcp6.defaults import load_config
from edge.dhcp6.engine import STARTUP_COUNTERS, Engine6
from edge.dhcp6.exchange import Inbound6, Outbound6
from edge.dhcp6.lease import TYPE_PD, Lease6, address_text
from edge.dhcp6.lease_cmds import LEASE6_COMMANDS
from edge.dhcp6.lease_stats import counted, recount_statistics6
from edge.dhcp6.model import Config6
from edge.dhcp6.routes import RouteKeeper, Via, delegated, route_via, with_route_via
from edge.dhcp6.server_id import load_server_id
from edge.netif.datagrams6 import RxDatagram6, Transmit6
from edge.netif.interfaces6 import scan6
from edge.netif.manager6 import Socket6Manager
from edge.policy.hosts import HostBackend
from edge.server.service import FamilyService
from edge.wire.addr import bytes_to_ip6

log = logging.getLogger("edge.server")

REPLY = 7
HTYPE_ETHER = 1


def _holds(lease: Lease6) -> bool:
    return counted(lease) is not None


def _same_client(old: Lease6, new: Lease6) -> bool:
    return old.duid == new.duid and old.iaid == new.iaid


def _subject(address: Any) -> str:
    if isinstance(address, int):
        return address_text(address)
    if isinstance(address, bytes | bytearray) and len(address) == 16:
        return bytes_to_ip6(bytes(address))
    return str(address)


def _hardware_address() -> tuple[bytes, int]:
    """The MAC the server's DUID-LLT / DUID-LL is made from when the configuration gives none: the first
    non-loopback interface's by name (Kea takes the first suitable interface it detects)."""
    try:
        interfaces = scan6()
    except OSError:
        interfaces = {}
    for name in sorted(interfaces):
        iface = interfaces[name]
        if not iface.loopback and iface.mac and any(iface.mac):
            return iface.mac, HTYPE_ETHER
    return b"", HTYPE_ETHER


def _routes_on(config: Config6) -> bool:
    return config.raw.get("Dhcp6", {}).get("delegated-prefix-routes") is True


class _RoutingEngine6(Engine6):
    """The DHCPv6 engine, telling its service which datagram the lease changes it makes come from (while
    routes for delegated prefixes are on; otherwise exactly Engine6)."""

    def __init__(self, *args: Any, service: Dhcp6Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._service = service

    def handle(self, payload: bytes, inbound: Inbound6, now: float) -> Outbound6 | None:
        service = self._service
        if service.routes is None:
            return super().handle(payload, inbound, now)
        service.arrival = inbound
        try:
            return super().handle(payload, inbound, now)
        finally:
            service.arrival = None
            if service.stamps:
                service.write_stamps()


class Dhcp6Service(FamilyService):
    family = Family("DHCPv6", "Dhcp6", DIALECT)
    prefix = "DHCP6"
    service_name = "dhcp6"
    pkt = "pkt6"
    family_commands = LEASE6_COMMANDS
    startup_counters = STARTUP_COUNTERS
    subject_text = _subject

    engine: Engine6
    route_keeper: Callable[[], RouteKeeper] = (
        RouteKeeper  # what keeps the routes (the tests give a fake kernel)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._local: dict[str, tuple[bytes, ...]] = {}  # ifname -> our addresses there, for Inbound6
        self.server_id = b""
        self.names = NameHandler6(lambda: self.engine.config)
        self.routes: RouteKeeper | None = None  # while delegated-prefix-routes is on
        self.arrival: Inbound6 | None = None  # the datagram the engine is handling (routes on only)
        self.stamps: dict[int, Via] = {}  # prefix -> the next hop to write into its lease's user context
        self._stamping = False
        super().__init__(*args, **kwargs)
        self.engine.recount(self.clock())
        self.store.subscribe(self._follow_routes)
        self._configure_routes(self.config)

    # ------------------------------------------------------------------ the family's parts
    def load_config(self, path: str | None) -> Config6:
        return load_config(path)

    def make_engine(self, config: Config6, hosts: Sequence[HostBackend]) -> Engine6:
        hwaddr, htype = _hardware_address()
        self.server_id = load_server_id(config.server_id, config.data_directory, self.clock(), hwaddr, htype)
        log.info("DHCP6_SERVERID_LOADED server-id %s", self.server_id.hex(":"))
        return _RoutingEngine6(
            config,
            self.store,
            self.stats,
            server_id=self.server_id,
            hosts=hosts,
            names=self.names,
            service=self,
        )

    def reconfigure_engine(self, config: Config6, hosts: Sequence[HostBackend]) -> None:
        # The server-id is the server's identity towards its clients: a reload keeps it (Kea reads its file
        # again and finds the same DUID unless server-id changed, which needs a restart here).
        self.engine.reconfigure(config, hosts)
        try:  # after the swap nothing may fail: the keeper logs its own failures, this is the last net
            self._configure_routes(config)
        except Exception as exc:
            self.loop.unexpected("DHCP6_ROUTE_FAIL", exc, "turning delegated-prefix-routes on or off")

    def open_hosts(self, config: Config6) -> Sequence[HostBackend]:
        return open_host_backends(config)

    def make_manager(self, config: Config6) -> Socket6Manager:
        specs = [
            (spec.name, None if spec.address is None else spec.address.to_bytes(16, "big"))
            for spec in config.interfaces
        ]
        return Socket6Manager(
            specs,
            config.service_sockets_retry_wait_time,
            config.service_sockets_max_retries,
            config.re_detect,
        )

    def sockets_changed(self) -> None:
        self._local.clear()
        if self.routes is not None and self.routes.failed:
            self.routes.retry()  # interfaces may have come (back)

    def inbound(self, rx: RxDatagram6) -> Inbound6:
        ifname = rx.ifname
        local = self._local.get(ifname)
        if local is None:
            local = self._local[ifname] = tuple(self.manager.local_addresses(ifname))
        return Inbound6(ifname, rx.ifindex, rx.src_ip, rx.src_port, rx.dst_ip, local)

    def send(self, out: Outbound6) -> None:
        self.manager.send(out.ifname, Transmit6(out.payload, out.dst_ip, out.dst_port, out.src_ip))

    def attach_ddns(self, deliverer: Any = None) -> None:
        self.ddns = attach(
            self.ddns,
            self.engine.config,
            self.names,
            self.loop,
            queue_path_for(self.store),
            self.lease_timers.reclaimer.on_reclaim,
            self.monotonic,
            deliverer,
        )

    def recount_statistics(self) -> dict[str, dict[str, int]]:
        return recount_statistics6(self.config, self.store, self.stats)

    def lease_event(self, old: Lease6 | None, new: Lease6 | None) -> None:
        if self._stamping:  # only the next hop in the user context changed: nothing happened to the client
            return
        kind = change_kind(old, new, _holds, _same_client)
        if kind is None:
            return
        lease = new if new is not None else old
        assert lease is not None
        if kind == "decline":  # a declined address has no client any more
            self.events.add(kind, lease.address, b"", "", lease.subnet_id)
        else:
            self.events.add(kind, lease.address, lease.duid, lease.hostname, lease.subnet_id)

    def uncount_sent(self, out: Outbound6) -> None:
        self.stats.inc("pkt6-sent", -1)  # the engine counted it when it built the reply
        if out.message_type == REPLY:
            self.stats.inc("pkt6-reply-sent", -1)
        self.stats.inc("pkt6-receive-drop")

    # ------------------------------------------------------------------ routes for delegated prefixes
    def _configure_routes(self, config: Config6) -> None:
        """Turn the routes on (the kernel's made those the store's leases want) or off (all of them removed)."""
        if _routes_on(config):
            if self.routes is None:
                keeper = type(self).route_keeper()
                keeper.sync(self.store.all(), self.clock())
                self.routes = keeper
        elif self.routes is not None:
            keeper, self.routes = self.routes, None
            keeper.clear()
            keeper.close()

    def _follow_routes(self, old: Lease6 | None, new: Lease6 | None) -> None:
        keeper = self.routes
        if keeper is None or self._stamping:
            return
        if (old is None or old.lease_type != TYPE_PD) and (new is None or new.lease_type != TYPE_PD):
            return
        via = None
        if delegated(new):
            assert new is not None
            arrival = self.arrival
            if arrival is not None:  # committed by this datagram: its source is the next hop
                via = Via.of(arrival.src_ip, arrival.ifname)
                if route_via(new) != via:
                    self.stamps[new.address] = via
            else:
                via = route_via(new)
        keeper.changed(old, new, via)

    def write_stamps(self) -> None:
        """Write the next hops the last datagram showed into their leases' user contexts."""
        stamps, self.stamps = self.stamps, {}
        for address, via in stamps.items():
            lease = self.store.get(address)
            if lease is None or not delegated(lease) or route_via(lease) == via:
                continue
            self._stamping = True
            try:
                self.store.put(with_route_via(lease, via))
            except Exception as exc:  # a full disk, a context too big: the route is there, a restart lacks it
                log.warning("DHCP6_ROUTE_FAIL cannot keep the next hop of %s in its lease: %s", lease, exc)
            finally:
                self._stamping = False

    def close(self) -> None:
        super().close()
        if self.routes is not None:
            self.routes.close()  # the routes stay: the prefixes are still delegated
