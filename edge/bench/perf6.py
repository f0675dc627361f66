"""Side by side with Kea 2.2 for DHCPv6: the perfdhcp -6 ladders (address-only, and address-and-prefix: an
IA_NA and an IA_PD per exchange), as edge/bench/perf.py's for v4.

Rules:
- One configuration file in Kea's Dhcp6 dialect, written once per run, is what Kea 2.2 (`kea-dhcp6`,
  memfile, `persist: true`, single-threaded) and edge-dhcp (`python -m edge serve -c FILE`) both serve.
  edge-dhcp gets nothing else but `--lease-sync` on its command line, the durability class Kea's dialect has
  no key for: `none` is Kea's class (its memfile never fsyncs), `batch` is edge-dhcp's default (a REPLY
  leaves once a group fsync made its lease durable).
- perf.py's machinery is this benchmark's too: its Variant and Step, its held-rate rule (both exchanges'
  drop ratios at or below 2.5 %), its lock-step ladder (every variant plays a rung before the next one; a
  failed rung is played once more before a variant stops climbing), its /proc readings (utime + stime of the
  server process over a step, VmRSS at its end) and its table. Only the lab, the configuration, the lease
  files and perfdhcp's arguments differ.
- The two modes (MODES) differ only in perfdhcp's `-e` and the configuration: address-and-prefix adds a
  pd-pool (PD_POOL) to the one subnet; everything else (lab, ladder, measuring, table) is the same code.
- Every step starts the server on an empty lease directory (lease file, journal and the server-id file of
  `data-directory` alike) and stops it afterwards. Nothing here asserts; it prints figures and ratios.
- What this machine cannot run is skipped with the reason: not root, no kea-dhcp6 or perfdhcp (Debian's
  kea-dhcp6-server and kea-admin), or no lab harness (tests/lab: run from a checkout).
- Traffic stays inside the lab's two namespaces (tests/lab/netns6.py); everything is torn down on any path.

Theory of operation: the lab is the v6 harness's direct topology (server and client namespaces joined by a
veth, DAD off), the client end's interface index 1000 (Kea 2.2's perfdhcp fails on an index of 65536 and
above). `perfdhcp -6 -e address-only -r RATE -p SECONDS -R 1000000` sends, from the client end's
link-local address to ff02::1:2, RATE new 4-way exchanges (SOLICIT-ADVERTISE-REQUEST-REPLY, one IA_NA
each) per second, each from one of a million DUIDs; `-W` lets the answers to the last requests arrive
before it reports. Both servers answer on the link by unicast to the client's link-local address.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from typing import Any

from edge.bench import Options, Result, benchmark
from edge.bench.perf import (
    PerfdhcpError,
    Step,
    Variant,
    _climb,
    _common_rate,
    _cpu_per_exchange,
    _table,
    machine_line,
    parse_perfdhcp,
    process_cpu_seconds,
    rss_mb,
)

PREFIX = "2001:db8:1::/64"  # the documentation prefix, as tests/lab/netns6.py's server link
POOL = "2001:db8:1::1:0 - 2001:db8:1::ffff:ffff"  # 2^32 - 2^16 addresses: never runs out at a million DUIDs
SERVER_INDEX = 2000
CLIENT_INDEX = 1000  # Kea 2.2's perfdhcp fails on interfaces with an index of 65536 or more
LADDER = (1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000, 8000, 10000, 12000, 14000, 16000, 20000)
QUICK_LADDER = (1000, 2000, 4000, 8000, 16000)
STEP_SECONDS = 3
EXCHANGES = ("SOLICIT-ADVERTISE", "REQUEST-REPLY")
# 2001:db8:100::/40 in /64s: 2^24 prefixes, never run out at a million DUIDs; outside the address pool
PD_POOL = {"prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 64}
ADDRESS_ONLY = "address-only"
ADDRESS_AND_PREFIX = "address-and-prefix"
# mode -> (benchmark / result name, what perfdhcp asks for in one exchange)
MODES = {ADDRESS_ONLY: ("perf6", "one IA_NA"), ADDRESS_AND_PREFIX: ("perf6-pd", "one IA_NA and one IA_PD")}


# ---------------------------------------------------------------------------------------------- lease files


def count_kea_leases6(path: str) -> int:
    """Leases in a Kea lease6 memfile CSV as Kea loads it back: the last row per address counts (the address,
    or a delegated prefix's first address, is its memfile's unique key), released ones (valid lifetime 0)
    do not."""
    current: dict[str, str] = {}
    try:
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                current[row["address"]] = row.get("valid_lifetime") or "0"
    except FileNotFoundError:
        return 0
    return sum(1 for lifetime in current.values() if lifetime != "0")


def count_edge_leases6(path: str) -> int:
    """Leases in edge-dhcp's v6 lease file (snapshot and journal), as the server reads them back."""
    from edge.dhcp6.lease_store import MemfileLeaseStore6

    if not os.path.exists(path) and not os.path.exists(path + ".journal"):
        return 0
    store = MemfileLeaseStore6(path, readonly=True)
    try:
        return sum(1 for lease in store.all() if lease.valid_lifetime)
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------- the lab


