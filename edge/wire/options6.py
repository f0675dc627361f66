"""The DHCPv6 option tables (data, not code): Kea 2.2's standard dhcp6 options and the option spaces it
defines for v6 (4o6, the s46-* MAP-E/MAP-T/lightweight 4over6 containers, DOCSIS 3 as vendor-4491 and as
Kea's docsis3-v6), loaded
once into the STANDARD registry (edge.wire.optiondef does the rest).

Rules this module keeps:
- One row per option: (code, Kea name, type, array, record field types, encapsulated space), as in
  options4.  Names, types and record fields are Kea 2.2's (src/lib/dhcp/std_option_defs.h and
  docsis3_option_defs.h), so a Kea ``option-data`` entry in the dhcp6 space means the same here.
- DHCPv6 codes are 16 bits; code 0 is reserved in the dhcp6 space (Kea refuses it in option-def).
- Types come from types.TYPES6: the same codecs as DHCPv4 except "tuple", whose length is 16 bits.
- Options whose payload is fields then sub-options although Kea's table names no encapsulated space (Kea
  parses them with dedicated classes: Option6IA, Option6IAAddr, Option6IAPrefix, OptionVendor) carry a
  ``sub_space`` (SUB_SPACES below), so their csv text and wire round-trip (optiondef, OptionDef.carries).
  vendor-opts' sub-options live in "vendor-<enterprise number>" (VENDOR_SPACE_PREFIX + the number in the
  option's first four bytes), the spaces a Kea configuration names for them.
- The standard table is never changed at run time; custom ``option-def`` entries go into a copy the
  config loader owns.
- MicroPython subset: no annotations, f-strings, dataclasses or enum.
"""

from edge.wire import optiondef
from edge.wire.optiondef import OptionRegistry
from edge.wire.types import TYPES6

DHCP6_SPACE = "dhcp6"
ISC_4O6_SPACE = "4o6"
MAPE_SPACE = "s46-cont-mape-options"
MAPT_SPACE = "s46-cont-mapt-options"
LW_SPACE = "s46-cont-lw-options"
V4V6_RULE_SPACE = "s46-rule-options"
V4V6_BIND_SPACE = "s46-v4v6bind-options"
RSOO_SPACE = "rsoo-opts"
VENDOR_SPACE_PREFIX = "vendor-"
VENDOR_SUB_SPACE = "vendor-"  # the sub_space marker of vendor-opts: "vendor-" + its enterprise number
DOCSIS3_ENTERPRISE = 4491
DOCSIS3_SPACE = "vendor-4491"
# Kea's own name for the space of its DOCSIS 3 definitions (docsis3_option_defs.h).  An option-data entry
# may name it; Kea 2.2 then keeps the option in that space, which nothing sends unless a configuration's
# option encapsulates it: vendor-opts carries the options of "vendor-4491" only (CfgOption files an
# option under an enterprise number for "vendor-<number>" spaces alone; observed: kea-dhcp6 2.2 answers
# a DOCSIS vendor ORO with the vendor-4491 options and none of docsis3-v6's).
DOCSIS3_KEA_SPACE = "docsis3-v6"

A = True  # array flag, for a table that reads as a table
_ = False

