"""edge.leases"""
