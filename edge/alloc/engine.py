"""The allocation engine (first cut): which address does a client get?

Rules:
- A client is known by its identity key: ("client-id", bytes) when it sent option 61 and the subnet has
  `match-client-id: true`, else ("hw-address", mac).
- Order of preference, as Kea: an address reserved for the client; the client's current (or most recent)
  lease in the candidate subnets; the address it asked for (option 50) when that is free, in a pool, and
  not reserved for someone else; then the next free pool address.
- Free means: no active lease held by another client, not reserved for another client (when
  `reservations-in-subnet` is on), not offered to another client in the last OFFER_HOLD seconds, and not
  declined and still in probation.
- Dynamic allocation walks each pool from a cursor, like Kea's iterative allocator, so a fresh server hands
  out addresses in order. (Constant-time free sets are the allocation issue's work.)
- Nothing here touches the clock or the lease store's disk: `now` is passed in; the store is read only.
"""

from __future__ import annotations

from collections.abc import Iterable

from edge.config.model import Config, Pool, Reservation, Subnet
from edge.leases.lease import STATE_DEFAULT, Lease
from edge.leases.store import LeaseStore

OFFER_HOLD = 30  # seconds an OFFERed address stays set aside for the client it was offered to

ClientKey = tuple[str, bytes]


class ClientIdentity:
    """What the engine knows about who is asking."""

    __slots__ = ("hwaddr", "client_id", "circuit_id", "duid")

    def __init__(
        self,
        hwaddr: bytes,
        client_id: bytes | None = None,
        circuit_id: bytes | None = None,
    ) -> None:
        self.hwaddr = hwaddr
        self.client_id = client_id
        self.circuit_id = circuit_id
        # A client-id of type 255 carries an RFC 4361 IAID + DUID.
        self.duid = client_id[5:] if client_id and len(client_id) > 5 and client_id[0] == 255 else None

    def key(self, match_client_id: bool) -> ClientKey:
        if match_client_id and self.client_id:
            return ("client-id", self.client_id)
        return ("hw-address", self.hwaddr)

    def owns(self, lease: Lease, match_client_id: bool) -> bool:
        if match_client_id and self.client_id and lease.client_id:
            return lease.client_id == self.client_id
        return lease.hwaddr == self.hwaddr and bool(self.hwaddr)

    def identifier(self, kind: str) -> bytes | None:
        if kind == "hw-address":
            return self.hwaddr or None
        if kind == "client-id":
            return self.client_id
        if kind == "circuit-id":
            return self.circuit_id
        if kind == "duid":
            return self.duid
        return None


class ReservationIndex:
    """Reservations of one scope by identifier and by address."""

    def __init__(self, reservations: Iterable[Reservation]) -> None:
        self.by_identifier: dict[tuple[str, bytes], Reservation] = {}
        self.by_address: dict[int, Reservation] = {}
        for reservation in reservations:
            for pair in reservation.identifiers():
                self.by_identifier.setdefault(pair, reservation)
            if reservation.ip_address is not None:
                self.by_address.setdefault(reservation.ip_address, reservation)

    def find(self, client: ClientIdentity, identifier_order: tuple[str, ...]) -> Reservation | None:
        if not self.by_identifier:
            return None
        for kind in identifier_order:
            value = client.identifier(kind)
            if value is not None:
                found = self.by_identifier.get((kind, value))
                if found is not None:
                    return found
        return None


class Allocation:
    __slots__ = ("subnet", "address", "reservation", "existing")

    def __init__(self, subnet: Subnet, address: int, reservation: Reservation | None, existing: Lease | None):
        self.subnet = subnet
        self.address = address
        self.reservation = reservation
        self.existing = existing


