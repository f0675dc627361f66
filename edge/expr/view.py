"""What an expression may look at: the PacketView seam between the expression language and each family's
decoded packet.

Rules this module keeps:
- Expressions see a packet only through a view: the shared part (`PacketView`: the arrival interface, the
  packet's length, the classes it is in so far, and the vendor class Kea derives VENDOR_CLASS_<x> from) and
  the family's part. The expression's terms for a family (edge/expr/terms4.py, terms6.py) use only that.
- PacketView4 is the DHCPv4 view, over edge.wire.pkt4.Packet (the v4 engine builds one per request).
- PacketView6 is the DHCPv6 interface; the v6 engine supplies the implementation over its decoded message.
  Relay layers are outermost first (index 0 is the relay that sent the packet to the server), as Kea's
  relay6[N] counts them and as edge.wire.pkt6.Packet6.relays stores them; a layer needs `link_address`,
  `peer_address` (16 bytes each) and `get(code)` (edge.wire.pkt6.Relay has them).
- Views never raise for a malformed packet: a sub-option list that does not parse reads as empty.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from typing import Protocol

from edge.wire import pkt4
from edge.wire.errors import DecodeError

__all__ = ["PacketView", "PacketView4", "PacketView6", "RelayLayer"]


class PacketView:
    """The part of a view both families have."""

    __slots__ = ("ifname", "length", "classes")

    def __init__(self, ifname: str = "", length: int = 0, classes: Container[str] = ()) -> None:
        self.ifname = ifname
        self.length = length
        self.classes = classes

    def vendor_class_id(self) -> bytes | None:
        """What VENDOR_CLASS_<x> is made of (DHCPv4: option 60; DHCPv6: the vendor-class data), or None."""
        raise NotImplementedError


class PacketView4(PacketView):
    """A DHCPv4 request and where it came from."""

    __slots__ = ("packet", "src_ip", "dst_ip", "_subs")

    def __init__(
        self,
        packet: pkt4.Packet,
        ifname: str = "",
        src_ip: int = 0,
        dst_ip: int = 0,
        length: int = 0,
        classes: Container[str] = (),
    ) -> None:
        super().__init__(ifname, length, classes)
        self.packet = packet
        self.src_ip = src_ip
        self.dst_ip = dst_ip
        self._subs: dict[int, dict[int, bytes]] = {}

    def vendor_class_id(self) -> bytes | None:
        return self.packet.options.get(60) or None

    def suboptions(self, code: int) -> dict[int, bytes]:
        """Sub-options of option `code` (first instance of each sub-code); {} when absent or malformed."""
        found = self._subs.get(code)
        if found is None:
            found = {}
            payload = self.packet.options.get(code)
            if payload:
                try:
                    for sub, value in pkt4.parse_suboptions(payload):
                        found.setdefault(sub, value)
                except DecodeError:
                    found = {}
            self._subs[code] = found
        return found


class RelayLayer(Protocol):
    """One relay layer of a DHCPv6 message (edge.wire.pkt6.Relay is one)."""

    @property
    def link_address(self) -> bytes: ...
    @property
    def peer_address(self) -> bytes: ...
    def get(self, code: int, default: bytes | None = None) -> bytes | None: ...


class PacketView6(PacketView):
    """A DHCPv6 message as expressions see it. The v6 engine subclasses this over its decoded message;
    every method is asked per evaluation, so an implementation should answer from what it parsed once."""

    __slots__ = ()

    @property
    def msg_type(self) -> int:
        """pkt6.msgtype: the client message's type (1 SOLICIT ...), not a relay's."""
        raise NotImplementedError

    @property
    def transaction_id(self) -> int:
        """pkt6.transid: the 24-bit transaction id."""
        raise NotImplementedError

    @property
    def src_address(self) -> bytes:
        """pkt.src: the 16-byte source address of the datagram (the relay's, when relayed)."""
        raise NotImplementedError

    @property
    def dst_address(self) -> bytes:
        """pkt.dst: the 16-byte destination address of the datagram."""
        raise NotImplementedError

    def option(self, code: int) -> bytes | None:
        """The payload of the first top-level option `code` of the client message, or None."""
        raise NotImplementedError

    def suboptions(self, code: int) -> Mapping[int, bytes]:
        """The sub-options of the first top-level option `code` (after its fixed fields: IA_NA's IAID/T1/T2,
        IAADDR's address and lifetimes ...), first instance of each sub-code; {} when absent or malformed."""
        raise NotImplementedError

    @property
    def relays(self) -> Sequence[RelayLayer]:
        """The relay layers, outermost first; empty for a message straight from a client."""
        raise NotImplementedError

    def vendor_class_id(self) -> bytes | None:
        """Kea 2.2 (Dhcpv6Srv::classifyByVendor): from the vendor-class option (16), "docsis3.0" or
        "eRouter1.0" when one of its data tuples is that, else its first tuple."""
        payload = self.option(16)
        tuples: list[bytes] = []
        pos = 4  # after the enterprise number
        while payload is not None and pos + 2 <= len(payload):
            size = int.from_bytes(payload[pos : pos + 2], "big")
            data = payload[pos + 2 : pos + 2 + size]
            if len(data) != size:
                break
            tuples.append(data)
            pos += 2 + size
        for docsis in (b"docsis3.0", b"eRouter1.0"):
            if docsis in tuples:
                return docsis
        return tuples[0] if tuples else None
