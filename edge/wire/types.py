"""Option data types: a registry of tiny codecs, one per Kea option data type.

Rules this module keeps:
- One small class per Kea data type, each with the same four methods, like
  dnspython's rdata classes:
      from_wire(data) -> value      to_wire(value) -> bytes
      from_text(text) -> value      to_text(value) -> str
  plus ``read(buf, pos, end) -> (value, pos)``, which consumes one item from a
  buffer so arrays and records can be built out of single items.
- For every type, to_text(from_wire(w)) parses back with from_text to a value
  whose to_wire is w again (text and wire round-trip); the only exceptions are
  documented normalisations (string drops trailing NULs as RFC 2132 s2 and Kea
  do; classless routes zero the host bits of a destination as RFC 3442 asks).
- Wire errors raise DecodeError("bad-option-data"); text errors raise
  OptionTextError with a message that says what is wrong.  Nothing else escapes.
- Text is one field of Kea's csv-format ``data``: the caller (options.py)
  splits on unescaped commas, strips blanks and escapes commas again when it
  joins fields, so a type's text here never carries csv escapes.  Types marked
  ``whole_text`` (classless-route, vivso) take the whole, unsplit data string.
- MicroPython subset: no annotations, f-strings, ipaddress, enum or dataclasses.

DHCPv6 uses TYPES6: the same codecs but a tuple with a 16-bit length.

Values: binary -> bytes; boolean -> bool; empty -> None; fqdn -> str (dotted,
no trailing dot, "." for the root); ipv4-address / ipv6-address -> str in
canonical form; ipv6-prefix -> (str, int); psid -> (psid, length); string and
tuple -> str; integers -> int; classless-route -> list of (dest, width, router);
vivso -> list of (enterprise-number, bytes).  Records are lists of field values
and live in options.py, which knows the field types.
"""

import struct

from edge.wire.errors import DecodeError, OptionTextError

_HEXDIGITS = "0123456789abcdefABCDEF"
_DIGITS = "0123456789"


def _bad(msg):
    return DecodeError("bad-option-data", msg)


# ---------------------------------------------------------------- helpers


def hex_to_bytes(text):
    """Kea's binary text: "0A0B", "0a:0b", "0a 0b", "0x0a0b" (odd length: leading 0).

    Colon- or blank-separated groups are one or two hex digits each ("a:b" is
    0a 0b); a run of digits may carry a 0x prefix and an odd count of digits
    gets a leading zero, as Kea does.  An empty string is zero bytes.
    """
    if not isinstance(text, str):
        raise OptionTextError("hex data must be a string")
    text = text.strip()
    if text == "":
        return b""
    if ":" in text or " " in text or "\t" in text:
        if ":" in text:
            if " " in text or "\t" in text:
                raise OptionTextError("hex data mixes ':' and blank separators: %r" % text)
            groups = text.split(":")
        else:
            groups = text.split()
        out = bytearray()
        for g in groups:
            if len(g) == 0 or len(g) > 2:
                raise OptionTextError("hex octet %r must be one or two hex digits" % g)
            out.append(_hex_int(g, text))
        return bytes(out)
    if text[:2] in ("0x", "0X"):
        text = text[2:]
        if text == "":
            raise OptionTextError("'0x' without hex digits")
    if len(text) % 2:
        text = "0" + text
    out = bytearray()
    for i in range(0, len(text), 2):
        out.append(_hex_int(text[i : i + 2], text))
    return bytes(out)


def _hex_int(digits, whole):
    for c in digits:
        if c not in _HEXDIGITS:
            raise OptionTextError("%r is not hexadecimal (in %r)" % (digits, whole))
    return int(digits, 16)


def bytes_to_hex(data):
    """Lower-case hex without separators: the canonical binary text."""
    return "".join(["%02x" % b for b in data])


def parse_int(text, lo, hi, what):
    """Decimal or 0x-prefixed hex integer within [lo, hi] (Kea accepts both)."""
    t = text.strip()
    neg = False
    if t[:1] == "-":
        neg = True
        t = t[1:]
    if t[:2] in ("0x", "0X"):
        body = t[2:]
        if body == "" or any([c not in _HEXDIGITS for c in body]):
            raise OptionTextError("%r is not a valid %s" % (text, what))
        n = int(body, 16)
    else:
        if t == "" or any([c not in _DIGITS for c in t]):
            raise OptionTextError("%r is not a valid %s" % (text, what))
        n = int(t)
    if neg:
        n = -n
    if n < lo or n > hi:
        raise OptionTextError("%s %s is out of range %d..%d" % (what, text.strip(), lo, hi))
    return n


