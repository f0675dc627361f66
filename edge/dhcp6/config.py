"""Loading a Dhcp6 configuration: the entry points, the Dhcp6 dialect, and host reservations kept outside
the configuration file -- the twin of edge/dhcp4/config.py.

Rules this module keeps:
- `load_file`, `load_text` and `load_data` return a Config6 or raise one ConfigError listing every problem
  (file:line:column and key path each); nothing else escapes for any input. They accept only `Dhcp6`
  documents; `edge-dhcp check` offers both families' dialects to edge/config/loader.py.
- `parse_host_documents` checks reservations from a hosts database exactly like the configuration's own.
- `open_host_backends` reads the hosts databases (file I/O): the server calls it, never the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from edge.config import loader
from edge.config.errors import ConfigError, ConfigIssue, IssueLog
from edge.config.model import HostsDatabase
from edge.config.reservations import host_document_scopes
from edge.dhcp6.builder import Builder6
from edge.dhcp6.keys import DHCP6, TABLE
from edge.dhcp6.model import Config6, Reservation6
from edge.policy.hosts import HostBackend, HostsDatabaseError
from edge.policy.hosts import open_host_backends as _open_backends

__all__ = [
    "DIALECT",
    "ConfigError",
    "ConfigIssue",
    "load_data",
    "load_file",
    "load_text",
    "open_host_backends",
    "parse_host_documents",
]

log = logging.getLogger("edge.config")


class Dhcp6Dialect:
    """The `Dhcp6` top-level key and how its value becomes a Config6."""

    root = DHCP6

    def build(
        self, doc: Any, issues: IssueLog, source: str, interfaces_present: Collection[str] | None
    ) -> Config6:
        clean = TABLE.validate(doc, issues)
        if clean is None:
            issues.raise_if_errors()
            raise ConfigError([issues.issue((), "no usable Dhcp6 section")])  # pragma: no cover
        config = Builder6(issues, source, interfaces_present).build(clean)
        issues.raise_if_errors()
        return _logged(config)


DIALECT = Dhcp6Dialect()
_ONLY = (DIALECT,)


def load_file(path: str, *, interfaces_present: Collection[str] | None = None) -> Config6:
    """Load a Dhcp6 configuration file (Kea dialect, includes allowed)."""
    config: Config6 = loader.load_file(path, _ONLY, interfaces_present=interfaces_present)
    return config


def load_text(
    text: str, source: str = "<string>", *, interfaces_present: Collection[str] | None = None
) -> Config6:
    """Load a Dhcp6 configuration from text; `source` names it in messages (and resolves includes)."""
    config: Config6 = loader.load_text(text, source, _ONLY, interfaces_present=interfaces_present)
    return config


def load_data(
    obj: Any, source: str = "<data>", *, interfaces_present: Collection[str] | None = None
) -> Config6:
    """Load a Dhcp6 configuration that is already a Python value (config-set)."""
    config: Config6 = loader.load_data(obj, source, _ONLY, interfaces_present=interfaces_present)
    return config


def parse_host_documents(
    docs: list[dict[str, Any]], config: Config6, source: str
) -> tuple[Reservation6, ...]:
    """Host reservations from a hosts database (Kea reservation syntax plus "subnet-id" and "doc-id"),
    checked like the configuration's own; raises ConfigError listing every problem (paths hosts[ID])."""
    issues = IssueLog(source)
    builder = Builder6(issues, source, None)
    builder.add_known_defs(config.option_defs)
    builder.class_names = {c.name for c in config.client_classes}
    builder.guard_names = guard_names(config)
    builder.ip_unique = config.ip_reservations_unique
    scopes = host_document_scopes(docs, TABLE, issues, lambda sid: config.subnet_by_id(sid) is not None)
    out: list[Reservation6] = []
    for sid, entries in scopes.items():
        out.extend(builder.reservation_list(entries, config.subnet_by_id(sid) if sid else None))
    issues.raise_if_errors()
    for warning in issues.sorted(issues.warnings):
        log.warning("DHCP6_CONFIG_WARNING %s", warning)
    return tuple(out)


def guard_names(config: Config6) -> set[str]:
    """The classes the configuration's guards name (a hosts database's reservations may tag hosts with them)."""
    lists = (
        [n.client_classes for n in config.shared_networks]
        + [s.client_classes for s in config.subnets]
        + [p.client_classes for s in config.subnets for p in s.pools]
        + [p.client_classes for s in config.subnets for p in s.pd_pools]
    )
    return {name for names in lists for name in names}


def open_host_backends(config: Config6) -> list[HostBackend[Reservation6]]:
    """The configuration's reservations, then each `hosts-database` (read now). HostsDatabaseError if one
    cannot be used."""

    def parse(docs: list[dict[str, Any]], path: str) -> tuple[Reservation6, ...]:
        try:
            return parse_host_documents(docs, config, path)
        except ConfigError as err:
            raise HostsDatabaseError(f"hosts database {path} has bad reservations:\n{err}") from None

    def read_pgsql(db: HostsDatabase) -> list[dict[str, Any]]:
        from edge.leases.hosts_pgsql import read_host_documents  # psycopg only for such a database

        return read_host_documents(db, 6)

    return _open_backends(config, config.hosts_databases, parse, {"postgresql": read_pgsql})


def _logged(config: Config6) -> Config6:
    log.info(
        "DHCP6_CONFIG_COMPLETE configuration from %s: %d subnets, %d shared networks, %d warnings",
        config.source,
        len(config.subnets),
        len(config.shared_networks),
        len(config.warnings),
    )
    for warning in config.warnings:
        log.debug("DHCP6_CONFIG_WARNING %s", warning)
    return config
