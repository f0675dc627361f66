"""examples/home-ddns.json and its D2 file say what their comments say (the Kea 2.2 validity of the Dhcp4
file is checked with the other examples in tests/config/test_examples.py)."""

from __future__ import annotations

from pathlib import Path

from edge.config.d2 import MODE_BUILT_IN
from edge.ddns.names import NameHandler
from edge.dhcp4.config import load_file
from edge.wire import pkt4 as wire

EXAMPLE = Path(__file__).parents[2] / "examples" / "home-ddns.json"


def test_home_ddns_example() -> None:
    config = load_file(str(EXAMPLE))
    assert config.warnings == ()
    d2 = config.ddns.d2
    assert config.ddns.mode == MODE_BUILT_IN and d2 is not None
    assert d2.match_forward("laptop.home.arpa.").servers[0].address == "127.0.0.1"
    assert d2.match_reverse("123.1.168.192.in-addr.arpa.").key.algorithm == "HMAC-SHA256"
    (subnet,) = config.subnets
    handler = NameHandler(lambda: config)
    request = wire.Packet(op=wire.BOOTREQUEST, chaddr=bytes(16))
    request.set(wire.OPT_HOSTNAME, b"Jane's iPad")
    names = handler.names_for(request, subnet, 0xC0A8017B)
    assert (names.hostname, names.forward, names.reverse) == ("jane-s-ipad.home.arpa", True, True)
    generated = handler.names_for(wire.Packet(op=wire.BOOTREQUEST, chaddr=bytes(16)), subnet, 0xC0A8017B)
    assert generated.hostname == "dhcp-192-168-1-123.home.arpa"
