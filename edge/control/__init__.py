"""edge.control"""
