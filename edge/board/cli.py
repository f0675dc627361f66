"""`edge-dhcp board console|flash`: the command-line side of the board tools.

Rules this module keeps:
- Exit status: for `console --run`, the status of the command on the board (as ssh does); 255 when the
  console itself failed (port, login, timeout). For `flash`, 0 written and verified, 1 refused or failed.
  Errors are one clear message on stderr, never a traceback.
- The password for the board comes from `--password-file`, EDGE_BOARD_PASSWORD, or a terminal prompt.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

CONSOLE_FAILED = 255


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="board_command", metavar="TOOL", required=True)
    console = sub.add_parser(
        "console",
        help="serial console: an interactive session, or log in and run one command",
        description="Talk to a board over its serial console. Without --run: an interactive session (Ctrl-] "
        "ends it). With --run: log in if asked, run the command, print its output and exit with its status "
        "(255 when the console itself failed).",
    )
    console.add_argument(
        "--port",
        required=True,
        help="a device (/dev/ttyUSB0, /dev/pts/3) or URL: socket://HOST:PORT, unix:///PATH, rfc2217://HOST:PORT",
    )
    console.add_argument("--baud", type=int, default=115200, help="baud rate (default 115200)")
    console.add_argument(
        "--run", metavar="CMD", help="log in if needed, run CMD (one line), print its output"
    )
    console.add_argument(
        "--user", default="root", help="login name when the board asks for one (default root)"
    )
    console.add_argument("--password-file", type=Path, help="file whose first line is the password")
    console.add_argument(
        "--login-timeout", type=float, default=60.0, help="seconds to reach a shell (default 60)"
    )
    console.add_argument("--timeout", type=float, default=60.0, help="seconds CMD may take (default 60)")
    console.add_argument("--log", type=Path, help="append everything the board sends to this file")
    console.add_argument("--stay", action="store_true", help="stay logged in after --run (default: log out)")
    console.set_defaults(board_func=_console)

    from edge.board.flash import add_arguments as flash_arguments

    flash = sub.add_parser(
        "flash",
        help="write an image to an SD card, with progress and verification",
        description="Write IMAGE (.img or .img.xz) to the whole device, then read it back to verify. Mounted, "
        "non-removable and very large devices are refused unless --force.",
    )
    flash_arguments(flash)
    flash.set_defaults(board_func=_flash)


def _password_source(args: argparse.Namespace) -> Callable[[], str | None]:
    def password() -> str | None:
        if args.password_file is not None:
            try:
                lines = args.password_file.read_text().splitlines()
            except OSError as exc:
                from edge.board.console import ConsoleError

                raise ConsoleError(f"cannot read --password-file: {exc.strerror or exc}") from None
            return lines[0] if lines else ""
        if "EDGE_BOARD_PASSWORD" in os.environ:
            return os.environ["EDGE_BOARD_PASSWORD"]
        if sys.stdin.isatty():
            return getpass.getpass(f"password for {args.user} on the board: ")
        return None

    return password


def _console(args: argparse.Namespace) -> int:
    from edge.board.console import Console, ConsoleError, interactive, open_port

    transcript: BinaryIO | None = None
    try:
        if args.log is not None:
            transcript = open(args.log, "ab")
        port = open_port(args.port, args.baud)
        try:
            if args.run is None:
                return interactive(port, sys.stdin.buffer, sys.stdout.buffer)
            console = Console(port, transcript)
            console.login(args.user, _password_source(args), timeout=args.login_timeout)
            try:
                status, output = console.run(args.run, timeout=args.timeout)
            finally:
                if not args.stay:
                    console.logout()
            sys.stdout.write(output)
            sys.stdout.flush()
            return status
        finally:
            port.close()
    except ConsoleError as exc:
        print(f"edge-dhcp board console: {exc}", file=sys.stderr)
        return CONSOLE_FAILED
    except OSError as exc:
        print(f"edge-dhcp board console: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return CONSOLE_FAILED
    finally:
        if transcript is not None:
            transcript.close()


def _flash(args: argparse.Namespace) -> int:
    from edge.board.flash import FlashError, flash

    try:
        return flash(args)
    except FlashError as exc:
        print(f"edge-dhcp board flash: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"edge-dhcp board flash: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 1


def run_board(args: argparse.Namespace) -> int:
    return int(args.board_func(args))
