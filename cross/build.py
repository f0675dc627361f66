"""`python -m cross.build`: edge-dhcp for Raspberry Pi, from a clean clone to .debs and wheels (`make cross`).

Rules this module keeps:
- Cross-compiled, never emulated: C extensions are built by the GNU cross compiler against a target sysroot
  extracted from Debian's own arm64/armhf packages, inside a crossenv (1.6.2) cross virtual environment over
  the target's python3.11. No step here runs target code (the qemu tests in tests/arm do that).
- pip is isolated from this machine's pip configuration (PIP_CONFIG_FILE=/dev/null, no find-links or extra
  indexes, a cache of its own), so what it builds comes from the package index alone.
- Every produced extension module is checked with `file` against the target's ELF flavour, and every
  wheel's tag against the target's platform; a mismatch fails the build.
- The slow-to-make parts (sysroot, crossenv) are kept under build/cross/ with a stamp of what they were made
  from and remade only when that changes; wheels and packages are always rebuilt (seconds).
- Each step prints its wall time; the summary at the end repeats them.

Theory of operation, per target (cross/targets.py):
  sysroot   mmdebstrap --variant=extract of python3.11-dev & co. (no maintainer scripts, no emulation)
  crossenv  build/cross/<arch>/venv, compiler given as a wrapper script `<triplet>-gcc --sysroot=SYSROOT`
            (crossenv's --cc keeps only the first word, and its --sysroot does not reach the linker)
  wheels    cross-pip wheel of the project's wheel: resolves and builds every runtime dependency
  check     `file` on each extension; wheel tags
  deb       cross/deb.py, then lintian
and once for all targets: the project's wheel and sdist (pure Python: the `pip install edge-dhcp` fallback).
Outputs in dist/: edge_dhcp-<v>-py3-none-any.whl, edge_dhcp-<v>.tar.gz, wheels/<arch>/*.whl,
edge-dhcp_<v>_<arch>.deb, lintian-<arch>.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from cross import deb as debpkg
from cross.aptsources import debian_sources, forwarded_apt_options
from cross.steps import StepError, Steps, locked, run
from cross.targets import PYTHON_VERSION, SUITE, SYSROOT_PACKAGES, TARGET_PYTHON, TARGETS, Target, target

REPO = Path(__file__).resolve().parents[1]
CROSSENV = "crossenv==1.6.2"
TOOLS = (CROSSENV, "build==1.2.2.post1")
PIP_ENV_DROPPED = (
    "PIP_FIND_LINKS",
    "PIP_EXTRA_INDEX_URL",
    "PIP_NO_INDEX",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_USER",
)


def project_version(source: Path = REPO) -> str:
    with open(source / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def pip_env(cache: Path) -> dict[str, str]:
    """This process's environment with pip's machine configuration taken out and a private cache."""
    env = {k: v for k, v in os.environ.items() if k not in PIP_ENV_DROPPED}
    env.update(
        PIP_CONFIG_FILE="/dev/null",
        PIP_CACHE_DIR=str(cache),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _stamp_matches(stamp: Path, key: dict[str, object]) -> bool:
    try:
        return json.loads(stamp.read_text()) == key
    except (OSError, ValueError):
        return False


class CrossBuild:
    def __init__(self, work: Path, dist: Path, steps: Steps, source: Path = REPO) -> None:
        self.work = work
        self.dist = dist
        self.steps = steps
        self.source = source
        self.version = project_version(source)
        self.log = work / "build.log"

    # -- once -------------------------------------------------------------------------------------------------

    def tools(self) -> Path:
        """A venv with crossenv and build, made from this Python (which must be the target's major.minor)."""
        have = f"{sys.version_info.major}.{sys.version_info.minor}"
        if have != PYTHON_VERSION:
            raise StepError(
                f"the build Python is {have}, the target's is {PYTHON_VERSION}: crossenv needs the same "
                f"major.minor (run with python{PYTHON_VERSION})"
            )
        venv = self.work / "tools"
        stamp = venv / "edge-stamp.json"
        key = {"python": sys.version, "tools": list(TOOLS)}
        with self.steps.step("tools venv (crossenv, build)") as note:
            if _stamp_matches(stamp, key):
                note.text = "cached"
                return venv
            shutil.rmtree(venv, ignore_errors=True)
            run([sys.executable, "-m", "venv", venv], log=self.log)
            env = pip_env(self.work / "pip-cache" / "tools")
            run([venv / "bin/pip", "install", "-q", *TOOLS], log=self.log, env=env)
            stamp.write_text(json.dumps(key))
        return venv

    def project(self, tools: Path) -> Path:
        """The project's own wheel and sdist (pure Python), in dist/."""
        with self.steps.step("project wheel + sdist") as note:
            self.dist.mkdir(parents=True, exist_ok=True)
            for old in self.dist.glob("edge_dhcp-*"):
                old.unlink()
            env = pip_env(self.work / "pip-cache" / "tools")
            run(
                [tools / "bin/python", "-m", "build", "--outdir", self.dist, self.source],
                log=self.log,
                env=env,
                cwd=self.source,
            )
            wheels = sorted(self.dist.glob(f"edge_dhcp-{self.version}-py3-none-any.whl"))
            if len(wheels) != 1:
                raise StepError(f"expected one edge_dhcp-{self.version} wheel in {self.dist}, found {wheels}")
            note.text = f"{wheels[0].name}, {wheels[0].stat().st_size // 1024} KiB"
            return wheels[0]

    # -- per target --------------------------------------------------------------------------------------------

    def sysroot(self, t: Target) -> tuple[Path, dict[str, object]]:
        root = self.work / t.arch / "sysroot"
        stamp = self.work / t.arch / "sysroot.json"
        sources = debian_sources(SUITE)
        key: dict[str, object] = {
            "suite": SUITE,
            "arch": t.arch,
            "packages": list(SYSROOT_PACKAGES),
            "sources": sources,
        }
        with self.steps.step(f"{t.arch}: sysroot") as note:
            if _stamp_matches(stamp, key) and (root / TARGET_PYTHON.lstrip("/")).exists():
                note.text = "cached"
                return root, key
            shutil.rmtree(root, ignore_errors=True)
            stamp.unlink(missing_ok=True)
            root.parent.mkdir(parents=True, exist_ok=True)
            argv = [
                "mmdebstrap",
                "--variant=extract",
                f"--architectures={t.arch}",
                "--include=" + ",".join(SYSROOT_PACKAGES),
            ]
            argv += [f"--aptopt={option}" for option in forwarded_apt_options()]
            run([*argv, SUITE, root, *sources], log=self.log, timeout=1200)
            stamp.write_text(json.dumps(key))
            note.text = f"{sum(1 for _ in root.rglob('*'))} files"
        return root, key

    def crossenv(self, t: Target, tools: Path, sysroot: Path, sysroot_key: dict[str, object]) -> Path:
        base = self.work / t.arch
        venv = base / "venv"
        cc = base / "cc"
        stamp = base / "venv.json"
        key = {"crossenv": CROSSENV, "sysroot": sysroot_key, "python": sys.version, "machine": t.machine}
        with self.steps.step(f"{t.arch}: crossenv") as note:
            if _stamp_matches(stamp, key) and (venv / "bin/cross-pip").exists():
                note.text = "cached"
                return venv
            if shutil.which(t.cc) is None:
                raise StepError(f"{t.cc} is not installed (Debian package gcc-{t.triplet})")
            cc.write_text(f'#!/bin/sh\nexec {t.cc} --sysroot="{sysroot}" "$@"\n')
            cc.chmod(0o755)
            shutil.rmtree(venv, ignore_errors=True)
            argv = [
                tools / "bin/python",
                "-m",
                "crossenv",
                sysroot / TARGET_PYTHON.lstrip("/"),
                venv,
                "--cc",
                cc,
                "--sysroot",
                sysroot,
                "--machine",
                t.machine,
            ]
            run(argv, log=self.log, env=pip_env(self.work / "pip-cache" / t.arch))
            stamp.write_text(json.dumps(key))
            note.text = f"cc = {cc.name} -> {t.cc}"
        return venv

    def wheels(self, t: Target, venv: Path, project_wheel: Path) -> list[Path]:
        out = self.dist / "wheels" / t.arch
        with self.steps.step(f"{t.arch}: wheels") as note:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            argv = [venv / "bin/cross-pip", "wheel", "--use-pep517", "--wheel-dir", out, project_wheel]
            run(argv, log=self.log, env=pip_env(self.work / "pip-cache" / t.arch))
            found = sorted(out.glob("*.whl"))
            note.text = ", ".join(w.name for w in found)
        return found

    def check(self, t: Target, wheels: list[Path]) -> list[str]:
        """`file` on every extension module in `wheels`; every wheel pure or tagged for this target."""
        with self.steps.step(f"{t.arch}: check extensions") as note:
            seen = []
            for wheel in wheels:
                tags = wheel.name[: -len(".whl")].split("-")[-3:]
                if tags[2] not in ("any", t.wheel_platform):
                    raise StepError(
                        f"{wheel.name}: platform tag {tags[2]}, expected {t.wheel_platform} or any"
                    )
                with zipfile.ZipFile(wheel) as zf:
                    modules = [n for n in zf.namelist() if n.endswith(".so") or ".so." in n]
                    if modules and tags[2] == "any":
                        raise StepError(f"{wheel.name} is tagged pure but contains {modules}")
                    if not modules and tags[2] != "any":
                        raise StepError(f"{wheel.name} is tagged {tags[2]} but has no extension module")
                    for name in modules:
                        extracted = self.work / t.arch / "check" / Path(name).name
                        extracted.parent.mkdir(parents=True, exist_ok=True)
                        extracted.write_bytes(zf.read(name))
                        described = run(["file", "-b", extracted]).strip()
                        if t.elf not in described:
                            raise StepError(f"{wheel.name}: {name} is {described!r}, expected {t.elf!r}")
                        seen.append(f"{name}: {described.split(', BuildID')[0]}")
            if not seen:
                raise StepError(f"no extension module in the {t.arch} wheels: netifaces should be one")
            note.text = "; ".join(seen)
            for line in seen:
                print(f"    file: {line}")
            return seen

    def package(self, t: Target, wheels: list[Path], run_lintian: bool) -> debpkg.DebInfo:
        with self.steps.step(f"{t.arch}: deb") as note:
            info = debpkg.build_deb(t, self.version, wheels, self.dist, self.work / t.arch / "deb", self.log)
            note.text = (
                f"{info.path.name}, {info.size / 1024:.0f} KiB, installed {info.installed_size_kib} KiB"
            )
        if run_lintian and shutil.which("lintian"):
            with self.steps.step(f"{t.arch}: lintian") as note:
                report = self.dist / f"lintian-{t.arch}.txt"
                tags = debpkg.lintian(info.path, report)
                left = debpkg.unexplained(tags)
                if left:
                    raise StepError(
                        f"lintian on {info.path.name} (full report {report}):\n" + "\n".join(left)
                    )
                note.text = f"{len(tags)} tag(s), none unexplained; report {report.name}"
        return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cross.build", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--arch", action="append", choices=sorted(TARGETS), help="target (repeatable; default: all)"
    )
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="output directory (default: dist/)")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "cross", help="work directory")
    parser.add_argument("--no-lintian", action="store_true", help="skip lintian")
    parser.add_argument(
        "--source",
        type=Path,
        default=REPO,
        help="project tree to package (default: this checkout; e.g. a `git archive` export)",
    )
    args = parser.parse_args(argv)
    steps = Steps(prefix="cross")
    build = CrossBuild(args.work.resolve(), args.dist.resolve(), steps, args.source.resolve())
    build.work.mkdir(parents=True, exist_ok=True)
    with locked(build.work / ".lock"):  # another build (tests, `make image`) may share the work directory
        build.log.write_text("")
        try:
            tools = build.tools()
            project_wheel = build.project(tools)
            built = []
            for arch in args.arch or list(TARGETS):
                t = target(arch)
                sysroot, key = build.sysroot(t)
                venv = build.crossenv(t, tools, sysroot, key)
                wheels = build.wheels(t, venv, project_wheel)
                build.check(t, wheels)
                built.append(build.package(t, wheels, not args.no_lintian))
        except (StepError, subprocess.SubprocessError, OSError) as exc:
            print(steps.summary())
            print(f"cross build FAILED: {exc}", file=sys.stderr)
            return 1
    print(steps.summary())
    for info in built:
        digest = hashlib.sha256(info.path.read_bytes()).hexdigest()[:16]
        print(
            f"  {info.path}  {info.size / 1024:.0f} KiB  (installed {info.installed_size_kib} KiB, sha256 {digest}...)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
