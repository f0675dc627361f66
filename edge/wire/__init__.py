"""edge.wire"""
