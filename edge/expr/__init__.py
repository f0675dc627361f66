"""edge.expr: Kea's client-classification expression language, parsed once and evaluated per packet."""
