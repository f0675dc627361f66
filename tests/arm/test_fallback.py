"""The pure-Python fallback: `pip install edge-dhcp` from the sdist (and the wheel) into a fresh environment.

This is what a board without a .deb does (another distribution, a non-Debian ARM board): pip builds the
project from its sdist with the build backend pyproject.toml names, and netifaces from source with the
board's compiler (or takes a wheel the index has). Here the "board" is this machine: a new venv, this
machine's Python, pip isolated from the machine's pip configuration like the cross build is. The installed
command must then run: --version, `check` of the configuration the .deb ships, and the C extension loads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cross.build import pip_env
from cross.rootfs import cache_dir
from tests.arm.conftest import REPO

pytestmark = [pytest.mark.arm, pytest.mark.slow]


def _run(argv: list[str | Path], env: dict[str, str], cwd: Path) -> str:
    # cwd away from the checkout, or `python -c` would import edge from it instead of the venv
    result = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, env=env, timeout=900, cwd=cwd
    )
    assert result.returncode == 0, (
        f"{argv} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


@pytest.mark.parametrize("artifact", ["sdist", "wheel"])
def test_pip_install_edge_dhcp_runs(artifact: str, built, tmp_path: Path) -> None:
    env = pip_env(cache_dir() / "pip-fallback")
    env.pop("PYTHONPATH", None)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], env, tmp_path)
    source = built.sdist if artifact == "sdist" else built.project_wheel
    assert source.is_file()
    _run([venv / "bin/pip", "install", "-q", source], env, tmp_path)
    assert _run([venv / "bin/edge-dhcp", "--version"], env, tmp_path).strip() == f"edge-dhcp {built.version}"
    checked = _run(
        [venv / "bin/edge-dhcp", "check", "-c", REPO / "cross/debian/edge-dhcp.json"], env, tmp_path
    )
    assert checked.startswith("OK")
    located = _run(
        [
            venv / "bin/python",
            "-c",
            "import edge, netifaces; print(edge.__file__); print(netifaces.__file__)",
        ],
        env,
        tmp_path,
    )
    edge_file, netifaces_file = located.split()
    assert edge_file.startswith(str(venv)) and netifaces_file.startswith(str(venv))
