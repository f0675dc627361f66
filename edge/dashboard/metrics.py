"""`GET /metrics`: every family's statistics in Prometheus' text format, through prometheus_client.

Rules this module keeps:
- Names and labels are Stork's Kea exporter's (families.py): per subnet `subnet`, `subnet_id`, `prefix`,
  `shared_network` (`subnet` is the prefix when known, else the id, as Stork writes it); per pool
  `pool_id` beside them; packets by `operation`. A statistic the server does not keep yields no series.
- A scrape costs three commands per family, none of which scans the leases: `statistic-get-all` (the
  registry's counters), `status-get`, and `config-hash-get` (`config-get` only after a change, for the
  prefixes and shared-network names).
- edge-dhcp's own figures (no Stork name) are `edge_dhcp_*` with a `family` label: build information,
  uptime, whether the sockets are all open, the lease store's write errors and compactions, and packets
  whose processing failed.
- prometheus_client is imported here, and this module only on the first scrape: a server nobody
  scrapes does not carry it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import CollectorRegistry

from edge.dashboard.families import FamilyView
from edge.dashboard.families import Metric as Row
from edge.dashboard.layout import Layout
from edge.dashboard.reader import Family, Statistics

__all__ = ["CONTENT_TYPE", "render"]

# The classic text format (every name here is a legacy-valid one): what every Prometheus parses, whatever
# the prometheus_client release (0.16 on Debian 12 ... 0.2x) would announce as its latest.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

SUBNET_LABELS = ("subnet", "subnet_id", "prefix", "shared_network")
POOL_LABELS = ("pool_id", *SUBNET_LABELS)


class _Families:
    """Metric families by series name, made on first use (rows that share a name share one family)."""

    def __init__(self) -> None:
        self.found: dict[str, Metric] = {}

    def get(self, row: Row, labels: Sequence[str]) -> Metric:
        family = self.found.get(row.name)
        if family is None:
            if row.kind == "counter":
                family = CounterMetricFamily(row.name.removesuffix("_total"), row.help, labels=list(labels))
            else:
                family = GaugeMetricFamily(row.name, row.help, labels=list(labels))
            self.found[row.name] = family
        return family

    def add(self, row: Row, labels: Sequence[str], values: Sequence[str], value: float) -> None:
        self.get(row, labels).add_metric(list(values), value)


def split_scoped(name: str) -> tuple[int, str, int | None, str] | None:
    """ "subnet[3].pool[1].assigned-addresses" -> (3, "pool", 1, "assigned-addresses");
    "subnet[3].total-addresses" -> (3, "", None, "total-addresses"); None for a global name."""
    if not name.startswith("subnet["):
        return None
    close = name.find("].", 7)
    if close < 0 or not name[7:close].isdigit():
        return None
    subnet_id = int(name[7:close])
    rest = name[close + 2 :]
    bracket = rest.find("[")
    if bracket > 0 and "]." in rest:
        end = rest.find("].", bracket)
        index_text = rest[bracket + 1 : end]
        if end > 0 and index_text.isdigit():
            return subnet_id, rest[:bracket], int(index_text), rest[end + 2 :]
    return subnet_id, "", None, rest


def _subnet_labels(layout: Layout, subnet_id: int) -> tuple[str, str, str, str]:
    info = layout.subnets.get(subnet_id)
    prefix = info.prefix if info else ""
    return (prefix or str(subnet_id), str(subnet_id), prefix, info.network if info else "")


def family_metrics(
    view: FamilyView, stats: Statistics, layout: Layout, status: dict[str, Any], version: str
) -> Iterator[Metric]:
    out = _Families()
    values = stats.values
    for row in (*view.received, *view.sent):
        if row.stat in values:
            out.add(row, ("operation",), (row.operation,), values[row.stat])
    for row in view.globals:
        if row.stat in values:
            out.add(row, (), (), values[row.stat])
    per_subnet = {row.stat: row for row in view.per_subnet}
    per_pool = {(scope, row.stat): row for scope, row in view.per_pool}
    for name in sorted(values, key=lambda n: (split_scoped(n) is None, n)):
        scoped = split_scoped(name)
        if scoped is None:
            break  # sorted: every scoped name comes first
        subnet_id, scope, pool_id, stat = scoped
        if not scope:
            row = per_subnet.get(stat)
            if row is not None:
                out.add(row, SUBNET_LABELS, _subnet_labels(layout, subnet_id), values[name])
        else:
            row = per_pool.get((scope, stat))
            if row is not None:
                labels = (str(pool_id), *_subnet_labels(layout, subnet_id))
                out.add(row, POOL_LABELS, labels, values[name])
    yield from out.found.values()
    family = view.service
    info = GaugeMetricFamily("edge_dhcp_info", "edge-dhcp build and family", labels=["family", "version"])
    info.add_metric([family, version], 1)
    yield info
    if "uptime" in status:
        uptime = GaugeMetricFamily(
            "edge_dhcp_uptime_seconds", "Seconds since the service started", labels=["family"]
        )
        uptime.add_metric([family], status["uptime"])
        yield uptime
    if "reload" in status:
        since = GaugeMetricFamily(
            "edge_dhcp_config_age_seconds",
            "Seconds since the configuration in force was applied",
            labels=["family"],
        )
        since.add_metric([family], status["reload"])
        yield since
    sockets = (status.get("sockets") or {}).get("status")
    if sockets:
        ready = GaugeMetricFamily(
            "edge_dhcp_sockets_ready",
            "1 when every configured interface has its socket open",
            labels=["family"],
        )
        ready.add_metric([family], 1 if sockets == "ready" else 0)
        yield ready
    own = (
        (
            "lease-store-write-errors",
            "edge_dhcp_lease_store_write_errors",
            "Lease changes the store could not write",
        ),
        ("lease-store-compactions", "edge_dhcp_lease_store_compactions", "Lease file compactions finished"),
        (
            "lease-store-compaction-failures",
            "edge_dhcp_lease_store_compaction_failures",
            "Lease file compactions that failed",
        ),
        (
            f"{view.received[0].stat.split('-')[0]}-processing-failed",
            "edge_dhcp_packets_processing_failed",
            "Packets whose processing raised (dropped; each one is a bug)",
        ),
    )
    for stat, name, text in own:
        counter = CounterMetricFamily(name, text, labels=["family"])
        counter.add_metric([family], values.get(stat, 0))
        yield counter
    compacted = stats.changed_at("lease-store-compactions")
    if compacted is not None:
        last = GaugeMetricFamily(
            "edge_dhcp_lease_store_last_compaction_timestamp_seconds",
            "When the last lease file compaction finished",
            labels=["family"],
        )
        last.add_metric([family], compacted)
        yield last


class DashboardCollector:
    """Collects every family's metrics at scrape time (nothing is kept between scrapes but the layout)."""

    def __init__(self, families: Iterable[Family], version: str, origin: str = "metrics") -> None:
        self.families = list(families)
        self.version = version
        self.origin = origin

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, Metric] = {}
        for family in self.families:
            stats = family.statistics(self.origin)
            layout = family.layout(self.origin)
            status = family.call("status-get", None, self.origin).get("arguments") or {}
            for metric in family_metrics(family.view, stats, layout, status, self.version):
                # edge_dhcp_* families are shared by both DHCP families: one family, two label sets
                known = merged.get(metric.name)
                if known is None:
                    merged[metric.name] = metric
                else:
                    known.samples.extend(metric.samples)
        yield from merged.values()


def render(families: Iterable[Family], version: str, origin: str) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DashboardCollector(families, version, origin))
    return generate_latest(registry)
