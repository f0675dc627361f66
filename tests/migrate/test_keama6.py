"""keama's own DHCPv6 test cases, run through `edge-dhcp migrate dhcpd -6`.

The same buckets as test_keama.py (v4), over keama's v6 data: working cases NAME.in6 (and .inD/.inN,
keama -6 with -D/-N) against NAME.out, compared as Dhcp6 data; error cases NAME.err6 and the dual NAME.err
(keama runs those with -4 and with -6), refused at the line NAME.msg names. The cases come from
../shared/conformance/keama when it holds v6 ones, otherwise from keama/tests in a clone of isc-projects/dhcp
(helpers6.keama6_cases); they are never copied into the repository. The figures are printed at the end.
Every working case's output must also load in edge-dhcp's Dhcp6 loader and pass `kea-dhcp6 -t`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edge.config.errors import ConfigError
from edge.config.jsonpos import parse_text
from edge.dhcp6.config import load_text
from edge.migrate.common import MigrationError
from edge.migrate.dhcpd import translate_file6
from tests.migrate.helpers6 import kea6_check, keama6_cases

FIGURES6: dict[str, Any] = {}  # printed by tests/migrate/conftest.py

Adjust = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def keama6(tmp_path_factory: pytest.TempPathFactory) -> Path:
    found = keama6_cases(tmp_path_factory.mktemp("keama6"))
    if found is None:
        pytest.skip("keama's v6 cases: no ../shared/conformance/keama *.in6 and no isc-projects/dhcp clone")
    return found


def _ddns_flags(d: dict[str, Any]) -> None:
    """keama writes dhcp-ddns.enable-updates (and an empty qualifying-suffix); Kea 2.x's per-scope
    ddns-send-updates / ddns-qualifying-suffix are what the v4 converter writes too."""
    ddns = d.pop("dhcp-ddns")
    if ddns.get("enable-updates"):
        d["ddns-send-updates"] = True
    if ddns.get("qualifying-suffix"):
        d["ddns-qualifying-suffix"] = ddns["qualifying-suffix"]


def _no_empty_pools(d: dict[str, Any]) -> None:
    """keama leaves an empty "pools"/"pd-pools" list where it commented out what it could not
    translate; we write no empty list (the note says what was there)."""
    for s in d["subnet6"]:
        for key in ("pools", "pd-pools"):
            if s.get(key) == []:
                del s[key]


def _global_reservations(d: dict[str, Any]) -> None:
    """As in v4: reservations-global/-in-subnet instead of the deprecated reservation-mode, and no
    hostname from the declaration name unless use-host-decl-names is on."""
    del d["reservation-mode"]
    d["reservations-global"] = True
    d["reservations-in-subnet"] = False
    for r in d["reservations"]:
        r.pop("hostname", None)


ON_PURPOSE: dict[str, Adjust] = {
    "ddnsupdstyle6": _ddns_flags,
    "enableupdates6": _ddns_flags,
    "qualifyingsuffix6": _ddns_flags,
    "temporary6": _no_empty_pools,
    "global6": _global_reservations,
}
ERRORS_ON_PURPOSE: dict[str, str] = {}


def _cases(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.suffix in suffixes)


def test_working_cases6(keama6: Path) -> None:
    equal, on_purpose, failing, load_problems = [], [], [], []
    for path in _cases(keama6, (".in6", ".inD", ".inN")):
        name = path.stem
        expected = path.with_suffix(".out")
        if not expected.exists():
            continue
        try:
            result = translate_file6(str(path))
        except MigrationError as err:
            failing.append(f"{name}: refused: {err}")
            continue
        ours = result.data()["Dhcp6"]
        theirs = parse_text(expected.read_text(), str(expected)).value["Dhcp6"]
        if name in ON_PURPOSE:
            adjusted = copy.deepcopy(theirs)
            ON_PURPOSE[name](adjusted)
            if adjusted == ours:
                on_purpose.append(name)
            else:
                failing.append(
                    f"{name}: beyond the named difference:\n ours   {json.dumps(ours)}\n keama' {json.dumps(adjusted)}"
                )
        elif ours == theirs:
            equal.append(name)
        else:
            failing.append(
                f"{name}:\n ours  {json.dumps(ours, sort_keys=True)}\n keama {json.dumps(theirs, sort_keys=True)}"
            )
        try:
            load_text(result.text(), f"{name}.json")
        except ConfigError as err:
            load_problems.append(f"{name}: edge-dhcp refuses our output: {err}")
        problem = kea6_check(result.data())
        if problem is not None:
            load_problems.append(f"{name}: kea-dhcp6 -t refuses our output: {problem}")
    FIGURES6["working"] = {"equal": equal, "on purpose": on_purpose, "failing": failing}
    FIGURES6["reasons"] = {n: " ".join((ON_PURPOSE[n].__doc__ or "").split()) for n in on_purpose}
    FIGURES6["load problems"] = load_problems
    assert equal, "no v6 case translated equivalently: the harness found no data it could use"
    assert not failing, "\n\n".join(failing)
    assert not load_problems, "\n".join(load_problems)


def test_error_cases6(keama6: Path) -> None:
    same, on_purpose, failing = [], [], []
    for path in _cases(keama6, (".err6", ".err")):
        name = path.stem
        msg = path.with_suffix(".msg")
        if not msg.exists():
            continue
        message = msg.read_text().strip()
        line = int(message.split(" line ", 1)[1].split(":", 1)[0])
        try:
            translate_file6(str(path))
            refused_at, ours = None, "accepted"
        except MigrationError as err:
            refused_at, ours = err.line, str(err)
        if name in ERRORS_ON_PURPOSE:
            on_purpose.append(name)
        elif refused_at == line:
            same.append(name)
        else:
            failing.append(f"{name}: keama says {message!r}; we: {ours}")
    FIGURES6["errors"] = {"same line": same, "on purpose": on_purpose, "failing": failing}
    assert not failing, "\n".join(failing)
