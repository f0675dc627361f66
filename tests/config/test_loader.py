"""Semantic checks of the loader, each asserting the exact file:line:column and key path; and the shape of
the Config4 it builds (resolution, ids, encoding, raw defaults, immutability)."""

from __future__ import annotations

import dataclasses
import ipaddress
import textwrap
from pathlib import Path
from typing import Any

import pytest

from edge.config.errors import ConfigError
from edge.config.jsonpos import PositionMap
from edge.config.model import ip_int
from edge.dhcp4.config import load_data, load_text
from edge.dhcp4.model import Config4
from tests.config.helpers import config, expect_error, issues, pos_of


def one_subnet(subnet_body: str, top: str = "") -> str:
    """A document with one subnet 10.0.0.0/24 (id 1) plus `subnet_body` inside it and `top` beside it."""
    return (
        '{"Dhcp4": {'
        + top
        + ("," if top else "")
        + '\n "subnet4": [{"id": 1, "subnet": "10.0.0.0/24",\n  '
        + subnet_body
        + "\n}]}}"
    )


# ----------------------------------------------------------------------------------------- subnets


@pytest.mark.parametrize(
    ("subnet", "message"),
    [
        ('"10.0.0.0"', 'a subnet needs a length, like "10.0.0.0/24"'),
        ('"10.0.0.0/33"', "is not an IPv4 prefix"),
        ('"10.0.0.256/24"', "is not an IPv4 prefix"),
        ('"fe80::/64"', "is not an IPv4 prefix"),
        ('"eth0"', "is not a prefix"),
    ],
)
def test_bad_subnet_prefix(subnet: str, message: str) -> None:
    expect_error(
        '{"Dhcp4": {"subnet4": [{"id": 1, "subnet": ' + subnet + "}]}}",
        subnet,
        "Dhcp4.subnet4[0].subnet",
        message,
    )


def test_host_bits_in_a_subnet_are_a_warning_and_masked() -> None:
    cfg = config('{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.5/24"}]}}')
    assert cfg.subnets[0].network == ip_int("10.0.0.0")
    assert cfg.warnings == (
        't.json:1:44: Dhcp4.subnet4[0].subnet: host bits are set in "10.0.0.5/24"; taken as 10.0.0.0/24',
    )


def test_duplicate_subnet_id() -> None:
    expect_error(
        """\
        {"Dhcp4": {"subnet4": [
            {"id": 7, "subnet": "10.0.0.0/24"},
            {"id": 7, "subnet": "10.0.1.0/24"}
        ]}}""",
        "7",
        "Dhcp4.subnet4[1].id",
        "subnet id 7 is already used by Dhcp4.subnet4[0]",
        nth=2,
    )


def test_missing_ids_are_assigned_as_kea_does_shared_networks_first_skipping_explicit_ids() -> None:
    cfg = config(
        """\
        {"Dhcp4": {
            "subnet4": [
                {"subnet": "10.0.1.0/24"},
                {"id": 2, "subnet": "10.0.2.0/24"},
                {"id": 0, "subnet": "10.0.3.0/24"}
            ],
            "shared-networks": [{"name": "n", "subnet4": [{"subnet": "10.1.0.0/24"}, {"subnet": "10.1.1.0/24"}]}]
        }}"""
    )
    assert [(s.id, s.text) for s in cfg.subnets] == [
        (1, "10.1.0.0/24"),
        (2, "10.0.2.0/24"),
        (3, "10.1.1.0/24"),
        (4, "10.0.1.0/24"),
        (5, "10.0.3.0/24"),
    ]
    assert cfg.shared_networks[0].subnet_ids == (1, 3)
    assert [s["id"] for s in cfg.raw["Dhcp4"]["subnet4"]] == [2, 4, 5]


def test_overlapping_subnets() -> None:
    expect_error(
        """\
        {"Dhcp4": {"subnet4": [
            {"id": 1, "subnet": "10.0.0.0/16"},
            {"id": 2, "subnet": "10.0.5.0/24"}
        ]}}""",
        '"10.0.5.0/24"',
        "Dhcp4.subnet4[1].subnet",
        "overlaps 10.0.0.0/16 at Dhcp4.subnet4[0]",
    )


def test_duplicate_subnet_across_a_shared_network() -> None:
    # Kea reads shared networks first, so the top-level one is the later duplicate.
    expect_error(
        """\
        {"Dhcp4": {
            "subnet4": [{"id": 1, "subnet": "10.0.0.0/24"}],
            "shared-networks": [{"name": "n", "subnet4": [{"id": 2, "subnet": "10.0.0.0/24"}]}]
        }}""",
        '"10.0.0.0/24"',
        "Dhcp4.subnet4[0].subnet",
        "is the same subnet as 10.0.0.0/24 at Dhcp4.shared-networks[0].subnet4[0]",
    )


# ----------------------------------------------------------------------------------------- pools


@pytest.mark.parametrize(
    ("pool", "message"),
    [
        ('"10.0.0.9 - 10.0.0.1"', 'the range "10.0.0.9 - 10.0.0.1" ends before it starts'),
        ('"10.0.0.1 - 10.0.0.x"', '"10.0.0.x" is not an IPv4 address'),
        ('"10.0.0.1 to 10.0.0.9"', "is not an address range"),
        ('"10.0.0.0/40"', "is not an address range"),
        ('"10.0.1.1 - 10.0.1.9"', 'the pool "10.0.1.1 - 10.0.1.9" is not inside the subnet 10.0.0.0/24'),
        ('"10.0.0.200 - 10.0.1.9"', "is not inside the subnet 10.0.0.0/24"),
        ('"10.0.0.0/23"', "is not inside the subnet"),
    ],
)
def test_bad_pools(pool: str, message: str) -> None:
    expect_error(
        one_subnet('"pools": [{"pool": ' + pool + "}]"), pool, "Dhcp4.subnet4[0].pools[0].pool", message
    )


