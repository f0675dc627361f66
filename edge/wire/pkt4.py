"""DHCPv4 packets: the BOOTP header, the options field, decode and encode.

Rules this module keeps:
- ``decode`` raises DecodeError and nothing else, for any bytes at all.
- A Packet keeps option payloads as raw bytes, keyed by code.  Repeated
  instances of a code are concatenated in the order RFC 3396 s5 gives
  (options field, then file, then sname); option 82 is therefore kept
  byte-exact, ready to be echoed.  Pad (0) and end (255) are never stored.
- Option 52 (overload) belongs to the codec: decode consumes it (the value is
  kept in ``Packet.overload`` and the fields it used are blanked, since they
  held options rather than a name), and encode writes it only when it
  overloads.  A 52 placed in ``options`` by hand is ignored by encode.
- ``encode`` writes 53 first, 54 second, 82 last (RFC 3046 s2.1), splits
  payloads longer than 255 into consecutive instances (RFC 3396), keeps the
  whole message within ``max_size`` (RFC 2131 s2, 4.1: 576 by default, the
  client's option 57 when larger), overloads into file then sname only when
  those fields are empty, and pads the message to the 300-byte BOOTP minimum.
- The hot path (decode) is one struct.unpack_from and one loop over the
  options field; nothing is parsed until asked for.  Encode checks what it
  must (types, ranges) with a few whole-value tests on the common path and
  falls back to the field-by-field checks, and their messages, only when one
  fails; options up to 255 bytes become one TLV without intermediate lists.
- MicroPython subset: no annotations, f-strings, dataclasses, enum, ipaddress.

Theory of operation.  ``max_size`` counts the whole IP datagram, as option 57
does (RFC 2132 s9.10); 28 bytes go to the IP and UDP headers, so the default
576 leaves a 548-byte DHCP message: the 236-byte header, the 4-byte cookie and
the 308 further option bytes RFC 2131 s2 promises every client can take.
When the options do not fit, encode fills the options field, then the file
field, then the sname field (each ending in END), splitting only options that
are longer than 255 bytes anyway.

Relay agent information (82) sub-options are plain code/length/value triples
without pad or end (RFC 3046 s2.0): parse_suboptions / build_suboptions.
"""

import struct

from edge.wire.errors import DecodeError, EncodeError

BOOTREQUEST = 1
BOOTREPLY = 2

DHCPDISCOVER = 1
DHCPOFFER = 2
DHCPREQUEST = 3
DHCPDECLINE = 4
DHCPACK = 5
DHCPNAK = 6
DHCPRELEASE = 7
DHCPINFORM = 8

MESSAGE_TYPE_NAMES = {
    DHCPDISCOVER: "DHCPDISCOVER",
    DHCPOFFER: "DHCPOFFER",
    DHCPREQUEST: "DHCPREQUEST",
    DHCPDECLINE: "DHCPDECLINE",
    DHCPACK: "DHCPACK",
    DHCPNAK: "DHCPNAK",
    DHCPRELEASE: "DHCPRELEASE",
    DHCPINFORM: "DHCPINFORM",
}

MAGIC_COOKIE = b"\x63\x82\x53\x63"

OPT_PAD = 0
OPT_SUBNET_MASK = 1
OPT_ROUTERS = 3
OPT_DNS = 6
OPT_HOSTNAME = 12
OPT_DOMAIN_NAME = 15
OPT_REQUESTED_IP = 50
OPT_LEASE_TIME = 51
OPT_OVERLOAD = 52
OPT_MESSAGE_TYPE = 53
OPT_SERVER_ID = 54
OPT_PARAM_REQUEST = 55
OPT_MESSAGE = 56
OPT_MAX_MSG_SIZE = 57
OPT_RENEWAL_TIME = 58
OPT_REBINDING_TIME = 59
OPT_VENDOR_CLASS = 60
OPT_CLIENT_ID = 61
# What a client identifier may be (Kea's ClientId: 2 to 128 bytes, libdhcp++ duid.h); longer ones are legal
# on the wire (RFC 3396 concatenation) but no server keeps them.
CLIENT_ID_MIN = 2
CLIENT_ID_MAX = 128
OPT_TFTP_SERVER_NAME = 66
OPT_BOOTFILE_NAME = 67
OPT_USER_CLASS = 77
OPT_CLIENT_FQDN = 81
OPT_RELAY_AGENT_INFO = 82
OPT_SUBNET_SELECTION = 118
OPT_CLASSLESS_ROUTES = 121
OPT_END = 255

