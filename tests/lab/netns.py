"""The network-namespace lab: throwaway namespaces, veth links, and processes that cannot leak.

Rules this module keeps:
- Traffic stays inside namespaces this module made. Links are veth pairs created directly inside their
  namespaces (`ip link add A netns X ... peer name B netns Y`), so nothing ever appears in the host's
  namespace, interface names never collide between parallel runs, and caller-chosen interface indexes
  (70000, 131072, up to 2**31 - 1) are per-namespace. Addresses default to the RFC 5737 documentation
  ranges.
- Every namespace gets its own /etc/netns/NAME/resolv.conf before anything runs in it, so `ip netns exec`
  bind-mounts that file over /etc/resolv.conf and the machine's own file is never what a client writes.
- Names are unique per run: PREFIX + pid + "n" + counter + "-" + role. `cleanup_stale()` removes what runs
  that died left behind (their pid is gone), and never touches a live run's namespaces.
- Teardown always runs and never raises halfway: tracked processes (SIGTERM to their process group, then
  SIGKILL), any other process still inside a namespace (`ip netns pids`), the namespaces, their
  /etc/netns directories, and the lab's temp directory. It works after a partial setup (every resource is
  recorded before it is created), on exceptions, on Ctrl-C and SIGTERM (turned into KeyboardInterrupt so
  `with` blocks unwind), and at interpreter exit (atexit) for labs nobody closed.

Theory of operation:
A `Lab` is a context manager owning namespaces, links and processes. `build()` makes the standard
topology the tests and the demo use and returns a `Site` naming its endpoints:

    direct:   [client ns] cli0 ==veth== srv0 [server ns]                      (one subnet)
    relayed:  [client ns] cli0 ==veth== down0 [relay ns] up0 ==veth== srv0 [server ns]
              (client subnet behind the relay; the server routes it via the relay's up0 address)

`run()`/`popen()` start programs with `ip netns exec`, which also gives each one a private mount
namespace; `binds` uses that to mount per-run directories over global state directories (dhcpcd's /run
and /var/lib/dhcpcd) for that process only. `inside()` moves just the calling thread into a namespace
(setns), which lets Python code in the test process open sockets there: a socket stays in the namespace
it was created in after the thread moves back.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import ipaddress
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PREFIX = "edgelab"
NETNS_RUN_DIR = Path("/run/netns")
NETNS_ETC_DIR = Path("/etc/netns")
CLONE_NEWNET = 0x40000000

_counter = itertools.count(1)
_live: set[Lab] = set()
_live_lock = threading.Lock()


class LabError(RuntimeError):
    """A lab command failed; the message carries the command and its output."""


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise LabError(f"ip {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def netns_pids(name: str) -> list[int]:
    result = _ip("netns", "pids", name, check=False)
    return [int(p) for p in result.stdout.split() if p.isdigit()]


def _kill_namespace_processes(name: str) -> None:
    pids = netns_pids(name)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 3.0
        while pids and time.monotonic() < deadline:
            pids = [p for p in pids if _pid_alive(p) and p in netns_pids(name)]
            if pids:
                time.sleep(0.05)
        if not pids:
            return


def _remove_namespace(name: str) -> None:
    _kill_namespace_processes(name)
    if (NETNS_RUN_DIR / name).exists():
        _ip("netns", "del", name, check=False)
    shutil.rmtree(NETNS_ETC_DIR / name, ignore_errors=True)
    with contextlib.suppress(OSError):
        NETNS_ETC_DIR.rmdir()  # only succeeds when no lab (ours or a parallel one) still uses it


def cleanup_stale(prefix: str = PREFIX) -> list[str]:
    """Remove namespaces, /etc/netns dirs and temp dirs of lab runs whose process is gone. Returns names."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)n\d+")
    removed = []
    names = set()
    listing = _ip("netns", "list", check=False).stdout
    for line in listing.splitlines():
        if line.split():
            names.add(line.split()[0])
    if NETNS_ETC_DIR.is_dir():
        names.update(p.name for p in NETNS_ETC_DIR.iterdir())
    for name in sorted(names):
        match = pattern.match(name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or _pid_alive(pid):
            continue
        _remove_namespace(name)
        removed.append(name)
    tmp_root = Path(tempfile.gettempdir())
    for path in tmp_root.glob(f"{prefix}*"):
        match = pattern.match(path.name)
        if match and path.is_dir() and not _pid_alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
    return removed


@dataclass
class Endpoint:
    """One end of a lab link: namespace, interface name, index, MAC and (optional) address."""

    ns: str
    ifname: str
    ifindex: int = 0
    mac: str = ""
    address: ipaddress.IPv4Interface | None = None

    @property
    def ip(self) -> ipaddress.IPv4Address:
        if self.address is None:
            raise LabError(f"{self.ns}/{self.ifname} has no address")
        return self.address.ip

    @property
    def mac_bytes(self) -> bytes:
        return bytes.fromhex(self.mac.replace(":", ""))


@dataclass
class Site:
    """The standard topology made by `Lab.build()`."""

    server: Endpoint
    client: Endpoint
    server_subnet: ipaddress.IPv4Network
    client_subnet: ipaddress.IPv4Network
    relay_up: Endpoint | None = None
    relay_down: Endpoint | None = None

    @property
    def relayed(self) -> bool:
        return self.relay_up is not None

    @property
    def relay_ns(self) -> str | None:
        return self.relay_up.ns if self.relay_up is not None else None


@dataclass
class Proc:
    """A process the lab started (and will kill): the Popen, its namespace and its output file."""

    popen: subprocess.Popen[bytes]
    ns: str
    argv: list[str]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float | None = None) -> int:
        return self.popen.wait(timeout)

    def send_signal(self, sig: int) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM the process group, then SIGKILL it if it has not exited within `timeout`."""
        if self.popen.poll() is not None:
            return self.popen.returncode
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, sig)
            try:
                return self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                continue
        return self.popen.poll()


@dataclass
class Lab:
    """Namespaces, links and processes for one test or demo; use as a context manager."""

    prefix: str = PREFIX
    keep_tmp: bool = False
    id: str = field(init=False)
    tmp: Path = field(init=False)
    namespaces: list[str] = field(init=False, default_factory=list)
    procs: list[Proc] = field(init=False, default_factory=list)
    closed: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.id = f"{self.prefix}{os.getpid()}n{next(_counter)}"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{self.id}-"))
        with _live_lock:
            _live.add(self)
        _install_safety_net()

    def __hash__(self) -> int:
        return hash(self.id)

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- namespaces and links ------------------------------------------------------------------------------

    def add_namespace(self, role: str) -> str:
        """Create namespace `<lab id>-<role>` with lo up and its own resolv.conf; returns its full name."""
        name = f"{self.id}-{role}"
        if name in self.namespaces:
            raise LabError(f"namespace {name} already exists in this lab")
        self.namespaces.append(name)  # recorded first: teardown must cover a half-made namespace
        etc = NETNS_ETC_DIR / name
        for _attempt in range(5):
            try:
                etc.mkdir(parents=True, exist_ok=True)
                break
            except FileNotFoundError:
                continue  # a parallel teardown removed /etc/netns between the two mkdirs
        (etc / "resolv.conf").write_text(f"# edge-dhcp lab namespace {name}: nothing configured yet\n")
        _ip("netns", "add", name)
        _ip("-n", name, "link", "set", "lo", "up")
        return name

    def resolv_conf(self, ns: str) -> Path:
        """The host path of the resolv.conf that processes in `ns` see as /etc/resolv.conf."""
        return NETNS_ETC_DIR / ns / "resolv.conf"

    def add_link(
        self,
        a: tuple[str, str],
        b: tuple[str, str],
        *,
        a_index: int | None = None,
        b_index: int | None = None,
        a_address: str | None = None,
        b_address: str | None = None,
        up: bool = True,
    ) -> tuple[Endpoint, Endpoint]:
        """A veth pair between (ns, ifname) `a` and `b`, with optional fixed indexes and addresses."""
        (a_ns, a_if), (b_ns, b_if) = a, b
        argv = ["link", "add", a_if, "netns", a_ns]
        if a_index is not None:
            argv += ["index", str(a_index)]
        argv += ["type", "veth", "peer", "name", b_if, "netns", b_ns]
        if b_index is not None:
            argv += ["index", str(b_index)]
        _ip(*argv)
        ends = []
        for ns, ifname, address in ((a_ns, a_if, a_address), (b_ns, b_if, b_address)):
            if address is not None:
                _ip("-n", ns, "addr", "add", address, "dev", ifname)
            if up:
                _ip("-n", ns, "link", "set", ifname, "up")
            ends.append(self.endpoint(ns, ifname))
        return ends[0], ends[1]

    def endpoint(self, ns: str, ifname: str) -> Endpoint:
        """The current state of `ifname` in `ns` (index, MAC, first IPv4 address)."""
        info = json.loads(_ip("-j", "-n", ns, "addr", "show", "dev", ifname).stdout)[0]
        address = None
        for entry in info.get("addr_info", []):
            if entry.get("family") == "inet":
                address = ipaddress.IPv4Interface(f"{entry['local']}/{entry['prefixlen']}")
                break
        return Endpoint(
            ns=ns, ifname=ifname, ifindex=info["ifindex"], mac=info.get("address", ""), address=address
        )

    def addresses(self, ns: str, ifname: str) -> list[ipaddress.IPv4Interface]:
        info = json.loads(_ip("-j", "-n", ns, "addr", "show", "dev", ifname).stdout)[0]
        return [
            ipaddress.IPv4Interface(f"{e['local']}/{e['prefixlen']}")
            for e in info.get("addr_info", [])
            if e.get("family") == "inet"
        ]

    def ip(self, ns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `ip -n ns ARGS...`."""
        return _ip("-n", ns, *args, check=check)

    def ping(self, ns: str, address: object, timeout: int = 5) -> bool:
        """One ICMP echo from `ns` to `address` (iputils ping, or busybox's where ping is not installed)."""
        tool = ["ping"] if shutil.which("ping") else ["busybox", "ping"]
        result = self.run(ns, [*tool, "-c", "1", "-W", str(timeout), str(address)], check=False)
        return result.returncode == 0

    def set_checksum_offload(
        self, ns: str, ifname: str, *, rx: bool | None = None, tx: bool | None = None
    ) -> None:
        """Turn a veth's rx/tx checksum offload on or off (what `ethtool -K IF rx off tx off` does).

        veth marks frames from packet sockets as "checksum verified" (rx offload) and leaves locally sent
        UDP checksums unfinished (tx offload); tests that want the kernel to compute or check real
        checksums switch these off. Uses the legacy SIOCETHTOOL commands, so ethtool need not be installed.
        """
        commands = [(0x15, rx), (0x17, tx)]  # ETHTOOL_SRXCSUM, ETHTOOL_STXCSUM
        with self.inside(ns), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for command, enabled in commands:
                if enabled is None:
                    continue
                value = ctypes.create_string_buffer(struct.pack("=II", command, int(enabled)), 8)
                request = struct.pack("16sP", ifname.encode(), ctypes.addressof(value))
                fcntl.ioctl(probe.fileno(), 0x8946, request + bytes(40 - len(request)))  # SIOCETHTOOL

    def sysctl(self, ns: str, key: str, value: str) -> None:
        self.run(ns, ["sysctl", "-q", "-w", f"{key}={value}"])

    def build(
        self,
        *,
        relay: bool = False,
        server_index: int | None = None,
        client_index: int | None = None,
        server_subnet: str = "192.0.2.0/24",
        client_subnet: str = "198.51.100.0/24",
        server_ifname: str = "srv0",
        client_ifname: str = "cli0",
        server_address: bool = True,
    ) -> Site:
        """The standard topology: client and server on one link, or with a relay namespace between them.

        The server gets the first host of `server_subnet` (unless server_address=False, for tests that add
        it later). Directly attached, the client subnet *is* the server subnet. Relayed, the relay's
        downstream interface gets the first host of `client_subnet` (its giaddr), its upstream the second
        host of `server_subnet`, IP forwarding is on in the relay, and the server routes `client_subnet`
        via the relay.
        """
        s_net = ipaddress.IPv4Network(server_subnet)
        c_net = ipaddress.IPv4Network(client_subnet) if relay else s_net
        s_hosts = s_net.hosts()
        server_ip = f"{next(s_hosts)}/{s_net.prefixlen}"
        server_ns = self.add_namespace("server")
        client_ns = self.add_namespace("client")
        if not relay:
            server, client = self.add_link(
                (server_ns, server_ifname),
                (client_ns, client_ifname),
                a_index=server_index,
                b_index=client_index,
                a_address=server_ip if server_address else None,
            )
            return Site(server=server, client=client, server_subnet=s_net, client_subnet=c_net)
        relay_ns = self.add_namespace("relay")
        relay_up_ip = f"{next(s_hosts)}/{s_net.prefixlen}"
        giaddr = f"{next(c_net.hosts())}/{c_net.prefixlen}"
        server, relay_up = self.add_link(
            (server_ns, server_ifname),
            (relay_ns, "up0"),
            a_index=server_index,
            a_address=server_ip if server_address else None,
            b_address=relay_up_ip,
        )
        client, relay_down = self.add_link(
            (client_ns, client_ifname), (relay_ns, "down0"), a_index=client_index, b_address=giaddr
        )
        self.sysctl(relay_ns, "net.ipv4.ip_forward", "1")
        _ip("-n", server_ns, "route", "add", str(c_net), "via", relay_up_ip.split("/")[0])
        return Site(
            server=server,
            client=client,
            server_subnet=s_net,
            client_subnet=c_net,
            relay_up=relay_up,
            relay_down=relay_down,
        )

    # -- processes -----------------------------------------------------------------------------------------

    def _argv(self, ns: str, argv: Sequence[str], binds: Mapping[str, str | Path] | None) -> list[str]:
        if ns not in self.namespaces:
            raise LabError(f"{ns} is not a namespace of this lab")
        argv = [str(a) for a in argv]
        if binds:
            mounts = " && ".join(
                f"mount --bind {shlex.quote(str(source))} {shlex.quote(target)}"
                for target, source in binds.items()
            )
            argv = ["/bin/sh", "-c", f'{mounts} && exec "$@"', "lab-binds", *argv]
        return ["ip", "netns", "exec", ns, *argv]

    def run(
        self,
        ns: str,
        argv: Sequence[str],
        *,
        check: bool = True,
        timeout: float = 60.0,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        binds: Mapping[str, str | Path] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` in `ns` to completion and return its output (text). Raises LabError if check fails."""
        full = self._argv(ns, argv, binds)
        environ = {**os.environ, **(env or {})}
        try:
            result = subprocess.run(
                full,
                input=input,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=environ,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{shlex.join(full)} timed out after {timeout}s; output: {exc.output!r}") from exc
        if check and result.returncode != 0:
            raise LabError(
                f"{shlex.join(full)} exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    def popen(
        self,
        ns: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        binds: Mapping[str, str | Path] | None = None,
        name: str | None = None,
    ) -> Proc:
        """Start `argv` in `ns` in its own process group, output (stdout+stderr) to a file in the lab dir."""
        full = self._argv(ns, argv, binds)
        label = name or Path(str(argv[0])).name
        log_path = self.tmp / f"{label}-{next(_counter)}.log"
        environ = {**os.environ, **(env or {})}
        with open(log_path, "wb") as out:
            popen = subprocess.Popen(
                full,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=environ,
                start_new_session=True,
            )
        proc = Proc(popen=popen, ns=ns, argv=full, log_path=log_path)
        self.procs.append(proc)
        return proc

    def pids(self, ns: str) -> list[int]:
        return netns_pids(ns)

    @contextlib.contextmanager
    def inside(self, ns: str) -> Iterator[None]:
        """Run the body with the calling thread in namespace `ns` (sockets made here stay in `ns`)."""
        if ns not in self.namespaces:
            raise LabError(f"{ns} is not a namespace of this lab")
        target = os.open(NETNS_RUN_DIR / ns, os.O_RDONLY | os.O_CLOEXEC)
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            _setns(target)
            try:
                yield
            finally:
                _setns(home)
        finally:
            os.close(target)
            os.close(home)

    def wait_for(self, predicate: Any, timeout: float = 20.0, interval: float = 0.05, what: str = "") -> Any:
        """Poll `predicate()` until it returns something truthy; raise LabError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise LabError(f"timed out after {timeout}s waiting for {what or predicate}")
            time.sleep(interval)

    # -- teardown ------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Tear everything down; safe to call twice and after any partial setup."""
        if self.closed:
            return
        self.closed = True
        problems = []
        for proc in reversed(self.procs):
            try:
                proc.stop()
            except Exception as exc:  # keep tearing down whatever happens
                problems.append(f"stopping {proc.argv}: {exc}")
        for name in reversed(self.namespaces):
            try:
                _remove_namespace(name)
            except Exception as exc:
                problems.append(f"removing {name}: {exc}")
        if not self.keep_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        with _live_lock:
            _live.discard(self)
        if problems:
            raise LabError("lab teardown was incomplete: " + "; ".join(problems))


def _close_all() -> None:
    with _live_lock:
        labs = list(_live)
    for lab in labs:
        with contextlib.suppress(Exception):
            lab.close()


_safety_net_installed = False


def _sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _install_safety_net() -> None:
    global _safety_net_installed
    if _safety_net_installed:
        return
    _safety_net_installed = True
    atexit.register(_close_all)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _sigterm)
