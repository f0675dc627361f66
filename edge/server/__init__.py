"""edge.server"""
