"""DHCPv6 option lists and the option payloads that have structure: IAs, addresses, prefixes, status codes,
vendor options, opaque-data lists, client FQDN, link-layer address, remote-id, PD exclude.

Rules this module keeps:
- An option list is a Python list of (code, payload) pairs in wire order.  Repeated codes stay as
  separate pairs in their order (a message may carry several IA_NA, an IA_NA several IAADDR); nothing is
  merged or sorted.  DHCPv6 options are a 16-bit code, a 16-bit length and the payload (RFC 8415 s21.1),
  with no pad or end option, at every level: message, relay layer and encapsulated sub-options.
- Parsers raise DecodeError and nothing else: "suboption-overrun" when sub-options inside an option do
  not tile it exactly, "bad-option-data" when the fixed part is cut short or malformed.  Builders raise
  EncodeError (or ValueError for a bad argument) and never produce what the parser would refuse.
- Addresses and prefixes are 16 bytes, as on the wire (addr.ip6_to_bytes / bytes_to_ip6 convert).
- MicroPython subset: no annotations, f-strings, dataclasses or enum.

Theory of operation.  ``parse_options`` is the one TLV loop; pkt6 uses it for messages and relay layers
(with its own reasons), the classes here for what is inside an option.  ``OptionList`` gives every
holder of an option list (Packet6, Relay, IA, IAAddress, IAPrefix) the same get/get_all/add/set/remove.
IA, IAAddress and IAPrefix parse their fixed fields at once and keep their sub-options as pairs, parsed
further only when asked (``addresses()``, ``prefixes()``, ``status()``).
"""

import struct

from edge.wire.errors import DecodeError, EncodeError
from edge.wire.types import _labels_to_text, _text_to_labels

OPT_IA_NA = 3
OPT_IA_TA = 4
OPT_IAADDR = 5
OPT_STATUS_CODE = 13
OPT_IA_PD = 25
OPT_IAPREFIX = 26
OPT_PD_EXCLUDE = 67

# RFC 8415 s21.13 and Kea's dhcp6.h
STATUS_SUCCESS = 0
STATUS_UNSPEC_FAIL = 1
STATUS_NO_ADDRS_AVAIL = 2
STATUS_NO_BINDING = 3
STATUS_NOT_ON_LINK = 4
STATUS_USE_MULTICAST = 5
STATUS_NO_PREFIX_AVAIL = 6
STATUS_UNKNOWN_QUERY_TYPE = 7
STATUS_MALFORMED_QUERY = 8
STATUS_NOT_CONFIGURED = 9
STATUS_NOT_ALLOWED = 10

STATUS_NAMES = {
    STATUS_SUCCESS: "Success",
    STATUS_UNSPEC_FAIL: "UnspecFail",
    STATUS_NO_ADDRS_AVAIL: "NoAddrsAvail",
    STATUS_NO_BINDING: "NoBinding",
    STATUS_NOT_ON_LINK: "NotOnLink",
    STATUS_USE_MULTICAST: "UseMulticast",
    STATUS_NO_PREFIX_AVAIL: "NoPrefixAvail",
    STATUS_UNKNOWN_QUERY_TYPE: "UnknownQueryType",
    STATUS_MALFORMED_QUERY: "MalformedQuery",
    STATUS_NOT_CONFIGURED: "NotConfigured",
    STATUS_NOT_ALLOWED: "NotAllowed",
}

# client-fqdn (39) flags, RFC 4704 s4.1
FQDN_FLAG_S = 0x01  # the server should do the AAAA update
FQDN_FLAG_O = 0x02  # the server overrode the client's S
FQDN_FLAG_N = 0x04  # no updates at all
FQDN_FLAGS_MBZ = 0xF8  # must be zero

INFINITY = 0xFFFFFFFF  # a lifetime that never ends (RFC 8415 s7.7)


def _sub(msg):
    return DecodeError("suboption-overrun", msg)


