"""Side by side with Kea 2.2: the perfdhcp ladder, and the footprint (idle CPU, start-up, memory).

Rules:
- One configuration file, written once per run, is what Kea 2.2 (`kea-dhcp4`, memfile, `persist: true`,
  single-threaded) and edge-dhcp both serve. edge-dhcp gets nothing else but `--lease-sync` on its command
  line: the durability class, which Kea's dialect has no key for (Kea's memfile never fsyncs; edge-dhcp's
  default `batch` holds each ACK until a group fsync made its lease durable). `none` is the class Kea is in.
- Every ladder step starts the server on a fresh lease file (empty, or a fresh copy of a prepared file of
  100 000 leases) and stops it afterwards. All variants climb the same ladder in lock-step — each rung is
  played by every variant still climbing before the next rung — so a burst of load from elsewhere on the
  machine falls on them alike. A rung that fails is played once more before a variant stops climbing.
- A rate holds while both the DISCOVER-OFFER and the REQUEST-ACK drop ratios perfdhcp reports stay at or
  below 2.5 % (ISC's criterion in its performance reports).
- CPU time is read from /proc (utime + stime of the whole process for a step; the scheduler's nanosecond
  `schedstat` of every thread for idle CPU), memory is VmRSS. Nothing here asserts: timing is never part of
  `make test`; this prints figures, ratios and the issue's goals next to them.
- What this machine cannot run is skipped with the reason: not root, no kea-dhcp4 or perfdhcp (Debian's
  kea-dhcp4-server and kea-admin), or no lab harness (tests/lab: run from a checkout).
- Traffic stays inside the lab's two namespaces (tests/lab/netns.py); everything is torn down on any path.

Theory of operation: the lab is the harness's standard direct topology, server and client namespaces joined
by a veth, with the client end's interface index below 65536 (Kea 2.2's perfdhcp fails at 65536 and
above). perfdhcp sends from an address of its own on that link, as a relay agent would (giaddr set), so
each server answers with routed unicasts to it. `perfdhcp -r RATE -p SECONDS -R 1000000` offers RATE new
4-way exchanges (DISCOVER-OFFER-REQUEST-ACK) per second, each from one of a million clients; `-W` lets
answers to the last requests arrive before it reports. The footprint part starts each server on an empty
store and on stores of 10 000 and 100 000 leases, times the first OFFER from a probe that broadcasts a
DISCOVER every 10 ms from the moment the process is started, then reads its memory and (for 0 and 100 000
leases) what CPU it uses while nothing arrives.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge.bench import Options, Result, benchmark
from edge.wire.addr import int_to_ip

SUBNET = "198.18.0.0/15"  # RFC 2544's benchmarking range: 131 072 addresses
POOL = "198.18.1.0 - 198.19.255.254"
POOL_FIRST = 0xC6120100
RELAY_ADDRESS = "198.18.0.2"  # perfdhcp's (and the probe's) own address: the giaddr of every request
SERVER_INDEX = 2000
CLIENT_INDEX = 1000  # Kea 2.2's perfdhcp fails on interfaces with an index of 65536 or more
LADDER = (1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000, 14000, 16000)
QUICK_LADDER = (1000, 2000, 4000, 6000, 8000, 12000, 16000)
STEP_SECONDS = 3
DROP_LIMIT = 2.5  # percent, both exchanges
PRELOAD = 100_000
DASHBOARD_PORT = 8000  # inside the server namespace
NOW = int(time.time())


@dataclass
class Variant:
    name: str  # row label
    kind: str  # "kea" or "edge"
    sync: str | None = None  # edge-dhcp's --lease-sync
    preload: int = 0  # leases in the store at start
    note: str = ""
    steps: list[Step] = field(default_factory=list)
    climbing: bool = True

    @property
    def held(self) -> Step | None:
        held = [s for s in self.steps if s.held]
        return max(held, key=lambda s: s.rate) if held else None


@dataclass
class Step:
    rate: int
    sent: int  # DISCOVERs perfdhcp sent
    drops: tuple[float, float]  # percent: DISCOVER-OFFER, REQUEST-ACK
    avg_ms: tuple[float, float]
    max_ms: tuple[float, float]
    acks: int
    cpu_s: float = 0.0
    rss_mb: float = 0.0
    leases: int = 0

    @property
    def held(self) -> bool:
        return max(self.drops) <= DROP_LIMIT


# ---------------------------------------------------------------------------------------------- perfdhcp


class PerfdhcpError(RuntimeError):
    """perfdhcp's output lacks the statistics this benchmark reads."""


