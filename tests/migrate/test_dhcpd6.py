"""`edge-dhcp migrate dhcpd -6` and dhcpd6.leases import, end to end through the command line."""

from __future__ import annotations

import calendar
import io
import json
import subprocess
import sys
import time
from pathlib import Path

from tinydb import TinyDB

from edge.config.jsonpos import parse_text
from edge.dhcp6.config import load_text
from edge.leases.interchange import Removal, Row, RowError
from edge.migrate.dhcpd import translate_text6
from edge.migrate.leases import parse_dhcpd6_leases
from tests.migrate.helpers6 import kea6_check

REPO_ROOT = Path(__file__).resolve().parents[2]

DHCPD6_CONF = """\
# a home router's dhcpd -6
default-lease-time 600;
max-lease-time 7200;
preferred-lifetime 375;
option dhcp6.name-servers 2001:db8::53;
option dhcp6.domain-search "lab.example";
subnet6 2001:db8:0:1::/64 {
    range6 2001:db8:0:1::100 2001:db8:0:1::1ff;
    prefix6 2001:db8:100:: 2001:db8:100:ff00:: /56;
}
shared-network lab {
    subnet6 2001:db8:0:2::/64 { range6 2001:db8:0:2::/120; }
    subnet6 2001:db8:0:3::/64 {
        pool6 { range6 2001:db8:0:3::10 2001:db8:0:3::20; allow unknown-clients; }
        range6 2001:db8:0:3::1000 temporary;
    }
}
host router1 {
    host-identifier option dhcp6.client-id 00:01:00:01:2a:3b:4c:5d:02:00:00:00:00:01;
    fixed-address6 2001:db8:0:1::5;
    fixed-prefix6 2001:db8:200::/56;
}
host printer { hardware ethernet 02:00:00:00:00:09; fixed-address6 2001:db8:0:1::9; }
"""


def run_edge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge", *args], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )


def test_cli_converts_a_dhcpd6_configuration_that_edge_and_kea_load(tmp_path: Path) -> None:
    source = tmp_path / "dhcpd6.conf"
    source.write_text(DHCPD6_CONF)
    out = tmp_path / "edge6.json"
    result = run_edge("migrate", "dhcpd", "-6", str(source), "-o", str(out), "-i", "eth0")
    assert result.returncode == 1, result.stderr  # one note: the temporary range
    assert f"{source} line 15: not translated: range6 2001:db8:0:3::1000 temporary;" in result.stderr
    d6 = parse_text(out.read_text(), str(out)).value["Dhcp6"]
    assert (d6["valid-lifetime"], d6["max-valid-lifetime"], d6["preferred-lifetime"]) == (600, 7200, 375)
    assert (d6["renew-timer"], d6["rebind-timer"]) == (187, 300)  # dhcpd's T1/T2: 1/2 and 4/5 of preferred
    assert d6["option-data"] == [
        {"space": "dhcp6", "name": "dns-servers", "code": 23, "data": "2001:db8::53"},
        {"space": "dhcp6", "name": "domain-search", "code": 24, "data": "lab.example"},
    ]
    first = d6["subnet6"][0]
    assert first["pools"] == [{"pool": "2001:db8:0:1::100 - 2001:db8:0:1::1ff"}]
    assert first["pd-pools"] == [{"prefix": "2001:db8:100::", "prefix-len": 48, "delegated-len": 56}]
    lab = d6["shared-networks"][0]
    assert [s["subnet"] for s in lab["subnet6"]] == ["2001:db8:0:2::/64", "2001:db8:0:3::/64"]
    assert lab["subnet6"][1]["pools"] == [
        {"pool": "2001:db8:0:3::10 - 2001:db8:0:3::20", "client-class": "UNKNOWN"}
    ]
    assert d6["host-reservation-identifiers"] == ["duid", "hw-address"]
    assert d6["reservations"] == [
        {
            "duid": "00:01:00:01:2a:3b:4c:5d:02:00:00:00:00:01",
            "ip-addresses": ["2001:db8:0:1::5"],
            "prefixes": ["2001:db8:200::/56"],
        },
        {"hw-address": "02:00:00:00:00:09", "ip-addresses": ["2001:db8:0:1::9"]},
    ]
    check = run_edge("check", "-c", str(out))
    assert check.returncode == 0, check.stdout + check.stderr
    assert kea6_check({"Dhcp6": d6}) is None


def test_preferred_lifetime_follows_dhcpd_when_only_lease_times_are_set() -> None:
    result = translate_text6("default-lease-time 1800;\nsubnet6 2001:db8::/64 { default-lease-time 800; }\n")
    d6 = result.data()["Dhcp6"]
    # dhcpd -6 sends 5/8 of the valid lifetime; Kea's default (3600) would exceed the valid lifetime
    assert (d6["valid-lifetime"], d6["preferred-lifetime"]) == (1800, 1125)
    assert (d6["subnet6"][0]["valid-lifetime"], d6["subnet6"][0]["preferred-lifetime"]) == (800, 500)
    load_text(result.text(), "<t>")


