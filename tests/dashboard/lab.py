"""A lab for the dashboard: edge-dhcp serving a real dhclient, its HTTP listener on the server's lab address.

Rules this module keeps:
- `edge-dhcp serve` runs as a process (tests/lab/edge.py), so the Dashboard is wired the way
  edge/server/main.py wires it; its HTTP control listener (with a password) is on the server's address
  inside the server namespace, where only the lab's client namespace can reach it.
- Anything that talks to the dashboard (urllib here, Prometheus, Chromium) runs in the client namespace
  (`Lab.inside` for this process's sockets, `Lab.popen` for programs): traffic stays on the lab's veth.
- With `dhcp6`, the same process also serves DHCPv6 (`serve -c edge-dhcp4.json -c edge-dhcp6.json`, as
  edge/server/main.py's run_server runs both families), subnet 60 of SUBNET6 on no interface, with a
  control socket of its own (`ctl6`); both families are on the one dashboard and its /metrics.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from tests.dashboard.helpers import SUBNET6
from tests.lab.clients import Dhclient
from tests.lab.edge import EdgeServer, TwoFamilyServer
from tests.lab.kea import subnet
from tests.lab.netns import Lab, Site

USER, PASSWORD = "admin", "edge-lab-pw"
PORT = 8000
POOL = "192.0.2.100 - 192.0.2.199"


@dataclass
class DashboardLab:
    lab: Lab
    site: Site
    server: EdgeServer

    @property
    def address(self) -> str:
        return str(self.site.server.ip)

    @property
    def url(self) -> str:
        return f"http://{self.address}:{PORT}/"

    def dhclient(self, hostname: str | None = None) -> Dhclient:
        return Dhclient(self.lab, self.site.client.ns, self.site.client.ifname, hostname=hostname)

    def fetch(self, path: str, password: str = PASSWORD, data: bytes | None = None) -> tuple[int, bytes]:
        """GET (or POST `data`) the dashboard from the client namespace; (status, body)."""
        request = urllib.request.Request(self.url.rstrip("/") + path, data=data)
        token = base64.b64encode(f"{USER}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with self.lab.inside(self.site.client.ns):
            try:
                with urllib.request.urlopen(request, timeout=10) as reply:
                    return reply.status, reply.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read()

    def json(self, path: str) -> Any:
        status, body = self.fetch(path)
        assert status == 200, (status, body[:300])
        return json.loads(body)


def start_dashboard_lab(
    lab: Lab,
    valid_lifetime: int = 600,
    extra_dhcp4: dict[str, Any] | None = None,
    dhcp6: dict[str, Any] | None = None,
) -> DashboardLab:
    site = lab.build()
    address = str(site.server.ip)
    control = [
        {"socket-type": "unix", "socket-name": "SOCKET"},  # replaced below with a path in the lab dir
        {
            "socket-type": "http",
            "socket-address": address,
            "socket-port": PORT,
            "authentication": {
                "type": "basic",
                "realm": "edge-dhcp",
                "clients": [{"user": USER, "password": PASSWORD}],
            },
        },
    ]
    options: dict[str, Any] = dict(
        interfaces=[site.server.ifname],
        subnets=[subnet(1, str(site.server_subnet), POOL, routers=address)],
        valid_lifetime=valid_lifetime,
        extra={"control-sockets": control, **(extra_dhcp4 or {})},
    )
    if dhcp6 is None:
        server = EdgeServer(lab, site.server.ns, **options)
    else:
        subnet6 = {key: value for key, value in SUBNET6.items() if key != "interface"}
        server = TwoFamilyServer(lab, site.server.ns, dhcp6={"subnet6": [subnet6], **dhcp6}, **options)
    control[0]["socket-name"] = str(server.dir / "control.sock")
    server.control_socket = str(server.dir / "control.sock")
    server.start()
    server.wait_log(r"COMMAND_ACCEPTOR_START control channel on http://")
    return DashboardLab(lab, site, server)
