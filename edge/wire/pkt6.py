"""DHCPv6 messages (RFC 8415): client/server messages, relay chains, decode6 and encode6.

Rules this module keeps:
- ``decode6`` raises DecodeError and nothing else, for any bytes at all.
- A Packet6 is the client/server message (type, 24-bit transaction id, options) plus the relay layers it
  arrived through, ``relays``, outermost first: relays[0] is the RELAY-FORW the server received (the relay
  nearest the server), relays[-1] the one nearest the client.  That is Kea's relay_info_ order, so Kea's
  relay6[n] / getRelayOption(code, n) nest levels index the same list.  A direct message has no relays.
- Options are lists of (code, payload) pairs in wire order, repeats kept (payloads6.OptionList); nothing is
  parsed beyond the TLVs until asked (``ia_nas()``, ``oro()``...), so decode is one pass per layer.
- A relay layer keeps every option but relay-msg, and remembers where relay-msg stood
  (``relay_msg_at``), so encode6(decode6(x)) == x for every message decode6 accepts.  A layer built here
  (None) puts relay-msg last, after the echoed interface-id and relay-source-port, as Kea 2.2 does.
- Hostile chains are refused with typed reasons: more than 32 layers ("relay-too-deep", RFC 8415 s7.6
  HOP_COUNT_LIMIT, Kea's limit too), the same (link-address, peer-address) twice ("relay-loop"), a layer
  without relay-msg ("missing-relay-msg") or with two ("bad-relay-msg").
- Strict by default: a truncated option anywhere is a DecodeError.  ``lenient=True`` does what Kea 2.2's
  unpackOptions6 does instead: stop at the first option that does not fit and keep the ones before it.
- MicroPython subset: no annotations, f-strings, dataclasses, enum, ipaddress.

Theory of operation.  decode6 walks inward: while the message at hand is RELAY-FORW or RELAY-REPL it
reads the 34-byte relay header, scans that layer's options, takes relay-msg out and continues inside it;
then it reads the 4-byte header and options of the client/server message.  encode6 does the reverse,
building the inner message first and wrapping each layer around it from the innermost out.  make_reply
starts the server's answer: same transaction id, the client's client-id, and a RELAY-REPL chain mirroring
the request's relays (hop count, link and peer address, interface-id and relay-source-port echoed).
"""

import struct

from edge.wire.errors import DecodeError, EncodeError
from edge.wire.payloads6 import (
    IA,
    OPT_IA_NA,
    OPT_IA_PD,
    OPT_IA_TA,
    OptionList,
    build_options,
    check_option,
    parse_oro,
    parse_u16,
)

SOLICIT = 1
ADVERTISE = 2
REQUEST = 3
CONFIRM = 4
RENEW = 5
REBIND = 6
REPLY = 7
RELEASE = 8
DECLINE = 9
RECONFIGURE = 10
INFORMATION_REQUEST = 11
RELAY_FORW = 12
RELAY_REPL = 13
LEASEQUERY = 14
LEASEQUERY_REPLY = 15
LEASEQUERY_DONE = 16
LEASEQUERY_DATA = 17
RECONFIGURE_REQUEST = 18
RECONFIGURE_REPLY = 19
DHCPV4_QUERY = 20
DHCPV4_RESPONSE = 21

# Kea's names (Pkt6::getName), as its logs and statistics spell them.
MESSAGE_TYPE_NAMES = {
    SOLICIT: "SOLICIT",
    ADVERTISE: "ADVERTISE",
    REQUEST: "REQUEST",
    CONFIRM: "CONFIRM",
    RENEW: "RENEW",
    REBIND: "REBIND",
    REPLY: "REPLY",
    RELEASE: "RELEASE",
    DECLINE: "DECLINE",
    RECONFIGURE: "RECONFIGURE",
    INFORMATION_REQUEST: "INFORMATION_REQUEST",
    RELAY_FORW: "RELAY_FORWARD",
    RELAY_REPL: "RELAY_REPLY",
    LEASEQUERY: "LEASEQUERY",
    LEASEQUERY_REPLY: "LEASEQUERY_REPLY",
    DHCPV4_QUERY: "DHCPV4_QUERY",
    DHCPV4_RESPONSE: "DHCPV4_RESPONSE",
}

# Messages a client sends to servers (RFC 8415 s7.3), the ones a server answers.
CLIENT_MESSAGES = (SOLICIT, REQUEST, CONFIRM, RENEW, REBIND, RELEASE, DECLINE, INFORMATION_REQUEST)
SERVER_MESSAGES = (ADVERTISE, REPLY, RECONFIGURE)