def _bad(msg):
    return DecodeError("bad-option-data", msg)


# ---------------------------------------------------------------- option lists


def parse_options(data, start=0, end=None, where="option"):
    """data[start:end] as 16-bit TLVs -> [(code, payload), ...]; DecodeError("suboption-overrun")."""
    if end is None:
        end = len(data)
    out = []
    i = start
    while i < end:
        if end - i < 4:
            raise _sub(
                "%d stray bytes at offset %d of the %s, not a whole option header" % (end - i, i, where)
            )
        code = (data[i] << 8) | data[i + 1]
        j = i + 4 + ((data[i + 2] << 8) | data[i + 3])
        if j > end:
            raise _sub("option %d (length %d) at offset %d runs past the %s" % (code, j - i - 4, i, where))
        out.append((code, bytes(data[i + 4 : j])))
        i = j
    return out


def check_option(code, payload):
    """(code, payload) as bytes, or EncodeError when either cannot go on the wire."""
    if type(code) is not int or code < 0 or code > 0xFFFF:
        raise EncodeError("option code %r is not in 0..65535" % (code,), "bad-option")
    if type(payload) is not bytes:
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise EncodeError(
                "option %d payload must be bytes, not %s" % (code, type(payload).__name__), "bad-option"
            )
        payload = bytes(payload)
    if len(payload) > 0xFFFF:
        raise EncodeError("option %d is %d bytes, more than 65535" % (code, len(payload)), "too-big")
    return payload


def build_options(pairs):
    """[(code, payload), ...] -> the TLV bytes, in the order given.  EncodeError for a bad pair."""
    out = bytearray()
    for code, payload in pairs:
        payload = check_option(code, payload)
        out += struct.pack("!HH", code, len(payload))
        out += payload
    return bytes(out)


def tlv(code, payload):
    """One option's bytes: code, length, payload."""
    payload = check_option(code, payload)
    return struct.pack("!HH", code, len(payload)) + payload


class OptionList:
    """get / get_all / add / set / remove over ``self.options``, a list of (code, payload) pairs."""

    def get(self, code, default=None):
        """The payload of the first option ``code``, or default."""
        for c, p in self.options:
            if c == code:
                return p
        return default

    def get_all(self, code):
        """Payloads of every option ``code``, in order."""
        return [p for c, p in self.options if c == code]

    def add(self, code, payload):
        """Append one option (repeats are kept)."""
        self.options.append((code, check_option(code, payload)))

    def set(self, code, payload):
        """Make ``code`` appear once with this payload: the first instance is replaced where it stands and
        the others dropped; appended when absent."""
        payload = check_option(code, payload)
        out = []
        done = False
        for c, p in self.options:
            if c == code:
                if not done:
                    out.append((c, payload))
                    done = True
            else:
                out.append((c, p))
        if not done:
            out.append((code, payload))
        self.options = out

    def remove(self, code):
        """Drop every option ``code``; returns how many there were."""
        before = len(self.options)
        self.options = [(c, p) for c, p in self.options if c != code]
        return before - len(self.options)

    def codes(self):
        return [c for c, _ in self.options]

    def __contains__(self, code):
        for c, _ in self.options:
            if c == code:
                return True
        return False

    def status(self):
        """(status code, message) of the first status-code option here, or None."""
        p = self.get(OPT_STATUS_CODE)
        return None if p is None else parse_status(p)


def _u32(n, what):
    if type(n) is not int or n < 0 or n > 0xFFFFFFFF:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > 0xFFFFFFFF:
            raise EncodeError("%s %r is not in 0..4294967295" % (what, n), "bad-field")
    return n


def _addr16(b, what):
    if not isinstance(b, (bytes, bytearray)) or len(b) != 16:
        raise EncodeError("%s must be 16 bytes, not %r" % (what, b), "bad-field")
    return bytes(b)


def _copy_options(options):
    return [] if options is None else [(c, check_option(c, p)) for c, p in options]