def ipv4_text_to_bytes(text):
    """Dotted quad -> 4 bytes; None when the text is not one (no leading zeros)."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    out = bytearray(4)
    for i in range(4):
        p = parts[i]
        if p == "" or len(p) > 3:
            return None
        for c in p:
            if c not in _DIGITS:
                return None
        if len(p) > 1 and p[0] == "0":
            return None
        n = int(p)
        if n > 255:
            return None
        out[i] = n
    return bytes(out)


def ipv4_bytes_to_text(b):
    return "%d.%d.%d.%d" % (b[0], b[1], b[2], b[3])


def ipv6_text_to_bytes(text):
    """RFC 4291 s2.2 text (with '::' and a trailing dotted quad) -> 16 bytes, or None."""
    if text.count("::") > 1 or text == "":
        return None
    tail4 = b""
    if "." in text:
        cut = text.rfind(":")
        if cut < 0:
            return None
        tail4 = ipv4_text_to_bytes(text[cut + 1 :])
        if tail4 is None:
            return None
        text = text[: cut + 1] + "0:0"
    if "::" in text:
        left, right = text.split("::")
        lg = left.split(":") if left else []
        rg = right.split(":") if right else []
        missing = 8 - len(lg) - len(rg)
        if missing < 1:
            return None
        groups = lg + ["0"] * missing + rg
    else:
        groups = text.split(":")
    if len(groups) != 8:
        return None
    out = bytearray()
    for g in groups:
        if g == "" or len(g) > 4:
            return None
        for c in g:
            if c not in _HEXDIGITS:
                return None
        n = int(g, 16)
        out.append(n >> 8)
        out.append(n & 0xFF)
    if tail4:
        out[12:16] = tail4
    return bytes(out)


def ipv6_bytes_to_text(b):
    """RFC 5952 canonical text: lower case, no leading zeros, longest zero run as '::'."""
    groups = [(b[i] << 8) | b[i + 1] for i in range(0, 16, 2)]
    best_at, best_len, run_at, run_len = -1, 0, -1, 0
    for i in range(8):
        if groups[i] == 0:
            if run_len == 0:
                run_at = i
            run_len += 1
            if run_len > best_len:
                best_at, best_len = run_at, run_len
        else:
            run_len = 0
    if best_len < 2:
        return ":".join(["%x" % g for g in groups])
    left = ":".join(["%x" % g for g in groups[:best_at]])
    right = ":".join(["%x" % g for g in groups[best_at + best_len :]])
    return left + "::" + right


def _utf8(text):
    return text.encode("utf-8")


def escape_csv(text):
    """Escape commas so the text survives Kea's csv split ("," -> "\\,")."""
    if "," not in text:
        return text
    return text.replace(",", "\\,")


# ---------------------------------------------------------------- base


class DataType:
    """One Kea option data type; subclasses fill in read/to_wire/from_text/to_text."""

    name = ""
    size = None  # fixed wire size in bytes, None when variable
    rest = False  # consumes the remainder of its buffer (binary, string)
    whole_text = False  # takes the whole data string, not one csv field
    arrayable = True

    def read(self, buf, pos, end):
        raise NotImplementedError

    def from_wire(self, data):
        value, pos = self.read(data, 0, len(data))
        if pos != len(data):
            raise _bad("%s: %d trailing bytes" % (self.name, len(data) - pos))
        return value

    def to_wire(self, value):
        raise NotImplementedError

    def from_text(self, text):
        raise NotImplementedError

    def to_text(self, value):
        raise NotImplementedError

    def __repr__(self):
        return "<option type %s>" % self.name


class _Int(DataType):
    def __init__(self, name, fmt, size, lo, hi):
        self.name = name
        self.fmt = fmt
        self.size = size
        self.lo = lo
        self.hi = hi

    def read(self, buf, pos, end):
        if end - pos < self.size:
            raise _bad("%s needs %d bytes, %d left" % (self.name, self.size, end - pos))
        return struct.unpack_from(self.fmt, buf, pos)[0], pos + self.size

    def to_wire(self, value):
        if not isinstance(value, int) or isinstance(value, bool) or value < self.lo or value > self.hi:
            raise OptionTextError("%r is not a %s" % (value, self.name))
        return struct.pack(self.fmt, value)

    def from_text(self, text):
        return parse_int(text, self.lo, self.hi, self.name)

    def to_text(self, value):
        return "%d" % value


class Boolean(DataType):
    name = "boolean"
    size = 1

    def read(self, buf, pos, end):
        if end - pos < 1:
            raise _bad("boolean needs 1 byte")
        b = buf[pos]
        if b > 1:
            raise _bad("boolean octet must be 0 or 1, not %d" % b)
        return b == 1, pos + 1

    def to_wire(self, value):
        return b"\x01" if value else b"\x00"

    def from_text(self, text):
        t = text.strip().lower()
        if t in ("true", "1"):
            return True
        if t in ("false", "0"):
            return False
        raise OptionTextError("%r is not a boolean (true, false, 1 or 0)" % text)

    def to_text(self, value):
        return "true" if value else "false"


class Empty(DataType):
    name = "empty"
    size = 0
    arrayable = False

    def read(self, buf, pos, end):
        return None, pos

    def to_wire(self, value):
        return b""

    def from_text(self, text):
        if text.strip() != "":
            raise OptionTextError("an empty option takes no data, got %r" % text)
        return None

    def to_text(self, value):
        return ""


class Binary(DataType):
    name = "binary"
    rest = True
    arrayable = False

    def read(self, buf, pos, end):
        return bytes(buf[pos:end]), end

    def to_wire(self, value):
        return bytes(value)

    def from_text(self, text):
        return hex_to_bytes(text)

    def to_text(self, value):
        return bytes_to_hex(value)


