"""Fixtures for the control-channel tests (see helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.control.helpers import Running, start
from tests.lab.fixtures import lab, lab_ready, resolv_conf_guard  # noqa: F401 - lab tests use them


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """serve(**dhcp4) starts a server (stopped at teardown) with a unix control socket in tmp_path."""
    started: list[Running] = []

    def make(**kwargs: Any) -> Running:
        running = start(tmp_path, **kwargs)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()
