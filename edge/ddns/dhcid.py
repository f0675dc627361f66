"""The DHCID resource record's data (RFC 4701): who owns a name in DNS.

Rules this module keeps:
- RDATA = identifier type (2 octets) + digest type (1 octet, 1 = SHA-256) + SHA-256(identifier || FQDN in
  DNS wire format, lower-case). Identifier types: 0x0000 the client's htype and chaddr, 0x0001 the whole
  DHCPv4 client-identifier option, 0x0002 a DUID.
- DHCPv4 clients: the client-identifier when the client sent one, else htype + chaddr (RFC 4701 section
  3.3). A client-identifier of type 255 carries an RFC 4361 IAID and DUID: the DUID after the five-octet
  header is used, with type 0x0002, as Kea does (so a dual-stack host has one DHCID in both families).
- The same client and name always give the same bytes: that is what lets RFC 4703 conflict resolution
  tell "this client's own record" from "someone else's".

The RFC's own examples (section 3.6) are unit tests.
"""

from __future__ import annotations

__all__ = ["DhcidError", "dhcid_for", "duid_dhcid", "fqdn_wire"]

ID_HWADDR = 0x0000
ID_CLIENT_ID = 0x0001
ID_DUID = 0x0002
DIGEST_SHA256 = 1


class DhcidError(ValueError):
    pass


def fqdn_wire(fqdn: str) -> bytes:
    """'Host.Example.com' (with or without the trailing dot) -> canonical wire form, lower-case."""
    text = fqdn.lower().rstrip(".")
    out = bytearray()
    for label in text.split(".") if text else []:
        raw = label.encode("latin-1")
        if not raw or len(raw) > 63:
            raise DhcidError(f'"{fqdn}" is not a valid domain name')
        out.append(len(raw))
        out += raw
    out.append(0)
    if len(out) > 255:
        raise DhcidError(f'"{fqdn}" is longer than 255 octets')
    return bytes(out)


def _digest(kind: int, identifier: bytes, fqdn: str) -> bytes:
    import hashlib  # here, not at the top: hashlib loads OpenSSL (~4 MB resident) for servers without DNS updates

    if not identifier:
        raise DhcidError("an empty client identifier cannot make a DHCID")
    return (
        kind.to_bytes(2, "big")
        + bytes([DIGEST_SHA256])
        + hashlib.sha256(identifier + fqdn_wire(fqdn)).digest()
    )


def dhcid_for(fqdn: str, hwaddr: bytes, client_id: bytes | None, htype: int = 1) -> bytes:
    """The DHCID RDATA for a DHCPv4 client named `fqdn`."""
    if client_id:
        if client_id[0] == 255:
            if len(client_id) <= 5:
                raise DhcidError("client-identifier of type 255 too short to hold a DUID")
            return _digest(ID_DUID, client_id[5:], fqdn)
        return _digest(ID_CLIENT_ID, client_id, fqdn)
    if not hwaddr:
        raise DhcidError("no client-identifier and no hardware address to make a DHCID from")
    return _digest(ID_HWADDR, bytes([htype & 0xFF]) + hwaddr, fqdn)


def duid_dhcid(fqdn: str, duid: bytes) -> bytes:
    """A DHCID from a DUID (the DHCPv6 form; used by the RFC's example)."""
    return _digest(ID_DUID, duid, fqdn)
