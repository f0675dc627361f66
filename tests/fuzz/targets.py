"""The fuzz targets by name, and a deterministic mutator for replaying them without a fuzzing engine.

A target is a module with `one_input(data: bytes) -> None` that raises only on a bug. `make fuzz` runs
each under atheris (tests/fuzz/run.py); `make test` replays each seed corpus, the crash files kept as
regression inputs (tests/fuzz/crashes/<target>/), and a fixed number of inputs mutated from the seeds with
a fixed random seed (tests/fuzz/test_replay.py), so a regression fails there without atheris.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from pathlib import Path

from tests.fuzz.seeds import CORPUS, TARGETS, corpus

CRASHES = Path(__file__).with_name("crashes")
Target = Callable[[bytes], None]


def target(name: str) -> Target:
    if name not in TARGETS:
        raise KeyError(f"no fuzz target {name!r} (there are: {', '.join(TARGETS)})")
    return importlib.import_module(f"tests.fuzz.fuzz_{name}").one_input  # type: ignore[no-any-return]


def regressions(name: str) -> list[tuple[str, bytes]]:
    """Inputs that once crashed `name`, kept as regression inputs (file name, bytes)."""
    directory = CRASHES / name
    if not directory.is_dir():
        return []
    return [(p.name, p.read_bytes()) for p in sorted(directory.iterdir()) if p.is_file()]


INTERESTING = (
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\x00\x00",
    b"\xff\xff",
    b'"',
    b"{",
    b"}",
    b"[",
    b"]",
    b"\\u0000",
    b"\\ud800",
    b"1e999",
    b"-1",
    b"4294967296",
    b",",
    b":",
    b"null",
    b"\n",
)


def mutate(data: bytes, rnd: random.Random, others: list[bytes]) -> bytes:
    """One to four random byte-level mutations of `data` (libFuzzer's kinds, roughly)."""
    b = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        kind = rnd.randrange(8)
        n = len(b)
        if kind == 0 and n:  # flip bits
            i = rnd.randrange(n)
            b[i] ^= 1 << rnd.randrange(8)
        elif kind == 1 and n:  # set a byte
            b[rnd.randrange(n)] = rnd.getrandbits(8)
        elif kind == 2:  # insert random bytes
            at = rnd.randint(0, n)
            b[at:at] = rnd.randbytes(rnd.randint(1, 8))
        elif kind == 3 and n:  # delete a run
            at = rnd.randrange(n)
            del b[at : at + rnd.randint(1, 16)]
        elif kind == 4:  # insert an interesting token
            at = rnd.randint(0, n)
            b[at:at] = rnd.choice(INTERESTING)
        elif kind == 5 and n > 1:  # duplicate a chunk
            at = rnd.randrange(n)
            chunk = b[at : at + rnd.randint(1, 64)]
            to = rnd.randint(0, n)
            b[to:to] = chunk
        elif kind == 6 and others:  # splice with another input
            other = rnd.choice(others)
            cut = rnd.randint(0, n)
            b = b[:cut] + other[rnd.randint(0, len(other)) :]
        elif kind == 7 and n:  # truncate
            del b[rnd.randint(0, n) :]
    return bytes(b)


def replay(name: str, mutations: int, seed: int = 22) -> tuple[int, int]:
    """Run `name` on its seeds, its regression inputs and `mutations` mutated seeds; (inputs, seeds)."""
    one_input = target(name)
    seeds = corpus(name)
    inputs = seeds + [data for _, data in regressions(name)]
    rnd = random.Random(seed)
    count = 0
    for data in inputs:
        one_input(data)
        count += 1
    for _ in range(mutations):
        one_input(mutate(rnd.choice(seeds), rnd, seeds))
        count += 1
    return count, len(seeds)


__all__ = ["CORPUS", "CRASHES", "TARGETS", "mutate", "regressions", "replay", "target"]
