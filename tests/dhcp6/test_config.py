"""The Dhcp6 dialect: Kea 2.2's keys and defaults on the shared key-table engine, the v6 model, and errors
with file:line:column as for Dhcp4."""

from __future__ import annotations

import ipaddress
import textwrap
from pathlib import Path

import pytest

from edge.config.errors import ConfigError, ConfigIssue
from edge.dhcp6.config import load_data, load_text
from edge.dhcp6.defaults import DEFAULT_LEASE_FILE, FILES6
from edge.dhcp6.keys import TABLE
from edge.dhcp6.model import Config6, ScopeParams6
from tests.config.helpers import pos_of

SOURCE = "t6.json"


def config(text: str) -> Config6:
    return load_text(textwrap.dedent(text), source=SOURCE)


def issues(text: str) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as info:
        load_text(text, source=SOURCE)
    return info.value.issues


def expect_error(text: str, needle: str, path: str, message: str) -> ConfigIssue:
    """The one error names `path`, contains `message` and points at `needle` in `text`."""
    found = issues(text)
    assert len(found) == 1, [str(i) for i in found]
    (issue,) = found
    assert (issue.path, (issue.line, issue.column)) == (path, pos_of(text, needle)), str(issue)
    assert message in issue.message, issue.message
    return issue


def one_subnet(body: str, top: str = "") -> str:
    return (
        '{"Dhcp6": {'
        + top
        + ("," if top else "")
        + '\n "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64",\n  '
        + body
        + "\n}]}}"
    )


