"""A DHCPv6 client (or relay agent) made of bytes: any message, from a socket in a lab namespace.

Rules this module keeps:
- The bytes sent are exactly the caller's (build them with tests/lab/dhcp6msg.py or by hand); nothing is
  added. As a client the socket is bound to the interface's link-local address port 546 and sends to
  ff02::1:2 port 547 on that interface (or to a unicast address); as a relay agent it is bound to port 547
  (Kea answers relays at their source port) and sends RELAY-FORW to the server's address.
- Replies are matched to the request: a client message by its transaction id, a relayed one by the
  innermost message's transaction id inside a RELAY-REPL. "No reply" costs the given timeout once;
  `expect=False` shortens it for cases where silence is the expected answer.

Theory of operation: `CraftedClient6(lab, ns, ifname).exchange(data)` sends one message and returns the
matching reply as bytes (or None); `send()` + `collect()` give every datagram that came back, for
messages that may draw more than one answer.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import struct
import time

from tests.lab import dhcp6msg
from tests.lab.netns import Lab
from tests.lab.netns6 import ALL_DHCP_RELAY_AGENTS_AND_SERVERS, endpoint6

CLIENT_PORT = 546
SERVER_PORT = 547


def _xid_of(data: bytes) -> bytes | None:
    """The transaction id of a client/server message, or of the innermost one of a relay message."""
    try:
        msg = dhcp6msg.decode(data).innermost()
    except ValueError:
        return None
    return msg.xid.to_bytes(3, "big")


class CraftedClient6:
    def __init__(
        self,
        lab: Lab,
        ns: str,
        ifname: str,
        *,
        relay: bool = False,
        source: str | None = None,
    ) -> None:
        """`relay=True` binds port 547 (a relay agent's); `source` binds that address instead of the
        interface's link-local one (a global address for unicast tests)."""
        self.lab = lab
        self.ns = ns
        self.ifname = ifname
        here = endpoint6(lab, ns, ifname)
        self.ifindex = here.ifindex
        self.link_local = here.link_local
        self.port = SERVER_PORT if relay else CLIENT_PORT
        bind_address = ipaddress.IPv6Address(source) if source else self.link_local
        scope = self.ifindex if bind_address.is_link_local else 0
        with lab.inside(ns):
            self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, self.ifindex)
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
            self.sock.bind((str(bind_address), self.port, 0, scope))
        self.sock.setblocking(False)
        self.source = bind_address

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> CraftedClient6:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _drain(self) -> None:
        while True:
            try:
                self.sock.recv(65535)
            except BlockingIOError:
                return

    def send(self, data: bytes, to: str | None = None, port: int = SERVER_PORT) -> None:
        """Send `data` to `to` (default ff02::1:2 on our interface) port `port`."""
        target = ipaddress.IPv6Address(to) if to else ALL_DHCP_RELAY_AGENTS_AND_SERVERS
        scope = self.ifindex if (target.is_link_local or target.is_multicast) else 0
        self.sock.sendto(data, (str(target), port, 0, scope))

    def collect(self, timeout: float = 1.5) -> list[tuple[bytes, tuple[str, int]]]:
        """Every datagram that arrives within `timeout`: (payload, (source address, source port))."""
        found = []
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                data, address = self.sock.recvfrom(65535)
                found.append((data, (address[0], address[1])))
        return found

    def exchange(
        self,
        data: bytes,
        *,
        to: str | None = None,
        port: int = SERVER_PORT,
        timeout: float = 3.0,
        expect: bool = True,
    ) -> bytes | None:
        """Send `data` and return the first reply with its transaction id (None if none within the wait)."""
        self._drain()
        xid = _xid_of(data)
        self.send(data, to, port)
        self.last_source: tuple[str, int] | None = None
        deadline = time.monotonic() + (timeout if expect else min(timeout, 1.5))
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                continue
            reply, address = self.sock.recvfrom(65535)
            if xid is None or _xid_of(reply) == xid:
                self.last_source = (address[0], address[1])
                return reply
        return None

    def ask(self, msg: dhcp6msg.Message, **kwargs: object) -> dhcp6msg.Message | None:
        """exchange() for a dhcp6msg.Message, decoding the reply."""
        reply = self.exchange(msg.encode(), **kwargs)  # type: ignore[arg-type]
        return dhcp6msg.decode(reply) if reply is not None else None


def xid_bytes(xid: int) -> bytes:
    return struct.pack("!I", xid)[1:]
