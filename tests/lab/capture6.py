"""A packet capture of the DHCPv6 traffic on one lab interface (the v6 twin of capture.py).

Rules this module keeps:
- The packet socket is opened inside the namespace (Lab.inside) and bound to one interface; a thread reads
  frames until the capture is closed. It sees both directions; each datagram records which way it went
  (the kernel's packet type: PACKET_OUTGOING for what this namespace sent).
- Only Ethernet II + IPv6 (extension headers walked) + UDP with port 546 or 547 on either side is kept;
  anything else is ignored. Payloads are the raw DHCPv6 bytes, so tests compare them exactly or through
  tests/lab/dhcp6msg.py.

Theory of operation: `Capture6(lab, ns, ifname)` starts; `datagrams()` returns `Datagram6` records in
arrival order; `messages()` decodes them (undecodable payloads are skipped); `wait_for(pred)` polls until
a datagram matches. Close it (or use `with`) to stop the thread.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from tests.lab import dhcp6msg
from tests.lab.netns import Lab, LabError

ETH_P_ALL = 0x0003
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4
DHCP6_PORTS = (546, 547)
_EXTENSION_HEADERS = (0, 43, 60)  # hop-by-hop, routing, destination options (MLD reports carry hop-by-hop)


@dataclass(frozen=True)
class Datagram6:
    time: float
    outgoing: bool
    src: ipaddress.IPv6Address
    dst: ipaddress.IPv6Address
    sport: int
    dport: int
    hop_limit: int
    payload: bytes

    def message(self) -> dhcp6msg.Message:
        return dhcp6msg.decode(self.payload)

    def record(self) -> dict[str, object]:
        """JSON-able form (for capture files)."""
        return {
            "outgoing": self.outgoing,  # sent from the capturing namespace
            "src": f"[{self.src}]:{self.sport}",
            "dst": f"[{self.dst}]:{self.dport}",
            "hop_limit": self.hop_limit,
            "hex": self.payload.hex(),
        }


def parse_frame6(
    frame: bytes,
) -> tuple[ipaddress.IPv6Address, ipaddress.IPv6Address, int, int, int, bytes] | None:
    """(src, dst, sport, dport, hop limit, UDP payload) of an Ethernet/IPv6/UDP frame, else None."""
    if len(frame) < 14 + 40 + 8 or struct.unpack_from("!H", frame, 12)[0] != ETH_P_IPV6:
        return None
    ip = frame[14:]
    if ip[0] >> 4 != 6:
        return None
    payload_len, next_header, hop_limit = struct.unpack_from("!HBB", ip, 4)
    src = ipaddress.IPv6Address(ip[8:24])
    dst = ipaddress.IPv6Address(ip[24:40])
    at = 40
    end = 40 + payload_len
    while next_header in _EXTENSION_HEADERS:
        if at + 2 > len(ip):
            return None
        next_header, length = ip[at], (ip[at + 1] + 1) * 8
        at += length
    if next_header != 17 or at + 8 > min(end, len(ip)):
        return None
    sport, dport, udp_len = struct.unpack_from("!HHH", ip, at)
    data = ip[at + 8 : at + udp_len]
    if len(data) != udp_len - 8:
        return None
    return src, dst, sport, dport, hop_limit, bytes(data)


class Capture6:
    def __init__(self, lab: Lab, ns: str, ifname: str) -> None:
        with lab.inside(ns):
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            self.sock.bind((ifname, 0))
        self.ifname = ifname
        self._datagrams: list[Datagram6] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.sock], [], [], 0.1)
                if not ready:
                    continue
                frame, address = self.sock.recvfrom(65535)
            except (OSError, ValueError):  # the interface went away (lab teardown) or the socket closed
                return
            parsed = parse_frame6(frame)
            if parsed is None:
                continue
            src, dst, sport, dport, hop_limit, payload = parsed
            if sport not in DHCP6_PORTS and dport not in DHCP6_PORTS:
                continue
            record = Datagram6(
                time.time(), address[2] == PACKET_OUTGOING, src, dst, sport, dport, hop_limit, payload
            )
            with self._lock:
                self._datagrams.append(record)

    def datagrams(self) -> list[Datagram6]:
        with self._lock:
            return list(self._datagrams)

    def messages(self, outgoing: bool | None = None) -> list[dhcp6msg.Message]:
        """Decoded DHCPv6 messages so far (only one direction if `outgoing` is given)."""
        found = []
        for datagram in self.datagrams():
            if outgoing is not None and datagram.outgoing != outgoing:
                continue
            try:
                found.append(datagram.message())
            except ValueError:
                continue
        return found

    def wait_for(
        self, predicate: Callable[[Datagram6], bool], timeout: float = 10.0, what: str = ""
    ) -> Datagram6:
        deadline = time.monotonic() + timeout
        while True:
            for datagram in self.datagrams():
                if predicate(datagram):
                    return datagram
            if time.monotonic() >= deadline:
                raise LabError(
                    f"no captured datagram on {self.ifname} matched {what or predicate} in {timeout}s"
                )
            time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def __enter__(self) -> Capture6:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def message_type_is(*names: str) -> Callable[[Datagram6], bool]:
    """A predicate for wait_for: the datagram's (outermost) message type is one of `names`."""
    codes = {dhcp6msg.TYPE_CODES[n] for n in names}
    return lambda d: bool(d.payload) and d.payload[0] in codes
