"""Run one fuzz target under atheris, coverage-guided: `python -m tests.fuzz.run TARGET [SECONDS]`.

Why atheris: it is libFuzzer driven from CPython (coverage from instrumented bytecode, libFuzzer's
mutators, corpus minimisation and crash files), installs as a wheel for CPython 3.11 on x86-64 from the
package index (the `fuzz` extra), and needs no compiler. The targets themselves are plain functions of
bytes (tests/fuzz/fuzz_*.py) that the replay test (make test) also runs, without atheris.

- The seed corpus (tests/fuzz/corpus/TARGET) is read; new inputs go to build/fuzz/TARGET/corpus (not in
  the repository), crashes to build/fuzz/TARGET/ as crash-<sha1>. A crash file worth keeping is copied
  into tests/fuzz/crashes/TARGET/ once the bug is fixed: the replay test runs it from then on.
- The code under test is instrumented once the target module is imported (atheris.instrument_all: every
  Python function loaded by then, edge-dhcp's and the standard library's alike).
- At the end it prints one summary line: executions, coverage (libFuzzer's `cov`: edges; `ft`: features)
  and corpus size, read from libFuzzer's own final report.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.fuzz.seeds import CORPUS, TARGETS

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "build" / "fuzz"


def child(name: str, argv: list[str]) -> None:
    """In the fuzzing process: import the target, instrument, hand over to libFuzzer."""
    import atheris

    from tests.fuzz.subjects import quiet_logging
    from tests.fuzz.targets import target

    quiet_logging()
    one_input = target(name)
    atheris.instrument_all()
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "--child":
        child(argv[1], [sys.argv[0], *argv[2:]])
        return 0
    if not argv or argv[0] not in TARGETS:
        print(
            f"usage: python -m tests.fuzz.run TARGET [SECONDS]  (TARGET: {', '.join(TARGETS)})",
            file=sys.stderr,
        )
        return 2
    name = argv[0]
    seconds = int(argv[1]) if len(argv) > 1 else int(os.environ.get("FUZZ_SECONDS", "600"))
    work = WORK / name
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    log_path = work / "fuzz.log"
    command = [
        sys.executable, "-m", "tests.fuzz.run", "--child", name,
        f"-max_total_time={seconds}", "-print_final_stats=1", "-rss_limit_mb=4096", "-timeout=20",
        f"-artifact_prefix={work}/", str(corpus), str(CORPUS / name),
    ]  # fmt: skip
    print(f"fuzz {name}: {seconds} s, corpus {corpus}, log {log_path}", flush=True)
    with open(log_path, "w") as log:
        status = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    text = log_path.read_text(errors="replace")
    done = [line for line in text.splitlines() if re.match(r"#\d+\s+(DONE|NEW|REDUCE|pulse|INITED)", line)]
    last = done[-1] if done else "(no libFuzzer status line)"
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
    per_sec = re.search(r"stat::average_exec_per_sec:\s*(\d+)", text)
    cov = re.search(r"cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)", last)
    summary = (
        f"fuzz {name}: {'clean' if status == 0 else 'FAILED (exit %d)' % status}, "
        f"{execs.group(1) if execs else '?'} executions ({per_sec.group(1) if per_sec else '?'}/s) in {seconds} s, "
        + (
            f"cov {cov.group(1)} ft {cov.group(2)} corpus {cov.group(3)} inputs ({cov.group(4)})"
            if cov
            else last
        )
    )
    print(summary, flush=True)
    if status != 0:
        tail = "\n".join(text.splitlines()[-60:])
        print(tail, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
