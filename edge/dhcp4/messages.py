"""The DHCPv4 message handlers: DISCOVER, REQUEST, DECLINE, RELEASE and INFORM, as Kea 2.2 answers them.

Rules:
- A handler gets the Request the pipeline prepared (engine.py) and returns the reply packet, or None
  for no answer. It changes leases only through the LeaseStore, whose `put` returns once the change is
  recorded (LeaseStoreError otherwise: then no reply), so an ACK is never built for a lease the store
  could not keep. Statistics and the allocator follow the store's change feed, not the handlers.
- REQUEST follows the state table (states.py): SELECTING, INIT-REBOOT, RENEWING, REBINDING; INIT-REBOOT
  as Kea: a client unknown here is answered only by an authoritative server (with a NAK).
- A released lease is kept (valid lifetime 0), so the client gets its address back (Kea 2.2 deletes it;
  later Kea keeps it too, "lease affinity"). A declined address goes to probation
  (decline-probation-period) with no client attached.
- DNS names (option 81/12 answers, the lease's hostname and fqdn flags, DNS updates) come from the
  engine's NameHandler when it has one; without one, option 12 is handled as Kea does with updates off.

`Messages` is the message half of the Engine (engine.py), which provides the store, the statistics, the
names handler and the per-configuration Context.
"""

from __future__ import annotations

import logging
import struct

from edge.ddns.names import NameHandler, Names
from edge.dhcp4 import states
from edge.dhcp4.alloc import Exchange
from edge.dhcp4.context import Context
from edge.dhcp4.exchange import BROADCAST, Request
from edge.dhcp4.lease import STATE_DECLINED, STATE_DEFAULT, Lease
from edge.dhcp4.lease_store import LeaseStore4
from edge.dhcp4.model import Config4
from edge.log import Lines
from edge.stats import Statistics
from edge.wire import pkt4 as wire
from edge.wire.addr import int_to_ip

log = logging.getLogger("edge.dhcp4")
# The two lines every exchange logs at INFO (DHCP4_LEASE_ADVERT, DHCP4_LEASE_ALLOC) take logging's short road
# (edge/log.py Lines): the same text to the same outputs, without a LogRecord when none is needed.
lines = Lines(log)


def _u32(data: bytes) -> int:
    return struct.unpack("!I", data)[0]


class Messages:
    store: LeaseStore4
    stats: Statistics
    names: NameHandler | None
    _ctx: Context

    @property
    def config(self) -> Config4:
        return self._ctx.config

    def _discover(self, pkt: Request, now: float) -> wire.Packet | None:
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
        return self._ctx.lease_reply(wire.DHCPOFFER, pkt, address, names=names)

    @staticmethod
    def _hint(request: wire.Packet) -> int:
        requested = request.options.get(wire.OPT_REQUESTED_IP)
        if requested and len(requested) == 4:
            return _u32(requested)
        return _u32(request.ciaddr)

    def _request(self, pkt: Request, now: float) -> wire.Packet | None:
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
            return self._ctx.nak(pkt, None, "no subnet for the client's network")
        if init_reboot:
            lease = (
                allocator.lease_in_network(subnet, pkt.classes, pkt.client) if subnet is not None else None
            )
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
                return self._ctx.nak(
                    pkt, subnet, "address %s is not this client's lease here" % int_to_ip(hint)
                )
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
            return self._ctx.nak(
                pkt, ex.subnet, "address %s is not available to this client" % int_to_ip(hint)
            )
        valid = self._ctx.valid_lifetime(ex.subnet, request, pkt.classes)
        names = self._names(pkt, address)
        if names is not None and names.drop:
            return self._drop(pkt.request, "client FQDN option with both N and S set (RFC 4702)")
        hostname = names.hostname if names is not None else self._ctx.lease_hostname(pkt)
        self._commit(ex, address, valid, now, hostname, names)
        allocator.drop_offer(address)
        lines.info(
            "DHCP4_LEASE_ALLOC %s: lease %s has been allocated for %d seconds (%s)",
            ex.client.hwaddr.hex(":"),
            int_to_ip(address),
            valid,
            state,
        )
        return self._ctx.lease_reply(wire.DHCPACK, pkt, address, valid, names=names)

    def _decline(self, pkt: Request, now: float) -> None:
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
        if self.names is not None:
            self.names.lease_removed(lease, now)
        log.info(
            "DHCP4_DECLINE_LEASE %s declined %s; in probation for %d seconds",
            request.mac.hex(":"),
            int_to_ip(address),
            probation,
        )
        return None

    def _release(self, pkt: Request, now: float) -> None:
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
        if self.names is not None:
            self.names.lease_removed(lease, now)
        log.info("DHCP4_RELEASE %s released %s", request.mac.hex(":"), int_to_ip(address))
        return None

    def _inform(self, pkt: Request, now: float) -> wire.Packet | None:
        request, inbound = pkt.request, pkt.inbound
        subnet = pkt.subnet
        reply = self._ctx.base_reply(wire.DHCPACK, request, inbound, subnet)
        reply.ciaddr = request.ciaddr
        if subnet is None:
            return reply
        ex = pkt.ex
        reservation = self._ctx.allocator.current_host(ex) if ex is not None else None
        self._ctx.require_classes(pkt, subnet, -1)
        chain = self._ctx.options.chain(
            subnet, -1, pkt.classes, reservation.option_data if reservation else ()
        )
        self._ctx.add_options(reply, request, chain)
        self._ctx.fixed_fields(reply, subnet, reservation, pkt.classes)
        if _u32(request.giaddr) and _u32(request.ciaddr):
            # Sent straight to ciaddr, not back through the relay (Kea does the same).
            reply.giaddr = b"\0\0\0\0"
            reply.remove(wire.OPT_RELAY_AGENT_INFO)
        return reply

    def _names(self, pkt: Request, address: int) -> Names | None:
        """The DNS name outcome for this client and address (edge/ddns), None without a name handler."""
        if self.names is None or pkt.ex is None:
            return None
        reservation = self._ctx.allocator.current_host(pkt.ex)
        return self.names.names_for(pkt.request, pkt.ex.subnet, address, reservation, pkt.classes)

    def _commit(
        self, ex: Exchange, address: int, valid: int, now: float, hostname: str, names: Names | None = None
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
        if self.names is not None:
            self.names.lease_granted(existing, lease, now)  # queues DNS adds/removes (edge/ddns)
        old = ex.old_lease
        if old is not None and old.address != address:
            # One lease per client: the client moved to a new address, so its old lease goes (Kea).
            current = self.store.get(old.address)
            if current is not None and self.store.delete(old.address):
                if self.names is not None:
                    self.names.lease_removed(current, now)

    def _drop(self, request: wire.Packet, why: str) -> None:
        log.debug("DHCP4_PACKET_DROP_0010 %s xid 0x%08x dropped: %s", request.mac.hex(":"), request.xid, why)
        self.stats.inc("pkt4-receive-drop")
        return None

    handlers = {
        wire.DHCPDISCOVER: _discover,
        wire.DHCPREQUEST: _request,
        wire.DHCPDECLINE: _decline,
        wire.DHCPRELEASE: _release,
        wire.DHCPINFORM: _inform,
    }
