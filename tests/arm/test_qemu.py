"""The .deb on emulated ARM: installed by dpkg in a Debian root filesystem, run under qemu-user, serving dhclient.

Each test runs for arm64 and armhf (the `installed` fixture is parametrised; see conftest.py). What a Pi owner
does is what happens here, in the same order: `dpkg -i`, `edge-dhcp check`, the service's command line run
as the service's user with only the service's two capabilities (setpriv stands in for systemd, which does
not run in a chroot), the shipped configuration edited and reloaded with SIGHUP, a real ISC dhclient in the
client namespace getting a lease from the ARM server in the server namespace, `edge-dhcp ctl status-get`
answering over the control socket, then reinstall, remove and purge.

The server interface in the lab is named eth0, as on a Pi, so the shipped configuration applies unchanged
except for its subnet: the lab uses the RFC 5737 documentation network 192.0.2.0/24, never the 192.168.4.0/24
of the shipped file. Timing figures (start-up, time to first lease) are printed in the "ARM step times"
section of the test output; nothing asserts on them.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
import zipfile

import pytest
from tinydb import TinyDB

from tests.arm.conftest import NOTES, Installed
from tests.lab.clients import Dhclient
from tests.lab.edge import EdgeServer
from tests.lab.fixtures import require
from tests.lab.netns import Lab

pytestmark = [pytest.mark.arm, pytest.mark.lab, pytest.mark.slow]

CONFIG = "/etc/edge-dhcp/edge-dhcp.json"
LEASES = "/var/lib/edge-dhcp/dhcp4.leases"
CONTROL_SOCKET = "/run/edge-dhcp/dhcp4-ctrl.sock"
USER = "_edge-dhcp"
CAPS = "-all,+net_raw,+net_bind_service"
# What edge-dhcp.service does with User=, AmbientCapabilities=, CapabilityBoundingSet=, NoNewPrivileges=.
AS_SERVICE = [
    "setpriv",
    f"--reuid={USER}",
    f"--regid={USER}",
    "--init-groups",
    f"--inh-caps={CAPS}",
    f"--ambient-caps={CAPS}",
    f"--bounding-set={CAPS}",
    "--no-new-privs",
]
LAB_POOL = ("192.0.2.100", "192.0.2.199")
STARTUP_TIMEOUT = 180.0  # emulated Python on 2 shared cores: generous, never asserted as a speed


class ArmServer(EdgeServer):
    """edge-dhcp as installed in the ARM root filesystem, run from a chroot in a lab namespace."""

    def __init__(self, lab: Lab, ns: str, installed: Installed, ifname: str) -> None:
        super().__init__(lab, ns, interfaces=[ifname])
        self.installed = installed
        self.config_path = installed.rootfs.file(CONFIG)
        self.lease_path = installed.rootfs.file(LEASES)

    def write_config(self, text: str | None = None) -> None:
        if text is not None:  # otherwise the file in the root filesystem is used as it is
            self.config_path.write_text(text)

    def argv(self) -> list[str]:
        command = [*AS_SERVICE, "/opt/edge-dhcp/bin/edge-dhcp", "serve", "-c", CONFIG]
        return self.installed.rootfs.command(command, env={"PYTHONUNBUFFERED": "1"})


def in_rootfs(installed: Installed, *argv: str, check: bool = True, timeout: float = 300) -> str:
    result = installed.rootfs.run(list(argv), check=check, timeout=timeout)
    return result.stdout + result.stderr


def runtime_directory(installed: Installed) -> None:
    """What systemd's RuntimeDirectory=edge-dhcp does before the service starts."""
    in_rootfs(installed, "install", "-d", "-o", USER, "-g", USER, "-m", "0750", "/run/edge-dhcp")


def lab_config(shipped: str) -> str:
    """The shipped configuration with its network changed the way its header comment tells an owner to."""
    lines, count = [], 0
    for line in shipped.splitlines(keepends=True):
        if not line.lstrip().startswith("//"):  # the values, not the comments that mention them
            line, n = re.subn(r"192\.168\.4\.", "192.0.2.", line)
            count += n
        lines.append(line)
    assert count == 4, (
        f"expected the subnet, the pool (twice) and the router to name 192.168.4., found {count}"
    )
    return "".join(lines)


