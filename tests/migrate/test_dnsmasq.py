"""`edge-dhcp migrate dnsmasq`: dnsmasq's DHCP configuration -> Kea dialect.

The machine-dependent parts (netmask from the interface, dnsmasq's own address as router/TFTP server) are
fed with explicit interface addresses here, so the tests do not depend on this machine.
"""

from __future__ import annotations

import ipaddress
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from edge.config.jsonpos import parse_text
from edge.migrate.common import MigrationError
from edge.migrate.dnsmasq import translate_file, translate_text
from tests.migrate.helpers import edge_loads, kea_check
from tests.migrate.test_switchover import DNSMASQ_CONF

LOCAL = [
    ("br0", ipaddress.IPv4Interface("203.0.113.1/24")),
    ("srv0", ipaddress.IPv4Interface("192.0.2.1/24")),
]


def convert(
    text: str,
    local: list[tuple[str, ipaddress.IPv4Interface]] | None = None,
    interfaces: tuple[str, ...] = (),
) -> tuple[dict[str, Any], list[str], str]:
    result = translate_text(text, "dnsmasq.conf", interfaces, LOCAL if local is None else local)
    out = result.text()
    assert parse_text(out, "out").value == result.data()
    return result.data()["Dhcp4"], [f"{n.line}: {n.what}: {n.why}" for n in result.notes], out


def runs_everywhere(out: str) -> None:
    edge_loads(out)
    data = parse_text(out, "out").value
    assert kea_check(data) is None


def test_the_switch_over_site_translates_exactly() -> None:
    d4, notes, out = convert(DNSMASQ_CONF.replace("@LEASES@", "/var/lib/misc/dnsmasq.leases"))
    assert notes == [
        "5: 1 directive(s) that are not about DHCP: port (line 5): edge-dhcp is a DHCP server only; "
        "keep dnsmasq (with dhcp-range removed) or another server for port"
    ]
    assert "edge-dhcp leases import --format dnsmasq /var/lib/misc/dnsmasq.leases" in out
    assert d4 == {
        "interfaces-config": {"interfaces": ["br0", "srv0"]},
        "authoritative": True,
        "valid-lifetime": 3600,
        "option-data": [
            {"space": "dhcp4", "name": "domain-name-servers", "code": 6, "data": "203.0.113.53"},
            {"space": "dhcp4", "name": "domain-name", "code": 15, "data": "lab.example"},
        ],
        "client-classes": [
            {
                "name": "printer",
                "option-data": [
                    {"space": "dhcp4", "name": "domain-name", "code": 15, "data": "printers.lab.example"}
                ],
            },
            {
                "name": "pxe",
                "test": "substring(option[60].hex,0,9) == 'PXEClient'",
                "boot-file-name": "pxelinux.0",
                "next-server": "203.0.113.5",
            },
        ],
        "subnet4": [
            {
                "id": 1,
                "subnet": "203.0.113.0/24",  # the netmask came from br0
                "valid-lifetime": 600,
                "option-data": [
                    {"space": "dhcp4", "name": "routers", "code": 3, "data": "203.0.113.1"},  # dnsmasq itself
                    {"space": "dhcp4", "name": "broadcast-address", "code": 28, "data": "203.0.113.255"},
                ],
                "next-server": "203.0.113.1",
                "pools": [{"pool": "203.0.113.100 - 203.0.113.102"}],
                "reservations": [
                    {
                        "hw-address": "02:00:00:00:01:02",
                        "ip-address": "203.0.113.10",
                        "client-classes": ["printer"],
                    }
                ],
            },
            {
                "id": 2,
                "subnet": "198.51.100.0/24",
                "valid-lifetime": 600,
                "option-data": [
                    {"space": "dhcp4", "name": "routers", "code": 3, "data": "198.51.100.1"},
                    {"space": "dhcp4", "name": "broadcast-address", "code": 28, "data": "198.51.100.255"},
                ],
                "pools": [{"pool": "198.51.100.100 - 198.51.100.101"}],
            },
        ],
    }
    runs_everywhere(out.replace('"br0",', "").replace('"srv0"', ""))


