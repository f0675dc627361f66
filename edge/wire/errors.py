"""Errors raised by the DHCPv4 wire codec.

Rules this module keeps:
- Every failure of the codec is one of three ValueError subclasses, so a caller
  that only wants "was it good?" can catch ValueError, and one that wants to
  count drops can read ``DecodeError.reason``.
- ``reason`` is a short, stable code from the fixed set below.  Statistics and
  log message ids are built from it, so a reason is never renamed; new ones may
  be added.  The human message (``str(err)``) is free text and may change.
- MicroPython subset: no annotations, no f-strings, ``super().__init__`` only.

Theory of operation: ``decode`` (packet.py) and the type registry (types.py)
raise DecodeError for bytes that came off the wire; ``encode`` raises
EncodeError when a packet cannot be laid out; the text parsers in types.py and
options.py raise OptionTextError for bad ``data`` strings from a configuration.

Decode reasons:
  not-bytes          decode was given something that is not bytes-like
  truncated-header   fewer than 236 bytes: the fixed BOOTP header is cut short
  bad-op             op is neither BOOTREQUEST (1) nor BOOTREPLY (2)
  bad-hlen           hlen is larger than the 16-byte chaddr field
  bad-cookie         no DHCP magic cookie 99.130.83.99 at offset 236
                     (plain BOOTP, or vendor area garbage)
  option-overrun     an option's length byte runs past the end of the options field
  bad-option-length  a length the codec relies on is wrong (52 and 53 must be 1)
  bad-overload       option 52 is not 1, 2 or 3, or the file/sname field it points
                     at does not hold well-formed options
  suboption-overrun  a relay agent (option 82) sub-option runs past its option
  bad-option-data    an option payload does not match its type (types.py)
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
)


class DecodeError(ValueError):
    """Bytes that are not a well-formed DHCPv4 packet or option payload."""

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
