"""Switching a DHCPv6 server, proven with the real ones. First ISC dhcpd -6 hands a real dhclient -6 an address
(IA_NA) and a delegated prefix (IA_PD); dhcpd is stopped, its dhcpd.conf goes through `edge-dhcp migrate
dhcpd -6` and its dhcpd6.leases through `edge-dhcp leases import --format dhcpd-leases`, and edge-dhcp
takes over on the result. The client, started again on its saved lease, sends REBIND (dhclient does for
IA_PD) and must keep the very address and prefix it had. The imported leases are checked over the
control channel before the client speaks (a REBIND's hints alone could land on the same free address).

    client ns cli0 ---- srv0 2001:db8:1::1/64 server ns (dhcpd -6, then edge-dhcp)

Then Kea 2.2's kea-dhcp6: the same client runs on (dhclient -6 -N -P in the background) while kea-dhcp6 is
stopped, its lease6 CSV goes through `edge-dhcp leases import --format kea-csv`, and edge-dhcp serves from
Kea's configuration file unchanged (its lease-database path, its data directory with kea-dhcp6-serverid,
its control socket). The client's RENEW at T1 still carries Kea's server-id: edge-dhcp answers it only
because it took that DUID over, with the same address and prefix.
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
from tests.lab.kea6 import Kea6Server, pd_pool, subnet6
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


def test_dhclient6_renews_address_and_prefix_from_kea6_with_edge(lab: Lab, site: Site6) -> None:
    require("kea-dhcp6", "dhclient")
    kea = Kea6Server(
        lab,
        site.server.ns,
        interfaces=[site.server.ifname],
        subnets=[
            subnet6(
                1,
                "2001:db8:1::/64",
                ["2001:db8:1::100-2001:db8:1::1ff"],
                pd_pools=[pd_pool("2001:db8:8::", 56, 64)],
                dns="2001:db8:1::53",
                interface=site.server.ifname,
            )
        ],
        renew_timer=10,  # the RENEW comes while edge-dhcp serves; retransmitted until T2 if it is early
        rebind_timer=60,
        preferred_lifetime=90,
        valid_lifetime=120,
    ).start()
    client = Dhclient6(lab, site.client.ns, site.client.ifname, ia_na=1, ia_pd=1)
    before = client.obtain(background=True)  # dhclient -6 -N -P stays running, as on a real router
    (address,) = before.addresses
    (prefix,) = before.prefixes
    kea_duid = kea.server_id()
    assert kea_duid and before.server_id == kea_duid.replace(":", ""), (kea_duid, before)
    kea.stop()

    # the operator keeps Kea's CSV aside and imports it into the file Kea's configuration names
    kea_csv = kea.lease_path.with_name("kea-leases6.csv.kea-2.2")
    kea.lease_path.rename(kea_csv)
    assert f"{address}," in kea_csv.read_text() and f"{prefix.network_address}," in kea_csv.read_text()
    kea_config = kea.config_path.read_text()
    imported = edge("leases", "import", "--format", "kea-csv", str(kea_csv), "-c", str(kea.config_path))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "2 lease(s) imported" in imported.stdout, imported.stdout + imported.stderr

    server = Edge6Server(lab, site.server.ns, interfaces=[site.server.ifname])
    server.config = json.loads(kea_config)  # Kea's file, every key as Kea had it
    server.config_path = kea.config_path
    server.socket_path = kea.socket_path
    server.start()
    assert json.loads(kea.config_path.read_text()) == json.loads(kea_config)
    assert kea.server_id() == kea_duid  # edge-dhcp kept Kea's DUID file as it was
    leases = {
        (x["ip-address"], x["type"]): x for x in server.command("lease6-get-all")["arguments"]["leases"]
    }
    assert set(leases) == {(str(address), "IA_NA"), (str(prefix.network_address), "IA_PD")}
    iaids = {b.type: int(b.iaid, 16) for b in before.bindings}
    for (_, kind), lease in leases.items():
        assert lease["duid"].replace(":", "") == before.client_id
        assert lease["iaid"] == iaids["na" if kind == "IA_NA" else "pd"]
        assert lease["valid-lft"] == 120 and lease["subnet-id"] == 1

    renewed = client.wait_renewal(timeout=60)  # one "renew" event per IA, answered by edge-dhcp
    assert {e["event"] for e in renewed} == {"renew"}
    after = client.lease
    assert after is not None and after.addresses == [address] and after.prefixes == [prefix], (before, after)
    assert after.server_id == before.server_id
    assert server.statistics().get("pkt6-renew-received", 0) >= 1  # a RENEW (to Kea's DUID), not a REBIND
    # dhclient is left to the lab's teardown (SIGTERM by pid): `dhclient -x` once hung 30 s mid-renewal here
    assert "Traceback" not in server.output()
