"""edge-dhcp as the HA partner of a real Kea 2.2 (kea-dhcp4 + libdhcp_ha.so + libdhcp_lease_cmds.so).

One bridged segment in lab namespaces: Kea (primary, 192.0.2.1) and edge-dhcp (standby, 192.0.2.2) in
hot-standby, clients in their own namespaces. Kea 2.2 serves its peer URL itself (HA + multi-threading with
the dedicated listener), so no kea-ctrl-agent is needed; edge-dhcp serves its own peer URL likewise.
Checked: both reach hot-standby (ha-heartbeat on each peer URL), a real dhclient's lease made by Kea
appears on edge-dhcp (lease4-get), a release removes it there, and with Kea killed edge-dhcp goes
partner-down and serves a new client.
"""

from __future__ import annotations

import base64
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from edge.ha.scopes import lb_hash
from tests.lab import kea
from tests.lab.clients import Dhclient
from tests.lab.edge import EdgeServer
from tests.lab.netns import Lab, LabError

pytestmark = pytest.mark.lab

HOOKS = Path("/usr/lib/x86_64-linux-gnu/kea/hooks")
KEA_IP, EDGE_IP = "192.0.2.1", "192.0.2.2"
EDGE_AUTH = ("kea", "partner-secret")
KEA_AUTH = ("edge", "other-secret")


def ha_hooks(this: str, kea_role: str = "primary", mode: str = "hot-standby") -> list[dict[str, Any]]:
    edge_role = {"primary": "standby", "standby": "primary"}.get(kea_role, "secondary")
    if mode == "load-balancing":
        kea_role, edge_role = "primary", "secondary"
    block = {
        "this-server-name": this,
        "mode": mode,
        "delayed-updates-limit": 0,
        "heartbeat-delay": 1000,
        "max-response-delay": 3000,
        "max-ack-delay": 1000,
        "max-unacked-clients": 0,
        "sync-timeout": 10000,
        "multi-threading": {
            "enable-multi-threading": True,
            "http-dedicated-listener": True,
            "http-listener-threads": 2,
            "http-client-threads": 2,
        },
        "peers": [
            {
                "name": "kea",
                "url": f"http://{KEA_IP}:8001/",
                "role": kea_role,
                "basic-auth-user": KEA_AUTH[0],  # Kea 2.2's dedicated listener checks none; edge-dhcp does
                "basic-auth-password": KEA_AUTH[1],
            },
            {
                "name": "edge",
                "url": f"http://{EDGE_IP}:8001/",
                "role": edge_role,
                "basic-auth-user": EDGE_AUTH[0],
                "basic-auth-password": EDGE_AUTH[1],
            },
        ],
    }
    return [
        {"library": str(HOOKS / "libdhcp_lease_cmds.so")},
        {"library": str(HOOKS / "libdhcp_ha.so"), "parameters": {"high-availability": [block]}},
    ]


SUBNET = kea.subnet(1, "192.0.2.0/24", "192.0.2.100 - 192.0.2.150", routers=KEA_IP)


