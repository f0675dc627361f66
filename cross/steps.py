"""Timed build steps and command running with readable failures, shared by the cross build and the qemu tests.

Rules this module keeps:
- Every step prints one line when it ends: its name, its wall time and a note (e.g. "cached"), so the time
  of each step is in the build and test output; `Steps.summary()` repeats them as a table at the end.
- A failed command raises `StepError` whose message has the command and the tail of its output; the whole
  output is kept in the step's log file. Nothing is swallowed.

Theory of operation: `with steps.step("sysroot arm64") as note:` times the block; the body may set
`note.text`. `run(argv, log=...)` runs a command, appending its output to a log file. `locked(path)`
serialises builders of one thing (a cache entry, a work directory) across processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class StepError(RuntimeError):
    """A build or test step failed; the message names the command and ends with its output."""


@dataclass
class Note:
    text: str = ""


@dataclass
class Steps:
    prefix: str = "cross"
    stream: object = None
    done: list[tuple[str, float, str]] = field(default_factory=list)

    def _print(self, line: str) -> None:
        print(line, file=self.stream or sys.stdout, flush=True)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[Note]:
        note = Note()
        started = time.monotonic()
        self._print(f"[{self.prefix}] {name} ...")
        try:
            yield note
        except BaseException:
            elapsed = time.monotonic() - started
            self._print(f"[{self.prefix}] {name}: FAILED after {elapsed:.1f} s")
            self.done.append((name, elapsed, "FAILED"))
            raise
        elapsed = time.monotonic() - started
        self.done.append((name, elapsed, note.text))
        self._print(f"[{self.prefix}] {name}: {elapsed:.1f} s" + (f" ({note.text})" if note.text else ""))

    def total(self) -> float:
        return sum(elapsed for _, elapsed, _ in self.done)

    def summary(self) -> str:
        width = max((len(name) for name, _, _ in self.done), default=10)
        lines = [f"[{self.prefix}] step times:"]
        for name, elapsed, text in self.done:
            lines.append(f"  {name:<{width}}  {elapsed:7.1f} s  {text}")
        lines.append(f"  {'total':<{width}}  {self.total():7.1f} s")
        return "\n".join(lines)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if needed) for the body: one builder of a thing at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 1800,
    input: str | None = None,
) -> str:
    """Run `argv`; return its output (stdout+stderr). On failure raise StepError with the output's tail."""
    args = [str(a) for a in argv]
    try:
        result = subprocess.run(
            args,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            input=input,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        raise StepError(
            f"{args[0]}: not installed ({exc}); `make system-deps` installs the build tools"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise StepError(f"{shlex.join(args)}: timed out after {timeout:.0f} s") from exc
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            out.write(f"$ {shlex.join(args)}\n{result.stdout}\n")
    if result.returncode != 0:
        tail = "\n".join(result.stdout.splitlines()[-40:])
        where = f" (full output in {log})" if log is not None else ""
        raise StepError(f"{shlex.join(args)} exited {result.returncode}{where}:\n{tail}")
    return result.stdout
