"""`edge-dhcp serve`: one loop, the family services the configuration files ask for, run until stopped.

One process serves what Kea runs as separate daemons (memory matters on a Pi: one interpreter), while each
family keeps Kea's shape: its own configuration file, lease file, statistics and control socket. Today the
DHCPv4 service (server/dhcp4.py); a DHCPv6 service plugs into the same Loop beside it. One Dashboard
(edge/dashboard/web.py) spans them: each family's HTTP control listeners serve its routes, and each family
joins it with its ControlService, so the page and /metrics show every family whichever listener is asked.
"""

from __future__ import annotations

import logging

from edge.dashboard.web import Dashboard
from edge.dhcp4.defaults import load_config
from edge.dhcp4.lease_store import LeaseStore4, MemfileLeaseStore4, MemoryLeaseStore4
from edge.dhcp4.model import Config4
from edge.log import configure_logging
from edge.policy.hosts import HostsDatabaseError
from edge.server.dhcp4 import Dhcp4Service

log = logging.getLogger("edge.server")

DEFAULT_LEASE_FILE = "/var/lib/edge-dhcp/dhcp4.leases"


def open_store(config: Config4, override: str | None = None, sync: str | None = None) -> LeaseStore4:
    """The lease store the configuration names; `override` replaces its file name and `sync` its
    lease-database.sync (`serve --lease-file` / `--lease-sync`: one configuration file, shared with Kea,
    which does not know the `sync` key, served in any durability mode)."""
    database = config.lease_database
    if not database.persist and not override:
        return MemoryLeaseStore4()
    return MemfileLeaseStore4(
        override or database.name or DEFAULT_LEASE_FILE, persist=True, sync=sync or database.sync
    )


def run_server(
    config_path: str | None,
    lease_file: str | None = None,
    control_socket: str | None = None,
    lease_sync: str | None = None,
) -> int:
    configure_logging()
    try:
        config = load_config(config_path)
    except Exception as exc:
        log.error("DHCP4_INIT_FAIL cannot start: %s", exc)
        return 1
    configure_logging(config.loggers)
    for warning in config.warnings:
        log.warning("DHCP4_CONFIG_WARNING %s", warning)
    try:
        store = open_store(config, lease_file, lease_sync)
    except Exception as exc:
        log.error("DHCP4_INIT_FAIL cannot open the lease database: %s", exc)
        return 1
    dashboard = Dashboard()
    try:
        service = Dhcp4Service(
            config, store, config_path, control_socket=control_socket, routes=dashboard.routes
        )
    except HostsDatabaseError as exc:  # a hosts-database file that cannot be used: say which and why
        log.error("DHCP4_INIT_FAIL cannot open the hosts database: %s", exc)
        store.close()
        return 1
    dashboard.add_family(service.service_name, service.control.execute)
    ok, message = service.open_control()
    if not ok:
        log.error("DHCP4_INIT_FAIL cannot open the control channel: %s", message)
        service.close()
        return 1
    return service.run()
