"""Helpers for the DHCPv6 migration tests: does kea-dhcp6 -t take this output? Where are keama's v6 cases?"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared" / "conformance" / "keama"
# keama's test directory in a clone of isc-projects/dhcp (KEAMA_DHCP_REPO overrides), read with git show
DHCP_REPO = Path(os.environ.get("KEAMA_DHCP_REPO", "/work/.mirror/isc-projects+dhcp/repo"))


def kea6_binary() -> str | None:
    return shutil.which("kea-dhcp6") or (
        "/usr/sbin/kea-dhcp6" if os.path.exists("/usr/sbin/kea-dhcp6") else None
    )


def kea6_check(data: dict[str, Any]) -> str | None:
    """None if kea-dhcp6 -t accepts the configuration (interface names removed), else its last line."""
    kea = kea6_binary()
    if kea is None:
        return None
    d6 = copy.deepcopy(data["Dhcp6"])
    d6.pop("interfaces-config", None)
    for net in d6.get("shared-networks", []):
        net.pop("interface", None)
    for holder in [d6, *d6.get("shared-networks", [])]:
        for s in holder.get("subnet6", []):
            s.pop("interface", None)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "kea.json")
        with open(path, "w") as handle:
            json.dump({"Dhcp6": d6}, handle)
        env = {**os.environ, "KEA_LOCKFILE_DIR": tmp, "KEA_PIDFILE_DIR": tmp}
        result = subprocess.run([kea, "-t", path], capture_output=True, text=True, timeout=60, env=env)
    if result.returncode == 0:
        return None
    return (result.stdout + result.stderr).strip().splitlines()[-1]


def keama6_cases(into: Path) -> Path | None:
    """A directory holding keama's test files (v6 ones included), or None when there is no copy here:
    ../shared/conformance/keama if it has v6 cases, else the files of keama/tests in the dhcp clone."""
    if SHARED.is_dir() and any(SHARED.glob("*.in6")):
        return SHARED
    if not (DHCP_REPO / "HEAD").exists() and not (DHCP_REPO / ".git").exists():
        return None
    listing = subprocess.run(
        ["git", "-C", str(DHCP_REPO), "ls-tree", "--name-only", "HEAD", "keama/tests/"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if listing.returncode != 0:
        return None
    for name in listing.stdout.split():
        base = name.rsplit("/", 1)[-1]
        if base.rsplit(".", 1)[-1] not in ("in6", "inD", "inN", "err6", "err", "msg", "out"):
            continue
        blob = subprocess.run(
            ["git", "-C", str(DHCP_REPO), "show", f"HEAD:{name}"], capture_output=True, timeout=60
        )
        (into / base).write_bytes(blob.stdout)
    return into
