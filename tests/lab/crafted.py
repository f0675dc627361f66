"""A DHCP client made of packets: any message, any option, from the lab's client namespace.

Rules this module keeps:
- Packets are built with edge.wire (the codec under test elsewhere) and sent as raw Ethernet frames from a
  packet socket opened inside the client namespace (Lab.inside), so they are exactly what we wrote: no
  client program decides anything. Replies are read on the same interface and decoded with edge.wire.
- It can also play a relay agent: frames then go from a relay address on the client side of the link to
  the server's address (UDP 67 -> 67, giaddr set), and replies come back to giaddr, which the namespace owns
  (the server namespace routes the relay networks to us). A UDP socket bound to port 67 in the client
  namespace swallows them so the kernel sends no ICMP "port unreachable" to the server.
- Nothing waits longer than it must: a reply is the first DHCP message for our transaction id, and "no
  reply" costs the given timeout once.

Theory of operation: `CraftedClient.send(packet, relay=...)` frames and sends one message and returns the
matching reply (a decoded Packet) or None; `packet(...)` builds a client message from keyword arguments
so a scenario reads like the table in RFC 2131.
"""

from __future__ import annotations

import ipaddress
import itertools
import select
import socket
import struct
import time
from collections.abc import Mapping

from edge.netif.frames import build_frame, parse_frame
from edge.wire import pkt4 as wire
from edge.wire.errors import DecodeError
from tests.lab.netns import Lab

ETH_P_ALL = 0x0003
BROADCAST_MAC = b"\xff" * 6
_xids = itertools.count(0x5EED0001)


def ip(text: str | int) -> int:
    return text if isinstance(text, int) else int(ipaddress.IPv4Address(text))


def packet(
    msg_type: int,
    mac: bytes,
    *,
    options: Mapping[int, bytes] | None = None,
    ciaddr: str | int = 0,
    giaddr: str | int = 0,
    broadcast: bool = True,
    prl: bytes = bytes((1, 3, 6, 15, 28, 42)),
    xid: int | None = None,
    htype: int = 1,
) -> wire.Packet:
    """A client message. `prl` is option 55 (empty: none); `options` adds or replaces any option."""
    pkt = wire.Packet()
    pkt.op = wire.BOOTREQUEST
    pkt.htype = htype
    pkt.hlen = len(mac)
    pkt.xid = next(_xids) if xid is None else xid
    pkt.flags = wire.FLAG_BROADCAST if broadcast else 0
    pkt.chaddr = mac + bytes(16 - len(mac))
    pkt.ciaddr = struct.pack("!I", ip(ciaddr))
    pkt.giaddr = struct.pack("!I", ip(giaddr))
    pkt.set(wire.OPT_MESSAGE_TYPE, bytes((msg_type,)))
    if prl:
        pkt.set(wire.OPT_PARAM_REQUEST, prl)
    for code, payload in (options or {}).items():
        pkt.set(code, payload)
    return pkt


class CraftedClient:
    def __init__(
        self,
        lab: Lab,
        ns: str,
        ifname: str,
        server_ip: str,
        server_mac: bytes,
        relay_source: str | None = None,
    ) -> None:
        self.lab = lab
        self.ns = ns
        self.ifname = ifname
        self.server_ip = ip(server_ip)
        self.server_mac = server_mac
        self.relay_source = ip(relay_source) if relay_source else 0
        with lab.inside(ns):
            self.raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            self.raw.bind((ifname, 0))
            self.mac = self.raw.getsockname()[4]
            self.relay_sock: socket.socket | None = None
            if relay_source:
                self.relay_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self.relay_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self.relay_sock.bind(("0.0.0.0", 67))
        self.raw.setblocking(False)

    def close(self) -> None:
        self.raw.close()
        if self.relay_sock is not None:
            self.relay_sock.close()

    def __enter__(self) -> CraftedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _drain(self) -> None:
        while True:
            try:
                self.raw.recv(65535)
            except BlockingIOError:
                return

    def send(
        self,
        pkt: wire.Packet,
        *,
        expect: bool = True,
        timeout: float = 3.0,
        unicast_to: int = 0,
        src_ip: int = 0,
    ) -> wire.Packet | None:
        """Send `pkt` and return the server's reply for its xid (None if none came within `timeout`;
        `expect=False` shortens the wait to 1.5 s: use it where no answer is the expected answer).
        Relayed when giaddr is set; `unicast_to` sends to the server's address from `src_ip` (RENEWING,
        INFORM from a configured client, RELEASE)."""
        self._drain()
        payload = wire.encode(pkt, 576)
        relayed = struct.unpack("!I", pkt.giaddr)[0] != 0
        if relayed:
            frame = build_frame(self.mac, self.server_mac, self.relay_source, self.server_ip, 67, 67, payload)
        elif unicast_to:
            frame = build_frame(self.mac, self.server_mac, src_ip, unicast_to, 68, 67, payload)
        else:
            frame = build_frame(self.mac, BROADCAST_MAC, src_ip, 0xFFFFFFFF, 68, 67, payload)
        self.raw.send(frame)
        return self._reply(pkt.xid, relayed, timeout if expect else min(timeout, 1.5))

    def _reply(self, xid: int, relayed: bool, timeout: float) -> wire.Packet | None:
        deadline = time.monotonic() + timeout
        socks = [self.raw] + ([self.relay_sock] if relayed and self.relay_sock is not None else [])
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select(socks, [], [], left)
            for sock in ready:
                if sock is self.raw:
                    try:
                        frame = self.raw.recv(65535)
                    except BlockingIOError:
                        continue
                    udp = parse_frame(frame, verify_udp_checksum=False)
                    if udp is None or udp.src_port != 67 or udp.dst_port not in (67, 68):
                        continue
                    data = udp.payload
                else:
                    data = sock.recv(65535)
                try:
                    reply = wire.decode(data)
                except DecodeError:
                    continue
                if reply.op == wire.BOOTREPLY and reply.xid == xid:
                    return reply
