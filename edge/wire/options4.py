"""The DHCPv4 option table (data, not code): Kea's standard dhcp4 options, option 82 sub-options and the
DOCSIS vendor space (vendor-4491, and Kea's docsis3-v4 name for its definitions), loaded once into the
STANDARD registry (edge.wire.optiondef does the rest).

Rules this module keeps:
- One row per option: (code, Kea name, type, array, record field types,
  encapsulated space).  Names are Kea's standard DHCPv4 names, so a Kea
  ``option-data`` entry means the same here.  Adding an option is adding a row.
- The standard table is never changed at run time.  Custom ``option-def``
  entries go into a copy the config loader owns; by_code/by_name read the
  standard one.
- DHCPv4 codes are 0..255; 0 (pad) and 255 (end) are reserved in dhcp4.
- MicroPython subset: no annotations, f-strings, dataclasses or enum.
"""

from edge.wire import optiondef
from edge.wire.optiondef import OptionRegistry

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
    (
        162,
        "v4-dnr",
        "dnr",
        _,
        "",
        "",
    ),  # RFC 9463; Kea >= 2.5 (its table says record, its parser is Option4Dnr)
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
# Kea's own name for the space of these definitions (docsis3_option_defs.h).  Options configured in it
# load as Kea's do and, as in Kea 2.2, are not what vivso (125) carries: that is vendor-4491's options
# (Kea files an option under an enterprise number for "vendor-<number>" spaces only).
DOCSIS3_KEA_SPACE = "docsis3-v4"
DOCSIS3_OPTIONS = (
    (1, "oro", "uint8", A, "", ""),
    (2, "tftp-servers", "ipv4-address", A, "", ""),
)

STANDARD_SPACES = (
    (DHCP4_SPACE, DHCP4_OPTIONS),
    (AGENT_SPACE, AGENT_OPTIONS),
    (DOCSIS3_SPACE, DOCSIS3_OPTIONS),
    (DOCSIS3_KEA_SPACE, DOCSIS3_OPTIONS),
    (VENDOR_ENCAPSULATED_SPACE, ()),
)

# dhcp4 codes in our table that Kea 2.2's standard table lacks; a custom option-def may replace them.
NOT_IN_KEA = (43, 150, 162, 252)


def make_def(code, name, space=DHCP4_SPACE, type="binary", array=False, record_types=(), encapsulate=""):
    """optiondef.make_def with DHCPv4's rules: codes 0..255, pad and end reserved in dhcp4."""
    if space == DHCP4_SPACE and (code == 0 or code == 255):
        raise ValueError("option codes 0 (pad) and 255 (end) are reserved in the dhcp4 space")
    return optiondef.make_def(code, name, space, type, array, record_types, encapsulate, 255)


def _load_standard():
    reg = OptionRegistry(default_space=DHCP4_SPACE, replaceable=[(DHCP4_SPACE, c) for c in NOT_IN_KEA])
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
