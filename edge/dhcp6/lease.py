"""The DHCPv6 lease record (Lease6), in Kea's memfile vocabulary. How the shared store keeps it packed,
indexed and journaled is lease_record.py (the v6 RecordFormat).

A lease is what Kea 2.2's lease6 CSV holds: the address (IA_NA, IA_TA) or the delegated prefix (IA_PD) as a
128-bit integer, with its prefix length (128 for addresses), the lease type, the client's DUID and the IA's
IAID, preferred and valid lifetimes, cltt (expire = cltt + valid_lifetime), subnet id, hardware address
(with Kea's hwtype and hwaddr_source), hostname, fqdn_fwd/fqdn_rev, state, user_context. Times are absolute
epoch seconds.

Rules:
- The address is the key: one lease per address or prefix, whatever its type (Kea's memfile index on the
  address is unique too); `(lease_type, address)` lookups are a get and a type check.
- States are Kea's, shared with DHCPv4 (edge/leases/lease.py). A declined lease, as Kea writes it
  (Lease6::decline): DUID EMPTY_DUID (one zero byte, "00" in text), no hardware address, preferred 0, valid
  = decline-probation-period, names and DNS flags cleared. Only a declined lease may have the empty DUID.
- Lease types are Kea's numbers: 0 IA_NA, 1 IA_TA, 2 IA_PD (TYPE_NAMES gives Kea's text).
"""

from __future__ import annotations

import socket
from typing import Any

from edge.leases.lease import STATE_DECLINED, STATE_DEFAULT, STATE_EXPIRED_RECLAIMED

__all__ = [
    "EMPTY_DUID",
    "HTYPE_ETHER",
    "STATE_DECLINED",
    "STATE_DEFAULT",
    "STATE_EXPIRED_RECLAIMED",
    "TYPE_NA",
    "TYPE_NAMES",
    "TYPE_PD",
    "TYPE_TA",
    "Lease6",
    "address_text",
    "lease_type",
    "parse_address",
]

TYPE_NA = 0
TYPE_TA = 1
TYPE_PD = 2
TYPE_NAMES = {TYPE_NA: "IA_NA", TYPE_TA: "IA_TA", TYPE_PD: "IA_PD"}
_TYPE_NUMBERS = {name: number for number, name in TYPE_NAMES.items()}

EMPTY_DUID = b"\x00"  # Kea's DUID::EMPTY(): what a declined lease carries
HTYPE_ETHER = 1
HWADDR_SOURCE_UNKNOWN = 0


def address_text(address: int) -> str:
    """A 128-bit address as RFC 5952 text, as Kea writes it (the C library's inet_ntop, as Kea's)."""
    if type(address) is not int or address < 0 or address >> 128:
        raise ValueError("%r is not a 128-bit address" % (address,))
    return socket.inet_ntop(socket.AF_INET6, address.to_bytes(16, "big"))


def parse_address(text: str) -> int:
    """The 128-bit integer of an IPv6 address text; ValueError if it is not one."""
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET6, text.strip()), "big")
    except (OSError, TypeError, AttributeError):
        raise ValueError("%r is not an IPv6 address" % (text,)) from None


def lease_type(value: int | str) -> int:
    """A lease type from Kea's number or text ("IA_NA", "IA_TA", "IA_PD"); ValueError otherwise."""
    if isinstance(value, str):
        if value in _TYPE_NUMBERS:
            return _TYPE_NUMBERS[value]
        raise ValueError("lease type %r is not IA_NA, IA_TA or IA_PD" % value)
    if type(value) is int and value in TYPE_NAMES:
        return value
    raise ValueError("lease type %r is not 0 (IA_NA), 1 (IA_TA) or 2 (IA_PD)" % (value,))


