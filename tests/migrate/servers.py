"""ISC dhcpd and dnsmasq as real servers in a lab namespace, the way tests/lab/kea.py runs Kea.

Rules this module keeps:
- Everything the server writes lives in the lab's temp dir: configuration, lease file, pid file. dhcpd
  gets -cf/-lf/-pf, runs in the foreground (-f) with its log on stderr (-d), and serves only the
  interfaces named on its command line. dnsmasq gets --conf-file (so /etc/dnsmasq.conf is never read),
  --pid-file, --no-daemon, --log-facility=- (log to stderr) and --user=root (so it can write its lease file
  in the lab's private temp dir); the lease file, interfaces and --port=0 (no DNS) are in the
  configuration file itself, because that file is what the migration reads.
- Both run under Lab.popen, so the lab kills them; start() waits for their "ready" log line, never sleeps.
- Where an AppArmor profile confines the installed binary by path (Debian ships one for dhcpd, which
  only lets it read /etc/dhcp and write /var/lib/dhcp), a copy in the lab's temp dir is run instead, so
  the profile does not stop it reading its lab configuration. Nothing on the host is changed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from tests.lab.netns import Lab, LabError, Proc

APPARMOR_PROFILES = Path("/sys/kernel/security/apparmor/profiles")


def installed(program: str) -> str | None:
    return shutil.which(program) or (
        str(Path("/usr/sbin", program)) if Path("/usr/sbin", program).exists() else None
    )


def unconfined_binary(lab: Lab, program: str) -> str:
    """The binary to run: the installed one, or a copy of it when AppArmor confines that path."""
    path = installed(program)
    if path is None:
        raise LabError(f"{program} is not installed")
    try:
        profiles = APPARMOR_PROFILES.read_text()
    except OSError:
        return path
    if not any(line.startswith(path + " ") and "enforce" in line for line in profiles.splitlines()):
        return path
    copy = lab.tmp / program
    if not copy.exists():
        shutil.copy2(path, copy)
    return str(copy)


class _Server:
    ready = ""
    name = ""

    def __init__(self, lab: Lab, ns: str, config_text: str) -> None:
        self.lab = lab
        self.ns = ns
        self.dir = lab.tmp / f"{self.name}-{ns.rsplit('-', 1)[-1]}"
        self.dir.mkdir(exist_ok=True)
        self.config_text = config_text
        self.proc: Proc | None = None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Write files before the start (subclasses)."""

    def start(self, timeout: float = 20.0) -> _Server:
        self.prepare()
        self.proc = self.lab.popen(self.ns, self.argv(), name=self.name)
        deadline = time.monotonic() + timeout
        while self.ready not in self.proc.output():
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                self.proc.stop()
                raise LabError(f"{self.name} did not start; output:\n{self.proc.output()}")
            time.sleep(0.05)
        return self

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


class IscDhcpd(_Server):
    """ISC dhcpd 4.4 (Debian isc-dhcp-server)."""

    name = "dhcpd"
    ready = "Server starting service."

    def __init__(self, lab: Lab, ns: str, config_text: str, interfaces: list[str]) -> None:
        super().__init__(lab, ns, config_text)
        self.interfaces = interfaces
        self.config_path = self.dir / "dhcpd.conf"
        self.lease_path = self.dir / "dhcpd.leases"
        self.pid_path = self.dir / "dhcpd.pid"

    def prepare(self) -> None:
        self.config_path.write_text(self.config_text)
        self.lease_path.touch()  # dhcpd refuses to start without an existing lease file

    def argv(self) -> list[str]:
        return [
            unconfined_binary(self.lab, "dhcpd"),
            "-4",
            "-f",
            "-d",
            "-cf",
            str(self.config_path),
            "-lf",
            str(self.lease_path),
            "-pf",
            str(self.pid_path),
            *self.interfaces,
        ]


class Dnsmasq(_Server):
    """dnsmasq 2.90 (Debian dnsmasq-base), DHCP only."""

    name = "dnsmasq"
    ready = "DHCP, IP range"  # logged once its sockets are open

    def __init__(self, lab: Lab, ns: str, config_text: str) -> None:
        super().__init__(lab, ns, config_text)
        self.config_path = self.dir / "dnsmasq.conf"
        self.lease_path = self.dir / "dnsmasq.leases"
        self.pid_path = self.dir / "dnsmasq.pid"

    def prepare(self) -> None:
        self.config_path.write_text(self.config_text.replace("@LEASES@", str(self.lease_path)))

    def argv(self) -> list[str]:
        return [
            unconfined_binary(self.lab, "dnsmasq"),
            "--no-daemon",
            f"--conf-file={self.config_path}",
            f"--pid-file={self.pid_path}",
            "--log-facility=-",
            "--user=root",
            "--log-dhcp",
        ]
