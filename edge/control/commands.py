"""THE command table: every control command edge-dhcp answers, with its arguments, in one place.

Rules this module keeps:
- `COMMANDS` is the one registry (see registry.py). A row names the command as Kea names it, its
  handler and its arguments; `list-commands` reads the table, so it cannot drift.
- Answers follow Kea 2.2 as observed on a running kea-dhcp4 2.2.0 (shapes and texts), plus the Kea 2.4
  additions the issue asks for (`config-hash-get`, the `hash` in config-get/config-set answers).
- Handlers reach the server only through `ServerApi` (below): the control package never imports
  edge.server, the server hands itself in.
- Reconfiguration is all or nothing: `config-set` and `config-reload` build and validate a whole new
  snapshot, then `ServerApi.apply_config` opens what must be opened and swaps one reference; on any
  failure the running configuration keeps serving and the answer says why (result 1).
- `config-write` writes atomically (temporary file, fsync, rename, fsync of the directory) and only into
  the directory of the configuration file the server was started with, so the control channel cannot
  be used to overwrite arbitrary files (Kea 2.6.3 added the same restriction).

Theory of operation: see registry.py for dispatch; leases.py holds the lease4-* handlers.
"""

from __future__ import annotations

import copy
import json
import math
import os
import sys
from typing import Any, Protocol

from edge import __version__
from edge.control.protocol import ERROR, SUCCESS, answer
from edge.control.registry import (
    ANY,
    BOOL,
    IPV4,
    MAP,
    STRING,
    Arg,
    ArgError,
    Command,
    Registry,
    Reply,
    hex_bytes,
    integer,
    list_of,
)
from edge.dhcp4 import lease_cmds as leases
from edge.dhcp4.model import Config4
from edge.fsio import write_atomically
from edge.leases.lease import STATE_DECLINED, STATE_DEFAULT, STATE_EXPIRED_RECLAIMED

__all__ = ["COMMANDS", "ServerApi", "config_hash"]

KEA_API_VERSION = "2.2.0"  # the Kea release whose command answers edge-dhcp reproduces


class ServerApi(Protocol):
    """What the control commands need from the server (edge.server.main.Server provides it)."""

    store: Any  # LeaseStore
    stats: Any  # edge.stats.Statistics
    engine: Any
    manager: Any  # SocketManager: status()
    config_path: str | None
    started: float
    reloaded: float
    dhcp_disabled_until: float | None

    @property
    def config(self) -> Config4: ...

    def clock(self) -> float: ...

    def monotonic(self) -> float: ...

    def apply_config(self, config: Config4) -> tuple[bool, str]: ...

    def reload_config(self) -> tuple[bool, str]: ...

    def stop(self, exit_value: int = 0) -> None: ...


# ----------------------------------------------------------------------------------------- helpers


