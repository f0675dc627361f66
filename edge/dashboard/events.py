"""Recent events of one family service in a bounded ring, and the `events-get` command that reads it.

Rules this module keeps:
- The ring holds the last RING_SIZE events (allocations, renewals, releases, declines, expiries,
  deletions, NAKs, configuration reloads) and forgets the oldest: memory is bounded whatever the traffic.
- Recording is cheap, because it happens on the lease path: one tuple of the values as they are (an
  address as the family keeps it, the client identifier as bytes); text is made only when someone reads
  (`events-get`), with the family's own way of writing an address.
- Events are numbered from 1 in the order they happened; a reader asks for those after the last number
  it has seen and gets them oldest first, with `last` to ask from next time. A reader that fell behind
  by more than the ring holds is told how many it missed (`missed`).
- `events-get` is an edge-dhcp command (Kea has no event ring); it only reads, so it is logged at debug
  level like `statistic-get`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from edge.control.protocol import SUCCESS, answer
from edge.control.registry import Arg, Command, integer

__all__ = ["EVENT_COMMANDS", "EVENT_KINDS", "RING_SIZE", "EventRing", "change_kind"]

RING_SIZE = 512
# What an event says happened (the page shows these words).
EVENT_KINDS = (
    "allocate",  # an address (or prefix) went to a client that did not hold it
    "renew",  # the client that held it extended it
    "release",  # the client gave it back
    "decline",  # the client found it in use: it is in probation
    "expire",  # reclamation took back an expired lease
    "delete",  # a lease that held an address was deleted (lease4-del, lease6-del, wipe)
    "nak",  # a request was refused
    "reload",  # a configuration went into service
    "reload-failed",  # a configuration was refused; the old one stays
)

Event = tuple[
    int, float, str, Any, bytes, str, int, str
]  # seq, time, kind, subject, client, host, subnet, text


class EventRing:
    """The last `size` events of one family, oldest first."""

    __slots__ = ("_clock", "_events", "last", "subject_text")

    def __init__(
        self,
        clock: Callable[[], float],
        size: int = RING_SIZE,
        subject_text: Callable[[Any], str] = str,
    ) -> None:
        self._clock = clock
        self._events: deque[Event] = deque(maxlen=size)
        self.last = 0  # the number of the newest event (0: none yet)
        self.subject_text = subject_text  # the family's way of writing a subject (v4: int -> dotted quad)

    def add(
        self,
        kind: str,
        subject: Any = None,
        client: bytes = b"",
        hostname: str = "",
        subnet_id: int = 0,
        text: str = "",
    ) -> None:
        self.last += 1
        self._events.append((self.last, self._clock(), kind, subject, client, hostname, subnet_id, text))

    def __len__(self) -> int:
        return len(self._events)

    def since(self, after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Up to `limit` events numbered above `after`, oldest first, as JSON; and how many events after
        `after` the ring no longer holds."""
        events = self._events
        if not events or after >= self.last:
            return [], 0
        first = events[0][0]
        missed = max(0, first - after - 1)
        start = max(0, after + 1 - first)
        out = []
        for index in range(start, min(len(events), start + limit)):
            seq, when, kind, subject, client, hostname, subnet_id, text = events[index]
            item: dict[str, Any] = {"seq": seq, "time": round(when, 3), "kind": kind}
            if subject is not None:
                item["address"] = self.subject_text(subject)
            if client:
                item["client"] = client.hex(":")
            if hostname:
                item["hostname"] = hostname
            if subnet_id:
                item["subnet-id"] = subnet_id
            if text:
                item["text"] = text
            out.append(item)
        return out, missed


STATE_DEFAULT, STATE_DECLINED = 0, 1  # Kea's lease states, the same in both families (2: expired-reclaimed)


def change_kind(
    old: Any, new: Any, holds: Callable[[Any], bool], same_holder: Callable[[Any, Any], bool]
) -> str | None:
    """What a change off the store's feed means (None: nothing worth an event), for either family: it
    tells what holding an address means (`holds`) and who the holder is (`same_holder`).

    A lease that starts holding an address for a client that did not hold it is an allocation, the same
    client extending it a renewal; lifetime 0 is a release, state declined a decline, a move to another
    state (expired-reclaimed) an expiry; deleting a lease that held an address is a delete."""
    if new is None:
        return "delete" if old is not None and holds(old) else None
    state = new.state
    if state == STATE_DEFAULT:
        if not new.valid_lifetime:
            return "release" if old is not None and holds(old) else None
        if old is not None and old.state == STATE_DEFAULT and old.valid_lifetime and same_holder(old, new):
            return "renew"
        return "allocate"
    if state == STATE_DECLINED:
        return "decline"
    if old is not None and old.state != state:
        return "expire"
    return None


class HasEvents(Protocol):
    events: EventRing


def events_get(server: HasEvents, args: dict[str, Any]) -> dict[str, Any]:
    ring = server.events
    events, missed = ring.since(args.get("after", 0), args.get("limit", 100))
    arguments: dict[str, Any] = {"events": events, "last": ring.last}
    if missed:
        arguments["missed"] = missed
    return answer(SUCCESS, f"{len(events)} event(s) found.", arguments)


EVENT_COMMANDS: tuple[Command, ...] = (
    Command(
        "events-get",
        events_get,
        (Arg("after", integer(0, 2**63 - 1)), Arg("limit", integer(1, RING_SIZE))),
        summary="recent events (allocations, renewals, releases, NAKs, reloads) after a number",
    ),
)
