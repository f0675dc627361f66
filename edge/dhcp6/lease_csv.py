"""DHCPv6 lease interchange: Kea 2.2's lease6 memfile CSV and Kea's lease6-get-all JSON, both ways, and the
v6 tables of import and export formats (`edge-dhcp leases import/export` of a Dhcp6 configuration; the
machinery they plug into is edge/leases/interchange.py).

Rules (Kea 2.2's CSVLeaseFile6, read in its source; the rows confirmed against kea-dhcp6 2.2 in
tests/lab/kea6-observed.md):
- Columns: address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len,
  fqdn_fwd, fqdn_rev, hostname, hwaddr, state, user_context, hwtype, hwaddr_source. Found by the header:
  a file needs at least the columns up to hostname (Kea's minimum); missing later columns take Kea's
  defaults (state 0, no hardware address, hwtype 1, hwaddr_source 0), extra columns (Kea 2.4's pool_id)
  are ignored.
- Values as Kea writes them: the address or prefix in RFC 5952 text; DUID and hardware address as colon
  hex; lease_type 0 IA_NA / 1 IA_TA / 2 IA_PD; expire = cltt + valid_lifetime; booleans 1/0; hostname and
  user_context escaped ("," as "&#x2c", "&" as "&#x26"); hwtype and hwaddr_source written only with a
  hardware address. The user context is written the way Kea's Element::str() renders JSON.
- A row with valid_lifetime 0 is Kea's "this lease was released/deleted": it removes the address's lease.
  A declined lease is an ordinary row (DUID "00", pref_lifetime 0, state 1). Only a declined lease may
  carry the empty DUID (Kea refuses the row otherwise). A hardware address Kea could not read makes Kea
  drop the address and keep the lease; so do we, with a warning naming the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from edge.dhcp6.lease import (
    EMPTY_DUID,
    STATE_DECLINED,
    STATE_DEFAULT,
    TYPE_NAMES,
    TYPE_PD,
    Lease6,
    address_text,
    lease_type,
    parse_address,
)
from edge.dhcp6.lease_record import LEASE6, MAX_DUID
from edge.leases.interchange import (
    Item,
    Parser,
    Removal,
    Row,
    RowError,
    Writer,
    kea_escape,
    kea_json_parser,
    kea_json_writer,
    parse_bool,
    parse_hex,
    parse_int,
    read_kea_csv,
    tinydb_parser,
)

KEA_CSV6_COLUMNS = (
    "address",
    "duid",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "pref_lifetime",
    "lease_type",
    "iaid",
    "prefix_len",
    "fqdn_fwd",
    "fqdn_rev",
    "hostname",
    "hwaddr",
    "state",
    "user_context",
    "hwtype",
    "hwaddr_source",
)
_REQUIRED = KEA_CSV6_COLUMNS[: KEA_CSV6_COLUMNS.index("hostname") + 1]  # Kea's minimum: up to hostname
KEA_MAX_DUID = 128  # Kea's DUID::MAX_DUID_LEN: what a Kea file can hold


def _address(text: str) -> int:
    try:
        address = parse_address(text)
    except ValueError:
        raise ValueError("address %r is not an IPv6 address" % text) from None
    if address == 0 or address == (1 << 128) - 1:
        raise ValueError("address %s cannot be leased" % text)
    return address


def kea_json(value: Any) -> str:
    """JSON as Kea's Element::str() writes it: `{ "a": 1, "b": [ 1, 2 ] }`, map keys in order."""
    if isinstance(value, dict):
        return "{ %s }" % ", ".join(
            "%s: %s" % (json.dumps(str(k)), kea_json(v)) for k, v in sorted(value.items())
        )
    if isinstance(value, list | tuple):
        return "[ %s ]" % ", ".join(kea_json(v) for v in value)
    return json.dumps(value)


# ------------------------------------------------------------------------------------------- Kea CSV


def parse_kea_csv6(stream: TextIO, source: str) -> Iterator[Item]:
    """Kea 2.x memfile CSV (leases6.csv)"""
    return read_kea_csv(stream, _REQUIRED, "Kea DHCPv6 lease file", _kea_csv6_row)


def _kea_csv6_row(number: int, row: dict[str, str]) -> tuple[Item, ...]:
    address = _address(row["address"])
    valid = parse_int(row["valid_lifetime"], "valid_lifetime")
    if valid == 0:
        return (Removal(number, address),)  # Kea's "this lease was released (or deleted)"
    expire = parse_int(row["expire"], "expire", 0, 2**63 - 1)
    if expire < valid:
        raise ValueError("expire %d is before the valid lifetime %d could have started" % (expire, valid))
    state = parse_int(row.get("state") or "0", "state", 0, 255)
    duid_text = row["duid"].strip()
    if not duid_text:
        raise ValueError("empty duid (a declined lease has duid 00)")
    duid = parse_hex(duid_text, "duid", KEA_MAX_DUID)
    if duid == EMPTY_DUID and state != STATE_DECLINED:
        raise ValueError("the empty DUID (00) is only valid for declined leases")
    kind = parse_int(row["lease_type"], "lease_type", 0, 2)
    prefix_len = parse_int(row["prefix_len"], "prefix_len", 0, 128)
    context = None
    context_text = row.get("user_context", "").strip()
    if context_text:
        try:
            context = json.loads(context_text)
        except ValueError as exc:
            raise ValueError("user_context is not JSON: %s" % exc) from None
        if not isinstance(context, dict):
            raise ValueError("user_context is not a JSON object")
    warning = None
    hwaddr = b""
    hwtype = parse_int(row.get("hwtype") or "1", "hwtype", 0, 0xFFFF)
    source = parse_int(row.get("hwaddr_source") or "0", "hwaddr_source")
    if row.get("hwaddr", "").strip():
        try:
            hwaddr = parse_hex(row["hwaddr"], "hwaddr", 20)
        except ValueError as exc:
            warning = RowError(number, "warning: %s; the lease is kept without it (as Kea does)" % exc)
    lease = Lease6(
        address,
        duid=duid,
        iaid=parse_int(row["iaid"], "iaid"),
        lease_type=kind,
        prefix_len=prefix_len,
        preferred_lifetime=parse_int(row["pref_lifetime"], "pref_lifetime"),
        valid_lifetime=valid,
        cltt=expire - valid,
        subnet_id=parse_int(row["subnet_id"], "subnet_id"),
        hwaddr=hwaddr,
        hwtype=hwtype if hwaddr else 1,
        hwaddr_source=source if hwaddr else 0,
        hostname=row["hostname"],
        state=state,
        fqdn_fwd=parse_bool(row["fqdn_fwd"], "fqdn_fwd"),
        fqdn_rev=parse_bool(row["fqdn_rev"], "fqdn_rev"),
        user_context=context or None,
    )
    return (warning, Row(number, lease)) if warning is not None else (Row(number, lease),)


