"""The DHCPv6 lease stores: the shared stores (edge/leases/) holding Lease6 records, plus the lookups only
DHCPv6 has (by DUID and IAID, by type and address).

- LeaseStore6: what the v6 engine and the lease6-* commands may ask of a store.
- MemoryLeaseStore6: leases in memory only (`persist: false`, tests).
- MemfileLeaseStore6: the persistent store (journal, group commit, snapshot, compaction child): its own
  file, by default DEFAULT_LEASE_FILE6, beside (never shared with) the DHCPv4 one.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from edge.dhcp6.lease import Lease6
from edge.dhcp6.lease_record import LEASE6
from edge.leases.journal import GROUP_COMMIT_WINDOW
from edge.leases.memfile import MemfileLeaseStore
from edge.leases.store import LeaseStore, MemoryLeaseStore

__all__ = ["DEFAULT_LEASE_FILE6", "LeaseStore6", "MemfileLeaseStore6", "MemoryLeaseStore6"]

DEFAULT_LEASE_FILE6 = "/var/lib/edge-dhcp/dhcp6.leases"


class LeaseStore6(LeaseStore[Lease6]):
    """A store of DHCPv6 leases."""

    def get6(self, lease_type: int, address: int) -> Lease6 | None:
        """The lease of that type at `address` (Kea's getLease6(type, address))."""
        lease = self.get(address)
        return lease if lease is not None and lease.lease_type == lease_type else None

    def find_by_duid_iaid(
        self, duid: bytes, iaid: int, lease_type: int, subnet_id: int | None = None
    ) -> list[Lease6]:
        """The leases of one IA of one client (Kea's getLeases6(type, duid, iaid[, subnet_id]))."""
        if not duid:
            return []
        return self.find("duid_iaid", (bytes(duid), iaid, lease_type), subnet_id)

    def find_by_duid(self, duid: bytes) -> list[Lease6]:
        """Every lease of one client (lease6-get-by-duid)."""
        if not duid:
            return []
        return self.find("duid", bytes(duid))


class MemoryLeaseStore6(MemoryLeaseStore[Lease6], LeaseStore6):
    def __init__(self, capacity: int = 0) -> None:
        super().__init__(LEASE6, capacity)


class MemfileLeaseStore6(MemfileLeaseStore[Lease6], LeaseStore6):
    def __init__(
        self,
        path: str = DEFAULT_LEASE_FILE6,
        persist: bool = True,
        sync: str = "batch",
        *,
        readonly: bool = False,
        window: float = GROUP_COMMIT_WINDOW,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        super().__init__(LEASE6, path, persist, sync, readonly=readonly, window=window, fsync=fsync)
