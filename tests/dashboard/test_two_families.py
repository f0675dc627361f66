"""Two families on one page: the real DHCPv4 service and the real DHCPv6 service (edge/server/dhcp6.py) in one
loop with one Dashboard, wired as `edge-dhcp serve -c v4.json -c v6.json` wires them (helpers.py).

The DHCPv6 leases are made by the v6 engine itself: a client's SOLICIT and REQUEST (tests/lab/dhcp6msg.py
bytes) for one address and one delegated prefix, and one more address through `lease6-add` on the v6
service's own listener. What this shows is that the v6 family plugs in as data (edge/dashboard/families.py):
its subnet gets an addresses bar and a delegated-prefixes bar from the service's `assigned-nas` /
`assigned-pds`, its leases (IA_NA and IA_PD) share the table, its events the list, its statistics Stork's
v6 names in /metrics, and release runs the real `lease6-del` with the lease's type (without it Kea's
lease6-del looks for an IA_NA and finds no prefix). The page is drawn by Debian's Chromium on loopback.

What the real service cannot show stays a stand-in: Kea 2.4's `status-get` carries the HA state
("high-availability"), which edge-dhcp has no hook for; `kea_ha` wraps the v6 service's status-get to
answer as such a Kea would, and the page must show it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.control.protocol import Request
from edge.control.registry import Reply
from edge.dashboard.families import DHCP6
from edge.dashboard.reader import Execute
from tests.dashboard.browser import FLAGS, artifact, browser_unavailable
from tests.dashboard.helpers import Client6, DashboardServer
from tests.lab import dhcp6msg

MAC_A, MAC_B = "02:00:00:00:06:01", "02:00:00:00:06:02"
PD = "2001:db8:8000::/56"  # the first prefix of the pd-pool, the one the engine delegates first
ADDED = "2001:db8:1::1f0"  # the address lease6-add puts in
KEA_HA = [  # Kea 2.4's status-get "high-availability"
    {
        "ha-mode": "hot-standby",
        "ha-servers": {
            "local": {"role": "primary", "state": "hot-standby"},
            "remote": {"role": "standby", "last-state": "hot-standby"},
        },
    }
]


def kea_ha(execute: Execute) -> Execute:
    """The v6 service's commands, with status-get answering as Kea 2.4 with the HA hook does."""

    def run(request: Request, origin: str) -> Reply:
        reply = execute(request, origin)
        if request.command == "status-get" and reply.answer.get("result") == 0:
            reply.answer["arguments"] = {**reply.answer["arguments"], "high-availability": KEA_HA}
        return reply

    return run


def start_both(tmp_path: Path, ha: bool = False) -> DashboardServer:
    server = DashboardServer(tmp_path, dhcp6={}, wrap6=kea_ha if ha else None, start=False)
    try:
        assert server.v6 is not None
        reply = Client6(server.v6, MAC_A, "fe80::1").obtain()
        assert [str(a) for ia in dhcp6msg.ias(reply) for a, _, _ in ia.addresses] == ["2001:db8:1::100"]
        assert [str(p) for ia in dhcp6msg.ias(reply, dhcp6msg.IA_PD) for p, _, _ in ia.prefixes] == [PD]
        server.start()
        added = server.command(
            "lease4-add",
            {"ip-address": "192.0.2.11", "hw-address": "02:00:00:00:04:01", "hostname": "laptop"},
        )
        assert added["result"] == 0, added
        added = server.command6(
            "lease6-add",
            {
                "ip-address": ADDED,
                "duid": Client6(server.v6, MAC_B, "fe80::2").duid_text,
                "iaid": 3,
                "subnet-id": 60,
                "hostname": "laptop6",
            },
        )
        assert added["result"] == 0, added
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture
def both(tmp_path: Path) -> Iterator[DashboardServer]:
    server = start_both(tmp_path)
    yield server
    server.stop()


