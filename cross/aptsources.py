"""Which Debian mirror (and which apt settings) this machine uses, read at run time from its apt config.

Rules this module keeps:
- No mirror host name is written in the repository: sysroots and root filesystems are fetched from the
  mirror this machine's own apt is configured with, so a build works wherever `apt-get install` works.
- Both source formats are read: one-line `.list` files (`deb [opts] URI SUITE COMPONENT...`) and deb822
  `.sources` files (`Types:`, `URIs:`, `Suites:`, `Components:`, `Enabled:`).
- `EDGE_DEBIAN_MIRROR` (a URI), when set, overrides the discovery for machines whose apt is not Debian's.
- A few settings that decide whether a download works at all (proxies, snapshot mirrors whose Release files
  are past their Valid-Until) are copied from this machine's apt into the one mmdebstrap runs.

Theory of operation: `read_sources()` lists every enabled `deb` entry; `debian_sources(suite)` picks the one
that serves `suite` (or, failing that, any Debian archive, with the suite swapped in) and returns the
source lines for SUITE and SUITE-updates (and SUITE-security when asked and configured).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

APT_ETC = Path("/etc/apt")
# apt settings that decide whether a download works; copied into mmdebstrap's apt when this machine sets them.
FORWARDED_OPTIONS = (
    "Acquire::Check-Valid-Until",
    "Acquire::Check-Date",
    "Acquire::http::Proxy",
    "Acquire::https::Proxy",
    "Acquire::Retries",
)


class AptSourcesError(RuntimeError):
    """No usable Debian mirror could be found in this machine's apt configuration."""


@dataclass(frozen=True)
class Entry:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    origin: str  # file it came from, for messages


def _one_line(path: Path) -> list[Entry]:
    entries = []
    for raw in path.read_text(errors="replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        line = re.sub(r"\[[^\]]*\]", " ", line[4:])  # [arch=... signed-by=...] options
        fields = line.split()
        if len(fields) >= 2:
            entries.append(Entry(fields[0], (fields[1],), tuple(fields[2:]), str(path)))
    return entries


def _deb822(path: Path) -> list[Entry]:
    entries = []
    for stanza in re.split(r"\n\s*\n", path.read_text(errors="replace")):
        fields: dict[str, str] = {}
        key = None
        for raw in stanza.splitlines():
            if raw.startswith("#"):
                continue
            if raw[:1].isspace() and key is not None:
                fields[key] += " " + raw.strip()
                continue
            if ":" in raw:
                key, value = raw.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() in ("no", "false", "0"):
            continue
        suites = tuple(fields.get("suites", "").split())
        for uri in fields.get("uris", "").split():
            entries.append(Entry(uri, suites, tuple(fields.get("components", "").split()), str(path)))
    return entries


def read_sources(etc: Path = APT_ETC) -> list[Entry]:
    """Every enabled binary-package (`deb`) entry in this machine's apt sources, in apt's reading order."""
    entries: list[Entry] = []
    main = etc / "sources.list"
    if main.is_file():
        entries += _one_line(main)
    parts = etc / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".list":
                entries += _one_line(path)
            elif path.suffix == ".sources":
                entries += _deb822(path)
    return entries


def _is_debian_archive(entry: Entry, security: bool) -> bool:
    path = entry.uri.rstrip("/").rsplit("/", 1)[-1]
    return path == ("debian-security" if security else "debian")


def debian_sources(suite: str, etc: Path = APT_ETC, security: bool = False) -> list[str]:
    """Source lines (one-line format) for `suite` and `suite`-updates, main component; with `security`, also
    `suite`-security when this machine has it. Off by default: headers and the Python runtime from the point
    releases are what builds and tests need, and a security mirror caught mid-sync fails the whole fetch."""
    override = os.environ.get("EDGE_DEBIAN_MIRROR", "").strip()
    if override:
        return [f"deb {override} {suite} main", f"deb {override} {suite}-updates main"]
    entries = read_sources(etc)
    archive = next((e for e in entries if suite in e.suites), None)
    if archive is None:
        archive = next((e for e in entries if _is_debian_archive(e, security=False)), None)
    if archive is None:
        raise AptSourcesError(
            f"no Debian archive found in {etc}/sources.list{{,.d}} to fetch {suite} from; "
            "set EDGE_DEBIAN_MIRROR to a Debian mirror URI"
        )
    lines = [f"deb {archive.uri} {suite} main", f"deb {archive.uri} {suite}-updates main"]
    if not security:
        return lines
    sec = next((e for e in entries if f"{suite}-security" in e.suites), None)
    if sec is None:
        sec = next((e for e in entries if _is_debian_archive(e, security=True)), None)
    if sec is not None:
        lines.append(f"deb {sec.uri} {suite}-security main")
    return lines


def forwarded_apt_options() -> list[str]:
    """apt.conf lines for the settings in FORWARDED_OPTIONS that this machine's apt has set."""
    try:
        dump = subprocess.run(["apt-config", "dump"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    wanted = {name.lower() for name in FORWARDED_OPTIONS}
    lines = []
    for line in dump.splitlines():
        match = re.match(r'^(\S+) "(.*)";$', line)
        if match and match.group(1).lower() in wanted:
            lines.append(f'{match.group(1)} "{match.group(2)}";')
    return lines
