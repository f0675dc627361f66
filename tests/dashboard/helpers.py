"""A real DHCPv4 service with the dashboard's routes on an HTTP control listener, its loop in a thread.

Like tests/control/helpers.py (no DHCP interfaces, nothing but loopback touched), with the Dashboard of
edge/dashboard/web.py wired the way edge/server/main.py wires it; `get`/`post` speak raw HTTP/1.1 so a
test sees exactly the status, headers and body the listener sends.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

from edge.control.routes import RouteTable
from edge.dashboard.web import Dashboard
from edge.dhcp4.config import load_data
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.leases.store import LeaseStore
from edge.server.dhcp4 import Dhcp4Service
from tests.control.helpers import document, free_port


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body[:200]!r})"


class DashboardServer:
    """A Dhcp4Service serving in a thread, with the dashboard on http://127.0.0.1:PORT/."""

    def __init__(
        self,
        tmp_path: Path,
        http: dict[str, Any] | None = None,
        store: LeaseStore | None = None,
        config_path: Path | None = None,
        routes: RouteTable | None = None,
        **dhcp4: Any,
    ) -> None:
        self.port = free_port()
        spec = {"socket-port": self.port, **(http or {})}
        self.document = document(None, spec, **dhcp4)
        if config_path is not None:
            config_path.write_text(json.dumps(self.document))
        config = load_data(self.document, source=str(config_path) if config_path else "<test>")
        self.dashboard = Dashboard()
        self.server = Dhcp4Service(
            config,
            store or MemoryLeaseStore4(),
            str(config_path) if config_path else None,
            routes=routes if routes is not None else self.dashboard.routes,
        )
        self.dashboard.add_family(self.server.service_name, self.server.control.execute)
        ok, message = self.server.open_control()
        assert ok, message
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.loop.running and time.monotonic() < deadline:
            time.sleep(0.005)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Reply:
        head = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if auth is not None:
            head["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        if body or method == "POST":
            head.setdefault("Content-Type", "application/json")
            head["Content-Length"] = str(len(body))
        text = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n"
        raw = self.raw(self.port, text.encode() + body)
        top, _, content = raw.partition(b"\r\n\r\n")
        lines = top.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        found = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            found[name.strip().lower()] = value.strip()
        if method != "HEAD":
            assert int(found["content-length"]) == len(content), (found, len(content))
        return Reply(status, found, content)

    @staticmethod
    def raw(port: int, data: bytes) -> bytes:
        """Send `data` to 127.0.0.1:port; everything the server answers until it closes."""
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(data)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, value: Any, **kwargs: Any) -> Reply:
        return self.request("POST", path, json.dumps(value).encode(), **kwargs)

    def command(self, command: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        request: dict[str, Any] = {"command": command}
        if arguments is not None:
            request["arguments"] = arguments
        reply = self.post("/", request, **kwargs)
        assert reply.status == 200, reply
        return reply.json()[0]

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.stop()
            self.thread.join(10)
        assert not self.thread.is_alive()
