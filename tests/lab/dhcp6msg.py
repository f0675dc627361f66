"""DHCPv6 messages as bytes, for lab tests: build any message, take any reply apart (RFC 8415 layout).

Rules this module keeps:
- Test-side and independent of edge.wire on purpose: the lab checks edge-dhcp's codec against Kea with
  this one, so a mistake shared by both cannot hide. It is small and literal: a message is a type, a
  transaction id and an ordered list of (code, payload) options; relay messages (12, 13) are a hop count,
  link-address, peer-address and options. Nothing is validated beyond what is needed to walk the bytes:
  truncated input raises ValueError.
- `describe()` turns a message into plain JSON-able data (names, numbers, hex, nested IA/IAADDR/IA_PD/
  IAPREFIX/status/relay payloads), the shape the capture files and the side-by-side comparisons use.

Theory of operation: `Message.encode()` / `decode(data)`; the option builders (`duid_ll`, `ia_na`,
`iaaddr`, `ia_pd`, `iaprefix`, `oro`, `elapsed`, `status`, `relay_forw`) return option payloads or whole
options so a crafted SOLICIT reads like the RFC's figure.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field
from typing import Any

MESSAGE_TYPES = {
    1: "SOLICIT",
    2: "ADVERTISE",
    3: "REQUEST",
    4: "CONFIRM",
    5: "RENEW",
    6: "REBIND",
    7: "REPLY",
    8: "RELEASE",
    9: "DECLINE",
    10: "RECONFIGURE",
    11: "INFORMATION-REQUEST",
    12: "RELAY-FORW",
    13: "RELAY-REPL",
    14: "LEASEQUERY",
    15: "LEASEQUERY-REPLY",
    20: "DHCPV4-QUERY",
    21: "DHCPV4-RESPONSE",
}
TYPE_CODES = {name: code for code, name in MESSAGE_TYPES.items()}
SOLICIT, ADVERTISE, REQUEST, CONFIRM, RENEW, REBIND, REPLY, RELEASE, DECLINE = range(1, 10)
INFORMATION_REQUEST, RELAY_FORW, RELAY_REPL = 11, 12, 13

OPTION_NAMES = {
    1: "client-id",
    2: "server-id",
    3: "ia-na",
    4: "ia-ta",
    5: "iaaddr",
    6: "oro",
    7: "preference",
    8: "elapsed-time",
    9: "relay-msg",
    11: "auth",
    12: "unicast",
    13: "status-code",
    14: "rapid-commit",
    15: "user-class",
    16: "vendor-class",
    17: "vendor-opts",
    18: "interface-id",
    19: "reconf-msg",
    20: "reconf-accept",
    21: "sip-server-dns",
    22: "sip-server-addr",
    23: "dns-servers",
    24: "domain-search",
    25: "ia-pd",
    26: "iaprefix",
    27: "nis-servers",
    28: "nisp-servers",
    29: "nis-domain-name",
    30: "nisp-domain-name",
    31: "sntp-servers",
    32: "information-refresh-time",
    33: "bcmcs-server-dns",
    34: "bcmcs-server-addr",
    36: "geoconf-civic",
    37: "remote-id",
    38: "subscriber-id",
    39: "client-fqdn",
    40: "pana-agent",
    41: "new-posix-timezone",
    42: "new-tzdb-timezone",
    43: "ero",
    56: "ntp-server",
    59: "bootfile-url",
    60: "bootfile-param",
    61: "client-arch-type",
    64: "aftr-name",
    65: "erp-local-domain-name",
    66: "rsoo",
    67: "pd-exclude",
    79: "client-linklayer-addr",
    82: "sol-max-rt",
    83: "inf-max-rt",
}
CLIENT_ID, SERVER_ID, IA_NA, IA_TA, IAADDR, ORO, PREFERENCE, ELAPSED_TIME, RELAY_MSG = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
)
STATUS_CODE, RAPID_COMMIT, INTERFACE_ID, DNS_SERVERS, DOMAIN_SEARCH, IA_PD, IAPREFIX = (
    13,
    14,
    18,
    23,
    24,
    25,
    26,
)

STATUS_NAMES = {
    0: "Success",
    1: "UnspecFail",
    2: "NoAddrsAvail",
    3: "NoBinding",
    4: "NotOnLink",
    5: "UseMulticast",
    6: "NoPrefixAvail",
}

Options = list[tuple[int, bytes]]


def option(code: int, payload: bytes = b"") -> bytes:
    return struct.pack("!HH", code, len(payload)) + payload


def encode_options(options: Options) -> bytes:
    return b"".join(option(code, payload) for code, payload in options)


def decode_options(data: bytes) -> Options:
    found: Options = []
    at = 0
    while at < len(data):
        if len(data) - at < 4:
            raise ValueError(f"option header truncated at offset {at}")
        code, length = struct.unpack_from("!HH", data, at)
        if at + 4 + length > len(data):
            raise ValueError(f"option {code} at offset {at} runs past the end ({length} bytes)")
        found.append((code, bytes(data[at + 4 : at + 4 + length])))
        at += 4 + length
    return found


@dataclass
class Message:
    """A client/server message (xid set) or a relay message (hop, link, peer set)."""

    msg_type: int
    xid: int = 0
    options: Options = field(default_factory=list)
    hop: int = 0
    link: ipaddress.IPv6Address = ipaddress.IPv6Address("::")
    peer: ipaddress.IPv6Address = ipaddress.IPv6Address("::")

    @property
    def is_relay(self) -> bool:
        return self.msg_type in (RELAY_FORW, RELAY_REPL)

    @property
    def name(self) -> str:
        return MESSAGE_TYPES.get(self.msg_type, f"type-{self.msg_type}")

    def encode(self) -> bytes:
        if self.is_relay:
            head = bytes((self.msg_type, self.hop)) + self.link.packed + self.peer.packed
        else:
            head = struct.pack("!I", (self.msg_type << 24) | (self.xid & 0xFFFFFF))
        return head + encode_options(self.options)

    def get(self, code: int) -> bytes | None:
        for found, payload in self.options:
            if found == code:
                return payload
        return None

    def all(self, code: int) -> list[bytes]:
        return [payload for found, payload in self.options if found == code]

    def codes(self) -> list[int]:
        return [code for code, _ in self.options]

    def inner(self) -> Message:
        """The message inside a relay message (one level); ValueError if there is none."""
        payload = self.get(RELAY_MSG)
        if payload is None:
            raise ValueError(f"{self.name} carries no relay-msg option")
        return decode(payload)

    def innermost(self) -> Message:
        msg = self
        while msg.is_relay:
            msg = msg.inner()
        return msg


def decode(data: bytes) -> Message:
    if len(data) < 1:
        raise ValueError("empty DHCPv6 message")
    msg_type = data[0]
    if msg_type in (RELAY_FORW, RELAY_REPL):
        if len(data) < 34:
            raise ValueError("relay message header truncated")
        return Message(
            msg_type,
            hop=data[1],
            link=ipaddress.IPv6Address(bytes(data[2:18])),
            peer=ipaddress.IPv6Address(bytes(data[18:34])),
            options=decode_options(data[34:]),
        )
    if len(data) < 4:
        raise ValueError("message header truncated")
    return Message(msg_type, xid=int.from_bytes(data[1:4], "big"), options=decode_options(data[4:]))


# -- builders ----------------------------------------------------------------------------------------------


def duid_ll(mac: bytes, htype: int = 1) -> bytes:
    return struct.pack("!HH", 3, htype) + mac


def duid_llt(mac: bytes, time: int, htype: int = 1) -> bytes:
    return struct.pack("!HHI", 1, htype, time) + mac


def duid_en(enterprise: int, identifier: bytes) -> bytes:
    return struct.pack("!HI", 2, enterprise) + identifier


def iaaddr(address: str, preferred: int = 0, valid: int = 0, options: Options | None = None) -> bytes:
    payload = ipaddress.IPv6Address(address).packed + struct.pack("!II", preferred, valid)
    return option(IAADDR, payload + encode_options(options or []))


def ia_na(iaid: int, t1: int = 0, t2: int = 0, *inner: bytes) -> bytes:
    """IA_NA payload; `inner` are whole options (iaaddr(...), option(STATUS_CODE, ...))."""
    return struct.pack("!III", iaid, t1, t2) + b"".join(inner)


def iaprefix(prefix: str, preferred: int = 0, valid: int = 0, options: Options | None = None) -> bytes:
    net = ipaddress.IPv6Network(prefix, strict=False)
    payload = struct.pack("!IIB", preferred, valid, net.prefixlen) + net.network_address.packed
    return option(IAPREFIX, payload + encode_options(options or []))


def ia_pd(iaid: int, t1: int = 0, t2: int = 0, *inner: bytes) -> bytes:
    return struct.pack("!III", iaid, t1, t2) + b"".join(inner)


def oro(*codes: int) -> bytes:
    return b"".join(struct.pack("!H", code) for code in codes)


def elapsed(centiseconds: int = 0) -> bytes:
    return struct.pack("!H", centiseconds)


def status(code: int, message: str = "") -> bytes:
    return struct.pack("!H", code) + message.encode()


def relay_forw(
    inner: bytes,
    *,
    link: str = "::",
    peer: str = "::",
    hop: int = 0,
    options: Options | None = None,
    relay_msg_last: bool = False,
) -> Message:
    """A RELAY-FORW around `inner` (whole message bytes); `options` come before relay-msg unless told."""
    extra = list(options or [])
    relay_opt = (RELAY_MSG, inner)
    opts = [*extra, relay_opt] if relay_msg_last else [relay_opt, *extra]
    return Message(
        RELAY_FORW,
        hop=hop,
        link=ipaddress.IPv6Address(link),
        peer=ipaddress.IPv6Address(peer),
        options=opts,
    )


# -- taking replies apart ----------------------------------------------------------------------------------


@dataclass
class IA:
    """An IA_NA / IA_PD as received: id, timers, addresses or prefixes, and a status code if present."""

    code: int
    iaid: int
    t1: int
    t2: int
    options: Options

    @property
    def addresses(self) -> list[tuple[ipaddress.IPv6Address, int, int]]:
        """(address, preferred, valid) per IAADDR."""
        found = []
        for code, payload in self.options:
            if code == IAADDR:
                pref, valid = struct.unpack_from("!II", payload, 16)
                found.append((ipaddress.IPv6Address(payload[:16]), pref, valid))
        return found

    @property
    def prefixes(self) -> list[tuple[ipaddress.IPv6Network, int, int]]:
        """(prefix, preferred, valid) per IAPREFIX."""
        found = []
        for code, payload in self.options:
            if code == IAPREFIX:
                pref, valid, plen = struct.unpack_from("!IIB", payload)
                net = ipaddress.IPv6Network((ipaddress.IPv6Address(payload[9:25]), plen), strict=False)
                found.append((net, pref, valid))
        return found

    @property
    def status(self) -> tuple[int, str] | None:
        for code, payload in self.options:
            if code == STATUS_CODE:
                return parse_status(payload)
        return None

    def inner_statuses(self) -> list[tuple[int, str]]:
        """Status codes inside this IA's IAADDR/IAPREFIX options."""
        found = []
        for code, payload in self.options:
            if code in (IAADDR, IAPREFIX):
                skip = 24 if code == IAADDR else 25
                for sub, data in decode_options(payload[skip:]):
                    if sub == STATUS_CODE:
                        found.append(parse_status(data))
        return found


