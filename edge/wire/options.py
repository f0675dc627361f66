"""The DHCPv4 option table (data, not code) and Kea ``data`` text <-> wire.

Rules this module keeps:
- One row per option: (code, Kea name, type, array, record field types,
  encapsulated space).  Names are Kea's standard DHCPv4 names, so a Kea
  ``option-data`` entry means the same here.  Adding an option is adding a row.
- The standard table is never changed at run time.  Custom ``option-def``
  entries go into an OptionRegistry the config loader owns (it starts as a copy
  of the standard table); the module-level by_code/by_name read the standard one.
- text_to_wire raises only OptionTextError; wire_to_text raises only DecodeError.
- MicroPython subset: no annotations, f-strings, dataclasses or enum.

Theory of operation.  An OptionDef names a type from types.py (or "record"
with a tuple of field types).  Kea's csv-format text is split on unescaped
commas ("\\," is a literal comma) and blanks around each field are dropped;
then
  - a plain option takes exactly one field;
  - an array option takes zero or more fields, one item each;
  - a record takes one field per record type; with the array flag the last
    record type repeats over the remaining fields (at least one);
  - "whole text" types (classless-route, vivso) take the unsplit string;
  - an empty-type option takes no text, except that one which encapsulates a
    space (43, 82) also accepts its raw sub-options as hex, so that
    wire_to_text output always parses back.
wire_to_text escapes commas in the fields it writes, so its output parses
back.  Kea's csv rules cannot say everything: blanks at either end of a text
field are lost, and a field that ends in a backslash escapes the comma after
it; such values need csv_format=False (hex).
With csv_format=False the data is hex for any option (hex_to_bytes).  On the
wire, arrays and records are the items back to back; fixed-size items must
fill the payload exactly.
"""

from edge.wire.errors import DecodeError, OptionTextError
from edge.wire.types import TYPES, bytes_to_hex, escape_csv, hex_to_bytes

__all__ = [
    "OptionDef",
    "OptionRegistry",
    "STANDARD",
    "by_code",
    "by_name",
    "make_def",
    "text_to_wire",
    "wire_to_text",
    "wire_to_value",
    "value_to_wire",
    "hex_to_bytes",
    "split_csv",
]

DHCP4_SPACE = "dhcp4"
AGENT_SPACE = "dhcp-agent-options-space"
VENDOR_ENCAPSULATED_SPACE = "vendor-encapsulated-options-space"

A = True  # array flag, for a table that reads as a table
_ = False

