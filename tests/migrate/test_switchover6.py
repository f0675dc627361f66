"""Switching a DHCPv6 server, proven with the real ones: ISC dhcpd -6 hands a real dhclient -6 an address
(IA_NA) and a delegated prefix (IA_PD); dhcpd is stopped, its dhcpd.conf goes through `edge-dhcp migrate
dhcpd -6` and its dhcpd6.leases through `edge-dhcp leases import --format dhcpd-leases`, and edge-dhcp
takes over on the result. The client, started again on its saved lease, sends REBIND (dhclient does for
IA_PD) and must keep the very address and prefix it had. The imported leases are checked over the
control channel before the client speaks (a REBIND's hints alone could land on the same free address).

    client ns cli0 ---- srv0 2001:db8:1::1/64 server ns (dhcpd -6, then edge-dhcp)
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from edge.config.jsonpos import parse_text
from tests.lab.clients6 import Dhclient6
from tests.lab.edge import REPO_ROOT
from tests.lab.edge6 import Edge6Server
from tests.lab.fixtures import require
from tests.lab.netns import Lab
from tests.lab.netns6 import Site6, build6
from tests.migrate.servers import IscDhcpd, unconfined_binary

pytestmark = pytest.mark.lab

DHCPD6_CONF = """\
default-lease-time 600;
preferred-lifetime 300;
option dhcp6.name-servers 2001:db8:1::53;
option dhcp6.domain-search "lab.example";
subnet6 2001:db8:1::/64 {
    range6 2001:db8:1::100 2001:db8:1::1ff;
    prefix6 2001:db8:8:: 2001:db8:8:ff:: /64;
}
"""


class IscDhcpd6(IscDhcpd):
    """ISC dhcpd 4.4 run as `dhcpd -6`."""

    def argv(self) -> list[str]:
        return [
            unconfined_binary(self.lab, "dhcpd"),
            "-6",
            "-f",
            "-d",
            "-cf",
            str(self.config_path),
            "-lf",
            str(self.lease_path),
            "-pf",
            str(self.pid_path),
            *self.interfaces,
        ]


def edge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge", *args], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )


@pytest.fixture
def site(lab: Lab) -> Site6:
    return build6(lab, server_index=70600, client_index=131600, client_mac="02:00:5e:10:06:02")


def test_dhclient6_keeps_address_and_prefix_from_dhcpd6_to_edge(lab: Lab, site: Site6) -> None:
    require("dhcpd", "dhclient")
    dhcpd = IscDhcpd6(lab, site.server.ns, DHCPD6_CONF, [site.server.ifname]).start()
    client = Dhclient6(lab, site.client.ns, site.client.ifname, ia_na=1, ia_pd=1)
    before = client.obtain()  # dhclient -x afterwards: it exits and keeps its lease file
    (address,) = before.addresses
    (prefix,) = before.prefixes
    dhcpd.stop()
    assert f"iaaddr {address}" in dhcpd.lease_path.read_text(), dhcpd.lease_path.read_text()[-2000:]

    converted = dhcpd.dir / "edge6.json"
    # run where dhcpd ran, as an operator would: the subnet is tied to srv0 by srv0's address in it
    migrated = lab.run(
        site.server.ns,
        [sys.executable, "-m", "edge", "migrate", "dhcpd", "-6", str(dhcpd.config_path), "-o", str(converted)]
        + ["-i", site.server.ifname],
        check=False,
        env={"PYTHONPATH": str(REPO_ROOT)},
    )
    assert migrated.returncode == 0, migrated.stderr
    generated: dict[str, Any] = parse_text(converted.read_text(), str(converted)).value["Dhcp6"]
    assert generated["subnet6"][0]["interface"] == site.server.ifname

    server = Edge6Server(lab, site.server.ns, interfaces=[site.server.ifname])
    own = server.config["Dhcp6"]
    for key in ("lease-database", "data-directory", "control-socket", "loggers"):
        generated[key] = own[key]
    server.config["Dhcp6"] = generated
    server.config_path.write_text(json.dumps(server.config))
    imported = edge(
        "leases",
        "import",
        "--format",
        "dhcpd-leases",
        str(dhcpd.lease_path),
        "-c",
        str(server.config_path),
        "--lease-file",
        str(server.lease_path),
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "2 lease(s) imported" in imported.stdout, imported.stdout + imported.stderr
    server.start()
    # before the client says a word, edge-dhcp holds its address and prefix, under its DUID and IAIDs
    leases = {
        (x["ip-address"], x["type"]): x for x in server.command("lease6-get-all")["arguments"]["leases"]
    }
    assert set(leases) == {(str(address), "IA_NA"), (str(prefix.network_address), "IA_PD")}
    iaids = {b.type: int(b.iaid, 16) for b in before.bindings}
    for (_, kind), lease in leases.items():
        assert lease["duid"].replace(":", "") == before.client_id
        assert lease["iaid"] == iaids["na" if kind == "IA_NA" else "pd"]
        assert lease["state"] == 0 and lease["valid-lft"] == 600

    after = client.restart()  # REBIND for the saved IA_NA and IA_PD: no server-id, edge-dhcp answers
    assert after.addresses == [address], (before, after)
    assert after.prefixes == [prefix], (before, after)
    answer = server.command("lease6-get-all")
    held = {(lease["ip-address"], lease["type"]) for lease in answer["arguments"]["leases"]}
    assert held == {(str(address), "IA_NA"), (str(prefix.network_address), "IA_PD")}
    assert "Traceback" not in server.output()