def test_overlapping_pools_are_reported_at_the_later_one() -> None:
    expect_error(
        one_subnet('"pools": [{"pool": "10.0.0.40 - 10.0.0.60"}, {"pool": "10.0.0.10 - 10.0.0.50"}]'),
        '"10.0.0.10 - 10.0.0.50"',
        "Dhcp4.subnet4[0].pools[1].pool",
        'the pool "10.0.0.10 - 10.0.0.50" overlaps the pool at Dhcp4.subnet4[0].pools[0]',
    )


def test_pools_in_both_notations() -> None:
    cfg = config(one_subnet('"pools": [{"pool": "10.0.0.10-10.0.0.20"}, {"pool": "10.0.0.128/25"}]'))
    assert [(p.first, p.last) for p in cfg.subnets[0].pools] == [
        (ip_int("10.0.0.10"), ip_int("10.0.0.20")),
        (ip_int("10.0.0.128"), ip_int("10.0.0.255")),
    ]


# ----------------------------------------------------------------------------------------- options


def test_unknown_option_name_with_suggestion() -> None:
    expect_error(
        one_subnet('"option-data": [{"name": "domain-name-server", "data": "10.0.0.1"}]'),
        '"domain-name-server"',
        "Dhcp4.subnet4[0].option-data[0].name",
        'unknown option "domain-name-server" in space "dhcp4"; did you mean "domain-name-servers"?',
    )


def test_option_data_that_does_not_encode_carries_the_codec_message() -> None:
    expect_error(
        one_subnet('"option-data": [{"name": "routers", "data": "10.0.0.1, 10.0.0"}]'),
        '"10.0.0.1, 10.0.0"',
        "Dhcp4.subnet4[0].option-data[0].data",
        "'10.0.0' is not an IPv4 address",
    )


def test_option_code_without_definition_needs_hex() -> None:
    expect_error(
        '{"Dhcp4": {"option-data": [{"code": 230, "data": "hello"}]}}',
        "230",
        "Dhcp4.option-data[0].code",
        'no definition for option 230 in space "dhcp4"',
    )
    cfg = config('{"Dhcp4": {"option-data": [{"code": 230, "data": "01:02:ff", "csv-format": false}]}}')
    assert cfg.option_data[0].code == 230 and cfg.option_data[0].data == b"\x01\x02\xff"


def test_option_name_and_code_must_agree() -> None:
    expect_error(
        '{"Dhcp4": {"option-data": [{"name": "routers", "code": 6, "data": "10.0.0.1"}]}}',
        "6",
        "Dhcp4.option-data[0].code",
        'option "routers" has code 3, not 6',
    )


def test_unknown_option_space() -> None:
    expect_error(
        '{"Dhcp4": {"option-data": [{"name": "foo", "space": "vendor-bogus", "data": "1"}]}}',
        '"vendor-bogus"',
        "Dhcp4.option-data[0].space",
        'unknown option space "vendor-bogus"',
    )
    # vendor-<enterprise id> spaces exist implicitly, as in Kea (sub-options of option 125): there the
    # error is the option name.
    expect_error(
        '{"Dhcp4": {"option-data": [{"name": "foo", "space": "vendor-1234", "data": "1"}]}}',
        '"foo"',
        "Dhcp4.option-data[0].name",
        'unknown option "foo" in space "vendor-1234"',
    )


def test_reserved_option_codes() -> None:
    expect_error(
        '{"Dhcp4": {"option-data": [{"code": 255, "data": "", "csv-format": false}]}}',
        "255",
        "Dhcp4.option-data[0].code",
        "option code 255 is reserved (end)",
    )


def test_option_def_errors_come_from_the_codec_and_sit_at_the_definition() -> None:
    expect_error(
        '{"Dhcp4": {"option-def": [{"name": "my-dns", "code": 6, "type": "ipv4-address"}]}}',
        '{"name": "my-dns"',
        "Dhcp4.option-def[0]",
        "option code 6 is already defined in space dhcp4",
    )
    expect_error(
        '{"Dhcp4": {"option-def": [{"name": "x", "code": 224, "type": "float"}]}}',
        '{"name": "x"',
        "Dhcp4.option-def[0]",
        "unknown option type 'float'",
    )


def test_custom_options_encode_with_their_definitions() -> None:
    cfg = config(
        """\
        {"Dhcp4": {
            "option-def": [{"name": "site-id", "code": 224, "type": "record", "record-types": "uint8, ipv4-address"}],
            "option-data": [{"name": "site-id", "data": "5, 10.0.0.1", "always-send": true}],
            "client-classes": [{"name": "c",
                "option-def": [{"name": "class-only", "code": 225, "type": "uint16"}],
                "option-data": [{"name": "class-only", "data": "513"}]}]
        }}"""
    )
    (site,) = cfg.option_data
    assert (site.code, site.name, site.data, site.always_send) == (
        224,
        "site-id",
        b"\x05\x0a\x00\x00\x01",
        True,
    )
    assert cfg.client_classes[0].option_data[0].data == b"\x02\x01"
    assert [d.name for d in cfg.option_defs] == ["site-id"]
    assert cfg.raw["Dhcp4"]["option-def"][0]["array"] is False


