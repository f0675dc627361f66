"""The commands every family service answers (shared), with their arguments, in one table.

Rules this module keeps:
- `SHARED_COMMANDS` are Command rows (see registry.py), named as Kea names them. A family service answers
  them together with its own rows (edge/dhcp4/lease_cmds.py: lease4-*) from one Registry, which
  `list-commands` reads, so the list cannot drift.
- Answers follow Kea 2.2 as observed on a running kea-dhcp4 2.2.0 (shapes and texts), plus the Kea 2.4
  additions the issue asks for (`config-hash-get`, the `hash` in config-get/config-set answers).
- Handlers reach the server only through `ServerApi` (below): the control package never imports
  edge.server, the family service hands itself in. What differs between families (names in answers,
  the document's top-level key) comes from `ServerApi.family`.
- Reconfiguration is all or nothing: `config-set` and `config-reload` build and validate a whole new
  snapshot, then `ServerApi.apply_config` opens what must be opened and swaps one reference; on any
  failure the running configuration keeps serving and the answer says why (result 1).
- `config-write` writes atomically (temporary file, fsync, rename, fsync of the directory) and only into
  the directory of the configuration file the server was started with, so the control channel cannot
  be used to overwrite arbitrary files (Kea 2.6.3 added the same restriction).

Theory of operation: see registry.py for dispatch.
"""

from __future__ import annotations

import copy
import json
import math
import os
import sys
from dataclasses import dataclass
from typing import Any, Protocol

from edge import __version__
from edge.config.loader import Dialect
from edge.config.model import DaemonConfig
from edge.control.protocol import ERROR, SUCCESS, answer
from edge.control.registry import ANY, BOOL, STRING, Arg, ArgError, Command, Registry, Reply, integer
from edge.ddns.service import DdnsService
from edge.fsio import write_atomically
from edge.leases.reclaim import LeaseMaintenance
from edge.leases.store import LeaseStore
from edge.stats import Statistics

__all__ = ["SHARED_COMMANDS", "Family", "ServerApi", "config_hash"]

KEA_API_VERSION = "2.2.0"  # the Kea release whose command answers edge-dhcp reproduces


@dataclass(frozen=True)
class Family:
    """What the shared commands say differently per family."""

    name: str  # "DHCPv4": in answers ("DHCPv4 service disabled")
    key: str  # "Dhcp4": the configuration document's top-level key
    dialect: Dialect  # how config-set / config-test load a document of the family (edge/dhcp4/config.py)


class SocketStatus(Protocol):
    def status(self) -> dict[str, Any]: ...


class ServerApi(Protocol):
    """What the control commands need from a family service (edge/server/service.py provides it)."""

    family: Family
    commands: Registry  # every command this service answers (list-commands reads it)
    store: LeaseStore
    stats: Statistics
    manager: SocketStatus
    lease_timers: LeaseMaintenance
    ddns: DdnsService | None
    config_path: str | None
    started: float
    reloaded: float
    dhcp_disabled_until: float | None

    @property
    def config(self) -> DaemonConfig: ...

    def clock(self) -> float: ...

    def monotonic(self) -> float: ...

    def apply_config(self, config: DaemonConfig) -> tuple[bool, str]: ...

    def reload_config(self) -> tuple[bool, str]: ...

    def recount_statistics(self) -> dict[str, dict[str, int]]: ...

    def stop(self, exit_value: int = 0) -> None: ...


# ----------------------------------------------------------------------------------------- helpers


