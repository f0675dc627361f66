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

Lease statistics: the gauges follow the store's change feed (edge/leases/stats.py) when the store has one
(the engine subscribes at construction); so does the allocator's free-address bookkeeping.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Sequence
from typing import Any

from edge.dhcp4 import states
from edge.dhcp4.alloc import Allocator, ClientIdentity, Exchange
from edge.dhcp4.config import open_host_backends
from edge.dhcp4.model import ClientClass4, Config4, Reservation4, Subnet4
from edge.dhcp4.options import OptionPlanner, Scope, select_options, vendor_option
from edge.dhcp4.select import SubnetSelector
from edge.expr.language import EvalError, PacketView
from edge.leases.lease import STATE_DECLINED, STATE_DEFAULT, Lease
from edge.leases.stats import LeaseStatistics, holds_address, recount_statistics
from edge.leases.store import LeaseStore, LeaseStoreError
from edge.log import Lines
from edge.policy.classify import Classes, Classifier
from edge.policy.hosts import GLOBAL, HostManager
from edge.stats import Statistics
from edge.wire import pkt4 as wire
from edge.wire.addr import int_to_ip
from edge.wire.errors import DecodeError, EncodeError

log = logging.getLogger("edge.dhcp4")
# The two lines every exchange logs at INFO (DHCP4_LEASE_ADVERT, DHCP4_LEASE_ALLOC) take logging's short road
# (edge/log.py Lines): the same text to the same outputs, without a LogRecord when none is needed.
lines = Lines(log)

BROADCAST = 0xFFFFFFFF
BROADCAST_MAC = b"\xff" * 6
_ZERO4 = b"\0\0\0\0"
CLIENT_PORT = 68
SERVER_PORT = 67

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
_SENT_COUNTER = {
    wire.DHCPOFFER: "pkt4-offer-sent",
    wire.DHCPACK: "pkt4-ack-sent",
    wire.DHCPNAK: "pkt4-nak-sent",
}
# Kea's default hostname-char-set: characters not allowed in a host name are removed.
_HOSTNAME_SCRUB = re.compile(r"[^A-Za-z0-9.-]")


def _u32(data: bytes) -> int:
    return struct.unpack("!I", data)[0]


class Inbound:
    """Where a datagram came from. Addresses are ints; ifindex is a full 32-bit value."""

    __slots__ = ("ifname", "ifindex", "src_ip", "dst_ip", "src_port", "src_mac", "local_addresses")

    def __init__(
        self,
        ifname: str,
        ifindex: int,
        src_ip: int = 0,
        dst_ip: int = BROADCAST,
        src_port: int = CLIENT_PORT,
        src_mac: bytes = b"",
        local_addresses: tuple[int, ...] = (),
    ) -> None:
        self.ifname = ifname
        self.ifindex = ifindex
        self.src_ip = src_ip
        self.dst_ip = dst_ip
        self.src_port = src_port
        self.src_mac = src_mac
        self.local_addresses = local_addresses


class Outbound:
    """A reply and where it goes. `dst_mac` None: let the kernel route it (relay, or a client with an
    address); bytes: send as a link-layer frame to that MAC."""

    __slots__ = (
        "payload",
        "packet",
        "message_type",
        "ifname",
        "src_ip",
        "dst_ip",
        "dst_port",
        "dst_mac",
        "wait_seq",
    )

    def __init__(
        self,
        payload: bytes,
        packet: wire.Packet,
        message_type: int,
        ifname: str,
        src_ip: int,
        dst_ip: int,
        dst_port: int,
        dst_mac: bytes | None,
        wait_seq: int = 0,
    ) -> None:
        self.payload = payload
        self.packet = packet
        self.message_type = message_type
        self.ifname = ifname
        self.src_ip = src_ip
        self.dst_ip = dst_ip
        self.dst_port = dst_port
        self.dst_mac = dst_mac
        # The lease store's change number this reply promises (an ACK): the server sends it only once the
        # store's durable_seq has reached it. 0: nothing to wait for.
        self.wait_seq = wait_seq

    def __repr__(self) -> str:
        return "Outbound(%s to %s:%d mac=%s via %s)" % (
            wire.MESSAGE_TYPE_NAMES.get(self.message_type, self.message_type),
            int_to_ip(self.dst_ip),
            self.dst_port,
            self.dst_mac.hex(":") if self.dst_mac else "-",
            self.ifname,
        )


