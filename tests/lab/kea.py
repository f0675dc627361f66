"""ISC Kea (kea-dhcp4) as a reference DHCPv4 server in a lab namespace.

Rules this module keeps:
- Kea writes only inside the lab's temp dir: its config, its memfile lease CSV, and (through
  KEA_PIDFILE_DIR / KEA_LOCKFILE_DIR) its pid and logger lock files. No control socket, no LFC
  (lfc-interval 0), logging to stdout (captured by Lab.popen).
- The config is built as a Python dict in Kea's own dialect, so a test reads like the Kea documentation.

Theory of operation:
`KeaServer(...).start()` writes the config, starts kea-dhcp4 in the server namespace and waits for its
DHCP4_STARTED log line (or fails with Kea's output if it exits first). `leases()` reads the memfile CSV;
Kea appends a line per change, so the last line per address is the current state and a line with
valid_lifetime 0 means the lease was released.
"""

from __future__ import annotations

import csv
import itertools
import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.lab.netns import Lab, LabError, Proc

KEA_DHCP4 = "kea-dhcp4"
_ids = itertools.count(1)


def available() -> bool:
    return shutil.which(KEA_DHCP4) is not None or Path("/usr/sbin/kea-dhcp4").exists()


def subnet(
    subnet_id: int,
    cidr: str,
    pool: str,
    *,
    routers: str | None = None,
    dns: str | None = None,
    domain: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One `subnet4` entry with the usual options."""
    options = []
    for name, value in (("routers", routers), ("domain-name-servers", dns), ("domain-name", domain)):
        if value is not None:
            options.append({"name": name, "data": value})
    return {"id": subnet_id, "subnet": cidr, "pools": [{"pool": pool}], "option-data": options, **extra}


class KeaServer:
    def __init__(
        self,
        lab: Lab,
        ns: str,
        *,
        interfaces: Sequence[str],
        subnets: Sequence[dict[str, Any]],
        socket_type: str = "raw",
        valid_lifetime: int = 120,
        renew_timer: int | None = None,
        rebind_timer: int | None = None,
        debug: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.lab = lab
        self.ns = ns
        self.dir = lab.tmp / f"kea-{next(_ids)}"
        self.dir.mkdir()
        self.config_path = self.dir / "kea-dhcp4.json"
        self.lease_path = self.dir / "kea-leases4.csv"
        dhcp4: dict[str, Any] = {
            "interfaces-config": {"interfaces": list(interfaces), "dhcp-socket-type": socket_type},
            "lease-database": {
                "type": "memfile",
                "persist": True,
                "name": str(self.lease_path),
                "lfc-interval": 0,
            },
            "valid-lifetime": valid_lifetime,
            "store-extended-info": True,
            "subnet4": list(subnets),
            "loggers": [
                {
                    "name": "kea-dhcp4",
                    "output_options": [{"output": "stdout", "flush": True}],
                    "severity": "DEBUG" if debug else "INFO",
                    "debuglevel": 50 if debug else 0,
                }
            ],
        }
        if renew_timer is not None:
            dhcp4["renew-timer"] = renew_timer
        if rebind_timer is not None:
            dhcp4["rebind-timer"] = rebind_timer
        dhcp4.update(extra or {})
        self.config = {"Dhcp4": dhcp4}
        self.proc: Proc | None = None

    def start(self, timeout: float = 20.0) -> KeaServer:
        self.config_path.write_text(json.dumps(self.config, indent=2))
        env = {"KEA_PIDFILE_DIR": str(self.dir), "KEA_LOCKFILE_DIR": str(self.dir)}
        self.proc = self.lab.popen(
            self.ns, [KEA_DHCP4, "-c", str(self.config_path)], env=env, name="kea-dhcp4"
        )
        deadline = time.monotonic() + timeout
        while "DHCP4_STARTED" not in self.proc.output():
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                self.proc.stop()
                raise LabError(f"kea-dhcp4 did not start; output:\n{self.proc.output()}")
            time.sleep(0.05)
        return self

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""

    def lease_rows(self) -> list[dict[str, str]]:
        """Every line of the memfile, oldest first."""
        try:
            with open(self.lease_path, newline="") as handle:
                return list(csv.DictReader(handle))
        except FileNotFoundError:
            return []

    def leases(self) -> dict[str, dict[str, str]]:
        """Current leases by address: the last line per address, minus released ones."""
        current: dict[str, dict[str, str]] = {}
        for row in self.lease_rows():
            current[row["address"]] = row
        return {a: r for a, r in current.items() if r.get("valid_lifetime") not in ("0", None)}

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def __enter__(self) -> KeaServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
