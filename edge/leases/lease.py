"""What every lease is, whatever its family: Kea's base `Lease` (states, lifetimes, the fields both
DHCPv4 and DHCPv6 leases carry). The records themselves live with their family: edge/dhcp4/lease.py
(Lease4), edge/dhcp6/lease.py (Lease6).

States (Kea's numbers, the same for both families): 0 default (assigned), 1 declined, 2 expired-reclaimed.
Times are absolute epoch seconds (cltt: client last transmission time; expire = cltt + valid_lifetime), so
a lease means the same thing after a restart.

Every lease has an `address`: an IPv4 address (32 bits) or an IPv6 address or delegated prefix (128
bits). It is the key of the store: one lease per address, as in Kea's memfile.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

STATE_DEFAULT = 0
STATE_DECLINED = 1
STATE_EXPIRED_RECLAIMED = 2

L = TypeVar("L", bound="LeaseRecord")


class LeaseRecord(Protocol):
    """The fields and methods the shared rooms (store, reclamation, statistics, interchange) use."""

    address: int
    hwaddr: bytes
    valid_lifetime: int
    cltt: int
    subnet_id: int
    hostname: str
    state: int
    fqdn_fwd: bool
    fqdn_rev: bool
    user_context: dict[str, Any] | None

    @property
    def expire(self) -> int: ...

    def copy(self: L) -> L: ...

    def to_doc(self) -> dict[str, Any]: ...


def holds_lease(lease: LeaseRecord | None) -> bool:
    """The lease keeps its address from anyone else and counts in Kea's "assigned" gauges: a declined
    lease (until reclaimed), or one in the default state with a lifetime (a released lease kept only so
    its client gets the same address back has valid lifetime 0 and holds nothing). An expired lease still
    holds its address until reclamation, as in Kea."""
    if lease is None:
        return False
    return lease.state == STATE_DECLINED or (lease.state == STATE_DEFAULT and lease.valid_lifetime > 0)