class Lease6:
    __slots__ = (
        "address",
        "duid",
        "iaid",
        "lease_type",
        "prefix_len",
        "preferred_lifetime",
        "valid_lifetime",
        "cltt",
        "subnet_id",
        "hwaddr",
        "hwtype",
        "hwaddr_source",
        "hostname",
        "state",
        "fqdn_fwd",
        "fqdn_rev",
        "user_context",
    )

    def __init__(
        self,
        address: int,
        duid: bytes = EMPTY_DUID,
        iaid: int = 0,
        lease_type: int = TYPE_NA,
        prefix_len: int = 128,
        preferred_lifetime: int = 0,
        valid_lifetime: int = 0,
        cltt: int = 0,
        subnet_id: int = 0,
        hwaddr: bytes = b"",
        hwtype: int = HTYPE_ETHER,
        hwaddr_source: int = HWADDR_SOURCE_UNKNOWN,
        hostname: str = "",
        state: int = STATE_DEFAULT,
        fqdn_fwd: bool = False,
        fqdn_rev: bool = False,
        user_context: dict[str, Any] | None = None,
    ) -> None:
        self.address = address
        self.duid = duid
        self.iaid = iaid
        self.lease_type = lease_type
        self.prefix_len = prefix_len
        self.preferred_lifetime = preferred_lifetime
        self.valid_lifetime = valid_lifetime
        self.cltt = cltt
        self.subnet_id = subnet_id
        self.hwaddr = hwaddr
        self.hwtype = hwtype
        self.hwaddr_source = hwaddr_source
        self.hostname = hostname
        self.state = state
        self.fqdn_fwd = fqdn_fwd
        self.fqdn_rev = fqdn_rev
        self.user_context = user_context

    @property
    def expire(self) -> int:
        return self.cltt + self.valid_lifetime

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.lease_type, str(self.lease_type))

    def is_active(self, now: float) -> bool:
        """Assigned and not yet expired: the address (or prefix) belongs to this client."""
        return self.state == STATE_DEFAULT and self.expire > now

    def copy(self) -> Lease6:
        return Lease6(*(getattr(self, name) for name in Lease6.__slots__))

    def to_doc(self) -> dict[str, Any]:
        """The document form (JSON-safe, Kea's lease6 CSV column names): what the journal and the snapshot
        store."""
        doc: dict[str, Any] = {
            "address": address_text(self.address),
            "duid": self.duid.hex(":"),
            "valid_lifetime": self.valid_lifetime,
            "expire": self.expire,
            "subnet_id": self.subnet_id,
            "pref_lifetime": self.preferred_lifetime,
            "lease_type": self.lease_type,
            "iaid": self.iaid,
            "prefix_len": self.prefix_len,
            "fqdn_fwd": self.fqdn_fwd,
            "fqdn_rev": self.fqdn_rev,
            "hostname": self.hostname,
            "hwaddr": self.hwaddr.hex(":"),
            "state": self.state,
        }
        if self.user_context:
            doc["user_context"] = self.user_context
        if self.hwaddr:
            doc["hwtype"] = self.hwtype
            doc["hwaddr_source"] = self.hwaddr_source
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Lease6:
        valid = int(doc["valid_lifetime"])
        return cls(
            address=parse_address(doc["address"]),
            duid=bytes.fromhex(str(doc["duid"]).replace(":", "")),
            iaid=int(doc.get("iaid", 0)),
            lease_type=int(doc.get("lease_type", TYPE_NA)),
            prefix_len=int(doc.get("prefix_len", 128)),
            preferred_lifetime=int(doc.get("pref_lifetime", 0)),
            valid_lifetime=valid,
            cltt=int(doc["expire"]) - valid,
            subnet_id=int(doc.get("subnet_id", 0)),
            hwaddr=bytes.fromhex(str(doc.get("hwaddr", "")).replace(":", "")),
            hwtype=int(doc.get("hwtype", HTYPE_ETHER)),
            hwaddr_source=int(doc.get("hwaddr_source", HWADDR_SOURCE_UNKNOWN)),
            hostname=doc.get("hostname", "") or "",
            state=int(doc.get("state", STATE_DEFAULT)),
            fqdn_fwd=bool(doc.get("fqdn_fwd", False)),
            fqdn_rev=bool(doc.get("fqdn_rev", False)),
            user_context=doc.get("user_context"),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lease6):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in Lease6.__slots__)

    def __repr__(self) -> str:
        return "Lease6(%s %s/%d duid=%s iaid=%d subnet=%d expire=%d state=%d)" % (
            self.type_name,
            _text(self.address),
            self.prefix_len,
            self.duid.hex(":"),
            self.iaid,
            self.subnet_id,
            self.expire,
            self.state,
        )


def _text(address: Any) -> str:
    try:
        return address_text(address)
    except ValueError:
        return repr(address)
