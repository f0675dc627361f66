"""`edge-dhcp bench` (and `make bench`): named benchmarks that print figures and ratios, never pass/fail.

Rules:
- Speed and memory are measured here, not asserted in tests: a benchmark prints what it measured, the
  unit, and where it helps a ratio to a reference figure (the same code at a smaller size, or Kea).
- One registry: a benchmark is a function decorated with `@benchmark("name", "what it measures")` in a
  module listed in MODULES. Adding a benchmark is adding a function (and, for a new module, a row).
- Benchmarks clean up after themselves (temporary directories, child processes) and skip — saying why —
  what this machine cannot run (e.g. Kea not installed).

Theory of operation: `run()` imports the modules in MODULES (which registers their benchmarks), runs the
ones asked for (all by default) in registration order, prints each Result as it comes and, with --json,
writes every result to a file for comparisons across runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

# Modules that define benchmarks; each registers its own on import. Add yours here.
MODULES: tuple[str, ...] = (
    "edge.bench.leases",
    "edge.bench.alloc",
    "edge.bench.perf",
    "edge.bench.perf6",
    "edge.bench.engine",
    "edge.bench.control",
    "edge.bench.dashboard",
)


@dataclass
class Result:
    name: str  # e.g. "lease-write/100000"
    value: float
    unit: str  # e.g. "us/write", "MB", "s"
    note: str = ""  # ratios, goals, context
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        value = ("%.3g" % self.value) if abs(self.value) < 1000 else ("%.0f" % self.value)
        return "%-40s %12s %-10s %s" % (self.name, value, self.unit, self.note)


@dataclass
class Options:
    quick: bool = False  # smaller sizes, for a smoke run
    extra: dict[str, Any] = field(default_factory=dict)


BenchFunction = Callable[[Options], list[Result]]


@dataclass
class Benchmark:
    name: str
    help: str
    function: BenchFunction


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, help: str) -> Callable[[BenchFunction], BenchFunction]:
    def register(function: BenchFunction) -> BenchFunction:
        if name in REGISTRY and REGISTRY[name].function is not function:
            raise ValueError("benchmark %r is registered twice" % name)
        REGISTRY[name] = Benchmark(name, help, function)
        return function

    return register


def load() -> dict[str, Benchmark]:
    for module in MODULES:
        importlib.import_module(module)
    return REGISTRY


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes: a smoke run, figures not comparable"
    )
    parser.add_argument("--json", metavar="FILE", help="also write every result to FILE as JSON")


def run(args: argparse.Namespace) -> int:
    registry = load()
    if args.list:
        for bench in registry.values():
            print("%-24s %s" % (bench.name, bench.help))
        return 0
    unknown = [name for name in args.names if name not in registry]
    if unknown:
        print("edge-dhcp bench: no benchmark named %s (see --list)" % ", ".join(unknown), file=sys.stderr)
        return 2
    chosen = [registry[name] for name in args.names] if args.names else list(registry.values())
    options = Options(quick=args.quick)
    results: list[Result] = []
    failed = 0
    for bench in chosen:
        print("== %s: %s" % (bench.name, bench.help), flush=True)
        started = time.monotonic()
        try:
            produced = bench.function(options)
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed += 1
            print("   FAILED: %s: %s" % (type(exc).__name__, exc), flush=True)
            continue
        for result in produced:
            print("   " + result.line(), flush=True)
        results.extend(produced)
        print("   (%.1f s)" % (time.monotonic() - started), flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([asdict(r) for r in results], handle, indent=2)
    return 1 if failed else 0
