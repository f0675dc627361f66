"""IPv4 address text, bytes and 32-bit integers: the one set of conversions every room of the tree uses.

Rules this module keeps:
- Strict dotted-quad text only (no leading zeros, no shorthand); ValueError names the bad value.
- MicroPython subset: no annotations, f-strings, dataclasses, enum, ipaddress.
"""


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
