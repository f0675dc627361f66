"""The two values that cross the netif boundary for DHCPv6: a received datagram and a datagram to transmit.

Rules this module keeps:
- IPv6 addresses are 16-byte `bytes` (as edge.wire.pkt6 holds them), interface indexes full 32-bit ints.
- Plain immutable tuples, like datagrams.py's v4 pair: cheap on the hot path, easy to compare in tests, free
  of socket state. The v6 engine reads `RxDatagram6` and fills `Transmit6`; it never sees a socket.
"""

from __future__ import annotations

from typing import NamedTuple

CLIENT_PORT = 546
SERVER_PORT = 547


class RxDatagram6(NamedTuple):
    """One UDP datagram received on a DHCPv6 server socket.

    `dst_ip` is the IPv6 header's destination from IPV6_PKTINFO: ff02::1:2 for a client's multicast, our
    link-local or a configured unicast address otherwise (the engine drops unicast from direct clients as
    Kea does). `ifindex` is the arrival interface from the same control message, unsigned 32 bits.
    """

    payload: bytes
    ifname: str
    ifindex: int
    src_ip: bytes
    src_port: int
    dst_ip: bytes
    dst_port: int = SERVER_PORT


class Transmit6(NamedTuple):
    """One reply to send, as the engine addressed it (RFC 8415 s18.3, s19.3).

    - direct clients: their source address (usually link-local) and port 546;
    - relays: their source address and port 547 (or the RFC 8357 relay-source-port).
    - `src_ip` None: the interface's link-local address (or the configured unicast address the request
      came to, which the engine passes here).
    """

    payload: bytes
    dst_ip: bytes
    dst_port: int = CLIENT_PORT
    src_ip: bytes | None = None
