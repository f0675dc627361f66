"""GET /metrics: Prometheus' text format, Stork's names, parsed by the official parsers, no lease scans."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from edge.dashboard.families import DHCP4, DHCP6
from edge.dashboard.layout import read_layout
from edge.dashboard.metrics import family_metrics, split_scoped
from edge.dashboard.reader import Statistics
from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.wire.addr import ip_to_int
from tests.dashboard.helpers import DashboardServer

Dash = Callable[..., DashboardServer]

# The names a scrape of a DHCPv4 server offers. Changing one breaks somebody's dashboard: this list is
# the contract (Stork's exporter's names, then edge-dhcp's own).
V4_NAMES = [
    "kea_dhcp4_packets_received",
    "kea_dhcp4_packets_sent",
    "kea_dhcp4_global4_cumulative_addresses_assigned",
    "kea_dhcp4_global4_addresses_declined_total",
    "kea_dhcp4_global4_addresses_declined_reclaimed",
    "kea_dhcp4_global4_addresses_reclaimed",
    "kea_dhcp4_global4_allocation_fail",
    "kea_dhcp4_global4_allocation_fail_shared_network",
    "kea_dhcp4_global4_allocation_fail_subnet",
    "kea_dhcp4_global4_allocation_fail_no_pools",
    "kea_dhcp4_global4_allocation_fail_classes",
    "kea_dhcp4_global4_reservation_conflicts",
    "kea_dhcp4_addresses_assigned_total",
    "kea_dhcp4_cumulative_addresses_assigned",
    "kea_dhcp4_addresses_declined_total",
    "kea_dhcp4_addresses_total",
    "edge_dhcp_info",
    "edge_dhcp_uptime_seconds",
    "edge_dhcp_config_age_seconds",
    "edge_dhcp_sockets_ready",
    "edge_dhcp_lease_store_write_errors",
    "edge_dhcp_lease_store_compactions",
    "edge_dhcp_lease_store_compaction_failures",
    "edge_dhcp_packets_processing_failed",
]
SHARED = {
    "subnet4": [
        {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.20"}]},
    ],
    "shared-networks": [
        {
            "name": "office",
            "subnet4": [
                {"id": 7, "subnet": "198.51.100.0/26", "pools": [{"pool": "198.51.100.10 - 198.51.100.19"}]},
                {"id": 8, "subnet": "198.51.100.64/26", "pools": [{"pool": "198.51.100.70/31"}]},
            ],
        }
    ],
}


def _families(text: str) -> dict[str, list[tuple[dict[str, str], float, str]]]:
    out: dict[str, list[tuple[dict[str, str], float, str]]] = {}
    for family in text_string_to_metric_families(text):
        out[family.name] = [(sample.labels, sample.value, sample.name) for sample in family.samples]
    return out


def _add(server: DashboardServer, address: str, mac: str, **extra: object) -> None:
    answer = server.command("lease4-add", {"ip-address": address, "hw-address": mac, **extra})
    assert answer["result"] == 0, answer


def test_the_names_are_the_contract(dash: Dash) -> None:
    server = dash()
    _add(server, "192.0.2.11", "02:00:00:00:00:01")
    families = _families(server.get("/metrics").text)
    assert sorted(families) == sorted(V4_NAMES)


def test_the_official_parsers_read_it(dash: Dash) -> None:
    server = dash(**SHARED)
    _add(server, "198.51.100.11", "02:00:00:00:00:01")
    reply = server.get("/metrics")
    assert reply.status == 200 and reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = _families(reply.text)  # prometheus_client's parser: raises on anything malformed
    assert families["kea_dhcp4_packets_received"][0][2] == "kea_dhcp4_packets_received_total"
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian's prometheus package) is not installed")
    checked = subprocess.run([promtool, "check", "metrics"], input=reply.body, capture_output=True)
    # promtool parses it (a parse error exits 1 with "error while linting"); its only lint findings are
    # Stork's names for gauges, which end in _total: kept on purpose, for Stork's Grafana dashboards.
    findings = [line for line in (checked.stdout + checked.stderr).decode().splitlines() if line.strip()]
    assert checked.returncode in (0, 3), findings
    assert findings and all('non-counter metrics should not have "_total" suffix' in f for f in findings)
    assert {f.split()[0] for f in findings} == {
        "kea_dhcp4_addresses_assigned_total",
        "kea_dhcp4_addresses_declined_total",
        "kea_dhcp4_addresses_total",
        "kea_dhcp4_global4_addresses_declined_total",
    }


def test_subnet_labels_carry_id_prefix_and_shared_network(dash: Dash) -> None:
    server = dash(**SHARED)
    _add(server, "198.51.100.11", "02:00:00:00:00:01")
    _add(server, "198.51.100.12", "02:00:00:00:00:02")
    _add(server, "192.0.2.15", "02:00:00:00:00:03")
    samples = _families(server.get("/metrics").text)
    assigned = {
        labels["subnet_id"]: (labels, value)
        for labels, value, _ in samples["kea_dhcp4_addresses_assigned_total"]
    }
    assert assigned["7"] == (
        {
            "subnet": "198.51.100.0/26",
            "subnet_id": "7",
            "prefix": "198.51.100.0/26",
            "shared_network": "office",
        },
        2.0,
    )
    assert assigned["1"][0]["shared_network"] == "" and assigned["1"][1] == 1.0
    assert assigned["8"][1] == 0.0
    totals = {labels["subnet_id"]: value for labels, value, _ in samples["kea_dhcp4_addresses_total"]}
    assert totals == {"1": 11.0, "7": 10.0, "8": 2.0}
    # The value Prometheus sees is the one the control channel reports.
    stat = server.command("statistic-get", {"name": "subnet[7].assigned-addresses"})
    assert stat["arguments"]["subnet[7].assigned-addresses"][0][0] == 2


def test_packets_by_operation_follow_the_counters(dash: Dash) -> None:
    server = dash()
    server.server.stats.inc("pkt4-discover-received", 5)  # as the engine counts them (one registry)
    server.server.stats.inc("pkt4-offer-sent", 4)
    samples = _families(server.get("/metrics").text)
    received = {labels["operation"]: value for labels, value, _ in samples["kea_dhcp4_packets_received"]}
    assert received["discover"] == 5.0 and received["drop"] == 0.0 and "offer" in received
    sent = {labels["operation"]: value for labels, value, _ in samples["kea_dhcp4_packets_sent"]}
    assert sent == {"offer": 4.0, "ack": 0.0, "nak": 0.0}


def test_a_relabelled_subnet_follows_a_reload(dash: Dash, tmp_path: Path) -> None:
    """The prefixes come from config-get, read again only when config-hash-get changes."""
    config_path = tmp_path / "edge.json"
    server = dash(config_path=config_path)
    first = _families(server.get("/metrics").text)["kea_dhcp4_addresses_total"]
    assert first[0][0]["prefix"] == "192.0.2.0/24"
    document = server.document
    document["Dhcp4"]["subnet4"] = [
        {"id": 1, "subnet": "203.0.113.0/24", "pools": [{"pool": "203.0.113.5 - 203.0.113.9"}]}
    ]
    import json

    config_path.write_text(json.dumps(document))
    assert server.command("config-reload")["result"] == 0
    after = _families(server.get("/metrics").text)["kea_dhcp4_addresses_total"]
    assert after == [
        (
            {"subnet": "203.0.113.0/24", "subnet_id": "1", "prefix": "203.0.113.0/24", "shared_network": ""},
            5.0,
            "kea_dhcp4_addresses_total",
        )
    ]


class NoScanStore(MemoryLeaseStore4):
    """A store that fails any read touching more than one lease: what a scrape must never do."""

    scanning_allowed = True

    def _refuse(self, what: str) -> None:
        if not self.scanning_allowed:
            raise AssertionError(f"a scrape called {what}")

    def all(self) -> Iterator[Lease]:
        self._refuse("all()")
        return super().all()

    def page(self, from_address: int, limit: int) -> list[Lease]:
        self._refuse("page()")
        return super().page(from_address, limit)

    def find_by_subnet(self, subnet_id: int) -> list[Lease]:
        self._refuse("find_by_subnet()")
        return super().find_by_subnet(subnet_id)


def test_a_scrape_at_100000_leases_reads_counters_not_leases(tmp_path: Path) -> None:
    store = NoScanStore()
    base = ip_to_int("10.0.0.0")
    for i in range(100_000):
        store.put(
            Lease(
                base + 10 + i,
                bytes((2, 0, i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)),
                None,
                3600,
                int(time.time()),
                1,
            )
        )
    big = {"subnet4": [{"id": 1, "subnet": "10.0.0.0/14", "pools": [{"pool": "10.0.0.10 - 10.3.255.250"}]}]}
    server = DashboardServer(tmp_path, store=store, **big)
    try:
        store.scanning_allowed = False
        samples = _families(server.get("/metrics").text)
        assigned = samples["kea_dhcp4_addresses_assigned_total"]
        assert assigned[0][1] == 100_000.0
        store.scanning_allowed = True
    finally:
        server.stop()


def test_scoped_names_split() -> None:
    assert split_scoped("subnet[3].total-addresses") == (3, "", None, "total-addresses")
    assert split_scoped("subnet[3].pool[1].assigned-addresses") == (3, "pool", 1, "assigned-addresses")
    assert split_scoped("subnet[12].pd-pool[0].assigned-pds") == (12, "pd-pool", 0, "assigned-pds")
    assert split_scoped("pkt4-received") is None
    assert split_scoped("subnet[x].total-addresses") is None


def test_pool_statistics_become_pool_series_when_the_server_keeps_them() -> None:
    layout = read_layout(DHCP4, {"Dhcp4": SHARED})
    stats = Statistics(
        {
            "subnet[7].assigned-addresses": 2,
            "subnet[7].pool[0].assigned-addresses": 2,
            "subnet[7].pool[0].total-addresses": 10,
        },
        {},
    )
    text = b"".join(_exposition(m) for m in family_metrics(DHCP4, stats, layout, {}, "0.1.0")).decode()
    pool = _families(text)["kea_dhcp4_pool_addresses_assigned_total"]
    assert pool == [
        (
            {
                "pool_id": "0",
                "subnet": "198.51.100.0/26",
                "subnet_id": "7",
                "prefix": "198.51.100.0/26",
                "shared_network": "office",
            },
            2.0,
            "kea_dhcp4_pool_addresses_assigned_total",
        )
    ]


def test_dhcpv6_statistics_map_to_storks_v6_names() -> None:
    """The v6 row of families.py, fed what Kea's dhcp6 keeps (addresses and delegated prefixes)."""
    document = {
        "Dhcp6": {
            "subnet6": [
                {
                    "id": 5,
                    "subnet": "2001:db8:1::/64",
                    "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
                    "pd-pools": [{"prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56}],
                }
            ]
        }
    }
    layout = read_layout(DHCP6, document)
    stats = Statistics(
        {
            "pkt6-solicit-received": 3,
            "pkt6-advertise-sent": 3,
            "pkt6-reply-sent": 2,
            "cumulative-assigned-nas": 2,
            "subnet[5].total-nas": 256,
            "subnet[5].assigned-nas": 2,
            "subnet[5].total-pds": 256,
            "subnet[5].assigned-pds": 1,
        },
        {},
    )
    text = b"".join(
        _exposition(m) for m in family_metrics(DHCP6, stats, layout, {"uptime": 3}, "0.1.0")
    ).decode()
    samples = _families(text)
    labels = {
        "subnet": "2001:db8:1::/64",
        "subnet_id": "5",
        "prefix": "2001:db8:1::/64",
        "shared_network": "",
    }
    assert samples["kea_dhcp6_na_assigned_total"] == [(labels, 2.0, "kea_dhcp6_na_assigned_total")]
    assert samples["kea_dhcp6_pd_assigned_total"] == [(labels, 1.0, "kea_dhcp6_pd_assigned_total")]
    assert samples["kea_dhcp6_pd_total"][0][1] == 256.0
    received = {labels["operation"]: v for labels, v, _ in samples["kea_dhcp6_packets_received"]}
    assert received == {"solicit": 3.0}
    assert samples["kea_dhcp6_global6_cumulative_nas_assigned"][0][1] == 2.0
    assert samples["edge_dhcp_uptime_seconds"] == [({"family": "dhcp6"}, 3.0, "edge_dhcp_uptime_seconds")]


def _exposition(metric: object) -> bytes:
    from prometheus_client.exposition import generate_latest

    class One:
        def collect(self) -> list[object]:
            return [metric]

    from prometheus_client.registry import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(One())  # type: ignore[arg-type]
    return generate_latest(registry)


def test_the_grafana_dashboard_uses_only_names_the_server_exports() -> None:
    import json
    import re

    from edge.dashboard.families import FAMILIES

    known = {
        "edge_dhcp_info",
        "edge_dhcp_uptime_seconds",
        "edge_dhcp_config_age_seconds",
        "edge_dhcp_sockets_ready",
    }
    known |= {
        "edge_dhcp_lease_store_write_errors_total",
        "edge_dhcp_lease_store_compactions_total",
        "edge_dhcp_lease_store_compaction_failures_total",
        "edge_dhcp_packets_processing_failed_total",
        "edge_dhcp_lease_store_last_compaction_timestamp_seconds",
    }
    for view in FAMILIES.values():
        rows = (*view.received, *view.sent, *view.globals, *view.per_subnet, *(m for _, m in view.per_pool))
        known |= {row.name for row in rows}
    text = (Path(__file__).resolve().parents[2] / "examples" / "grafana" / "edge-dhcp.json").read_text()
    document = json.loads(text)
    expressions = [t["expr"] for p in document["panels"] for t in p.get("targets", [])]
    used = {name for e in expressions for name in re.findall(r"\b(?:kea_dhcp[46]|edge_dhcp)_[a-z0-9_]+", e)}
    assert len(expressions) >= 15 and used
    assert used <= known, used - known
