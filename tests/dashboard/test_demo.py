"""`make demo-dashboard` works: run it in its --check mode (the page and /metrics through its forwarder)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.dashboard.helpers import free_port

pytestmark = [pytest.mark.lab, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def test_the_dashboard_demo_serves_its_page_to_this_machine(lab_ready: None) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.lab.demo_dashboard", "--check", "--port", str(free_port())],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dhclient (laptop)" in done.stdout and "dhclient (printer)" in done.stdout
    assert "lease(s) in the summary" in done.stdout and done.stdout.rstrip().endswith("lab torn down")