def test_dpkg_installed_package_service_user_and_environment(installed: Installed, built) -> None:
    status = in_rootfs(
        installed, "dpkg-query", "-W", "-f=${Status}|${Version}|${Architecture}|${Conffiles}", "edge-dhcp"
    )
    state, version, arch, conffiles = status.split("|")
    assert (state, version, arch) == ("install ok installed", built.version, installed.target.arch)
    assert CONFIG in conffiles
    root = installed.rootfs
    for path in (
        "/lib/systemd/system/edge-dhcp.service",
        "/usr/sbin/edge-dhcp",
        CONFIG,
        "/opt/edge-dhcp/bin/edge-dhcp",
    ):
        assert root.file(path).exists(), path
    enabled = root.file("/etc/systemd/system/multi-user.target.wants/edge-dhcp.service")
    assert enabled.is_symlink() and str(enabled.readlink()) == "/lib/systemd/system/edge-dhcp.service"
    passwd = in_rootfs(installed, "getent", "passwd", USER).split(":")
    assert passwd[5:7] == ["/var/lib/edge-dhcp", "/usr/sbin/nologin\n"]
    state_dir = root.file("/var/lib/edge-dhcp").stat()
    assert state_dir.st_uid == int(passwd[2]) and oct(state_dir.st_mode & 0o777) == "0o750"
    assert in_rootfs(installed, "edge-dhcp", "--version").strip() == f"edge-dhcp {built.version}"
    # Installed from the bundled wheels: the same files, nothing fetched.
    wheels = sorted(p.name for p in root.file("/usr/lib/edge-dhcp/wheels").iterdir())
    assert wheels == sorted(w.name for w in built.wheels[installed.target.arch])


def test_every_module_imports_on_arm(installed: Installed, built) -> None:
    # The modules the project wheel carries (edge.__main__ is `python -m edge` itself: run below, not imported).
    with zipfile.ZipFile(built.project_wheel) as wheel:
        expected = sorted(
            name.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
            for name in wheel.namelist()
            if name.startswith("edge/") and name.endswith(".py") and not name.endswith("/__main__.py")
        )
    assert len(expected) > 10
    # Every .py file installed under edge/ is imported by name (pkgutil would skip namespace packages).
    probe = (
        "import importlib, json, pathlib, platform, sysconfig, traceback, edge, netifaces\n"
        "root = pathlib.Path(edge.__file__).parent\n"
        "names = sorted('.'.join(('edge',) + p.relative_to(root).with_suffix('').parts).removesuffix('.__init__')\n"
        "  for p in root.rglob('*.py') if p.name != '__main__.py')\n"
        "errors = []\n"
        "for name in names:\n"
        "  try: importlib.import_module(name)\n"
        "  except Exception: errors.append(name + ': ' + traceback.format_exc())\n"
        "print(json.dumps({'modules': names, 'errors': errors, 'machine': platform.machine(),\n"
        "  'ext': sysconfig.get_config_var('EXT_SUFFIX'), 'netifaces': netifaces.__file__,\n"
        "  'interfaces': netifaces.interfaces(), 'edge': edge.__file__}))\n"
    )
    with installed.steps.step("import every module") as note:
        out = json.loads(in_rootfs(installed, "/opt/edge-dhcp/bin/python", "-c", probe).splitlines()[-1])
        note.text = f"{len(out['modules'])} modules on {out['machine']}"
    assert out["errors"] == []
    assert out["modules"] == expected
    machines = {"arm64": {"aarch64"}, "armhf": {"armv7l", "armv8l"}}[installed.target.arch]
    assert out["machine"] in machines
    assert out["edge"].startswith("/opt/edge-dhcp/lib/python3.11/site-packages/edge/")
    assert out["netifaces"].startswith("/opt/edge-dhcp/") and out["netifaces"].endswith(out["ext"])
    assert "lo" in out["interfaces"]
    assert in_rootfs(installed, "/opt/edge-dhcp/bin/python", "-m", "edge", "--version").startswith(
        "edge-dhcp "
    )