def ip(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


# ----------------------------------------------------------------------------------------- defaults


def test_kea_2_2_v6_defaults() -> None:
    cfg = config('{"Dhcp6": {}}')
    p = cfg.params
    assert (p.preferred_lifetime, p.valid_lifetime) == (3600, 7200)
    assert (p.min_preferred_lifetime, p.max_preferred_lifetime) == (3600, 3600)
    assert (p.calculate_tee_times, p.t1_percent, p.t2_percent) == (True, 0.5, 0.8)
    assert p.renew_timer is None and p.rebind_timer is None and p.rapid_commit is False
    assert cfg.host_reservation_identifiers == ("hw-address", "duid")
    assert cfg.mac_sources == ("any",) and cfg.relay_supplied_options == (65,)
    assert cfg.server_id.type == "LLT" and cfg.server_id.persist and cfg.server_id.identifier == b""
    assert cfg.decline_probation_period == 86400 and cfg.lease_database.name is None
    assert FILES6.default_lease_file == DEFAULT_LEASE_FILE == "/var/lib/edge-dhcp/dhcp6.leases"
    raw = cfg.raw["Dhcp6"]  # what config-get shows: Kea's defaults filled in
    assert (
        raw["preferred-lifetime"] == 3600 and raw["t2-percent"] == 0.8 and raw["calculate-tee-times"] is True
    )
    assert raw["server-id"] == {
        "type": "LLT",
        "identifier": "",
        "time": 0,
        "htype": 0,
        "enterprise-id": 0,
        "persist": True,
    }
    assert raw["dhcp-queue-control"]["queue-type"] == "kea-ring6"
    assert raw["host-reservation-identifiers"] == ["hw-address", "duid"] and raw["mac-sources"] == ["any"]


def test_model_scope_defaults_match_the_table() -> None:
    params = ScopeParams6()
    for key in ("preferred-lifetime", "valid-lifetime", "calculate-tee-times", "t1-percent", "t2-percent"):
        row = TABLE.lookup("Dhcp6", key)
        assert row is not None and row.inherit
        assert getattr(params, key.replace("-", "_")) == row.default, key


@pytest.mark.parametrize(
    ("params", "preferred", "tee"),
    [
        (ScopeParams6(), 3000, (1500, 2400)),  # Kea 2.2: percentages of the preferred lifetime
        (ScopeParams6(), 3, (2, 2)),  # round() halves away from zero: 1.5 -> 2, 2.4 -> 2; T1 not < T2 -> 0
        (ScopeParams6(renew_timer=100), 3000, (100, 2400)),
        (ScopeParams6(renew_timer=100, rebind_timer=200), 3000, (100, 200)),
        (ScopeParams6(renew_timer=300, rebind_timer=200), 3000, (0, 200)),
        (ScopeParams6(calculate_tee_times=False), 3000, (0, 0)),
        (ScopeParams6(t1_percent=0.25, t2_percent=0.5), 1000, (250, 500)),
    ],
)
def test_tee_times_as_kea_2_2_sets_them(params: ScopeParams6, preferred: int, tee: tuple[int, int]) -> None:
    expected = (0, tee[1]) if tee[0] >= tee[1] else tee
    assert params.tee_times(preferred) == expected


# ----------------------------------------------------------------------------------------- subnets and pools


def test_subnet_pools_pd_pools_and_scope_resolution() -> None:
    cfg = config(
        one_subnet(
            '"pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}, {"pool": "2001:db8:1:0:1::/80"}],\n'
            '  "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64,\n'
            '    "excluded-prefix": "2001:db8:8:0:8000::", "excluded-prefix-len": 72}],\n'
            '  "preferred-lifetime": 1000, "valid-lifetime": 2000, "rapid-commit": true, "interface": "eth0"',
            top='"renew-timer": 300, "rebind-timer": 600',
        )
    )
    (s,) = cfg.subnets
    assert s.text == "2001:db8:1::/64" and s.interface == "eth0" and s.path == "Dhcp6.subnet6[0]"
    assert [(p.first, p.last) for p in s.pools] == [
        (ip("2001:db8:1::100"), ip("2001:db8:1::1ff")),
        (ip("2001:db8:1:0:1::"), ip("2001:db8:1:0:1:ffff:ffff:ffff")),
    ]
    assert s.pools[0].size == 256 and ip("2001:db8:1::150") in s.pools[0]
    (pd,) = s.pd_pools
    assert (pd.prefix, pd.prefix_len, pd.delegated_len, pd.size) == (ip("2001:db8:8::"), 56, 64, 256)
    assert (pd.excluded_prefix, pd.excluded_prefix_len) == (ip("2001:db8:8:0:8000::"), 72)
    p = s.params
    assert (p.preferred_lifetime, p.valid_lifetime, p.renew_timer, p.rebind_timer) == (1000, 2000, 300, 600)
    assert p.rapid_commit and p.tee_times(1000) == (300, 600)


def test_subnet_ids_are_numbered_as_kea_reads_them() -> None:
    cfg = config(
        """\
        {"Dhcp6": {
            "shared-networks": [{"name": "lab", "subnet6": [{"subnet": "2001:db8:2::/64"}]}],
            "subnet6": [{"subnet": "2001:db8:1::/64"}, {"id": 1, "subnet": "2001:db8:3::/64"}]
        }}"""
    )
    assert [(s.id, s.text) for s in cfg.subnets] == [
        (1, "2001:db8:3::/64"),
        (2, "2001:db8:2::/64"),
        (3, "2001:db8:1::/64"),
    ]


def test_shared_network_gives_its_subnets_rapid_commit_interface_id_and_relay() -> None:
    cfg = config(
        """\
        {"Dhcp6": {"shared-networks": [{
            "name": "far", "rapid-commit": true, "interface-id": "port-7",
            "relay": {"ip-addresses": ["2001:db8:ff::1"]}, "preferred-lifetime": 900,
            "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64"},
                        {"id": 2, "subnet": "2001:db8:2::/64", "rapid-commit": false}]
        }],
        "subnet6": [{"id": 3, "subnet": "2001:db8:3::/64"}]}}"""
    )
    one, two, three = cfg.subnets
    assert one.params.rapid_commit and not two.params.rapid_commit and not three.params.rapid_commit
    assert one.interface_id == b"port-7" == two.interface_id and three.interface_id is None
    assert one.relay_addresses == (ip("2001:db8:ff::1"),) and one.params.preferred_lifetime == 900
    (net,) = cfg.shared_networks
    assert (net.name, net.subnet_ids, net.interface_id) == ("far", (1, 2), b"port-7")
    raw = cfg.raw["Dhcp6"]
    assert raw["subnet6"][0]["rapid-commit"] is False and raw["shared-networks"][0]["rapid-commit"] is True
    assert "rapid-commit" not in raw["shared-networks"][0]["subnet6"][0]  # inherited, as Kea shows it


@pytest.mark.parametrize(
    ("body", "needle", "path", "message"),
    [
        ('"pools": [{"pool": "2001:db8:2::1 - 2001:db8:2::9"}]', '"2001:db8:2::1', "Dhcp6.subnet6[0].pools[0].pool",
         "is not inside the subnet 2001:db8:1::/64"),
        ('"pools": [{"pool": "2001:db8:1::9 - 2001:db8:1::1"}]', '"2001:db8:1::9', "Dhcp6.subnet6[0].pools[0].pool",
         "ends before it starts"),
        ('"pools": [{"pool": "2001:db8:1::1 - 2001:db8:1::9"}, {"pool": "2001:db8:1::5/128"}]', '"2001:db8:1::5/',
         "Dhcp6.subnet6[0].pools[1].pool", "overlaps the pool at Dhcp6.subnet6[0].pools[0]"),
        ('"pools": [{"pool": "192.0.2.1 - 192.0.2.9"}]', '"192.0.2.1', "Dhcp6.subnet6[0].pools[0].pool",
         '"192.0.2.1" is not an IPv6 address'),
        ('"pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 48}]', "48",
         "Dhcp6.subnet6[0].pd-pools[0].delegated-len", "must be at least the prefix length (56)"),
        ('"pd-pools": [{"prefix": "2001:db8:8::1", "prefix-len": 56, "delegated-len": 64}]', '"2001:db8:8::1"',
         "Dhcp6.subnet6[0].pd-pools[0].prefix", "host bits are set"),
        ('"pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64, '
         '"excluded-prefix": "2001:db8:8::", "excluded-prefix-len": 64}]', "64}",
         "Dhcp6.subnet6[0].pd-pools[0].excluded-prefix-len", "must be greater than the delegated length (64)"),
        ('"pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64, '
         '"excluded-prefix": "2001:db8:9::", "excluded-prefix-len": 72}]', '"2001:db8:9::"',
         "Dhcp6.subnet6[0].pd-pools[0].excluded-prefix", "is not inside the first delegated prefix"),
        ('"pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64},\n'
         ' {"prefix": "2001:db8:8::", "prefix-len": 60, "delegated-len": 64}]', '"2001:db8:8::", "prefix-len": 60',
         "Dhcp6.subnet6[0].pd-pools[1].prefix", "overlaps the pool at Dhcp6.subnet6[0].pd-pools[0]"),
        ('"interface": "eth0", "interface-id": "x"', '"x"', "Dhcp6.subnet6[0].interface-id",
         'give "interface" (for clients on a local link) or "interface-id"'),
        ('"preferred-lifetime": 9000', "9000", "Dhcp6.subnet6[0].preferred-lifetime",
         "preferred-lifetime (9000) is greater than valid-lifetime (7200)"),
        ('"renew-timer": 900, "rebind-timer": 600', "900", "Dhcp6.subnet6[0].renew-timer",
         "renew-timer (900) is greater than rebind-timer (600)"),
        ('"relay": {"ip-addresses": ["10.0.0.1"]}', '"10.0.0.1"', "Dhcp6.subnet6[0].relay.ip-addresses[0]",
         'relay address "10.0.0.1" is not an IPv6 address'),
    ],
)  # fmt: skip
def test_subnet_errors_point_at_the_key(body: str, needle: str, path: str, message: str) -> None:
    text = one_subnet(body)
    expect_error(text, needle, path, message)


def test_overlapping_subnets_and_prefix_errors() -> None:
    text = '{"Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8::/48"}, {"id": 2, "subnet": "2001:db8:0:5::/64"}]}}'
    expect_error(
        text, '"2001:db8:0:5::/64"', "Dhcp6.subnet6[1].subnet", "overlaps 2001:db8::/48 at Dhcp6.subnet6[0]"
    )
    text = '{"Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8::"}]}}'
    expect_error(
        text, '"2001:db8::"', "Dhcp6.subnet6[0].subnet", 'a subnet needs a length, like "2001:db8::/64"'
    )
    cfg = config('{"Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8::5/64"}]}}')
    assert cfg.subnets[0].text == "2001:db8::/64"
    assert any("host bits are set" in w for w in cfg.warnings)


# ----------------------------------------------------------------------------------------- reservations


def test_reservations_with_duid_hw_address_flex_id_addresses_and_prefixes() -> None:
    cfg = config(
        one_subnet(
            '"reservations": [\n'
            '   {"duid": "00:03:00:01:aa:bb:cc:dd:ee:ff", "ip-addresses": ["2001:db8:1::10", "2001:db8:1::11"],\n'
            '    "prefixes": ["2001:db8:100::/56"], "hostname": "router", "client-classes": ["routers"],\n'
            '    "option-data": [{"name": "dns-servers", "data": "2001:db8::53"}]},\n'
            '   {"hw-address": "aa:bb:cc:00:00:01", "ip-addresses": ["2001:db8:1::20"]},\n'
            '   {"flex-id": "\'port-5\'", "prefixes": ["2001:db8:200::/64"]}]',
            top='"client-classes": [{"name": "routers"}], "reservations": [{"duid": "01:02", "hostname": "g"}]',
        )
    )
    r1, r2, r3 = cfg.subnets[0].reservations
    assert r1.duid == bytes.fromhex("00030001aabbccddeeff") and r1.hostname == "router"
    assert r1.ip_addresses == (ip("2001:db8:1::10"), ip("2001:db8:1::11"))
    assert r1.prefixes == ((ip("2001:db8:100::"), 56),) and r1.client_classes == ("routers",)
    assert (
        r1.option_data[0].code == 23
        and r1.option_data[0].data == ipaddress.IPv6Address("2001:db8::53").packed
    )
    assert r1.identifiers() == (("duid", r1.duid),) and r1.subnet_id == 1
    assert set(r1.reserved_addresses()) == {ip("2001:db8:1::10"), ip("2001:db8:1::11"), ip("2001:db8:100::")}
    assert r2.hw_address == bytes.fromhex("aabbcc000001") and r3.flex_id == b"port-5"
    assert cfg.reservations[0].duid == b"\x01\x02" and cfg.reservations[0].subnet_id == 0


@pytest.mark.parametrize(
    ("body", "needle", "path", "message"),
    [
        ('{"duid": "01:02", "ip-addresses": ["2001:db8:9::1"]}', '"2001:db8:9::1"',
         "Dhcp6.subnet6[0].reservations[0].ip-addresses[0]", "is outside the subnet 2001:db8:1::/64"),
        ('{"duid": "01:02", "ip-addresses": ["2001:db8:1::1"]}, {"duid": "03", "ip-addresses": ["2001:db8:1::1"]}',
         '"2001:db8:1::1"]}]', "Dhcp6.subnet6[0].reservations[1].ip-addresses[0]",
         "is already reserved by Dhcp6.subnet6[0].reservations[0]"),
        ('{"duid": "01:02", "prefixes": ["2001:db8:100::1/56"]}', '"2001:db8:100::1/56"',
         "Dhcp6.subnet6[0].reservations[0].prefixes[0]", "is not an IPv6 prefix"),
        ('{"duid": "01", "client-id": "01:02"}', '"client-id"', "Dhcp6.subnet6[0].reservations[0].client-id",
         'unknown key "client-id"'),
        ('{"duid": "01:02", "ip-address": "2001:db8:1::1"}', '"ip-address"',
         "Dhcp6.subnet6[0].reservations[0].ip-address", 'unknown key "ip-address"; did you mean "ip-addresses"?'),
        ('{"duid": "01:02", "hw-address": "aa:bb:cc:dd:ee:ff"}', '{"duid"', "Dhcp6.subnet6[0].reservations[0]",
         'give one identifier per reservation, not both "hw-address" and "duid"'),
    ],
)  # fmt: skip
def test_reservation_errors(body: str, needle: str, path: str, message: str) -> None:
    expect_error(one_subnet('"reservations": [' + body + "]"), needle, path, message)


def test_host_reservation_identifiers_are_the_v6_ones() -> None:
    cfg = config('{"Dhcp6": {"host-reservation-identifiers": ["duid", "flex-id"]}}')
    assert cfg.host_reservation_identifiers == ("duid", "flex-id")
    (issue,) = issues('{"Dhcp6": {"host-reservation-identifiers": ["circuit-id"]}}')
    assert issue.path == "Dhcp6.host-reservation-identifiers[0]" and '"flex-id"' in issue.message


# ----------------------------------------------------------------------------------------- options, classes


def test_option_data_in_the_dhcp6_space() -> None:
    cfg = config(
        """\
        {"Dhcp6": {
            "option-def": [{"name": "acme", "code": 1234, "type": "uint16"}],
            "option-data": [
                {"name": "dns-servers", "data": "2001:db8::1, 2001:db8::2"},
                {"name": "domain-search", "data": "example.com"},
                {"code": 1234, "data": "513", "always-send": true},
                {"code": 2000, "csv-format": false, "data": "0102"}
            ]
        }}"""
    )
    by_code = {o.code: o for o in cfg.option_data}
    assert (
        by_code[23].data
        == ipaddress.IPv6Address("2001:db8::1").packed + ipaddress.IPv6Address("2001:db8::2").packed
    )
    assert by_code[24].data == b"\x07example\x03com\x00" and by_code[23].space == "dhcp6"
    assert by_code[1234].data == b"\x02\x01" and by_code[1234].always_send and by_code[1234].name == "acme"
    assert by_code[2000].data == b"\x01\x02"
    expect_error(
        '{"Dhcp6": {"option-data": [{"code": 0, "csv-format": false, "data": "00"}]}}',
        "0,",
        "Dhcp6.option-data[0].code",
        "option code 0 is reserved",
    )
    expect_error(
        '{"Dhcp6": {"option-data": [{"name": "routers", "data": "10.0.0.1"}]}}',
        '"routers"',
        "Dhcp6.option-data[0].name",
        'unknown option "routers" in space "dhcp6"',
    )


def test_client_classes_with_v6_expressions_and_preferred_lifetimes() -> None:
    cfg = config(
        """\
        {"Dhcp6": {"client-classes": [
            {"name": "relayed-solicit", "test": "pkt6.msgtype == 1 and relay6[0].option[18].exists",
             "preferred-lifetime": 500, "min-preferred-lifetime": 100, "max-preferred-lifetime": 900},
            {"name": "docsis", "test": "vendor-class[4491].exists", "option-data": [
                {"name": "preference", "data": "255"}]}
        ]}}"""
    )
    relayed, docsis = cfg.client_classes
    assert relayed.expression is not None and not relayed.expression.depends_on_known
    assert (relayed.min_preferred_lifetime, relayed.preferred_lifetime, relayed.max_preferred_lifetime) == (
        100,
        500,
        900,
    )
    assert docsis.option_data[0].code == 7 and docsis.option_data[0].data == b"\xff"
    text = '{"Dhcp6": {"client-classes": [{"name": "c", "test": "pkt4.mac == 0x01"}]}}'
    issue = expect_error(text, '"pkt4', "Dhcp6.client-classes[0].test", "pkt4 can only be used in DHCPv4")
    assert issue.column == pos_of(text, '"pkt4')[1]
    expect_error(
        '{"Dhcp6": {"client-classes": [{"name": "c", "next-server": "10.0.0.1"}]}}',
        '"next-server"',
        "Dhcp6.client-classes[0].next-server",
        'unknown key "next-server"',
    )


# ----------------------------------------------------------------------------------------- global sections


def test_interfaces_with_unicast_addresses() -> None:
    cfg = config('{"Dhcp6": {"interfaces-config": {"interfaces": ["eth0/2001:db8::1", "eth1", "*"]}}}')
    assert [(i.name, i.address) for i in cfg.interfaces] == [
        ("eth0", ip("2001:db8::1")),
        ("eth1", None),
        ("*", None),
    ]
    expect_error(
        '{"Dhcp6": {"interfaces-config": {"interfaces": ["eth0/192.0.2.1"]}}}',
        '"eth0/',
        "Dhcp6.interfaces-config.interfaces[0]",
        '"192.0.2.1" in "eth0/192.0.2.1" is not an IPv6 address',
    )
    expect_error(
        '{"Dhcp6": {"interfaces-config": {"dhcp-socket-type": "raw"}}}',
        '"dhcp-socket-type"',
        "Dhcp6.interfaces-config.dhcp-socket-type",
        "DHCPv6 always uses UDP sockets",
    )


def test_server_id_mac_sources_relay_supplied_options_and_data_directory() -> None:
    cfg = config(
        """\
        {"Dhcp6": {
            "server-id": {"type": "EN", "enterprise-id": 2495, "identifier": "0123456789abcdef", "persist": false},
            "mac-sources": ["client-link-addr-option", "duid", "ipv6-link-local"],
            "relay-supplied-options": ["110", "dns-servers"],
            "data-directory": "/srv/edge"
        }}"""
    )
    sid = cfg.server_id
    assert (sid.type, sid.enterprise_id, sid.identifier, sid.persist) == (
        "EN",
        2495,
        bytes.fromhex("0123456789abcdef"),
        False,
    )
    assert cfg.mac_sources == ("client-link-addr-option", "duid", "ipv6-link-local")
    assert cfg.relay_supplied_options == (65, 110, 23) and cfg.data_directory == "/srv/edge"
    expect_error('{"Dhcp6": {"server-id": {"identifier": "01"}}}', "{\"identifier", "Dhcp6.server-id",
                 'missing required key "type"')  # fmt: skip
    expect_error('{"Dhcp6": {"server-id": {"type": "LL", "identifier": "xyz"}}}', '"xyz"',
                 "Dhcp6.server-id.identifier", "not a string of hexadecimal digits")  # fmt: skip
    expect_error('{"Dhcp6": {"server-id": {"type": "UUID"}}}', '"UUID"', "Dhcp6.server-id.type",
                 'one of "LLT", "EN", "LL"')  # fmt: skip
    expect_error(
        '{"Dhcp6": {"mac-sources": ["duid", "duid"]}}', '"duid"]', "Dhcp6.mac-sources[1]", "listed twice"
    )


def test_shared_sections_read_as_in_dhcp4() -> None:
    cfg = config(
        """\
        {"Dhcp6": {
            "lease-database": {"type": "memfile", "name": "/var/lib/edge-dhcp/v6.leases", "lfc-interval": 1800},
            "control-sockets": [{"socket-type": "unix", "socket-name": "/run/edge-dhcp/dhcp6.sock"}],
            "loggers": [{"name": "kea-dhcp6", "severity": "DEBUG", "debuglevel": 50,
                         "output-options": [{"output": "stdout"}]}],
            "expired-leases-processing": {"reclaim-timer-wait-time": 5},
            "decline-probation-period": 600,
            "dhcp-ddns": {"enable-updates": true, "server-ip": "127.0.0.1"},
            "ddns-qualifying-suffix": "example.org",
            "reservations-global": true, "reservations-in-subnet": false,
            "early-global-reservations-lookup": true
        }}"""
    )
    assert (
        cfg.lease_database.name == "/var/lib/edge-dhcp/v6.leases" and cfg.lease_database.lfc_interval == 1800
    )
    assert cfg.control_sockets[0].socket_name == "/run/edge-dhcp/dhcp6.sock"
    assert cfg.loggers[0].name == "kea-dhcp6" and cfg.loggers[0].outputs[0].output == "stdout"
    assert cfg.expired_leases_processing.reclaim_timer_wait_time == 5 and cfg.decline_probation_period == 600
    assert cfg.ddns.enable_updates and cfg.params.ddns_qualifying_suffix == "example.org"
    assert cfg.params.reservations_global and not cfg.params.reservations_in_subnet
    assert cfg.early_global_reservations_lookup and cfg.warnings == ()


@pytest.mark.parametrize(
    "key", ["match-client-id", "authoritative", "next-server", "boot-file-name", "echo-client-id"]
)
def test_dhcp4_only_keys_are_refused_at_the_key(key: str) -> None:
    text = '{"Dhcp6": {"' + key + '": true}}'
    (issue,) = issues(text)
    assert issue.path == f"Dhcp6.{key}" and issue.message.startswith(f'unknown key "{key}"')
    assert (issue.line, issue.column) == pos_of(text, f'"{key}"')


def test_newer_kea_spellings_are_accepted_as_for_dhcp4() -> None:
    cfg = config(
        """\
        {"Dhcp6": {
            "client-classes": [{"name": "late", "test": "pkt6.msgtype == 3", "only-in-additional-list": true}],
            "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64",
                         "client-classes": ["late"], "evaluate-additional-classes": ["late"],
                         "pools": [{"pool": "2001:db8:1::/80", "client-classes": ["late"]}]}],
            "loggers": [{"name": "kea-dhcp6", "output-options": [{"output": "stderr"}]}],
            "ddns-conflict-resolution-mode": "check-exists-with-dhcid",
            "t1-percent": .4, "t2-percent": .7
        }}"""
    )
    (s,) = cfg.subnets
    assert s.client_classes == ("late",) and s.require_client_classes == ("late",)
    assert cfg.client_classes[0].only_if_required and s.pools[0].client_classes == ("late",)
    assert s.params.ddns_conflict_resolution_mode == "check-exists-with-dhcid"
    assert (s.params.t1_percent, s.params.t2_percent) == (0.4, 0.7)


def test_load_data_and_the_v4_loader_refusing_a_v6_file() -> None:
    from edge.dhcp4.config import load_text as load_text4

    doc = {"Dhcp6": {"subnet6": [{"id": 7, "subnet": "2001:db8:7::/64"}]}}
    assert load_data(doc).subnets[0].id == 7
    with pytest.raises(ConfigError) as info:
        load_text4(textwrap.dedent('{"Dhcp6": {}}'), source="x")
    assert 'no "Dhcp4" section' in info.value.issues[0].message
    with pytest.raises(ConfigError) as info:
        load_text('{"Dhcp4": {}}', source="x")
    assert 'no "Dhcp6" section' in info.value.issues[0].message


def test_hosts_database_documents_are_checked_like_the_configuration(tmp_path: Path) -> None:
    from tinydb import TinyDB

    from edge.dhcp6.config import open_host_backends
    from edge.policy.hosts import HostsDatabaseError

    path = tmp_path / "hosts6.json"
    db = TinyDB(str(path))
    db.table("hosts").insert({"subnet-id": 1, "duid": "01:02:03", "ip-addresses": ["2001:db8:1::9"]})
    db.table("hosts").insert({"hw-address": "aa:bb:cc:dd:ee:ff", "prefixes": ["2001:db8:77::/56"]})
    db.close()
    doc = {
        "hosts-database": {"type": "tinydb", "name": str(path)},
        "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64"}],
    }
    cfg = load_data({"Dhcp6": doc})
    backends = open_host_backends(cfg)
    found = backends[1].get(1, "duid", b"\x01\x02\x03")
    assert found is not None and found.ip_addresses == (ip("2001:db8:1::9"),)
    assert [r.hostname for r in backends[1].get_by_address(0, ip("2001:db8:77::"))] == [None]
    db = TinyDB(str(path))
    db.table("hosts").insert({"subnet-id": 1, "duid": "04", "ip-addresses": ["2001:db8:2::1"]})
    db.close()
    with pytest.raises(HostsDatabaseError, match="is outside the subnet 2001:db8:1::/64"):
        open_host_backends(cfg)
