"""DHCPv4 lease interchange: Kea 2.2's lease4 memfile CSV and Kea's lease4-get-all JSON, both ways, and the
v4 tables of import and export formats (`edge-dhcp leases import/export` of a Dhcp4 configuration; the
machinery they plug into is edge/leases/interchange.py).

Rules:
- Kea 2.2's memfile CSV (leases4.csv) both ways: columns address, hwaddr, client_id, valid_lifetime,
  expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context; values escaped as Kea does; a row
  with valid_lifetime 0 deletes the address's lease; columns are found by the header, so older (fewer
  columns) and newer (extra columns) Kea files read too.
- JSON is Kea's lease4-get-all shape ({"leases": [{"ip-address": ..., "hw-address": ..., "valid-lft": ...,
  "cltt": ...}]}), so the same conversion serves the control channel (`lease_to_kea`, `lease_from_kea`).
- IMPORT_FORMATS / EXPORT_FORMATS are the v4 rows; edge/migrate adds ISC dhcpd's and dnsmasq's lease
  files to IMPORT_FORMATS.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from edge.dhcp4.lease import STATE_DECLINED, STATE_DEFAULT, Lease4
from edge.dhcp4.lease_record import LEASE4
from edge.leases.interchange import (
    Item,
    Parser,
    Removal,
    Row,
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
from edge.wire.addr import int_to_ip, ip_to_int

KEA_CSV_COLUMNS = (
    "address",
    "hwaddr",
    "client_id",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "fqdn_fwd",
    "fqdn_rev",
    "hostname",
    "state",
    "user_context",
)
_REQUIRED = KEA_CSV_COLUMNS[:9]  # Kea's minimum: up to hostname


def _address(text: str) -> int:
    try:
        address = ip_to_int(text.strip())
    except ValueError:
        raise ValueError("address %r is not an IPv4 address" % text) from None
    if address in (0, 0xFFFFFFFF):
        raise ValueError("address %s cannot be leased" % text)
    return address


# ------------------------------------------------------------------------------------------- Kea CSV


def parse_kea_csv(stream: TextIO, source: str) -> Iterator[Item]:
    """Kea 2.x memfile CSV (leases4.csv)"""
    return read_kea_csv(stream, _REQUIRED, "Kea DHCPv4 lease file", lambda n, row: (_kea_csv_row(n, row),))


def _kea_csv_row(number: int, row: dict[str, str]) -> Row | Removal:
    address = _address(row["address"])
    valid = parse_int(row["valid_lifetime"], "valid_lifetime")
    if valid == 0:
        return Removal(number, address)  # Kea's "this lease was deleted"
    expire = parse_int(row["expire"], "expire", 0, 2**63 - 1)
    state = parse_int(row.get("state") or "0", "state", 0, 255)
    hwaddr = parse_hex(row["hwaddr"], "hwaddr", 20)
    if not hwaddr and state != STATE_DECLINED:
        raise ValueError("empty hwaddr (Kea allows that only for declined leases)")
    client_id = parse_hex(row["client_id"], "client_id", 255) if row["client_id"].strip() else None
    context_text = row.get("user_context", "").strip()
    context = None
    if context_text:
        try:
            context = json.loads(context_text)
        except ValueError as exc:
            raise ValueError("user_context is not JSON: %s" % exc) from None
        if not isinstance(context, dict):
            raise ValueError("user_context is not a JSON object")
    lease = Lease4(
        address,
        hwaddr=hwaddr,
        client_id=client_id,
        valid_lifetime=valid,
        cltt=expire - valid,
        subnet_id=parse_int(row["subnet_id"], "subnet_id"),
        hostname=row["hostname"],
        state=state,
        fqdn_fwd=parse_bool(row["fqdn_fwd"], "fqdn_fwd"),
        fqdn_rev=parse_bool(row["fqdn_rev"], "fqdn_rev"),
        user_context=context or None,
    )
    return Row(number, lease)


def write_kea_csv(leases: Iterable[Lease4], out: TextIO) -> int:
    out.write(",".join(KEA_CSV_COLUMNS) + "\n")
    count = 0
    for lease in leases:
        context = ""
        if lease.user_context:
            context = kea_escape(json.dumps(lease.user_context, separators=(", ", ": "), ensure_ascii=True))
        out.write(
            ",".join(
                (
                    int_to_ip(lease.address),
                    lease.hwaddr.hex(":"),
                    lease.client_id.hex(":") if lease.client_id else "",
                    str(lease.valid_lifetime),
                    str(lease.expire),
                    str(lease.subnet_id),
                    "1" if lease.fqdn_fwd else "0",
                    "1" if lease.fqdn_rev else "0",
                    kea_escape(lease.hostname),
                    str(lease.state),
                    context,
                )
            )
            + "\n"
        )
        count += 1
    return count


# ------------------------------------------------------------------------------------------- Kea JSON


def lease_to_kea(lease: Lease4) -> dict[str, Any]:
    """A lease as Kea's lease4-get answers it."""
    out: dict[str, Any] = {
        "ip-address": int_to_ip(lease.address),
        "hw-address": lease.hwaddr.hex(":"),
        "valid-lft": lease.valid_lifetime,
        "cltt": lease.cltt,
        "subnet-id": lease.subnet_id,
        "fqdn-fwd": lease.fqdn_fwd,
        "fqdn-rev": lease.fqdn_rev,
        "hostname": lease.hostname,
        "state": lease.state,
    }
    if lease.client_id:
        out["client-id"] = lease.client_id.hex(":")
    if lease.user_context:
        out["user-context"] = lease.user_context
    return out


def lease_from_kea(obj: Any) -> Lease4:
    """The inverse of lease_to_kea; ValueError naming the field that is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("a lease must be a JSON object")
    if "ip-address" not in obj:
        raise ValueError('no "ip-address"')
    valid = obj.get("valid-lft", 0)
    cltt = obj.get("cltt", 0)
    for name, value in (
        ("valid-lft", valid),
        ("cltt", cltt),
        ("subnet-id", obj.get("subnet-id", 0)),
        ("state", obj.get("state", 0)),
    ):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError('"%s" must be an integer' % name)
    context = obj.get("user-context")
    if context is not None and not isinstance(context, dict):
        raise ValueError('"user-context" must be an object')
    client_id = obj.get("client-id") or ""
    return Lease4(
        _address(str(obj["ip-address"])),
        hwaddr=parse_hex(str(obj.get("hw-address", "")), "hw-address", 20),
        client_id=parse_hex(str(client_id), "client-id", 255) if client_id else None,
        valid_lifetime=valid,
        cltt=cltt,
        subnet_id=obj.get("subnet-id", 0),
        hostname=str(obj.get("hostname", "") or ""),
        state=obj.get("state", STATE_DEFAULT),
        fqdn_fwd=bool(obj.get("fqdn-fwd", False)),
        fqdn_rev=bool(obj.get("fqdn-rev", False)),
        user_context=context or None,
    )


IMPORT_FORMATS: dict[str, Parser] = {
    "kea-csv": parse_kea_csv,
    "tinydb": tinydb_parser(LEASE4),
    "json": kea_json_parser(lease_from_kea, "4"),
}


EXPORT_FORMATS: dict[str, Writer] = {
    "kea-csv": write_kea_csv,
    "json": kea_json_writer(lease_to_kea),
}