def parse_perfdhcp(
    output: str, exchanges: tuple[str, ...] = ("DISCOVER-OFFER", "REQUEST-ACK")
) -> dict[str, dict[str, float]]:
    """perfdhcp's final report -> {"DISCOVER-OFFER": {"sent": ..., "received": ..., "drops ratio": ...,
    "avg delay": ..., "max delay": ...}, "REQUEST-ACK": {...}}. Delays in ms, ratios in percent.
    PerfdhcpError when any of `exchanges` lacks its statistics (perfdhcp -6 names its two
    SOLICIT-ADVERTISE and REQUEST-REPLY: edge/bench/perf6.py)."""
    sections: dict[str, dict[str, float]] = {}
    current: dict[str, float] | None = None
    for line in output.splitlines():
        header = re.match(r"\*\*\*Statistics for: ([A-Z-]+)\*\*\*", line.strip())
        if header:
            current = sections.setdefault(header.group(1), {})
            continue
        if line.startswith("***"):
            current = None
            continue
        if current is None:
            continue
        match = re.match(
            r"(sent packets|received packets|drops ratio|avg delay|max delay): (-?[0-9][0-9.eE+-]*|n/a)", line
        )
        if match and match.group(2) != "n/a":
            key = {"sent packets": "sent", "received packets": "received"}.get(match.group(1), match.group(1))
            current[key] = float(match.group(2))
    for exchange in exchanges:
        stats = sections.get(exchange)
        if not stats or "sent" not in stats or "received" not in stats:
            raise PerfdhcpError("no %s statistics in perfdhcp's output:\n%s" % (exchange, output[-1500:]))
        if "drops ratio" not in stats:  # nothing sent at all: call it all lost
            stats["drops ratio"] = 0.0 if stats["sent"] == 0 else 100.0
        stats.setdefault("avg delay", 0.0)
        stats.setdefault("max delay", 0.0)
    return sections


# ---------------------------------------------------------------------------------------------- /proc


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process, threads that already exited included (clock ticks)."""
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scheduler_stats(pid: int) -> tuple[float, int]:
    """(seconds on a CPU, times scheduled in) summed over the process's live threads, from schedstat (ns)."""
    seconds, slices = 0.0, 0
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, task)) as handle:
                ran, _waited, timeslices = handle.read().split()[:3]
        except (OSError, ValueError):
            continue  # the thread ended meanwhile
        seconds += int(ran) / 1e9
        slices += int(timeslices)
    return seconds, slices


def rss_mb(pid: int) -> float:
    with open("/proc/%d/status" % pid) as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine_line() -> str:
    load = " ".join("%.2f" % x for x in os.getloadavg())
    return "%d cores, load average %s (1, 5, 15 min)" % (os.cpu_count() or 0, load)


# ---------------------------------------------------------------------------------------------- lease files


def _preloaded(n: int) -> Iterator[tuple[int, bytes, int]]:
    """n leases from the start of the pool, as a network that has been up a while holds them: (address,
    MAC, cltt). MACs are locally administered (02:...), so they never meet perfdhcp's clients."""
    for i in range(n):
        mac = bytes((0x02, 0xBE, i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255))
        yield POOL_FIRST + i, mac, NOW - (i % 1800)


def write_kea_leases(path: str, n: int) -> None:
    """Kea 2.2's memfile CSV (lease4) with n leases of subnet 1."""
    with open(path, "w", newline="") as handle:
        handle.write(
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,"
            "user_context\n"
        )
        for address, mac, cltt in _preloaded(n):
            handle.write(
                "%s,%s,%s,3600,%d,1,0,0,host-%d,0,\n"
                % (int_to_ip(address), mac.hex(":"), "01:" + mac.hex(":"), cltt + 3600, address - POOL_FIRST)
            )


