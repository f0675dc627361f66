"""Host reservations from Kea 2.2's PostgreSQL hosts tables, for either family: `hosts`, the family's
options table (`dhcp4_options` / `dhcp6_options`) and, for DHCPv6, `ipv6_reservations` (the schema
`kea-admin db-init pgsql` creates), so a Kea user's `hosts-database` of type "postgresql" is served.

Row reading (as Kea 2.2's pgsql_host_data_source reads a host):
- hosts: dhcp_identifier (BYTEA) of dhcp_identifier_type 0 hw-address, 1 duid, 2 circuit-id, 3 client-id,
  4 flex-id; the family's subnet id column (dhcp4_subnet_id / dhcp6_subnet_id; 0: a global reservation;
  NULL or 4294967295, Kea's "unused": not a host of that family); hostname; the family's client classes
  (comma separated); user_context (JSON). DHCPv4 only: ipv4_address (BIGINT, 0 or NULL: none),
  dhcp4_next_server (BIGINT, 0: none), dhcp4_server_hostname, dhcp4_boot_file_name.
- ipv6_reservations (DHCPv6): address and prefix_len of type 0 (an address, IA_NA) or 2 (a prefix, IA_PD).
- the options table, rows with scope_id 3 ("host") and the host's host_id: code, space (NULL: the family's
  top-level space), persistent (always-send), formatted_value (Kea's csv text) or, when that is empty,
  value (the wire bytes).

Each host becomes a document in the Kea reservation syntax, with "subnet-id" and its host_id as
"doc-id", which the family validates with the same code as a `reservations` entry of the configuration (a
bad row is a HostsDatabaseError naming the database, the host_id and the problem; nothing is half-loaded).

Theory of operation: read once when the configuration is applied (start-up, config-set/reload), like the
TinyDB hosts file: the engine's lookups stay index lookups on the loop thread, and a slow or dead database
never delays an answer. A reservation inserted into the tables later is seen after the next reload; Kea
reads the tables on each lookup (read-through is a later slice).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from typing import Any

from edge.config.model import HostsDatabase
from edge.leases.pgsql import PgSqlAccess
from edge.policy.hosts import HostsDatabaseError

__all__ = ["IDENTIFIER_TYPES", "host_document", "read_host_documents"]

IDENTIFIER_TYPES = {0: "hw-address", 1: "duid", 2: "circuit-id", 3: "client-id", 4: "flex-id"}
SUBNET_ID_UNUSED = 0xFFFFFFFF
HOST_SCOPE = 3
IA_NA, IA_PD = 0, 2  # ipv6_reservations.type

_V4_COLUMNS = "ipv4_address, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name"


def _hosts_query(family: int) -> str:
    extra = ", " + _V4_COLUMNS if family == 4 else ""
    return (
        f"SELECT host_id, dhcp_identifier, dhcp_identifier_type, dhcp{family}_subnet_id, hostname, "
        f"dhcp{family}_client_classes, user_context{extra} FROM hosts WHERE dhcp{family}_subnet_id IS NOT NULL "
        f"AND dhcp{family}_subnet_id <> {SUBNET_ID_UNUSED} ORDER BY host_id"
    )


def _options_query(family: int) -> str:
    return (
        "SELECT host_id, code, value, formatted_value, space, persistent FROM dhcp%d_options "
        "WHERE scope_id = %d AND host_id IS NOT NULL ORDER BY option_id" % (family, HOST_SCOPE)
    )


_RESERVATIONS6 = "SELECT host_id, address, prefix_len, type FROM ipv6_reservations ORDER BY reservation_id"


def _hex(data: bytes) -> str:
    return ":".join("%02x" % b for b in data)


def _ip4(value: int) -> str:
    return str(ipaddress.IPv4Address(value))


def host_document(
    family: int,
    row: tuple[Any, ...],
    options: list[tuple[Any, ...]],
    reservations6: Sequence[tuple[Any, ...]] = (),
) -> dict[str, Any]:
    """One hosts row (the columns of the family's hosts query), its option rows and (DHCPv6) its
    ipv6_reservations rows, as a reservation document."""
    host_id, ident, ident_type, subnet_id, hostname, classes, ctx = row[:7]
    doc: dict[str, Any] = {"doc-id": str(host_id), "subnet-id": int(subnet_id)}
    kind = IDENTIFIER_TYPES.get(int(ident_type))
    if kind is None:
        doc["unknown-identifier-type"] = int(ident_type)  # refused by the reservation parser, with host_id
    else:
        doc[kind] = _hex(bytes(ident or b""))
    fields: list[tuple[str, Any]] = []
    if family == 4:
        address, next_server, sname, bfile = row[7:11]
        fields += [
            ("ip-address", _ip4(int(address)) if address else None),
            ("next-server", _ip4(int(next_server)) if next_server else None),
            ("server-hostname", sname),
            ("boot-file-name", bfile),
        ]
    fields += [
        ("ip-addresses", [str(a) for _h, a, _len, kind6 in reservations6 if int(kind6) == IA_NA]),
        ("prefixes", ["%s/%d" % (a, int(n)) for _h, a, n, kind6 in reservations6 if int(kind6) == IA_PD]),
        ("hostname", hostname),
        ("client-classes", [c.strip() for c in (classes or "").split(",") if c.strip()]),
    ]
    doc.update((key, value) for key, value in fields if value)
    if ctx:
        try:
            doc["user-context"] = json.loads(ctx)
        except ValueError:
            doc["user-context"] = ctx  # refused by the reservation parser (not a map), with host_id
    data = []
    for _host, code, value, formatted, space, persistent in options:
        entry: dict[str, Any] = {"code": int(code), "space": space or "dhcp%d" % family}
        if persistent:
            entry["always-send"] = True
        if formatted:
            entry["data"] = formatted
        elif value:
            entry["csv-format"] = False
            entry["data"] = bytes(value).hex()
        data.append(entry)
    if data:
        doc["option-data"] = data
    return doc


def _by_host(rows: Sequence[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    """Rows whose first column is a host_id, grouped by it (in their order)."""
    out: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        out.setdefault(int(row[0]), []).append(row)
    return out


def read_host_documents(db: HostsDatabase, family: int) -> list[dict[str, Any]]:
    """Every host of the family in the database as a reservation document; HostsDatabaseError when the
    database cannot be reached, has no Kea 2.2 schema, or cannot be read."""
    access = PgSqlAccess(dict(db.params), HostsDatabaseError, "hosts-database")
    conn = access.open()
    try:
        with conn.cursor() as cur:
            cur.execute(_hosts_query(family))
            hosts = cur.fetchall()
            cur.execute(_options_query(family))
            option_rows = cur.fetchall()
            resv_rows = []
            if family == 6:
                cur.execute(_RESERVATIONS6)
                resv_rows = cur.fetchall()
        conn.rollback()
    except Exception as exc:  # noqa: BLE001 - the driver's message, scrubbed, says why
        raise HostsDatabaseError(
            "cannot read the hosts of the %s: %s" % (access.where, access.scrub(exc))
        ) from None
    finally:
        conn.close()
    options, reservations = _by_host(option_rows), _by_host(resv_rows)
    return [
        host_document(family, row, options.get(int(row[0]), []), reservations.get(int(row[0]), []))
        for row in hosts
    ]
