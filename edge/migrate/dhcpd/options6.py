"""ISC dhcpd's DHCPv6 options (its `dhcp6` space) as a table, for `edge-dhcp migrate dhcpd -6`.

Rules this module keeps:
- Rows are (code, dhcpd name, format in dhcpd's definition syntax), the names dhcp-options(5) gives the
  dhcp6 space, so the formats go through options.py's parser like a configuration's own definitions.
- Kea's name for a code comes from edge.wire.options6 (name-servers -> dns-servers, ...), never from a
  second name table here.
- Options a server never sends (client-id, ia-na, oro, relay-msg, ...) are in the table so that a
  configuration naming them (host-identifier option dhcp6.client-id, expressions on the packet) reads.
"""

from __future__ import annotations

from edge.migrate.dhcpd.options import OptionInfo, parse_type
from edge.migrate.dhcpd.syntax import tokens

__all__ = ["DHCP6_OPTIONS", "standard_options6"]

DHCP6_OPTIONS = (
    (1, "client-id", "string"),
    (2, "server-id", "string"),
    (3, "ia-na", "string"),
    (4, "ia-ta", "string"),
    (5, "ia-addr", "string"),
    (6, "oro", "array of unsigned integer 16"),
    (7, "preference", "unsigned integer 8"),
    (8, "elapsed-time", "unsigned integer 16"),
    (9, "relay-msg", "string"),
    (11, "auth", "string"),
    (12, "unicast", "ip6-address"),
    (13, "status-code", "string"),
    (14, "rapid-commit", "zerolen"),
    (15, "user-class", "string"),
    (16, "vendor-class", "string"),
    (17, "vendor-opts", "string"),
    (18, "interface-id", "string"),
    (19, "reconf-msg", "unsigned integer 8"),
    (20, "reconf-accept", "zerolen"),
    (21, "sip-servers-names", "domain-list"),
    (22, "sip-servers-addresses", "array of ip6-address"),
    (23, "name-servers", "array of ip6-address"),
    (24, "domain-search", "domain-list"),
    (25, "ia-pd", "string"),
    (26, "ia-prefix", "string"),
    (27, "nis-servers", "array of ip6-address"),
    (28, "nisp-servers", "array of ip6-address"),
    (29, "nis-domain-name", "domain-list"),
    (30, "nisp-domain-name", "domain-list"),
    (31, "sntp-servers", "array of ip6-address"),
    (32, "info-refresh-time", "unsigned integer 32"),
    (33, "bcms-server-d", "domain-list"),
    (34, "bcms-server-a", "array of ip6-address"),
    (36, "geoconf-civic", "string"),
    (37, "remote-id", "string"),
    (38, "subscriber-id", "string"),
    (40, "pana-agent", "array of ip6-address"),
    (41, "new-posix-timezone", "text"),
    (42, "new-tzdb-timezone", "text"),
    (43, "ero", "array of unsigned integer 16"),
    (44, "lq-query", "string"),
    (45, "client-data", "string"),
    (46, "clt-time", "unsigned integer 32"),
    (47, "lq-relay-data", "{ ip6-address, string }"),
    (48, "lq-client-link", "array of ip6-address"),
    (51, "v6-lost", "domain-name"),
    (52, "capwap-ac-v6", "array of ip6-address"),
    (53, "relay-id", "string"),
    (57, "v6-access-domain", "domain-name"),
    (58, "sip-ua-cs-list", "domain-list"),
    (59, "bootfile-url", "text"),
    (60, "bootfile-param", "string"),
    (61, "client-arch-type", "array of unsigned integer 16"),
    (62, "nii", "{ unsigned integer 8, unsigned integer 8, unsigned integer 8 }"),
    (64, "aftr-name", "domain-name"),
    (65, "erp-local-domain-name", "domain-name"),
    (74, "rdnss-selection", "string"),
    (79, "client-linklayer-addr", "string"),
    (80, "link-address", "ip6-address"),
)

_STANDARD6: dict[tuple[str, str], OptionInfo] | None = None


def standard_options6() -> dict[tuple[str, str], OptionInfo]:
    """("dhcp6", lower-case name) -> OptionInfo for dhcpd's built-in DHCPv6 options (built once)."""
    global _STANDARD6
    if _STANDARD6 is None:
        table = {}
        for code, name, fmt in DHCP6_OPTIONS:
            toks = [t for t in tokens(fmt, "<table>") if t.kind != "eof"]
            dtype, _ = parse_type(toks, "<table>", 0, internal=True)
            table[("dhcp6", name)] = OptionInfo("dhcp6", name, code, dtype)
        _STANDARD6 = table
    return _STANDARD6
