"""option-def against our option table: Kea's standard codes are protected, our extras give way."""

from __future__ import annotations

import pytest

from edge.config.errors import ConfigError
from edge.dhcp4.config import load_data


def config_with_def(code: int, name: str, data: str) -> dict:
    return {
        "Dhcp4": {
            "option-def": [{"name": name, "code": code, "type": "string"}],
            "option-data": [{"name": name, "data": data}],
            "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}],
        }
    }


@pytest.mark.parametrize("code", [150, 252])
def test_option_def_may_replace_codes_kea_does_not_define(code: int) -> None:
    config = load_data(config_with_def(code, "site-url", "http://wpad.lan/wpad.dat"))
    (option,) = config.option_data
    assert (option.code, option.name, option.data) == (code, "site-url", b"http://wpad.lan/wpad.dat")


def test_option_def_may_not_redefine_a_kea_standard_option() -> None:
    with pytest.raises(ConfigError) as caught:
        load_data(config_with_def(3, "my-routers", "x"))
    assert "option code 3 is already defined" in str(caught.value)
