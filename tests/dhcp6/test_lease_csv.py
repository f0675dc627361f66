"""Kea 2.2's lease6 CSV and lease6-get-all JSON both ways, and `edge-dhcp leases import/export` and
`stats recount` of a Dhcp6 configuration (its own lease file, beside the v4 one)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.dhcp6.lease import EMPTY_DUID, STATE_DECLINED, TYPE_NA, TYPE_PD, Lease6, parse_address
from edge.dhcp6.lease_config import lease_config6_from_text
from edge.dhcp6.lease_csv import (
    EXPORT_FORMATS6,
    IMPORT_FORMATS6,
    KEA_CSV6_COLUMNS,
    kea_json,
    lease6_from_kea,
    lease6_to_kea,
    write_kea_csv6,
)
from edge.dhcp6.lease_store import MemfileLeaseStore6, MemoryLeaseStore6
from edge.leases.interchange import Removal, Row, RowError, export_leases, import_leases, parse_text

HEADER = ",".join(KEA_CSV6_COLUMNS)
NOW = 1_800_000_000
CONFIG = {
    "Dhcp6": {
        "lease-database": {"type": "memfile", "name": "LEASES"},
        "subnet6": [
            {
                "id": 1,
                "subnet": "2001:db8:1::/64",
                "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
                "pd-pools": [{"prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56}],
            },
            {"id": 7, "subnet": "2001:db8:7::/64"},
        ],
    }
}
ROWS = [
    # an IA_NA lease with a hardware address taken from the DUID-LL (hwaddr_source 2), as kea-dhcp6 writes
    "2001:db8:1::100,00:03:00:01:02:00:00:00:00:01,3600,1800003600,1,1800,0,1,128,1,1,"
    'a&#x2cb&#x26c.example.org,02:00:00:00:00:01,0,{ "k": "v&#x2cw" },1,2',
    # a delegated /56 without a hardware address
    "2001:db8:8000:100::,00:01:00:01:2a:2b:2c:2d:02:00:00:00:00:02,7200,1800007200,1,3600,2,9,56,0,0,,,0,,,",
    # DECLINE as Kea records it: duid 00, preferred 0, valid = decline-probation-period, state 1
    "2001:db8:1::101,00,86400,1800086400,1,0,0,3,128,0,0,,,1,,,",
    # a lease, then its RELEASE (valid lifetime 0): no lease at the end
    "2001:db8:1::102,00:03:00:01:02:00:00:00:00:03,3600,1800003600,1,1800,0,1,128,0,0,,,0,,,",
    "2001:db8:1::102,00:03:00:01:02:00:00:00:00:03,0,1800000000,1,0,0,1,128,0,0,,,0,,,",
]


def config(lease_file: str = "leases") -> object:
    text = json.dumps(CONFIG).replace("LEASES", lease_file)
    return lease_config6_from_text(text)


def test_kea_rows_read_as_kea_means_them() -> None:
    items = parse_text(IMPORT_FORMATS6["kea-csv"], HEADER + "\n" + "\n".join(ROWS) + "\n")
    assert [type(i) for i in items] == [Row, Row, Row, Row, Removal]
    first = items[0].lease
    assert first == Lease6(
        parse_address("2001:db8:1::100"),
        duid=bytes.fromhex("00030001020000000001"),
        iaid=1,
        lease_type=TYPE_NA,
        prefix_len=128,
        preferred_lifetime=1800,
        valid_lifetime=3600,
        cltt=NOW,
        subnet_id=1,
        hwaddr=bytes.fromhex("020000000001"),
        hwtype=1,
        hwaddr_source=2,
        hostname="a,b&c.example.org",
        fqdn_fwd=True,
        fqdn_rev=True,
        user_context={"k": "v,w"},
    )
    prefix = items[1].lease
    assert prefix.lease_type == TYPE_PD and prefix.prefix_len == 56 and prefix.iaid == 9 and not prefix.hwaddr
    declined = items[2].lease
    assert declined.duid == EMPTY_DUID and declined.state == STATE_DECLINED and declined.expire == NOW + 86400
    assert items[4] == Removal(6, parse_address("2001:db8:1::102"))


def test_written_rows_are_kea_rows() -> None:
    leases = [
        item.lease for item in parse_text(IMPORT_FORMATS6["kea-csv"], HEADER + "\n" + "\n".join(ROWS[:3]))
    ]
    out = io.StringIO()
    assert write_kea_csv6(leases, out) == 3
    assert out.getvalue().splitlines() == [HEADER, *ROWS[:3]]


def test_bad_rows_are_named_by_line_and_a_bad_hwaddr_only_warns() -> None:
    text = "\n".join(
        [
            HEADER,
            "2001:db8:1::100,,3600,1800003600,1,1800,0,1,128,0,0,,,0,,,",  # no DUID
            "2001:db8:1::101,00,3600,1800003600,1,1800,0,1,128,0,0,,,0,,,",  # empty DUID, not declined
            "192.0.2.1,00:01:02,3600,1800003600,1,1800,0,1,128,0,0,,,0,,,",
            "2001:db8:1::102,00:01:02,3600,1800003600,1,1800,3,1,128,0,0,,,0,,,",  # lease type 3
            "2001:db8:1::103,00:01:02,3600,1800003600,1,1800,0,1,129,0,0,,,0,,,",
            "2001:db8:1::104,00:01:02,3600,1800003600,1,1800,0,1,128,0,0,,zz:yy,0,,1,0",
            "2001:db8:1::105,00:01:02,3600",
        ]
    )
    items = parse_text(IMPORT_FORMATS6["kea-csv"], text)
    errors = [(i.line, i.message) for i in items if isinstance(i, RowError)]
    assert [line for line, _ in errors] == [2, 3, 4, 5, 6, 7, 8]
    assert "empty duid" in errors[0][1] and "only valid for declined" in errors[1][1]
    assert "not an IPv6 address" in errors[2][1] and "lease_type 3" in errors[3][1]
    assert errors[5][1].startswith("warning:")
    kept = [i.lease for i in items if isinstance(i, Row)]
    assert len(kept) == 1 and kept[0].hwaddr == b""  # the lease stays, without the address Kea drops too
    header_only = parse_text(IMPORT_FORMATS6["kea-csv"], "address,hwaddr,client_id\n")
    assert isinstance(header_only[0], RowError) and "Kea DHCPv6 lease file" in header_only[0].message


def test_older_kea_files_with_fewer_columns_read() -> None:
    old = (
        ",".join(KEA_CSV6_COLUMNS[:12]) + "\n2001:db8:1::100,00:01:02,3600,1800003600,1,1800,0,1,128,0,0,h\n"
    )
    [row] = parse_text(IMPORT_FORMATS6["kea-csv"], old)
    assert (
        isinstance(row, Row) and row.lease.state == 0 and row.lease.hostname == "h" and not row.lease.hwaddr
    )


def test_kea_json_rendering() -> None:
    assert kea_json({"b": [1, "x"], "a": {"c": True}}) == '{ "a": { "c": true }, "b": [ 1, "x" ] }'


leases6 = st.builds(
    Lease6,
    address=st.integers(1, 2**128 - 2),
    duid=st.binary(min_size=2, max_size=128),
    iaid=st.integers(0, 2**32 - 1),
    lease_type=st.sampled_from([0, 1, 2]),
    prefix_len=st.integers(0, 128),
    preferred_lifetime=st.integers(0, 2**32 - 1),
    valid_lifetime=st.integers(1, 2**32 - 1),
    cltt=st.integers(0, 2**40),
    subnet_id=st.integers(0, 2**32 - 1),
    hwaddr=st.binary(max_size=20),
    hostname=st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20),
    state=st.sampled_from([0, 2]),
    fqdn_fwd=st.booleans(),
    fqdn_rev=st.booleans(),
    user_context=st.one_of(st.none(), st.dictionaries(st.text(max_size=4), st.text(max_size=4), min_size=1)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(leases6, max_size=5))
def test_csv_and_json_round_trip(leases: list[Lease6]) -> None:
    for lease in leases:
        if not lease.hwaddr:
            lease.hwtype, lease.hwaddr_source = 1, 0  # not written without a hardware address (as Kea)
    out = io.StringIO()
    write_kea_csv6(leases, out)
    assert [item.lease for item in parse_text(IMPORT_FORMATS6["kea-csv"], out.getvalue())] == leases
    for lease in leases:
        back = lease6_from_kea(json.loads(json.dumps(lease6_to_kea(lease))))
        expected = lease.copy()
        expected.hwtype, expected.hwaddr_source = 1, 0  # lease6-get does not carry them
        if lease.lease_type != TYPE_PD:
            expected.prefix_len = 128
        assert back == expected


def test_json_has_kea_fields() -> None:
    [row, prefix] = [
        i.lease for i in parse_text(IMPORT_FORMATS6["kea-csv"], HEADER + "\n" + "\n".join(ROWS[:2]))
    ]
    assert lease6_to_kea(row) == {
        "ip-address": "2001:db8:1::100",
        "type": "IA_NA",
        "iaid": 1,
        "duid": "00:03:00:01:02:00:00:00:00:01",
        "subnet-id": 1,
        "cltt": NOW,
        "preferred-lft": 1800,
        "valid-lft": 3600,
        "fqdn-fwd": True,
        "fqdn-rev": True,
        "hostname": "a,b&c.example.org",
        "hw-address": "02:00:00:00:00:01",
        "state": 0,
        "user-context": {"k": "v,w"},
    }
    assert lease6_to_kea(prefix)["prefix-len"] == 56 and "hw-address" not in lease6_to_kea(prefix)


def test_import_checks_subnets_and_prefixes_belong_to_their_pd_pool(tmp_path) -> None:
    store = MemoryLeaseStore6()
    text = (
        HEADER
        + "\n"
        + "\n".join(
            ROWS[:3]
            + [
                "2001:db8:9::1,00:01:02,3600,1800003600,0,1800,0,1,128,0,0,,,0,,,",  # in no subnet
                "2001:db8:7::1,00:01:02,3600,1800003600,1,1800,0,1,128,0,0,,,0,,,",  # subnet 7's address, id 1
                "2001:db8:7::2,00:01:02,3600,1800003600,0,1800,0,2,128,0,0,,,0,,,",  # subnet found by address
            ]
        )
    )
    report = import_leases(config(), store, parse_text(IMPORT_FORMATS6["kea-csv"], text))
    assert not report.imported and [e.line for e in report.errors] == [5, 6]
    report = import_leases(config(), store, parse_text(IMPORT_FORMATS6["kea-csv"], text), skip_bad=True)
    assert report.imported and report.added == 4 and report.skipped == 2
    assert store.get(parse_address("2001:db8:8000:100::")).subnet_id == 1  # a prefix outside the /64
    assert store.get(parse_address("2001:db8:7::2")).subnet_id == 7
    exported = io.StringIO()
    assert export_leases(store, EXPORT_FORMATS6["json"], exported) == 4
    assert [x.lease for x in parse_text(IMPORT_FORMATS6["json"], exported.getvalue())][0].hostname == (
        "a,b&c.example.org"
    )


def edge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
    )


def test_command_line_import_export_and_recount_of_a_dhcp6_configuration(tmp_path) -> None:
    lease_file = tmp_path / "dhcp6.leases"
    conf = tmp_path / "kea-dhcp6.conf"
    conf.write_text("// a Kea Dhcp6 file\n" + json.dumps(CONFIG).replace("LEASES", str(lease_file)))
    kea_csv = tmp_path / "leases6.csv"
    kea_csv.write_text(HEADER + "\n" + "\n".join(ROWS) + "\n")
    out = edge("leases", "import", "--format", "kea-csv", str(kea_csv), "-c", str(conf))
    assert out.returncode == 0, out.stderr
    assert "3 lease(s) imported" in out.stdout and str(lease_file) in out.stdout
    store = MemfileLeaseStore6(str(lease_file), readonly=True)
    assert len(store) == 3
    out = edge("leases", "export", "--format", "kea-csv", "-c", str(conf))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [HEADER, ROWS[0], ROWS[2], ROWS[1]]  # in address order
    out = edge("stats", "recount", "-c", str(conf), "--lease-file", str(lease_file))
    values = json.loads(out.stdout)["arguments"]
    assert values["subnet[1].assigned-nas"] == 2 and values["subnet[1].assigned-pds"] == 1
    assert values["subnet[1].declined-addresses"] == 1 and values["subnet[1].total-nas"] == 256
    assert values["subnet[1].total-pds"] == 256 and not any(n.startswith(("pkt4", "v4-")) for n in values)
    # A v4-only format is refused for a v6 configuration, naming the v6 ones.
    out = edge("leases", "import", "--format", "dnsmasq", str(kea_csv), "-c", str(conf))
    assert out.returncode == 2 and "not a Dhcp6 lease format" in out.stderr
    # A broken Dhcp6 file is reported with its position, not a traceback.
    conf.write_text('{"Dhcp6": {"subnet6": [{"id": 1, "subnet": "nonsense"}]}}')
    out = edge("leases", "export", "--format", "json", "-c", str(conf))
    assert out.returncode == 1 and ":1:" in out.stderr and "nonsense" in out.stderr
    assert "Traceback" not in out.stderr
