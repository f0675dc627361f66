"""The one entry point, `edge-dhcp`, with subcommands. Each subcommand's module is imported only when used,
so `edge-dhcp check` on a laptop does not pull in sockets or the lease store."""

from __future__ import annotations

import argparse
import sys

from edge import __version__


def _cmd_check(args: argparse.Namespace) -> int:
    from edge.config.check import run_check

    return run_check(args.config)


def _cmd_serve(args: argparse.Namespace) -> int:
    from edge.server.main import run_server

    return run_server(args.config, lease_file=args.lease_file, control_socket=args.control_socket)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge-dhcp", description="A lean, Kea-compatible DHCPv4 server.")
    parser.add_argument("--version", action="version", version="edge-dhcp " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="validate a Kea-dialect configuration file")
    check.add_argument("-c", "--config", help="configuration file (default: the built-in default)")
    check.set_defaults(func=_cmd_check)

    serve = sub.add_parser("serve", help="run the DHCPv4 server in the foreground")
    serve.add_argument("-c", "--config", help="configuration file (default: the built-in default)")
    serve.add_argument("--lease-file", help="override lease-database.name")
    serve.add_argument("--control-socket", help="override the control socket path")
    serve.set_defaults(func=_cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
