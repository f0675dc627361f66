"""The control channel with real clients in network namespaces (root; marked `lab`).

- Debian's kea-shell (Kea 2.2) talks to edge-dhcp's HTTP control socket: status, configuration and lease
  commands; kea-shell takes the arguments on stdin *without* the outer braces.
- Kea's own Control Agent (kea-ctrl-agent 2.2) is pointed at edge-dhcp's unix socket and forwards
  commands to it: edge-dhcp is a drop-in behind existing Kea tooling (Stork's agent talks to the CA).
- A refused config-set (bad configuration; a control socket that cannot open) leaves the old
  configuration serving: a real DHCP client still gets a lease from the old pool; a good config-set then
  takes effect for the next client.
- An HTTP control socket on the network side answers only with the right password; a wrong one gets 401
  and changes nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from tests.lab import kea
from tests.lab.common import CLIENT_INDEX, DNS, POOL, SERVER_INDEX, in_pool, make_client
from tests.lab.edge import EdgeServer
from tests.lab.fixtures import require
from tests.lab.netns import Lab, LabError, Site

pytestmark = pytest.mark.lab

HTTP_PORT = 8004  # inside the lab's own namespace: no clash with anything on the machine
NEW_POOL = ("192.0.2.200", "192.0.2.210")


@pytest.fixture
def site(lab: Lab) -> Site:
    return lab.build(server_index=SERVER_INDEX, client_index=CLIENT_INDEX)


def subnet(pool: tuple[str, str] = POOL) -> dict[str, Any]:
    return kea.subnet(1, "192.0.2.0/24", f"{pool[0]} - {pool[1]}", routers="192.0.2.1", dns=DNS)


def edge(lab: Lab, site: Site, sockets: list[dict[str, Any]] | None = None) -> EdgeServer:
    extra = {"control-sockets": sockets} if sockets else None
    server = EdgeServer(
        lab,
        site.server.ns,
        interfaces=[site.server.ifname],
        subnets=[subnet()],
        extra=extra,
        control_socket=lab.tmp / "edge-ctrl.sock",
    )
    return server.start()


def kea_shell(
    lab: Lab,
    ns: str,
    command: str,
    arguments: str = "",
    *options: str,
    host: str = "127.0.0.1",
    port: int = HTTP_PORT,
) -> Any:
    """Run kea-shell; `arguments` is what kea-shell reads on stdin: the members, without braces."""
    require("kea-shell")
    done = lab.run(
        ns,
        ["kea-shell", "--host", host, "--port", str(port), *options, command],
        input=arguments,
        check=False,
        timeout=60,
    )
    if done.returncode != 0:
        raise LabError(f"kea-shell {command} exited {done.returncode}: {done.stdout}{done.stderr}")
    return json.loads(done.stdout)


def members(document: dict[str, Any]) -> str:
    """A JSON object's members without the outer braces, as kea-shell wants them on stdin."""
    return json.dumps(document)[1:-1]


def test_kea_shell_against_edge_dhcp_http(lab: Lab, site: Site) -> None:
    server = edge(
        lab, site, [{"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": HTTP_PORT}]
    )
    ns = site.server.ns
    (status,) = kea_shell(lab, ns, "status-get")
    assert status["result"] == 0 and status["arguments"]["pid"] == server.proc.pid
    assert status["arguments"]["sockets"]["status"] == "ready"
    (status,) = kea_shell(lab, ns, "status-get", "", "--service", "dhcp4")
    assert status["result"] == 0

    (config,) = kea_shell(lab, ns, "config-get")
    document = {"Dhcp4": config["arguments"]["Dhcp4"]}
    assert document["Dhcp4"]["subnet4"][0]["pools"][0]["pool"] == f"{POOL[0]} - {POOL[1]}"
    (tested,) = kea_shell(lab, ns, "config-test", members(document))
    assert tested["result"] == 0, tested
    # config-get shows each subnet's resolved lifetime (as Kea's does), so that is the one to change.
    document["Dhcp4"]["subnet4"][0].update({"valid-lifetime": 900, "max-valid-lifetime": 900})
    (applied,) = kea_shell(lab, ns, "config-set", members(document))
    assert applied["result"] == 0, applied
    (config,) = kea_shell(lab, ns, "config-get")
    assert config["arguments"]["Dhcp4"]["subnet4"][0]["valid-lifetime"] == 900

    lease = {"ip-address": "192.0.2.160", "hw-address": "02:00:00:00:0a:01", "hostname": "shell"}
    (added,) = kea_shell(lab, ns, "lease4-add", members(lease))
    assert added == {"result": 0, "text": "Lease for address 192.0.2.160, subnet-id 1 added."}
    (got,) = kea_shell(lab, ns, "lease4-get", members({"ip-address": "192.0.2.160"}))
    assert got["arguments"]["hostname"] == "shell" and got["arguments"]["valid-lft"] == 900
    (every,) = kea_shell(lab, ns, "lease4-get-all")
    assert [x["ip-address"] for x in every["arguments"]["leases"]] == ["192.0.2.160"]
    (deleted,) = kea_shell(lab, ns, "lease4-del", members({"ip-address": "192.0.2.160"}))
    assert deleted == {"result": 0, "text": "IPv4 lease deleted."}
    (unknown,) = kea_shell(lab, ns, "lease6-get-all")
    assert unknown["result"] == 2


