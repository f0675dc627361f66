"""ISC dhcpd's option names and formats, and how their values become Kea `option-data`.

Rules this module keeps:
- dhcpd's standard options are a table of rows (code, dhcpd name, format), with the format written in
  dhcpd's own option-definition syntax, so `option foo code 250 = array of ip-address;` in a
  configuration and a row here go through the same parser. Names are dhcp-options(5)'s; where Kea
  calls an option differently (bootfile-name -> boot-file-name, nwip-domain -> nwip-domain-name, ...)
  the Kea name comes from edge.wire.options44, looked up by code, never from a second name table.
- A value is first encoded to wire bytes by dhcpd's rules for its format; the Kea text is then made from
  the bytes with edge's own codec for Kea's definition (wire_to_text), and kept only if it parses back
  to the same bytes. Otherwise the value is written as hex with "csv-format": false, which Kea and
  edge-dhcp both take for any option. So every value written is one both servers load.
- Errors in a value (dhcpd would refuse it too) raise MigrationError with the statement's line;
  values dhcpd resolves through DNS at start-up (host names for addresses) raise NeedsDns, which the
  translator turns into a note: a converter must not depend on, or send traffic to, the network.

Theory of operation. A format (DType) is a tuple of field kinds plus how it repeats:
    array ""      one record (or one value)
    array "last"  the last field repeats, comma-separated (`{ uint8, array of ip-address }`)
    array "all"   the whole record repeats, comma-separated (standard options only, e.g. static-routes)
Field kinds: bool u8 u16 u32 i8 i16 i32 ip ip6 text string domain domains empty encap.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from edge.migrate.common import MigrationError, Untranslatable
from edge.migrate.dhcpd.syntax import Token, tokens
from edge.wire.errors import OptionTextError
from edge.wire.types import TYPES

__all__ = [
    "DHCPD_SPACES",
    "DType",
    "NeedsDns",
    "OptionInfo",
    "encode_value",
    "kea_definition",
    "parse_type",
    "standard_options",
]

INT_KINDS = {
    "u8": (1, False),
    "u16": (2, False),
    "u32": (4, False),
    "i8": (1, True),
    "i16": (2, True),
    "i32": (4, True),
}
KEA_KIND = {
    "bool": "boolean",
    "u8": "uint8",
    "u16": "uint16",
    "u32": "uint32",
    "i8": "int8",
    "i16": "int16",
    "i32": "int32",
    "ip": "ipv4-address",
    "ip6": "ipv6-address",
    "text": "string",
    "string": "string",
    "domain": "fqdn",
}
HEX_LIST = re.compile(r"^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2})*$")
IPV4 = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")


class NeedsDns(Untranslatable):
    """A value names a host where dhcpd would look its address up in DNS."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name} is a host name: dhcpd looks it up in DNS when it starts; give the address instead"
        )
        self.name = name


@dataclass(frozen=True)
class DType:
    fields: tuple[str, ...]
    array: str = ""  # "", "last", "all"
    encapsulate: str = ""

    def describe(self) -> str:
        inner = ", ".join(self.fields)
        if len(self.fields) > 1 or self.array == "all":
            inner = "{ " + inner + " }"
        return ("array of " if self.array else "") + inner


@dataclass
class OptionInfo:
    """One option as dhcpd knows it: its dhcpd space and name, code and format."""

    space: str  # dhcpd space name: dhcp, agent, server, vendor, fqdn, or a user space
    name: str
    code: int
    dtype: DType
    line: int | None = None  # where a configuration defined it (None: standard)


