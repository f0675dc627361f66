"""Lease-store benchmarks: write cost against store size, start-up, memory (against Kea 2.2), compaction,
and what the store costs an SD card in bytes written.

Rules: every figure comes from the real store on the real file system (a temporary directory beside the
system's temp dir), measured with time.perf_counter and /proc; sizes are the issue's (1 000, 10 000,
100 000 leases) unless --quick. Nothing here asserts; ratios and goals are printed next to the figures.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from edge.bench import Options, Result, benchmark
from edge.leases.journal import Journal, encode_record
from edge.leases.lease import Lease
from edge.leases.memfile import MemfileLeaseStore
from edge.leases.snapshot import write_snapshot

NOW = 1_800_000_000
BASE = 0x0A000000  # 10.0.0.0: room for 100 000 leases in one /15


def synthetic_lease(i: int, now: int = NOW, cltt: int | None = None) -> Lease:
    mac = bytes((0x02, 0x00, i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255))
    return Lease(
        BASE + 1 + i,
        hwaddr=mac,
        client_id=b"\x01" + mac,
        valid_lifetime=3600,
        cltt=cltt if cltt is not None else now - (i % 1800),
        subnet_id=1,
        hostname="host-%d" % i,
    )


def _tmpdir() -> str:
    return tempfile.mkdtemp(prefix="edge-bench-", dir=os.environ.get("EDGE_BENCH_DIR") or None)


def _status(pid: int | str = "self") -> dict[str, int]:
    values = {}
    with open("/proc/%s/status" % pid) as handle:
        for line in handle:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                values[key] = int(value.split()[0])  # kB
    return values


def _fill(store: MemfileLeaseStore, n: int) -> None:
    for i in range(n):
        store.put(synthetic_lease(i))


@benchmark("lease-write", "cost of one lease write (journal append + indexes) at 1k, 10k, 100k leases")
def bench_write(options: Options) -> list[Result]:
    """Two kinds of write into a store of n leases, the store's size kept at n: a renewal (same client,
    later time: only the expiry index moves) and a new client taking over an address (every index
    changes). The leases are made before the clock starts; the median of three rounds is reported."""
    sizes = (1_000, 10_000) if options.quick else (1_000, 10_000, 100_000)
    writes = 2_000 if options.quick else 20_000
    results: list[Result] = []
    base: dict[str, float] = {}
    rng = random.Random(5)
    for n in sizes:
        directory = _tmpdir()
        try:
            store = MemfileLeaseStore(os.path.join(directory, "leases.json"), sync="none")
            _fill(store, n)
            rounds: dict[str, list[float]] = {"renewal": [], "new-client": []}
            for round_ in range(3):
                picks = [rng.randrange(n) for _ in range(writes)]
                renewals = [
                    synthetic_lease(i, cltt=NOW + 1 + round_ * writes + k) for k, i in enumerate(picks)
                ]
                takeovers = []
                for k, i in enumerate(picks):
                    other = synthetic_lease(n + round_ * writes + k)
                    other.address = BASE + 1 + i  # a new client on an existing address
                    takeovers.append(other)
                for kind, leases in (("renewal", renewals), ("new-client", takeovers)):
                    put = store.put
                    started = time.perf_counter()
                    for lease in leases:
                        put(lease)
                    rounds[kind].append((time.perf_counter() - started) / writes * 1e6)
            store.close()
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        for kind, values in rounds.items():
            cost = sorted(values)[1]
            base.setdefault(kind, cost)
            goal = " (goal for 100k: <= 1.5x)" if kind == "renewal" else ""
            results.append(
                Result(
                    "lease-write/%s/%d" % (kind, n),
                    cost,
                    "us/write",
                    "%.2fx the 1k figure%s" % (cost / base[kind], goal),
                )
            )
    results.extend(_stock_tinydb(options))
    return results


def _stock_tinydb(options: Options) -> list[Result]:
    """The reference: stock TinyDB (in-memory storage) inserting lease documents."""
    from tinydb import TinyDB
    from tinydb.storages import MemoryStorage

    results = []
    for n in (1_000, 10_000):
        db = TinyDB(storage=MemoryStorage)
        table = db.table("leases")
        table.insert_multiple(synthetic_lease(i).to_doc() for i in range(n))
        count = 50 if options.quick else 200
        started = time.perf_counter()
        for k in range(count):
            table.insert(synthetic_lease(n + k).to_doc())
        cost = (time.perf_counter() - started) / count * 1e6
        results.append(
            Result("stock-tinydb-insert/%d" % n, cost, "us/write", "TinyDB 4 Table + MemoryStorage")
        )
    return results


def _prepare_files(directory: str, n: int, journal_records: int) -> str:
    """A lease file with n leases plus a journal of renewals, as a server leaves them when it is killed."""
    path = os.path.join(directory, "leases.json")
    lines = (
        (lease.address, json.dumps(lease.to_doc(), separators=(",", ":")))
        for lease in (synthetic_lease(i) for i in range(n))
    )
    write_snapshot(path, lines, n)
    journal = Journal(path + ".journal")
    rng = random.Random(7)
    for k in range(journal_records):
        journal.append(
            encode_record({"op": "put", "lease": synthetic_lease(rng.randrange(n), cltt=NOW + k).to_doc()})
        )
    journal.close()
    return path


_STARTUP_PROBE = r"""
import gc, json, sys, time
t0 = time.perf_counter()
import edge.leases.stats, edge.stats, edge.dhcp4.model, edge.dhcp4.config
try:
    import edge.server.main  # what a server process has loaded besides the store
