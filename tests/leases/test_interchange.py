"""Lease interchange: Kea 2.2 memfile CSV both ways, Kea's JSON, TinyDB files; bad rows by line number;
nothing imported half-way without saying so; the command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.dhcp4.config import load_data
from edge.dhcp4.lease import STATE_DECLINED, STATE_EXPIRED_RECLAIMED, Lease
from edge.dhcp4.lease_csv import EXPORT_FORMATS, IMPORT_FORMATS, lease_from_kea, lease_to_kea, write_kea_csv
from edge.dhcp4.lease_store import MemfileLeaseStore4, MemoryLeaseStore4
from edge.leases.interchange import (
    Removal,
    Row,
    RowError,
    export_leases,
    import_leases,
    kea_escape,
    kea_unescape,
    parse_text,
)

HEADER = (
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context"
)
# Rows as kea-dhcp4 2.2 wrote them (escaping, a declined lease without hwaddr, a deletion, infinite lifetime).
KEA_ROWS = """\
192.0.2.50,1a:1b:1c:1d:1e:1f,01:1a:1b:1c:1d:1e:1f,3600,1795834336,1,0,0,a&#x2cb&#x26#x2c;c,0,{ "k": "v&#x2cw"&#x2c "n": [ 1&#x2c 2 ] }
192.0.2.51,2a:1b:1c:1d:1e:1f,,86400,1795917136,1,0,0,,1,
192.0.2.52,,,86400,1795917136,1,0,0,,1,
192.0.2.53,3a:1b:1c:1d:1e:1f,,100,1795830836,1,1,1,x.example.org.,2,
192.0.2.51,2a:1b:1c:1d:1e:1f,,0,1795830736,1,0,0,,1,
192.0.2.62,1a:1b:1c:1d:1e:12,,4294967295,6090798038,1,0,0,,0,
"""


def config():
    return load_data(
        {
            "Dhcp4": {
                "subnet4": [
                    {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.200"}]},
                    {
                        "id": 2,
                        "subnet": "198.51.100.0/24",
                        "pools": [{"pool": "198.51.100.10 - 198.51.100.19"}],
                    },
                ]
            }
        }
    )


def test_kea_escaping_both_ways():
    assert kea_unescape("a&#x2cb&#x26#x2c;c") == "a,b&#x2c;c"
    assert kea_escape("a,b&#x2c;c") == "a&#x2cb&#x26#x2c;c"
    assert kea_unescape("&#xzz&#x41") == "&#xzzA"


def test_kea_csv_rows_as_kea_wrote_them():
    items = parse_text(IMPORT_FORMATS["kea-csv"], HEADER + "\n" + KEA_ROWS)
    assert [type(i).__name__ for i in items] == ["Row", "Row", "Row", "Row", "Removal", "Row"]
    first = items[0].lease
    assert first.hostname == "a,b&#x2c;c" and first.user_context == {"k": "v,w", "n": [1, 2]}
    assert first.client_id == bytes.fromhex("011a1b1c1d1e1f") and first.cltt == 1795834336 - 3600
    assert items[2].lease.hwaddr == b"" and items[2].lease.state == STATE_DECLINED
    assert items[3].lease.state == STATE_EXPIRED_RECLAIMED and items[3].lease.fqdn_fwd
    assert items[4] == Removal(6, 0xC0000233)
    assert items[5].lease.valid_lifetime == 2**32 - 1 and items[5].lease.expire == 6090798038


def test_bad_rows_are_reported_by_line_and_nothing_is_imported():
    text = (
        HEADER
        + "\n"
        + KEA_ROWS
        + "\n".join(
            [
                "192.0.2.300,1a:1b:1c:1d:1e:1f,,3600,1795834336,1,0,0,,0,",  # line 8
                "192.0.2.70,zz,,3600,1795834336,1,0,0,,0,",  # line 9
                "192.0.2.71,1a:1b:1c:1d:1e:1f,,3600,1795834336,1,0,0,,0",  # line 10: a field short
                "192.0.2.72,1a:1b:1c:1d:1e:1f,,3600,1795834336,7,0,0,,0,",  # line 11: unknown subnet id
                "198.51.100.99,1a:1b:1c:1d:1e:1f,,3600,1795834336,1,0,0,,0,",  # line 12: outside subnet 1
                "192.0.2.73,1a:1b:1c:1d:1e:1f,,3600,1795834336,1,2,0,,0,",  # line 13: fqdn_fwd 2
                "10.9.9.9,1a:1b:1c:1d:1e:1f,,3600,1795834336,1,0,0,,0,{not json",  # line 14
            ]
        )
        + "\n"
    )
    store = MemoryLeaseStore4()
    report = import_leases(config(), store, parse_text(IMPORT_FORMATS["kea-csv"], text))
    assert not report.imported and len(store) == 0
    assert [(e.line, e.message.split(" ")[0]) for e in report.errors] == [
        (8, "address"),
        (9, "hwaddr"),
        (10, "10"),
        (11, "subnet_id"),
        (12, "198.51.100.99"),
        (13, "fqdn_fwd"),
        (14, "user_context"),
    ]
    assert "in subnet 1" in report.errors[3].message  # the hint names the subnet the address is in
    # Asked to, it imports the good rows and says how many it skipped.
    report = import_leases(config(), store, parse_text(IMPORT_FORMATS["kea-csv"], text), skip_bad=True)
    assert report.imported and report.skipped == 7 and report.added == 4 and len(store) == 4
    assert "4 lease(s) imported" in report.summary() and "7 bad row(s) skipped" in report.summary()


def test_not_a_kea_file_is_one_clear_error():
    items = parse_text(IMPORT_FORMATS["kea-csv"], "hello,world\n1,2\n")
    assert items == [RowError(1, items[0].message)] and "lacks address" in items[0].message


def test_import_assigns_missing_subnet_ids_and_replaces_existing_leases():
    store = MemoryLeaseStore4()
    store.put(Lease(0xC0000232, hwaddr=b"\x01" * 6, valid_lifetime=1, cltt=1, subnet_id=1))
    rows = [
        Row(3, Lease(0xC0000232, hwaddr=b"\x02" * 6, valid_lifetime=60, cltt=5)),  # subnet unknown: 0
        Row(4, Lease(0xC6336414, hwaddr=b"\x03" * 6, valid_lifetime=60, cltt=5)),
    ]
    report = import_leases(config(), store, rows)
    assert (report.added, report.replaced) == (1, 1)
    assert store.get(0xC0000232).subnet_id == 1 and store.get(0xC6336414).subnet_id == 2
    assert import_leases(config(), store, rows).unchanged == 2


lease_values = st.builds(
    Lease,
    address=st.integers(0xC000020A, 0xC00002C8),
    hwaddr=st.binary(min_size=6, max_size=6),
    client_id=st.one_of(st.none(), st.binary(min_size=2, max_size=20)),
    valid_lifetime=st.integers(1, 2**32 - 1),
    cltt=st.integers(0, 2**31),
    subnet_id=st.just(1),
    hostname=st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    state=st.sampled_from([0, 1, 2]),
    fqdn_fwd=st.booleans(),
    fqdn_rev=st.booleans(),
    user_context=st.one_of(
        st.none(), st.dictionaries(st.text(max_size=5), st.text(max_size=8), min_size=1, max_size=3)
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(lease_values, max_size=20, unique_by=lambda x: x.address))
def test_kea_csv_and_json_round_trip(leases):
    out = io.StringIO()
    write_kea_csv(sorted(leases, key=lambda x: x.address), out)
    back = [item.lease for item in parse_text(IMPORT_FORMATS["kea-csv"], out.getvalue())]
    expected = sorted(leases, key=lambda x: x.address)
    for lease in expected:
        lease.client_id = lease.client_id or None
    assert back == expected
    assert [lease_from_kea(json.loads(json.dumps(lease_to_kea(x)))) for x in expected] == expected


def test_tinydb_and_json_files_import(tmp_path):
    source = MemfileLeaseStore4(str(tmp_path / "other.json"))
    source.put(Lease(0xC0000214, hwaddr=b"\x02" * 6, valid_lifetime=60, cltt=5, subnet_id=1, hostname="x"))
    source.close()
    with open(tmp_path / "other.json") as handle:
        items = list(IMPORT_FORMATS["tinydb"](handle, str(tmp_path / "other.json")))
    assert [i.lease.hostname for i in items] == ["x"]
    store = MemoryLeaseStore4()
    store.put(items[0].lease)
    exported = io.StringIO()
    export_leases(store, EXPORT_FORMATS["json"], exported)
    assert [i.lease for i in parse_text(IMPORT_FORMATS["json"], exported.getvalue())] == [items[0].lease]
    bad = parse_text(
        IMPORT_FORMATS["json"], '{"leases": [\n{"ip-address": "192.0.2.1", "valid-lft": "x"}\n]}'
    )
    assert bad == [RowError(2, 'leases[0]: "valid-lft" must be an integer')]


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
        timeout=60,
    )


def write_config(tmp_path) -> str:
    conf = tmp_path / "edge.json"
    conf.write_text(
        json.dumps(
            {
                "Dhcp4": {
                    "lease-database": {"type": "memfile", "name": str(tmp_path / "leases.json")},
                    "subnet4": [
                        {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.200"}]}
                    ],
                }
            }
        )
    )
    return str(conf)


def test_command_line_import_export_and_refusals(tmp_path):
    conf = write_config(tmp_path)
    csv_path = tmp_path / "kea-leases4.csv"
    csv_path.write_text(HEADER + "\n" + KEA_ROWS + "192.0.2.99,1a,,3600,17958,1,0,0,,0\n")
    out = run_cli("leases", "import", "--format", "kea-csv", str(csv_path), "-c", conf)
    assert out.returncode == 1 and "kea-leases4.csv:8: 10 fields where the header has 11" in out.stderr
    assert "nothing imported" in out.stderr and not os.path.exists(tmp_path / "leases.json")
    out = run_cli("leases", "import", "--format", "kea-csv", str(csv_path), "-c", conf, "--skip-bad-rows")
    assert (
        out.returncode == 0
        and "4 lease(s) imported (4 new" in out.stdout
        and "1 bad row(s) skipped" in out.stdout
    )
    out = run_cli("leases", "export", "--format", "kea-csv", "-c", conf)
    assert out.returncode == 0
    assert out.stdout.splitlines()[0] == HEADER and len(out.stdout.splitlines()) == 5
    assert "a&#x2cb&#x26#x2c;c" in out.stdout
    out = run_cli("leases", "export", "--format", "json", "-c", conf)
    assert [x["ip-address"] for x in json.loads(out.stdout)["leases"]] == [
        "192.0.2.50",
        "192.0.2.52",
        "192.0.2.53",
        "192.0.2.62",
    ]
    # While a server holds the lease file, an import is refused (and an export still works).
    server = MemfileLeaseStore4(str(tmp_path / "leases.json"))
    try:
        out = run_cli("leases", "import", "--format", "kea-csv", str(csv_path), "-c", conf, "--skip-bad-rows")
        assert out.returncode == 1 and "in use by pid %d" % os.getpid() in out.stderr
        assert run_cli("leases", "export", "--format", "kea-csv", "-c", conf).returncode == 0
    finally:
        server.close()
    out = run_cli("leases", "import", "--format", "kea-csv", str(tmp_path / "missing.csv"), "-c", conf)
    assert out.returncode == 1 and "cannot read" in out.stderr and "Traceback" not in out.stderr
