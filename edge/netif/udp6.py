"""DHCPv6 server sockets: per interface a link-local socket, a multicast socket and an optional unicast one.

Rules this module keeps:
- As sockets.py: every socket is non-blocking and selectable; `recv()` returns one `RxDatagram6` or None and
  never raises (an error is logged, and remembered in `failure` when it means the interface went away, so
  the socket manager reopens it); `send()` raises OSError for the manager to log.
- Interface indexes are full 32-bit values: the arrival interface is in6_pktinfo.ipi6_ifindex, read as an
  unsigned 32-bit field ("=16sI"), never the socket's own idea of its interface.
- Addresses are 16-byte bytes (datagrams6.py).
- One selectable per interface: `Udp6Interface` puts its two or three sockets in an epoll set and hands
  the event loop the epoll descriptor, which is readable whenever one of them is. So the manager keeps one
  receiver per interface, as for v4.

Theory of operation (Kea 2.2's layout on Linux, checked here in network namespaces):
- the link-local socket is bound to [fe80::x%ifindex]:547. Binding a link-local address with a scope id
  ties the socket to that interface. It receives unicast sent to the link-local address, and every reply
  leaves through it with sendmsg(dst, port, 0, scope id) and IPV6_PKTINFO naming the source address and
  the interface;
- the multicast socket is bound to [ff02::1:2%ifindex]:547 and joins ff02::1:2 on ifindex
  (IPV6_JOIN_GROUP). A socket bound to a unicast address never sees datagrams sent to the group, so this
  second socket is what receives clients' SOLICIT/REQUEST/... and relays' multicast. Observed: without a
  join nothing arrives; the join works on either socket (Kea joins on the link-local one). It is made on
  the socket that receives, so the membership lives and dies with it;
- a unicast socket, for an "eth0/2001:db8::1" entry in interfaces-config (Kea's syntax), is bound to that
  address: relays sending to it, and replies whose source must be it;
- every socket: SO_REUSEADDR and SO_REUSEPORT (Kea sets both; a second server of the same user on the
  same address can therefore share the port), IPV6_V6ONLY, IPV6_RECVPKTINFO. Multicast sockets of several
  interfaces bind the same group and port without conflict: each is tied to its own interface.
"""

from __future__ import annotations

import errno
import logging
import select
import socket
import struct

from edge.netif.datagrams6 import SERVER_PORT, RxDatagram6, Transmit6
from edge.netif.interfaces6 import Interface6
from edge.netif.sockets import INTERFACE_GONE, MSG_TRUNC, RECV_BUFSIZE
from edge.wire.addr import ALL_DHCP_RELAY_AGENTS_AND_SERVERS, ip6_to_bytes, is_link_local6, is_multicast6

log = logging.getLogger("edge.netif")

IPPROTO_IPV6 = int(socket.IPPROTO_IPV6)
IPV6_PKTINFO = int(getattr(socket, "IPV6_PKTINFO", 50))
IPV6_RECVPKTINFO = int(getattr(socket, "IPV6_RECVPKTINFO", 49))
IPV6_JOIN_GROUP = int(getattr(socket, "IPV6_JOIN_GROUP", 20))
IPV6_V6ONLY = int(getattr(socket, "IPV6_V6ONLY", 26))
SO_REUSEPORT = int(getattr(socket, "SO_REUSEPORT", 15))

ALL_DHCP = ip6_to_bytes(ALL_DHCP_RELAY_AGENTS_AND_SERVERS)
_PKTINFO6 = struct.Struct("=16sI")  # struct in6_pktinfo: ipi6_addr, ipi6_ifindex (unsigned int)
_PKTINFO6_SPACE = socket.CMSG_SPACE(_PKTINFO6.size)


def _text(address: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6, address)