# (code, dhcpd name, format in dhcpd's definition syntax) -- dhcp-options(5), ISC DHCP 4.4.
DHCP_OPTIONS = (
    (1, "subnet-mask", "ip-address"),
    (2, "time-offset", "signed integer 32"),
    (3, "routers", "array of ip-address"),
    (4, "time-servers", "array of ip-address"),
    (5, "ien116-name-servers", "array of ip-address"),
    (6, "domain-name-servers", "array of ip-address"),
    (7, "log-servers", "array of ip-address"),
    (8, "cookie-servers", "array of ip-address"),
    (9, "lpr-servers", "array of ip-address"),
    (10, "impress-servers", "array of ip-address"),
    (11, "resource-location-servers", "array of ip-address"),
    (12, "host-name", "string"),
    (13, "boot-size", "unsigned integer 16"),
    (14, "merit-dump", "text"),
    (15, "domain-name", "text"),
    (16, "swap-server", "ip-address"),
    (17, "root-path", "text"),
    (18, "extensions-path", "text"),
    (19, "ip-forwarding", "boolean"),
    (20, "non-local-source-routing", "boolean"),
    (21, "policy-filter", "array of { ip-address, ip-address }"),
    (22, "max-dgram-reassembly", "unsigned integer 16"),
    (23, "default-ip-ttl", "unsigned integer 8"),
    (24, "path-mtu-aging-timeout", "unsigned integer 32"),
    (25, "path-mtu-plateau-table", "array of unsigned integer 16"),
    (26, "interface-mtu", "unsigned integer 16"),
    (27, "all-subnets-local", "boolean"),
    (28, "broadcast-address", "ip-address"),
    (29, "perform-mask-discovery", "boolean"),
    (30, "mask-supplier", "boolean"),
    (31, "router-discovery", "boolean"),
    (32, "router-solicitation-address", "ip-address"),
    (33, "static-routes", "array of { ip-address, ip-address }"),
    (34, "trailer-encapsulation", "boolean"),
    (35, "arp-cache-timeout", "unsigned integer 32"),
    (36, "ieee802-3-encapsulation", "boolean"),
    (37, "default-tcp-ttl", "unsigned integer 8"),
    (38, "tcp-keepalive-interval", "unsigned integer 32"),
    (39, "tcp-keepalive-garbage", "boolean"),
    (40, "nis-domain", "text"),
    (41, "nis-servers", "array of ip-address"),
    (42, "ntp-servers", "array of ip-address"),
    (43, "vendor-encapsulated-options", "string"),
    (44, "netbios-name-servers", "array of ip-address"),
    (45, "netbios-dd-server", "array of ip-address"),
    (46, "netbios-node-type", "unsigned integer 8"),
    (47, "netbios-scope", "string"),
    (48, "font-servers", "array of ip-address"),
    (49, "x-display-manager", "array of ip-address"),
    (50, "dhcp-requested-address", "ip-address"),
    (51, "dhcp-lease-time", "unsigned integer 32"),
    (52, "dhcp-option-overload", "unsigned integer 8"),
    (53, "dhcp-message-type", "unsigned integer 8"),
    (54, "dhcp-server-identifier", "ip-address"),
    (55, "dhcp-parameter-request-list", "array of unsigned integer 8"),
    (56, "dhcp-message", "text"),
    (57, "dhcp-max-message-size", "unsigned integer 16"),
    (58, "dhcp-renewal-time", "unsigned integer 32"),
    (59, "dhcp-rebinding-time", "unsigned integer 32"),
    (60, "vendor-class-identifier", "string"),
    (61, "dhcp-client-identifier", "string"),
    (62, "nwip-domain", "string"),
    (63, "nwip-suboptions", "string"),
    (64, "nisplus-domain", "text"),
    (65, "nisplus-servers", "array of ip-address"),
    (66, "tftp-server-name", "text"),
    (67, "bootfile-name", "text"),
    (68, "mobile-ip-home-agent", "array of ip-address"),
    (69, "smtp-server", "array of ip-address"),
    (70, "pop-server", "array of ip-address"),
    (71, "nntp-server", "array of ip-address"),
    (72, "www-server", "array of ip-address"),
    (73, "finger-server", "array of ip-address"),
    (74, "irc-server", "array of ip-address"),
    (75, "streettalk-server", "array of ip-address"),
    (76, "streettalk-directory-assistance-server", "array of ip-address"),
    (77, "user-class", "string"),
    (78, "slp-directory-agent", "{ boolean, array of ip-address }"),
    (79, "slp-service-scope", "{ boolean, text }"),
    (85, "nds-servers", "array of ip-address"),
    (86, "nds-tree-name", "string"),
    (87, "nds-context", "string"),
    (88, "bcms-controller-names", "domain-list"),
    (89, "bcms-controller-address", "array of ip-address"),
    (90, "authenticate", "string"),
    (91, "client-last-transaction-time", "unsigned integer 32"),
    (92, "associated-ip", "array of ip-address"),
    (93, "pxe-system-type", "array of unsigned integer 16"),
    (94, "pxe-interface-id", "{ unsigned integer 8, unsigned integer 8, unsigned integer 8 }"),
    (97, "pxe-client-id", "{ unsigned integer 8, string }"),
    (98, "uap-servers", "text"),
    (99, "geoconf-civic", "string"),
    (100, "pcode", "text"),
    (101, "tcode", "text"),
    (108, "v6-only-preferred", "unsigned integer 32"),
    (112, "netinfo-server-address", "array of ip-address"),
    (113, "netinfo-server-tag", "text"),
    (114, "default-url", "text"),
    (117, "name-service-search", "array of unsigned integer 16"),
    (118, "subnet-selection", "ip-address"),
    (119, "domain-search", "domain-list"),
    (124, "vivco", "string"),
    (125, "vivso", "string"),
    (137, "v4-lost", "domain-name"),
    (141, "sip-ua-cs-domains", "domain-list"),
    (146, "rdnss-selection", "{ unsigned integer 8, ip-address, ip-address, domain-name }"),
    (150, "tftp-server-address", "array of ip-address"),
    (209, "loader-configfile", "text"),
    (210, "loader-pathprefix", "text"),
    (211, "loader-reboottime", "unsigned integer 32"),
    (212, "option-6rd", "array of { unsigned integer 8, unsigned integer 8, ip6-address, ip-address }"),
    (213, "v4-access-domain", "domain-name"),
)

