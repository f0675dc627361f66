"""A real Prometheus (Debian's package) scrapes a real edge-dhcp that served a real dhclient.

Prometheus runs in the lab's client namespace with a temporary configuration and storage directory,
listening on that namespace's loopback; it scrapes /metrics across the lab link with the listener's
password. The test then asks Prometheus' query API for the assigned-addresses value and compares it
with what the control channel reports. Nothing reaches the host's network.

The same `edge-dhcp serve` also serves DHCPv6 (tests/dashboard/lab.py), holding one address and one
delegated prefix put in with lease6-add: the one scrape carries both families, Prometheus reads the v6
values under Stork's names, and every panel of the Grafana dashboard in examples/ (its DHCPv6 row too)
answers with data.
"""

from __future__ import annotations

import json
import shutil
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.lab import PASSWORD, PORT, USER, TwoFamilyServer, start_dashboard_lab
from tests.lab.netns import Lab

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
GRAFANA = Path(__file__).resolve().parents[2] / "examples" / "grafana" / "edge-dhcp.json"
QUERY_PORT = 9090


def _query(lab: Lab, ns: str, expression: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{QUERY_PORT}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    with lab.inside(ns):
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                answer = json.loads(reply.read())
        except OSError:
            return []  # not up yet
    assert answer["status"] == "success", answer
    return list(answer["data"]["result"])


def test_prometheus_reads_the_assigned_addresses_the_control_channel_reports(lab: Lab) -> None:
    if not shutil.which("prometheus"):
        pytest.skip("prometheus is not installed (Debian's prometheus package; `make system-deps`)")
    site = start_dashboard_lab(lab, dhcp6={})
    lease = site.dhclient().obtain()
    server6 = site.server
    assert isinstance(server6, TwoFamilyServer)
    duid = "00:03:00:01:02:00:00:00:06:01"
    for lease6 in (
        {"ip-address": "2001:db8:1::100", "iaid": 1},
        {"ip-address": "2001:db8:8000:100::", "type": "IA_PD", "prefix-len": 56, "iaid": 7},
    ):
        added = server6.ctl6("lease6-add", {**lease6, "duid": duid, "subnet-id": 60})
        assert added["result"] == 0, added
    config = site.lab.tmp / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n"
        "  - job_name: edge-dhcp\n"
        f"    basic_auth: {{username: {USER}, password: {PASSWORD}}}\n"
        f"    static_configs: [{{targets: ['{site.address}:{PORT}']}}]\n"
    )
    storage = site.lab.tmp / "prometheus-data"
    prometheus = lab.popen(
        site.site.client.ns,
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={storage}",
            f"--web.listen-address=127.0.0.1:{QUERY_PORT}",
            "--storage.tsdb.retention.time=1h",
        ],
        name="prometheus",
    )
    client_ns = site.site.client.ns

    def scraped() -> Any:
        if prometheus.poll() is not None:
            raise AssertionError(f"prometheus exited {prometheus.poll()}:\n{prometheus.output()[-3000:]}")
        found = _query(lab, client_ns, 'kea_dhcp4_addresses_assigned_total{subnet_id="1"}')
        return found or None

    result = lab.wait_for(scraped, timeout=60, interval=0.5, what="Prometheus to scrape edge-dhcp")
    reported = site.server.ctl("statistic-get", {"name": "subnet[1].assigned-addresses"})
    value = reported["arguments"]["subnet[1].assigned-addresses"][0][0]
    assert value == 1
    assert len(result) == 1
    assert result[0]["metric"]["prefix"] == str(site.site.server_subnet)
    assert result[0]["metric"]["subnet"] == str(site.site.server_subnet)
    assert float(result[0]["value"][1]) == value
    up = _query(lab, client_ns, 'up{job="edge-dhcp"}')
    assert up and up[0]["value"][1] == "1"
    # The packet counters moved with the exchange dhclient just made (one DISCOVER at least).
    discovers = _query(lab, client_ns, 'kea_dhcp4_packets_received_total{operation="discover"}')
    assert discovers and float(discovers[0]["value"][1]) >= 1
    assert str(lease.address).startswith("192.0.2.1")

    # DHCPv6, from the same scrape: what the v6 family's control channel reports, under Stork's names.
    for name, stat, expected in (
        ("na_assigned", "assigned-nas", 1),
        ("pd_assigned", "assigned-pds", 1),
        ("pd", "total-pds", 256),
    ):
        reported = server6.ctl6("statistic-get", {"name": f"subnet[60].{stat}"})
        assert reported["arguments"][f"subnet[60].{stat}"][0][0] == expected, reported
        found = lab.wait_for(
            lambda n=name: _query(lab, client_ns, f'kea_dhcp6_{n}_total{{subnet_id="60"}}') or None,
            timeout=30,
            interval=0.5,
            what=f"kea_dhcp6_{name}_total in Prometheus",
        )
        assert len(found) == 1 and found[0]["metric"]["prefix"] == "2001:db8:1::/64", found
        assert float(found[0]["value"][1]) == expected, (name, found)
    families = _query(lab, client_ns, "edge_dhcp_info")
    assert sorted(item["metric"]["family"] for item in families) == ["dhcp4", "dhcp6"]

    # Every query of the Grafana dashboard in examples/ answers with data, the DHCPv6 row's too.
    for title, expression, _ in grafana_queries():
        lab.wait_for(
            lambda e=expression: _query(lab, client_ns, e),
            timeout=30,
            interval=0.5,
            what=f"data for the Grafana panel {title!r}: {expression}",
        )


def grafana_queries() -> list[tuple[str, str, bool]]:
    """(panel title, PromQL with the dashboard's variables filled in, in the DHCPv6 row?) of each target."""
    document = json.loads(GRAFANA.read_text())
    out = []
    v6 = False
    for panel in document["panels"]:
        if panel["type"] == "row":
            v6 = "DHCPv6" in panel["title"]
            continue
        for target in panel["targets"]:
            expression = target["expr"].replace("$__rate_interval", "5s")
            expression = expression.replace('"$instance"', '".*"').replace('"$subnet_id"', '".*"')
            out.append((panel["title"], expression, v6))
    return out
