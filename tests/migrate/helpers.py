"""Helpers for the migration tests: is this output something Kea 2.2 and edge-dhcp both load?"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import tempfile
from typing import Any

from edge.dhcp4.config import load_text


def kea_binary() -> str | None:
    return shutil.which("kea-dhcp4") or (
        "/usr/sbin/kea-dhcp4" if os.path.exists("/usr/sbin/kea-dhcp4") else None
    )


def kea_check(data: dict[str, Any]) -> str | None:
    """None if kea-dhcp4 -t accepts the configuration (interface names removed), else its error."""
    kea = kea_binary()
    if kea is None:
        return None
    d4 = copy.deepcopy(data["Dhcp4"])
    d4.pop("interfaces-config", None)
    for net in d4.get("shared-networks", []):
        net.pop("interface", None)
        for s in net.get("subnet4", []):
            s.pop("interface", None)
    for s in d4.get("subnet4", []):
        s.pop("interface", None)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "kea.json")
        with open(path, "w") as handle:
            json.dump({"Dhcp4": d4}, handle)
        env = {**os.environ, "KEA_LOCKFILE_DIR": tmp, "KEA_PIDFILE_DIR": tmp}
        result = subprocess.run([kea, "-t", path], capture_output=True, text=True, timeout=60, env=env)
    if result.returncode == 0:
        return None
    return (result.stdout + result.stderr).strip().splitlines()[-1]


def edge_loads(text: str, name: str = "<migrated>") -> None:
    """Raise ConfigError unless edge-dhcp's loader takes the text."""
    load_text(text, name)