except Exception:
    pass
from edge.leases.memfile import MemfileLeaseStore
t1 = time.perf_counter()
store = MemfileLeaseStore(sys.argv[1], sync="batch")
t2 = time.perf_counter()
stats = edge.stats.Statistics()
edge.leases.stats.attach_statistics(store, stats)
edge.leases.stats.recount_statistics(edge.dhcp4.model.Config4(), store, stats)
t3 = time.perf_counter()
gc.collect()
status = {}
for line in open("/proc/self/status"):
    if line.startswith(("VmRSS", "VmHWM")):
        key, value = line.split(":")
        status[key] = int(value.split()[0])
print(json.dumps({"imports": t1 - t0, "open": t2 - t1, "recount": t3 - t2, "leases": len(store), **status}))
"""


@benchmark("lease-startup", "start-up time and resident memory with 100k leases (snapshot + journal)")
def bench_startup(options: Options) -> list[Result]:
    n = 10_000 if options.quick else 100_000
    directory = _tmpdir()
    try:
        path = _prepare_files(directory, n, n // 10)
        snapshot_mb = os.path.getsize(path) / 1e6
        env = dict(
            os.environ, PYTHONPATH=os.pathsep.join(filter(None, [_repo_root(), os.environ.get("PYTHONPATH")]))
        )
        runs = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", _STARTUP_PROBE, path],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                timeout=120,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["open"])
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    total = best["imports"] + best["open"] + best["recount"]
    return [
        Result(
            "lease-startup/open/%d" % n,
            best["open"],
            "s",
            "snapshot %.1f MB + %d journal records; goal < 2 s" % (snapshot_mb, n // 10),
        ),
        Result(
            "lease-startup/process/%d" % n,
            total,
            "s",
            "imports %.2f + open + stats recount %.2f" % (best["imports"], best["recount"]),
        ),
        Result(
            "lease-rss/%d" % n,
            best["VmRSS"] / 1024,
            "MB",
            "peak (VmHWM) %.1f MB; compare kea-rss" % (best["VmHWM"] / 1024),
        ),
    ]


def _repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kea_csv_rows(n: int) -> Iterator[str]:
    yield "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context"
    for i in range(n):
        lease = synthetic_lease(i, now=int(time.time()))
        doc = lease.to_doc()
        yield "%s,%s,%s,%d,%d,%d,0,0,%s,0," % (
            doc["address"],
            doc["hwaddr"],
            doc["client_id"],
            lease.valid_lifetime,
            lease.expire,
            lease.subnet_id,
            lease.hostname,
        )


@benchmark(
    "kea-rss", "Kea 2.2 (kea-dhcp4, memfile) resident memory with the same 100k leases, for comparison"
)
def bench_kea(options: Options) -> list[Result]:
    kea = shutil.which("kea-dhcp4") or (
        "/usr/sbin/kea-dhcp4" if os.path.exists("/usr/sbin/kea-dhcp4") else None
    )
    if kea is None:
        print("   skipped: kea-dhcp4 is not installed")
        return []
    n = 10_000 if options.quick else 100_000
    directory = _tmpdir()
    proc = None
    try:
        csv_path = os.path.join(directory, "kea-leases4.csv")
        with open(csv_path, "w") as handle:
            for row in kea_csv_rows(n):
                handle.write(row + "\n")
        config = {
            "Dhcp4": {
                "interfaces-config": {"interfaces": []},
                "lease-database": {"type": "memfile", "persist": True, "name": csv_path, "lfc-interval": 0},
                "subnet4": [
                    {"id": 1, "subnet": "10.0.0.0/15", "pools": [{"pool": "10.0.0.1 - 10.1.255.254"}]}
                ],
                "loggers": [
                    {"name": "kea-dhcp4", "output_options": [{"output": "stdout"}], "severity": "INFO"}
                ],
            }
        }
        config_path = os.path.join(directory, "kea.json")
        with open(config_path, "w") as handle:
            json.dump(config, handle)
        env = dict(os.environ, KEA_PIDFILE_DIR=directory, KEA_LOCKFILE_DIR=directory)
        log_path = os.path.join(directory, "kea.log")
        started = time.perf_counter()
        with open(log_path, "w") as log_handle:
            proc = subprocess.Popen(
                [kea, "-c", config_path], stdout=log_handle, stderr=subprocess.STDOUT, env=env
            )
        deadline = time.monotonic() + 120
        while True:
            with open(log_path) as handle:
                text = handle.read()
            if "DHCP4_STARTED" in text:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("kea-dhcp4 did not start:\n" + text[-2000:])
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        time.sleep(0.5)
        status = _status(proc.pid)
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(directory, ignore_errors=True)
    return [
        Result(
            "kea-rss/%d" % n,
            status["VmRSS"] / 1024,
            "MB",
            "kea-dhcp4 2.2, peak %.1f MB" % (status["VmHWM"] / 1024),
        ),
        Result("kea-startup/%d" % n, elapsed, "s", "process start to DHCP4_STARTED"),
    ]


@benchmark("lease-compaction", "lease-file cleanup (LFC) of 100k leases in the low-priority child")
def bench_compaction(options: Options) -> list[Result]:
    n = 10_000 if options.quick else 100_000
    directory = _tmpdir()
    try:
        path = _prepare_files(directory, n, n // 10)
        store = MemfileLeaseStore(path, sync="none")
        started = time.perf_counter()
        store.compact()
        wall = time.perf_counter() - started
        info: dict[str, Any] = store.last_compaction or {}
        store.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if not info:
        raise RuntimeError("the compaction did not report")
    return [
        Result(
            "lease-compaction/%d" % n,
            wall,
            "s",
            "child wrote %.1f MB in %.2f s (%.0f leases/s)"
            % (info["bytes"] / 1e6, info["seconds"], n / max(info["seconds"], 1e-9)),
        ),
    ]


def _paced(store: MemfileLeaseStore, count: int, rate: float, first: int) -> tuple[float, int]:
    """Write `count` new leases at `rate` per second, waiting for each to be durable as the server does
    before an ACK; returns (mean wait for durability in ms, /proc write_bytes caused)."""
    before = _io()["write_bytes"]
    waits = 0.0
    interval = 1.0 / rate
    next_at = time.perf_counter()
    pending: list[tuple[int, float]] = []
    for k in range(count):
        now = time.perf_counter()
        if now < next_at:
            time.sleep(next_at - now)
        next_at += interval
        lease = synthetic_lease(first + k)
        began = time.perf_counter()
        store.put(lease)  # with sync "always" the fsync happens in here
        pending.append((store.last_seq, began))
        store.poll()
        while pending and pending[0][0] <= store.durable_seq:
            waits += time.perf_counter() - pending.pop(0)[1]
    store.flush()
    store.poll()
    end = time.perf_counter()
    for _, at in pending:
        waits += end - at
    return waits / count * 1000, _io()["write_bytes"] - before


def _io() -> dict[str, int]:
    with open("/proc/self/io") as handle:
        return {k: int(v) for k, v in (line.split(": ") for line in handle)}


@benchmark("lease-sd-cost", "bytes written per new lease and per renewal, per sync mode; LFC volume for 10k")
def bench_sd_cost(options: Options) -> list[Result]:
    results: list[Result] = []
    directory = _tmpdir()
    try:
        store = MemfileLeaseStore(os.path.join(directory, "leases.json"), sync="none")
        new_line = encode_record({"op": "put", "lease": synthetic_lease(1).to_doc()})
        renewal = synthetic_lease(1, cltt=NOW + 60)
        renew_line = encode_record({"op": "put", "lease": renewal.to_doc()})
        results.append(
            Result("journal-bytes/new-lease", len(new_line), "B", "one journal record (hostname, client-id)")
        )
        results.append(
            Result("journal-bytes/renewal", len(renew_line), "B", "a renewal rewrites the whole record")
        )
        store.close()
        count = 300 if options.quick else 1000
        for mode, rate in (("none", 500.0), ("batch", 500.0), ("always", 500.0)):
            path = os.path.join(directory, "sd-%s.json" % mode)
            store = MemfileLeaseStore(path, sync=mode)
            wait_ms, written = _paced(store, count if mode != "always" else count // 2, rate, 0)
            n = count if mode != "always" else count // 2
            fsyncs = (
                store._committer.fsyncs if store._committer is not None else (n if mode == "always" else 0)
            )
            store.close()
            results.append(
                Result(
                    "page-writes/%s" % mode,
                    written / n,
                    "B/lease",
                    "/proc write_bytes per lease at %d leases/s; %d fsyncs for %d leases; ACK waits %.2f ms on average"
                    % (rate, fsyncs, n, wait_ms),
                )
            )
        n = 1_000 if options.quick else 10_000
        path = _prepare_files(directory, n, n // 10)
        store = MemfileLeaseStore(path, sync="none")
        store.compact()
        info = store.last_compaction or {}
        store.close()
        results.append(
            Result(
                "lfc-volume/%d" % n,
                info.get("write_bytes", 0) / 1e6,
                "MB written",
                "read %.2f MB from storage (rchar %.2f MB: it writes from memory); snapshot %.2f MB"
                % (info.get("read_bytes", 0) / 1e6, info.get("rchar", 0) / 1e6, info.get("bytes", 0) / 1e6),
            )
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return results