def write_kea_csv6(leases: Iterable[Lease6], out: TextIO) -> int:
    out.write(",".join(KEA_CSV6_COLUMNS) + "\n")
    count = 0
    for lease in leases:
        hw = bool(lease.hwaddr)
        out.write(
            ",".join(
                (
                    address_text(lease.address),
                    lease.duid.hex(":"),
                    str(lease.valid_lifetime),
                    str(lease.expire),
                    str(lease.subnet_id),
                    str(lease.preferred_lifetime),
                    str(lease.lease_type),
                    str(lease.iaid),
                    str(lease.prefix_len),
                    "1" if lease.fqdn_fwd else "0",
                    "1" if lease.fqdn_rev else "0",
                    kea_escape(lease.hostname),
                    lease.hwaddr.hex(":") if hw else "",
                    str(lease.state),
                    kea_escape(kea_json(lease.user_context)) if lease.user_context else "",
                    str(lease.hwtype) if hw else "",
                    str(lease.hwaddr_source) if hw else "",
                )
            )
            + "\n"
        )
        count += 1
    return count


# ------------------------------------------------------------------------------------------- Kea JSON


def lease6_to_kea(lease: Lease6) -> dict[str, Any]:
    """A lease as Kea 2.2's lease6-get answers it (Lease6::toElement): prefix-len only for IA_PD,
    hw-address only when there is one, user-context when set."""
    out: dict[str, Any] = {"ip-address": address_text(lease.address), "type": lease.type_name}
    if lease.lease_type == TYPE_PD:
        out["prefix-len"] = lease.prefix_len
    out.update(
        {
            "iaid": lease.iaid,
            "duid": lease.duid.hex(":"),
            "subnet-id": lease.subnet_id,
            "cltt": lease.cltt,
            "preferred-lft": lease.preferred_lifetime,
            "valid-lft": lease.valid_lifetime,
            "fqdn-fwd": lease.fqdn_fwd,
            "fqdn-rev": lease.fqdn_rev,
            "hostname": lease.hostname,
        }
    )
    if lease.hwaddr:
        out["hw-address"] = lease.hwaddr.hex(":")
    out["state"] = lease.state
    if lease.user_context:
        out["user-context"] = lease.user_context
    return out


def lease6_from_kea(obj: Any) -> Lease6:
    """The inverse of lease6_to_kea; ValueError naming the field that is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("a lease must be a JSON object")
    for name in ("ip-address", "duid", "iaid"):
        if name not in obj:
            raise ValueError('no "%s"' % name)
    numbers = {}
    for name, default in (
        ("iaid", 0),
        ("valid-lft", 0),
        ("preferred-lft", 0),
        ("cltt", 0),
        ("subnet-id", 0),
        ("state", STATE_DEFAULT),
        ("prefix-len", 128),
    ):
        value = obj.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError('"%s" must be an integer' % name)
        numbers[name] = value
    kind = lease_type(obj.get("type", "IA_NA"))
    context = obj.get("user-context")
    if context is not None and not isinstance(context, dict):
        raise ValueError('"user-context" must be an object')
    return Lease6(
        _address(str(obj["ip-address"])),
        duid=parse_hex(str(obj["duid"]), "duid", MAX_DUID),
        iaid=numbers["iaid"],
        lease_type=kind,
        prefix_len=numbers["prefix-len"] if kind == TYPE_PD else 128,
        preferred_lifetime=numbers["preferred-lft"],
        valid_lifetime=numbers["valid-lft"],
        cltt=numbers["cltt"],
        subnet_id=numbers["subnet-id"],
        hwaddr=parse_hex(str(obj.get("hw-address", "")), "hw-address", 20),
        hostname=str(obj.get("hostname", "") or ""),
        state=numbers["state"],
        fqdn_fwd=bool(obj.get("fqdn-fwd", False)),
        fqdn_rev=bool(obj.get("fqdn-rev", False)),
        user_context=context or None,
    )


IMPORT_FORMATS6: dict[str, Parser] = {
    "kea-csv": parse_kea_csv6,
    "tinydb": tinydb_parser(LEASE6),
    "json": kea_json_parser(lease6_from_kea, "6"),
}


EXPORT_FORMATS6: dict[str, Writer] = {
    "kea-csv": write_kea_csv6,
    "json": kea_json_writer(lease6_to_kea),
}

__all__ = [
    "EXPORT_FORMATS6",
    "IMPORT_FORMATS6",
    "KEA_CSV6_COLUMNS",
    "TYPE_NAMES",
    "kea_json",
    "lease6_from_kea",
    "lease6_to_kea",
    "parse_kea_csv6",
    "write_kea_csv6",
]
