"""The side-by-side benchmark's pure parts: reading perfdhcp's report, the held-rate rule, the lease counts
of both servers' files, and the table. (The benchmark itself runs in `make bench`, never in `make test`.)"""

from __future__ import annotations

import pytest

from edge.bench import perf

REPORT = """Running: perfdhcp -4 -l cli0 -r 6000 -R 1000000 -p 3 -W 300000
Scenario: basic.
Multi-thread mode enabled.
***Rate statistics***
Rate: 5866.7 4-way exchanges/second, expected rate: 6000

***Malformed Packets***
Malformed packets: 0
***Statistics for: DISCOVER-OFFER***
sent packets: 17999
received packets: 17658
drops: 341
drops ratio: 1.89455 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: 0.051 ms
avg delay: 9.690 ms
max delay: 31.204 ms
std deviation: 6.1 ms
collected packets: 0

***Statistics for: REQUEST-ACK***
sent packets: 17658
received packets: 16915
drops: 743
drops ratio: 4.208 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: 0.040 ms
avg delay: 12.5 ms
max delay: 40.25 ms
std deviation: 7.0 ms
collected packets: 0
"""


def test_the_report_is_read_per_exchange() -> None:
    stats = perf.parse_perfdhcp(REPORT)
    assert stats["DISCOVER-OFFER"] == {
        "sent": 17999,
        "received": 17658,
        "drops ratio": 1.89455,
        "avg delay": 9.69,
        "max delay": 31.204,
    }
    assert stats["REQUEST-ACK"]["drops ratio"] == 4.208
    assert stats["REQUEST-ACK"]["received"] == 16915


def test_a_rate_holds_only_while_both_drop_ratios_are_at_most_two_and_a_half_percent() -> None:
    def step(do: float, ra: float) -> perf.Step:
        return perf.Step(rate=1000, sent=1, drops=(do, ra), avg_ms=(0, 0), max_ms=(0, 0), acks=1)

    assert step(0.0, 2.5).held and step(2.5, 0.0).held
    assert not step(2.51, 0.0).held and not step(0.0, 4.208).held
    variant = perf.Variant("x", "edge")
    variant.steps = [step(0, 0), step(3, 0)]
    variant.steps[0].rate, variant.steps[1].rate = 1000, 2000
    assert variant.held is variant.steps[0]


def test_a_report_without_the_statistics_is_an_error_and_nothing_sent_is_all_lost() -> None:
    with pytest.raises(perf.PerfdhcpError):
        perf.parse_perfdhcp("Running: perfdhcp\nError running perfdhcp: Unable to open socket\n")
    silent = REPORT.replace("drops ratio: 1.89455 %\n", "").replace("sent packets: 17999", "sent packets: 5")
    assert perf.parse_perfdhcp(silent)["DISCOVER-OFFER"]["drops ratio"] == 100.0


def test_both_lease_files_are_counted_as_their_servers_read_them(tmp_path) -> None:
    kea = tmp_path / "kea.csv"
    perf.write_kea_leases(str(kea), 50)
    with open(kea, "a") as handle:  # Kea appends a line per change: a release, then a renewal elsewhere
        handle.write("198.18.1.0,02:be:00:00:00:00,,0,0,1,0,0,,0,\n")
    assert perf.count_kea_leases(str(kea)) == 49
    edge = tmp_path / "edge.leases"
    perf.write_edge_leases(str(edge), 50)
    assert perf.count_edge_leases(str(edge)) == 50


def test_the_table_lines_up() -> None:
    text = perf._table([["server", "held/s"], ["Kea 2.2", "8000"], ["edge-dhcp", "6000"]])
    lines = text.splitlines()
    assert lines[1].startswith("-------") and len({len(line) for line in lines}) == 1


def test_cpu_is_compared_at_the_highest_rate_every_server_held() -> None:
    def step(rate: int, held: bool, cpu: float) -> perf.Step:
        return perf.Step(rate, 1, (0.0 if held else 9.0, 0.0), (0, 0), (0, 0), acks=1000, cpu_s=cpu)

    kea = perf.Variant("kea", "kea")
    kea.steps = [step(1000, True, 0.1), step(2000, True, 0.2), step(3000, True, 0.3)]
    edge = perf.Variant("edge", "edge", "none")
    edge.steps = [
        step(1000, True, 0.2),
        step(2000, False, 0.5),
        step(2000, True, 0.4),
        step(3000, False, 0.6),
    ]
    assert perf._common_rate([kea, edge]) == 2000
    assert perf._cpu_per_exchange(edge, 2000) == pytest.approx(400.0)  # the held try, not the failed one
    assert perf._common_rate([kea, perf.Variant("none held", "edge")]) == 0
