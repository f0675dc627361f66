"""edge.netif"""