OPT_CLIENTID = 1
OPT_SERVERID = 2
OPT_IAADDR = 5
OPT_ORO = 6
OPT_PREFERENCE = 7
OPT_ELAPSED_TIME = 8
OPT_RELAY_MSG = 9
OPT_AUTH = 11
OPT_UNICAST = 12
OPT_STATUS_CODE = 13
OPT_RAPID_COMMIT = 14
OPT_USER_CLASS = 15
OPT_VENDOR_CLASS = 16
OPT_VENDOR_OPTS = 17
OPT_INTERFACE_ID = 18
OPT_RECONF_MSG = 19
OPT_RECONF_ACCEPT = 20
OPT_DNS_SERVERS = 23
OPT_DOMAIN_SEARCH = 24
OPT_IAPREFIX = 26
OPT_SNTP_SERVERS = 31
OPT_INFORMATION_REFRESH_TIME = 32
OPT_REMOTE_ID = 37
OPT_SUBSCRIBER_ID = 38
OPT_CLIENT_FQDN = 39
OPT_ERO = 43
OPT_RSOO = 66
OPT_PD_EXCLUDE = 67
OPT_CLIENT_LINKLAYER_ADDR = 79
OPT_SOL_MAX_RT = 82
OPT_INF_MAX_RT = 83
OPT_RELAY_SOURCE_PORT = 135

HOP_COUNT_LIMIT = 32  # RFC 8415 s7.6
HEADER_LEN = 4
RELAY_HEADER_LEN = 34
CLIENT_PORT = 546
SERVER_PORT = 547

_ZERO16 = bytes(16)


class Relay(OptionList):
    """One RELAY-FORW / RELAY-REPL layer: hop count, link-address, peer-address (16 bytes each), and its
    options other than relay-msg.  ``relay_msg_at`` is the index in ``options`` before which relay-msg
    goes on the wire (None: after all of them)."""

    def __init__(
        self,
        msg_type=RELAY_FORW,
        hop_count=0,
        link_address=_ZERO16,
        peer_address=_ZERO16,
        options=None,
        relay_msg_at=None,
    ):
        self.msg_type = msg_type
        self.hop_count = hop_count
        self.link_address = link_address
        self.peer_address = peer_address
        self.options = [] if options is None else [(c, check_option(c, p)) for c, p in options]
        self.relay_msg_at = relay_msg_at

    @property
    def interface_id(self):
        return self.get(OPT_INTERFACE_ID)

    def _msg_index(self):
        at = self.relay_msg_at
        n = len(self.options)
        if at is None or at > n or at < 0:
            return n
        return at

    def copy(self):
        return Relay(
            self.msg_type,
            self.hop_count,
            self.link_address,
            self.peer_address,
            self.options,
            self.relay_msg_at,
        )

    def __eq__(self, other):
        return isinstance(other, Relay) and (
            self.msg_type,
            self.hop_count,
            self.link_address,
            self.peer_address,
            self.options,
            self._msg_index(),
        ) == (
            other.msg_type,
            other.hop_count,
            other.link_address,
            other.peer_address,
            other.options,
            other._msg_index(),
        )

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return "<Relay %s hops=%d link=%s peer=%s options=%r>" % (
            MESSAGE_TYPE_NAMES.get(self.msg_type, "type-%d" % self.msg_type),
            self.hop_count,
            _hex(self.link_address),
            _hex(self.peer_address),
            self.codes(),
        )