def test_option_payloads_are_wire_bytes_at_every_scope() -> None:
    cfg = config(
        """\
        {"Dhcp4": {
            "option-data": [{"name": "domain-name-servers", "data": "192.0.2.1, 192.0.2.2"}],
            "shared-networks": [{"name": "n",
                "option-data": [{"code": 15, "data": "example.org"}],
                "subnet4": [{"id": 1, "subnet": "10.0.0.0/24",
                    "option-data": [{"name": "routers", "data": "10.0.0.1"}],
                    "pools": [{"pool": "10.0.0.5 - 10.0.0.9", "option-data": [{"name": "ip-forwarding", "data": "false"}]}],
                    "reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff",
                        "option-data": [{"name": "host-name", "data": "box"}]}]}]}]
        }}"""
    )
    subnet = cfg.subnets[0]
    assert cfg.option_data[0].data == bytes([192, 0, 2, 1, 192, 0, 2, 2])
    assert subnet.shared_network_option_data[0].name == "domain-name"
    assert subnet.shared_network_option_data[0].data == b"example.org"
    assert subnet.option_data[0].data == bytes([10, 0, 0, 1])
    assert subnet.pools[0].option_data[0].data == b"\x00"
    assert subnet.reservations[0].option_data[0].data == b"box"
    raw_option = cfg.raw["Dhcp4"]["shared-networks"][0]["option-data"][0]
    assert raw_option == {"code": 15, "data": "example.org", "name": "domain-name", "space": "dhcp4",
                          "csv-format": True, "always-send": False}  # fmt: skip


# ----------------------------------------------------------------------------------------- reservations


def test_reservation_outside_its_subnet() -> None:
    expect_error(
        one_subnet('"reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "ip-address": "10.0.1.5"}]'),
        '"10.0.1.5"',
        "Dhcp4.subnet4[0].reservations[0].ip-address",
        "10.0.1.5 is outside the subnet 10.0.0.0/24",
    )


def test_same_identifier_twice_in_a_subnet() -> None:
    expect_error(
        one_subnet(
            '"reservations": [{"hw-address": "AA:BB:CC:DD:EE:FF"},\n'
            '  {"hw-address": "aa-bb-cc-dd-ee-ff", "hostname": "twin"}]'
        ),
        '"aa-bb-cc-dd-ee-ff"',
        "Dhcp4.subnet4[0].reservations[1].hw-address",
        "another reservation in this scope has the same hw-address (Dhcp4.subnet4[0].reservations[0])",
    )


def test_same_address_twice_unless_allowed() -> None:
    body = '"reservations": [{"hw-address": "aa:bb:cc:dd:ee:01", "ip-address": "10.0.0.5"},\n  {"client-id": "01:02:03", "ip-address": "10.0.0.5"}]'
    expect_error(
        one_subnet(body),
        '"10.0.0.5"',
        "Dhcp4.subnet4[0].reservations[1].ip-address",
        "10.0.0.5 is already reserved by Dhcp4.subnet4[0].reservations[0]",
        nth=2,
    )
    cfg = config(one_subnet(body, top='"ip-reservations-unique": false'))
    assert [r.ip_address for r in cfg.subnets[0].reservations] == [ip_int("10.0.0.5")] * 2
    assert cfg.ip_reservations_unique is False


def test_the_same_identifier_in_two_subnets_is_fine() -> None:
    cfg = config(
        """\
        {"Dhcp4": {"subnet4": [
            {"id": 1, "subnet": "10.0.0.0/24", "reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "ip-address": "10.0.0.5"}]},
            {"id": 2, "subnet": "10.0.1.0/24", "reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "ip-address": "10.0.1.5"}]}
        ]}}"""
    )
    assert [r.subnet_id for s in cfg.subnets for r in s.reservations] == [1, 2]


def test_reservation_without_identifier() -> None:
    expect_error(
        one_subnet('"reservations": [{"ip-address": "10.0.0.5", "hostname": "lost"}]'),
        '{"ip-address"',
        "Dhcp4.subnet4[0].reservations[0]",
        "a reservation needs one identifier: hw-address, client-id, circuit-id, duid, flex-id",
    )


def test_reservation_with_two_identifiers() -> None:
    expect_error(
        one_subnet('"reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "client-id": "01:02"}]'),
        '{"hw-address"',
        "Dhcp4.subnet4[0].reservations[0]",
        'not both "hw-address" and "client-id"',
    )


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("hw-address", '"zz:bb"', 'hw-address "zz:bb" is not hex octets'),
        ("hw-address", "\"'text'\"", "is not hex"),
        ("hw-address", '"' + ":".join(["01"] * 21) + '"', "is 21 bytes long; at most 20"),
        ("client-id", '"abc"', "is not hex (like 01:02:03 or 010203) or a 'quoted string'"),
        ("circuit-id", "\"''\"", "circuit-id is empty"),
    ],
)
def test_bad_identifiers(kind: str, value: str, message: str) -> None:
    expect_error(
        one_subnet('"reservations": [{"' + kind + '": ' + value + "}]"),
        value,
        f"Dhcp4.subnet4[0].reservations[0].{kind}",
        message,
    )


