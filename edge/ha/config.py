"""Kea's HA configuration, read where Kea reads it: the `hooks-libraries` entry whose library file is
libdhcp_ha.so (any directory), its `parameters.high-availability[0]`.

Rules this module keeps:
- Kea 2.2's keys and defaults (ha_config_parser.cc): this-server-name and mode required; heartbeat-delay
  10000, max-response-delay 60000, max-ack-delay 10000 (each at most 65535: uint16 in 2.2),
  max-unacked-clients 10, delayed-updates-limit 100 in load-balancing and 0 (and only 0) otherwise,
  send-lease-updates and sync-leases true, sync-timeout 60000, sync-page-limit 10000, wait-backup-ack
  false, require-client-certs true, restrict-commands false; peers with name, url, role and auto-failover
  (true); state-machine.states[] with pause never|once|always; multi-threading's three keys.
- Kea 2.2's validation (HAConfig::validate): exactly one relationship; peer names unique and not empty;
  this-server-name among the peers; at most one primary, one secondary, one standby; load-balancing has a
  primary and a secondary and no standby, hot-standby a primary and a standby and no secondary,
  passive-backup a primary only and backups; wait-backup-ack false outside passive-backup; URLs
  http(s)://<IP literal>[:port]/, https only with the TLS keys; TLS keys all or none;
  basic-auth-password and basic-auth-password-file not both.
- One warning of edge-dhcp's own: this server's own URL on a non-loopback address without basic-auth-user
  (or https with client certificates) lets anyone who reaches it change leases. Kea serves it so, and a
  Kea configuration must load unchanged, so `check` warns instead of refusing. "require-client-certs" in a
  peer entry (where Kea's own example puts it and Kea ignores it) is warned about too.
- Every problem is reported with its key path (`report(path, message)`), so `edge-dhcp check` shows the
  file, line and column. `read_ha` reads the block of a configuration that loaded (no reporting).

Theory of operation: `check_document` is registered with the Dhcp4 dialect (edge/dhcp4/config.py
HOOK_CHECKS) when this module is imported: the loader calls it on the cleaned document, with the load's
IssueLog. The server calls `read_ha(config.raw)` on a configuration that loaded.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from edge.dhcp4.config import HOOK_CHECKS

__all__ = ["HaConfig", "Peer", "check_document", "find_ha_block", "parse_block", "read_ha"]

Report = Callable[[tuple[Any, ...], str], None]
MODES = ("load-balancing", "hot-standby", "passive-backup")
ROLES = ("primary", "secondary", "standby", "backup")
PAUSES = ("never", "once", "always")
STATE_NAMES = (
    "backup",
    "communication-recovery",
    "hot-standby",
    "load-balancing",
    "in-maintenance",
    "partner-down",
    "partner-in-maintenance",
    "passive-backup",
    "ready",
    "syncing",
    "terminated",
    "waiting",
)
U16 = 65535
U32 = 2**32 - 1

# (key, kind, default, maximum); the delayed-updates-limit default depends on the mode.
_INTS = (
    ("heartbeat-delay", 10000, U16),
    ("max-response-delay", 60000, U16),
    ("max-ack-delay", 10000, U16),
    ("max-unacked-clients", 10, U32),
    ("sync-timeout", 60000, U32),
    ("sync-page-limit", 10000, U32),
    ("delayed-updates-limit", None, U32),
)
_BOOLS = (
    ("send-lease-updates", True),
    ("sync-leases", True),
    ("wait-backup-ack", False),
    ("require-client-certs", True),
    ("restrict-commands", False),
)
_TLS = ("trust-anchor", "cert-file", "key-file")
_TOP_KEYS = frozenset(
    {"this-server-name", "mode", "peers", "state-machine", "multi-threading", "comment", "user-context"}
    | {k for k, _, _ in _INTS}
    | {k for k, _ in _BOOLS}
    | set(_TLS)
)
_PEER_KEYS = frozenset(
    {"name", "url", "role", "auto-failover", "basic-auth-user", "basic-auth-password"}
    | {"basic-auth-password-file", "comment", "user-context"}
    | set(_TLS)
)
# Relationship keys Kea's own examples also write in a peer entry, where Kea does not read them.
_RELATIONSHIP_ONLY = frozenset({"require-client-certs"})
_MT_KEYS = (
    "enable-multi-threading",
    "http-dedicated-listener",
    "http-listener-threads",
    "http-client-threads",
)


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    url: str
    role: str  # primary | secondary | standby | backup
    host: str  # the URL's IP literal
    port: int
    scheme: str  # http | https
    auto_failover: bool = True
    basic_auth_user: str | None = None
    basic_auth_password: str = ""
    trust_anchor: str | None = None
    cert_file: str | None = None
    key_file: str | None = None


@dataclass(frozen=True, slots=True)
class HaConfig:
    this_server_name: str
    mode: str
    peers: tuple[Peer, ...]
    heartbeat_delay: int = 10000  # milliseconds, as in Kea's file
    max_response_delay: int = 60000
    max_ack_delay: int = 10000
    max_unacked_clients: int = 10
    delayed_updates_limit: int = 0
    send_lease_updates: bool = True
    sync_leases: bool = True
    sync_timeout: int = 60000
    sync_page_limit: int = 10000
    wait_backup_ack: bool = False
    require_client_certs: bool = True
    restrict_commands: bool = False
    pauses: dict[str, str] = field(default_factory=dict)  # state -> once | always (never is left out)
    multi_threading: dict[str, Any] = field(default_factory=dict)
    trust_anchor: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    @property
    def this(self) -> Peer:
        return next(p for p in self.peers if p.name == self.this_server_name)

    @property
    def role(self) -> str:
        return self.this.role

    @property
    def partner(self) -> Peer | None:
        """The failover partner (Kea's getFailoverPeerConfig): the other non-backup server; None for a
        backup server or in passive-backup."""
        if self.mode == "passive-backup" or self.role == "backup":
            return None
        for peer in self.peers:
            if peer.name != self.this_server_name and peer.role != "backup":
                return peer
        return None  # pragma: no cover - validation guarantees one

    @property
    def others(self) -> tuple[Peer, ...]:
        return tuple(p for p in self.peers if p.name != self.this_server_name)


# ----------------------------------------------------------------------------------------- finding it


def find_ha_block(doc: dict[str, Any]) -> tuple[int, Any] | None:
    """(index in hooks-libraries, parameters) of the first libdhcp_ha.so entry of a Dhcp4 map."""
    hooks = doc.get("hooks-libraries")
    if not isinstance(hooks, list):
        return None
    for index, hook in enumerate(hooks):
        if not isinstance(hook, dict):
            continue
        library = hook.get("library")
        if isinstance(library, str) and library.rsplit("/", 1)[-1].startswith("libdhcp_ha."):
            return index, hook.get("parameters")
    return None


def check_document(doc: Any, issues: Any, root: str = "Dhcp4") -> None:
    """The loader's check (edge/dhcp4/config.py HOOK_CHECKS): every problem of the HA block to `issues`."""
    if not isinstance(doc, dict):
        return
    found = find_ha_block(doc)
    if found is None:
        return
    index, parameters = found
    path = (root, "hooks-libraries", index)
    parse_block(parameters, path, issues.error, issues.warning)


def read_ha(raw: dict[str, Any], root: str = "Dhcp4") -> HaConfig | None:
    """The HA configuration of a configuration that loaded (`config.raw`); None without the HA hook."""
    doc = raw.get(root, raw)
    found = find_ha_block(doc) if isinstance(doc, dict) else None
    if found is None:
        return None
    problems: list[str] = []
    config = parse_block(found[1], (root, "hooks-libraries", found[0]), lambda p, m: problems.append(m))
    return config if not problems else None


# ----------------------------------------------------------------------------------------- parsing


def parse_block(
    parameters: Any, path: tuple[Any, ...], report: Report, warn: Report | None = None
) -> HaConfig | None:
    """The HaConfig of a libdhcp_ha.so entry's `parameters` at `path`; None after reporting problems.
    `warn` gets what is accepted but worth saying (it does not make the parse fail)."""
    counter = _Counter(report, warn)
    config = _parse(parameters, path, counter)
    return config if counter.count == 0 else None


class _Counter:
    """Counts what it reports (a parse that reported anything returns None)."""

    def __init__(self, report: Report, warn: Report | None = None) -> None:
        self.report = report
        self.count = 0
        self.warn: Report = warn or (lambda path, message: None)

    def __call__(self, path: tuple[Any, ...], message: str) -> None:
        self.count += 1
        self.report(path, message)


def _parse(parameters: Any, hook_path: tuple[Any, ...], report: _Counter) -> HaConfig | None:
    ppath = hook_path + ("parameters",)
    if not isinstance(parameters, dict) or "high-availability" not in parameters:
        report(hook_path, 'the HA hook library needs "parameters": {"high-availability": [{...}]}')
        return None
    relationships = parameters["high-availability"]
    rpath = ppath + ("high-availability",)
    if not isinstance(relationships, list):
        report(rpath, "HA configuration must be a list")
        return None
    if len(relationships) != 1:
        report(
            rpath,
            "invalid number of configurations in the HA configuration list: Kea 2.2 takes exactly one "
            f"relationship, not {len(relationships)}",
        )
        return None
    c = relationships[0]
    path = rpath + (0,)
    if not isinstance(c, dict):
        report(path, "expected a map in the HA configuration list")
        return None
    for key in c:
        if key not in _TOP_KEYS:
            report(path + (key,), f'unknown HA parameter "{key}"')
    name = _string(c, "this-server-name", path, report, required=True)
    mode = _string(c, "mode", path, report, required=True)
    if mode is not None and mode not in MODES:
        report(path + ("mode",), f"unsupported value '{mode}' for mode parameter (one of {', '.join(MODES)})")
        mode = None
    ints: dict[str, int] = {}
    for key, default, maximum in _INTS:
        value = c.get(key, default if default is not None else (100 if mode == "load-balancing" else 0))
        if not isinstance(value, int) or isinstance(value, bool):
            report(path + (key,), f"'{key}' must be an integer")
            continue
        if value < 0:
            report(path + (key,), f"'{key}' must not be negative")
            continue
        if value > maximum:
            report(path + (key,), f"'{key}' must not be greater than {maximum}")
            continue
        ints[key] = value
    bools: dict[str, bool] = {}
    for key, default in _BOOLS:
        value = c.get(key, default)
        if not isinstance(value, bool):
            report(path + (key,), f"'{key}' must be true or false")
            continue
        bools[key] = value
    tls = {key: _string(c, key, path, report) for key in _TLS}
    mt = _multi_threading(c, path, report)
    pauses = _pauses(c, path, report)
    peers = _peers(c, path, report)
    if name is not None and peers is not None and name not in {p.name for p in peers}:
        report(
            path + ("this-server-name",),
            f"no peer configuration specified for the '{name}' (the peers are "
            f"{', '.join(p.name for p in peers) or 'none'})",
        )
        name = None
    if peers is not None and mode is not None:
        _check_roles(mode, peers, bools, ints, path, report)
    if peers is not None and name is not None:
        _check_own_auth(name, peers, c, path, report)
    if report.count or name is None or mode is None or peers is None:
        return None
    return HaConfig(
        this_server_name=name,
        mode=mode,
        peers=peers,
        heartbeat_delay=ints["heartbeat-delay"],
        max_response_delay=ints["max-response-delay"],
        max_ack_delay=ints["max-ack-delay"],
        max_unacked_clients=ints["max-unacked-clients"],
        delayed_updates_limit=ints["delayed-updates-limit"],
        send_lease_updates=bools["send-lease-updates"],
        sync_leases=bools["sync-leases"],
        sync_timeout=ints["sync-timeout"],
        sync_page_limit=ints["sync-page-limit"],
        wait_backup_ack=bools["wait-backup-ack"],
        require_client_certs=bools["require-client-certs"],
        restrict_commands=bools["restrict-commands"],
        pauses=pauses,
        multi_threading=mt,
        trust_anchor=tls["trust-anchor"],
        cert_file=tls["cert-file"],
        key_file=tls["key-file"],
    )


def _string(
    obj: dict[str, Any], key: str, path: tuple[Any, ...], report: Report, *, required: bool = False
) -> str | None:
    if key not in obj:
        if required:
            report(path, f"'{key}' parameter missing in HA configuration")
        return None
    value = obj[key]
    if not isinstance(value, str):
        report(path + (key,), f"'{key}' must be a string")
        return None
    if required and not value.strip():
        report(path + (key,), f"'{key}' value must not be empty")
        return None
    return value


def _multi_threading(c: dict[str, Any], path: tuple[Any, ...], report: Report) -> dict[str, Any]:
    mt = c.get("multi-threading", {})
    mpath = path + ("multi-threading",)
    if not isinstance(mt, dict):
        report(mpath, "multi-threading configuration must be a map")
        return {}
    out: dict[str, Any] = {}
    for key in mt:
        if key not in _MT_KEYS and key not in ("comment", "user-context"):
            report(mpath + (key,), f'unknown multi-threading parameter "{key}"')
    for key in _MT_KEYS:
        value = mt.get(key, 0 if key.endswith("threads") else False)
        wanted = int if key.endswith("threads") else bool
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            report(mpath + (key,), f"'{key}' must be {'an integer' if wanted is int else 'true or false'}")
            continue
        out[key] = value
    return out


def _pauses(c: dict[str, Any], path: tuple[Any, ...], report: Report) -> dict[str, str]:
    machine = c.get("state-machine")
    if machine is None:
        return {}
    spath = path + ("state-machine",)
    if not isinstance(machine, dict):
        report(spath, "'state-machine' parameter must be a map")
        return {}
    states = machine.get("states", [])
    if not isinstance(states, list):
        report(spath + ("states",), "'states' parameter must be a list")
        return {}
    out: dict[str, str] = {}
    seen: set[str] = set()
    for i, entry in enumerate(states):
        epath = spath + ("states", i)
        if not isinstance(entry, dict):
            report(epath, "state configuration must be a map")
            continue
        state = entry.get("state")
        if not isinstance(state, str) or state not in STATE_NAMES:
            report(epath + ("state",), f"unknown HA state {state!r} (one of {', '.join(STATE_NAMES)})")
            continue
        if state in seen:
            report(epath + ("state",), f"duplicated configuration for the '{state}' state")
            continue
        seen.add(state)
        pause = entry.get("pause", "never")
        if pause not in PAUSES:
            report(
                epath + ("pause",), f"unsupported value {pause!r} of 'pause' parameter (never, once, always)"
            )
            continue
        if pause != "never":
            out[state] = pause
    return out


def _peers(c: dict[str, Any], path: tuple[Any, ...], report: _Counter) -> tuple[Peer, ...] | None:
    if "peers" not in c:
        report(path, "'peers' parameter missing in HA configuration")
        return None
    peers = c["peers"]
    ppath = path + ("peers",)
    if not isinstance(peers, list):
        report(ppath, "'peers' parameter must be a list")
        return None
    out: list[Peer] = []
    names: dict[str, int] = {}
    ok = True
    for i, p in enumerate(peers):
        epath = ppath + (i,)
        if not isinstance(p, dict):
            report(epath, "peer configuration must be a map")
            ok = False
            continue
        for key in p:
            if key in _RELATIONSHIP_ONLY:
                # Kea reads it from the relationship only and ignores it here (one of its own examples
                # puts it in the peers), so this is said, not refused.
                report.warn(
                    epath + (key,),
                    f'"{key}" is a parameter of the HA relationship, not of a peer: Kea ignores it here, '
                    'and so does edge-dhcp (move it next to "peers" to have it apply)',
                )
            elif key not in _PEER_KEYS:
                report(epath + (key,), f'unknown peer parameter "{key}"')
                ok = False
        name = _string(p, "name", epath, report, required=True)
        if name is not None and name in names:
            report(epath + ("name",), f"peer with name '{name}' already specified (peers[{names[name]}])")
            name = None
        if name is not None:
            names[name] = i
        url = _string(p, "url", epath, report, required=True)
        parsed = _url(url, epath + ("url",), report) if url is not None else None
        role = _string(p, "role", epath, report, required=True)
        if role is not None and role not in ROLES:
            report(
                epath + ("role",),
                f"unsupported value '{role}' for role parameter (one of {', '.join(ROLES)})",
            )
            role = None
        auto = p.get("auto-failover", True)
        if not isinstance(auto, bool):
            report(epath + ("auto-failover",), "'auto-failover' must be true or false")
            auto = True
        user = _string(p, "basic-auth-user", epath, report)
        password = _string(p, "basic-auth-password", epath, report)
        password_file = _string(p, "basic-auth-password-file", epath, report)
        if password is not None and password_file is not None:
            report(
                epath + ("basic-auth-password-file",),
                f"only one of basic-auth-password and basic-auth-password-file parameter can be configured "
                f"in peer '{name}'",
            )
        if password_file is not None:
            try:
                with open(password_file, encoding="utf-8") as handle:
                    password = handle.read().rstrip("\n")
            except OSError as exc:
                report(epath + ("basic-auth-password-file",), f"bad password file in peer '{name}': {exc}")
        if user is not None and ":" in user:
            report(epath + ("basic-auth-user",), "the user id must not contain a ':'")
        tls = {key: _string(p, key, epath, report) for key in _TLS}
        if name is None or parsed is None or role is None:
            ok = False
            continue
        scheme, host, port = parsed
        if scheme == "https" and not all(tls.values()) and not all(c.get(k) for k in _TLS):
            report(epath + ("url",), f"bad url '{url}': https scheme is not supported without TLS parameters")
            ok = False
        out.append(
            Peer(
                name=name,
                url=url or "",
                role=role,
                host=host,
                port=port,
                scheme=scheme,
                auto_failover=auto,
                basic_auth_user=user,
                basic_auth_password=password or "",
                trust_anchor=tls["trust-anchor"],
                cert_file=tls["cert-file"],
                key_file=tls["key-file"],
            )
        )
    return tuple(out) if ok else None


def _url(url: str, path: tuple[Any, ...], report: Report) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        report(path, f"invalid URL: {exc} ('{url}')")
        return None
    if parts.scheme not in ("http", "https"):
        report(path, f"invalid URL: the scheme must be http or https ('{url}')")
        return None
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        report(path, f"bad url '{url}': the host must be an IP address literal, not '{host}'")
        return None
    return parts.scheme, host, port if port is not None else (443 if parts.scheme == "https" else 80)


def _check_roles(
    mode: str,
    peers: tuple[Peer, ...],
    bools: dict[str, bool],
    ints: dict[str, int],
    path: tuple[Any, ...],
    report: Report,
) -> None:
    count = {role: sum(1 for p in peers if p.role == role) for role in ROLES}
    ppath = path + ("peers",)
    for role in ("primary", "secondary", "standby"):
        if count[role] > 1:
            report(ppath, f"multiple {role} servers specified")
    rules = {
        "load-balancing": (("standby",), ("primary", "secondary")),
        "hot-standby": (("secondary",), ("primary", "standby")),
        "passive-backup": (("secondary", "standby"), ("primary",)),
    }
    forbidden, required = rules[mode]
    for role in forbidden:
        if count[role]:
            report(ppath, f"{role} servers not allowed in the {mode.replace('-', ' ')} configuration")
    for role in required:
        if not count[role]:
            report(ppath, f"{role} server required in the {mode.replace('-', ' ')} configuration")
    if mode != "passive-backup" and bools.get("wait-backup-ack"):
        report(
            path + ("wait-backup-ack",),
            f"'wait-backup-ack' must be set to false in the {mode.replace('-', ' ')} configuration",
        )
    if mode != "load-balancing" and ints.get("delayed-updates-limit", 0) > 0:
        report(
            path + ("delayed-updates-limit",),
            f"'delayed-updates-limit' must be set to 0 in the {mode.replace('-', ' ')} configuration",
        )


def _check_own_auth(
    name: str, peers: tuple[Peer, ...], c: dict[str, Any], path: tuple[Any, ...], report: _Counter
) -> None:
    """edge-dhcp's warning: the listener for this server's URL on a non-loopback address should authenticate
    its partner. Kea serves such a listener without authentication, and a Kea configuration must load
    unchanged, so it is said at check and start-up rather than refused."""
    for i, peer in enumerate(peers):
        if peer.name != name:
            continue
        if ipaddress.ip_address(peer.host).is_loopback:
            return
        if peer.basic_auth_user is None and not (
            peer.scheme == "https" and c.get("require-client-certs", True)
        ):
            report.warn(
                path + ("peers", i, "url"),
                f"this server's URL {peer.url} is not on a loopback address and its listener asks the "
                "partner for no credentials: anyone who reaches it can change leases (as with Kea); give its "
                'peer entry "basic-auth-user" and "basic-auth-password", or https with client certificates',
            )
        return


HOOK_CHECKS.append(check_document)
