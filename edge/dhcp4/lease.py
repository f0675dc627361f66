"""The DHCPv4 lease record (Lease4), in Kea's memfile vocabulary. How the shared store keeps it packed,
indexed and journaled is lease_record.py (the v4 RecordFormat).

A lease is what Kea's memfile CSV holds: address, hwaddr, client_id, valid_lifetime, expire (cltt +
valid_lifetime), subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context. Times are absolute epoch
seconds, so a lease means the same thing after a restart.

States (Kea's numbers, shared with DHCPv6: edge/leases/lease.py): 0 default (assigned), 1 declined, 2
expired-reclaimed. A released lease is kept as an
expired default-state record so that the same client is offered the same address again if it returns, while
the address is free for anyone else.
"""

from __future__ import annotations

from typing import Any

from edge.leases.lease import STATE_DECLINED, STATE_DEFAULT, STATE_EXPIRED_RECLAIMED
from edge.wire.addr import int_to_ip, ip_to_int

__all__ = ["STATE_DECLINED", "STATE_DEFAULT", "STATE_EXPIRED_RECLAIMED", "Lease", "Lease4"]


class Lease4:
    __slots__ = (
        "address",
        "hwaddr",
        "client_id",
        "valid_lifetime",
        "cltt",
        "subnet_id",
        "hostname",
        "state",
        "fqdn_fwd",
        "fqdn_rev",
        "user_context",
    )

    def __init__(
        self,
        address: int,
        hwaddr: bytes = b"",
        client_id: bytes | None = None,
        valid_lifetime: int = 0,
        cltt: int = 0,
        subnet_id: int = 0,
        hostname: str = "",
        state: int = STATE_DEFAULT,
        fqdn_fwd: bool = False,
        fqdn_rev: bool = False,
        user_context: dict[str, Any] | None = None,
    ) -> None:
        self.address = address
        self.hwaddr = hwaddr
        self.client_id = client_id
        self.valid_lifetime = valid_lifetime
        self.cltt = cltt
        self.subnet_id = subnet_id
        self.hostname = hostname
        self.state = state
        self.fqdn_fwd = fqdn_fwd
        self.fqdn_rev = fqdn_rev
        self.user_context = user_context

    @property
    def expire(self) -> int:
        return self.cltt + self.valid_lifetime

    def is_active(self, now: float) -> bool:
        """Assigned and not yet expired: the address belongs to this client."""
        return self.state == STATE_DEFAULT and self.expire > now

    def copy(self) -> Lease4:
        return Lease4(*(getattr(self, name) for name in Lease4.__slots__))

    def to_doc(self) -> dict[str, Any]:
        """The TinyDB document form (JSON-safe): what the journal and the snapshot store."""
        doc: dict[str, Any] = {
            "address": int_to_ip(self.address),
            "hwaddr": self.hwaddr.hex(":"),
            "client_id": self.client_id.hex(":") if self.client_id is not None else "",
            "valid_lifetime": self.valid_lifetime,
            "expire": self.expire,
            "subnet_id": self.subnet_id,
            "fqdn_fwd": self.fqdn_fwd,
            "fqdn_rev": self.fqdn_rev,
            "hostname": self.hostname,
            "state": self.state,
        }
        if self.user_context:
            doc["user_context"] = self.user_context
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Lease4:
        valid = int(doc["valid_lifetime"])
        client_id = doc.get("client_id") or ""
        return cls(
            address=ip_to_int(doc["address"]),
            hwaddr=bytes.fromhex(doc.get("hwaddr", "").replace(":", "")),
            client_id=bytes.fromhex(client_id.replace(":", "")) if client_id else None,
            valid_lifetime=valid,
            cltt=int(doc["expire"]) - valid,
            subnet_id=int(doc.get("subnet_id", 0)),
            hostname=doc.get("hostname", "") or "",
            state=int(doc.get("state", STATE_DEFAULT)),
            fqdn_fwd=bool(doc.get("fqdn_fwd", False)),
            fqdn_rev=bool(doc.get("fqdn_rev", False)),
            user_context=doc.get("user_context"),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lease4):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in Lease4.__slots__)

    def __repr__(self) -> str:
        return "Lease4(%s hw=%s cid=%s subnet=%d expire=%d state=%d)" % (
            int_to_ip(self.address),
            self.hwaddr.hex(":"),
            self.client_id.hex(":") if self.client_id else "-",
            self.subnet_id,
            self.expire,
            self.state,
        )


# The name the DHCPv4 code has always used (one class: Lease4).
Lease = Lease4
