"""The DHCPv4 request pipeline, sans-IO: (config, lease store, now, datagram) -> reply or nothing.

Rules:
- No sockets, no files, no clock, no sleeping. The server passes the received bytes with an `Inbound`
  (where they came from) and the current time; the engine answers with an `Outbound` (bytes and where to
  send them) or None. Lease changes go through the LeaseStore, whose `put` returns only once the change is
  recorded, so an ACK is never built for a lease the store could not keep.
- Malformed input is counted (`pkt4-parse-failed`) and dropped; it never raises out of `handle`.
- A configuration is a value: `Engine.reconfigure` builds every derived index for the new snapshot first,
  then swaps them in one assignment.

Pipeline: decode -> identify client -> classify (built-in classes for now) -> select subnet -> per message
type: DISCOVER (offer), REQUEST (see states.py), DECLINE, RELEASE, INFORM -> build reply -> address it per
RFC 2131 section 4.1.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable

from edge.alloc.engine import Allocation, Allocator, ClientIdentity
from edge.alloc.select import SubnetSelector
from edge.config.model import Config, Reservation, Subnet
from edge.engine import states
from edge.engine.options import OptionPlanner, select_options
from edge.leases.lease import STATE_DECLINED, STATE_DEFAULT, Lease
from edge.leases.store import LeaseStore, LeaseStoreError
from edge.stats import Statistics
from edge.wire import packet as wire
from edge.wire.errors import DecodeError, EncodeError

log = logging.getLogger("edge.engine")

BROADCAST = 0xFFFFFFFF
BROADCAST_MAC = b"\xff" * 6
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
_SENT_COUNTER = {wire.DHCPOFFER: "pkt4-offer-sent", wire.DHCPACK: "pkt4-ack-sent", wire.DHCPNAK: "pkt4-nak-sent"}


def _u32(data: bytes) -> int:
    return struct.unpack("!I", data)[0]


def _ip(value: int) -> str:
    return "%d.%d.%d.%d" % (value >> 24 & 255, value >> 16 & 255, value >> 8 & 255, value & 255)


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

    __slots__ = ("payload", "packet", "message_type", "ifname", "src_ip", "dst_ip", "dst_port", "dst_mac")

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
    ) -> None:
        self.payload = payload
        self.packet = packet
        self.message_type = message_type
        self.ifname = ifname
        self.src_ip = src_ip
        self.dst_ip = dst_ip
        self.dst_port = dst_port
        self.dst_mac = dst_mac

    def __repr__(self) -> str:
        return "Outbound(%s to %s:%d mac=%s via %s)" % (
            wire.MESSAGE_TYPE_NAMES.get(self.message_type, self.message_type),
            _ip(self.dst_ip),
            self.dst_port,
            self.dst_mac.hex(":") if self.dst_mac else "-",
            self.ifname,
        )


class _Context:
    """Everything derived from one configuration snapshot."""

    def __init__(self, config: Config, store: LeaseStore) -> None:
        self.config = config
        self.selector = SubnetSelector(config)
        self.allocator = Allocator(config, store)
        self.options = OptionPlanner(config)
        self.classes = {c.name: c for c in config.client_classes}


class Engine:
    def __init__(self, config: Config, store: LeaseStore, stats: Statistics | None = None) -> None:
        self.store = store
        self.stats = stats or Statistics()
        self._ctx = _Context(config, store)
        self._init_subnet_stats(config)

    @property
    def config(self) -> Config:
        return self._ctx.config

    def reconfigure(self, config: Config) -> None:
        context = _Context(config, self.store)  # may raise: the old context keeps serving
        self._ctx = context
        self._init_subnet_stats(config)

    def _init_subnet_stats(self, config: Config) -> None:
        for subnet in config.subnets:
            total = sum(p.size for p in subnet.pools)
            self.stats.set("subnet[%d].total-addresses" % subnet.id, total)
            for name in ("assigned-addresses", "declined-addresses"):
                key = "subnet[%d].%s" % (subnet.id, name)
                if self.stats.stamp(key) is None:
                    self.stats.set(key, 0)

    def recount(self, now: float) -> None:
        """Rebuild the per-subnet gauges from the store (used at start-up)."""
        assigned: dict[int, int] = {}
        declined: dict[int, int] = {}
        for lease in self.store.all():
            if lease.state == STATE_DEFAULT and lease.expire > now:
                assigned[lease.subnet_id] = assigned.get(lease.subnet_id, 0) + 1
            elif lease.state == STATE_DECLINED:
                declined[lease.subnet_id] = declined.get(lease.subnet_id, 0) + 1
        for subnet in self.config.subnets:
            self.stats.set("subnet[%d].assigned-addresses" % subnet.id, assigned.get(subnet.id, 0))
            self.stats.set("subnet[%d].declined-addresses" % subnet.id, declined.get(subnet.id, 0))

    # ------------------------------------------------------------------ entry point
    def handle(self, payload: bytes, inbound: Inbound, now: float) -> Outbound | None:
        self.stats.inc("pkt4-received")
        try:
            request = wire.decode(payload)
        except DecodeError as exc:
            self.stats.inc("pkt4-parse-failed")
            self.stats.inc("pkt4-receive-drop")
            log.debug("DHCP4_PACKET_DROP_0001 failed to parse packet from %s on %s: %s", _ip(inbound.src_ip),
                      inbound.ifname, exc)
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
            reply = handler(self, request, inbound, now)
        except LeaseStoreError as exc:
            log.error("DHCP4_LEASE_STORE_FAIL %s: not answering xid 0x%08x", exc, request.xid)
            self.stats.inc("pkt4-receive-drop")
            return None
        if reply is None:
            return None
        try:
            return self._finish(request, reply, inbound)
        except EncodeError as exc:
            log.error("DHCP4_PACKET_PACK_FAIL cannot encode reply to xid 0x%08x: %s", request.xid, exc)
            return None

    # ------------------------------------------------------------------ common steps
    def _identify(self, request: wire.Packet) -> ClientIdentity:
        circuit_id = None
        agent = request.get(wire.OPT_RELAY_AGENT_INFO)
        if agent:
            try:
                for code, value in wire.parse_suboptions(agent):
                    if code == 1:
                        circuit_id = value
                        break
            except DecodeError:
                circuit_id = None
        return ClientIdentity(request.mac, request.get(wire.OPT_CLIENT_ID), circuit_id)

    def _link_selection(self, request: wire.Packet) -> int:
        selected = request.get(118)
        if selected and len(selected) == 4:
            return _u32(selected)
        agent = request.get(wire.OPT_RELAY_AGENT_INFO)
        if agent:
            try:
                for code, value in wire.parse_suboptions(agent):
                    if code == 5 and len(value) == 4:
                        return _u32(value)
            except DecodeError:
                return 0
        return 0

    def _select(self, request: wire.Packet, inbound: Inbound) -> Subnet | None:
        return self._ctx.selector.select(
            giaddr=_u32(request.giaddr),
            ciaddr=_u32(request.ciaddr),
            ifname=inbound.ifname,
            interface_addresses=inbound.local_addresses,
            link_selection=self._link_selection(request),
        )

    def _classes(self, request: wire.Packet, reservation: Reservation | None) -> list[str]:
        classes = ["ALL"]
        vendor = request.get(wire.OPT_VENDOR_CLASS)
        if vendor:
            classes.append("VENDOR_CLASS_" + vendor.decode("latin-1"))
        classes.append("KNOWN" if reservation is not None else "UNKNOWN")
        if reservation is not None:
            classes.extend(reservation.client_classes)
        return classes

    def _candidates(self, subnet: Subnet, classes: list[str]) -> tuple[Subnet, ...]:
        allowed = []
        for candidate in self._ctx.selector.candidates(subnet):
            guards = candidate.client_classes
            if not guards or any(name in classes for name in guards):
                allowed.append(candidate)
        return tuple(allowed)

    def _server_id(self, subnet: Subnet | None, inbound: Inbound) -> int:
        if subnet is not None:
            for address in inbound.local_addresses:
                if address in subnet:
                    return address
        return inbound.local_addresses[0] if inbound.local_addresses else 0

    def _requested_lifetime(self, request: wire.Packet) -> int:
        value = request.get(wire.OPT_LEASE_TIME)
        return _u32(value) if value and len(value) == 4 else 0

    def _lifetimes(self, subnet: Subnet, request: wire.Packet, classes: list[str]) -> tuple[int, int | None, int | None]:
        params = subnet.params
        valid, low, high = params.valid_lifetime, params.min_valid_lifetime, params.max_valid_lifetime
        for name in classes:
            cls = self._ctx.classes.get(name)
            if cls is not None and cls.valid_lifetime is not None:
                valid = cls.valid_lifetime
                low = cls.min_valid_lifetime if cls.min_valid_lifetime is not None else valid
                high = cls.max_valid_lifetime if cls.max_valid_lifetime is not None else valid
                break
        asked = self._requested_lifetime(request)
        if asked:
            valid = min(max(asked, low), high)
        t1, t2 = params.renew_timer, params.rebind_timer
        if params.calculate_tee_times:
            if t1 is None:
                t1 = int(valid * params.t1_percent)
            if t2 is None:
                t2 = int(valid * params.t2_percent)
        if t2 is not None and t2 >= valid:
            t2 = None
        if t1 is not None and (t1 >= valid or (t2 is not None and t1 >= t2)):
            t1 = None
        return valid, t1, t2

    # ------------------------------------------------------------------ message handlers
    def _discover(self, request: wire.Packet, inbound: Inbound, now: float) -> wire.Packet | None:
        subnet = self._select(request, inbound)
        if subnet is None:
            log.debug("DHCP4_SUBNET_SELECTION_FAILED no subnet for %s on %s", request.mac.hex(":"), inbound.ifname)
            self.stats.inc("pkt4-receive-drop")
            return None
        client = self._identify(request)
        reservation = self._ctx.allocator.reservation_for(subnet, client)
        classes = self._classes(request, reservation)
        candidates = self._candidates(subnet, classes)
        requested = request.get(wire.OPT_REQUESTED_IP)
        allocation = self._ctx.allocator.allocate(
            candidates, client, _u32(requested) if requested and len(requested) == 4 else 0, now
        )
        if allocation is None:
            self._count_allocation_failure(subnet)
            log.warning("DHCP4_PACKET_NAK_0003 no address available for %s in subnet %s",
                        request.mac.hex(":"), subnet.text)
            return None
        self._ctx.allocator.hold_offer(allocation.address, client, allocation.subnet.params.match_client_id, now)
        log.info("DHCP4_LEASE_ADVERT %s: lease %s will be advertised", request.mac.hex(":"), _ip(allocation.address))
        return self._lease_reply(wire.DHCPOFFER, request, inbound, allocation, classes)

    def _request(self, request: wire.Packet, inbound: Inbound, now: float) -> wire.Packet | None:
        server_id = request.get(wire.OPT_SERVER_ID)
        requested_raw = request.get(wire.OPT_REQUESTED_IP)
        requested = _u32(requested_raw) if requested_raw and len(requested_raw) == 4 else 0
        ciaddr = _u32(request.ciaddr)
        state = states.request_state(
            server_id is not None, bool(requested), bool(ciaddr), inbound.dst_ip == BROADCAST
        )
        if state == states.INVALID:
            self.stats.inc("pkt4-receive-drop")
            return None
        if state == states.SELECTING and server_id is not None:
            if len(server_id) != 4 or _u32(server_id) not in inbound.local_addresses:
                # The client chose another server's offer.
                if requested:
                    self._ctx.allocator.drop_offer(requested)
                return None
        wanted = requested if state in (states.SELECTING, states.INIT_REBOOT) else ciaddr
        subnet = self._select(request, inbound)
        client = self._identify(request)
        if subnet is None:
            if state == states.INIT_REBOOT or not self.config.params.authoritative:
                return None
            return self._nak(request, inbound, None, "no subnet for the client's network")
        candidates_all = self._ctx.selector.candidates(subnet)
        owner = next((s for s in candidates_all if wanted in s), None)
        if owner is None:
            # The address is not on this client's network (moved laptop): tell it so.
            return self._nak(request, inbound, subnet, "address %s not on this network" % _ip(wanted))
        lease = self.store.get(wanted)
        ours = lease is not None and lease.state == STATE_DEFAULT and client.owns(lease, owner.params.match_client_id)
        if not ours and state == states.INIT_REBOOT and not owner.params.authoritative:
            if lease is None or lease.expire <= now:
                log.debug("DHCP4_INIT_REBOOT unknown client %s asks for %s; not authoritative, silent",
                          request.mac.hex(":"), _ip(wanted))
                return None
        reservation = self._ctx.allocator.reservation_for(owner, client)
        classes = self._classes(request, reservation)
        candidates = self._candidates(subnet, classes)
        allocation = self._ctx.allocator.allocate(candidates, client, wanted, now)
        if allocation is None or allocation.address != wanted:
            return self._nak(request, inbound, owner, "address %s not available to this client" % _ip(wanted))
        valid, _, _ = self._lifetimes(allocation.subnet, request, classes)
        hostname = self._hostname(request, allocation.reservation)
        self._commit(allocation, client, valid, now, hostname)
        self._ctx.allocator.drop_offer(wanted)
        log.info("DHCP4_LEASE_ALLOC %s: lease %s has been allocated for %d seconds (%s)",
                 request.mac.hex(":"), _ip(wanted), valid, state)
        return self._lease_reply(wire.DHCPACK, request, inbound, allocation, classes)

    def _decline(self, request: wire.Packet, inbound: Inbound, now: float) -> None:
        requested = request.get(wire.OPT_REQUESTED_IP)
        if not requested or len(requested) != 4:
            return None
        address = _u32(requested)
        lease = self.store.get(address)
        client = self._identify(request)
        subnet = self._ctx.selector.by_id(lease.subnet_id) if lease is not None else None
        if lease is None or subnet is None or not client.owns(lease, subnet.params.match_client_id):
            log.info("DHCP4_DECLINE_LEASE_NOT_FOUND %s declined %s which it does not hold",
                     request.mac.hex(":"), _ip(address))
            return None
        declined = Lease(
            address=address,
            valid_lifetime=self.config.decline_probation_period,
            cltt=int(now),
            subnet_id=lease.subnet_id,
            state=STATE_DECLINED,
        )
        self.store.put(declined)
        self.stats.inc("subnet[%d].assigned-addresses" % lease.subnet_id, -1)
        self.stats.inc("subnet[%d].declined-addresses" % lease.subnet_id)
        self.stats.inc("declined-addresses")
        log.info("DHCP4_DECLINE_LEASE %s declined %s; in probation for %d seconds",
                 request.mac.hex(":"), _ip(address), self.config.decline_probation_period)
        return None

    def _release(self, request: wire.Packet, inbound: Inbound, now: float) -> None:
        address = _u32(request.ciaddr)
        lease = self.store.get(address)
        client = self._identify(request)
        subnet = self._ctx.selector.by_id(lease.subnet_id) if lease is not None else None
        if lease is None or lease.state != STATE_DEFAULT or subnet is None:
            return None
        if not client.owns(lease, subnet.params.match_client_id) or lease.expire <= now:
            return None
        released = lease.copy()
        # Keep the record, expired, so the client gets the same address back if it returns.
        released.valid_lifetime = 0
        released.cltt = int(now)
        self.store.put(released)
        self.stats.inc("subnet[%d].assigned-addresses" % lease.subnet_id, -1)
        log.info("DHCP4_RELEASE %s released %s", request.mac.hex(":"), _ip(address))
        return None

    def _inform(self, request: wire.Packet, inbound: Inbound, now: float) -> wire.Packet | None:
        subnet = self._select(request, inbound)
        reply = self._base_reply(wire.DHCPACK, request, inbound, subnet)
        reply.ciaddr = request.ciaddr
        client = self._identify(request)
        reservation = self._ctx.allocator.reservation_for(subnet, client) if subnet else None
        classes = self._classes(request, reservation)
        block = self._ctx.options.block(subnet, -1, classes, reservation.option_data if reservation else ())
        for code, data in select_options(block, request.requested_params()):
            reply.set(code, data)
        return reply

    _handlers = {
        wire.DHCPDISCOVER: _discover,
        wire.DHCPREQUEST: _request,
        wire.DHCPDECLINE: _decline,
        wire.DHCPRELEASE: _release,
        wire.DHCPINFORM: _inform,
    }

    # ------------------------------------------------------------------ lease and reply construction
    def _hostname(self, request: wire.Packet, reservation: Reservation | None) -> str:
        if reservation is not None and reservation.hostname:
            return reservation.hostname
        sent = request.get(wire.OPT_HOSTNAME)
        if sent:
            return sent.decode("ascii", "replace").strip("\x00")[:253]
        return ""

    def _commit(self, allocation: Allocation, client: ClientIdentity, valid: int, now: float, hostname: str) -> None:
        existing = allocation.existing
        was_assigned = (
            existing is not None
            and existing.state == STATE_DEFAULT
            and existing.expire > now
        )
        lease = Lease(
            address=allocation.address,
            hwaddr=client.hwaddr,
            client_id=client.client_id,
            valid_lifetime=valid,
            cltt=int(now),
            subnet_id=allocation.subnet.id,
            hostname=hostname,
        )
        self.store.put(lease)  # raises LeaseStoreError if it could not be recorded: then no ACK
        if existing is not None and existing.state == STATE_DECLINED:
            self.stats.inc("subnet[%d].declined-addresses" % existing.subnet_id, -1)
        if not was_assigned:
            self.stats.inc("subnet[%d].assigned-addresses" % allocation.subnet.id)
            self.stats.inc("subnet[%d].cumulative-assigned-addresses" % allocation.subnet.id)
            self.stats.inc("cumulative-assigned-addresses")

    def _base_reply(self, msg_type: int, request: wire.Packet, inbound: Inbound, subnet: Subnet | None) -> wire.Packet:
        reply = wire.make_reply(request, msg_type)
        reply.set(wire.OPT_SERVER_ID, struct.pack("!I", self._server_id(subnet, inbound)))
        if self.config.echo_client_id:
            client_id = request.get(wire.OPT_CLIENT_ID)
            if client_id is not None:
                reply.set(wire.OPT_CLIENT_ID, client_id)
        return reply  # option 82 is echoed byte-exact by wire.make_reply (RFC 3046)

    def _lease_reply(
        self,
        msg_type: int,
        request: wire.Packet,
        inbound: Inbound,
        allocation: Allocation,
        classes: list[str],
    ) -> wire.Packet:
        subnet = allocation.subnet
        reply = self._base_reply(msg_type, request, inbound, subnet)
        reply.yiaddr = struct.pack("!I", allocation.address)
        if msg_type == wire.DHCPACK:
            reply.ciaddr = request.ciaddr
        valid, t1, t2 = self._lifetimes(subnet, request, classes)
        reply.set(wire.OPT_LEASE_TIME, struct.pack("!I", valid))
        if t1 is not None:
            reply.set(wire.OPT_RENEWAL_TIME, struct.pack("!I", t1))
        if t2 is not None:
            reply.set(wire.OPT_REBINDING_TIME, struct.pack("!I", t2))
        reservation = allocation.reservation
        pool_index = next((i for i, p in enumerate(subnet.pools) if allocation.address in p), -1)
        block = self._ctx.options.block(subnet, pool_index, classes, reservation.option_data if reservation else ())
        requested = request.requested_params()
        for code, data in select_options(block, requested):
            reply.set(code, data)
        hostname = reservation.hostname if reservation is not None else None
        if hostname and (wire.OPT_HOSTNAME in requested or request.get(wire.OPT_HOSTNAME) is not None):
            reply.set(wire.OPT_HOSTNAME, hostname.encode("ascii", "replace"))
        self._boot_fields(reply, subnet, reservation, classes)
        return reply

    def _boot_fields(
        self, reply: wire.Packet, subnet: Subnet, reservation: Reservation | None, classes: Iterable[str]
    ) -> None:
        params = subnet.params
        next_server, sname, filename = params.next_server, params.server_hostname, params.boot_file_name
        for name in classes:
            cls = self._ctx.classes.get(name)
            if cls is None:
                continue
            next_server = cls.next_server if cls.next_server is not None else next_server
            sname = cls.server_hostname if cls.server_hostname is not None else sname
            filename = cls.boot_file_name if cls.boot_file_name is not None else filename
        if reservation is not None:
            next_server = reservation.next_server if reservation.next_server is not None else next_server
            sname = reservation.server_hostname if reservation.server_hostname is not None else sname
            filename = reservation.boot_file_name if reservation.boot_file_name is not None else filename
        reply.siaddr = struct.pack("!I", next_server or 0)
        if sname:
            reply.sname = sname.encode("ascii", "replace")[:63].ljust(64, b"\x00")
        if filename:
            reply.file = filename.encode("ascii", "replace")[:127].ljust(128, b"\x00")

    def _nak(self, request: wire.Packet, inbound: Inbound, subnet: Subnet | None, why: str) -> wire.Packet:
        log.info("DHCP4_PACKET_NAK_0001 %s: %s", request.mac.hex(":"), why)
        reply = wire.make_reply(request, wire.DHCPNAK)
        reply.set(wire.OPT_SERVER_ID, struct.pack("!I", self._server_id(subnet, inbound)))
        reply.set(wire.OPT_MESSAGE, why.encode("ascii", "replace")[:200])
        if _u32(request.giaddr):
            reply.flags |= 0x8000  # RFC 2131 4.3.2: the relay must broadcast a NAK to the client
        client_id = request.get(wire.OPT_CLIENT_ID)
        if client_id is not None and self.config.echo_client_id:
            reply.set(wire.OPT_CLIENT_ID, client_id)
        return reply

    def _count_allocation_failure(self, subnet: Subnet) -> None:
        self.stats.inc("v4-allocation-fail")
        if subnet.shared_network:
            self.stats.inc("v4-allocation-fail-shared-network")
        else:
            self.stats.inc("v4-allocation-fail-subnet")
        if not subnet.pools:
            self.stats.inc("v4-allocation-fail-no-pools")
        self.stats.inc("subnet[%d].v4-allocation-fail" % subnet.id)

    # ------------------------------------------------------------------ addressing (RFC 2131 section 4.1)
    def _finish(self, request: wire.Packet, reply: wire.Packet, inbound: Inbound) -> Outbound:
        msg_type = reply.message_type or 0
        max_size = 576
        asked = request.get(wire.OPT_MAX_MSG_SIZE)
        if asked and len(asked) == 2:
            max_size = max(576, struct.unpack("!H", asked)[0])
        payload = wire.encode(reply, max_size)
        giaddr = _u32(request.giaddr)
        ciaddr = _u32(request.ciaddr)
        mac = request.mac if request.htype == 1 and request.hlen == 6 else None
        if giaddr:
            dst_ip, dst_port, dst_mac = giaddr, SERVER_PORT, None
        elif msg_type == wire.DHCPNAK:
            dst_ip, dst_port, dst_mac = BROADCAST, CLIENT_PORT, BROADCAST_MAC
        elif ciaddr:
            dst_ip, dst_port, dst_mac = ciaddr, CLIENT_PORT, mac
        elif request.broadcast or mac is None:
            dst_ip, dst_port, dst_mac = BROADCAST, CLIENT_PORT, BROADCAST_MAC
        else:
            dst_ip, dst_port, dst_mac = _u32(reply.yiaddr), CLIENT_PORT, mac
        self.stats.inc("pkt4-sent")
        counter = _SENT_COUNTER.get(msg_type)
        if counter:
            self.stats.inc(counter)
        src_ip = _u32(reply.get(wire.OPT_SERVER_ID) or b"\0\0\0\0")
        return Outbound(payload, reply, msg_type, inbound.ifname, src_ip, dst_ip, dst_port, dst_mac)