def parse_ia(code: int, payload: bytes) -> IA:
    iaid, t1, t2 = struct.unpack_from("!III", payload)
    return IA(code, iaid, t1, t2, decode_options(payload[12:]))


def ias(msg: Message, code: int = IA_NA) -> list[IA]:
    return [parse_ia(code, payload) for payload in msg.all(code)]


def parse_status(payload: bytes) -> tuple[int, str]:
    return struct.unpack_from("!H", payload)[0], payload[2:].decode(errors="replace")


def top_status(msg: Message) -> tuple[int, str] | None:
    payload = msg.get(STATUS_CODE)
    return parse_status(payload) if payload is not None else None


def addresses_of(payload: bytes) -> list[str]:
    return [str(ipaddress.IPv6Address(payload[i : i + 16])) for i in range(0, len(payload) - 15, 16)]


def _describe_options(options: Options) -> list[dict[str, Any]]:
    return [_describe_option(code, payload) for code, payload in options]


def _describe_option(code: int, payload: bytes) -> dict[str, Any]:
    entry: dict[str, Any] = {"code": code, "name": OPTION_NAMES.get(code, f"option-{code}")}
    try:
        if code in (IA_NA, IA_PD) and len(payload) >= 12:
            iaid, t1, t2 = struct.unpack_from("!III", payload)
            entry.update(iaid=iaid, t1=t1, t2=t2, options=_describe_options(decode_options(payload[12:])))
            return entry
        if code == IAADDR and len(payload) >= 24:
            pref, valid = struct.unpack_from("!II", payload, 16)
            entry.update(
                address=str(ipaddress.IPv6Address(payload[:16])),
                preferred=pref,
                valid=valid,
                options=_describe_options(decode_options(payload[24:])),
            )
            return entry
        if code == IAPREFIX and len(payload) >= 25:
            pref, valid, plen = struct.unpack_from("!IIB", payload)
            entry.update(
                prefix=f"{ipaddress.IPv6Address(payload[9:25])}/{plen}",
                preferred=pref,
                valid=valid,
                options=_describe_options(decode_options(payload[25:])),
            )
            return entry
        if code == STATUS_CODE and len(payload) >= 2:
            value, text = parse_status(payload)
            entry.update(status=value, status_name=STATUS_NAMES.get(value, str(value)), message=text)
            return entry
        if code == ORO:
            entry["codes"] = [struct.unpack_from("!H", payload, i)[0] for i in range(0, len(payload) - 1, 2)]
            return entry
        if code == ELAPSED_TIME and len(payload) == 2:
            entry["centiseconds"] = struct.unpack("!H", payload)[0]
            return entry
        if code in (DNS_SERVERS, 31, 22) and len(payload) % 16 == 0:
            entry["addresses"] = addresses_of(payload)
            return entry
        if code == RELAY_MSG:
            entry["message"] = describe(decode(payload))
            return entry
    except (ValueError, struct.error) as exc:
        entry["error"] = str(exc)
    entry["hex"] = payload.hex()
    return entry


def describe(msg: Message) -> dict[str, Any]:
    """Plain data for a message: type name, xid or relay fields, options (nested ones decoded)."""
    out: dict[str, Any] = {"type": msg.name, "msg_type": msg.msg_type}
    if msg.is_relay:
        out.update(hop=msg.hop, link=str(msg.link), peer=str(msg.peer))
    else:
        out["xid"] = f"{msg.xid:06x}"
    out["options"] = _describe_options(msg.options)
    return out
