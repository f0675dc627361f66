"""edge-dhcp's DHCPv6 server in a lab namespace, run exactly as tests/lab/kea6.py runs kea-dhcp6.

Rules this module keeps:
- `Edge6Server` takes the Kea runner's arguments and builds the same Kea-dialect `{"Dhcp6": ...}` file (it
  is a Kea6Server whose process is `python -m edge serve -c FILE` from this checkout), so one scenario plays
  against either server unchanged: the side-by-side harness.
- What the scenarios read back reads the same: `server_id()` from `kea-dhcp6-serverid` in the data
  directory, `command()` over the unix control socket, `statistics()` from statistic-get-all, and
  `lease_rows()` as Kea's lease6 CSV would have them — one row per change, written by edge-dhcp's own Kea
  CSV writer (edge/dhcp6/lease_csv.py) from the lease journal; a deleted lease is a row with lifetimes 0,
  as Kea's memfile writes a release.
- Start-up is waited for on the log (DHCP6_STARTED), never slept.
- For durability tests: `stop()` is SIGTERM and waits for the exit (a clean shutdown: the store writes its
  snapshot) and returns the exit code; `kill()` is SIGKILL to the process we started (no shutdown at all:
  the journal alone must carry the leases); `restart()` starts it again in the same directory, from the
  same configuration, lease file and server-id file.
"""

from __future__ import annotations

import io
import json
import signal
import sys
import time
from typing import Any

from edge.dhcp6.lease import Lease6
from edge.dhcp6.lease_csv import write_kea_csv6
from edge.leases.journal import decode_line
from tests.lab.edge import REPO_ROOT
from tests.lab.kea6 import Kea6Server
from tests.lab.netns import LabError


class Edge6Server(Kea6Server):
    name = "edge-dhcp"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config_path = self.dir / "edge-dhcp6.json"
        self.lease_path = self.dir / "dhcp6.leases"
        self.config["Dhcp6"]["lease-database"] = {
            "type": "memfile",
            "persist": True,
            "name": str(self.lease_path),
            "lfc-interval": 0,
        }

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "edge", "serve", "-c", str(self.config_path)]

    def start(self, timeout: float = 20.0) -> Edge6Server:
        self.config_path.write_text(json.dumps(self.config, indent=2))
        env = {"PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
        self.proc = self.lab.popen(self.ns, self.argv(), env=env, name="edge-dhcp6")
        deadline = time.monotonic() + timeout
        while "DHCP6_STARTED" not in self.proc.output():
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                self.proc.stop()
                raise LabError(f"edge-dhcp (v6) did not start; output:\n{self.proc.output()}")
            time.sleep(0.05)
        return self

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait for the exit (SIGKILL only after `timeout`); the exit code (None if never started)."""
        if self.proc is None:
            return None
        return self.proc.stop(timeout)

    def kill(self) -> int | None:
        """SIGKILL the server process (a crash: no shutdown, nothing flushed); its exit code."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(10)

    def restart(self, timeout: float = 20.0) -> Edge6Server:
        """Start again (stopping first if it still runs) on the same directory, config and lease file."""
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        return self.start(timeout)

    def check_config(self) -> tuple[int, str]:
        self.config_path.write_text(json.dumps(self.config, indent=2))
        argv = [sys.executable, "-m", "edge", "check", "-c", str(self.config_path)]
        done = self.lab.run(self.ns, argv, check=False, env={"PYTHONPATH": str(REPO_ROOT)})
        return done.returncode, done.stdout + done.stderr

    def _csv(self, leases: list[Lease6]) -> str:
        out = io.StringIO()
        write_kea_csv6(leases, out)
        return out.getvalue()

    def lease_rows(self) -> list[dict[str, str]]:
        """The journal's changes, oldest first, as rows of Kea's lease6 CSV."""
        import csv

        journal = self.lease_path.with_name(self.lease_path.name + ".journal")
        try:
            lines = journal.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        last: dict[str, Lease6] = {}
        history: list[Lease6] = []
        for line in lines:
            try:
                record = decode_line(line)
            except ValueError:
                continue
            if record["op"] == "put":
                lease = Lease6.from_doc(record["lease"])
                last[str(record["lease"].get("address"))] = lease
                history.append(lease)
            else:
                gone = last.pop(str(record["address"]), None)
                if gone is not None:
                    released = gone.copy()
                    released.preferred_lifetime = released.valid_lifetime = 0
                    history.append(released)
        return list(csv.DictReader(io.StringIO(self._csv(history))))

    def lease_header(self) -> list[str]:
        return self._csv([]).strip().split(",")