class _Context:
    """Everything derived from one configuration snapshot."""

    def __init__(
        self, config: Config4, store: LeaseStore, stats: Statistics, offers: dict | None = None
    ) -> None:
        self.config = config
        self.selector = SubnetSelector(config)
        self.classifier = Classifier(config.client_classes)
        # Reads the hosts databases (file I/O): the server is to open them and pass them in.
        self.hosts = HostManager(open_host_backends(config), config.host_reservation_identifiers)
        self.allocator = Allocator(config, store, self.hosts, self.selector, stats, offers)
        self.options = OptionPlanner(config)
        self.classes: dict[str, ClientClass4] = {c.name: c for c in config.client_classes}
        # What _add_options decided for a (scopes, request, reply so far) combination: the scopes are built
        # once per configuration and never changed, and the key holds them, so an entry cannot go stale.
        self.option_answers: dict[tuple, tuple[tuple[tuple[int, bytes], ...], bytes | None]] = {}
        # Per-configuration answers the reply path would otherwise work out per packet, keyed by subnet id
        # (unique in a configuration): the lease options (51, 1, 59, 58) of a (subnet, lifetime), and the
        # classes a (subnet, pool) requires. Built from this snapshot only, they go with it on reconfigure.
        self.lease_options: dict[tuple[int, int], tuple[tuple[int, bytes], ...]] = {}
        self.required_names: dict[tuple[int, int], tuple[str, ...]] = {}
        # Option 54 (packed) for a (subnet id, the receiving interface's addresses).
        self.server_ids: dict[tuple[int | None, tuple[int, ...]], bytes] = {}
        # siaddr, sname and file of a subnet, when no class sets any of them (else worked out per reply).
        self.fixed_fields: dict[int, tuple[bytes, bytes | None, bytes | None]] = {}
        self.class_fixed_fields = any(
            c.next_server or c.server_hostname or c.boot_file_name for c in config.client_classes
        )


class _Packet:
    """What the pipeline learned about one request before the message-type handler runs."""

    __slots__ = ("request", "inbound", "view", "classes", "client", "ex", "subnet", "early")

    def __init__(
        self,
        request: wire.Packet,
        inbound: Inbound,
        view: PacketView,
        classes: Classes,
        client: ClientIdentity,
    ) -> None:
        self.request = request
        self.inbound = inbound
        self.view = view
        self.classes = classes
        self.client = client
        self.ex: Exchange | None = None
        self.subnet: Subnet4 | None = None  # the subnet selected (before the allocator moves in a network)
        self.early: Reservation4 | None = None


