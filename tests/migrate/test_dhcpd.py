"""`edge-dhcp migrate dhcpd`: dhcpd.conf -> Kea dialect, statement by statement.

Each test converts a small configuration and compares the Dhcp4 data with what it must be; outputs that
should run are also loaded by edge-dhcp and checked with `kea-dhcp4 -t`. Errors must name file and line.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from edge.config.jsonpos import parse_text
from edge.migrate.common import MigrationError
from edge.migrate.dhcpd import translate_file, translate_text
from tests.migrate.helpers import edge_loads, kea_check
from tests.migrate.test_switchover import DHCPD_CONF


def convert(text: str, *interfaces: str) -> tuple[dict[str, Any], list[str], str]:
    result = translate_text(text, "dhcpd.conf", interfaces)
    out = result.text()
    assert parse_text(out, "out").value == result.data()  # the written text is exactly the data
    return result.data()["Dhcp4"], [f"{n.line}: {n.what}: {n.why}" for n in result.notes], out


def refused(text: str) -> MigrationError:
    with pytest.raises(MigrationError) as info:
        translate_text(text, "dhcpd.conf")
    assert str(info.value).startswith(f"dhcpd.conf line {info.value.line}: ")
    return info.value


def runs_everywhere(out: str) -> None:
    edge_loads(out)
    data = parse_text(out, "out").value
    assert kea_check(data) is None


def test_the_switch_over_site_translates_exactly() -> None:
    d4, notes, out = convert(DHCPD_CONF, "br0", "srv0")
    assert notes == []
    assert d4 == {
        "authoritative": True,
        "ddns-send-updates": False,
        "valid-lifetime": 600,
        "max-valid-lifetime": 7200,
        "interfaces-config": {"interfaces": ["br0", "srv0"]},
        "option-data": [
            {"space": "dhcp4", "name": "domain-name", "code": 15, "data": "lab.example"},
            {"space": "dhcp4", "name": "domain-name-servers", "code": 6, "data": "203.0.113.53"},
        ],
        "client-classes": [
            {
                "name": "pxe",
                "test": "substring(option[60].hex,0,9) == 'PXEClient'",
                "next-server": "203.0.113.5",
                "boot-file-name": "pxelinux.0",
            }
        ],
        "subnet4": [
            {"id": 1, "subnet": "192.0.2.0/24"},
            {
                "id": 2,
                "subnet": "203.0.113.0/24",
                "option-data": [{"space": "dhcp4", "name": "routers", "code": 3, "data": "203.0.113.1"}],
                "pools": [{"pool": "203.0.113.100 - 203.0.113.102"}],
            },
            {
                "id": 3,
                "subnet": "198.51.100.0/24",
                "option-data": [{"space": "dhcp4", "name": "routers", "code": 3, "data": "198.51.100.1"}],
                "pools": [{"pool": "198.51.100.100 - 198.51.100.101"}],
            },
        ],
        "host-reservation-identifiers": ["hw-address"],
        "reservations-global": True,
        "reservations-in-subnet": False,
        "reservations": [
            {
                "hw-address": "02:00:00:00:01:02",
                "ip-address": "203.0.113.10",
                "option-data": [
                    {"space": "dhcp4", "name": "domain-name", "code": 15, "data": "printers.lab.example"}
                ],
            }
        ],
    }
    runs_everywhere(out.replace('"br0",', "").replace('"srv0"', ""))


def test_dhcpd_option_names_become_keas() -> None:
    d4, notes, out = convert(
        """option bootfile-name "x.efi";
