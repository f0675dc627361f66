"""A serial console client on pyserial: log in to a board and run one command, or an interactive session.

Rules this module keeps:
- Any port pyserial can open works the same: a device (`/dev/ttyUSB0`, a pty's `/dev/pts/N`), a URL pyserial
  knows (`socket://host:port`, `rfc2217://...`, `loop://`) and `unix:///path` (edge/board/protocol_unix.py).
- What the board says decides what is sent, through one table (`LOGIN_STEPS`): a login prompt gets the
  user name, a password prompt the password, a shell prompt ends the login; "Login incorrect" or a password
  prompt with no password to give is an error at once, never a retry loop.
- A command's output is found between two markers that the shell prints and that do not appear in the echo
  of the typed line (each marker is written as two quoted halves), so echo, prompts and line editing never
  leak into the output; the command's exit status travels with the end marker.
- Passwords never come from the command line (where `ps` shows them): from a file, the environment
  variable EDGE_BOARD_PASSWORD, or a prompt on the terminal.
- A session this tool logged in is logged out when the command is done, so a root shell is not left open
  on the serial line.

Theory of operation: `Console.read_more()` appends what arrived to a buffer; `Console.expect(patterns)`
reads until one pattern matches at the end of what is shown (prompts) or anywhere (messages), and the line
has been quiet briefly, so a prompt is not matched while more text is still arriving. `login()` walks the
table; `run()` types `{ CMD; } </dev/null` between the two markers and returns (status, output).
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import serial

from edge.board import protocol_unix

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]")
QUIET = 0.25  # seconds of silence after a prompt before it is believed to be the end of the output
WAKE_EVERY = 3.0  # seconds without a prompt before another carriage return is sent
ESCAPE = b"\x1d"  # Ctrl-] ends an interactive session, as in telnet


class ConsoleError(Exception):
    """The console could not do what was asked; the message is for the user."""


@dataclass(frozen=True)
class Step:
    name: str
    pattern: re.Pattern[bytes]
    at_end: bool  # a prompt: must be the last thing shown; a message: may be anywhere


# What the board can show while we log in, most specific first. Prompts are matched at the end of the output.
LOGIN_STEPS: tuple[Step, ...] = (
    Step("incorrect", re.compile(rb"Login incorrect"), False),
    Step("password", re.compile(rb"[Pp]assword: ?$"), True),
    Step("login", re.compile(rb"login: ?$"), True),
    Step("shell", re.compile(rb"[#$] ?$"), True),
)


def open_port(port: str, baudrate: int = 115200, timeout: float = 0.1) -> serial.SerialBase:
    """Open a device path or URL with pyserial; ConsoleError with the reason if it cannot be opened."""
    protocol_unix.register()
    try:
        return serial.serial_for_url(port, baudrate=baudrate, timeout=timeout, write_timeout=10)
    except (serial.SerialException, ValueError, OSError) as exc:
        raise ConsoleError(f"cannot open {port}: {exc}") from None


def shown(data: bytes) -> bytes:
    """What a terminal would show of `data` for matching purposes: escape sequences and CRs removed."""
    return ANSI.sub(b"", data).replace(b"\r", b"")


class Console:
    """A conversation with a board over one open port."""

    def __init__(self, port: serial.SerialBase, transcript: BinaryIO | None = None) -> None:
        self.port = port
        self.transcript = transcript
        self.buffer = bytearray()
        self.logged_in_by_us = False

    # -- the line ----------------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        try:
            self.port.write(text.encode())
            self.port.flush()
        except (serial.SerialException, OSError) as exc:
            raise ConsoleError(f"writing to {self.port.portstr}: {exc}") from None

    def read_more(self) -> bytes:
        try:
            chunk = self.port.read(max(1, self.port.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise ConsoleError(f"reading from {self.port.portstr}: {exc}") from None
        if chunk:
            self.buffer += chunk
            if self.transcript is not None:
                self.transcript.write(chunk)
                self.transcript.flush()
        return chunk

    def expect(
        self, steps: tuple[Step, ...], timeout: float, wake: Callable[[], None] | None = None
    ) -> tuple[Step, bytes]:
        """Read until one of `steps` matches what is shown; return it and the text up to and with it."""
        deadline = time.monotonic() + timeout
        last_data = time.monotonic()
        last_wake = time.monotonic()
        while True:
            if self.read_more():
                last_data = time.monotonic()
                continue
            now = time.monotonic()
            text = shown(bytes(self.buffer))
            for step in steps:
                if step.at_end:
                    if step.pattern.search(text) and now - last_data >= QUIET:
                        return self._consume(step)
                elif step.pattern.search(text):
                    return self._consume(step)
            if now >= deadline:
                tail = shown(bytes(self.buffer[-300:])).decode(errors="replace")
                raise ConsoleError(
                    f"no {' / '.join(s.name for s in steps)} prompt from the board within {timeout:.0f} s; "
                    f"last output: {tail!r}"
                )
            if wake is not None and now - last_wake >= WAKE_EVERY and now - last_data >= WAKE_EVERY:
                wake()
                last_wake = now

    def _consume(self, step: Step) -> tuple[Step, bytes]:
        text = shown(bytes(self.buffer))
        self.buffer.clear()
        return step, text

    # -- logging in --------------------------------------------------------------------------------------

    def login(self, user: str | None, password: Callable[[], str | None], timeout: float = 60.0) -> None:
        """Get to a shell prompt: answer login and password prompts; ConsoleError if that cannot be done."""
        self.send("\r")
        sent_user = sent_password = False
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.5, deadline - time.monotonic())
            step, _ = self.expect(LOGIN_STEPS, left, wake=lambda: self.send("\r"))
            if step.name == "shell":
                return
            if step.name == "incorrect":
                who = f" as {user!r}" if user else ""
                raise ConsoleError(f"the board refused the login{who} (wrong or locked password?)")
            if step.name == "login":
                if user is None:
                    raise ConsoleError("the board shows a login prompt: give --user (and a password)")
                if sent_user and not sent_password:
                    raise ConsoleError(f"the board asked for the login again after user {user!r}")
                self.send(user + "\r")
                sent_user, sent_password = True, False
                self.logged_in_by_us = True
            elif step.name == "password":
                secret = password()
                if secret is None:
                    raise ConsoleError(
                        "the board asks for a password: give --password-file FILE or set EDGE_BOARD_PASSWORD"
                    )
                if sent_password:
                    raise ConsoleError("the board asked for the password twice")
                self.send(secret + "\r")
                sent_password = True
            if time.monotonic() >= deadline:
                raise ConsoleError(f"could not log in within {timeout:.0f} s")

    def logout(self) -> None:
        """Leave a shell this tool logged into (best effort: the line may be gone already)."""
        if not self.logged_in_by_us:
            return
        try:
            self.send("exit\r")
            end = time.monotonic() + 2.0
            while time.monotonic() < end and b"login:" not in shown(bytes(self.buffer)):
                self.read_more()
        except ConsoleError:
            pass
        self.logged_in_by_us = False

    # -- one command -------------------------------------------------------------------------------------

    def run(self, command: str, timeout: float = 60.0) -> tuple[int, str]:
        """Run `command` in the shell at the prompt; return its exit status and its output (LF line ends)."""
        if "\n" in command or "\r" in command:
            raise ConsoleError("the command must be one line")
        nonce = secrets.token_hex(6)
        begin, end = f"EDGE-BEGIN-{nonce}", f"EDGE-END-{nonce}"
        # 'EDGE-''BEGIN-...' prints EDGE-BEGIN-... but the typed line (echoed back) never contains it.
        line = f"echo '{begin[:5]}''{begin[5:]}'; {{ {command}; }} </dev/null; echo '{end[:5]}''{end[5:]}' $?"
        found = re.compile(
            re.escape(begin.encode()) + rb"\n(.*?)" + re.escape(end.encode()) + rb" (\d+)\n", re.S
        )
        self.buffer.clear()
        self.send(line + "\r")
        deadline = time.monotonic() + timeout
        while True:
            match = found.search(shown(bytes(self.buffer)))
            if match:
                del self.buffer[:]
                return int(match.group(2)), match.group(1).decode(errors="replace")
            if time.monotonic() >= deadline:
                tail = shown(bytes(self.buffer[-300:])).decode(errors="replace")
                raise ConsoleError(
                    f"{command!r} did not finish within {timeout:.0f} s; last output: {tail!r}"
                )
            self.read_more()


# -- interactive -----------------------------------------------------------------------------------------


def interactive(port: serial.SerialBase, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """Copy the terminal to the port and back until Ctrl-] (the terminal in raw mode meanwhile)."""
    import termios
    import tty

    fd = stdin.fileno()
    if not os.isatty(fd):
        raise ConsoleError("an interactive session needs a terminal; use --run CMD from scripts")
    stop = threading.Event()
    failure: list[str] = []

    def board_to_terminal() -> None:
        while not stop.is_set():
            try:
                chunk = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                failure.append(str(exc))
                stop.set()
                return
            if chunk:
                stdout.write(chunk)
                stdout.flush()

    saved = termios.tcgetattr(fd)
    print(f"connected to {port.portstr}; Ctrl-] ends the session\r", file=sys.stderr)
    reader = threading.Thread(target=board_to_terminal, daemon=True)
    reader.start()
    try:
        tty.setraw(fd)
        while not stop.is_set():
            data = os.read(fd, 1024)
            if not data or ESCAPE in data:
                data = data.split(ESCAPE, 1)[0]
                if data:
                    port.write(data)
                break
            port.write(data)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        stop.set()
        reader.join(timeout=1.0)
    if failure:
        raise ConsoleError(f"the serial line failed: {failure[0]}")
    print(f"\ndisconnected from {port.portstr}", file=sys.stderr)
    return 0
