"""The allocation engine: which address does a client get? Kea 2.2's AllocEngine, decision for decision.

Rules this module keeps:
- A client is known by its hardware address and, where `match-client-id` is on, its client identifier; a
  lease belongs to a client when both client identifiers are present and equal, or when either is missing
  and the hardware addresses are equal (Kea's Lease4::belongsToClient).
- DISCOVER (nothing is written): (1) the client's reserved address, if free (else the conflict is counted,
  `v4-reservation-conflicts`); (2) its existing lease in the subnet or shared network, if still in an
  allowed pool and not reserved for someone else; (3) the address it asks for (option 50), same
  conditions; (4) the next free pool address.
- REQUEST: the requested address (option 50 or ciaddr) must not be reserved for another client, not leased
  to another client, and in an allowed pool unless it is the client's reservation; the client's lease is
  renewed, or the requested address taken; a client that moved to a new address loses its old lease.
- Shared networks: the subnets the client's classes allow are tried starting with the selected one, then
  the others in id order (wrapping); a client keeps its lease (and reservation) in any subnet of the
  network. Dynamic allocation starts in the network's subnet that allocated most recently (Kea's
  "preferred subnet"), so an exhausted first subnet is not walked again for every client.
- Dynamic allocation checks a candidate's lease first and its reservation only then (Kea 1.6.3, #1124):
  reservation lookups are the expensive ones. `reservations-lookup-first: true` reverses the order, as in
  Kea. Free addresses come from per-pool free sets (pools.py) in Kea's iterative order.
- Failures are counted as Kea counts them: v4-allocation-fail-shared-network or -subnet, then -no-pools
  when no pool was usable (classes) or v4-allocation-fail otherwise, and -classes; each also per subnet.
- An OFFERed address is set aside for its client for OFFER_HOLD seconds. Kea keeps nothing between
  DISCOVER and REQUEST and relies on its allocator having moved on; the hold gives the same answers (the
  free set has moved on too) and also keeps the address from another client that asks for it by option
  50 before the first one REQUESTs it.
- Nothing here touches the clock or writes the store: `now` is passed in; the engine writes leases.

Theory of operation: the engine builds an `Exchange` per packet (Kea's ClientContext4): the client, its
classes, the current subnet (which the allocator may move within the shared network, as Kea does), the
host reservations found, and the requested address. `discover` and `request` return the chosen address (or
None) and leave in the exchange the subnet it belongs to, the client's previous lease and any conflict.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Sequence

from edge.dhcp4.lease import STATE_DECLINED, STATE_DEFAULT, Lease
from edge.dhcp4.lease_store import LeaseStore4
from edge.dhcp4.model import Config4, Pool4, Reservation4, Subnet4
from edge.dhcp4.pools import PoolState, SubnetPools
from edge.dhcp4.select import SubnetSelector
from edge.policy.hosts import GLOBAL, HostManager, Identifier
from edge.stats import Statistics
from edge.wire.addr import int_to_ip

log = logging.getLogger("edge.dhcp4")

OFFER_HOLD = 30  # seconds an OFFERed address stays set aside for the client it was offered to
OFFERS_SWEEP = 4096  # offers held before the expired ones are swept out (then: twice what is left)
NEVER = float("inf")

ClientKey = tuple[str, bytes]


class ClientIdentity:
    """What the engine knows about who is asking, and the identifiers reservations are looked up by."""

    __slots__ = ("hwaddr", "client_id", "circuit_id", "duid", "flex_id")

    def __init__(
        self,
        hwaddr: bytes,
        client_id: bytes | None = None,
        circuit_id: bytes | None = None,
        flex_id: bytes | None = None,
    ) -> None:
        self.hwaddr = hwaddr
        self.client_id = client_id or None
        self.circuit_id = circuit_id or None
        self.flex_id = flex_id or None
        # A client identifier of type 255 carries an RFC 4361 IAID (4 bytes) and a DUID.
        self.duid = client_id[5:] if client_id and len(client_id) > 5 and client_id[0] == 255 else None

    def key(self, match_client_id: bool) -> ClientKey:
        if match_client_id and self.client_id:
            return ("client-id", self.client_id)
        return ("hw-address", self.hwaddr)

    def owns(self, lease: Lease, match_client_id: bool) -> bool:
        """Kea's Lease4::belongsToClient, with the client-id only counted when the subnet matches on it."""
        client_id = self.client_id if match_client_id else None
        if client_id and lease.client_id:
            return lease.client_id == client_id
        return bool(self.hwaddr) and lease.hwaddr == self.hwaddr

    def identifier(self, kind: str) -> bytes | None:
        if kind == "hw-address":
            return self.hwaddr or None
        if kind == "client-id":
            return self.client_id
        if kind == "circuit-id":
            return self.circuit_id
        if kind == "duid":
            return self.duid
        if kind == "flex-id":
            return self.flex_id
        return None

    def identifiers(self, order: Sequence[str]) -> list[Identifier]:
        """(type, value) pairs in the configured order, skipping the ones this client does not have."""
        out: list[Identifier] = []
        for kind in order:
            value = self.identifier(kind)
            if value:
                out.append((kind, value))
        return out


