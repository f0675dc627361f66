"""What delivering one NameChangeRequest came to: DONE, FAILED (no retry can help) or RETRY."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DONE", "FAILED", "RETRY", "Outcome"]

DONE = "done"  # applied, or nothing to do
FAILED = "failed"  # the DNS server (or D2) said no in a way a retry cannot change; logged as an error
RETRY = "retry"  # nobody answered (or SERVFAIL): the request stays at the head of the queue


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    detail: str = ""
