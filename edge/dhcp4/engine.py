"""The DHCPv4 request pipeline, sans-IO: (config, lease store, now, datagram) -> reply or nothing.

Rules:
- No sockets, no files, no clock, no sleeping. The server passes the received bytes with an `Inbound`
  (where they came from) and the current time; the engine answers with an `Outbound` (bytes and where to
  send them) or None. Lease changes go through the LeaseStore, whose `put` returns only once the change is
  recorded, so an ACK is never built for a lease the store could not keep.
- Malformed input is counted (`pkt4-parse-failed`) and dropped; it never raises out of `handle`.
- A configuration is a value: `Engine.reconfigure` builds every derived index for the new snapshot first
  (selector, classifier, host backends, allocator, option scopes), then swaps them in one assignment.
- Decisions follow Kea 2.2 (dhcp4_srv.cc): the tests in tests/lab/test_parity.py run the same configuration
  and the same packets against Kea and against this engine. Where we differ on purpose it is said here
  and in those tests: a NAK carries a reason (option 56); a released lease is kept (valid lifetime 0) so
  the client gets its address back (Kea 2.2 deletes it; later Kea keeps it too, "lease affinity").

Pipeline (Kea's order):
  decode -> classify, first pass (ALL, VENDOR_CLASS_x, tests not depending on KNOWN) -> DROP?
  -> [early-global-reservations-lookup: global reservation, its classes, KNOWN] -> select subnet (classes
  guard it) -> host reservations (global, subnet and shared network) -> classes of a global reservation
  re-evaluate the first pass (Kea #1139) -> KNOWN/UNKNOWN and the tests depending on them -> DROP?
  -> per message type: DISCOVER (offer), REQUEST (see states.py; INIT-REBOOT as Kea), DECLINE, RELEASE,
  INFORM -> required classes (pool, subnet, shared network) -> options, fixed fields (siaddr, sname, file)
  -> address the reply per RFC 2131 section 4.1.

Rooms of the family (each file one idea):
  engine.py      this: the entry point, classification, subnet selection and reservations (the pipeline)
  messages.py    the message-type handlers;  reply.py: reply building;  addressing.py: where a reply goes
  context.py     everything derived from one configuration snapshot;  exchange.py: Inbound/Outbound/Request
  alloc.py, pools.py, select.py, states.py, options.py: allocation, free sets, subnet selection, the
  REQUEST state table, option planning

Collaborators come in through the constructor, typed: the lease store, the statistics registry, the host
backends the server opened for the configuration (the engine opens no file), the DNS name handler, and
HA's scope check. Lease statistics and the allocator's free sets follow the store's change feed
(edge/dhcp4/lease_stats.py): the engine subscribes at construction.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable, Sequence

from edge.ddns.names import NameHandler
from edge.dhcp4.addressing import finish
from edge.dhcp4.alloc import Allocator, ClientIdentity, Exchange
from edge.dhcp4.context import Context
from edge.dhcp4.exchange import Inbound, Outbound, Request
from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_stats import LeaseStatistics, holds_address, recount_statistics
from edge.dhcp4.lease_store import LeaseStore4
from edge.dhcp4.messages import Messages
from edge.dhcp4.model import Config4, Subnet4
from edge.expr.language import EvalError, PacketView4
from edge.leases.errors import LeaseStoreError
from edge.policy.classify import Classes
from edge.policy.hosts import GLOBAL, ConfigHosts, HostBackend, HostManager
from edge.stats import Statistics
from edge.wire import pkt4 as wire
from edge.wire.addr import int_to_ip
from edge.wire.errors import DecodeError, EncodeError

__all__ = ["Engine", "Inbound", "Outbound", "ScopeCheck"]

log = logging.getLogger("edge.dhcp4")

_ZERO4 = b"\0\0\0\0"

_RECEIVED_COUNTER = {
    wire.DHCPDISCOVER: "pkt4-discover-received",
    wire.DHCPOFFER: "pkt4-offer-received",
    wire.DHCPREQUEST: "pkt4-request-received",
    wire.DHCPACK: "pkt4-ack-received",
    wire.DHCPNAK: "pkt4-nak-received",
    wire.DHCPRELEASE: "pkt4-release-received",
    wire.DHCPDECLINE: "pkt4-decline-received",
    wire.DHCPINFORM: "pkt4-inform-received",
}

# HA's scope check: (request, its classes so far) -> may this server answer? It may add an HA_ class.
ScopeCheck = Callable[[wire.Packet, Classes], bool]


def _u32(data: bytes) -> int:
    return struct.unpack("!I", data)[0]


def _backends(config: Config4, hosts: Sequence[HostBackend] | None) -> Sequence[HostBackend]:
    return hosts if hosts is not None else [ConfigHosts(config)]


class Engine(Messages):
    def __init__(
        self,
        config: Config4,
        store: LeaseStore4,
        stats: Statistics | None = None,
        *,
        hosts: Sequence[HostBackend] | None = None,
        names: NameHandler | None = None,
        in_scope: ScopeCheck | None = None,
    ) -> None:
        self.store = store
        self.stats = stats if stats is not None else Statistics()
        # DNS names (edge/ddns/names.py): option 81/12 answers, the lease's hostname and fqdn flags, and the
        # DNS updates lease changes call for. None: Kea's option 12 handling with DNS updates off.
        self.names = names
        # HA's scope check (edge/ha): may this server answer the packet? It may also add the packet's
        # HA_<server> class. None: every packet is ours.
        self.in_scope = in_scope
        self._lease_stats = LeaseStatistics(self.stats)
        self._ctx = Context(config, store, self.stats, _backends(config, hosts), names)
        # The lease gauges follow the store's change feed (edge/dhcp4/lease_stats.py): the engine is where the
        # store and the registry meet.
        store.subscribe(self._on_store_change)
        self._init_subnet_stats(config)

    @property
    def hosts(self) -> HostManager:
        return self._ctx.hosts

    @property
    def allocator(self) -> Allocator:
        return self._ctx.allocator

    def reconfigure(self, config: Config4, hosts: Sequence[HostBackend] | None = None) -> None:
        """Serve `config` from now on, with the host backends the server opened for it (None: only the
        configuration's own reservations). The new Context is built whole first, then swapped in."""
        context = Context(
            config, self.store, self.stats, _backends(config, hosts), self.names, self._ctx.allocator.offers
        )
        self._ctx = context
        self._init_subnet_stats(config)

    def _init_subnet_stats(self, config: Config4) -> None:
        for subnet in config.subnets:
            total = sum(p.size for p in subnet.pools)
            self.stats.set("subnet[%d].total-addresses" % subnet.id, total)
            for name in ("assigned-addresses", "declined-addresses"):
                key = "subnet[%d].%s" % (subnet.id, name)
                if self.stats.stamp(key) is None:
                    self.stats.set(key, 0)

    def recount(self, now: float) -> None:
        """Rebuild the per-subnet gauges from the store (used at start-up)."""
        recount_statistics(self.config, self.store, self.stats)

    def _on_store_change(self, old: Lease | None, new: Lease | None) -> None:
        """The store applied a change (ours or anyone's): statistics and free sets follow it."""
        self._lease_stats.on_change(old, new)
        allocator = self._ctx.allocator
        if new is None or not holds_address(new) or new.valid_lifetime == 0:
            if old is not None:
                allocator.note_free(old.subnet_id, old.address)
        else:
            allocator.note_busy(new.subnet_id, new.address, float(new.expire))

    def handle(self, payload: bytes, inbound: Inbound, now: float) -> Outbound | None:
        self.stats.inc("pkt4-received")
        try:
            request = wire.decode(payload)
        except DecodeError as exc:
            self.stats.inc("pkt4-parse-failed")
            self.stats.inc("pkt4-receive-drop")
            log.debug(
                "DHCP4_PACKET_DROP_0001 failed to parse packet from %s on %s: %s",
                int_to_ip(inbound.src_ip),
                inbound.ifname,
                exc,
            )
            return None
        msg_type = request.message_type
        if request.op != wire.BOOTREQUEST or msg_type is None or request.hlen > 16:
            self.stats.inc("pkt4-receive-drop")
            return None
        self.stats.inc(_RECEIVED_COUNTER.get(msg_type, "pkt4-unknown-received"))
        handler = self.handlers.get(msg_type)
        if handler is None:
            self.stats.inc("pkt4-receive-drop")
            return None
        client_id = request.options.get(wire.OPT_CLIENT_ID)
        if client_id is not None and not wire.CLIENT_ID_MIN <= len(client_id) <= wire.CLIENT_ID_MAX:
            # Kea 2.2 refuses such a client-id when it builds the exchange (ClientId: 2 to 128 bytes) and drops
            # the packet; the lease store could not hold one past 255 bytes anyway.
            log.debug(
                "DHCP4_PACKET_DROP_0007 %s xid 0x%08x dropped: client-id of %d bytes (2 to %d allowed)",
                request.mac.hex(":"),
                request.xid,
                len(client_id),
                wire.CLIENT_ID_MAX,
            )
            self.stats.inc("pkt4-receive-drop")
            return None
        try:
            pkt = self._prepare(request, inbound, len(payload))
            reply = handler(self, pkt, now) if pkt is not None else None
        except LeaseStoreError as exc:
            log.error("DHCP4_LEASE_STORE_FAIL %s: not answering xid 0x%08x", exc, request.xid)
            self.stats.inc("pkt4-receive-drop")
            return None
        if reply is None:
            return None
        try:
            out = finish(request, reply, inbound, self.stats)
        except EncodeError as exc:
            log.error("DHCP4_PACKET_PACK_FAIL cannot encode reply to xid 0x%08x: %s", request.xid, exc)
            return None
        if out.message_type == wire.DHCPACK:
            out.wait_seq = self.store.last_seq  # an ACK promises every lease change made so far
        return out

    def _prepare(self, request: wire.Packet, inbound: Inbound, length: int) -> Request | None:
        """Classify, select the subnet, find reservations: Kea's Dhcpv4Exchange. None: drop (DROP class)."""
        ctx = self._ctx
        classifier = ctx.classifier
        view = PacketView4(request, inbound.ifname, inbound.src_ip, inbound.dst_ip, length)
        classes = classifier.first_pass(view)
        if classifier.dropped(classes):
            return self._drop(request, "DROP class")
        if self.in_scope is not None and not self.in_scope(request, classes):
            return self._drop(request, "not in this server's HA scope")
        client = self._identify(request, view)
        pkt = Request(request, inbound, view, classes, client)
        # No reservations anywhere (a common home configuration): nothing to look up, so no identifiers.
        no_hosts = ctx.hosts.empty
        identifiers = [] if no_hosts else client.identifiers(ctx.hosts.identifier_order)
        early = self.config.early_global_reservations_lookup
        if early:
            pkt.early = ctx.hosts.find(GLOBAL, identifiers)
            if pkt.early is not None:
                if pkt.early.client_classes:
                    classifier.with_reserved(view, classes, pkt.early.client_classes, reevaluate=True)
                classifier.mark_known(view, classes)
                if classifier.dropped(classes):
                    return self._drop(request, "DROP class (global reservation)")
        subnet = self._select(request, inbound, view, classes)
        pkt.subnet = subnet
        in_network = False
        if subnet is not None:
            ex = Exchange(client, identifiers, classes, subnet)
            pkt.ex = ex
            params = subnet.params
            if not no_hosts and (params.reservations_in_subnet or params.reservations_global):
                ctx.allocator.find_reservations(ex, pkt.early, early)
                in_network = bool(subnet.shared_network)
            global_host = ctx.allocator.global_host(ex)
            current = ctx.allocator.current_host(ex)
            if (not early and global_host is not None and global_host.client_classes) or (
                not in_network and current is not None and current.client_classes
            ):
                reserved = current.client_classes if current is not None else ()
                classifier.with_reserved(view, classes, reserved, reevaluate=True)
        known = pkt.ex is not None and bool(pkt.ex.hosts)
        classifier.known_pass(view, classes, known)
        if classifier.dropped(classes):
            return self._drop(request, "DROP class")
        return pkt

    def _identify(self, request: wire.Packet, view: PacketView4) -> ClientIdentity:
        circuit_id = view.suboptions(wire.OPT_RELAY_AGENT_INFO).get(1)  # option 82 parsed once per packet
        flex_id = None
        expression = self.config.flex_id_expression
        if expression is not None:
            try:
                flex_id = expression.evaluate(view) or None  # Kea's flex_id hook: the expression's value
            except EvalError as exc:
                log.debug("DHCP4_FLEX_ID flex-id expression failed for %s: %s", request.mac.hex(":"), exc)
        return ClientIdentity(request.mac, request.options.get(wire.OPT_CLIENT_ID), circuit_id, flex_id)

    @staticmethod
    def _link_selection(request: wire.Packet, view: PacketView4) -> int:
        """RFC 3527's link-selection sub-option of option 82, else RFC 3011's option 118; 0 without."""
        if request.options.get(wire.OPT_RELAY_AGENT_INFO):
            selected = view.suboptions(wire.OPT_RELAY_AGENT_INFO).get(5)
        else:
            selected = request.options.get(wire.OPT_SUBNET_SELECTION)
        return _u32(selected) if selected and len(selected) == 4 else 0

    def _select(
        self, request: wire.Packet, inbound: Inbound, view: PacketView4, classes: Classes
    ) -> Subnet4 | None:
        # SubnetSelector.select(giaddr, ciaddr, ifname, interface_addresses, link_selection, classes, src_ip,
        # dst_ip), positionally: the one call per packet.
        return self._ctx.selector.select(
            _u32(request.giaddr) if request.giaddr != _ZERO4 else 0,
            _u32(request.ciaddr) if request.ciaddr != _ZERO4 else 0,
            inbound.ifname,
            inbound.local_addresses,
            self._link_selection(request, view),
            classes,
            inbound.src_ip,
            inbound.dst_ip,
        )