# Relay agent information (option 82) sub-options, dhcpd's "agent" space.
AGENT_OPTIONS = (
    (1, "circuit-id", "string"),
    (2, "remote-id", "string"),
    (4, "DOCSIS-device-class", "unsigned integer 32"),
    (5, "link-selection", "ip-address"),
)

# dhcpd space -> Kea space, for the spaces both have.
DHCPD_SPACES = {"dhcp": "dhcp4", "agent": "dhcp-agent-options-space"}
# dhcpd spaces that exist without an `option space` statement, and why they cannot be carried over.
BUILTIN_SPACES = {
    "server": "",
    "vendor": "",
    "fqdn": "the client FQDN option (81) is built by the server; Kea takes it from ddns-* parameters",
    "nwip": "NetWare/IP sub-options have no Kea space",
    "vendor-class": "vendor-class (124) sub-options have no Kea space",
    "dhcp6": "a DHCPv6 option in a DHCPv4 configuration",
}


# ------------------------------------------------------------------------------------------- formats


class _TypeReader:
    def __init__(self, toks: list[Token], source: str, line: int, internal: bool) -> None:
        self.toks = toks
        self.i = 0
        self.source = source
        self.line = line
        self.internal = internal

    def fail(self, message: str) -> MigrationError:
        return MigrationError(self.source, self.line, message)

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def word(self) -> str:
        tok = self.peek()
        if tok is None:
            raise self.fail("option type expected")
        self.i += 1
        return tok.value.lower() if tok.kind == "word" else tok.value

    def atom(self, in_record: bool) -> tuple[str, str]:
        """(kind, encapsulated space)"""
        w = self.word()
        if w == "{":
            raise self.fail("unknown data type {")
        if w == "boolean":
            return "bool", ""
        if w in ("integer", "signed", "unsigned"):
            if w != "integer":
                if self.word() != "integer":
                    raise self.fail("'integer' expected after signed/unsigned")
            width = self.word()
            if width not in ("8", "16", "32"):
                raise self.fail(f"integer width {width} is not 8, 16 or 32")
            return ("u" if w == "unsigned" else "i") + width, ""
        if w == "ip-address":
            return "ip", ""
        if w == "ip6-address":
            return "ip6", ""
        if w == "text":
            return "text", ""
        if w == "string":
            return "string", ""
        if w == "domain-name":
            return "domain", ""
        if w == "domain-list":
            tok = self.peek()
            if tok is not None and tok.is_word("compressed"):
                self.i += 1
            return "domains", ""
        if w == "zerolen":
            return "empty", ""
        if w == "encapsulate":
            if in_record:
                raise self.fail("encapsulate cannot be a record field")
            return "encap", self.word()
        raise self.fail(f"unknown data type {w}")

    def read(self) -> DType:
        tok = self.peek()
        if tok is not None and tok.is_word("array"):
            self.i += 1
            if self.word() != "of":
                raise self.fail("'of' expected after 'array'")
            nxt = self.peek()
            if nxt is not None and nxt.is_word("array"):
                raise self.fail("no nested arrays.")
            if nxt is not None and nxt.is_punct("{") and self.internal:
                self.i += 1
                fields = self.record_fields()
                return DType(fields, "all")
            kind, encap = self.atom(False)
            if kind in ("text", "string", "domains"):
                raise self.fail("arrays of text strings not yet supported.")
            if kind in ("encap", "empty"):
                raise self.fail(f"an array of {kind} is not allowed")
            return DType((kind,), "last")
        if tok is not None and tok.is_punct("{"):
            self.i += 1
            fields = self.record_fields()
            array = ""
            if fields and fields[-1].startswith("array:"):
                fields = (*fields[:-1], fields[-1][6:])
                array = "last"
            return DType(fields, array)
        kind, encap = self.atom(False)
        return DType((kind,), "", encap)

    def record_fields(self) -> tuple[str, ...]:
        fields: list[str] = []
        while True:
            tok = self.peek()
            if tok is None:
                raise self.fail("record type without its closing '}'")
            if tok.is_word("array"):
                self.i += 1
                if self.word() != "of":
                    raise self.fail("'of' expected after 'array'")
                nxt = self.peek()
                if nxt is not None and nxt.is_word("array"):
                    raise self.fail("no nested arrays.")
                kind, _ = self.atom(True)
                fields.append("array:" + kind)
            else:
                kind, _ = self.atom(True)
                fields.append(kind)
            tok = self.peek()
            if tok is None:
                raise self.fail("record type without its closing '}'")
            self.i += 1
            if tok.is_punct("}"):
                break
            if not tok.is_punct(","):
                raise self.fail(f"',' or '}}' expected in a record type, got {tok.shown()}")
        return tuple(fields)


