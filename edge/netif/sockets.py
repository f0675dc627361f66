"""Server sockets: raw AF_PACKET per interface, UDP port 67 (guard or relay-serving), and a link watcher.

Rules this module keeps:
- Every socket is non-blocking and selectable (`fileno()`); `recv()` returns one `RxDatagram` or None, and
  None only ever means "nothing for the engine" (would block, filtered, malformed, or drained). `recv()`
  never raises: an error is logged and, if it means the interface went away, remembered in `failure` so
  the socket manager closes the socket and reopens it when the interface comes back.
- Interface indexes are full 32-bit values all the way: the raw socket reports the index it was opened
  for (checked against the kernel after bind), the UDP socket reads `ipi_ifindex` from IP_PKTINFO as an
  unsigned 32-bit field.
- IPv4 addresses are ints, MACs 6-byte bytes (see datagrams.py).
- A packet is processed exactly once: in raw mode the raw socket is the only reader of port 67; the UDP
  guard socket has a reject-everything BPF filter so it never queues what the raw socket already saw.

Theory of operation:
Raw mode (Kea's default `dhcp-socket-type: raw`) is what lets a server answer clients that have no IP
address: a `RawSocket` is an AF_PACKET/SOCK_RAW socket bound to one interface. It is created with protocol
0 (so it receives nothing yet), gets the DHCP BPF filter, and only then is bound to (interface, ETH_P_IP),
so no unfiltered frame can slip in before the filter is in place. PACKET_AUXDATA tells us, per frame,
whether the kernel left the UDP checksum unfinished (a local sender on a veth or with offload) and
whether the frame carried a VLAN tag (such frames belong to the VLAN interface, not to this one, and are
dropped; priority-tagged frames with VLAN id 0 are kept). Replies are complete Ethernet frames
(frames.build_frame), so a DHCPOFFER can go to the client's MAC with yiaddr as the IP destination.

The kernel still delivers the same datagrams to its UDP stack and, with no socket on port 67, answers
them with ICMP port-unreachable. A `UdpSocket` in guard mode holds 0.0.0.0:67 to stop that; a
REJECT_ALL filter and a minimal receive buffer keep it from ever holding a packet. The guard is also the
socket for routed unicast replies (to a relay or to a client's ciaddr), where the kernel's routing and
ARP are exactly what we want; IP_PKTINFO's `ipi_spec_dst` sets the source address.

UDP mode (`dhcp-socket-type: udp`, relayed traffic only) uses one serving `UdpSocket` per interface,
bound to the configured address (or 0.0.0.0) with SO_BINDTODEVICE, receiving with IP_PKTINFO to learn
the arrival interface and the destination address.

`LinkWatcher` is a NETLINK_ROUTE socket subscribed to link and IPv4 address changes. It carries no data
for the engine; reading it just tells the socket manager "rescan now", so a USB Ethernet adapter that is
plugged in after boot is served at once rather than at the next poll.
"""

from __future__ import annotations

import errno
import logging
import socket
import struct
from typing import Any

from edge.netif import bpf
from edge.netif.datagrams import RxDatagram, Transmit
from edge.netif.frames import BROADCAST_MAC, ETH_P_IP, build_frame, parse_frame
from edge.netif.interfaces import Interface
from edge.wire.addr import int_to_ip

log = logging.getLogger("edge.netif")

SOL_PACKET = getattr(socket, "SOL_PACKET", 263)
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_CSUMNOTREADY = 1 << 3
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_CSUM_VALID = 1 << 7
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
NETLINK_ROUTE = 0
RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100

_AUXDATA = struct.Struct("=IIIHHHH")  # struct tpacket_auxdata
_PKTINFO = struct.Struct("=I4s4s")  # struct in_pktinfo: ipi_ifindex, ipi_spec_dst, ipi_addr
_AUX_SPACE = socket.CMSG_SPACE(_AUXDATA.size)
_PKTINFO_SPACE = socket.CMSG_SPACE(_PKTINFO.size)
RECV_BUFSIZE = 65535
SKIP_LIMIT = 64  # frames not for us read past in one recv() before it gives the loop its turn back
# Plain ints: the socket module's MSG_* constants are IntFlag members, and `flags & socket.MSG_TRUNC` goes
# through enum code on every packet.
MSG_TRUNC = int(socket.MSG_TRUNC)
IPPROTO_IP = int(socket.IPPROTO_IP)

# errno values meaning "the interface under this socket is gone or down": reopen, don't crash.
INTERFACE_GONE = frozenset({errno.ENETDOWN, errno.ENXIO, errno.ENODEV})


