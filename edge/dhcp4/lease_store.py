"""The DHCPv4 lease stores: the shared stores (edge/leases/) holding Lease4 records, plus the lookup only
DHCPv4 has (by client-id).

- LeaseStore4: what the v4 engine, allocator and lease4-* commands may ask of a store (LeaseStore[Lease4]
  and find_by_client_id).
- MemoryLeaseStore4: leases in memory only (`persist: false`, tests).
- MemfileLeaseStore4: the persistent store (journal, group commit, snapshot, compaction child).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from edge.dhcp4.lease import Lease4
from edge.dhcp4.lease_record import LEASE4
from edge.leases.journal import GROUP_COMMIT_WINDOW
from edge.leases.memfile import MemfileLeaseStore
from edge.leases.store import LeaseStore, MemoryLeaseStore

__all__ = ["LeaseStore4", "MemfileLeaseStore4", "MemoryLeaseStore4"]


class LeaseStore4(LeaseStore[Lease4]):
    """A store of DHCPv4 leases."""

    def find_by_client_id(self, client_id: bytes, subnet_id: int | None = None) -> list[Lease4]:
        if not client_id:
            return []
        return self.find("client_id", bytes(client_id), subnet_id)


class MemoryLeaseStore4(MemoryLeaseStore[Lease4], LeaseStore4):
    def __init__(self, capacity: int = 0) -> None:
        super().__init__(LEASE4, capacity)


class MemfileLeaseStore4(MemfileLeaseStore[Lease4], LeaseStore4):
    def __init__(
        self,
        path: str,
        persist: bool = True,
        sync: str = "batch",
        *,
        readonly: bool = False,
        window: float = GROUP_COMMIT_WINDOW,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        super().__init__(LEASE4, path, persist, sync, readonly=readonly, window=window, fsync=fsync)
