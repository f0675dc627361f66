"""edge.leases: where leases live — the durability engine both families share. The lease record itself
plugs in (record.py's RecordFormat): edge/dhcp4/lease_record.py for DHCPv4, edge/dhcp6/lease_record.py for
DHCPv6. Nothing here imports a family.

lease.py        what every lease is: Kea's states, the fields the shared rooms read, holds_lease
errors.py       LeaseStoreError, JournalCorrupt
record.py       RecordFormat: packed record, index keys, documents, journal line, key text (per family)
index.py        hash indexes verified against the records; the expiry index
store.py        the LeaseStore interface; the in-memory store
journal.py      checksummed journal records, torn-tail tolerant reading, the group commit (fsync thread)
snapshot.py     stock-TinyDB snapshot files: atomic writes, streaming reads
memfile.py      the persistent store: snapshot + journals, durability, compaction child (LFC)
table.py        the live store as a TinyDB database (custom Storage and table class)
stats.py        what both families' lease statistics share (subnet names, reclaim counters, recount)
reclaim.py      expired-lease reclamation, flush, and the server's lease timers
interchange.py  import/export machinery (rows, Kea CSV escaping, TinyDB reader, checked import)
family.py       LeaseFamily: one family's lease plug-ins for the command line
cli.py          `edge-dhcp leases import|export`, `edge-dhcp stats recount`
"""
