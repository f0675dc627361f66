"""edge-dhcp itself as the server in a lab namespace, the same way tests/lab/kea.py runs Kea.

Rules this module keeps:
- The server runs `python -m edge serve` from this checkout under `Lab.popen`, so the lab owns and kills it;
  its configuration, lease file and journal live in the lab's temp dir.
- The configuration is Kea's dialect, built with the same helpers as the Kea runner (`kea.subnet`), so one
  scenario can be played against either server.
- Start-up is waited for on log lines (DHCP4_STARTED and the socket opened on each interface), never slept.

Theory of operation: `start()` writes the config and waits for the log; `stop()` sends SIGTERM and waits
for a clean exit (the server closes the lease store, which compacts it); `kill()` is SIGKILL, for crash
tests; `reload()` is SIGHUP and waits for the result line; `ctl()` runs `edge-dhcp ctl` in the server's
namespace against its unix control socket (always in the lab dir with the built-in default, whose own path
is machine-wide).
"""

from __future__ import annotations

import itertools
import json
import re
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.lab.netns import Lab, LabError, Proc

REPO_ROOT = Path(__file__).resolve().parents[2]
_ids = itertools.count(1)


class EdgeServer:
    def __init__(
        self,
        lab: Lab,
        ns: str,
        *,
        interfaces: Sequence[str] = (),
        subnets: Sequence[dict[str, Any]] = (),
        socket_type: str = "raw",
        valid_lifetime: int = 120,
        extra: dict[str, Any] | None = None,
        config_text: str | None = None,
        builtin_default: bool = False,
        control_socket: str | Path | None = None,
    ) -> None:
        self.lab = lab
        self.ns = ns
        self.dir = lab.tmp / f"edge-{next(_ids)}"
        self.dir.mkdir()
        self.config_path = self.dir / "edge-dhcp4.json"
        self.lease_path = self.dir / "dhcp4.leases"
        self.builtin_default = builtin_default
        # `serve --control-socket`: always with the built-in default, whose own socket path (/run/edge-dhcp)
        # is shared by the whole machine; on request otherwise.
        if control_socket is None and builtin_default:
            control_socket = self.dir / "control.sock"
        self.control_socket = str(control_socket) if control_socket is not None else None
        self.interfaces = list(interfaces)
        dhcp4: dict[str, Any] = {
            "interfaces-config": {"interfaces": list(interfaces), "dhcp-socket-type": socket_type},
            "lease-database": {"type": "memfile", "persist": True, "name": str(self.lease_path)},
            "valid-lifetime": valid_lifetime,
            "subnet4": list(subnets),
            "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": "stdout"}], "severity": "INFO"}],
        }
        dhcp4.update(extra or {})
        self.config: dict[str, Any] = {"Dhcp4": dhcp4}
        self.config_text = config_text
        self.proc: Proc | None = None
        self._log_mark = 0

    def write_config(self, text: str | None = None) -> None:
        self.config_path.write_text(
            text if text is not None else (self.config_text or json.dumps(self.config, indent=2))
        )

    def argv(self) -> list[str]:
        argv = [sys.executable, "-m", "edge", "serve", "--lease-file", str(self.lease_path)]
        if not self.builtin_default:
            argv += ["-c", str(self.config_path)]
        if self.control_socket:
            argv += ["--control-socket", self.control_socket]
        return argv

    def ctl(
        self,
        command: str,
        arguments: dict[str, Any] | None = None,
        check: bool = True,
        socket: str | None = None,
    ) -> dict[str, Any]:
        """Run `edge-dhcp ctl COMMAND` in the server's namespace against its unix socket (or `socket`); the
        answer."""
        socket = socket or self.control_socket
        if not socket:
            raise LabError("this EdgeServer has no control socket (give control_socket=...)")
        argv = [sys.executable, "-m", "edge", "ctl", command, "--socket", socket]
        if arguments is not None:
            argv += ["--args", json.dumps(arguments)]
        env = {"PYTHONPATH": str(REPO_ROOT)}
        done = self.lab.run(self.ns, argv, check=False, env=env, timeout=30)
        if done.returncode == 5 or (check and done.returncode != 0):
            raise LabError(f"edge-dhcp ctl {command} exited {done.returncode}: {done.stdout}{done.stderr}")
        return dict(json.loads(done.stdout))

    def start(self, timeout: float = 20.0, wait_for_sockets: bool = True) -> EdgeServer:
        if not self.builtin_default:
            self.write_config()
        env = {"PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
        self.proc = self.lab.popen(self.ns, self.argv(), env=env, name="edge-dhcp")
        self._log_mark = 0
        self.wait_log("DHCP4_STARTED", timeout)
        for ifname in self.interfaces if wait_for_sockets else ():
            self.wait_log(rf"DHCPSRV_OPEN_SOCKET \w+ socket on {re.escape(ifname)} ", timeout)
        return self

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""

    def wait_log(self, pattern: str, timeout: float = 20.0, after: int = 0) -> str:
        """Wait until regex `pattern` matches the server's log (after character offset `after`)."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.output()
            if re.search(pattern, out[after:]):
                return out
            if self.proc is None or self.proc.poll() is not None or time.monotonic() >= deadline:
                raise LabError(
                    f"edge-dhcp: no {pattern!r} in its log (exit {self.proc and self.proc.poll()}):\n{out}"
                )
            time.sleep(0.05)

    def reload(self, expect: str = "DHCP4_CONFIG_COMPLETE", timeout: float = 20.0) -> str:
        assert self.proc is not None
        mark = len(self.output())
        self.proc.send_signal(signal.SIGHUP)
        return self.wait_log(expect, timeout, after=mark)

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        finally:
            self.proc.stop()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def __enter__(self) -> EdgeServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class TwoFamilyServer(EdgeServer):
    """EdgeServer serving its Dhcp4 file and a Dhcp6 file in one `edge-dhcp serve -c v4 -c v6` (as
    edge/server/main.py runs both families). With two -c, serve takes no --lease-file or --control-socket
    (they name one family's files), so each file names its own lease file and control socket; `dhcp6` is
    the rest of the Dhcp6 map (subnet6, lifetimes, interfaces-config...)."""

    def __init__(self, lab: Lab, ns: str, *, dhcp6: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(lab, ns, **kwargs)
        self.config6_path = self.dir / "edge-dhcp6.json"
        self.control_socket6 = str(self.dir / "control6.sock")
        self.config6: dict[str, Any] = {
            "Dhcp6": {
                "interfaces-config": {"interfaces": []},
                "data-directory": str(self.dir),
                "lease-database": {
                    "type": "memfile",
                    "persist": True,
                    "name": str(self.dir / "dhcp6.leases"),
                },
                "control-socket": {"socket-type": "unix", "socket-name": self.control_socket6},
                **dhcp6,
            }
        }

    def write_config(self, text: str | None = None) -> None:
        super().write_config(text)
        self.config6_path.write_text(json.dumps(self.config6, indent=2))

    def argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "edge",
            "serve",
            "-c",
            str(self.config_path),
            "-c",
            str(self.config6_path),
        ]

    def start(self, timeout: float = 20.0, wait_for_sockets: bool = True) -> TwoFamilyServer:
        super().start(timeout, wait_for_sockets)
        self.wait_log("DHCP6_STARTED", timeout)
        for ifname in self.config6["Dhcp6"]["interfaces-config"]["interfaces"] if wait_for_sockets else ():
            self.wait_log(rf"DHCPSRV_OPEN_SOCKET udp6 sockets on {re.escape(ifname)} ", timeout)
        return self

    def ctl6(
        self, command: str, arguments: dict[str, Any] | None = None, check: bool = True
    ) -> dict[str, Any]:
        """One command to the DHCPv6 family over its own unix socket."""
        return self.ctl(command, arguments, check, socket=self.control_socket6)