# overload values (RFC 2132 s9.3)
OVERLOAD_FILE = 1
OVERLOAD_SNAME = 2
OVERLOAD_BOTH = 3

HEADER_LEN = 236
OPTIONS_OFFSET = 240  # header + cookie
BOOTP_MIN_LEN = 300  # RFC 951: the vendor area makes a BOOTP message 300 bytes
MIN_MAX_SIZE = 576  # RFC 2131 s2 / RFC 2132 s9.10
IP_UDP_OVERHEAD = 28  # IPv4 header without options + UDP header
FLAG_BROADCAST = 0x8000

_HEADER_FMT = "!BBBBIHH4s4s4s4s16s64s128s"
_INT_FIELDS = (
    ("op", 0xFF),
    ("htype", 0xFF),
    ("hlen", 0xFF),
    ("hops", 0xFF),
    ("xid", 0xFFFFFFFF),
    ("secs", 0xFFFF),
    ("flags", 0xFFFF),
)
_ZERO4 = b"\x00\x00\x00\x00"
_ZERO16 = bytes(16)
_ZERO64 = bytes(64)
_ZERO128 = bytes(128)


# ---------------------------------------------------------------- packet


class Packet:
    """One DHCPv4 message.  Header fields are ints or fixed-size bytes.

    Packet() is an empty BOOTREQUEST: Ethernet htype/hlen (1/6), every other
    field zero, no options.
    """

    def __init__(
        self,
        op=BOOTREQUEST,
        htype=1,
        hlen=6,
        hops=0,
        xid=0,
        secs=0,
        flags=0,
        ciaddr=_ZERO4,
        yiaddr=_ZERO4,
        siaddr=_ZERO4,
        giaddr=_ZERO4,
        chaddr=_ZERO16,
        sname=_ZERO64,
        file=_ZERO128,
        options=None,
        option_order=None,
    ):
        self.op = op
        self.htype = htype
        self.hlen = hlen
        self.hops = hops
        self.xid = xid
        self.secs = secs
        self.flags = flags
        self.ciaddr = ciaddr
        self.yiaddr = yiaddr
        self.siaddr = siaddr
        self.giaddr = giaddr
        self.chaddr = chaddr
        self.sname = sname
        self.file = file
        self.options = {}
        self.option_order = []
        self.overload = 0  # the option 52 value decode found, 0 if none
        if options:
            codes = option_order if option_order is not None else sorted(options)
            for code in codes:
                if code in options:
                    self.set(code, options[code])
            for code in sorted(options):
                if code not in self.options:
                    self.set(code, options[code])

    # -- options

    def get(self, code, default=None):
        return self.options.get(code, default)

    def set(self, code, payload):
        if not isinstance(code, int) or code <= 0 or code >= 255:
            raise ValueError("option code %r is not in 1..254" % (code,))
        if type(payload) is not bytes:
            if not isinstance(payload, (bytes, bytearray)):
                raise ValueError("option %d payload must be bytes, not %r" % (code, type(payload)))
            payload = bytes(payload)
        options = self.options
        if code not in options:
            self.option_order.append(code)
        options[code] = payload

    def set_all(self, pairs):
        """set(code, payload) for each pair, without set()'s checks: for pairs the caller built from values
        it has validated already (codes in 1..254, payloads bytes), such as a server's per-configuration
        option answers."""
        options, order = self.options, self.option_order
        for code, payload in pairs:
            if code not in options:
                order.append(code)
            options[code] = payload

    def remove(self, code):
        if code in self.options:
            del self.options[code]
            self.option_order.remove(code)

    def __contains__(self, code):
        return code in self.options

    # -- views

    @property
    def message_type(self):
        v = self.options.get(OPT_MESSAGE_TYPE)
        if v is None or len(v) != 1:
            return None
        return v[0]

    @property
    def mac(self):
        return bytes(self.chaddr[: self.hlen])

    @property
    def broadcast(self):
        return bool(self.flags & FLAG_BROADCAST)

    def requested_params(self):
        v = self.options.get(OPT_PARAM_REQUEST)
        return list(v) if v else []

    def max_message_size(self):
        """The client's option 57 as an encode max_size: at least 576 (RFC 2132 s9.10)."""
        v = self.options.get(OPT_MAX_MSG_SIZE)
        if v is None or len(v) != 2:
            return MIN_MAX_SIZE
        n = (v[0] << 8) | v[1]
        return n if n > MIN_MAX_SIZE else MIN_MAX_SIZE

    def copy(self):
        p = Packet(
            self.op,
            self.htype,
            self.hlen,
            self.hops,
            self.xid,
            self.secs,
            self.flags,
            self.ciaddr,
            self.yiaddr,
            self.siaddr,
            self.giaddr,
            self.chaddr,
            self.sname,
            self.file,
        )
        for code in self.option_order:
            p.set(code, self.options[code])
        p.overload = self.overload
        return p

    def __eq__(self, other):
        if not isinstance(other, Packet):
            return False
        return self._header() == other._header() and self.options == other.options

    def __ne__(self, other):
        return not self.__eq__(other)

    def _header(self):
        return (
            self.op,
            self.htype,
            self.hlen,
            self.hops,
            self.xid,
            self.secs,
            self.flags,
            _padded(self.ciaddr, 4),
            _padded(self.yiaddr, 4),
            _padded(self.siaddr, 4),
            _padded(self.giaddr, 4),
            _padded(self.chaddr, 16),
            _padded(self.sname, 64),
            _padded(self.file, 128),
        )

    def __repr__(self):
        mt = self.message_type
        name = MESSAGE_TYPE_NAMES.get(mt, "BOOTP" if mt is None else "type-%d" % mt)
        mac = ":".join(["%02x" % b for b in self.mac])
        return "<Packet %s xid=0x%08x chaddr=%s options=%r>" % (name, self.xid, mac, self.option_order)

    @classmethod
    def reply_to(cls, request, message_type):
        return make_reply(request, message_type)


