"""The one entry point, `edge-dhcp`, with subcommands. Each subcommand's module is imported only when used,
so `edge-dhcp check` on a laptop does not pull in sockets or the lease store."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from edge import __version__


def _cmd_check(args: argparse.Namespace) -> int:
    from edge.config.check import run_check
    from edge.dhcp4.config import DIALECT as DHCP4
    from edge.dhcp4.defaults import builtin_for_check
    from edge.dhcp6.config import DIALECT as DHCP6
    from edge.ha import config as _ha_checks  # noqa: F401 - registers the HA block's check with Dhcp4

    return run_check(args.config, (DHCP4, DHCP6), builtin_for_check)


def _cmd_serve(args: argparse.Namespace) -> int:
    from edge.server.main import run_server

    return run_server(
        args.config,
        lease_file=args.lease_file,
        control_socket=args.control_socket,
        lease_sync=args.lease_sync,
    )


def _cmd_ctl(args: argparse.Namespace) -> int:
    from edge.config.loader import top_level_key
    from edge.control.client import run_ctl
    from edge.dhcp4.defaults import FILES4
    from edge.dhcp6.defaults import FILES6

    # the family: -6, or the top-level key of the -c file (a Dhcp6 file names the DHCPv6 server's socket)
    six = args.dhcp6 or (
        args.config is not None and top_level_key(args.config, ("Dhcp4", "Dhcp6")) == "Dhcp6"
    )
    return run_ctl(args, FILES6 if six else FILES4)


def _cmd_migrate(args: argparse.Namespace) -> int:
    from edge.migrate.cli import run_migrate

    return run_migrate(args)


def _lease_families() -> tuple[Any, ...]:
    """The protocol families' lease plug-ins for `leases` and `stats` (edge/leases/family.py)."""
    from edge.dhcp4.lease_family import LEASES4
    from edge.dhcp6.lease_family import LEASES6

    return (LEASES4, LEASES6)


def _cmd_leases(args: argparse.Namespace) -> int:
    from edge.leases.cli import run_leases

    return run_leases(args, _lease_families())


def _cmd_stats(args: argparse.Namespace) -> int:
    from edge.leases.cli import run_stats

    return run_stats(args, _lease_families())


def _cmd_board(args: argparse.Namespace) -> int:
    from edge.board.cli import run_board

    return run_board(args)


def _cmd_bench(args: argparse.Namespace) -> int:
    from edge.bench import run

    return run(args)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; `only="serve"` stops after `serve` (see main)."""
    parser = argparse.ArgumentParser(prog="edge-dhcp", description="A lean, Kea-compatible DHCPv4 server.")
    parser.add_argument("--version", action="version", version="edge-dhcp " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="validate a Kea-dialect configuration file (Dhcp4 or Dhcp6)")
    check.add_argument("-c", "--config", help="configuration file (default: the built-in default)")
    check.set_defaults(func=_cmd_check)

    serve = sub.add_parser("serve", help="run the DHCPv4 and/or DHCPv6 server in the foreground")
    serve.add_argument(
        "-c",
        "--config",
        action="append",
        help="configuration file, Dhcp4 or Dhcp6; give -c twice to serve both families "
        "(default: the DHCPv4 built-in default)",
    )
    serve.add_argument("--lease-file", help="override lease-database.name")
    serve.add_argument(
        "--lease-sync",
        choices=("batch", "always", "none"),
        help="override lease-database.sync (when an ACK may leave: see README)",
    )
    serve.add_argument(
        "--control-socket",
        help="serve the unix control socket at this path (whatever the configuration says)",
    )
    serve.set_defaults(func=_cmd_serve)
    if only == "serve":
        return parser

    from edge.control.client import add_arguments as ctl_arguments

    ctl = sub.add_parser(
        "ctl",
        help="send a control command (Kea's API) to a running server",
        description="Send one command to a running edge-dhcp (or Kea) and print the answer as JSON. The exit "
        "status is the answer's result: 0 success, 1 error, 2 unsupported command, 3 nothing found, "
        "4 conflict; 5 when no answer came.",
    )
    ctl_arguments(ctl)
    ctl.set_defaults(func=_cmd_ctl)

    from edge.migrate.cli import add_arguments as migrate_arguments

    migrate = sub.add_parser(
        "migrate",
        help="convert an ISC dhcpd or dnsmasq configuration to edge-dhcp's (Kea's) dialect",
        description="Convert another DHCP server's configuration. Exit status: the number of things not "
        "translated (each marked in the output), 255 when the input is refused.",
    )
    migrate_arguments(migrate)
    migrate.set_defaults(func=_cmd_migrate)

    from edge.leases.cli import add_leases_arguments, add_stats_arguments
    from edge.migrate.leases import register as register_migrated_lease_formats

    register_migrated_lease_formats()  # dhcpd-leases and dnsmasq rows of the import table

    leases = sub.add_parser("leases", help="import leases from Kea (CSV), a TinyDB file or JSON; export them")
    add_leases_arguments(leases, _lease_families())
    leases.set_defaults(func=_cmd_leases)

    stats = sub.add_parser(
        "stats", help="lease statistics: `stats recount` rebuilds them from the lease store"
    )
    add_stats_arguments(stats)
    stats.set_defaults(func=_cmd_stats)

    from edge.bench import add_arguments as bench_arguments

    bench = sub.add_parser("bench", help="run the benchmarks (figures and ratios; `make bench`)")
    bench_arguments(bench)
    bench.set_defaults(func=_cmd_bench)

    from edge.board.cli import add_arguments as board_arguments

    board = sub.add_parser(
        "board", help="board tools: serial console (`board console`), SD-card writer (`board flash`)"
    )
    board_arguments(board)
    board.set_defaults(func=_cmd_board)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # `serve` runs for months on a small board: its process does not import the other subcommands' modules
    # (migration parsers, lease import formats, board tools, the control client), ~10 MB resident.
    parser = build_parser("serve" if argv[:1] == ["serve"] else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
