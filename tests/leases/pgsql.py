"""A throw-away PostgreSQL server for tests (initdb into a temporary directory, a unix socket only, no
TCP) and databases in it with Kea 2.2's schema made by the real `kea-admin db-init pgsql`. Used by
tests/leases/test_pgsql4.py, tests/dhcp4/test_hosts_pgsql.py, tests/dhcp6/test_hosts_pgsql.py and tests/lab/test_hosts_pgsql.py."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PG_BIN = "/usr/lib/postgresql/15/bin"
PASSWORD = "s3cret-Pa55"
AVAILABLE = os.path.exists(PG_BIN + "/initdb") and shutil.which("kea-admin") is not None
NOT_AVAILABLE = "PostgreSQL 15 server and kea-admin are not installed"

_numbers = itertools.count(1)


def as_postgres(argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run argv as the postgres user when we are root (initdb refuses to run as root)."""
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


@contextmanager
def pg_server() -> Iterator[str]:
    """A PostgreSQL server on a unix socket in a temporary directory; yields its socket directory and
    stops it (immediate mode) and removes the directory afterwards, also when the test failed."""
    base = tempfile.mkdtemp(prefix="edge-pg-%d-" % os.getpid())
    data, sock = os.path.join(base, "data"), os.path.join(base, "sock")
    os.mkdir(sock)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        for path in (base, sock):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    started = False
    try:
        as_postgres([PG_BIN + "/initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"])
        opts = "-c listen_addresses='' -c unix_socket_directories=%s -c fsync=off" % sock
        as_postgres(
            [PG_BIN + "/pg_ctl", "-D", data, "-o", opts, "-w", "-l", os.path.join(base, "log"), "start"]
        )
        started = True
        yield sock
    finally:
        if started:
            as_postgres([PG_BIN + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


def kea_database(sock: str) -> dict[str, Any]:
    """A fresh database with Kea 2.2's schema (kea-admin db-init pgsql) owned by a new password user;
    returns its Kea database parameters (type, name, host, user, password, connect-timeout)."""
    import psycopg

    n = next(_numbers)
    name, user = "kea%d" % n, "edge%d" % n
    with psycopg.connect(host=sock, dbname="postgres", user="postgres", autocommit=True) as admin:
        admin.execute("CREATE USER %s PASSWORD '%s'" % (user, PASSWORD))
        admin.execute("CREATE DATABASE %s OWNER %s" % (name, user))
    subprocess.run(
        ["kea-admin", "db-init", "pgsql", "-h", sock, "-u", user, "-p", PASSWORD, "-n", name],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, PGHOST=sock),
    )
    return {
        "type": "postgresql",
        "name": name,
        "host": sock,
        "user": user,
        "password": PASSWORD,
        "connect-timeout": 5,
    }
