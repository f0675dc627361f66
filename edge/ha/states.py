"""Kea 2.2's HA state machine as a table (ha_service.cc, ha_service_states.h at Kea-2.2.0).

Rules this module keeps:
- `SERVES[state]`: whether the DHCP service is on in that state and which scopes it serves (Kea's
  adjustNetworkState and the query filter calls of each state's entry): "none", "default" (a primary or
  secondary its own, a standby nothing) or "failover" (every primary and secondary scope).
- `step(state, view)` is one run of the state's handler: the state to go to, or None to stay. It checks,
  in Kea's order: a pause in force (stay), clock skew (-> terminated), a partner state that does not fit
  the mode (-> waiting; in waiting: stay), then the partner's state through the state's row of `ROWS`.
- A row maps the partner's state (a state name, or "unavailable" when the last heartbeat failed) to a
  target. Targets are state names or these choices, resolved by `resolve`:
    NORMAL        the mode's normal state (hot-standby or load-balancing)
    SYNC          syncing with sync-leases, else ready
    PRIMARY_SYNC  SYNC for the primary, stay for the others (both waiting: the primary moves first)
    PRIMARY_NORMAL NORMAL for the primary, stay otherwise (both ready)
    DOWN          partner-down when failure is confirmed (`view.should_partner_down`), else stay
    DOWN_OR_RECOVERY  DOWN, else communication-recovery when the mode allows it
    BACK          partner-down seeing a ready partner: waiting when the partner has new unsent updates,
                  else NORMAL
    SYNC_NOW      syncing's own work: the service runs the sync (stays until it succeeds -> ready)
  A partner state the row does not name: stay.
- terminated is left only by a restart; passive-backup and backup never move.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NORMAL_STATES", "ROWS", "SERVES", "View", "resolve", "step"]

WAITING = "waiting"
SYNCING = "syncing"
READY = "ready"
HOT_STANDBY = "hot-standby"
LOAD_BALANCING = "load-balancing"
PASSIVE_BACKUP = "passive-backup"
BACKUP = "backup"
PARTNER_DOWN = "partner-down"
PARTNER_IN_MAINTENANCE = "partner-in-maintenance"
IN_MAINTENANCE = "in-maintenance"
COMMUNICATION_RECOVERY = "communication-recovery"
TERMINATED = "terminated"
UNAVAILABLE = "unavailable"

NORMAL_STATES = frozenset({HOT_STANDBY, LOAD_BALANCING, COMMUNICATION_RECOVERY})

# state -> (DHCP service on, scopes served)
SERVES: dict[str, tuple[bool, str]] = {
    WAITING: (False, "none"),
    SYNCING: (False, "none"),
    READY: (False, "none"),
    IN_MAINTENANCE: (False, "none"),
    HOT_STANDBY: (True, "default"),
    LOAD_BALANCING: (True, "default"),
    COMMUNICATION_RECOVERY: (True, "default"),
    PARTNER_DOWN: (True, "failover"),  # "default" when this server's auto-failover is false
    PARTNER_IN_MAINTENANCE: (True, "failover"),
    PASSIVE_BACKUP: (True, "default"),
    BACKUP: (False, "none"),
    TERMINATED: (True, "default"),
}

NORMAL = "NORMAL"
SYNC = "SYNC"
PRIMARY_SYNC = "PRIMARY_SYNC"
PRIMARY_NORMAL = "PRIMARY_NORMAL"
DOWN = "DOWN"
DOWN_OR_RECOVERY = "DOWN_OR_RECOVERY"
BACK = "BACK"
SYNC_NOW = "SYNC_NOW"

_NORMAL_ROW = {
    IN_MAINTENANCE: PARTNER_IN_MAINTENANCE,
    PARTNER_DOWN: WAITING,
    PARTNER_IN_MAINTENANCE: IN_MAINTENANCE,
    TERMINATED: TERMINATED,
    UNAVAILABLE: DOWN_OR_RECOVERY,
}

# state -> {partner state -> target}; a state without a row never moves by the partner's state.
ROWS: dict[str, dict[str, str]] = {
    WAITING: {
        COMMUNICATION_RECOVERY: SYNC,
        HOT_STANDBY: SYNC,
        LOAD_BALANCING: SYNC,
        IN_MAINTENANCE: SYNC,
        PARTNER_DOWN: SYNC,
        PARTNER_IN_MAINTENANCE: SYNC,
        READY: SYNC,
        WAITING: PRIMARY_SYNC,
        UNAVAILABLE: DOWN,
    },
    SYNCING: {
        TERMINATED: TERMINATED,
        UNAVAILABLE: DOWN,
        "*": SYNC_NOW,
    },
    READY: {
        HOT_STANDBY: NORMAL,
        LOAD_BALANCING: NORMAL,
        COMMUNICATION_RECOVERY: NORMAL,
        IN_MAINTENANCE: PARTNER_IN_MAINTENANCE,
        PARTNER_IN_MAINTENANCE: IN_MAINTENANCE,
        READY: PRIMARY_NORMAL,
        TERMINATED: TERMINATED,
        UNAVAILABLE: DOWN,
    },
    HOT_STANDBY: _NORMAL_ROW,
    LOAD_BALANCING: _NORMAL_ROW,
    COMMUNICATION_RECOVERY: {
        # Kea's communicationRecoveryHandler: back to load-balancing once the partner answers in a normal
        # state and the backlog went out; partner-down when failure is confirmed.
        LOAD_BALANCING: NORMAL,
        COMMUNICATION_RECOVERY: NORMAL,
        IN_MAINTENANCE: PARTNER_IN_MAINTENANCE,
        PARTNER_DOWN: WAITING,
        PARTNER_IN_MAINTENANCE: IN_MAINTENANCE,
        TERMINATED: TERMINATED,
        UNAVAILABLE: DOWN,
    },
    PARTNER_DOWN: {
        COMMUNICATION_RECOVERY: WAITING,
        PARTNER_DOWN: WAITING,
        PARTNER_IN_MAINTENANCE: WAITING,
        READY: BACK,
        TERMINATED: TERMINATED,
    },
    PARTNER_IN_MAINTENANCE: {
        UNAVAILABLE: PARTNER_DOWN,
    },
}

# Kea checks pauses, clock skew and an invalid partner state in these states' handlers (not in
# partner-in-maintenance, which checks only pause and skew).
_CHECKS_INVALID = frozenset(
    {WAITING, SYNCING, READY, HOT_STANDBY, LOAD_BALANCING, COMMUNICATION_RECOVERY, PARTNER_DOWN}
)
_CHECKS_SKEW = _CHECKS_INVALID | {PARTNER_IN_MAINTENANCE}


@dataclass(slots=True)
class View:
    """What a state's handler looks at, as of the last heartbeat."""

    mode: str  # load-balancing | hot-standby | passive-backup
    role: str  # primary | secondary | standby | backup
    partner_state: str = UNAVAILABLE
    should_terminate: bool = False  # clock skew over 60 s
    should_partner_down: bool = False  # communication interrupted (+ failure detection where Kea asks)
    allow_comm_recovery: bool = False  # load-balancing with delayed-updates-limit > 0
    sync_leases: bool = True
    partner_new_unsent: bool = False  # the partner's unsent-update-count changed
    paused: bool = False  # a state-machine pause holds the state

    @property
    def normal(self) -> str:
        return LOAD_BALANCING if self.mode == "load-balancing" else HOT_STANDBY

    def partner_state_invalid(self) -> bool:
        """A partner state that does not fit this mode (Kea's isPartnerStateInvalid)."""
        ps = self.partner_state
        if ps == COMMUNICATION_RECOVERY:
            return self.mode != "load-balancing"
        if ps == HOT_STANDBY:
            return self.mode != "hot-standby"
        if ps == LOAD_BALANCING:
            return self.mode != "load-balancing"
        return False


