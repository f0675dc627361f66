"""Fixtures for the dashboard tests: a DHCPv4 service with the dashboard on a loopback HTTP listener."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.helpers import DashboardServer
from tests.lab.fixtures import lab, lab_ready, resolv_conf_guard  # noqa: F401 - the lab tests use them


@pytest.fixture
def dash(tmp_path: Path) -> Iterator[Callable[..., DashboardServer]]:
    """dash(http={...}, **dhcp4) starts a server with the dashboard (stopped at teardown)."""
    started: list[DashboardServer] = []

    def make(**kwargs: Any) -> DashboardServer:
        server = DashboardServer(tmp_path, **kwargs)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
