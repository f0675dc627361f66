"""Two families on one page: the real DHCPv4 service beside a DHCPv6 family that answers Kea 2.2's
DHCPv6 commands from a fixed table (edge-dhcp's DHCPv6 service is not in main yet; when it is, the lab
test in test_browser.py gains a dhclient -6).

What this shows is that the v6 family plugs in as data (edge/dashboard/families.py): its subnets get an
addresses bar and a delegated-prefixes bar, its leases (IA_NA and IA_PD) share the table, its events the
list, its statistics the Stork v6 names in /metrics, and release runs lease6-del with the lease type.
The page is drawn by Debian's Chromium on loopback, and screenshotted.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from edge.control.protocol import EMPTY, SUCCESS, answer
from edge.control.registry import ANY, STRING, Arg, Command, Registry, integer
from edge.dashboard.events import EventRing
from tests.dashboard.browser import FLAGS, artifact, browser_unavailable
from tests.dashboard.helpers import DashboardServer

NOW = int(time.time())
V6_CONFIG = {
    "Dhcp6": {
        "subnet6": [
            {
                "id": 60,
                "subnet": "2001:db8:1::/64",
                "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
                "pd-pools": [{"prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56}],
            }
        ]
    }
}
V6_LEASES = [
    {
        "ip-address": "2001:db8:1::100",
        "type": "IA_NA",
        "duid": "00:03:00:01:02:00:00:00:06:01",
        "iaid": 1,
        "cltt": NOW,
        "valid-lft": 3600,
        "preferred-lft": 1800,
        "subnet-id": 60,
        "hostname": "laptop6",
        "state": 0,
        "fqdn-fwd": False,
        "fqdn-rev": False,
    },
    {
        "ip-address": "2001:db8:8000:100::",
        "prefix-len": 56,
        "type": "IA_PD",
        "duid": "00:03:00:01:02:00:00:00:06:02",
        "iaid": 7,
        "cltt": NOW,
        "valid-lft": 7200,
        "preferred-lft": 3600,
        "subnet-id": 60,
        "hostname": "",
        "state": 0,
        "fqdn-fwd": False,
        "fqdn-rev": False,
    },
]


class Dhcp6Table:
    """Kea 2.2's DHCPv6 answers for the commands the dashboard sends, over a fixed lease list."""

    def __init__(self) -> None:
        self.leases = [dict(lease) for lease in V6_LEASES]
        self.events = EventRing(time.time)
        self.deleted: list[tuple[str, str]] = []
        for lease in self.leases:
            self.events.add(
                "allocate", lease["ip-address"], bytes.fromhex(lease["duid"].replace(":", "")), "", 60
            )
        self.registry = Registry(
            (
                Command("list-commands", lambda s, a: answer(SUCCESS, arguments=self.registry.names())),
                Command("version-get", lambda s, a: answer(SUCCESS, "0.1.0")),
                Command("status-get", lambda s, a: answer(SUCCESS, arguments=self.status())),
                Command("config-hash-get", lambda s, a: answer(SUCCESS, arguments={"hash": "F00D"})),
                Command("config-get", lambda s, a: answer(SUCCESS, arguments={**V6_CONFIG, "hash": "F00D"})),
                Command("config-reload", lambda s, a: answer(SUCCESS, "Configuration successful.")),
                Command("statistic-get-all", lambda s, a: answer(SUCCESS, arguments=self.statistics())),
                Command(
                    "events-get",
                    lambda s, a: answer(
                        SUCCESS,
                        arguments={
                            "events": self.events.since(a.get("after", 0), a.get("limit", 100))[0],
                            "last": self.events.last,
                        },
                    ),
                    (Arg("after", integer(0, 2**63 - 1)), Arg("limit", integer(1, 512))),
                ),
                Command(
                    "lease6-get-page",
                    self.page,
                    (Arg("from", STRING, required=True), Arg("limit", integer(1), required=True)),
                ),
                Command(
                    "lease6-del", self.delete, (Arg("ip-address", STRING, required=True), Arg("type", STRING))
                ),
                Command(
                    "lease6-get", self.get, (Arg("ip-address", STRING, required=True), Arg("type", STRING))
                ),
                Command("lease6-get-by-duid", self.by_duid, (Arg("duid", ANY, required=True),)),
                Command(
                    "lease6-get-by-hostname", self.by_hostname, (Arg("hostname", STRING, required=True),)
                ),
            )
        )

    def execute(self, request: Any, origin: str) -> Any:
        return self.registry.dispatch(request, None)

    def status(self) -> dict[str, Any]:
        return {
            "pid": 4242,
            "uptime": 90,
            "reload": 90,
            "multi-threading-enabled": False,
            "sockets": {"status": "ready"},
            "high-availability": [  # Kea 2.4's shape
                {
                    "ha-mode": "hot-standby",
                    "ha-servers": {
                        "local": {"role": "primary", "state": "hot-standby"},
                        "remote": {"role": "standby", "last-state": "hot-standby"},
                    },
                }
            ],
        }

    def statistics(self) -> dict[str, Any]:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S.000000")
        nas = sum(1 for lease in self.leases if lease["type"] == "IA_NA")
        pds = sum(1 for lease in self.leases if lease["type"] == "IA_PD")
        values = {
            "pkt6-received": 12,
            "pkt6-sent": 8,
            "pkt6-solicit-received": 4,
            "pkt6-advertise-sent": 4,
            "pkt6-reply-sent": 4,
            "subnet[60].total-nas": 256,
            "subnet[60].assigned-nas": nas,
            "subnet[60].declined-addresses": 0,
            "subnet[60].total-pds": 256,
            "subnet[60].assigned-pds": pds,
        }
        return {name: [[value, stamp]] for name, value in values.items()}

    def page(self, server: Any, args: dict[str, Any]) -> dict[str, Any]:
        found = sorted(self.leases, key=lambda lease: lease["ip-address"])
        return answer(
            SUCCESS if found else EMPTY,
            f"{len(found)} IPv6 lease(s) found.",
            {"leases": found, "count": len(found)},
        )

    def get(self, server: Any, args: dict[str, Any]) -> dict[str, Any]:
        for lease in self.leases:
            if lease["ip-address"] == args["ip-address"] and lease["type"] == args.get("type", "IA_NA"):
                return answer(SUCCESS, "IPv6 lease found.", lease)
        return answer(EMPTY, "Lease not found.")

    def by_duid(self, server: Any, args: dict[str, Any]) -> dict[str, Any]:
        found = [lease for lease in self.leases if lease["duid"] == args["duid"]]
        return answer(SUCCESS if found else EMPTY, f"{len(found)} IPv6 lease(s) found.", {"leases": found})

    def by_hostname(self, server: Any, args: dict[str, Any]) -> dict[str, Any]:
        found = [lease for lease in self.leases if lease["hostname"] == args["hostname"]]
        return answer(SUCCESS if found else EMPTY, f"{len(found)} IPv6 lease(s) found.", {"leases": found})

    def delete(self, server: Any, args: dict[str, Any]) -> dict[str, Any]:
        for lease in self.leases:
            if lease["ip-address"] == args["ip-address"] and lease["type"] == args.get("type", "IA_NA"):
                self.leases.remove(lease)
                self.deleted.append((args["ip-address"], args.get("type", "IA_NA")))
                self.events.add(
                    "delete", lease["ip-address"], bytes.fromhex(lease["duid"].replace(":", "")), "", 60
                )
                return answer(SUCCESS, "IPv6 lease deleted.")
        return answer(EMPTY, "IPv6 lease not found.")