class String(DataType):
    """NVT/UTF-8 text.  Trailing NULs are dropped on read (RFC 2132 s2, as Kea does)."""

    name = "string"
    rest = True
    arrayable = False

    def read(self, buf, pos, end):
        stop = end
        while stop > pos and buf[stop - 1] == 0:
            stop -= 1
        raw = bytes(buf[pos:stop])
        try:
            return raw.decode("utf-8"), end
        except UnicodeError:
            raise _bad("string is not valid UTF-8") from None

    def to_wire(self, value):
        return _utf8(value)

    def from_text(self, text):
        return text

    def to_text(self, value):
        return value


class Tuple(DataType):
    """A length field then that many octets of text: 8-bit length in DHCPv4, 16-bit in DHCPv6.

    Kea's "tuple" is one type whose length width follows the universe (RFC
    3925 vendor class data in v4, RFC 8415 s21.16 opaque data in v6); the
    DHCPv4 table is TYPES, the DHCPv6 one TYPES6 (the same but this width).
    """

    name = "tuple"

    def __init__(self, width=1):
        self.width = width
        self.limit = 0xFF if width == 1 else 0xFFFF

    def read(self, buf, pos, end):
        w = self.width
        if end - pos < w:
            raise _bad("tuple needs a %d-octet length" % w)
        n = buf[pos] if w == 1 else (buf[pos] << 8) | buf[pos + 1]
        if pos + w + n > end:
            raise _bad("tuple of %d octets runs past the option" % n)
        raw = bytes(buf[pos + w : pos + w + n])
        try:
            return raw.decode("utf-8"), pos + w + n
        except UnicodeError:
            raise _bad("tuple is not valid UTF-8") from None

    def to_wire(self, value):
        raw = _utf8(value)
        n = len(raw)
        if n > self.limit:
            raise OptionTextError("tuple text longer than %d octets" % self.limit)
        if self.width == 1:
            return bytes((n,)) + raw
        return bytes((n >> 8, n & 0xFF)) + raw

    def from_text(self, text):
        if len(_utf8(text)) > self.limit:
            raise OptionTextError("tuple text longer than %d octets" % self.limit)
        return text

    def to_text(self, value):
        return value


class IPv4Address(DataType):
    name = "ipv4-address"
    size = 4

    def read(self, buf, pos, end):
        if end - pos < 4:
            raise _bad("ipv4-address needs 4 bytes, %d left" % (end - pos))
        return ipv4_bytes_to_text(buf[pos : pos + 4]), pos + 4

    def to_wire(self, value):
        b = ipv4_text_to_bytes(value)
        if b is None:
            raise OptionTextError("%r is not an IPv4 address" % (value,))
        return b

    def from_text(self, text):
        t = text.strip()
        if ipv4_text_to_bytes(t) is None:
            raise OptionTextError("%r is not an IPv4 address" % text)
        return t

    def to_text(self, value):
        return value


class IPv6Address(DataType):
    name = "ipv6-address"
    size = 16

    def read(self, buf, pos, end):
        if end - pos < 16:
            raise _bad("ipv6-address needs 16 bytes, %d left" % (end - pos))
        return ipv6_bytes_to_text(buf[pos : pos + 16]), pos + 16

    def to_wire(self, value):
        b = ipv6_text_to_bytes(value)
        if b is None:
            raise OptionTextError("%r is not an IPv6 address" % (value,))
        return b

    def from_text(self, text):
        b = ipv6_text_to_bytes(text.strip())
        if b is None:
            raise OptionTextError("%r is not an IPv6 address" % text)
        return ipv6_bytes_to_text(b)

    def to_text(self, value):
        return value


class IPv6Prefix(DataType):
    """Prefix length octet, then the ceil(len/8) significant octets of the prefix."""

    name = "ipv6-prefix"

    def read(self, buf, pos, end):
        if pos >= end:
            raise _bad("ipv6-prefix needs a length octet")
        plen = buf[pos]
        if plen > 128:
            raise _bad("ipv6-prefix length %d > 128" % plen)
        n = (plen + 7) // 8
        if pos + 1 + n > end:
            raise _bad("ipv6-prefix runs past the option")
        addr = bytearray(16)
        addr[:n] = buf[pos + 1 : pos + 1 + n]
        _mask_bits(addr, plen)
        return (ipv6_bytes_to_text(addr), plen), pos + 1 + n

    def to_wire(self, value):
        addr, plen = value
        b = ipv6_text_to_bytes(addr)
        if b is None or plen < 0 or plen > 128:
            raise OptionTextError("%r is not an IPv6 prefix" % (value,))
        n = (plen + 7) // 8
        raw = bytearray(b)
        _mask_bits(raw, plen)
        return bytes((plen,)) + bytes(raw[:n])

    def from_text(self, text):
        t = text.strip()
        if "/" not in t:
            raise OptionTextError("%r is not an IPv6 prefix (address/length)" % text)
        addr, plen = t.split("/", 1)
        plen = parse_int(plen, 0, 128, "prefix length")
        b = ipv6_text_to_bytes(addr.strip())
        if b is None:
            raise OptionTextError("%r is not an IPv6 address" % addr)
        raw = bytearray(b)
        _mask_bits(raw, plen)
        return (ipv6_bytes_to_text(raw), plen)

    def to_text(self, value):
        return "%s/%d" % (value[0], value[1])


