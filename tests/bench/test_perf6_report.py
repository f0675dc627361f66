"""The v6 side-by-side benchmark's pure parts: perfdhcp -6's report read through perf.py's parser, a step
made of its two exchanges, both servers' v6 lease files counted, and the table with its ratios. (The
benchmark itself runs in `make bench`, never in `make test`.)"""

from __future__ import annotations

import ipaddress

import pytest

from edge.bench import perf, perf6
from edge.dhcp6.lease import TYPE_NA, Lease6
from edge.dhcp6.lease_store import MemfileLeaseStore6

# A real report of perfdhcp 2.2 -6 against kea-dhcp6 in the bench's lab (the rate too high on purpose).
REPORT6 = """Running: perfdhcp -6 -l cli0 -e address-only -r 20000 -R 1000000 -p 1 -W 300000
Scenario: basic.
Multi-thread mode enabled.
***Rate statistics***
Rate: 6674.32 4-way exchanges/second, expected rate: 20000

***Malformed Packets***
Malformed packets: 0
***Statistics for: SOLICIT-ADVERTISE***
sent packets: 19999
received packets: 9535
drops: 10464
drops ratio: 52.3226 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: 0.627 ms
avg delay: 11.748 ms
max delay: 87.058 ms
std deviation: 7.481 ms
collected packets: 0

***Statistics for: REQUEST-REPLY***
sent packets: 9535
received packets: 8682
drops: 853
drops ratio: 8.946 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: 0.112 ms
avg delay: 11.351 ms
max delay: 87.019 ms
std deviation: 11.572 ms
collected packets: 0
"""


def test_the_v6_report_is_read_per_exchange_into_a_step() -> None:
    report = perf.parse_perfdhcp(REPORT6, perf6.EXCHANGES)
    step = perf6.step_from_report(report, 20000, cpu_s=1.5, memory_mb=30.0, leases=8682)
    assert (step.rate, step.sent, step.acks) == (20000, 19999, 8682)  # acks: the REPLYs perfdhcp received
    assert step.drops == (52.3226, 8.946)
    assert step.avg_ms == (11.748, 11.351) and step.max_ms == (87.058, 87.019)
    assert (step.cpu_s, step.rss_mb, step.leases) == (1.5, 30.0, 8682)
    assert not step.held


def test_each_family_requires_its_own_exchanges() -> None:
    with pytest.raises(perf.PerfdhcpError):  # the v4 default still asks for DISCOVER-OFFER and REQUEST-ACK
        perf.parse_perfdhcp(REPORT6)
    cut = REPORT6[: REPORT6.index("***Statistics for: REQUEST-REPLY***")]
    with pytest.raises(perf.PerfdhcpError, match="REQUEST-REPLY"):
        perf.parse_perfdhcp(cut, perf6.EXCHANGES)


def test_perfdhcp_is_asked_for_address_only_v6_exchanges_on_the_client_link() -> None:
    argv = perf6.perfdhcp6_argv("cli0", 4000, 3)
    assert argv[:2] == ["perfdhcp", "-6"]
    pairs = dict(zip(argv[2::2], argv[3::2], strict=True))
    assert pairs == {
        "-l": "cli0",
        "-e": "address-only",
        "-r": "4000",
        "-R": "1000000",
        "-p": "3",
        "-W": "300000",
    }


def test_kea_lease6_csv_counts_the_last_row_per_address(tmp_path) -> None:
    path = tmp_path / "kea-leases6.csv"
    header = (
        "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,"
        "fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source\n"
    )
    row = "%s,00:01:02,%d,1796681050,1,3000,%d,1,%d,0,0,,,0,,1,2\n"
    path.write_text(
        header
        + row % ("2001:db8:1::1:0", 4000, 0, 128)
        + row % ("2001:db8:1::1:1", 4000, 0, 128)
        + row % ("2001:db8:1::1:1", 0, 0, 128)  # released
        + row % ("2001:db8:1::1:2", 4000, 0, 128)
        + row % ("2001:db8:1::1:2", 4000, 0, 128)  # renewed: still one lease
        + row % ("2001:db8:8::", 4000, 2, 64)  # a delegated prefix is a lease of its own type
    )
    assert perf6.count_kea_leases6(str(path)) == 3
    assert perf6.count_kea_leases6(str(tmp_path / "absent.csv")) == 0


