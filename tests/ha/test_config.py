"""The HA block read where Kea has it, and `check`'s errors with their positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config.errors import ConfigError
from edge.dhcp4.config import load_data, load_text
from edge.ha.config import read_ha
from tests.config.helpers import pos_of
from tests.ha.helpers import dhcp4_doc, dhcp4_text, ha_block


def issues_of(text: str) -> list:
    with pytest.raises(ConfigError) as err:
        load_text(text, "ha.json")
    return err.value.issues


def test_defaults_as_kea_2_2() -> None:
    config = load_data(dhcp4_doc(ha_block()))
    ha = read_ha(config.raw)
    assert ha is not None
    assert (ha.this_server_name, ha.mode, ha.role) == ("server1", "hot-standby", "primary")
    assert (ha.heartbeat_delay, ha.max_response_delay, ha.max_ack_delay) == (10000, 60000, 10000)
    assert (ha.max_unacked_clients, ha.delayed_updates_limit) == (10, 0)
    assert (ha.sync_timeout, ha.sync_page_limit) == (60000, 10000)
    assert ha.send_lease_updates and ha.sync_leases and not ha.wait_backup_ack
    assert ha.partner is not None and ha.partner.name == "server2"
    assert (ha.partner.host, ha.partner.port) == ("127.0.0.1", 8002)
    lb = read_ha(load_data(dhcp4_doc(ha_block(mode="load-balancing"))).raw)
    assert lb is not None and lb.delayed_updates_limit == 100


def test_no_ha_hook_no_config() -> None:
    doc = dhcp4_doc(ha_block())
    doc["Dhcp4"]["hooks-libraries"] = doc["Dhcp4"]["hooks-libraries"][:1]
    assert read_ha(load_data(doc).raw) is None


def test_duplicate_peer_name_points_at_the_second() -> None:
    peers = [
        {"name": "server1", "url": "http://127.0.0.1:8001/", "role": "primary"},
        {"name": "server1", "url": "http://127.0.0.1:8002/", "role": "standby"},
    ]
    text = dhcp4_text(ha_block(peers=peers))
    issues = issues_of(text)
    dup = [i for i in issues if "already specified" in i.message]
    assert len(dup) == 1
    assert (dup[0].line, dup[0].column) == pos_of(text, '"server1"', 3)
    assert dup[0].path.endswith("peers[1].name")


def test_this_server_not_among_peers() -> None:
    text = dhcp4_text(ha_block(this="server9"))
    [issue] = [i for i in issues_of(text) if "server9" in i.message]
    assert (issue.line, issue.column) == pos_of(text, '"server9"')
    assert "no peer configuration specified" in issue.message


@pytest.mark.parametrize(
    ("mode", "roles", "needle"),
    [
        ("hot-standby", ("primary", "secondary"), "secondary servers not allowed in the hot standby"),
        ("load-balancing", ("primary", "standby"), "standby servers not allowed in the load balancing"),
        ("load-balancing", ("secondary", "secondary"), "multiple secondary servers"),
        ("passive-backup", ("primary", "standby"), "standby servers not allowed in the passive backup"),
    ],
)
def test_roles_must_fit_the_mode(mode: str, roles: tuple[str, str], needle: str) -> None:
    peers = [
        {"name": "server1", "url": "http://127.0.0.1:8001/", "role": roles[0]},
        {"name": "server2", "url": "http://127.0.0.1:8002/", "role": roles[1]},
    ]
    messages = [i.message for i in issues_of(dhcp4_text(ha_block(mode=mode, peers=peers)))]
    assert any(needle in m for m in messages), messages


def test_url_needs_an_ip_literal() -> None:
    peers = [
        {"name": "server1", "url": "http://127.0.0.1:8001/", "role": "primary"},
        {"name": "server2", "url": "http://partner.example:8002/", "role": "standby"},
    ]
    text = dhcp4_text(ha_block(peers=peers))
    [issue] = issues_of(text)
    assert "IP address literal" in issue.message
    assert (issue.line, issue.column) == pos_of(text, '"http://partner.example:8002/"')


def test_hot_standby_refuses_delayed_updates_and_uint16_timers() -> None:
    text = dhcp4_text(ha_block(**{"delayed-updates-limit": 5, "heartbeat-delay": 70000}))
    messages = sorted(i.message for i in issues_of(text))
    assert any("'delayed-updates-limit' must be set to 0 in the hot standby" in m for m in messages)
    assert any("'heartbeat-delay' must not be greater than 65535" in m for m in messages)


def test_own_url_off_loopback_without_authentication_is_warned_about_not_refused() -> None:
    # Kea serves it so (its own ha-load-balancing-server2-mt.json example), and Kea configs load unchanged.
    peers = [
        {"name": "server1", "url": "http://192.0.2.1:8001/", "role": "primary"},
        {"name": "server2", "url": "http://192.0.2.2:8001/", "role": "standby"},
    ]
    config = load_data(dhcp4_doc(ha_block(peers=peers)))
    ha = read_ha(config.raw)
    assert ha is not None and ha.this.basic_auth_user is None
    [warning] = [w for w in config.warnings if "not on a loopback address" in w]
    assert "peers[0].url" in warning and "can change leases" in warning
    peers[0] |= {"basic-auth-user": "kea", "basic-auth-password": "secret"}
    config = load_data(dhcp4_doc(ha_block(peers=peers)))
    ha = read_ha(config.raw)
    assert ha is not None and ha.this.basic_auth_user == "kea"
    assert not [w for w in config.warnings if "loopback" in w]


def test_require_client_certs_in_a_peer_is_warned_about_and_ignored_as_kea_does() -> None:
    peers = [
        {
            "name": "server1",
            "url": "http://127.0.0.1:8001/",
            "role": "primary",
            "require-client-certs": False,
        },
        {"name": "server2", "url": "http://127.0.0.1:8002/", "role": "standby"},
    ]
    config = load_data(dhcp4_doc(ha_block(peers=peers)))
    ha = read_ha(config.raw)
    assert ha is not None
    assert any("peers[0].require-client-certs" in w and "relationship" in w for w in config.warnings)
    peers[0]["require-client-cert"] = True  # a misspelt key is still refused
    [issue] = issues_of(dhcp4_text(ha_block(peers=peers)))
    assert 'unknown peer parameter "require-client-cert"' in issue.message


def test_pauses_and_unknown_keys() -> None:
    block = ha_block(**{"state-machine": {"states": [{"state": "ready", "pause": "once"}]}})
    ha = read_ha(load_data(dhcp4_doc(block)).raw)
    assert ha is not None and ha.pauses == {"ready": "once"}
    text = dhcp4_text(ha_block(**{"heartbeat-dleay": 1000}))
    [issue] = issues_of(text)
    assert 'unknown HA parameter "heartbeat-dleay"' in issue.message


def test_check_cli_reports_ha_errors(tmp_path: Path) -> None:
    import subprocess
    import sys

    conf = tmp_path / "ha.json"
    conf.write_text(dhcp4_text(ha_block(this="server9")))
    done = subprocess.run(
        [sys.executable, "-m", "edge", "check", "-c", str(conf)], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "server9" in done.stdout + done.stderr
