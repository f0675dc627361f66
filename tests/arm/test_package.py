"""The .deb packages and the shipped configuration, checked on the build machine (no emulation).

What an owner gets is fixed here: the control fields, the exact file list with owners and modes, the
conffile, the maintainer scripts' syntax, the unit's privileges and directories (and that they agree with
the paths in the shipped configuration), lintian, and that the shipped configuration serves its own
network on eth0 and nobody else's. The last one runs the real engine on packets (sans-IO), so no address
outside the documentation ranges ever goes on a wire.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cross import deb as debpkg
from cross.targets import TARGETS
from edge.dhcp4.config import load_file
from edge.dhcp4.engine import Engine, Inbound
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.wire import pkt4 as wire
from tests.arm.conftest import REPO
from tests.dhcp4.helpers import client_packet, mac

SHIPPED_CONFIG = REPO / "cross" / "debian" / "edge-dhcp.json"
UNIT = REPO / "cross" / "debian" / "edge-dhcp.service"
ARCHES = sorted(TARGETS)

pytestmark = pytest.mark.arm


def dpkg_deb(*args: str) -> str:
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, check=True).stdout


def unit_settings(text: str) -> dict[str, list[str]]:
    """systemd unit `Key=value` lines (keys may repeat), ignoring sections and comments."""
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


@pytest.mark.parametrize("arch", ARCHES)
def test_control_fields(arch: str, built) -> None:
    deb = str(built.debs[arch])
    fields = {
        name: dpkg_deb("-f", deb, name).strip() for name in ("Package", "Version", "Architecture", "Depends")
    }
    assert fields == {
        "Package": "edge-dhcp",
        "Version": built.version,
        "Architecture": arch,
        "Depends": "python3.11, python3-pip-whl, adduser, init-system-helpers (>= 1.52)",
    }
    assert re.fullmatch(r"[^<>]+ <[^<>@\s]+@[^<>\s]+>", dpkg_deb("-f", deb, "Maintainer").strip())
    assert int(dpkg_deb("-f", deb, "Installed-Size")) > 0
    assert built.debs[arch].name == f"edge-dhcp_{built.version}_{arch}.deb"


@pytest.mark.parametrize("arch", ARCHES)
def test_file_list_owners_and_modes(arch: str, built) -> None:
    listing = {}
    for line in dpkg_deb("-c", str(built.debs[arch])).splitlines():
        mode, owner, _size, _date, _time, path = line.split(None, 5)
        listing[path.removeprefix(".")] = (mode, owner)
    files = {path: value for path, value in listing.items() if not path.endswith("/")}
    expected = {"/" + dest: mode for dest, mode, _, _ in debpkg.LAYOUT.values()}
    expected.update({f"/{debpkg.WHEEL_DIR}/{w.name}": 0o644 for w in built.wheels[arch]})
    assert set(files) == set(expected)
    for path, (mode, owner) in listing.items():
        assert owner == "root/root", path
        if path.endswith("/"):
            assert mode == "drwxr-xr-x", path
        else:
            assert mode == ("-rwxr-xr-x" if expected[path] == 0o755 else "-rw-r--r--"), path
    wheel_names = [w.name for w in built.wheels[arch]]
    assert any(
        n.startswith("netifaces-") and n.endswith(f"linux_{TARGETS[arch].machine}.whl") for n in wheel_names
    )
    assert f"edge_dhcp-{built.version}-py3-none-any.whl" in wheel_names


@pytest.mark.parametrize("arch", ARCHES)
def test_conffile_and_maintainer_scripts(arch: str, built, tmp_path: Path) -> None:
    control = tmp_path / "DEBIAN"
    subprocess.run(["dpkg-deb", "-e", str(built.debs[arch]), str(control)], check=True)
    assert (control / "conffiles").read_text() == "/etc/edge-dhcp/edge-dhcp.json\n"
    for script in debpkg.MAINTAINER_SCRIPTS:
        path = control / script
        assert path.stat().st_mode & 0o777 == 0o755
        text = path.read_text()
        assert text.startswith("#!/bin/sh\n") and "\nset -e\n" in text
        assert "@" not in re.sub(r"[\w.+-]+@[\w.-]+", "", text), f"unfilled placeholder in {script}"
        subprocess.run(["sh", "-n", str(path)], check=True)
    postinst = (control / "postinst").read_text()
    assert f'"edge-dhcp=={built.version}"' in postinst and "--no-index" in postinst


def test_unit_privileges_and_directories_agree_with_the_shipped_config() -> None:
    unit = unit_settings(UNIT.read_text())
    assert unit["Type"] == ["simple"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["User"] == ["_edge-dhcp"]
    wanted = {"CAP_NET_RAW", "CAP_NET_BIND_SERVICE"}
    assert set(unit["CapabilityBoundingSet"][0].split()) == wanted
    assert set(unit["AmbientCapabilities"][0].split()) == wanted
    assert unit["NoNewPrivileges"] == ["yes"]
    # the v4 file always; the v6 file beside it when present (one process serves both families)
    assert unit["ExecStart"] == [
        "/bin/sh -c 'exec /opt/edge-dhcp/bin/edge-dhcp serve -c /etc/edge-dhcp/edge-dhcp.json"
        " $$(test -f /etc/edge-dhcp/edge-dhcp6.json && echo -c /etc/edge-dhcp/edge-dhcp6.json)'"
    ]
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert unit["ConditionPathExists"] == ["/etc/edge-dhcp/edge-dhcp.json"]
    config = load_file(str(SHIPPED_CONFIG))
    assert Path(config.lease_database.name).parent == Path("/var/lib") / unit["StateDirectory"][0]
    sockets = [c.socket_name for c in config.control_sockets if c.socket_type == "unix"]
    assert sockets and all(Path(s).parent == Path("/run") / unit["RuntimeDirectory"][0] for s in sockets)


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "edge-dhcp.service"
    unit.write_text(UNIT.read_text())
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    # The program is only on a board (/opt/edge-dhcp); every other complaint is a real problem.
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "edge-dhcp.service" in line and "/opt/edge-dhcp/bin/edge-dhcp" not in line
    ]
    assert problems == []


@pytest.mark.parametrize("arch", ARCHES)
def test_lintian_has_nothing_unexplained(arch: str, built, tmp_path: Path) -> None:
    if shutil.which("lintian") is None:
        pytest.skip("lintian is not installed")
    tags = debpkg.lintian(built.debs[arch], tmp_path / "lintian.txt")
    assert debpkg.unexplained(tags) == []


def _offer_for(config_path: Path, interface_address: str) -> wire.Packet | None:
    config = load_file(str(config_path))
    engine = Engine(config, MemoryLeaseStore4())
    local = int.from_bytes(bytes(int(p) for p in interface_address.split(".")), "big")
    discover = client_packet(wire.DHCPDISCOVER, mac(7), broadcast=True)
    out = engine.handle(wire.encode(discover), Inbound("eth0", 2, local_addresses=(local,)), 1000.0)
    return None if out is None else wire.decode(out.payload)


def test_shipped_config_serves_its_network_on_eth0() -> None:
    config = load_file(str(SHIPPED_CONFIG))
    assert [spec.name for spec in config.interfaces] == ["eth0"]
    assert [s.interface for s in config.subnets] == [None]  # chosen by eth0's address, never by name alone
    offer = _offer_for(SHIPPED_CONFIG, "192.168.4.1")
    assert offer is not None
    yiaddr = ".".join(str(b) for b in offer.yiaddr)
    assert yiaddr.startswith("192.168.4.") and 100 <= int(yiaddr.rsplit(".", 1)[1]) <= 199


def test_shipped_config_stays_silent_on_another_lan() -> None:
    """A Pi plugged into an existing home LAN must not become a second DHCP server there."""
    assert _offer_for(SHIPPED_CONFIG, "192.168.1.23") is None
