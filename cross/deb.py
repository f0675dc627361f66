"""The edge-dhcp .deb: lays out the package tree from cross/debian/ and the target's wheels, then dpkg-deb.

Rules this module keeps:
- What the package contains is written here once, as the table `LAYOUT` (source in cross/debian/ -> path in
  the package, mode); the maintainer scripts and the unit are plain files in cross/debian/ to read as they are.
- The package carries wheels, not an installed tree: postinst builds /opt/edge-dhcp from them with no
  network (see cross/debian/postinst), so the same wheels are what `pip install` would have used.
- Reproducible where it is cheap: file modes normalised, gzip without names or times, SOURCE_DATE_EPOCH (or
  the last commit's time) for the changelog date and dpkg-deb's timestamps; owner root:root.
- `lintian()` runs lintian on the built package; `unexplained()` is what is left once the tags explained in
  LINTIAN_EXPLAINED are taken out, and the build fails on it.

Theory of operation: `build_deb()` writes the tree into a fresh staging directory, fills in control
(Installed-Size from the tree), md5sums, and calls `dpkg-deb --root-owner-group --build`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cross.steps import StepError, run
from cross.targets import PYTHON_VERSION, SUITE, Target

DEBIAN_DIR = Path(__file__).resolve().parent / "debian"
PACKAGE = "edge-dhcp"
WHEEL_DIR = "usr/lib/edge-dhcp/wheels"
CONFFILE = "etc/edge-dhcp/edge-dhcp.json"

# source in cross/debian/ -> (path in the package, mode, gzip it, fill in @PLACEHOLDERS@)
LAYOUT: dict[str, tuple[str, int, bool, bool]] = {
    "edge-dhcp.json": (CONFFILE, 0o644, False, False),
    "edge-dhcp.service": ("lib/systemd/system/edge-dhcp.service", 0o644, False, False),
    "edge-dhcp.wrapper": ("usr/sbin/edge-dhcp", 0o755, False, False),
    "edge-dhcp.8": ("usr/share/man/man8/edge-dhcp.8.gz", 0o644, True, True),
    "copyright": ("usr/share/doc/edge-dhcp/copyright", 0o644, False, False),
    "changelog.in": ("usr/share/doc/edge-dhcp/changelog.gz", 0o644, True, True),
}
MAINTAINER_SCRIPTS = ("postinst", "prerm", "postrm")

# lintian tags this package is known to raise, with the reason they are accepted (see the README). Only
# errors and warnings fail the build unless listed here; info tags are listed for the record.
LINTIAN_EXPLAINED: dict[str, str] = {
    "package-supports-alternative-init-but-no-init.d-script": (
        "info only: a systemd unit and no SysV script; Raspberry Pi OS and Debian boot with systemd"
    ),
}


@dataclass(frozen=True)
class DebInfo:
    path: Path
    version: str
    arch: str
    size: int  # bytes of the .deb
    installed_size_kib: int


def _source_date() -> int:
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env and env.isdigit():
        return int(env)
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], capture_output=True, text=True, cwd=DEBIAN_DIR, timeout=10
        ).stdout.strip()
        if out.isdigit():
            return int(out)
    except OSError:
        pass
    return int(time.time())


def maintainer() -> str:
    """Debian's DEBFULLNAME/DEBEMAIL when set, else the author of the last commit."""
    name, email = os.environ.get("DEBFULLNAME", ""), os.environ.get("DEBEMAIL", "")
    if name and email:
        return f"{name} <{email}>"
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%an <%ae>"],
            capture_output=True,
            text=True,
            cwd=DEBIAN_DIR,
            timeout=10,
        ).stdout.strip()
    except OSError:
        out = ""
    return (
        out
        if re.fullmatch(r"[^<>]+ <[^<>@\s]+@[^<>\s]+>", out)
        else "edge-dhcp maintainers <maintainers@edge-dhcp.invalid>"
    )


def _fill(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"no value for @{key}@")
        return values[key]

    return re.sub(r"@([A-Z_]+)@", one, text)


def _write(path: Path, data: bytes, mode: int, compress: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
        ):
            gz.write(data)
    else:
        path.write_bytes(data)
    path.chmod(mode)


def build_deb(
    target: Target, version: str, wheels: list[Path], out_dir: Path, staging: Path, log: Path
) -> DebInfo:
    """Build edge-dhcp_<version>_<arch>.deb in `out_dir` carrying `wheels`; returns what was built."""
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    epoch = _source_date()
    values = {
        "VERSION": version,
        "ARCH": target.arch,
        "SUITE": SUITE,
        "PYTHON": f"python{PYTHON_VERSION}",
        "MAINTAINER": maintainer(),
        "DATE": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(epoch)),
    }
    for source, (dest, mode, compress, fill) in LAYOUT.items():
        data = (DEBIAN_DIR / source).read_text()
        if fill:
            data = _fill(data, values)
        _write(staging / dest, data.encode(), mode, compress)
    for wheel in sorted(wheels):
        _write(staging / WHEEL_DIR / wheel.name, wheel.read_bytes(), 0o644, False)
    for directory in [p for p in staging.rglob("*") if p.is_dir()] + [staging]:
        directory.chmod(0o755)

    md5sums = []
    installed = 0
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        rel = path.relative_to(staging).as_posix()
        md5sums.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {rel}\n")
        installed += path.stat().st_size
    installed_kib = (installed + 1023) // 1024 + len(list(staging.rglob("*")))  # files + one block per entry

    control = staging / "DEBIAN"
    control.mkdir(mode=0o755)
    values["INSTALLED_SIZE"] = str(installed_kib)
    _write(control / "control", _fill((DEBIAN_DIR / "control.in").read_text(), values).encode(), 0o644, False)
    _write(control / "conffiles", (DEBIAN_DIR / "conffiles").read_bytes(), 0o644, False)
    _write(control / "md5sums", "".join(md5sums).encode(), 0o644, False)
    for script in MAINTAINER_SCRIPTS:
        _write(control / script, _fill((DEBIAN_DIR / script).read_text(), values).encode(), 0o755, False)

    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{PACKAGE}_{version}_{target.arch}.deb"
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", staging, deb], log=log, env=env)
    return DebInfo(deb, version, target.arch, deb.stat().st_size, installed_kib)


def lintian(deb: Path, log: Path) -> list[str]:
    """lintian's tag lines for `deb` (errors, warnings, info and pedantic ones); the report goes to `log`."""
    result = subprocess.run(
        ["lintian", "--tag-display-limit", "0", "--display-info", "--pedantic", str(deb)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(result.stdout + result.stderr)
    if result.returncode not in (0, 2):  # 2: tags at the --fail-on level (error); 1: lintian itself failed
        raise StepError(f"lintian failed ({result.returncode}):\n{result.stderr}")
    return [line for line in result.stdout.splitlines() if re.match(r"^[EWIXP]: ", line)]


def unexplained(tags: list[str]) -> list[str]:
    """Errors and warnings that LINTIAN_EXPLAINED does not account for."""
    left = []
    for line in tags:
        match = re.match(r"^([EW]): \S+: (\S+)", line)
        if match and match.group(2) not in LINTIAN_EXPLAINED:
            left.append(line)
    return left
