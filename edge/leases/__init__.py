"""edge.leases: where leases live.

lease.py        the Lease record, in Kea memfile vocabulary
store.py        the LeaseStore interface; the in-memory store (packed records, hash and expiry indexes)
journal.py      checksummed journal records, torn-tail tolerant reading, the group commit (fsync thread)
snapshot.py     stock-TinyDB snapshot files: atomic writes, streaming reads
memfile.py      the persistent store: snapshot + journals, durability, compaction child (LFC)
table.py        the live store as a TinyDB database (custom Storage and table class)
stats.py        Kea's lease statistics from the change feed; recount_statistics
reclaim.py      expired-lease reclamation, flush, and the server's lease timers
interchange.py  import/export formats (Kea CSV, TinyDB, Kea JSON) as tables
cli.py          `edge-dhcp leases import|export`, `edge-dhcp stats recount`
"""
