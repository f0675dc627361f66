"""Disk full: no ACK for a lease that could not be recorded, counted and logged, and the server recovers by
itself when space returns; a compaction on the full disk fails cleanly.

A real full disk: a 256 KiB tmpfs mounted in a private mount namespace (`unshare -m`) that only the
scenario process (tests/leases/diskfull_scenario.py) sees. Needs root; skipped otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="needs root and unshare(1) to mount a small tmpfs in a private mount namespace",
)
def test_disk_full_refuses_acks_counts_them_and_recovers(tmp_path):
    target = tmp_path / "disk"
    target.mkdir()
    out = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            sys.executable,
            "-m",
            "tests.leases.diskfull_scenario",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
        cwd=os.getcwd(),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    state = json.loads(out.stdout.strip().splitlines()[-1])
    assert not os.listdir(target)  # the tmpfs never existed out here
    assert state["refused_lease_in_memory"] is False  # nothing applied that was not recorded
    assert state["second_try_acked"] is False and state["journal_unchanged"] is True
    assert state["write_errors"] >= 2 and state["receive_drops"] >= 2
    assert state["compaction_failures_while_full"] == 1 and state["logged_lfc_fail"]
    assert state["acked_after_space_returned"] is True
    assert state["logged_fail"] and state["logged_recovered"]
    assert state["lost"] == [] and state["acked"] >= 4
    assert state["no_temporaries"]