option ien116-name-servers 192.0.2.5;
option nwip-domain "nw";
option nisplus-domain "np";
option default-url "http://portal/";
option pxe-system-type 7, 9;
option static-routes 10.0.0.0 192.0.2.1, 10.1.0.0 192.0.2.2;
option slp-service-scope true "scope";
option domain-search "a.example", "b.example";
option dhcp-client-identifier 1:2:3;
option tftp-server-address 192.0.2.9;
"""
    )
    assert notes == []
    by_code = {o["code"]: o for o in d4["option-data"]}
    assert by_code[67] == {"space": "dhcp4", "name": "boot-file-name", "code": 67, "data": "x.efi"}
    assert by_code[5]["name"] == "name-servers"
    assert by_code[62]["name"] == "nwip-domain-name"
    assert by_code[64]["name"] == "nisplus-domain-name"
    assert by_code[114]["name"] == "v4-captive-portal"
    assert by_code[93] == {"space": "dhcp4", "name": "client-system", "code": 93, "data": "7, 9"}
    assert by_code[33]["data"] == "10.0.0.0, 192.0.2.1, 10.1.0.0, 192.0.2.2"
    assert by_code[79]["data"] == "true, scope"
    assert by_code[119]["data"] == "a.example, b.example"
    assert by_code[61] == {
        "space": "dhcp4",
        "name": "dhcp-client-identifier",
        "code": 61,
        "data": "01:02:03",
    } or (by_code[61]["csv-format"] is False and by_code[61]["data"] == "010203")
    # Kea 2.2 has no definition for 150: by code, as hex, which both servers take
    assert by_code[150] == {"space": "dhcp4", "code": 150, "csv-format": False, "data": "c0000209"}
    runs_everywhere(out)


def test_host_names_for_addresses_are_notes_not_lookups() -> None:
    d4, notes, _ = convert(
        "option domain-name-servers ns1.example.org, 192.0.2.53;\nnext-server tftp.example.org;\n"
    )
    assert len(notes) == 2 and all("DNS" in n for n in notes)
    assert d4 == {"option-data": []}


def test_groups_push_their_parameters_into_what_they_hold() -> None:
    d4, notes, out = convert(
        """group {
  option domain-name "outer.example";
  default-lease-time 300;
  filename "outer.efi";
  group {
    option domain-name "inner.example";
    host a { hardware ethernet 02:00:00:00:00:0a; fixed-address 192.0.2.10; }
    host b { hardware ethernet 02:00:00:00:00:0b; filename "own.efi"; }
  }
  subnet 192.0.2.0 netmask 255.255.255.0 { default-lease-time 900; range 192.0.2.100 192.0.2.110; }
}
"""
    )
    a, b = d4["reservations"]
    assert a["option-data"] == [
        {"space": "dhcp4", "name": "domain-name", "code": 15, "data": "inner.example"}
    ]
    assert a["boot-file-name"] == "outer.efi"
    assert b["boot-file-name"] == "own.efi"  # the host's own parameter wins
    subnet = d4["subnet4"][0]
    assert subnet["valid-lifetime"] == 900 and subnet["boot-file-name"] == "outer.efi"
    assert subnet["option-data"][0]["data"] == "outer.example"
    # a lease time cannot go into a reservation: a note for each host, naming the group's line
    assert len(notes) == 2 and all("valid-lifetime for host" in n for n in notes)
    runs_everywhere(out)


def test_shared_network_pools_go_to_the_subnet_holding_their_range() -> None:
    d4, notes, out = convert(
        """shared-network "campus" {
  option domain-name "campus.example";
  subnet 192.0.2.0 netmask 255.255.255.0 { option routers 192.0.2.1; }
  subnet 198.51.100.0 netmask 255.255.255.0 { option routers 198.51.100.1; }
  pool { range 198.51.100.10 198.51.100.20; option ntp-servers 192.0.2.123; }
  pool { range 192.0.2.10 192.0.2.20; }
}
"""
    )
    net = d4["shared-networks"][0]
    assert net["name"] == "campus"
    first, second = net["subnet4"]
    assert first["pools"] == [{"pool": "192.0.2.10 - 192.0.2.20"}]
    assert second["pools"] == [
        {
            "option-data": [{"space": "dhcp4", "name": "ntp-servers", "code": 42, "data": "192.0.2.123"}],
            "pool": "198.51.100.10 - 198.51.100.20",
        }
    ]
    assert net["option-data"][0]["data"] == "campus.example"
    runs_everywhere(out)


def test_a_range_outside_its_network_is_refused_at_its_line() -> None:
    err = refused("subnet 192.0.2.0 netmask 255.255.255.0 {\n  range 192.0.2.10 192.0.3.20;\n}\n")
    assert err.line == 2


def test_permits_become_pool_guards() -> None:
    d4, notes, out = convert(
        """class "phones" { match if substring(option vendor-class-identifier, 0, 5) = "Phone"; }
class "by-vendor" { match option vendor-class-identifier; }
subclass "by-vendor" "acme";
subclass "by-vendor" "globex";
subnet 192.0.2.0 netmask 255.255.255.0 {
  pool { range 192.0.2.10 192.0.2.19; allow members of "phones"; }
  pool { range 192.0.2.20 192.0.2.29; deny members of "phones"; deny unknown-clients; }
  pool { range 192.0.2.30 192.0.2.39; allow members of "by-vendor"; }
  pool { range 192.0.2.40 192.0.2.49; allow known-clients; }
}
"""
    )
    pools = d4["subnet4"][0]["pools"]
    assert pools[0]["client-class"] == "phones"
    assert pools[3]["client-class"] == "KNOWN"
    classes = {c["name"]: c for c in d4["client-classes"]}
    assert classes[pools[1]["client-class"]]["test"] == "(not member('phones')) and (not member('UNKNOWN'))"
    # members of a superclass are the clients of its subclasses
    assert (
        classes[pools[2]["client-class"]]["test"] == "member('sub#by-vendor#0') or member('sub#by-vendor#1')"
    )
    assert classes["sub#by-vendor#1"]["test"] == "option[60].hex == 'globex'"
    assert notes == []
    runs_everywhere(out)


def test_scope_wide_deny_unknown_clients_guards_every_pool_in_the_scope() -> None:
    d4, _, _ = convert(
        """subnet 192.0.2.0 netmask 255.255.255.0 { deny unknown-clients; range 192.0.2.10 192.0.2.20;
  pool { range 192.0.2.30 192.0.2.40; } }