def write_edge_leases(path: str, n: int) -> None:
    """edge-dhcp's lease file (a TinyDB snapshot) with the same n leases."""
    from edge.dhcp4.lease import Lease
    from edge.leases.snapshot import write_snapshot

    def lines() -> Iterator[tuple[int, str]]:
        for address, mac, cltt in _preloaded(n):
            lease = Lease(
                address,
                hwaddr=mac,
                client_id=b"\x01" + mac,
                valid_lifetime=3600,
                cltt=cltt,
                subnet_id=1,
                hostname="host-%d" % (address - POOL_FIRST),
            )
            yield address, json.dumps(lease.to_doc(), separators=(",", ":"))

    write_snapshot(path, lines(), n, sync=False)


def count_kea_leases(path: str) -> int:
    """Leases in a Kea memfile CSV: the last row per address counts, released ones (lifetime 0) do not."""
    current: dict[str, str] = {}
    try:
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                current[row["address"]] = row.get("valid_lifetime") or "0"
    except FileNotFoundError:
        return 0
    return sum(1 for lifetime in current.values() if lifetime != "0")


def count_edge_leases(path: str) -> int:
    from edge.dhcp4.lease_store import MemfileLeaseStore4

    store = MemfileLeaseStore4(path, readonly=True)
    try:
        return sum(1 for lease in store.all() if lease.valid_lifetime)
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------- the lab


def lab_unavailable() -> str | None:
    """Why the side-by-side benchmarks cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, raw sockets)"
    for tool, package in (("kea-dhcp4", "kea-dhcp4-server"), ("perfdhcp", "kea-admin")):
        if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool):
            return "%s is not installed (Debian package %s)" % (tool, package)
    try:
        import tests.lab.netns  # noqa: F401
    except ImportError:
        return "the lab harness (tests/lab) is not importable: run `make bench` from a checkout"
    return None


def shared_config(lease_path: str, ifname: str) -> dict[str, Any]:
    """The one configuration both servers serve (Kea 2.2's dialect; nothing edge-dhcp-only in it)."""
    return {
        "Dhcp4": {
            "interfaces-config": {"interfaces": [ifname], "dhcp-socket-type": "raw"},
            "lease-database": {"type": "memfile", "persist": True, "name": lease_path},
            "valid-lifetime": 3600,
            "subnet4": [
                {
                    "id": 1,
                    "subnet": SUBNET,
                    "pools": [{"pool": POOL}],
                    "option-data": [
                        {"name": "routers", "data": "198.18.0.1"},
                        {"name": "domain-name-servers", "data": "198.18.0.1"},
                    ],
                }
            ],
            # As a deployment logs: INFO, one line per OFFER and per ACK from both servers
            # (DHCP4_LEASE_ADVERT, DHCP4_LEASE_ALLOC), to stdout, which the lab writes to a file.
            "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": "stdout"}], "severity": "INFO"}],
        }
    }


