"""edge.netif: the network interface layer (a thin shell: sockets in, datagrams out).

Public API:
- `scan() -> dict[str, Interface]`: interfaces with full 32-bit indexes, MACs, IPv4 addresses, flags.
- `SocketManager`: opens raw or UDP server sockets on the configured interfaces, retries, re-detects.
- `RawSocket`, `UdpSocket`: the sockets themselves; `RxDatagram` in, `Transmit` out.
- `frames.build_frame` / `frames.parse_frame`, `bpf.dhcp_server_filter`: the raw path's pieces.
- DHCPv6: `scan6() -> dict[str, Interface6]`, `Socket6Manager` (the same lifecycle on port 547),
  `Udp6Interface` (link-local, ff02::1:2 and optional unicast sockets of one interface), `RxDatagram6` in,
  `Transmit6` out, `parse_interface_specs6`.
"""

from edge.netif.datagrams import BROADCAST_IP, RxDatagram, Transmit
from edge.netif.datagrams6 import RxDatagram6, Transmit6
from edge.netif.interfaces import Interface, scan
from edge.netif.interfaces6 import Interface6, scan6
from edge.netif.manager import SocketManager, parse_interface_specs
from edge.netif.manager6 import Socket6Manager, parse_interface_specs6
from edge.netif.sockets import LinkWatcher, RawSocket, UdpSocket
from edge.netif.udp6 import Udp6Interface

__all__ = [
    "BROADCAST_IP",
    "Interface",
    "Interface6",
    "LinkWatcher",
    "RawSocket",
    "RxDatagram",
    "RxDatagram6",
    "Socket6Manager",
    "SocketManager",
    "Transmit",
    "Transmit6",
    "Udp6Interface",
    "UdpSocket",
    "parse_interface_specs",
    "parse_interface_specs6",
    "scan",
    "scan6",
]
