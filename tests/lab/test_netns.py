"""The harness itself: isolation, teardown after failures and signals, stale cleanup, the hook's parsing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.lab import hook
from tests.lab.netns import NETNS_ETC_DIR, NETNS_RUN_DIR, PREFIX, Lab, LabError, cleanup_stale

REPO = Path(__file__).resolve().parents[2]


def running(pid: int) -> bool:
    """True if `pid` exists and is not a zombie (an orphan's reaper may be slow or absent in containers)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def namespaces() -> set[str]:
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in listing.splitlines() if line.strip()}


@pytest.mark.lab
def test_resolv_conf_writes_land_in_the_namespace_copy(lab: Lab) -> None:
    ns = lab.add_namespace("writer")
    before = Path("/etc/resolv.conf").read_bytes()
    lab.run(ns, ["sh", "-c", "echo 'nameserver 203.0.113.7' > /etc/resolv.conf"])
    assert Path("/etc/resolv.conf").read_bytes() == before
    assert lab.resolv_conf(ns).read_text() == "nameserver 203.0.113.7\n"


@pytest.mark.lab
def test_names_are_unique_per_lab_and_carry_the_pid(lab: Lab) -> None:
    with Lab() as other:
        assert other.id != lab.id
        assert other.id.startswith(f"{PREFIX}{os.getpid()}n")


@pytest.mark.lab
def test_teardown_kills_processes_and_removes_everything(lab_ready: None) -> None:
    lab = Lab()
    ns = lab.add_namespace("a")
    lab.add_namespace("b")
    tracked = lab.popen(ns, ["sleep", "1000"])
    # a daemon that escaped our process group, as dhclient does when it backgrounds itself
    lab.run(ns, ["sh", "-c", "setsid sleep 1001 >/dev/null 2>&1 < /dev/null &"])
    lab.wait_for(lambda: len(lab.pids(ns)) >= 2, what="both sleepers")
    escaped = [pid for pid in lab.pids(ns) if pid != tracked.pid]
    tmp = lab.tmp
    lab.close()
    assert tracked.poll() is not None
    assert escaped and not any(running(pid) for pid in escaped)
    assert not {f"{lab.id}-a", f"{lab.id}-b"} & namespaces()
    assert not (NETNS_ETC_DIR / ns).exists()
    assert not tmp.exists()
    lab.close()  # idempotent


@pytest.mark.lab
def test_teardown_after_a_failed_setup(lab_ready: None) -> None:
    lab = Lab()
    ns = lab.add_namespace("half")
    with pytest.raises(LabError):
        lab.add_link((ns, "x0"), (f"{lab.id}-missing", "x1"))
    lab.close()
    assert f"{lab.id}-half" not in namespaces()


@pytest.mark.lab
def test_popen_outside_the_lab_is_refused(lab: Lab) -> None:
    with pytest.raises(LabError):
        lab.popen("not-ours", ["true"])


@pytest.mark.lab
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signalled_run_cleans_up(lab_ready: None, sig: int) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from tests.lab.netns import Lab
        with Lab() as lab:
            ns = lab.add_namespace("sig")
            lab.popen(ns, ["sleep", "1000"])
            print(lab.id, flush=True)
            time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert child.stdout is not None
        lab_id = child.stdout.readline().strip()
        assert lab_id.startswith(PREFIX)
        assert f"{lab_id}-sig" in namespaces()
        child.send_signal(sig)
        child.wait(30)
        assert f"{lab_id}-sig" not in namespaces()
        assert not (NETNS_ETC_DIR / f"{lab_id}-sig").exists()
    finally:
        if child.poll() is None:
            child.kill()


@pytest.mark.lab
def test_cleanup_stale_removes_only_dead_runs(lab: Lab) -> None:
    dead_pid = 2**22 + 12345  # above pid_max's default ceiling: no such process
    while Path(f"/proc/{dead_pid}").exists():
        dead_pid += 1
    stale = f"{PREFIX}{dead_pid}n1-server"
    subprocess.run(["ip", "netns", "add", stale], check=True)
    (NETNS_ETC_DIR / stale).mkdir(parents=True, exist_ok=True)
    (NETNS_ETC_DIR / stale / "resolv.conf").write_text("# stale\n")
    live = lab.add_namespace("live")
    removed = cleanup_stale()
    assert stale in removed
    assert stale not in namespaces() and not (NETNS_ETC_DIR / stale).exists()
    assert live in namespaces() and (NETNS_RUN_DIR / live).exists()


@pytest.mark.lab
def test_wait_for_gives_up_with_a_message(lab: Lab) -> None:
    started = time.monotonic()
    with pytest.raises(LabError, match="the impossible"):
        lab.wait_for(lambda: False, timeout=0.2, what="the impossible")
    assert time.monotonic() >= started  # (no timing assertion: only that it returned)


# -- the client hook's parsing: no root needed --------------------------------------------------------


def test_hook_normalises_dhclient() -> None:
    env = {
        "reason": "BOUND",
        "new_ip_address": "192.0.2.100",
        "new_subnet_mask": "255.255.255.0",
        "new_routers": "192.0.2.1 192.0.2.254",
        "new_domain_name_servers": "203.0.113.53 203.0.113.54",
        "new_domain_name": "lab.example",
        "new_dhcp_lease_time": "120",
        "new_dhcp_server_identifier": "192.0.2.1",
    }
    event, reason, lease = hook.normalise("dhclient", env, None)
    assert (event, reason) == ("bound", "BOUND")
    assert lease is not None
    assert lease["prefix_len"] == 24 and lease["routers"] == ["192.0.2.1", "192.0.2.254"]
    assert lease["dns_servers"] == ["203.0.113.53", "203.0.113.54"] and lease["lease_time"] == 120


def test_hook_normalises_udhcpc_and_dhcpcd() -> None:
    event, _, lease = hook.normalise(
        "udhcpc", {"ip": "192.0.2.101", "mask": "25", "router": "192.0.2.1", "dns": "203.0.113.53"}, "renew"
    )
    assert event == "renew" and lease is not None and lease["prefix_len"] == 25
    event, _, lease = hook.normalise(
        "dhcpcd", {"reason": "REBOOT", "new_ip_address": "192.0.2.102", "new_subnet_cidr": "24"}, None
    )
    assert event == "bound" and lease is not None and lease["address"] == "192.0.2.102"
    assert hook.normalise("udhcpc", {}, "deconfig") == ("deconfig", "deconfig", None)
    assert hook.normalise("dhclient", {"reason": "PREINIT"}, None) == ("preinit", "PREINIT", None)
    assert hook.normalise("dhcpcd", {"reason": "CARRIER"}, None)[0] == "other"


def test_not_root_is_a_skip_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.lab import fixtures

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    reason = fixtures.lab_unavailable_reason.__wrapped__()
    assert reason is not None and "root" in reason
