"""DHCPv6: everything only DHCPv6 knows (the Dhcp6 dialect so far; the engine, leases and commands follow)."""
