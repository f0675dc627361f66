"""edge.policy"""