def test_edge_v6_lease_file_counts_as_the_server_reads_it_back(tmp_path) -> None:
    path = str(tmp_path / "dhcp6.leases")
    assert perf6.count_edge_leases6(path) == 0  # no file yet: an empty store, and none created
    store = MemfileLeaseStore6(path, sync="none")
    first = int(ipaddress.IPv6Address("2001:db8:1::1:0"))
    for i in range(5):
        store.put(
            Lease6(
                first + i,
                duid=bytes((0, 1, 0, i)),
                iaid=1,
                lease_type=TYPE_NA,
                preferred_lifetime=3000,
                valid_lifetime=4000,
                cltt=1_700_000_000,
                subnet_id=1,
            )
        )
    store.delete(first + 3)
    # a lease kept with lifetimes 0 (Kea's way of writing a release) is not a lease held
    store.put(Lease6(first + 4, duid=bytes((0, 1, 0, 4)), iaid=1, cltt=1_700_000_000, subnet_id=1))
    store.close()
    assert perf6.count_edge_leases6(path) == 3


def _step(rate: int, held: bool, cpu: float, acks: int = 1000) -> perf.Step:
    return perf.Step(rate, acks, (0.0 if held else 9.0, 0.0), (0.1, 0.2), (3.0, 4.0), acks, cpu, 25.0, acks)


def test_the_report_rates_edge_against_kea_and_compares_cpu_at_the_common_rate() -> None:
    kea = perf.Variant("Kea 2.2 (memfile)", "kea", note="no fsync")
    kea.steps = [_step(1000, True, 0.2), _step(2000, True, 0.3), _step(4000, True, 0.4)]
    none = perf.Variant("edge-dhcp sync none", "edge", "none", note="comparable")
    none.steps = [_step(1000, True, 0.3), _step(2000, True, 0.6), _step(4000, False, 0.9)]
    batch = perf.Variant("edge-dhcp sync batch", "edge", "batch", note="default")
    batch.steps = [_step(1000, False, 0.5), _step(1000, False, 0.5)]
    text, results = perf6.report6([kea, none, batch], 3)
    lines = text.splitlines()
    table = lines[: lines.index(next(line for line in lines if line.startswith("   held:")))]
    assert table[1].startswith("------") and len({len(line) for line in table[:2]}) == 1
    rows = {line.split("  ")[0].strip(): line.split() for line in table[2:]}
    assert rows["Kea 2.2 (memfile)"][3] == "4000"
    assert rows["edge-dhcp sync none"][3:5] == ["2000", "0.50"]  # held/s and edge/Kea
    assert rows["edge-dhcp sync batch"][3] == "none"
    by_name = {r.name: r for r in results}
    assert by_name["perf6/edge-dhcp-sync-none"].value == 2000
    assert by_name["perf6/edge-dhcp-sync-none"].extra["cpu_us_per_exchange"] == pytest.approx(600.0)
    assert "perf6/edge-dhcp-sync-batch" not in by_name
    # batch held nothing, so no rate is common to all three: no CPU comparison is made up
    assert not any(name.startswith("perf6/cpu-ratio") for name in by_name)
    batch.steps.append(_step(1000, True, 0.4))
    text, results = perf6.report6([kea, none, batch], 3)
    ratio = {r.name: r for r in results}["perf6/cpu-ratio-at-1000"]
    assert ratio.value == pytest.approx(1.5)  # 300 us / 200 us per exchange
    assert "at 1000/s" in text


def test_address_and_prefix_mode_asks_for_both_and_serves_a_pd_pool() -> None:
    argv = perf6.perfdhcp6_argv("cli0", 4000, 3, perf6.ADDRESS_AND_PREFIX)
    assert dict(zip(argv[2::2], argv[3::2], strict=True))["-e"] == "address-and-prefix"
    with pytest.raises(ValueError):
        perf6.perfdhcp6_argv("cli0", 4000, 3, "prefix-only-typo")
    plain = perf6.shared_config6("/l", "/d", "srv0")["Dhcp6"]["subnet6"][0]
    both = perf6.shared_config6("/l", "/d", "srv0", perf6.ADDRESS_AND_PREFIX)["Dhcp6"]["subnet6"][0]
    assert "pd-pools" not in plain
    assert both["pd-pools"] == [{"prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 64}]
    assert {k: v for k, v in both.items() if k != "pd-pools"} == plain  # nothing else differs


def test_the_address_and_prefix_report_names_its_results_by_mode() -> None:
    kea = perf.Variant("Kea 2.2 (memfile)", "kea", note="no fsync")
    kea.steps = [_step(1000, True, 0.2)]
    none = perf.Variant("edge-dhcp sync none", "edge", "none", note="comparable")
    none.steps = [_step(1000, True, 0.4)]
    text, results = perf6.report6([kea, none], 3, perf6.ADDRESS_AND_PREFIX)
    names = {r.name for r in results}
    assert names == {
        "perf6-pd/Kea-2.2-(memfile)",
        "perf6-pd/edge-dhcp-sync-none",
        "perf6-pd/cpu-ratio-at-1000",
    }
    assert "address-and-prefix" in text
