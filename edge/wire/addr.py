"""Address text, bytes and integers: the one set of conversions every room of the tree uses.

Rules this module keeps:
- IPv4: strict dotted-quad text only (no leading zeros, no shorthand); ValueError names the bad value.
- IPv6: RFC 4291 s2.2 text in (any case, "::", a trailing dotted quad), RFC 5952 canonical text out;
  16 bytes on the wire; no zone ("%eth0") here, that belongs to the socket layer.
- MicroPython subset: no annotations, f-strings, dataclasses, enum, ipaddress.
"""

from edge.wire.types import ipv6_bytes_to_text, ipv6_text_to_bytes

# RFC 8415 s7.1
ALL_DHCP_RELAY_AGENTS_AND_SERVERS = "ff02::1:2"
ALL_DHCP_SERVERS = "ff05::1:3"


def ip_to_bytes(text):
    """ "192.0.2.1" -> b"\\xc0\\x00\\x02\\x01"; ValueError when not a dotted quad."""
    if not isinstance(text, str):
        raise ValueError("IPv4 address must be text, not %r" % (text,))
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError("%r is not an IPv4 address" % text)
    out = bytearray(4)
    for i in range(4):
        p = parts[i]
        if p == "" or len(p) > 3 or (len(p) > 1 and p[0] == "0"):
            raise ValueError("%r is not an IPv4 address" % text)
        for c in p:
            if c < "0" or c > "9":
                raise ValueError("%r is not an IPv4 address" % text)
        n = int(p)
        if n > 255:
            raise ValueError("%r is not an IPv4 address" % text)
        out[i] = n
    return bytes(out)


def bytes_to_ip(b):
    """4 bytes -> "192.0.2.1"; ValueError for any other length."""
    if not isinstance(b, (bytes, bytearray)) or len(b) != 4:
        raise ValueError("an IPv4 address is 4 bytes, not %r" % (b,))
    return "%d.%d.%d.%d" % (b[0], b[1], b[2], b[3])


def ip_to_int(text):
    """ "192.0.2.1" -> 3221225985; the one text->int helper of the tree."""
    b = ip_to_bytes(text)
    return b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]


def int_to_ip(n):
    """3221225985 -> "192.0.2.1"; the one int->text helper of the tree."""
    if type(n) is not int or n < 0 or n > 0xFFFFFFFF:  # a plain int in range passes one test
        if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > 0xFFFFFFFF:
            raise ValueError("%r is not a 32-bit address" % (n,))
    return "%d.%d.%d.%d" % (n >> 24, n >> 16 & 255, n >> 8 & 255, n & 255)


# ---------------------------------------------------------------- IPv6


def ip6_to_bytes(text):
    """ "2001:db8::1" -> 16 bytes; ValueError when not an IPv6 address."""
    if not isinstance(text, str):
        raise ValueError("IPv6 address must be text, not %r" % (text,))
    b = ipv6_text_to_bytes(text)
    if b is None:
        raise ValueError("%r is not an IPv6 address" % text)
    return b


def bytes_to_ip6(b):
    """16 bytes -> RFC 5952 text ("2001:db8::1"); ValueError for any other length."""
    if not isinstance(b, (bytes, bytearray)) or len(b) != 16:
        raise ValueError("an IPv6 address is 16 bytes, not %r" % (b,))
    return ipv6_bytes_to_text(b)


def ip6_to_int(text):
    """ "::1" -> 1: the 128-bit integer of an IPv6 address."""
    return int.from_bytes(ip6_to_bytes(text), "big")


def int_to_ip6(n):
    """1 -> "::1"."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n >> 128:
        raise ValueError("%r is not a 128-bit address" % (n,))
    return ipv6_bytes_to_text(n.to_bytes(16, "big"))


def is_link_local6(b):
    """fe80::/10 (RFC 4291 s2.5.6), for 16 address bytes."""
    return len(b) == 16 and b[0] == 0xFE and b[1] & 0xC0 == 0x80


def is_multicast6(b):
    """ff00::/8, for 16 address bytes."""
    return len(b) == 16 and b[0] == 0xFF


def is_unspecified6(b):
    """::, for 16 address bytes."""
    return len(b) == 16 and b == bytes(16)
