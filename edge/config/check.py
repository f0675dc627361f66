"""`edge-dhcp check [-c FILE]`: say whether a configuration would load, and why not.

Rules this module keeps:
- Output is for people and editors: `OK`, then one `warning: FILE:LINE:COL: PATH: message` line per
  warning; or one `FILE:LINE:COL: PATH: message` line per error and a closing summary. Exit status 0 for
  a usable configuration, 1 otherwise.
- Never a traceback, whatever the file holds. Every failure the loader anticipates is a ConfigError; any
  other exception is a bug in edge-dhcp and is reported as such, on one line.
- Interfaces the configuration names that this machine lacks are warnings, not errors: people check a
  Raspberry Pi's configuration on their laptop.

Theory of operation: load with the loader (the same code `serve` runs), passing the names of this
machine's interfaces so the loader can place the warnings; print; return the exit status.
"""

from __future__ import annotations

import sys
from typing import TextIO

from edge.config.defaults import (
    PLACEHOLDER_INTERFACE,
    first_interface,
    interface_names,
    load_builtin_default,
)
from edge.config.errors import ConfigError
from edge.config.loader import load_file
from edge.config.model import Config

__all__ = ["run_check"]


def run_check(path: str | None, out: TextIO | None = None) -> int:
    """Check `path` (or the built-in default when None); print the verdict; return the exit status."""
    out = out or sys.stdout
    try:
        return _check(path, out)
    except Exception as err:  # the last line of defence: no traceback reaches the user
        detail = str(err).splitlines()[0][:200] if str(err) else ""
        print(
            f"error: edge-dhcp failed while checking {path or 'the built-in default'}; this is a bug in "
            f"edge-dhcp, please report it ({type(err).__name__}{': ' + detail if detail else ''})",
            file=out,
        )
        return 1


def _check(path: str | None, out: TextIO) -> int:
    present = interface_names() or None
    try:
        if path is None:
            iface = first_interface()
            config = load_builtin_default(iface)
            if iface is None:
                iface = PLACEHOLDER_INTERFACE
                note = " (no usable interface here; shown for a placeholder)"
            else:
                note = ""
            label = f"built-in default for {iface.name} {iface.address}/{iface.prefix_len}{note}"
        else:
            config = load_file(path, interfaces_present=present)
            label = ""
    except ConfigError as err:
        for issue in err.issues:
            print(str(issue), file=out)
        for warning in err.warnings:
            print(f"warning: {warning}", file=out)
        count = len(err.issues)
        print(f"{path or 'the built-in default'}: {count} error{'s' if count != 1 else ''}", file=out)
        return 1
    _print_ok(config, label, out)
    return 0


def _print_ok(config: Config, label: str, out: TextIO) -> None:
    print("OK" + (f" ({label})" if label else ""), file=out)
    for warning in config.warnings:
        print(f"warning: {warning}", file=out)
