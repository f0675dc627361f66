"""Lease files of ISC dhcpd and dnsmasq: the parsers, and `edge-dhcp leases import` with them end to end."""

from __future__ import annotations

import calendar
import io
import json
import subprocess
import sys
import time
from pathlib import Path

from tinydb import TinyDB

from edge.leases.interchange import Removal, Row, RowError
from edge.migrate.leases import parse_dhcpd_leases, parse_dnsmasq_leases
from edge.wire.addr import ip_to_int

REPO_ROOT = Path(__file__).resolve().parents[2]

DHCPD_LEASES = r"""# The format of this file is documented in the dhcpd.leases(5) manual page.
# This lease file was written by isc-dhcp-4.4.3-P1

# authoring-byte-order entry is generated, DO NOT DELETE
authoring-byte-order little-endian;

server-duid "\000\001\000\001,\245\001\002\022\211\206@\254\021";

lease 192.0.2.100 {
  starts 5 2026/11/27 10:00:00;
  ends 5 2026/11/27 12:00:00;
  cltt 5 2026/11/27 10:00:00;
  binding state active;
  next binding state free;
  rewind binding state free;
  hardware ethernet 02:00:00:00:00:01;
  uid "\001\002\000\000\000\000\001";
  set vendor-class-identifier = "udhcp 1.35.0";
  client-hostname "alpha";
}
lease 192.0.2.101 {
  starts 5 2026/11/27 10:00:00;
  ends never;
  binding state active;
  hardware ethernet 02:00:00:00:00:02;
}
lease 192.0.2.100 {
  starts 5 2026/11/27 11:00:00;
  ends epoch 1922094000; # Thu Nov 28 11:00:00 2030
  cltt 5 2026/11/27 11:00:00;
  binding state active;
  hardware ethernet 02:00:00:00:00:01;
  uid 01:02:00:00:00:00:01;
  client-hostname "alpha";
}
lease 192.0.2.102 {
  starts 5 2026/11/27 10:00:00;
  ends 5 2026/11/27 12:00:00;
  binding state active;
  hardware ethernet 02:00:00:00:00:03;
}
lease 192.0.2.102 {
  starts 5 2026/11/27 10:30:00;
  ends 5 2026/11/27 10:30:00;
  binding state free;
  hardware ethernet 02:00:00:00:00:03;
}
lease 192.0.2.103 {
  starts 5 2026/11/27 99:00:00;
  binding state active;
}
host foo { dynamic; hardware ethernet 00:00:00:00:00:09; fixed-address 192.0.2.9; }
"""


def utc(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y/%m/%d %H:%M:%S"))


def test_dhcpd_leases_last_declaration_wins_and_only_active_ones_count() -> None:
    items = list(parse_dhcpd_leases(io.StringIO(DHCPD_LEASES), "dhcpd.leases"))
    kinds = [(type(i).__name__, i.line) for i in items]
    assert kinds == [
        ("Row", 9),
        ("Row", 21),
        ("Row", 27),
        ("Row", 36),
        ("Removal", 42),
        ("RowError", 48),
        ("RowError", 52),
    ]
    first, forever, renewed, _, gone, bad, host = items
    assert isinstance(renewed, Row) and isinstance(first, Row) and isinstance(forever, Row)
    lease = renewed.lease
    assert lease.address == ip_to_int("192.0.2.100")
    assert lease.hwaddr == bytes.fromhex("020000000001")
    assert lease.client_id == bytes.fromhex("01020000000001")
    assert first.lease.client_id == lease.client_id  # the octal-escaped uid and the hex one are the same
    assert lease.cltt == utc("2026/11/27 11:00:00") and lease.expire == 1922094000
    assert lease.hostname == "alpha"
    assert forever.lease.valid_lifetime == 0xFFFFFFFF
    assert isinstance(gone, Removal) and gone.address == ip_to_int("192.0.2.102")
    assert isinstance(bad, RowError) and "cannot read the time" in bad.message
    assert isinstance(host, RowError) and host.message.startswith("warning: host foo")


def test_dhcpd_leases_with_broken_syntax_report_the_line_and_stop() -> None:
    text = 'lease 192.0.2.1 {\n  binding state active;\n  hardware ethernet 02:00:00:00:00:01;\n  client-hostname "x;\n}\n'
    items = list(parse_dhcpd_leases(io.StringIO(text), "dhcpd.leases"))
    assert items == [RowError(4, "unterminated string; the rest of the file is not read")]


def test_dnsmasq_leases() -> None:
    text = (
        "1900000000 02:00:00:00:00:05 192.0.2.50 host5 01:02:00:00:00:00:05\n"
        "0 02:00:00:00:00:06 192.0.2.51 * *\n"
        "1900000000 06-02:00:00:00:00:07 192.0.2.52 *\n"
        "1900000000 zz 192.0.2.53 * *\n"
        "duid 00:01:00:01:2c:a5:01:02\n"
        "1900000000 1234 fe80::1 * 00:01\n"
    )
    items = list(parse_dnsmasq_leases(io.StringIO(text), "dnsmasq.leases"))
    assert [type(i).__name__ for i in items] == ["Row", "Row", "Row", "RowError", "RowError"]
    five, six, seven, bad, v6 = items
    assert five.lease.expire == 1900000000 and five.lease.hostname == "host5"
    assert five.lease.client_id == bytes.fromhex("01020000000005")
    assert six.lease.valid_lifetime == 0xFFFFFFFF and six.lease.client_id is None and six.lease.hostname == ""
    assert seven.lease.hwaddr == bytes.fromhex("020000000007")
    assert bad.line == 4 and "not hex" in bad.message
    assert v6.message.startswith("warning:")


def run_edge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge", *args], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )


def test_import_refuses_leases_outside_every_subnet_and_imports_with_skip(tmp_path: Path) -> None:
    config = tmp_path / "edge.json"
    config.write_text(
        json.dumps(
            {
                "Dhcp4": {
                    "subnet4": [
                        {"id": 7, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.200"}]}
                    ]
                }
            }
        )
    )
    leases = tmp_path / "dhcpd.leases"
    leases.write_text(DHCPD_LEASES.replace("lease 192.0.2.101 {", "lease 198.51.100.7 {"))
    store = tmp_path / "dhcp4.leases"
    refused = run_edge(
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
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"{leases}:21: 198.51.100.7 is in no configured subnet" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not store.exists() or not TinyDB(str(store)).table("leases").all()
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
        "--skip-bad-rows",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 lease(s) imported" in done.stdout  # 192.0.2.100; .102 is free, .103 unreadable, .101 moved away
    db = TinyDB(str(store))
    try:
        docs = db.table("leases").all()
    finally:
        db.close()
    assert [(d["address"], d["hwaddr"], d["subnet_id"], d["hostname"]) for d in docs] == [
        ("192.0.2.100", "02:00:00:00:00:01", 7, "alpha")
    ]