def test_the_summary_has_both_families_with_addresses_and_prefixes(both: DashboardServer) -> None:
    families = both.get("/api/summary").json()["families"]
    assert [f["service"] for f in families] == ["dhcp4", "dhcp6"]
    v6 = families[1]
    assert v6["label"] == "DHCPv6" and v6["status"]["sockets"] == {"status": "ready"}
    (subnet,) = v6["subnets"]
    assert subnet["id"] == 60 and subnet["prefix"] == "2001:db8:1::/64"
    # The engine's address and lease6-add's: two NAs; the engine's prefix: one PD.
    assert [(r["name"], r["assigned"], r["total"]) for r in subnet["resources"]] == [
        ("addresses", 2, 256),
        ("prefixes", 1, 256),
    ]
    assert subnet["resources"][0]["pools"] == [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff", "size": 256}]
    assert subnet["resources"][1]["pools"] == [{"pool": "2001:db8:8000::/48 -> /56", "size": 256}]
    assert [(t["name"], t["assigned"]) for t in v6["totals"]] == [("addresses", 2), ("prefixes", 1)]
    assert (v6["packets"]["solicit-received"], v6["packets"]["request-received"]) == (1, 1)
    assert (v6["packets"]["advertise-sent"], v6["packets"]["reply-sent"]) == (1, 1)
    assert v6["actions"] == ["config-reload", "lease6-del"]
    assert "ha" not in v6  # edge-dhcp's status-get has no HA part
    # The v6 service's own listener serves the same page: one Dashboard spans the families.
    other = both.get("/api/summary", port=both.port6).json()["families"]
    assert [f["service"] for f in other] == ["dhcp4", "dhcp6"]
    assert other[1]["subnets"] == v6["subnets"]


def test_v6_leases_page_search_and_release_with_their_type(both: DashboardServer) -> None:
    page = both.get("/api/leases?family=dhcp6").json()["leases"]
    assert [(lease["address"], lease["type"]) for lease in page] == [
        ("2001:db8:1::100", "IA_NA"),
        (ADDED, "IA_NA"),
        (PD, "IA_PD"),
    ]
    duid_a = "00:03:00:01:" + MAC_A
    assert [lease["client"] for lease in page] == [duid_a, "00:03:00:01:" + MAC_B, duid_a]
    assert [lease["state"] for lease in page] == ["assigned"] * 3
    assert page[1]["hostname"] == "laptop6" and {lease["subnet-id"] for lease in page} == {60}
    # A page of one, then the next from the cursor.
    first = both.get("/api/leases?family=dhcp6&limit=1").json()
    after = both.get(f"/api/leases?family=dhcp6&limit=2&from={first['next']}").json()
    assert [lease["address"] for lease in after["leases"]] == [ADDED, PD]

    by_address = both.get("/api/leases?q=2001:db8:8000::").json()["leases"]
    assert [(lease["address"], lease["type"]) for lease in by_address] == [(PD, "IA_PD")]
    by_duid = both.get(f"/api/leases?q={duid_a}").json()["leases"]
    assert sorted(lease["address"] for lease in by_duid) == ["2001:db8:1::100", PD]
    by_name = both.get("/api/leases?q=laptop6").json()["leases"]
    assert [(lease["family"], lease["address"]) for lease in by_name] == [("dhcp6", ADDED)]

    done = both.post("/api/lease-del", {"family": "dhcp6", "address": PD, "type": "IA_PD"}).json()
    assert done == {"result": 0, "text": "IPv6 lease deleted."}
    gone = both.command6("lease6-get", {"ip-address": "2001:db8:8000::", "type": "IA_PD"})
    assert gone["result"] == 3, gone
    kept = both.command6("lease6-get", {"ip-address": "2001:db8:1::100", "type": "IA_NA"})
    assert kept["result"] == 0, kept
    # An address given as a prefix's is no address lease: the type decides what lease6-del looks for.
    missing = both.post("/api/lease-del", {"family": "dhcp6", "address": "2001:db8:1::100", "type": "IA_PD"})
    assert missing.json()["result"] == 3
    assert both.command6("lease6-get", {"ip-address": "2001:db8:1::100"})["result"] == 0

    (subnet,) = both.get("/api/summary").json()["families"][1]["subnets"]
    assert [(r["name"], r["assigned"]) for r in subnet["resources"]] == [("addresses", 2), ("prefixes", 0)]
    events = [e for e in both.get("/api/events").json()["events"] if e["family"] == "dhcp6"]
    assert [(e["kind"], e["address"]) for e in events] == [
        ("allocate", "2001:db8:1::100"),
        ("allocate", "2001:db8:8000::"),
        ("allocate", ADDED),
        ("delete", "2001:db8:8000::"),
    ]
    assert [lease["address"] for lease in both.get("/api/leases?family=dhcp6").json()["leases"]] == [
        "2001:db8:1::100",
        ADDED,
    ]


def test_reload_runs_each_familys_config_reload(both: DashboardServer) -> None:
    done = both.post("/api/config-reload", {"family": "dhcp6"}).json()
    assert done["result"] == 0 and done["text"].startswith("dhcp6: Configuration successful"), done
    # The reload keeps the leases and their counts.
    (subnet,) = both.get("/api/summary").json()["families"][1]["subnets"]
    assert [(r["name"], r["assigned"]) for r in subnet["resources"]] == [("addresses", 2), ("prefixes", 1)]


def test_metrics_carry_both_families_under_storks_names(both: DashboardServer) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    text = both.get("/metrics").text
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]

    def series(name: str, **labels: str) -> list[Any]:
        return [s for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]

    def sample(name: str, **labels: str) -> float:
        found = series(name, **labels)
        assert len(found) == 1, (name, labels, found)
        return float(found[0].value)

    labels = {
        "subnet": "2001:db8:1::/64",
        "subnet_id": "60",
        "prefix": "2001:db8:1::/64",
        "shared_network": "",
    }
    assert [s.labels for s in series("kea_dhcp6_na_assigned_total")] == [labels]
    assert sample("kea_dhcp6_na_assigned_total", subnet_id="60") == 2
    assert sample("kea_dhcp6_pd_assigned_total", subnet_id="60") == 1
    assert sample("kea_dhcp6_na_total", subnet_id="60") == 256
    assert sample("kea_dhcp6_pd_total", subnet_id="60") == 256
    assert sample("kea_dhcp6_packets_received_total", operation="solicit") == 1
    assert sample("kea_dhcp6_packets_received_total", operation="request") == 1
    assert sample("kea_dhcp6_packets_sent_total", operation="advertise") == 1
    assert sample("kea_dhcp6_packets_sent_total", operation="reply") == 1
    assert sample("kea_dhcp4_addresses_assigned_total", subnet_id="1") == 1
    assert {s.labels["family"] for s in series("edge_dhcp_info")} == {"dhcp4", "dhcp6"}
    assert sample("edge_dhcp_sockets_ready", family="dhcp6") == 1
    # v4 names stay v4's: the DHCPv6 family adds no kea_dhcp4_* series.
    assert [s.labels["subnet_id"] for s in series("kea_dhcp4_addresses_assigned_total")] == ["1"]
    assert sample("kea_dhcp4_packets_received_total", operation="discover") == 0

    # Every statistic the real v6 service keeps that Stork's exporter reads is a series, with its value.
    answer = both.command6("statistic-get-all")
    values = {name: samples[0][0] for name, samples in answer["arguments"].items()}
    # as Kea 2.2's kea-dhcp6: no DHCPv4 statistics in the DHCPv6 daemon
    assert not [name for name in values if name.startswith(("pkt4-", "v4-"))]
    top = {row.stat: row for row in (*DHCP6.received, *DHCP6.sent, *DHCP6.globals)}
    per_subnet = {row.stat: row for row in DHCP6.per_subnet}
    # Stork skips the two packet totals; DHCPv4-over-DHCPv6 (Stork's kea_dhcp6_packets_*_dhcp4_total) is a
    # feature edge-dhcp does not have, whose counters stay 0.
    ignored = {"pkt6-received", "pkt6-sent"}
    for name, value in values.items():
        if name.startswith("pkt6-dhcpv4-") or name in ignored:
            continue
        scoped = name.startswith("subnet[")
        stat = name.split("].", 1)[1] if scoped else name
        rows = per_subnet if scoped else top
        assert stat in rows, f"{name} is kept by the v6 service but /metrics has no series for it"
        row = rows[stat]
        if scoped:
            assert sample(row.name, subnet_id=name[7 : name.index("]")]) == value, name
        elif row.operation:
            assert sample(row.name, operation=row.operation) == value, name
        else:
            assert sample(row.name) == value, name
    assert values["subnet[60].assigned-nas"] == 2 and values["subnet[60].assigned-pds"] == 1


