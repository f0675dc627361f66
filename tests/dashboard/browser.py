"""Debian's Chromium, driven by Playwright, inside a lab namespace.

Rules this module keeps:
- The browser is /usr/bin/chromium (Debian's package); Playwright's own browsers are never installed or
  downloaded. It starts through a two-line wrapper that runs it under `ip netns exec NS`, so every
  connection it makes starts inside the lab namespace (Playwright talks to it over pipes, not TCP).
- The flags keep a headless Chromium quiet on a closed network: no sandbox (root), no GPU, no QUIC, no
  first-run, background networking, component updates or sync. Playwright gives each launch a fresh
  profile directory of its own.
- Screenshots are test artifacts in build/test-artifacts/dashboard/ (the README's come from there).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.netns import Lab

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "dashboard"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]


def browser_unavailable() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt-get install chromium; `make system-deps`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]'; `make install`)"
    return None


@contextlib.contextmanager
def chromium_in(lab: Lab, ns: str) -> Iterator[object]:
    """A Playwright Browser whose Chromium runs in namespace `ns`."""
    why = browser_unavailable()
    if why:
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    wrapper = lab.tmp / "chromium-in-lab"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {ns} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(wrapper), args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
