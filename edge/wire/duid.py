"""DHCP Unique Identifiers (RFC 8415 s11): build, parse and print the four DUID types.

Rules this module keeps:
- A DUID is bytes on the wire and in memory: a 16-bit type, then the type's fields.  ``parse_duid``
  returns a tuple that starts with the type; it raises DecodeError("bad-duid") and nothing else.
- Types: 1 LLT (hardware type, time, link-layer address), 2 EN (enterprise number, identifier),
  3 LL (hardware type, link-layer address), 4 UUID (16 octets, RFC 6355).  Any other type parses as
  (type, the remaining bytes), as Kea keeps unknown DUIDs.
- DUID-LLT time is seconds since 2000-01-01 00:00 UTC, modulo 2**32 (DUID_TIME_EPOCH is that moment as a
  Unix time).  Nothing here reads the clock: the caller gives the time.
- Text is Kea's: lower-case hex octets joined by colons ("00:01:00:01:..."), as in its lease files,
  commands and the kea-dhcp6-serverid file; duid_from_text also takes the other hex forms Kea reads.
- Kea accepts DUIDs of 1 to 128 octets (KEA_MAX_DUID_LEN); RFC 8415 s11.1 allows 130.  Checking the length
  is the caller's choice (duid_length_ok), not the parser's.
- MicroPython subset: no annotations, f-strings, dataclasses or enum.
"""

import struct

from edge.wire.errors import DecodeError, OptionTextError
from edge.wire.types import hex_to_bytes

DUID_LLT = 1
DUID_EN = 2
DUID_LL = 3
DUID_UUID = 4

DUID_TYPE_NAMES = {DUID_LLT: "LLT", DUID_EN: "EN", DUID_LL: "LL", DUID_UUID: "UUID"}

DUID_TIME_EPOCH = 946684800  # 2000-01-01T00:00:00Z as a Unix time (RFC 8415 s11.2)
HTYPE_ETHERNET = 1
KEA_MAX_DUID_LEN = 128
RFC_MAX_DUID_LEN = 130


def _u16(n, what):
    if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > 0xFFFF:
        raise ValueError("%s %r is not in 0..65535" % (what, n))
    return n


def _u32(n, what):
    if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > 0xFFFFFFFF:
        raise ValueError("%s %r is not in 0..4294967295" % (what, n))
    return n


def _raw(b, what):
    if not isinstance(b, (bytes, bytearray)):
        raise ValueError("%s must be bytes, not %r" % (what, type(b)))
    return bytes(b)


def duid_llt(lladdr, time, htype=HTYPE_ETHERNET):
    """DUID-LLT from a link-layer address and the DUID time (seconds since 2000, see unix_to_duid_time)."""
    return struct.pack("!HHI", DUID_LLT, _u16(htype, "hardware type"), _u32(time, "DUID time")) + _raw(
        lladdr, "link-layer address"
    )


def duid_en(enterprise, identifier):
    """DUID-EN from an enterprise number and the vendor's identifier bytes."""
    return struct.pack("!HI", DUID_EN, _u32(enterprise, "enterprise number")) + _raw(identifier, "identifier")


def duid_ll(lladdr, htype=HTYPE_ETHERNET):
    """DUID-LL from a link-layer address."""
    return struct.pack("!HH", DUID_LL, _u16(htype, "hardware type")) + _raw(lladdr, "link-layer address")


def duid_uuid(uuid):
    """DUID-UUID from 16 UUID octets (RFC 6355)."""
    uuid = _raw(uuid, "UUID")
    if len(uuid) != 16:
        raise ValueError("a UUID is 16 octets, not %d" % len(uuid))
    return struct.pack("!H", DUID_UUID) + uuid


def unix_to_duid_time(unix_seconds):
    """A Unix time -> DUID-LLT time (seconds since 2000-01-01 UTC, modulo 2**32)."""
    return (int(unix_seconds) - DUID_TIME_EPOCH) & 0xFFFFFFFF


def parse_duid(duid):
    """DUID bytes -> (DUID_LLT, htype, time, lladdr) | (DUID_EN, enterprise, identifier) |
    (DUID_LL, htype, lladdr) | (DUID_UUID, uuid) | (other type, rest).  DecodeError("bad-duid")."""
    if not isinstance(duid, (bytes, bytearray, memoryview)):
        raise DecodeError("bad-duid", "a DUID must be bytes")
    duid = bytes(duid)
    n = len(duid)
    if n < 2:
        raise DecodeError("bad-duid", "a DUID of %d octets has no type" % n)
    kind = (duid[0] << 8) | duid[1]
    if kind == DUID_LLT:
        if n < 8:
            raise DecodeError("bad-duid", "DUID-LLT needs at least 8 octets, has %d" % n)
        htype, time = struct.unpack_from("!HI", duid, 2)
        return (DUID_LLT, htype, time, duid[8:])
    if kind == DUID_EN:
        if n < 6:
            raise DecodeError("bad-duid", "DUID-EN needs at least 6 octets, has %d" % n)
        return (DUID_EN, struct.unpack_from("!I", duid, 2)[0], duid[6:])
    if kind == DUID_LL:
        if n < 4:
            raise DecodeError("bad-duid", "DUID-LL needs at least 4 octets, has %d" % n)
        return (DUID_LL, struct.unpack_from("!H", duid, 2)[0], duid[4:])
    if kind == DUID_UUID:
        if n != 18:
            raise DecodeError("bad-duid", "DUID-UUID is 18 octets, not %d" % n)
        return (DUID_UUID, duid[2:])
    return (kind, duid[2:])


def duid_lladdr(duid):
    """(htype, link-layer address) of a DUID-LLT or DUID-LL, else None (never raises)."""
    try:
        parsed = parse_duid(duid)
    except DecodeError:
        return None
    if parsed[0] == DUID_LLT:
        return (parsed[1], parsed[3])
    if parsed[0] == DUID_LL:
        return (parsed[1], parsed[2])
    return None


def duid_length_ok(duid, limit=KEA_MAX_DUID_LEN):
    """True when 1 <= len(duid) <= limit (Kea's DUID class refuses anything else)."""
    return 1 <= len(duid) <= limit


def duid_to_text(duid):
    """b"\\x00\\x01" -> "00:01" (Kea's text form)."""
    return ":".join(["%02x" % b for b in duid])


def duid_from_text(text):
    """Kea's DUID text ("00:01:...", "0001...", "0x0001...") -> bytes; OptionTextError when not hex or empty."""
    raw = hex_to_bytes(text)
    if not raw:
        raise OptionTextError("a DUID cannot be empty")
    return raw
