"""A stand-in for a board's serial console, for testing `edge-dhcp board console` without a board.

Rules this module keeps:
- It behaves like getty + login + an interactive shell on a serial line, as far as a console client can
  see: a login prompt, a password prompt without echo, "Login incorrect" and a new prompt for a wrong
  password, a MOTD, a prompt with bracketed-paste escape sequences (bash 5.1+ prints them), echo of every
  typed character, CRLF line ends, kernel messages interleaved while logging in, `exit` logging out.
- Commands are run by a real `/bin/sh -c` on this machine, so what the client gets back is real output
  and a real exit status; nothing is canned.
- It serves one byte stream: a pty master (the client opens the pty's slave as its "device"), a TCP
  connection (socket://127.0.0.1:PORT) or a Unix socket (unix:///path). The thread ends when the client's
  side closes or `stop()` is called.

Theory of operation: `FakeBoard.serve_pty()` / `serve_tcp()` / `serve_unix()` start a thread and return the
port string to give to `--port`; the thread feeds received bytes to a small state machine (LOGIN ->
PASSWORD -> SHELL, back to LOGIN on `exit`).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path

HOSTNAME = "edge-board"
MOTD = (
    "\r\nLinux edge-board 6.1.0-37-arm64 #1 SMP Debian 6.1.140-1 aarch64\r\n\r\n"
    "The programs included with the Debian GNU/Linux system are free software;\r\n"
)
PROMPT = f"\x1b[?2004hroot@{HOSTNAME}:~# "
KERNEL_NOISE = "[   12.345678] random: crng init done\r\n"


class FakeBoard:
    def __init__(
        self,
        user: str = "root",
        password: str | None = "s3cret",
        locked: bool = False,
        logged_in: bool = False,
    ) -> None:
        self.user = user
        self.password = password
        self.locked = locked
        self.state = "SHELL" if logged_in else "LOGIN"
        self.line = bytearray()
        self.typed_user = ""
        self.commands: list[str] = []
        self.logins = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._closers: list[Callable[[], None]] = []

    # -- transports --------------------------------------------------------------------------------------

    def serve_pty(self) -> str:
        master, slave = os.openpty()
        name = os.ttyname(slave)
        tty.setraw(slave)  # a serial line does not echo what the board sends back to it
        os.close(slave)  # the client opens it by name, as it would /dev/ttyUSB0
        self._closers.append(lambda: os.close(master))

        def write(data: bytes) -> None:
            with contextlib.suppress(OSError):
                os.write(master, data)

        def read() -> bytes | None:
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                return b""
            try:
                return os.read(master, 4096)
            except OSError:  # EIO: nobody has the slave open (between two clients)
                time.sleep(0.05)
                return b""

        self._start(read, write, banner=True)
        return name

    def _serve_socket(self, server: socket.socket) -> None:
        server.listen(4)
        server.settimeout(0.1)
        self._closers.append(server.close)

        def accept_loop() -> None:
            first = True
            while not self._stop.is_set():
                try:
                    conn, _ = server.accept()
                except (TimeoutError, OSError):
                    continue
                conn.settimeout(0.1)

                def read(conn: socket.socket = conn) -> bytes | None:
                    try:
                        data = conn.recv(4096)
                    except TimeoutError:
                        return b""
                    except OSError:
                        return None
                    return data if data else None

                def write(data: bytes, conn: socket.socket = conn) -> None:
                    with contextlib.suppress(OSError):
                        conn.sendall(data)

                self._loop(read, write, banner=first)
                first = False
                conn.close()

        thread = threading.Thread(target=accept_loop, daemon=True)
        self._threads.append(thread)
        thread.start()

    def serve_tcp(self) -> str:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        self._serve_socket(server)
        return f"socket://127.0.0.1:{server.getsockname()[1]}"

    def serve_unix(self, path: Path) -> str:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        self._serve_socket(server)
        return f"unix://{path}"

    def _start(self, read: Callable[[], bytes | None], write: Callable[[bytes], None], banner: bool) -> None:
        thread = threading.Thread(target=self._loop, args=(read, write, banner), daemon=True)
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for close in self._closers:
            with contextlib.suppress(OSError):
                close()

    # -- the console -------------------------------------------------------------------------------------

    def _loop(self, read: Callable[[], bytes | None], write: Callable[[bytes], None], banner: bool) -> None:
        if banner and self.state == "LOGIN":
            write(
                b"[    0.000000] Booting Linux on physical CPU 0x0\r\n[  OK  ] Reached target multi-user.target.\r\n"
            )
            write(f"\r\nDebian GNU/Linux 12 {HOSTNAME} ttyAMA0\r\n\r\n{HOSTNAME} login: ".encode())
        while not self._stop.is_set():
            data = read()
            if data is None:
                return
            for byte in data:
                self._byte(bytes([byte]), write)

    def _byte(self, char: bytes, write: Callable[[bytes], None]) -> None:
        if char in (b"\r", b"\n"):
            line = self.line.decode(errors="replace")
            self.line.clear()
            if self.state == "PASSWORD":
                write(b"\r\n")
            elif char == b"\r":
                write(b"\r\n")
            else:
                return
            self._line(line, write)
            return
        if char == b"\x7f":
            if self.line:
                self.line.pop()
                if self.state != "PASSWORD":
                    write(b"\b \b")
            return
        self.line += char
        if self.state != "PASSWORD":
            write(char)  # the tty's echo

    def _line(self, line: str, write: Callable[[bytes], None]) -> None:
        if self.state == "LOGIN":
            if not line:
                write(f"{HOSTNAME} login: ".encode())
                return
            self.typed_user = line
            write(KERNEL_NOISE.encode())  # the kernel does not wait for a quiet moment
            write(b"Password: ")
            self.state = "PASSWORD"
        elif self.state == "PASSWORD":
            ok = not self.locked and self.typed_user == self.user and line == self.password
            if not ok:
                time.sleep(0.2)
                write(f"\r\nLogin incorrect\r\n{HOSTNAME} login: ".encode())
                self.state = "LOGIN"
                return
            self.logins += 1
            write(MOTD.encode() + b"\r\n" + PROMPT.encode())
            self.state = "SHELL"
        elif self.state == "SHELL":
            write(b"\x1b[?2004l\r")
            if line.strip() == "exit":
                write(
                    f"logout\r\n\r\nDebian GNU/Linux 12 {HOSTNAME} ttyAMA0\r\n\r\n{HOSTNAME} login: ".encode()
                )
                self.state = "LOGIN"
                return
            if line.strip():
                self.commands.append(line)
                result = subprocess.run(
                    ["/bin/sh", "-c", line],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    timeout=30,
                )
                out = result.stdout.replace(b"\n", b"\r\n")
                write(out)
            write(PROMPT.encode())