class Exchange:
    """One client transaction as the allocator sees it (Kea's ClientContext4)."""

    __slots__ = (
        "client",
        "identifiers",
        "classes",
        "subnet",
        "hosts",
        "requested",
        "old_lease",
        "conflict",
        "unknown_requested",
        "renewed",
        "host_subnet",
        "host",
    )

    def __init__(
        self, client: ClientIdentity, identifiers: list[Identifier], classes: Container[str], subnet: Subnet4
    ) -> None:
        self.client = client
        self.identifiers = identifiers
        self.classes = classes
        self.subnet = subnet
        self.hosts: dict[int, Reservation4] = {}  # subnet id (GLOBAL for global) -> reservation found
        self.requested = 0
        self.old_lease: Lease | None = None  # the client's lease the allocation replaces (REQUEST)
        self.conflict: Lease | None = None  # a lease of someone else on the address wanted
        self.unknown_requested = False  # REQUEST for an address outside every allowed pool
        self.renewed: Lease | None = None  # the client's own lease, when the answer is that lease
        # Allocator.current_host's answer and the subnet it was for: asked several times per reply, it
        # changes only when the exchange moves to another subnet or its reservations are looked up again.
        self.host_subnet: Subnet4 | None = None
        self.host: Reservation4 | None = None


def _expired(lease: Lease, now: float) -> bool:
    return lease.expire < now


def _first_in_ring(
    ring: Sequence[Subnet4], leases: list[Lease], accept: Callable[[Subnet4, Lease], bool]
) -> tuple[Subnet4, Lease] | None:
    """The first (subnet, lease) in the ring's order whose lease is in that subnet and accepted."""
    if leases:
        for subnet in ring:
            for lease in leases:
                if lease.subnet_id == subnet.id and accept(subnet, lease):
                    return subnet, lease
    return None