# ---------------------------------------------------------------- IA_NA, IA_TA, IA_PD


class IA(OptionList):
    """An identity association: IA_NA (3) or IA_PD (25) with iaid, T1, T2; IA_TA (4) with iaid only.

    ``options`` are its sub-options: IAADDR (IA_NA, IA_TA) or IAPREFIX (IA_PD), status code, others.
    """

    def __init__(self, code=OPT_IA_NA, iaid=0, t1=0, t2=0, options=None):
        if code not in (OPT_IA_NA, OPT_IA_TA, OPT_IA_PD):
            raise ValueError("option %r is not an IA (3, 4 or 25)" % (code,))
        self.code = code
        self.iaid = iaid
        self.t1 = t1
        self.t2 = t2
        self.options = _copy_options(options)

    @classmethod
    def from_payload(cls, code, payload):
        fixed = 4 if code == OPT_IA_TA else 12
        if len(payload) < fixed:
            raise _bad(
                "%s needs at least %d bytes, has %d" % (_IA_NAMES.get(code, "IA"), fixed, len(payload))
            )
        if fixed == 4:
            iaid = struct.unpack_from("!I", payload, 0)[0]
            t1 = t2 = 0
        else:
            iaid, t1, t2 = struct.unpack_from("!III", payload, 0)
        ia = cls(code, iaid, t1, t2)
        ia.options = parse_options(payload, fixed, len(payload), _IA_NAMES.get(code, "IA"))
        return ia

    def to_payload(self):
        if self.code == OPT_IA_TA:
            head = struct.pack("!I", _u32(self.iaid, "IAID"))
        else:
            head = struct.pack("!III", _u32(self.iaid, "IAID"), _u32(self.t1, "T1"), _u32(self.t2, "T2"))
        return head + build_options(self.options)

    def addresses(self):
        """The IAADDR sub-options, parsed, in order."""
        return [IAAddress.from_payload(p) for c, p in self.options if c == OPT_IAADDR]

    def prefixes(self):
        """The IAPREFIX sub-options, parsed, in order."""
        return [IAPrefix.from_payload(p) for c, p in self.options if c == OPT_IAPREFIX]

    def __eq__(self, other):
        return isinstance(other, IA) and (self.code, self.iaid, self.t1, self.t2, self.options) == (
            other.code,
            other.iaid,
            other.t1,
            other.t2,
            other.options,
        )

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return "IA(%d, iaid=%d, t1=%d, t2=%d, options=%r)" % (
            self.code,
            self.iaid,
            self.t1,
            self.t2,
            self.codes(),
        )


_IA_NAMES = {OPT_IA_NA: "IA_NA", OPT_IA_TA: "IA_TA", OPT_IA_PD: "IA_PD"}


def parse_ia(code, payload):
    """An IA_NA / IA_TA / IA_PD payload -> IA."""
    return IA.from_payload(code, payload)


class IAAddress(OptionList):
    """IAADDR (5): address (16 bytes), preferred and valid lifetimes, sub-options (status code)."""

    def __init__(self, address, preferred=0, valid=0, options=None):
        self.address = address
        self.preferred = preferred
        self.valid = valid
        self.options = _copy_options(options)

    @classmethod
    def from_payload(cls, payload):
        if len(payload) < 24:
            raise _bad("IAADDR needs at least 24 bytes, has %d" % len(payload))
        preferred, valid = struct.unpack_from("!II", payload, 16)
        a = cls(bytes(payload[:16]), preferred, valid)
        a.options = parse_options(payload, 24, len(payload), "IAADDR")
        return a

    def to_payload(self):
        return (
            _addr16(self.address, "IAADDR address")
            + struct.pack(
                "!II", _u32(self.preferred, "preferred lifetime"), _u32(self.valid, "valid lifetime")
            )
            + build_options(self.options)
        )

    def __eq__(self, other):
        return isinstance(other, IAAddress) and (self.address, self.preferred, self.valid, self.options) == (
            other.address,
            other.preferred,
            other.valid,
            other.options,
        )

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return "IAAddress(%r, preferred=%d, valid=%d, options=%r)" % (
            self.address,
            self.preferred,
            self.valid,
            self.codes(),
        )


