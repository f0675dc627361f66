"""Does `edge-dhcp migrate` still write the same bytes? Old code against new, on every input the tests use.

    .venv/bin/python tests/migrate/same_output.py [--rev REV] [PYTEST ARGS...]   (default: -q tests/migrate)

Rules this check keeps:
- "Old" is edge/migrate/ as committed at REV (git archive), loaded beside the working tree's as the package
  `edge_migrate_old` (its `edge.migrate` imports renamed; everything else it imports is the working tree's).
  "New" is the working tree's edge/migrate/.
- The inputs are whatever the tests feed in, so nothing is listed twice: the test suite runs with every
  entry point wrapped -- translate_text/translate_file of both dialects and both lease-file parsers -- and
  each call runs the old code too, on the same arguments, and compares: the written text (header, comments,
  JSON) and the notes for a result, type and message for a refusal, the items for a lease file. The
  caller gets the new code's answer, so the tests themselves still judge the new code.
- Subprocesses count too (`python -m edge migrate ...` in the CLI and lab switch-over tests): a .pth file
  in this interpreter's site-packages installs the same wrappers in every Python started while the check
  runs (it does nothing unless EDGE_MIGRATE_SAME_AS is set, and is removed afterwards).
- Exit status 0 only when the tests passed, every comparison matched, and there were comparisons.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

OLD = "edge_migrate_old"
HOOK = "edge_migrate_same_hook"
PTH = "edge-migrate-same-output.pth"
# (module of the public name, name): the entry points the CLI and the tests call.
TRANSLATORS = [
    ("dhcpd", "translate_text"),
    ("dhcpd", "translate_file"),
    ("dnsmasq", "translate_text"),
    ("dnsmasq", "translate_file"),
]
LEASE_PARSERS = [("leases", "parse_dhcpd_leases"), ("leases", "parse_dnsmasq_leases")]


# ------------------------------------------------------------------------------ the hook (in every Python)


def _log(entry: dict[str, Any]) -> None:
    with open(os.environ["EDGE_MIGRATE_SAME_LOG"], "a") as handle:
        handle.write(json.dumps({"pid": os.getpid(), **entry}) + "\n")


def _outcome_of_translation(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """(value, what to compare) of one call: a result's text and notes, or an exception's type and text."""
    try:
        result = fn(*args, **kwargs)
    except Exception as err:  # RecursionError included: the CLI catches it
        return err, ("raised", type(err).__name__, str(err))
    return result, ("result", result.text(), [str(n) for n in result.notes])


def _describe(args: tuple, kwargs: dict) -> str:
    first = args[0] if args else next(iter(kwargs.values()), "")
    text = str(first)
    return text if len(text) < 80 else text[:77] + "..."


def _wrap_translator(call: str, new: Callable[..., Any], old: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value, seen_new = _outcome_of_translation(new, args, kwargs)
        _, seen_old = _outcome_of_translation(old, args, kwargs)
        entry: dict[str, Any] = {"call": call, "input": _describe(args, kwargs), "same": seen_new == seen_old}
        if not entry["same"]:
            entry["diff"] = _difference(seen_old, seen_new)
        _log(entry)
        if isinstance(value, BaseException):
            raise value
        return value

    wrapper.__wrapped__ = new  # type: ignore[attr-defined]
    return wrapper


def _items(fn: Callable[..., Iterator[Any]], text: str, source: str) -> tuple[list[Any], Any]:
    items: list[Any] = []
    try:
        for item in fn(io.StringIO(text), source):
            items.append(item)
    except Exception as err:
        return items, err
    return items, None


def _wrap_parser(call: str, new: Callable[..., Any], old: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(stream: Any, source: str) -> Iterator[Any]:
        text = stream.read()
        real_time = time.time
        now = real_time()
        time.time = lambda: now  # dnsmasq lifetimes count from "now": the same now for old and new
        try:
            items, err = _items(new, text, source)
            old_items, old_err = _items(old, text, source)
        finally:
            time.time = real_time
        seen_new = ([repr(i) for i in items], (type(err).__name__, str(err)) if err else None)
        seen_old = ([repr(i) for i in old_items], (type(old_err).__name__, str(old_err)) if old_err else None)
        entry: dict[str, Any] = {"call": call, "input": source, "same": seen_new == seen_old}
        if not entry["same"]:
            entry["diff"] = _difference(seen_old, seen_new)
        _log(entry)
        yield from items
        if err is not None:
            raise err

    wrapper.__wrapped__ = new  # type: ignore[attr-defined]
    return wrapper


def _lines(seen: Any) -> list[str]:
    """What was compared, as lines a diff can show: a result's text then its notes; anything else as JSON."""
    if isinstance(seen, tuple) and seen and seen[0] == "result":
        return [*seen[1].splitlines(), "-- notes:", *seen[2]]
    return json.dumps(seen, indent=1, default=str).splitlines()


