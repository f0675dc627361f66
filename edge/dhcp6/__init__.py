"""edge.dhcp6: everything only DHCPv6 knows: the Dhcp6 dialect (keys, model, builder), the Lease6 record and
its RecordFormat, the v6 lease stores, Kea's lease6 statistics and lease6 CSV; the engine and commands follow."""