def _mask_bits(buf, width):
    """Zero every bit of buf past the first ``width`` bits."""
    for i in range(len(buf)):
        keep = width - 8 * i
        if keep >= 8:
            continue
        if keep <= 0:
            buf[i] = 0
        else:
            buf[i] &= (0xFF << (8 - keep)) & 0xFF


class PSID(DataType):
    """RFC 7597 PSID: length octet, then a 16-bit field holding the PSID left-aligned."""

    name = "psid"
    size = 3

    def read(self, buf, pos, end):
        if end - pos < 3:
            raise _bad("psid needs 3 bytes")
        plen = buf[pos]
        field = (buf[pos + 1] << 8) | buf[pos + 2]
        if plen > 16:
            raise _bad("psid length %d > 16" % plen)
        if plen == 0:
            if field:
                raise _bad("psid bits set with a zero psid length")
            return (0, 0), pos + 3
        if field & ((1 << (16 - plen)) - 1):
            raise _bad("psid has bits set past its length")
        return (field >> (16 - plen), plen), pos + 3

    def to_wire(self, value):
        psid, plen = value
        if plen < 0 or plen > 16 or psid < 0 or (psid >= (1 << plen) and psid != 0):
            raise OptionTextError("psid %r does not fit in %r bits" % (psid, plen))
        return struct.pack("!BH", plen, psid << (16 - plen))

    def from_text(self, text):
        t = text.strip()
        if "/" not in t:
            raise OptionTextError("%r is not a psid (psid/length)" % text)
        a, b = t.split("/", 1)
        plen = parse_int(b, 0, 16, "psid length")
        psid = parse_int(a, 0, 0xFFFF, "psid")
        if psid >= (1 << plen) and psid != 0:
            raise OptionTextError("psid %d does not fit in %d bits" % (psid, plen))
        return (psid, plen)

    def to_text(self, value):
        return "%d/%d" % (value[0], value[1])


class FQDN(DataType):
    """RFC 1035 s3.1 name: length-prefixed labels ending in the zero-length root.

    Reading follows RFC 1035 s4.1.4 compression pointers, which RFC 3397
    (domain-search, 119) uses; pointer offsets count from the start of the
    option data and must point backwards, so a malicious loop cannot form.
    Writing never compresses (clients must accept plain names).
    """

    name = "fqdn"

    def read(self, buf, pos, end, base=0):
        labels = []
        total = 1
        after = -1  # where reading resumes once a pointer was followed
        limit = end
        while True:
            if pos >= limit:
                raise _bad("fqdn runs past the option (no root label)")
            n = buf[pos]
            if n == 0:
                pos += 1
                break
            if n & 0xC0 == 0xC0:
                if pos + 1 >= limit:
                    raise _bad("fqdn compression pointer is cut short")
                target = base + (((n & 0x3F) << 8) | buf[pos + 1])
                if after < 0:
                    after = pos + 2
                if target >= pos or target < base:
                    raise _bad("fqdn compression pointer does not point backwards")
                # a pointer may only land inside data already known to be labels
                limit = pos
                pos = target
                continue
            if n & 0xC0:
                raise _bad("fqdn label type 0x%02x is not supported" % (n & 0xC0))
            if pos + 1 + n > limit:
                raise _bad("fqdn label runs past the option")
            total += n + 1
            if total > 255:
                raise _bad("fqdn longer than 255 octets")
            labels.append(bytes(buf[pos + 1 : pos + 1 + n]))
            pos += 1 + n
        if after >= 0:
            pos = after
        return _labels_to_text(labels), pos

    def to_wire(self, value):
        out = bytearray()
        for label in _text_to_labels(value):
            out.append(len(label))
            out += label
        out.append(0)
        return bytes(out)

    def from_text(self, text):
        return _labels_to_text(_text_to_labels(text.strip()))

    def to_text(self, value):
        return value


_NAME_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*/+=!#$%&'?@^`{|}~:<>[]"


def _labels_to_text(labels):
    if not labels:
        return "."
    parts = []
    for label in labels:
        s = []
        for b in label:
            c = chr(b)
            if c in _NAME_PLAIN:
                s.append(c)
            elif c in '."();':
                s.append("\\" + c)
            else:
                s.append("\\%03d" % b)
        parts.append("".join(s))
    return ".".join(parts)


def _text_to_labels(text):
    """Presentation name (\\. and \\DDD escapes allowed) -> list of label bytes."""
    if text in ("", "."):
        return []
    labels = []
    cur = bytearray()
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 < n and text[i + 1] in _DIGITS:
                d = text[i + 1 : i + 4]
                if len(d) != 3 or any([x not in _DIGITS for x in d]) or int(d) > 255:
                    raise OptionTextError("bad escape \\%s in name %r" % (d, text))
                cur.append(int(d))
                i += 4
                continue
            if i + 1 >= n:
                raise OptionTextError("name %r ends in a lone backslash" % text)
            cur += _utf8(text[i + 1])
            i += 2
            continue
        if c == ".":
            if len(cur) == 0:
                raise OptionTextError("empty label in name %r" % text)
            labels.append(bytes(cur))
            cur = bytearray()
            i += 1
            if i == n:
                break  # absolute name: trailing dot
            continue
        cur += _utf8(c)
        i += 1
    if len(cur):
        labels.append(bytes(cur))
    total = 1
    for label in labels:
        if len(label) > 63:
            raise OptionTextError("label longer than 63 octets in name %r" % text)
        total += len(label) + 1
    if total > 255:
        raise OptionTextError("name %r is longer than 255 octets" % text)
    return labels