class IAPrefix(OptionList):
    """IAPREFIX (26): preferred and valid lifetimes, prefix length, prefix (16 bytes), sub-options."""

    def __init__(self, prefix, prefix_len, preferred=0, valid=0, options=None):
        self.prefix = prefix
        self.prefix_len = prefix_len
        self.preferred = preferred
        self.valid = valid
        self.options = _copy_options(options)

    @classmethod
    def from_payload(cls, payload):
        if len(payload) < 25:
            raise _bad("IAPREFIX needs at least 25 bytes, has %d" % len(payload))
        preferred, valid, plen = struct.unpack_from("!IIB", payload, 0)
        if plen > 128:
            raise _bad("IAPREFIX prefix length %d > 128" % plen)
        p = cls(bytes(payload[9:25]), plen, preferred, valid)
        p.options = parse_options(payload, 25, len(payload), "IAPREFIX")
        return p

    def to_payload(self):
        plen = self.prefix_len
        if type(plen) is not int or plen < 0 or plen > 128:
            raise EncodeError("prefix length %r is not in 0..128" % (plen,), "bad-field")
        return (
            struct.pack(
                "!IIB", _u32(self.preferred, "preferred lifetime"), _u32(self.valid, "valid lifetime"), plen
            )
            + _addr16(self.prefix, "IAPREFIX prefix")
            + build_options(self.options)
        )

    def __eq__(self, other):
        return isinstance(other, IAPrefix) and (
            self.prefix,
            self.prefix_len,
            self.preferred,
            self.valid,
            self.options,
        ) == (other.prefix, other.prefix_len, other.preferred, other.valid, other.options)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return "IAPrefix(%r/%d, preferred=%d, valid=%d, options=%r)" % (
            self.prefix,
            self.prefix_len,
            self.preferred,
            self.valid,
            self.codes(),
        )


# ---------------------------------------------------------------- status code (13)


def parse_status(payload):
    """Status code payload -> (code, message text)."""
    if len(payload) < 2:
        raise _bad("status-code needs at least 2 bytes, has %d" % len(payload))
    try:
        message = bytes(payload[2:]).decode("utf-8")
    except UnicodeError:
        raise _bad("status-code message is not UTF-8") from None
    return ((payload[0] << 8) | payload[1], message)


def build_status(code, message=""):
    """(code, message) -> status code payload (RFC 8415 s21.13: UTF-8, no terminating NUL)."""
    if type(code) is not int or code < 0 or code > 0xFFFF:
        raise EncodeError("status code %r is not in 0..65535" % (code,), "bad-field")
    return struct.pack("!H", code) + message.encode("utf-8")


def status_option(code, message=""):
    """A whole status-code option as a (13, payload) pair, ready for an option list."""
    return (OPT_STATUS_CODE, build_status(code, message))


# ---------------------------------------------------------------- small fixed payloads


def parse_oro(payload):
    """ORO (6) or ERO (43) payload -> list of option codes."""
    n = len(payload)
    if n % 2:
        raise _bad("option request list of %d bytes is not a list of 16-bit codes" % n)
    return [(payload[i] << 8) | payload[i + 1] for i in range(0, n, 2)]


def build_oro(codes):
    out = bytearray()
    for c in codes:
        if type(c) is not int or c < 0 or c > 0xFFFF:
            raise EncodeError("option code %r is not in 0..65535" % (c,), "bad-field")
        out.append(c >> 8)
        out.append(c & 0xFF)
    return bytes(out)