def test_identifier_forms() -> None:
    cfg = config(
        one_subnet(
            '"reservations": [{"hw-address": "aabbccddeeff"}, {"client-id": "01:0a:0b"},\n'
            '  {"circuit-id": "\'Gi1/0/17\'"}, {"flex-id": "0x0102"}, {"duid": "1:2:3"}]'
        )
    )
    ids = [r.identifiers()[0] for r in cfg.subnets[0].reservations]
    assert ids == [
        ("hw-address", bytes.fromhex("aabbccddeeff")),
        ("client-id", b"\x01\x0a\x0b"),
        ("circuit-id", b"Gi1/0/17"),
        ("flex-id", b"\x01\x02"),
        ("duid", b"\x01\x02\x03"),
    ]


def test_boot_fields_must_fit_the_packet() -> None:
    name = "x" * 64
    expect_error(
        one_subnet(
            '"reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "server-hostname": "' + name + '"}]'
        ),
        '"' + name,
        "Dhcp4.subnet4[0].reservations[0].server-hostname",
        "is 64 bytes long; at most 63 fit",
    )


# ----------------------------------------------------------------------------------------- classes


def test_unknown_class_in_a_guard_with_suggestion() -> None:
    expect_error(
        one_subnet('"client-class": "phone"', top='"client-classes": [{"name": "phones"}]'),
        '"phone"',
        "Dhcp4.subnet4[0].client-class",
        'class "phone" is not defined in Dhcp4.client-classes; did you mean "phones"?',
    )


def test_unknown_class_in_require_client_classes_is_an_error_in_a_reservation_a_warning() -> None:
    # A required class must be defined to be evaluated; a reservation's class is a tag of the host (Kea
    # takes undefined ones: its own reservations.json does), which only matters if a guard names it.
    text = one_subnet(
        '"require-client-classes": ["late"],\n  "reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "client-classes": ["vip"]}]'
    )
    (late,) = issues(text)
    assert late.path == "Dhcp4.subnet4[0].require-client-classes[0]"
    assert (late.line, late.column) == pos_of(text, '"late"')
    cfg = config(
        one_subnet('"reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "client-classes": ["vip"]}]')
    )
    assert cfg.subnets[0].reservations[0].client_classes == ("vip",)
    (warning,) = cfg.warnings
    line, column = pos_of(
        one_subnet('"reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "client-classes": ["vip"]}]'),
        '"vip"',
    )
    assert warning == (
        f't.json:{line}:{column}: Dhcp4.subnet4[0].reservations[0].client-classes[0]: class "vip" is not '
        "defined and no guard names it: putting the host in it has no effect"
    )


def test_a_class_reservations_assign_may_guard_a_pool_without_a_definition() -> None:
    cfg = config(
        one_subnet(
            '"pools": [{"pool": "10.0.0.10 - 10.0.0.19", "client-class": "office"}],\n'
            '  "reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "client-classes": ["office"]}]'
        )
    )
    assert cfg.subnets[0].pools[0].client_classes == ("office",) and cfg.warnings == ()
    # without the reservation, nothing can put a packet in "office": refused as before
    expect_error(
        one_subnet('"pools": [{"pool": "10.0.0.10 - 10.0.0.19", "client-class": "office"}]'),
        '"office"',
        "Dhcp4.subnet4[0].pools[0].client-class",
        'class "office" is not defined in Dhcp4.client-classes',
    )


def test_builtin_and_vendor_classes_need_no_definition() -> None:
    cfg = config(
        one_subnet(
            '"client-classes": ["KNOWN"], "evaluate-additional-classes": ["ALL"],\n'
            '  "pools": [{"pool": "10.0.0.5 - 10.0.0.9", "client-class": "VENDOR_CLASS_PXEClient"}]'
        )
    )
    subnet = cfg.subnets[0]
    assert subnet.client_classes == ("KNOWN",) and subnet.require_client_classes == ("ALL",)
    assert subnet.pools[0].client_classes == ("VENDOR_CLASS_PXEClient",)


def test_with_hook_libraries_an_unknown_class_is_only_a_warning() -> None:
    cfg = config(
        one_subnet(
            '"client-class": "VIPs"',
            top='"hooks-libraries": [{"library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so"}]',
        )
    )
    assert cfg.subnets[0].client_classes == ("VIPs",)
    assert any('class "VIPs" is not defined here (a hook library may set it)' in w for w in cfg.warnings)


def class_warnings(cfg: Config4) -> list[str]:
    """The warnings about class names (not the hooks-libraries "not acted on" one)."""
    return [w for w in cfg.warnings if 'class "' in w]


HA_HOOK = (
    '"hooks-libraries": [{"library": "/usr/lib/kea/hooks/libdhcp_ha.so", "parameters": '
    '{"high-availability": [{"this-server-name": "server1", "mode": "load-balancing", '
    '"peers": [{"name": "server1", "url": "http://127.0.0.1:8001/", "role": "primary"}, '
    '{"name": "server2", "url": "http://127.0.0.1:8002/", "role": "secondary"}]}]}}]'
)


def test_ha_classes_of_configured_peers_are_accepted_silently() -> None:
    # HA_<server-name> is one of Kea's built-in class prefixes: the HA hook puts a packet in the class of
    # the peer that serves it (load balancing), so pools can be split between the two servers.
    cfg = config(
        '{"Dhcp4": {' + HA_HOOK + ',\n "subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "pools": ['
        '{"pool": "10.0.0.10 - 10.0.0.99", "client-class": "HA_server1"},'
        '{"pool": "10.0.0.100 - 10.0.0.199", "client-class": "HA_server2"}]}]}}'
    )
    assert [p.client_classes for p in cfg.subnets[0].pools] == [("HA_server1",), ("HA_server2",)]
    assert class_warnings(cfg) == []