class SideBySide:
    """A lab with one configuration file, and the means to run either server on it (fresh leases each time)."""

    def __init__(self) -> None:
        from tests.lab.netns import Lab

        self.lab = Lab()
        try:
            self.site = self.lab.build(
                server_index=SERVER_INDEX, client_index=CLIENT_INDEX, server_subnet=SUBNET
            )
            self.lab.ip(
                self.site.client.ns, "addr", "add", RELAY_ADDRESS + "/15", "dev", self.site.client.ifname
            )
            self.lease_dir = self.lab.tmp / "leases"
            self.lease_path = self.lease_dir / "dhcp4.leases"
            self.config_path = self.lab.tmp / "dhcp4.json"
            self.config = shared_config(str(self.lease_path), self.site.server.ifname)
            self.config_text = json.dumps(self.config, indent=2)
            self.config_path.write_text(self.config_text)
            # edge-dhcp with its dashboard reachable: the same file plus an HTTP control socket on the
            # server namespace's loopback (edge-dhcp only: Kea 2.2's dhcp4 has no HTTP socket of its own)
            self.dash_config_path = self.lab.tmp / "dhcp4-dashboard.json"
            dash = json.loads(self.config_text)
            dash["Dhcp4"]["control-sockets"] = [
                {"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": DASHBOARD_PORT}
            ]
            self.dash_config_text = json.dumps(dash, indent=2)
            self.dash_config_path.write_text(self.dash_config_text)
            self.templates: dict[tuple[str, int], Path] = {}
        except BaseException:
            self.lab.close()
            raise

    def close(self) -> None:
        self.lab.close()

    def __enter__(self) -> SideBySide:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fresh_leases(self, kind: str, preload: int) -> None:
        shutil.rmtree(self.lease_dir, ignore_errors=True)
        self.lease_dir.mkdir()
        if not preload:
            return
        template = self.templates.get((kind, preload))
        if template is None:
            template = self.lab.tmp / ("template-%s-%d" % (kind, preload))
            (write_kea_leases if kind == "kea" else write_edge_leases)(str(template), preload)
            self.templates[(kind, preload)] = template
        shutil.copyfile(template, self.lease_path)

    def server(self, kind: str, sync: str | None = None) -> Any:
        """A KeaServer or EdgeServer (tests/lab) that serves exactly `self.config_path`, not started."""
        ns, ifname = self.site.server.ns, self.site.server.ifname
        if kind == "kea":
            from tests.lab.kea import KeaServer

            kea = KeaServer(self.lab, ns, interfaces=[ifname], subnets=[])
            kea.config = json.loads(self.config_text)  # start() writes it back: the same bytes
            kea.config_path = self.config_path
            kea.lease_path = self.lease_path
            return kea
        from tests.lab.edge import EdgeServer

        class Edge(EdgeServer):
            def argv(self) -> list[str]:
                return super().argv() + (["--lease-sync", sync] if sync else [])

        dashboard = kind == "edge+dash"
        edge = Edge(
            self.lab,
            ns,
            interfaces=[ifname],
            config_text=self.dash_config_text if dashboard else self.config_text,
        )
        edge.config_path = self.dash_config_path if dashboard else self.config_path
        edge.lease_path = self.lease_path  # --lease-file: the very name the file gives
        return edge

    def start(self, kind: str, sync: str | None, preload: int) -> Any:
        self.fresh_leases(kind, preload)
        server = self.server(kind, sync)
        server.start(timeout=120)
        if self.config_path.read_text() != self.config_text:
            raise RuntimeError("the configuration file changed between servers")
        return server

    def leases(self, kind: str) -> int:
        path = str(self.lease_path)
        return count_kea_leases(path) if kind == "kea" else count_edge_leases(path)

    def use_dashboard(self) -> float:
        """Load the page as a browser does (the page, its files, its JSON) and scrape /metrics once, from
        the server namespace's loopback; the scrape's time in ms."""
        import urllib.request

        def get(path: str) -> bytes:
            url = "http://127.0.0.1:%d%s" % (DASHBOARD_PORT, path)
            with urllib.request.urlopen(url, timeout=60) as reply:
                return reply.read()

        with self.lab.inside(self.site.server.ns):
            for path in ("/", "/dashboard.css", "/dashboard.js", "/icon.svg", "/api/summary"):
                get(path)
            get("/api/leases?family=dhcp4&limit=50")
            get("/api/events")
            began = time.perf_counter()
            get("/metrics")
            return (time.perf_counter() - began) * 1000

    def perfdhcp(self, rate: int, seconds: int) -> str:
        argv = [
            "perfdhcp",
            "-4",
            "-l",
            self.site.client.ifname,
            "-r",
            str(rate),
            "-R",
            "1000000",
            "-p",
            str(seconds),
            "-W",
            "300000",
        ]
        done = self.lab.run(self.site.client.ns, argv, check=False, timeout=seconds + 60)
        if done.returncode not in (0, 3):  # 3: some packets were dropped
            raise PerfdhcpError(
                "perfdhcp exited %d: %s%s" % (done.returncode, done.stdout[-1500:], done.stderr[-1500:])
            )
        return done.stdout

    def step(self, variant: Variant, rate: int, seconds: int) -> Step:
        server = self.start(variant.kind, variant.sync, variant.preload)
        try:
            pid = server.proc.pid
            cpu = process_cpu_seconds(pid)
            report = parse_perfdhcp(self.perfdhcp(rate, seconds))
            cpu = process_cpu_seconds(pid) - cpu
            memory = rss_mb(pid)
        finally:
            server.stop()
        do, ra = report["DISCOVER-OFFER"], report["REQUEST-ACK"]
        return Step(
            rate=rate,
            sent=int(do["sent"]),
            drops=(do["drops ratio"], ra["drops ratio"]),
            avg_ms=(do["avg delay"], ra["avg delay"]),
            max_ms=(do["max delay"], ra["max delay"]),
            acks=int(ra["received"]),
            cpu_s=cpu,
            rss_mb=memory,
            leases=self.leases(variant.kind),
        )