class RawSocket:
    """AF_PACKET socket on one interface, filtered to IPv4/UDP to `port`; sends whole Ethernet frames."""

    def __init__(self, iface: Interface, port: int = 67, source_ip: int | None = None) -> None:
        self.iface = iface
        self.name = iface.name
        self.index = iface.index
        self.port = port
        self.source_ip = source_ip if source_ip is not None else (iface.ipv4[0] if iface.addresses else 0)
        self.mac = iface.mac or bytes(6)
        self.failure: OSError | None = None
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        try:
            bpf.attach(sock, bpf.dhcp_server_filter(port))
            try:
                sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            except OSError as exc:
                # qemu-user (the ARM tests in tests/arm) does not emulate SOL_PACKET options. Without
                # auxdata every UDP checksum is verified and VLAN tags go unseen; real kernels have it.
                if exc.errno != errno.ENOPROTOOPT:
                    raise
                log.debug(
                    "DHCPSRV_OPEN_SOCKET %s: no PACKET_AUXDATA here (%s); verifying all checksums",
                    iface.name,
                    exc,
                )
            sock.bind((iface.name, ETH_P_IP))
            sock.setblocking(False)
            actual = socket.if_nametoindex(iface.name)
            if actual != iface.index:
                raise OSError(errno.ENODEV, f"{iface.name} now has index {actual}, expected {iface.index}")
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def fileno(self) -> int:
        return self._sock.fileno()

    def recv(self) -> RxDatagram | None:
        """The next datagram for us, or None once the socket is empty. Frames that are not for us (our own
        replies, seen as PACKET_OUTGOING when they go to port 67 of a relay; VLAN-tagged or damaged ones)
        are read past here, a bounded number per call: returning None for them would end the loop's drain
        of the socket after the first of them, one wake-up per packet again."""
        for _ in range(SKIP_LIMIT):
            try:
                data, ancdata, flags, address = self._sock.recvmsg(RECV_BUFSIZE, _AUX_SPACE)
            except (BlockingIOError, InterruptedError):
                return None
            except OSError as exc:
                self._note_failure(exc)
                return None
            rx = self._datagram(data, ancdata, flags, address)
            if rx is not None:
                return rx
        return None

    def _datagram(self, data: bytes, ancdata: list[Any], flags: int, address: Any) -> RxDatagram | None:
        if flags & MSG_TRUNC or address[2] == PACKET_OUTGOING:
            return None
        verify = True
        for level, kind, value in ancdata:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(value) >= _AUXDATA.size:
                status, _len, _snap, _mac, _net, vlan_tci, _tpid = _AUXDATA.unpack_from(value)
                if status & TP_STATUS_VLAN_VALID and vlan_tci & 0x0FFF:
                    return None  # tagged for a VLAN: that VLAN's interface serves it
                if status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID):
                    verify = False  # partial (local sender) or already verified by the NIC
        frame = parse_frame(data, verify_udp_checksum=verify)
        if frame is None or frame.dst_port != self.port:
            return None
        return RxDatagram(
            payload=frame.payload,
            ifname=self.name,
            ifindex=self.index,
            src_mac=frame.src_mac,
            dst_mac=frame.dst_mac,
            src_ip=frame.src_ip,
            dst_ip=frame.dst_ip,
            src_port=frame.src_port,
            dst_port=frame.dst_port,
        )

    def send(self, tx: Transmit) -> None:
        """Send `tx` as one Ethernet frame from this interface (to ff:ff:ff:ff:ff:ff if it has no dst_mac)."""
        frame = build_frame(
            self.mac,
            tx.dst_mac if tx.dst_mac is not None else BROADCAST_MAC,
            tx.src_ip if tx.src_ip is not None else self.source_ip,
            tx.dst_ip,
            tx.src_port,
            tx.dst_port,
            tx.payload,
        )
        self.send_frame(frame)

    def send_frame(self, frame: bytes) -> None:
        try:
            self._sock.send(frame)
        except OSError as exc:
            self._note_failure(exc)
            raise

    def _note_failure(self, exc: OSError) -> None:
        if exc.errno in INTERFACE_GONE:
            if self.failure is None:
                log.warning(
                    "DHCPSRV_IFACE_SOCKET_ERROR raw socket on %s (index %d): %s", self.name, self.index, exc
                )
            self.failure = exc
        else:
            log.warning("DHCPSRV_RECV_FAIL raw socket on %s (index %d): %s", self.name, self.index, exc)

    def close(self) -> None:
        self._sock.close()

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0

    def __repr__(self) -> str:
        return f"RawSocket({self.name!r}, index={self.index}, port={self.port})"