# (code, name, type, array, record field types, encapsulated space)
# Types and names follow Kea's standard DHCPv4 option list.
DHCP4_OPTIONS = (
    # RFC 2132
    (1, "subnet-mask", "ipv4-address", _, "", ""),
    (2, "time-offset", "int32", _, "", ""),
    (3, "routers", "ipv4-address", A, "", ""),
    (4, "time-servers", "ipv4-address", A, "", ""),
    (5, "name-servers", "ipv4-address", A, "", ""),
    (6, "domain-name-servers", "ipv4-address", A, "", ""),
    (7, "log-servers", "ipv4-address", A, "", ""),
    (8, "cookie-servers", "ipv4-address", A, "", ""),
    (9, "lpr-servers", "ipv4-address", A, "", ""),
    (10, "impress-servers", "ipv4-address", A, "", ""),
    (11, "resource-location-servers", "ipv4-address", A, "", ""),
    (12, "host-name", "string", _, "", ""),
    (13, "boot-size", "uint16", _, "", ""),
    (14, "merit-dump", "string", _, "", ""),
    # RFC 2132 s3.17 makes this NVT ASCII text, and Kea's option definition is
    # a string; some editions of Kea's manual print "fqdn" here.
    (15, "domain-name", "string", _, "", ""),
    (16, "swap-server", "ipv4-address", _, "", ""),
    (17, "root-path", "string", _, "", ""),
    (18, "extensions-path", "string", _, "", ""),
    (19, "ip-forwarding", "boolean", _, "", ""),
    (20, "non-local-source-routing", "boolean", _, "", ""),
    (21, "policy-filter", "ipv4-address", A, "", ""),
    (22, "max-dgram-reassembly", "uint16", _, "", ""),
    (23, "default-ip-ttl", "uint8", _, "", ""),
    (24, "path-mtu-aging-timeout", "uint32", _, "", ""),
    (25, "path-mtu-plateau-table", "uint16", A, "", ""),
    (26, "interface-mtu", "uint16", _, "", ""),
    (27, "all-subnets-local", "boolean", _, "", ""),
    (28, "broadcast-address", "ipv4-address", _, "", ""),
    (29, "perform-mask-discovery", "boolean", _, "", ""),
    (30, "mask-supplier", "boolean", _, "", ""),
    (31, "router-discovery", "boolean", _, "", ""),
    (32, "router-solicitation-address", "ipv4-address", _, "", ""),
    (33, "static-routes", "ipv4-address", A, "", ""),
    (34, "trailer-encapsulation", "boolean", _, "", ""),
    (35, "arp-cache-timeout", "uint32", _, "", ""),
    (36, "ieee802-3-encapsulation", "boolean", _, "", ""),
    (37, "default-tcp-ttl", "uint8", _, "", ""),
    (38, "tcp-keepalive-interval", "uint32", _, "", ""),
    (39, "tcp-keepalive-garbage", "boolean", _, "", ""),
    (40, "nis-domain", "string", _, "", ""),
    (41, "nis-servers", "ipv4-address", A, "", ""),
    (42, "ntp-servers", "ipv4-address", A, "", ""),
    (43, "vendor-encapsulated-options", "empty", _, "", VENDOR_ENCAPSULATED_SPACE),
    (44, "netbios-name-servers", "ipv4-address", A, "", ""),
    (45, "netbios-dd-server", "ipv4-address", A, "", ""),
    (46, "netbios-node-type", "uint8", _, "", ""),
    (47, "netbios-scope", "string", _, "", ""),
    (48, "font-servers", "ipv4-address", A, "", ""),
    (49, "x-display-manager", "ipv4-address", A, "", ""),
    (50, "dhcp-requested-address", "ipv4-address", _, "", ""),
    (51, "dhcp-lease-time", "uint32", _, "", ""),
    (52, "dhcp-option-overload", "uint8", _, "", ""),
    (53, "dhcp-message-type", "uint8", _, "", ""),
    (54, "dhcp-server-identifier", "ipv4-address", _, "", ""),
    (55, "dhcp-parameter-request-list", "uint8", A, "", ""),
    (56, "dhcp-message", "string", _, "", ""),
    (57, "dhcp-max-message-size", "uint16", _, "", ""),
    (58, "dhcp-renewal-time", "uint32", _, "", ""),
    (59, "dhcp-rebinding-time", "uint32", _, "", ""),
    (60, "vendor-class-identifier", "string", _, "", ""),
    (61, "dhcp-client-identifier", "binary", _, "", ""),
    # RFC 2242
    (62, "nwip-domain-name", "string", _, "", ""),
    (63, "nwip-suboptions", "binary", _, "", ""),
    # RFC 2132 again
    (64, "nisplus-domain-name", "string", _, "", ""),
    (65, "nisplus-servers", "ipv4-address", A, "", ""),
    (66, "tftp-server-name", "string", _, "", ""),
    (67, "boot-file-name", "string", _, "", ""),
    (68, "mobile-ip-home-agent", "ipv4-address", A, "", ""),
    (69, "smtp-server", "ipv4-address", A, "", ""),
    (70, "pop-server", "ipv4-address", A, "", ""),
    (71, "nntp-server", "ipv4-address", A, "", ""),
    (72, "www-server", "ipv4-address", A, "", ""),
    (73, "finger-server", "ipv4-address", A, "", ""),
    (74, "irc-server", "ipv4-address", A, "", ""),
    (75, "streettalk-server", "ipv4-address", A, "", ""),
    (76, "streettalk-directory-assistance-server", "ipv4-address", A, "", ""),
    # later RFCs
    (77, "user-class", "binary", _, "", ""),  # RFC 3004
    (78, "slp-directory-agent", "record", A, "boolean, ipv4-address", ""),  # RFC 2610
    (79, "slp-service-scope", "record", _, "boolean, string", ""),  # RFC 2610
    (81, "fqdn", "record", _, "uint8, uint8, uint8, fqdn", ""),  # RFC 4702
    (82, "dhcp-agent-options", "empty", _, "", AGENT_SPACE),  # RFC 3046
    (85, "nds-servers", "ipv4-address", A, "", ""),  # RFC 2241
    (86, "nds-tree-name", "string", _, "", ""),
    (87, "nds-context", "string", _, "", ""),
    (88, "bcms-controller-names", "fqdn", A, "", ""),  # RFC 4280
    (89, "bcms-controller-address", "ipv4-address", A, "", ""),
    (90, "authenticate", "binary", _, "", ""),  # RFC 3118
    (91, "client-last-transaction-time", "uint32", _, "", ""),  # RFC 4388
    (92, "associated-ip", "ipv4-address", A, "", ""),
    (93, "client-system", "uint16", A, "", ""),  # RFC 4578
    (94, "client-ndi", "record", _, "uint8, uint8, uint8", ""),
    (97, "uuid-guid", "record", _, "uint8, binary", ""),
    (98, "uap-servers", "string", _, "", ""),  # RFC 2485
    (99, "geoconf-civic", "binary", _, "", ""),  # RFC 4776
    (100, "pcode", "string", _, "", ""),  # RFC 4833
    (101, "tcode", "string", _, "", ""),
    (108, "v6-only-preferred", "uint32", _, "", ""),  # RFC 8925
    (112, "netinfo-server-address", "ipv4-address", A, "", ""),
    (113, "netinfo-server-tag", "string", _, "", ""),
    (114, "v4-captive-portal", "string", _, "", ""),  # RFC 8910
    (116, "auto-config", "uint8", _, "", ""),  # RFC 2563
    (117, "name-service-search", "uint16", A, "", ""),  # RFC 2937
    (118, "subnet-selection", "ipv4-address", _, "", ""),  # RFC 3011
    (119, "domain-search", "fqdn", A, "", ""),  # RFC 3397
    # RFC 3442; Kea calls the type "internal" and takes "prefix - router" text.
    (121, "classless-static-route", "classless-route", _, "", ""),
    (124, "vivco-suboptions", "record", _, "uint32, binary", ""),  # RFC 3925
    # RFC 3925; Kea's type is uint32 (the enterprise number), see types.Vivso.
    (125, "vivso-suboptions", "vivso", _, "", ""),
    (136, "pana-agent", "ipv4-address", A, "", ""),  # RFC 5192
    (137, "v4-lost", "fqdn", _, "", ""),  # RFC 5223
    (138, "capwap-ac-v4", "ipv4-address", A, "", ""),  # RFC 5417
    (141, "sip-ua-cs-domains", "fqdn", A, "", ""),  # RFC 6011
    (143, "v4-sztp-redirect", "tuple", A, "", ""),  # RFC 8572
    (146, "rdnss-selection", "record", A, "uint8, ipv4-address, ipv4-address, fqdn", ""),  # RFC 6731
    # Not in Kea's standard list (Kea needs an option-def for it): RFC 5859
    # TFTP server addresses, as Cisco phones and many PXE ROMs use.
    (150, "tftp-server-address", "ipv4-address", A, "", ""),
    (151, "status-code", "record", _, "uint8, string", ""),  # RFC 6926
    (152, "base-time", "uint32", _, "", ""),
    (153, "start-time-of-state", "uint32", _, "", ""),
    (154, "query-start-time", "uint32", _, "", ""),
    (155, "query-end-time", "uint32", _, "", ""),
    (156, "dhcp-state", "uint8", _, "", ""),
    (157, "data-source", "uint8", _, "", ""),
    (159, "v4-portparams", "record", _, "uint8, psid", ""),  # RFC 7618
    (162, "v4-dnr", "record", _, "uint16, uint16, uint8, fqdn, binary", ""),  # RFC 9463
    (212, "option-6rd", "record", A, "uint8, uint8, ipv6-address, ipv4-address", ""),  # RFC 5969
    (213, "v4-access-domain", "fqdn", _, "", ""),  # RFC 5986
    # Not in Kea's standard list: the de-facto WPAD URL option (private-use code).
    (252, "wpad-url", "string", _, "", ""),
)

