"""The same commands to Kea 2.2 and to edge-dhcp: the same result codes, the same answer shapes, and the
same texts where Kea's are part of the interface people script against.

Kea runs as Debian ships it (kea-dhcp4 2.2 with its libdhcp_lease_cmds and libdhcp_stat_cmds hooks), in a
temporary directory, with a unix control socket and no interfaces: no packet leaves the process. Skipped
(not passed) where Kea or its hooks are not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.control.client import send_unix
from tests.control.helpers import Running, start

HOOKS = Path("/usr/lib/x86_64-linux-gnu/kea/hooks")
KEA = shutil.which("kea-dhcp4") or "/usr/sbin/kea-dhcp4"
SUBNET = {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.20"}]}
MAC = "1a:1b:1c:1d:1e:1f"


def hook(name: str) -> Path:
    for directory in (HOOKS, *Path("/usr/lib").glob("*/kea/hooks")):
        if (directory / name).exists():
            return directory / name
    pytest.skip(f"Kea hook {name} is not installed")


@pytest.fixture(scope="module")
def kea(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not os.path.exists(KEA):
        pytest.skip("kea-dhcp4 is not installed")
    d = tmp_path_factory.mktemp("kea")
    sock = d / "kea4.sock"
    config = {
        "Dhcp4": {
            "interfaces-config": {"interfaces": [], "dhcp-socket-type": "udp"},
            "control-socket": {"socket-type": "unix", "socket-name": str(sock)},
            "lease-database": {
                "type": "memfile",
                "persist": True,
                "name": str(d / "leases4.csv"),
                "lfc-interval": 0,
            },
            "hooks-libraries": [
                {"library": str(hook("libdhcp_lease_cmds.so"))},
                {"library": str(hook("libdhcp_stat_cmds.so"))},
            ],
            "valid-lifetime": 4000,
            "subnet4": [SUBNET],
            "loggers": [
                {"name": "kea-dhcp4", "output_options": [{"output": str(d / "kea.log")}], "severity": "WARN"}
            ],
        }
    }
    (d / "kea.json").write_text(json.dumps(config))
    env = {**os.environ, "KEA_PIDFILE_DIR": str(d), "KEA_LOCKFILE_DIR": str(d)}
    proc = subprocess.Popen(
        [KEA, "-c", str(d / "kea.json")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"kea-dhcp4 did not start: {(d / 'kea.log').read_text() if (d / 'kea.log').exists() else ''}"
                )
            time.sleep(0.05)
        yield sock
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = start(tmp_path_factory.mktemp("edge"), **{"valid-lifetime": 4000, "subnet4": [SUBNET]})
    yield running
    running.stop()


def both(kea: Path, edge: Running, command: str, arguments: dict[str, Any] | None = None) -> tuple[Any, Any]:
    request: dict[str, Any] = {"command": command}
    if arguments is not None:
        request["arguments"] = arguments
    return send_unix(str(kea), request, 10), send_unix(str(edge.sock), request, 10)


# (command, arguments, compare): "text" = same result and text; "result" = same result code (the message
# wording differs, e.g. Kea's parser positions); "shape" = same result, text and argument keys.
BATTERY: list[tuple[str, dict[str, Any] | None, str]] = [
    (
        "lease4-add",
        {
            "ip-address": "192.0.2.11",
            "hw-address": MAC,
            "hostname": "h1.example.org",
            "client-id": "01:02:03",
        },
        "text",
    ),
    ("lease4-add", {"ip-address": "192.0.2.11", "hw-address": MAC}, "text"),
    ("lease4-add", {"ip-address": "192.0.3.11", "hw-address": MAC}, "text"),
    ("lease4-add", {"ip-address": "192.0.2.13", "hw-address": MAC, "subnet-id": 7}, "text"),
    ("lease4-add", {"ip-address": "192.0.2.12"}, "result"),
    ("lease4-add", {"ip-address": 5, "hw-address": MAC}, "result"),
    ("lease4-get", {"ip-address": "192.0.2.11"}, "shape"),
    ("lease4-get", {"ip-address": "192.0.2.99"}, "text"),
    ("lease4-get", {"identifier-type": "hw-address", "identifier": MAC, "subnet-id": 1}, "shape"),
    ("lease4-get", {"identifier-type": "client-id", "identifier": "01:02:03", "subnet-id": 1}, "shape"),
    ("lease4-get", {"identifier-type": "hw-address", "identifier": MAC}, "text"),
    ("lease4-get-all", None, "shape"),
    ("lease4-get-all", {"subnets": [1]}, "shape"),
    ("lease4-get-all", {"subnets": [5]}, "shape"),
    ("lease4-get-all", {"subnets": 5}, "result"),
    ("lease4-get-page", {"from": "start", "limit": 1}, "shape"),
    ("lease4-get-page", {"from": "192.0.2.11", "limit": 1}, "shape"),
    ("lease4-get-page", {"from": "start", "limit": 0}, "text"),
    ("lease4-get-page", {"from": "bad", "limit": 3}, "text"),
    ("lease4-get-page", {"from": "start"}, "result"),
    ("lease4-get-by-hw-address", {"hw-address": MAC}, "shape"),
    ("lease4-get-by-hw-address", {"hw-address": "1a:1b:1c:1d:1e:00"}, "shape"),
    ("lease4-get-by-hw-address", {}, "result"),
    ("lease4-get-by-client-id", {"client-id": "01:02:03"}, "shape"),
    ("lease4-get-by-hostname", {"hostname": "H1.example.org"}, "shape"),
    ("lease4-get-by-hostname", {"hostname": ""}, "text"),
    ("lease4-update", {"ip-address": "192.0.2.11", "hw-address": MAC, "hostname": "new.example.org"}, "text"),
    ("lease4-update", {"ip-address": "192.0.2.19", "hw-address": MAC}, "result"),
    ("lease4-update", {"ip-address": "192.0.2.19", "hw-address": MAC, "force-create": True}, "text"),
    ("lease4-del", {"ip-address": "192.0.2.19"}, "text"),
    ("lease4-del", {"ip-address": "192.0.2.19"}, "text"),
    ("lease4-del", {"ip-address": "192.0.2.11", "update-ddns": "yes"}, "result"),
    ("lease4-wipe", {"subnet-id": 1}, "text"),
    ("lease4-wipe", {"subnet-id": 1}, "text"),
    ("statistic-get", {"name": "nope"}, "shape"),
    ("statistic-get", {}, "result"),
    ("statistic-get", {"name": 5}, "result"),
    ("statistic-reset", {"name": "pkt4-received"}, "text"),
    ("statistic-reset", {"name": "nope"}, "text"),
    ("statistic-remove", {"name": "pkt4-nak-sent"}, "text"),
    ("statistic-remove", {"name": "pkt4-nak-sent"}, "text"),
    ("statistic-reset-all", None, "text"),
    ("dhcp-disable", {"max-period": 0}, "result"),
    ("dhcp-disable", {"max-period": "x"}, "result"),
    ("dhcp-disable", {"origin": "user"}, "text"),
    ("dhcp-enable", None, "text"),
    ("dhcp-enable", {"origin": "bogus"}, "text"),
    ("leases-reclaim", {"remove": True}, "text"),
    ("leases-reclaim", {}, "result"),
    ("config-test", {}, "text"),
    ("config-write", {"filename": 5}, "result"),
    ("no-such-command", None, "text"),
]


def test_same_answers_as_kea_2_2(kea: Path, edge: Running) -> None:
    differences = []
    for command, arguments, compare in BATTERY:
        theirs, ours = both(kea, edge, command, arguments)
        label = f"{command} {json.dumps(arguments)}"
        if theirs["result"] != ours["result"]:
            differences.append(
                f"{label}: result Kea {theirs['result']} edge {ours['result']}: {ours.get('text')}"
            )
            continue
        if compare in ("text", "shape") and theirs.get("text") != ours.get("text"):
            differences.append(f"{label}: text Kea {theirs.get('text')!r} edge {ours.get('text')!r}")
        if compare == "shape" and shape(theirs.get("arguments")) != shape(ours.get("arguments")):
            differences.append(
                f"{label}: arguments Kea {theirs.get('arguments')} edge {ours.get('arguments')}"
            )
    assert not differences, "\n".join(differences)


def shape(value: Any) -> Any:
    """Keys and types, recursively; lease values compared where they do not depend on the clock."""
    if isinstance(value, dict):
        return {
            key: (
                item
                if key
                in (
                    "ip-address",
                    "hw-address",
                    "subnet-id",
                    "hostname",
                    "state",
                    "count",
                    "client-id",
                    "valid-lft",
                )
                else shape(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def test_status_get_and_statistics_shapes(kea: Path, edge: Running) -> None:
    theirs, ours = both(kea, edge, "status-get")
    assert set(theirs["arguments"]) == set(ours["arguments"])
    assert theirs["arguments"]["sockets"] == ours["arguments"]["sockets"] == {"status": "ready"}
    theirs, ours = both(kea, edge, "statistic-get", {"name": "pkt4-received"})
    ((their_value, their_stamp),) = theirs["arguments"]["pkt4-received"][:1]
    ((our_value, our_stamp),) = ours["arguments"]["pkt4-received"]
    assert type(their_value) is type(our_value) and len(their_stamp) == len(our_stamp)


def test_commands_are_kea_commands(kea: Path, edge: Running) -> None:
    theirs, ours = both(kea, edge, "list-commands")
    ours_only = set(ours["arguments"]) - set(theirs["arguments"])
    assert ours_only == {"config-hash-get", "stats-recount", "events-get"}  # Kea 2.4's, and edge-dhcp's own