class UdpSocket:
    """A UDP socket on `port`: a guard (raw mode) or a serving socket (udp mode, relayed traffic).

    guard=True: bound to `address`:port on every interface, receives nothing (REJECT_ALL filter, minimal
    buffer); it exists to keep the port from answering ICMP port-unreachable and to send routed unicasts.
    guard=False: bound to `address`:port, to device `ifname` if given, receiving with IP_PKTINFO.
    """

    def __init__(
        self, port: int = 67, *, ifname: str | None = None, address: int = 0, guard: bool = False
    ) -> None:
        self.port = port
        self.ifname = ifname
        self.address = address
        self.guard = guard
        self.failure: OSError | None = None
        self._pktinfo: dict[tuple[int | None, int], list[tuple[int, int, bytes]]] = {}
        self._destinations: dict[int, str] = {}
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # No SO_REUSEADDR: a second DHCP server on this port must fail to bind, not share it.
            # Serving sockets bound to different devices do not conflict with each other.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            if guard:
                bpf.attach(sock, bpf.REJECT_ALL)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)  # the kernel rounds up to its minimum
            else:
                sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            if ifname:
                sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, ifname.encode())
            sock.bind((int_to_ip(address), port))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def fileno(self) -> int:
        return self._sock.fileno()

    def recv(self) -> RxDatagram | None:
        if self.guard:
            self._drain()
            return None
        try:
            data, ancdata, flags, (src_text, src_port) = self._sock.recvmsg(RECV_BUFSIZE, _PKTINFO_SPACE)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            self._note_failure(exc)
            return None
        if flags & MSG_TRUNC:
            return None
        ifindex = 0
        dst_ip = 0
        for level, kind, value in ancdata:
            if level == IPPROTO_IP and kind == IP_PKTINFO and len(value) >= _PKTINFO.size:
                ifindex, _spec_dst, header_dst = _PKTINFO.unpack_from(value)
                dst_ip = int.from_bytes(header_dst, "big")
        ifname = self.ifname
        if ifname is None:
            try:
                ifname = socket.if_indextoname(ifindex)
            except OSError:
                ifname = ""
        return RxDatagram(
            payload=data,
            ifname=ifname,
            ifindex=ifindex,
            src_mac=None,
            dst_mac=None,
            src_ip=int.from_bytes(socket.inet_aton(src_text), "big"),
            dst_ip=dst_ip,
            src_port=src_port,
            dst_port=self.port,
        )

    def _drain(self) -> None:
        for _ in range(64):
            try:
                self._sock.recv(RECV_BUFSIZE)
            except OSError:
                return

    def send(self, tx: Transmit, ifindex: int = 0) -> None:
        """Send `tx` through the kernel's UDP stack; `tx.src_ip` (if set) becomes the source address."""
        # The control message and the destination text depend on a handful of values (our addresses, the
        # relays): made once each, not per reply.
        key = (tx.src_ip, ifindex)
        ancillary = self._pktinfo.get(key)
        if ancillary is None:
            ancillary = []
            if tx.src_ip is not None or ifindex:
                spec_dst = (tx.src_ip or 0).to_bytes(4, "big")
                ancillary.append((IPPROTO_IP, IP_PKTINFO, _PKTINFO.pack(ifindex, spec_dst, bytes(4))))
            if len(self._pktinfo) >= 64:
                self._pktinfo.clear()
            self._pktinfo[key] = ancillary
        destination = self._destinations.get(tx.dst_ip)
        if destination is None:
            destination = int_to_ip(tx.dst_ip)
            if len(self._destinations) >= 1024:
                self._destinations.clear()
            self._destinations[tx.dst_ip] = destination
        try:
            self._sock.sendmsg([tx.payload], ancillary, 0, (destination, tx.dst_port))
        except OSError as exc:
            self._note_failure(exc)
            raise

    def _note_failure(self, exc: OSError) -> None:
        if exc.errno in INTERFACE_GONE:
            self.failure = exc
        log.warning("DHCPSRV_RECV_FAIL udp socket port %d on %s: %s", self.port, self.ifname or "*", exc)

    def close(self) -> None:
        self._sock.close()

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0

    def __repr__(self) -> str:
        kind = "guard" if self.guard else "serve"
        return f"UdpSocket({kind}, {self.ifname or '*'}, {int_to_ip(self.address)}:{self.port})"


class LinkWatcher:
    """NETLINK_ROUTE listener for link and address changes; `recv()` drains it and sets `changed`.

    `groups`: the multicast groups to join, link and IPv4 address changes by default; the DHCPv6 socket
    manager asks for link and IPv6 address changes (manager6.py).
    """

    def __init__(self, groups: int = RTMGRP_LINK | RTMGRP_IPV4_IFADDR) -> None:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        try:
            sock.bind((0, groups))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self.changed = False

    def fileno(self) -> int:
        return self._sock.fileno()

    def recv(self) -> None:
        while True:
            try:
                if not self._sock.recv(65536):
                    return None
            except (BlockingIOError, InterruptedError):
                return None
            except OSError:
                # ENOBUFS: we missed notifications; a rescan covers whatever they said.
                self.changed = True
                return None
            self.changed = True

    def take_changed(self) -> bool:
        changed, self.changed = self.changed, False
        return changed

    def close(self) -> None:
        self._sock.close()
