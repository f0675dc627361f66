"""SIGKILL under load: every ACK a client saw is in the lease store the restarted server holds.

Kea's perfdhcp (Debian's kea-admin package) runs DORA exchanges at a few hundred per second from a lab
namespace (as a relay agent: it needs an address on its interface, and Kea 2.2's perfdhcp wants an
interface index below 65536, so the client side gets index 1000). edge-dhcp runs with its default sync
mode and a one-second lease-file cleanup, so compactions happen during the load and the kill may land
in the middle of one. The ACKs are taken from a packet capture on the client's interface — what actually
reached the client — and compared with what edge-dhcp loads when it starts again, and with its lease file
as stock TinyDB reads it after a clean stop.
"""

from __future__ import annotations

import struct
import time

import pytest
from tinydb import TinyDB

from edge.wire import pkt4 as wire
from tests.lab.capture import Capture
from tests.lab.edge import EdgeServer
from tests.lab.fixtures import require
from tests.lab.netns import Lab

pytestmark = pytest.mark.lab

SUBNET = "198.18.0.0/16"  # RFC 2544's benchmarking range: room for thousands of leases
PERF_ADDRESS = "198.18.0.2/16"


def acked(capture: Capture) -> dict[int, bytes]:
    found = {}
    for packet in capture.dhcp(src_port=67):
        if packet.message_type == wire.DHCPACK:
            found[struct.unpack("!I", packet.yiaddr)[0]] = packet.mac
    return found


def test_sigkill_under_load_loses_no_acked_lease(lab: Lab) -> None:
    require("perfdhcp")
    site = lab.build(server_index=70000, client_index=1000, server_subnet=SUBNET)
    lab.ip(site.client.ns, "addr", "add", PERF_ADDRESS, "dev", site.client.ifname)
    server = EdgeServer(
        lab,
        site.server.ns,
        interfaces=[site.server.ifname],
        valid_lifetime=600,
        subnets=[{"id": 1, "subnet": SUBNET, "pools": [{"pool": "198.18.1.0 - 198.18.250.255"}]}],
    )
    server.config["Dhcp4"]["lease-database"]["lfc-interval"] = 1
    server.start()
    capture = Capture(lab, site.client.ns, site.client.ifname)
    perf = lab.popen(
        site.client.ns,
        ["perfdhcp", "-4", "-l", site.client.ifname, "-r", "400", "-R", "1000000", "-p", "5"],
        name="perfdhcp",
    )
    try:
        lab.wait_for(
            lambda: len(acked(capture)) >= 300 and "DHCPSRV_MEMFILE_LFC_DONE" in server.output(),
            timeout=20,
            what="300 ACKs and a compaction under load",
        )
        server.kill()  # SIGKILL, mid-load (and maybe mid-compaction)
        killed_at = len(acked(capture))
        first_life = server.output()
        perf.wait(30)
    finally:
        time.sleep(0.3)
        capture.close()
    seen = acked(capture)
    assert len(seen) >= killed_at >= 300
    # The compaction child died with the server: nothing of it is left in the namespace.
    lab.wait_for(
        lambda: not lab.pids(site.server.ns), timeout=5, what="no process left in the server namespace"
    )

    server.start()  # a new process, a new log
    loaded = server.wait_log(r"DHCPSRV_MEMFILE_LEASES_LOADED (\d+) leases")
    assert "JournalCorrupt" not in loaded and "DHCP4_INIT_FAIL" not in loaded
    assert server.stop() == 0
    db = TinyDB(str(server.lease_path))
    stored = {doc.doc_id: doc for doc in db.table("leases").all()}
    db.close()
    missing = [
        (a, mac.hex(":")) for a, mac in seen.items() if a not in stored or stored[a]["hwaddr"] != mac.hex(":")
    ]
    assert not missing, "%d ACKed leases lost, e.g. %s" % (len(missing), missing[:5])
    assert "DHCPSRV_MEMFILE_LFC_DONE" in first_life  # compactions did run during the load