def _dhcpd_time(moment: int) -> str:
    return time.strftime("%w %Y/%m/%d %H:%M:%S", time.gmtime(moment))


def _ia_name(iaid: int, duid: bytes, order: str = "little") -> str:
    return "".join(f"\\{b:03o}" for b in iaid.to_bytes(4, order) + duid)  # type: ignore[arg-type]


DUID = bytes.fromhex("00010001 2a3b4c5d 020000000001")


def dhcpd6_leases(now: int) -> str:
    cltt = _dhcpd_time(now - 100)
    ends = _dhcpd_time(now + 500)
    return f"""\
# The format of this file is documented in the dhcpd.leases(5) manual page.
authoring-byte-order little-endian;
server-duid "\\000\\001\\000\\001\\052\\000\\000\\001\\002\\000\\000\\000\\000\\002";

ia-na "{_ia_name(7, DUID)}" {{
  cltt {cltt};
  iaaddr 2001:db8:0:1::100 {{
    binding state active;
    preferred-life 375;
    max-life 600;
    ends {ends};
  }}
}}
ia-pd "{_ia_name(8, DUID)}" {{
  cltt {cltt};
  iaprefix 2001:db8:100:4200::/56 {{
    binding state active;
    preferred-life 375;
    max-life 600;
    ends {ends};
  }}
}}
ia-na "{_ia_name(9, bytes.fromhex("000300010200000000aa"))}" {{
  cltt {cltt};
  iaaddr 2001:db8:0:1::101 {{
    binding state active;
    preferred-life 375;
    max-life 600;
    ends {ends};
  }}
}}
ia-na "{_ia_name(9, bytes.fromhex("000300010200000000aa"))}" {{
  cltt {cltt};
  iaaddr 2001:db8:0:1::101 {{
    binding state released;
    preferred-life 375;
    max-life 600;
    ends {ends};
  }}
}}
ia-ta "{_ia_name(3, DUID)}" {{
  cltt {cltt};
  iaaddr 2001:db8:0:1::8000 {{
    binding state active;
    preferred-life 375;
    max-life 600;
    ends {ends};
  }}
}}
"""


def test_dhcpd6_leases_parse_na_and_pd_with_the_file_byte_order() -> None:
    now = calendar.timegm(time.gmtime())
    items = list(parse_dhcpd6_leases(io.StringIO(dhcpd6_leases(now)), "dhcpd6.leases"))
    rows = [i.lease for i in items if isinstance(i, Row)]
    na, pd, other = rows
    assert (na.iaid, na.duid, na.lease_type, na.prefix_len) == (7, DUID, 0, 128)
    assert (na.preferred_lifetime, na.valid_lifetime, na.cltt) == (375, 600, now - 100)
    assert (pd.iaid, pd.lease_type, pd.prefix_len) == (8, 2, 56)
    assert pd.address == int.from_bytes(bytes.fromhex("20010db8010042000000000000000000"), "big")
    assert other.iaid == 9
    removals = [i for i in items if isinstance(i, Removal)]
    assert [r.address for r in removals] == [other.address]  # released later in the log
    warnings = [i for i in items if isinstance(i, RowError)]
    assert (
        len(warnings) == 1 and warnings[0].message.startswith("warning:") and "ia-ta" in warnings[0].message
    )


def test_cli_imports_dhcpd6_leases_into_the_v6_store(tmp_path: Path) -> None:
    source = tmp_path / "dhcpd6.conf"
    source.write_text(DHCPD6_CONF)
    config = tmp_path / "edge6.json"
    assert run_edge("migrate", "dhcpd", "-6", str(source), "-o", str(config)).returncode == 1
    leases = tmp_path / "dhcpd6.leases"
    now = calendar.timegm(time.gmtime())
    leases.write_text(dhcpd6_leases(now))
    store = tmp_path / "dhcp6.leases"
    done = run_edge(
        "leases",
        "import",
        "--format",
        "dhcpd-leases",
        str(leases),
        "-c",
        str(config),
        "--lease-file",
        str(store),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 lease(s) imported" in done.stdout, done.stdout
    db = TinyDB(str(store))
    try:
        docs = db.table("leases").all()
    finally:
        db.close()
    got = sorted((d["address"], d.get("prefix_len"), d.get("iaid"), d.get("subnet_id")) for d in docs)
    assert got == [("2001:db8:0:1::100", 128, 7, 1), ("2001:db8:100:4200::", 56, 8, 1)], json.dumps(docs)