class ClasslessRoute(DataType):
    """RFC 3442 option 121: (width, significant octets of destination, router) repeated.

    Text takes Kea >= 2.6 syntax "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 192.0.2.1"
    or, when there is no '-', the raw option as hex (Kea's older form).
    """

    name = "classless-route"
    whole_text = True
    arrayable = False

    def read(self, buf, pos, end):
        routes = []
        if pos >= end:
            raise _bad("classless-static-route needs at least one route")
        while pos < end:
            width = buf[pos]
            if width > 32:
                raise _bad("classless route width %d > 32" % width)
            n = (width + 7) // 8
            if pos + 1 + n + 4 > end:
                raise _bad("classless route runs past the option")
            dest = bytearray(4)
            dest[:n] = buf[pos + 1 : pos + 1 + n]
            _mask_bits(dest, width)
            router = buf[pos + 1 + n : pos + 5 + n]
            routes.append((ipv4_bytes_to_text(dest), width, ipv4_bytes_to_text(router)))
            pos += 5 + n
        return routes, pos

    def to_wire(self, value):
        out = bytearray()
        for dest, width, router in value:
            d = ipv4_text_to_bytes(dest)
            r = ipv4_text_to_bytes(router)
            if d is None or r is None or width < 0 or width > 32:
                raise OptionTextError("bad classless route %r" % ((dest, width, router),))
            n = (width + 7) // 8
            raw = bytearray(d)
            _mask_bits(raw, width)
            out.append(width)
            out += raw[:n]
            out += r
        return bytes(out)

    def from_text(self, text):
        t = text.strip()
        if "-" not in t:
            try:
                return self.from_wire(hex_to_bytes(t))
            except DecodeError as e:
                raise OptionTextError("hex classless-static-route is malformed: %s" % e.message) from None
        routes = []
        for item in t.split(","):
            item = item.strip()
            parts = item.split("-")
            if len(parts) != 2 or "/" not in parts[0]:
                raise OptionTextError("route %r is not 'prefix/width - router'" % item)
            net = parts[0].strip()
            router = parts[1].strip()
            addr, width = net.split("/", 1)
            width = parse_int(width, 0, 32, "route prefix width")
            d = ipv4_text_to_bytes(addr.strip())
            if d is None:
                raise OptionTextError("route destination %r is not an IPv4 address" % addr)
            if ipv4_text_to_bytes(router) is None:
                raise OptionTextError("route router %r is not an IPv4 address" % router)
            raw = bytearray(d)
            _mask_bits(raw, width)
            routes.append((ipv4_bytes_to_text(raw), width, router))
        if not routes:
            raise OptionTextError("classless-static-route needs at least one route")
        return routes

    def to_text(self, value):
        return ", ".join(["%s/%d - %s" % (d, w, r) for d, w, r in value])


class Vivso(DataType):
    """RFC 3925 option 125: (enterprise-number, data-len, data) blocks.

    Kea types this option uint32 (its text is the enterprise number and the
    sub-options come from the vendor's own space).  Text here: comma-separated
    blocks, each "ENTERPRISE" or "ENTERPRISE HEXDATA"; "4491" is Kea's form and
    writes 00 00 11 8b 00.
    """

    name = "vivso"
    whole_text = True
    arrayable = False

    def read(self, buf, pos, end):
        blocks = []
        if pos >= end:
            raise _bad("vivso needs at least one enterprise block")
        while pos < end:
            if end - pos < 5:
                raise _bad("vivso block is cut short")
            ent = struct.unpack_from("!I", buf, pos)[0]
            n = buf[pos + 4]
            if pos + 5 + n > end:
                raise _bad("vivso data runs past the option")
            blocks.append((ent, bytes(buf[pos + 5 : pos + 5 + n])))
            pos += 5 + n
        return blocks, pos

    def to_wire(self, value):
        out = bytearray()
        for ent, data in value:
            if len(data) > 255:
                raise OptionTextError("vivso data for enterprise %d longer than 255" % ent)
            out += struct.pack("!IB", ent, len(data))
            out += data
        return bytes(out)

    def from_text(self, text):
        blocks = []
        for item in text.split(","):
            item = item.strip()
            if item == "":
                raise OptionTextError("empty vivso block in %r" % text)
            if " " in item:
                ent, hexdata = item.split(" ", 1)
            else:
                ent, hexdata = item, ""
            ent = parse_int(ent, 0, 0xFFFFFFFF, "enterprise number")
            data = hex_to_bytes(hexdata)
            if len(data) > 255:
                raise OptionTextError("vivso data for enterprise %d longer than 255" % ent)
            blocks.append((ent, data))
        return blocks

    def to_text(self, value):
        out = []
        for ent, data in value:
            out.append("%d %s" % (ent, bytes_to_hex(data)) if data else "%d" % ent)
        return ", ".join(out)


