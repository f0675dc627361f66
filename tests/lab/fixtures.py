"""pytest fixtures for lab tests: the `lab` fixture, the skip rules, and the resolv.conf guard.

Rules this module keeps:
- A lab test that cannot run here (not root, no `ip`, no permission to make namespaces) is *skipped* with
  the reason, never passed.
- /etc/resolv.conf must be byte-identical (and still the same kind of file) at the end of the session and
  after every lab test; if not, the original is put back and the test or session fails loudly.
- Namespaces left by crashed earlier runs (their pid is gone) are cleaned up once per session.

Both tests/lab/conftest.py and tests/netif/conftest.py import these names.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.netns import PREFIX, Lab, cleanup_stale

RESOLV_CONF = Path("/etc/resolv.conf")


@functools.cache
def lab_unavailable_reason() -> str | None:
    """Why namespaces cannot be used here, or None if they can (probed once: make and drop one)."""
    if os.geteuid() != 0:
        return "lab tests need root (network namespaces, veth pairs, raw sockets)"
    if shutil.which("ip") is None:
        return "lab tests need iproute2's `ip` command"
    probe = f"{PREFIX}{os.getpid()}n0-probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"`ip netns add` does not work here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    shutil.rmtree(Path("/etc/netns") / probe, ignore_errors=True)
    return None


def _snapshot() -> tuple[bool, str, bytes]:
    is_link = RESOLV_CONF.is_symlink()
    target = os.readlink(RESOLV_CONF) if is_link else ""
    try:
        content = RESOLV_CONF.read_bytes()
    except FileNotFoundError:
        content = b""
    return is_link, target, content


def _check_resolv_conf(before: tuple[bool, str, bytes], when: str) -> None:
    after = _snapshot()
    if after == before:
        return
    is_link, target, content = before
    if not is_link:
        RESOLV_CONF.write_bytes(content)  # put the machine's file back before anything else happens
    pytest.fail(
        f"/etc/resolv.conf CHANGED {when}: was {before!r}, became {after!r}"
        + ("" if is_link else " (original content restored)"),
        pytrace=False,
    )


@pytest.fixture(scope="session", autouse=True)
def resolv_conf_guard() -> Iterator[tuple[bool, str, bytes]]:
    before = _snapshot()
    yield before
    _check_resolv_conf(before, "during the test session")


@pytest.fixture(scope="session")
def lab_ready() -> None:
    reason = lab_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    cleanup_stale()


@pytest.fixture
def lab(lab_ready: None, resolv_conf_guard: tuple[bool, str, bytes]) -> Iterator[Lab]:
    with Lab() as made:
        yield made
    _check_resolv_conf(resolv_conf_guard, "by this lab test")


def require(*programs: str) -> None:
    """Skip the calling test unless every program is installed."""
    missing = [p for p in programs if shutil.which(p) is None and not Path("/usr/sbin", p).exists()]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
