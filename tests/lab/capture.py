"""A packet capture on one lab interface, decoded with edge-dhcp's own frame and DHCP codecs.

Used where a test must see what went over the wire rather than what a client's script reports (for
example that the server echoed the relay's option 82 byte for byte: dhcrelay strips it before the client
sees the reply). The socket is created inside the namespace (Lab.inside) and read by a thread until the
capture is closed.
"""

from __future__ import annotations

import select
import socket
import threading
from types import TracebackType

from edge.netif.frames import parse_frame
from edge.wire import pkt4 as wire
from edge.wire.errors import DecodeError
from tests.lab.netns import Lab

ETH_P_ALL = 0x0003


class Capture:
    def __init__(self, lab: Lab, ns: str, ifname: str) -> None:
        with lab.inside(ns):
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            self.sock.bind((ifname, 0))
        self.frames: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.1)
            if ready:
                self.frames.append(self.sock.recv(65535))

    def dhcp(self, src_port: int | None = None) -> list[wire.Packet]:
        """Every DHCP message captured so far (optionally only those sent from `src_port`)."""
        found = []
        for frame in list(self.frames):
            udp = parse_frame(frame, verify_udp_checksum=False)
            if udp is None or (src_port is not None and udp.src_port != src_port):
                continue
            if 67 not in (udp.src_port, udp.dst_port):
                continue
            try:
                found.append(wire.decode(udp.payload))
            except DecodeError:
                continue
        return found

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def __enter__(self) -> Capture:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
