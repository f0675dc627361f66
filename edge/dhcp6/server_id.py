"""The server's DUID (server-id, option 2): made from `server-id` in the configuration, kept across restarts.

Kea 2.2's behaviour, confirmed in the lab (tests/lab/kea6-observed.md):
- The default is DUID-LLT: hardware type 1 and the MAC of one of the host's interfaces, the time in seconds
  since 2000-01-01 UTC (RFC 8415 s11.2) at the moment it was first made.
- With `persist` (the default) it is written to `kea-dhcp6-serverid` in the data directory as lowercase
  colon hex without a newline, and read back at the next start, so clients renewing after a restart still
  find the server they were talking to. `persist: false` writes nothing.
- Parts the configuration leaves unset are chosen when the DUID is first made: the MAC, the time, ISC's
  enterprise number 2495 and six random bytes for DUID-EN. A stored DUID is kept only while it still fits
  the configuration (same type, and the same identifier, time, htype or enterprise where configured).

The file is written crash-safely (edge/fsio.py: temporary file, fsync, rename).
"""

from __future__ import annotations

import logging
import os
import struct

from edge.dhcp6.model import ServerId
from edge.fsio import write_atomically
from edge.wire.duid import (
    DUID_EN,
    DUID_LL,
    DUID_LLT,
    HTYPE_ETHERNET,
    duid_en,
    duid_ll,
    duid_llt,
    parse_duid,
    unix_to_duid_time,
)
from edge.wire.errors import DecodeError

__all__ = ["SERVER_ID_FILE", "load_server_id", "make_server_id"]

log = logging.getLogger("edge.dhcp6")

SERVER_ID_FILE = "kea-dhcp6-serverid"
ISC_ENTERPRISE = 2495
_TYPES = {"LLT": DUID_LLT, "EN": DUID_EN, "LL": DUID_LL}


def make_server_id(spec: ServerId, now: float, hwaddr: bytes, htype: int = HTYPE_ETHERNET) -> bytes:
    """A fresh DUID from `spec`, filling its unset parts from the host (`hwaddr`, `htype`) and `now`."""
    kind = spec.type.upper()
    if kind == "EN":
        identifier = spec.identifier or os.urandom(6)
        return bytes(duid_en(spec.enterprise_id or ISC_ENTERPRISE, identifier))
    lladdr = spec.identifier or hwaddr
    if not lladdr:
        raise ValueError("no link-layer address to make a DUID-%s from (no interface with a MAC)" % kind)
    hw = spec.htype or htype or HTYPE_ETHERNET
    if kind == "LL":
        return bytes(duid_ll(lladdr, hw))
    if kind != "LLT":
        raise ValueError("server-id type %r is not LLT, EN or LL" % spec.type)
    return bytes(duid_llt(lladdr, spec.time or unix_to_duid_time(now), hw))


def _fits(duid: bytes, spec: ServerId) -> bool:
    """May a stored DUID stand for `spec`? Same type, and the parts the configuration sets."""
    try:
        parsed = parse_duid(duid)
    except DecodeError:
        return False
    kind = _TYPES.get(spec.type.upper())
    if parsed[0] != kind:
        return False
    if kind == DUID_LLT:
        _, htype, time, lladdr = parsed
        return (
            (not spec.identifier or lladdr == spec.identifier)
            and (not spec.time or time == spec.time)
            and (not spec.htype or htype == spec.htype)
        )
    if kind == DUID_LL:
        _, htype, lladdr = parsed
        return (not spec.identifier or lladdr == spec.identifier) and (not spec.htype or htype == spec.htype)
    _, enterprise, identifier = parsed
    return (not spec.identifier or identifier == spec.identifier) and (
        not spec.enterprise_id or enterprise == spec.enterprise_id
    )


def _read(path: str) -> bytes | None:
    try:
        with open(path, encoding="ascii") as stream:
            text = stream.read(1024).strip()
    except (OSError, UnicodeError):
        return None
    try:
        duid = bytes.fromhex(text.replace(":", ""))
    except ValueError:
        log.warning("DHCP6_SERVERID_BAD %s does not hold a DUID in hex; making a new one", path)
        return None
    return duid if 3 <= len(duid) <= 128 else None


def load_server_id(
    spec: ServerId, data_directory: str, now: float, hwaddr: bytes, htype: int = HTYPE_ETHERNET
) -> bytes:
    """The server's DUID: the stored one when it still fits `spec`, else a new one (stored when
    `spec.persist`). A store that cannot be written is logged; the DUID is still used."""
    path = os.path.join(data_directory, SERVER_ID_FILE)
    if spec.persist:
        stored = _read(path)
        if stored is not None and _fits(stored, spec):
            log.info("DHCP6_USING_SERVERID server is using server-id %s from %s", stored.hex(":"), path)
            return stored
    duid = make_server_id(spec, now, hwaddr, htype)
    if spec.persist:
        try:
            os.makedirs(data_directory, exist_ok=True)
            write_atomically(path, duid.hex(":"), 0o644)
            log.info(
                "DHCP6_USING_SERVERID server is using server-id %s and stored it in %s", duid.hex(":"), path
            )
        except OSError as exc:
            log.error("DHCP6_SERVERID_WRITE_FAIL cannot store server-id in %s: %s", path, exc)
    return duid


def llt_time(duid: bytes) -> int | None:
    """The time field of a DUID-LLT (seconds since 2000-01-01), None for other types."""
    if len(duid) >= 8 and duid[:2] == b"\x00\x01":
        return int(struct.unpack_from("!I", duid, 4)[0])
    return None
