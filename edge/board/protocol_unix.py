"""pyserial URL handler for serial lines reached through a Unix stream socket: `unix:///path/to/socket`.

Rules this module keeps:
- It plugs into pyserial's own URL mechanism (`serial.protocol_handler_packages`, see `register()`), so
  `serial.serial_for_url("unix:///run/board.sock")` works like pyserial's built-in `socket://host:port`;
  the console code never asks what kind of port it has.
- Behaviour is that of pyserial's `socket://` handler (whose class this one extends): baud rate and line
  settings are accepted and ignored, reads honour the timeout; only how the socket is opened differs.

Theory of operation: qemu (`-chardev socket,path=P,server=on`), socat and ser2net can offer a board's serial
line as a Unix socket; `unix://` followed by the absolute path (three slashes in all) names it.
"""

from __future__ import annotations

import socket
import urllib.parse

import serial
from serial.serialutil import SerialException
from serial.urlhandler import protocol_socket

_PACKAGE = "edge.board"


def register() -> None:
    """Make `unix://` URLs known to `serial.serial_for_url` (idempotent)."""
    if _PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(_PACKAGE)


def socket_path(url: str) -> str:
    """The filesystem path named by a `unix:///path` URL; SerialException for anything else."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "unix" or parts.netloc or not parts.path.startswith("/") or parts.query:
        raise SerialException(f"expected unix:///absolute/path/to/socket, got {url!r}")
    return urllib.parse.unquote(parts.path)


class Serial(protocol_socket.Serial):
    """A serial line at the other end of a Unix stream socket."""

    def open(self) -> None:
        self.logger = None
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        if self.is_open:
            raise SerialException("Port is already open.")
        path = socket_path(self.portstr)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(protocol_socket.POLL_TIMEOUT)
            sock.connect(path)
        except OSError as exc:
            sock.close()
            raise SerialException(f"could not open port {self.portstr}: {exc}") from exc
        sock.setblocking(False)
        self._socket = sock
        self._reconfigure_port()
        self.is_open = True
        self.reset_input_buffer()
        self.reset_output_buffer()

    def from_url(self, url: str) -> str:  # type: ignore[override]
        return socket_path(url)