# Relay agent information (option 82) sub-options, Kea's names.
AGENT_OPTIONS = (
    (1, "circuit-id", "binary", _, "", ""),  # RFC 3046
    (2, "remote-id", "binary", _, "", ""),  # RFC 3046
    (4, "docsis-device-class", "uint32", _, "", ""),  # RFC 3256
    (5, "link-selection", "ipv4-address", _, "", ""),  # RFC 3527
    (6, "subscriber-id", "string", _, "", ""),  # RFC 3993
    (7, "radius", "binary", _, "", ""),  # RFC 4014
    (8, "auth", "binary", _, "", ""),  # RFC 4030
    (9, "vendor-specific-info", "binary", _, "", ""),  # RFC 4243
    (10, "relay-flags", "uint8", _, "", ""),  # RFC 5010
    (11, "server-id-override", "ipv4-address", _, "", ""),  # RFC 5107
    (12, "relay-id", "binary", _, "", ""),  # RFC 6925
    (13, "access-techno-type", "uint16", _, "", ""),  # RFC 7839
    (14, "access-network-name", "string", _, "", ""),
    (15, "access-point-name", "string", _, "", ""),
    (16, "access-point-bssid", "binary", _, "", ""),
    (17, "operator-id", "uint32", _, "", ""),
    (18, "operator-realm", "string", _, "", ""),
    (19, "relay-port", "uint16", _, "", ""),  # RFC 8357
    (151, "virtual-subnet-select", "binary", _, "", ""),  # RFC 6607
    (152, "virtual-subnet-select-ctrl", "empty", _, "", ""),
)