def parse_u16(payload, what="option"):
    """A 2-byte payload (elapsed-time, relay-source-port...) -> int."""
    if len(payload) != 2:
        raise _bad("%s must be 2 bytes, not %d" % (what, len(payload)))
    return (payload[0] << 8) | payload[1]


def parse_u32(payload, what="option"):
    """A 4-byte payload (information-refresh-time, solmax-rt...) -> int."""
    if len(payload) != 4:
        raise _bad("%s must be 4 bytes, not %d" % (what, len(payload)))
    return struct.unpack("!I", payload)[0]


# ---------------------------------------------------------------- vendor options and opaque data


def parse_vendor_opts(payload):
    """vendor-opts (17) payload -> (enterprise number, [(code, payload), ...])."""
    if len(payload) < 4:
        raise _bad("vendor-opts needs a 4-byte enterprise number, has %d bytes" % len(payload))
    ent = struct.unpack_from("!I", payload, 0)[0]
    return (ent, parse_options(payload, 4, len(payload), "vendor-opts %d" % ent))


def build_vendor_opts(enterprise, pairs):
    """(enterprise number, [(code, payload), ...]) -> vendor-opts payload."""
    return struct.pack("!I", _u32(enterprise, "enterprise number")) + build_options(pairs)


def parse_opaque_list(payload, start=0, what="opaque data"):
    """16-bit-length-prefixed items back to back (user-class 15, the data of vendor-class 16) -> [bytes]."""
    out = []
    i = start
    n = len(payload)
    while i < n:
        if n - i < 2:
            raise _bad("%s: a length field is cut short at offset %d" % (what, i))
        j = i + 2 + ((payload[i] << 8) | payload[i + 1])
        if j > n:
            raise _bad("%s: an item of %d bytes runs past the option" % (what, j - i - 2))
        out.append(bytes(payload[i + 2 : j]))
        i = j
    return out


def build_opaque_list(items):
    out = bytearray()
    for item in items:
        if len(item) > 0xFFFF:
            raise EncodeError("opaque data item of %d bytes is longer than 65535" % len(item), "too-big")
        out.append(len(item) >> 8)
        out.append(len(item) & 0xFF)
        out += item
    return bytes(out)


def parse_vendor_class(payload):
    """vendor-class (16) payload -> (enterprise number, [data item bytes, ...])."""
    if len(payload) < 4:
        raise _bad("vendor-class needs a 4-byte enterprise number, has %d bytes" % len(payload))
    return (struct.unpack_from("!I", payload, 0)[0], parse_opaque_list(payload, 4, "vendor-class"))


def build_vendor_class(enterprise, items):
    return struct.pack("!I", _u32(enterprise, "enterprise number")) + build_opaque_list(items)


def parse_enterprise_id(payload, what="remote-id"):
    """remote-id (37) style payload: (enterprise number, the rest as bytes)."""
    if len(payload) < 4:
        raise _bad("%s needs a 4-byte enterprise number, has %d bytes" % (what, len(payload)))
    return (struct.unpack_from("!I", payload, 0)[0], bytes(payload[4:]))


def parse_client_linklayer(payload):
    """client-linklayer-addr (79, RFC 6939) payload -> (hardware type, link-layer address bytes)."""
    if len(payload) < 2:
        raise _bad("client-linklayer-addr needs a 2-byte hardware type, has %d bytes" % len(payload))
    return ((payload[0] << 8) | payload[1], bytes(payload[2:]))


def build_client_linklayer(htype, lladdr):
    if type(htype) is not int or htype < 0 or htype > 0xFFFF:
        raise EncodeError("hardware type %r is not in 0..65535" % (htype,), "bad-field")
    return struct.pack("!H", htype) + bytes(lladdr)


# ---------------------------------------------------------------- client FQDN (39)


