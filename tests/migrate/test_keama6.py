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


def dhcpd_preferred(d: dict[str, Any], inherited: int = 3600) -> bool:
    """Where a valid-lifetime is set and the preferred lifetime in force (Kea's default: 3600) is not
    below it, we write dhcpd -6's preferred lifetime, 5/8 of the valid one (dhcpv6.c); keama writes
    nothing, and Kea would then send a preferred lifetime above the valid one (edge-dhcp refuses such a
    configuration). Applied to every case; True when it changed something."""
    changed = False
    preferred = d.get("preferred-lifetime", inherited)
    valid = d.get("valid-lifetime")
    if valid is not None and preferred >= valid and "preferred-lifetime" not in d:
        d["preferred-lifetime"] = preferred = valid // 2 + valid // 8
        changed = True
    for key in ("shared-networks", "subnet6"):
        for child in d.get(key, []):
            changed = dhcpd_preferred(child, preferred) or changed
    return changed


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


def _split_prefix_range(d: dict[str, Any]) -> None:
    """prefix6 2001:0:0:1:: 2001:0:0:3:: /64 is no single prefix: keama gives up (empty pd-pools); we
    write the aligned prefixes that cover exactly that range, 2001:0:0:1::/64 and 2001:0:0:2::/63."""
    d["subnet6"][0]["pd-pools"] = [
        {"prefix": "2001:0:0:1::", "prefix-len": 64, "delegated-len": 64},
        {"prefix": "2001:0:0:2::", "prefix-len": 63, "delegated-len": 64},
    ]


def _known_named(d: dict[str, Any]) -> None:
    """As in v4 (guards.py): a pool guard that is one class names it (KNOWN), not a generated class."""
    del d["client-classes"]
    d["subnet6"][0]["pools"][0]["client-class"] = "KNOWN"


def _no_unauthenticated_guard(d: dict[str, Any]) -> None:
    """`deny unauthenticated clients`: every client is unauthenticated to dhcpd, so nobody may use the pool;
    keama guards it with a class nobody is in, we write a note (as v4 does for `deny all clients`)."""
    del d["client-classes"]
    del d["subnet6"][0]["pools"][0]["client-class"]


def _record_array(d: dict[str, Any]) -> None:
    """{ unsigned integer 32, array of boolean } is a Kea record whose last field repeats (Kea 2.2 takes
    it, and so does edge-dhcp); keama defines it as binary."""
    for o in d["option-def"]:
        if o["code"] == 150:
            o.update({"type": "record", "array": True, "record-types": "uint32, boolean"})


def _no_keama_flags(flag: str, undo: Adjust) -> Adjust:
    def run(d: dict[str, Any]) -> None:
        undo(d)

    run.__doc__ = f"the case is run with keama's {flag}, which `migrate dhcpd -6` does not offer: " + (
        undo.__doc__ or ""
    )
    return run


def _undo_d(d: dict[str, Any]) -> None:
    """-D writes dhcpd's built-in lease times; we write only what the configuration sets."""
    for key in ("valid-lifetime", "min-valid-lifetime", "max-valid-lifetime"):
        del d[key]


def _undo_n(d: dict[str, Any]) -> None:
    """-N drops hosts that are in no subnet; dhcpd's hosts are global, and ours stay reservations."""
    d["reservations-global"] = True
    d["reservations-in-subnet"] = False
    d["reservations"] = [
        {
            "hw-address": "00:0b:fd:32:e6:fa",
            "option-data": [
                {"space": "dhcp6", "name": "dns-servers", "code": 23, "data": "2a01:e00::2, 2a01:e00::1"}
            ],
        }
    ]


ON_PURPOSE: dict[str, Adjust] = {
    "ddnsupdstyle6": _ddns_flags,
    "enableupdates6": _ddns_flags,
    "qualifyingsuffix6": _ddns_flags,
    "temporary6": _no_empty_pools,
    "global6": _global_reservations,
    "prefix62": _split_prefix_range,
    "denyunknown6": _known_named,
    "permitauth6": _no_unauthenticated_guard,
    "optiondecl6": _record_array,
    "lifetimedef6": _no_keama_flags("-D", _undo_d),
    "orphan6": _no_keama_flags("-N", _undo_n),
}


def _untested_class(d: dict[str, Any]) -> None:
    del d["client-classes"][0]["test"]


