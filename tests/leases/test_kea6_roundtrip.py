"""Moving DHCPv6 leases from Kea 2.2 to edge-dhcp and back, with the real kea-dhcp6.

Kea (no interfaces, memfile, the lease_cmds hook on a unix control socket) is given v6 leases with what
its lease6 CSV has to escape or encode: a hostname with a comma and an ampersand, a user context, a
hardware address, a delegated prefix, a declined address, an expired-reclaimed lease, and a lease deleted
again (a deletion row). Its lease file goes through `edge-dhcp leases import` of a Dhcp6 configuration,
then `edge-dhcp leases export` writes a CSV that a fresh Kea loads; Kea's own lease6-get-all must then
answer exactly what it answered at the start, and our JSON export must say the same.
"""

from __future__ import annotations

import ipaddress
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

KEA = shutil.which("kea-dhcp6") or "/usr/sbin/kea-dhcp6"
HOOK = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(KEA) and os.path.exists(HOOK)),
    reason="kea-dhcp6 2.2 with the lease_cmds hook is not installed",
)

SUBNETS = [
    {
        "id": 1,
        "subnet": "2001:db8:1::/64",
        "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
        "pd-pools": [{"prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56}],
    },
    {"id": 7, "subnet": "2001:db8:7::/64", "pools": [{"pool": "2001:db8:7::10 - 2001:db8:7::99"}]},
]


class Kea6:
    def __init__(self, directory: Path, lease_file: Path) -> None:
        self.socket = directory / "ctrl.sock"
        config = {
            "Dhcp6": {
                "interfaces-config": {"interfaces": []},
                "data-directory": str(directory),
                "server-id": {
                    "type": "EN",
                    "enterprise-id": 2495,
                    "identifier": "0102030405",
                    "persist": False,
                },
                "control-socket": {"socket-type": "unix", "socket-name": str(self.socket)},
                "lease-database": {
                    "type": "memfile",
                    "persist": True,
                    "name": str(lease_file),
                    "lfc-interval": 0,
                },
                "hooks-libraries": [{"library": HOOK}],
                "subnet6": SUBNETS,
                "loggers": [
                    {"name": "kea-dhcp6", "output_options": [{"output": "stdout"}], "severity": "INFO"}
                ],
            }
        }
        (directory / "kea6.json").write_text(json.dumps(config))
        self.log = directory / "kea6.log"
        env = dict(os.environ, KEA_PIDFILE_DIR=str(directory), KEA_LOCKFILE_DIR=str(directory))
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [KEA, "-c", str(directory / "kea6.json")], stdout=out, stderr=subprocess.STDOUT, env=env
            )
        deadline = time.monotonic() + 20
        while "DHCP6_STARTED" not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("kea-dhcp6 did not start:\n" + self.log.read_text())
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
        answer = self.command("lease6-get-all")
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


def test_v6_leases_move_from_kea_to_edge_and_back(tmp_path):
    first_dir, second_dir = tmp_path / "kea1", tmp_path / "kea2"
    first_dir.mkdir()
    second_dir.mkdir()
    kea_csv = first_dir / "leases6.csv"
    kea = Kea6(first_dir, kea_csv)
    try:
        adds = [
            {
                "ip-address": "2001:db8:1::100",
                "duid": "00:03:00:01:1a:1b:1c:1d:1e:1f",
                "iaid": 1,
                "hw-address": "1a:1b:1c:1d:1e:1f",
                "hostname": "a,b&c.example.org",
                "fqdn-fwd": True,
                "fqdn-rev": True,
                "valid-lft": 3600,
                "preferred-lft": 1800,
                "user-context": {"k": "v,w", "n": [1, 2]},
            },
            {
                "ip-address": "2001:db8:8000:100::",
                "type": "IA_PD",
                "prefix-len": 56,
                "subnet-id": 1,  # Kea: "allowed for address leases only, not prefix leases" without it
                "duid": "00:01:00:01:2a:2b:2c:2d:02:00:00:00:00:02",
                "iaid": 9,
                "valid-lft": 7200,
                "preferred-lft": 3600,
            },
            {"ip-address": "2001:db8:1::101", "duid": "01:02:03", "iaid": 2, "valid-lft": 600},
            {
                "ip-address": "2001:db8:1::102",
                "duid": "00:00",
                "iaid": 3,
                "state": 1,
                "valid-lft": 86400,
                "preferred-lft": 0,
            },
            {
                "ip-address": "2001:db8:7::10",
                "duid": "00:02:00:00:09:bf:aa:bb",
                "iaid": 4294967295,
                "state": 2,
                "valid-lft": 4294967295,
            },
        ]
        for lease in adds:
            answer = kea.command("lease6-add", lease)
            assert answer["result"] == 0, (lease, answer)
        assert kea.command("lease6-del", {"ip-address": "2001:db8:1::101"})["result"] == 0
        original = kea.leases()
    finally:
        kea.stop()
    assert len(original) == 4
    rows = kea_csv.read_text().splitlines()
    assert rows[0].startswith("address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid")
    assert rows[-1].split(",")[2] == "0"  # Kea's deletion row (valid_lifetime 0)

    conf = tmp_path / "edge6.json"
    conf.write_text(
        json.dumps(
            {
                "Dhcp6": {
                    "lease-database": {"type": "memfile", "name": str(tmp_path / "dhcp6.leases")},
                    "subnet6": SUBNETS,
                }
            }
        )
    )
    out = edge("leases", "import", "--format", "kea-csv", str(kea_csv), "-c", str(conf))
    assert out.returncode == 0, out.stderr
    assert "4 lease(s) imported" in out.stdout
    out = edge("leases", "export", "--format", "json", "-c", str(conf))
    assert out.returncode == 0, out.stderr
    assert sorted(json.loads(out.stdout)["leases"], key=lambda x: x["ip-address"]) == original

    back_csv = second_dir / "leases6.csv"
    out = edge("leases", "export", "--format", "kea-csv", "-c", str(conf), "-o", str(back_csv))
    assert out.returncode == 0, out.stderr
    # Row for row what Kea wrote (its last row per address, the deleted one gone), in address order.
    last = {row.split(",")[0]: row for row in rows[1:]}
    kept = sorted(
        (row for row in last.values() if row.split(",")[2] != "0"),
        key=lambda r: ipaddress.ip_address(r.split(",")[0]),
    )
    assert back_csv.read_text().splitlines() == [rows[0], *kept]
    kea = Kea6(second_dir, back_csv)
    try:
        assert kea.leases() == original
    finally:
        kea.stop()
