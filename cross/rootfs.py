"""Minimal Debian root filesystems for arm64/armhf, run under qemu-user, cached between runs on one machine.

Rules this module keeps:
- Real target code under real emulation: binaries in the root filesystem are ARM; the kernel hands them to
  qemu-user through binfmt_misc (`ensure_binfmt`). The entry must have the F flag (interpreter opened when it
  was registered), so nothing of qemu has to be copied into a chroot.
- The slow part, mmdebstrap running maintainer scripts under emulation (minutes), is done once per machine:
  the result is a tarball in the cache (default /var/cache/edge-dhcp, or $EDGE_CACHE_DIR), named by a hash of
  everything it was made from (suite, architecture, package list, sources, format version). The .debs it
  downloaded are kept beside it, so even a rebuild after a package list change fetches only what is new.
  Builds of one tarball are serialised with a lock file; a half-written tarball never takes the final name.
- Every run gets a fresh copy (`RootFs.extract`), so no test sees what an earlier one left.
- Commands run in the root filesystem through `chroot` inside a private mount namespace (`unshare --mount`,
  or the one `ip netns exec` makes) that has /proc mounted: when the command ends, the mount is gone with
  its namespace, and nothing is ever mounted into the machine's own namespace. `RootFs.remove` refuses to
  delete a tree that has anything mounted inside it.

Theory of operation: `rootfs_tarball(arch)` returns the cached tarball, building it if needed;
`RootFs.extract(tarball, dest)` unpacks it; `RootFs.command(argv)` is the argv that runs `argv` inside it
(to give to `Lab.popen`/`Lab.run` for a network namespace) and `RootFs.run(argv)` runs it directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from cross.aptsources import debian_sources, forwarded_apt_options
from cross.steps import StepError, locked, run
from cross.targets import PYTHON_VERSION, SUITE, Target

FORMAT = 1  # bump when the way a root filesystem is made changes, to invalidate cached ones
VARIANT = "essential"
# What the edge-dhcp .deb depends on; everything else is Essential: yes and comes with the variant.
PACKAGES = (f"python{PYTHON_VERSION}", "python3-pip-whl", "adduser")
BINFMT = Path("/proc/sys/fs/binfmt_misc")
CHROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root", "TERM": "dumb"}


def cache_dir() -> Path:
    return Path(os.environ.get("EDGE_CACHE_DIR", "/var/cache/edge-dhcp"))


# -- binfmt_misc ---------------------------------------------------------------------------------------------


def binfmt_state(t: Target) -> str | None:
    """None when ARM binaries of `t` run here through qemu-user with the F flag, else why they do not."""
    entry = BINFMT / t.qemu
    try:
        text = entry.read_text()
    except OSError:
        return f"{entry} is not registered"
    lines = text.splitlines()
    if not lines or lines[0].strip() != "enabled":
        return f"{entry} is disabled"
    flags = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("flags:")), "")
    if "F" not in flags:
        return f"{entry} lacks the F flag (flags {flags!r}): a chroot would need qemu inside it"
    return None


def ensure_binfmt(t: Target) -> str | None:
    """Mount binfmt_misc and enable qemu-user for `t` where the kernel allows it; None on success, else why not."""
    if binfmt_state(t) is None:
        return None
    if not (BINFMT / "status").exists():
        mounted = subprocess.run(
            ["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], capture_output=True, text=True
        )
        if mounted.returncode != 0:
            return f"cannot mount binfmt_misc: {mounted.stderr.strip()}"
    if shutil.which("update-binfmts") is None:
        return "update-binfmts (binfmt-support) is not installed"
    enabled = subprocess.run(["update-binfmts", "--enable", t.qemu], capture_output=True, text=True)
    state = binfmt_state(t)
    if state is not None:
        return f"{state} (update-binfmts --enable {t.qemu}: {enabled.stderr.strip() or enabled.returncode})"
    return None


# -- the cached tarball --------------------------------------------------------------------------------------


def rootfs_key(t: Target, sources: list[str], packages: Sequence[str] = PACKAGES) -> str:
    described = {
        "format": FORMAT,
        "suite": SUITE,
        "arch": t.arch,
        "variant": VARIANT,
        "packages": sorted(packages),
        "sources": sources,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


_locked = locked  # the name board/rootfs.py imports


def rootfs_tarball(t: Target, log: Path, packages: Sequence[str] = PACKAGES) -> tuple[Path, bool]:
    """The cached root filesystem tarball for `t` and whether it was already there (built if it was not)."""
    sources = debian_sources(SUITE)
    key = rootfs_key(t, sources, packages)
    store = cache_dir() / "rootfs"
    tarball = store / f"{SUITE}-{t.arch}-{key}.tar"
    with _locked(store / f".{t.arch}.lock"):
        if tarball.exists():
            return tarball, True
        reason = ensure_binfmt(t)
        if reason is not None:
            raise StepError(f"cannot build an {t.arch} root filesystem: {reason}")
        archives = cache_dir() / "apt-archives" / t.arch
        archives.mkdir(parents=True, exist_ok=True)
        partial = tarball.with_suffix(".tar.partial")
        partial.unlink(missing_ok=True)
        quoted = shlex.quote(str(archives))
        argv = [
            "mmdebstrap",
            "--mode=root",
            f"--variant={VARIANT}",
            f"--architectures={t.arch}",
            "--include=" + ",".join(packages),
            "--format=tar",
            "--skip=essential/unlink",
            '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
            f"--setup-hook=sync-in {quoted} /var/cache/apt/archives/",
            f"--customize-hook=sync-out /var/cache/apt/archives {quoted}",
        ]
        argv += [f"--aptopt={option}" for option in forwarded_apt_options()]
        run([*argv, SUITE, partial, *sources], log=log, timeout=1800)
        partial.rename(tarball)
        for old in store.glob(f"{SUITE}-{t.arch}-*.tar"):  # tarballs of earlier package lists
            if old != tarball:
                old.unlink(missing_ok=True)
        return tarball, False


# -- one extracted copy --------------------------------------------------------------------------------------


class RootFs:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def extract(cls, tarball: Path, dest: Path) -> RootFs:
        dest.mkdir(parents=True, exist_ok=False)
        run(["tar", "-xf", tarball, "-C", dest, "--numeric-owner"], timeout=600)
        return cls(dest)

    def command(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
        """argv running `argv` in the root filesystem; must itself run in a private mount namespace."""
        root = shlex.quote(str(self.path))
        script = f'mount -t proc proc {root}/proc && exec chroot {root} "$@"'
        environ = [f"{k}={v}" for k, v in {**CHROOT_ENV, **(env or {})}.items()]
        return ["/bin/sh", "-c", script, "in-rootfs", "/usr/bin/env", "-i", *environ, *[str(a) for a in argv]]

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 600,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` in the root filesystem (private mount namespace, this machine's network namespace)."""
        full = ["unshare", "--mount", "--propagation", "private", *self.command(argv, env)]
        result = subprocess.run(full, capture_output=True, text=True, errors="replace", timeout=timeout)
        if check and result.returncode != 0:
            raise StepError(
                f"in {self.path}: {shlex.join(argv)} exited {result.returncode}\n"
                f"stdout: {result.stdout[-3000:]}\nstderr: {result.stderr[-3000:]}"
            )
        return result

    def file(self, inside: str) -> Path:
        return self.path / inside.lstrip("/")

    def mounts_inside(self) -> list[str]:
        prefix = str(self.path.resolve()) + "/"
        with open("/proc/self/mounts") as handle:
            points = [line.split()[1] for line in handle]
        return [p for p in points if (p + "/").startswith(prefix)]

    def remove(self) -> None:
        mounted = self.mounts_inside()
        if mounted:
            raise StepError(f"not deleting {self.path}: still mounted inside it: {mounted}")
        shutil.rmtree(self.path, ignore_errors=True)
