"""The page's JSON (edge/dashboard/api.py) against a real DHCPv4 service: summary, lease pages and
searches, events, and the two actions, all through the command registry."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.dashboard.api import classify
from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.wire.addr import ip_to_int
from tests.dashboard.helpers import DashboardServer
from tests.dashboard.test_metrics import SHARED

Dash = Callable[..., DashboardServer]


def _add(server: DashboardServer, address: str, mac: str, **extra: object) -> None:
    answer = server.command("lease4-add", {"ip-address": address, "hw-address": mac, **extra})
    assert answer["result"] == 0, answer


def test_summary_draws_subnets_networks_and_pools(dash: Dash) -> None:
    server = dash(**SHARED)
    _add(server, "198.51.100.11", "02:00:00:00:00:01")
    _add(server, "198.51.100.71", "02:00:00:00:00:02")
    assert (
        server.command(
            "lease4-update", {"ip-address": "198.51.100.71", "hw-address": "02:00:00:00:00:02", "state": 1}
        )["result"]
        == 0
    )
    summary = server.get("/api/summary").json()
    assert abs(summary["now"] - time.time()) < 60 and summary["version"]
    (family,) = summary["families"]
    assert family["service"] == "dhcp4" and family["label"] == "DHCPv4"
    assert family["status"]["sockets"] == {"status": "ready"}
    by_id = {s["id"]: s for s in family["subnets"]}
    assert set(by_id) == {1, 7, 8}
    assert by_id[7]["network"] == "office" and by_id[1]["network"] == ""
    (seven,) = by_id[7]["resources"]
    assert seven == {
        "total": 10,
        "assigned": 1,
        "declined": 0,
        "name": "addresses",
        "pools": [{"pool": "198.51.100.10 - 198.51.100.19", "size": 10}],
    }
    (eight,) = by_id[8]["resources"]
    assert (eight["assigned"], eight["declined"], eight["total"]) == (
        1,
        1,
        2,
    )  # a declined address is assigned
    assert eight["pools"] == [{"pool": "198.51.100.70/31", "size": 2}]
    (office,) = family["networks"]
    assert office == {
        "name": "office",
        "subnets": [7, 8],
        "resources": [{"name": "addresses", "total": 12, "assigned": 2, "declined": 1}],
    }
    assert family["totals"] == [{"name": "addresses", "total": 23, "assigned": 2, "declined": 1}]
    assert family["actions"] == ["config-reload", "lease4-del"]
    assert family["store"] == {
        "write-errors": 0,
        "compactions": 0,
        "compaction-failures": 0,
        "last-compaction": None,
    }


def test_the_lease_store_health_shows_a_compaction(tmp_path: Path) -> None:
    """No loop thread here: the service is driven from the test, as its timers would drive it."""
    from edge.control.routes import WebRequest
    from edge.dashboard.web import Dashboard
    from edge.dhcp4.config import load_data
    from edge.dhcp4.lease_store import MemfileLeaseStore4
    from edge.server.dhcp4 import Dhcp4Service
    from tests.control.helpers import document

    store = MemfileLeaseStore4(str(tmp_path / "leases.json"), persist=True, sync="always")
    dashboard = Dashboard()
    service = Dhcp4Service(load_data(document(), source="<test>"), store, routes=dashboard.routes)
    dashboard.add_family("dhcp4", service.control.execute)
    try:
        store.put(Lease(ip_to_int("192.0.2.11"), b"\x02\0\0\0\0\x01", None, 3600, int(time.time()), 1))
        store.flush()
        before = json.loads(dashboard._summary(WebRequest("GET", "/api/summary", {}, {})).body)
        assert before["families"][0]["store"]["compactions"] == 0
        store.compact()  # the compaction child the lease timers start
        after = json.loads(dashboard._summary(WebRequest("GET", "/api/summary", {}, {})).body)
        health = after["families"][0]["store"]
        assert health["compactions"] == 1 and abs(health["last-compaction"] - time.time()) < 60
        assert health["write-errors"] == 0
    finally:
        service.close()


def _many(n: int) -> MemoryLeaseStore4:
    store = MemoryLeaseStore4()
    base = ip_to_int("10.0.0.0")
    now = int(time.time())
    for i in range(n):
        mac = bytes((2, 0, i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255))
        store.put(Lease(base + 10 + i, mac, None, 3600, now, 1, f"host-{i}"))
    return store


BIG = {"subnet4": [{"id": 1, "subnet": "10.0.0.0/14", "pools": [{"pool": "10.0.0.10 - 10.3.255.250"}]}]}


def test_lease_pages_walk_100000_leases_in_address_order(tmp_path: Path) -> None:
    server = DashboardServer(tmp_path, store=_many(100_000), **BIG)
    try:
        first = server.get("/api/leases?family=dhcp4&limit=100").json()
        assert [lease["address"] for lease in first["leases"][:2]] == ["10.0.0.10", "10.0.0.11"]
        assert len(first["leases"]) == 100 and first["next"] == "10.0.0.109"
        lease = first["leases"][0]
        assert lease == {
            "family": "dhcp4",
            "address": "10.0.0.10",
            "client": "02:00:00:00:00:00",
            "hostname": "host-0",
            "subnet-id": 1,
            "expires": lease["expires"],
            "valid-lft": 3600,
            "state": "assigned",
        }
        assert 3500 < lease["expires"] - first["now"] <= 3600
        deep = server.get("/api/leases?family=dhcp4&from=10.1.134.150&limit=100").json()
        assert deep["leases"][0]["address"] == "10.1.134.151" and deep["next"] is None  # the last 19
        assert len(deep["leases"]) == 19
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("192.0.2.11", "ip4"),
        ("2001:db8::1", "ip6"),
        ("02:00:00:00:00:01", "mac"),
        ("02-00-00-00-00-01", "mac"),
        ("020000000001", "mac"),
        ("01:02:00:00:00:00:01", "hex"),
        ("00:03:00:01:02:00:00:00:00:01", "hex"),
        ("laptop", "name"),
        ("cafe", "name"),  # four hex digits without separators: a hostname is likelier
        ("phone.home.arpa", "name"),
    ],
)
def test_search_texts_are_told_apart(text: str, kind: str) -> None:
    assert classify(text) == kind


def test_search_finds_by_address_mac_client_id_and_hostname(dash: Dash) -> None:
    server = dash()
    _add(
        server, "192.0.2.11", "02:00:00:00:00:01", hostname="laptop", **{"client-id": "01:02:00:00:00:00:01"}
    )
    _add(server, "192.0.2.12", "02:00:00:00:00:02", hostname="phone")
    for text in ("192.0.2.11", "02:00:00:00:00:01", "01:02:00:00:00:00:01", "laptop"):
        found = server.get(f"/api/leases?q={text}").json()
        assert [lease["address"] for lease in found["leases"]] == ["192.0.2.11"], text
    assert found["leases"][0]["client-id"] == "01:02:00:00:00:00:01"
    assert server.get("/api/leases?q=nobody").json()["leases"] == []
    assert server.get("/api/leases?q=192.0.2.99").json()["leases"] == []


def test_events_come_oldest_first_with_a_cursor(dash: Dash) -> None:
    server = dash()
    for i in range(60):
        _add(server, f"192.0.2.{100 + i}", f"02:00:00:00:01:{i:02x}")
    first = server.get("/api/events").json()
    assert len(first["events"]) == 50  # a page starts with the newest 50
    assert [e["address"] for e in first["events"][:1]] == ["192.0.2.110"]
    assert first["events"][-1]["address"] == "192.0.2.159" and first["after"] == "dhcp4:60"
    assert all(e["family"] == "dhcp4" and e["kind"] == "allocate" for e in first["events"])
    nothing = server.get("/api/events?after=dhcp4:60").json()
    assert (nothing["events"], nothing["after"]) == ([], "dhcp4:60")
    assert server.command("lease4-del", {"ip-address": "192.0.2.100"})["result"] == 0
    later = server.get("/api/events?after=dhcp4:60").json()
    assert [(e["kind"], e["address"]) for e in later["events"]] == [("delete", "192.0.2.100")]
    assert later["after"] == "dhcp4:61"


def test_releasing_a_lease_is_lease4_del_with_its_checks_and_log(
    dash: Dash, caplog: pytest.LogCaptureFixture
) -> None:
    server = dash()
    _add(server, "192.0.2.11", "02:00:00:00:00:01")
    with caplog.at_level(logging.INFO, logger="edge.control"):
        answer = server.post("/api/lease-del", {"family": "dhcp4", "address": "192.0.2.11"}).json()
    assert answer == {"result": 0, "text": "IPv4 lease deleted."}
    assert any(
        "COMMAND_RECEIVED received command lease4-del (dashboard POST /api/lease-del" in r.getMessage()
        for r in caplog.records
    )
    assert server.command("lease4-get", {"ip-address": "192.0.2.11"})["result"] == 3
    again = server.post("/api/lease-del", {"family": "dhcp4", "address": "192.0.2.11"}).json()
    assert again == {"result": 3, "text": "IPv4 lease not found."}
    bad = server.post("/api/lease-del", {"family": "dhcp4", "address": "not-an-address"}).json()
    assert bad["result"] == 1 and "is not an IPv4 address" in bad["text"]  # the registry's own check
    assert server.post("/api/lease-del", {"family": "dhcp4"}).status == 400


def test_reloading_the_configuration_is_config_reload(dash: Dash, tmp_path: Path) -> None:
    path = tmp_path / "edge.json"
    server = dash(config_path=path)
    ok = server.post("/api/config-reload", {}).json()
    assert ok["result"] == 0 and ok["text"].startswith("dhcp4: Configuration successful.")
    path.write_text("{ not json")
    failed = server.post("/api/config-reload", {"family": "dhcp4"}).json()
    assert failed["result"] == 1 and "the running one stays in service" in failed["text"]
    assert failed["answers"][0]["family"] == "dhcp4"
    assert server.command("config-get")["arguments"]["Dhcp4"]["subnet4"][0]["id"] == 1  # still serving
    path.write_text(json.dumps(server.document))