class Packet6(OptionList):
    """One DHCPv6 client/server message and the relay layers around it (outermost first)."""

    def __init__(self, msg_type=SOLICIT, transaction_id=0, options=None, relays=None):
        self.msg_type = msg_type
        self.transaction_id = transaction_id
        self.options = [] if options is None else [(c, check_option(c, p)) for c, p in options]
        self.relays = [] if relays is None else list(relays)

    # -- views

    @property
    def name(self):
        """Kea's name for the message type ("SOLICIT", "INFORMATION_REQUEST", "UNKNOWN")."""
        return MESSAGE_TYPE_NAMES.get(self.msg_type, "UNKNOWN")

    @property
    def relayed(self):
        return bool(self.relays)

    @property
    def client_id(self):
        return self.get(OPT_CLIENTID)

    @property
    def server_id(self):
        return self.get(OPT_SERVERID)

    @property
    def rapid_commit(self):
        return OPT_RAPID_COMMIT in self

    def oro(self):
        """The option request list (6) as codes, [] when absent."""
        p = self.get(OPT_ORO)
        return [] if p is None else parse_oro(p)

    def elapsed_time(self):
        """Elapsed time (8) in hundredths of a second, None when absent."""
        p = self.get(OPT_ELAPSED_TIME)
        return None if p is None else parse_u16(p, "elapsed-time")

    def ias(self, code):
        """Every IA of one kind (3, 4 or 25), parsed, in wire order."""
        return [IA.from_payload(code, p) for c, p in self.options if c == code]

    def ia_nas(self):
        return self.ias(OPT_IA_NA)

    def ia_tas(self):
        return self.ias(OPT_IA_TA)

    def ia_pds(self):
        return self.ias(OPT_IA_PD)

    def add_ia(self, ia):
        """Append an IA (payloads6.IA) as an option."""
        self.add(ia.code, ia.to_payload())

    def relay_option(self, code, level):
        """The first option ``code`` of relay layer ``level`` (0 = outermost), None when absent."""
        if level < 0 or level >= len(self.relays):
            return None
        return self.relays[level].get(code)

    def relay_option_nearest_client(self, code):
        """The option ``code`` of the relay closest to the client that has one (Kea's
        RELAY_SEARCH_FROM_CLIENT), None when no layer carries it."""
        for r in reversed(self.relays):
            p = r.get(code)
            if p is not None:
                return p
        return None

    @property
    def peer_address(self):
        """The client's address as the relay nearest it saw it (relays[-1].peer_address); None direct."""
        return self.relays[-1].peer_address if self.relays else None

    def copy(self):
        return Packet6(self.msg_type, self.transaction_id, self.options, [r.copy() for r in self.relays])

    def __eq__(self, other):
        return isinstance(other, Packet6) and (
            self.msg_type,
            self.transaction_id,
            self.options,
            self.relays,
        ) == (
            other.msg_type,
            other.transaction_id,
            other.options,
            other.relays,
        )

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return "<Packet6 %s xid=0x%06x options=%r relays=%d>" % (
            MESSAGE_TYPE_NAMES.get(self.msg_type, "type-%d" % self.msg_type),
            self.transaction_id,
            self.codes(),
            len(self.relays),
        )


def _hex(b):
    return "".join(["%02x" % x for x in b])


# ---------------------------------------------------------------- decode


def _scan(data, start, end, lenient, where):
    """The TLVs of data[start:end] -> [(code, payload), ...] (message / relay layer reasons)."""
    out = []
    i = start
    while i < end:
        if end - i < 4:
            if lenient:
                return out
            raise DecodeError(
                "truncated-option",
                "%d stray bytes at offset %d of the %s, not a whole option header" % (end - i, i, where),
            )
        code = (data[i] << 8) | data[i + 1]
        j = i + 4 + ((data[i + 2] << 8) | data[i + 3])
        if j > end:
            if lenient:
                return out
            raise DecodeError(
                "option-overrun",
                "option %d (length %d) at offset %d runs past the end of the %s"
                % (code, j - i - 4, i, where),
            )
        out.append((code, data[i + 4 : j]))
        i = j
    return out