def test_the_page_draws_both_families_in_chromium(tmp_path: Path) -> None:
    why = browser_unavailable()
    if why:
        pytest.skip(why)
    from playwright.sync_api import expect, sync_playwright

    server = start_both(tmp_path, ha=True)
    try:
        summary = server.get("/api/summary").json()["families"]
        assert summary[1]["ha"] == KEA_HA and "ha" not in summary[0]
        markup = '<img src=x onerror="document.title=1">'
        added = server.command(
            "lease4-add", {"ip-address": "192.0.2.12", "hw-address": "02:00:00:00:04:02", "hostname": markup}
        )
        assert added["result"] == 0
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=FLAGS, headless=True
            )
            try:
                _draw(server, browser, markup, expect)
            finally:
                browser.close()
    finally:
        server.stop()


def _draw(server: DashboardServer, browser: Any, markup: str, expect: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url)
    page.wait_for_selector("body[data-ready='1']", timeout=20_000)
    # A hostname is text, never markup: shown as written, nothing made of it.
    cell = page.locator('#leases tbody tr[data-address="192.0.2.12"] td.hostname')
    assert cell.inner_text() == markup and page.locator("#leases img, #events img").count() == 0
    assert page.title() == "edge-dhcp"
    status = page.locator('#status [data-family="dhcp6"]')
    assert status.locator("h2").inner_text().startswith("DHCPv6")
    assert "HA" in status.inner_text() and "hot-standby" in status.inner_text()
    v6 = page.locator('#pools [data-family="dhcp6"] .subnet[data-subnet="60"]')
    text = v6.inner_text()
    assert "2001:db8:1::/64" in text and "prefixes" in text
    assert v6.locator(".usage").count() == 2
    assert "2 / 256" in text and "1 / 256" in text, text
    assert page.locator("#family").is_visible()
    page.select_option("#family", "dhcp6")
    row = page.locator(f'#leases tbody tr[data-address="{PD}"]')
    row.wait_for(timeout=20_000)
    assert "prefix" in row.inner_text()
    assert row.locator("td.client").inner_text() == "00:03:00:01:" + MAC_A
    assert page.locator(f'#leases tbody tr[data-address="{ADDED}"] td.hostname').inner_text() == "laptop6"
    expect(page.locator('#events li[data-family="dhcp6"]')).to_have_count(3, timeout=20_000)
    page.screenshot(path=str(artifact("two-families.png")), full_page=True)
    row.locator("button.release").click()
    page.click("#confirm-ok")
    row.wait_for(state="detached", timeout=20_000)
    assert server.command6("lease6-get", {"ip-address": "2001:db8:8000::", "type": "IA_PD"})["result"] == 3
    assert server.command6("lease6-get", {"ip-address": str(ipaddress.IPv6Address(ADDED))})["result"] == 0
    expect(page.locator('#events li[data-family="dhcp6"][data-kind="delete"]')).to_have_count(
        1, timeout=20_000
    )
    assert not errors, errors
