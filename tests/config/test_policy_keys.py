"""The configuration keys issue 4 made work: class test expressions (errors at their exact column),
hosts-database, early-global-reservations-lookup, reservations-lookup-first, option spaces."""

from __future__ import annotations

from edge.dhcp4.keys import TABLE
from tests.config.helpers import config, expect_error, issues


def test_a_bad_expression_is_an_error_at_the_offending_character() -> None:
    text = """\
        {"Dhcp4": {
            "client-classes": [
                {"name": "pxe", "test": "substring(option[60].hex,0,9) = 'PXEClient'"}
            ]
        }}"""
    issue = expect_error(
        text, "= 'PXE", "Dhcp4.client-classes[0].test", "bad expression: '=' is not an operator"
    )
    assert "(at character 31 of the test)" in issue.message


def test_a_forward_class_reference_is_an_error_like_in_kea() -> None:
    expect_error(
        """\
        {"Dhcp4": {
            "client-classes": [
                {"name": "first", "test": "member('second')"},
                {"name": "second", "test": "option[60].exists"}
            ]
        }}""",
        "'second')",
        "Dhcp4.client-classes[0].test",
        'class "second" is not defined before this one',
    )


def test_an_unknown_option_name_in_an_expression_points_at_the_name() -> None:
    expect_error(
        '{"Dhcp4": {"client-classes": [{"name": "x", "test": "option[no-such-option].exists"}]}}',
        "no-such-option",
        "Dhcp4.client-classes[0].test",
        'unknown option "no-such-option"',
    )


def test_valid_expressions_load_compiled() -> None:
    cfg = config(
        """\
        {"Dhcp4": {"client-classes": [
            {"name": "a", "test": "relay4[1].hex == 'port-1' or pkt4.msgtype == 1"},
            {"name": "b", "test": "member('a') and member('KNOWN')"}
        ]}}"""
    )
    assert cfg.client_classes[1].expression.depends_on_known
    assert cfg.warnings == ()


def test_hosts_database_tinydb_and_postgresql_are_supported_and_mysql_is_refused_clearly() -> None:
    cfg = config('{"Dhcp4": {"hosts-database": {"type": "tinydb", "name": "/var/lib/edge-dhcp/hosts.json"}}}')
    assert [(d.type, d.name) for d in cfg.hosts_databases] == [("tinydb", "/var/lib/edge-dhcp/hosts.json")]
    assert cfg.warnings == ()
    expect_error(
        '{"Dhcp4": {"hosts-database": {"type": "mysql", "name": "kea", "user": "kea", "port": 3306}}}',
        '"mysql"',
        "Dhcp4.hosts-database.type",
        'only "postgresql" and "tinydb" host databases are supported yet (got "mysql")',
    )
    pg = config(
        '{"Dhcp4": {"hosts-database": {"type": "postgresql", "name": "kea", "user": "kea", "password": "pw", '
        '"host": "127.0.0.1", "port": 5432, "max-reconnect-tries": 3}}}'
    )
    [db] = pg.hosts_databases
    assert (db.type, db.name) == ("postgresql", "kea") and dict(db.params)["port"] == 5432
    assert "pw" not in repr(db)
    # the keys the reader acts on are not "not acted on"; the reconnect timers still are
    assert [w.split(": ")[1] for w in pg.warnings] == ["Dhcp4.hosts-database.max-reconnect-tries"]
    expect_error(
        '{"Dhcp4": {"hosts-database": {"type": "postgresql", "user": "kea"}}}',
        '{"type"',
        "Dhcp4.hosts-database",
        'a "postgresql" hosts database needs "name"',
    )
    expect_error(
        '{"Dhcp4": {"hosts-databases": [{"type": "tinydb"}]}}',
        '{"type"',
        "Dhcp4.hosts-databases[0]",
        'needs "name"',
    )
    found = issues('{"Dhcp4": {"hosts-database": {"type": "tinydb", "name": "h", "colour": 1}}}')
    assert [i.path for i in found] == ["Dhcp4.hosts-database.colour"]


def test_reservation_lookup_keys_are_supported_without_warnings() -> None:
    cfg = config('{"Dhcp4": {"early-global-reservations-lookup": true, "reservations-lookup-first": true}}')
    assert cfg.early_global_reservations_lookup and cfg.reservations_lookup_first and cfg.warnings == ()
    parsed = TABLE.parsed_keys()
    for key in (
        "Dhcp4.early-global-reservations-lookup",
        "Dhcp4.reservations-lookup-first",
        "Dhcp4.hosts-database",
        "Dhcp4.subnet4[].client-class",
    ):
        assert key not in parsed


def test_implicit_option_spaces_are_accepted() -> None:
    cfg = config(
        """\
        {"Dhcp4": {
            "option-def": [{"name": "acme", "code": 226, "type": "empty", "encapsulate": "acme-space"}],
            "option-data": [
                {"code": 1, "space": "vendor-encapsulated-options-space", "csv-format": false, "data": "0A"},
                {"code": 5, "space": "acme-space", "csv-format": false, "data": "01"},
                {"code": 7, "space": "vendor-1234", "csv-format": false, "data": "02"},
                {"name": "tftp-servers", "space": "vendor-4491", "data": "10.0.0.1"}
            ]
        }}"""
    )
    assert [(o.space, o.code) for o in cfg.option_data] == [
        ("vendor-encapsulated-options-space", 1),
        ("acme-space", 5),
        ("vendor-1234", 7),
        ("vendor-4491", 2),
    ]
    expect_error(
        '{"Dhcp4": {"option-data": [{"code": 1, "space": "nowhere", "csv-format": false, "data": "01"}]}}',
        '"nowhere"',
        "Dhcp4.option-data[0].space",
        'unknown option space "nowhere"',
    )
