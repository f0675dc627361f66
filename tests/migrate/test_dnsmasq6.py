"""`edge-dhcp migrate dnsmasq -6`: dnsmasq's DHCPv6 forms into a Dhcp6 that edge-dhcp and Kea load."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from pathlib import Path

from edge.dhcp6.config import load_text
from edge.migrate.dnsmasq import translate_text6
from tests.migrate.helpers6 import kea6_check

REPO_ROOT = Path(__file__).resolve().parents[2]

CONF = """\
interface=lab0
dhcp-range=192.168.1.50,192.168.1.150,12h
dhcp-range=::100,::1ff,constructor:lab0,slaac,64,1h
dhcp-range=2001:db8:0:9::,ra-only
dhcp-range=2001:db8:0:5::,ra-stateless
enable-ra
dhcp-host=id:00:01:00:01:2a:3b:4c:5d:02:00:00:00:00:01,[::5],router1
dhcp-host=02:00:00:00:00:09,[2001:db8:0:1::9],printer,1h
dhcp-host=02:00:00:00:00:0a,192.168.1.10
dhcp-option=option6:dns-server,[2001:db8::53],[2001:db8::54]
dhcp-option=option6:domain-search,lab.example
dhcp-option=option6:sntp-server,[::]
"""
LOCAL6 = [
    ("lab0", ipaddress.IPv6Interface("2001:db8:0:1::1/64")),
    ("wan", ipaddress.IPv6Interface("2001:db8:ff::2/64")),
]


def test_v6_forms_translate_and_load() -> None:
    result = translate_text6(CONF, "dnsmasq.conf", local6=LOCAL6)
    d6 = result.data()["Dhcp6"]
    assert d6["interfaces-config"] == {"interfaces": ["lab0"]}
    assert d6["subnet6"] == [
        {
            "id": 1,
            "subnet": "2001:db8:0:1::/64",
            "interface": "lab0",
            "valid-lifetime": 3600,
            "preferred-lifetime": 3600,
            "pools": [{"pool": "2001:db8:0:1::100 - 2001:db8:0:1::1ff"}],
        },
        {"id": 2, "subnet": "2001:db8:0:5::/64"},  # ra-stateless: options only
    ]
    assert d6["reservations"] == [
        {
            "duid": "00:01:00:01:2a:3b:4c:5d:02:00:00:00:00:01",
            "hostname": "router1",
            "ip-addresses": ["2001:db8:0:1::5"],  # [::5] on the constructor's prefix
        },
        {"hw-address": "02:00:00:00:00:09", "hostname": "printer", "ip-addresses": ["2001:db8:0:1::9"]},
    ]
    assert d6["option-data"] == [
        {"space": "dhcp6", "name": "dns-servers", "code": 23, "data": "2001:db8::53, 2001:db8::54"},
        {"space": "dhcp6", "name": "domain-search", "code": 24, "data": "lab.example"},
    ]
    lines = sorted(n.line for n in result.notes)
    assert lines == [3, 4, 6, 12], [str(n) for n in result.notes]  # slaac, ra-only, enable-ra, [::]
    load_text(result.text(), "<migrated>")
    assert kea6_check(result.data()) is None


def test_constructor_without_the_interface_here_is_a_note() -> None:
    result = translate_text6("dhcp-range=::100,::1ff,constructor:eth9,64,1h\n", "d.conf", local6=LOCAL6)
    assert "subnet6" not in result.data()["Dhcp6"]
    assert len(result.notes) == 1 and "eth9" in result.notes[0].why


def test_cli_refuses_a_malformed_v6_range(tmp_path: Path) -> None:
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text("dhcp-range=2001:db8::100,2001:db9::1ff,64\n")
    done = subprocess.run(
        [sys.executable, "-m", "edge", "migrate", "dnsmasq", "-6", str(conf)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert done.returncode == 255
    assert f"{conf} line 1: bad dhcp-range" in done.stderr and "Traceback" not in done.stderr