def test_ha_class_of_no_peer_is_a_warning_naming_the_peers() -> None:
    text = one_subnet('"client-class": "HA_sever1"', top=HA_HOOK)
    cfg = config(text)
    (warning,) = class_warnings(cfg)
    line, column = pos_of(text, '"HA_sever1"')
    assert warning == (
        f't.json:{line}:{column}: Dhcp4.subnet4[0].client-class: class "HA_sever1" names no HA peer: '
        'the HA hook\'s peers are server1, server2; did you mean "server1"?'
    )


def test_ha_class_without_the_ha_hook_is_accepted_with_a_warning() -> None:
    # Kea 2.2 does not check guard names at all; HA_ is built in, so the name is not refused, but without
    # the HA hook nothing assigns it and the pool would never be used.
    cfg = config(one_subnet('"pools": [{"pool": "10.0.0.10 - 10.0.0.99", "client-class": "HA_server1"}]'))
    assert cfg.subnets[0].pools[0].client_classes == ("HA_server1",)
    assert any(
        "is assigned by the HA hook library (libdhcp_ha.so), which is not configured" in w
        for w in cfg.warnings
    )


def test_member_of_a_built_in_prefixed_class_parses_and_is_one_table_with_the_loader() -> None:
    from edge.expr import classes

    cfg = config(
        '{"Dhcp4": {' + HA_HOOK + ', "client-classes": [{"name": "mine", "test": "member(\'HA_server1\')"}],'
        '\n "subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "client-class": "HA_server1"}]}}'
    )
    assert cfg.client_classes[0].expression is not None and class_warnings(cfg) == []
    for name in (
        "ALL",
        "KNOWN",
        "UNKNOWN",
        "BOOTP",
        "DROP",
        "SKIP_DDNS",
        "VENDOR_CLASS_x",
        "HA_s",
        "EXTERNAL_x",
    ):
        assert classes.is_built_in(name), name
    for name in ("VENDOR_CLASS_", "HA_", "all", "mine"):
        assert not classes.is_built_in(name), name


def test_both_spellings_of_a_guard_at_once() -> None:
    expect_error(
        one_subnet('"client-class": "a", "client-classes": ["a"]', top='"client-classes": [{"name": "a"}]'),
        '{"id": 1',
        "Dhcp4.subnet4[0]",
        'give "client-class" (Kea 2.2) or "client-classes", not both',
    )


def test_duplicate_class_and_empty_test() -> None:
    text = '{"Dhcp4": {"client-classes": [{"name": "a"}, {"name": "a", "test": " "}]}}'
    found = {i.path: i for i in issues(text)}
    assert found["Dhcp4.client-classes[1].name"].column == pos_of(text, '"a"', 2)[1]
    assert "already defined at Dhcp4.client-classes[0]" in found["Dhcp4.client-classes[1].name"].message
    assert "the test expression is empty" in found["Dhcp4.client-classes[1].test"].message


def test_class_fields() -> None:
    cfg = config(
        """\
        {"Dhcp4": {"client-classes": [
            {"name": "pxe", "test": "option[93].hex == 0x0007", "next-server": "10.0.0.5",
             "boot-file-name": "ipxe.efi", "only-in-additional-list": true, "valid-lifetime": 600}
        ]}}"""
    )
    (cls,) = cfg.client_classes
    assert (cls.test, cls.next_server, cls.boot_file_name) == (
        "option[93].hex == 0x0007",
        ip_int("10.0.0.5"),
        "ipxe.efi",
    )
    assert cls.only_if_required and cls.valid_lifetime == 600 and cls.server_hostname is None


# ----------------------------------------------------------------------------------------- timers


def test_renew_after_rebind() -> None:
    expect_error(
        '{"Dhcp4": {"renew-timer": 2000, "rebind-timer": 1000}}',
        "2000",
        "Dhcp4.renew-timer",
        "renew-timer (2000) is greater than rebind-timer (1000)",
    )


def test_rebind_after_valid_lifetime_in_a_subnet_inheriting_the_lifetime() -> None:
    expect_error(
        one_subnet('"rebind-timer": 5000', top='"valid-lifetime": 3600'),
        "5000",
        "Dhcp4.subnet4[0].rebind-timer",
        "rebind-timer (5000) is greater than valid-lifetime (3600)",
    )


def test_a_global_inconsistency_is_reported_once_at_the_global_key() -> None:
    text = '{"Dhcp4": {"valid-lifetime": 600, "rebind-timer": 900,\n "subnet4": [{"id": 1, "subnet": "10.0.0.0/24"}, {"id": 2, "subnet": "10.0.1.0/24"}]}}'
    assert [(i.path, i.message) for i in issues(text)] == [
        ("Dhcp4.rebind-timer", "rebind-timer (900) is greater than valid-lifetime (600)")
    ]


@pytest.mark.parametrize(
    ("top", "needle", "path", "message"),
    [
        ('"min-valid-lifetime": 9000', "9000", "Dhcp4.min-valid-lifetime", "min-valid-lifetime (9000) is greater than valid-lifetime (7200)"),
        ('"valid-lifetime": 100, "max-valid-lifetime": 50', "100", "Dhcp4.valid-lifetime", "valid-lifetime (100) is greater than max-valid-lifetime (50)"),
        ('"renew-timer": 8000', "8000", "Dhcp4.renew-timer", "renew-timer (8000) is greater than valid-lifetime (7200)"),
        ('"calculate-tee-times": true, "t1-percent": 0.9, "t2-percent": 0.8', "0.9", "Dhcp4.t1-percent", "must be less than t2-percent"),
        ('"t2-percent": 0', "0", "Dhcp4.t2-percent", "greater than 0 and less than 1"),
    ],
)  # fmt: skip
def test_lifetime_bounds_and_percentages(top: str, needle: str, path: str, message: str) -> None:
    expect_error('{"Dhcp4": {' + top + "}}", needle, path, message)


