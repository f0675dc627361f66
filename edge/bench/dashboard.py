"""The dashboard's weight and cost: bytes a first page load sends, and the time each request takes at
100 000 leases (in process, through the same routes the HTTP listener calls; no network).

Rules:
- Page weight is what a browser that accepts gzip receives on a first load: the page, its CSS, JS and
  icon, and the JSON it asks for first (summary, a lease page, the events), for a small network and for
  100 000 leases. Nothing is cached between the two.
- Times are per request, the median of a few runs, with the figure for 1 000 leases beside the one for
  100 000 as the ratio that shows whether anything scans the leases (it should stay near 1).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from edge.bench import Options, Result, benchmark

SIZES = (1_000, 100_000)
QUICK_SIZES = (1_000, 10_000)


def _service(leases: int, subnets: int) -> tuple[Any, Any]:
    from edge.config.loader import load_data
    from edge.dashboard.web import Dashboard
    from edge.leases.lease import Lease
    from edge.leases.store import MemoryLeaseStore
    from edge.server.dhcp4 import Dhcp4Service

    per = 65536
    document = {
        "Dhcp4": {
            "interfaces-config": {"interfaces": [], "dhcp-socket-type": "udp"},
            "subnet4": [
                {
                    "id": i + 1,
                    "subnet": "10.%d.0.0/16" % i,
                    "pools": [{"pool": "10.%d.0.10 - 10.%d.255.250" % (i, i)}],
                }
                for i in range(subnets)
            ],
        }
    }
    store = MemoryLeaseStore()
    now = int(time.time())
    for n in range(leases):
        subnet, offset = divmod(n, per - 300)
        address = (10 << 24) | (subnet << 16) | (offset + 10)
        mac = bytes((2, 0, n >> 24 & 255, n >> 16 & 255, n >> 8 & 255, n & 255))
        store.put(Lease(address, mac, None, 3600, now, subnet + 1, "host-%d" % n))
    dashboard = Dashboard()
    service = Dhcp4Service(load_data(document, source="<bench>"), store, routes=dashboard.routes)
    dashboard.add_family("dhcp4", service.control.execute)
    return dashboard, service


def _middle(leases: int) -> str:
    """The address of the lease half-way through the store (_service's numbering)."""
    subnet, offset = divmod(leases // 2, 65536 - 300)
    address = offset + 10
    return "10.%d.%d.%d" % (subnet, address >> 8, address & 255)


def _get(dashboard: Any, path: str, gzip: bool = True) -> Any:
    from edge.control.routes import WebRequest

    route_path, query = WebRequest.parse_target(path)
    handler = dashboard.routes.find("GET", route_path)
    headers = {"accept-encoding": "gzip"} if gzip else {}
    return handler(WebRequest("GET", route_path, query, headers))


def _median_ms(dashboard: Any, path: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        _get(dashboard, path)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


FIRST_LOAD = ("/", "/dashboard.css", "/dashboard.js", "/icon.svg")
FIRST_JSON = ("/api/summary", "/api/leases?family=dhcp4&limit=50", "/api/events")


@benchmark("dashboard", "page weight (first load, gzip) and request times at 1k / 100k leases")
def bench_dashboard(options: Options) -> list[Result]:
    results: list[Result] = []
    sizes = QUICK_SIZES if options.quick else SIZES
    figures: dict[int, dict[str, float]] = {}
    for leases in sizes:
        dashboard, service = _service(leases, subnets=4)
        try:
            if leases == sizes[0]:
                raw = sum(len(_get(dashboard, path, gzip=False).body) for path in FIRST_LOAD)
                packed = sum(len(_get(dashboard, path).body) for path in FIRST_LOAD)
                results.append(
                    Result(
                        "page-weight/static", packed / 1024, "KiB", "gzip; %.1f KiB as written" % (raw / 1024)
                    )
                )
            data = sum(len(_get(dashboard, path).body) for path in FIRST_JSON)
            results.append(
                Result(
                    "page-weight/json/%d" % leases, data / 1024, "KiB", "summary + 50 leases + events, gzip"
                )
            )
            figures[leases] = {
                "metrics": _median_ms(dashboard, "/metrics"),
                "summary": _median_ms(dashboard, "/api/summary"),
                "page": _median_ms(dashboard, "/api/leases?family=dhcp4&limit=50&from=" + _middle(leases)),
                "search": _median_ms(dashboard, "/api/leases?q=host-7"),
            }
        finally:
            service.close()
    small, large = figures[sizes[0]], figures[sizes[-1]]
    for name, what in (
        ("metrics", "GET /metrics"),
        ("summary", "GET /api/summary"),
        ("page", "a lease page (50) deep in the store"),
        ("search", "hostname search"),
    ):
        results.append(
            Result(
                "dashboard-%s/%d" % (name, sizes[-1]),
                large[name],
                "ms",
                "%s; x%.2f the %d-lease figure (%.2f ms)"
                % (what, large[name] / max(small[name], 1e-6), sizes[0], small[name]),
            )
        )
    return results
