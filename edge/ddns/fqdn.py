"""The Client FQDN option (DHCPv4 option 81, RFC 4702): flags, two RCODE bytes and a domain name.

Rules this module keeps:
- Flags are the low four bits: S (0x01) the server should do the A update, O (0x02) the server overrode
  the client's S, E (0x04) the name is in DNS wire format, N (0x08) the server should do no updates. The
  other bits must be zero; a client's are ignored, ours are always zero.
- With E set the name is a sequence of DNS labels; a name that ends with the zero-length root label is
  fully qualified, one that stops without it is partial (RFC 4702 section 2.3.1). With E clear the name is
  ASCII text (deprecated, still sent by clients such as busybox udhcpc); text ending in "." is fully
  qualified. Compression pointers, labels over 63 octets and names over 255 octets are malformed.
- `decode` raises FqdnError (a ValueError) for anything malformed and never anything else; `encode` of a
  decoded value gives the same bytes back (for names in canonical form), which the tests check.

A reply copies the client's encoding (E) and, as Kea 2.2 does, its RCODE bytes; the name in a reply is
always fully qualified.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FLAG_E", "FLAG_N", "FLAG_O", "FLAG_S", "ClientFqdn", "FqdnError", "decode", "encode", "labels_of"]

OPTION_CODE = 81
FLAG_S = 0x01
FLAG_O = 0x02
FLAG_E = 0x04
FLAG_N = 0x08
FLAG_MASK = 0x0F
MAX_NAME = 255
MAX_LABEL = 63


class FqdnError(ValueError):
    """Option 81 data that cannot be a client FQDN."""


@dataclass(frozen=True, slots=True)
class ClientFqdn:
    flags: int
    name: str  # dotted text without the trailing dot ("" for an empty name)
    full: bool  # fully qualified (ended with the root label / a dot)
    rcode1: int = 0
    rcode2: int = 0

    @property
    def s(self) -> bool:
        return bool(self.flags & FLAG_S)

    @property
    def n(self) -> bool:
        return bool(self.flags & FLAG_N)

    @property
    def e(self) -> bool:
        return bool(self.flags & FLAG_E)


def labels_of(name: str) -> list[str]:
    """'a.b.' or 'a.b' -> ['a', 'b']; '' -> []. Raises FqdnError for empty or oversized labels."""
    text = name[:-1] if name.endswith(".") else name
    if not text:
        return []
    parts = text.split(".")
    for part in parts:
        if not part:
            raise FqdnError(f'"{name}" has an empty label')
        if len(part.encode("latin-1", "replace")) > MAX_LABEL:
            raise FqdnError(f'"{name}" has a label longer than {MAX_LABEL} octets')
    return parts


def decode(data: bytes) -> ClientFqdn:
    if len(data) < 3:
        raise FqdnError(f"option 81 needs at least 3 octets (flags and two RCODEs), got {len(data)}")
    flags = data[0] & FLAG_MASK
    if flags & FLAG_N and flags & FLAG_S:
        raise FqdnError("the N and S flags are both set (RFC 4702 forbids it)")
    rest = data[3:]
    if flags & FLAG_E:
        name, full = _decode_wire(rest)
    else:
        text = rest.rstrip(b"\x00").decode("latin-1")
        full = text.endswith(".")
        name = text[:-1] if full else text
        labels_of(name)  # validates
    if len(name) + 2 > MAX_NAME:
        raise FqdnError(f"the name is longer than {MAX_NAME} octets")
    return ClientFqdn(flags, name, full, data[1], data[2])


def _decode_wire(data: bytes) -> tuple[str, bool]:
    labels: list[str] = []
    i = 0
    while i < len(data):
        length = data[i]
        if length == 0:
            if i != len(data) - 1:
                raise FqdnError("octets after the root label")
            return ".".join(labels), True
        if length > MAX_LABEL:
            raise FqdnError(f"label length {length} (compression pointers are not allowed here)")
        if i + 1 + length > len(data):
            raise FqdnError("a label runs past the end of the option")
        labels.append(data[i + 1 : i + 1 + length].decode("latin-1"))
        i += 1 + length
    return ".".join(labels), False  # no root label: a partial name


def encode(flags: int, name: str, full: bool, rcode1: int = 0, rcode2: int = 0) -> bytes:
    """The option 81 payload. `name` is dotted text (a trailing dot is ignored; `full` decides)."""
    labels = labels_of(name)
    head = bytes([flags & FLAG_MASK, rcode1 & 0xFF, rcode2 & 0xFF])
    if flags & FLAG_E:
        body = b"".join(bytes([len(label)]) + label.encode("latin-1") for label in labels)
        if full:
            body += b"\x00"
    else:
        text = ".".join(labels)
        body = (text + "." if full and text else text).encode("latin-1")
    return head + body
