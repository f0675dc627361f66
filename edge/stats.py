"""One registry for every statistic the server keeps, named as Kea names them.

Rules:
- Statistics live here and nowhere else; the engine, the lease store and the server increment them.
- Names follow Kea (`pkt4-received`, `pkt4-ack-sent`, `subnet[1].assigned-addresses`, ...), so the control
  channel's `statistic-get` answers what Kea's would.
- Gauges that count things (assigned addresses) are clamped at zero: a statistic never goes negative.
- Each value keeps the time it last changed, because Kea's `statistic-get` returns [value, timestamp] pairs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

PACKET_COUNTERS = (
    "pkt4-received",
    "pkt4-discover-received",
    "pkt4-offer-received",
    "pkt4-request-received",
    "pkt4-ack-received",
    "pkt4-nak-received",
    "pkt4-release-received",
    "pkt4-decline-received",
    "pkt4-inform-received",
    "pkt4-unknown-received",
    "pkt4-sent",
    "pkt4-offer-sent",
    "pkt4-ack-sent",
    "pkt4-nak-sent",
    "pkt4-parse-failed",
    "pkt4-receive-drop",
    "pkt4-processing-failed",  # an unexpected error while handling a packet (Kea 3.1.4+; server/main.py)
    "v4-allocation-fail",
    "v4-allocation-fail-shared-network",
    "v4-allocation-fail-subnet",
    "v4-allocation-fail-no-pools",
    "v4-allocation-fail-classes",
    "v4-reservation-conflicts",
)


class Statistics:
    """`counters`: the names that exist from the start at 0, as the family's Kea daemon creates them
    (DHCPv4's PACKET_COUNTERS by default; the DHCPv6 service passes its own, edge/dhcp6/engine.py)."""

    def __init__(
        self, clock: Callable[[], float] = time.time, counters: Iterable[str] = PACKET_COUNTERS
    ) -> None:
        self._clock = clock
        self._values: dict[str, int] = {}
        self._stamps: dict[str, float] = {}
        for name in counters:
            self._values[name] = 0
            self._stamps[name] = clock()

    def inc(self, name: str, amount: int = 1) -> None:
        value = self._values.get(name, 0) + amount
        self._values[name] = value if value > 0 else 0
        self._stamps[name] = self._clock()

    def set(self, name: str, value: int) -> None:
        self._values[name] = value if value > 0 else 0
        self._stamps[name] = self._clock()

    def get(self, name: str) -> int:
        return self._values.get(name, 0)

    def stamp(self, name: str) -> float | None:
        return self._stamps.get(name)

    def names(self) -> list[str]:
        return sorted(self._values)

    def snapshot(self) -> dict[str, int]:
        return dict(self._values)

    def remove(self, name: str) -> bool:
        self._stamps.pop(name, None)
        return self._values.pop(name, None) is not None

    def reset(self, name: str) -> bool:
        if name not in self._values:
            return False
        self.set(name, 0)
        return True