def parse_type(toks: list[Token], source: str, line: int, internal: bool = False) -> tuple[DType, list[str]]:
    """A format from the tokens after `=`; returns it and remarks (e.g. an array inside a record)."""
    reader = _TypeReader(toks, source, line, internal)
    dtype = reader.read()
    if reader.i != len(toks):
        raise MigrationError(source, line, f"unexpected {toks[reader.i].shown()} after the option type")
    remarks = []
    inner_arrays = [f for f in dtype.fields[:-1] if f.startswith("array:")]
    if inner_arrays:
        remarks.append("an array inside a record that is not its last field")
        dtype = DType(tuple(f.replace("array:", "") for f in dtype.fields), "inner")
    return dtype, remarks


def _standard() -> dict[tuple[str, str], OptionInfo]:
    table: dict[tuple[str, str], OptionInfo] = {}
    for space, rows in (("dhcp", DHCP_OPTIONS), ("agent", AGENT_OPTIONS)):
        for code, name, fmt in rows:
            toks = [t for t in tokens(fmt, "<table>") if t.kind != "eof"]
            dtype, _ = parse_type(toks, "<table>", 0, internal=True)
            table[(space, name.lower())] = OptionInfo(space, name, code, dtype)
    return table


_STANDARD: dict[tuple[str, str], OptionInfo] | None = None


def standard_options() -> dict[tuple[str, str], OptionInfo]:
    """(dhcpd space, lower-case name) -> OptionInfo for dhcpd's built-in options (built once)."""
    global _STANDARD
    if _STANDARD is None:
        _STANDARD = _standard()
    return _STANDARD


def kea_definition(dtype: DType) -> tuple[str, bool, str] | None:
    """Kea (type, array, record-types) for a dhcpd format, or None when Kea cannot express it."""
    fields, array = dtype.fields, dtype.array
    if array in ("inner", "all") and len(fields) > 1:
        return None
    if len(fields) == 1:
        kind = fields[0]
        if kind == "domains":
            return "fqdn", True, ""
        if kind == "empty":
            return "empty", False, ""
        if kind == "encap":
            return "empty", False, ""
        return KEA_KIND[kind], bool(array), ""
    kinds = []
    for i, kind in enumerate(fields):
        if kind in ("domains", "empty", "encap"):
            return None
        if kind in ("text", "string") and i != len(fields) - 1:
            return None
        kinds.append(KEA_KIND[kind])
    if array and fields[-1] in ("text", "string"):
        return None
    return "record", bool(array), ", ".join(kinds)


# ------------------------------------------------------------------------------------------- values


