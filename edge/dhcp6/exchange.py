"""What passes between the server and the DHCPv6 engine for one datagram, and what expressions see of it.

- `Inbound6`: where a datagram came from (the server fills it from the socket; addresses as 16 bytes, the
  arrival interface's full 32-bit index, the interface's own addresses).
- `Outbound6`: a reply and where it goes (the engine fills it; the server sends it once durable).
- `View6`: the expression language's view (edge/expr/view.py PacketView6) over a decoded Packet6.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from edge.expr.view import PacketView6, RelayLayer
from edge.wire import pkt6
from edge.wire.errors import DecodeError
from edge.wire.payloads6 import OPT_IA_NA, OPT_IA_PD, OPT_IA_TA, OPT_IAADDR, OPT_IAPREFIX, parse_options

__all__ = ["Inbound6", "Outbound6", "View6"]

CLIENT_PORT = pkt6.CLIENT_PORT
SERVER_PORT = pkt6.SERVER_PORT


@dataclass(slots=True)
class Inbound6:
    """Where a datagram came from. `dst_ip` tells multicast (ff02::1:2) from unicast; `ifindex` is a full
    32-bit value; `local_addresses` are the arrival interface's own addresses."""

    ifname: str
    ifindex: int
    src_ip: bytes
    src_port: int
    dst_ip: bytes
    local_addresses: tuple[bytes, ...] = ()

    @property
    def multicast(self) -> bool:
        return len(self.dst_ip) == 16 and self.dst_ip[0] == 0xFF


@dataclass(slots=True)
class Outbound6:
    """A reply and where it goes. `src_ip` None: let the socket choose (the link-local socket of `ifname`).
    `wait_seq`: the lease store's change number this reply promises (a REPLY that committed leases); the
    server sends it only once the store's durable_seq has reached it. 0: nothing to wait for."""

    ifname: str
    payload: bytes
    dst_ip: bytes
    dst_port: int
    src_ip: bytes | None
    message_type: int
    packet: pkt6.Packet6
    wait_seq: int = 0

    def __repr__(self) -> str:
        return "Outbound6(%s to [%s]:%d via %s)" % (
            pkt6.MESSAGE_TYPE_NAMES.get(self.message_type, self.message_type),
            self.dst_ip.hex(),
            self.dst_port,
            self.ifname,
        )


# The fixed fields before the sub-options of the options that have them.
_FIXED = {OPT_IA_NA: 12, OPT_IA_PD: 12, OPT_IA_TA: 4, OPT_IAADDR: 24, OPT_IAPREFIX: 25, 17: 4}


class View6(PacketView6):
    """A decoded DHCPv6 message and where it came from, as expressions see it."""

    __slots__ = ("packet", "inbound", "_subs")

    def __init__(self, packet: pkt6.Packet6, inbound: Inbound6, length: int) -> None:
        super().__init__(inbound.ifname, length)
        self.packet = packet
        self.inbound = inbound
        self._subs: dict[int, dict[int, bytes]] = {}

    @property
    def msg_type(self) -> int:
        return int(self.packet.msg_type)

    @property
    def transaction_id(self) -> int:
        return int(self.packet.transaction_id)

    @property
    def src_address(self) -> bytes:
        return self.inbound.src_ip

    @property
    def dst_address(self) -> bytes:
        return self.inbound.dst_ip

    def option(self, code: int) -> bytes | None:
        payload = self.packet.get(code)
        return None if payload is None else bytes(payload)

    def suboptions(self, code: int) -> Mapping[int, bytes]:
        found = self._subs.get(code)
        if found is None:
            found = {}
            payload = self.packet.get(code)
            if payload is not None:
                try:
                    for sub, value in parse_options(payload, _FIXED.get(code, 0), len(payload)):
                        found.setdefault(sub, bytes(value))
                except DecodeError:
                    found = {}
            self._subs[code] = found
        return found

    @property
    def relays(self) -> Sequence[RelayLayer]:
        return self.packet.relays