# DOCSIS 3.0 (CableLabs, enterprise 4491) options carried in vivso (125),
# the one vendor space Kea defines on its own.
DOCSIS3_SPACE = "vendor-4491"
DOCSIS3_OPTIONS = (
    (1, "oro", "uint8", A, "", ""),
    (2, "tftp-servers", "ipv4-address", A, "", ""),
)

STANDARD_SPACES = (
    (DHCP4_SPACE, DHCP4_OPTIONS),
    (AGENT_SPACE, AGENT_OPTIONS),
    (DOCSIS3_SPACE, DOCSIS3_OPTIONS),
    (VENDOR_ENCAPSULATED_SPACE, ()),
)


# ---------------------------------------------------------------- definitions


class OptionDef:
    """One option's format.  Plain attributes; treat as immutable once made."""

    def __init__(self, code, name, type, array=False, record_types=(), space=DHCP4_SPACE, encapsulate=""):
        self.code = code
        self.name = name
        self.type = type
        self.array = bool(array)
        self.record_types = tuple(record_types)
        self.space = space
        self.encapsulate = encapsulate or ""
        if type == "record":
            self._codecs = tuple([TYPES[t] for t in self.record_types])
            self._codec = None
        else:
            self._codecs = ()
            self._codec = TYPES[type]

    def __repr__(self):
        return "OptionDef(%d, %r, %r, array=%r, record_types=%r, space=%r, encapsulate=%r)" % (
            self.code,
            self.name,
            self.type,
            self.array,
            self.record_types,
            self.space,
            self.encapsulate,
        )

    def __eq__(self, other):
        return isinstance(other, OptionDef) and self._key() == other._key()

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self._key())

    def _key(self):
        return (self.code, self.name, self.type, self.array, self.record_types, self.space, self.encapsulate)


