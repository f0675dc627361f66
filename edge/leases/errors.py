"""The two ways a lease store fails, shared by every module of edge.leases (and by the families' plug-ins).

- LeaseStoreError: a change could not be recorded (disk full, read-only store, a fsync that failed); the
  change is not applied and the caller must not tell the client it has the lease.
- JournalCorrupt: a journal or snapshot is damaged somewhere other than its torn tail; the store refuses
  to start rather than drop leases silently.
"""

from __future__ import annotations


class LeaseStoreError(Exception):
    """A change could not be recorded; the caller must not tell the client it has the lease."""


class JournalCorrupt(Exception):
    """A journal or snapshot is damaged somewhere other than its torn tail."""
