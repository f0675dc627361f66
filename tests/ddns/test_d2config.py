"""The DDNS settings and the built-in updater's Kea D2 configuration: modes, values, precise errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.config.d2 import MODE_BUILT_IN, MODE_KEA_D2, MODE_OFF
from edge.config.errors import ConfigError
from edge.dhcp4.config import load_data, load_file, load_text

SECRET = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"  # base64
D2 = {
    "DhcpDdns": {
        "ip-address": "127.0.0.1",
        "port": 53001,
        "dns-server-timeout": 300,
        "tsig-keys": [{"name": "edge-key", "algorithm": "hmac-sha256", "secret": SECRET}],
        "forward-ddns": {
            "ddns-domains": [
                {
                    "name": "home.example",
                    "key-name": "edge-key",
                    "dns-servers": [{"ip-address": "127.0.0.1"}],
                },
                {"name": "iot.home.example.", "dns-servers": [{"ip-address": "192.0.2.53", "port": 5353}]},
            ]
        },
        "reverse-ddns": {
            "ddns-domains": [
                {
                    "name": "2.0.192.in-addr.arpa.",
                    "key-name": "EDGE-KEY.",
                    "dns-servers": [{"ip-address": "127.0.0.1"}],
                },
            ]
        },
    }
}


def dhcp4(ddns: dict) -> dict:
    return {"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}], "dhcp-ddns": ddns}}


def test_modes() -> None:
    assert load_data(dhcp4({})).ddns.mode == MODE_OFF
    kea = load_data(dhcp4({"enable-updates": True, "server-port": 53011})).ddns
    assert (kea.mode, kea.server_ip, kea.server_port) == (MODE_KEA_D2, "127.0.0.1", 53011)
    built = load_data(dhcp4({"enable-updates": True, "user-context": {"d2-config": D2}})).ddns
    assert built.mode == MODE_BUILT_IN
    assert (
        load_data(dhcp4({"enable-updates": False, "user-context": {"d2-config": D2}})).ddns.mode == MODE_OFF
    )


def test_d2_values_are_resolved_and_domains_match_longest_suffix() -> None:
    d2 = load_data(dhcp4({"enable-updates": True, "user-context": {"d2-config": D2}})).ddns.d2
    assert d2 is not None and d2.dns_server_timeout == 300
    key = d2.keys[0]
    assert (key.name, key.algorithm, key.secret) == ("edge-key.", "HMAC-SHA256", b"secretsecretsecretsecret")
    assert d2.match_forward("laptop.home.example.").name == "home.example."
    iot = d2.match_forward("cam.iot.home.example.")
    assert iot.name == "iot.home.example." and iot.servers[0].port == 5353 and iot.servers[0].key is None
    assert d2.match_forward("laptop.elsewhere.example.") is None
    assert d2.match_forward("xhome.example.") is None  # label boundaries
    rev = d2.match_reverse("100.2.0.192.in-addr.arpa.")
    assert rev.servers[0].key == key  # key-name matching is case- and dot-insensitive


def test_d2_file_errors_name_the_d2_file_line_and_path(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(D2))
    bad["DhcpDdns"]["tsig-keys"][0]["algorithm"] = "HMAC-SHA257"
    bad["DhcpDdns"]["forward-ddns"]["ddns-domains"][0]["dns-servers"][0] = {"ip-adress": "127.0.0.1"}
    bad["DhcpDdns"]["reverse-ddns"]["ddns-domains"][0]["name"] = "home.example"
    (tmp_path / "d2.json").write_text(json.dumps(bad, indent=1))
    (tmp_path / "dhcp4.json").write_text(
        json.dumps(dhcp4({"enable-updates": True, "user-context": {"d2-config": "d2.json"}}), indent=1)
    )
    with pytest.raises(ConfigError) as info:
        load_file(str(tmp_path / "dhcp4.json"))
    text = str(info.value)
    d2 = str(tmp_path / "d2.json")
    assert f'{d2}:9:18: DhcpDdns.tsig-keys[0].algorithm: unknown TSIG algorithm "HMAC-SHA257"' in text
    assert "no TSIG key named" not in text  # no follow-on error for the key that was already reported
    assert "DhcpDdns.forward-ddns.ddns-domains[0].dns-servers[0].ip-adress" in text
    assert 'did you mean "ip-address"?' in text
    assert 'missing required key "ip-address"' in text
    assert "is not a reverse zone" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["tsig-keys"][0].update(secret="not base64!"), "not valid base64"),
        (lambda d: d["tsig-keys"][0].update({"digest-bits": 128}), "truncated TSIG digests"),
        (
            lambda d: d["forward-ddns"]["ddns-domains"][0].update({"key-name": "nokey"}),
            'no TSIG key named "nokey"',
        ),
        (lambda d: d["forward-ddns"]["ddns-domains"][0].update({"dns-servers": []}), "lists no DNS server"),
        (lambda d: d.pop("forward-ddns") and d.pop("reverse-ddns"), "would update nothing"),
        (lambda d: d.update({"dns-server-timeot": 5}), 'did you mean "dns-server-timeout"'),
    ],
)
def test_inline_d2_errors(change: object, message: str) -> None:
    doc = json.loads(json.dumps(D2))
    change(doc["DhcpDdns"])  # type: ignore[operator]
    with pytest.raises(ConfigError) as info:
        load_data(dhcp4({"enable-updates": True, "user-context": {"d2-config": doc}}))
    assert message in str(info.value)
    assert "Dhcp4.dhcp-ddns.user-context.d2-config.DhcpDdns" in str(info.value)


def test_a_missing_d2_file_is_a_clear_error(tmp_path: Path) -> None:
    text = json.dumps(
        dhcp4({"enable-updates": True, "user-context": {"d2-config": str(tmp_path / "nope.json")}})
    )
    with pytest.raises(ConfigError) as info:
        load_text(text, "t.json")
    assert "cannot read" in str(info.value) and "Dhcp4.dhcp-ddns.user-context.d2-config" in str(info.value)


def test_secret_file_is_read_relative_to_the_d2_file(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(D2))
    key = doc["DhcpDdns"]["tsig-keys"][0]
    del key["secret"]
    key["secret-file"] = "edge-key.secret"
    (tmp_path / "edge-key.secret").write_text(SECRET + "\n")
    (tmp_path / "d2.json").write_text(json.dumps(doc))
    (tmp_path / "dhcp4.json").write_text(
        json.dumps(dhcp4({"enable-updates": True, "user-context": {"d2-config": "d2.json"}}))
    )
    d2 = load_file(str(tmp_path / "dhcp4.json")).ddns.d2
    assert d2 is not None and d2.keys[0].secret == b"secretsecretsecretsecret"


def test_old_dhcp_ddns_behaviour_keys_warn_and_tcp_is_refused() -> None:
    config = load_data(dhcp4({"enable-updates": True, "qualifying-suffix": "x.example"}))
    assert any('give "ddns-qualifying-suffix"' in w for w in config.warnings)
    with pytest.raises(ConfigError, match='only "UDP"'):
        load_data(dhcp4({"enable-updates": True, "ncr-protocol": "TCP"}))


def test_scope_key_errors() -> None:
    with pytest.raises(ConfigError, match="not a usable regular expression"):
        load_data({"Dhcp4": {"hostname-char-set": "[a-"}})
    with pytest.raises(ConfigError, match="not both"):
        load_data(
            {
                "Dhcp4": {
                    "ddns-use-conflict-resolution": True,
                    "ddns-conflict-resolution-mode": "check-with-dhcid",
                }
            }
        )
    with pytest.raises(ConfigError, match="not a valid domain name part"):
        load_data({"Dhcp4": {"ddns-qualifying-suffix": "a..b"}})


_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 70000),
        st.text(max_size=12),
        st.sampled_from(["home.example.", "127.0.0.1", "edge-key", "HMAC-SHA256", SECRET, "\x00", "/"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "tsig-keys",
        "forward-ddns",
        "reverse-ddns",
        "dns-server-timeout",
        "name",
        "secret",
        "secret-file",
        "algorithm",
        "digest-bits",
        "ddns-domains",
        "dns-servers",
        "ip-address",
        "port",
        "key-name",
        "hostname",
    ]
)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_d2_document_loads_or_gives_config_errors(data: st.DataObject) -> None:
    doc = json.loads(json.dumps(D2))
    for _ in range(data.draw(st.integers(1, 4))):
        target: Any = doc["DhcpDdns"]
        for step in data.draw(st.lists(st.integers(0, 3), max_size=3)):
            children = (
                [
                    v
                    for v in (target.values() if isinstance(target, dict) else target)
                    if isinstance(v, (dict, list))
                ]
                if isinstance(target, (dict, list))
                else []
            )
            if not children:
                break
            target = children[step % len(children)]
        if isinstance(target, dict):
            target[data.draw(_keys)] = data.draw(_json)
        elif isinstance(target, list):
            target.append(data.draw(_json))
    reference = data.draw(st.sampled_from([doc, "\x00", "/", "", 5, None, ["x"]]))
    try:
        load_data(dhcp4({"enable-updates": True, "user-context": {"d2-config": reference}}))
    except ConfigError:
        pass
