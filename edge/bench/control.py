"""Benchmarks of the control channel: how long one large command keeps the server loop from packets.

`control-large`: a command of about 1 MiB and 8 MiB (a config-test with many reservations, as a dashboard
or a provisioning script sends) measured three ways:
- the one-shot parse (comments blanked, then json.loads) the channel used for every command, as one block:
  the pause it would cost the loop;
- the pieces as the channel now runs them: the stream scanner per 64 KiB chunk (one chunk per wake-up)
  and the stepwise parse (edge/control/jsonsteps.py) per step, total and longest;
- end to end: a real Server loop with a 1 ms timer; the longest gap between two ticks while the command
  is received and parsed is the longest the loop could not serve a packet. The command's arguments are
  unknown to status-get, so it is refused at once: what is measured is reading and parsing, not running
  a configuration (a config-set of 8 MiB then spends its own time in the loader).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from edge.bench import Options, Result, benchmark


def _command(size: int) -> bytes:
    rows = []
    i = 0
    text = b""
    while True:
        rows.append(
            {
                "hw-address": "02:00:%02x:%02x:%02x:%02x"
                % (i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255),
                "ip-address": "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255),
                "hostname": "host-%d" % i,
                "user-context": {"rack": "r%d" % (i % 40), "note": "provisioned by the benchmark"},
            }
        )
        i += 1
        if i % 500 == 0:
            subnet = {"id": 1, "subnet": "10.0.0.0/8", "reservations": rows}
            text = json.dumps(
                {"command": "config-test", "arguments": {"Dhcp4": {"subnet4": [subnet]}}}
            ).encode()
            if len(text) >= size:
                return text


def _pieces(data: bytes, hold_collector: bool) -> dict[str, float]:
    from edge.control import jsonsteps
    from edge.control.protocol import CommandScanner, parse_value

    started = time.perf_counter()
    parse_value(data)
    one_shot = time.perf_counter() - started
    scanner = CommandScanner()
    worst_chunk = 0.0
    started = time.perf_counter()
    for at in range(0, len(data), 65536):
        t = time.perf_counter()
        scanner.feed(data[at : at + 65536])
        worst_chunk = max(worst_chunk, time.perf_counter() - t)
    scan = time.perf_counter() - started
    job = jsonsteps.steps(data, scanner.comments)
    worst_step, count = 0.0, 0
    pauses: list[float] = []
    marks: list[float] = []

    def gc_watch(phase: str, info: dict[str, int]) -> None:  # the collector's own pauses, to tell them apart
        if phase == "start":
            marks.append(time.perf_counter())
        elif marks:
            pauses.append(time.perf_counter() - marks.pop())

    gc.callbacks.append(gc_watch)
    collector = gc.isenabled()
    if hold_collector:  # as the control channel runs it (service._hold_collector)
        gc.disable()
    started = time.perf_counter()
    while True:
        t = time.perf_counter()
        try:
            next(job)
        except StopIteration:
            worst_step = max(worst_step, time.perf_counter() - t)
            break
        worst_step = max(worst_step, time.perf_counter() - t)
        count += 1
    steps = time.perf_counter() - started
    gc.callbacks.remove(gc_watch)
    if collector:
        gc.enable()
    return {
        "gc_longest": max(pauses, default=0.0),
        "gc_count": len(pauses),
        "one_shot": one_shot,
        "scan": scan,
        "worst_chunk": worst_chunk,
        "steps": steps,
        "worst_step": worst_step,
        "count": count,
    }


_CLIENT = """
import socket, sys
with socket.socket(socket.AF_UNIX) as sock:
    sock.settimeout(60)
    sock.connect(sys.argv[1])
    sock.sendall(open(sys.argv[2], "rb").read())
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
sys.stdout.buffer.write(reply)
"""


def _loop_gap(data: bytes) -> tuple[float, float, Any]:
    """(longest tick gap idle, longest tick gap while `data` is sent and parsed, the answer)."""
    from edge.control.client import send_unix
    from edge.dhcp4.config import load_data
    from edge.dhcp4.lease_store import MemoryLeaseStore4
    from edge.server.dhcp4 import Dhcp4Service as Server

    with tempfile.TemporaryDirectory(prefix="edge-bench-control-") as tmp:
        path = Path(tmp) / "ctl.sock"
        doc = {
            "Dhcp4": {
                "interfaces-config": {"interfaces": [], "dhcp-socket-type": "udp"},
                "control-socket": {"socket-type": "unix", "socket-name": str(path)},
                "subnet4": [],
            }
        }
        server = Server(load_data(doc), MemoryLeaseStore4())
        ok, message = server.open_control()
        assert ok, message
        ticks: list[float] = []
        server.loop.call_every(0.001, lambda: ticks.append(time.perf_counter()), "bench tick")
        thread = threading.Thread(target=server.run)
        thread.start()
        try:
            while not server.loop.running:
                time.sleep(0.001)
            send_unix(str(path), {"command": "status-get"}, 10)
            big = json.loads(data)
            big["command"] = "status-get"  # refused at once for its arguments: reading and parsing only
            payload = Path(tmp) / "command.json"
            payload.write_bytes(json.dumps(big).encode())
            del big
            time.sleep(0.3)
            idle = ticks[:]
            mark = len(ticks)
            # The client is another process: in this one it would hold the interpreter lock while it works.
            done = subprocess.run(
                [sys.executable, "-c", _CLIENT, str(path), str(payload)], capture_output=True, timeout=120
            )
            reply = done.stdout
            busy = ticks[mark:]
        finally:
            server.stop()
            thread.join(30)

    def longest(series: list[float]) -> float:
        return max((b - a for a, b in zip(series, series[1:], strict=False)), default=0.0)

    return longest(idle), longest(busy), json.loads(reply)


@benchmark(
    "control-large", "a large control command: one-shot parse block vs stepwise, and the loop's longest pause"
)
def bench_control_large(options: Options) -> list[Result]:
    results = []
    for size in (1 << 20,) if options.quick else (1 << 20, 8 << 20):
        data = _command(size - (200 << 10))
        label = "%d MiB" % round(len(data) / (1 << 20))
        p = _pieces(data, hold_collector=False)
        held = _pieces(data, hold_collector=True)
        results += [
            Result(
                f"control-large/{label}/one-shot-parse",
                p["one_shot"] * 1000,
                "ms",
                "one block (the old road)",
            ),
            Result(
                f"control-large/{label}/scan",
                p["scan"] * 1000,
                "ms",
                "longest 64 KiB chunk %.2f ms" % (p["worst_chunk"] * 1000),
            ),
            Result(
                f"control-large/{label}/stepwise-parse",
                p["steps"] * 1000,
                "ms",
                "%d steps, longest %.2f ms (of which the garbage collector's longest pause: %.2f ms, %d runs)"
                % (p["count"], p["worst_step"] * 1000, p["gc_longest"] * 1000, p["gc_count"]),
            ),
            Result(
                f"control-large/{label}/stepwise-parse-collector-held",
                held["steps"] * 1000,
                "ms",
                "%d steps, longest %.2f ms (as the channel runs it: collector off meanwhile)"
                % (held["count"], held["worst_step"] * 1000),
            ),
        ]
        idle, busy, reply = _loop_gap(data)
        results.append(
            Result(
                f"control-large/{label}/loop-longest-pause",
                busy * 1000,
                "ms",
                "idle loop: %.2f ms; answer result %s" % (idle * 1000, reply.get("result")),
            )
        )
    return results
