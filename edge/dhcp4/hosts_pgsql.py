"""DHCPv4 host reservations from Kea 2.2's PostgreSQL hosts tables (`hosts`, `dhcp4_options`; the schema
`kea-admin db-init pgsql` creates), so a Kea user's `hosts-database` of type "postgresql" is served.

Row reading (as Kea 2.2's pgsql_host_data_source reads a DHCPv4 host):
- hosts: dhcp_identifier (BYTEA) of dhcp_identifier_type 0 hw-address, 1 duid, 2 circuit-id, 3 client-id,
  4 flex-id; dhcp4_subnet_id (0: a global reservation; NULL or 4294967295, Kea's "unused": not a DHCPv4
  host); ipv4_address (BIGINT, 0 or NULL: none); hostname; dhcp4_client_classes (comma separated);
  dhcp4_next_server (BIGINT, 0: none), dhcp4_server_hostname, dhcp4_boot_file_name; user_context (JSON).
- dhcp4_options with scope_id 3 ("host") and the host's host_id: code, space (NULL: dhcp4), persistent
  (always-send), formatted_value (Kea's csv text) or, when that is empty, value (the wire bytes).

Each host becomes a document in the Kea reservation syntax, with "subnet-id" and its host_id as
"doc-id", and is validated by the same code as a `reservations` entry of the configuration (a bad row is
a HostsDatabaseError naming the database, the host_id and the problem; nothing is half-loaded).

Theory of operation: read once when the configuration is applied (start-up, config-set/reload), like the
TinyDB hosts file: the engine's lookups stay index lookups on the loop thread, and a slow or dead database
never delays an answer. A reservation inserted into the tables later is seen after the next reload; Kea
reads the tables on each lookup (read-through is a later slice).
"""

from __future__ import annotations

import json
from typing import Any

from edge.config.model import HostsDatabase
from edge.leases.pgsql import PgSqlAccess
from edge.policy.hosts import HostsDatabaseError
from edge.wire.addr import int_to_ip

__all__ = ["IDENTIFIER_TYPES", "host_document", "read_host_documents4"]

IDENTIFIER_TYPES = {0: "hw-address", 1: "duid", 2: "circuit-id", 3: "client-id", 4: "flex-id"}
SUBNET_ID_UNUSED = 0xFFFFFFFF
HOST_SCOPE = 3

_HOSTS = (
    "SELECT host_id, dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname, "
    "dhcp4_client_classes, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name, user_context "
    "FROM hosts WHERE dhcp4_subnet_id IS NOT NULL AND dhcp4_subnet_id <> %d ORDER BY host_id"
    % SUBNET_ID_UNUSED
)
_OPTIONS = (
    "SELECT host_id, code, value, formatted_value, space, persistent FROM dhcp4_options "
    "WHERE scope_id = %d AND host_id IS NOT NULL ORDER BY option_id" % HOST_SCOPE
)


def _hex(data: bytes) -> str:
    return ":".join("%02x" % b for b in data)


def host_document(row: tuple[Any, ...], options: list[tuple[Any, ...]]) -> dict[str, Any]:
    """One hosts row (the columns of _HOSTS) and its option rows as a reservation document."""
    (host_id, ident, ident_type, subnet_id, address, hostname, classes, next_server, sname, bfile, ctx) = row
    doc: dict[str, Any] = {"doc-id": str(host_id), "subnet-id": int(subnet_id)}
    kind = IDENTIFIER_TYPES.get(int(ident_type))
    if kind is None:
        doc["unknown-identifier-type"] = int(ident_type)  # refused by the reservation parser, with host_id
    else:
        doc[kind] = _hex(bytes(ident or b""))
    if address:
        doc["ip-address"] = int_to_ip(int(address))
    if hostname:
        doc["hostname"] = hostname
    if classes:
        doc["client-classes"] = [c.strip() for c in classes.split(",") if c.strip()]
    if next_server:
        doc["next-server"] = int_to_ip(int(next_server))
    if sname:
        doc["server-hostname"] = sname
    if bfile:
        doc["boot-file-name"] = bfile
    if ctx:
        try:
            doc["user-context"] = json.loads(ctx)
        except ValueError:
            doc["user-context"] = ctx  # refused by the reservation parser (not a map), with host_id
    data = []
    for _host, code, value, formatted, space, persistent in options:
        entry: dict[str, Any] = {"code": int(code), "space": space or "dhcp4"}
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


def read_host_documents4(db: HostsDatabase) -> list[dict[str, Any]]:
    """Every DHCPv4 host of the database as a reservation document; HostsDatabaseError when the database
    cannot be reached, has no Kea 2.2 schema, or cannot be read."""
    access = PgSqlAccess(dict(db.params), HostsDatabaseError, "hosts-database")
    conn = access.open()
    try:
        with conn.cursor() as cur:
            cur.execute(_HOSTS)
            hosts = cur.fetchall()
            cur.execute(_OPTIONS)
            option_rows = cur.fetchall()
        conn.rollback()
    except Exception as exc:  # noqa: BLE001 - the driver's message, scrubbed, says why
        raise HostsDatabaseError(
            "cannot read the hosts of the %s: %s" % (access.where, access.scrub(exc))
        ) from None
    finally:
        conn.close()
    by_host: dict[int, list[tuple[Any, ...]]] = {}
    for option in option_rows:
        by_host.setdefault(int(option[0]), []).append(option)
    return [host_document(row, by_host.get(int(row[0]), [])) for row in hosts]
