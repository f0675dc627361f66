"""The DHCPv6 request pipeline, sans-IO: (config, lease store, now, datagram) -> reply or nothing.

Rules (the DHCPv4 engine's, for the other family):
- No sockets, no files, no clock. The server passes the received bytes with an `Inbound6` and the current
  time; the engine answers with an `Outbound6` or None. Lease changes go through the LeaseStore6, whose
  `put` returns only once the change is recorded, so a REPLY is never built for a lease the store could
  not keep; a committing REPLY carries `wait_seq` so the server sends it only once the change is durable.
- Malformed input is counted (`pkt6-parse-failed`) and dropped; nothing raises out of `handle`.
- A configuration is a value: `reconfigure` builds the derived state (classifier, host manager, option
  scopes) first and swaps it in one assignment; the allocator's pointers carry over.
- Decisions follow Kea 2.2 (dhcp6_srv.cc), each confirmed against kea-dhcp6 2.2 in the lab
  (tests/lab/kea6-observed.md); tests/lab/test_parity6.py runs the same crafted exchanges against both.

Pipeline (Kea's order): decode (lenient about a truncated last option, as Kea's unpack is; IAs and the
client FQDN parsed here, so a malformed one is a parse failure) -> pkt6-<type>-received -> server-id
must be ours -> no unicast SOLICIT/CONFIRM/REBIND/INFORMATION-REQUEST from a direct client -> classes,
first pass -> client-id/server-id presence per message type (sanity check) -> DROP class -> subnet
(direct: the subnet's `interface`, then the source address; relayed: the interface-id, then the
link-address of the relay nearest the client, `relay.ip-addresses` first) -> reservations (subnet, then
global), their classes, KNOWN/UNKNOWN -> per message type -> options: the ORO's and always-send ones, from
host, pool, subnet, shared network, classes, global scope in that order -> options sorted by code, as
Kea's multimap writes them.

Where we differ on purpose: nothing yet (IA_TA is ignored as Kea 2.2 ignores it; DNS updates for v6 are
"DHCPv6 II" and option 39 is answered with N=1, as Kea answers it with updates off).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from edge.ddns.names6 import NameHandler6, generated_name6
from edge.dhcp6.alloc import Allocator6, is_free, reserved_resources
from edge.dhcp6.exchange import CLIENT_PORT, SERVER_PORT, Inbound6, Outbound6, View6
from edge.dhcp6.lease import (
    EMPTY_DUID,
    STATE_DECLINED,
    STATE_DEFAULT,
    STATE_EXPIRED_RECLAIMED,
    TYPE_NA,
    TYPE_PD,
    Lease6,
    address_text,
)
from edge.dhcp6.lease_stats import Lease6Statistics, recount_statistics6
from edge.dhcp6.lease_store import LeaseStore6
from edge.dhcp6.model import Config6, Reservation6, ScopeParams6, Subnet6
from edge.expr.language import EvalError
from edge.leases.errors import LeaseStoreError
from edge.policy.classify import Classes, Classifier
from edge.policy.hosts import GLOBAL, ConfigHosts, HostBackend, HostManager
from edge.stats import Statistics
from edge.wire import pkt6 as wire
from edge.wire.duid import duid_lladdr
from edge.wire.errors import DecodeError, EncodeError
from edge.wire.payloads6 import (
    FQDN_FLAG_N,
    FQDN_FLAG_O,
    FQDN_FLAG_S,
    IA,
    OPT_IA_NA,
    OPT_IA_PD,
    OPT_IAADDR,
    OPT_IAPREFIX,
    STATUS_NO_ADDRS_AVAIL,
    STATUS_NO_BINDING,
    STATUS_NO_PREFIX_AVAIL,
    STATUS_NOT_ON_LINK,
    STATUS_SUCCESS,
    IAAddress,
    IAPrefix,
    build_client_fqdn,
    build_pd_exclude,
    parse_client_fqdn,
    status_option,
)

__all__ = ["Engine6"]

log = logging.getLogger("edge.dhcp6")

_RECEIVED = {
    wire.SOLICIT: "pkt6-solicit-received",
    wire.ADVERTISE: "pkt6-advertise-received",
    wire.REQUEST: "pkt6-request-received",
    wire.CONFIRM: "pkt6-confirm-received",
    wire.RENEW: "pkt6-renew-received",
    wire.REBIND: "pkt6-rebind-received",
    wire.REPLY: "pkt6-reply-received",
    wire.RELEASE: "pkt6-release-received",
    wire.DECLINE: "pkt6-decline-received",
    wire.INFORMATION_REQUEST: "pkt6-infrequest-received",
    wire.DHCPV4_QUERY: "pkt6-dhcpv4-query-received",
    wire.DHCPV4_RESPONSE: "pkt6-dhcpv4-response-received",
}
# Created at start-up, as Kea 2.2 has them (pkt6-confirm-received appears at the first CONFIRM).
STARTUP_COUNTERS = (
    "pkt6-received",
    "pkt6-receive-drop",
    "pkt6-parse-failed",
    "pkt6-solicit-received",
    "pkt6-advertise-received",
    "pkt6-request-received",
    "pkt6-renew-received",
    "pkt6-rebind-received",
    "pkt6-reply-received",
    "pkt6-release-received",
    "pkt6-decline-received",
    "pkt6-infrequest-received",
    "pkt6-dhcpv4-query-received",
    "pkt6-dhcpv4-response-received",
    "pkt6-unknown-received",
    "pkt6-sent",
    "pkt6-advertise-sent",
    "pkt6-reply-sent",
    "pkt6-dhcpv4-response-sent",
    "v6-allocation-fail",
    "v6-allocation-fail-shared-network",
    "v6-allocation-fail-subnet",
    "v6-allocation-fail-no-pools",
    "v6-allocation-fail-classes",
    "cumulative-assigned-nas",
    "cumulative-assigned-pds",
    "declined-addresses",
    "reclaimed-leases",
    "reclaimed-declined-addresses",
)
_SENT = {wire.ADVERTISE: "pkt6-advertise-sent", wire.REPLY: "pkt6-reply-sent"}

# (client-id, server-id) requirements per message type (Kea's sanityCheck): 1 mandatory (exactly one),
# 0 optional (at most one), -1 forbidden.
_MANDATORY, _OPTIONAL, _FORBIDDEN = 1, 0, -1
_SANITY = {
    wire.SOLICIT: (_MANDATORY, _FORBIDDEN),
    wire.REBIND: (_MANDATORY, _FORBIDDEN),
    wire.CONFIRM: (_MANDATORY, _FORBIDDEN),
    wire.REQUEST: (_MANDATORY, _MANDATORY),
    wire.RENEW: (_MANDATORY, _MANDATORY),
    wire.RELEASE: (_MANDATORY, _MANDATORY),
    wire.DECLINE: (_MANDATORY, _MANDATORY),
    wire.INFORMATION_REQUEST: (_OPTIONAL, _OPTIONAL),
}
_UNICAST_FORBIDDEN = (wire.SOLICIT, wire.CONFIRM, wire.REBIND, wire.INFORMATION_REQUEST)
_NOT_FROM_SCOPES = frozenset((1, 2, 3, 4, 5, 9, 13, 14, 18, 25, 26, 39))
_ZERO16 = bytes(16)

_REUSABLE = (STATE_DEFAULT, STATE_EXPIRED_RECLAIMED)

HWADDR_SOURCE_DUID = 2
HWADDR_SOURCE_IPV6_LINK_LOCAL = 4


class _Discard(Exception):
    """Drop the message (Kea's DHCPv6DiscardMessageError)."""


@dataclass(slots=True)
class _Ctx:
    """One request as the pipeline has learned it (Kea's ClientContext6)."""

    request: wire.Packet6
    inbound: Inbound6
    view: View6
    classes: Classes
    ias: list[IA]
    duid: bytes
    hwaddr: bytes
    hwtype: int
    hwaddr_source: int
    subnet: Subnet6 | None = None
    host: Reservation6 | None = None
    hostname: str = ""
    fqdn_reply: bytes | None = None
    fqdn_generate: bool = False  # DNS updates on, the name is made from the first IA_NA address
    fqdn_fwd: bool = False  # DNS updates on: the AAAA and PTR records are ours to manage
    fqdn_rev: bool = False
    fqdn_flags: int = 0
    fqdn_decided: bool = False  # option 39 was answered with DNS updates on
    taken: set[int] = field(default_factory=set)  # addresses given to earlier IAs of this message
    pools: list[object] = field(default_factory=list)  # pools whose options apply
    committed: bool = False


@dataclass(frozen=True, slots=True)
class _Scopes:
    """The option scopes of one configuration: code -> (payload, always-send) per scope."""

    global_scope: dict[int, tuple[bytes, bool]]
    subnets: dict[int, dict[int, tuple[bytes, bool]]]
    networks: dict[int, dict[int, tuple[bytes, bool]]]
    classes: dict[str, dict[int, tuple[bytes, bool]]]


def _scope(options: Sequence[object]) -> dict[int, tuple[bytes, bool]]:
    out: dict[int, tuple[bytes, bool]] = {}
    for opt in options:
        space = getattr(opt, "space", "dhcp6")
        if space not in ("dhcp6", "") or getattr(opt, "never_send", False):
            continue
        out.setdefault(opt.code, (opt.data, opt.always_send))  # type: ignore[attr-defined]
    return out


def _scopes(config: Config6) -> _Scopes:
    return _Scopes(
        _scope(config.option_data),
        {s.id: _scope(s.option_data) for s in config.subnets},
        {s.id: _scope(s.shared_network_option_data) for s in config.subnets},
        {c.name: _scope(c.option_data) for c in config.client_classes},
    )


class _Derived:
    """Everything built from one configuration snapshot."""

    def __init__(self, config: Config6, backends: Sequence[HostBackend[Reservation6]]) -> None:
        self.config = config
        self.classifier = Classifier(config.client_classes)
        self.hosts: HostManager[Reservation6] = HostManager(backends, config.host_reservation_identifiers)
        self.scopes = _scopes(config)
        self.by_interface: dict[str, list[Subnet6]] = {}
        self.by_interface_id: dict[bytes, list[Subnet6]] = {}
        self.network_members: dict[str, list[Subnet6]] = {}
        for subnet in config.subnets:
            if subnet.interface:
                self.by_interface.setdefault(subnet.interface, []).append(subnet)
            if subnet.interface_id is not None:
                self.by_interface_id.setdefault(subnet.interface_id, []).append(subnet)
            if subnet.shared_network:
                self.network_members.setdefault(subnet.shared_network, []).append(subnet)


def _supported(subnet: Subnet6, classes: Classes) -> bool:
    return not subnet.client_classes or any(name in classes for name in subnet.client_classes)


def _clamp(hint: int, default: int, low: int, high: int) -> int:
    if hint <= 0:
        return default
    return max(low, min(high, hint))


def _u128(address: bytes) -> int:
    return int.from_bytes(address, "big")


def _b16(address: int) -> bytes:
    return address.to_bytes(16, "big")


def _sorted_options(options: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    return sorted(options, key=lambda pair: pair[0])


def _ia_option(ia: IA) -> tuple[int, bytes]:
    ia.options = _sorted_options(ia.options)
    return (ia.code, ia.to_payload())


class Engine6:
    def __init__(
        self,
        config: Config6,
        store: LeaseStore6,
        stats: Statistics | None = None,
        *,
        server_id: bytes,
        hosts: Sequence[HostBackend[Reservation6]] | None = None,
        names: NameHandler6 | None = None,
    ) -> None:
        self.store = store
        # DNS names (edge/ddns/names6.py): option 39 with updates on, the lease's fqdn flags, AAAA/PTR changes
        self.names = names
        self.stats = stats if stats is not None else Statistics(counters=STARTUP_COUNTERS)
        self.server_id = bytes(server_id)
        self._lease_stats = Lease6Statistics(self.stats)
        self._d = _Derived(config, hosts if hosts is not None else [ConfigHosts(config)])
        self.allocator = Allocator6(store, self._d.hosts)
        store.subscribe(self._lease_stats.on_change)
        for name in STARTUP_COUNTERS:
            if self.stats.stamp(name) is None:
                self.stats.set(name, 0)
        self._init_subnet_stats(config)

    @property
    def config(self) -> Config6:
        return self._d.config

    @property
    def hosts(self) -> HostManager[Reservation6]:
        return self._d.hosts

    def reconfigure(self, config: Config6, hosts: Sequence[HostBackend[Reservation6]] | None = None) -> None:
        derived = _Derived(config, hosts if hosts is not None else [ConfigHosts(config)])
        allocator = Allocator6(self.store, derived.hosts, self.allocator.pointers)
        self._d, self.allocator = derived, allocator
        self._init_subnet_stats(config)

    def _init_subnet_stats(self, config: Config6) -> None:
        for subnet in config.subnets:
            self.stats.set("subnet[%d].total-nas" % subnet.id, sum(p.size for p in subnet.pools))
            self.stats.set("subnet[%d].total-pds" % subnet.id, sum(p.size for p in subnet.pd_pools))
            for name in (
                "assigned-nas",
                "assigned-pds",
                "declined-addresses",
                "cumulative-assigned-nas",
                "cumulative-assigned-pds",
                "reclaimed-leases",
                "reclaimed-declined-addresses",
            ):
                key = "subnet[%d].%s" % (subnet.id, name)
                if self.stats.stamp(key) is None:
                    self.stats.set(key, 0)

    def recount(self, now: float) -> None:
        """Rebuild the per-subnet gauges from the store (used at start-up)."""
        recount_statistics6(self.config, self.store, self.stats)

    # ------------------------------------------------------------------ entry

    def handle(self, payload: bytes, inbound: Inbound6, now: float) -> Outbound6 | None:
        stats = self.stats
        stats.inc("pkt6-received")
        try:
            request = wire.decode6(payload, lenient=True)
            ias = [IA.from_payload(c, p) for c, p in request.options if c in (OPT_IA_NA, OPT_IA_PD)]
            for ia in ias:
                ia.addresses() if ia.code == OPT_IA_NA else ia.prefixes()
            request.oro()  # an ORO of odd length is a malformed packet (Kea: the option does not unpack)
            fqdn = request.get(39)
            flags_name = parse_client_fqdn(fqdn) if fqdn is not None else None
            if flags_name is not None and flags_name[0] & FQDN_FLAG_N and flags_name[0] & FQDN_FLAG_S:
                raise DecodeError("bad-option-data", "client-fqdn with both N and S set")
        except DecodeError as exc:
            stats.inc("pkt6-parse-failed")
            stats.inc("pkt6-receive-drop")
            log.debug(
                "DHCP6_PACKET_PROCESS_FAIL failed to parse a packet from %s on %s: %s",
                inbound.src_ip.hex(),
                inbound.ifname,
                exc,
            )
            return None
        msg_type = request.msg_type
        stats.inc(_RECEIVED.get(msg_type, "pkt6-unknown-received"))
        try:
            out = self._process(request, ias, flags_name, inbound, len(payload), now)
        except _Discard as exc:
            log.debug("DHCP6_PACKET_DROP %s xid 0x%06x: %s", request.name, request.transaction_id, exc)
            stats.inc("pkt6-receive-drop")
            return None
        except LeaseStoreError as exc:
            log.error("DHCP6_LEASE_STORE_FAIL %s: not answering xid 0x%06x", exc, request.transaction_id)
            stats.inc("pkt6-receive-drop")
            return None
        except EncodeError as exc:
            log.error(
                "DHCP6_PACKET_PACK_FAIL cannot encode the reply to xid 0x%06x: %s",
                request.transaction_id,
                exc,
            )
            return None
        if out is not None:
            stats.inc("pkt6-sent")
            sent = _SENT.get(out.message_type)
            if sent is not None:
                stats.inc(sent)
        return out

    def _process(
        self,
        request: wire.Packet6,
        ias: list[IA],
        fqdn: tuple[int, str, bool] | None,
        inbound: Inbound6,
        length: int,
        now: float,
    ) -> Outbound6 | None:
        d = self._d
        msg_type = request.msg_type
        server_ids = request.get_all(wire.OPT_SERVERID)
        if server_ids and server_ids[0] != self.server_id:
            raise _Discard("server-id %s is not ours" % bytes(server_ids[0]).hex(":"))
        if not request.relays and not inbound.multicast and msg_type in _UNICAST_FORBIDDEN:
            raise _Discard("%s sent by unicast from a direct client" % request.name)
        view = View6(request, inbound, length)
        classes = d.classifier.first_pass(view)
        self._sanity(request, server_ids)
        if d.classifier.dropped(classes):
            raise _Discard("DROP class")
        duid = bytes(request.client_id or b"")
        hw = self._hwaddr(request, inbound, duid)
        ctx = _Ctx(request, inbound, view, classes, ias, duid, hw[0], hw[1], hw[2])
        if d.config.early_global_reservations_lookup and not d.hosts.empty:
            # Kea #1139: the classes of a global reservation may steer subnet selection
            early = d.hosts.find(GLOBAL, self._identifiers(ctx))
            if early is not None:
                if early.client_classes:
                    d.classifier.with_reserved(view, classes, early.client_classes, reevaluate=True)
                d.classifier.mark_known(view, classes)
                if d.classifier.dropped(classes):
                    raise _Discard("DROP class (global reservation)")
        ctx.subnet = self._select(request, inbound, classes)
        self._find_host(ctx)
        if fqdn is not None:
            self._fqdn(ctx, fqdn)
        handler = _HANDLERS.get(msg_type)
        if handler is None:
            raise _Discard("not a client message")
        reply = handler(self, ctx, now)
        if reply is None:
            return None
        return self._finish(ctx, reply)

    def _sanity(self, request: wire.Packet6, server_ids: list[bytes]) -> None:
        rule = _SANITY.get(request.msg_type)
        if rule is None:
            raise _Discard("message type %d is not served" % request.msg_type)
        for (what, found), level in zip(
            (("client-id", request.get_all(wire.OPT_CLIENTID)), ("server-id", server_ids)), rule, strict=True
        ):
            if level == _MANDATORY and len(found) != 1:
                raise _Discard("exactly one %s expected, %d received" % (what, len(found)))
            if level == _OPTIONAL and len(found) > 1:
                raise _Discard("too many (%d) %s options" % (len(found), what))
            if level == _FORBIDDEN and found:
                raise _Discard("%s not expected in %s" % (what, request.name))
            if found and not 3 <= len(found[0]) <= 128:
                raise _Discard("%s of %d bytes (3 to 128 allowed)" % (what, len(found[0])))

    @staticmethod
    def _hwaddr(request: wire.Packet6, inbound: Inbound6, duid: bytes) -> tuple[bytes, int, int]:
        """(MAC, htype, Kea's hwaddr source) as Kea's mac-sources "any" finds it: the DUID, then an EUI-64
        link-local source address of a direct client."""
        found = duid_lladdr(duid) if duid else None
        if found is not None and found[1]:
            return bytes(found[1]), int(found[0]), HWADDR_SOURCE_DUID
        src = inbound.src_ip if not request.relays else request.relays[-1].peer_address
        if len(src) == 16 and src[:2] == b"\xfe\x80" and src[11:13] == b"\xff\xfe":
            mac = bytes((src[8] ^ 0x02,)) + src[9:11] + src[13:16]
            return mac, 1, HWADDR_SOURCE_IPV6_LINK_LOCAL
        return b"", 1, 0

    # ------------------------------------------------------------------ subnet and host

    def _select(self, request: wire.Packet6, inbound: Inbound6, classes: Classes) -> Subnet6 | None:
        d = self._d
        link = _ZERO16
        if request.relays:
            nearest = request.relays[-1]
            link = bytes(nearest.link_address)
        if link != _ZERO16:
            interface_id = request.relay_option_nearest_client(wire.OPT_INTERFACE_ID)
            if interface_id is not None:
                for subnet in d.by_interface_id.get(bytes(interface_id), ()):
                    if _supported(subnet, classes):
                        return subnet
            address = _u128(link)
            for subnet in d.config.subnets:
                if subnet.relay_addresses:
                    if address in subnet.relay_addresses and _supported(subnet, classes):
                        return subnet
                elif address in subnet and _supported(subnet, classes):
                    return subnet
            return None
        for subnet in d.by_interface.get(inbound.ifname, ()):
            if _supported(subnet, classes):
                return subnet
        source = _u128(inbound.src_ip) if len(inbound.src_ip) == 16 else 0
        for subnet in d.config.subnets:
            if source in subnet and _supported(subnet, classes):
                return subnet
        return None

    def _candidates(self, ctx: _Ctx) -> list[Subnet6]:
        """The selected subnet, then the other subnets of its shared network the client may use."""
        subnet = ctx.subnet
        if subnet is None:
            return []
        if not subnet.shared_network:
            return [subnet]
        members = self._d.network_members.get(subnet.shared_network, [subnet])
        return [subnet] + [s for s in members if s is not subnet and _supported(s, ctx.classes)]

    def _identifiers(self, ctx: _Ctx) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = []
        for kind in self._d.config.host_reservation_identifiers:
            if kind == "duid" and ctx.duid:
                out.append(("duid", ctx.duid))
            elif kind == "hw-address" and ctx.hwaddr:
                out.append(("hw-address", ctx.hwaddr))
            elif kind == "flex-id":
                expression = self._d.config.flex_id_expression
                if expression is not None:
                    try:
                        value = expression.evaluate(ctx.view)
                    except EvalError:
                        value = b""
                    if value:
                        out.append(("flex-id", bytes(value)))
        return out

    def _find_host(self, ctx: _Ctx) -> None:
        d = self._d
        host = None
        if not d.hosts.empty:
            identifiers = self._identifiers(ctx)
            subnet = ctx.subnet
            if subnet is not None and subnet.params.reservations_in_subnet:
                host = d.hosts.find(subnet.id, identifiers)
            if host is None and (subnet is None or subnet.params.reservations_global):
                host = d.hosts.find(GLOBAL, identifiers)
        ctx.host = host
        if host is not None:
            if host.client_classes:
                d.classifier.with_reserved(ctx.view, ctx.classes, host.client_classes, reevaluate=True)
            if host.hostname:
                ctx.hostname = host.hostname
        d.classifier.known_pass(ctx.view, ctx.classes, host is not None)
        if d.classifier.dropped(ctx.classes):
            raise _Discard("DROP class")

    def _fqdn(self, ctx: _Ctx, fqdn: tuple[int, str, bool]) -> None:
        """Option 39 with DNS updates off (Kea's answer then): N=1, S=0, O when the client asked for S.
        With updates on, the N-S-O table and the name policy of edge/ddns/names6.py."""
        flags, name, full = fqdn
        names, subnet = self.names, ctx.subnet
        if names is not None and subnet is not None and names.updates_enabled(subnet.params):
            reserved = ctx.host.hostname if ctx.host is not None and ctx.host.hostname else None
            decided = names.decide(flags, name, full, subnet.params, reserved)
            usable = decided.generate or names.usable(decided.name)
            ctx.fqdn_flags, ctx.fqdn_decided = decided.flags, True
            ctx.fqdn_fwd, ctx.fqdn_rev = decided.forward and usable, decided.reverse and usable
            ctx.fqdn_generate = decided.generate
            ctx.hostname = decided.name
            try:
                ctx.fqdn_reply = build_client_fqdn(decided.flags, decided.name.rstrip("."), True)
            except EncodeError:
                ctx.fqdn_reply = build_client_fqdn(decided.flags, "", False)
                ctx.hostname, ctx.fqdn_fwd, ctx.fqdn_rev = "", False, False
            return
        if ctx.host is not None and ctx.host.hostname:
            name, full = ctx.host.hostname, True
        reply_flags = FQDN_FLAG_N | (FQDN_FLAG_O if flags & FQDN_FLAG_S else 0)
        try:
            ctx.fqdn_reply = build_client_fqdn(reply_flags, name, full)
        except EncodeError:
            ctx.fqdn_reply = build_client_fqdn(reply_flags, "", False)
        if name and not ctx.hostname:
            ctx.hostname = name + "." if full else name

    # ------------------------------------------------------------------ leases

    def _params(self, ctx: _Ctx, subnet: Subnet6) -> ScopeParams6:
        return subnet.params

    def _lifetimes(self, ctx: _Ctx, subnet: Subnet6, hint_pref: int, hint_valid: int) -> tuple[int, int]:
        p = subnet.params
        preferred = _clamp(
            hint_pref, p.preferred_lifetime, p.min_preferred_lifetime, p.max_preferred_lifetime
        )
        valid = _clamp(hint_valid, p.valid_lifetime, p.min_valid_lifetime, p.max_valid_lifetime)
        for name in ctx.classes:
            cls = next((c for c in self._d.config.client_classes if c.name == name), None)
            if cls is None:
                continue
            if cls.valid_lifetime is not None and hint_valid <= 0:
                valid = cls.valid_lifetime
            if getattr(cls, "preferred_lifetime", None) is not None and hint_pref <= 0:
                preferred = cls.preferred_lifetime  # type: ignore[attr-defined]
            break
        return preferred, valid

    def _make_lease(
        self,
        ctx: _Ctx,
        subnet: Subnet6,
        ia: IA,
        lease_type: int,
        address: int,
        plen: int,
        hints: tuple[int, int],
        now: float,
    ) -> Lease6:
        preferred, valid = self._lifetimes(ctx, subnet, *hints)
        na = lease_type == TYPE_NA
        if na and ctx.fqdn_generate and not ctx.hostname:
            ctx.hostname = generated_name6(address, subnet.params)  # Kea: from the first IA_NA address
        return Lease6(
            address,
            duid=ctx.duid,
            iaid=ia.iaid,
            lease_type=lease_type,
            prefix_len=plen,
            preferred_lifetime=preferred,
            valid_lifetime=valid,
            cltt=int(now),
            subnet_id=subnet.id,
            hwaddr=ctx.hwaddr,
            hwtype=ctx.hwtype,
            hwaddr_source=ctx.hwaddr_source,
            hostname=ctx.hostname,
            fqdn_fwd=na and ctx.fqdn_fwd,
            fqdn_rev=na and ctx.fqdn_rev,
            state=STATE_DEFAULT,
        )

    @staticmethod
    def _hints(ia: IA) -> list[tuple[int, int, int, int]]:
        """(address, prefix length, preferred, valid) of each IAADDR / IAPREFIX the client put in the IA."""
        if ia.code == OPT_IA_NA:
            return [(_u128(a.address), 128, a.preferred, a.valid) for a in ia.addresses()]
        return [(_u128(p.prefix), p.prefix_len, p.preferred, p.valid) for p in ia.prefixes()]

    def _existing(
        self, ctx: _Ctx, ia: IA, lease_type: int, subnets: list[Subnet6]
    ) -> list[tuple[Subnet6, Lease6]]:
        out = []
        for subnet in subnets:
            for lease in self.store.find_by_duid_iaid(ctx.duid, ia.iaid, lease_type, subnet.id):
                if lease.address not in ctx.taken:
                    out.append((subnet, lease))
        return out

    def _still_ours(self, ctx: _Ctx, subnet: Subnet6, lease: Lease6, lease_type: int) -> bool:
        """May the client keep this lease: in a pool it may use or reserved to it, reserved to no one else."""
        reserved = any(a == lease.address for a, _ in reserved_resources(ctx.host, lease_type))
        if reserved:
            return True
        r = self.allocator.range_of(subnet, lease_type, lease.address)
        if r is None:
            return False
        from edge.dhcp6.alloc import allowed

        if not allowed(r.pool, ctx.classes):
            return False
        return not self.allocator.reserved_to_other(subnet, lease.address, ctx.host)

    def _reserved(
        self,
        ctx: _Ctx,
        ia: IA,
        lease_type: int,
        subnets: list[Subnet6],
        lifetimes: tuple[int, int],
        now: float,
        commit: bool,
    ) -> list[tuple[Subnet6, Lease6]]:
        """The client's reserved address or prefix for this IA, when one is free or already its own."""
        for subnet in subnets:
            if not subnet.params.reservations_in_subnet and not subnet.params.reservations_global:
                continue
            for address, plen in reserved_resources(ctx.host, lease_type):
                # a reserved prefix may lie outside the subnet's own prefix, as pd-pools may
                if (address in subnet or lease_type == TYPE_PD) and address not in ctx.taken:
                    lease = self.store.get(address)
                    mine = lease is not None and lease.duid == ctx.duid and lease.state == STATE_DEFAULT
                    if mine and lease is not None and lease.iaid == ia.iaid:
                        return [(subnet, self._renewed(ctx, subnet, lease, lifetimes, now, commit))]
                    if mine or is_free(lease, now):
                        new = self._new(ctx, subnet, ia, lease_type, address, plen, lifetimes, now, commit)
                        return [(subnet, new)]
        return []

    def _drop_unreserved(self, ctx: _Ctx, kept: list[tuple[Subnet6, Lease6]], others: list[Lease6]) -> None:
        """Kea's removeNonreservedLeases6: once the client holds its reserved resource, the IA's other
        leases go."""
        keep = {lease.address for _, lease in kept}
        for lease in others:
            if lease.address not in keep:
                self.store.delete(lease.address)
                ctx.committed = True
                if self.names is not None:
                    self.names.lease_removed(lease)

    def _allocate(
        self, ctx: _Ctx, ia: IA, lease_type: int, now: float, commit: bool
    ) -> list[tuple[Subnet6, Lease6]]:
        """Kea's allocateLeases6 for one IA: a reservation (which replaces the IA's other leases), else the
        client's lease, else the hint, else the iterative pick; across the shared network's subnets.
        Commits when `commit`."""
        subnets = self._candidates(ctx)
        hints = self._hints(ia)
        hint = hints[0] if hints else (0, 0, 0, 0)
        lifetimes = (hint[2], hint[3])
        existing = self._existing(ctx, ia, lease_type, subnets)
        reserved = self._reserved(ctx, ia, lease_type, subnets, lifetimes, now, commit)
        if reserved:
            if commit:
                self._drop_unreserved(ctx, reserved, [lease for _, lease in existing])
            return reserved
        for subnet, lease in existing:
            # an expired-reclaimed lease kept for affinity comes back to its client, as in Kea
            if self._still_ours(ctx, subnet, lease, lease_type) and lease.state in _REUSABLE:
                return [(subnet, self._renewed(ctx, subnet, lease, lifetimes, now, commit))]
        if hint[0]:
            for subnet in subnets:
                plen = self.allocator.usable(
                    subnet, lease_type, hint[0], now, ctx.classes, ctx.host, ctx.duid, ctx.taken
                )
                if plen is not None:
                    return [
                        (
                            subnet,
                            self._new(ctx, subnet, ia, lease_type, hint[0], plen, lifetimes, now, commit),
                        )
                    ]
        for subnet in subnets:
            picked = self.allocator.pick(subnet, lease_type, now, ctx.classes, ctx.host, ctx.taken)
            if picked is not None:
                return [
                    (
                        subnet,
                        self._new(ctx, subnet, ia, lease_type, picked[0], picked[1], lifetimes, now, commit),
                    )
                ]
        self._count_failure(ctx, subnets, lease_type)
        return []

    def _count_failure(self, ctx: _Ctx, subnets: list[Subnet6], lease_type: int) -> None:
        inc = self.stats.inc
        inc("v6-allocation-fail")
        subnet = ctx.subnet
        if subnet is None:
            return
        inc("subnet[%d].v6-allocation-fail" % subnet.id)
        if subnet.shared_network:
            kind = "v6-allocation-fail-shared-network"
        elif not self.allocator.ranges(subnet, lease_type):
            kind = "v6-allocation-fail-no-pools"
        else:
            kind = "v6-allocation-fail-subnet"
        inc(kind)
        inc("subnet[%d].%s" % (subnet.id, kind))

    def _new(
        self,
        ctx: _Ctx,
        subnet: Subnet6,
        ia: IA,
        lease_type: int,
        address: int,
        plen: int,
        lifetimes: tuple[int, int],
        now: float,
        commit: bool,
    ) -> Lease6:
        lease = self._make_lease(ctx, subnet, ia, lease_type, address, plen, lifetimes, now)
        ctx.taken.add(address)
        if commit:
            old = self.store.get(address)
            self.store.put(lease)
            ctx.committed = True
            if self.names is not None:
                self.names.lease_granted(old, lease, now)  # queues DNS adds/removes (edge/ddns)
            log.info(
                "DHCP6_LEASE_ALLOC %s: %s %s/%d to IAID %d",
                ctx.duid.hex(":"),
                lease.type_name,
                address_text(address),
                plen,
                ia.iaid,
            )
        return lease

    def _renewed(
        self, ctx: _Ctx, subnet: Subnet6, lease: Lease6, lifetimes: tuple[int, int], now: float, commit: bool
    ) -> Lease6:
        fresh = lease.copy()
        fresh.preferred_lifetime, fresh.valid_lifetime = self._lifetimes(ctx, subnet, *lifetimes)
        fresh.cltt = int(now)
        fresh.subnet_id = subnet.id
        fresh.state = STATE_DEFAULT
        if ctx.fqdn_generate and not ctx.hostname and fresh.lease_type == TYPE_NA:
            ctx.hostname = generated_name6(fresh.address, subnet.params)
        if ctx.hostname:
            fresh.hostname = ctx.hostname
        if ctx.fqdn_decided:
            na = fresh.lease_type == TYPE_NA
            fresh.fqdn_fwd, fresh.fqdn_rev = na and ctx.fqdn_fwd, na and ctx.fqdn_rev
        if ctx.hwaddr:
            fresh.hwaddr, fresh.hwtype, fresh.hwaddr_source = ctx.hwaddr, ctx.hwtype, ctx.hwaddr_source
        ctx.taken.add(lease.address)
        if commit:
            self.store.put(fresh)
            ctx.committed = True
            if self.names is not None:
                self.names.lease_granted(lease, fresh, now)
        return fresh

    # ------------------------------------------------------------------ IAs

    def _ia_answer(
        self, ctx: _Ctx, ia: IA, leased: list[tuple[Subnet6, Lease6]], zero: list[tuple[int, int]]
    ) -> IA:
        """The IA of the reply: each lease with its lifetimes, `zero` (address, length) with 0/0, T1/T2 from
        the shortest preferred lifetime."""
        out = IA(ia.code, ia.iaid)
        pd_exclude = 67 in ctx.request.oro()
        shortest = None
        for subnet, lease in leased:
            if ia.code == OPT_IA_NA:
                out.add(
                    OPT_IAADDR,
                    IAAddress(
                        _b16(lease.address), lease.preferred_lifetime, lease.valid_lifetime
                    ).to_payload(),
                )
            else:
                prefix = IAPrefix(
                    _b16(lease.address), lease.prefix_len, lease.preferred_lifetime, lease.valid_lifetime
                )
                if pd_exclude:
                    r = self.allocator.range_of(subnet, TYPE_PD, lease.address)
                    pool = r.pool if r is not None else None
                    if pool is not None and getattr(pool, "excluded_prefix_len", 0):
                        offset = pool.excluded_prefix & ((1 << (128 - pool.delegated_len)) - 1)  # type: ignore[union-attr]
                        excluded = lease.address | offset
                        prefix.add(
                            67, build_pd_exclude(lease.prefix_len, _b16(excluded), pool.excluded_prefix_len)
                        )  # type: ignore[union-attr]
                out.add(OPT_IAPREFIX, prefix.to_payload())
            if r := self.allocator.range_of(
                subnet, TYPE_NA if ia.code == OPT_IA_NA else TYPE_PD, lease.address
            ):
                ctx.pools.append(r.pool)
            if lease.preferred_lifetime > 0 and (shortest is None or lease.preferred_lifetime < shortest):
                shortest = lease.preferred_lifetime
        for address, plen in zero:
            if ia.code == OPT_IA_NA:
                out.add(OPT_IAADDR, IAAddress(_b16(address), 0, 0).to_payload())
            elif address:
                out.add(OPT_IAPREFIX, IAPrefix(_b16(address), plen, 0, 0).to_payload())
        if leased:
            subnet = leased[0][0]
            out.t1, out.t2 = subnet.params.tee_times(shortest if shortest is not None else 0)
        return out

    def _assign(self, ctx: _Ctx, reply: wire.Packet6, now: float, commit: bool) -> None:
        """SOLICIT / REQUEST: every IA_NA and IA_PD, in the order the client sent them."""
        for ia in ctx.ias:
            lease_type = TYPE_NA if ia.code == OPT_IA_NA else TYPE_PD
            if ctx.subnet is None:
                out = IA(ia.code, ia.iaid)
                if ia.code == OPT_IA_NA:
                    out.options.append(
                        status_option(STATUS_NO_ADDRS_AVAIL, "Server could not select subnet for this client")
                    )
                else:
                    out.options.append(status_option(STATUS_NO_PREFIX_AVAIL, "Sorry, no subnet available."))
                reply.options.append(_ia_option(out))
                continue
            leased = self._allocate(ctx, ia, lease_type, now, commit)
            out = self._ia_answer(ctx, ia, leased, [])
            if not leased:
                if ia.code == OPT_IA_NA:
                    out.options.append(
                        status_option(STATUS_NO_ADDRS_AVAIL, "Sorry, no address could be allocated.")
                    )
                else:
                    out.options.append(
                        status_option(STATUS_NO_PREFIX_AVAIL, "Sorry, no prefixes could be allocated.")
                    )
            reply.options.append(_ia_option(out))

    def _extend(self, ctx: _Ctx, reply: wire.Packet6, now: float) -> None:
        """RENEW / REBIND: extend the client's leases, allocate for an IA it has none in (RFC 7550),
        hints it may not keep come back with lifetimes 0."""
        for ia in ctx.ias:
            lease_type = TYPE_NA if ia.code == OPT_IA_NA else TYPE_PD
            if ctx.subnet is None:
                out = IA(ia.code, ia.iaid)
                if ia.code == OPT_IA_NA:
                    out.options.append(
                        status_option(STATUS_NO_BINDING, "Sorry, no known leases for this duid/iaid.")
                    )
                elif ctx.request.msg_type == wire.RENEW:
                    out.options.append(
                        status_option(STATUS_NO_BINDING, "Sorry, no known PD leases for this duid/iaid.")
                    )
                else:
                    raise _Discard("no subnet for a REBIND of IA_PD %d" % ia.iaid)
                reply.options.append(_ia_option(out))
                continue
            subnets = self._candidates(ctx)
            hints = self._hints(ia)
            lifetimes = (hints[0][2], hints[0][3]) if hints else (0, 0)
            existing = self._existing(ctx, ia, lease_type, subnets)
            leased = self._reserved(ctx, ia, lease_type, subnets, lifetimes, now, True)
            retired: list[tuple[int, int]] = []
            if leased:
                self._drop_unreserved(ctx, leased, [lease for _, lease in existing])
                held = {lease.address for _, lease in leased}
                retired = [
                    (lease.address, lease.prefix_len) for _, lease in existing if lease.address not in held
                ]
            else:
                for subnet, lease in existing:
                    if lease.state in _REUSABLE and self._still_ours(ctx, subnet, lease, lease_type):
                        leased.append((subnet, self._renewed(ctx, subnet, lease, lifetimes, now, True)))
                    else:
                        retired.append((lease.address, lease.prefix_len))
            if not leased:
                leased = self._allocate(ctx, ia, lease_type, now, True)
            kept = {lease.address for _, lease in leased}
            zero = [r for r in retired if r[0] not in kept]
            zero += [(h[0], h[1]) for h in hints if h[0] not in kept and (h[0], h[1]) not in zero]
            out = self._ia_answer(ctx, ia, leased, zero)
            if not leased:
                if ia.code == OPT_IA_NA:
                    out.options.append(
                        status_option(
                            STATUS_NO_ADDRS_AVAIL, "Sorry, no addresses could be assigned at this time."
                        )
                    )
                else:
                    out.options.append(
                        status_option(
                            STATUS_NO_PREFIX_AVAIL, "Sorry, no prefixes could be assigned at this time."
                        )
                    )
            reply.options.append(_ia_option(out))

    # ------------------------------------------------------------------ message types

    def _start(self, ctx: _Ctx, msg_type: int) -> wire.Packet6:
        reply = wire.make_reply(ctx.request, msg_type)
        reply.options.append((wire.OPT_SERVERID, self.server_id))
        return reply

    def _solicit(self, ctx: _Ctx, now: float) -> wire.Packet6:
        rapid = ctx.subnet is not None and ctx.subnet.params.rapid_commit and ctx.request.rapid_commit
        reply = self._start(ctx, wire.REPLY if rapid else wire.ADVERTISE)
        if rapid:
            reply.options.append((wire.OPT_RAPID_COMMIT, b""))
        self._assign(ctx, reply, now, commit=bool(rapid))
        return reply

    def _request(self, ctx: _Ctx, now: float) -> wire.Packet6:
        reply = self._start(ctx, wire.REPLY)
        self._assign(ctx, reply, now, commit=True)
        return reply

    def _renew(self, ctx: _Ctx, now: float) -> wire.Packet6:
        reply = self._start(ctx, wire.REPLY)
        self._extend(ctx, reply, now)
        return reply

    def _confirm(self, ctx: _Ctx, now: float) -> wire.Packet6 | None:
        addresses = [_u128(a.address) for ia in ctx.ias if ia.code == OPT_IA_NA for a in ia.addresses()]
        if not addresses:
            return None  # Kea: a CONFIRM without addresses is discarded (and not counted as a drop)
        reply = self._start(ctx, wire.REPLY)
        subnet = ctx.subnet
        if subnet is None:
            reply.options.append(status_option(STATUS_NOT_ON_LINK, "No subnet selected"))
            return reply
        for address in addresses:
            if address not in subnet:
                reply.options.append(
                    status_option(STATUS_NOT_ON_LINK, "Address %s is not on link." % address_text(address))
                )
                return reply
        reply.options.append(status_option(STATUS_SUCCESS, "All addresses are on-link"))
        return reply

    def _release(self, ctx: _Ctx, now: float) -> wire.Packet6:
        reply = self._start(ctx, wire.REPLY)
        general = STATUS_SUCCESS
        for ia in ctx.ias:
            out = IA(ia.code, ia.iaid)
            is_na = ia.code == OPT_IA_NA
            items = ia.addresses() if is_na else ia.prefixes()
            status = STATUS_SUCCESS
            if not items:
                status, text = (
                    STATUS_NO_BINDING,
                    (
                        "You did not include an address in your RELEASE"
                        if is_na
                        else "You did not include a prefix in your RELEASE"
                    ),
                )
            else:
                address = _u128(items[0].address if is_na else items[0].prefix)  # type: ignore[union-attr]
                lease = self.store.get6(TYPE_NA if is_na else TYPE_PD, address)
                if lease is None:
                    status, text = (
                        STATUS_NO_BINDING,
                        "Sorry, no known leases for this duid/iaid, can't release.",
                    )
                elif lease.duid != ctx.duid:
                    status, text = (
                        STATUS_NO_BINDING,
                        "This address does not belong to you, you can't release it",
                    )
                elif lease.iaid != ia.iaid:
                    status, text = STATUS_NO_BINDING, "This is your address, but you used wrong IAID"
                else:
                    self.store.delete(address)
                    ctx.committed = True
                    if self.names is not None:
                        self.names.lease_removed(lease, now)
                    text = "Lease released. Thank you, please come again."
                    log.info(
                        "DHCP6_RELEASE %s: %s %s/%d of IAID %d released",
                        ctx.duid.hex(":"),
                        lease.type_name,
                        address_text(address),
                        lease.prefix_len,
                        ia.iaid,
                    )
            if status != STATUS_SUCCESS:
                general = status
            out.options.append(status_option(status, text))
            reply.options.append(_ia_option(out))
        reply.options.append(status_option(general, "Summary status for all processed IA_NAs"))
        return reply

    def _decline(self, ctx: _Ctx, now: float) -> wire.Packet6:
        reply = self._start(ctx, wire.REPLY)
        probation = self._d.config.decline_probation_period
        for ia in ctx.ias:
            if ia.code != OPT_IA_NA:
                continue
            out = IA(ia.code, ia.iaid)
            status: tuple[int, str] | None = None
            addresses = ia.addresses()
            for item in addresses:
                address = _u128(item.address)
                lease = self.store.get6(TYPE_NA, address)
                if lease is None:
                    status = (STATUS_NO_BINDING, "Server does not know about such an address.")
                    continue
                if lease.duid != ctx.duid:
                    status = (STATUS_NO_BINDING, "This address does not belong to you, you can't decline it")
                    continue
                if lease.iaid != ia.iaid:
                    status = (STATUS_NO_BINDING, "This is your address, but you used wrong IAID")
                    continue
                declined = lease.copy()
                declined.duid, declined.hwaddr = EMPTY_DUID, b""
                declined.preferred_lifetime, declined.valid_lifetime = 0, probation
                declined.cltt = int(now)
                declined.hostname, declined.fqdn_fwd, declined.fqdn_rev = "", False, False
                declined.state = STATE_DECLINED
                self.store.put(declined)
                ctx.committed = True
                if self.names is not None:
                    self.names.lease_removed(lease, now)
                log.info(
                    "DHCP6_DECLINE_LEASE %s: %s declined for %d seconds",
                    ctx.duid.hex(":"),
                    address_text(address),
                    probation,
                )
                status = (STATUS_SUCCESS, "Lease declined. Hopefully the next one will be better.")
            if not addresses:
                status = (STATUS_NO_BINDING, "No addresses sent in IA_NA")
            if status is not None:
                out.options.append(status_option(*status))
            reply.options.append(_ia_option(out))
        return reply

    def _information_request(self, ctx: _Ctx, now: float) -> wire.Packet6:
        return self._start(ctx, wire.REPLY)

    # ------------------------------------------------------------------ options and addressing

    def _option_chain(self, ctx: _Ctx) -> list[dict[int, tuple[bytes, bool]]]:
        s = self._d.scopes
        chain: list[dict[int, tuple[bytes, bool]]] = []
        if ctx.host is not None and ctx.host.option_data:
            chain.append(_scope(ctx.host.option_data))
        for pool in ctx.pools:
            options = getattr(pool, "option_data", ())
            if options:
                chain.append(_scope(options))
        if ctx.subnet is not None:
            chain.append(s.subnets.get(ctx.subnet.id, {}))
            chain.append(s.networks.get(ctx.subnet.id, {}))
        for name in ctx.classes:
            scope = s.classes.get(name)
            if scope:
                chain.append(scope)
        chain.append(s.global_scope)
        return [scope for scope in chain if scope]

    def _finish(self, ctx: _Ctx, reply: wire.Packet6) -> Outbound6:
        request = ctx.request
        if ctx.fqdn_generate and ctx.hostname:  # the name made from the first IA_NA address
            ctx.fqdn_reply = build_client_fqdn(ctx.fqdn_flags, ctx.hostname.rstrip("."), True)
        if ctx.fqdn_reply is not None:
            reply.options.append((39, ctx.fqdn_reply))
        # Kea 2.2 answers RELEASE and DECLINE with the server-id alone (processRelease/processDecline never
        # append requested options; found by tests/lab/test_parity6.py)
        chain = self._option_chain(ctx) if request.msg_type not in (wire.RELEASE, wire.DECLINE) else []
        if chain:
            wanted = list(request.oro())
            for scope in chain:
                wanted.extend(code for code, (_, always) in scope.items() if always)
            present = {code for code, _ in reply.options}
            for code in wanted:
                if code in present or code in _NOT_FROM_SCOPES:
                    continue
                for scope in chain:
                    found = scope.get(code)
                    if found is not None:
                        reply.options.append((code, found[0]))
                        present.add(code)
                        break
        reply.options = _sorted_options(reply.options)
        payload = wire.encode6(reply)
        inbound = ctx.inbound
        if request.relays:
            port = SERVER_PORT
            source_port = request.relays[0].get(wire.OPT_RELAY_SOURCE_PORT)
            if source_port is not None and inbound.src_port:
                port = inbound.src_port
        else:
            port = CLIENT_PORT
        out = Outbound6(inbound.ifname, payload, inbound.src_ip, port, None, reply.msg_type, reply)
        if ctx.committed:
            out.wait_seq = self.store.last_seq
        return out


_HANDLERS = {
    wire.SOLICIT: Engine6._solicit,
    wire.REQUEST: Engine6._request,
    wire.RENEW: Engine6._renew,
    wire.REBIND: Engine6._renew,
    wire.CONFIRM: Engine6._confirm,
    wire.RELEASE: Engine6._release,
    wire.DECLINE: Engine6._decline,
    wire.INFORMATION_REQUEST: Engine6._information_request,
}
