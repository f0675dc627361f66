"""Helpers for the control-channel tests: a real Server with its loop in a thread, real sockets.

The server has no DHCP interfaces (nothing to open, no port 67 taken); its control sockets are a unix
socket in the test's tmp_path and, when asked, HTTP on 127.0.0.1 at a free port. Commands go through
the real client (edge.control.client) or raw sockets.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

from edge.control.client import send_http, send_unix
from edge.dhcp4.config import load_data
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.dhcp4.model import Config4
from edge.server.dhcp4 import Dhcp4Service as Server

SUBNET_1 = {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.20"}]}
SUBNET_2 = {"id": 2, "subnet": "198.51.100.0/24", "pools": [{"pool": "198.51.100.10 - 198.51.100.20"}]}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def document(sock: Path | None = None, http: dict[str, Any] | None = None, **dhcp4: Any) -> dict[str, Any]:
    """A Kea-dialect document with no interfaces, subnet 1, and the given control sockets."""
    # No interfaces, and "udp" so that not even the raw mode's UDP port-67 guard socket is opened: these
    # servers touch no network at all (and cannot collide with a DHCP server on this machine).
    body: dict[str, Any] = {
        "interfaces-config": {"interfaces": [], "dhcp-socket-type": "udp"},
        "subnet4": [dict(SUBNET_1)],
    }
    sockets: list[dict[str, Any]] = []
    if sock is not None:
        sockets.append({"socket-type": "unix", "socket-name": str(sock)})
    if http is not None:
        sockets.append({"socket-type": "http", "socket-address": "127.0.0.1", **http})
    if sockets:
        body["control-sockets"] = sockets
    body.update(dhcp4)
    return {"Dhcp4": body}


class Running:
    """A Server serving in a thread; `call` sends one command over its unix socket."""

    def __init__(
        self, config: Config4, sock: Path | None, url: str | None = None, config_path: str | None = None
    ) -> None:
        self.sock = sock
        self.url = url
        self.server = Server(config, MemoryLeaseStore4(), config_path)
        ok, message = self.server.open_control()
        assert ok, message
        self.exit_code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10  # stop() before run() has begun would be lost
        while not self.server.loop.running and time.monotonic() < deadline:
            time.sleep(0.005)

    def _run(self) -> None:
        self.exit_code = self.server.run()

    def call(self, command: str, arguments: dict[str, Any] | None = None, timeout: float = 10) -> Any:
        request: dict[str, Any] = {"command": command}
        if arguments is not None:
            request["arguments"] = arguments
        assert self.sock is not None
        return send_unix(str(self.sock), request, timeout)

    def http(self, command: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        request: dict[str, Any] = {"command": command}
        if arguments is not None:
            request["arguments"] = arguments
        assert self.url is not None
        return send_http(self.url, request, **kwargs)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.stop()
            self.thread.join(10)
        assert not self.thread.is_alive(), "the server loop did not stop"


def start(
    tmp_path: Path, http: dict[str, Any] | None = None, config_path: str | None = None, **dhcp4: Any
) -> Running:
    sock = tmp_path / "ctrl.sock"
    url = None
    if http is not None:
        http = {"socket-port": free_port(), **http}
        url = f"http://127.0.0.1:{http['socket-port']}/"
    config = load_data(document(sock, http, **dhcp4), source=config_path or "<test>")
    return Running(config, sock, url, config_path)
