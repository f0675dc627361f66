"""Runners for real DHCP clients (ISC dhclient, busybox udhcpc, dhcpcd) inside lab namespaces.

Rules this module keeps:
- Every client runs with OUR event script (hook.py through a generated shim), its own lease/pid/config
  files in a per-client directory under the lab's temp dir, and nothing read from or written to the
  machine's global client state: dhclient gets -cf/-lf/-pf; udhcpc gets -s/-p; dhcpcd, which has no
  switches for its state directories, runs with per-client directories bind-mounted over /run and
  /var/lib/dhcpcd in the private mount namespace `ip netns exec` gives it (also for -k/-n/-x calls).
- Every client process is started through `Lab.popen`/`Lab.run`, so the lab kills it at teardown.
- Waiting is event-driven with a deadline ("wait until the script reports BOUND, at most N seconds"),
  never a sleep-and-assert. A client that exits with an error while we wait fails at once, with its
  output in the exception.

Theory of operation:
The script appends one JSON line per event to `events.jsonl` and keeps `lease.json` current (hook.py).
`obtain()` starts the client and waits for a "bound" event newer than anything seen before; `renew()`
and `release()` do what each client supports and wait for the matching event:

    client   obtain (oneshot / background)        renew                              release
    dhclient -1 -d, then -x / keeps running       restart: INIT-REBOOT (REBOOT)      dhclient -r
    udhcpc   -f -q -n / -f (-R if asked)          SIGUSR1: unicast RENEWING          SIGUSR2 (background)
    dhcpcd   -1 -B / -B                           dhcpcd -n (rebind) or restart      dhcpcd -k

A renewal at T1 (RFC 2131 RENEWING, unicast) happens by itself with a short renew-timer in background
mode; `wait_event("renew")` waits for it.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from tests.lab.netns import Lab, LabError, Proc

REPO_ROOT = Path(__file__).resolve().parents[2]
_ids = itertools.count(1)


class ClientError(LabError):
    """A DHCP client failed to do what was asked; the message has its output."""


@dataclass(frozen=True)
class ClientLease:
    """What a client got, as its script saw it."""

    address: ipaddress.IPv4Address
    prefix_len: int
    routers: tuple[ipaddress.IPv4Address, ...] = ()
    dns_servers: tuple[ipaddress.IPv4Address, ...] = ()
    domain_name: str | None = None
    lease_time: int | None = None
    server_id: ipaddress.IPv4Address | None = None
    hostname: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClientLease:
        return cls(
            address=ipaddress.IPv4Address(data["address"]),
            prefix_len=int(data["prefix_len"]),
            routers=tuple(ipaddress.IPv4Address(r) for r in data.get("routers") or ()),
            dns_servers=tuple(ipaddress.IPv4Address(d) for d in data.get("dns_servers") or ()),
            domain_name=data.get("domain_name") or None,
            lease_time=data.get("lease_time"),
            server_id=ipaddress.IPv4Address(data["server_id"]) if data.get("server_id") else None,
            hostname=data.get("hostname") or None,
        )

    @property
    def interface(self) -> ipaddress.IPv4Interface:
        return ipaddress.IPv4Interface(f"{self.address}/{self.prefix_len}")

    @property
    def subnet_mask(self) -> ipaddress.IPv4Address:
        return self.interface.netmask


class DhcpClient:
    """Common machinery; subclasses say how to start, renew, release and stop one kind of client."""

    kind: ClassVar[str] = ""
    binary: ClassVar[str] = ""
    configures_itself: ClassVar[bool] = False

    def __init__(
        self,
        lab: Lab,
        ns: str,
        ifname: str,
        *,
        hostname: str | None = None,
        client_id: bytes | None = None,
        timeout: float = 30.0,
        fqdn: str | None = None,
    ) -> None:
        self.lab = lab
        self.ns = ns
        self.ifname = ifname
        self.hostname = hostname
        self.fqdn = fqdn  # sent as the client FQDN option (81) with S=1, asking the server to update DNS
        self.client_id = client_id
        self.timeout = timeout
        self.dir = lab.tmp / f"{self.kind}-{ifname}-{next(_ids)}"
        self.dir.mkdir(parents=True)
        self.events_path = self.dir / "events.jsonl"
        self.lease_path = self.dir / "lease.json"
        self.errors_path = self.dir / "script-errors.txt"
        self.script = self.dir / "client-script"
        self.proc: Proc | None = None
        self.background = False
        self._write_script()
        self.prepare()

    @classmethod
    def available(cls) -> bool:
        return shutil.which(cls.binary) is not None

    def _write_script(self) -> None:
        settings = {
            "kind": self.kind,
            "ifname": self.ifname,
            "configure": not self.configures_itself,
            "events_path": str(self.events_path),
            "lease_path": str(self.lease_path),
            "errors_path": str(self.errors_path),
            "resolv_path": str(self.lab.resolv_conf(self.ns)),
        }
        self.script.write_text(
            f"#!{sys.executable}\n"
            "# Generated by tests/lab/clients.py: the lab's client event script.\n"
            "import json, sys\n"
            f"sys.path.insert(0, {str(REPO_ROOT)!r})\n"
            "from tests.lab.hook import main\n"
            f"sys.exit(main(json.loads({json.dumps(settings)!r})))\n"
        )
        self.script.chmod(0o755)

    def prepare(self) -> None:
        """Write config files (subclasses)."""

    # -- what the script reported --------------------------------------------------------------------------

    def events(self) -> list[dict[str, Any]]:
        try:
            lines = self.events_path.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    def last_seq(self) -> int:
        found = self.events()
        return found[-1]["seq"] if found else 0

    @property
    def lease(self) -> ClientLease | None:
        """The current lease according to the script (None before the first or after a release)."""
        try:
            data = json.loads(self.lease_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return ClientLease.from_dict(data) if data else None

    def script_errors(self) -> str:
        try:
            return self.errors_path.read_text()
        except FileNotFoundError:
            return ""

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""

    def wait_event(
        self,
        events: str | set[str],
        after: int = 0,
        timeout: float | None = None,
        proc: Proc | None = None,
        watch: bool = True,
    ) -> dict[str, Any]:
        """The first event named in `events` with seq > `after`; ClientError on timeout or client failure.

        While waiting, `proc` (default: the client's own process) is watched so that a client that dies
        fails at once; `watch=False` watches nothing (for events from a separate, finished command)."""
        wanted = {events} if isinstance(events, str) else set(events)
        watched = (proc if proc is not None else self.proc) if watch else None
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            for record in self.events():
                if record["seq"] > after and record["event"] in wanted:
                    return record
            if watched is not None and watched.poll() not in (None, 0):
                self._fail(f"{self.kind} exited with {watched.poll()} before reporting {sorted(wanted)}")
            if time.monotonic() >= deadline:
                self._fail(f"{self.kind} did not report {sorted(wanted)} within {timeout or self.timeout}s")
            time.sleep(0.05)

    def _fail(self, message: str) -> None:
        trail = ", ".join(f"{e['seq']}:{e['reason']}" for e in self.events()) or "none"
        raise ClientError(
            f"{message}\nevents: {trail}\nscript errors: {self.script_errors() or 'none'}\n"
            f"client output:\n{self.output()}"
        )

    def _lease_from(self, record: dict[str, Any]) -> ClientLease:
        if not record.get("lease"):
            self._fail(f"event {record['reason']} carried no lease")
        return ClientLease.from_dict(record["lease"])

    # -- the operations ------------------------------------------------------------------------------------

    def obtain(self, background: bool = False) -> ClientLease:
        raise NotImplementedError

    def renew(self) -> ClientLease:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.ns}/{self.ifname})"


class Dhclient(DhcpClient):
    """ISC dhclient 4.4 (isc-dhcp-client)."""

    kind = "dhclient"
    binary = "dhclient"

    def prepare(self) -> None:
        self.conf = self.dir / "dhclient.conf"
        self.leases = self.dir / "dhclient.leases"
        self.pidfile = self.dir / "dhclient.pid"
        lines = [
            "# edge-dhcp lab dhclient configuration",
            "initial-interval 1;",
            f"timeout {int(self.timeout)};",
            "request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name,",
            "        dhcp-lease-time, dhcp-server-identifier;",
        ]
        if self.hostname:
            lines.append(f'send host-name "{self.hostname}";')
        if self.fqdn:  # DNS wire format (E=1); a name ending in "." is sent fully qualified
            lines += [
                f'send fqdn.fqdn "{self.fqdn}";',
                "send fqdn.encoded on;",
                "send fqdn.server-update on;",
            ]
        if self.client_id is not None:
            lines.append(f"send dhcp-client-identifier {self.client_id.hex(':')};")
        self.conf.write_text("\n".join(lines) + "\n")

    def _files(self) -> list[str]:
        return [
            "-sf",
            str(self.script),
            "-lf",
            str(self.leases),
            "-pf",
            str(self.pidfile),
            "-cf",
            str(self.conf),
        ]

    def obtain(self, background: bool = False) -> ClientLease:
        after = self.last_seq()
        argv = ["dhclient", "-4", "-d", "-1", "-v", *self._files(), self.ifname]
        self.proc = self.lab.popen(self.ns, argv, name="dhclient")
        self.background = background
        record = self.wait_event("bound", after)
        lease = self._lease_from(record)
        if not background:
            self._lease_written(lease.address)
            self._exit_keeping_lease()
        return lease

    def _lease_written(self, address: ipaddress.IPv4Address) -> None:
        """dhclient runs its script for BOUND first and writes the lease file after: stopped in between, it
        leaves no lease for `dhclient -r` to release or for a restart to reboot on. Wait for the write."""
        needle = f"fixed-address {address};"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                if needle in self.leases.read_text():
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        self._fail(f"dhclient did not write {needle!r} to {self.leases} within {self.timeout}s")

    def _exit_keeping_lease(self) -> None:
        # dhclient has no "exit once bound"; -x stops it without releasing (the address stays configured).
        self.lab.run(self.ns, ["dhclient", "-4", "-x", *self._files(), self.ifname], timeout=self.timeout)
        if self.proc is not None:
            self.proc.wait(self.timeout)

    def renew(self) -> ClientLease:
        """Restart on the saved lease: dhclient goes INIT-REBOOT (REQUEST with requested-ip, no server id)."""
        if self.running():
            self._exit_keeping_lease()
        return self.obtain(background=self.background)

    def release(self) -> None:
        after = self.last_seq()
        said = self.lab.run(
            self.ns, ["dhclient", "-4", "-r", "-v", *self._files(), self.ifname], timeout=self.timeout
        )
        # `dhclient -r` is its own process and has finished; the daemon stopped with -x exited -15 on purpose.
        try:
            self.wait_event("release", after, watch=False)
        except ClientError as exc:
            raise ClientError(f"{exc}\n`dhclient -r` said:\n{said.stdout}{said.stderr}") from None
        if self.proc is not None:
            self.proc.stop()

    def stop(self) -> None:
        if self.running():
            self._exit_keeping_lease()
        super().stop()


class Udhcpc(DhcpClient):
    """busybox udhcpc."""

    kind = "udhcpc"
    binary = "udhcpc"

    def __init__(self, *args: Any, release_on_exit: bool = False, **kwargs: Any) -> None:
        self.release_on_exit = release_on_exit
        super().__init__(*args, **kwargs)

    def _argv(self, background: bool, requested: ipaddress.IPv4Address | None = None) -> list[str]:
        argv = ["udhcpc", "-f", "-i", self.ifname, "-s", str(self.script), "-p", str(self.dir / "udhcpc.pid")]
        argv += ["-t", "5", "-T", "1", "-A", "1"]
        argv += (["-R"] if self.release_on_exit else []) if background else ["-q", "-n"]
        if requested is not None:
            argv += ["-r", str(requested)]
        if self.hostname:
            argv += ["-x", f"hostname:{self.hostname}"]
        if self.fqdn:  # busybox sends option 81 in ASCII (E=0) with S=1
            argv += ["-F", self.fqdn]
        if self.client_id is not None:
            argv += ["-x", f"0x3d:{self.client_id.hex()}"]
        return argv

    def obtain(self, background: bool = False, requested: ipaddress.IPv4Address | None = None) -> ClientLease:
        after = self.last_seq()
        self.proc = self.lab.popen(self.ns, self._argv(background, requested), name="udhcpc")
        self.background = background
        record = self.wait_event("bound", after)
        if not background:
            if self.proc.wait(self.timeout) != 0:
                self._fail("udhcpc -q exited with an error after binding")
        return self._lease_from(record)

    def renew(self) -> ClientLease:
        """Background: SIGUSR1, a unicast RENEWING request. One-shot: a new run asking for the same address."""
        if not self.running():
            current = self.lease
            return self.obtain(background=False, requested=current.address if current else None)
        after = self.last_seq()
        assert self.proc is not None
        self.proc.send_signal(signal.SIGUSR1)
        return self._lease_from(self.wait_event({"renew", "bound"}, after))

    def release(self) -> None:
        """SIGUSR2 to the running client (udhcpc -q has exited, so it is restarted in the background first)."""
        if not self.running():
            current = self.lease
            self.obtain(background=True, requested=current.address if current else None)
        after = self.last_seq()
        assert self.proc is not None
        self.proc.send_signal(signal.SIGUSR2)
        self.wait_event("deconfig", after)
        self.proc.stop()


class Dhcpcd(DhcpClient):
    """dhcpcd 9 (dhcpcd-base), IPv4 only, with private /run and /var/lib/dhcpcd."""

    kind = "dhcpcd"
    binary = "dhcpcd"
    configures_itself = True

    def __init__(self, *args: Any, arp: bool = False, **kwargs: Any) -> None:
        self.arp = arp
        super().__init__(*args, **kwargs)

    def prepare(self) -> None:
        self.conf = self.dir / "dhcpcd.conf"
        self.run_dir = self.dir / "run"
        self.db_dir = self.dir / "db"
        self.run_dir.mkdir()
        self.db_dir.mkdir()
        lines = [
            "# edge-dhcp lab dhcpcd configuration",
            "ipv4only",
            "noipv4ll",
            f"timeout {int(self.timeout)}",
            "option domain_name_servers, domain_name, host_name",
        ]
        if not self.arp:
            lines.append("noarp")  # skips the address probe (seconds of waiting); the lab has no conflicts
        if self.hostname:
            lines.append(f"hostname {self.hostname}")
        if self.client_id is not None:
            lines.append(f"clientid {self.client_id.hex(':')}")
        self.conf.write_text("\n".join(lines) + "\n")

    @property
    def binds(self) -> dict[str, Path]:
        return {"/run": self.run_dir, "/var/lib/dhcpcd": self.db_dir}

    def _ctl(self, flag: str) -> None:
        self.lab.run(
            self.ns,
            ["dhcpcd", "-f", str(self.conf), "-4", flag, self.ifname],
            binds=self.binds,
            timeout=self.timeout,
        )

    def obtain(self, background: bool = False) -> ClientLease:
        after = self.last_seq()
        argv = ["dhcpcd", "-f", str(self.conf), "-c", str(self.script), "-4", "-B"]
        argv += [] if background else ["-1"]
        self.proc = self.lab.popen(self.ns, [*argv, self.ifname], binds=self.binds, name="dhcpcd")
        self.background = background
        record = self.wait_event("bound", after)
        if not background and self.proc.wait(self.timeout) != 0:
            self._fail("dhcpcd --oneshot exited with an error after binding")
        return self._lease_from(record)

    def renew(self) -> ClientLease:
        """Running: `dhcpcd -n` (rebind). One-shot: a new run, which reboots on the saved lease."""
        if not self.running():
            return self.obtain(background=False)
        after = self.last_seq()
        self._ctl("-n")
        return self._lease_from(self.wait_event({"renew", "bound"}, after))

    def release(self) -> None:
        after = self.last_seq()
        if not self.running():
            self.obtain(background=True)
            after = self.last_seq()
        self._ctl("-k")
        self.wait_event({"release", "stop"}, after)  # dhcpcd 9 reports a release as STOP/STOPPED
        if self.proc is not None:
            self.proc.wait(self.timeout)

    def stop(self) -> None:
        if self.running():
            try:
                self._ctl("-x")
            except LabError:
                # `dhcpcd -x` gives up when the daemon is slow to exit ("pid N failed to exit", seen once on a
                # loaded CI machine, in teardown): the daemon is ours, and super().stop() ends it by PID.
                pass
            else:
                assert self.proc is not None
                self.proc.wait(self.timeout)
        super().stop()


CLIENTS: dict[str, type[DhcpClient]] = {"dhclient": Dhclient, "udhcpc": Udhcpc, "dhcpcd": Dhcpcd}
