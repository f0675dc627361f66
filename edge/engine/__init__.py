"""edge.engine"""
