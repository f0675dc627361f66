"""edge.dhcp4: everything only DHCPv4 knows — the engine (pipeline, message handlers, replies), subnet
selection, pools and allocation, the request-state table, option planning and the lease4-* commands."""
