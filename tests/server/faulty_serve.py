"""`edge-dhcp serve` with a fault planted in the engine, for the safety-net tests (tests/server/test_safety_net.py).

Run:  python -m tests.server.faulty_serve serve -c FILE ...

A DISCOVER whose vendor class (option 60) is b"raise-me" makes the engine's DISCOVER handler raise
RuntimeError, as a bug would, deep inside Engine.handle; every other packet is served as usual. Nothing
else differs from `python -m edge serve`.
"""

from __future__ import annotations

import sys
from typing import Any

from edge.cli import main
from edge.dhcp4.engine import Engine
from edge.wire import pkt4 as wire

TRIGGER = b"raise-me"


def plant() -> None:
    original = Engine.handlers[wire.DHCPDISCOVER]

    def discover(engine: Engine, pkt: Any, now: float) -> Any:
        if pkt.request.options.get(60) == TRIGGER:
            raise RuntimeError("planted fault: this DISCOVER cannot be handled")
        return original(engine, pkt, now)

    Engine.handlers = {**Engine.handlers, wire.DHCPDISCOVER: discover}


if __name__ == "__main__":
    plant()
    sys.exit(main(sys.argv[1:]))
