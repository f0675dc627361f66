"""PostgreSQL access on Kea 2.2's own schema, for every store that reads or writes it (the lease4 store,
the hosts tables): connection keywords from Kea's database keys, the schema version check, and messages
scrubbed of the password.

Rules this module keeps:
- Kea's keys (name, host, port, user, password, connect-timeout) map to psycopg 3's keywords; a missing
  host means the driver's default (the local unix socket), as in Kea.
- The schema must be the one `kea-admin db-init pgsql` of Kea 2.2 creates (schema_version 13.0); another
  version, or none, is refused with a message saying what to run.
- The password goes to the driver as a keyword and never into a message: every driver error text is
  scrubbed of it before it is raised or logged, and nothing here has a repr carrying it.
- psycopg is imported only when a connection is made: a server without SQL databases never loads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SCHEMA_VERSION", "PgSqlAccess", "connect_kwargs"]

SCHEMA_VERSION = (13, 0)  # Kea 2.2's pgsql schema (dhcpdb_create.pgsql, kea-admin db-init pgsql)


def connect_kwargs(params: Mapping[str, Any]) -> dict[str, Any]:
    """psycopg.connect keywords from Kea's database keys (name, host, port, user, password,
    connect-timeout)."""
    out: dict[str, Any] = {"dbname": params.get("name") or "", "autocommit": False}
    for key, kw in (("host", "host"), ("user", "user"), ("password", "password")):
        if params.get(key):
            out[kw] = str(params[key])
    if params.get("port"):
        out["port"] = int(params["port"])
    out["connect_timeout"] = int(params.get("connect-timeout") or 5)
    return out


class PgSqlAccess:
    """Connections to one database for one user of it; failures raise `error` with a scrubbed message.
    `key` names the configuration key the database comes from (for the hint when psycopg is missing)."""

    def __init__(self, params: Mapping[str, Any], error: type[Exception], key: str) -> None:
        self._secret = str(params.get("password") or "")
        self._kwargs = connect_kwargs(params)
        self.error = error
        self.key = key
        self.where = "PostgreSQL database %r" % self._kwargs["dbname"]

    def __repr__(self) -> str:
        return "<PgSqlAccess %s>" % self.where

    def scrub(self, exc: BaseException) -> str:
        text = str(exc).strip() or type(exc).__name__
        if self._secret:
            text = text.replace(self._secret, "*****")
        return text

    def connect(self) -> Any:
        try:
            import psycopg
        except ImportError as exc:
            raise self.error(
                '%s type "postgresql" needs psycopg 3 (pip install "psycopg[binary]")' % self.key
            ) from exc
        try:
            return psycopg.connect(**self._kwargs)
        except Exception as exc:  # noqa: BLE001 - the driver's message, scrubbed, says why
            raise self.error("cannot connect to the %s: %s" % (self.where, self.scrub(exc))) from None

    def check_schema(self, conn: Any) -> None:
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT version, minor FROM schema_version")
                row = cur.fetchone()
            conn.rollback()
        except Exception as exc:  # noqa: BLE001
            raise self.error(
                "the %s has no Kea schema (%s); create it with `kea-admin db-init pgsql`"
                % (self.where, self.scrub(exc))
            ) from None
        found = (int(row[0]), int(row[1])) if row else None
        if found != SCHEMA_VERSION:
            shown = "%d.%d" % found if found else "none"
            raise self.error(
                "the %s has Kea schema version %s; edge-dhcp uses Kea 2.2's %d.%d "
                "(`kea-admin db-upgrade pgsql` to upgrade an older one)"
                % ((self.where, shown) + SCHEMA_VERSION)
            )

    def open(self) -> Any:
        """A connection whose schema was checked (closed again if the check fails)."""
        conn = self.connect()
        try:
            self.check_schema(conn)
        except BaseException:
            conn.close()
            raise
        return conn