class Engine:
    def __init__(self, config: Config4, store: LeaseStore, stats: Statistics | None = None) -> None:
        self.store = store
        self.stats = stats or Statistics()
        self._lease_stats = LeaseStatistics(self.stats)
        self._ctx = _Context(config, store, self.stats)
        subscribe = getattr(store, "subscribe", None)
        self._feed = subscribe is not None
        if subscribe is not None:
            # The lease gauges follow the store's change feed (edge/leases/stats.py, what
            # attach_statistics does): the engine is where the store and the registry meet.
            subscribe(self._on_store_change)
            if getattr(store, "stats", False) is None:
                store.stats = self.stats  # type: ignore[attr-defined]  # the memfile store counts write errors there
        self._init_subnet_stats(config)
        # DNS names (edge/ddns/names.py NameHandler), attached by the server: option 81/12 answers, the
        # lease's hostname/fqdn flags, and the DNS updates lease changes call for. None: Kea's option 12
        # handling with DNS updates off (_lease_hostname / _reply_hostname).
        self.ddns: Any = None

    @property
    def config(self) -> Config4:
        return self._ctx.config

    @property
    def hosts(self) -> HostManager:
        return self._ctx.hosts

    @property
    def allocator(self) -> Allocator:
        return self._ctx.allocator

    def reconfigure(self, config: Config4) -> None:
        # May raise (a bad hosts database): the old context keeps serving.
        context = _Context(config, self.store, self.stats, self._ctx.allocator.offers)
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

    def _changed(self, old: Lease | None, new: Lease | None) -> None:
        """A change the engine made, for stores without a change feed (which announce it themselves)."""
        if not self._feed:
            self._on_store_change(old, new)

    # ------------------------------------------------------------------ entry point
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
        handler = self._handlers.get(msg_type)
        if handler is None:
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
            out = self._finish(request, reply, inbound)
        except EncodeError as exc:
            log.error("DHCP4_PACKET_PACK_FAIL cannot encode reply to xid 0x%08x: %s", request.xid, exc)
            return None
        if out.message_type == wire.DHCPACK:
            out.wait_seq = self.store.last_seq  # an ACK promises every lease change made so far
        return out

    # ------------------------------------------------------------------ classification and selection
    def _prepare(self, request: wire.Packet, inbound: Inbound, length: int) -> _Packet | None:
        """Classify, select the subnet, find reservations: Kea's Dhcpv4Exchange. None: drop (DROP class)."""
        ctx = self._ctx
        classifier = ctx.classifier
        view = PacketView(request, inbound.ifname, inbound.src_ip, inbound.dst_ip, length)
        classes = classifier.first_pass(view)
        if classifier.dropped(classes):
            return self._drop(request, "DROP class")
        client = self._identify(request, view)
        pkt = _Packet(request, inbound, view, classes, client)
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
        subnet = self._select(request, inbound, classes)
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

    def _drop(self, request: wire.Packet, why: str) -> None:
        log.debug("DHCP4_PACKET_DROP_0010 %s xid 0x%08x dropped: %s", request.mac.hex(":"), request.xid, why)
        self.stats.inc("pkt4-receive-drop")
        return None

    def _identify(self, request: wire.Packet, view: PacketView | None = None) -> ClientIdentity:
        circuit_id = None
        agent = request.options.get(wire.OPT_RELAY_AGENT_INFO)
        if agent:
            try:
                for code, value in wire.parse_suboptions(agent):
                    if code == 1:
                        circuit_id = value
                        break
            except DecodeError:
                circuit_id = None
        flex_id = None
        expression = self.config.flex_id_expression
        if expression is not None and view is not None:
            try:
                flex_id = expression.evaluate(view) or None  # Kea's flex_id hook: the expression's value
            except EvalError as exc:
                log.debug("DHCP4_FLEX_ID flex-id expression failed for %s: %s", request.mac.hex(":"), exc)
        return ClientIdentity(request.mac, request.options.get(wire.OPT_CLIENT_ID), circuit_id, flex_id)

    def _link_selection(self, request: wire.Packet) -> int:
        agent = request.options.get(wire.OPT_RELAY_AGENT_INFO)
        if agent:
            try:
                for code, value in wire.parse_suboptions(agent):
                    if code == 5 and len(value) == 4:
                        return _u32(value)
            except DecodeError:
                return 0
            return 0
        selected = request.options.get(wire.OPT_SUBNET_SELECTION)
        if selected and len(selected) == 4:
            return _u32(selected)
        return 0

    def _select(self, request: wire.Packet, inbound: Inbound, classes: Classes) -> Subnet4 | None:
        # SubnetSelector.select(giaddr, ciaddr, ifname, interface_addresses, link_selection, classes, src_ip,
        # dst_ip), positionally: the one call per packet.
        return self._ctx.selector.select(
            _u32(request.giaddr) if request.giaddr != _ZERO4 else 0,
            _u32(request.ciaddr) if request.ciaddr != _ZERO4 else 0,
            inbound.ifname,
            inbound.local_addresses,
            self._link_selection(request),
            classes,
            inbound.src_ip,
            inbound.dst_ip,
        )

    def _server_id(self, subnet: Subnet4 | None, inbound: Inbound) -> int:
        if subnet is not None:
            for address in inbound.local_addresses:
                if address in subnet:
                    return address
        return inbound.local_addresses[0] if inbound.local_addresses else 0

    # ------------------------------------------------------------------ lifetimes
    def _valid_lifetime(self, subnet: Subnet4, request: wire.Packet, classes: Classes) -> int:
        """Kea's getValidLft: the first class (in the packet's order) that sets one, else the subnet's;
        a lifetime the client asks for (option 51) is clamped to that scope's min/max."""
        params = subnet.params
        valid, low, high = params.valid_lifetime, params.min_valid_lifetime, params.max_valid_lifetime
        for name in classes:
            cls = self._ctx.classes.get(name)
            if cls is not None and cls.valid_lifetime is not None:
                valid = cls.valid_lifetime
                low = cls.min_valid_lifetime if cls.min_valid_lifetime is not None else valid
                high = cls.max_valid_lifetime if cls.max_valid_lifetime is not None else valid
                break
        asked = request.options.get(wire.OPT_LEASE_TIME)
        if asked and len(asked) == 4 and _u32(asked) > 0:
            valid = min(max(_u32(asked), low), high)
        return valid

    @staticmethod
    def _tee_times(subnet: Subnet4, valid: int) -> tuple[int | None, int | None]:
        """Kea's setTeeTimes: configured or calculated T2, sent only below the lifetime; T1 below T2."""
        params = subnet.params
        t2 = params.rebind_timer
        if t2 is None and params.calculate_tee_times:
            t2 = int(params.t2_percent * valid + 0.5)  # C round(): halves go up
        ceiling = valid
        if not t2 or t2 >= ceiling:
            t2 = None
        else:
            ceiling = t2
        t1 = params.renew_timer
        if t1 is None and params.calculate_tee_times:
            t1 = int(params.t1_percent * valid + 0.5)
        if not t1 or t1 >= ceiling:
            t1 = None
        return t1, t2

    # ------------------------------------------------------------------ message handlers
    def _discover(self, pkt: _Packet, now: float) -> wire.Packet | None:
        request = pkt.request
        ex = pkt.ex
        if ex is None:
            # Kea answers nothing and counts no drop: it is a NAK nobody sends (DHCP4_PACKET_NAK_0001).
            log.debug(
                "DHCP4_SUBNET_SELECTION_FAILED no subnet for %s on %s",
                request.mac.hex(":"),
                pkt.inbound.ifname,
            )
            return None
        ex.requested = self._hint(request)
        allocator = self._ctx.allocator
        address = allocator.discover(ex, now)
        if address is None:
            log.info(
                "DHCP4_PACKET_NAK_0003 %s: no address can be offered in %s",
                request.mac.hex(":"),
                ex.subnet.text,
            )
            return None
        allocator.hold_offer(address, ex.client, ex.subnet.params.match_client_id, ex.subnet.id, now)
        lines.info(
            "DHCP4_LEASE_ADVERT %s: lease %s will be advertised",
            ex.client.hwaddr.hex(":"),
            int_to_ip(address),
        )
        names = self._names(pkt, address)
        if names is not None and names.drop:
            return self._drop(pkt.request, "client FQDN option with both N and S set (RFC 4702)")
        return self._lease_reply(wire.DHCPOFFER, pkt, address, names=names)

    @staticmethod
    def _hint(request: wire.Packet) -> int:
        requested = request.options.get(wire.OPT_REQUESTED_IP)
        if requested and len(requested) == 4:
            return _u32(requested)
        return _u32(request.ciaddr)

    def _request(self, pkt: _Packet, now: float) -> wire.Packet | None:
        request, inbound = pkt.request, pkt.inbound
        server_id = request.options.get(wire.OPT_SERVER_ID)
        requested_raw = request.options.get(wire.OPT_REQUESTED_IP)
        requested = _u32(requested_raw) if requested_raw and len(requested_raw) == 4 else 0
        ciaddr = _u32(request.ciaddr)
        state = states.request_state(
            server_id is not None, bool(requested), bool(ciaddr), inbound.dst_ip == BROADCAST
        )
        if state == states.INVALID:
            return self._drop(request, "a DHCPREQUEST in no RFC 2131 state")
        allocator = self._ctx.allocator
        if server_id is not None and (len(server_id) != 4 or _u32(server_id) not in inbound.local_addresses):
            # The client chose another server's offer.
            if requested:
                allocator.drop_offer(requested, now)
            log.debug("DHCP4_PACKET_DROP_0003 %s chose another server", request.mac.hex(":"))
            return None
        hint = self._hint(request)
        subnet, ex = pkt.subnet, pkt.ex
        init_reboot = server_id is None and bool(requested)
        authoritative = False
        if init_reboot:
            authoritative = (
                subnet.params.authoritative if subnet is not None else self.config.params.authoritative
            )
        if subnet is None and (not init_reboot or authoritative):
            return self._nak(pkt, None, "no subnet for the client's network")
        if init_reboot:
            lease = self._init_reboot_lease(pkt)
            known = lease is not None and pkt.client.owns(lease, True)
            if not authoritative and not known:
                log.debug(
                    "DHCP4_NO_LEASE_INIT_REBOOT %s asks for %s, unknown here: not answering",
                    request.mac.hex(":"),
                    int_to_ip(hint),
                )
                return None
            if (
                (known and lease is not None and lease.address != hint)
                or (not known and authoritative)
                or subnet is None
            ):
                return self._nak(pkt, subnet, "address %s is not this client's lease here" % int_to_ip(hint))
        assert subnet is not None and ex is not None
        ex.requested = hint
        address = allocator.request(ex, now)
        if address is None:
            if ex.unknown_requested and not any(
                allocator.in_pool(s, hint) for s in self._ctx.selector.members(subnet)
            ):
                log.debug(
                    "DHCP4_UNKNOWN_ADDRESS_REQUESTED %s asks for %s, outside every pool: not answering",
                    request.mac.hex(":"),
                    int_to_ip(hint),
                )
                return None
            return self._nak(pkt, ex.subnet, "address %s is not available to this client" % int_to_ip(hint))
        valid = self._valid_lifetime(ex.subnet, request, pkt.classes)
        names = self._names(pkt, address)
        if names is not None and names.drop:
            return self._drop(pkt.request, "client FQDN option with both N and S set (RFC 4702)")
        hostname = names.hostname if names is not None else self._lease_hostname(pkt)
        self._commit(ex, address, valid, now, hostname, names)
        allocator.drop_offer(address)
        lines.info(
            "DHCP4_LEASE_ALLOC %s: lease %s has been allocated for %d seconds (%s)",
            ex.client.hwaddr.hex(":"),
            int_to_ip(address),
            valid,
            state,
        )
        return self._lease_reply(wire.DHCPACK, pkt, address, valid, names=names)

    def _init_reboot_lease(self, pkt: _Packet) -> Lease | None:
        """The client's lease anywhere in its subnet or shared network (by client-id, then hardware
        address), as Kea looks it up for INIT-REBOOT."""
        if pkt.subnet is None:
            return None
        ring = self._ctx.selector.ring(pkt.subnet, pkt.classes)
        client = pkt.client
        for found in (
            self.store.find_by_client_id(client.client_id) if client.client_id else [],
            self.store.find_by_hwaddr(client.hwaddr) if client.hwaddr else [],
        ):
            if found:
                for subnet in ring:
                    for lease in found:
                        if lease.subnet_id == subnet.id:
                            return lease
        return None

    def _decline(self, pkt: _Packet, now: float) -> None:
        request = pkt.request
        requested = request.options.get(wire.OPT_REQUESTED_IP)
        if not requested or len(requested) != 4:
            return None
        address = _u32(requested)
        lease = self.store.get(address)
        client = pkt.client
        if lease is None or not client.owns(lease, True):
            log.info(
                "DHCP4_DECLINE_LEASE_NOT_FOUND %s declined %s which it does not hold",
                request.mac.hex(":"),
                int_to_ip(address),
            )
            return None
        probation = self.config.decline_probation_period
        declined = Lease(
            address=address,
            valid_lifetime=probation,
            cltt=int(now),
            subnet_id=lease.subnet_id,
            state=STATE_DECLINED,
        )
        self.store.put(declined)
        self._changed(lease, declined)
        if self.ddns is not None:
            self.ddns.lease_removed(lease, now)
        log.info(
            "DHCP4_DECLINE_LEASE %s declined %s; in probation for %d seconds",
            request.mac.hex(":"),
            int_to_ip(address),
            probation,
        )
        return None

    def _release(self, pkt: _Packet, now: float) -> None:
        request = pkt.request
        address = _u32(request.ciaddr)
        lease = self.store.get(address)
        if lease is None or lease.state != STATE_DEFAULT:
            return None
        if not pkt.client.owns(lease, True) or lease.expire <= now:
            return None
        released = lease.copy()
        # Kept as a default-state record with no lifetime, so the client gets the same address back if it
        # returns while the address is free for anyone else.
        released.valid_lifetime = 0
        released.cltt = int(now)
        released.fqdn_fwd = released.fqdn_rev = False  # its names leave DNS now, and only once
        self.store.put(released)
        self._changed(lease, released)
        if self.ddns is not None:
            self.ddns.lease_removed(lease, now)
        log.info("DHCP4_RELEASE %s released %s", request.mac.hex(":"), int_to_ip(address))
        return None

    def _inform(self, pkt: _Packet, now: float) -> wire.Packet | None:
        request, inbound = pkt.request, pkt.inbound
        subnet = pkt.subnet
        reply = self._base_reply(wire.DHCPACK, request, inbound, subnet)
        reply.ciaddr = request.ciaddr
        if subnet is None:
            return reply
        ex = pkt.ex
        reservation = self._ctx.allocator.current_host(ex) if ex is not None else None
        self._required(pkt, subnet, -1)
        chain = self._ctx.options.chain(
            subnet, -1, pkt.classes, reservation.option_data if reservation else ()
        )
        self._add_options(reply, request, chain)
        self._fixed_fields(reply, subnet, reservation, pkt.classes)
        if _u32(request.giaddr) and _u32(request.ciaddr):
            # Sent straight to ciaddr, not back through the relay (Kea does the same).
            reply.giaddr = b"\0\0\0\0"
            reply.remove(wire.OPT_RELAY_AGENT_INFO)
        return reply

    _handlers = {
        wire.DHCPDISCOVER: _discover,
        wire.DHCPREQUEST: _request,
        wire.DHCPDECLINE: _decline,
        wire.DHCPRELEASE: _release,
        wire.DHCPINFORM: _inform,
    }

    # ------------------------------------------------------------------ lease and reply construction
    def _lease_hostname(self, pkt: _Packet) -> str:
        """The host name recorded in the lease: the reservation's, else the client's (Kea's processing of
        option 12 with DNS updates off: trimmed, disallowed characters removed, lower case)."""
        reservation = self._ctx.allocator.current_host(pkt.ex) if pkt.ex is not None else None
        if reservation is not None and reservation.hostname:
            return reservation.hostname.lower()
        sent = pkt.request.options.get(wire.OPT_HOSTNAME)
        if sent:
            name = _HOSTNAME_SCRUB.sub("", sent.decode("ascii", "replace").strip().rstrip("\x00")).lower()
            return name.rstrip(".")[:253]
        return ""

    def _names(self, pkt: _Packet, address: int) -> Any:
        """The DNS name outcome for this client and address (edge/ddns), None without a name handler."""
        if self.ddns is None or pkt.ex is None:
            return None
        reservation = self._ctx.allocator.current_host(pkt.ex)
        return self.ddns.names_for(pkt.request, pkt.ex.subnet, address, reservation, pkt.classes)

    def _commit(
        self, ex: Exchange, address: int, valid: int, now: float, hostname: str, names: Any = None
    ) -> None:
        subnet = ex.subnet
        existing = self.store.get(address)
        lease = Lease(
            address=address,
            hwaddr=ex.client.hwaddr,
            client_id=ex.client.client_id if subnet.params.match_client_id else None,
            valid_lifetime=valid,
            cltt=int(now),
            subnet_id=subnet.id,
            hostname=hostname,
        )
        if existing is not None and existing.user_context:
            lease.user_context = existing.user_context
        if names is not None:
            lease.fqdn_fwd, lease.fqdn_rev = names.forward, names.reverse
        self.store.put(lease)  # raises LeaseStoreError if it could not be recorded: then no ACK
        self._changed(existing, lease)
        if self.ddns is not None:
            self.ddns.lease_granted(existing, lease, now)  # queues DNS adds/removes (edge/ddns)
        old = ex.old_lease
        if old is not None and old.address != address:
            # One lease per client: the client moved to a new address, so its old lease goes (Kea).
            current = self.store.get(old.address)
            if current is not None and self.store.delete(old.address):
                self._changed(current, None)
                if self.ddns is not None:
                    self.ddns.lease_removed(current, now)

    def _base_reply(
        self, msg_type: int, request: wire.Packet, inbound: Inbound, subnet: Subnet4 | None
    ) -> wire.Packet:
        reply = wire.make_reply(request, msg_type)  # echoes option 82 byte for byte (RFC 3046)
        ctx = self._ctx
        key = (subnet.id if subnet is not None else None, inbound.local_addresses)
        server_id = ctx.server_ids.get(key)
        if server_id is None:
            if len(ctx.server_ids) >= 1024:
                ctx.server_ids.clear()
            server_id = ctx.server_ids[key] = struct.pack("!I", self._server_id(subnet, inbound))
        reply.set(wire.OPT_SERVER_ID, server_id)
        if ctx.config.echo_client_id:
            client_id = request.options.get(wire.OPT_CLIENT_ID)
            if client_id is not None:
                reply.set(wire.OPT_CLIENT_ID, client_id)
        selection = request.options.get(wire.OPT_SUBNET_SELECTION)
        if selection is not None:
            reply.set(wire.OPT_SUBNET_SELECTION, selection)  # RFC 3011: returned unchanged
        return reply

    def _pool_index(self, subnet: Subnet4, address: int) -> int:
        for index, pool in enumerate(subnet.pools):
            if pool.first <= address <= pool.last:
                return index
        return -1

    def _required(self, pkt: _Packet, subnet: Subnet4, pool_index: int) -> None:
        """Kea's requiredClassify: the classes the shared network, subnet and pool ask for."""
        ctx = self._ctx
        key = (subnet.id, pool_index)
        names = ctx.required_names.get(key)
        if names is None:
            found: list[str] = []
            network = ctx.selector.network_of(subnet)
            if network is not None:
                found.extend(network.require_client_classes)
            found.extend(subnet.require_client_classes)
            if pool_index >= 0:
                found.extend(subnet.pools[pool_index].require_client_classes)
            names = ctx.required_names[key] = tuple(found)
        if names:
            ctx.classifier.required(pkt.view, pkt.classes, names)

    def _lease_options(self, subnet: Subnet4, valid: int) -> tuple[tuple[int, bytes], ...]:
        """Options 51, 1, 59 and 58 of a lease reply (in that order), worked out once per (subnet, lifetime)."""
        lease_options = self._ctx.lease_options
        key = (subnet.id, valid)
        found = lease_options.get(key)
        if found is None:
            pairs = [
                (wire.OPT_LEASE_TIME, struct.pack("!I", valid)),
                (wire.OPT_SUBNET_MASK, struct.pack("!I", subnet.netmask)),
            ]
            t1, t2 = self._tee_times(subnet, valid)
            if t2 is not None:
                pairs.append((wire.OPT_REBINDING_TIME, struct.pack("!I", t2)))
            if t1 is not None:
                pairs.append((wire.OPT_RENEWAL_TIME, struct.pack("!I", t1)))
            if len(lease_options) >= 4096:  # lifetimes clients ask for (option 51) are many: bounded
                lease_options.clear()
            found = lease_options[key] = tuple(pairs)
        return found

    def _lease_reply(
        self, msg_type: int, pkt: _Packet, address: int, valid: int | None = None, names: Any = None
    ) -> wire.Packet:
        request, inbound = pkt.request, pkt.inbound
        ex = pkt.ex
        assert ex is not None
        subnet = ex.subnet
        allocator = self._ctx.allocator
        reservation = allocator.current_host(ex)
        if subnet.shared_network and reservation is not None and ex.hosts.get(subnet.id) is reservation:
            # Kea's conditionallySetReservedClientClasses: in a shared network a subnet reservation's
            # classes count once the subnet is final.
            self._ctx.classifier.with_reserved(
                pkt.view, pkt.classes, reservation.client_classes, reevaluate=False
            )
        reply = self._base_reply(msg_type, request, inbound, subnet)
        reply.yiaddr = struct.pack("!I", address)
        if msg_type == wire.DHCPACK:
            reply.ciaddr = request.ciaddr
        if valid is None:
            valid = self._valid_lifetime(subnet, request, pkt.classes)
        reply.set_all(self._lease_options(subnet, valid))
        hostname = self._reply_hostname(pkt, reservation)
        if hostname:
            reply.set(wire.OPT_HOSTNAME, hostname.encode("ascii", "replace"))
        if names is not None:
            self.ddns.apply(reply, names)  # the option 81 or 12 answer (replaces the one above)
        pool_index = self._pool_index(subnet, address)
        self._required(pkt, subnet, pool_index)
        chain = self._ctx.options.chain(
            subnet, pool_index, pkt.classes, reservation.option_data if reservation else ()
        )
        self._add_options(reply, request, chain)
        self._fixed_fields(reply, subnet, reservation, pkt.classes)
        return reply

    def _reply_hostname(self, pkt: _Packet, reservation: Reservation4 | None) -> str:
        """Option 12 in a lease reply (Kea's processHostnameOption with DNS updates off): the reserved name,
        always; else the name the client sent, cleaned."""
        request = pkt.request
        if reservation is not None and reservation.hostname:
            return reservation.hostname.lower()
        if request.options.get(wire.OPT_HOSTNAME) is not None:
            return self._lease_hostname(pkt)
        return ""

    def _add_options(self, reply: wire.Packet, request: wire.Packet, chain: Sequence[Scope]) -> None:
        # The answer depends on the scopes, the client's parameter list and vendor option, and what the
        # reply already holds; clients ask the same few questions, so it is worked out once per question.
        asked, replied = request.options, reply.options
        key = (tuple(chain), asked.get(55), asked.get(125), tuple(reply.option_order), replied.get(125))
        answers = self._ctx.option_answers
        found = answers.get(key)
        if found is None:
            chosen = tuple(select_options(chain, request.requested_params(), replied))
            vivso_in_reply = replied.get(125)
            for code, data in chosen:
                if code == 125:
                    vivso_in_reply = data
            found = (chosen, vendor_option(chain, request, vivso_in_reply))
            if len(answers) >= 4096:
                answers.clear()
            answers[key] = found
        chosen, vivso = found
        reply.set_all(chosen)
        if vivso is not None:
            reply.set(125, vivso)

    def _fixed_fields(
        self, reply: wire.Packet, subnet: Subnet4, reservation: Reservation4 | None, classes: Classes
    ) -> None:
        """siaddr, sname and file (Kea's setFixedFields): the subnet's values; for each field the first
        class in the packet's order that sets it overrides them; the reservation overrides both."""
        ctx = self._ctx
        if reservation is None and not ctx.class_fixed_fields:
            # Nothing but the subnet decides: its three fields, encoded once per configuration.
            fixed = ctx.fixed_fields.get(subnet.id)
            if fixed is None:
                fixed = ctx.fixed_fields[subnet.id] = self._fixed_values(subnet, None, ())
        else:
            fixed = self._fixed_values(subnet, reservation, classes)
        reply.siaddr, sname, filename = fixed
        if sname is not None:
            reply.sname = sname
        if filename is not None:
            reply.file = filename

    def _fixed_values(
        self, subnet: Subnet4, reservation: Reservation4 | None, classes: Classes | tuple
    ) -> tuple[bytes, bytes | None, bytes | None]:
        """(siaddr, sname or None, file or None) as _fixed_fields sets them."""
        params = subnet.params
        next_server, sname, filename = params.next_server, params.server_hostname, params.boot_file_name
        class_server, class_sname, class_file = 0, "", ""
        for name in classes:
            cls = self._ctx.classes.get(name)
            if cls is None:
                continue
            class_server = class_server or (cls.next_server or 0)
            class_sname = class_sname or (cls.server_hostname or "")
            class_file = class_file or (cls.boot_file_name or "")
        next_server = class_server or next_server
        sname = class_sname or sname
        filename = class_file or filename
        if reservation is not None:
            next_server = reservation.next_server or next_server
            sname = reservation.server_hostname or sname
            filename = reservation.boot_file_name or filename
        return (
            struct.pack("!I", next_server or 0),
            sname.encode("ascii", "replace")[:63].ljust(64, b"\x00") if sname else None,
            filename.encode("ascii", "replace")[:127].ljust(128, b"\x00") if filename else None,
        )

    def _nak(self, pkt: _Packet, subnet: Subnet4 | None, why: str) -> wire.Packet:
        request = pkt.request
        log.info("DHCP4_PACKET_NAK_0001 %s: %s", request.mac.hex(":"), why)
        reply = self._base_reply(wire.DHCPNAK, request, pkt.inbound, subnet)
        # Kea sends no reason; RFC 2131 table 3 allows option 56 in a NAK and it tells the admin why.
        reply.set(wire.OPT_MESSAGE, why.encode("ascii", "replace")[:200])
        if _u32(request.giaddr):
            reply.flags |= 0x8000  # RFC 2131 4.3.2: the relay must broadcast a NAK to the client
        return reply

    # ------------------------------------------------------------------ addressing (RFC 2131 section 4.1)
    def _finish(self, request: wire.Packet, reply: wire.Packet, inbound: Inbound) -> Outbound:
        msg_type = reply.message_type or 0
        max_size = 576
        asked = request.options.get(wire.OPT_MAX_MSG_SIZE)
        if asked and len(asked) == 2:
            max_size = max(576, struct.unpack("!H", asked)[0])
        payload = wire.encode(reply, max_size)
        giaddr = _u32(reply.giaddr) if reply.giaddr != _ZERO4 else 0
        if giaddr:
            # Back to the relay. On the raw path the request's frame came from the next hop towards giaddr
            # (the relay itself when it is on-link): reply with a frame to that MAC, as Kea's raw socket does,
            # which spares the kernel's routing and neighbour lookup. On the UDP path the kernel routes it.
            src_mac = inbound.src_mac
            dst_ip, dst_port, dst_mac = giaddr, SERVER_PORT, (src_mac if len(src_mac) == 6 else None)
        elif msg_type == wire.DHCPNAK:
            dst_ip, dst_port, dst_mac = BROADCAST, CLIENT_PORT, BROADCAST_MAC
        else:
            ciaddr = _u32(request.ciaddr)
            mac = request.mac if request.htype == 1 and request.hlen == 6 else None
            if ciaddr:
                dst_ip, dst_port, dst_mac = ciaddr, CLIENT_PORT, mac
            elif request.broadcast or mac is None:
                dst_ip, dst_port, dst_mac = BROADCAST, CLIENT_PORT, BROADCAST_MAC
            else:
                dst_ip, dst_port, dst_mac = _u32(reply.yiaddr), CLIENT_PORT, mac
        self.stats.inc("pkt4-sent")
        counter = _SENT_COUNTER.get(msg_type)
        if counter:
            self.stats.inc(counter)
        src_ip = _u32(reply.options.get(wire.OPT_SERVER_ID) or b"\0\0\0\0")
        return Outbound(payload, reply, msg_type, inbound.ifname, src_ip, dst_ip, dst_port, dst_mac)