def config_hash(config: Config4) -> str:
    """SHA-256 of the configuration in force, as Kea 2.4+ reports it (upper-case hex)."""
    import hashlib  # on demand: hashlib loads OpenSSL (~4 MB resident), which a serving process need not hold

    text = json.dumps(config.raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest().upper()


def _document(args: dict[str, Any]) -> dict[str, Any]:
    """The configuration document of config-set / config-test arguments ({"Dhcp4": {...}})."""
    if "Dhcp4" not in args:
        raise ArgError("Missing mandatory 'Dhcp4' parameter.")
    return {key: value for key, value in args.items() if key != "hash"}


def _load(document: dict[str, Any], source: str) -> Config4:
    from edge.config.machine import interface_names
    from edge.dhcp4.config import load_data

    return load_data(document, source=source, interfaces_present=interface_names() or None)


def _timestamp(stamp: float | None) -> str:
    import datetime  # on demand: the module (and its C part) stay out of a serving process

    when = datetime.datetime.fromtimestamp(stamp if stamp is not None else 0)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")


# ----------------------------------------------------------------------------------------- server commands


def list_commands(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    return answer(SUCCESS, arguments=COMMANDS.names())


def _library_versions() -> list[str]:
    found = []
    for name in ("tinydb", "netifaces"):
        try:
            from importlib.metadata import version

            found.append(f"{name} {version(name)}")
        except Exception:
            found.append(f"{name} (not installed)")
    return found


def version_get(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    import platform  # on demand, as datetime above

    extended = "\n".join(
        [
            f"{__version__}",
            "edge-dhcp, a Kea-compatible DHCPv4 server",
            f"control API: Kea {KEA_API_VERSION} commands",
            f"Python {platform.python_version()}",
            "linked with:",
            *_library_versions(),
            "database:",
            "memfile (TinyDB documents with a checksummed journal)",
        ]
    )
    return answer(SUCCESS, __version__, {"extended": extended})


def build_report(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    import platform  # on demand, as datetime above

    lines = [
        "edge-dhcp build report",
        f"  Version:          {__version__}",
        f"  Kea command API:  {KEA_API_VERSION}",
        f"  Python:           {sys.version.split()[0]} ({platform.python_implementation()})",
        f"  Platform:         {platform.platform()}",
        f"  Machine:          {platform.machine()}",
        f"  Executable:       {sys.executable}",
        "  Libraries:        " + ", ".join(_library_versions()),
    ]
    return answer(SUCCESS, "\n".join(lines))


def _sockets(server: ServerApi) -> dict[str, Any]:
    status = server.manager.status()
    out: dict[str, Any] = {"status": status.get("status", "failed")}
    errors = [
        f"Failed to open socket on interface {item.get('interface')}, reason: {item.get('error')}"
        for item in status.get("errors", [])
    ]
    if errors:
        out["errors"] = errors
    return out


def status_get(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    now = server.monotonic()
    # edge-dhcp is single-threaded: Kea leaves thread-pool-size and packet-queue-size out in that case.
    arguments = {
        "pid": os.getpid(),
        "uptime": int(now - server.started),
        "reload": int(now - server.reloaded),
        "multi-threading-enabled": False,
        "sockets": _sockets(server),
    }
    return answer(SUCCESS, arguments=arguments)


def config_get(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    config = server.config
    arguments = copy.deepcopy(config.raw)
    arguments["hash"] = config_hash(config)
    return answer(SUCCESS, arguments=arguments)


def config_hash_get(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    return answer(SUCCESS, arguments={"hash": config_hash(server.config)})


def config_test(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    from edge.config.errors import ConfigError

    try:
        config = _load(_document(args), "config-test")
    except ConfigError as exc:
        return answer(ERROR, str(exc))
    text = "Configuration seems sane. Control sockets were checked but not opened."
    if config.warnings:
        text += f" {len(config.warnings)} warning(s):\n" + "\n".join(config.warnings)
    return answer(SUCCESS, text)


def config_set(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    from edge.config.errors import ConfigError

    try:
        config = _load(_document(args), "config-set")
    except ConfigError as exc:
        return answer(ERROR, f"configuration rejected, the running one stays in service:\n{exc}")
    ok, message = server.apply_config(config)
    if not ok:
        return answer(ERROR, message)
    text = "Configuration successful." + (f" {message}" if message else "")
    return answer(SUCCESS, text, {"hash": config_hash(server.config)})


def config_reload(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    ok, message = server.reload_config()
    if not ok:
        return answer(ERROR, message)
    return answer(SUCCESS, "Configuration successful." + (f" {message}" if message else ""))


def config_write(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    if not server.config_path:
        return answer(
            ERROR,
            "the server runs the built-in default configuration (no -c FILE), so there is no configuration "
            "directory to write into; start it with -c FILE to use config-write",
        )
    base = os.path.dirname(os.path.abspath(server.config_path))
    filename = args.get("filename") or server.config_path
    target = os.path.realpath(os.path.join(base, filename))
    if os.path.dirname(target) != os.path.realpath(base):
        return answer(
            ERROR,
            f"config-write may only write into the configuration directory {base} (asked for {filename})",
        )
    data = json.dumps(server.config.raw, indent=2).encode() + b"\n"
    try:
        write_atomically(target, data)
    except OSError as exc:
        return answer(ERROR, f"Unable to open file {target} for writing: {exc.strerror or exc}")
    return answer(
        SUCCESS, f"Configuration written to {target} successful", {"filename": target, "size": len(data)}
    )


def _origin(args: dict[str, Any]) -> None:
    origin = args.get("origin")
    if origin is not None and origin != "user" and not isinstance(origin, int):
        raise ArgError(f"invalid value used for 'origin' parameter: {origin}")


def dhcp_disable(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    _origin(args)
    period = args.get("max-period")
    if period is None:
        server.dhcp_disabled_until = math.inf
        return answer(SUCCESS, "DHCPv4 service disabled")
    server.dhcp_disabled_until = server.monotonic() + period
    return answer(SUCCESS, f"DHCPv4 service disabled for {period} seconds")


def dhcp_enable(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    _origin(args)
    server.dhcp_disabled_until = None
    return answer(SUCCESS, "DHCP service successfully enabled")


def leases_reclaim(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    # The server's own reclaimer (the one its timers run, with their settings), else one made for the call.
    reclaimer = getattr(getattr(server, "lease_timers", None), "reclaimer", None) or _reclaimer(server)
    if reclaimer is not None:
        count = reclaimer.reclaim_all(remove=args["remove"])
    else:
        count = _reclaim(server, args["remove"])
    return answer(SUCCESS, "Reclamation of expired leases is complete.", {"reclaimed": count})


def _reclaimer(server: ServerApi) -> Any:
    try:
        from edge.leases.reclaim import Reclaimer
    except ImportError:
        return None
    return Reclaimer(server.store, server.stats, server.config.expired_leases_processing, clock=server.clock)


def _reclaim(server: ServerApi, remove: bool) -> int:
    """Reclaim every expired lease now (for lease stores without their own reclamation): delete it
    (remove) or keep it as expired-reclaimed (lease affinity)."""
    now = server.clock()
    count = 0
    for lease in list(server.store.all()):
        if lease.state not in (STATE_DEFAULT, STATE_DECLINED) or lease.expire > now:
            continue
        if remove or lease.state == STATE_DECLINED:
            server.store.delete(lease.address)
        else:
            reclaimed = lease.copy()
            reclaimed.state = STATE_EXPIRED_RECLAIMED
            server.store.put(reclaimed)
        leases.account(server, lease, -1)
        count += 1
        server.stats.inc("subnet[%d].reclaimed-leases" % lease.subnet_id)
        server.stats.inc("reclaimed-leases")
        if lease.state == STATE_DECLINED:
            server.stats.inc("subnet[%d].reclaimed-declined-addresses" % lease.subnet_id)
            server.stats.inc("reclaimed-declined-addresses")
    return count


def shutdown(server: ServerApi, args: dict[str, Any]) -> Reply:
    exit_value = args.get("exit-value", 0)
    return Reply(answer(SUCCESS, "Shutting down."), after=lambda: server.stop(exit_value))


# ----------------------------------------------------------------------------------------- statistics


def _sample(server: ServerApi, name: str) -> list[list[Any]]:
    return [[server.stats.get(name), _timestamp(server.stats.stamp(name))]]


def statistic_get(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    name = args["name"]
    if name not in server.stats.names():
        return answer(SUCCESS, arguments={})
    return answer(SUCCESS, arguments={name: _sample(server, name)})


def statistic_get_all(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    return answer(SUCCESS, arguments={name: _sample(server, name) for name in server.stats.names()})


def statistic_reset(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    name = args["name"]
    if not server.stats.reset(name):
        return answer(ERROR, f"No '{name}' statistic found")
    return answer(SUCCESS, f"Statistic '{name}' reset.")


def statistic_reset_all(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    for name in server.stats.names():
        server.stats.reset(name)
    return answer(SUCCESS, "All statistics reset to neutral values.")


def statistic_remove(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    name = args["name"]
    if not server.stats.remove(name):
        return answer(ERROR, f"No '{name}' statistic found")
    return answer(SUCCESS, f"Statistic '{name}' removed.")


def statistic_remove_all(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    for name in server.stats.names():
        server.stats.remove(name)
    return answer(SUCCESS, "All statistics removed.")


def stats_recount(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the lease gauges from the store; report what changed (Kea needed `kea-admin
    stats-recount` for this after its negative-statistics bug, #1196)."""
    try:
        from edge.leases.stats import recount_statistics
    except ImportError:  # a lease store without its own recount: the engine's, and compare
        before = server.stats.snapshot()
        server.engine.recount(server.clock())
        after = server.stats.snapshot()
        corrected = {
            name: {"old": before[name], "new": value}
            for name, value in sorted(after.items())
            if name in before and before[name] != value
        }
    else:
        corrected = recount_statistics(server.config, server.store, server.stats)
    text = f"Statistics recounted from {len(server.store)} lease(s); {len(corrected)} corrected."
    return answer(SUCCESS, text, {"corrected": corrected})


# ----------------------------------------------------------------------------------------- the table

NAME = (Arg("name", STRING, required=True),)
ORIGIN = (Arg("origin", ANY),)
HA_ONLY = ("origin-id",)  # sent by Kea's HA partners; meaningless for one server
LEASE_FIELDS = (
    Arg("ip-address", IPV4, required=True),
    Arg("hw-address", hex_bytes(20), required=True),
    Arg("subnet-id", integer()),
    Arg("client-id", hex_bytes(255, 2)),
    Arg("valid-lft", integer()),
    Arg("expire", integer(0, 2**63 - 1)),
    Arg("fqdn-fwd", BOOL),
    Arg("fqdn-rev", BOOL),
    Arg("hostname", STRING),
    Arg("state", integer(0, 2)),
    Arg("user-context", MAP),
    Arg("comment", STRING),
)
LEASE_KEY = (
    Arg("ip-address", IPV4),
    Arg("identifier-type", STRING),
    Arg("identifier", STRING),
    Arg("subnet-id", integer()),
)

# fmt: off
COMMANDS = Registry([
    Command("list-commands", list_commands, summary="the commands this server answers"),
    Command("version-get", version_get, summary="edge-dhcp version"),
    Command("build-report", build_report, summary="how this edge-dhcp was built"),
    Command("status-get", status_get, summary="pid, uptime, seconds since reload, socket state"),
    Command("config-get", config_get, summary="the configuration in force, defaults filled in"),
    Command("config-hash-get", config_hash_get, summary="SHA-256 of the configuration in force"),
    Command("config-test", config_test, free_form=True, summary="check a configuration, change nothing"),
    Command("config-set", config_set, free_form=True, summary="replace the configuration (all or nothing)"),
    Command("config-reload", config_reload, summary="reload the configuration file (all or nothing)"),
    Command("config-write", config_write, (Arg("filename", STRING),),
            summary="write the configuration in force to a file, atomically"),
    Command("dhcp-disable", dhcp_disable, (Arg("max-period", integer(1)), *ORIGIN), ignored=HA_ONLY,
            summary="stop answering DHCP (for max-period seconds)"),
    Command("dhcp-enable", dhcp_enable, ORIGIN, ignored=HA_ONLY, summary="answer DHCP again"),
    Command("leases-reclaim", leases_reclaim, (Arg("remove", BOOL, required=True),),
            summary="reclaim expired leases now"),
    Command("lease4-add", leases.lease4_add, LEASE_FIELDS, summary="add a lease"),
    Command("lease4-update", leases.lease4_update, (*LEASE_FIELDS, Arg("force-create", BOOL)),
            summary="replace a lease"),
    Command("lease4-del", leases.lease4_del, (*LEASE_KEY, Arg("update-ddns", BOOL)), summary="delete a lease"),
    Command("lease4-get", leases.lease4_get, LEASE_KEY, summary="one lease by address or identifier"),
    Command("lease4-get-all", leases.lease4_get_all, (Arg("subnets", list_of(integer())),),
            summary="all leases (of some subnets)"),
    Command("lease4-get-page", leases.lease4_get_page,
            (Arg("from", STRING, required=True), Arg("limit", integer(0), required=True)),
            summary="leases by address order, a page at a time"),
    Command("lease4-get-by-hw-address", leases.lease4_get_by_hw_address,
            (Arg("hw-address", hex_bytes(20), required=True),), summary="leases of a MAC address"),
    Command("lease4-get-by-client-id", leases.lease4_get_by_client_id,
            (Arg("client-id", hex_bytes(255, 1), required=True),), summary="leases of a client-id"),
    Command("lease4-get-by-hostname", leases.lease4_get_by_hostname,
            (Arg("hostname", STRING, required=True),), summary="leases of a hostname"),
    Command("lease4-wipe", leases.lease4_wipe, (Arg("subnet-id", integer()),),
            summary="delete the leases of a subnet (or of all subnets)"),
    Command("statistic-get", statistic_get, NAME, summary="one statistic"),
    Command("statistic-get-all", statistic_get_all, summary="every statistic"),
    Command("statistic-reset", statistic_reset, NAME, summary="set one statistic to zero"),
    Command("statistic-reset-all", statistic_reset_all, summary="set every statistic to zero"),
    Command("statistic-remove", statistic_remove, NAME, summary="forget one statistic"),
    Command("statistic-remove-all", statistic_remove_all, summary="forget every statistic"),
    Command("stats-recount", stats_recount, summary="rebuild lease statistics from the lease store"),
    Command("shutdown", shutdown, (Arg("exit-value", integer(0, 255)),), summary="stop the server"),
])
# fmt: on