# ---------------------------------------------------------------- DNR (RFC 9463)

# SvcParamKeys (RFC 9460 s14.3.2, RFC 9461): the registry's names, and the three DNR carries.
_SVC_KEYS = {
    "mandatory": 0,
    "alpn": 1,
    "no-default-alpn": 2,
    "port": 3,
    "ipv4hint": 4,
    "ech": 5,
    "ipv6hint": 6,
    "dohpath": 7,
    "ohttp": 8,
}
_SVC_NAMES = {}
for _k in _SVC_KEYS:
    _SVC_NAMES[_SVC_KEYS[_k]] = _k
_SVC_DNR = (1, 3, 7)  # alpn, port, dohpath, in the increasing order the wire wants
# IANA TLS ALPN protocol ids (the registry Kea checks alpn values against)
_ALPN_IDS = (
    "http/0.9 http/1.0 http/1.1 spdy/1 spdy/2 spdy/3 stun.turn stun.nat-discovery h2 h2c webrtc "
    "c-webrtc ftp imap pop3 managesieve coap xmpp-client xmpp-server acme-tls/1 mqtt dot ntske/1 "
    "sunrpc h3 smb irc nntp nnsp doq sip/2 tds/8.0 dicom"
).split(" ")


def _split_escaped(text, sep):
    """Split on ``sep`` unless written "\\" + sep (which becomes sep); other backslashes stay."""
    out = []
    cur = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] == sep:
            cur.append(sep)
            i += 2
            continue
        if c == sep:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def _svc_key_check(key, where):
    """SvcParamKey number -> its name, or OptionTextError when DNR cannot carry it."""
    name = _SVC_NAMES.get(key)
    if name is None:
        raise OptionTextError("%s: SvcParamKey %d is not in the SvcParamKeys registry" % (where, key))
    if key in (4, 6):
        raise OptionTextError("%s: SvcParam %s must not be used in DNR (RFC 9463 s3.1.8)" % (where, name))
    if key not in _SVC_DNR:
        raise OptionTextError(
            "%s: SvcParam %s is not supported in DNR (alpn, port, dohpath are)" % (where, name)
        )
    return name


def _svc_check(params, where):
    """Cross-parameter rules on [(key, value bytes)] in wire order (RFC 9460 s2.2, RFC 9461 s5)."""
    http = False
    keys = [k for k, v in params]
    for k, v in params:
        if k == 1:
            for alpn in _alpn_ids(v, where):
                if alpn not in _ALPN_IDS:
                    raise OptionTextError(
                        "%s: alpn id %r is not in the TLS ALPN protocol ids registry" % (where, alpn)
                    )
                if alpn[:1] == "h":
                    http = True
        elif k == 3:
            if len(v) != 2:
                raise OptionTextError("%s: port value is %d bytes, not 2" % (where, len(v)))
        elif k == 7:
            try:
                path = v.decode("utf-8")
            except UnicodeError:
                raise OptionTextError("%s: dohpath is not UTF-8" % where) from None
            for c in path:
                if c in " \t\r\n":
                    raise OptionTextError(
                        "%s: dohpath %r holds a blank (a URI template has none)" % (where, path)
                    )
            if "{?dns}" not in path:
                raise OptionTextError("%s: dohpath %r has no {?dns} variable (RFC 9461 s5)" % (where, path))
    if http and 7 not in keys:
        raise OptionTextError(
            "%s: alpn names an HTTP protocol, so dohpath must be given (RFC 9461 s5)" % where
        )


def _alpn_ids(v, where):
    ids = []
    i = 0
    while i < len(v):
        n = v[i]
        if n == 0 or i + 1 + n > len(v):
            raise OptionTextError("%s: alpn value is malformed" % where)
        ids.append(v[i + 1 : i + 1 + n].decode("utf-8", "replace"))
        i += 1 + n
    if not ids:
        raise OptionTextError("%s: alpn needs at least one protocol id" % where)
    return ids


