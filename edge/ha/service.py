"""HA inside the DHCPv4 service: the state machine run, the commands a partner sends, heartbeats, lease
updates with the client's reply held until the partner acknowledged, and lease sync.

Rules this module keeps (Kea 2.2's HAService, ha_service.cc, read, not copied):
- The state machine (states.py) runs after every heartbeat outcome and every heartbeat-delay tick; each
  state entered sets the scopes served and whether DHCP is served at all (`SERVES`). A packet outside
  the served scopes, or any packet while the state serves nothing, is dropped by the engine's scope
  check (edge/dhcp4/engine.py `in_scope`), which also puts the packet in its HA_<server> class.
- "Communication interrupted": the last successful heartbeat (or the start) is older than
  max-response-delay. Then a hot-standby primary is ready to go partner-down at once; a standby or a
  load-balancing server only once failure is detected: max-unacked-clients 0, or more clients than that
  of the partner's scope retrying with `secs` * 1000 > max-ack-delay.
- Clock skew over 60 s between the partner's heartbeat date-time and ours terminates (over 30 s: warned).
- Lease updates go only in hot-standby, load-balancing and partner-in-maintenance (shouldSendLeaseUpdates):
  for each lease a packet changed, `lease4-del` of the old lease when it was released, removed or its
  address changed, then `lease4-update` (expire = cltt + valid-lft, force-create true) of the new one. The
  reply is held until every update was answered with result 0 or 3; any other answer, or no answer,
  drops the reply (the client retries) and marks the partner unavailable. In any other state a packet
  that changed leases counts toward unsent-update-count (what ha-heartbeat reports).
- Changes made by commands (the partner's own lease4-update, the sync) are never sent back.
- Sync (syncing): `dhcp-disable {origin: ha-partner, max-period: sync-timeout/1000}`, `lease4-get-page`
  from "start" by sync-page-limit until a page is not full, each lease stored as the partner has it, then
  `ha-sync-complete-notify` (result 2: `dhcp-enable {origin: ha-partner}`); then ready.
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Callable
from typing import Any

from edge.control.protocol import Request, answer
from edge.control.registry import ANY, BOOL, STRING, Arg, Command, list_of
from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_cmds import lease_to_json
from edge.ha import states as st
from edge.ha.config import HaConfig
from edge.ha.link import PeerClient, PeerListener, basic_auth
from edge.ha.scopes import FILTERED_TYPES, Scopes

__all__ = ["HaService", "attach"]

log = logging.getLogger("edge.ha")

TERM_CLOCK_SKEW = 60
WARN_CLOCK_SKEW = 30
OPT_CLIENT_ID = 61
SUCCESS, ERROR, UNSUPPORTED, EMPTY = 0, 1, 2, 3


def lease_update(lease: Lease) -> dict[str, Any]:
    """Kea's CommandCreator::createLease4Update: the lease with expire for cltt, force-create."""
    args = lease_to_json(lease)
    args["expire"] = args.pop("cltt") + args["valid-lft"]
    args["force-create"] = True
    return {"command": "lease4-update", "arguments": args, "service": ["dhcp4"]}


def lease_delete(lease: Lease) -> dict[str, Any]:
    args = lease_to_json(lease)
    args["expire"] = args.pop("cltt") + args["valid-lft"]
    return {"command": "lease4-del", "arguments": args, "service": ["dhcp4"]}


def command(name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"command": name, "service": ["dhcp4"]}
    if arguments is not None:
        out["arguments"] = arguments
    return out


class _Held:
    """A reply waiting for the partner's acknowledgements."""

    __slots__ = ("out", "waiting", "failed")

    def __init__(self, out: Any, waiting: int) -> None:
        self.out = out
        self.waiting = waiting
        self.failed = False


