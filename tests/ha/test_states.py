"""The state table against Kea 2.2's handlers (ha_service.cc), one transition at a time."""

from __future__ import annotations

import pytest

from edge.ha.states import SERVES, SYNC_NOW, View, step


def view(mode: str = "hot-standby", role: str = "primary", partner: str = "waiting", **kw) -> View:
    return View(mode=mode, role=role, partner_state=partner, **kw)


@pytest.mark.parametrize(
    ("state", "v", "expected"),
    [
        ("waiting", view(partner="waiting"), "syncing"),  # both waiting: the primary first
        ("waiting", view(role="standby", partner="waiting"), None),
        ("waiting", view(role="standby", partner="hot-standby"), "syncing"),
        ("waiting", view(role="standby", partner="ready", sync_leases=False), "ready"),
        ("waiting", view(partner="syncing"), None),
        ("waiting", view(partner="terminated"), None),
        ("waiting", view(partner="unavailable"), None),
        ("waiting", view(partner="unavailable", should_partner_down=True), "partner-down"),
        ("waiting", view(partner="load-balancing"), None),  # does not fit the mode: wait
        ("waiting", view(mode="passive-backup"), "passive-backup"),
        ("waiting", view(role="backup"), "backup"),
        ("syncing", view(partner="waiting"), SYNC_NOW),
        ("syncing", view(partner="unavailable", should_partner_down=True), "partner-down"),
        ("ready", view(partner="ready"), "hot-standby"),
        ("ready", view(role="standby", partner="ready"), None),
        ("ready", view(role="standby", partner="hot-standby"), "hot-standby"),
        ("ready", view(mode="load-balancing", role="secondary", partner="load-balancing"), "load-balancing"),
        ("hot-standby", view(partner="hot-standby"), None),
        ("hot-standby", view(partner="partner-down"), "waiting"),
        ("hot-standby", view(partner="in-maintenance"), "partner-in-maintenance"),
        ("hot-standby", view(partner="unavailable"), None),
        ("hot-standby", view(partner="unavailable", should_partner_down=True), "partner-down"),
        ("hot-standby", view(partner="load-balancing"), "waiting"),
        (
            "load-balancing",
            view(mode="load-balancing", partner="unavailable", allow_comm_recovery=True),
            "communication-recovery",
        ),
        ("partner-down", view(partner="ready"), "hot-standby"),
        ("partner-down", view(partner="ready", partner_new_unsent=True), "waiting"),
        ("partner-down", view(partner="partner-down"), "waiting"),
        ("partner-down", view(partner="unavailable"), None),
        ("partner-in-maintenance", view(partner="unavailable"), "partner-down"),
        ("hot-standby", view(partner="hot-standby", should_terminate=True), "terminated"),
        ("terminated", view(partner="ready"), None),
        ("ready", view(partner="ready", paused=True), None),
    ],
)
def test_transition(state: str, v: View, expected: str | None) -> None:
    assert step(state, v) == expected


def test_service_and_scopes_per_state() -> None:
    assert SERVES["waiting"] == (False, "none")
    assert SERVES["hot-standby"] == (True, "default")
    assert SERVES["partner-down"] == (True, "failover")
    assert not SERVES["ready"][0] and SERVES["terminated"][0]
