"""Runners for real DHCPv6 clients and tools in lab namespaces: dhclient -6, dhcpcd -6, perfdhcp -6.

Rules this module keeps (as clients.py does for v4):
- Every client runs with OUR event script (hook6.py through a generated shim) and its own lease, DUID,
  pid and config files in a per-client directory under the lab's temp dir: dhclient gets -cf/-lf/-pf/-sf
  (its DUID lives in its -lf file as `default-duid`); dhcpcd, which has no switches for its state
  directories, runs with private directories bind-mounted over /run and /var/lib/dhcpcd (its DUID file
  is /var/lib/dhcpcd/duid) for every call, including -k/-x.
- Every process starts through Lab.popen/Lab.run, so the lab kills it at teardown.
- Waiting is event-driven with a deadline; a client that exits with an error while we wait fails at once
  with its output in the exception.

Theory of operation:
The script appends one JSON line per event to `events.jsonl` and keeps `lease.json` (the bindings and
options now held). dhclient -6 runs the script once per IA entry, so `obtain()` waits until as many
bindings as were asked for (IA_NA count + IA_PD count) have been reported after the start:

    dhclient -6  obtain: -d -1 [-N]*n [-P]*p | -S, then -x (keeps the lease file) unless background
                 restart(): a new run on the saved lease: CONFIRM (IA_NA only) or REBIND (with IA_PD)
                 release(): dhclient -6 -r (RELEASE)     decline=N: the script exits 3 on the first
                 BOUND6 of the first N addresses, dhclient sends DECLINE and solicits again
    dhcpcd -6    obtain: -6 -B [-1] with ia_na/ia_pd lines, noipv6rs; release(): -k; stop(): -x
    perfdhcp -6  run_perfdhcp6(): one bounded run, its exit code and parsed counters
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from tests.lab.netns import Lab, LabError, Proc

REPO_ROOT = Path(__file__).resolve().parents[2]
_ids = itertools.count(1)


class ClientError(LabError):
    """A DHCPv6 client failed to do what was asked; the message has its output."""


@dataclass(frozen=True)
class Binding6:
    """One IA entry as the client's script saw it."""

    type: str  # "na" or "pd"
    iaid: str  # hex, 8 digits
    address: ipaddress.IPv6Address | None
    prefix: ipaddress.IPv6Network | None
    preferred: int | None
    valid: int | None
    t1: int | None
    t2: int | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Binding6:
        return cls(
            type=data["type"],
            iaid=str(data.get("iaid") or ""),
            address=ipaddress.IPv6Address(data["address"]) if data.get("address") else None,
            prefix=ipaddress.IPv6Network(data["prefix"], strict=False) if data.get("prefix") else None,
            preferred=data.get("preferred"),
            valid=data.get("valid"),
            t1=data.get("t1"),
            t2=data.get("t2"),
        )


@dataclass(frozen=True)
class Lease6:
    """What a v6 client holds now, according to its script."""

    bindings: tuple[Binding6, ...]
    dns_servers: tuple[ipaddress.IPv6Address, ...] = ()
    domain_search: tuple[str, ...] = ()
    server_id: str | None = None  # hex
    client_id: str | None = None  # hex

    @property
    def addresses(self) -> list[ipaddress.IPv6Address]:
        return [b.address for b in self.bindings if b.type == "na" and b.address is not None]

    @property
    def prefixes(self) -> list[ipaddress.IPv6Network]:
        return [b.prefix for b in self.bindings if b.type == "pd" and b.prefix is not None]

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Lease6:
        options = state.get("options") or {}
        return cls(
            bindings=tuple(Binding6.from_dict(b) for b in state.get("bindings", {}).values()),
            dns_servers=tuple(ipaddress.IPv6Address(a) for a in options.get("dns_servers") or ()),
            domain_search=tuple(options.get("domain_search") or ()),
            server_id=options.get("server_id"),
            client_id=options.get("client_id"),
        )