# (code, name, type, array, record field types, encapsulated space): Kea 2.2's STANDARD_V6_OPTION_DEFINITIONS.
DHCP6_OPTIONS = (
    (1, "clientid", "binary", _, "", ""),  # RFC 8415
    (2, "serverid", "binary", _, "", ""),
    (3, "ia-na", "record", _, "uint32, uint32, uint32", ""),  # iaid, T1, T2 (+ IAADDR, status)
    (4, "ia-ta", "uint32", _, "", ""),  # iaid (+ IAADDR, status)
    (5, "iaaddr", "record", _, "ipv6-address, uint32, uint32", ""),  # address, preferred, valid (+ status)
    (6, "oro", "uint16", A, "", ""),
    (7, "preference", "uint8", _, "", ""),
    (8, "elapsed-time", "uint16", _, "", ""),
    (9, "relay-msg", "binary", _, "", ""),
    # Kea: binary, since its 64-bit replay-detection field has no record type.
    (11, "auth", "binary", _, "", ""),
    (12, "unicast", "ipv6-address", _, "", ""),
    (13, "status-code", "record", _, "uint16, string", ""),
    (14, "rapid-commit", "empty", _, "", ""),
    (15, "user-class", "binary", _, "", ""),  # 16-bit length-prefixed items (payloads6.parse_opaque_list)
    (16, "vendor-class", "record", _, "uint32, binary", ""),
    (17, "vendor-opts", "uint32", _, "", ""),  # enterprise number (+ sub-options of vendor-<number>)
    (18, "interface-id", "binary", _, "", ""),
    (19, "reconf-msg", "uint8", _, "", ""),
    (20, "reconf-accept", "empty", _, "", ""),
    (21, "sip-server-dns", "fqdn", A, "", ""),  # RFC 3319
    (22, "sip-server-addr", "ipv6-address", A, "", ""),
    (23, "dns-servers", "ipv6-address", A, "", ""),  # RFC 3646
    (24, "domain-search", "fqdn", A, "", ""),
    (25, "ia-pd", "record", _, "uint32, uint32, uint32", ""),  # iaid, T1, T2 (+ IAPREFIX, status)
    # preferred, valid, prefix length, prefix (+ pd-exclude, status)
    (26, "iaprefix", "record", _, "uint32, uint32, uint8, ipv6-address", ""),
    (27, "nis-servers", "ipv6-address", A, "", ""),  # RFC 3898
    (28, "nisp-servers", "ipv6-address", A, "", ""),
    (29, "nis-domain-name", "fqdn", A, "", ""),
    (30, "nisp-domain-name", "fqdn", A, "", ""),
    (31, "sntp-servers", "ipv6-address", A, "", ""),  # RFC 4075
    (32, "information-refresh-time", "uint32", _, "", ""),
    (33, "bcmcs-server-dns", "fqdn", A, "", ""),  # RFC 4280
    (34, "bcmcs-server-addr", "ipv6-address", A, "", ""),
    (36, "geoconf-civic", "record", _, "uint8, uint16, binary", ""),  # RFC 4776
    (37, "remote-id", "record", _, "uint32, binary", ""),  # RFC 4649
    (38, "subscriber-id", "binary", _, "", ""),  # RFC 4580
    # RFC 4704; a partial name (no root label) does not fit the fqdn type: payloads6.parse_client_fqdn.
    (39, "client-fqdn", "record", _, "uint8, fqdn", ""),
    (40, "pana-agent", "ipv6-address", A, "", ""),  # RFC 5192
    (41, "new-posix-timezone", "string", _, "", ""),  # RFC 4833
    (42, "new-tzdb-timezone", "string", _, "", ""),
    (43, "ero", "uint16", A, "", ""),  # RFC 4994
    (44, "lq-query", "record", _, "uint8, ipv6-address", DHCP6_SPACE),  # RFC 5007
    (45, "client-data", "empty", _, "", DHCP6_SPACE),
    (46, "clt-time", "uint32", _, "", ""),
    (47, "lq-relay-data", "record", _, "ipv6-address, binary", ""),
    (48, "lq-client-link", "ipv6-address", A, "", ""),
    (51, "v6-lost", "fqdn", _, "", ""),  # RFC 5223
    (52, "capwap-ac-v6", "ipv6-address", A, "", ""),  # RFC 5417
    (53, "relay-id", "binary", _, "", ""),  # RFC 5460
    (57, "v6-access-domain", "fqdn", _, "", ""),  # RFC 5986
    (58, "sip-ua-cs-list", "fqdn", A, "", ""),  # RFC 6011
    (59, "bootfile-url", "string", _, "", ""),  # RFC 5970
    (60, "bootfile-param", "tuple", A, "", ""),
    (61, "client-arch-type", "uint16", A, "", ""),
    (62, "nii", "record", _, "uint8, uint8, uint8", ""),
    (64, "aftr-name", "fqdn", _, "", ""),  # RFC 6334
    (65, "erp-local-domain-name", "fqdn", _, "", ""),  # RFC 6440
    (66, "rsoo", "empty", _, "", RSOO_SPACE),  # RFC 6422
    # RFC 6603.  Kea's table says ipv6-prefix, but the wire holds only the excluded bits past the
    # delegated length (Kea parses it with Option6PDExclude): payloads6.parse_pd_exclude.
    (67, "pd-exclude", "ipv6-prefix", _, "", ""),
    (74, "rdnss-selection", "record", A, "ipv6-address, uint8, fqdn", ""),  # RFC 6731
    (79, "client-linklayer-addr", "binary", _, "", ""),  # RFC 6939
    (80, "link-address", "ipv6-address", _, "", ""),  # RFC 6977
    (82, "solmax-rt", "uint32", _, "", ""),  # RFC 8415
    (83, "inf-max-rt", "uint32", _, "", ""),
    (87, "dhcpv4-message", "binary", _, "", ""),  # RFC 7341
    (88, "dhcp4o6-server-addr", "ipv6-address", A, "", ""),
    (94, "s46-cont-mape", "empty", _, "", MAPE_SPACE),  # RFC 7598
    (95, "s46-cont-mapt", "empty", _, "", MAPT_SPACE),
    (96, "s46-cont-lw", "empty", _, "", LW_SPACE),
    (103, "v6-captive-portal", "string", _, "", ""),  # RFC 7710
    (135, "relay-source-port", "uint16", _, "", ""),  # RFC 8357
    # Not in Kea 2.2's table (Kea defines it from 2.4 on): RFC 8572 SZTP redirect; a 2.2 option-def may
    # replace it.
    (136, "v6-sztp-redirect", "tuple", A, "", ""),
    (143, "ipv6-address-andsf", "ipv6-address", A, "", ""),  # RFC 6153
    (144, "v6-dnr", "dnr", _, "", ""),  # RFC 9463; Kea >= 2.5 (Option6Dnr)
)

