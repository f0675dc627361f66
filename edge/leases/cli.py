"""`edge-dhcp leases import|export` and `edge-dhcp stats recount`: the lease store from the command line.

Rules:
- The configuration (-c, or the built-in default as `serve` uses it) says where the lease file is and which
  subnets exist; --lease-file overrides the file, as for `serve`.
- Import writes the lease file, so it takes the store's lock: while a server runs on the same file the
  import refuses (and says to stop it or use the control channel). Export and recount only read, so they
  work beside a running server.
- Messages name the file and line; the exit status is 0 on success, 1 when something was refused, 2 for
  usage errors. Never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import io
import json
import socket
import sys
from typing import Any

from edge.config.family import FamilyFiles
from edge.config.model import DaemonConfig
from edge.leases.interchange import EXPORT_FORMATS, IMPORT_FORMATS, export_leases, import_leases
from edge.leases.journal import JournalCorrupt
from edge.leases.store import LeaseStoreError


def lease_file(config: DaemonConfig, override: str | None, family: FamilyFiles) -> str:
    return override or config.lease_database.name or family.default_lease_file


def _fail(message: str, status: int = 1) -> int:
    print("edge-dhcp: %s" % message, file=sys.stderr)
    return status


def add_leases_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="leases_command", metavar="ACTION")
    imp = sub.add_parser("import", help="import another server's leases into the lease file")
    imp.add_argument("file", metavar="FILE", help="the file to import ('-' for standard input)")
    imp.add_argument(
        "--format",
        required=True,
        choices=sorted(IMPORT_FORMATS),
        help="; ".join(
            "%s: %s" % (k, (v.__doc__ or "").strip().replace("%", "%%"))
            for k, v in sorted(IMPORT_FORMATS.items())
        ),
    )
    imp.add_argument("-c", "--config", help="configuration file (default: the built-in default)")
    imp.add_argument("--lease-file", help="override lease-database.name")
    imp.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="import the good rows even if some are bad (they are listed)",
    )
    imp.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    exp = sub.add_parser("export", help="write the leases out for Kea (CSV) or as Kea's lease4-get-all JSON")
    exp.add_argument("--format", required=True, choices=sorted(EXPORT_FORMATS))
    exp.add_argument("-c", "--config", help="configuration file (default: the built-in default)")
    exp.add_argument("--lease-file", help="override lease-database.name")
    exp.add_argument("-o", "--output", help="write here instead of standard output")


def run_leases(args: argparse.Namespace, family: FamilyFiles) -> int:
    action = getattr(args, "leases_command", None)
    if action not in ("import", "export"):
        return _fail("say `leases import` or `leases export` (see --help)", 2)
    try:
        config = family.load_config(args.config)
    except Exception as exc:  # ConfigError and friends: their text names file:line:col
        return _fail("cannot load the configuration:\n%s" % exc)
    path = lease_file(config, args.lease_file, family)
    return _import(args, config, path) if action == "import" else _export(args, path)


def _import(args: argparse.Namespace, config: DaemonConfig, path: str) -> int:
    from edge.leases.memfile import MemfileLeaseStore

    source = "<stdin>" if args.file == "-" else args.file
    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8", errors="replace", newline="") as handle:
                text = handle.read()
    except OSError as exc:
        return _fail("cannot read %s: %s" % (source, exc.strerror or exc))
    items = list(IMPORT_FORMATS[args.format](io.StringIO(text), source))
    try:
        store = MemfileLeaseStore(path, sync="always")
    except (LeaseStoreError, JournalCorrupt, OSError) as exc:
        return _fail("cannot open the lease file: %s" % exc)
    try:
        report = import_leases(config, store, items, skip_bad=args.skip_bad_rows, dry_run=args.dry_run)
    except LeaseStoreError as exc:
        store.close()
        return _fail(
            "import stopped, the lease file could not take more: %s (the leases written so far are "
            "kept)" % exc
        )
    store.close()
    for error in report.errors:
        where = "%s:%d: " % (source, error.line) if error.line > 0 else ""
        print("%s%s" % (where, error.message), file=sys.stderr)
    if args.dry_run:
        print("dry run: %d bad row(s); nothing written" % report.skipped)
        return 1 if report.skipped else 0
    if not report.imported:
        return _fail(
            "nothing imported: %d bad row(s) (listed above); fix them or pass --skip-bad-rows"
            % report.skipped
        )
    print("%s into %s" % (report.summary(), path))
    return 0


def _export(args: argparse.Namespace, path: str) -> int:
    from edge.leases.memfile import MemfileLeaseStore

    try:
        store = MemfileLeaseStore(path, readonly=True)
    except (LeaseStoreError, JournalCorrupt, OSError) as exc:
        return _fail("cannot read the lease file: %s" % exc)
    buffer = io.StringIO()
    count = export_leases(store, args.format, buffer)
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(buffer.getvalue())
        else:
            sys.stdout.write(buffer.getvalue())
    except OSError as exc:
        return _fail("cannot write %s: %s" % (args.output, exc.strerror or exc))
    print("%d lease(s) exported from %s" % (count, path), file=sys.stderr)
    return 0


# ------------------------------------------------------------------------------------------- stats recount


def add_stats_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="stats_command", metavar="ACTION")
    recount = sub.add_parser(
        "recount",
        help="rebuild the lease statistics from the lease store",
        description="With a running server (its unix control socket from the configuration, or --socket), "
        "send it stats-recount and print what it corrected. Without one, count the lease file and print the "
        "statistics it implies.",
    )
    recount.add_argument("-c", "--config", help="configuration file (default: the built-in default)")
    recount.add_argument("--lease-file", help="override lease-database.name")
    recount.add_argument("--socket", help="the server's unix control socket")


def _ask_server(path: str) -> dict[str, Any] | None:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(10)
            conn.connect(path)
            conn.sendall(json.dumps({"command": "stats-recount"}).encode())
            conn.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    try:
        answer = json.loads(data)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def run_stats(args: argparse.Namespace, family: FamilyFiles) -> int:
    if getattr(args, "stats_command", None) != "recount":
        return _fail("say `stats recount` (see --help)", 2)
    try:
        config = family.load_config(args.config)
    except Exception as exc:
        return _fail("cannot load the configuration:\n%s" % exc)
    sockets = (
        [args.socket]
        if args.socket
        else [s.socket_name for s in config.control_sockets if s.socket_type == "unix" and s.socket_name]
    )
    for path in sockets:
        answer = _ask_server(path)
        if answer is not None:
            print(json.dumps(answer, indent=1))
            return 0 if answer.get("result") == 0 else 1
        if args.socket:
            return _fail("no server answers on %s" % path)
    from edge.leases.memfile import MemfileLeaseStore
    from edge.leases.stats import recount_statistics
    from edge.stats import Statistics

    path = lease_file(config, args.lease_file, family)
    try:
        store = MemfileLeaseStore(path, readonly=True)
    except (LeaseStoreError, JournalCorrupt, OSError) as exc:
        return _fail("cannot read the lease file: %s" % exc)
    stats = Statistics()
    recount_statistics(config, store, stats)
    values = {name: stats.get(name) for name in stats.names() if not name.startswith(("pkt4-", "v4-"))}
    print(
        json.dumps(
            {
                "result": 0,
                "text": "no server running: statistics counted from %s (%d leases)" % (path, len(store)),
                "arguments": values,
            },
            indent=1,
        )
    )
    return 0
