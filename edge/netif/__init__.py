"""edge.netif: the network interface layer (a thin shell: sockets in, datagrams out).

Public API:
- `scan() -> dict[str, Interface]`: interfaces with full 32-bit indexes, MACs, IPv4 addresses, flags.
- `SocketManager`: opens raw or UDP server sockets on the configured interfaces, retries, re-detects.
- `RawSocket`, `UdpSocket`: the sockets themselves; `RxDatagram` in, `Transmit` out.
- `frames.build_frame` / `frames.parse_frame`, `bpf.dhcp_server_filter`: the raw path's pieces.
"""

from edge.netif.datagrams import BROADCAST_IP, RxDatagram, Transmit
from edge.netif.interfaces import Interface, scan
from edge.netif.manager import SocketManager, parse_interface_specs
from edge.netif.sockets import LinkWatcher, RawSocket, UdpSocket

__all__ = [
    "BROADCAST_IP",
    "Interface",
    "LinkWatcher",
    "RawSocket",
    "RxDatagram",
    "SocketManager",
    "Transmit",
    "UdpSocket",
    "parse_interface_specs",
    "scan",
]