def test_class_lifetimes_in_order() -> None:
    expect_error(
        '{"Dhcp4": {"client-classes": [{"name": "a", "min-valid-lifetime": 900, "valid-lifetime": 600}]}}',
        "600",
        "Dhcp4.client-classes[0].valid-lifetime",
        "min-valid-lifetime (900) is greater than valid-lifetime (600)",
    )


# ----------------------------------------------------------------------------------------- resolution


def test_scope_parameters_are_resolved_global_then_shared_network_then_subnet() -> None:
    cfg = config(
        """\
        {"Dhcp4": {
            "valid-lifetime": 4000, "renew-timer": 1000, "authoritative": true, "next-server": "192.0.2.9",
            "boot-file-name": "global.efi",
            "shared-networks": [{"name": "n", "valid-lifetime": 5000, "match-client-id": false,
                "subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "boot-file-name": "sub.efi", "max-valid-lifetime": 9000}]}],
            "subnet4": [{"id": 2, "subnet": "10.0.1.0/24", "reservation-mode": "out-of-pool"}]
        }}"""
    )
    in_network, plain = cfg.subnets
    p = in_network.params
    assert (p.valid_lifetime, p.min_valid_lifetime, p.max_valid_lifetime) == (5000, 5000, 9000)
    assert (p.renew_timer, p.rebind_timer, p.authoritative, p.match_client_id) == (1000, None, True, False)
    assert (p.next_server, p.boot_file_name) == (ip_int("192.0.2.9"), "sub.efi")
    q = plain.params
    assert (q.valid_lifetime, q.match_client_id, q.boot_file_name) == (4000, True, "global.efi")
    assert (q.reservations_global, q.reservations_in_subnet, q.reservations_out_of_pool) == (
        False,
        True,
        True,
    )
    assert (
        cfg.params.valid_lifetime == 4000
        and in_network.shared_network == "n"
        and plain.shared_network is None
    )
    raw_subnet = cfg.raw["Dhcp4"]["subnet4"][0]
    assert "reservation-mode" not in raw_subnet and raw_subnet["reservations-out-of-pool"] is True
    assert cfg.raw["Dhcp4"]["shared-networks"][0]["subnet4"][0]["valid-lifetime"] == 5000


def test_reservation_mode_and_its_replacement_in_one_scope() -> None:
    expect_error(
        '{"Dhcp4": {"reservation-mode": "global", "reservations-global": true}}',
        '"global"',
        "Dhcp4.reservation-mode",
        'give "reservation-mode" or "reservations-global", not both',
    )


def test_shared_network_and_subnet_disagree_on_the_interface() -> None:
    expect_error(
        """\
        {"Dhcp4": {"shared-networks": [{"name": "n", "interface": "eth0",
            "subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "interface": "eth1"}]}]}}""",
        '"eth1"',
        "Dhcp4.shared-networks[0].subnet4[0].interface",
        'the subnet says interface "eth1" but its shared network says "eth0"',
    )


def test_duplicate_shared_network_name() -> None:
    expect_error(
        '{"Dhcp4": {"shared-networks": [{"name": "n"}, {"name": "n"}]}}',
        '"n"',
        "Dhcp4.shared-networks[1].name",
        'shared network "n" is already defined at Dhcp4.shared-networks[0]',
        nth=2,
    )


# ----------------------------------------------------------------------------------------- relays, interfaces


def test_relay_address_must_be_an_address() -> None:
    expect_error(
        one_subnet('"relay": {"ip-addresses": ["10.0.0.1", "gateway"]}'),
        '"gateway"',
        "Dhcp4.subnet4[0].relay.ip-addresses[1]",
        'relay address "gateway" is not an IPv4 address',
    )


def test_relay_old_and_new_spelling() -> None:
    expect_error(
        one_subnet('"relay": {"ip-address": "10.0.0.1", "ip-addresses": ["10.0.0.2"]}'),
        '{"ip-address"',
        "Dhcp4.subnet4[0].relay",
        'give "ip-address" or "ip-addresses", not both',
    )
    cfg = config(one_subnet('"relay": {"ip-address": "192.0.2.1"}'))
    assert cfg.subnets[0].relay_addresses == (ip_int("192.0.2.1"),)
    assert cfg.raw["Dhcp4"]["subnet4"][0]["relay"] == {"ip-addresses": ["192.0.2.1"]}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ('""', "the name is empty"),
        ('"eth0/10.0.0.300"', '"10.0.0.300" in "eth0/10.0.0.300" is not an IPv4 address'),
        ('"*/10.0.0.1"', '"*" takes no address'),
        ('"a-very-long-interface-name"', "at most 15 characters"),
        ('"eth 0"', "blank or an unprintable character"),
    ],
)
def test_malformed_interface_specs(spec: str, message: str) -> None:
    expect_error(
        '{"Dhcp4": {"interfaces-config": {"interfaces": ["eth0", ' + spec + "]}}}",
        spec,
        "Dhcp4.interfaces-config.interfaces[1]",
        message,
    )


