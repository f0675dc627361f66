"""Errors raised by the wire codec (both families).

Rules this module keeps:
- Every failure of the codec is one of three ValueError subclasses, so a caller
  that only wants "was it good?" can catch ValueError, and one that wants to
  count drops can read ``DecodeError.reason``.
- ``reason`` is a short, stable code from the fixed set below.  Statistics and
  log message ids are built from it, so a reason is never renamed; new ones may
  be added.  The human message (``str(err)``) is free text and may change.
- MicroPython subset: no annotations, no f-strings, ``super().__init__`` only.

Theory of operation: ``decode`` (pkt4.py), ``decode6`` (pkt6.py), the payload
parsers (payloads6.py, duid.py) and the type registry (types.py) raise
DecodeError for bytes that came off the wire; ``encode``/``encode6`` raise
EncodeError when a packet cannot be laid out; the text parsers in types.py and
optiondef.py raise OptionTextError for bad ``data`` strings from a configuration.

Decode reasons (v4: DHCPv4 only, v6: DHCPv6 only, else both):
  not-bytes          decode was given something that is not bytes-like
  truncated-header   v4: fewer than 236 bytes, the fixed BOOTP header is cut short;
                     v6: fewer than 4 bytes of message header (type, transaction id)
                     or 34 of relay header, or a relay-msg holding 1 to 3 bytes
  bad-op             op is neither BOOTREQUEST (1) nor BOOTREPLY (2)
  bad-hlen           hlen is larger than the 16-byte chaddr field
  bad-cookie         no DHCP magic cookie 99.130.83.99 at offset 236
                     (plain BOOTP, or vendor area garbage)
  option-overrun     an option's length runs past the end of the options field
                     (v6: of the message or relay layer it is in)
  truncated-option   v6: 1 to 3 bytes left where an option header (4 bytes) must be
  bad-option-length  a length the codec relies on is wrong (52 and 53 must be 1)
  bad-overload       option 52 is not 1, 2 or 3, or the file/sname field it points
                     at does not hold well-formed options
  suboption-overrun  a sub-option runs past its option: option 82 sub-options (v4);
                     v6: options inside IA_NA/IA_TA/IA_PD/IAADDR/IAPREFIX/vendor-opts
                     (a cut-short sub-option header counts too)
  bad-option-data    an option payload does not match its type (types.py) or its
                     structure (payloads6.py: IA_NA shorter than 12 bytes, odd ORO...)
  relay-too-deep     v6: more than 32 relay layers (RFC 8415 s7.6 HOP_COUNT_LIMIT)
  relay-loop         v6: two relay layers with the same link-address and peer-address:
                     the message went through the same relay from the same peer twice
  missing-relay-msg  v6: a RELAY-FORW/RELAY-REPL layer without a relay-msg option
                     (or with an empty one)
  bad-relay-msg      v6: a relay layer carrying more than one relay-msg option
  bad-duid           v6: a DUID too short for its type (duid.py)
"""

DECODE_REASONS = (
    "not-bytes",
    "truncated-header",
    "bad-op",
    "bad-hlen",
    "bad-cookie",
    "option-overrun",
    "bad-option-length",
    "bad-overload",
    "suboption-overrun",
    "bad-option-data",
    "truncated-option",
    "relay-too-deep",
    "relay-loop",
    "missing-relay-msg",
    "bad-relay-msg",
    "bad-duid",
)


class DecodeError(ValueError):
    """Bytes that are not a well-formed DHCP message or option payload."""

    def __init__(self, reason, message=None):
        super().__init__(message or reason)
        self.reason = reason
        self.message = message or reason


class EncodeError(ValueError):
    """A packet that cannot be written, e.g. options that do not fit max_size."""

    def __init__(self, message, reason="encode"):
        super().__init__(message)
        self.reason = reason
        self.message = message


class OptionTextError(ValueError):
    """A ``data`` text (Kea option-data syntax) that does not fit the option's type."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message