def lab_unavailable6() -> str | None:
    """Why the v6 side-by-side benchmark cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool, package in (("kea-dhcp6", "kea-dhcp6-server"), ("perfdhcp", "kea-admin")):
        if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool):
            return "%s is not installed (Debian package %s)" % (tool, package)
    try:
        import tests.lab.netns6  # noqa: F401
    except ImportError:
        return "the lab harness (tests/lab) is not importable: run `make bench` from a checkout"
    return None


def shared_config6(
    lease_path: str, data_directory: str, ifname: str, mode: str = ADDRESS_ONLY
) -> dict[str, Any]:
    """The one Dhcp6 configuration both servers serve (Kea 2.2's dialect; nothing edge-dhcp-only in it);
    with a pd-pool too for address-and-prefix."""
    config: dict[str, Any] = {
        "Dhcp6": {
            "interfaces-config": {"interfaces": [ifname]},
            "lease-database": {"type": "memfile", "persist": True, "name": lease_path, "lfc-interval": 0},
            # the server-id (DUID) file: in the lease directory, so each step starts without one
            "data-directory": data_directory,
            "preferred-lifetime": 3000,
            "valid-lifetime": 4000,
            "renew-timer": 1000,
            "rebind-timer": 2000,
            "subnet6": [
                {
                    "id": 1,
                    "subnet": PREFIX,
                    "interface": ifname,
                    "pools": [{"pool": POOL}],
                    "option-data": [{"name": "dns-servers", "data": "2001:db8:1::53"}],
                }
            ],
            # As a deployment logs: INFO, a line per ADVERTISE and per REPLY's lease from both servers,
            # to stdout, which the lab writes to a file.
            "loggers": [{"name": "kea-dhcp6", "output_options": [{"output": "stdout"}], "severity": "INFO"}],
        }
    }
    if mode == ADDRESS_AND_PREFIX:
        config["Dhcp6"]["subnet6"][0]["pd-pools"] = [dict(PD_POOL)]
    elif mode != ADDRESS_ONLY:
        raise ValueError("unknown perfdhcp -6 mode %r" % mode)
    return config


class SideBySide6:
    """A v6 lab with one configuration file and the means to run either server on it, fresh leases each
    time; `step()` is what perf.py's `_climb` plays."""

    def __init__(self, mode: str = ADDRESS_ONLY) -> None:
        from tests.lab.netns import Lab
        from tests.lab.netns6 import build6

        self.mode = mode
        self.lab = Lab()
        try:
            self.site = build6(self.lab, server_index=SERVER_INDEX, client_index=CLIENT_INDEX)
            self.lease_dir = self.lab.tmp / "leases6"
            self.lease_path = self.lease_dir / "dhcp6.leases"
            self.config_path = self.lab.tmp / "dhcp6.json"
            config = shared_config6(
                str(self.lease_path), str(self.lease_dir), self.site.server.ifname, self.mode
            )
            self.config_text = json.dumps(config, indent=2)
            self.config_path.write_text(self.config_text)
        except BaseException:
            self.lab.close()
            raise

    def close(self) -> None:
        self.lab.close()

    def __enter__(self) -> SideBySide6:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fresh_leases(self) -> None:
        shutil.rmtree(self.lease_dir, ignore_errors=True)
        self.lease_dir.mkdir()

    def server(self, kind: str, sync: str | None = None) -> Any:
        """A Kea6Server or Edge6Server (tests/lab) that serves exactly `self.config_path`, not started."""
        ns, ifname = self.site.server.ns, self.site.server.ifname
        if kind == "kea":
            from tests.lab.kea6 import Kea6Server

            server: Any = Kea6Server(self.lab, ns, interfaces=[ifname])
        else:
            from tests.lab.edge6 import Edge6Server

            class Edge(Edge6Server):
                def argv(self) -> list[str]:
                    return super().argv() + (["--lease-sync", sync] if sync else [])

            server = Edge(self.lab, ns, interfaces=[ifname])
        server.config = json.loads(self.config_text)  # start() writes it back: the same bytes
        server.config_path = self.config_path
        server.lease_path = self.lease_path
        return server

    def start(self, kind: str, sync: str | None) -> Any:
        self.fresh_leases()
        server = self.server(kind, sync)
        server.start(timeout=120)
        if self.config_path.read_text() != self.config_text:
            raise RuntimeError("the configuration file changed between servers")
        return server

    def leases(self, kind: str) -> int:
        path = str(self.lease_path)
        return count_kea_leases6(path) if kind == "kea" else count_edge_leases6(path)

    def perfdhcp(self, rate: int, seconds: int) -> str:
        argv = perfdhcp6_argv(self.site.client.ifname, rate, seconds, self.mode)
        done = self.lab.run(self.site.client.ns, argv, check=False, timeout=seconds + 60)
        if done.returncode not in (0, 3):  # 3: some packets were dropped
            raise PerfdhcpError(
                "perfdhcp exited %d: %s%s" % (done.returncode, done.stdout[-1500:], done.stderr[-1500:])
            )
        return done.stdout

    def step(self, variant: Variant, rate: int, seconds: int) -> Step:
        server = self.start(variant.kind, variant.sync)
        try:
            pid = server.proc.pid
            cpu = process_cpu_seconds(pid)
            report = parse_perfdhcp(self.perfdhcp(rate, seconds), EXCHANGES)
            cpu = process_cpu_seconds(pid) - cpu
            memory = rss_mb(pid)
        finally:
            server.stop()
        return step_from_report(report, rate, cpu, memory, self.leases(variant.kind))


def perfdhcp6_argv(ifname: str, rate: int, seconds: int, mode: str = ADDRESS_ONLY) -> list[str]:
    if mode not in MODES:
        raise ValueError("unknown perfdhcp -6 mode %r" % mode)
    return [
        "perfdhcp",
        "-6",
        "-l",
        ifname,
        "-e",
        mode,
        "-r",
        str(rate),
        "-R",
        "1000000",
        "-p",
        str(seconds),
        "-W",
        "300000",
    ]


def step_from_report(
    report: dict[str, dict[str, float]], rate: int, cpu_s: float, memory_mb: float, leases: int
) -> Step:
    """perf.Step from perfdhcp -6's two exchanges: drops, delays and the REPLYs counted as done exchanges."""
    sa, rr = (report[name] for name in EXCHANGES)
    return Step(
        rate=rate,
        sent=int(sa["sent"]),
        drops=(sa["drops ratio"], rr["drops ratio"]),
        avg_ms=(sa["avg delay"], rr["avg delay"]),
        max_ms=(sa["max delay"], rr["max delay"]),
        acks=int(rr["received"]),
        cpu_s=cpu_s,
        rss_mb=memory_mb,
        leases=leases,
    )


# ---------------------------------------------------------------------------------------------- the report


def report6(variants: list[Variant], seconds: int, mode: str = ADDRESS_ONLY) -> tuple[str, list[Result]]:
    """The table and the notes under it (text), and one Result per variant that held a rate; the first
    variant is Kea, the reference of every ratio. Result names start with the mode's benchmark name."""
    name, _ = MODES[mode]
    kea = variants[0]
    reference = kea.held.rate if kea.held else 0
    rows = [
        [
            "server",
            "held/s",
            "edge/Kea",
            "avg delay S-A/R-R ms",
            "max delay ms",
            "RSS MB",
            "CPU s",
            "CPU us/exch",
            "leases",
            "durability",
        ]
    ]
    results: list[Result] = []
    for variant in variants:
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
                "-" if variant is kea else "%.2f" % ratio,
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
                "%s/%s" % (name, variant.name.replace(" ", "-")),
                step.rate,
                "exch/s",
                "reference" if variant is kea else "edge/Kea %.2f" % ratio,
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
    lines = [
        _table(rows),
        "   held: the highest offered rate (SOLICIT-ADVERTISE-REQUEST-REPLY exchanges/s, %s, %d s"
        " each, fresh lease file each step) with both drop ratios <= 2.5 %%;" % (mode, seconds),
        "   RSS, CPU and leases: the server process at that rate, CPU us per REPLY received. Goal: edge/Kea"
        " >= 1.0 (sync none is Kea's durability class).",
    ]
    common = _common_rate(variants)
    if common and reference:
        # The steadier comparison: the work each server did for the same offered load.
        costs = [(v, _cpu_per_exchange(v, common)) for v in variants]
        base = costs[0][1]
        lines.append(
            "   CPU per exchange at %d/s, the highest rate all held: %s"
            % (
                common,
                ", ".join(
                    "%s %.0f us%s"
                    % (v.name, c, "" if v is kea else " (%.2fx Kea)" % (c / base if base else 0))
                    for v, c in costs
                ),
            )
        )
        if len(costs) > 1 and base:
            results.append(
                Result(
                    "%s/cpu-ratio-at-%d" % (name, common),
                    costs[1][1] / base,
                    "x Kea",
                    "%s CPU per exchange / Kea's at the same offered rate" % costs[1][0].name,
                )
            )
    return "\n".join(lines), results


@benchmark(
    "perf6",
    "DHCPv6 side by side with Kea 2.2 under perfdhcp -6 (address-only): highest rate held, delays, RSS, CPU",
)
def bench_perf6(options: Options) -> list[Result]:
    return run6(options, ADDRESS_ONLY)


@benchmark(
    "perf6-pd",
    "DHCPv6 side by side with Kea 2.2 under perfdhcp -6 -e address-and-prefix (IA_NA + IA_PD): held rate, RSS, CPU",
)
def bench_perf6_pd(options: Options) -> list[Result]:
    return run6(options, ADDRESS_AND_PREFIX)


def run6(options: Options, mode: str) -> list[Result]:
    """One mode's ladder, both servers, and its table."""
    why = lab_unavailable6()
    if why:
        print("   skipped: " + why)
        return []
    ladder = QUICK_LADDER if options.quick else LADDER
    seconds = 2 if options.quick else STEP_SECONDS
    say = lambda text: print(text, flush=True)  # noqa: E731
    say("   machine: %s; perfdhcp -6 -e %s (%s an exchange)" % (machine_line(), mode, MODES[mode][1]))
    variants = [
        Variant("Kea 2.2 (memfile)", "kea", note="no fsync"),
        Variant("edge-dhcp sync none", "edge", "none", note="comparable to Kea: no fsync"),
        Variant("edge-dhcp sync batch", "edge", "batch", note="default: REPLY after group fsync"),
    ]
    started = time.monotonic()
    with SideBySide6(mode) as bench:
        _climb(bench, variants, ladder, seconds, say)  # it uses only step(), which SideBySide6 has too
    say("   machine: %s; ladder took %.0f s" % (machine_line(), time.monotonic() - started))
    text, results = report6(variants, seconds, mode)
    print()
    print(text)
    print()
    return results
