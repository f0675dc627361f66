"""The per-packet safety net on a real `serve` (issue 22): a planted engine fault (tests/server/faulty_serve.py)
hit by crafted packets in a lab; the server counts, logs once with a traceback, and keeps serving."""

from __future__ import annotations

import sys

import pytest

from tests.lab import kea
from tests.lab.common import CLIENT_INDEX, SERVER_INDEX
from tests.lab.crafted import CraftedClient, packet
from tests.lab.edge import EdgeServer
from tests.lab.netns import Lab
from tests.server.faulty_serve import TRIGGER

pytestmark = pytest.mark.lab


class FaultyEdge(EdgeServer):
    def argv(self) -> list[str]:
        return [sys.executable, "-m", "tests.server.faulty_serve", *super().argv()[3:]]


def test_serve_survives_packets_that_make_the_engine_raise(lab: Lab) -> None:
    site = lab.build(server_index=SERVER_INDEX, client_index=CLIENT_INDEX)
    sock = lab.tmp / "ctl.sock"
    subnet = kea.subnet(1, "192.0.2.0/24", "192.0.2.100 - 192.0.2.150", routers="192.0.2.1")
    server = FaultyEdge(
        lab, site.server.ns, interfaces=[site.server.ifname], subnets=[subnet], control_socket=sock
    )
    with server:
        client = CraftedClient(
            lab, site.client.ns, site.client.ifname, str(site.server.ip), site.server.mac_bytes
        )
        with client:
            mac = bytes.fromhex("02aa00000001")
            for _ in range(3):
                assert client.send(packet(1, mac, options={60: TRIGGER}), expect=False) is None
            offer = client.send(packet(1, mac))
            assert offer is not None and offer.message_type == 2
        stats = server.ctl("statistic-get-all")["arguments"]
        assert stats["pkt4-processing-failed"][0][0] == 3
        assert stats["pkt4-receive-drop"][0][0] == 3
        assert server.proc is not None and server.proc.poll() is None
        log = server.output()
    assert log.count("DHCP4_PACKET_PROCESS_STD_EXCEPTION") == 1  # repeats at DEBUG: not at INFO
    assert log.count("Traceback (most recent call last)") == 1
    assert "planted fault" in log
