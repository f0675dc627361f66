"""This machine's global IPv6 addresses, for converters that need what the old server found at run time
(dnsmasq's constructor: prefixes, the interface a dhcpd -6 subnet6 is on).

Rules this module keeps:
- Read from /proc/net/if_inet6 (Linux), global scope only; [] when it cannot be read. Nothing is looked up
  on the network.
"""

from __future__ import annotations

import ipaddress

__all__ = ["Local6", "local_addresses6"]

Local6 = tuple[str, ipaddress.IPv6Interface]


def local_addresses6() -> list[Local6]:
    """This machine's global IPv6 interface addresses (what dnsmasq's constructor: finds); [] if unknown."""
    found: list[Local6] = []
    try:
        with open("/proc/net/if_inet6") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) != 6 or parts[3] != "00":  # scope 00: global
                    continue
                address = ipaddress.IPv6Address(int(parts[0], 16))
                found.append((parts[5], ipaddress.IPv6Interface((address, int(parts[2], 16)))))
    except (OSError, ValueError):
        return []
    return found