_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."


def _split_types(record_types):
    if isinstance(record_types, str):
        return tuple([t.strip() for t in record_types.split(",") if t.strip()])
    return tuple(record_types or ())


def make_def(code, name, space=DHCP4_SPACE, type="binary", array=False, record_types=(), encapsulate=""):
    """Validate one option definition (Kea ``option-def`` fields) and build it.

    ``record_types`` is a tuple of type names or Kea's comma-separated string.
    Raises ValueError with a message naming the problem.
    """
    if not isinstance(code, int) or isinstance(code, bool) or code < 0 or code > 255:
        raise ValueError("option code %r is not in 0..255" % (code,))
    if space == DHCP4_SPACE and (code == 0 or code == 255):
        raise ValueError("option codes 0 (pad) and 255 (end) are reserved in the dhcp4 space")
    if not isinstance(name, str) or name == "":
        raise ValueError("option name must be a non-empty string")
    for c in name:
        if c not in _NAME_CHARS:
            raise ValueError("option name %r has the invalid character %r" % (name, c))
    if all([c in "0123456789" for c in name]):
        raise ValueError("option name %r must not be a number" % name)
    if not isinstance(space, str) or space == "":
        raise ValueError("option space must be a non-empty string")
    rtypes = _split_types(record_types)
    if type == "record":
        if not rtypes:
            raise ValueError("option %r is a record but has no record-types" % name)
        for i, t in enumerate(rtypes):
            codec = TYPES.get(t)
            if codec is None or t in ("empty",) or codec.whole_text:
                raise ValueError("record field type %r of option %r is not allowed" % (t, name))
            last = i == len(rtypes) - 1
            if codec.rest and not last:
                raise ValueError("only the last record field of %r may be %s" % (name, t))
            if last and array and not codec.arrayable:
                raise ValueError("the last record field of array option %r cannot be %s" % (name, t))
    else:
        codec = TYPES.get(type)
        if codec is None:
            raise ValueError("unknown option type %r for option %r" % (type, name))
        if rtypes:
            raise ValueError("record-types given for option %r whose type is %s, not record" % (name, type))
        if array and not codec.arrayable:
            raise ValueError("option %r: an array of %s is not allowed" % (name, type))
    return OptionDef(code, name, type, array, rtypes, space, encapsulate)


# dhcp4 codes in our table that Kea 2.2's standard table lacks; a custom option-def may replace them.
NOT_IN_KEA = (150, 252)


class OptionRegistry:
    """Option definitions by (space, code) and (space, name).

    Starts as a copy of the standard table; ``add`` takes custom definitions.
    Redefining a standard option is refused unless ``replace=True``.
    """

    def __init__(self, base=None):
        self._by_code = {}
        self._by_name = {}
        if base is not None:
            for key in base._by_code:
                d = base._by_code[key]
                self._by_code[key] = d
                self._by_name[(d.space, d.name)] = d

    def add(self, defn, replace=False):
        old_c = self._by_code.get((defn.space, defn.code))
        old_n = self._by_name.get((defn.space, defn.name))
        # Our extras that Kea does not define (150, 252) give way to a configuration's own option-def,
        # so a Kea configuration that defines them (e.g. `wpad` at 252) loads unchanged.
        if old_c is not None and old_c.space == DHCP4_SPACE and old_c.code in NOT_IN_KEA:
            if old_n is None or old_n is old_c:
                replace = True
        if not replace:
            if old_c is not None:
                raise ValueError(
                    "option code %d is already defined in space %s as %r"
                    % (defn.code, defn.space, old_c.name)
                )
            if old_n is not None:
                raise ValueError(
                    "option name %r is already defined in space %s (code %d)"
                    % (defn.name, defn.space, old_n.code)
                )
        if old_c is not None:
            self._by_name.pop((old_c.space, old_c.name), None)
        if old_n is not None:
            self._by_code.pop((old_n.space, old_n.code), None)
        self._by_code[(defn.space, defn.code)] = defn
        self._by_name[(defn.space, defn.name)] = defn
        return defn

    def by_code(self, code, space=DHCP4_SPACE):
        return self._by_code.get((space, code))

    def by_name(self, name, space=DHCP4_SPACE):
        return self._by_name.get((space, name))

    def defs(self, space=DHCP4_SPACE):
        """Definitions of one space, by code."""
        out = [d for d in self._by_code.values() if d.space == space]
        out.sort(key=lambda d: d.code)
        return out

    def spaces(self):
        seen = {}
        for d in self._by_code.values():
            seen[d.space] = True
        return sorted(seen.keys())

    def copy(self):
        return OptionRegistry(self)

    def __len__(self):
        return len(self._by_code)