class Udp6Socket:
    """One DHCPv6 UDP socket bound to `address`:`port` (scoped to `ifindex` when link-local or multicast)."""

    def __init__(
        self, address: bytes, port: int = SERVER_PORT, *, ifindex: int, ifname: str, join: bool = False
    ) -> None:
        self.address = address
        self.port = port
        self.ifindex = ifindex
        self.ifname = ifname
        self.failure: OSError | None = None
        scope = ifindex if (is_link_local6(address) or is_multicast6(address)) else 0
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_REUSEPORT, 1)
            except OSError as exc:
                if exc.errno != errno.ENOPROTOOPT:  # as Kea: a kernel without it is fine
                    raise
            sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1)
            sock.bind((_text(address), port, 0, scope))
            sock.setsockopt(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
            if join:
                sock.setsockopt(IPPROTO_IPV6, IPV6_JOIN_GROUP, address + struct.pack("@I", ifindex))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._destinations: dict[tuple[bytes, int], tuple[str, int, int, int]] = {}
        self._ancillary: dict[tuple[bytes, int], list[tuple[int, int, bytes]]] = {}

    def fileno(self) -> int:
        return self._sock.fileno()

    def recv(self) -> RxDatagram6 | None:
        try:
            data, ancdata, flags, source = self._sock.recvmsg(RECV_BUFSIZE, _PKTINFO6_SPACE)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            self._note_failure(exc, "receiving")
            return None
        if flags & MSG_TRUNC:
            return None
        ifindex = 0
        dst = self.address
        for level, kind, value in ancdata:
            if level == IPPROTO_IPV6 and kind == IPV6_PKTINFO and len(value) >= _PKTINFO6.size:
                dst, ifindex = _PKTINFO6.unpack_from(value)
        host = source[0]
        if "%" in host:
            host = host.partition("%")[0]
        if ifindex == self.ifindex or ifindex == 0:
            ifname = self.ifname
            ifindex = ifindex or self.ifindex
        else:
            try:
                ifname = socket.if_indextoname(ifindex)
            except OSError:
                ifname = ""
        return RxDatagram6(
            payload=data,
            ifname=ifname,
            ifindex=ifindex,
            src_ip=socket.inet_pton(socket.AF_INET6, host),
            src_port=source[1],
            dst_ip=dst,
            dst_port=self.port,
        )

    def send(self, tx: Transmit6, source: bytes, ifindex: int) -> None:
        """sendmsg `tx` from `source` out of `ifindex` (IPV6_PKTINFO); link-local destinations scoped to it."""
        key = (tx.dst_ip, tx.dst_port)
        destination = self._destinations.get(key)
        if destination is None:
            scope = ifindex if (is_link_local6(tx.dst_ip) or is_multicast6(tx.dst_ip)) else 0
            destination = (_text(tx.dst_ip), tx.dst_port, 0, scope)
            if len(self._destinations) >= 1024:
                self._destinations.clear()
            self._destinations[key] = destination
        akey = (source, ifindex)
        ancillary = self._ancillary.get(akey)
        if ancillary is None:
            ancillary = [(IPPROTO_IPV6, IPV6_PKTINFO, _PKTINFO6.pack(source, ifindex))]
            if len(self._ancillary) >= 64:
                self._ancillary.clear()
            self._ancillary[akey] = ancillary
        try:
            self._sock.sendmsg([tx.payload], ancillary, 0, destination)
        except OSError as exc:
            self._note_failure(exc, "sending")
            raise

    def _note_failure(self, exc: OSError, what: str) -> None:
        if exc.errno in INTERFACE_GONE:
            self.failure = exc
        log.warning(
            "DHCPSRV_RECV_FAIL udp6 socket [%s]:%d on %s (index %d) %s: %s",
            _text(self.address),
            self.port,
            self.ifname,
            self.ifindex,
            what,
            exc,
        )

    def close(self) -> None:
        self._sock.close()

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0

    def __repr__(self) -> str:
        return f"Udp6Socket([{_text(self.address)}%{self.ifindex}]:{self.port})"


class Udp6Interface:
    """The DHCPv6 sockets of one interface behind one selectable (`fileno()` is an epoll descriptor).

    `unicast`: a configured unicast address of this interface to listen on as well (Kea's "eth0/ADDR").
    Raises OSError when the interface has no usable link-local address or a socket cannot be opened
    (nothing stays open then).
    """

    def __init__(self, iface: Interface6, port: int = SERVER_PORT, unicast: bytes | None = None) -> None:
        self.iface = iface
        self.name = iface.name
        self.index = iface.index
        self.port = port
        self.unicast = unicast
        link_local = iface.link_local
        if link_local is None:
            raise OSError(errno.EADDRNOTAVAIL, f"{iface.name} has no usable link-local address")
        self.link_local = link_local
        self.sockets: list[Udp6Socket] = []
        self._epoll: select.epoll | None = None
        try:
            self.link_local_socket = self._add(link_local, False)
            self.multicast_socket = self._add(ALL_DHCP, True) if iface.multicast else None
            self.unicast_socket = self._add(unicast, False) if unicast is not None else None
            self._epoll = select.epoll()
            for sock in self.sockets:
                self._epoll.register(sock.fileno(), select.EPOLLIN)
        except BaseException:
            self.close()
            raise
        self._next = 0

    def _add(self, address: bytes, join: bool) -> Udp6Socket:
        sock = Udp6Socket(address, self.port, ifindex=self.index, ifname=self.name, join=join)
        self.sockets.append(sock)
        return sock

    @property
    def failure(self) -> OSError | None:
        for sock in self.sockets:
            if sock.failure is not None:
                return sock.failure
        return None

    def fileno(self) -> int:
        if self._epoll is None:
            return -1
        return self._epoll.fileno()

    def recv(self) -> RxDatagram6 | None:
        """One datagram from whichever socket has one (taking turns), or None when none has."""
        socks = self.sockets
        n = len(socks)
        start = self._next
        for k in range(n):
            sock = socks[(start + k) % n]
            datagram = sock.recv()
            if datagram is not None:
                self._next = (start + k + 1) % n
                return datagram
        return None

    def send(self, tx: Transmit6) -> None:
        """Send from the unicast socket when `tx.src_ip` is its address, else from the link-local one."""
        source = tx.src_ip if tx.src_ip is not None else self.link_local
        sock = self.link_local_socket
        if self.unicast_socket is not None and source == self.unicast:
            sock = self.unicast_socket
        sock.send(tx, source, self.index)

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        if self._epoll is not None:
            self._epoll.close()

    @property
    def closed(self) -> bool:
        return self._epoll is None or self._epoll.closed

    def __repr__(self) -> str:
        return f"Udp6Interface({self.name!r}, index={self.index}, sockets={self.sockets!r})"