class Dnr(DataType):
    """RFC 9463 encrypted DNS: v4-dnr (162, ``Dnr(4)``) and v6-dnr (144, ``Dnr(6)``).

    Value: a list of instances (priority, adn, [addresses], [(svc key, value bytes)]); v6 has
    exactly one.  ``adn`` is the name without its trailing dot; an instance with no addresses
    is ADN-only (and then has no SvcParams).  Wire, per instance:
      v4: instance-len(2) priority(2) adn-len(1) adn [addr-len(1) addrs svcparams]
      v6:                 priority(2) adn-len(2) adn [addr-len(2) addrs svcparams]
    SvcParams are key(2) length(2) value, keys increasing.  Text is Kea's (>= 2.5) notation:
      "100, dot.example., 192.0.2.1 192.0.2.2, alpn=dot\\,h2 port=853 dohpath=/q{?dns} | 200, b.example."
    instances split on "|" (v4 only), fields on ",", addresses and SvcParams on blanks, and
    "\\," / "\\|" keep a literal comma / bar.
    """

    name = "dnr"
    whole_text = True
    arrayable = False

    def __init__(self, family):
        self.family = family
        self._alen = 4 if family == 4 else 16
        self._lfmt = "!B" if family == 4 else "!H"
        self._lsize = 1 if family == 4 else 2

    # -- wire

    def _where(self, i):
        return "DNR instance %d" % i if self.family == 4 else "DNR"

    def read(self, buf, pos, end):
        instances = []
        i = 0
        while pos < end or not instances:
            i += 1
            if self.family == 4:
                if end - pos < 2:
                    raise _bad("v4-dnr instance %d: length is cut short" % i)
                iend = pos + 2 + struct.unpack_from("!H", buf, pos)[0]
                pos += 2
                if iend > end:
                    raise _bad("v4-dnr instance %d runs past the option" % i)
            else:
                iend = end
            inst, pos = self._read_one(buf, pos, iend, i)
            if pos != iend:
                raise _bad("DNR instance %d: %d bytes left over" % (i, iend - pos))
            instances.append(inst)
            if self.family == 6:
                break
        return instances, pos

    def _read_one(self, buf, pos, end, i):
        ls = self._lsize
        if end - pos < 2 + ls:
            raise _bad("DNR instance %d is shorter than priority and ADN length" % i)
        prio = struct.unpack_from("!H", buf, pos)[0]
        n = struct.unpack_from(self._lfmt, buf, pos + 2)[0]
        pos += 2 + ls
        if n <= 1:
            raise _bad("DNR instance %d has no authentication domain name" % i)
        if pos + n > end:
            raise _bad("DNR instance %d: ADN runs past the instance" % i)
        raw = bytes(buf[pos : pos + n])
        adn, after = FQDN().read(raw, 0, n)
        if after != n or FQDN().to_wire(adn) != raw:
            raise _bad("DNR instance %d: ADN is not one uncompressed name" % i)
        pos += n
        if pos == end:
            return (prio, adn, [], []), pos
        if end - pos < ls:
            raise _bad("DNR instance %d: address length is cut short" % i)
        n = struct.unpack_from(self._lfmt, buf, pos)[0]
        pos += ls
        if n == 0 or n % self._alen or pos + n > end:
            raise _bad(
                "DNR instance %d: address length %d is not a positive multiple of %d inside the instance"
                % (i, n, self._alen)
            )
        addrs = []
        while n:
            b = bytes(buf[pos : pos + self._alen])
            addrs.append(ipv4_bytes_to_text(b) if self.family == 4 else ipv6_bytes_to_text(b))
            pos += self._alen
            n -= self._alen
        params = []
        last = -1
        while pos < end:
            if end - pos < 4:
                raise _bad("DNR instance %d: SvcParam header is cut short" % i)
            key, vlen = struct.unpack_from("!HH", buf, pos)
            pos += 4
            if pos + vlen > end:
                raise _bad("DNR instance %d: SvcParam %d runs past the instance" % (i, key))
            if key <= last:
                raise _bad("DNR instance %d: SvcParamKeys are not in increasing order" % i)
            last = key
            params.append((key, bytes(buf[pos : pos + vlen])))
            pos += vlen
        try:
            for key, _v in params:
                _svc_key_check(key, self._where(i))
            _svc_check(params, self._where(i))
        except OptionTextError as e:
            raise _bad(e.message) from None
        return (prio, adn, addrs, params), pos

    def to_wire(self, value):
        out = bytearray()
        for prio, adn, addrs, params in value:
            body = bytearray(struct.pack("!H", prio))
            name = FQDN().to_wire(adn)
            body += struct.pack(self._lfmt, len(name))
            body += name
            if addrs:
                raw = bytearray()
                for a in addrs:
                    raw += ipv4_text_to_bytes(a) if self.family == 4 else ipv6_text_to_bytes(a)
                body += struct.pack(self._lfmt, len(raw))
                body += raw
                for key, v in sorted(params):
                    body += struct.pack("!HH", key, len(v))
                    body += v
            if self.family == 4:
                out += struct.pack("!H", len(body))
            out += body
        return bytes(out)

    # -- text

    def from_text(self, text):
        parts = _split_escaped(text, "|") if self.family == 4 else [text]
        instances = []
        for i in range(len(parts)):
            instances.append(self._one_from_text(parts[i], i + 1))
        return instances

    def _one_from_text(self, text, i):
        where = self._where(i)
        if text.strip() == "":
            raise OptionTextError("%s is empty (instances are separated by '|')" % where)
        fields = [f.strip() for f in _split_escaped(text, ",")]
        if len(fields) < 2:
            raise OptionTextError(
                "%s: needs at least 'service priority, ADN', got %r" % (where, text.strip())
            )
        if len(fields) > 4:
            raise OptionTextError(
                "%s: has %d fields; at most 4: service priority, ADN, addresses, SvcParams"
                " (escape a comma inside alpn as \\\\,)" % (where, len(fields))
            )
        prio = parse_int(fields[0], 0, 0xFFFF, "%s service priority" % where)
        if fields[1] in ("", "."):
            raise OptionTextError("%s: the authentication domain name (ADN) is missing" % where)
        try:
            adn = FQDN().from_text(fields[1])
        except OptionTextError as e:
            raise OptionTextError("%s: ADN: %s" % (where, e.message)) from None
        addrs = []
        params = []
        if len(fields) > 2:
            kind = "IPv4" if self.family == 4 else "IPv6"
            for a in fields[2].split():
                b = ipv4_text_to_bytes(a) if self.family == 4 else ipv6_text_to_bytes(a)
                if b is None:
                    raise OptionTextError("%s: %r is not an %s address" % (where, a, kind))
                addrs.append(ipv4_bytes_to_text(b) if self.family == 4 else ipv6_bytes_to_text(b))
            if not addrs:
                raise OptionTextError(
                    "%s: the addresses field is empty (give at least one %s address,"
                    " or only 'priority, ADN' for ADN-only mode)" % (where, kind)
                )
        if len(fields) > 3:
            params = self._params_from_text(fields[3], where)
        self._check_lengths(addrs, params, where)
        return (prio, adn, addrs, params)

    def _params_from_text(self, text, where):
        got = {}
        for item in text.split():
            if "=" not in item:
                raise OptionTextError("%s: SvcParam %r is not key=value" % (where, item))
            key, val = item.split("=", 1)
            if key not in _SVC_KEYS:
                raise OptionTextError(
                    "%s: unknown SvcParam key %r (DNR takes alpn, port, dohpath)" % (where, key)
                )
            num = _SVC_KEYS[key]
            _svc_key_check(num, where)
            if num in got:
                raise OptionTextError("%s: SvcParam %s is given twice" % (where, key))
            if val == "":
                raise OptionTextError("%s: SvcParam %s has an empty value" % (where, key))
            if num == 1:
                raw = bytearray()
                for alpn in val.split(","):
                    b = _utf8(alpn)
                    if len(b) == 0 or len(b) > 255:
                        raise OptionTextError("%s: alpn id %r must be 1..255 bytes" % (where, alpn))
                    raw.append(len(b))
                    raw += b
                got[num] = bytes(raw)
            elif num == 3:
                got[num] = struct.pack("!H", parse_int(val, 0, 0xFFFF, "%s port" % where))
            else:
                got[num] = _utf8(val)
        if not got:
            raise OptionTextError("%s: the SvcParams field is empty" % where)
        params = [(k, got[k]) for k in sorted(got.keys())]
        _svc_check(params, where)
        return params

    def _check_lengths(self, addrs, params, where):
        # v4: addr-len is one octet; instance-len, v6 addr-len and SvcParam lengths two
        if len(addrs) * self._alen > (255 if self.family == 4 else 0xFFFF):
            raise OptionTextError(
                "%s: %d addresses do not fit the address length field" % (where, len(addrs))
            )
        for k, v in params:
            if len(v) > 0xFFFF:
                raise OptionTextError("%s: SvcParam %s is longer than 65535 bytes" % (where, _SVC_NAMES[k]))

    def to_text(self, value):
        out = []
        for prio, adn, addrs, params in value:
            name = adn + "."
            if self.family == 4:
                name = name.replace("|", "\\|")
            fields = ["%d" % prio, name]
            if addrs:
                fields.append(" ".join(addrs))
            if params:
                ps = []
                for key, v in params:
                    if key == 1:
                        t = ",".join(_alpn_ids(v, "DNR"))
                    elif key == 3:
                        t = "%d" % struct.unpack("!H", v)[0]
                    else:
                        t = v.decode("utf-8")
                    t = t.replace(",", "\\,")
                    if self.family == 4:
                        t = t.replace("|", "\\|")
                    ps.append(_SVC_NAMES[key] + "=" + t)
                fields.append(" ".join(ps))
            out.append(", ".join(fields))
        return " | ".join(out)