@pytest.fixture
def both(tmp_path: Path) -> Any:
    server = DashboardServer(tmp_path)
    table = Dhcp6Table()
    server.dashboard.add_family("dhcp6", table.execute)
    answer = server.command(
        "lease4-add", {"ip-address": "192.0.2.11", "hw-address": "02:00:00:00:04:01", "hostname": "laptop"}
    )
    assert answer["result"] == 0
    yield server, table
    server.stop()


def test_the_summary_has_both_families_with_addresses_and_prefixes(both: Any) -> None:
    server, _ = both
    families = server.get("/api/summary").json()["families"]
    assert [f["service"] for f in families] == ["dhcp4", "dhcp6"]
    (subnet,) = families[1]["subnets"]
    assert [(r["name"], r["assigned"], r["total"]) for r in subnet["resources"]] == [
        ("addresses", 1, 256),
        ("prefixes", 1, 256),
    ]
    assert subnet["resources"][1]["pools"] == [{"pool": "2001:db8:8000::/48 -> /56", "size": 256}]
    assert families[1]["actions"] == ["config-reload", "lease6-del"]


def test_v6_leases_page_search_and_release_with_their_type(both: Any) -> None:
    server, table = both
    page = server.get("/api/leases?family=dhcp6").json()["leases"]
    assert [(lease["address"], lease.get("type")) for lease in page] == [
        ("2001:db8:1::100", "IA_NA"),
        ("2001:db8:8000:100::/56", "IA_PD"),
    ]
    assert page[0]["client"] == "00:03:00:01:02:00:00:00:06:01"
    by_address = server.get("/api/leases?q=2001:db8:8000:100::").json()["leases"]
    assert [lease["type"] for lease in by_address] == ["IA_PD"]
    by_duid = server.get("/api/leases?q=00:03:00:01:02:00:00:00:06:01").json()["leases"]
    assert [lease["family"] for lease in by_duid] == ["dhcp6"]
    done = server.post(
        "/api/lease-del", {"family": "dhcp6", "address": "2001:db8:8000:100::/56", "type": "IA_PD"}
    ).json()
    assert done == {"result": 0, "text": "IPv6 lease deleted."} and table.deleted == [
        ("2001:db8:8000:100::", "IA_PD")
    ]