def config_hash(config: DaemonConfig) -> str:
    """SHA-256 of the configuration in force, as Kea 2.4+ reports it (upper-case hex)."""
    import hashlib  # on demand: hashlib loads OpenSSL (~4 MB resident), which a serving process need not hold

    text = json.dumps(config.raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest().upper()


def _document(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    """The configuration document of config-set / config-test arguments ({"Dhcp4": {...}})."""
    if server.family.key not in args:
        raise ArgError(f"Missing mandatory '{server.family.key}' parameter.")
    return {key: value for key, value in args.items() if key != "hash"}


def _load(server: ServerApi, document: dict[str, Any], source: str) -> DaemonConfig:
    from edge.config.loader import load_data
    from edge.config.machine import interface_names

    config: DaemonConfig = load_data(
        document, source, (server.family.dialect,), interfaces_present=interface_names() or None
    )
    return config


def _timestamp(stamp: float | None) -> str:
    import datetime  # on demand: the module (and its C part) stay out of a serving process

    when = datetime.datetime.fromtimestamp(stamp if stamp is not None else 0)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")


# ----------------------------------------------------------------------------------------- server commands


def list_commands(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    return answer(SUCCESS, arguments=server.commands.names())


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
            f"edge-dhcp, a Kea-compatible {server.family.name} server",
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
    _mask_passwords(arguments)
    arguments["hash"] = config_hash(config)
    return answer(SUCCESS, arguments=arguments)


def _mask_passwords(doc: Any) -> None:
    """Replace the database passwords (lease-database, hosts-database(s)) in a config-get answer: credentials
    never leave the server (issue 21)."""
    if isinstance(doc, list):
        for item in doc:
            _mask_passwords(item)
    elif isinstance(doc, dict):
        for key, value in doc.items():
            if key in ("lease-database", "hosts-database", "hosts-databases"):
                for db in value if isinstance(value, list) else [value]:
                    if isinstance(db, dict) and "password" in db:
                        db["password"] = "*****"
            elif isinstance(value, (dict, list)):
                _mask_passwords(value)


def config_hash_get(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    return answer(SUCCESS, arguments={"hash": config_hash(server.config)})


def config_test(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    from edge.config.errors import ConfigError

    try:
        config = _load(server, _document(server, args), "config-test")
    except ConfigError as exc:
        return answer(ERROR, str(exc))
    text = "Configuration seems sane. Control sockets were checked but not opened."
    if config.warnings:
        text += f" {len(config.warnings)} warning(s):\n" + "\n".join(config.warnings)
    return answer(SUCCESS, text)


def config_set(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    from edge.config.errors import ConfigError

    try:
        config = _load(server, _document(server, args), "config-set")
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


def written_config(config: DaemonConfig) -> bytes:
    """What config-write puts in the file: the running configuration as a Kea-dialect document, strict JSON
    in UTF-8, which loads back to the same running configuration (tests/config/test_write_roundtrip.py)."""
    return json.dumps(config.raw, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8") + b"\n"


def config_write(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    if not server.config_path:
        return answer(
            ERROR,
            "the server runs the built-in default configuration (no -c FILE), so there is no configuration "
            "directory to write into; start it with -c FILE to use config-write",
        )
    base = os.path.dirname(os.path.abspath(server.config_path))
    filename = args.get("filename") or server.config_path
    if "\0" in filename:  # no file name has one (and os.path would raise on it)
        return answer(ERROR, "config-write: 'filename' must not contain a NUL character")
    target = os.path.realpath(os.path.join(base, filename))
    if os.path.dirname(target) != os.path.realpath(base):
        return answer(
            ERROR,
            f"config-write may only write into the configuration directory {base} (asked for {filename})",
        )
    data = written_config(server.config)
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
        return answer(SUCCESS, f"{server.family.name} service disabled")
    server.dhcp_disabled_until = server.monotonic() + period
    return answer(SUCCESS, f"{server.family.name} service disabled for {period} seconds")


def dhcp_enable(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    _origin(args)
    server.dhcp_disabled_until = None
    return answer(SUCCESS, "DHCP service successfully enabled")


def leases_reclaim(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    # The service's own reclaimer: the one its timers run, with their settings.
    count = server.lease_timers.reclaimer.reclaim_all(remove=args["remove"])
    return answer(SUCCESS, "Reclamation of expired leases is complete.", {"reclaimed": count})


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
    corrected = server.recount_statistics()
    text = f"Statistics recounted from {len(server.store)} lease(s); {len(corrected)} corrected."
    return answer(SUCCESS, text, {"corrected": corrected})


# ----------------------------------------------------------------------------------------- the table

NAME = (Arg("name", STRING, required=True),)
ORIGIN = (Arg("origin", ANY),)
HA_ONLY = ("origin-id",)  # sent by Kea's HA partners; meaningless for one server

# fmt: off
SHARED_COMMANDS: tuple[Command, ...] = (
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
    Command("statistic-get", statistic_get, NAME, summary="one statistic"),
    Command("statistic-get-all", statistic_get_all, summary="every statistic"),
    Command("statistic-reset", statistic_reset, NAME, summary="set one statistic to zero"),
    Command("statistic-reset-all", statistic_reset_all, summary="set every statistic to zero"),
    Command("statistic-remove", statistic_remove, NAME, summary="forget one statistic"),
    Command("statistic-remove-all", statistic_remove_all, summary="forget every statistic"),
    Command("stats-recount", stats_recount, summary="rebuild lease statistics from the lease store"),
    Command("shutdown", shutdown, (Arg("exit-value", integer(0, 255)),), summary="stop the server"),
)
# fmt: on
