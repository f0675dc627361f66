"""The dashboard's one way in: a family service's commands, run through its ControlService.

Rules this module keeps:
- Every read and every action is a command (`Request`) executed by the family's `ControlService.execute`,
  exactly as a command arriving on a socket is: the registry checks the arguments, the handler runs in
  the loop, COMMAND_RECEIVED is logged (at debug for the read-only commands).
- What the configuration says about subnets and pools (layout.py) is read with `config-get` only when
  `config-hash-get` reports a configuration other than the one read last; statistics are read whole
  with `statistic-get-all` (the registry's counters: nothing scans the leases).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from edge.control.protocol import Request
from edge.control.registry import Reply
from edge.dashboard.families import FamilyView
from edge.dashboard.layout import Layout, read_layout

__all__ = ["Execute", "Family", "Statistics"]

Execute = Callable[[Request, str], Reply]
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # statistic-get's timestamps (local time), see control/commands.py


@dataclass
class Statistics:
    """statistic-get-all's answer: values, and when each last changed (epoch seconds)."""

    values: dict[str, int]
    stamps: dict[str, str]

    def get(self, name: str, default: int = 0) -> int:
        return self.values.get(name, default)

    def changed_at(self, name: str) -> float | None:
        text = self.stamps.get(name)
        if not text:
            return None
        try:
            return datetime.strptime(text, STAMP_FORMAT).timestamp()
        except ValueError:
            return None


@dataclass
class Family:
    """One family service as the dashboard reaches it."""

    view: FamilyView
    execute: Execute
    _layout: Layout | None = field(default=None, repr=False)
    _layout_hash: str | None = field(default=None, repr=False)

    @property
    def service(self) -> str:
        return self.view.service

    def call(
        self, command: str, arguments: dict[str, Any] | None = None, origin: str = "dashboard"
    ) -> dict[str, Any]:
        """Run one command; its answer (Kea's {"result", "text", "arguments"})."""
        return self.execute(Request(command, arguments, None), origin).answer

    def statistics(self, origin: str) -> Statistics:
        found = self.call("statistic-get-all", None, origin).get("arguments") or {}
        values: dict[str, int] = {}
        stamps: dict[str, str] = {}
        for name, samples in found.items():
            if samples and isinstance(samples[0], list) and samples[0]:
                value = samples[0][0]
                if isinstance(value, int | float):
                    values[name] = int(value)
                    if len(samples[0]) > 1:
                        stamps[name] = str(samples[0][1])
        return Statistics(values, stamps)

    def layout(self, origin: str) -> Layout:
        """The subnets, shared networks and pools in force (re-read only when the configuration changed)."""
        answer = self.call("config-hash-get", None, origin)
        current = (answer.get("arguments") or {}).get("hash")
        if self._layout is None or current is None or current != self._layout_hash:
            document = self.call("config-get", None, origin).get("arguments") or {}
            self._layout = read_layout(self.view, document)
            self._layout_hash = current
        return self._layout
