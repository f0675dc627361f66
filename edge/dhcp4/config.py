"""Loading a Dhcp4 configuration: the entry points, the Dhcp4 dialect, and host reservations kept outside
the configuration file.

Rules this module keeps:
- `load_file`, `load_text` and `load_data` return a Config4 or raise one ConfigError listing every problem
  (file:line:column and key path each); nothing else escapes for any input. They accept only `Dhcp4`
  documents; `edge-dhcp check` offers every family's DIALECT to edge/config/loader.py instead.
- `parse_host_documents` checks reservations from a hosts database exactly like the configuration's own,
  against the configuration they belong to (its subnets, classes and option definitions).
- `open_host_backends` is where host reservations are read from files: the server calls it when it applies a
  configuration and hands the backends to the engine, which does no file I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

from edge.config import loader
from edge.config.errors import ConfigError, ConfigIssue, IssueLog
from edge.config.model import HostsDatabase
from edge.config.reservations import host_document_scopes
from edge.dhcp4.builder import Builder4
from edge.dhcp4.keys import DHCP4, TABLE
from edge.dhcp4.model import Config4, Reservation4
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


# Checks of hook libraries' parameters that live in higher layers (edge/ha/config.py registers the HA
# block's when imported): each gets the cleaned Dhcp4 map and the load's IssueLog, and reports by key path.
HOOK_CHECKS: list[Callable[[dict[str, Any], IssueLog], None]] = []


class Dhcp4Dialect:
    """The `Dhcp4` top-level key and how its value becomes a Config4."""

    root = DHCP4

    def build(
        self, doc: Any, issues: IssueLog, source: str, interfaces_present: Collection[str] | None
    ) -> Config4:
        clean = TABLE.validate(doc, issues)
        if clean is None:
            issues.raise_if_errors()
            raise ConfigError([issues.issue((), "no usable Dhcp4 section")])  # pragma: no cover
        for hook_check in HOOK_CHECKS:
            hook_check(clean, issues)
        config = Builder4(issues, source, interfaces_present).build(clean)
        issues.raise_if_errors()
        return _logged(config)


DIALECT = Dhcp4Dialect()
_ONLY = (DIALECT,)


def load_file(path: str, *, interfaces_present: Collection[str] | None = None) -> Config4:
    """Load a Dhcp4 configuration file (Kea dialect, includes allowed). `interfaces_present`, when given,
    is the set of interface names on this machine: others the configuration names become warnings."""
    config: Config4 = loader.load_file(path, _ONLY, interfaces_present=interfaces_present)
    return config


def load_text(
    text: str, source: str = "<string>", *, interfaces_present: Collection[str] | None = None
) -> Config4:
    """Load a Dhcp4 configuration from text; `source` names it in messages (and resolves includes)."""
    config: Config4 = loader.load_text(text, source, _ONLY, interfaces_present=interfaces_present)
    return config


def load_data(
    obj: Any, source: str = "<data>", *, interfaces_present: Collection[str] | None = None
) -> Config4:
    """Load a Dhcp4 configuration that is already a Python value (config-set): issues name `source` and
    the key path (there are no positions)."""
    config: Config4 = loader.load_data(obj, source, _ONLY, interfaces_present=interfaces_present)
    return config


def parse_host_documents(
    docs: list[dict[str, Any]], config: Config4, source: str
) -> tuple[Reservation4, ...]:
    """Host reservations from a hosts database: each document is a `reservations` entry (Kea syntax) plus
    "subnet-id" (absent or 0: global) and "doc-id" (its id in the database, for messages). Checked exactly
    like reservations in `config`; raises ConfigError listing every problem, with paths like hosts[3]."""
    issues = IssueLog(source)
    builder = Builder4(issues, source, None)
    builder.add_known_defs(config.option_defs)
    builder.class_names = {c.name for c in config.client_classes}
    builder.guard_names = guard_names(config)
    builder.ip_unique = config.ip_reservations_unique
    scopes = host_document_scopes(docs, TABLE, issues, lambda sid: config.subnet_by_id(sid) is not None)
    out: list[Reservation4] = []
    for sid, entries in scopes.items():
        out.extend(builder.reservation_list(entries, config.subnet_by_id(sid) if sid else None))
    issues.raise_if_errors()
    for warning in issues.sorted(issues.warnings):
        log.warning("DHCP4_CONFIG_WARNING %s", warning)
    return tuple(out)


def guard_names(config: Config4) -> set[str]:
    """The classes the configuration's guards name (a hosts database's reservations may tag hosts with them)."""
    lists = (
        [n.client_classes for n in config.shared_networks]
        + [s.client_classes for s in config.subnets]
        + [p.client_classes for s in config.subnets for p in s.pools]
    )
    return {name for names in lists for name in names}


def open_host_backends(config: Config4) -> list[HostBackend[Reservation4]]:
    """The configuration's reservations, then each `hosts-database` (read now). HostsDatabaseError if one
    cannot be used."""

    def parse(docs: list[dict[str, Any]], path: str) -> tuple[Reservation4, ...]:
        try:
            return parse_host_documents(docs, config, path)
        except ConfigError as err:
            raise HostsDatabaseError(f"hosts database {path} has bad reservations:\n{err}") from None

    def read_pgsql(db: HostsDatabase) -> list[dict[str, Any]]:
        from edge.leases.hosts_pgsql import read_host_documents  # psycopg only for such a database

        return read_host_documents(db, 4)

    return _open_backends(config, config.hosts_databases, parse, {"postgresql": read_pgsql})


def _logged(config: Config4) -> Config4:
    log.info(
        "DHCP4_CONFIG_COMPLETE configuration from %s: %d subnets, %d shared networks, %d warnings",
        config.source,
        len(config.subnets),
        len(config.shared_networks),
        len(config.warnings),
    )
    for warning in config.warnings:
        log.debug("DHCP4_CONFIG_WARNING %s", warning)
    return config
