"""What dhcpd's statements are, as tables: the ones the reader has no handler of its own for.

Rules this module keeps:
- A keyword is in one of the first four tables at most, and each says what becomes of its keywords:
  DECLARATIONS open a scope (read.py), EXECUTABLE statements become a note (Kea has classes instead),
  DHCPV6 keywords a note (this is a DHCPv4 configuration), UNSUPPORTED parameters a note with the
  reason -- unless their value is in HARMLESS, what Kea and edge-dhcp do anyway, dropped without a word.
- Keywords with a handler (params.py, option_statements.py) are in none of them.
"""

from __future__ import annotations

__all__ = ["DECLARATIONS", "DHCPV6", "EXECUTABLE", "HARMLESS", "UNSUPPORTED"]

DECLARATIONS = ("shared-network", "subnet", "pool", "host", "group", "class", "subclass")
EXECUTABLE = (
    "if",
    "elsif",
    "else",
    "switch",
    "on",
    "log",
    "execute",
    "set",
    "unset",
    "eval",
    "return",
    "break",
    "add",
    "define",
    "parse-vendor-option",
)
DHCPV6 = (
    "subnet6",
    "range6",
    "prefix6",
    "fixed-address6",
    "fixed-prefix6",
    "pool6",
    "preferred-lifetime",
    "dhcpv6-lease-file-name",
    "dhcpv6-pid-file-name",
    "dhcpv6-set-tee-times",
    "local-address6",
    "bind-local-address6",
    "ddns-local-address6",
    "prefix-length-mode",
    "persist-eui-64-leases",
    "use-eui-64",
    "limit-addrs-per-ia",
)

# Parameters with no Kea 2.2 equivalent, and why. A value in HARMLESS (what Kea and edge-dhcp do anyway)
# is dropped without a note.
UNSUPPORTED = {
    "dynamic-bootp-lease-cutoff": "bootp protocol is not supported (Kea needs its BOOTP hook)",
    "dynamic-bootp-lease-length": "bootp protocol is not supported (Kea needs its BOOTP hook)",
    "boot-unknown-clients": "bootp protocol is not supported (Kea needs its BOOTP hook)",
    "always-reply-rfc1048": "bootp protocol is not supported (Kea needs its BOOTP hook)",
    "always-broadcast": "Kea always answers as RFC 2131 says (broadcast only when the client asks)",
    "min-secs": "min-secs is not (yet?) supported by Kea",
    "lease-file-name": "the lease file is set by lease-database.name; import the leases with "
    "`edge-dhcp leases import --format dhcpd-leases`",
    "pid-file-name": "pid-file-name is an internal ISC DHCP feature",
    "local-port": "local-port is not supported; Kea and edge-dhcp take the port on their command line",
    "remote-port": "remote-port is not supported",
    "local-address": "local-address is not supported; name the interface (or interface/address) in "
    "interfaces-config instead",
    "omapi-port": "OMAPI is an internal ISC DHCP feature; Kea and edge-dhcp have a control channel instead",
    "omapi-key": "omapi-key is an internal ISC DHCP feature",
    "log-facility": "logging is configured in Dhcp4.loggers",
    "db-time-format": "the lease file format is the server's own",
    "dont-use-fsync": "lease-file syncing is the lease store's own business",
    "abandon-lease-time": "abandoned (declined) addresses return after decline-probation-period",
    "adaptive-lease-time-threshold": "adaptive lease times are not supported",
    "delayed-ack": "delayed acknowledgements are not supported",
    "max-ack-delay": "delayed acknowledgements are not supported",
    "dhcp-cache-threshold": "lease caching is configured with cache-threshold (Kea 2.2), which works "
    "differently: review it",
    "infinite-is-reserved": "infinite leases are not treated as reservations",
    "lease-id-format": "the lease file format is the server's own",
    "check-secs-byte-order": "not supported",
    "log-threshold-high": "pool-usage log thresholds are not supported",
    "log-threshold-low": "pool-usage log thresholds are not supported",
    "ping-check": "Kea 2.2 does not probe addresses with ICMP before offering them",
    "ping-timeout": "Kea 2.2 does not probe addresses with ICMP before offering them",
    "ping-timeout-ms": "Kea 2.2 does not probe addresses with ICMP before offering them",
    "ping-cltt-secs": "Kea 2.2 does not probe addresses with ICMP before offering them",
    "release-on-roam": "not supported",
    "server-id-check": "not supported",
    "site-option-space": "site-local option spaces are not supported",
    "stash-agent-options": "stash-agent-options needs Kea 2.6",
    "use-lease-addr-for-default-route": "not supported",
    "get-lease-hostnames": "host names from reverse DNS lookups are not supported",
    "update-static-leases": "DNS updates for fixed addresses are not supported",
    "do-forward-updates": "Kea's DNS updates are configured per scope with ddns-send-updates",
    "ddns-dual-stack-mixed-mode": "not supported by Kea 2.2",
    "ddns-guard-id-must-match": "not supported by Kea 2.2",
    "ddns-other-guard-is-dynamic": "not supported by Kea 2.2",
    "ddns-ttl": "Kea 2.2 has no ddns-ttl (the TTL comes from the lease time)",
    "ddns-rev-domainname": "reverse zones are configured in the DNS update (D2) configuration",
    "ddns-local-address4": "the DNS update sender address is in the D2 configuration",
    "one-lease-per-client": "Kea and edge-dhcp keep one lease per client and subnet anyway",
    "authoritative-in-host": "authoritative cannot be set per host",
}
HARMLESS = {
    "one-lease-per-client": ("true", "on"),
    "ping-check": ("false", "off"),
    "always-broadcast": ("false", "off"),
    "boot-unknown-clients": ("true", "on"),
    "update-static-leases": ("false", "off"),
    "get-lease-hostnames": ("false", "off"),
    "use-lease-addr-for-default-route": ("false", "off"),
}
