"""edge.dhcp6: everything only DHCPv6 knows. So far its lease room: the Lease6 record and its RecordFormat,
the v6 lease stores, Kea's lease6 statistics and lease6 CSV."""