def test_without_the_machine_own_addresses_and_netmasks_become_notes() -> None:
    d4, notes, _ = convert(
        "dhcp-range=192.168.7.10,192.168.7.50\ndhcp-option=option:ntp-server,0.0.0.0\n", local=[]
    )
    assert d4["subnet4"][0]["subnet"] == "192.168.7.0/24"  # a class C address: dnsmasq's guess
    assert any("netmask" in n for n in notes)
    assert any("default routers" in n for n in notes)
    assert any("0.0.0.0 means dnsmasq's own address" in n for n in notes)


def test_a_home_router_configuration() -> None:
    d4, notes, out = convert(
        """domain-needed
bogus-priv
dhcp-range=lan,192.168.1.100,192.168.1.200,255.255.255.0,12h
dhcp-option=option:router,192.168.1.1
dhcp-option=option:dns-server,192.168.1.1,9.9.9.9
dhcp-option=option:domain-search,home.lan,corp.example
dhcp-option=121,10.8.0.0/16,192.168.1.254,0.0.0.0/0,192.168.1.1
dhcp-option=252,"http://wpad.home.lan/wpad.dat"
dhcp-option-force=tag:pxe,option:mtu,1400
dhcp-option=option:T1,5m
dhcp-host=00:11:22:33:44:55,printer,192.168.1.10,infinite
dhcp-host=aa:bb:cc:dd:ee:01,aa:bb:cc:dd:ee:02,laptop,192.168.1.20
dhcp-host=id:01:02:03:04,set:special,192.168.1.30
dhcp-host=de:ad:be:ef:00:01,ignore
dhcp-host=kitchen-tablet,192.168.1.40
dhcp-match=set:efi64,option:client-arch,7
dhcp-vendorclass=set:pxe,PXEClient
tag-if=set:pxe-efi,tag:pxe,tag:efi64
dhcp-boot=tag:pxe-efi,grubx64.efi,,192.168.1.5
dhcp-boot=tag:!efi64,pxelinux.0,bootserver,192.168.1.5
dhcp-ignore=tag:!known,tag:efi64
dhcp-ignore-clid
""",
        local=[("eth0", ipaddress.IPv4Interface("192.168.1.1/24"))],
    )
    assert len(notes) == 2, notes
    assert any("kitchen-tablet" in n and "name it sends" in n for n in notes)
    assert any("not about DHCP: domain-needed (line 1), bogus-priv (line 2)" in n for n in notes)
    assert d4["match-client-id"] is False and d4["renew-timer"] == 300
    data = {o["code"]: o for o in d4["option-data"]}
    assert data[119]["data"] == "home.lan, corp.example"
    assert data[121] == {
        "space": "dhcp4",
        "name": "classless-static-route",
        "code": 121,
        "csv-format": False,
        "data": "100a08c0a801fe00c0a80101",
    }
    assert data[252] == {
        "space": "dhcp4",
        "code": 252,
        "csv-format": False,
        "data": b"http://wpad.home.lan/wpad.dat".hex(),
    }
    classes = {c["name"]: c for c in d4["client-classes"]}
    names = [c["name"] for c in d4["client-classes"]]
    assert names.index("pxe") < names.index("pxe-efi") and names.index("efi64") < names.index("pxe-efi")
    assert classes["pxe"]["option-data"] == [
        {"space": "dhcp4", "name": "interface-mtu", "code": 26, "data": "1400", "always-send": True}
    ]
    assert classes["efi64"]["test"] == "option[93].hex == 0x0007"
    assert classes["pxe-efi"] == {
        "name": "pxe-efi",
        "test": "(member('pxe')) and (member('efi64'))",
        "boot-file-name": "grubx64.efi",
        "next-server": "192.168.1.5",
    }
    assert classes["tags-not-efi64"]["test"] == "not member('efi64')"
    assert classes["lease-time-infinite"]["valid-lifetime"] == 0xFFFFFFFF
    assert (
        classes["DROP"]["test"]
        == "(pkt4.mac == 0xdeadbeef0001) or ((not member('KNOWN')) and (member('efi64')))"
    )
    subnet = d4["subnet4"][0]
    assert subnet["valid-lifetime"] == 43200
    assert [r.get("hw-address", r.get("client-id")) for r in subnet["reservations"]] == [
        "00:11:22:33:44:55",
        "aa:bb:cc:dd:ee:01",
        "aa:bb:cc:dd:ee:02",
        "01:02:03:04",
    ]
    assert subnet["reservations"][0]["client-classes"] == ["lease-time-infinite"]
    assert d4["ip-reservations-unique"] is False  # the laptop's two MACs share one address
    runs_everywhere(out)