def decode6(data, lenient=False):
    """Bytes of a DHCPv6 message (the UDP payload) -> Packet6; DecodeError if malformed."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("not-bytes", "packet must be bytes, not %s" % type(data).__name__)
    data = bytes(data)
    n = len(data)
    if n < HEADER_LEN:
        raise DecodeError("truncated-header", "%d bytes is shorter than the 4-byte DHCPv6 header" % n)
    relays = []
    seen = {}
    pos = 0
    end = n
    while data[pos] == RELAY_FORW or data[pos] == RELAY_REPL:
        if end - pos < RELAY_HEADER_LEN:
            raise DecodeError(
                "truncated-header",
                "relay layer %d: %d bytes is shorter than the 34-byte relay header"
                % (len(relays), end - pos),
            )
        if len(relays) >= HOP_COUNT_LIMIT:
            raise DecodeError("relay-too-deep", "more than %d relay layers" % HOP_COUNT_LIMIT)
        key = data[pos + 2 : pos + 34]
        if key in seen:
            raise DecodeError(
                "relay-loop",
                "relay layers %d and %d have the same link-address and peer-address"
                % (seen[key], len(relays)),
            )
        seen[key] = len(relays)
        opts = _scan(data, pos + 34, end, lenient, "relay layer %d" % len(relays))
        at = -1
        for k in range(len(opts)):
            if opts[k][0] == OPT_RELAY_MSG:
                if at >= 0:
                    raise DecodeError("bad-relay-msg", "relay layer %d carries relay-msg twice" % len(relays))
                at = k
        if at < 0 or not opts[at][1]:
            raise DecodeError("missing-relay-msg", "relay layer %d has no relay-msg" % len(relays))
        inner = opts.pop(at)[1]
        relays.append(Relay(data[pos], data[pos + 1], key[:16], key[16:], None, at))
        relays[-1].options = opts  # already bytes: skip the constructor's checks
        data = inner
        pos = 0
        end = len(data)
        if end < HEADER_LEN:
            raise DecodeError(
                "truncated-header",
                "the relay-msg of relay layer %d holds %d bytes, shorter than the 4-byte header"
                % (len(relays) - 1, end),
            )
    word = struct.unpack_from("!I", data, pos)[0]
    p = Packet6(word >> 24, word & 0xFFFFFF)
    p.options = _scan(data, pos + 4, end, lenient, "message")
    p.relays = relays
    return p


# ---------------------------------------------------------------- encode


def _check_byte(v, what):
    if type(v) is not int or v < 0 or v > 0xFF:
        if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v > 0xFF:
            raise EncodeError("%s %r is not in 0..255" % (what, v), "bad-field")


def _addr(b, what):
    if type(b) is bytes and len(b) == 16:
        return b
    if not isinstance(b, (bytes, bytearray)) or len(b) != 16:
        raise EncodeError("%s must be 16 bytes, not %r" % (what, b), "bad-field")
    return bytes(b)


def encode_message(packet):
    """The client/server message alone (no relay layers) -> bytes."""
    _check_byte(packet.msg_type, "message type")
    xid = packet.transaction_id
    if type(xid) is not int or xid < 0 or xid > 0xFFFFFF:
        raise EncodeError("transaction id %r is not in 0..0xffffff" % (xid,), "bad-field")
    return struct.pack("!I", (packet.msg_type << 24) | xid) + build_options(packet.options)


def wrap_relay(relay, inner):
    """One relay layer around ``inner`` (the bytes of the message it carries) -> bytes."""
    _check_byte(relay.msg_type, "relay message type")
    _check_byte(relay.hop_count, "hop count")
    if len(inner) > 0xFFFF:
        raise EncodeError("relay-msg of %d bytes is longer than 65535" % len(inner), "too-big")
    at = relay._msg_index()
    opts = relay.options
    return b"".join(
        (
            bytes((relay.msg_type, relay.hop_count)),
            _addr(relay.link_address, "link-address"),
            _addr(relay.peer_address, "peer-address"),
            build_options(opts[:at]),
            struct.pack("!HH", OPT_RELAY_MSG, len(inner)),
            inner,
            build_options(opts[at:]),
        )
    )


def encode6(packet):
    """Packet6 -> bytes: the message wrapped in its relay layers.  EncodeError when it cannot be written."""
    out = encode_message(packet)
    if len(packet.relays) > HOP_COUNT_LIMIT:
        raise EncodeError("%d relay layers, more than %d" % (len(packet.relays), HOP_COUNT_LIMIT), "too-deep")
    for relay in reversed(packet.relays):
        out = wrap_relay(relay, out)
    return out


# ---------------------------------------------------------------- replies


def relay_replies(relays):
    """RELAY-REPL layers answering ``relays`` (a request's, outermost first): the same hop counts and
    addresses, interface-id and relay-source-port echoed (RFC 8415 s19.3, RFC 8357 s5; Kea's
    copyRelayInfo), relay-msg after them."""
    out = []
    for r in relays:
        opts = []
        for code in (OPT_INTERFACE_ID, OPT_RELAY_SOURCE_PORT):
            p = r.get(code)
            if p is not None:
                opts.append((code, p))
        layer = Relay(RELAY_REPL, r.hop_count, r.link_address, r.peer_address)
        layer.options = opts
        out.append(layer)
    return out


def make_reply(request, msg_type=REPLY):
    """The start of the server's answer to ``request``: ``msg_type``, the same transaction id, the
    client's client-id (the first one, as Kea copies it) and the RELAY-REPL chain for its relays."""
    r = Packet6(msg_type, request.transaction_id)
    cid = request.get(OPT_CLIENTID)
    if cid is not None:
        r.options.append((OPT_CLIENTID, cid))
    r.relays = relay_replies(request.relays)
    return r
