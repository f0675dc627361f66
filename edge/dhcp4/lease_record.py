"""The DHCPv4 lease record as the shared lease store keeps it: the v4 RecordFormat (LEASE4).

Rules:
- The key is the IPv4 address as a 32-bit integer; 0.0.0.0 and 255.255.255.255 are never leases.
- The packed record holds everything but the address (network byte order):

      cltt q | valid_lifetime I | subnet_id I | state B | flags B | hwlen B hwaddr | cidlen B client_id |
      hostlen H hostname (UTF-8) | user_context (compact JSON, to the end)
      flags: 1 fqdn_fwd, 2 fqdn_rev, 4 client-id present, 8 user_context present

  A lease that does not fit (a 21-byte hardware address, a 256-byte client-id, a lifetime beyond 32 bits,
  a user context that is not an object) is a ValueError. An empty client-id and an empty user context are
  "none": that is how the documents store them.
- Indexes: "hwaddr" (the hardware address bytes), "client_id" (the client-id bytes) and "hostname"
  (lower-cased), each cut straight out of the record.
- The document form is Lease4.to_doc / from_doc (what Kea's memfile CSV columns say, JSON-safe); the
  journal line of a put is exactly `encode_record({"op": "put", "lease": lease.to_doc()})`, built here
  without the document for the one record every ACK writes. These bytes are the files' format: a change
  here is a change of every lease file already written.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from edge.dhcp4.lease import Lease4
from edge.leases.lease import STATE_EXPIRED_RECLAIMED
from edge.leases.record import ACTIVE, BUCKET_SHIFT, RECLAIMED, RecordFormat, context_bytes, text_bytes
from edge.wire.addr import int_to_ip, ip_to_int

_HEAD = struct.Struct("!qIIBB")  # cltt, valid_lifetime, subnet_id, state, flags
_HEAD_SIZE = _HEAD.size  # 18
_F_FWD, _F_REV, _F_CID, _F_CTX = 1, 2, 4, 8
NO_ADDRESS = 0  # 0.0.0.0: never a lease
BROADCAST = 0xFFFFFFFF  # 255.255.255.255: never a lease

_compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_json_string = json.encoder.encode_basestring  # type: ignore[attr-defined]  # a quoted JSON string
_PUT = (
    '{"op":"put","lease":{"address":"%d.%d.%d.%d","hwaddr":"%s","client_id":"%s","valid_lifetime":%d,'
    '"expire":%d,"subnet_id":%d,"fqdn_fwd":%s,"fqdn_rev":%s,"hostname":%s,"state":%d%s}}'
)


def check_address(address: int) -> None:
    if not isinstance(address, int) or not NO_ADDRESS < address < BROADCAST:
        raise ValueError("%r is not a usable IPv4 lease address" % (address,))


def pack_record(lease: Lease4) -> bytes:
    """The packed form of `lease` (without its address, which is the key). ValueError if it does not fit."""
    check_address(lease.address)
    return _pack(
        lease.hwaddr,
        lease.client_id,
        lease.valid_lifetime,
        lease.cltt,
        lease.subnet_id,
        lease.hostname,
        lease.state,
        lease.fqdn_fwd,
        lease.fqdn_rev,
        lease.user_context,
    )


def pack_document(doc: dict[str, Any]) -> tuple[int, bytes]:
    """(address, packed record) straight from a lease document, as Lease4.from_doc would read it (the
    loader's fast path: no Lease4 object). ValueError/KeyError/TypeError for a bad document."""
    address = ip_to_int(doc["address"])
    check_address(address)
    valid = int(doc["valid_lifetime"])
    client_id = doc.get("client_id") or ""
    return address, _pack(
        bytes.fromhex(doc.get("hwaddr", "").replace(":", "")),
        bytes.fromhex(client_id.replace(":", "")) if client_id else None,
        valid,
        int(doc["expire"]) - valid,
        int(doc.get("subnet_id", 0)),
        doc.get("hostname", "") or "",
        int(doc.get("state", 0)),
        bool(doc.get("fqdn_fwd", False)),
        bool(doc.get("fqdn_rev", False)),
        doc.get("user_context"),
    )


def _pack(
    hwaddr: bytes | None,
    client_id: bytes | None,
    valid: int,
    cltt: int,
    subnet_id: int,
    hostname: str,
    state: int,
    fqdn_fwd: bool,
    fqdn_rev: bool,
    user_context: Any,
) -> bytes:
    hwaddr = bytes(hwaddr or b"")
    cid = bytes(client_id) if client_id else b""
    host = text_bytes(hostname, "hostname")
    flags = (_F_FWD if fqdn_fwd else 0) | (_F_REV if fqdn_rev else 0) | (_F_CID if cid else 0)
    context = b""
    if user_context:
        flags |= _F_CTX
        context = context_bytes(user_context)
    if len(hwaddr) > 20:
        raise ValueError("hardware address of %d bytes (at most 20)" % len(hwaddr))
    if len(cid) > 255:
        raise ValueError("client-id of %d bytes (at most 255)" % len(cid))
    if len(host) > 0xFFFF:
        raise ValueError("hostname of %d bytes" % len(host))
    try:
        head = _HEAD.pack(cltt, valid, subnet_id, state, flags)
    except struct.error as exc:
        raise ValueError(
            "lease field out of range (cltt %r, valid_lifetime %r, subnet_id %r, state %r): %s"
            % (cltt, valid, subnet_id, state, exc)
        ) from exc
    return b"".join(
        (
            head,
            bytes((len(hwaddr),)),
            hwaddr,
            bytes((len(cid),)),
            cid,
            len(host).to_bytes(2, "big"),
            host,
            context,
        )
    )


def unpack_record(address: int, record: bytes) -> Lease4:
    cltt, valid, subnet_id, state, flags = _HEAD.unpack_from(record)
    offset = _HEAD_SIZE + 1 + record[_HEAD_SIZE]
    hwaddr = record[_HEAD_SIZE + 1 : offset]
    cid_len = record[offset]
    client_id = record[offset + 1 : offset + 1 + cid_len] if flags & _F_CID else None
    offset += 1 + cid_len
    host_len = record[offset] << 8 | record[offset + 1]
    offset += 2
    hostname = record[offset : offset + host_len].decode("utf-8") if host_len else ""
    context = json.loads(record[offset + host_len :]) if flags & _F_CTX else None
    return Lease4(
        address,
        hwaddr,
        client_id,
        valid,
        cltt,
        subnet_id,
        hostname,
        state,
        bool(flags & _F_FWD),
        bool(flags & _F_REV),
        context,
    )


def _hwaddr_key(record: bytes) -> bytes | None:
    return record[_HEAD_SIZE + 1 : _HEAD_SIZE + 1 + record[_HEAD_SIZE]] or None


def _client_id_key(record: bytes) -> bytes | None:
    if not record[_HEAD_SIZE - 1] & _F_CID:
        return None
    offset = _HEAD_SIZE + 1 + record[_HEAD_SIZE]
    return record[offset + 1 : offset + 1 + record[offset]] or None


def _hostname_key(record: bytes) -> str | None:
    offset = _HEAD_SIZE + 1 + record[_HEAD_SIZE]
    offset += 1 + record[offset]
    length = record[offset] << 8 | record[offset + 1]
    if not length:
        return None
    return record[offset + 2 : offset + 2 + length].decode("utf-8").lower()


def record_expire(record: bytes) -> int:
    cltt, valid, _, _, _ = _HEAD.unpack_from(record)
    return cltt + valid


def record_subnet(record: bytes) -> int:
    return _HEAD.unpack_from(record)[2]


def _expiry_key(record: bytes) -> tuple[int, int, int]:
    cltt, valid, subnet_id, state, _ = _HEAD.unpack_from(record)
    return (
        RECLAIMED if state == STATE_EXPIRED_RECLAIMED else ACTIVE,
        (cltt + valid) >> BUCKET_SHIFT,
        subnet_id,
    )


def encode_put(lease: Lease4) -> bytes:
    """`encode_record({"op": "put", "lease": lease.to_doc()})`, byte for byte, without building the
    document: the one record every ACK writes. Leases with unusual field types take that general path."""
    address, hwaddr, client_id, hostname = lease.address, lease.hwaddr, lease.client_id, lease.hostname
    valid, cltt, fwd, rev = lease.valid_lifetime, lease.cltt, lease.fqdn_fwd, lease.fqdn_rev
    if not (
        type(address) is int
        and type(valid) is int
        and type(cltt) is int
        and type(lease.subnet_id) is int
        and type(lease.state) is int
        and type(fwd) is bool
        and type(rev) is bool
        and type(hostname) is str
        and type(hwaddr) is bytes
        and (client_id is None or type(client_id) is bytes)
    ):
        body = _compact_json({"op": "put", "lease": lease.to_doc()}).encode("utf-8")
        return b"%08x %s\n" % (zlib.crc32(body), body)
    context = lease.user_context
    body = (
        _PUT
        % (
            address >> 24 & 255,
            address >> 16 & 255,
            address >> 8 & 255,
            address & 255,
            hwaddr.hex(":"),
            client_id.hex(":") if client_id is not None else "",
            valid,
            cltt + valid,
            lease.subnet_id,
            "true" if fwd else "false",
            "true" if rev else "false",
            _json_string(hostname),
            lease.state,
            ',"user_context":' + _compact_json(context) if context else "",
        )
    ).encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(body), body)


class Lease4Format(RecordFormat[Lease4]):
    name = "lease4"
    ip_version = 4
    key_bits = 32
    # DHCPv4 lease files predate the header's "records" key: they carry none, and stay as they were.
    snapshot_tag = None
    keys_offset = _HEAD_SIZE - 1  # the flags byte (client-id present) and everything after it
    indexes = {"hwaddr": _hwaddr_key, "client_id": _client_id_key, "hostname": _hostname_key}

    # The module's functions themselves, not methods wrapping them: the store calls them on every put and
    # read, and a wrapper would cost a call each time.
    check_key = staticmethod(check_address)
    pack = staticmethod(pack_record)
    unpack = staticmethod(unpack_record)
    expiry_key = staticmethod(_expiry_key)
    expire = staticmethod(record_expire)
    subnet = staticmethod(record_subnet)
    from_doc = staticmethod(Lease4.from_doc)
    pack_document = staticmethod(pack_document)
    journal_put = staticmethod(encode_put)
    text = staticmethod(int_to_ip)
    parse_key = staticmethod(ip_to_int)


LEASE4 = Lease4Format()