class Allocator:
    def __init__(self, config: Config, store: LeaseStore) -> None:
        self.config = config
        self.store = store
        self.identifier_order = config.host_reservation_identifiers
        self.global_reservations = ReservationIndex(config.reservations)
        self.subnet_reservations = {s.id: ReservationIndex(s.reservations) for s in config.subnets}
        self._cursors: dict[tuple[int, int], int] = {}
        self._offers: dict[int, tuple[ClientKey, float]] = {}

    # -- reservations
    def reservation_for(self, subnet: Subnet, client: ClientIdentity) -> Reservation | None:
        params = subnet.params
        if params.reservations_in_subnet:
            found = self.subnet_reservations[subnet.id].find(client, self.identifier_order)
            if found is not None:
                return found
        if params.reservations_global:
            return self.global_reservations.find(client, self.identifier_order)
        return None

    def _reserved_for_other(self, subnet: Subnet, address: int, client: ClientIdentity) -> bool:
        if not subnet.params.reservations_in_subnet:
            return False
        reservation = self.subnet_reservations[subnet.id].by_address.get(address)
        if reservation is None:
            return False
        return all(client.identifier(kind) != value for kind, value in reservation.identifiers())

    # -- availability
    def is_free_for(self, subnet: Subnet, address: int, client: ClientIdentity, now: float) -> bool:
        lease = self.store.get(address)
        if lease is not None:
            if lease.state == STATE_DEFAULT:
                if lease.expire > now and not client.owns(lease, subnet.params.match_client_id):
                    return False
            elif lease.expire > now:  # declined, still in probation
                return False
        offer = self._offers.get(address)
        if offer is not None:
            key, until = offer
            if until > now and key != client.key(subnet.params.match_client_id):
                return False
        return not self._reserved_for_other(subnet, address, client)

    @staticmethod
    def in_pools(subnet: Subnet, address: int) -> Pool | None:
        for pool in subnet.pools:
            if pool.first <= address <= pool.last:
                return pool
        return None

    # -- the decision
    def find_existing(self, candidates: Iterable[Subnet], client: ClientIdentity) -> Lease | None:
        """The client's most recent assigned lease in any candidate subnet."""
        ids = {s.id for s in candidates}
        best: Lease | None = None
        leases: list[Lease] = []
        if client.client_id:
            leases.extend(self.store.find_by_client_id(client.client_id))
        leases.extend(self.store.find_by_hwaddr(client.hwaddr))
        for lease in leases:
            if lease.subnet_id not in ids or lease.state != STATE_DEFAULT:
                continue
            subnet = next(s for s in candidates if s.id == lease.subnet_id)
            if not client.owns(lease, subnet.params.match_client_id):
                continue
            if best is None or lease.expire > best.expire:
                best = lease
        return best

    def allocate(
        self,
        candidates: tuple[Subnet, ...],
        client: ClientIdentity,
        requested: int,
        now: float,
    ) -> Allocation | None:
        # 1. A reservation with an address.
        for subnet in candidates:
            reservation = self.reservation_for(subnet, client)
            if reservation is not None and reservation.ip_address is not None:
                address = reservation.ip_address
                if address in subnet and self.is_free_for(subnet, address, client, now):
                    return Allocation(subnet, address, reservation, self.store.get(address))
        # 2. The client's existing lease.
        existing = self.find_existing(candidates, client)
        if existing is not None:
            subnet = next(s for s in candidates if s.id == existing.subnet_id)
            if self.is_free_for(subnet, existing.address, client, now) and (
                self.in_pools(subnet, existing.address) or self._reserved_address_of(subnet, client)
            ):
                return Allocation(subnet, existing.address, self.reservation_for(subnet, client), existing)
        # 3. The address the client asked for.
        if requested:
            for subnet in candidates:
                if requested in subnet and self.in_pools(subnet, requested):
                    if self.is_free_for(subnet, requested, client, now):
                        return Allocation(
                            subnet, requested, self.reservation_for(subnet, client), self.store.get(requested)
                        )
                    break
        # 4. The next free address.
        for subnet in candidates:
            address = self._next_free(subnet, client, now)
            if address is not None:
                return Allocation(subnet, address, self.reservation_for(subnet, client), self.store.get(address))
        return None

    def _reserved_address_of(self, subnet: Subnet, client: ClientIdentity) -> int | None:
        reservation = self.reservation_for(subnet, client)
        return reservation.ip_address if reservation is not None else None

    def _next_free(self, subnet: Subnet, client: ClientIdentity, now: float) -> int | None:
        for index, pool in enumerate(subnet.pools):
            key = (subnet.id, index)
            start = self._cursors.get(key, pool.first)
            address = start
            for _ in range(pool.size):
                if self.is_free_for(subnet, address, client, now) and address not in (
                    subnet.network,
                    subnet.broadcast,
                ):
                    self._cursors[key] = pool.first if address >= pool.last else address + 1
                    return address
                address = pool.first if address >= pool.last else address + 1
        return None

    # -- offers
    def hold_offer(self, address: int, client: ClientIdentity, match_client_id: bool, now: float) -> None:
        self._offers[address] = (client.key(match_client_id), now + OFFER_HOLD)
        if len(self._offers) > 4096:
            self._offers = {a: o for a, o in self._offers.items() if o[1] > now}

    def drop_offer(self, address: int) -> None:
        self._offers.pop(address, None)
