"""lease-database "type": "postgresql" with Kea's keys: accepted for DHCPv4, its password kept out of repr
and config-get; refused for DHCPv6 and without a database name."""

from __future__ import annotations

import json

from edge.control.commands import config_get
from edge.dhcp6.config import load_text as load_text6
from tests.config.helpers import config, expect_error

DB = {
    "type": "postgresql",
    "name": "kea",
    "host": "db.example",
    "port": 5432,
    "user": "kea",
    "password": "hunter2-secret",
    "connect-timeout": 7,
}


def _doc(db):
    return json.dumps({"Dhcp4": {"lease-database": db}})


def test_postgresql_lease_database_is_accepted_with_keas_keys():
    cfg = config(_doc(DB))
    db = cfg.lease_database
    assert db.type == "postgresql" and db.name == "kea"
    assert dict(db.params) == {k: v for k, v in DB.items() if k != "type"}
    assert "hunter2" not in repr(db)
    # the keys the store acts on are not reported as "not acted on"; a reconnect timer still is
    assert not any("lease-database.password" in w or "lease-database.host" in w for w in cfg.warnings)
    timers = config(_doc(dict(DB, **{"reconnect-wait-time": 100})))
    assert any("lease-database.reconnect-wait-time" in w for w in timers.warnings)


def test_postgresql_lease_database_needs_a_name():
    db = dict(DB)
    del db["name"]
    expect_error(_doc(db), '{"type"', "Dhcp4.lease-database.name", 'needs "name"')


def test_postgresql_is_refused_for_dhcpv6_leases():
    text = json.dumps({"Dhcp6": {"lease-database": DB}})
    try:
        load_text6(text, source="t.json")
    except Exception as exc:  # noqa: BLE001 - the message is what is checked
        assert "DHCPv4 only" in str(exc)
    else:
        raise AssertionError("a postgresql lease database was accepted for DHCPv6")


def test_config_get_masks_the_password():
    class Server:
        pass

    server = Server()
    server.config = config(_doc(DB))
    answer = config_get(server, {})
    text = json.dumps(answer)
    assert "hunter2" not in text
    assert answer["arguments"]["Dhcp4"]["lease-database"]["password"] == "*****"
    assert answer["arguments"]["Dhcp4"]["lease-database"]["user"] == "kea"