def test_hosts_and_options_files_and_conf_dir(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "10-lan.conf").write_text("dhcp-range=192.0.2.10,192.0.2.20,255.255.255.0\n")
    (tmp_path / "conf.d" / "skip.bak").write_text("this is not read\n")
    (tmp_path / "hosts").write_text("02:00:00:00:00:01,192.0.2.5\n")
    (tmp_path / "opts").write_text("option:router,192.0.2.1\n")
    main = tmp_path / "dnsmasq.conf"
    main.write_text("conf-dir=conf.d,*.conf\ndhcp-hostsfile=hosts\ndhcp-optsfile=opts\n")
    d4 = translate_file(str(main), local=[]).data()["Dhcp4"]
    assert d4["subnet4"][0]["reservations"] == [
        {"hw-address": "02:00:00:00:00:01", "ip-address": "192.0.2.5"}
    ]
    assert d4["option-data"][0]["data"] == "192.0.2.1"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("dhcp-range=192.0.2.10,192.0.2.20\nno-such-option=1\n", 2),
        ("\ndhcp-range=192.0.2.20,192.0.2.10,255.255.255.0\n", 2),
        ("dhcp-range=192.0.2.10,10.0.0.1,255.255.255.0\n", 1),
        ("dhcp-range=bogus\n", 1),
        ("dhcp-option=option:no-such-name,1\n", 1),
        ("dhcp-option=3,not-an-address\n", 1),
        ("dhcp-option=121,10.0.0.0/8\n", 1),
        ("dhcp-boot=\n", 1),
        ("tag-if=foo\n", 1),
    ],
)
def test_invalid_input_is_refused_with_its_line(text: str, line: int) -> None:
    with pytest.raises(MigrationError) as info:
        translate_text(text, "dnsmasq.conf", (), [])
    assert info.value.line == line and str(info.value).startswith(f"dnsmasq.conf line {line}: ")


def test_random_damage_never_escapes_as_anything_but_a_refusal() -> None:
    rng = random.Random(7)
    pieces = [
        "=",
        ",",
        "tag:",
        "set:",
        "!",
        "*",
        "option:",
        "0.0.0.0",
        "192.0.2.",
        "255.255.255.0",
        "1h",
        "id:",
        "ignore",
        "infinite",
        '"',
        "#",
        "dhcp-range",
        "dhcp-host",
        "dhcp-option",
        "encap:",
        "vendor:",
        "\n",
    ]
    base = DNSMASQ_CONF.replace("@LEASES@", "/tmp/x")
    for _ in range(1500):
        text = base
        for _ in range(rng.randint(1, 4)):
            pos = rng.randint(0, len(text))
            choice = rng.random()
            if choice < 0.45:
                text = text[:pos] + rng.choice(pieces) + text[pos:]
            elif choice < 0.9:
                text = text[:pos] + text[pos + rng.randint(1, 10) :]
            else:
                text = text[:pos] + chr(rng.randint(0, 255)) + text[pos:]
        try:
            translate_text(text, "fuzz.conf", (), LOCAL)
        except MigrationError:
            pass


def test_cli_writes_the_output_and_counts_the_notes(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(
        "dhcp-range=192.0.2.10,192.0.2.20,255.255.255.0,1h\ndhcp-option=3,192.0.2.1\nlog-queries\n"
    )
    out = tmp_path / "edge.json"
    run = subprocess.run(
        [sys.executable, "-m", "edge", "migrate", "dnsmasq", str(conf), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=repo,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr  # log-queries is DNS
    assert parse_text(out.read_text(), str(out)).value["Dhcp4"]["subnet4"][0]["pools"] == [
        {"pool": "192.0.2.10 - 192.0.2.20"}
    ]
    conf.write_text("dhcp-range=192.0.2.10,192.0.2.20\n\ndhcp-rnage=1\n")
    bad = subprocess.run(
        [sys.executable, "-m", "edge", "migrate", "dnsmasq", str(conf), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=repo,
        timeout=60,
    )
    assert bad.returncode == 255 and f"{conf} line 3: bad option dhcp-rnage" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert parse_text(out.read_text(), str(out)).value["Dhcp4"]["subnet4"][0][
        "pools"
    ]  # the old output is intact