def _climb(
    bench: SideBySide,
    variants: list[Variant],
    ladder: tuple[int, ...],
    seconds: int,
    say: Callable[[str], None],
) -> None:
    """Play the ladder in lock-step; a failed rung is played once more before a variant stops."""
    for rate in ladder:
        for variant in variants:
            if not variant.climbing:
                continue
            for attempt in (1, 2):
                step = bench.step(variant, rate, seconds)
                variant.steps.append(step)
                say(_step_line(variant, step, attempt))
                if step.held:
                    break
            else:
                variant.climbing = False
        if not any(v.climbing for v in variants):
            break


def _step_line(variant: Variant, step: Step, attempt: int) -> str:
    return "   %-22s %6d/s  %-5s drops %5.2f%% / %5.2f%%  avg %6.2f / %6.2f ms  cpu %5.2f s  leases %d%s" % (
        variant.name,
        step.rate,
        "held" if step.held else "FAIL",
        step.drops[0],
        step.drops[1],
        step.avg_ms[0],
        step.avg_ms[1],
        step.cpu_s,
        step.leases,
        " (second try)" if attempt == 2 else "",
    )


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        cells = [
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


@benchmark(
    "perfdhcp",
    "side by side with Kea 2.2 under perfdhcp: highest rate held (drops <= 2.5 %), delays, RSS, CPU",
)
def bench_perfdhcp(options: Options) -> list[Result]:
    why = lab_unavailable()
    if why:
        print("   skipped: " + why)
        return []
    ladder = QUICK_LADDER if options.quick else LADDER
    seconds = 2 if options.quick else STEP_SECONDS
    preload = 10_000 if options.quick else PRELOAD
    say = lambda text: print(text, flush=True)  # noqa: E731
    say("   machine: %s" % machine_line())
    kea = Variant("Kea 2.2 (memfile)", "kea", note="no fsync")
    none = Variant("edge-dhcp sync none", "edge", "none", note="comparable to Kea: no fsync")
    batch = Variant("edge-dhcp sync batch", "edge", "batch", note="default: ACK after group fsync")
    loaded = Variant(
        "edge-dhcp none %dk" % (preload // 1000),
        "edge",
        "none",
        preload,
        note="%d leases in the store at start" % preload,
    )
    started = time.monotonic()
    with SideBySide() as bench:
        # All four on the same rungs, one after the other: the full store too, so that its ratio to the
        # empty one is not a ratio between a quiet and a busy minute of this machine.
        _climb(bench, [kea, none, batch, loaded], ladder, seconds, say)
    say("   machine: %s; ladder took %.0f s" % (machine_line(), time.monotonic() - started))
    reference = kea.held.rate if kea.held else 0
    rows = [
        [
            "server",
            "held/s",
            "edge/Kea",
            "avg delay D-O/R-A ms",
            "max delay ms",
            "RSS MB",
            "CPU s",
            "CPU us/exch",
            "leases",
            "durability",
        ]
    ]
    results = []
    for variant in (kea, none, batch, loaded):
        step = variant.held
        if step is None:
            rows.append([variant.name, "none", "-", "-", "-", "-", "-", "-", "-", variant.note])
            continue
        ratio = step.rate / reference if reference else 0.0
        per_exchange = step.cpu_s / max(step.acks, 1) * 1e6
        rows.append(
            [
                variant.name,
                "%d" % step.rate,
                "-" if variant.kind == "kea" else "%.2f" % ratio,
                "%.2f / %.2f" % step.avg_ms,
                "%.0f / %.0f" % step.max_ms,
                "%.1f" % step.rss_mb,
                "%.2f" % step.cpu_s,
                "%.0f" % per_exchange,
                "%d" % step.leases,
                variant.note,
            ]
        )
        results.append(
            Result(
                "perfdhcp/%s" % variant.name.replace(" ", "-"),
                step.rate,
                "exch/s",
                "edge/Kea %.2f" % ratio if variant.kind == "edge" else "reference",
                extra={
                    "avg_ms": step.avg_ms,
                    "max_ms": step.max_ms,
                    "rss_mb": step.rss_mb,
                    "cpu_s": step.cpu_s,
                    "cpu_us_per_exchange": per_exchange,
                    "leases": step.leases,
                    "drops": step.drops,
                },
            )
        )
    print()
    print(_table(rows))
    print(
        "   held: the highest offered rate (4-way exchanges/s, %d s each, fresh lease file each step) with both"
        " drop ratios <= %.1f %%;" % (seconds, DROP_LIMIT)
    )
    print(
        "   RSS, CPU and leases: the server process at that rate, CPU us per ACKed exchange. Goals: edge/Kea >= 1.0"
        " (sync none is Kea's durability class); %dk leases >= 0.9 of the empty store." % (preload // 1000)
    )
    if none.held and loaded.held:
        print("   edge-dhcp with %d leases / empty: %.2f" % (preload, loaded.held.rate / none.held.rate))
    common = _common_rate([kea, none, batch, loaded])
    if common:
        # The steadier comparison: the work each server did for the same offered load.
        costs = [(v, _cpu_per_exchange(v, common)) for v in (kea, none, batch, loaded)]
        base = costs[0][1]
        print(
            "   CPU per exchange at %d/s, the highest rate all four held: %s"
            % (
                common,
                ", ".join(
                    "%s %.0f us%s" % (v.name, c, "" if v is kea else " (%.2fx Kea)" % (c / base))
                    for v, c in costs
                ),
            )
        )
        results.append(
            Result(
                "perfdhcp/cpu-ratio-at-%d" % common,
                costs[1][1] / base,
                "x Kea",
                "edge-dhcp sync none CPU per exchange / Kea's at the same offered rate",
            )
        )
    print()
    return results


def _common_rate(variants: list[Variant]) -> int:
    """The highest rate every variant held (0: none)."""
    held = [{s.rate for s in v.steps if s.held} for v in variants]
    common = set.intersection(*held) if held else set()
    return max(common) if common else 0


def _cpu_per_exchange(variant: Variant, rate: int) -> float:
    step = max((s for s in variant.steps if s.rate == rate and s.held), key=lambda s: s.acks)
    return step.cpu_s / max(step.acks, 1) * 1e6


# ---------------------------------------------------------------------------------------------- footprint


def _discover(mac: bytes, xid: int) -> bytes:
    from edge.wire import pkt4 as wire

    request = wire.Packet(
        op=wire.BOOTREQUEST, xid=xid, hops=1, giaddr=socket.inet_aton(RELAY_ADDRESS), chaddr=mac + bytes(10)
    )
    request.set(wire.OPT_MESSAGE_TYPE, bytes((wire.DHCPDISCOVER,)))
    request.set(wire.OPT_PARAM_REQUEST, bytes((1, 3, 6, 15)))
    return wire.encode(request)


class Probe:
    """Broadcasts a relayed DISCOVER every 10 ms from the client namespace until an OFFER comes back."""

    def __init__(self, bench: SideBySide) -> None:
        with bench.lab.inside(bench.site.client.ns):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(
            socket.SOL_SOCKET, getattr(socket, "SO_BINDTODEVICE", 25), bench.site.client.ifname.encode()
        )
        sock.bind((RELAY_ADDRESS, 67))
        sock.settimeout(0.01)
        self.sock = sock
        self.answered: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.answered = None
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        xid = 0x5EED0000
        while not self._stop.is_set():
            xid += 1
            try:
                self.sock.sendto(_discover(b"\x02\xbe\xff\xff\xff\x01", xid), ("255.255.255.255", 67))
            except OSError:
                pass  # e.g. no route yet: try again in 10 ms
            deadline = time.monotonic() + 0.01
            while time.monotonic() < deadline:
                try:
                    data = self.sock.recv(2048)
                except (TimeoutError, BlockingIOError):
                    break
                except OSError:
                    break
                if len(data) > 240 and data[0] == 2 and data[4:8] == struct.pack("!I", xid):
                    self.answered = time.monotonic()
                    return

    def wait(self, timeout: float) -> float | None:
        if self._thread is not None:
            self._thread.join(timeout)
        self._stop.set()
        return self.answered

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1)
        self.sock.close()


def _idle(pid: int, seconds: float) -> tuple[float, float]:
    """(percent of one core, scheduler wake-ups per second) while nothing arrives."""
    cpu0, slices0 = scheduler_stats(pid)
    time.sleep(seconds)
    cpu1, slices1 = scheduler_stats(pid)
    return (cpu1 - cpu0) / seconds * 100, (slices1 - slices0) / seconds


@benchmark(
    "footprint",
    "idle CPU, start-up to first answer and RSS with 0 / 10k / 100k leases: edge-dhcp and Kea 2.2",
)
def bench_footprint(options: Options) -> list[Result]:
    why = lab_unavailable()
    if why:
        print("   skipped: " + why)
        return []
    sizes = (0, 1_000, 10_000) if options.quick else (0, 10_000, 100_000)
    idle_seconds = 3.0 if options.quick else 10.0
    results: list[Result] = []
    figures: dict[tuple[str, int], dict[str, float]] = {}
    print("   machine: %s" % machine_line(), flush=True)
    with SideBySide() as bench:
        probe = Probe(bench)
        try:
            for kind, label in (("kea", "Kea 2.2"), ("edge", "edge-dhcp"), ("edge+dash", "+dashboard")):
                for n in sizes:
                    bench.fresh_leases(kind, n)
                    server = bench.server(kind, None)
                    probe.start()
                    began = time.monotonic()
                    server.start(timeout=120)
                    answered = probe.wait(120)
                    try:
                        if answered is None:
                            raise RuntimeError(
                                "%s with %d leases never answered: %s" % (label, n, server.output()[-1500:])
                            )
                        pid = server.proc.pid
                        time.sleep(1.0)
                        entry = {"startup": answered - began, "rss": rss_mb(pid)}
                        if n in (sizes[0], sizes[-1]):
                            entry["idle"], entry["wakeups"] = _idle(pid, idle_seconds)
                        if kind == "edge+dash":  # then used once: the page loaded, /metrics scraped
                            entry["scrape_ms"] = bench.use_dashboard()
                            time.sleep(1.0)
                            entry["used_rss"] = rss_mb(pid)
                            if n in (sizes[0], sizes[-1]):
                                entry["used_idle"], _ = _idle(pid, idle_seconds)
                    finally:
                        server.stop()
                    figures[(kind, n)] = entry
                    print(
                        "   %-10s %6d leases: first answer after %.2f s, RSS %.1f MB%s%s"
                        % (
                            label,
                            n,
                            entry["startup"],
                            entry["rss"],
                            ", idle %.3f %% of a core, %.1f wake-ups/s" % (entry["idle"], entry["wakeups"])
                            if "idle" in entry
                            else "",
                            "; page loaded and /metrics scraped (%.0f ms): RSS %.1f MB%s"
                            % (
                                entry["scrape_ms"],
                                entry["used_rss"],
                                ", then idle %.3f %%" % entry["used_idle"] if "used_idle" in entry else "",
                            )
                            if "used_rss" in entry
                            else "",
                        ),
                        flush=True,
                    )
        finally:
            probe.close()
    rows = [
        [
            "leases",
            "Kea start s",
            "edge start s",
            "Kea RSS MB",
            "edge RSS MB",
            "edge/Kea RSS",
            "Kea idle %core",
            "edge idle %core",
            "edge wake-ups/s",
            "+dash RSS MB",
            "+dash idle %core",
            "used RSS MB",
            "used idle %core",
            "scrape ms",
        ]
    ]
    for n in sizes:
        kea, edge, dash = figures[("kea", n)], figures[("edge", n)], figures[("edge+dash", n)]
        rows.append(
            [
                "%d" % n,
                "%.2f" % kea["startup"],
                "%.2f" % edge["startup"],
                "%.1f" % kea["rss"],
                "%.1f" % edge["rss"],
                "%.2f" % (edge["rss"] / kea["rss"]),
                "%.3f" % kea["idle"] if "idle" in kea else "",
                "%.3f" % edge["idle"] if "idle" in edge else "",
                "%.1f" % edge["wakeups"] if "wakeups" in edge else "",
                "%.1f" % dash["rss"],
                "%.3f" % dash["idle"] if "idle" in dash else "",
                "%.1f" % dash["used_rss"],
                "%.3f" % dash["used_idle"] if "used_idle" in dash else "",
                "%.0f" % dash["scrape_ms"],
            ]
        )
        results.append(
            Result("rss/edge+dash/%d" % n, dash["rss"], "MB", "HTTP listener up, dashboard never asked")
        )
        results.append(
            Result("rss/edge+dash-used/%d" % n, dash["used_rss"], "MB", "after one page load + scrape")
        )
        results.append(Result("scrape/%d" % n, dash["scrape_ms"], "ms", "one GET /metrics, first one"))
        for kind in ("kea", "edge"):
            entry = figures[(kind, n)]
            results.append(Result("startup/%s/%d" % (kind, n), entry["startup"], "s", "to the first OFFER"))
            results.append(Result("rss/%s/%d" % (kind, n), entry["rss"], "MB", "after the first answer"))
            if "idle" in entry:
                results.append(
                    Result(
                        "idle-cpu/%s/%d" % (kind, n),
                        entry["idle"],
                        "% core",
                        "%.1f wake-ups/s over %.0f s" % (entry["wakeups"], idle_seconds),
                    )
                )
    print()
    print(_table(rows))
    print(
        "   start: process start to the first OFFER. Goals: edge idle RSS < 30 MB and below Kea at every count;"
        " idle CPU < 0.1 %% of a core (over %.0f s). +dash: the same edge-dhcp with an HTTP control socket (the"
        " dashboard reachable, never asked); used: after one page load and one /metrics scrape (the first, with"
        " its imports)." % idle_seconds
    )
    print()
    return results


SYNC_LADDER = (1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000, 14000)


@benchmark(
    "perf-sync",
    "edge-dhcp sync batch against sync none (and Kea 2.2) under perfdhcp, one ladder: the default mode's ratio",
)
def bench_perf_sync(options: Options) -> list[Result]:
    """The perfdhcp ladder without the preloaded store: what the default durability mode costs."""
    why = lab_unavailable()
    if why:
        print("   skipped: " + why)
        return []
    say = lambda text: print(text, flush=True)  # noqa: E731
    say("   machine: %s" % machine_line())
    kea = Variant("Kea 2.2 (memfile)", "kea", note="no fsync")
    none = Variant("edge-dhcp sync none", "edge", "none", note="no fsync")
    batch = Variant("edge-dhcp sync batch", "edge", "batch", note="default: ACK after group fsync")
    variants = [kea, none, batch]
    with SideBySide() as bench:
        _climb(bench, variants, QUICK_LADDER if options.quick else SYNC_LADDER, STEP_SECONDS, say)
    results = []
    rows = [["server", "held/s", "/ sync none", "avg delay D-O/R-A ms", "CPU us/exch"]]
    base = none.held.rate if none.held else 0
    for variant in variants:
        step = variant.held
        if step is None:
            rows.append([variant.name, "none", "-", "-", "-"])
            continue
        ratio = step.rate / base if base else 0.0
        rows.append(
            [
                variant.name,
                "%d" % step.rate,
                "%.2f" % ratio,
                "%.2f / %.2f" % step.avg_ms,
                "%.0f" % (step.cpu_s / max(step.acks, 1) * 1e6),
            ]
        )
        results.append(
            Result("perf-sync/%s" % variant.name.replace(" ", "-"), step.rate, "exch/s", "/none %.2f" % ratio)
        )
    print()
    print(_table(rows))
    print("   goal: sync batch >= 0.9 of sync none (held: both drop ratios <= %.1f %%)" % DROP_LIMIT)
    return results