def test_kea_control_agent_forwards_to_edge_dhcp(lab: Lab, site: Site) -> None:
    require("kea-ctrl-agent", "kea-shell")
    server = edge(lab, site)
    agent_dir = lab.tmp / "kea-ca"
    agent_dir.mkdir()
    config = {
        "Control-agent": {
            "http-host": "127.0.0.1",
            "http-port": HTTP_PORT,
            "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": server.control_socket}},
            "loggers": [
                {"name": "kea-ctrl-agent", "output_options": [{"output": "stdout"}], "severity": "INFO"}
            ],
        }
    }
    path = agent_dir / "kea-ctrl-agent.conf"
    path.write_text(json.dumps(config))
    env = {"KEA_PIDFILE_DIR": str(agent_dir), "KEA_LOCKFILE_DIR": str(agent_dir)}
    agent = lab.popen(site.server.ns, ["kea-ctrl-agent", "-c", str(path)], env=env, name="kea-ctrl-agent")
    lab.wait_for(
        lambda: "CTRL_AGENT_HTTP_SERVICE_STARTED" in agent.output() or agent.poll() is not None,
        what="kea-ctrl-agent to start",
    )
    assert agent.poll() is None, agent.output()

    ns = site.server.ns
    (status,) = kea_shell(lab, ns, "status-get", "", "--service", "dhcp4")
    assert status["result"] == 0 and status["arguments"]["pid"] == server.proc.pid  # edge-dhcp answered
    (commands,) = kea_shell(lab, ns, "list-commands", "", "--service", "dhcp4")
    assert "lease4-get-page" in commands["arguments"] and "stats-recount" in commands["arguments"]
    lease = {"ip-address": "192.0.2.170", "hw-address": "02:00:00:00:0b:01"}
    (added,) = kea_shell(lab, ns, "lease4-add", members(lease), "--service", "dhcp4")
    assert added["result"] == 0, added
    (page,) = kea_shell(
        lab, ns, "lease4-get-page", members({"from": "start", "limit": 10}), "--service", "dhcp4"
    )
    assert page["arguments"]["count"] == 1 and page["arguments"]["leases"][0]["ip-address"] == "192.0.2.170"
    (config,) = kea_shell(lab, ns, "config-get", "", "--service", "dhcp4")  # a large answer, forwarded whole
    assert config["arguments"]["Dhcp4"]["subnet4"][0]["id"] == 1
    (stats,) = kea_shell(
        lab, ns, "statistic-get", members({"name": "subnet[1].assigned-addresses"}), "--service", "dhcp4"
    )
    assert stats["arguments"]["subnet[1].assigned-addresses"][0][0] == 1
    (unknown,) = kea_shell(lab, ns, "nope", "", "--service", "dhcp4")
    assert unknown["result"] == 2
    (agent_itself,) = kea_shell(lab, ns, "status-get")  # no service: the agent answers for itself
    assert agent_itself["arguments"]["pid"] == agent.pid


