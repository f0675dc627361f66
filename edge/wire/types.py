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


def get_type(name, types=None):
    """The codec for a Kea type name (in ``types``, TYPES by default); None when unknown or "record"."""
    return (types or TYPES).get(name)
