"""DHCPv4 replies: the header and options of OFFER, ACK and NAK, built from the configuration snapshot.

Rules:
- Kea 2.2's choices (dhcp4_srv.cc): option 54 from the receiving interface's address in the subnet, 51/1/59/58
  first in that order, T1/T2 as setTeeTimes computes them, options only as the client's parameter list (or
  always-send) asks, siaddr/sname/file from the subnet, overridden by classes and then by the reservation.
- Everything that depends only on the configuration and a few request fields is worked out once and
  kept in bounded per-configuration caches (the `Context` that inherits this class is rebuilt on every
  reload, so no cache can outlive the configuration it was built from).
- A NAK carries a reason (option 56): Kea sends none; RFC 2131 table 3 allows it and it tells the admin why.

`Replies` is the reply-building half of the per-configuration `Context` (context.py): it reads the
selector, classifier, allocator, option planner and class table that Context builds.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Sequence

from edge.ddns.names import NameHandler, Names
from edge.dhcp4.alloc import Allocator
from edge.dhcp4.exchange import Inbound, Request
from edge.dhcp4.model import ClientClass4, Config4, Reservation4, Subnet4
from edge.dhcp4.options import OptionPlanner, Scope, select_options, vendor_option
from edge.dhcp4.select import SubnetSelector
from edge.policy.classify import Classes, Classifier
from edge.wire import pkt4 as wire

log = logging.getLogger("edge.dhcp4")

# Kea's default hostname-char-set: characters not allowed in a host name are removed.
_HOSTNAME_SCRUB = re.compile(r"[^A-Za-z0-9.-]")
CACHE_LIMIT = 4096  # entries per cache; clients' lifetimes (option 51) and parameter lists are many


def _u32(data: bytes) -> int:
    return struct.unpack("!I", data)[0]


class Replies:
    config: Config4
    selector: SubnetSelector
    classifier: Classifier
    allocator: Allocator
    options: OptionPlanner
    classes: dict[str, ClientClass4]
    names: NameHandler | None

    def __init__(self) -> None:
        # What add_options decided for a (scopes, request, reply so far) combination: the scopes are built
        # once per configuration and never changed, and the key holds them, so an entry cannot go stale.
        self.option_answers: dict[tuple, tuple[tuple[tuple[int, bytes], ...], bytes | None]] = {}
        # Keyed by subnet id (unique in a configuration): the lease options (51, 1, 59, 58) of a (subnet,
        # lifetime), and the classes a (subnet, pool) requires.
        self.lease_option_cache: dict[tuple[int, int], tuple[tuple[int, bytes], ...]] = {}
        self.required_names: dict[tuple[int, int], tuple[str, ...]] = {}
        # Option 54 (packed) for a (subnet id, the receiving interface's addresses).
        self.server_ids: dict[tuple[int | None, tuple[int, ...]], bytes] = {}
        # siaddr, sname and file of a subnet, when no class sets any of them (else worked out per reply).
        self.fixed_field_cache: dict[int, tuple[bytes, bytes | None, bytes | None]] = {}
        self.class_fixed_fields = any(
            c.next_server or c.server_hostname or c.boot_file_name for c in self.config.client_classes
        )

    def base_reply(
        self, msg_type: int, request: wire.Packet, inbound: Inbound, subnet: Subnet4 | None
    ) -> wire.Packet:
        reply = wire.make_reply(request, msg_type)  # echoes option 82 byte for byte (RFC 3046)
        key = (subnet.id if subnet is not None else None, inbound.local_addresses)
        server_id = self.server_ids.get(key)
        if server_id is None:
            if len(self.server_ids) >= 1024:
                self.server_ids.clear()
            server_id = self.server_ids[key] = struct.pack("!I", self.server_id(subnet, inbound))
        reply.set(wire.OPT_SERVER_ID, server_id)
        if self.config.echo_client_id:
            client_id = request.options.get(wire.OPT_CLIENT_ID)
            if client_id is not None:
                reply.set(wire.OPT_CLIENT_ID, client_id)
        selection = request.options.get(wire.OPT_SUBNET_SELECTION)
        if selection is not None:
            reply.set(wire.OPT_SUBNET_SELECTION, selection)  # RFC 3011: returned unchanged
        return reply

    def server_id(self, subnet: Subnet4 | None, inbound: Inbound) -> int:
        if subnet is not None:
            for address in inbound.local_addresses:
                if address in subnet:
                    return address
        return inbound.local_addresses[0] if inbound.local_addresses else 0

    def valid_lifetime(self, subnet: Subnet4, request: wire.Packet, classes: Classes) -> int:
        """Kea's getValidLft: the first class (in the packet's order) that sets one, else the subnet's;
        a lifetime the client asks for (option 51) is clamped to that scope's min/max."""
        params = subnet.params
        valid, low, high = params.valid_lifetime, params.min_valid_lifetime, params.max_valid_lifetime
        for name in classes:
            cls = self.classes.get(name)
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
    def tee_times(subnet: Subnet4, valid: int) -> tuple[int | None, int | None]:
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

    def lease_options(self, subnet: Subnet4, valid: int) -> tuple[tuple[int, bytes], ...]:
        """Options 51, 1, 59 and 58 of a lease reply (in that order), worked out once per (subnet, lifetime)."""
        lease_options = self.lease_option_cache
        key = (subnet.id, valid)
        found = lease_options.get(key)
        if found is None:
            pairs = [
                (wire.OPT_LEASE_TIME, struct.pack("!I", valid)),
                (wire.OPT_SUBNET_MASK, struct.pack("!I", subnet.netmask)),
            ]
            t1, t2 = self.tee_times(subnet, valid)
            if t2 is not None:
                pairs.append((wire.OPT_REBINDING_TIME, struct.pack("!I", t2)))
            if t1 is not None:
                pairs.append((wire.OPT_RENEWAL_TIME, struct.pack("!I", t1)))
            if len(lease_options) >= CACHE_LIMIT:
                lease_options.clear()
            found = lease_options[key] = tuple(pairs)
        return found

    def lease_reply(
        self, msg_type: int, pkt: Request, address: int, valid: int | None = None, names: Names | None = None
    ) -> wire.Packet:
        request, inbound = pkt.request, pkt.inbound
        ex = pkt.ex
        assert ex is not None
        subnet = ex.subnet
        allocator = self.allocator
        reservation = allocator.current_host(ex)
        if subnet.shared_network and reservation is not None and ex.hosts.get(subnet.id) is reservation:
            # Kea's conditionallySetReservedClientClasses: in a shared network a subnet reservation's
            # classes count once the subnet is final.
            self.classifier.with_reserved(pkt.view, pkt.classes, reservation.client_classes, reevaluate=False)
        reply = self.base_reply(msg_type, request, inbound, subnet)
        reply.yiaddr = struct.pack("!I", address)
        if msg_type == wire.DHCPACK:
            reply.ciaddr = request.ciaddr
        if valid is None:
            valid = self.valid_lifetime(subnet, request, pkt.classes)
        reply.set_all(self.lease_options(subnet, valid))
        hostname = self.reply_hostname(pkt, reservation)
        if hostname:
            reply.set(wire.OPT_HOSTNAME, hostname.encode("ascii", "replace"))
        if names is not None and self.names is not None:
            self.names.apply(reply, names)  # the option 81 or 12 answer (replaces the one above)
        pool_index = self.pool_index(subnet, address)
        self.require_classes(pkt, subnet, pool_index)
        chain = self.options.chain(
            subnet, pool_index, pkt.classes, reservation.option_data if reservation else ()
        )
        self.add_options(reply, request, chain)
        self.fixed_fields(reply, subnet, reservation, pkt.classes)
        return reply

    def reply_hostname(self, pkt: Request, reservation: Reservation4 | None) -> str:
        """Option 12 in a lease reply (Kea's processHostnameOption with DNS updates off): the reserved name,
        always; else the name the client sent, cleaned."""
        request = pkt.request
        if reservation is not None and reservation.hostname:
            return reservation.hostname.lower()
        if request.options.get(wire.OPT_HOSTNAME) is not None:
            return self.lease_hostname(pkt)
        return ""

    def lease_hostname(self, pkt: Request) -> str:
        """The host name recorded in the lease: the reservation's, else the client's (Kea's processing of
        option 12 with DNS updates off: trimmed, disallowed characters removed, lower case)."""
        reservation = self.allocator.current_host(pkt.ex) if pkt.ex is not None else None
        if reservation is not None and reservation.hostname:
            return reservation.hostname.lower()
        sent = pkt.request.options.get(wire.OPT_HOSTNAME)
        if sent:
            name = _HOSTNAME_SCRUB.sub("", sent.decode("ascii", "replace").strip().rstrip("\x00")).lower()
            return name.rstrip(".")[:253]
        return ""

    def pool_index(self, subnet: Subnet4, address: int) -> int:
        for index, pool in enumerate(subnet.pools):
            if pool.first <= address <= pool.last:
                return index
        return -1

    def require_classes(self, pkt: Request, subnet: Subnet4, pool_index: int) -> None:
        """Kea's requiredClassify: the classes the shared network, subnet and pool ask for."""
        key = (subnet.id, pool_index)
        names = self.required_names.get(key)
        if names is None:
            found: list[str] = []
            network = self.selector.network_of(subnet)
            if network is not None:
                found.extend(network.require_client_classes)
            found.extend(subnet.require_client_classes)
            if pool_index >= 0:
                found.extend(subnet.pools[pool_index].require_client_classes)
            names = self.required_names[key] = tuple(found)
        if names:
            self.classifier.required(pkt.view, pkt.classes, names)

    def add_options(self, reply: wire.Packet, request: wire.Packet, chain: Sequence[Scope]) -> None:
        # The answer depends on the scopes, the client's parameter list and vendor option, and what the
        # reply already holds; clients ask the same few questions, so it is worked out once per question.
        asked, replied = request.options, reply.options
        key = (tuple(chain), asked.get(55), asked.get(125), tuple(reply.option_order), replied.get(125))
        answers = self.option_answers
        found = answers.get(key)
        if found is None:
            chosen = tuple(select_options(chain, request.requested_params(), replied))
            vivso_in_reply = replied.get(125)
            for code, data in chosen:
                if code == 125:
                    vivso_in_reply = data
            found = (chosen, vendor_option(chain, request, vivso_in_reply))
            if len(answers) >= CACHE_LIMIT:
                answers.clear()
            answers[key] = found
        chosen, vivso = found
        reply.set_all(chosen)
        if vivso is not None:
            reply.set(125, vivso)

    def fixed_fields(
        self, reply: wire.Packet, subnet: Subnet4, reservation: Reservation4 | None, classes: Classes
    ) -> None:
        """siaddr, sname and file (Kea's setFixedFields): the subnet's values; for each field the first
        class in the packet's order that sets it overrides them; the reservation overrides both."""
        if reservation is None and not self.class_fixed_fields:
            # Nothing but the subnet decides: its three fields, encoded once per configuration.
            fixed = self.fixed_field_cache.get(subnet.id)
            if fixed is None:
                fixed = self.fixed_field_cache[subnet.id] = self.fixed_values(subnet, None, ())
        else:
            fixed = self.fixed_values(subnet, reservation, classes)
        reply.siaddr, sname, filename = fixed
        if sname is not None:
            reply.sname = sname
        if filename is not None:
            reply.file = filename

    def fixed_values(
        self, subnet: Subnet4, reservation: Reservation4 | None, classes: Classes | tuple
    ) -> tuple[bytes, bytes | None, bytes | None]:
        """(siaddr, sname or None, file or None) as _fixed_fields sets them."""
        params = subnet.params
        next_server, sname, filename = params.next_server, params.server_hostname, params.boot_file_name
        class_server, class_sname, class_file = 0, "", ""
        for name in classes:
            cls = self.classes.get(name)
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

    def nak(self, pkt: Request, subnet: Subnet4 | None, why: str) -> wire.Packet:
        request = pkt.request
        log.info("DHCP4_PACKET_NAK_0001 %s: %s", request.mac.hex(":"), why)
        reply = self.base_reply(wire.DHCPNAK, request, pkt.inbound, subnet)
        # Kea sends no reason; RFC 2131 table 3 allows option 56 in a NAK and it tells the admin why.
        reply.set(wire.OPT_MESSAGE, why.encode("ascii", "replace")[:200])
        if _u32(request.giaddr):
            reply.flags |= 0x8000  # RFC 2131 4.3.2: the relay must broadcast a NAK to the client
        return reply
