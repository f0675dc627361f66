"""run_check in-process: the output format, the built-in default, and the last line of defence."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from edge.config import check
from edge.dhcp4 import defaults
from edge.dhcp4.config import DIALECT
from edge.dhcp4.defaults import InterfaceAddress
from edge.dhcp6.config import DIALECT as DIALECT6
from tests.config.helpers import pos_of


def run(path: str | None) -> tuple[int, list[str]]:
    out = io.StringIO()
    status = check.run_check(path, (DIALECT, DIALECT6), defaults.builtin_for_check, out)
    return status, out.getvalue().splitlines()


def test_ok_with_warnings_one_per_line(tmp_path: Path) -> None:
    conf = tmp_path / "c.json"
    conf.write_text(
        '{"Dhcp4": {\n  "multi-threading": {"enable-multi-threading": true},\n  "interfaces-config": {"interfaces": ["nosuch9"]}\n}}'
    )
    status, lines = run(str(conf))
    assert status == 0
    assert lines == [
        "OK",
        f"warning: {conf}:2:3: Dhcp4.multi-threading: accepted but not acted on by edge-dhcp yet",
        f'warning: {conf}:3:40: Dhcp4.interfaces-config.interfaces[0]: interface "nosuch9" does not exist '
        "on this machine (fine if the configuration is meant for another one)",
    ]


def test_errors_then_warnings_then_a_count(tmp_path: Path) -> None:
    text = '{"Dhcp4": {"valid-lifetime": -1, "server-tag": "x",\n "renew-timer": "soon",}}'
    conf = tmp_path / "c.json"
    conf.write_text(text)
    status, lines = run(str(conf))

    def at(needle: str) -> str:
        line, column = pos_of(text, needle)
        return f"{conf}:{line}:{column}"

    assert status == 1
    assert lines == [
        f"{at('-1')}: Dhcp4.valid-lifetime: expected an integer from 0 to 4294967295, got number -1",
        f'{at(chr(34) + "soon")}: Dhcp4.renew-timer: expected an integer from 0 to 4294967295, got string "soon"',
        f"warning: {at(chr(34) + 'server-tag')}: Dhcp4.server-tag: accepted but not acted on by edge-dhcp yet",
        f"warning: {at(',}')}: Dhcp4: extraneous comma (Kea accepts it with a warning)",
        f"{conf}: 2 errors",
    ]


def test_built_in_default_for_the_first_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(defaults, "first_interface", lambda: InterfaceAddress("br0", "10.1.2.3", 16))
    status, lines = run(None)
    assert (status, lines) == (0, ["OK (built-in default for br0 10.1.2.3/16)"])


def test_built_in_default_without_any_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(defaults, "first_interface", lambda: None)
    status, lines = run(None)
    assert status == 0
    assert lines == [
        "OK (built-in default for eth0 192.168.1.1/24 (no usable interface here; shown for a placeholder))"
    ]


def test_an_unexpected_exception_is_one_line_naming_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(check, "load_file", explode)
    status, lines = run("whatever.json")
    assert status == 1
    assert lines == [
        "error: edge-dhcp failed while checking whatever.json; this is a bug in edge-dhcp, "
        "please report it (RuntimeError: boom)"
    ]


def test_a_dhcp6_file_is_checked_as_dhcp6(tmp_path: Path) -> None:
    conf = tmp_path / "v6.json"
    text = '{"Dhcp6": {\n  "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64",\n    "preferred-lifetime": 9000}]}}'
    conf.write_text(text)
    status, lines = run(str(conf))
    line, column = pos_of(text, "9000")
    assert status == 1
    assert lines == [
        f"{conf}:{line}:{column}: Dhcp6.subnet6[0].preferred-lifetime: preferred-lifetime (9000) is greater "
        "than valid-lifetime (7200)",
        f"{conf}: 1 error",
    ]
    conf.write_text('{"Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8:1::/64"}]}}')
    assert run(str(conf)) == (0, ["OK"])
