"""Moving leases from Kea 2.2 to edge-dhcp and back, with the real kea-dhcp4.

Kea (no interfaces, memfile, the lease_cmds hook on a unix control socket) is given leases with
everything its CSV has to escape or encode: a hostname with a comma and an ampersand, a user context,
a declined lease without a hardware address, an expired-reclaimed lease, an infinite lifetime, and a
lease deleted again (a deletion row). Its lease file goes through `edge-dhcp leases import`, then
`edge-dhcp leases export` writes a CSV that a fresh Kea loads; Kea's own lease4-get-all must then answer
exactly what it answered at the start.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

KEA = shutil.which("kea-dhcp4") or "/usr/sbin/kea-dhcp4"
HOOK = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(KEA) and os.path.exists(HOOK)),
    reason="kea-dhcp4 2.2 with the lease_cmds hook is not installed",
)

SUBNETS = [
    {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.200"}]},
    {"id": 7, "subnet": "198.51.100.0/24", "pools": [{"pool": "198.51.100.10 - 198.51.100.99"}]},
]


class Kea:
    def __init__(self, directory: Path, lease_file: Path) -> None:
        self.dir = directory
        self.socket = directory / "ctrl.sock"
        config = {
            "Dhcp4": {
                "interfaces-config": {"interfaces": []},
                "control-socket": {"socket-type": "unix", "socket-name": str(self.socket)},
                "lease-database": {
                    "type": "memfile",
                    "persist": True,
                    "name": str(lease_file),
                    "lfc-interval": 0,
                },
                "hooks-libraries": [{"library": HOOK}],
                "subnet4": SUBNETS,
                "loggers": [
                    {"name": "kea-dhcp4", "output_options": [{"output": "stdout"}], "severity": "INFO"}
                ],
            }
        }
        (directory / "kea.json").write_text(json.dumps(config))
        self.log = directory / "kea.log"
        env = dict(os.environ, KEA_PIDFILE_DIR=str(directory), KEA_LOCKFILE_DIR=str(directory))
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [KEA, "-c", str(directory / "kea.json")], stdout=out, stderr=subprocess.STDOUT, env=env
            )
        deadline = time.monotonic() + 20
        while "DHCP4_STARTED" not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("kea-dhcp4 did not start:\n" + self.log.read_text())
            time.sleep(0.05)

    def command(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {"command": command}
        if arguments is not None:
            message["arguments"] = arguments
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(10)
            conn.connect(str(self.socket))
            conn.sendall(json.dumps(message).encode())
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        return json.loads(data)

    def leases(self) -> list[dict[str, Any]]:
        answer = self.command("lease4-get-all")
        return sorted(answer.get("arguments", {}).get("leases", []), key=lambda x: x["ip-address"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def edge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
    )


def test_leases_move_from_kea_to_edge_and_back(tmp_path):
    first_dir, second_dir = tmp_path / "kea1", tmp_path / "kea2"
    first_dir.mkdir()
    second_dir.mkdir()
    kea_csv = first_dir / "leases4.csv"
    kea = Kea(first_dir, kea_csv)
    try:
        adds = [
            {
                "ip-address": "192.0.2.50",
                "hw-address": "1a:1b:1c:1d:1e:1f",
                "client-id": "01:1a:1b:1c:1d:1e:1f",
                "hostname": "a,b&c.example.org",
                "valid-lft": 3600,
                "user-context": {"k": "v,w", "n": [1, 2]},
            },
            {"ip-address": "192.0.2.51", "hw-address": "2a:1b:1c:1d:1e:1f", "valid-lft": 600},
            {"ip-address": "192.0.2.52", "hw-address": "", "state": 1, "valid-lft": 86400},
            {
                "ip-address": "192.0.2.53",
                "hw-address": "3a:1b:1c:1d:1e:1f",
                "state": 2,
                "valid-lft": 100,
                "fqdn-fwd": True,
                "fqdn-rev": True,
                "hostname": "x.example.org.",
            },
            {
                "ip-address": "198.51.100.20",
                "hw-address": "4a:1b:1c:1d:1e:1f",
                "valid-lft": 4294967295,
                "client-id": "ff:00:00:00:01:00:01:2a:2b:2c:2d:2e:2f:30:31",
            },
        ]
        for lease in adds:
            assert kea.command("lease4-add", lease)["result"] == 0, lease
        assert kea.command("lease4-del", {"ip-address": "192.0.2.51"})["result"] == 0
        original = kea.leases()
    finally:
        kea.stop()
    assert len(original) == 4
    assert ",0," in kea_csv.read_text().splitlines()[-1]  # Kea's deletion row (valid_lifetime 0)

    conf = tmp_path / "edge.json"
    conf.write_text(
        json.dumps(
            {
                "Dhcp4": {
                    "lease-database": {"type": "memfile", "name": str(tmp_path / "edge-leases.json")},
                    "subnet4": SUBNETS,
                }
            }
        )
    )
    out = edge("leases", "import", "--format", "kea-csv", str(kea_csv), "-c", str(conf))
    assert out.returncode == 0, out.stderr
    assert "4 lease(s) imported" in out.stdout
    out = edge("leases", "export", "--format", "json", "-c", str(conf))
    assert sorted(json.loads(out.stdout)["leases"], key=lambda x: x["ip-address"]) == original

    back_csv = second_dir / "leases4.csv"
    out = edge("leases", "export", "--format", "kea-csv", "-c", str(conf), "-o", str(back_csv))
    assert out.returncode == 0, out.stderr
    kea = Kea(second_dir, back_csv)
    try:
        assert kea.leases() == original
    finally:
        kea.stop()