def test_metrics_carry_both_families(both: Any) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    server, _ = both
    families = {f.name: f for f in text_string_to_metric_families(server.get("/metrics").text)}
    assert families["kea_dhcp6_pd_assigned_total"].samples[0].labels["prefix"] == "2001:db8:1::/64"
    assert families["kea_dhcp4_addresses_assigned_total"].samples[0].value == 1.0
    info = {sample.labels["family"] for sample in families["edge_dhcp_info"].samples}
    assert info == {"dhcp4", "dhcp6"}


def test_the_page_draws_both_families_in_chromium(both: Any) -> None:
    why = browser_unavailable()
    if why:
        pytest.skip(why)
    from playwright.sync_api import expect, sync_playwright

    server, table = both
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            markup = '<img src=x onerror="document.title=1">'
            added = server.command(
                "lease4-add",
                {"ip-address": "192.0.2.12", "hw-address": "02:00:00:00:04:02", "hostname": markup},
            )
            assert added["result"] == 0
            page.goto(server.url)
            page.wait_for_selector("body[data-ready='1']", timeout=20_000)
            # A hostname is text, never markup: shown as written, nothing made of it.
            cell = page.locator('#leases tbody tr[data-address="192.0.2.12"] td.hostname')
            assert cell.inner_text() == markup and page.locator("#leases img, #events img").count() == 0
            assert page.title() == "edge-dhcp"
            assert page.locator('#status [data-family="dhcp6"] h2').inner_text().startswith("DHCPv6")
            v6 = page.locator('#pools [data-family="dhcp6"] .subnet[data-subnet="60"]')
            assert "2001:db8:1::/64" in v6.inner_text()
            assert v6.locator(".usage").count() == 2 and "prefixes" in v6.inner_text()
            assert page.locator("#family").is_visible()
            page.select_option("#family", "dhcp6")
            row = page.locator('#leases tbody tr[data-address="2001:db8:8000:100::/56"]')
            row.wait_for(timeout=20_000)
            assert "prefix" in row.inner_text()
            expect(page.locator('#events li[data-family="dhcp6"]')).to_have_count(2, timeout=20_000)
            assert "HA" in page.locator('#status [data-family="dhcp6"]').inner_text()
            assert "hot-standby" in page.locator('#status [data-family="dhcp6"]').inner_text()
            page.screenshot(path=str(artifact("two-families.png")), full_page=True)
            row.locator("button.release").click()
            page.click("#confirm-ok")
            row.wait_for(state="detached", timeout=20_000)
            assert table.deleted == [("2001:db8:8000:100::", "IA_PD")]
            assert not errors, errors
        finally:
            browser.close()