def resolve(target: str, view: View) -> str | None:
    """A row's target for this view: a state, or None (stay)."""
    sync = SYNCING if view.sync_leases else READY
    if target == NORMAL:
        return view.normal
    if target == SYNC:
        return sync
    if target == PRIMARY_SYNC:
        return sync if view.role == "primary" else None
    if target == PRIMARY_NORMAL:
        return view.normal if view.role == "primary" else None
    if target == DOWN:
        return PARTNER_DOWN if view.should_partner_down else None
    if target == DOWN_OR_RECOVERY:
        if view.should_partner_down:
            return PARTNER_DOWN
        return COMMUNICATION_RECOVERY if view.allow_comm_recovery else None
    if target == BACK:
        return WAITING if view.partner_new_unsent else view.normal
    if target == SYNC_NOW:
        return SYNC_NOW
    return target


def step(state: str, view: View) -> str | None:
    """One run of `state`'s handler: the next state, SYNC_NOW (syncing: run the sync), or None (stay)."""
    if state == WAITING:
        if view.role == "backup":
            return BACKUP
        if view.mode == "passive-backup":
            return PASSIVE_BACKUP
    if state not in _CHECKS_SKEW or view.paused:
        return None
    if view.should_terminate:
        return TERMINATED
    if state in _CHECKS_INVALID and view.partner_state_invalid():
        return None if state == WAITING else WAITING
    row = ROWS.get(state, {})
    target = row.get(view.partner_state, row.get("*"))
    if target is None:
        return None
    result = resolve(target, view)
    return None if result == state else result