def test_check_shipped_config_and_a_broken_one(installed: Installed) -> None:
    with installed.steps.step("edge-dhcp check (shipped config)"):
        result = installed.rootfs.run(["edge-dhcp", "check", "-c", CONFIG], check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")
    installed.rootfs.file("/tmp/broken.json").write_text('{"Dhcp4": {\n  "valid-lifetime": "soon"\n}}\n')
    broken = installed.rootfs.run(["edge-dhcp", "check", "-c", "/tmp/broken.json"], check=False)
    assert broken.returncode != 0
    assert "/tmp/broken.json:2:" in broken.stdout + broken.stderr
    assert "Traceback" not in broken.stdout + broken.stderr


def test_dhclient_gets_lease_from_emulated_server(installed: Installed, lab: Lab) -> None:
    require("dhclient")
    steps = installed.steps
    site = lab.build(server_ifname="eth0")
    runtime_directory(installed)
    server = ArmServer(lab, site.server.ns, installed, "eth0")
    started = time.monotonic()
    with steps.step("serve: start to listening on eth0 (shipped config)"):
        server.start(timeout=STARTUP_TIMEOUT)
    startup = time.monotonic() - started
    with steps.step("serve: SIGHUP reload with the lab subnet"):
        server.write_config(lab_config(server.config_path.read_text()))
        server.reload(timeout=STARTUP_TIMEOUT)
    client = Dhclient(lab, site.client.ns, site.client.ifname, timeout=STARTUP_TIMEOUT)
    asked = time.monotonic()
    with steps.step("dhclient: first lease from the emulated server") as note:
        lease = client.obtain()
        note.text = f"{lease.address}"
    to_lease = time.monotonic() - asked
    NOTES.append(
        f"[qemu {installed.target.arch}] emulated server: start to listening {startup:.1f} s; "
        f"dhclient start to lease {to_lease:.1f} s; start to first lease (with the reload) "
        f"{time.monotonic() - started:.1f} s"
    )
    low, high = (ipaddress.IPv4Address(a) for a in LAB_POOL)
    assert low <= lease.address <= high
    assert lease.routers == (ipaddress.IPv4Address("192.0.2.1"),)
    assert lease.interface in lab.addresses(site.client.ns, site.client.ifname)
    out = server.output()
    assert re.search(rf"DHCP4_LEASE_ALLOC .*{re.escape(str(lease.address))}", out), out
    with steps.step("serve: SIGTERM, clean exit"):
        assert server.stop() == 0, server.output()
    # The lease file is a stock TinyDB document, written by the service's user.
    owner = server.lease_path.stat().st_uid
    uid = int(in_rootfs(installed, "id", "-u", USER))
    assert owner == uid
    db = TinyDB(str(server.lease_path))
    try:
        stored = {doc["address"] for doc in db.table("leases").all()}
    finally:
        db.close()
    assert str(lease.address) in stored


def test_control_socket_answers(installed: Installed, lab: Lab) -> None:
    site = lab.build(server_ifname="eth0")
    runtime_directory(installed)
    server = ArmServer(lab, site.server.ns, installed, "eth0")
    server.start(timeout=STARTUP_TIMEOUT)
    with installed.steps.step("ctl status-get over the control socket") as note:
        reply = lab.run(
            site.server.ns,
            installed.rootfs.command(["edge-dhcp", "ctl", "status-get", "--socket", CONTROL_SOCKET]),
            timeout=STARTUP_TIMEOUT,
        ).stdout
        note.text = reply.strip().splitlines()[0][:60] if reply.strip() else "empty"
    answer = json.loads(reply)
    answer = answer[0] if isinstance(answer, list) else answer
    assert answer["result"] == 0, answer
    assert "pid" in answer.get("arguments", {}), answer
    assert server.stop() == 0


def test_reinstall_remove_and_purge(installed: Installed) -> None:
    """Last in this module: upgrade-in-place keeps an edited conffile; remove keeps data; purge takes it all."""
    root = installed.rootfs
    deb = f"/tmp/{installed.deb.name}"
    edited = root.file(CONFIG).read_text() + "// edited by the owner\n"
    root.file(CONFIG).write_text(edited)
    root.file(LEASES).parent.mkdir(exist_ok=True)
    (root.file(LEASES).parent / "keep-me").write_text("x")
    root.file("/var/log/edge-dhcp").mkdir(exist_ok=True)  # as LogsDirectory= would have made it
    with installed.steps.step("dpkg -i again (in-place reinstall)"):
        in_rootfs(installed, "dpkg", "-i", deb, timeout=900)
    assert root.file(CONFIG).read_text() == edited
    assert root.file("/opt/edge-dhcp/bin/edge-dhcp").exists()
    assert not root.file("/opt/edge-dhcp.old").exists()

    with installed.steps.step("dpkg -r"):
        in_rootfs(installed, "dpkg", "-r", "edge-dhcp")
    assert not root.file("/opt/edge-dhcp").exists()
    assert not root.file("/usr/sbin/edge-dhcp").exists()
    assert not root.file("/lib/systemd/system/edge-dhcp.service").exists()
    assert root.file(CONFIG).read_text() == edited  # configuration and leases survive a remove
    assert (root.file(LEASES).parent / "keep-me").exists()

    with installed.steps.step("dpkg --purge"):
        in_rootfs(installed, "dpkg", "--purge", "edge-dhcp")
    for gone in (
        "/etc/edge-dhcp",
        "/var/lib/edge-dhcp",
        "/var/log/edge-dhcp",
        "/run/edge-dhcp",
        "/opt/edge-dhcp",
        "/usr/lib/edge-dhcp",
    ):
        assert not root.file(gone).exists(), gone
    assert not root.file("/etc/systemd/system/multi-user.target.wants/edge-dhcp.service").is_symlink()
    assert in_rootfs(installed, "getent", "passwd", USER, check=False).strip() == ""
    assert in_rootfs(installed, "getent", "group", USER, check=False).strip() == ""
    assert "edge-dhcp" not in in_rootfs(installed, "dpkg-query", "-W", "-f=${Package}\n")