def _padded(value, size):
    if isinstance(value, (bytes, bytearray)) and len(value) < size:
        return bytes(value) + bytes(size - len(value))
    return value


def make_reply(request, message_type):
    """A reply skeleton for ``request`` following RFC 2131 table 3.

    Copies xid, flags, giaddr, chaddr, htype and hlen; hops and secs are 0
    (table 3); ciaddr is copied for DHCPACK only (table 3: "ciaddr from
    DHCPREQUEST or 0"; the engine clears it where that is wrong); yiaddr,
    siaddr, sname and file are left zero for the engine.  Option 53 is set,
    and option 82 is echoed byte-exact as RFC 3046 s2.2 requires.
    """
    r = Packet(
        BOOTREPLY,
        request.htype,
        request.hlen,
        0,
        request.xid,
        0,
        request.flags,
        request.ciaddr if message_type == DHCPACK else _ZERO4,
        _ZERO4,
        _ZERO4,
        request.giaddr,
        request.chaddr,
    )
    r.options[OPT_MESSAGE_TYPE] = _MESSAGE_TYPE_PAYLOAD.get(message_type) or bytes((message_type,))
    r.option_order.append(OPT_MESSAGE_TYPE)
    rai = request.options.get(OPT_RELAY_AGENT_INFO)
    if rai is not None:
        r.set(OPT_RELAY_AGENT_INFO, rai)
    return r


_MESSAGE_TYPE_PAYLOAD = {}
for _t in MESSAGE_TYPE_NAMES:
    _MESSAGE_TYPE_PAYLOAD[_t] = bytes((_t,))


# ---------------------------------------------------------------- decode


