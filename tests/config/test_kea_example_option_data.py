"""Option-data that Kea's own example configurations (doc/examples/kea6|kea4/all-options.json) use, as the
loader takes it: surplus values past a non-array option's fields load with a warning that names the option
and the dropped values (Kea 2.2 drops them silently); the docsis3-v6 / docsis3-v4 spaces exist with Kea's
definitions."""

from __future__ import annotations

import json
import textwrap

import pytest

from edge.config.errors import ConfigError
from edge.dhcp4 import config as config4
from edge.dhcp6 import config as config6

from .helpers import pos_of

SOURCE = "k.json"


def v6(option_data: list[dict[str, object]], subnet_option_data: list[dict[str, object]] = ()) -> str:
    doc = {
        "Dhcp6": {
            "option-data": option_data,
            "subnet6": [
                {"id": 1, "subnet": "2001:db8:1::/64", "option-data": list(subnet_option_data)},
            ],
        }
    }
    return json.dumps(doc, indent=2)


def test_geoconf_civic_and_nii_with_surplus_values_load_with_warnings() -> None:
    text = v6(
        [
            {"code": 36, "data": "0, 0x5553, 15 9D, A3 FF", "name": "geoconf-civic"},
            {"code": 62, "data": "1, 2, 11, 13", "name": "nii"},
        ]
    )
    cfg = config6.load_text(text, source=SOURCE)
    assert {o.name: o.data for o in cfg.option_data} == {
        "geoconf-civic": bytes.fromhex("005553159d"),
        "nii": bytes.fromhex("01020b"),
    }
    civic_line, civic_column = pos_of(text, '"0, 0x5553')
    civic = (
        f"{SOURCE}:{civic_line}:{civic_column}: Dhcp6.option-data[0].data: option geoconf-civic (36) takes "
    )
    civic += '3 fields (uint8, uint16, binary); the extra value "A3 FF" is not sent'
    nii = 'Dhcp6.option-data[1].data: option nii (62) takes 3 fields (uint8, uint8, uint8); the extra value "13"'
    assert any(w.startswith(civic) for w in cfg.warnings), cfg.warnings
    assert any(nii in w for w in cfg.warnings), cfg.warnings


def test_several_dropped_values_are_all_named() -> None:
    cfg = config6.load_text(v6([{"name": "preference", "data": "5, 6, 7"}]), source=SOURCE)
    (option,) = cfg.option_data
    assert option.data == b"\x05"
    (warning,) = [w for w in cfg.warnings if "Dhcp6.option-data[0].data" in w]
    assert 'preference (7) takes one uint8 value; the extra values "6", "7" are not sent' in warning


def test_an_option_that_fits_its_fields_gives_no_warning() -> None:
    cfg = config6.load_text(v6([{"name": "nii", "data": "1, 2, 11"}]), source=SOURCE)
    assert [w for w in cfg.warnings if "option-data" in w] == []


def test_a_bad_value_in_a_kept_field_is_still_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        config6.load_text(v6([{"name": "nii", "data": "1, 2, 256, 13"}]), source=SOURCE)
    assert "Dhcp6.option-data[0].data" in str(caught.value)


DOCSIS3_V6 = [
    ("oro", "32, 33", "00200021"),
    ("device-type", "ECM", b"ECM".hex()),
    ("vendor-type", "CableLabs", b"CableLabs".hex()),
    ("tftp-servers", "2001:db8::31", "20010db8" + "00" * 11 + "31"),
    ("config-file", "cm/012345678.cfg", b"cm/012345678.cfg".hex()),
    ("syslog-servers", "2001:db8::32", "20010db8" + "00" * 11 + "32"),
    ("device-id", "1A BB AD AB BA D0 00 00 00 00 00 00 00 00 CA FE", "1abbadabbad0" + "00" * 8 + "cafe"),
    ("time-servers", "2001:db8::33", "20010db8" + "00" * 11 + "33"),
    ("time-offset", "-18000", "ffffb9b0"),
]


def test_docsis3_v6_option_data_in_a_subnet_loads_in_its_space() -> None:
    entries = [{"name": n, "data": d, "space": "docsis3-v6"} for n, d, _ in DOCSIS3_V6]
    cfg = config6.load_text(v6([], entries), source=SOURCE)
    (subnet,) = cfg.subnets
    got = [(o.name, o.space, o.data.hex()) for o in subnet.option_data]
    assert got == [(n, "docsis3-v6", w) for n, _, w in DOCSIS3_V6]


def test_docsis3_v6_option_named_by_code() -> None:
    cfg = config6.load_text(v6([], [{"code": 1026, "data": "00:11:22:33:44:55", "space": "docsis3-v6"}]))
    (option,) = cfg.subnets[0].option_data
    assert (option.name, option.code, option.data) == ("cmts-cm-mac", 1026, bytes.fromhex("001122334455"))


def test_an_unknown_name_in_docsis3_v6_is_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        config6.load_text(v6([{"name": "no-such", "data": "x", "space": "docsis3-v6"}]))
    assert 'unknown option "no-such" in space "docsis3-v6"' in str(caught.value)


def test_docsis3_v4_option_data_loads() -> None:
    text = textwrap.dedent(
        """
        {"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "option-data": [
            {"code": 1, "data": "2, 4", "name": "oro", "space": "docsis3-v4"},
            {"code": 2, "data": "192.0.2.1, 192.0.2.2", "name": "tftp-servers", "space": "docsis3-v4"}
        ]}]}}
        """
    )
    cfg = config4.load_text(text, source=SOURCE)
    (subnet,) = cfg.subnets
    assert [(o.name, o.space, o.data.hex()) for o in subnet.option_data] == [
        ("oro", "docsis3-v4", "0204"),
        ("tftp-servers", "docsis3-v4", "c0000201c0000202"),
    ]
