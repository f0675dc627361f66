"""The key table and the structural checks it drives: unknown keys, types, required keys, warnings."""

from __future__ import annotations

import textwrap

import pytest

from edge.config import schema
from edge.dhcp4.keys import DHCP4, TABLE
from edge.dhcp4.model import ScopeParams4
from tests.config.helpers import config, expect_error, issues, pos_of


def test_table_has_one_row_per_kind_and_name_and_defaults_fit_their_types() -> None:
    seen: set[tuple[str, str]] = set()
    for row in TABLE.rows:
        for kind in row.kinds:
            assert kind in TABLE.kind_paths
            assert (kind, row.name) not in seen, (kind, row.name)
            seen.add((kind, row.name))
        if row.default is not schema.NO_DEFAULT:
            assert row.type.check(row.default) is None, row.name
        assert row.status in (schema.SUPPORTED, schema.PARSED)


def test_model_scope_defaults_match_the_table() -> None:
    params = ScopeParams4()
    for key in ("valid-lifetime", "calculate-tee-times", "t1-percent", "t2-percent", "match-client-id",
                "authoritative", "server-hostname", "boot-file-name", "reservations-global",
                "reservations-in-subnet", "reservations-out-of-pool"):  # fmt: skip
        row = TABLE.lookup(DHCP4, key)
        assert row is not None and row.inherit
        assert getattr(params, key.replace("-", "_")) == row.default, key


def test_parsed_keys_list_names_what_is_not_acted_on() -> None:
    parsed = TABLE.parsed_keys()
    for pattern in (
        "Dhcp4.hooks-libraries",
        "Dhcp4.multi-threading",
        "Dhcp4.shared-networks[].subnet4[].4o6-subnet",
        "Dhcp4.loggers[].output_options[].pattern",
        "Dhcp4.config-control",
    ):
        assert pattern in parsed, pattern
    assert "Dhcp4.subnet4[].pools[].pool" not in parsed
    # The lease store acts on these (edge/leases): reclamation timers, LFC, the sync extension.
    for pattern in (
        "Dhcp4.expired-leases-processing",
        "Dhcp4.expired-leases-processing.max-reclaim-leases",
        "Dhcp4.lease-database.lfc-interval",
        "Dhcp4.lease-database.sync",
    ):
        assert pattern not in parsed, pattern
    # DDNS is acted on (edge/ddns): the dhcp-ddns map and the ddns-* scope keys are supported.
    for pattern in ("Dhcp4.dhcp-ddns", "Dhcp4.subnet4[].ddns-send-updates", "Dhcp4.hostname-char-set"):
        assert pattern not in parsed, pattern


def test_unknown_key_is_an_error_at_the_key_with_a_suggestion() -> None:
    expect_error(
        """\
        {"Dhcp4": {
            "valid-lifetme": 3600
        }}""",
        '"valid-lifetme"',
        "Dhcp4.valid-lifetme",
        'unknown key "valid-lifetme"; did you mean "valid-lifetime"?',
    )


def test_unknown_key_deep_inside() -> None:
    expect_error(
        """\
        {"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/24",
            "pools": [{"pool": "10.0.0.5 - 10.0.0.9", "clinet-class": "x"}]}]}}""",
        '"clinet-class"',
        "Dhcp4.subnet4[0].pools[0].clinet-class",
        'did you mean "client-class"?',
    )


def test_key_in_the_wrong_place_says_where_it_belongs() -> None:
    issue = expect_error(
        '{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "hw-address": "aa:bb:cc:dd:ee:ff"}]}}',
        '"hw-address"',
        "Dhcp4.subnet4[0].hw-address",
        "unknown key",
    )
    assert "Dhcp4.reservations[]" in issue.message


@pytest.mark.parametrize(
    ("body", "needle", "path", "message"),
    [
        ('"valid-lifetime": "7200"', '"7200"', "Dhcp4.valid-lifetime", 'got string "7200"'),
        ('"valid-lifetime": true', "true", "Dhcp4.valid-lifetime", "expected an integer from 0 to 4294967295"),
        ('"valid-lifetime": -5', "-5", "Dhcp4.valid-lifetime", "got number -5"),
        ('"valid-lifetime": 4294967296', "4294967296", "Dhcp4.valid-lifetime", "from 0 to 4294967295"),
        ('"authoritative": "yes"', '"yes"', "Dhcp4.authoritative", "expected true or false"),
        ('"t1-percent": 1.5', "1.5", "Dhcp4.t1-percent", "a number from 0 to 1"),
        ('"subnet4": {}', "{}", "Dhcp4.subnet4", "expected a list of objects, got an object"),
        ('"subnet4": [5]', "5", "Dhcp4.subnet4[0]", "expected an object, got number 5"),
        ('"interfaces-config": {"interfaces": ["eth0", 7]}', "7", "Dhcp4.interfaces-config.interfaces[1]",
         "expected a string"),
        ('"interfaces-config": {"dhcp-socket-type": "tcp"}', '"tcp"', "Dhcp4.interfaces-config.dhcp-socket-type",
         'expected one of "raw", "udp", got string "tcp"'),
        ('"loggers": [{"name": "kea-dhcp4", "severity": "LOUD"}]', '"LOUD"', "Dhcp4.loggers[0].severity",
         "expected one of"),
        ('"host-reservation-identifiers": ["mac"]', '"mac"', "Dhcp4.host-reservation-identifiers[0]",
         'one of "hw-address"'),
    ],
)  # fmt: skip
def test_wrong_types_are_errors_at_the_value(body: str, needle: str, path: str, message: str) -> None:
    expect_error('{"Dhcp4": {' + body + "}}", needle, path, message)


def test_missing_required_key_is_reported_at_the_object() -> None:
    expect_error(
        '{"Dhcp4": {"subnet4": [{"id": 1, "pools": []}]}}',
        '{"id": 1',
        "Dhcp4.subnet4[0]",
        'missing required key "subnet"',
    )


def test_a_wrongly_typed_value_is_reported_once_not_again_by_later_checks() -> None:
    found = issues('{"Dhcp4": {"subnet4": [{"id": 1, "subnet": 10}]}}')
    assert [i.path for i in found] == ["Dhcp4.subnet4[0].subnet"]


def test_parsed_keys_warn_only_when_they_change_something() -> None:
    text = textwrap.dedent(
        """\
        {"Dhcp4": {
            "multi-threading": {"enable-multi-threading": false, "thread-pool-size": 0},
            "ddns-send-updates": true,
            "hooks-libraries": [],
            "server-tag": "edge",
            "subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "store-extended-info": true}]
        }}"""
    )
    tag, extended = pos_of(text, '"server-tag"'), pos_of(text, '"store-extended-info"')
    assert config(text).warnings == (
        f"t.json:{tag[0]}:{tag[1]}: Dhcp4.server-tag: accepted but not acted on by edge-dhcp yet",
        f"t.json:{extended[0]}:{extended[1]}: Dhcp4.subnet4[0].store-extended-info: "
        "accepted but not acted on by edge-dhcp yet",
    )


def test_fill_defaults_does_not_touch_its_input_and_fills_nested_kinds() -> None:
    doc = {"subnet4": [{"subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.1 - 10.0.0.2"}]}]}
    filled = TABLE.fill_defaults(doc)
    assert doc == {"subnet4": [{"subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.1 - 10.0.0.2"}]}]}
    assert filled["subnet4"][0]["pools"][0]["option-data"] == []
    assert "valid-lifetime" not in filled["subnet4"][0]  # inherited: filled at Dhcp4 only
    assert filled["valid-lifetime"] == 7200
