"""Configuration values `check` once accepted that stopped `serve`, or that `check` itself tripped over
(issue 22). Each is now refused by the loader with a position, like any other mistake."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from edge.config.check import run_check
from edge.config.errors import ConfigError
from edge.dhcp4.config import DIALECT, load_data
from edge.dhcp4.defaults import builtin_for_check
from edge.dhcp6.config import DIALECT as DIALECT6
from tests.config.helpers import expect_error

BASE = """{"Dhcp4": {
  %s
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.20"}]%s}]
}}
"""


@pytest.mark.parametrize(
    "key", ["ddns-qualifying-suffix", "ddns-generated-prefix", "hostname-char-replacement"]
)
def test_ddns_name_strings_beyond_ascii_are_refused(key: str) -> None:
    text = BASE % (f'"{key}": "\u20ac.example",', "")
    expect_error(text, '"\u20ac.example"', f"Dhcp4.{key}", "is not ASCII")


def test_reservation_hostname_beyond_ascii_is_refused() -> None:
    text = BASE % (
        "",
        ', "reservations": [{"hw-address": "02:00:00:00:00:01", "hostname": "caf\u00e9\u20ac"}]',
    )
    expect_error(text, '"caf', "Dhcp4.subnet4[0].reservations[0].hostname", "IDNA")


def test_include_with_a_nul_in_its_name_is_a_positioned_error(tmp_path: Path) -> None:
    text = '{"Dhcp4": {"subnet4": <?include "a\\u0000b"?>}}\n'
    expect_error(text, '"a\\u0000b"', "Dhcp4.subnet4", "NUL")
    path = tmp_path / "nul.json"
    path.write_text(text)
    out = io.StringIO()
    assert run_check(str(path), (DIALECT, DIALECT6), builtin_for_check, out) == 1
    assert "this is a bug" not in out.getvalue()
    assert f"{path}:1:" in out.getvalue()


def test_lone_surrogates_in_config_set_data_are_refused() -> None:
    doc = json.loads(
        '{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "user-context": {"k": "\\ud800"}}]}}'
    )
    with pytest.raises(ConfigError) as info:
        load_data(doc)
    assert "lone surrogate" in str(info.value)
    str(info.value).encode("utf-8")  # the message itself is writable
    doc = json.loads('{"Dhcp4": {"\\udfff": 1}}')
    with pytest.raises(ConfigError) as info:
        load_data(doc)
    assert "lone surrogate" in str(info.value)
    str(info.value).encode("utf-8")