def _difference(old: Any, new: Any) -> str:
    diff = difflib.unified_diff(_lines(old), _lines(new), "old", "new", lineterm="", n=2)
    return "\n".join(list(diff)[:60])


def install() -> None:
    """Wrap the entry points wherever edge.migrate's modules hold them (their own and re-exported names)."""
    import importlib
    import pkgutil

    import edge.migrate

    for info in pkgutil.walk_packages(edge.migrate.__path__, "edge.migrate."):
        importlib.import_module(info.name)
    pairs = [(m, n, _wrap_translator) for m, n in TRANSLATORS] + [
        (m, n, _wrap_parser) for m, n in LEASE_PARSERS
    ]
    for module, name, wrap in pairs:
        new = getattr(importlib.import_module(f"edge.migrate.{module}"), name)
        old = getattr(importlib.import_module(f"{OLD}.{module}"), name)
        wrapper = wrap(f"{module}.{name}", new, old)
        for loaded in list(sys.modules.values()):
            if (
                getattr(loaded, "__name__", "").startswith("edge.migrate")
                and getattr(loaded, name, None) is new
            ):
                setattr(loaded, name, wrapper)


# ----------------------------------------------------------------------------------------------- driver


def old_package(rev: str, into: str) -> None:
    """edge/migrate/ at `rev` as the package OLD under `into`."""
    archive = subprocess.run(["git", "archive", rev, "edge/migrate"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.endswith(".py"):
                continue
            rel = member.name[len("edge/migrate/") :]
            target = os.path.join(into, OLD, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            text = re.sub(r"\bedge\.migrate\b", OLD, source.read().decode())
            with open(target, "w") as handle:
                handle.write(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="67ebf1b", help="the old code's commit (default: %(default)s)")
    args, pytest_args = parser.parse_known_args()
    pytest_args = pytest_args or ["-q", "tests/migrate"]
    work = tempfile.mkdtemp(prefix="edge-migrate-same-")
    lib = os.path.join(work, "lib")
    log = os.path.join(work, "calls.jsonl")
    old_package(args.rev, lib)
    shutil.copy(__file__, os.path.join(lib, HOOK + ".py"))
    pth = os.path.join(sysconfig.get_path("purelib"), PTH)
    with open(pth, "w") as handle:
        handle.write(
            "import os, sys; p = os.environ.get('EDGE_MIGRATE_SAME_AS'); "
            f"p and (sys.path.append(p), __import__('{HOOK}').install())\n"
        )
    env = {**os.environ, "EDGE_MIGRATE_SAME_AS": lib, "EDGE_MIGRATE_SAME_LOG": log}
    try:
        tests = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args], env=env
        )
        tests.wait()
    finally:
        os.unlink(pth)
    entries = [json.loads(line) for line in open(log)] if os.path.exists(log) else []
    shutil.rmtree(work)
    counts = collections.Counter(e["call"] for e in entries)
    elsewhere = sum(1 for e in entries if e["pid"] != tests.pid)
    differ = [e for e in entries if not e["same"]]
    print(f"\nold = edge/migrate at {args.rev}, new = the working tree")
    differing = collections.Counter(e["call"] for e in entries if not e["same"])
    for call, n in sorted(counts.items()):
        print(f"  {call}: {n} call(s) compared, {differing[call]} differ")
    print(f"  {len(entries)} comparisons ({elsewhere} in subprocesses), {len(differ)} differ")
    for e in differ[:20]:
        print(f"DIFFERS: {e['call']}({e['input']}):\n{e['diff']}")
    if tests.returncode != 0:
        print(f"the tests failed (pytest exit status {tests.returncode})")
    return 0 if tests.returncode == 0 and entries and not differ else 1


if __name__ == "__main__":
    sys.exit(main())
