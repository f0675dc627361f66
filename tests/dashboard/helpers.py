"""A real DHCPv4 service (and, when asked, a real DHCPv6 service beside it) with the dashboard's routes on
HTTP control listeners, their one loop in a thread.

Like tests/control/helpers.py (no DHCP interfaces, nothing but loopback touched), with the Dashboard of
edge/dashboard/web.py wired the way edge/server/main.py's run_server wires it: every family built on one
Loop with the one Dashboard's routes, each joined to the Dashboard, then their control listeners opened.
`get`/`post` speak raw HTTP/1.1 so a test sees exactly the status, headers and body the listener sends.

A DHCPv6 client here is `Client6`: SOLICIT and REQUEST as bytes (tests/lab/dhcp6msg.py, the lab's
independent codec) handed to the service's own engine (Engine6.handle) before the loop starts, so the
engine, the lease store, the statistics and the event ring are the real ones and only the sockets are
skipped; `DashboardServer(..., start=False)` leaves the loop stopped for it.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.control.routes import RouteTable
from edge.dashboard.reader import Execute
from edge.dashboard.web import Dashboard
from edge.dhcp4.config import load_data
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.dhcp6.config import load_file as load_file6
from edge.dhcp6.exchange import Inbound6
from edge.dhcp6.lease_store import MemoryLeaseStore6
from edge.leases.store import LeaseStore
from edge.server.dhcp4 import Dhcp4Service
from edge.server.dhcp6 import Dhcp6Service
from tests.control.helpers import document, free_port
from tests.lab import dhcp6msg as m6

LINK6 = "dash6"  # the name of the link the v6 subnet is on (no such interface exists: no socket is opened)
SUBNET6 = {
    "id": 60,
    "subnet": "2001:db8:1::/64",
    "interface": LINK6,
    "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
    "pd-pools": [{"prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56}],
}


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
    """A Dhcp4Service (and a Dhcp6Service, when asked) serving in a thread, with the dashboard on
    http://127.0.0.1:PORT/ (and on the DHCPv6 service's own listener, http://127.0.0.1:PORT6/)."""

    def __init__(
        self,
        tmp_path: Path,
        http: dict[str, Any] | None = None,
        store: LeaseStore | None = None,
        config_path: Path | None = None,
        routes: RouteTable | None = None,
        dhcp6: dict[str, Any] | None = None,
        wrap6: Callable[[Execute], Execute] | None = None,
        start: bool = True,
        **dhcp4: Any,
    ) -> None:
        """`dhcp6`: also serve DHCPv6 in the same loop, from a Dhcp6 file in tmp_path holding these keys
        (subnet 60 of SUBNET6 unless `subnet6` is given) and an HTTP control listener of its own on
        `port6`; `wrap6` wraps its ControlService.execute where the Dashboard is given it."""
        self.port = free_port()
        spec = {"socket-port": self.port, **(http or {})}
        self.document = document(None, spec, **dhcp4)
        if config_path is not None:
            config_path.write_text(json.dumps(self.document))
        config = load_data(self.document, source=str(config_path) if config_path else "<test>")
        self.dashboard = Dashboard()
        web = routes if routes is not None else self.dashboard.routes
        self.server = Dhcp4Service(
            config, store or MemoryLeaseStore4(), str(config_path) if config_path else None, routes=web
        )
        services: list[Dhcp4Service | Dhcp6Service] = [self.server]
        self.v6: Dhcp6Service | None = None
        self.port6 = 0
        if dhcp6 is not None:
            self.port6 = free_port()
            self.config6_path = tmp_path / "edge-dhcp6.json"
            self.document6 = {
                "Dhcp6": {
                    "interfaces-config": {"interfaces": []},
                    "data-directory": str(tmp_path),  # the server-id file
                    "control-sockets": [
                        {"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": self.port6}
                    ],
                    "subnet6": [dict(SUBNET6)],
                    **dhcp6,
                }
            }
            self.config6_path.write_text(json.dumps(self.document6))
            self.v6 = Dhcp6Service(
                load_file6(str(self.config6_path)),
                MemoryLeaseStore6(),
                str(self.config6_path),
                loop=self.server.loop,
                routes=web,
            )
            services.append(self.v6)
        for service in services:
            execute = service.control.execute
            if service is self.v6 and wrap6 is not None:
                execute = wrap6(execute)
            self.dashboard.add_family(service.service_name, execute)
        for service in services:
            ok, message = service.open_control()
            assert ok, message
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        if start:
            self.start()

    def start(self) -> None:
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
        port: int | None = None,
    ) -> Reply:
        port = port or self.port
        head = {"Host": f"127.0.0.1:{port}", **(headers or {})}
        if auth is not None:
            head["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        if body or method == "POST":
            head.setdefault("Content-Type", "application/json")
            head["Content-Length"] = str(len(body))
        text = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n"
        raw = self.raw(port, text.encode() + body)
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
        """One command to the DHCPv4 service's listener (`port=self.port6`: the DHCPv6 service's)."""
        request: dict[str, Any] = {"command": command}
        if arguments is not None:
            request["arguments"] = arguments
        reply = self.post("/", request, **kwargs)
        assert reply.status == 200, reply
        return reply.json()[0]

    def command6(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        """One command to the DHCPv6 service, over its own HTTP control listener."""
        assert self.port6, "this server has no DHCPv6 family"
        return self.command(command, arguments, port=self.port6)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.stop()
            self.thread.join(10)
        elif self.thread.ident is None:  # never started: close what the constructor opened
            self.server.loop.close()
        assert not self.thread.is_alive()


class Client6:
    """A DHCPv6 client on LINK6 whose messages go straight into a service's engine (see the module's
    docstring): one DUID-LL, one IA_NA and one IA_PD, asked for as a client does (SOLICIT, then REQUEST
    with the ADVERTISE's server-id and IAs)."""

    def __init__(self, service: Dhcp6Service, mac: str, link_local: str) -> None:
        self.service = service
        self.duid = m6.duid_ll(bytes.fromhex(mac.replace(":", "")))
        self.inbound = Inbound6(
            LINK6,
            7,
            ipaddress.IPv6Address(link_local).packed,
            546,
            ipaddress.IPv6Address("ff02::1:2").packed,
        )
        self.xid = 0x6000

    @property
    def duid_text(self) -> str:
        return self.duid.hex(":")

    def exchange(self, msg_type: int, options: list[tuple[int, bytes]]) -> m6.Message:
        assert not self.service.loop.running, "the engine belongs to the loop's thread once it runs"
        self.xid += 1
        message = m6.Message(msg_type, self.xid, [(m6.CLIENT_ID, self.duid), (m6.ELAPSED_TIME, m6.elapsed())])
        message.options += options
        out = self.service.engine.handle(message.encode(), self.inbound, self.service.clock())
        assert out is not None, f"no answer to {message.name}"
        return m6.decode(out.payload)

    def obtain(self, iaid_na: int = 1, iaid_pd: int = 7) -> m6.Message:
        """SOLICIT, REQUEST: the REPLY (an address and a prefix, committed to the store)."""
        advertise = self.exchange(m6.SOLICIT, [(m6.IA_NA, m6.ia_na(iaid_na)), (m6.IA_PD, m6.ia_pd(iaid_pd))])
        assert advertise.msg_type == m6.ADVERTISE, m6.describe(advertise)
        server_id = advertise.get(m6.SERVER_ID)
        ia_na, ia_pd = advertise.get(m6.IA_NA), advertise.get(m6.IA_PD)
        assert server_id and ia_na and ia_pd, m6.describe(advertise)
        reply = self.exchange(m6.REQUEST, [(m6.SERVER_ID, server_id), (m6.IA_NA, ia_na), (m6.IA_PD, ia_pd)])
        assert reply.msg_type == m6.REPLY and m6.top_status(reply) is None, m6.describe(reply)
        for ia in (*m6.ias(reply, m6.IA_NA), *m6.ias(reply, m6.IA_PD)):
            assert ia.status in (None, (0, "")) and not ia.inner_statuses(), m6.describe(reply)
        return reply