class _ValueReader:
    def __init__(self, toks: list[Token], source: str, line: int) -> None:
        self.toks = toks
        self.i = 0
        self.source = source
        self.line = line

    def fail(self, message: str) -> MigrationError:
        tok = self.toks[self.i] if self.i < len(self.toks) else None
        return MigrationError(self.source, tok.line if tok else self.line, message)

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, what: str) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.fail(f"{what} expected")
        self.i += 1
        return tok

    def comma(self) -> bool:
        tok = self.peek()
        if tok is not None and tok.is_punct(","):
            self.i += 1
            return True
        return False

    def field(self, kind: str) -> bytes:
        if kind == "bool":
            tok = self.take("a boolean")
            value = tok.value.lower() if tok.kind == "word" else ""
            if value in ("true", "on"):
                return b"\x01"
            if value in ("false", "off"):
                return b"\x00"
            self.i -= 1
            raise self.fail(f"expecting boolean, got {tok.shown()}.")
        if kind in INT_KINDS:
            size, signed = INT_KINDS[kind]
            tok = self.take("a number")
            try:
                number = int(tok.value, 0) if tok.kind == "word" else None
            except ValueError:
                number = None
            if number is None:
                self.i -= 1
                raise self.fail(f"expecting a number, got {tok.shown()}.")
            low, high = (
                (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << (8 * size)) - 1)
            )
            if not low <= number <= high:
                self.i -= 1
                raise self.fail(f"{number} does not fit in {'' if signed else 'un'}signed integer {8 * size}")
            return number.to_bytes(size, "big", signed=signed)
        if kind == "ip":
            tok = self.take("an IP address")
            if tok.kind == "word" and IPV4.match(tok.value):
                try:
                    return ipaddress.IPv4Address(tok.value).packed
                except ValueError:
                    pass
                self.i -= 1
                raise self.fail(f"{tok.value} is not an IPv4 address")
            if tok.kind == "word" and re.match(r"^[A-Za-z0-9][A-Za-z0-9.-]*$", tok.value):
                raise NeedsDns(tok.value)
            self.i -= 1
            raise self.fail(f"expecting an IP address or host name, got {tok.shown()}")
        if kind == "ip6":
            tok = self.take("an IPv6 address")
            if tok.kind != "word":
                self.i -= 1
                raise self.fail("Invalid IPv6 address.")
            try:
                return ipaddress.IPv6Address(tok.value).packed
            except ValueError:
                self.i -= 1
                raise self.fail(f"{tok.shown()} is not an IPv6 address") from None
        if kind == "text":
            tok = self.take("a string")
            if tok.kind != "string":
                self.i -= 1
                raise self.fail(f"expecting a quoted string, got {tok.shown()}")
            return tok.data
        if kind == "string":
            tok = self.take("a string or hex list")
            if tok.kind == "string":
                return tok.data
            if tok.kind == "word" and HEX_LIST.match(tok.value):
                return bytes(int(part, 16) for part in tok.value.split(":"))
            self.i -= 1
            raise self.fail(f"expecting a quoted string or a colon-separated hex list, got {tok.shown()}")
        if kind == "domain":
            tok = self.take("a domain name")
            if tok.kind != "word" or not re.match(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$", tok.value):
                self.i -= 1
                raise self.fail("not a valid domain name.")
            return _name_wire(tok.value, self)
        if kind == "domains":
            out = b""
            while True:
                tok = self.take("a domain name string")
                if tok.kind != "string":
                    self.i -= 1
                    raise self.fail(f"expecting a quoted domain name, got {tok.shown()}")
                out += _name_wire(tok.value, self)
                if not self.comma():
                    return out
        if kind == "empty":
            return b""
        raise self.fail(f"cannot read a value of kind {kind}")


def _name_wire(text: str, reader: _ValueReader) -> bytes:
    try:
        return TYPES["fqdn"].to_wire(TYPES["fqdn"].from_text(text))
    except OptionTextError as err:
        raise reader.fail(f"not a valid domain name: {err.message}") from None


def encode_value(dtype: DType, toks: list[Token], source: str, line: int) -> bytes:
    """dhcpd option data (the tokens after the option name) -> payload bytes."""
    reader = _ValueReader(toks, source, line)
    fields, array = dtype.fields, dtype.array
    out = bytearray()
    if array == "inner":
        raise Untranslatable(
            f"values of the format {dtype.describe()} (an array inside a record) are not read"
        )
    if fields == ("encap",) or fields == ("empty",):
        if toks:
            raise reader.fail("this option takes no data")
        return b""
    if array == "all":
        while True:
            for kind in fields:
                out += reader.field(kind)
            if not reader.comma():
                break
    else:
        last = len(fields) - 1
        for n, kind in enumerate(fields):
            if n == last and array == "last":
                while True:
                    out += reader.field(kind)
                    if not reader.comma():
                        break
            else:
                out += reader.field(kind)
                if n != last:
                    reader.comma()  # dhcpd takes record fields with or without commas between them
    if reader.i != len(toks):
        raise reader.fail(f"unexpected {toks[reader.i].shown()} in the option data")
    return bytes(out)
