"""Kea 2.2 and edge-dhcp side by side: one configuration file, the same clients, the same answers.

Rules this module keeps:
- Both servers are started from THE SAME file (`kea-dhcp4 -c FILE`, `python -m edge serve -c FILE`), in
  the same lab namespace, one after the other; the lease file the configuration names is removed between
  the two runs, so each starts fresh. Kea is our reference: when the answers differ, edge-dhcp is wrong,
  unless the scenario says the difference is deliberate and why (`Deliberate`).
- A scenario is a function that plays clients (crafted packets and real clients) against "the server" and
  returns what it saw as a list of `Answer`s; `run_both` plays it against Kea, then edge-dhcp, and the test
  compares the two lists. An Answer holds what a client acts on: message type, yiaddr, siaddr, sname, file
  and every option value (hex), minus the options a difference was declared for.
- Each server also answers `statistic-get-all` on the control socket the file configures, so scenarios can
  compare Kea's counters (v4-allocation-fail*, v4-reservation-conflicts) with ours.

Theory of operation: `parity_site()` builds the standard direct topology and gives the client namespace a
second address on the link (192.0.2.2) and relay addresses (10.x.y.1/32) routed from the server namespace,
so the crafted client can also act as a relay agent. `ParityServer` runs one server under Lab.popen and
waits for its start-up log lines; `run_both` writes the file once and runs the scenario twice.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from edge.control.client import send_unix
from edge.wire import pkt4 as wire
from tests.lab import kea
from tests.lab.crafted import CraftedClient
from tests.lab.netns import Lab, LabError, Proc, Site

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_INDEX = 70000
CLIENT_INDEX = 131072
RELAY_SOURCE = "192.0.2.2"  # the client namespace's own address on the link, source of relayed packets
RELAY_NETS = ("10.1.1.1", "10.2.2.1", "10.3.3.1")  # giaddr values the crafted relay may use

MESSAGE_NAMES = {
    v: k.removeprefix("DHCP")
    for k, v in vars(wire).items()
    if k.startswith("DHCP") and isinstance(v, int) and k in ("DHCPOFFER", "DHCPACK", "DHCPNAK")
}


@dataclass(frozen=True)
class Deliberate:
    """A known, intended difference: option `code` in `message` replies is left out of the comparison."""

    code: int
    message: str  # "NAK", "ACK", "OFFER" or "*"
    why: str


# Differences that hold for every scenario.
ALWAYS = (
    Deliberate(
        56, "NAK", "edge-dhcp says why it NAKs (option 56, RFC 2131 table 3 allows it); Kea sends no message"
    ),
)


@dataclass
class Answer:
    step: str
    message: str
    yiaddr: str = ""
    siaddr: str = ""
    sname: str = ""
    file: str = ""
    options: dict[int, str] = field(default_factory=dict)

    def __str__(self) -> str:
        opts = " ".join(f"{code}={value}" for code, value in sorted(self.options.items()))
        return (
            f"{self.step}: {self.message} yiaddr={self.yiaddr} siaddr={self.siaddr} sname={self.sname!r} "
            f"file={self.file!r} {opts}"
        )


def _ip_text(raw: bytes) -> str:
    return ".".join(str(b) for b in raw[:4])


def answer(step: str, reply: wire.Packet | None, deliberate: Iterable[Deliberate] = ()) -> Answer:
    """What a client sees in `reply` (None: no answer), minus deliberate differences."""
    if reply is None:
        return Answer(step, "none")
    name = MESSAGE_NAMES.get(reply.message_type or 0, str(reply.message_type))
    skip = {d.code for d in (*ALWAYS, *deliberate) if d.message in (name, "*")}
    return Answer(
        step=step,
        message=name,
        yiaddr=_ip_text(reply.yiaddr),
        siaddr=_ip_text(reply.siaddr),
        sname=bytes(reply.sname).rstrip(b"\0").decode("latin-1"),
        file=bytes(reply.file).rstrip(b"\0").decode("latin-1"),
        options={code: value.hex() for code, value in reply.options.items() if code not in skip},
    )


# ----------------------------------------------------------------------------------------- topology


@dataclass
class ParitySite:
    lab: Lab
    site: Site
    tmp: Path

    @property
    def server_ns(self) -> str:
        return self.site.server.ns

    @property
    def client_ns(self) -> str:
        return self.site.client.ns

    def crafted(self) -> CraftedClient:
        return CraftedClient(
            self.lab,
            self.client_ns,
            self.site.client.ifname,
            str(self.site.server.ip),
            self.site.server.mac_bytes,
            relay_source=RELAY_SOURCE,
        )


def parity_site(lab: Lab, relay: bool = False) -> ParitySite:
    """The direct topology with the crafted client's extra addresses; or (`relay`) the standard relayed
    topology (client - relay namespace - server) for a real relay agent."""
    if not kea.available():
        pytest.skip("kea-dhcp4 (Debian package kea-dhcp4-server) is not installed")
    site = lab.build(server_index=SERVER_INDEX, client_index=CLIENT_INDEX, relay=relay)
    if relay:
        return ParitySite(lab, site, lab.tmp)
    lab.ip(site.client.ns, "addr", "add", f"{RELAY_SOURCE}/24", "dev", site.client.ifname)
    for address in RELAY_NETS:
        lab.ip(site.client.ns, "addr", "add", f"{address}/32", "dev", site.client.ifname)
    lab.ip(site.server.ns, "route", "add", "10.0.0.0/8", "via", RELAY_SOURCE)
    return ParitySite(lab, site, lab.tmp)


def base_config(ps: ParitySite, **dhcp4: Any) -> dict[str, Any]:
    """A configuration both servers run: the server interface, a memfile lease file, a unix control socket,
    logging to stdout; `dhcp4` adds or replaces keys."""
    doc: dict[str, Any] = {
        "interfaces-config": {"interfaces": [ps.site.server.ifname], "dhcp-socket-type": "raw"},
        "lease-database": {
            "type": "memfile",
            "persist": True,
            "name": str(ps.tmp / "leases4.db"),
            "lfc-interval": 0,
        },
        "control-socket": {"socket-type": "unix", "socket-name": str(ps.tmp / "ctl.sock")},
        "valid-lifetime": 600,
        "loggers": [
            {"name": "kea-dhcp4", "output_options": [{"output": "stdout", "flush": True}], "severity": "INFO"}
        ],
    }
    doc.update(copy.deepcopy(dhcp4))
    return {"Dhcp4": doc}


# ----------------------------------------------------------------------------------------- servers


class ParityServer:
    """Kea or edge-dhcp, started from a configuration file in the server namespace."""

    def __init__(self, ps: ParitySite, kind: str, config_path: Path) -> None:
        self.ps = ps
        self.kind = kind
        self.config_path = config_path
        self.config = json.loads(config_path.read_text())["Dhcp4"]
        self.proc: Proc | None = None

    def start(self, timeout: float = 30.0) -> ParityServer:
        lab, ns = self.ps.lab, self.ps.server_ns
        if self.kind == "kea":
            env = {"KEA_PIDFILE_DIR": str(self.ps.tmp), "KEA_LOCKFILE_DIR": str(self.ps.tmp)}
            argv = [kea.KEA_DHCP4, "-c", str(self.config_path)]
            wanted = ["DHCP4_STARTED"]
        else:
            env = {"PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
            argv = [sys.executable, "-m", "edge", "serve", "-c", str(self.config_path)]
            wanted = ["DHCP4_STARTED", f"socket on {self.ps.site.server.ifname} "]
        self.proc = lab.popen(ns, argv, env=env, name=f"parity-{self.kind}")
        deadline = time.monotonic() + timeout
        while not all(w in self.proc.output() for w in wanted):
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                out = self.proc.output()
                self.proc.stop()
                raise LabError(f"{self.kind} did not start from {self.config_path}:\n{out}")
            time.sleep(0.05)
        return self

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""

    def command(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        path = self.config["control-socket"]["socket-name"]
        request: dict[str, Any] = {"command": command}
        if arguments is not None:
            request["arguments"] = arguments
        reply = send_unix(path, request, timeout=10)
        return reply[0] if isinstance(reply, list) else reply

    def stats(self, *names: str) -> dict[str, int]:
        """The current value of each statistic (0 when the server does not have it)."""
        got = self.command("statistic-get-all").get("arguments", {})
        out = {}
        for name in names:
            samples = got.get(name)
            out[name] = int(samples[0][0]) if samples else 0
        return out

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop(timeout=10)
            self.proc = None
        lease = Path(self.config["lease-database"]["name"])
        for path in lease.parent.glob(lease.name + "*"):
            path.unlink(missing_ok=True)
        Path(self.config["control-socket"]["socket-name"]).unlink(missing_ok=True)


Scenario = Callable[[ParitySite, ParityServer], list[Answer]]


def run_both(
    ps: ParitySite, config: dict[str, Any], scenario: Scenario, kinds: Sequence[str] = ("kea", "edge")
) -> dict[str, list[Answer]]:
    """Write `config` to one file, play `scenario` against each server started from it; answers by kind."""
    path = ps.tmp / f"parity-{int(time.monotonic() * 1000) % 10**9}.json"
    path.write_text(json.dumps(config, indent=2))
    results: dict[str, list[Answer]] = {}
    for kind in kinds:
        server = ParityServer(ps, kind, path).start()
        try:
            results[kind] = scenario(ps, server)
        except Exception as exc:
            raise LabError(
                f"scenario failed against {kind}: {exc}\n--- {kind} log ---\n{server.output()}"
            ) from exc
        finally:
            server.stop()
    return results


def assert_same(results: dict[str, list[Answer]]) -> list[Answer]:
    """Kea's answers and ours must be identical, step by step; returns Kea's (for further checks)."""
    theirs, ours = results["kea"], results["edge"]
    lines = []
    for k, e in zip(theirs, ours, strict=False):
        if k != e:
            lines.append(f"  kea : {k}\n  edge: {e}")
    if len(theirs) != len(ours):
        lines.append(f"  kea played {len(theirs)} steps, edge {len(ours)}")
    assert not lines, "edge-dhcp answered differently from Kea 2.2:\n" + "\n".join(lines)
    return theirs