class Client6:
    """Common machinery for v6 clients."""

    kind: ClassVar[str] = ""
    binary: ClassVar[str] = ""
    configures_itself: ClassVar[bool] = False

    def __init__(
        self,
        lab: Lab,
        ns: str,
        ifname: str,
        *,
        ia_na: int = 1,
        ia_pd: int = 0,
        stateless: bool = False,
        rapid_commit: bool = False,
        decline: int = 0,
        timeout: float = 30.0,
    ) -> None:
        self.lab = lab
        self.ns = ns
        self.ifname = ifname
        self.ia_na = 0 if stateless else ia_na
        self.ia_pd = 0 if stateless else ia_pd
        self.stateless = stateless
        self.rapid_commit = rapid_commit
        self.decline = decline
        self.timeout = timeout
        self.dir = lab.tmp / f"{self.kind}6-{ifname}-{next(_ids)}"
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
        return shutil.which(cls.binary) is not None or Path("/usr/sbin", cls.binary).exists()

    def _write_script(self) -> None:
        settings = {
            "kind": self.kind,
            "ifname": self.ifname,
            "configure": not self.configures_itself,
            "events_path": str(self.events_path),
            "lease_path": str(self.lease_path),
            "errors_path": str(self.errors_path),
            "resolv_path": str(self.lab.resolv_conf(self.ns)),
            "decline": self.decline,
            "declined_path": str(self.dir / "declined.txt"),
        }
        self.script.write_text(
            f"#!{sys.executable}\n"
            "# Generated by tests/lab/clients6.py: the lab's DHCPv6 client event script.\n"
            "import json, sys\n"
            f"sys.path.insert(0, {str(REPO_ROOT)!r})\n"
            "from tests.lab.hook6 import main\n"
            f"sys.exit(main(json.loads({json.dumps(settings)!r})))\n"
        )
        self.script.chmod(0o755)

    def prepare(self) -> None:
        """Write config files (subclasses)."""

    @property
    def expected_bindings(self) -> int:
        return self.ia_na + self.ia_pd

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
    def lease(self) -> Lease6 | None:
        """The bindings and options held now (None before the first event that carried any)."""
        try:
            state = json.loads(self.lease_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        lease = Lease6.from_state(state)
        return lease if lease.bindings or self.stateless else None

    def script_errors(self) -> str:
        try:
            return self.errors_path.read_text()
        except FileNotFoundError:
            return ""

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""

    def wait_events(
        self,
        events: str | set[str],
        after: int = 0,
        count: int = 1,
        timeout: float | None = None,
        proc: Proc | None = None,
        watch: bool = True,
        carrying: bool = False,
    ) -> list[dict[str, Any]]:
        """The first `count` events named in `events` with seq > `after` (with bindings if `carrying`)."""
        wanted = {events} if isinstance(events, str) else set(events)
        watched = (proc if proc is not None else self.proc) if watch else None
        limit = timeout if timeout is not None else self.timeout
        deadline = time.monotonic() + limit
        while True:
            found = [
                r
                for r in self.events()
                if r["seq"] > after
                and r["event"] in wanted
                and (r["bindings"] or not carrying)
                and not r.get("declined")
            ]
            if len(found) >= count:
                return found[:count]
            if watched is not None and watched.poll() not in (None, 0):
                self._fail(
                    f"{self.kind} exited with {watched.poll()} before reporting {count} x {sorted(wanted)}"
                )
            if time.monotonic() >= deadline:
                self._fail(f"{self.kind} did not report {count} x {sorted(wanted)} within {limit}s")
            time.sleep(0.05)

    def wait_event(self, events: str | set[str], after: int = 0, **kwargs: Any) -> dict[str, Any]:
        return self.wait_events(events, after, 1, **kwargs)[0]

    def _fail(self, message: str) -> None:
        trail = ", ".join(f"{e['seq']}:{e['reason']}" for e in self.events()) or "none"
        raise ClientError(
            f"{message}\nevents: {trail}\nscript errors: {self.script_errors() or 'none'}\n"
            f"client output:\n{self.output()[-6000:]}"
        )

    def _current(self) -> Lease6:
        lease = self.lease
        if lease is None:
            self._fail("the client reported no lease")
        assert lease is not None
        return lease

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.ns}/{self.ifname})"