def parse_client_fqdn(payload):
    """client-fqdn payload -> (flags, name, full).

    RFC 4704 s4.2: the name is in DNS wire format without compression and may be partial (no final
    zero-length label: "the client wants the server to complete it").  ``name`` is dotted text without a
    trailing dot ("" for none), with the escapes of types.FQDN; ``full`` is True when the root label was
    there.  Flags are returned as they came (FQDN_FLAGS_MBZ tells what must be zero).
    """
    n = len(payload)
    if n < 1:
        raise _bad("client-fqdn needs a flags octet")
    labels = []
    i = 1
    full = False
    total = 1
    while i < n:
        k = payload[i]
        if k == 0:
            full = True
            i += 1
            break
        if k & 0xC0:
            raise _bad("client-fqdn names are not compressed (label octet 0x%02x)" % k)
        if i + 1 + k > n:
            raise _bad("client-fqdn label runs past the option")
        total += k + 1
        if total > 255:
            raise _bad("client-fqdn name longer than 255 octets")
        labels.append(bytes(payload[i + 1 : i + 1 + k]))
        i += 1 + k
    if i != n:
        raise _bad("client-fqdn has %d bytes after the root label" % (n - i))
    return (payload[0], _labels_to_text(labels) if labels else "", full)


def build_client_fqdn(flags, name, full=True):
    """(flags, dotted name, full) -> client-fqdn payload; a partial name gets no root label."""
    if type(flags) is not int or flags < 0 or flags > 0xFF:
        raise EncodeError("client-fqdn flags %r are not an octet" % (flags,), "bad-field")
    out = bytearray((flags,))
    for label in _text_to_labels(name):
        out.append(len(label))
        out += label
    if full:
        out.append(0)
    return bytes(out)


# ---------------------------------------------------------------- PD exclude (67, RFC 6603)


def build_pd_exclude(delegated_len, excluded, excluded_len):
    """The pd-exclude payload for an excluded prefix inside a delegated one of ``delegated_len`` bits:
    the excluded length, then its bits delegated_len..excluded_len-1 left-aligned in whole octets."""
    excluded = _addr16(excluded, "excluded prefix")
    if type(excluded_len) is not int or not (0 <= delegated_len < excluded_len <= 128):
        raise EncodeError(
            "excluded prefix length %r must be longer than the delegated %r and at most 128"
            % (excluded_len, delegated_len),
            "bad-field",
        )
    nbits = excluded_len - delegated_len
    value = int.from_bytes(excluded, "big")
    subnet = (value >> (128 - excluded_len)) & ((1 << nbits) - 1)
    nbytes = (nbits + 7) // 8
    return bytes((excluded_len,)) + (subnet << (nbytes * 8 - nbits)).to_bytes(nbytes, "big")


def parse_pd_exclude(payload, delegated, delegated_len):
    """pd-exclude payload inside the IAPREFIX ``delegated``/``delegated_len`` -> (excluded prefix (16
    bytes), excluded length)."""
    if len(payload) < 2:
        raise _bad("pd-exclude needs at least 2 bytes, has %d" % len(payload))
    excluded_len = payload[0]
    if excluded_len <= delegated_len or excluded_len > 128:
        raise _bad("pd-exclude length %d is not longer than the delegated %d" % (excluded_len, delegated_len))
    nbits = excluded_len - delegated_len
    nbytes = (nbits + 7) // 8
    if len(payload) != 1 + nbytes:
        raise _bad(
            "pd-exclude for %d bits needs %d bytes of subnet ID, has %d" % (nbits, nbytes, len(payload) - 1)
        )
    field = int.from_bytes(bytes(payload[1:]), "big")
    pad = nbytes * 8 - nbits
    if field & ((1 << pad) - 1):
        raise _bad("pd-exclude subnet ID has bits set past its length")
    subnet = field >> pad
    base = int.from_bytes(_addr16(delegated, "delegated prefix"), "big")
    base &= ((1 << delegated_len) - 1) << (128 - delegated_len) if delegated_len else 0
    value = base | (subnet << (128 - excluded_len))
    return (value.to_bytes(16, "big"), excluded_len)
