"""edge.alloc"""