class Allocator:
    def __init__(
        self,
        config: Config4,
        store: LeaseStore4,
        hosts: HostManager,
        selector: SubnetSelector,
        stats: Statistics | None = None,
        offers: dict[int, tuple[ClientKey, float]] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.hosts = hosts
        self.selector = selector
        self.stats = stats or Statistics()
        self.reservation_first = config.reservations_lookup_first
        self._pools: dict[int, SubnetPools] = {}
        # subnet id -> ((pool indexes, their size),) when no pool of the subnet has a class guard, else ()
        self._open_pools: dict[int, tuple[tuple[Sequence[int], int], ...]] = {}
        self._offers: dict[int, tuple[ClientKey, float]] = dict(offers or {})
        self._offers_sweep_at = max(OFFERS_SWEEP, 2 * len(self._offers))  # size that triggers a sweep
        self._last_used: dict[int, int] = {}  # subnet id -> allocation sequence number (preferred subnet)
        self._sequence = 0
        self._seed()

    def _seed(self) -> None:
        """Learn which pool addresses the store holds, once per configuration (O(leases)), so that every
        allocation afterwards finds a free address without walking past used ones. A lease that has
        expired meanwhile is marked until its expiry, which has passed: the first pick frees it."""
        for lease in self.store.all():
            if lease.state not in (STATE_DEFAULT, STATE_DECLINED) or lease.valid_lifetime == 0:
                continue
            subnet = self.selector.by_id(lease.subnet_id)
            if subnet is None:
                continue
            state = self.pool_state(subnet, lease.address)
            if state is not None:
                state.mark_used(lease.address, float(lease.expire))
        for address, (_, until) in self._offers.items():
            subnet = self.selector.containing(address)
            if subnet is not None:
                state = self.pool_state(subnet, address)
                if state is not None:
                    state.mark_used(address, until)

    @property
    def offers(self) -> dict[int, tuple[ClientKey, float]]:
        return self._offers

    # ------------------------------------------------------------------ reservations (Kea findReservation)
    def find_reservations(
        self, ex: Exchange, early_global: Reservation4 | None = None, early: bool = False
    ) -> None:
        ex.hosts = {}
        ex.host_subnet = None
        subnet = ex.subnet
        params = subnet.params
        if early:
            if early_global is not None:
                ex.hosts[GLOBAL] = early_global
            if not params.reservations_in_subnet:
                return
        elif params.reservations_global:
            found = self.hosts.find(GLOBAL, ex.identifiers)
            if found is not None:
                ex.hosts[GLOBAL] = found
                if not params.reservations_in_subnet:
                    return
        for candidate in self.selector.ring(subnet, ex.classes):
            if candidate.params.reservations_in_subnet and self.selector.allows(candidate, ex.classes):
                found = self.hosts.find(candidate.id, ex.identifiers)
                if found is not None:
                    ex.hosts[candidate.id] = found

    @staticmethod
    def global_host(ex: Exchange) -> Reservation4 | None:
        return ex.hosts.get(GLOBAL) if ex.subnet.params.reservations_global else None

    def current_host(self, ex: Exchange) -> Reservation4 | None:
        """The reservation in force for the exchange's current subnet: the subnet's own, else the global one."""
        subnet = ex.subnet
        if ex.host_subnet is subnet:
            return ex.host
        found = ex.hosts.get(subnet.id) if subnet.params.reservations_in_subnet else None
        if found is None:
            found = self.global_host(ex)
        ex.host_subnet, ex.host = subnet, found
        return found

    def has_address_reservation(self, ex: Exchange) -> bool:
        """Does the client have a usable address reservation in the current subnet or (moving there) in
        another subnet of its shared network?"""
        if not ex.hosts:
            return False
        global_host = ex.hosts.get(GLOBAL)
        global_address = global_host.ip_address if global_host is not None else None
        for subnet in self.selector.ring(ex.subnet, ex.classes):
            params = subnet.params
            if params.reservations_global and global_address and global_address in subnet:
                ex.subnet = subnet
                return True
            if params.reservations_in_subnet:
                host = ex.hosts.get(subnet.id)
                if host is not None and host.ip_address:
                    if not params.reservations_out_of_pool or not self.in_pool(subnet, host.ip_address):
                        ex.subnet = subnet
                        return True
        return False

    def address_reserved(self, ex: Exchange, address: int, subnet: Subnet4 | None = None) -> bool:
        """Is `address` reserved (in the current subnet) for another client? Kea's addressReserved."""
        subnet = subnet or ex.subnet
        params = subnet.params
        if not params.reservations_in_subnet:
            return False
        if params.reservations_out_of_pool and self.in_pool(subnet, address):
            return False
        hosts = self.hosts.by_address(subnet.id, address)
        if not hosts:
            return False
        mine = set(ex.identifiers)
        for host in hosts:
            if any(pair in mine for pair in host.identifiers()):
                return False
        return True

    # ------------------------------------------------------------------ pools
    @staticmethod
    def in_pool(subnet: Subnet4, address: int, classes: Container[str] | None = None) -> Pool4 | None:
        for pool in subnet.pools:
            if pool.first <= address <= pool.last:
                if (
                    classes is None
                    or not pool.client_classes
                    or any(c in classes for c in pool.client_classes)
                ):
                    return pool
                return None
        return None

    def in_allowed_pool(self, ex: Exchange, address: int) -> bool:
        """Is `address` in a pool the client may use, in the current subnet or another of its network?
        Moves the exchange to that subnet, as Kea does."""
        for subnet in self.selector.ring(ex.subnet, ex.classes):
            if self.in_pool(subnet, address, ex.classes) is not None:
                ex.subnet = subnet
                return True
        return False

    def _pools_of(self, subnet: Subnet4) -> SubnetPools:
        found = self._pools.get(subnet.id)
        if found is None:
            # The network and broadcast addresses of the subnet are never handed out.
            exclude = (subnet.network, subnet.broadcast) if subnet.prefix_len < 31 else ()
            found = SubnetPools([PoolState(pool, exclude) for pool in subnet.pools])
            self._pools[subnet.id] = found
        return found

    def pool_state(self, subnet: Subnet4, address: int) -> PoolState | None:
        for state in self._pools_of(subnet).states:
            if state.first <= address <= state.last:
                return state
        return None

    def note_busy(self, subnet_id: int, address: int, until: float) -> None:
        """The engine committed or reserved `address` until `until`: keep it out of the free set."""
        subnet = self.selector.by_id(subnet_id)
        if subnet is not None:
            state = self.pool_state(subnet, address)
            if state is not None:
                state.mark_used(address, until)

    def note_free(self, subnet_id: int, address: int) -> None:
        """`address` was released (or its decline ended): it may be handed out again."""
        subnet = self.selector.by_id(subnet_id)
        if subnet is not None:
            state = self.pool_state(subnet, address)
            if state is not None:
                state.mark_free(address)

    # ------------------------------------------------------------------ leases
    def find_client_lease(self, ex: Exchange) -> Lease | None:
        """The client's lease in the current subnet or its shared network (Kea findClientLease): by
        client-id in the subnets that match on it, then by hardware address where the client owns it.
        Moves the exchange to the lease's subnet."""
        ring = self.selector.ring(ex.subnet, ex.classes)
        client = ex.client
        found = None
        if client.client_id and any(s.params.match_client_id for s in ring):
            found = _first_in_ring(
                ring, self.store.find_by_client_id(client.client_id), lambda s, _: s.params.match_client_id
            )
        if found is None and client.hwaddr:
            found = _first_in_ring(
                ring,
                self.store.find_by_hwaddr(client.hwaddr),
                lambda s, lease: client.owns(lease, s.params.match_client_id),
            )
        if found is None:
            return None
        ex.subnet, lease = found
        return lease

    def lease_in_network(
        self, subnet: Subnet4, classes: Container[str], client: ClientIdentity
    ) -> Lease | None:
        """The client's lease anywhere in `subnet` or its shared network, by client-id and then by hardware
        address, whatever the subnets' match-client-id (Kea's INIT-REBOOT lookup; the caller judges
        whether the lease is the client's)."""
        ring = self.selector.ring(subnet, classes)
        for leases in (
            self.store.find_by_client_id(client.client_id) if client.client_id else [],
            self.store.find_by_hwaddr(client.hwaddr) if client.hwaddr else [],
        ):
            found = _first_in_ring(ring, leases, lambda s, lease: True)
            if found is not None:
                return found[1]
        return None

    def _held_for_other(self, ex: Exchange, address: int, now: float) -> float | None:
        """Until when `address` is set aside for another client's OFFER, or None."""
        offer = self._offers.get(address)
        if offer is None:
            return None
        key, until = offer
        if until <= now:
            self._offers.pop(address, None)
            return None
        if key == ex.client.key(ex.subnet.params.match_client_id):
            return None
        return until

    def allocate_or_reuse(self, ex: Exchange, address: int, now: float) -> bool:
        """May `address` be given to the client now? (no lease, or an expired one). Records a conflict."""
        ex.conflict = None
        lease = self.store.get(address)
        if lease is not None and not _expired(lease, now):
            ex.conflict = lease
            return False
        return self._held_for_other(ex, address, now) is None

    def _recheck(self, address: int, now: float) -> float | None:
        lease = self.store.get(address)
        if lease is not None and not _expired(lease, now):
            return float(lease.expire)
        offer = self._offers.get(address)
        if offer is not None and offer[1] > now:
            return offer[1]
        return None

    def allocate_unreserved(self, ex: Exchange, now: float) -> int | None:
        """The next free pool address for the client (Kea allocateUnreservedLease4), with failure stats."""
        subnet = ex.subnet
        network = self.selector.network_of(subnet)
        if network is not None:
            subnet = self._preferred(subnet)
            ex.subnet = subnet
        attempts = 0
        classes = ex.classes
        tried: Subnet4 = subnet
        for candidate in self.selector.ring(subnet, classes):
            if not self.selector.allows(candidate, classes):
                continue
            tried = candidate
            ex.subnet = candidate
            open_pools = self._open_pools.get(candidate.id)
            if open_pools is None:
                # Pools without a class guard are open to every client: worked out once per subnet.
                if any(pool.client_classes for pool in candidate.pools):
                    open_pools = self._open_pools[candidate.id] = ()
                else:
                    indexes = tuple(range(len(candidate.pools)))
                    open_pools = self._open_pools[candidate.id] = (
                        (indexes, sum(pool.size for pool in candidate.pools)),
                    )
            if open_pools:
                allowed, size = open_pools[0]
            else:
                allowed = [
                    i
                    for i, pool in enumerate(candidate.pools)
                    if not pool.client_classes or any(c in classes for c in pool.client_classes)
                ]
                size = sum(candidate.pools[i].size for i in allowed)
            attempts += size
            address = self._pools_of(candidate).pick(
                allowed, now, self._recheck, lambda state, a, s=candidate: self._accept(ex, s, state, a, now)
            )
            if address is not None:
                self._sequence += 1
                self._last_used[candidate.id] = self._sequence
                return address
        self._count_failure(tried, network is not None, attempts, classes)
        return None

    def _accept(self, ex: Exchange, subnet: Subnet4, state: PoolState, address: int, now: float) -> bool:
        if self.reservation_first and self.address_reserved(ex, address, subnet):
            state.mark_used(address, NEVER)
            return False
        lease = self.store.get(address)
        if lease is not None and not _expired(lease, now):
            state.mark_used(address, float(lease.expire))
            return False
        held = self._held_for_other(ex, address, now)
        if held is not None:
            state.mark_used(address, held)
            return False
        if not self.reservation_first and self.address_reserved(ex, address, subnet):
            state.mark_used(address, NEVER)
            return False
        return True

    def _preferred(self, subnet: Subnet4) -> Subnet4:
        """Kea's SharedNetwork4::getPreferredSubnet: the member with the same guard that allocated last."""
        best = subnet
        best_seq = self._last_used.get(subnet.id, 0)
        for member in self.selector.members(subnet):
            if member.id == subnet.id or member.client_classes != subnet.client_classes:
                continue
            seq = self._last_used.get(member.id, 0)
            if seq > best_seq:
                best, best_seq = member, seq
        return best

    def _count_failure(
        self, subnet: Subnet4, in_network: bool, attempts: int, classes: Container[str]
    ) -> None:
        stats = self.stats
        sid = subnet.id
        kind = "v4-allocation-fail-shared-network" if in_network else "v4-allocation-fail-subnet"
        stats.inc(kind)
        stats.inc("subnet[%d].%s" % (sid, kind))
        kind = "v4-allocation-fail-no-pools" if attempts == 0 else "v4-allocation-fail"
        stats.inc(kind)
        stats.inc("subnet[%d].%s" % (sid, kind))
        stats.inc("v4-allocation-fail-classes")  # Kea counts this whenever the packet has classes: always
        stats.inc("subnet[%d].v4-allocation-fail-classes" % sid)
        log.warning(
            "ALLOC_ENGINE_V4_ALLOC_FAIL%s no address for the client in %s (%d addresses tried)",
            "_SHARED_NETWORK" if in_network else "_SUBNET",
            subnet.text,
            attempts,
        )

    # ------------------------------------------------------------------ the decisions
    def discover(self, ex: Exchange, now: float) -> int | None:
        client_lease = self.find_client_lease(ex)
        chosen: int | None = None
        if self.has_address_reservation(ex):
            host = self.current_host(ex)
            reserved = host.ip_address if host is not None else None
            if reserved:
                if client_lease is None or client_lease.address != reserved:
                    if self.allocate_or_reuse(ex, reserved, now):
                        chosen = reserved
                    elif ex.conflict is not None:
                        self.stats.inc("subnet[%d].v4-reservation-conflicts" % ex.conflict.subnet_id)
                        self.stats.inc("v4-reservation-conflicts")
                        log.warning(
                            "ALLOC_ENGINE_V4_DISCOVER_ADDRESS_CONFLICT reserved address %s is in use "
                            "by another client",
                            int_to_ip(reserved),
                        )
                else:
                    chosen = reserved
                    ex.renewed = client_lease
        if chosen is None and client_lease is not None:
            if self.in_allowed_pool(ex, client_lease.address) and not self.address_reserved(
                ex, client_lease.address
            ):
                chosen = client_lease.address  # the client's own lease: no offer hold stands in its way
                ex.renewed = client_lease
        if chosen is None and ex.requested:
            if self.in_allowed_pool(ex, ex.requested) and not self.address_reserved(ex, ex.requested):
                if self.allocate_or_reuse(ex, ex.requested, now):
                    chosen = ex.requested
        if chosen is None:
            chosen = self.allocate_unreserved(ex, now)
        return chosen

    def request(self, ex: Exchange, now: float) -> int | None:
        client_lease = self.find_client_lease(ex)
        requested = ex.requested
        if requested:
            if self.address_reserved(ex, requested):
                log.debug(
                    "ALLOC_ENGINE_V4_REQUEST_ADDRESS_RESERVED %s is reserved for another client",
                    int_to_ip(requested),
                )
                return None
        elif self.has_address_reservation(ex):
            host = self.current_host(ex)
            requested = (host.ip_address or 0) if host is not None else 0
        if requested:
            existing = self.store.get(requested)
            if (
                existing is not None
                and not _expired(existing, now)
                and not ex.client.owns(existing, ex.subnet.params.match_client_id)
            ):
                log.debug(
                    "ALLOC_ENGINE_V4_REQUEST_IN_USE %s is leased to another client", int_to_ip(requested)
                )
                return None
            reserved = self.has_address_reservation(ex)
            host = self.current_host(ex) if reserved else None
            reserved_address = host.ip_address if host is not None else None
            if reserved and reserved_address != requested:
                existing = self.store.get(reserved_address or 0)
                if existing is None or _expired(existing, now):
                    # The reserved address is free: the client should come back for it (DISCOVER).
                    return None
            if (not reserved or reserved_address != requested) and not self.in_allowed_pool(ex, requested):
                ex.unknown_requested = True
                return None
        if client_lease is not None:
            reserved = self.has_address_reservation(ex)
            host = self.current_host(ex) if reserved else None
            if (client_lease.address == requested or not requested) and (
                (reserved and host is not None and host.ip_address == requested)
                or self.in_allowed_pool(ex, client_lease.address)
            ):
                ex.renewed = client_lease
                return client_lease.address
        if requested:
            chosen = requested if self.allocate_or_reuse(ex, requested, now) else None
        else:
            chosen = self.allocate_unreserved(ex, now)
        if chosen is not None and client_lease is not None:
            ex.old_lease = client_lease
        return chosen

    # ------------------------------------------------------------------ offers
    def hold_offer(
        self, address: int, client: ClientIdentity, match_client_id: bool, subnet_id: int, now: float
    ) -> None:
        until = now + OFFER_HOLD
        self._offers[address] = (client.key(match_client_id), until)
        self.note_busy(subnet_id, address, until)
        if len(self._offers) > self._offers_sweep_at:
            self._offers = {a: o for a, o in self._offers.items() if o[1] > now}
            # Under a flood of DISCOVERs that are never followed by a REQUEST the live offers alone can
            # exceed the threshold: the next sweep waits until the table has doubled, so sweeping stays
            # amortised O(1) per offer instead of O(offers) per DISCOVER.
            self._offers_sweep_at = max(OFFERS_SWEEP, 2 * len(self._offers))

    def drop_offer(self, address: int, now: float | None = None) -> None:
        """Forget the hold on `address`; with `now`, give it back to the free set unless it is leased."""
        if self._offers.pop(address, None) is None or now is None:
            return
        if self._recheck(address, now) is None:
            subnet = self.selector.containing(address)
            if subnet is not None:
                self.note_free(subnet.id, address)


__all__ = [
    "OFFER_HOLD",
    "Allocator",
    "ClientIdentity",
    "Exchange",
    "STATE_DECLINED",
    "STATE_DEFAULT",
]