class Dhclient6(Client6):
    """ISC dhclient 4.4 in DHCPv6 mode (isc-dhcp-client)."""

    kind = "dhclient"
    binary = "dhclient"

    def __init__(
        self,
        *args: Any,
        duid_type: str | None = None,
        prefix_len_hint: int | None = None,
        extra_conf: str = "",
        **kwargs: Any,
    ) -> None:
        self.duid_type = duid_type
        self.prefix_len_hint = prefix_len_hint
        self.extra_conf = extra_conf
        super().__init__(*args, **kwargs)

    def prepare(self) -> None:
        self.conf = self.dir / "dhclient6.conf"
        self.leases = self.dir / "dhclient6.leases"
        self.pidfile = self.dir / "dhclient6.pid"
        lines = [
            "# edge-dhcp lab dhclient -6 configuration",
            "initial-interval 1;",
            f"timeout {int(self.timeout)};",
            "request dhcp6.name-servers, dhcp6.domain-search;",
        ]
        if self.rapid_commit:
            lines.append("send dhcp6.rapid-commit;")
        if self.extra_conf:
            lines.append(self.extra_conf)
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

    def _mode(self) -> list[str]:
        if self.stateless:
            return ["-S"]
        argv = ["-N"] * self.ia_na + ["-P"] * self.ia_pd
        if self.prefix_len_hint is not None:
            argv += ["--prefix-len-hint", str(self.prefix_len_hint)]
        return argv

    def argv(self) -> list[str]:
        duid = ["-D", self.duid_type] if self.duid_type else []
        return ["dhclient", "-6", "-d", "-1", "-v", *self._mode(), *duid, *self._files(), self.ifname]

    def obtain(self, background: bool = False, events: set[str] | None = None) -> Lease6:
        """Start dhclient -6 and wait until every IA asked for is bound (stateless: the options arrived)."""
        after = self.last_seq()
        self.proc = self.lab.popen(self.ns, self.argv(), name="dhclient6")
        self.background = background
        if self.stateless:
            self.wait_event(events or {"renew", "bound", "inform", "rebind"}, after)
            return self._current()
        wanted = events or {"bound", "rebind", "renew"}
        self.wait_events(wanted, after, count=self.expected_bindings, carrying=True)
        lease = self._current()
        if not background:
            self._lease_written(lease)
            self._exit_keeping_lease()
        return lease

    def _lease_written(self, lease: Lease6) -> None:
        """dhclient writes its lease file after the script ran; stopped in between, a restart or -r finds
        nothing. Wait until every bound address and prefix is in the file."""
        needles = [f"iaaddr {a} " for a in lease.addresses] + [f"iaprefix {p} " for p in lease.prefixes]
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                text = self.leases.read_text()
            except FileNotFoundError:
                text = ""
            if all(n in text for n in needles):
                return
            time.sleep(0.02)
        self._fail(f"dhclient did not write {needles} to {self.leases} within {self.timeout}s")

    def _exit_keeping_lease(self) -> None:
        """-x: stop without releasing (STOP6 runs the script; the lease file is kept)."""
        self.lab.run(self.ns, ["dhclient", "-6", "-x", *self._files(), self.ifname], timeout=self.timeout)
        if self.proc is not None:
            self.proc.wait(self.timeout)

    def restart(self, background: bool = False) -> Lease6:
        """A new run on the saved lease: dhclient sends CONFIRM (IA_NA only) or REBIND (with IA_PD)."""
        if self.running():
            self._exit_keeping_lease()
        return self.obtain(background=background)

    def wait_renewal(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Events of the next renewal at T1 (background mode with a short renew-timer): one per IA."""
        return self.wait_events({"renew"}, self.last_seq(), count=self.expected_bindings, timeout=timeout)

    def release(self) -> list[dict[str, Any]]:
        """dhclient -6 -r: RELEASE for every IA in the lease file; returns the RELEASE6 events."""
        after = self.last_seq()
        if self.running():
            self._exit_keeping_lease()
        said = self.lab.run(
            self.ns,
            ["dhclient", "-6", "-r", "-v", *self._mode(), *self._files(), self.ifname],
            timeout=self.timeout,
        )
        try:
            return self.wait_events("release", after, count=self.expected_bindings, watch=False)
        except ClientError as exc:
            raise ClientError(f"{exc}\n`dhclient -6 -r` said:\n{said.stdout}{said.stderr}") from None

    def stop(self) -> None:
        if self.running():
            self._exit_keeping_lease()
        super().stop()


class Dhcpcd6(Client6):
    """dhcpcd 9 (dhcpcd-base), IPv6 only, DHCPv6 without waiting for an RA, private /run and /var/lib/dhcpcd.

    `delegate_to` names a downstream interface in the same namespace: then the IA lines sit in an
    `interface IFNAME` block (dhcpcd.conf wants ia_pd there) and every ia_pd line delegates its prefix to
    it as `ia_pd IAID DOWNSTREAM/0/64` (sla_id 0, a /64 numbered ::1, no reject route when the delegation is
    a /64 already); dhcpcd must run on the downstream interface too, so it is named on every command line.
    """

    kind = "dhcpcd"
    binary = "dhcpcd"
    configures_itself = True

    def __init__(self, *args: Any, delegate_to: str | None = None, **kwargs: Any) -> None:
        self.delegate_to = delegate_to
        super().__init__(*args, **kwargs)

    def prepare(self) -> None:
        self.conf = self.dir / "dhcpcd6.conf"
        self.run_dir = self.dir / "run"
        self.db_dir = self.dir / "db"
        self.run_dir.mkdir()
        self.db_dir.mkdir()
        lines = [
            "# edge-dhcp lab dhcpcd -6 configuration",
            "ipv6only",
            "noipv6rs",
            f"timeout {int(self.timeout)}",
            "option dhcp6_name_servers, dhcp6_domain_search",
        ]
        if self.rapid_commit:
            lines.append("option dhcp6_rapid_commit")
        if self.delegate_to is not None:
            # two interfaces make dhcpcd a manager, which would wait for udev to announce them (it never
            # does inside a lab namespace): no /dev module, the interfaces are taken as they are
            lines += ["nodev", f"interface {self.ifname}"]
        for n in range(self.ia_na):
            lines.append(f"ia_na {n + 1}")
        for n in range(self.ia_pd):
            target = f" {self.delegate_to}/0/64" if self.delegate_to is not None else ""
            lines.append(f"ia_pd {self.ia_na + n + 1}{target}")
        self.conf.write_text("\n".join(lines) + "\n")

    @property
    def interfaces(self) -> list[str]:
        return [self.ifname] + ([self.delegate_to] if self.delegate_to is not None else [])

    @property
    def binds(self) -> dict[str, Path]:
        return {"/run": self.run_dir, "/var/lib/dhcpcd": self.db_dir}

    def _ctl(self, flag: str) -> None:
        self.lab.run(
            self.ns,
            ["dhcpcd", "-f", str(self.conf), "-6", flag, *self.interfaces],
            binds=self.binds,
            timeout=self.timeout,
        )

    def obtain(self, background: bool = False) -> Lease6:
        after = self.last_seq()
        argv = ["dhcpcd", "-f", str(self.conf), "-c", str(self.script), "-6", "-B", "-d"]
        if self.stateless:
            argv.append("--inform6")
        argv += [] if background else ["-1"]
        self.proc = self.lab.popen(self.ns, [*argv, *self.interfaces], binds=self.binds, name="dhcpcd6")
        self.background = background
        wanted = {"inform"} if self.stateless else {"bound", "renew", "rebind", "delegated"}
        self.wait_event(wanted, after, carrying=not self.stateless)
        if self.delegate_to is not None and self.ia_pd:
            # the downstream interface is numbered after BOUND6; until its DELEGATED6 script has run, a
            # `dhcpcd -k` (SIGALRM) has been seen to go unanswered
            self.wait_event("delegated", after)
        if not background and self.proc.wait(self.timeout) != 0:
            self._fail("dhcpcd --oneshot exited with an error after binding")
        return self._current()

    def release(self) -> None:
        if not self.running():
            self.obtain(background=True)
        after = self.last_seq()
        self._ctl("-k")
        self.wait_event({"release", "stop"}, after)
        if self.proc is not None:
            self.proc.wait(self.timeout)

    def stop(self) -> None:
        if self.running():
            self._ctl("-x")
            assert self.proc is not None
            self.proc.wait(self.timeout)
        super().stop()


CLIENTS6: dict[str, type[Client6]] = {"dhclient": Dhclient6, "dhcpcd": Dhcpcd6}


# -- perfdhcp -6 -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PerfResult6:
    returncode: int  # 0 all exchanges done, 3 some failed (perfdhcp's own convention)
    exchanges: dict[str, dict[str, float]]  # "SOLICIT-ADVERTISE" / "REQUEST-REPLY" -> sent, received, drops
    output: str

    def received(self, exchange: str) -> int:
        return int(self.exchanges.get(exchange, {}).get("received", 0))

    def sent(self, exchange: str) -> int:
        return int(self.exchanges.get(exchange, {}).get("sent", 0))


def parse_perfdhcp6(output: str) -> dict[str, dict[str, float]]:
    """perfdhcp's final report -> {exchange name: {"sent": n, "received": n, "drops": n}}."""
    found: dict[str, dict[str, float]] = {}
    current = None
    for line in output.splitlines():
        head = re.match(r"^\*{3}\s*Statistics for:\s*([A-Z-]+)", line)
        if head:
            current = head.group(1)
            found[current] = {}
            continue
        if current is None:
            continue
        for key, pattern in (
            ("sent", r"^sent packets:\s+(\d+)"),
            ("received", r"^received packets:\s+(\d+)"),
            ("drops", r"^drops:\s+(\d+)"),
        ):
            match = re.match(pattern, line.strip())
            if match:
                found[current][key] = float(match.group(1))
    return found


def run_perfdhcp6(
    lab: Lab,
    ns: str,
    ifname: str,
    *,
    mode: str = "address-only",
    rate: int = 10,
    num_request: int = 20,
    clients: int = 1000,
    rapid_commit: bool = False,
    extra: list[str] | None = None,
    timeout: float = 60.0,
) -> PerfResult6:
    """One bounded perfdhcp -6 run from `ns` on `ifname` (its ifindex must be below 65536 in Kea 2.2).

    -W 2 s: after the last request perfdhcp waits that long for the answers still under way (without it,
    the last exchange counts as a drop)."""
    argv = [
        "perfdhcp",
        "-6",
        "-l",
        ifname,
        "-e",
        mode,
        "-r",
        str(rate),
        "-n",
        str(num_request),
        "-R",
        str(clients),
    ]
    if rapid_commit:
        argv.append("-c")
    argv += extra or []
    done = lab.run(ns, argv, check=False, timeout=timeout)
    output = done.stdout + done.stderr
    return PerfResult6(done.returncode, parse_perfdhcp6(output), output)
