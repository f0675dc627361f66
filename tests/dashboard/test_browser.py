"""The dashboard in a real browser: Debian's Chromium in the lab's client namespace, edge-dhcp serving a
real dhclient in the server namespace, the page reached across the lab link with the listener's password.

One scenario, in the order a person would meet it: the lease dhclient just got is on the page; search
finds it by MAC and by hostname; a renewal shows up in the event list without a reload; the release
button (after its confirmation) removes the lease, and the client's next request gets a fresh
allocation, which appears live; a wrong password gets nothing. Each view leaves a screenshot in
build/test-artifacts/dashboard/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.dashboard.browser import artifact, chromium_in
from tests.dashboard.lab import PASSWORD, USER, start_dashboard_lab
from tests.lab.netns import Lab

pytestmark = [pytest.mark.lab, pytest.mark.slow]
expect = pytest.importorskip(
    "playwright.sync_api", reason="playwright is a test dependency (make install)"
).expect

WAIT = 20_000  # ms: generous, the machine is shared; nothing here is a timing assertion


def _console(message: Any, problems: list[str]) -> None:
    """A console error fails the test, except a fetch that found no route: dhclient takes the client's
    address down and up again while it renews, and the page simply polls again."""
    if message.type != "error":
        return
    if any(f"net::{code}" in message.text for code in ("ERR_ADDRESS_UNREACHABLE", "ERR_NETWORK_CHANGED")):
        return
    problems.append(f"console {message.type}: {message.text}")


def _row(page: Any, address: str) -> Any:
    return page.locator(f'#leases tbody tr[data-address="{address}"]')


def test_the_dashboard_in_chromium_follows_a_real_client(lab: Lab) -> None:
    site = start_dashboard_lab(lab, extra_dhcp4={"authoritative": True})
    client = site.dhclient(hostname="lab-laptop")
    lease = client.obtain()
    address = str(lease.address)
    mac = site.site.client.mac

    with chromium_in(lab, site.site.client.ns) as browser:
        context = browser.new_context(  # type: ignore[attr-defined]
            http_credentials={"username": USER, "password": PASSWORD}, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: _console(message, problems))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))

        # 1. The page loads from the lab server and shows the lease dhclient just got.
        reply = page.goto(site.url)
        assert reply is not None and reply.status == 200
        page.wait_for_selector("body[data-ready='1']", timeout=WAIT)
        row = _row(page, address)
        row.wait_for(timeout=WAIT)
        assert row.locator("td.hostname").inner_text() == "lab-laptop"
        assert row.locator("td.client").inner_text() == mac
        assert row.locator("td.state").inner_text() == "assigned"
        assert re.fullmatch(r"\d+m \d\ds", row.locator("td.expires").inner_text()), row.locator(
            "td.expires"
        ).inner_text()
        assert page.locator("#health").inner_text() == "serving"
        assert "1 / 100" in page.locator('#pools .subnet[data-subnet="1"]').inner_text()
        expect(page.locator(f'#events li[data-kind="allocate"][data-address="{address}"]')).to_have_count(
            1, timeout=WAIT
        )
        page.screenshot(path=str(artifact("overview.png")), full_page=True)

        # 2. Search finds it, by MAC and by hostname; a miss says so.
        for text in (mac, "lab-laptop"):
            page.fill("#search", text)
            page.press("#search", "Enter")
            expect(page.locator("#page")).to_have_text("1 found", timeout=WAIT)
            rows = page.locator("#leases tbody tr[data-address]")
            assert rows.count() == 1 and rows.first.get_attribute("data-address") == address, text
        page.screenshot(path=str(artifact("search.png")))
        page.fill("#search", "no-such-host")
        page.press("#search", "Enter")
        page.wait_for_selector("text=No lease matches", timeout=WAIT)
        page.click("#clear")
        row.wait_for(timeout=WAIT)

        # 3. The event list follows live: dhclient renews (INIT-REBOOT) while the page stays open.
        loaded = page.evaluate("performance.timeOrigin")
        renewals = page.locator(f'#events li[data-kind="renew"][data-address="{address}"]')
        before = renewals.count()
        client.renew()
        lab.wait_for(lambda: renewals.count() > before, timeout=WAIT / 1000, what="the renewal on the page")
        assert page.evaluate("performance.timeOrigin") == loaded, "the page was reloaded"
        page.locator("#events").screenshot(path=str(artifact("events.png")))

        # 4. Release: the button asks first (cancel changes nothing), then lease4-del removes the lease.
        row.locator("button.release").click()
        dialog = page.locator("dialog#confirm")
        dialog.wait_for(state="visible", timeout=WAIT)
        assert address in page.locator("#confirm-title").inner_text()
        page.screenshot(path=str(artifact("release-confirm.png")))
        page.click("#confirm-cancel")
        assert site.server.ctl("lease4-get", {"ip-address": address})["result"] == 0
        row.locator("button.release").click()
        page.click("#confirm-ok")
        page.locator(".toast", has_text="IPv4 lease deleted.").wait_for(timeout=WAIT)
        row.wait_for(state="detached", timeout=WAIT)
        assert site.server.ctl("lease4-get", {"ip-address": address}, check=False)["result"] == 3
        expect(page.locator(f'#events li[data-kind="delete"][data-address="{address}"]')).to_have_count(
            1, timeout=WAIT
        )
        assert (
            "COMMAND_RECEIVED received command lease4-del (dashboard POST /api/lease-del"
            in site.server.output()
        )

        # 5. The client's next request gets a fresh allocation, which the page shows by itself.
        again = client.renew()
        fresh = str(again.address)
        page.locator(f'#events li[data-kind="allocate"][data-address="{fresh}"]').nth(-1).wait_for(
            timeout=WAIT
        )
        allocations = page.locator(f'#events li[data-kind="allocate"][data-address="{fresh}"]').count()
        assert allocations >= (2 if fresh == address else 1)
        _row(page, fresh).wait_for(timeout=WAIT)
        held = site.server.ctl("lease4-get", {"ip-address": fresh})
        assert held["result"] == 0 and held["arguments"]["hw-address"] == mac
        page.screenshot(path=str(artifact("after-release.png")), full_page=True)

        # Reload configuration: asks first, runs config-reload, the event list says so.
        page.click("#reload")
        page.locator("dialog#confirm").wait_for(state="visible", timeout=WAIT)
        page.click("#confirm-ok")
        page.locator(".toast", has_text="dhcp4: Configuration successful.").wait_for(timeout=WAIT)
        page.locator('#events li[data-kind="reload"]').first.wait_for(timeout=WAIT)
        assert (
            "COMMAND_RECEIVED received command config-reload (dashboard POST /api/config-reload"
            in site.server.output()
        )

        # The same page on a phone.
        phone = browser.new_context(  # type: ignore[attr-defined]
            http_credentials={"username": USER, "password": PASSWORD},
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        small = phone.new_page()
        small.goto(site.url)
        small.wait_for_selector("body[data-ready='1']", timeout=WAIT)
        _row(small, fresh).wait_for(timeout=WAIT)
        assert small.locator(f'#leases tbody tr[data-address="{fresh}"] td.address').is_visible()
        assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
            "scrolls sideways"
        )
        small.screenshot(path=str(artifact("phone.png")))
        phone.close()

        # 6. A wrong password gets a 401 and no page (Chromium shows the 401 or gives the navigation up);
        # so does no password, for the page and for its JSON.
        from playwright.sync_api import Error as PlaywrightError

        for credentials in ({"username": USER, "password": "wrong"}, None):
            options = {"http_credentials": credentials} if credentials else {}
            stranger = browser.new_context(**options)  # type: ignore[attr-defined]
            other = stranger.new_page()
            statuses: list[int] = []
            other.on("response", lambda r, seen=statuses: seen.append(r.status))
            for path in ("", "api/summary"):
                try:
                    answer = other.goto(site.url + path)
                    assert answer is not None and answer.status == 401
                    assert "families" not in answer.text()
                except PlaywrightError as exc:
                    assert "ERR_INVALID_AUTH_CREDENTIALS" in str(exc)
                assert other.locator("#leases").count() == 0
            assert statuses and set(statuses) == {401}, statuses
            if credentials:
                other.screenshot(path=str(artifact("refused.png")))
            stranger.close()
        assert "COMMAND_HTTP_AUTH_FAIL" in site.server.output()

        assert not problems, problems
        # Offline-ready: every request went to the lab server (no CDN, no font host).
        assert requests and all(url.startswith(site.url) for url in requests), requests
        context.close()
