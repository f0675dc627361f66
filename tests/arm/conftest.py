"""Fixtures for the Raspberry Pi packaging tests: the cross build, and ARM root filesystems under qemu.

Rules this module keeps:
- The packages under test are built from this tree by the same command as `make cross` (`python -m
  cross.build`), once per session, so a test never runs against a stale .deb.
- A test that cannot run here (build tools missing, not root, binfmt_misc not allowed) is skipped with the
  reason, never passed.
- Each step's wall time is recorded and printed in pytest's terminal summary ("ARM step times"), whatever
  the capture mode, so the figures the issue asks for are in every test run's output.

Lab fixtures are imported from tests/lab/fixtures.py, as in tests/netif.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cross.rootfs import RootFs, ensure_binfmt, rootfs_tarball
from cross.steps import StepError, Steps
from cross.targets import TARGETS, Target, target
from tests.lab.fixtures import lab, lab_ready, resolv_conf_guard

__all__ = ["lab", "lab_ready", "resolv_conf_guard"]

REPO = Path(__file__).resolve().parents[2]
# The tree that is packaged and whose modules must all import on ARM: this checkout, or (EDGE_CROSS_SOURCE)
# another one, e.g. `git archive HEAD` unpacked, to test a snapshot while the checkout is being edited.
SOURCE = Path(os.environ.get("EDGE_CROSS_SOURCE") or REPO).resolve()
DIST = REPO / "dist"
BUILD_TOOLS = ("mmdebstrap", "dpkg-deb", "file", "lintian") + tuple(t.cc for t in TARGETS.values())
STEP_TABLES: list[Steps] = []
NOTES: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not STEP_TABLES and not NOTES:
        return
    terminalreporter.section("ARM step times")
    for steps in STEP_TABLES:
        terminalreporter.write_line(steps.summary())
    for note in NOTES:
        terminalreporter.write_line(note)


@dataclass(frozen=True)
class Built:
    version: str
    debs: dict[str, Path]
    wheels: dict[str, list[Path]]
    project_wheel: Path
    sdist: Path
    output: str


@pytest.fixture(scope="session")
def built() -> Built:
    """`python -m cross.build` for every target, run once per session; skips if the build tools are missing."""
    missing = [tool for tool in BUILD_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"cross build tools not installed: {', '.join(missing)} (`make system-deps` installs them)"
        )
    result = subprocess.run(
        [sys.executable, "-m", "cross.build", "--source", str(SOURCE)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    summary = (
        result.stdout[result.stdout.find("[cross] step times:") :] if "step times" in result.stdout else ""
    )
    NOTES.append(summary.rstrip())
    if result.returncode != 0:
        pytest.fail(f"cross build failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}", pytrace=False)
    from cross.build import project_version

    version = project_version(SOURCE)
    debs = {arch: DIST / f"edge-dhcp_{version}_{arch}.deb" for arch in TARGETS}
    wheels = {arch: sorted((DIST / "wheels" / arch).glob("*.whl")) for arch in TARGETS}
    return Built(
        version=version,
        debs=debs,
        wheels=wheels,
        project_wheel=DIST / f"edge_dhcp-{version}-py3-none-any.whl",
        sdist=DIST / f"edge_dhcp-{version}.tar.gz",
        output=result.stdout,
    )


def _remove_stale_copies() -> None:
    """Root filesystem copies left by test runs that were killed (their pid is gone); never a live run's."""
    for path in Path(tempfile.gettempdir()).glob("edge-*-rootfs-*"):
        match = re.match(r"edge-\w+-rootfs-(\d+)-", path.name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(match.group(1)), 0)
            continue  # that run is still going
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        try:
            RootFs(path / "root").remove()  # refuses if anything is still mounted inside
        except StepError:
            continue
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Installed:
    """An ARM root filesystem with the .deb installed in it by dpkg."""

    target: Target
    rootfs: RootFs
    deb: Path
    steps: Steps
    dpkg_output: str


@pytest.fixture(scope="module", params=sorted(TARGETS))
def installed(request: pytest.FixtureRequest, built: Built) -> Iterator[Installed]:
    """A fresh copy of the cached `arch` root filesystem with edge-dhcp installed by `dpkg -i` inside it."""
    if os.geteuid() != 0:
        pytest.skip("the qemu tests need root (binfmt_misc, chroot, mounts)")
    t = target(request.param)
    steps = Steps(prefix=f"qemu {t.arch}")
    STEP_TABLES.append(steps)
    with steps.step("binfmt_misc") as note:
        reason = ensure_binfmt(t)
        note.text = f"{t.qemu} enabled" if reason is None else f"not available: {reason}"
    if reason is not None:
        pytest.skip(f"cannot run {t.arch} binaries here: {reason}")
    log = REPO / "build" / "cross" / f"rootfs-{t.arch}.log"
    with steps.step("rootfs (mmdebstrap, cached per machine)") as note:
        try:
            tarball, cached = rootfs_tarball(t, log)
        except StepError as exc:
            pytest.fail(str(exc), pytrace=False)
        note.text = ("cached " if cached else "built ") + tarball.name
    _remove_stale_copies()
    workdir = Path(tempfile.mkdtemp(prefix=f"edge-{t.arch}-rootfs-{os.getpid()}-"))
    rootfs = None
    try:
        with steps.step("extract rootfs"):
            rootfs = RootFs.extract(tarball, workdir / "root")
        deb = built.debs[t.arch]
        with steps.step("dpkg -i (postinst builds /opt/edge-dhcp)") as note:
            shutil.copy(deb, rootfs.file(f"/tmp/{deb.name}"))
            output = rootfs.run(["dpkg", "-i", f"/tmp/{deb.name}"], timeout=900).stdout
            note.text = deb.name
        yield Installed(t, rootfs, deb, steps, output)
    finally:
        if rootfs is not None:
            rootfs.remove()
        shutil.rmtree(workdir, ignore_errors=True)
