"""The Raspberry Pi image, flashed, edited like from a laptop, booted under qemu and serving real clients.

What a Pi owner does is what happens here, in the same order:
1. `edge-dhcp board flash dist/edge-dhcp-pi-arm64.img.xz --device CARD` onto a 2 GiB file standing in for
   the SD card (checksum checked, written, read back);
2. the FAT partition edited with mtools (a laptop's file manager): edge-dhcp.json serving the lab network
   with options, network.txt giving the Pi its fixed address, password.txt, hostname.txt, authorized_keys;
3. the card booted with its own kernel, initrd and cmdline.txt (board/qemu.py, `-M virt -cpu cortex-a72
   -m 1024 -smp 2`), the NIC on a tap in a lab namespace bridged to client namespaces;
4. a real ISC dhclient gets a lease with the options from that edge-dhcp.json;
5. `edge-dhcp board console` logs in over the emulated serial line (with the password from password.txt)
   and reads `edge-dhcp ctl status-get`, and what the first boot did (root grown, host name, ...);
6. SSH with the key from authorized_keys; SSH with a password is refused;
7. power cut: qemu killed while clients take leases, booted again, every lease a client saw ACKed is
   still in the lease store (`lease4-get-all` over the console).

The image is built by `make image`; `make test-image` (the last step of `make test`) builds it, then runs
this module with EDGE_TEST_IMAGE=1 (use the image just built). EDGE_TEST_IMAGE=build builds it first;
without the variable the module is skipped, so a plain `pytest` run does not spend minutes on it, and the
main pytest run of `make test` deselects it (marker `image`). Figures (boot-to-first-lease, sizes, build
time) are printed in the "Raspberry Pi image figures" section of the output; nothing asserts on speed.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from board.assemble import ext4_extract, fat_files, fat_read, fat_write, partitions
from board.qemu import QEMU, BootFiles, QemuBoard, boot_files
from tests.lab.clients import ClientError, ClientLease, Dhclient
from tests.lab.clients6 import Dhclient6
from tests.lab.fixtures import lab_unavailable_reason
from tests.lab.netns import Lab, Proc, cleanup_stale
from tests.lab.netns6 import dad_off, wait_settled

pytestmark = [pytest.mark.lab, pytest.mark.image, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "build" / "board"
CARD_SIZE = 2 * 1024**3
BOOT_TIMEOUT = 420.0  # emulated arm64 on 2 shared cores; generous, never asserted as a speed
LAB_NET = ipaddress.IPv4Network("192.0.2.0/24")
BOARD_ADDRESS = "192.0.2.1/24"
HOSTNAME = "edge-pi-test"
CONFIG = "/etc/edge-dhcp/edge-dhcp.json"
CTL = f"edge-dhcp ctl -c {CONFIG}"
CONFIG6 = "/etc/edge-dhcp/edge-dhcp6.json"
SOCKET6 = "/run/edge-dhcp/dhcp6-ctrl.sock"
LAB_NET6 = ipaddress.IPv6Network("2001:db8:1::/64")
POOL6 = (ipaddress.IPv6Address("2001:db8:1::100"), ipaddress.IPv6Address("2001:db8:1::1ff"))
FIGURES: list[str] = []

EDGE_CONFIG = """// edge-dhcp.json written on the boot partition by tests/board/test_image.py
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "eth0" ], "dhcp-socket-type": "raw" },
    "lease-database": { "type": "memfile", "persist": true, "name": "/var/lib/edge-dhcp/dhcp4.leases" },
    "control-socket": { "socket-type": "unix", "socket-name": "/run/edge-dhcp/dhcp4-ctrl.sock" },
    "valid-lifetime": 7200,
    "subnet4": [
      {
        "id": 42,
        "subnet": "192.0.2.0/24",
        "pools": [ { "pool": "192.0.2.100 - 192.0.2.199" } ],
        "option-data": [
          { "name": "routers", "data": "192.0.2.1" },
          { "name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54" },
          { "name": "domain-name", "data": "pi.lab.example" }
        ]
      }
    ],
    "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "stdout" } ], "severity": "INFO" } ]
  }
}
"""


EDGE_CONFIG6 = """// edge-dhcp6.json written on the boot partition by tests/board/test_image.py
{
  "Dhcp6": {
    "interfaces-config": { "interfaces": [ "eth0" ] },
    "lease-database": { "type": "memfile", "persist": true, "name": "/var/lib/edge-dhcp/dhcp6.leases" },
    "control-socket": { "socket-type": "unix", "socket-name": "/run/edge-dhcp/dhcp6-ctrl.sock" },
    "preferred-lifetime": 3000,
    "valid-lifetime": 4000,
    "subnet6": [
      {
        "id": 61,
        "subnet": "2001:db8:1::/64",
        "interface": "eth0",
        "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ]
      }
    ],
    "loggers": [ { "name": "kea-dhcp6", "output_options": [ { "output": "stdout" } ], "severity": "INFO" } ]
  }
}
"""


def note(line: str) -> None:
    FIGURES.append(line)
    print(f"[image] {line}", flush=True)


# -- the image -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def image() -> dict[str, object]:
    """build/board/image.json of a fresh image: built here unless `make test-image` just built it."""
    if os.geteuid() != 0:
        pytest.skip("the image tests need root (image build, network namespaces, tap devices)")
    missing = [
        t
        for t in (QEMU, "mmdebstrap", "mkfs.vfat", "mcopy", "sfdisk", "mkfs.ext4", "debugfs", "xz")
        if shutil.which(t) is None
    ]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (`make system-deps`)")
    wanted = os.environ.get("EDGE_TEST_IMAGE", "")
    if wanted not in ("1", "build"):
        pytest.skip(
            "boots the Raspberry Pi image for minutes: `make test-image` (or EDGE_TEST_IMAGE=1 after make image)"
        )
    if wanted == "build":
        result = subprocess.run(
            [sys.executable, "-m", "board.image"], cwd=REPO, capture_output=True, text=True, timeout=5400
        )
        print(result.stdout[-4000:])
        if result.returncode != 0:
            pytest.fail(
                f"make image failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}", pytrace=False
            )
    figures = json.loads((WORK / "image.json").read_text())
    note(
        f"image: {figures['xz_bytes'] / 2**20:.0f} MiB compressed (.img.xz), {figures['raw_bytes'] / 2**20:.0f} MiB raw"
    )
    note(
        f"image build: {figures['total_seconds']:.0f} s ({'root filesystem cached' if figures['rootfs_cached'] else 'root filesystem built (cold)'})"
    )
    for step in figures["steps"]:
        note(f"  {step['step']:<40} {step['seconds']:7.1f} s  {step['note']}")
    return figures


def test_image_layout_and_first_boot_files(image: dict[str, object], tmp_path: Path) -> None:
    raw = Path(str(image["image"]))
    table = partitions(raw)
    assert [(p.type, p.bootable) for p in table] == [("c", True), ("83", False)]
    boot = fat_files(raw, table[0].start)
    for needed in (
        "config.txt",
        "cmdline.txt",
        "start4.elf",
        "bootcode.bin",
        "fixup4.dat",
        "bcm2837-rpi-3-b.dtb",
        "bcm2711-rpi-4-b.dtb",
        "bcm2837-rpi-zero-2-w.dtb",
        "edge-dhcp.json",
        "network.txt",
        "README.txt",
    ):
        assert needed in boot, f"{needed} missing from the boot partition: {boot}"
    config = fat_read(raw, table[0].start, "config.txt").decode()
    assert "arm_64bit=1" in config and "enable_uart=1" in config and "[pi4]\ncore_freq=360" in config
    cmdline = fat_read(raw, table[0].start, "cmdline.txt").decode()
    for word in (
        "console=ttyS1,115200",
        "console=ttyAMA0,115200",
        "root=LABEL=RASPIROOT",
        "net.ifnames=0",
        "rootwait",
    ):
        assert word in cmdline.split(), cmdline
    p2 = table[1]

    def root_file(path: str) -> bytes | None:
        return ext4_extract(raw, p2.start, p2.size, path, tmp_path)

    shadow = root_file("/etc/shadow")
    assert shadow is not None and b"\nroot:*:" in b"\n" + shadow, "root must be locked: no default password"
    assert root_file("/etc/ssh/ssh_host_ed25519_key") is None, "host keys are made per card, at first boot"
    assert root_file("/etc/machine-id") == b""
    fstab = (root_file("/etc/fstab") or b"").decode()
    assert "LABEL=RASPIROOT  /               ext4  defaults,noatime" in fstab
    assert b"Storage=volatile" in (root_file("/etc/systemd/journald.conf.d/edge-dhcp-board.conf") or b"")
    assert root_file("/opt/edge-dhcp/bin/edge-dhcp") is not None
    assert root_file("/etc/systemd/system/multi-user.target.wants/edge-dhcp.service") is not None
    assert root_file("/etc/systemd/system/sysinit.target.wants/edge-dhcp-boot-config.service") is not None


# -- the card: flashed, then edited like from a laptop ---------------------------------------------------


@dataclass
class Card:
    path: Path
    boot: BootFiles
    password: str
    key: Path | None
    workdir: Path


@pytest.fixture(scope="module")
def card(image: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> Card:
    return flash_card(image, tmp_path_factory.mktemp("card"), dhcp6=True)


def flash_card(image: dict[str, object], workdir: Path, interface: str = "eth0", dhcp6: bool = False) -> Card:
    """The image flashed onto a 2 GiB card file, its FAT partition edited: edge-dhcp.json serving the lab on
    `interface` (eth0 on `virt`, usb0 on `raspi3b`), network.txt giving the board 192.0.2.1/24 there, ...;
    with `dhcp6`, edge-dhcp6.json too (the unit then serves DHCPv6 on the same interface)."""
    path = workdir / "sdcard.img"
    with open(path, "wb") as handle:
        handle.truncate(CARD_SIZE)  # an erased 2 GiB card
    started = time.monotonic()
    flashed = subprocess.run(
        [sys.executable, "-m", "edge", "board", "flash", str(image["xz"]), "--device", str(path), "--yes"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert flashed.returncode == 0, flashed.stderr
    assert "written and verified" in flashed.stderr and "sha256 matches" in flashed.stderr
    note(
        f"board flash of the .img.xz onto a 2 GiB card file: {time.monotonic() - started:.1f} s (decompress, write, verify)"
    )
    start = partitions(path)[0].start
    password = secrets.token_urlsafe(12)
    config = EDGE_CONFIG.replace('"interfaces": [ "eth0" ]', f'"interfaces": [ "{interface}" ]')
    assert f'"interfaces": [ "{interface}" ]' in config
    fat_write(path, start, "edge-dhcp.json", config.encode(), workdir)
    if dhcp6:
        config6 = EDGE_CONFIG6.replace('"eth0"', f'"{interface}"')
        fat_write(path, start, "edge-dhcp6.json", config6.encode(), workdir)
    network = f"interface={interface}\naddress={BOARD_ADDRESS}\n"
    fat_write(path, start, "network.txt", network.encode(), workdir)
    fat_write(path, start, "password.txt", (password + "\n").encode(), workdir)
    fat_write(path, start, "hostname.txt", (HOSTNAME + "\n").encode(), workdir)
    key = None
    if shutil.which("ssh-keygen"):
        key = workdir / "id_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "edge-test", "-f", str(key)], check=True
        )
        fat_write(path, start, "authorized_keys", key.with_suffix(".pub").read_bytes(), workdir)
    return Card(path, boot_files(path, workdir / "boot"), password, key, workdir)


# -- the lab: board NIC on a tap, bridged to client namespaces ------------------------------------------


@dataclass
class Site:
    lab: Lab
    lan: str
    card: Card
    clients: list[tuple[str, str]] = field(default_factory=list)  # (namespace, mac)
    board: QemuBoard | None = None
    qemu: Proc | None = None
    boots: int = 0
    machine: str = "virt"  # or "raspi3b" (tests/board/test_raspi3b.py), with the Pi 3 device tree `dtb`
    dtb: Path | None = None
    timeout: float = BOOT_TIMEOUT

    def client_ns(self, count: int) -> list[tuple[str, str]]:
        """At least `count` client namespaces, each with eth0 on the LAN bridge."""
        while len(self.clients) < count:
            n = len(self.clients)
            ns = self.lab.add_namespace(f"c{n}")
            self.lab.add_link((self.lan, f"p{n}"), (ns, "eth0"))
            self.lab.ip(self.lan, "link", "set", f"p{n}", "master", "br0")
            self.clients.append((ns, self.lab.endpoint(ns, "eth0").mac))
        return self.clients[:count]

    def boot(self) -> float:
        """Power on; returns the monotonic time of power-on."""
        self.boots += 1
        workdir = self.card.workdir / f"boot{self.boots}"
        workdir.mkdir()
        self.board = QemuBoard(
            self.card.path, self.card.boot, workdir, tap="tap0", machine=self.machine, dtb=self.dtb
        )
        started = time.monotonic()
        self.qemu = self.lab.popen(self.lan, self.board.argv(), name=f"qemu-boot{self.boots}")
        self.board.wait_for_socket()
        return started

    def boot_and_lease(self, ns: str) -> tuple[Dhclient, ClientLease, float, float]:
        """Power on with a dhclient DISCOVERing from the start: (client, lease, s to the lease, s to login:)."""
        login: list[float] = []
        powered = self.boot()
        watcher = threading.Thread(
            target=lambda: login.append(self.wait_console("login:") - powered), daemon=True
        )
        watcher.start()
        client = dhclient(self, ns, timeout=self.timeout)
        lease = client.obtain(background=True)
        to_lease = time.monotonic() - powered
        watcher.join(self.timeout)
        assert login, "no login prompt on the serial console"
        return client, lease, to_lease, login[0]

    def power_cut(self) -> None:
        assert self.qemu is not None
        os.killpg(self.qemu.pid, signal.SIGKILL)
        self.qemu.wait(30)

    def wait_console(self, text: str, after: int = 0, timeout: float | None = None) -> float:
        assert self.board is not None and self.qemu is not None
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            seen = self.board.console_text()
            if text in seen[after:]:
                return time.monotonic()
            if self.qemu.poll() is not None:
                pytest.fail(
                    f"qemu exited ({self.qemu.poll()}):\n{self.qemu.output()[-3000:]}\n{seen[-3000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no {text!r} on the console within {timeout:.0f} s:\n{seen[-4000:]}", pytrace=False
                )
            time.sleep(0.2)

    def console(self, command: str, timeout: float = 120) -> tuple[int, str]:
        assert self.board is not None
        secret = self.card.workdir / "password"
        secret.write_text(self.card.password + "\n")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "edge",
                "board",
                "console",
                "--port",
                f"unix://{self.board.serial_socket}",
                "--password-file",
                str(secret),
                "--login-timeout",
                "120",
                "--timeout",
                str(timeout),
                "--run",
                command,
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout + 180,
        )
        assert result.returncode != 255, (
            f"console failed: {result.stderr}\n{self.board.console_text()[-2000:]}"
        )
        return result.returncode, result.stdout


@pytest.fixture(scope="module")
def site(card: Card) -> Iterator[Site]:
    with lab_site(card) as site:
        yield site


@contextlib.contextmanager
def lab_site(card: Card, **board: object) -> Iterator[Site]:
    """A lab with the board's tap0 on bridge br0 in namespace "lan" (clients join with Site.client_ns);
    torn down on leaving, qemu with it (it runs in the lab's namespace)."""
    reason = lab_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    cleanup_stale()
    with Lab() as lab:
        lan = lab.add_namespace("lan")
        dad_off(lab, lan)  # before any link exists: the bridge, tap and ports start without DAD
        lab.ip(lan, "link", "add", "br0", "type", "bridge")
        lab.ip(lan, "link", "set", "br0", "up")
        lab.run(lan, ["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"])
        lab.ip(lan, "link", "set", "tap0", "master", "br0")
        lab.ip(lan, "link", "set", "tap0", "up")
        yield Site(lab, lan, card, **board)  # type: ignore[arg-type]


def dhclient(site: Site, ns: str, timeout: float) -> Dhclient:
    client = Dhclient(site.lab, ns, "eth0", timeout=timeout)
    # Retry DISCOVER every 1-2 s instead of backing off to a minute: the first lease is timed.
    client.conf.write_text(client.conf.read_text() + "backoff-cutoff 2;\n")
    return client


# -- booted ----------------------------------------------------------------------------------------------


def test_first_boot_serves_a_real_client_with_the_boot_partition_config(site: Site) -> None:
    ((ns, mac),) = site.client_ns(1)
    client, lease, first_lease, login = site.boot_and_lease(ns)  # dhclient DISCOVERs from power-on
    note(
        f"power-on to first lease (first boot: grows root, makes host keys): {first_lease:.1f} s; to login prompt {login:.1f} s"
    )
    assert lease.address in LAB_NET and ipaddress.IPv4Address(
        "192.0.2.100"
    ) <= lease.address <= ipaddress.IPv4Address("192.0.2.199")
    assert lease.prefix_len == 24
    assert lease.routers == (ipaddress.IPv4Address("192.0.2.1"),)
    assert lease.dns_servers == (ipaddress.IPv4Address("192.0.2.53"), ipaddress.IPv4Address("192.0.2.54"))
    assert lease.domain_name == "pi.lab.example"
    assert lease.server_id == ipaddress.IPv4Address("192.0.2.1")
    assert lease.lease_time == 7200
    assert site.lab.ping(ns, "192.0.2.1"), "the board's own address from network.txt answers"
    client.stop()


def test_console_logs_in_and_reads_status_get(site: Site) -> None:
    status, out = site.console(f"{CTL} status-get")
    assert status == 0, out
    answer = json.loads(out)
    assert answer["result"] == 0
    assert answer["arguments"]["pid"] > 1 and answer["arguments"]["uptime"] >= 0
    note(f"status-get over the serial console: {json.dumps(answer['arguments'])[:200]}")


def test_first_boot_applied_the_boot_partition(site: Site) -> None:
    status, out = site.console(
        "hostname; ls /boot/firmware | sed 's/^/boot: /'; passwd -S root | cut -d' ' -f2; "
        "df -B1M --output=size / | tail -1; findmnt -n -o OPTIONS /; echo journal-files: $(find /var/log/journal -type f 2>/dev/null | wc -l) $(ls -d /run/log/journal); "
        "ls /etc/ssh/ssh_host_ed25519_key; systemctl is-active edge-dhcp systemd-networkd; cat /etc/machine-id | wc -c; "
        "echo tmp: $(findmnt -n -o FSTYPE /tmp); echo apt-daily: $(systemctl is-enabled apt-daily.timer); "
        "journalctl -b -u edge-dhcp-boot-config -o cat --no-pager"
    )
    assert status == 0, out
    lines = out.splitlines()
    assert lines[0] == HOSTNAME
    assert "boot: edge-dhcp.json" in lines and "boot: network.txt" in lines
    assert "boot: password.txt" not in lines, "password.txt must be erased from the boot partition"
    assert "boot: edge-dhcp-errors.txt" not in lines
    assert "P" in lines, out  # passwd -S: the root password is set (usable)
    size = next(int(x) for x in lines if x.strip().isdigit() and int(x) > 1000)
    assert size > 1700, f"root should have grown to the 2 GiB card, is {size} MiB"
    assert any("noatime" in x for x in lines)
    assert "journal-files: 0 /run/log/journal" in lines, (
        "journald must keep the journal in RAM, not on the card"
    )
    assert "/etc/ssh/ssh_host_ed25519_key" in lines
    assert lines.count("active") == 2
    assert "33" in lines, "a machine id of its own (32 hex digits and a newline)"
    assert "tmp: tmpfs" in lines and "apt-daily: masked" in lines
    # What the boot-partition applier reported (journal; on a Pi also on the serial console, /dev/console).
    for applied in (
        "edge-dhcp-boot-config: SSH host keys generated",
        "edge-dhcp-boot-config: root partition grown by",
        "edge-dhcp-boot-config: hostname.txt: host name set to edge-pi-test",
        "edge-dhcp-boot-config: network.txt: eth0: 192.0.2.1/24",
        "edge-dhcp-boot-config: authorized_keys: 1 SSH key(s) installed for root",
        "edge-dhcp-boot-config: password.txt: root password set; console login enabled",
        "edge-dhcp-boot-config: password.txt: erased from the boot partition",
        "edge-dhcp-boot-config: edge-dhcp.json: edge-dhcp.json installed as /etc/edge-dhcp/edge-dhcp.json",
    ):
        assert applied in out, f"{applied!r} not in the boot-config journal:\n{out}"
    note(f"first boot grew the root file system to {size} MiB on the 2 GiB card")


# Runs before the wrong-password test on purpose: seen once here, a correct console login right after the
# refused one, on the same boot, was refused too ("Login incorrect" twice; cause not found yet). The tests
# after the wrong-password one do not log in on the console again before the power cut reboots the board.
def test_dhcp6_from_the_boot_partition_serves_a_real_dhclient6(site: Site) -> None:
    """edge-dhcp6.json on the boot partition: the unit runs `serve -c <v4> -c <v6>`, a real dhclient -6 on
    the LAN gets an address from the pool, and the lease is in the board's v6 store."""
    if not Dhclient6.available():
        pytest.skip("dhclient not installed here")
    # (1) the one process serves both files.
    status, out = site.console(
        "pid=$(systemctl show -p MainPID --value edge-dhcp); echo mainpid: $pid; "
        "tr '\\0' '\\n' < /proc/$pid/cmdline | sed 's/^/arg: /'; "
        "journalctl -b -u edge-dhcp-boot-config -o cat --no-pager | grep edge-dhcp6.json"
    )
    assert status == 0, out
    args = [line[len("arg: ") :] for line in out.splitlines() if line.startswith("arg: ")]
    assert "serve" in args, out
    files = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-c"]
    assert files == [CONFIG, CONFIG6], f"main process argv {args}"
    assert "edge-dhcp6.json installed as /etc/edge-dhcp/edge-dhcp6.json" in out, out
    note(f"edge-dhcp main process: {' '.join(args)}")

    # (2) a real DHCPv6 client on the LAN bridge, in a namespace of its own, DAD off before its link is up.
    ns = site.lab.add_namespace("v6c")
    dad_off(site.lab, ns)
    site.lab.add_link((site.lan, "pv6"), (ns, "eth0"))  # not p<N>: client_ns names those
    site.lab.ip(site.lan, "link", "set", "pv6", "master", "br0")
    wait_settled(site.lab, [ns])
    client = Dhclient6(site.lab, ns, "eth0", timeout=120)
    lease = client.obtain()
    (address,) = lease.addresses
    assert address in LAB_NET6 and POOL6[0] <= address <= POOL6[1], address
    (binding,) = lease.bindings
    assert (binding.preferred, binding.valid) == (3000, 4000), binding
    assert lease.client_id, "dhclient -6 sends a client id (DUID)"
    note(f"dhclient -6 on the LAN got {address} from the board (preferred {binding.preferred} s)")

    # (3) the lease is in the board's v6 store.
    status, out = site.console(f"edge-dhcp ctl lease6-get-all --socket {SOCKET6}")
    assert status == 0, out
    answer = json.loads(out)
    assert answer["result"] == 0, answer
    leases = answer["arguments"]["leases"]
    duid = lease.client_id.replace(":", "").lower()
    mine = [x for x in leases if x["ip-address"] == str(address)]
    assert len(mine) == 1, f"{address} not in the v6 store: {leases}"
    assert mine[0]["duid"].replace(":", "").lower() == duid, mine[0]
    assert mine[0]["type"] == "IA_NA" and mine[0]["subnet-id"] == 61, mine[0]
    status, journal = site.console("journalctl -b -u edge-dhcp -o cat --no-pager | tail -n 40")
    print(journal)
    note(f"lease6-get-all over the console: {len(leases)} lease(s), {address} for DUID {mine[0]['duid']}")


def test_wrong_password_is_refused_on_the_console(site: Site) -> None:
    assert site.board is not None
    bad = site.card.workdir / "bad-password"
    bad.write_text("not-the-password\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "edge",
            "board",
            "console",
            "--port",
            f"unix://{site.board.serial_socket}",
            "--password-file",
            str(bad),
            "--login-timeout",
            "120",
            "--run",
            "id",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 255 and "refused the login" in result.stderr, result.stderr


def test_ssh_takes_the_key_and_refuses_passwords(site: Site) -> None:
    if site.card.key is None or shutil.which("ssh") is None:
        pytest.skip("ssh / ssh-keygen not installed here")
    ((ns, _),) = site.client_ns(1)
    client = dhclient(site, ns, timeout=120)
    client.obtain()
    known = site.card.workdir / "known_hosts"
    common = [
        "ssh",
        "-o",
        f"UserKnownHostsFile={known}",
        "-o",
        "StrictHostKeyChecking=accept-new",
        "-o",
        "ConnectTimeout=60",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-F",
        "/dev/null",
    ]
    ok = site.lab.run(
        ns,
        [*common, "-i", str(site.card.key), "root@192.0.2.1", f"{CTL} status-get"],
        check=False,
        timeout=180,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["result"] == 0
    refused = site.lab.run(
        ns,
        [
            *common,
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password",
            "root@192.0.2.1",
            "true",
        ],
        check=False,
        timeout=180,
    )
    assert refused.returncode == 255 and "Permission denied" in refused.stderr, refused.stderr
    client.stop()


def test_power_cut_while_clients_take_leases_keeps_every_acked_lease(site: Site) -> None:
    clients = [
        dhclient(site, ns, timeout=90) for ns, _mac in site.client_ns(13)[1:]
    ]  # c0 has a lease already
    macs = {client.ns: mac for client, (_ns, mac) in zip(clients, site.client_ns(13)[1:], strict=True)}

    power_off = threading.Event()

    def take(client: Dhclient, delay: float) -> None:
        if power_off.wait(delay):
            return  # not started before the cut
        with contextlib.suppress(ClientError):  # the ones the power cut interrupts fail; nothing was promised
            client.obtain()

    def bound() -> dict[str, str]:
        """mac -> address for every client whose script has seen an ACK (a "bound" event)."""
        found = {}
        for client in clients:
            for event in client.events():
                if event["event"] == "bound" and event.get("lease"):
                    found[macs[client.ns]] = event["lease"]["address"]
        return found

    # Clients start 50 ms apart (several exchanges overlap); the power is cut the moment the fourth ACK is seen, with later
    # clients in the middle of their DISCOVER/REQUEST exchange and the latest ACK milliseconds old.
    threads = [threading.Thread(target=take, args=(c, 0.05 * i), daemon=True) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(bound()) < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    site.power_cut()
    power_off.set()
    started = sum(1 for c in clients if c.proc is not None)
    for _ in range(2):  # twice: a client may have been starting at the moment of the cut
        for client in clients:
            if client.proc is not None:
                client.proc.stop()
        time.sleep(1)
    for thread in threads:
        thread.join(timeout=120)
    seen = bound()  # every ACK any client received came from the board before the cut
    assert len(seen) >= 4, f"only {len(seen)} clients were bound before the cut"
    note(
        f"power cut (SIGKILL of qemu) at the 4th ACK seen: {started} of {len(clients)} clients had started, "
        f"{len(seen)} had an ACK"
    )

    fresh_ns, _ = site.client_ns(14)[13]  # a client that never had a lease: times the second boot
    fresh_client, fresh, first_lease, login = site.boot_and_lease(fresh_ns)
    fresh_client.stop()
    note(
        f"second boot (after the power cut): power-on to first lease {first_lease:.1f} s; to login prompt {login:.1f} s"
    )
    assert fresh.address in LAB_NET
    status, out = site.console(f"{CTL} lease4-get-all")
    assert status == 0, out
    leases = {(x["hw-address"], x["ip-address"]) for x in json.loads(out)["arguments"]["leases"]}
    missing = [(mac, addr) for mac, addr in seen.items() if (mac, addr) not in leases]
    assert not missing, f"ACKed leases lost in the power cut: {missing}; store has {sorted(leases)}"
    note(
        f"after the power cut and a second boot: all {len(seen)} ACKed leases in the store ({len(leases)} leases in all)"
    )

    # And the server acts on it: the same client asking again gets the same address.
    mac, address = next(iter(seen.items()))
    ns = next(ns for ns, m in macs.items() if m == mac)
    assert str(dhclient(site, ns, timeout=120).obtain().address) == address
