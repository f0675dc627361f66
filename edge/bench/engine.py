"""In-process benchmark of the per-packet hot path: Engine.handle for DISCOVER->OFFER->REQUEST->ACK.

Rules:
- The engine gets the configuration edge/bench/perf.py gives perfdhcp (the same dict, with the logger's
  output pointed at a file in a temporary directory instead of stdout: what the lab does with stdout), and
  is driven through `Engine.handle`, the entry the server's loop calls, with an `Inbound` made per packet
  as the loop makes it. The server's other per-packet work that is not I/O is included: logging at the
  configured severity into the configured output (edge/log.py, flushes deferred to the loop's turn,
  here one turn per 32 packets as the loop's dispatch bound), and the ACK's wait for the store's durable
  change number (sync none: nothing to wait for).
- Each client is new (a distinct MAC), as perfdhcp's are: every exchange allocates a fresh lease.
- Figures, never pass/fail: us per exchange, exchanges per second, and ratios to a baseline measured in the
  same process on the same packets — the codec alone (decode of both requests, encode of both replies) —
  and, when given (`--baseline-us`), to an earlier figure of this benchmark.
- Temporary files are removed; the logging set-up is put back as it was found.

Theory of operation: the requests are built up front (DISCOVERs for N MACs; a REQUEST per MAC is built from
the OFFER's yiaddr as the exchange runs, by patching a prepared template, which costs a few hundred ns and is
counted). Store variants: memory, and memfile with `sync none` in a temporary directory (the mode
`make bench` runs edge-dhcp in beside Kea). Run `python -m edge.bench.engine --help` for the stand-alone
form, which can also profile (`--profile`: cProfile, top functions by own time).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from edge.bench import Options, Result, benchmark

SERVER_ADDRESS = 0xC6120001  # 198.18.0.1: the server's address in perf.py's lab
RELAY = 0xC6120002  # 198.18.0.2: perfdhcp's own address, the giaddr of every request
PRL = bytes((1, 28, 2, 3, 15, 6, 12))  # perfdhcp's default parameter request list
BATCH = 32  # packets per loop turn (edge/server/service.py DISPATCH_BATCH)


def _config(log_path: str, lease_path: str) -> Any:
    from edge.bench.perf import shared_config
    from edge.dhcp4.config import load_data

    data = shared_config(lease_path, "srv0")
    data["Dhcp4"]["loggers"][0]["output_options"] = [{"output": log_path}]
    return load_data(json.loads(json.dumps(data)), source="<bench engine>")


def _request_bytes(msg_type: int, mac: bytes, xid: int, extra: tuple[tuple[int, bytes], ...] = ()) -> bytes:
    header = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        1,
        1,
        6,
        1,
        xid,
        0,
        0,
        b"\0" * 4,
        b"\0" * 4,
        b"\0" * 4,
        struct.pack("!I", RELAY),
        mac + b"\0" * 10,
        b"\0" * 64,
        b"\0" * 128,
    )
    options = bytearray(b"\x63\x82\x53\x63")
    options += bytes((53, 1, msg_type))
    for code, value in extra:
        options += bytes((code, len(value))) + value
    options += bytes((55, len(PRL))) + PRL + b"\xff"
    return header + bytes(options)


def _macs(n: int) -> list[bytes]:
    return [bytes((0x00, 0x0C, 0x01, i >> 16 & 255, i >> 8 & 255, i & 255)) for i in range(n)]


class _Run:
    """One engine on one store, with logging set up as the server sets it up."""

    def __init__(self, store_kind: str) -> None:
        from edge.dhcp4.engine import Engine
        from edge.dhcp4.lease_store import MemfileLeaseStore4, MemoryLeaseStore4
        from edge.log import configure_logging

        self.tmp = tempfile.mkdtemp(prefix="edge-bench-engine-")
        self.log_path = os.path.join(self.tmp, "edge.log")
        lease_path = os.path.join(self.tmp, "dhcp4.leases")
        self.config = _config(self.log_path, lease_path)
        configure_logging(self.config.loggers)
        if store_kind == "memfile":
            self.store: Any = MemfileLeaseStore4(lease_path, persist=True, sync="none")
        else:
            self.store = MemoryLeaseStore4()
        self.engine = Engine(self.config, self.store)

    def close(self) -> None:
        from edge.log import configure_logging, defer_flushes

        defer_flushes(False)
        try:
            self.store.close()
        finally:
            configure_logging((), logging.WARNING)  # our file handler closed; stderr as before the run
            shutil.rmtree(self.tmp, ignore_errors=True)

    def exchanges(self, macs: list[bytes], xid_base: int) -> tuple[float, int]:
        """Drive every MAC through the 4-way exchange; (seconds, ACKs)."""
        from edge.dhcp4.engine import Inbound
        from edge.log import defer_flushes, flush_pending

        engine, store = self.engine, self.store
        handle = engine.handle
        discovers = [_request_bytes(1, mac, xid_base + i) for i, mac in enumerate(macs)]
        server_id = struct.pack("!I", SERVER_ADDRESS)
        local = (SERVER_ADDRESS,)
        acks = 0
        clock = time.time
        defer_flushes(True)
        started = time.process_time()
        turn = 0
        for i, discover in enumerate(discovers):
            inbound = Inbound("srv0", 2000, RELAY, SERVER_ADDRESS, 67, b"", local)
            offer = handle(discover, inbound, clock())
            if offer is None:
                continue
            yiaddr = offer.payload[16:20]
            request = _request_bytes(3, macs[i], xid_base + i, ((50, yiaddr), (54, server_id)))
            inbound = Inbound("srv0", 2000, RELAY, SERVER_ADDRESS, 67, b"", local)
            ack = handle(request, inbound, clock())
            if ack is not None and ack.message_type == 5:
                if ack.wait_seq > store.durable_seq:
                    store.poll()
                acks += 1
            turn += 1
            if turn == BATCH // 2:  # two requests per exchange: one loop turn per BATCH packets
                turn = 0
                flush_pending()
        flush_pending()
        elapsed = time.process_time() - started
        defer_flushes(False)
        return elapsed, acks


def codec_baseline(n: int) -> float:
    """Seconds for the codec alone over the same traffic: decode DISCOVER and REQUEST, encode an OFFER and
    an ACK made from them (make_reply, the same options the engine sets)."""
    from edge.wire import pkt4 as wire

    macs = _macs(n)
    server_id = struct.pack("!I", SERVER_ADDRESS)
    yiaddr = struct.pack("!I", 0xC6120100)
    discovers = [_request_bytes(1, mac, i) for i, mac in enumerate(macs)]
    requests = [_request_bytes(3, mac, i, ((50, yiaddr), (54, server_id))) for i, mac in enumerate(macs)]
    options = (
        (54, server_id),
        (51, b"\0\0\x0e\x10"),
        (1, b"\xff\xfe\0\0"),
        (58, b"\0\0\x07\x08"),
        (59, b"\0\0\x0c\x4e"),
        (3, server_id),
        (6, server_id),
    )
    started = time.process_time()
    for discover, request in zip(discovers, requests, strict=True):
        for data, kind in ((discover, wire.DHCPOFFER), (request, wire.DHCPACK)):
            packet = wire.decode(data)
            reply = wire.make_reply(packet, kind)
            reply.yiaddr = yiaddr
            for code, value in options:
                reply.set(code, value)
            wire.encode(reply, 576)
    return time.process_time() - started


def measure(store_kind: str, n: int, rounds: int = 3, profile: str | None = None) -> tuple[float, int]:
    """Best of `rounds` runs of n exchanges on a fresh engine and store: (us per exchange, ACKs)."""
    best = float("inf")
    acks = 0
    for r in range(rounds):
        run = _Run(store_kind)
        try:
            run.exchanges(_macs(min(n, 200)), 0x50000000)  # warm the caches, as a running server has them
            macs = _macs(n)
            if profile is not None and r == 0:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
                elapsed, acks = run.exchanges(macs[200:] if n > 400 else macs, 0x10000000)
                profiler.disable()
                profiler.dump_stats(profile)
            else:
                elapsed, acks = run.exchanges(macs[200:] if n > 400 else macs, 0x10000000)
            count = n - 200 if n > 400 else n
        finally:
            run.close()
        if acks != count:
            raise RuntimeError("%d exchanges ended in %d ACKs" % (count, acks))
        best = min(best, elapsed / count * 1e6)
    return best, acks


@benchmark("engine", "in-process hot path: Engine.handle for DISCOVER-OFFER-REQUEST-ACK, us per exchange")
def bench_engine(options: Options) -> list[Result]:
    n = 2000 if options.quick else 20000
    baseline_us = options.extra.get("baseline_us") or float(
        os.environ.get("EDGE_BENCH_ENGINE_BASELINE_US", 0) or 0
    )
    codec_us = min(codec_baseline(n) for _ in range(3)) / n * 1e6
    results = [Result("engine/codec-alone", codec_us, "us/exch", "decode 2 requests + encode 2 replies")]
    for kind in ("memory", "memfile"):
        us, _ = measure(kind, n)
        note = "%.0f exch/s; %.1fx the codec alone" % (1e6 / us, us / codec_us)
        if baseline_us:
            note += "; %.2fx the baseline %.1f us" % (baseline_us / us, baseline_us)
        results.append(Result("engine/%s/%d" % (kind, n), us, "us/exch", note))
    return results


def _print_profile(path: str, top: int, write: Callable[[str], None]) -> None:
    import io
    import pstats

    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(path, stream=out)
        stats.sort_stats(order).print_stats(top)
        write(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.bench.engine", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000, help="exchanges per round (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best counts (default 3)")
    parser.add_argument("--store", choices=("memory", "memfile", "both"), default="both")
    parser.add_argument("--baseline-us", type=float, default=0.0, help="an earlier us/exchange to compare to")
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the first round into FILE and print the top"
    )
    parser.add_argument("--top", type=int, default=30, help="functions shown with --profile")
    args = parser.parse_args(argv)
    codec_us = min(codec_baseline(args.n) for _ in range(args.rounds)) / args.n * 1e6
    print("codec alone           %7.1f us/exch" % codec_us)
    kinds = ("memory", "memfile") if args.store == "both" else (args.store,)
    for kind in kinds:
        us, _ = measure(kind, args.n, args.rounds, args.profile)
        line = "engine %-14s %7.1f us/exch  %7.0f exch/s  %5.2fx codec" % (kind, us, 1e6 / us, us / codec_us)
        if args.baseline_us:
            line += "  %5.2fx faster than baseline %.1f us" % (args.baseline_us / us, args.baseline_us)
        print(line, flush=True)
        if args.profile:
            _print_profile(args.profile, args.top, sys.stdout.write)
            args.profile = None
    return 0


if __name__ == "__main__":
    sys.exit(main())