subnet 198.51.100.0 netmask 255.255.255.0 { range 198.51.100.10 198.51.100.20; }
"""
    )
    first, second = d4["subnet4"]
    assert [p["client-class"] for p in first["pools"]] == ["KNOWN", "KNOWN"]
    assert "client-class" not in second["pools"][0]


def test_option_definitions_records_arrays_spaces_and_vendor_options() -> None:
    d4, notes, out = convert(
        """option space acme;
option acme.server code 1 = array of ip-address;
option acme.mode code 2 = { unsigned integer 8, text };
option acme-info code 224 = encapsulate acme;
option tuple code 225 = { ip-address, array of unsigned integer 16 };
option flag code 226 = boolean;
option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
option acme.server 192.0.2.1, 192.0.2.2;
option acme.mode 3 "fast";
option tuple 192.0.2.7 1, 2, 3;
option flag on;
option rfc3442-classless-static-routes 24, 192, 168, 1, 10, 0, 0, 1;
"""
    )
    defs = {(d["space"], d["code"]): d for d in d4["option-def"]}
    assert defs[("acme", 1)] == {
        "space": "acme",
        "name": "server",
        "code": 1,
        "type": "ipv4-address",
        "array": True,
    }
    assert defs[("acme", 2)]["record-types"] == "uint8, string"
    assert defs[("dhcp4", 224)] == {
        "space": "dhcp4",
        "name": "acme-info",
        "code": 224,
        "type": "empty",
        "encapsulate": "acme",
    }
    assert defs[("dhcp4", 225)] == {
        "space": "dhcp4",
        "name": "tuple",
        "code": 225,
        "type": "record",
        "array": True,
        "record-types": "ipv4-address, uint16",
    }
    assert ("dhcp4", 121) not in defs  # a standard code: no definition, the value as hex
    data = {(o["space"], o["code"]): o for o in d4["option-data"]}
    assert data[("acme", 1)]["data"] == "192.0.2.1, 192.0.2.2"
    assert data[("acme", 2)]["data"] == "3, fast"
    assert data[("dhcp4", 225)]["data"] == "192.0.2.7, 1, 2, 3"
    assert data[("dhcp4", 226)]["data"] == "true"
    assert data[("dhcp4", 121)] == {
        "space": "dhcp4",
        "name": "classless-static-route",
        "code": 121,
        "csv-format": False,
        "data": "18c0a8010a000001",
    }
    assert notes == []
    runs_everywhere(out)


def test_hosts_by_client_id_and_circuit_id_and_use_host_decl_names() -> None:
    d4, notes, out = convert(
        """use-host-decl-names on;
host by-cid { option dhcp-client-identifier "laptop"; fixed-address 192.0.2.30; }
host by-circuit { host-identifier option agent.circuit-id "port7"; fixed-address 192.0.2.31; }
host known-only { hardware ethernet 02:00:00:00:00:99; }
subnet 192.0.2.0 netmask 255.255.255.0 { }
"""
    )
    cid, circuit, known = d4["reservations"]
    assert cid["client-id"] == b"laptop".hex(":") and cid["hostname"] == "by-cid"
    assert cid["option-data"] == [{"space": "dhcp4", "name": "host-name", "code": 12, "data": "by-cid"}]
    assert circuit["circuit-id"] == b"port7".hex(":")
    assert known["hostname"] == "known-only"
    assert d4["host-reservation-identifiers"] == ["circuit-id", "client-id", "hw-address"]
    assert notes == []
    runs_everywhere(out)


def test_ddns_parameters_map_to_keas() -> None:
    d4, notes, _ = convert(
        """ddns-update-style interim;