def test_interface_specs_and_missing_interfaces_warn_with_positions() -> None:
    text = '{"Dhcp4": {"interfaces-config": {"interfaces": ["eth0", "wlan9/192.0.2.1", "*"]}}}'
    cfg = load_text(text, source="t.json", interfaces_present={"eth0", "lo"})
    assert [(i.name, i.address) for i in cfg.interfaces] == [
        ("eth0", None),
        ("wlan9", ip_int("192.0.2.1")),
        ("*", None),
    ]
    line, column = pos_of(text, '"wlan9')
    assert cfg.warnings == (
        f't.json:{line}:{column}: Dhcp4.interfaces-config.interfaces[1]: interface "wlan9" does not exist '
        "on this machine (fine if the configuration is meant for another one)",
    )


# ----------------------------------------------------------------------------------------- databases, sockets, loggers


def test_only_memfile_lease_database() -> None:
    expect_error(
        '{"Dhcp4": {"lease-database": {"type": "mysql", "name": "kea", "host": "db"}}}',
        '"mysql"',
        "Dhcp4.lease-database.type",
        'only "memfile" and "postgresql" are supported yet (got "mysql")',
    )


def test_unix_control_socket_needs_a_path() -> None:
    expect_error(
        '{"Dhcp4": {"control-socket": {"socket-type": "unix"}}}',
        '{"socket-type"',
        "Dhcp4.control-socket",
        'a unix control socket needs "socket-name"',
    )


def test_control_socket_in_both_spellings() -> None:
    expect_error(
        """\
        {"Dhcp4": {"control-socket": {"socket-type": "unix", "socket-name": "/run/a"},
            "control-sockets": [{"socket-type": "unix", "socket-name": "/run/b"}]}}""",
        '"control-sockets"',
        "Dhcp4.control-sockets",
        'give "control-socket" (Kea 2.2) or "control-sockets", not both',
    )


def test_http_control_sockets(tmp_path: Path) -> None:
    # Password files are read when the configuration is loaded (as Kea reads them): see tests/control.
    (tmp_path / "pw").write_text("s3cret\n")
    cfg = config(
        """\
        {"Dhcp4": {"control-sockets": [
            {"socket-type": "unix", "socket-name": "/run/edge.sock"},
            {"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": 8004,
             "authentication": {"type": "basic", "realm": "edge", "clients": [{"user": "admin", "password-file": "PW"}]}}
        ]}}""".replace("PW", str(tmp_path / "pw"))
    )
    unix, http = cfg.control_sockets
    assert (unix.socket_type, unix.socket_name) == ("unix", "/run/edge.sock")
    assert (http.socket_type, http.socket_address, http.socket_port) == ("http", "127.0.0.1", 8004)
    assert http.raw["authentication"]["clients"][0]["user"] == "admin"
    assert http.credentials == ("admin:s3cret",)
    expect_error(
        '{"Dhcp4": {"control-sockets": [{"socket-type": "https", "socket-port": 8443}]}}',
        '{"socket-type"',
        "Dhcp4.control-sockets[0]",
        'an https control socket needs "cert-file"',
    )


def test_loggers_in_both_spellings() -> None:
    cfg = config(
        '{"Dhcp4": {"loggers": [{"name": "kea-dhcp4", "output-options": [{"output": "stderr"}], "severity": "DEBUG", "debuglevel": 40}]}}'
    )
    (logger,) = cfg.loggers
    assert (logger.name, logger.severity, logger.debuglevel) == ("kea-dhcp4", "DEBUG", 40)
    assert logger.outputs[0].output == "stderr" and logger.outputs[0].maxsize == 10240000
    expect_error(
        '{"Dhcp4": {"loggers": [{"name": "x", "output_options": [], "output-options": []}]}}',
        '{"name": "x"',
        "Dhcp4.loggers[0]",
        'give "output_options" (Kea 2.2) or "output-options", not both',
    )


# ----------------------------------------------------------------------------------------- top level


def test_obsolete_logging_section() -> None:
    expect_error(
        '{"Dhcp4": {},\n "Logging": {"loggers": []}}',
        '"Logging"',
        "Logging",
        'the top-level "Logging" section is obsolete (Kea < 1.7); move its "loggers" list into "Dhcp4" as "Dhcp4.loggers"',
    )


def test_other_daemons_sections_in_the_same_file() -> None:
    expect_error(
        '{"Dhcp4": {}, "Dhcp6": {}, "Control-agent": {}}',
        '"Control-agent"',
        "Control-agent",
        "keep each daemon's section in its own file",
    )


def test_no_dhcp4_section() -> None:
    issue = expect_error('{"Dhcp6": {"subnet6": []}}', "{", "", 'no "Dhcp4" section')
    assert "this file configures Dhcp6" in issue.message
    expect_error("[1, 2]", "[", "", 'expected an object like {"Dhcp4": {...}}, got a list')
    expect_error('{"Dhcp4": []}', "[]", "Dhcp4", "expected an object, got a list")


def test_many_errors_are_collected_and_sorted_by_position() -> None:
    text = textwrap.dedent(
        """\
        {"Dhcp4": {
            "valid-lifetime": "long",
            "subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.1.1 - 10.0.1.2"}]}],
            "option-data": [{"name": "routerz", "data": "1.2.3.4"}],
            "bogus": 1
        }}"""
    )
    found = issues(text)
    assert [i.line for i in found] == [2, 3, 4, 5]
    assert [i.path for i in found] == [
        "Dhcp4.valid-lifetime",
        "Dhcp4.subnet4[0].pools[0].pool",
        "Dhcp4.option-data[0].name",
        "Dhcp4.bogus",
    ]
    with pytest.raises(ConfigError) as info:
        load_text(text, source="t.json")
    assert str(info.value).splitlines() == [str(i) for i in found]