class HaService:
    def __init__(self, service: Any, config: HaConfig) -> None:
        self.service = service
        self.config = config
        self.loop = service.loop
        self.monotonic: Callable[[], float] = service.monotonic
        self.clock: Callable[[], float] = service.clock
        self.scopes = Scopes(config)
        self.state = st.WAITING
        self.dhcp_enabled = False
        self.partner_state = st.UNAVAILABLE
        self.partner_scopes: list[str] = []
        self.poke_time = self.monotonic()  # Kea starts the clock at start-up
        self.last_heartbeat: float | None = None
        self.clock_skew = 0.0
        self.unsent_update_count = 0
        self.partner_unsent = (0, 0)  # (previous, last) unsent-update-count the partner reported
        self.unacked: set[tuple[bytes, bytes]] = set()
        self.analyzed = 0
        self.paused = False
        self._capture: list[tuple[Lease | None, Lease | None]] | None = None
        self._quiet = 0  # >0: store changes are the partner's or the sync's (not sent back)
        self._heartbeat_out = False
        self._syncing = False
        self.partner_disabled = False  # DHCP disabled by the partner's dhcp-disable (origin ha-partner)
        self.partner = config.partner
        self.client: PeerClient | None = None
        if self.partner is not None:
            self.client = PeerClient(
                self.loop,
                self.partner.host,
                self.partner.port,
                basic_auth(self.partner.basic_auth_user, self.partner.basic_auth_password),
                self.partner.name,
            )
        this = config.this
        self.listener = PeerListener(
            self.loop,
            this.host,
            this.port,
            basic_auth(this.basic_auth_user, this.basic_auth_password),
            self._run_partner_command,
        )
        service.store.subscribe(self._on_store_change)
        self._register(service.commands)
        self.timer = self.loop.call_every(
            max(config.heartbeat_delay, 100) / 1000.0, self._tick, "ha-heartbeat"
        )
        self._enter(st.WAITING, initial=True)
        log.info(
            "HA_SERVICE_STARTED %s in %s mode as %s, partner %s",
            config.this_server_name,
            config.mode,
            config.role,
            self.partner.url if self.partner else "none",
        )

    # ------------------------------------------------------------------ the state machine
    def _enter(self, state: str, initial: bool = False) -> None:
        old = self.state
        self.state = state
        on, scopes = st.SERVES[state]
        if scopes == "none":
            self.scopes.serve_none()
        elif scopes == "failover" and (state != st.PARTNER_DOWN or self.config.this.auto_failover):
            self.scopes.serve_failover()
        else:
            self.scopes.serve_default()
        if on != self.dhcp_enabled or initial:
            log.info(
                "%s %s: DHCP service %s in state %s",
                "HA_LOCAL_DHCP_ENABLE" if on else "HA_LOCAL_DHCP_DISABLE",
                self.config.this_server_name,
                "enabled" if on else "disabled",
                state.upper(),
            )
        self.dhcp_enabled = on
        if on and self.partner_disabled:  # the partner's dhcp-disable (its sync) ends with our normal state
            self.partner_disabled = False
            self.service.dhcp_disabled_until = None
        if state in (st.HOT_STANDBY, st.LOAD_BALANCING, st.PARTNER_IN_MAINTENANCE):
            self.unacked.clear()
        if not initial:
            log.info(
                "HA_STATE_TRANSITION %s: server transitions from %s to %s state, partner state is %s",
                self.config.this_server_name,
                old.upper(),
                state.upper(),
                self.partner_state.upper(),
            )
            self.service.events.add("ha", text=f"HA {old} -> {state}")
        pause = self.config.pauses.get(state)
        if pause is not None and not initial:
            self.paused = True
            if pause == "once":
                self.config.pauses.pop(state, None)
            log.info(
                "HA_STATE_MACHINE_PAUSED %s paused in %s: ha-continue resumes it",
                self.config.this_server_name,
                state,
            )

    def interrupted(self) -> bool:
        return (self.monotonic() - self.poke_time) * 1000 > self.config.max_response_delay

    def _view(self) -> st.View:
        return st.View(
            mode=self.config.mode,
            role=self.config.role,
            partner_state=self.partner_state,
            should_terminate=abs(self.clock_skew) > TERM_CLOCK_SKEW,
            should_partner_down=self._should_partner_down(),
            allow_comm_recovery=self.config.mode == "load-balancing"
            and self.config.delayed_updates_limit > 0,
            sync_leases=self.config.sync_leases,
            partner_new_unsent=self.partner_unsent[1] > 0
            and self.partner_unsent[0] != self.partner_unsent[1],
            paused=self.paused,
        )

    def _should_partner_down(self) -> bool:
        if not self.interrupted():
            return False
        if self.dhcp_enabled and (self.config.mode == "load-balancing" or self.config.role == "standby"):
            limit = self.config.max_unacked_clients
            return limit == 0 or len(self.unacked) > limit
        return True

    def run_model(self) -> None:
        for _ in range(4):  # a few steps at once, as Kea's runModel posts events until NOP
            target = st.step(self.state, self._view())
            if target is None:
                return
            if target == st.SYNC_NOW:
                self._start_sync()
                return
            if target == st.TERMINATED:
                log.error(
                    "HA_HIGH_CLOCK_SKEW_CAUSES_TERMINATION clock skew %.0f s with the partner",
                    self.clock_skew,
                )
            self._enter(target)

    # ------------------------------------------------------------------ heartbeats
    def _tick(self) -> None:
        if self.state in (st.TERMINATED, st.PASSIVE_BACKUP, st.BACKUP) or self.client is None:
            return
        if not self._heartbeat_out:
            self._heartbeat_out = True
            self.client.send(command("ha-heartbeat"), self._on_heartbeat)
        self.run_model()

    def _on_heartbeat(self, result: dict[str, Any] | None, error: str) -> None:
        self._heartbeat_out = False
        ok = False
        if result is None:
            log.warning(
                "HA_HEARTBEAT_COMMUNICATIONS_FAILED failed to send heartbeat to %s: %s",
                self.partner.name,
                error,
            )  # type: ignore[union-attr]
        elif result.get("result") not in (SUCCESS, EMPTY) or not isinstance(result.get("arguments"), dict):
            log.warning(
                "HA_HEARTBEAT_FAILED heartbeat to %s refused: %s", self.partner.name, result.get("text")
            )  # type: ignore[union-attr]
        else:
            args = result["arguments"]
            state, stamp = args.get("state"), args.get("date-time")
            if isinstance(state, str) and isinstance(stamp, str):
                try:
                    partner_time = email.utils.parsedate_to_datetime(stamp).timestamp()
                except (TypeError, ValueError):
                    partner_time = None
                if partner_time is not None:
                    ok = True
                    self.partner_state = state
                    self.clock_skew = partner_time - self.clock()
                    if abs(self.clock_skew) > WARN_CLOCK_SKEW:
                        log.warning(
                            "HA_HIGH_CLOCK_SKEW clock skew with the partner is %.0f s", self.clock_skew
                        )
                    scopes = args.get("scopes")
                    if isinstance(scopes, list):
                        self.partner_scopes = [s for s in scopes if isinstance(s, str)]
                    count = args.get("unsent-update-count")
                    if isinstance(count, int):
                        self.partner_unsent = (self.partner_unsent[1], count)
        if ok:
            self.poke_time = self.monotonic()
            self.last_heartbeat = self.clock()
            self.unacked.clear()
        else:
            self.partner_state = st.UNAVAILABLE
            if self.interrupted():
                log.warning(
                    "HA_COMMUNICATION_INTERRUPTED communication with %s is interrupted", self.partner.name
                )  # type: ignore[union-attr]
        self.run_model()

    # ------------------------------------------------------------------ the scope check (engine)
    def in_scope(self, request: Any, classes: dict[str, None]) -> bool:
        message_type = request.message_type
        client_id = request.options.get(OPT_CLIENT_ID)
        mine, cls = self.scopes.in_scope(message_type, request.mac, client_id)
        if cls is not None:
            classes[cls] = None
        if not self.dhcp_enabled:
            return False
        if not mine and message_type in FILTERED_TYPES and self.interrupted():
            self.analyzed += 1
            if request.secs * 1000 > self.config.max_ack_delay:
                self.unacked.add((request.mac, client_id or b""))
        return mine

    # ------------------------------------------------------------------ lease updates
    def _on_store_change(self, old: Lease | None, new: Lease | None) -> None:
        if self._capture is not None and not self._quiet:
            self._capture.append((old, new))

    def packet_begin(self) -> None:
        self._capture = []

    def packet_end(self, out: Any) -> Any:
        """The reply to deliver now, or None when it is held for the partner's acknowledgements."""
        changes, self._capture = self._capture or [], None
        if not changes or not self.config.send_lease_updates or self.client is None:
            return out
        if self.state not in (st.HOT_STANDBY, st.LOAD_BALANCING, st.PARTNER_IN_MAINTENANCE):
            self.unsent_update_count += 1
            return out
        commands: list[dict[str, Any]] = []
        for old, new in changes:
            released = new is not None and new.valid_lifetime == 0  # edge-dhcp keeps a released lease
            if old is not None and (new is None or released or new.address != old.address):
                commands.append(lease_delete(old))
            if new is not None and not released:
                commands.append(lease_update(new))
        if not commands:
            return out
        held = _Held(out, len(commands))
        for cmd in commands:
            self.client.send(cmd, lambda result, error, cmd=cmd: self._on_update(held, cmd, result, error))
        return None

    def _on_update(self, held: _Held, cmd: dict[str, Any], result: dict[str, Any] | None, error: str) -> None:
        held.waiting -= 1
        address = cmd["arguments"]["ip-address"]
        if result is None:
            log.warning(
                "HA_LEASE_UPDATE_COMMUNICATIONS_FAILED %s of %s to %s: %s",
                cmd["command"],
                address,
                self.partner.name,
                error,
            )  # type: ignore[union-attr]
            held.failed = True
        elif result.get("result") not in (SUCCESS, EMPTY):
            log.warning(
                "HA_LEASE_UPDATE_FAILED %s of %s refused by %s: %s",
                cmd["command"],
                address,
                self.partner.name,
                result.get("text"),
            )  # type: ignore[union-attr]
            held.failed = True
        if held.failed:
            self.partner_state = st.UNAVAILABLE
        if held.waiting > 0:
            return
        if held.out is None:
            return
        if held.failed:
            self.service._drop_held(held.out, "the HA partner did not acknowledge its lease update")
        else:
            self.service._deliver(held.out)
        held.out = None
        if held.failed:
            self.run_model()

    # ------------------------------------------------------------------ sync
    def _start_sync(self) -> None:
        if self._syncing or self.client is None:
            return
        self._syncing = True
        period = max(1, self.config.sync_timeout // 1000)
        log.info(
            "HA_SYNC_START %s: lease database synchronization with %s",
            self.config.this_server_name,
            self.partner.name,
        )  # type: ignore[union-attr]
        self.client.send(
            command("dhcp-disable", {"origin": "ha-partner", "max-period": period}), self._sync_disabled
        )

    def _sync_failed(self, why: str) -> None:
        log.error("HA_SYNC_FAILED lease database synchronization with %s failed: %s", self.partner.name, why)  # type: ignore[union-attr]
        self._syncing = False

    def _sync_disabled(self, result: dict[str, Any] | None, error: str) -> None:
        if result is None or result.get("result") != SUCCESS:
            self._sync_failed(error or str(result and result.get("text")))
            return
        self._fetch_page("start")

    def _fetch_page(self, start: str) -> None:
        limit = self.config.sync_page_limit
        self.client.send(  # type: ignore[union-attr]
            command("lease4-get-page", {"from": start, "limit": limit}),
            lambda result, error: self._sync_page(result, error, limit),
            timeout=max(1.0, self.config.sync_timeout / 1000.0),
        )

    def _sync_page(self, result: dict[str, Any] | None, error: str, limit: int) -> None:
        if self.state != st.SYNCING:
            self._syncing = False
            return
        if result is None or result.get("result") not in (SUCCESS, EMPTY):
            self._sync_failed(error or str(result and result.get("text")))
            return
        leases = (result.get("arguments") or {}).get("leases") or []
        stored = 0
        for item in leases:
            if isinstance(item, dict) and self._store_partner_lease(item):
                stored += 1
        log.info(
            "HA_LEASES_SYNC_LEASE_PAGE_RECEIVED %d lease(s) from %s, %d stored",
            len(leases),
            self.partner.name,
            stored,
        )  # type: ignore[union-attr]
        if len(leases) >= limit and leases:
            self._fetch_page(str(leases[-1].get("ip-address")))
            return
        self.client.send(command("ha-sync-complete-notify"), self._sync_notified)  # type: ignore[union-attr]

    def _store_partner_lease(self, item: dict[str, Any]) -> bool:
        args = {k: v for k, v in item.items() if k != "cltt"}
        if "cltt" in item and "valid-lft" in item:
            args["expire"] = item["cltt"] + item["valid-lft"]
        args["force-create"] = True
        reply = self._dispatch_quiet({"command": "lease4-update", "arguments": args})
        return reply.get("result") == SUCCESS

    def _sync_notified(self, result: dict[str, Any] | None, error: str) -> None:
        if result is not None and result.get("result") == UNSUPPORTED:
            self.client.send(command("dhcp-enable", {"origin": "ha-partner"}), lambda r, e: None)  # type: ignore[union-attr]
        elif result is None or result.get("result") != SUCCESS:
            self._sync_failed(error or str(result and result.get("text")))
            return
        self._syncing = False
        log.info("HA_SYNC_SUCCESSFUL lease database synchronization with %s completed", self.partner.name)  # type: ignore[union-attr]
        if self.state == st.SYNCING:
            self._enter(st.READY)
            self.run_model()

    # ------------------------------------------------------------------ commands from the partner
    def _dispatch_quiet(self, cmd: dict[str, Any]) -> dict[str, Any]:
        self._quiet += 1
        try:
            reply = self.service.commands.dispatch(
                Request(cmd["command"], cmd.get("arguments"), cmd.get("service")), self.service
            )
        finally:
            self._quiet -= 1
        return reply.answer  # type: ignore[no-any-return]

    def _run_partner_command(self, cmd: dict[str, Any]) -> dict[str, Any]:
        reply = self._dispatch_quiet(cmd)
        if reply.get("result") == SUCCESS and cmd.get("command") in ("ha-sync-complete-notify",):
            self.run_model()
        return reply

    def heartbeat_answer(self) -> dict[str, Any]:
        return answer(
            SUCCESS,
            "HA peer status returned.",
            {
                "state": self.state,
                "date-time": email.utils.formatdate(self.clock(), usegmt=True),
                "scopes": self.scopes.served_list(),
                "unsent-update-count": self.unsent_update_count,
            },
        )

    def status(self) -> dict[str, Any]:
        """Kea's status-get "high-availability" entry."""
        local = {"role": self.config.role, "state": self.state, "scopes": self.scopes.served_list()}
        entry: dict[str, Any] = {"ha-mode": self.config.mode, "ha-servers": {"local": local}}
        if self.partner is not None:
            age = int(self.monotonic() - self.poke_time)
            entry["ha-servers"]["remote"] = {
                "role": self.partner.role,
                "age": age,
                "in-touch": self.last_heartbeat is not None,
                "last-scopes": self.partner_scopes,
                "last-state": self.partner_state if self.partner_state != st.UNAVAILABLE else "",
                "communication-interrupted": self.interrupted(),
                "connecting-clients": len(self.unacked),
                "unacked-clients": len(self.unacked),
                "unacked-clients-left": 0,
                "analyzed-packets": self.analyzed,
            }
        return entry

    def _register(self, registry: Any) -> None:
        ha = self

        def heartbeat(server: Any, args: dict[str, Any]) -> dict[str, Any]:
            return ha.heartbeat_answer()

        def scopes(server: Any, args: dict[str, Any]) -> dict[str, Any]:
            try:
                ha.scopes.serve(args["scopes"])
            except ValueError as exc:
                return answer(ERROR, str(exc))
            return answer(SUCCESS, "New HA scopes configured.")

        def cont(server: Any, args: dict[str, Any]) -> dict[str, Any]:
            if not ha.paused:
                return answer(SUCCESS, "HA state machine is not paused.")
            ha.paused = False
            ha.run_model()
            return answer(SUCCESS, "HA state machine continues.")

        def reset(server: Any, args: dict[str, Any]) -> dict[str, Any]:
            if ha.state == st.WAITING:
                return answer(SUCCESS, "HA state machine already in WAITING state.")
            ha._enter(st.WAITING)
            ha.run_model()
            return answer(SUCCESS, "HA state machine reset.")

        def sync_complete(server: Any, args: dict[str, Any]) -> dict[str, Any]:
            if ha.state != st.PARTNER_DOWN:  # in partner-down: until the partner is seen ready (Kea)
                server.dhcp_disabled_until = None  # what the partner's dhcp-disable held
                ha.partner_disabled = False
            return answer(SUCCESS, "Server successfully notified about the synchronization completion.")

        def maintenance_notify(server: Any, args: dict[str, Any]) -> dict[str, Any]:
            cancel = args.get("cancel", False)
            if cancel:
                if ha.state != st.IN_MAINTENANCE:
                    return answer(
                        1001, "Unable to cancel maintenance: the server is not in in-maintenance state."
                    )
                ha._enter(st.WAITING)
                return answer(SUCCESS, "Server maintenance canceled.")
            if ha.state in (st.BACKUP, st.PARTNER_IN_MAINTENANCE, st.PARTNER_DOWN, st.TERMINATED):
                return answer(
                    1001, f"Unable to transition the server from the {ha.state} to in-maintenance state."
                )
            ha._enter(st.IN_MAINTENANCE)
            return answer(SUCCESS, "Server is in-maintenance state.")

        def sync(server: Any, args: dict[str, Any]) -> dict[str, Any]:
            ha._enter(st.SYNCING)
            ha._start_sync()
            return answer(SUCCESS, "Lease database synchronization started.")

        def maintenance_start(server: Any, args: dict[str, Any]) -> dict[str, Any]:
            ha._enter(st.PARTNER_IN_MAINTENANCE)
            if ha.client is not None:
                ha.client.send(command("ha-maintenance-notify", {"cancel": False}), lambda r, e: None)
            return answer(
                SUCCESS,
                "Server is now in the partner-in-maintenance state and its partner is in-maintenance.",
            )

        def maintenance_cancel(server: Any, args: dict[str, Any]) -> dict[str, Any]:
            if ha.state != st.PARTNER_IN_MAINTENANCE:
                return answer(
                    ERROR,
                    "Unable to cancel the maintenance for the server not in the partner-in-maintenance state.",
                )
            if ha.client is not None:
                ha.client.send(command("ha-maintenance-notify", {"cancel": True}), lambda r, e: None)
            ha._enter(st.WAITING)
            return answer(SUCCESS, "Server maintenance successfully canceled.")

        rows = (
            Command("ha-heartbeat", heartbeat, summary="this HA server's state (for its partner)"),
            Command(
                "ha-scopes",
                scopes,
                (Arg("scopes", list_of(STRING), required=True),),
                summary="serve these HA scopes",
            ),
            Command("ha-continue", cont, summary="resume a paused HA state machine"),
            Command("ha-reset", reset, summary="HA state machine back to waiting"),
            Command("ha-sync-complete-notify", sync_complete, summary="the partner finished syncing from us"),
            Command(
                "ha-maintenance-notify",
                maintenance_notify,
                (Arg("cancel", BOOL),),
                summary="the partner's maintenance",
            ),
            Command("ha-maintenance-start", maintenance_start, summary="put the partner in maintenance"),
            Command("ha-maintenance-cancel", maintenance_cancel, summary="cancel the partner's maintenance"),
            Command(
                "ha-sync",
                sync,
                (Arg("server-name", STRING), Arg("max-period", ANY)),
                summary="sync leases from the partner",
            ),
        )
        for row in rows:
            registry.add(row)
        _widen(
            registry,
            "lease4-del",
            extra=(
                "hw-address",
                "client-id",
                "valid-lft",
                "expire",
                "fqdn-fwd",
                "fqdn-rev",
                "hostname",
                "state",
                "user-context",
                "cltt",
            ),
        )
        for name in ("dhcp-disable", "dhcp-enable"):
            _accept_partner_origin(registry, name, self)
        _with_ha_status(registry, self)

    def close(self) -> None:
        self.loop.cancel_timer(self.timer)
        self.listener.close()
        if self.client is not None:
            self.client.close()


def _replace(registry: Any, row: Command) -> None:
    registry._commands[row.name] = row  # the registry has no replace; HA widens three of its rows


def _widen(registry: Any, name: str, extra: tuple[str, ...]) -> None:
    """Kea's lease4-del takes the whole lease a partner sends and reads only its key."""
    row = registry.get(name)
    if row is not None:
        _replace(
            registry,
            Command(row.name, row.handler, row.args, row.summary, (*row.ignored, *extra), row.free_form),
        )


def _accept_partner_origin(registry: Any, name: str, ha: HaService) -> None:
    """dhcp-disable/-enable with Kea 2.2's `"origin": "ha-partner"`."""
    row = registry.get(name)
    if row is None:
        return
    handler = row.handler

    def run(server: Any, args: dict[str, Any]) -> Any:
        if args.get("origin") == "ha-partner":
            args = {k: v for k, v in args.items() if k != "origin"}
            ha.partner_disabled = name == "dhcp-disable"
        return handler(server, args)

    _replace(registry, Command(row.name, run, row.args, row.summary, row.ignored, row.free_form))


def _with_ha_status(registry: Any, ha: HaService) -> None:
    row = registry.get("status-get")
    if row is None:
        return
    handler = row.handler

    def run(server: Any, args: dict[str, Any]) -> Any:
        result = handler(server, args)
        if isinstance(result, dict) and isinstance(result.get("arguments"), dict):
            result["arguments"]["high-availability"] = [ha.status()]
        return result

    _replace(registry, Command(row.name, run, row.args, row.summary, row.ignored, row.free_form))


def attach(service: Any) -> HaService | None:
    """HA for the service's configuration (None without the HA hook library)."""
    from edge.ha.config import read_ha

    config = read_ha(service.config.raw)
    if config is None:
        return None
    ha = HaService(service, config)
    service.engine.in_scope = ha.in_scope
    return ha