ddns-domainname "dyn.example";
update-optimization off;
ignore client-updates;
update-conflict-detection false;
"""
    )
    assert d4 == {
        "ddns-send-updates": True,
        "ddns-qualifying-suffix": "dyn.example",
        "ddns-update-on-renew": True,
        "ddns-override-client-update": True,
        "ddns-use-conflict-resolution": False,
    }
    assert len(notes) == 1 and "dhcp-ddns" in notes[0]  # the DNS side must be set up by hand


def test_include_reads_the_file_beside_the_including_one(tmp_path: Path) -> None:
    (tmp_path / "subnets.conf").write_text(
        "subnet 192.0.2.0 netmask 255.255.255.0 { range 192.0.2.5 192.0.2.9; }\n"
    )
    main = tmp_path / "dhcpd.conf"
    main.write_text('default-lease-time 120;\ninclude "subnets.conf";\n')
    d4 = translate_file(str(main)).data()["Dhcp4"]
    assert d4["subnet4"][0]["pools"] == [{"pool": "192.0.2.5 - 192.0.2.9"}]
    (tmp_path / "broken.conf").write_text("\n\nsubnet 192.0.2.0 netmask 255.255.255.0 {\n")
    main.write_text('include "broken.conf";\n')
    with pytest.raises(MigrationError) as info:
        translate_file(str(main))
    assert info.value.source.endswith("broken.conf") and info.value.line == 3


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("default-lease-time 10;\nfoo-bar 1;\n", 2),
        ("subnet 192.0.2.0 netmask 255.255.255.0 {\n  range 192.0.2.1 192.0.2.2;\n", 1),
        ('option domain-name "unterminated;\n\n', 1),
        ("option routers 192.0.2.1\nsubnet 192.0.2.0 netmask 255.255.255.0 { }\n", 2),
        ("}\n", 1),
        ("option routers 192.0.2.300;\n", 1),
        ("option interface-mtu 70000;\n", 1),
        ("option ip-forwarding maybe;\n", 1),
        ("host h {\n hardware ethernet zz:00;\n}\n", 2),
        ('subclass "nope" "x";\n', 1),
        ('class "c" {\n  match if option host-name;\n}\n', 2),
        ("option foo.bar 1;\n", 1),
        ('\n\nallow members of "x";\n', 3),
        ("group { " * 100 + "}" * 100, 1),
        ('class "a" { match if ' + "(" * 500 + "known" + ")" * 500 + "; }", 1),
        ('class "a" { match if ' + " or ".join(["known"] * 500) + "; }", 1),
    ],
)
def test_invalid_input_is_refused_with_its_line(text: str, line: int) -> None:
    assert refused(text).line == line


def test_notes_are_comments_where_the_translation_would_be_and_count() -> None:
    d4, notes, out = convert(
        """log-facility local7;
subnet 192.0.2.0 netmask 255.255.255.0 {
  option host-name = concat("h-", binary-to-ascii(16, 8, "", substring(hardware, 1, 6)));
  on commit { set x = "y"; }
}
class "regex" { match if option host-name ~~ "^a.*"; }
"""
    )
    assert len(notes) == 4
    assert out.count("// NOT TRANSLATED") == 4
    assert d4["subnet4"][0]["option-data"] == []  # the untranslatable option stands there, as a comment
    assert d4["client-classes"] == [{"name": "regex"}]


def test_random_damage_never_escapes_as_anything_but_a_refusal() -> None:
    """Mutated configurations (seeded, so a failure reproduces): a MigrationError or a result, nothing else."""
    rng = random.Random(20240610)
    pieces = [
        "{",
        "}",
        ";",
        "=",
        "(",
        ")",
        ",",
        '"',
        "option",
        "subnet",
        "host",
        "class",
        "subclass",
        "match if",
        "not",
        "pool",
        "range",
        "192.0.2.4",
        "aa:bb",
        "code 250 =",
        "array of",
        "text",
        "\\",
        "#",
        "exists",
        "concat(",
        "substring(",
        "group",
        "shared-network",
        "allow",
        "deny",
        "members of",
        "fixed-address",
        "hardware ethernet",
        "-1",
        "99999999999",
        "netmask",
        "255.255.255.0",
        "include",
        "server.",
        "vendor.",
    ]
    for _ in range(1500):
        text = DHCPD_CONF
        for _ in range(rng.randint(1, 4)):
            pos = rng.randint(0, len(text))
            choice = rng.random()
            if choice < 0.45:
                text = text[:pos] + " " + rng.choice(pieces) + " " + text[pos:]
            elif choice < 0.9:
                text = text[:pos] + text[pos + rng.randint(1, 10) :]
            else:
                text = text[:pos] + chr(rng.randint(0, 255)) + text[pos:]
        try:
            translate_text(text, "fuzz.conf")
        except MigrationError:
            pass


def test_renewal_and_rebinding_options_become_kea_timers() -> None:
    d4, notes, out = convert(
        "option dhcp-renewal-time 100;\noption dhcp-rebinding-time 175;\n"
        "subnet 192.0.2.0 netmask 255.255.255.0 { option dhcp-renewal-time 50; }\n"
    )
    assert notes == []
    assert d4 == {
        "renew-timer": 100,
        "rebind-timer": 175,
        "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "renew-timer": 50}],
    }
    runs_everywhere(out)
