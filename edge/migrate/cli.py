"""`edge-dhcp migrate dhcpd|dnsmasq FILE [-o OUT] [-i IFACE]`: another server's configuration -> Kea dialect.

Rules this module keeps:
- The converted configuration goes to OUT (written whole, then renamed into place, so a failed run never
  leaves half a file) or to stdout; notes and errors go to stderr, one line each.
- Exit status: the number of notes (things not translated), as keama's is, capped at 254 so it never
  wraps to 0; 255 when the input is refused (`FILE line N: message` on stderr) or cannot be read or
  written. (argparse's own usage errors exit 2 and print usage.)
- No traceback reaches the user for any input file.
"""

from __future__ import annotations

import argparse
import sys

from edge.fsio import write_atomically
from edge.migrate.common import MigrationError, Result

__all__ = ["add_arguments", "run_migrate"]

REFUSED = 255
MAX_NOTES_STATUS = 254


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="source_kind", metavar="SERVER", required=True)
    for kind, text in (
        ("dhcpd", "ISC dhcpd 4.x dhcpd.conf"),
        ("dnsmasq", "dnsmasq configuration (dnsmasq.conf and its conf-file/conf-dir includes)"),
    ):
        p = sub.add_parser(
            kind,
            help=f"convert an {text}",
            description=f"Convert an {text} into an edge-dhcp (Kea-dialect Dhcp4, or Dhcp6 with -6) configuration. "
            "The exit status is the number of things that could not be translated (each is "
            "marked NOT TRANSLATED in the output); 255 when the input is refused.",
        )
        p.add_argument("file", metavar="FILE", help="the configuration to convert")
        p.add_argument("-o", "--output", metavar="OUT", help="write the result here (default: stdout)")
        p.add_argument(
            "-i",
            "--interface",
            action="append",
            default=[],
            metavar="IFACE",
            help="interface to serve (dhcpd takes these on its command line); may be repeated",
        )
        if kind in ("dhcpd", "dnsmasq"):
            p.add_argument(
                "-6",
                dest="v6",
                action="store_true",
                help="write Dhcp6: the file is a dhcpd -6 configuration (subnet6, range6, prefix6, ...)"
                if kind == "dhcpd"
                else "write Dhcp6 from the DHCPv6 directives (IPv6 dhcp-range, dhcp-host [addresses], option6:)",
            )


def convert(kind: str, path: str, interfaces: list[str]) -> Result:
    if kind == "dhcpd6":
        from edge.migrate.dhcpd import translate_file6

        return translate_file6(path, interfaces)
    if kind == "dhcpd":
        from edge.migrate.dhcpd import translate_file

        return translate_file(path, interfaces)
    if kind == "dnsmasq6":
        from edge.migrate.dnsmasq import translate_file6 as dnsmasq_file6

        return dnsmasq_file6(path, interfaces)
    from edge.migrate.dnsmasq import translate_file as dnsmasq_file

    return dnsmasq_file(path, interfaces)


def run_migrate(args: argparse.Namespace) -> int:
    try:
        kind = args.source_kind + ("6" if getattr(args, "v6", False) else "")
        result = convert(kind, args.file, list(args.interface))
    except MigrationError as err:
        print(f"edge-dhcp migrate: {err}", file=sys.stderr)
        return REFUSED
    except RecursionError:
        print(f"edge-dhcp migrate: {args.file}: nested too deeply", file=sys.stderr)
        return REFUSED
    text = result.text()
    if args.output:
        try:
            write_atomically(args.output, text)
        except OSError as err:
            print(f"edge-dhcp migrate: cannot write {args.output}: {err.strerror}", file=sys.stderr)
            return REFUSED
    else:
        sys.stdout.write(text)
    for note in sorted(result.notes, key=lambda n: (n.source, n.line or 0)):
        print(f"edge-dhcp migrate: {note}", file=sys.stderr)
    if result.notes:
        print(f"edge-dhcp migrate: {len(result.notes)} thing(s) not translated", file=sys.stderr)
    return min(len(result.notes), MAX_NOTES_STATUS)
