"""Fixtures shared across test directories: a throw-away PostgreSQL server (one per test process) and a
fresh database in it with Kea 2.2's schema for each test that asks (tests/leases/pgsql.py does the work)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.leases.pgsql import AVAILABLE, NOT_AVAILABLE, kea_database, pg_server


@pytest.fixture(scope="session")
def pgsql_server() -> Iterator[str]:
    """The socket directory of a PostgreSQL server started for this test process (stopped at its end)."""
    if not AVAILABLE:
        pytest.skip(NOT_AVAILABLE)
    with pg_server() as sock:
        yield sock


@pytest.fixture
def kea_pgsql(pgsql_server: str) -> dict[str, Any]:
    """A fresh database made by `kea-admin db-init pgsql`, as Kea's database parameters."""
    return kea_database(pgsql_server)
