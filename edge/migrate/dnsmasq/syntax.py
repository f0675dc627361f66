"""dnsmasq's configuration syntax: `name[=value]` lines, the files they pull in, and the forms of values.

Rules this module keeps:
- A line is `name`, or `name=value`; `#` starts a comment at the start of a line or after a blank, outside
  double quotes. Names are case-insensitive (kept lower-case); values are kept as written.
- conf-file and conf-dir (with its `*.ext` wanted and `.ext` skipped suffixes, and dnsmasq's own skipping
  of dot-files, backups `~` and `#...#`) are followed where they stand; dhcp-hostsfile and dhcp-optsfile
  (a file, or every file of a directory) are read as lines of dhcp-host and dhcp-option values. Relative
  names are tried as given and then beside the file that names them. Files are read lazily, so an error
  is reported before anything after it is looked at.
- Every error is a MigrationError `FILE line N: message` (`fail`), never a traceback.
- Nothing here knows what a directive means: that is read.py's job.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from edge.migrate.common import MigrationError

__all__ = [
    "HEX",
    "INFINITE",
    "IPV4",
    "MAC",
    "Directive",
    "fail",
    "need",
    "parse_time",
    "read_file",
    "read_text",
    "split_fields",
]

TIME = re.compile(r"^(\d+)([smhdw]?)$", re.IGNORECASE)
MAC = re.compile(r"^(?:[0-9a-fA-F]{1,2}-)?(?:[0-9a-fA-F*]{1,2})(?::[0-9a-fA-F*]{1,2}){5,}$")
HEX = re.compile(r"^[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2})+$")
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
INFINITE = 0xFFFFFFFF
MIN_LEASE = 120  # dnsmasq's minimum lease time
MAX_INCLUDE_DEPTH = 16


@dataclass
class Directive:
    name: str
    value: str | None
    source: str
    line: int

    def text(self) -> str:
        return self.name if self.value is None else f"{self.name}={self.value}"


def fail(d: Directive, message: str) -> MigrationError:
    return MigrationError(d.source, d.line, message)


def need(d: Directive) -> str:
    """The value of a directive that must have one."""
    if not d.value:
        raise fail(d, f"{d.name} needs a value")
    return d.value


def split_fields(value: str) -> list[str]:
    """dnsmasq's comma-separated fields; double quotes keep commas, and are removed."""
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    i = 0
    while i < len(value):
        c = value[i]
        if c == '"':
            quoted = not quoted
        elif c == "\\" and quoted and i + 1 < len(value):
            i += 1
            cur.append(value[i])
        elif c == "," and not quoted:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur).strip())
    return out


def parse_time(text: str) -> int | None:
    if text.lower() == "infinite":
        return INFINITE
    m = TIME.match(text)
    if not m:
        return None
    n = int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2).lower()]
    return max(n, MIN_LEASE)


def strip_comment(line: str) -> str:
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def read_file(path: str, depth: int = 0, prefix: str = "") -> Iterator[Directive]:
    if depth > MAX_INCLUDE_DEPTH:
        raise MigrationError(path, None, f"conf-file nested more than {MAX_INCLUDE_DEPTH} deep")
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except OSError as err:
        raise MigrationError(path, None, f"cannot read: {err.strerror}") from None
    yield from read_text(text, path, depth, prefix)


def read_text(text: str, source: str, depth: int = 0, prefix: str = "") -> Iterator[Directive]:
    for number, raw in enumerate(text.splitlines(), 1):
        line = strip_comment(raw).strip()
        if not line:
            continue
        if prefix:
            yield Directive(prefix, line, source, number)
            continue
        name, eq, value = line.partition("=")
        name = name.strip().lower()
        d = Directive(name, value.strip() if eq else None, source, number)
        if name == "conf-file":
            if not d.value:
                raise fail(d, "conf-file needs a file name")
            yield from read_file(_relative(d.value, source), depth + 1)
        elif name == "conf-dir":
            if not d.value:
                raise fail(d, "conf-dir needs a directory")
            yield from _conf_dir(d, depth)
        elif name in ("dhcp-hostsfile", "dhcp-optsfile"):
            if not d.value:
                raise fail(d, f"{name} needs a file name")
            target = _relative(d.value, source)
            kind = "dhcp-host" if name == "dhcp-hostsfile" else "dhcp-option"
            paths = (
                sorted(os.path.join(target, f) for f in os.listdir(target))
                if os.path.isdir(target)
                else [target]
            )
            for p in paths:
                yield from read_file(p, depth + 1, prefix=kind)
        else:
            yield d


def _relative(path: str, source: str) -> str:
    if os.path.isabs(path) or os.path.exists(path):
        return path
    beside = os.path.join(os.path.dirname(source), path)
    return beside if os.path.exists(beside) else path


def _conf_dir(d: Directive, depth: int) -> Iterator[Directive]:
    assert d.value is not None
    parts = split_fields(d.value)
    directory = _relative(parts[0], d.source)
    wanted = [p[1:] for p in parts[1:] if p.startswith("*")]
    skipped = [p for p in parts[1:] if p and not p.startswith("*")]
    try:
        names = sorted(os.listdir(directory))
    except OSError as err:
        raise fail(d, f"cannot read directory {parts[0]}: {err.strerror}") from None
    for name in names:
        if name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#")):
            continue
        if wanted and not any(name.endswith(w) for w in wanted):
            continue
        if any(name.endswith(s) for s in skipped):
            continue
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            yield from read_file(path, depth + 1)
