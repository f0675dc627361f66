"""Moving to edge-dhcp: ISC dhcpd and dnsmasq configurations and lease files in (`edge-dhcp migrate`)."""