def post(
    lab: Lab,
    ns: str,
    url: str,
    command: str,
    arguments: dict[str, Any] | None = None,
    auth: tuple[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"command": command, "service": ["dhcp4"]}
    if arguments is not None:
        body["arguments"] = arguments
    argv = ["curl", "-s", "-m", "5", "-H", "Content-Type: application/json", "-d", json.dumps(body), url]
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        argv[1:1] = ["-H", f"Authorization: Basic {token}"]
    done = lab.run(ns, argv, check=False, timeout=10)
    if done.returncode != 0:
        raise LabError(f"curl {url} {command}: exit {done.returncode} {done.stderr}")
    value = json.loads(done.stdout)
    return dict(value[0] if isinstance(value, list) else value)


def wait_state(
    lab: Lab, ns: str, url: str, wanted: str, timeout: float, auth: tuple[str, str] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = post(lab, ns, url, "ha-heartbeat", auth=auth)
            if last.get("arguments", {}).get("state") == wanted:
                return
        except (LabError, ValueError) as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"{url} never reached {wanted}: last answer {last}")


def kea_server(
    lab: Lab, ns: str, role: str, mode: str = "hot-standby", subnet: dict[str, Any] | None = None
) -> kea.KeaServer:
    mt = {"enable-multi-threading": True, "thread-pool-size": 2, "packet-queue-size": 16}
    return kea.KeaServer(
        lab,
        ns,
        interfaces=["ha0"],
        subnets=[subnet or SUBNET],
        extra={"hooks-libraries": ha_hooks("kea", role, mode), "multi-threading": mt},
    )


def need_kea_ha() -> None:
    if not (kea.available() and (HOOKS / "libdhcp_ha.so").exists()):
        pytest.skip("kea-dhcp4 with libdhcp_ha.so is not installed")


def segment(lab: Lab) -> tuple[str, str, str, str]:
    """Kea, edge-dhcp and two clients on one bridge: (kea ns, edge ns, client 1 ns, client 2 ns)."""
    lan = lab.add_namespace("lan")
    kea_ns, edge_ns = lab.add_namespace("kea"), lab.add_namespace("edge")
    c1, c2 = lab.add_namespace("c1"), lab.add_namespace("c2")
    lab.ip(lan, "link", "add", "br0", "type", "bridge")
    lab.ip(lan, "link", "set", "br0", "up")
    for ns, port, address in (
        (kea_ns, "pk", f"{KEA_IP}/24"),
        (edge_ns, "pe", f"{EDGE_IP}/24"),
        (c1, "p1", None),
        (c2, "p2", None),
    ):
        ifname = "ha0" if address else "cli0"
        lab.add_link((ns, ifname), (lan, port), a_address=address)
        lab.ip(lan, "link", "set", port, "master", "br0")
    return kea_ns, edge_ns, c1, c2


def test_edge_standby_of_a_kea_primary(lab: Lab) -> None:
    need_kea_ha()
    kea_ns, edge_ns, c1, c2 = segment(lab)
    kea_url, edge_url = f"http://{KEA_IP}:8001/", f"http://{EDGE_IP}:8001/"

    primary = kea_server(lab, kea_ns, "primary")
    standby = EdgeServer(
        lab, edge_ns, interfaces=["ha0"], subnets=[SUBNET], extra={"hooks-libraries": ha_hooks("edge")}
    )
    primary.start()
    standby.start()

    wait_state(lab, kea_ns, kea_url, "hot-standby", 20, auth=KEA_AUTH)
    wait_state(lab, kea_ns, edge_url, "hot-standby", 20, auth=EDGE_AUTH)
    # edge-dhcp's peer URL refuses a caller without the partner's credentials
    assert post(lab, kea_ns, edge_url, "ha-heartbeat").get("result") == 401
    beat = post(lab, kea_ns, edge_url, "ha-heartbeat", auth=EDGE_AUTH)["arguments"]
    assert beat["scopes"] == [] and beat["unsent-update-count"] == 0
    assert post(lab, kea_ns, kea_url, "ha-heartbeat")["arguments"]["scopes"] == ["kea"]

    # A lease Kea makes is on edge-dhcp, as the lease4-update Kea sent before its ACK made it.
    client = Dhclient(lab, c1, "cli0", hostname="ha-one")
    lease = client.obtain()
    assert str(lease.server_id) == KEA_IP  # the primary answered
    on_edge = post(lab, kea_ns, edge_url, "lease4-get", {"ip-address": str(lease.address)}, auth=EDGE_AUTH)
    assert on_edge["result"] == 0, on_edge
    assert on_edge["arguments"]["hw-address"] == lab.endpoint(c1, "cli0").mac
    assert on_edge["arguments"]["hostname"] == "ha-one"
    client.release()
    deadline = time.monotonic() + 5
    while (
        post(lab, kea_ns, edge_url, "lease4-get", {"ip-address": str(lease.address)}, auth=EDGE_AUTH)[
            "result"
        ]
        == 0
    ):
        assert time.monotonic() < deadline, "the release did not reach edge-dhcp"
        time.sleep(0.1)

    # The primary dies: edge-dhcp goes partner-down and serves a new client with its own server id.
    assert primary.proc is not None
    primary.proc.send_signal(signal.SIGKILL)
    primary.proc.wait(10)
    wait_state(lab, kea_ns, edge_url, "partner-down", 15, auth=EDGE_AUTH)
    beat = post(lab, kea_ns, edge_url, "ha-heartbeat", auth=EDGE_AUTH)["arguments"]
    assert beat["scopes"] == ["kea"]
    second = Dhclient(lab, c2, "cli0")
    got = second.obtain()
    assert str(got.server_id) == EDGE_IP  # the standby answered, with its own server id
    served = post(lab, kea_ns, edge_url, "lease4-get", {"ip-address": str(got.address)}, auth=EDGE_AUTH)
    assert served["result"] == 0 and served["arguments"]["hw-address"] == lab.endpoint(c2, "cli0").mac
    assert "HA_STATE_TRANSITION" in standby.output() and "PARTNER-DOWN" in standby.output()

    # The primary back: it syncs from edge-dhcp (dhcp-disable, lease4-get-page, ha-sync-complete-notify on
    # edge's peer URL), both return to hot-standby, and the lease edge made alone is on Kea too.
    for pid_file in primary.dir.glob("*.pid"):
        pid_file.unlink()  # SIGKILL left it behind
    primary.start()
    wait_state(lab, kea_ns, kea_url, "hot-standby", 25)
    wait_state(lab, kea_ns, edge_url, "hot-standby", 10, auth=EDGE_AUTH)
    synced = post(lab, kea_ns, kea_url, "lease4-get", {"ip-address": str(got.address)})
    assert synced["result"] == 0 and synced["arguments"]["hw-address"] == lab.endpoint(c2, "cli0").mac
    standby.stop()


def test_edge_primary_with_a_kea_standby(lab: Lab) -> None:
    need_kea_ha()
    kea_ns, edge_ns, c1, _ = segment(lab)
    kea_url, edge_url = f"http://{KEA_IP}:8001/", f"http://{EDGE_IP}:8001/"
    primary = EdgeServer(
        lab,
        edge_ns,
        interfaces=["ha0"],
        subnets=[SUBNET],
        extra={"hooks-libraries": ha_hooks("edge", "standby")},
    )
    standby = kea_server(lab, kea_ns, "standby")
    primary.start()
    standby.start()
    wait_state(lab, kea_ns, edge_url, "hot-standby", 20, auth=EDGE_AUTH)
    wait_state(lab, kea_ns, kea_url, "hot-standby", 20, auth=KEA_AUTH)
    assert post(lab, kea_ns, edge_url, "ha-heartbeat", auth=EDGE_AUTH)["arguments"]["scopes"] == ["edge"]
    # edge-dhcp answers, and its ACK waited for Kea's answer to the lease4-update: the lease is on Kea.
    client = Dhclient(lab, c1, "cli0", hostname="ha-two")
    lease = client.obtain()
    assert str(lease.server_id) == EDGE_IP
    on_kea = post(lab, kea_ns, kea_url, "lease4-get", {"ip-address": str(lease.address)})
    assert on_kea["result"] == 0, on_kea
    assert on_kea["arguments"]["hw-address"] == lab.endpoint(c1, "cli0").mac
    assert on_kea["arguments"]["hostname"] == "ha-two"
    client.release()
    deadline = time.monotonic() + 5
    while post(lab, kea_ns, kea_url, "lease4-get", {"ip-address": str(lease.address)})["result"] == 0:
        assert time.monotonic() < deadline, "the release did not reach Kea"
        time.sleep(0.1)
    status = post(lab, kea_ns, edge_url, "status-get", auth=EDGE_AUTH)["arguments"]["high-availability"][0]
    assert status["ha-mode"] == "hot-standby"
    assert status["ha-servers"]["local"]["state"] == "hot-standby"
    assert status["ha-servers"]["remote"]["last-state"] == "hot-standby"
    primary.stop()


LB_SUBNET = {
    "id": 1,
    "subnet": "192.0.2.0/24",
    "pools": [
        {"pool": "192.0.2.100 - 192.0.2.149", "client-class": "HA_kea"},
        {"pool": "192.0.2.150 - 192.0.2.199", "client-class": "HA_edge"},
    ],
}


def mac_hashing_to(index: int, start: int) -> str:
    """A locally administered MAC whose RFC 3074 hash picks server `index` (0: Kea, the primary)."""
    for n in range(start, start + 256):
        mac = bytes([0x02, 0, 0, 0, 0x10, n & 0xFF])
        if lb_hash(mac) % 2 == index:
            return mac.hex(":")
    raise AssertionError("no such MAC")  # pragma: no cover


def test_load_balancing_with_kea_answers_by_kea_s_hash(lab: Lab) -> None:
    need_kea_ha()
    kea_ns, edge_ns, c1, c2 = segment(lab)
    kea_url, edge_url = f"http://{KEA_IP}:8001/", f"http://{EDGE_IP}:8001/"
    first = kea_server(lab, kea_ns, "primary", "load-balancing", LB_SUBNET)
    second = EdgeServer(
        lab,
        edge_ns,
        interfaces=["ha0"],
        subnets=[LB_SUBNET],
        extra={"hooks-libraries": ha_hooks("edge", mode="load-balancing")},
    )
    first.start()
    second.start()
    wait_state(lab, kea_ns, kea_url, "load-balancing", 20)
    wait_state(lab, kea_ns, edge_url, "load-balancing", 20, auth=EDGE_AUTH)
    assert post(lab, kea_ns, edge_url, "ha-heartbeat", auth=EDGE_AUTH)["arguments"]["scopes"] == ["edge"]
    # One client whose MAC Kea's hash gives to Kea, one it gives to edge-dhcp (dhclient sends no
    # client-id, so chaddr is the key): each is answered by that server from that server's pool, and
    # each lease is on both servers.
    for ns, index, server_ip, start in ((c1, 0, KEA_IP, 0), (c2, 1, EDGE_IP, 0)):
        mac = mac_hashing_to(index, start)
        lab.ip(ns, "link", "set", "cli0", "address", mac)
        got = Dhclient(lab, ns, "cli0").obtain()
        assert str(got.server_id) == server_ip, (mac, got)
        low = int(str(got.address).rsplit(".", 1)[1]) < 150
        assert low == (index == 0), got.address
        for url, auth in ((kea_url, None), (edge_url, EDGE_AUTH)):
            found = post(lab, kea_ns, url, "lease4-get", {"ip-address": str(got.address)}, auth=auth)
            assert found["result"] == 0 and found["arguments"]["hw-address"] == mac, (url, found)
    first.stop()
    second.stop()


def test_edge_pair_hot_standby_fails_over(lab: Lab) -> None:
    # Two edge-dhcp servers, the first in the "kea" namespace and role (the same configuration a Kea
    # primary would get).
    first_ns, second_ns, c1, c2 = segment(lab)
    first_url, second_url = f"http://{KEA_IP}:8001/", f"http://{EDGE_IP}:8001/"
    first = EdgeServer(
        lab, first_ns, interfaces=["ha0"], subnets=[SUBNET], extra={"hooks-libraries": ha_hooks("kea")}
    )
    second = EdgeServer(
        lab, second_ns, interfaces=["ha0"], subnets=[SUBNET], extra={"hooks-libraries": ha_hooks("edge")}
    )
    first.start()
    second.start()
    wait_state(lab, first_ns, first_url, "hot-standby", 20, auth=KEA_AUTH)
    wait_state(lab, first_ns, second_url, "hot-standby", 20, auth=EDGE_AUTH)
    lease = Dhclient(lab, c1, "cli0").obtain()
    assert str(lease.server_id) == KEA_IP
    on_second = post(
        lab, first_ns, second_url, "lease4-get", {"ip-address": str(lease.address)}, auth=EDGE_AUTH
    )
    assert on_second["result"] == 0 and on_second["arguments"]["hw-address"] == lab.endpoint(c1, "cli0").mac
    first.kill()
    wait_state(lab, first_ns, second_url, "partner-down", 15, auth=EDGE_AUTH)
    got = Dhclient(lab, c2, "cli0").obtain()
    assert str(got.server_id) == EDGE_IP and got.address != lease.address
    second.stop()
