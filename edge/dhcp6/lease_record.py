"""The DHCPv6 lease record as the shared lease store keeps it: the v6 RecordFormat (LEASE6).

Rules:
- The key is the address (IA_NA, IA_TA) or the delegated prefix (IA_PD) as a 128-bit integer; :: and
  ffff:...:ffff are never leases.
- The packed record holds everything but the address (network byte order):

      cltt q | valid I | preferred I | subnet_id I | state B | prefix_len B | flags B | hwtype H |
      hwaddr_source I | iaid I | lease_type B | hwlen B hwaddr | duidlen B duid | hostlen H hostname (UTF-8) |
      user_context (compact JSON, to the end)
      flags: 1 fqdn_fwd, 2 fqdn_rev, 8 user_context present

  Everything the indexes read lies from the IAID on (`keys_offset`), so a renewal, which changes only the
  times before it, leaves every hash index alone.

  A lease that does not fit is a ValueError: a lease type other than 0/1/2, a prefix length over 128, a
  hardware address over 20 bytes, a DUID over 130 bytes (RFC 8415's limit; Kea's is 128), a lifetime or
  IAID beyond 32 bits, a user context that is not an object, or a missing DUID on a lease that is not
  declined (Kea refuses that too: only a declined lease carries the empty DUID).
- Indexes: "hwaddr", "hostname" (lower-cased), "duid" (the DUID bytes) and "duid_iaid" ((DUID, IAID,
  lease type): Kea's DuidIaidTypeIndex). The empty DUID of declined leases is in neither DUID index:
  nobody looks a lease up by it, and thousands of declined addresses would share one key.
- The document form is Lease6.to_doc / from_doc (Kea's CSV column names); the snapshot header says
  "records": "lease6", so a v4 store refuses a v6 file and the other way round. The journal line of a put
  is exactly `encode_record({"op": "put", "lease": lease.to_doc()})`, built here without the document.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from edge.dhcp6.lease import EMPTY_DUID, Lease6, address_text, parse_address
from edge.leases.lease import STATE_DECLINED, STATE_EXPIRED_RECLAIMED
from edge.leases.record import ACTIVE, BUCKET_SHIFT, RECLAIMED, RecordFormat, context_bytes, text_bytes

# cltt, valid, preferred, subnet_id, state, prefix_len, flags, hwtype, hwaddr_source, iaid, lease_type
_HEAD = struct.Struct("!qIIIBBBHIIB")
_H = _HEAD.size  # 34
_IAID = struct.Struct("!I")
_SUBNET_AT, _STATE_AT, _IAID_AT, _TYPE_AT = 16, 20, 29, 33  # byte offsets in _HEAD
_F_FWD, _F_REV, _F_CTX = 1, 2, 8
ALL_ONES = (1 << 128) - 1
MAX_DUID = 130

_compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_json_string = json.encoder.encode_basestring  # type: ignore[attr-defined]  # a quoted JSON string
_PUT = (
    '{"op":"put","lease":{"address":"%s","duid":"%s","valid_lifetime":%d,"expire":%d,"subnet_id":%d,'
    '"pref_lifetime":%d,"lease_type":%d,"iaid":%d,"prefix_len":%d,"fqdn_fwd":%s,"fqdn_rev":%s,'
    '"hostname":%s,"hwaddr":"%s","state":%d%s%s}}'
)


def check_address(address: int) -> None:
    if type(address) is not int or not 0 < address < ALL_ONES:
        raise ValueError("%r is not a usable IPv6 lease address or prefix" % (address,))


def pack_record(lease: Lease6) -> bytes:
    """The packed form of `lease` (without its address, which is the key). ValueError if it does not fit."""
    check_address(lease.address)
    return _pack(
        lease.duid,
        lease.iaid,
        lease.lease_type,
        lease.prefix_len,
        lease.preferred_lifetime,
        lease.valid_lifetime,
        lease.cltt,
        lease.subnet_id,
        lease.hwaddr,
        lease.hwtype,
        lease.hwaddr_source,
        lease.hostname,
        lease.state,
        lease.fqdn_fwd,
        lease.fqdn_rev,
        lease.user_context,
    )


def pack_document(doc: dict[str, Any]) -> tuple[int, bytes]:
    """(address, packed record) straight from a lease document, as Lease6.from_doc reads it (the loader's
    fast path). ValueError/KeyError/TypeError for a bad document."""
    address = parse_address(doc["address"])
    check_address(address)
    valid = int(doc["valid_lifetime"])
    return address, _pack(
        bytes.fromhex(str(doc["duid"]).replace(":", "")),
        int(doc.get("iaid", 0)),
        int(doc.get("lease_type", 0)),
        int(doc.get("prefix_len", 128)),
        int(doc.get("pref_lifetime", 0)),
        valid,
        int(doc["expire"]) - valid,
        int(doc.get("subnet_id", 0)),
        bytes.fromhex(str(doc.get("hwaddr", "")).replace(":", "")),
        int(doc.get("hwtype", 1)),
        int(doc.get("hwaddr_source", 0)),
        doc.get("hostname", "") or "",
        int(doc.get("state", 0)),
        bool(doc.get("fqdn_fwd", False)),
        bool(doc.get("fqdn_rev", False)),
        doc.get("user_context"),
    )


def _pack(
    duid: bytes,
    iaid: int,
    kind: int,
    prefix_len: int,
    preferred: int,
    valid: int,
    cltt: int,
    subnet_id: int,
    hwaddr: bytes,
    hwtype: int,
    hwaddr_source: int,
    hostname: str,
    state: int,
    fqdn_fwd: bool,
    fqdn_rev: bool,
    user_context: Any,
) -> bytes:
    duid = bytes(duid or b"")
    hwaddr = bytes(hwaddr or b"")
    host = text_bytes(hostname, "hostname")
    if kind not in (0, 1, 2) or type(kind) is bool:
        raise ValueError("lease type %r is not 0 (IA_NA), 1 (IA_TA) or 2 (IA_PD)" % (kind,))
    if type(prefix_len) is not int or not 0 <= prefix_len <= 128:
        raise ValueError("prefix length %r is not 0..128" % (prefix_len,))
    if (not duid or duid == EMPTY_DUID) and state != STATE_DECLINED:
        raise ValueError("a lease in state %r needs a DUID (only declined leases have none)" % (state,))
    if len(duid) > MAX_DUID:
        raise ValueError("DUID of %d bytes (at most %d)" % (len(duid), MAX_DUID))
    if len(hwaddr) > 20:
        raise ValueError("hardware address of %d bytes (at most 20)" % len(hwaddr))
    if len(host) > 0xFFFF:
        raise ValueError("hostname of %d bytes" % len(host))
    flags = (_F_FWD if fqdn_fwd else 0) | (_F_REV if fqdn_rev else 0)
    context = b""
    if user_context:
        flags |= _F_CTX
        context = context_bytes(user_context)
    try:
        head = _HEAD.pack(
            cltt, valid, preferred, subnet_id, state, prefix_len, flags, hwtype, hwaddr_source, iaid, kind
        )
    except struct.error as exc:
        raise ValueError(
            "lease field out of range (cltt %r, valid %r, preferred %r, subnet_id %r, iaid %r, state %r, "
            "hwtype %r, hwaddr_source %r): %s"
            % (cltt, valid, preferred, subnet_id, iaid, state, hwtype, hwaddr_source, exc)
        ) from exc
    return b"".join(
        (
            head,
            bytes((len(hwaddr),)),
            hwaddr,
            bytes((len(duid),)),
            duid,
            len(host).to_bytes(2, "big"),
            host,
            context,
        )
    )


def unpack_record(address: int, record: bytes) -> Lease6:
    cltt, valid, preferred, subnet_id, state, plen, flags, hwtype, source, iaid, kind = _HEAD.unpack_from(
        record
    )
    offset = _H + 1 + record[_H]
    hwaddr = record[_H + 1 : offset]
    duid_len = record[offset]
    duid = record[offset + 1 : offset + 1 + duid_len]
    offset += 1 + duid_len
    host_len = record[offset] << 8 | record[offset + 1]
    offset += 2
    hostname = record[offset : offset + host_len].decode("utf-8") if host_len else ""
    context = json.loads(record[offset + host_len :]) if flags & _F_CTX else None
    return Lease6(
        address,
        duid,
        iaid,
        kind,
        plen,
        preferred,
        valid,
        cltt,
        subnet_id,
        hwaddr,
        hwtype,
        source,
        hostname,
        state,
        bool(flags & _F_FWD),
        bool(flags & _F_REV),
        context,
    )


def _hwaddr_key(record: bytes) -> bytes | None:
    return record[_H + 1 : _H + 1 + record[_H]] or None


def _duid(record: bytes) -> bytes | None:
    offset = _H + 1 + record[_H]
    duid = record[offset + 1 : offset + 1 + record[offset]]
    return duid if duid and duid != EMPTY_DUID else None


def _duid_iaid_key(record: bytes) -> tuple[bytes, int, int] | None:
    duid = _duid(record)
    if duid is None:
        return None
    return duid, _IAID.unpack_from(record, _IAID_AT)[0], record[_TYPE_AT]


def _hostname_key(record: bytes) -> str | None:
    offset = _H + 1 + record[_H]
    offset += 1 + record[offset]
    length = record[offset] << 8 | record[offset + 1]
    if not length:
        return None
    return record[offset + 2 : offset + 2 + length].decode("utf-8").lower()


def record_expire(record: bytes) -> int:
    cltt, valid = struct.unpack_from("!qI", record)
    return cltt + valid


def record_subnet(record: bytes) -> int:
    return _IAID.unpack_from(record, _SUBNET_AT)[0]


def _expiry_key(record: bytes) -> tuple[int, int, int]:
    cltt, valid = struct.unpack_from("!qI", record)
    return (
        RECLAIMED if record[_STATE_AT] == STATE_EXPIRED_RECLAIMED else ACTIVE,
        (cltt + valid) >> BUCKET_SHIFT,
        _IAID.unpack_from(record, _SUBNET_AT)[0],
    )


def encode_put(lease: Lease6) -> bytes:
    """`encode_record({"op": "put", "lease": lease.to_doc()})`, byte for byte, without the document: the
    record every REPLY that commits a lease writes. Unusual field types take the general path."""
    duid, hwaddr, hostname = lease.duid, lease.hwaddr, lease.hostname
    valid, cltt, fwd, rev = lease.valid_lifetime, lease.cltt, lease.fqdn_fwd, lease.fqdn_rev
    if not (
        type(lease.address) is int
        and type(valid) is int
        and type(cltt) is int
        and type(lease.preferred_lifetime) is int
        and type(lease.subnet_id) is int
        and type(lease.iaid) is int
        and type(lease.lease_type) is int
        and type(lease.prefix_len) is int
        and type(lease.state) is int
        and type(lease.hwtype) is int
        and type(lease.hwaddr_source) is int
        and type(fwd) is bool
        and type(rev) is bool
        and type(hostname) is str
        and type(hwaddr) is bytes
        and type(duid) is bytes
    ):
        body = _compact_json({"op": "put", "lease": lease.to_doc()}).encode("utf-8")
        return b"%08x %s\n" % (zlib.crc32(body), body)
    context = lease.user_context
    body = (
        _PUT
        % (
            address_text(lease.address),
            duid.hex(":"),
            valid,
            cltt + valid,
            lease.subnet_id,
            lease.preferred_lifetime,
            lease.lease_type,
            lease.iaid,
            lease.prefix_len,
            "true" if fwd else "false",
            "true" if rev else "false",
            _json_string(hostname),
            hwaddr.hex(":"),
            lease.state,
            ',"user_context":' + _compact_json(context) if context else "",
            ',"hwtype":%d,"hwaddr_source":%d' % (lease.hwtype, lease.hwaddr_source) if hwaddr else "",
        )
    ).encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(body), body)


class Lease6Format(RecordFormat[Lease6]):
    name = "lease6"
    ip_version = 6
    key_bits = 128
    snapshot_tag = "lease6"
    keys_offset = _IAID_AT
    indexes = {
        "hwaddr": _hwaddr_key,
        "hostname": _hostname_key,
        "duid": _duid,
        "duid_iaid": _duid_iaid_key,
    }
    # The module's functions themselves (see the v4 format): no wrapper call per put and read.
    check_key = staticmethod(check_address)
    pack = staticmethod(pack_record)
    unpack = staticmethod(unpack_record)
    expiry_key = staticmethod(_expiry_key)
    expire = staticmethod(record_expire)
    subnet = staticmethod(record_subnet)
    from_doc = staticmethod(Lease6.from_doc)
    pack_document = staticmethod(pack_document)
    journal_put = staticmethod(encode_put)
    text = staticmethod(address_text)
    parse_key = staticmethod(parse_address)
    # reclaimed(): the shared form (Kea's reclaimExpiredLease is one template for both families).


LEASE6 = Lease6Format()
