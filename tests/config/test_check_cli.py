"""`edge-dhcp check` as a user runs it: a subprocess per broken file. Every one must exit 1, print no
traceback, and name the expected position and key path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BROKEN = Path(__file__).parent / "broken"
EXAMPLES = Path(__file__).parents[2] / "examples"

# file -> "LINE:COL: PATH" (or "LINE:COL:" when the problem has no key path) of the first error line
EXPECTED = {
    "bad-option-data.json": "4:48: Dhcp4.option-data[0].data",
    "binary-garbage.json": "3:5: not UTF-8 text",
    "control-characters.json": "1:28: Dhcp4.server-tag",
    "deep-nesting.json": "1:65: [0][0]",
    "duplicate-key.json": "5:5: Dhcp4.valid-lifetime",
    "duplicate-subnet-id.json": "5:15: Dhcp4.subnet4[1].id",
    "empty.json": "1:1: the configuration is empty",
    "huge-number.json": "3:23: Dhcp4.valid-lifetime",
    "include-missing.json": "3:5: Dhcp4",
    "inconsistent-timers.json": "8:24: Dhcp4.subnet4[0].renew-timer",
    "missing-comma.json": "5:5: Dhcp4",
    "mysql-leases.json": "4:15: Dhcp4.lease-database.type",
    "no-dhcp-section.json": '1:1: no "Dhcp4" or "Dhcp6" section',
    "dhcp4-and-dhcp6.json": "3:3: Dhcp6",
    "dhcp6-pd-pool-delegated-shorter.json": "5:84: Dhcp6.subnet6[0].pd-pools[0].delegated-len",
    "dhcp6-pool-outside-subnet.json": "6:28: Dhcp6.subnet6[0].pools[1].pool",
    "dhcp6-interface-and-interface-id.json": "5:23: Dhcp6.subnet6[0].interface-id",
    "dhcp6-pkt4-in-a-class.json": "4:36: Dhcp6.client-classes[0].test",
    "number-out-of-range.json": "3:23: Dhcp4.valid-lifetime",
    "obsolete-logging.json": "5:3: Logging",
    "only-comments.json": "3:1: the configuration is empty",
    "overlapping-pools.json": "9:21: Dhcp4.subnet4[0].pools[1].pool",
    "pool-outside-subnet.json": "9:21: Dhcp4.subnet4[0].pools[1].pool",
    "reservation-outside-subnet.json": "9:62: Dhcp4.subnet4[0].reservations[1].ip-address",
    "trailing-garbage.json": "2:1: unexpected '}'",
    "unknown-class.json": "5:59: Dhcp4.subnet4[0].client-class",
    "unknown-key.json": "8:9: Dhcp4.subnet4[0].pool",
    "unterminated-string.json": "3:39: Dhcp4.subnet4[0].subnet",
    "wrong-types-everywhere.json": "3:23: Dhcp4.valid-lifetime",
}


def edge_dhcp(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("edge-dhcp")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "edge"]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    return subprocess.run(
        [*command, "check", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_the_corpus_and_the_table_list_the_same_files() -> None:
    assert sorted(p.name for p in BROKEN.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_is_rejected_with_its_position(name: str) -> None:
    result = edge_dhcp("-c", name, cwd=BROKEN)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert "this is a bug" not in output
    first = output.splitlines()[0]
    assert first.startswith(f"{name}:{EXPECTED[name]}"), first


def test_wrong_types_everywhere_reports_each_one() -> None:
    lines = edge_dhcp("-c", "wrong-types-everywhere.json", cwd=BROKEN).stdout.splitlines()
    paths = [line.split(": ")[1] for line in lines[:-1]]
    assert paths == [
        "Dhcp4.valid-lifetime",
        "Dhcp4.authoritative",
        "Dhcp4.interfaces-config",
        "Dhcp4.subnet4",
        "Dhcp4.option-data",
        "Dhcp4.client-classes[0]",
        "Dhcp4.client-classes[1]",
        "Dhcp4.client-classes[2]",
        "Dhcp4.loggers[0].name",
    ]
    assert lines[-1] == "wrong-types-everywhere.json: 9 errors"


def test_directory_and_missing_file(tmp_path: Path) -> None:
    for target, message in ((tmp_path, "is a directory"), (tmp_path / "nope.json", "cannot read")):
        result = edge_dhcp("-c", str(target))
        assert result.returncode == 1
        assert result.stdout.startswith(f"{target}: ")
        assert message in result.stdout and "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_examples_pass_check(name: str) -> None:
    result = edge_dhcp("-c", str(EXAMPLES / name))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "OK"


def test_check_without_a_file_checks_the_built_in_default() -> None:
    result = edge_dhcp()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK (built-in default for ")