# ----------------------------------------------------------------------------------------- load_data


def test_load_data_gives_paths_without_positions() -> None:
    with pytest.raises(ConfigError) as info:
        load_data(
            {"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "x"}]}]}},
            source="config-set",
        )
    (issue,) = info.value.issues
    assert (issue.file, issue.line, issue.column) == ("config-set", None, None)
    assert (
        str(issue)
        == 'config-set: Dhcp4.subnet4[0].pools[0].pool: "x" is not an address range ("a - b") or prefix ("a/len")'
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Dhcp4": {"subnet4": [(1, 2)]}}, "not a JSON value: tuple"),
        ({"Dhcp4": {1: 2}}, "object keys must be strings"),
        ({"Dhcp4": {"t1-percent": float("nan")}}, "numbers must be finite"),
    ],
)
def test_load_data_refuses_non_json(value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_data(value)


def test_load_data_survives_a_cycle() -> None:
    loop: dict[str, Any] = {}
    loop["again"] = loop
    with pytest.raises(ConfigError, match="nested more than"):
        load_data({"Dhcp4": {"user-context": loop}})


# ----------------------------------------------------------------------------------------- the snapshot


KEA_22_DEFAULTS = {
    "valid-lifetime": 7200,
    "t1-percent": 0.5,
    "t2-percent": 0.875,
    "calculate-tee-times": False,
    "decline-probation-period": 86400,
    "match-client-id": True,
    "authoritative": False,
    "echo-client-id": True,
    "next-server": "0.0.0.0",
    "server-hostname": "",
    "boot-file-name": "",
    "reservations-global": False,
    "reservations-in-subnet": True,
    "reservations-out-of-pool": False,
    "host-reservation-identifiers": ["hw-address", "duid", "circuit-id", "client-id"],
    "dhcp4o6-port": 0,
    "parked-packet-limit": 256,
    "statistic-default-sample-count": 20,
    "statistic-default-sample-age": 0,
    "hostname-char-set": "[^A-Za-z0-9.-]",
    "ddns-send-updates": True,
    "ddns-generated-prefix": "myhost",
    "ddns-replace-client-name": "never",
    "expired-leases-processing": {
        "reclaim-timer-wait-time": 10,
        "flush-reclaimed-timer-wait-time": 25,
        "hold-reclaimed-time": 3600,
        "max-reclaim-leases": 100,
        "max-reclaim-time": 250,
        "unwarned-reclaim-cycles": 5,
    },
    "multi-threading": {"enable-multi-threading": False, "thread-pool-size": 0, "packet-queue-size": 64},
    "sanity-checks": {"lease-checks": "warn"},
    "lease-database": {"type": "memfile", "persist": True, "lfc-interval": 3600},
    "interfaces-config": {"interfaces": [], "dhcp-socket-type": "raw", "re-detect": True},
}


def test_raw_has_kea_22_defaults_filled_in() -> None:
    raw = config('{"Dhcp4": {}}').raw["Dhcp4"]
    for key, value in KEA_22_DEFAULTS.items():
        assert raw[key] == value, key
    assert "renew-timer" not in raw and "rebind-timer" not in raw  # Kea has no default for them


def test_model_defaults_follow_the_same_values() -> None:
    cfg = config('{"Dhcp4": {}}')
    assert (cfg.decline_probation_period, cfg.echo_client_id, cfg.dhcp_socket_type) == (86400, True, "raw")
    assert cfg.lease_database.lfc_interval == 3600 and cfg.lease_database.persist
    assert cfg.expired_leases_processing.unwarned_reclaim_cycles == 5
    assert cfg.host_reservation_identifiers == ("hw-address", "duid", "circuit-id", "client-id")


def test_config_is_immutable_and_keeps_no_positions() -> None:
    cfg = config(one_subnet('"pools": [{"pool": "10.0.0.5 - 10.0.0.9"}]'))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.subnets = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.subnets[0].pools[0].first = 0  # type: ignore[misc]
    assert not any(isinstance(obj, PositionMap) for obj in _walk(cfg))


def test_subnets_sorted_by_id_with_int_addresses() -> None:
    cfg = config(
        '{"Dhcp4": {"subnet4": [{"id": 9, "subnet": "10.9.0.0/16"}, {"id": 3, "subnet": "192.0.2.0/24",'
        ' "pools": [{"pool": "192.0.2.10 - 192.0.2.20"}]}]}}'
    )
    assert [s.id for s in cfg.subnets] == [3, 9]
    low = cfg.subnets[0]
    assert low.network == int(ipaddress.IPv4Address("192.0.2.0")) and low.prefix_len == 24
    assert ip_int("192.0.2.15") in low.pools[0] and ip_int("192.0.2.200") in low
    assert low.path == "Dhcp4.subnet4[1]" and cfg.subnet_by_id(9) is cfg.subnets[1]


def _walk(obj: Any, seen: set[int] | None = None) -> list[Any]:
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    out = [obj]
    if isinstance(obj, Config4) or dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            out += _walk(getattr(obj, f.name), seen)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out += _walk(k, seen) + _walk(v, seen)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            out += _walk(v, seen)
    return out