def _load_standard():
    reg = OptionRegistry()
    for space, rows in STANDARD_SPACES:
        for code, name, typ, array, rtypes, encap in rows:
            reg.add(make_def(code, name, space, typ, array, rtypes, encap))
    return reg


STANDARD = _load_standard()


def by_code(code, space=DHCP4_SPACE):
    """Standard definition for a code, None when unknown."""
    return STANDARD.by_code(code, space)


def by_name(name, space=DHCP4_SPACE):
    """Standard definition for a Kea option name, None when unknown."""
    return STANDARD.by_name(name, space)


# ---------------------------------------------------------------- text <-> wire


def split_csv(text):
    """Split Kea csv-format data on unescaped commas; strip blanks around fields.

    "\\," is a literal comma; a backslash before anything else stays as is.
    A blank string has no fields.
    """
    if text.strip() == "":
        return []
    fields = []
    cur = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] == ",":
            cur.append(",")
            i += 2
            continue
        if c == ",":
            fields.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    fields.append("".join(cur).strip())
    return fields


def _item_from_text(codec, field, defn):
    try:
        return codec.to_wire(codec.from_text(field))
    except OptionTextError as e:
        raise OptionTextError("option %s (%d): %s" % (defn.name, defn.code, e.message)) from None


def text_to_wire(defn, text, csv_format=True):
    """Kea ``data`` text for ``defn`` -> option payload bytes (OptionTextError if bad)."""
    if not isinstance(text, str):
        raise OptionTextError("option %s: data must be a string" % defn.name)
    if not csv_format:
        try:
            return hex_to_bytes(text)
        except OptionTextError as e:
            raise OptionTextError("option %s (%d): %s" % (defn.name, defn.code, e.message)) from None
    codec = defn._codec
    if codec is not None and codec.whole_text:
        return _item_from_text(codec, text, defn)
    if defn.type == "empty":
        if text.strip() == "":
            return b""
        if defn.encapsulate:
            try:
                return hex_to_bytes(text)
            except OptionTextError as e:
                raise OptionTextError(
                    "option %s (%d) carries %s sub-options: give no data or their raw hex (%s)"
                    % (defn.name, defn.code, defn.encapsulate, e.message)
                ) from None
        raise OptionTextError(
            "option %s (%d) is empty and takes no data, got %r" % (defn.name, defn.code, text)
        )
    fields = split_csv(text)
    if defn.type == "record":
        return _record_from_fields(defn, fields)
    if defn.array:
        return b"".join([_item_from_text(codec, f, defn) for f in fields])
    if len(fields) > 1:
        raise OptionTextError(
            "option %s (%d) takes one %s value, got %d (escape a comma in text as \\\\,)"
            % (defn.name, defn.code, defn.type, len(fields))
        )
    return _item_from_text(codec, fields[0] if fields else "", defn)