# Kea's ISC_V6_OPTION_DEFINITIONS: DHCPv4-over-DHCPv6 inter-process options.
ISC_4O6_OPTIONS = (
    (60000, "4o6-interface", "string", _, "", ""),
    (60001, "4o6-source-address", "ipv6-address", _, "", ""),
    (60002, "4o6-source-port", "uint16", _, "", ""),
)

# RFC 7598 containers and what goes inside them.
_S46_RULE = ("s46-rule", "record", _, "uint8, uint8, uint8, ipv4-address, ipv6-prefix", V4V6_RULE_SPACE)
MAPE_OPTIONS = (
    (89,) + _S46_RULE,
    (90, "s46-br", "ipv6-address", _, "", ""),
)
MAPT_OPTIONS = (
    (89,) + _S46_RULE,
    (91, "s46-dmr", "ipv6-prefix", _, "", ""),
)
LW_OPTIONS = (
    (90, "s46-br", "ipv6-address", _, "", ""),
    (92, "s46-v4v6bind", "record", _, "ipv4-address, ipv6-prefix", V4V6_BIND_SPACE),
)
V4V6_RULE_OPTIONS = ((93, "s46-portparams", "record", _, "uint8, psid", ""),)
V4V6_BIND_OPTIONS = ((93, "s46-portparams", "record", _, "uint8, psid", ""),)

# DOCSIS 3.0 (CableLabs, enterprise 4491) v6 options, carried in vendor-opts (17) from vendor-4491; the same
# definitions make Kea's docsis3-v6 space (DOCSIS3_KEA_SPACE).
DOCSIS3_OPTIONS = (
    (1, "oro", "uint16", A, "", ""),
    (2, "device-type", "string", _, "", ""),
    (10, "vendor-type", "string", _, "", ""),
    (32, "tftp-servers", "ipv6-address", A, "", ""),
    (33, "config-file", "string", _, "", ""),
    (34, "syslog-servers", "ipv6-address", A, "", ""),
    (36, "device-id", "binary", _, "", ""),
    (37, "time-servers", "ipv6-address", A, "", ""),
    (38, "time-offset", "int32", _, "", ""),
    (1026, "cmts-cm-mac", "binary", _, "", ""),
)

STANDARD_SPACES = (
    (DHCP6_SPACE, DHCP6_OPTIONS),
    (ISC_4O6_SPACE, ISC_4O6_OPTIONS),
    (MAPE_SPACE, MAPE_OPTIONS),
    (MAPT_SPACE, MAPT_OPTIONS),
    (LW_SPACE, LW_OPTIONS),
    (V4V6_RULE_SPACE, V4V6_RULE_OPTIONS),
    (V4V6_BIND_SPACE, V4V6_BIND_OPTIONS),
    (DOCSIS3_SPACE, DOCSIS3_OPTIONS),
    (DOCSIS3_KEA_SPACE, DOCSIS3_OPTIONS),
    (RSOO_SPACE, ()),
)

# dhcp6 options whose sub-options follow their fields on the wire without a Kea "encapsulate".
SUB_SPACES = {
    3: DHCP6_SPACE,
    4: DHCP6_SPACE,
    5: DHCP6_SPACE,
    17: VENDOR_SUB_SPACE,
    25: DHCP6_SPACE,
    26: DHCP6_SPACE,
}

# dhcp6 codes in our table that Kea 2.2's standard table lacks; a custom option-def may replace them.
NOT_IN_KEA = (136, 144)


def make_def(
    code, name, space=DHCP6_SPACE, type="binary", array=False, record_types=(), encapsulate="", sub_space=""
):
    """optiondef.make_def with DHCPv6's rules: codes 0..65535, 0 reserved in dhcp6, tuples 16-bit."""
    if space == DHCP6_SPACE and code == 0:
        raise ValueError("option code 0 is reserved in the dhcp6 space")
    return optiondef.make_def(
        code, name, space, type, array, record_types, encapsulate, 65535, TYPES6, sub_space
    )


def _load_standard():
    reg = OptionRegistry(default_space=DHCP6_SPACE, replaceable=[(DHCP6_SPACE, c) for c in NOT_IN_KEA])
    for space, rows in STANDARD_SPACES:
        for code, name, typ, array, rtypes, encap in rows:
            sub = SUB_SPACES.get(code, "") if space == DHCP6_SPACE else ""
            reg.add(make_def(code, name, space, typ, array, rtypes, encap, sub))
    return reg


STANDARD = _load_standard()


def by_code(code, space=DHCP6_SPACE):
    """Standard definition for a code, None when unknown."""
    return STANDARD.by_code(code, space)


def by_name(name, space=DHCP6_SPACE):
    """Standard definition for a Kea option name, None when unknown."""
    return STANDARD.by_name(name, space)


def vendor_space(enterprise):
    """The option space of one vendor's sub-options in vendor-opts: "vendor-4491"."""
    return VENDOR_SPACE_PREFIX + str(enterprise)
