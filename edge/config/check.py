"""`edge-dhcp check [-c FILE]`: say whether a configuration would load, and why not.

Rules this module keeps:
- Output is for people and editors: `OK`, then one `warning: FILE:LINE:COL: PATH: message` line per
  warning; or one `FILE:LINE:COL: PATH: message` line per error and a closing summary. Exit status 0 for
  a usable configuration, 1 otherwise.
- Never a traceback, whatever the file holds. Every failure the loader anticipates is a ConfigError; any
  other exception is a bug in edge-dhcp and is reported as such, on one line.
- Interfaces the configuration names that this machine lacks are warnings, not errors: people check a
  Raspberry Pi's configuration on their laptop.
- The file's top-level key says its family; the caller (edge/cli.py) offers every family's dialect, and
  says what the built-in default is (a family's), so this module knows no family.

Theory of operation: load with the loader (the same code `serve` runs), passing the names of this
machine's interfaces so the loader can place the warnings; print; return the exit status.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from edge.config.errors import ConfigError
from edge.config.loader import Dialect, load_file
from edge.config.machine import interface_names

__all__ = ["BuiltIn", "run_check"]

# Loads the built-in default configuration: (the snapshot, how to name it in the verdict).
BuiltIn = Callable[[], tuple[Any, str]]


def run_check(
    path: str | None, dialects: Sequence[Dialect], builtin: BuiltIn, out: TextIO | None = None
) -> int:
    """Check `path` (or the built-in default when None); print the verdict; return the exit status."""
    out = out or sys.stdout
    try:
        return _check(path, dialects, builtin, out)
    except Exception as err:  # the last line of defence: no traceback reaches the user
        detail = str(err).splitlines()[0][:200] if str(err) else ""
        print(
            f"error: edge-dhcp failed while checking {path or 'the built-in default'}; this is a bug in "
            f"edge-dhcp, please report it ({type(err).__name__}{': ' + detail if detail else ''})",
            file=out,
        )
        return 1


def _check(path: str | None, dialects: Sequence[Dialect], builtin: BuiltIn, out: TextIO) -> int:
    present = interface_names() or None
    try:
        if path is None:
            config, label = builtin()
        else:
            config = load_file(path, dialects, interfaces_present=present)
            label = ""
    except ConfigError as err:
        for issue in err.issues:
            print(str(issue), file=out)
        for warning in err.warnings:
            print(f"warning: {warning}", file=out)
        count = len(err.issues)
        print(f"{path or 'the built-in default'}: {count} error{'s' if count != 1 else ''}", file=out)
        return 1
    print("OK" + (f" ({label})" if label else ""), file=out)
    for warning in config.warnings:
        print(f"warning: {warning}", file=out)
    return 0
