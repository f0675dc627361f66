"""Kea 2.2 and edge-dhcp on hostile packets (issue 22): what a client sends that the store cannot hold.

Kea 2.2 builds a ClientId from option 61 while it processes a DISCOVER or REQUEST (dhcp4_srv.cc,
Dhcpv4Exchange); ClientId refuses fewer than 2 or more than 128 bytes (duid.h MIN_CLIENT_ID_LEN,
MAX_CLIENT_ID_LEN = DUID::MAX_DUID_LEN), the exception is caught around the message handler
(DHCP4_PACKET_DROP_0007) and the packet is dropped and counted in pkt4-receive-drop. This test plays the
same packets against both servers and checks the answers, the counter, and that the server still serves.
"""

from __future__ import annotations

import pytest

from tests.lab.parity import Answer, ParityServer, ParitySite, assert_same, base_config, parity_site, run_both
from tests.lab.test_parity import LAN_OPTIONS, Script, mac, subnet

pytestmark = pytest.mark.lab


def test_client_id_lengths_kea_refuses(lab) -> None:
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "subnet4": [
                subnet(1, "192.0.2.0/24", "192.0.2.100 - 192.0.2.150", **{"option-data": LAN_OPTIONS})
            ]
        },
    )

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            s.discover("client-id of 1 byte", mac(1), options={61: b"\x01"}, expect=False)
            s.dora("client-id of 2 bytes", mac(2), options={61: b"\x01\x02"})
            s.dora("client-id of 128 bytes", mac(3), options={61: b"\x00" + bytes(range(127))})
            s.discover("client-id of 129 bytes", mac(4), options={61: b"\x00" + bytes(128)}, expect=False)
            s.select(
                "REQUEST with a client-id of 301 bytes (255 + 46, RFC 3396)",
                mac(5),
                "192.0.2.140",
                options={61: b"\x00" + bytes(range(256)) + bytes(44)},
                expect=False,
            )
            s.dora("an ordinary client after them", mac(6))
            drops = s.stats("pkt4-receive-drop")["pkt4-receive-drop"]
            s.out.append(Answer("pkt4-receive-drop", str(drops)))
            return s.out

    out = assert_same(run_both(ps, config, play))
    assert [x.message for x in out] == [
        "none",
        "OFFER",
        "ACK",
        "OFFER",
        "ACK",
        "none",
        "none",
        "OFFER",
        "ACK",
        "3",
    ]