def _record_from_fields(defn, fields):
    codecs = defn._codecs
    n = len(codecs)
    if len(fields) < n:
        last = codecs[-1]
        if len(fields) == n - 1 and last.rest and not defn.array:
            fields = fields + [""]  # a trailing string/binary field may be left out
        else:
            raise OptionTextError(
                "option %s (%d) needs %s%d fields (%s), got %d"
                % (
                    defn.name,
                    defn.code,
                    "at least " if defn.array else "",
                    n,
                    ", ".join(defn.record_types),
                    len(fields),
                )
            )
    if len(fields) > n and not defn.array:
        raise OptionTextError(
            "option %s (%d) takes %d fields (%s), got %d (escape a comma in text as \\\\,)"
            % (defn.name, defn.code, n, ", ".join(defn.record_types), len(fields))
        )
    out = []
    for i in range(n - 1):
        out.append(_item_from_text(codecs[i], fields[i], defn))
    for f in fields[n - 1 :]:
        out.append(_item_from_text(codecs[-1], f, defn))
    return b"".join(out)


def wire_to_value(defn, payload):
    """Payload bytes -> value: item, list of items (array) or list of fields (record)."""
    codec = defn._codec
    end = len(payload)
    if defn.type == "record":
        codecs = defn._codecs
        values = []
        pos = 0
        for i in range(len(codecs) - 1):
            v, pos = codecs[i].read(payload, pos, end)
            values.append(v)
        last = codecs[-1]
        if defn.array:
            items = []
            while pos < end:
                v, pos = last.read(payload, pos, end)
                items.append(v)
            if not items:
                raise DecodeError("bad-option-data", "option %s: array field has no items" % defn.name)
            values.append(items)
        else:
            v, pos = last.read(payload, pos, end)
            values.append(v)
        if pos != end:
            raise DecodeError("bad-option-data", "option %s: %d trailing bytes" % (defn.name, end - pos))
        return values
    if defn.type == "empty":
        if payload and not defn.encapsulate:
            raise DecodeError("bad-option-data", "option %s is empty but has %d bytes" % (defn.name, end))
        return bytes(payload) if defn.encapsulate else None
    if defn.array:
        items = []
        pos = 0
        while pos < end:
            v, pos = codec.read(payload, pos, end)
            items.append(v)
        return items
    return codec.from_wire(payload)


def value_to_wire(defn, value):
    """The inverse of wire_to_value (OptionTextError for a value that does not fit)."""
    codec = defn._codec
    if defn.type == "record":
        codecs = defn._codecs
        out = []
        for i in range(len(codecs) - 1):
            out.append(codecs[i].to_wire(value[i]))
        if defn.array:
            for v in value[len(codecs) - 1]:
                out.append(codecs[-1].to_wire(v))
        else:
            out.append(codecs[-1].to_wire(value[len(codecs) - 1]))
        return b"".join(out)
    if defn.type == "empty":
        return bytes(value) if (defn.encapsulate and value) else b""
    if defn.array:
        return b"".join([codec.to_wire(v) for v in value])
    return codec.to_wire(value)


def wire_to_text(defn, payload):
    """Option payload -> Kea csv-format text (DecodeError when the payload is malformed)."""
    value = wire_to_value(defn, payload)
    codec = defn._codec
    if defn.type == "record":
        codecs = defn._codecs
        parts = []
        for i in range(len(codecs) - 1):
            parts.append(escape_csv(codecs[i].to_text(value[i])))
        if defn.array:
            for v in value[-1]:
                parts.append(escape_csv(codecs[-1].to_text(v)))
        else:
            parts.append(escape_csv(codecs[-1].to_text(value[-1])))
        return ", ".join(parts)
    if defn.type == "empty":
        return bytes_to_hex(value) if value else ""
    if codec.whole_text:
        return codec.to_text(value)
    if defn.array:
        return ", ".join([escape_csv(codec.to_text(v)) for v in value])
    return escape_csv(codec.to_text(value))