# Known shortfalls (counted apart, not as differences on purpose): cases we refuse where dhcpd and keama
# read them, or translate less of. Each must still behave exactly as described here.
GAPS: dict[str, tuple[str, Adjust | None]] = {
    "bintadx6": ("binary-to-ascii of a constant is not folded: the class test is a note", _untested_class),
    "encodedx6": (
        "encode-int(extract-int(constant)) is not folded: the class test is a note",
        _untested_class,
    ),
    "defaultexpr6": ("a bare `foo;` / `bar(...)` (dhcpd: an eval statement) is refused", None),
    "nxdomainnx6": ("arithmetic in expressions (%, +) is not read: refused", None),
    "reversedx6": ("arithmetic in expressions (&) is not read: refused", None),
    "pickdx6": ("pick-first-value with null is not read: refused", None),
}
ERRORS_ON_PURPOSE: dict[str, str] = {}
# Error cases we accept although keama refuses them (shortfalls, shared with the v4 converter: none of
# them is in the v4 sample under ../shared/conformance/keama). Counted apart.
ERROR_GAPS = {
    "badclass": "a second `match if` in a class is not refused (the last one is used)",
    "tautologysub": "a class test that folds to a constant (a subclass's 'foo' = 'bar') is not refused",
    "duidnoid": "`server-duid 9;` (a DUID type by number without an identifier) is noted, not refused",
    "share0": 'shared-network "" is not refused',
    "shareempty": "a shared-network without subnets is not refused",
}


def _cases(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.suffix in suffixes)


def test_working_cases6(keama6: Path) -> None:
    equal, on_purpose, gaps, failing, load_problems = [], [], [], [], []
    preferred_changed: list[str] = []
    for path in _cases(keama6, (".in6", ".inD", ".inN")):
        name = path.stem
        expected = path.with_suffix(".out")
        if not expected.exists():
            continue
        theirs = parse_text(expected.read_text(), str(expected)).value["Dhcp6"]
        try:
            result = translate_file6(str(path), local6=())
        except MigrationError as err:
            if name in GAPS and GAPS[name][1] is None:
                gaps.append(name)
            else:
                failing.append(f"{name}: refused: {err}")
            continue
        ours = result.data()["Dhcp6"]
        plain_equal = ours == theirs
        if dhcpd_preferred(theirs):
            preferred_changed.append(name)
        if name in GAPS:
            adjust = GAPS[name][1]
            adjusted = copy.deepcopy(theirs)
            if adjust is not None:
                adjust(adjusted)
            if adjust is not None and adjusted == ours:
                gaps.append(name)
            else:
                failing.append(f"{name}: listed in GAPS, but: ours {json.dumps(ours)}")
        elif name in ON_PURPOSE:
            adjusted = copy.deepcopy(theirs)
            ON_PURPOSE[name](adjusted)
            if adjusted == ours:
                on_purpose.append(name)
            else:
                failing.append(
                    f"{name}: beyond the named difference:\n ours   {json.dumps(ours)}\n keama' {json.dumps(adjusted)}"
                )
        elif ours == theirs and plain_equal:
            equal.append(name)
        elif ours == theirs:
            on_purpose.append(name)
        else:
            failing.append(
                f"{name}:\n ours  {json.dumps(ours, sort_keys=True)}\n keama {json.dumps(theirs, sort_keys=True)}"
            )
        try:
            load_text(result.text(), f"{name}.json")
        except ConfigError as err:
            load_problems.append(f"{name}: edge-dhcp refuses our output: {err}")
        # Kea refuses an empty Dhcp6 map (keama's own test says: empty configs are not accepted by Kea)
        problem = kea6_check(result.data()) if result.data()["Dhcp6"] else None
        if problem is not None:
            load_problems.append(f"{name}: kea-dhcp6 -t refuses our output: {problem}")
    FIGURES6["working"] = {"equal": equal, "on purpose": on_purpose, "gaps": gaps, "failing": failing}
    FIGURES6["gap reasons"] = {n: GAPS[n][0] for n in gaps}
    preferred_why = " ".join((dhcpd_preferred.__doc__ or "").split())
    FIGURES6["reasons"] = {
        n: " ".join(((ON_PURPOSE[n].__doc__ or "") if n in ON_PURPOSE else preferred_why).split())
        for n in on_purpose
    }
    FIGURES6["preferred"] = preferred_changed
    FIGURES6["load problems"] = load_problems
    assert equal, "no v6 case translated equivalently: the harness found no data it could use"
    assert not failing, "\n\n".join(failing)
    assert not load_problems, "\n".join(load_problems)


def test_error_cases6(keama6: Path) -> None:
    same, on_purpose, gaps, failing = [], [], [], []
    for path in _cases(keama6, (".err6", ".err")):
        name = path.stem
        msg = path.with_suffix(".msg")
        if not msg.exists():
            continue
        message = msg.read_text().strip()
        line = int(message.split(" line ", 1)[1].split(":", 1)[0])
        try:
            translate_file6(str(path), local6=())
            refused_at, ours = None, "accepted"
        except MigrationError as err:
            refused_at, ours = err.line, str(err)
        if name in ERROR_GAPS and refused_at is None:
            gaps.append(name)
        elif name in ERRORS_ON_PURPOSE:
            on_purpose.append(name)
        elif refused_at == line:
            same.append(name)
        else:
            failing.append(f"{name}: keama says {message!r}; we: {ours}")
    FIGURES6["errors"] = {"same line": same, "on purpose": on_purpose, "gaps": gaps, "failing": failing}
    FIGURES6["error gap reasons"] = {n: ERROR_GAPS[n] for n in gaps}
    assert not failing, "\n".join(failing)
