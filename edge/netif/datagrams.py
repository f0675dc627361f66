"""The two values that cross the netif boundary: a received datagram and a datagram to transmit.

Rules this module keeps:
- IPv4 addresses are ints, MAC addresses 6-byte `bytes`, interface indexes full 32-bit ints.
- These are plain immutable tuples: cheap to make on the hot path, easy to compare in tests, and free of
  any socket state. The engine reads `RxDatagram` and fills `Transmit`; it never sees a socket.
"""

from __future__ import annotations

from typing import NamedTuple

BROADCAST_IP = 0xFFFFFFFF


class RxDatagram(NamedTuple):
    """One UDP datagram received on a server socket.

    `src_mac`/`dst_mac` are the Ethernet addresses on the raw path and None on the UDP path (the kernel does
    not tell a UDP socket). `dst_ip` is the IP header's destination: 255.255.255.255 for a client's
    broadcast, one of our addresses for relayed or unicast traffic.
    """

    payload: bytes
    ifname: str
    ifindex: int
    src_mac: bytes | None
    dst_mac: bytes | None
    src_ip: int
    dst_ip: int
    src_port: int
    dst_port: int


class Transmit(NamedTuple):
    """One reply to send, as the engine addressed it (RFC 2131 §4.1).

    - `dst_mac` set: the raw path sends a frame straight to that MAC (e.g. a client with no address yet).
    - `dst_mac` None and `dst_ip` a broadcast address: the raw path sends to ff:ff:ff:ff:ff:ff.
    - `dst_mac` None otherwise: a routed unicast (a relay's giaddr, a client's ciaddr) that goes out through
      the kernel's UDP stack, which routes it and resolves the MAC with ARP.
    - `src_ip` None: the address of the outgoing interface (the spec's address if one was configured).
    """

    payload: bytes
    dst_ip: int
    dst_port: int = 68
    dst_mac: bytes | None = None
    src_ip: int | None = None
    src_port: int = 67