def test_refused_config_set_keeps_the_old_configuration_serving(lab: Lab, site: Site) -> None:
    server = edge(lab, site)
    before = server.ctl("config-hash-get")["arguments"]["hash"]
    good = server.ctl("config-get")["arguments"]
    good.pop("hash")

    broken = json.loads(json.dumps(good))
    broken["Dhcp4"]["subnet4"][0]["pools"] = [{"pool": "192.0.2.100 - 10.0.0.1"}]
    refused = server.ctl("config-set", broken, check=False)
    assert refused["result"] == 1 and "pools[0].pool" in refused["text"]

    # Valid, but a control socket it asks for cannot be opened (the port is taken): refused as a whole.
    holder = lab.popen(site.server.ns, [sys.executable, "-c", BUSY_PORT])
    lab.wait_for(lambda: "listening" in holder.output(), what="the port holder")
    moved = json.loads(json.dumps(good))
    moved["Dhcp4"]["subnet4"][0]["pools"] = [{"pool": f"{NEW_POOL[0]} - {NEW_POOL[1]}"}]
    moved["Dhcp4"]["control-sockets"] = [
        {"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": HTTP_PORT}
    ]
    refused = server.ctl("config-set", moved, check=False)
    assert refused["result"] == 1 and f"port {HTTP_PORT}" in refused["text"]
    assert server.ctl("config-hash-get")["arguments"]["hash"] == before

    client = make_client("udhcpc", lab, site)
    lease = client.obtain()
    assert in_pool(lease.address, POOL), lease  # the old configuration served it
    client.stop()

    holder.stop()
    applied = server.ctl("config-set", moved)
    assert applied["result"] == 0
    lab.ip(site.client.ns, "link", "set", site.client.ifname, "address", "02:00:00:00:cc:01")
    fresh = make_client("udhcpc", lab, site)
    assert in_pool(fresh.obtain().address, NEW_POOL)  # the new one serves the next client
    fresh.stop()
    leases = server.ctl("lease4-get-all")["arguments"]["leases"]
    assert {x["ip-address"] for x in leases} >= {str(lease.address)}  # the first lease is kept
    assert server.ctl("status-get")["arguments"]["reload"] < 60


BUSY_PORT = f"""
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", {HTTP_PORT}))
s.listen(1)
print("listening", flush=True)
time.sleep(600)
"""


def test_http_on_the_network_needs_the_password(lab: Lab, site: Site) -> None:
    secret = lab.tmp / "control.pw"
    secret.write_text("lab-secret\n")
    secret.chmod(0o600)
    auth = {
        "type": "basic",
        "realm": "edge-lab",
        "clients": [{"user": "admin", "password-file": str(secret)}],
    }
    server = edge(
        lab,
        site,
        [
            {
                "socket-type": "http",
                "socket-address": "192.0.2.1",
                "socket-port": HTTP_PORT,
                "authentication": auth,
            }
        ],
    )
    lease = members({"ip-address": "192.0.2.180", "hw-address": "02:00:00:00:0d:01"})
    ns = site.client.ns  # across the link, from the client's side (given an address by hand)
    lab.ip(ns, "addr", "add", "192.0.2.50/24", "dev", site.client.ifname)
    for password in ("wrong", ""):
        with pytest.raises(LabError, match="401"):
            kea_shell(
                lab,
                ns,
                "lease4-add",
                lease,
                "--auth-user",
                "admin",
                "--auth-password",
                password,
                host="192.0.2.1",
            )
    with pytest.raises(LabError, match="401"):
        kea_shell(lab, ns, "lease4-add", lease, host="192.0.2.1")
    assert server.ctl("lease4-get-all", check=False)["result"] == 3  # nothing was added
    assert "COMMAND_HTTP_AUTH_FAIL" in server.output()
    (added,) = kea_shell(
        lab,
        ns,
        "lease4-add",
        lease,
        "--auth-user",
        "admin",
        "--auth-password",
        "lab-secret",
        host="192.0.2.1",
    )
    assert added["result"] == 0
    assert [x["ip-address"] for x in server.ctl("lease4-get-all")["arguments"]["leases"]] == ["192.0.2.180"]
