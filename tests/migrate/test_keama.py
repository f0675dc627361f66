"""keama's own test cases, run through `edge-dhcp migrate dhcpd`.

keama is ISC's dhcpd -> Kea converter. Its test data (DHCPv4 working cases NAME.in4 with the expected
NAME.out, error cases NAME.err/.err4 with the first line of the expected message in NAME.msg) is read
from ../shared/conformance/keama beside the repository (it is not copied into it). Its README says how to
compare: strip comments, parse, compare the Dhcp4 objects as data; error cases must be refused at the
same line (wording free).

Every working case ends up in one of three buckets, and the figures are printed at the end of the run:
  equal               our Dhcp4 is keama's, as data;
  differing on purpose the case is listed in ON_PURPOSE with the reason, and keama's expected data with
                      exactly that difference applied must equal ours (so nothing else may differ);
  failing             anything else -- the test fails.
Error cases: refused at keama's line, or listed in ERRORS_ON_PURPOSE with the reason, or the test fails.
Besides, every working case's output must load in edge-dhcp and pass `kea-dhcp4 -t` (Kea 2.2), with the
interface names taken out for Kea, which checks that they exist on this machine.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edge.config.errors import ConfigError
from edge.config.jsonpos import parse_text
from edge.dhcp4.config import load_text
from edge.migrate.common import MigrationError
from edge.migrate.dhcpd import translate_file
from tests.migrate.helpers import kea_check

REPO_ROOT = Path(__file__).resolve().parents[2]
KEAMA = REPO_ROOT.parent / "shared" / "conformance" / "keama"

FIGURES: dict[str, Any] = {}  # printed by tests/migrate/conftest.py at the end of the session

Adjust = Callable[[dict[str, Any]], None]


def _global_reservations(d: dict[str, Any]) -> None:
    """keama: "reservation-mode": "global" and the host declaration's name as hostname. We: Kea 2.x's
    reservations-global/-in-subnet (reservation-mode is deprecated in 2.2 and gone later), and no hostname
    unless use-host-decl-names is on -- dhcpd sends no host name otherwise, while Kea sends a reservation's
    hostname to every client that asks for option 12."""
    del d["reservation-mode"]
    d["reservations-global"] = True
    d["reservations-in-subnet"] = False
    for r in d["reservations"]:
        r.pop("hostname", None)


def _no_dns(d: dict[str, Any]) -> None:
    """fixed-address www.isc.org: keama resolved it through DNS when its expected output was made; a
    converter must not depend on the network (and the answer changes). We write a note instead, and the
    reservation, left with nothing to give, says the one thing it still means: the client is KNOWN (Kea
    refuses a reservation without a resource)."""
    del d["reservations"][0]["ip-address"]
    d["reservations"][0]["client-classes"] = ["KNOWN"]


def _code_252(d: dict[str, Any]) -> None:
    """Option code 252 is predefined in edge-dhcp's table (wpad-url), and edge-dhcp's loader refuses an
    option-def for it, so an option a configuration defines at 252 is written by code with hex data
    (csv-format false), which Kea and edge-dhcp both load; keama writes an option-def and named data."""
    d["option-def"] = [o for o in d["option-def"] if o["code"] != 252]
    for holder in [d, *d.get("client-classes", [])]:
        for o in holder.get("option-data", []):
            if o.get("code") == 252:
                del o["name"]
                if o.get("csv-format", True):
                    o["data"] = o["data"].encode().hex()  # text data, as hex
                o["csv-format"] = False


def _concat_folded(d: dict[str, Any]) -> None:
    """`option mydata3 = concat(aa, bb, cc);` is a constant; keama leaves it untranslated ("not yet"),
    we fold it to aabbcc."""
    d["option-data"].append(
        {"space": "dhcp4", "name": "mydata3", "code": 253, "csv-format": False, "data": "aabbcc"}
    )


def _hex_literal(d: dict[str, Any]) -> None:
    """encode-int(1, 8) is written as the hex literal 0x01, not as a quoted string holding the control
    character U+0001 ('\\u0001'); the bytes compared are the same."""
    c = d["client-classes"][0]
    c["test"] = c["test"].replace("'\u0001'", "0x01")


def _suffix_fixed(d: dict[str, Any]) -> None:
    """suffix("www.example.com", 3) is "com" (dhcp-eval(5): the last 3 bytes); keama folds it to
    ".example.com"."""
    c = d["client-classes"][3]
    c["test"] = c["test"].replace("'.example.com'", "'com'")


def _both(*steps: Adjust) -> Adjust:
    def run(d: dict[str, Any]) -> None:
        for step in steps:
            step(d)

    run.__doc__ = " ".join((s.__doc__ or "").strip() for s in steps)
    return run


ON_PURPOSE: dict[str, Adjust] = {
    "global4": _global_reservations,
    "hostname4": _global_reservations,
    "ipaddrhost4": _both(_global_reservations, _no_dns),
    "groupgroup4": _code_252,
    "subclassguard4": _code_252,
    "optionexpr4": _both(_code_252, _concat_folded),
    "hardware2dx4": _hex_literal,
    "suffixdx4": _suffix_fixed,
}
ERRORS_ON_PURPOSE = {
    "duidlltthw4": "a well-formed `server-duid llt ...`: dhcpd -4 accepts server-duid (a DHCPv6 setting) and "
    "so do we, with a note saying it is not used; keama -4 refuses it",
    "groupsubnetif": "we name line 9, the `interface` statement a group may not hold; keama names line 7, "
    "where the group opens",
}
# Outputs edge-dhcp's loader does not take yet although Kea does (an edge-dhcp gap, reported; not a
# translation error): Kea lets a client class redefine option 43 to carry another space.
EDGE_LOADER_GAPS = {"vendorspace4": "edge-dhcp's loader refuses a class-level option-def for code 43"}


def keama_dir() -> Path:
    if not KEAMA.is_dir():
        pytest.fail(
            f"keama conformance data not found at {KEAMA}: it lives in shared/conformance/keama beside the "
            "repository (a copy of shared/ sits next to the clone in CI); it is never copied into the repo",
            pytrace=False,
        )
    return KEAMA


def cases(suffixes: tuple[str, ...]) -> list[Path]:
    found = sorted(p for p in keama_dir().iterdir() if p.suffix in suffixes)
    if not found:
        pytest.fail(f"no keama cases with {suffixes} in {KEAMA}", pytrace=False)
    return found


def expected_dhcp4(path: Path) -> dict[str, Any]:
    return parse_text(path.read_text(), str(path)).value["Dhcp4"]


def test_working_cases() -> None:
    equal, on_purpose, failing, load_problems = [], [], [], []
    for path in cases((".in4",)):
        name = path.stem
        result = translate_file(str(path))
        ours = result.data()["Dhcp4"]
        theirs = expected_dhcp4(path.with_suffix(".out"))
        if ours == theirs and name not in ON_PURPOSE:
            equal.append(name)
        elif name in ON_PURPOSE:
            adjusted = copy.deepcopy(theirs)
            ON_PURPOSE[name](adjusted)
            if adjusted == ours:
                on_purpose.append(name)
            else:
                failing.append(
                    f"{name}: differs beyond the named difference:\n ours   {json.dumps(ours)}\n"
                    f" keama' {json.dumps(adjusted)}"
                )
        else:
            failing.append(
                f"{name}:\n ours  {json.dumps(ours, sort_keys=True)}\n keama {json.dumps(theirs, sort_keys=True)}"
            )
        text = result.text()
        try:
            load_text(text, f"{name}.json")
            if name in EDGE_LOADER_GAPS:
                FIGURES.setdefault("gaps closed", []).append(name)
        except ConfigError as err:
            if name not in EDGE_LOADER_GAPS:
                load_problems.append(f"{name}: edge-dhcp refuses our output: {err}")
        problem = kea_check(result.data())
        if problem is not None:
            load_problems.append(f"{name}: kea-dhcp4 -t refuses our output: {problem}")
    FIGURES["working"] = {"equal": equal, "on purpose": on_purpose, "failing": failing}
    FIGURES["reasons"] = {name: " ".join((ON_PURPOSE[name].__doc__ or "").split()) for name in on_purpose}
    assert not failing, "\n\n".join(failing)
    assert not load_problems, "\n".join(load_problems)
    assert set(ON_PURPOSE) <= set(on_purpose), "ON_PURPOSE names cases that are not in the data any more"


def test_error_cases() -> None:
    same, on_purpose, failing = [], [], []
    for path in cases((".err", ".err4")):
        name = path.stem
        message = path.with_suffix(".msg").read_text().strip()
        line = int(message.split(" line ", 1)[1].split(":", 1)[0])
        try:
            translate_file(str(path))
            refused_at = None
            ours = "accepted"
        except MigrationError as err:
            refused_at = err.line
            ours = str(err)
        if refused_at == line and name not in ERRORS_ON_PURPOSE:
            same.append(name)
        elif name in ERRORS_ON_PURPOSE:
            on_purpose.append(name)
        else:
            failing.append(f"{name}: keama says {message!r}; we: {ours}")
    FIGURES["errors"] = {"same line": same, "on purpose": on_purpose, "failing": failing}
    assert not failing, "\n".join(failing)
    assert set(ERRORS_ON_PURPOSE) <= set(on_purpose)


def test_cli_refuses_with_file_and_line_and_exit_255() -> None:
    path = keama_dir() / "badinclude.err"
    result = subprocess.run(
        [sys.executable, "-m", "edge", "migrate", "dhcpd", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert result.returncode == 255
    assert f"{path} line 3: filename string expected." in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_cli_exit_status_counts_the_notes(tmp_path: Path) -> None:
    path = keama_dir() / "configdata4.in4"
    out = tmp_path / "out.json"
    result = subprocess.run(
        [sys.executable, "-m", "edge", "migrate", "dhcpd", str(path), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert result.returncode == 10, result.stderr  # ten server parameters Kea has no place for
    assert result.stderr.count("not translated:") == 10
    text = out.read_text()
    assert text.count("// NOT TRANSLATED (line") == 10
    assert parse_text(text, str(out)).value == {"Dhcp4": {"valid-lifetime": 1800}}
