"""`edge-dhcp serve`: one loop, the family services the configuration files ask for, run until stopped.

One process serves what Kea runs as separate daemons (memory matters on a Pi: one interpreter), while each
family keeps Kea's shape: its own configuration file, lease file, statistics and control socket:

    edge-dhcp serve -c kea-dhcp4.conf -c kea-dhcp6.conf

Which family a file is for is its top-level key ({"Dhcp4": ...} or {"Dhcp6": ...}), as `edge-dhcp check`
reads it; the table FAMILIES says, per family, how its configuration loads, where its leases live by
default and which service serves it. Without -c, the DHCPv4 built-in default (DHCPv6 has none: a v6 server
needs a prefix to hand out, which nothing on the machine can supply).

One Dashboard (edge/dashboard/web.py) spans the families: each family's HTTP control listeners serve its
routes, and each family joins it with its ControlService, so the page and /metrics show every family
whichever listener is asked. Logging: each configuration may name loggers; the last file's win (one process
has one logging set-up), which the start-up log says when two files disagree.

Start-up is all or nothing: a file that does not load, a lease store or control socket that cannot open
stops `serve` with exit status 1 before any family answers a packet, and what was opened is closed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from edge.config.errors import ConfigError
from edge.config.loader import top_level_key
from edge.dashboard.web import Dashboard
from edge.leases.store import LeaseStore
from edge.log import configure_logging
from edge.policy.hosts import HostsDatabaseError
from edge.server.loop import Loop
from edge.server.service import FamilyService

log = logging.getLogger("edge.server")

DEFAULT_LEASE_FILE = "/var/lib/edge-dhcp/dhcp4.leases"


@dataclass(frozen=True)
class FamilyRow:
    key: str  # the configuration's top-level key
    prefix: str  # log ids: DHCP4_INIT_FAIL
    default_lease_file: str
    load_config: Callable[[str | None], Any]
    stores: Callable[[], tuple[type[LeaseStore[Any]], type[LeaseStore[Any]]]]  # (in memory, memfile)
    service: Callable[[], type[FamilyService]]


def _stores4() -> tuple[type[LeaseStore[Any]], type[LeaseStore[Any]]]:
    from edge.dhcp4.lease_store import MemfileLeaseStore4, MemoryLeaseStore4

    return MemoryLeaseStore4, MemfileLeaseStore4


def _stores6() -> tuple[type[LeaseStore[Any]], type[LeaseStore[Any]]]:
    from edge.dhcp6.lease_store import MemfileLeaseStore6, MemoryLeaseStore6

    return MemoryLeaseStore6, MemfileLeaseStore6


def _load4(path: str | None) -> Any:
    from edge.dhcp4.defaults import load_config

    return load_config(path)


def _load6(path: str | None) -> Any:
    from edge.dhcp6.defaults import load_config

    return load_config(path)


def _service4() -> type[FamilyService]:
    from edge.server.dhcp4 import Dhcp4Service

    return Dhcp4Service


def _service6() -> type[FamilyService]:
    from edge.server.dhcp6 import Dhcp6Service

    return Dhcp6Service


# Each family imports its own rooms only when a file asks for it: a v4-only Pi never loads the v6 engine.
FAMILIES = (
    FamilyRow("Dhcp4", "DHCP4", DEFAULT_LEASE_FILE, _load4, _stores4, _service4),
    FamilyRow("Dhcp6", "DHCP6", "/var/lib/edge-dhcp/dhcp6.leases", _load6, _stores6, _service6),
)


def family_of(path: str | None) -> FamilyRow:
    """The family a configuration file is for, by its top-level key; without a file, DHCPv4's built-in
    default. A file naming no known family is left to the DHCPv4 loader, whose error says what it wants."""
    if path is None:
        return FAMILIES[0]
    key = top_level_key(path, [row.key for row in FAMILIES])
    return next((row for row in FAMILIES if row.key == key), FAMILIES[0])


def open_store(
    config: Any,
    override: str | None = None,
    sync: str | None = None,
    family: FamilyRow = FAMILIES[0],
) -> LeaseStore[Any]:
    """The lease store the configuration names; `override` replaces its file name and `sync` its
    lease-database.sync (`serve --lease-file` / `--lease-sync`: one configuration file, shared with Kea,
    which does not know the `sync` key, served in any durability mode)."""
    memory, memfile = family.stores()
    database = config.lease_database
    if database.type == "postgresql" and not override:
        from edge.dhcp4.lease_pgsql import PgSqlLeaseStore4  # psycopg is imported only for this

        return PgSqlLeaseStore4(dict(database.params))
    if not database.persist and not override:
        return memory()
    return memfile(
        override or database.name or family.default_lease_file, persist=True, sync=sync or database.sync
    )


def _fail(prefix: str, what: str, exc: BaseException | str) -> int:
    log.error("%s_INIT_FAIL %s: %s", prefix, what, exc)
    return 1


def run_server(
    config_paths: Sequence[str] | str | None,
    lease_file: str | None = None,
    control_socket: str | None = None,
    lease_sync: str | None = None,
) -> int:
    """Serve every configuration in `config_paths` (one per family) in one loop until stopped.

    `lease_file` and `control_socket` name one family's files, so they need exactly one configuration."""
    configure_logging()
    if config_paths is None or isinstance(config_paths, str):
        paths: list[str | None] = [config_paths]
    else:
        paths = list(config_paths) or [None]
    if len(paths) > 1 and (lease_file or control_socket):
        log.error("SERVER_INIT_FAIL --lease-file and --control-socket name one family's files: give one -c")
        return 1
    loaded: list[tuple[FamilyRow, str | None, Any]] = []
    for path in paths:
        row = family_of(path)
        if any(seen.key == row.key for seen, _, _ in loaded):
            return _fail(row.prefix, "cannot start", f"{path} is a second {row.key} configuration")
        try:
            config = row.load_config(path)
        except ConfigError as exc:
            return _fail(row.prefix, "cannot start", exc)
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            return _fail(row.prefix, "cannot start", exc)
        loaded.append((row, path, config))
    for _, _, config in loaded:
        configure_logging(config.loggers)
    for row, _, config in loaded:
        for warning in config.warnings:
            log.warning("%s_CONFIG_WARNING %s", row.prefix, warning)

    loop = Loop()
    dashboard = Dashboard()
    services: list[FamilyService] = []

    def give_up(code: int) -> int:
        for service in services:
            service.close()
        return code

    for row, path, config in loaded:
        try:
            store = open_store(config, lease_file, lease_sync, row)
        except Exception as exc:  # noqa: BLE001
            return give_up(_fail(row.prefix, "cannot open the lease database", exc))
        try:
            service = row.service()(
                config, store, path, control_socket=control_socket, loop=loop, routes=dashboard.routes
            )
        except HostsDatabaseError as exc:  # a hosts-database file that cannot be used: say which and why
            store.close()
            return give_up(_fail(row.prefix, "cannot open the hosts database", exc))
        except Exception as exc:  # noqa: BLE001 - e.g. a server-id file that cannot be written
            store.close()
            return give_up(_fail(row.prefix, "cannot start", exc))
        services.append(service)
        dashboard.add_family(service.service_name, service.control.execute)
    for service in services:
        ok, message = service.open_control()
        if not ok:
            return give_up(_fail(service.prefix, "cannot open the control channel", message))
    return services[0].run()