def _scan(data, start, end, options, order, where):
    """Read options from data[start:end] into options/order; stop at END."""
    i = start
    while i < end:
        code = data[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            return
        if i + 1 >= end:
            raise DecodeError(where[0], "option %d in the %s has no length byte" % (code, where[1]))
        j = i + 2 + data[i + 1]
        if j > end:
            raise DecodeError(
                where[0],
                "option %d (length %d) at offset %d runs past the end of the %s"
                % (code, data[i + 1], i, where[1]),
            )
        if code in options:
            options[code] += data[i + 2 : j]
        else:
            options[code] = data[i + 2 : j]
            order.append(code)
        i = j


_MAIN = ("option-overrun", "options field")
_IN_FILE = ("bad-overload", "file field (overloaded)")
_IN_SNAME = ("bad-overload", "sname field (overloaded)")


def decode(data):
    """Bytes of a DHCP message (the UDP payload) -> Packet; DecodeError if malformed."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("not-bytes", "packet must be bytes, not %s" % type(data).__name__)
    data = bytes(data)
    n = len(data)
    if n < HEADER_LEN:
        raise DecodeError("truncated-header", "%d bytes is shorter than the 236-byte BOOTP header" % n)
    f = struct.unpack_from(_HEADER_FMT, data, 0)
    op = f[0]
    if op != BOOTREQUEST and op != BOOTREPLY:
        raise DecodeError("bad-op", "op %d is neither BOOTREQUEST nor BOOTREPLY" % op)
    if f[2] > 16:
        raise DecodeError("bad-hlen", "hlen %d is larger than chaddr (16)" % f[2])
    if n < OPTIONS_OFFSET or data[HEADER_LEN:OPTIONS_OFFSET] != MAGIC_COOKIE:
        raise DecodeError("bad-cookie", "no DHCP magic cookie at offset 236")
    options = {}
    order = []
    _scan(data, OPTIONS_OFFSET, n, options, order, _MAIN)
    p = Packet(*f)  # the header fields, in Packet's own argument order
    ov = options.get(OPT_OVERLOAD)
    if ov is not None:
        if len(ov) != 1:
            raise DecodeError("bad-option-length", "option 52 has length %d, not 1" % len(ov))
        v = ov[0]
        if v < 1 or v > 3:
            raise DecodeError("bad-overload", "option 52 value %d is not 1, 2 or 3" % v)
        del options[OPT_OVERLOAD]
        order.remove(OPT_OVERLOAD)
        p.overload = v
        # RFC 3396 s5: options field, then file, then sname.
        if v & OVERLOAD_FILE:
            _scan(data, 108, 236, options, order, _IN_FILE)
            p.file = _ZERO128
        if v & OVERLOAD_SNAME:
            _scan(data, 44, 108, options, order, _IN_SNAME)
            p.sname = _ZERO64
        # a 52 inside the overloaded fields means nothing more; drop it
        if OPT_OVERLOAD in options:
            del options[OPT_OVERLOAD]
            order.remove(OPT_OVERLOAD)
    mt = options.get(OPT_MESSAGE_TYPE)
    if mt is not None and len(mt) != 1:
        raise DecodeError("bad-option-length", "option 53 has length %d, not 1" % len(mt))
    p.options = options
    p.option_order = order
    return p


# ---------------------------------------------------------------- encode


def _field(value, size, name):
    if type(value) is bytes and len(value) == size:
        return value
    if value is None:
        return bytes(size)
    if not isinstance(value, (bytes, bytearray)):
        raise EncodeError("%s must be bytes, not %s" % (name, type(value).__name__), "bad-field")
    if len(value) > size:
        raise EncodeError("%s is %d bytes, more than %d" % (name, len(value), size), "bad-field")
    if len(value) < size:
        return bytes(value) + bytes(size - len(value))
    return bytes(value)


def _header_bytes(p, sname, file):
    op, htype, hlen, hops, xid, secs, flags = p.op, p.htype, p.hlen, p.hops, p.xid, p.secs, p.flags
    if (
        type(op) is int
        and type(htype) is int
        and type(hlen) is int
        and type(hops) is int
        and type(xid) is int
        and type(secs) is int
        and type(flags) is int
        and not ((op | htype | hlen | hops) >> 8 or xid >> 32 or (secs | flags) >> 16)
    ):
        # Every field is a plain int in range (a negative one shifts to -1): struct.pack cannot fail.
        ciaddr, yiaddr, siaddr, giaddr, chaddr = p.ciaddr, p.yiaddr, p.siaddr, p.giaddr, p.chaddr
        if not (
            type(ciaddr) is bytes
            and type(yiaddr) is bytes
            and type(siaddr) is bytes
            and type(giaddr) is bytes
            and type(chaddr) is bytes
            and len(ciaddr) == 4
            and len(yiaddr) == 4
            and len(siaddr) == 4
            and len(giaddr) == 4
            and len(chaddr) == 16
        ):
            ciaddr = _field(ciaddr, 4, "ciaddr")
            yiaddr = _field(yiaddr, 4, "yiaddr")
            siaddr = _field(siaddr, 4, "siaddr")
            giaddr = _field(giaddr, 4, "giaddr")
            chaddr = _field(chaddr, 16, "chaddr")
        return struct.pack(
            _HEADER_FMT,
            op,
            htype,
            hlen,
            hops,
            xid,
            secs,
            flags,
            ciaddr,
            yiaddr,
            siaddr,
            giaddr,
            chaddr,
            sname,
            file,
        )
    # struct.pack range checks differ between CPython and MicroPython: check here.
    for name, top in _INT_FIELDS:
        v = getattr(p, name)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v > top:
            raise EncodeError("%s %r is not in 0..%d" % (name, v, top), "bad-field")
    try:
        return struct.pack(
            _HEADER_FMT,
            p.op,
            p.htype,
            p.hlen,
            p.hops,
            p.xid,
            p.secs,
            p.flags,
            _field(p.ciaddr, 4, "ciaddr"),
            _field(p.yiaddr, 4, "yiaddr"),
            _field(p.siaddr, 4, "siaddr"),
            _field(p.giaddr, 4, "giaddr"),
            _field(p.chaddr, 16, "chaddr"),
            sname,
            file,
        )
    except (struct.error, OverflowError, TypeError, ValueError) as e:
        if isinstance(e, EncodeError):
            raise
        raise EncodeError("header field out of range: %s" % e, "bad-field") from None


def _ordered_codes(p, order):
    """53, 54, then ``order``, then the rest in option_order, 82 last; 52 dropped."""
    opts = p.options
    if not order:
        # The common case, a reply built with set(): option_order holds each code once, 53 and 54 first,
        # nothing to move. The same order as below, without the bookkeeping.
        oo = p.option_order
        n = len(oo)
        if (
            n == len(opts)
            and n > 1
            and oo[0] == OPT_MESSAGE_TYPE
            and oo[1] == OPT_SERVER_ID
            and OPT_RELAY_AGENT_INFO not in opts
            and OPT_OVERLOAD not in opts
            and OPT_PAD not in opts
            and OPT_END not in opts
            and opts.keys() == set(oo)
        ):
            return list(oo)  # already 53, 54, then the rest in the order they were set
    seen = {OPT_OVERLOAD: True, OPT_PAD: True, OPT_END: True}
    codes = []
    for c in (OPT_MESSAGE_TYPE, OPT_SERVER_ID):
        if c in opts:
            codes.append(c)
            seen[c] = True
    seen[OPT_RELAY_AGENT_INFO] = True
    for seq in (order or (), p.option_order):
        for c in seq:
            if c in opts and c not in seen:
                codes.append(c)
                seen[c] = True
    # Options put into ``options`` without set() are not in option_order: they go last, by code.  The
    # count tells whether there are any, so the common case sorts nothing.
    placed = len(codes)
    for c in (OPT_RELAY_AGENT_INFO, OPT_OVERLOAD, OPT_PAD, OPT_END):
        if c in opts:
            placed += 1
    if placed != len(opts):
        for c in sorted(opts):
            if c not in seen:
                codes.append(c)
                seen[c] = True
    if OPT_RELAY_AGENT_INFO in opts:
        codes.append(OPT_RELAY_AGENT_INFO)
    return codes


def _instances(code, payload):
    """One option as a list of TLV byte strings (RFC 3396 split past 255)."""
    if len(payload) <= 255:
        return [bytes((code, len(payload))) + payload]
    out = []
    for i in range(0, len(payload), 255):
        chunk = payload[i : i + 255]
        out.append(bytes((code, len(chunk))) + chunk)
    return out


def encode(packet, max_size=MIN_MAX_SIZE, order=None):
    """Packet -> bytes of the DHCP message.  EncodeError when it cannot fit.

    ``max_size``: the largest IP datagram the receiver takes (option 57 of the
    request; values below 576 count as 576).  ``order``: option codes to put
    first after 53 and 54, e.g. the client's parameter request list.
    """
    if max_size < MIN_MAX_SIZE:
        max_size = MIN_MAX_SIZE
    limit = max_size - IP_UDP_OVERHEAD  # whole DHCP message
    sname = _field(packet.sname, 64, "sname")
    file = _field(packet.file, 128, "file")
    opts = packet.options
    mt = opts.get(OPT_MESSAGE_TYPE)
    if mt is not None and len(mt) != 1:
        # decode refuses such a packet, so encode must not make one
        raise EncodeError("option 53 must be 1 byte, not %d" % len(mt), "bad-option")
    codes = _ordered_codes(packet, order)
    body = bytearray()
    for c in codes:
        payload = opts[c]
        if type(payload) is bytes and len(payload) <= 255:
            body.append(c)
            body.append(len(payload))
            body += payload
            continue
        if not isinstance(payload, (bytes, bytearray)):
            raise EncodeError(
                "option %d payload must be bytes, not %s" % (c, type(payload).__name__), "bad-option"
            )
        for t in _instances(c, bytes(payload)):
            body += t
    room = limit - OPTIONS_OFFSET - 1  # the END byte
    if len(body) <= room:
        out = _header_bytes(packet, sname, file) + MAGIC_COOKIE + body + b"\xff"
    else:
        tlvs = []
        for c in codes:
            for t in _instances(c, bytes(opts[c])):
                tlvs.append((c, t))
        out = _overload(packet, tlvs, room, sname, file)
    if len(out) < BOOTP_MIN_LEN:
        out += bytes(BOOTP_MIN_LEN - len(out))
    return out


def _overload(packet, tlvs, room, sname, file):
    areas = []  # [name, capacity incl. END, overload bit]
    if file == _ZERO128:
        areas.append(["file", 128, OVERLOAD_FILE])
    if sname == _ZERO64:
        areas.append(["sname", 64, OVERLOAD_SNAME])
    if not areas:
        raise EncodeError(
            "options need more than the %d bytes max_size leaves and file/sname are in use" % room,
            "too-big",
        )
    # The options field gives 3 bytes to option 52, which goes after 53/54.
    buckets = [[], [], []]
    caps = [room - 3] + [a[1] - 1 for a in areas]
    area = 0
    used = 0
    lead = 0
    for code, t in tlvs:
        if code == OPT_MESSAGE_TYPE or code == OPT_SERVER_ID:
            lead += 1
        while True:
            if used + len(t) <= caps[area]:
                buckets[area].append(t)
                used += len(t)
                break
            # Long options are split anyway; fill the rest of this area with a piece.
            free = caps[area] - used - 2
            if len(t) > 2 + 1 and free >= 1 and _is_split(tlvs, code):
                piece = t[2 : 2 + free]
                buckets[area].append(bytes((code, len(piece))) + piece)
                t = bytes((code, len(t) - 2 - len(piece))) + t[2 + len(piece) :]
            area += 1
            used = 0
            if area >= len(caps):
                raise EncodeError(
                    "options do not fit: %d bytes of options, %d in the options field plus %s"
                    % (sum([len(x) for _, x in tlvs]), room, " and ".join([a[0] for a in areas])),
                    "too-big",
                )
    overload = 0
    fields = {"file": file, "sname": sname}
    for k in range(len(areas)):
        if not buckets[k + 1]:
            continue  # not needed after all: leave the field as it was (zero)
        overload |= areas[k][2]
        body = b"".join(buckets[k + 1]) + b"\xff"
        fields[areas[k][0]] = body + bytes(areas[k][1] - len(body))
    main = buckets[0]
    main = main[:lead] + [bytes((OPT_OVERLOAD, 1, overload))] + main[lead:]
    return _header_bytes(packet, fields["sname"], fields["file"]) + MAGIC_COOKIE + b"".join(main) + b"\xff"


def _is_split(tlvs, code):
    n = 0
    for c, _ in tlvs:
        if c == code:
            n += 1
    return n > 1


# ---------------------------------------------------------------- option 82


def parse_suboptions(payload):
    """Option 82 payload -> [(code, bytes), ...] in wire order (RFC 3046 s2.0)."""
    out = []
    i = 0
    n = len(payload)
    while i < n:
        if i + 1 >= n:
            raise DecodeError(
                "suboption-overrun", "sub-option %d at offset %d has no length byte" % (payload[i], i)
            )
        j = i + 2 + payload[i + 1]
        if j > n:
            raise DecodeError(
                "suboption-overrun",
                "sub-option %d (length %d) at offset %d runs past the option"
                % (payload[i], payload[i + 1], i),
            )
        out.append((payload[i], bytes(payload[i + 2 : j])))
        i = j
    return out


def build_suboptions(subs):
    """[(code, bytes), ...] -> option 82 payload.  EncodeError for a bad item."""
    out = []
    for code, value in subs:
        if not isinstance(code, int) or code < 0 or code > 255:
            raise EncodeError("sub-option code %r is not in 0..255" % (code,), "bad-option")
        if len(value) > 255:
            raise EncodeError("sub-option %d is %d bytes, more than 255" % (code, len(value)), "bad-option")
        out.append(bytes((code, len(value))) + bytes(value))
    return b"".join(out)