# ---------------------------------------------------------------- registry

TYPES = {}


def register(t):
    TYPES[t.name] = t
    return t


for _t in (
    Binary(),
    Boolean(),
    Empty(),
    FQDN(),
    IPv4Address(),
    IPv6Address(),
    IPv6Prefix(),
    PSID(),
    String(),
    Tuple(),
    _Int("uint8", "!B", 1, 0, 0xFF),
    _Int("uint16", "!H", 2, 0, 0xFFFF),
    _Int("uint32", "!I", 4, 0, 0xFFFFFFFF),
    _Int("int8", "!b", 1, -0x80, 0x7F),
    _Int("int16", "!h", 2, -0x8000, 0x7FFF),
    _Int("int32", "!i", 4, -0x80000000, 0x7FFFFFFF),
    ClasslessRoute(),
    Vivso(),
    Dnr(4),
):
    register(_t)

# "record" is a type name too, but its codec is built per definition (options.py).
TYPE_NAMES = tuple(sorted(list(TYPES.keys()) + ["record"]))

# DHCPv6's table: the same codecs, except that a tuple's length is 16 bits (RFC 8415 s21.16,
# Kea's OpaqueDataTuple in the V6 universe).  options6 builds its definitions from it.
TYPES6 = {}
for _name in TYPES:
    TYPES6[_name] = TYPES[_name]
TYPES6["tuple"] = Tuple(2)
TYPES6["dnr"] = Dnr(6)
