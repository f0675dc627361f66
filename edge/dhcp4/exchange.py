"""What passes between the server and the DHCPv4 engine, and between the engine's stages, for one packet.

- `Inbound`: where a datagram came from (the server fills it from the socket; addresses as ints).
- `Outbound`: a reply and where it goes (the engine fills it; the server sends it, once durable).
- `Request`: what the pipeline learned about one request (decoded packet, classes, client identity, the
  subnet and reservations) before its message-type handler runs.
"""

from __future__ import annotations

from edge.dhcp4.alloc import ClientIdentity, Exchange
from edge.dhcp4.model import Reservation4, Subnet4
from edge.expr.language import PacketView4
from edge.policy.classify import Classes
from edge.wire import pkt4 as wire
from edge.wire.addr import int_to_ip

BROADCAST = 0xFFFFFFFF
BROADCAST_MAC = b"\xff" * 6
CLIENT_PORT = 68
SERVER_PORT = 67


class Inbound:
    """Where a datagram came from. Addresses are ints; ifindex is a full 32-bit value."""

    __slots__ = ("ifname", "ifindex", "src_ip", "dst_ip", "src_port", "src_mac", "local_addresses")

    def __init__(
        self,
        ifname: str,
        ifindex: int,
        src_ip: int = 0,
        dst_ip: int = BROADCAST,
        src_port: int = CLIENT_PORT,
        src_mac: bytes = b"",
        local_addresses: tuple[int, ...] = (),
    ) -> None:
        self.ifname = ifname
        self.ifindex = ifindex
        self.src_ip = src_ip
        self.dst_ip = dst_ip
        self.src_port = src_port
        self.src_mac = src_mac
        self.local_addresses = local_addresses


class Outbound:
    """A reply and where it goes. `dst_mac` None: let the kernel route it (relay, or a client with an
    address); bytes: send as a link-layer frame to that MAC."""

    __slots__ = (
        "payload",
        "packet",
        "message_type",
        "ifname",
        "src_ip",
        "dst_ip",
        "dst_port",
        "dst_mac",
        "wait_seq",
    )

    def __init__(
        self,
        payload: bytes,
        packet: wire.Packet,
        message_type: int,
        ifname: str,
        src_ip: int,
        dst_ip: int,
        dst_port: int,
        dst_mac: bytes | None,
        wait_seq: int = 0,
    ) -> None:
        self.payload = payload
        self.packet = packet
        self.message_type = message_type
        self.ifname = ifname
        self.src_ip = src_ip
        self.dst_ip = dst_ip
        self.dst_port = dst_port
        self.dst_mac = dst_mac
        # The lease store's change number this reply promises (an ACK): the server sends it only once the
        # store's durable_seq has reached it. 0: nothing to wait for.
        self.wait_seq = wait_seq

    def __repr__(self) -> str:
        return "Outbound(%s to %s:%d mac=%s via %s)" % (
            wire.MESSAGE_TYPE_NAMES.get(self.message_type, self.message_type),
            int_to_ip(self.dst_ip),
            self.dst_port,
            self.dst_mac.hex(":") if self.dst_mac else "-",
            self.ifname,
        )


class Request:
    """One request as the pipeline has learned it so far, handed from stage to stage (Kea's Dhcpv4Exchange)."""

    __slots__ = ("request", "inbound", "view", "classes", "client", "ex", "subnet", "early")

    def __init__(
        self,
        request: wire.Packet,
        inbound: Inbound,
        view: PacketView4,
        classes: Classes,
        client: ClientIdentity,
    ) -> None:
        self.request = request
        self.inbound = inbound
        self.view = view
        self.classes = classes
        self.client = client
        self.ex: Exchange | None = None
        self.subnet: Subnet4 | None = None  # the subnet selected (before the allocator moves in a network)
        self.early: Reservation4 | None = None
