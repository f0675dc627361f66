"""Where a DHCPv4 reply goes (RFC 2131 section 4.1), and the reply's bytes.

Rules:
- To the relay (giaddr, port 67) when the request was relayed; a NAK is broadcast; otherwise to ciaddr
  when the client has one, broadcast when the client asks for it (or has no usable MAC), and else
  unicast to yiaddr at the client's MAC (the raw path's frame needs no ARP entry).
- The message fits the client's maximum message size (option 57, never below 576: RFC 2131 section 2).
- Counted as sent here (pkt4-sent and the per-type counter), when its bytes exist; the server takes the
  count back if it never sends it (a held ACK whose lease could not be made durable).
"""

from __future__ import annotations

import struct

from edge.dhcp4.exchange import BROADCAST, BROADCAST_MAC, CLIENT_PORT, SERVER_PORT, Inbound, Outbound
from edge.stats import Statistics
from edge.wire import pkt4 as wire

_ZERO4 = b"\0\0\0\0"
_SENT_COUNTER = {
    wire.DHCPOFFER: "pkt4-offer-sent",
    wire.DHCPACK: "pkt4-ack-sent",
    wire.DHCPNAK: "pkt4-nak-sent",
}


def _u32(data: bytes) -> int:
    return struct.unpack("!I", data)[0]


def finish(request: wire.Packet, reply: wire.Packet, inbound: Inbound, stats: Statistics) -> Outbound:
    """Encode `reply` (within the client's maximum message size) and say where it goes."""
    msg_type = reply.message_type or 0
    max_size = 576
    asked = request.options.get(wire.OPT_MAX_MSG_SIZE)
    if asked and len(asked) == 2:
        max_size = max(576, struct.unpack("!H", asked)[0])
    payload = wire.encode(reply, max_size)
    giaddr = _u32(reply.giaddr) if reply.giaddr != _ZERO4 else 0
    if giaddr:
        # Back to the relay. On the raw path the request's frame came from the next hop towards giaddr
        # (the relay itself when it is on-link): reply with a frame to that MAC, as Kea's raw socket does,
        # which spares the kernel's routing and neighbour lookup. On the UDP path the kernel routes it.
        src_mac = inbound.src_mac
        dst_ip, dst_port, dst_mac = giaddr, SERVER_PORT, (src_mac if len(src_mac) == 6 else None)
    elif msg_type == wire.DHCPNAK:
        dst_ip, dst_port, dst_mac = BROADCAST, CLIENT_PORT, BROADCAST_MAC
    else:
        ciaddr = _u32(request.ciaddr)
        mac = request.mac if request.htype == 1 and request.hlen == 6 else None
        if ciaddr:
            dst_ip, dst_port, dst_mac = ciaddr, CLIENT_PORT, mac
        elif request.broadcast or mac is None:
            dst_ip, dst_port, dst_mac = BROADCAST, CLIENT_PORT, BROADCAST_MAC
        else:
            dst_ip, dst_port, dst_mac = _u32(reply.yiaddr), CLIENT_PORT, mac
    stats.inc("pkt4-sent")
    counter = _SENT_COUNTER.get(msg_type)
    if counter:
        stats.inc(counter)
    src_ip = _u32(reply.options.get(wire.OPT_SERVER_ID) or b"\0\0\0\0")
    return Outbound(payload, reply, msg_type, inbound.ifname, src_ip, dst_ip, dst_port, dst_mac)
