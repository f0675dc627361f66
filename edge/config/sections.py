"""The daemon-map sections both families read alike: interfaces, the lease and hosts databases, expired-lease
processing, loggers, and the flex_id hook's identifier expression.

Rules this module keeps:
- Each method turns one cleaned section (already type-checked by the key table) into model values and
  reports what the key table cannot see: empty names, duplicates, unsupported database types.
- The family says how an address in "eth0/ADDRESS" is written (`interface_address`: IPv4 or IPv6).
"""

from __future__ import annotations

from typing import Any

from edge.config.context import BuildContext
from edge.config.errors import format_path
from edge.config.keys import EXPIRED, LOG_OUTPUT
from edge.config.model import (
    ExpiredLeasesProcessing,
    HostsDatabase,
    InterfaceSpec,
    LeaseDatabase,
    Logger,
    LoggerOutput,
)
from edge.config.positions import KeyPath
from edge.expr.language import ExpressionError, StringExpression, compile_string

_SQL_KEYS = ("name", "host", "port", "user", "password", "connect-timeout")  # what lease_pgsql.py acts on

__all__ = ["SectionsPart"]


class SectionsPart(BuildContext):
    # -- interfaces

    def interfaces(self, cfg: dict[str, Any], path: KeyPath) -> tuple[InterfaceSpec, ...]:
        specs: list[InterfaceSpec] = []
        seen: dict[str, KeyPath] = {}
        for i, text in enumerate(cfg.get("interfaces", ())):
            if text is None:
                continue
            item = path + ("interfaces", i)
            spec = self.interface_spec(text, item)
            if spec is None:
                continue
            key = text.strip()
            if key in seen:
                self.error(item, f'interface "{key}" is listed twice (also at {format_path(seen[key])})')
                continue
            seen[key] = item
            specs.append(spec)
        return tuple(specs)

    def interface_spec(self, text: str, path: KeyPath) -> InterfaceSpec | None:
        name, sep, addr = text.strip().partition("/")
        if name == "*" and not addr:
            return InterfaceSpec("*")
        problem = self.interface_name_problem(name)
        if problem:
            self.error(
                path,
                f'"{text}" is not an interface: {problem} (use "eth0", "eth0/{self.example_address}" or "*")',
            )
            return None
        self.check_present(name, path)
        if not sep:
            return InterfaceSpec(name)
        address = self.parse_address(addr)
        if address is None:
            self.error(path, f'"{addr}" in "{text}" is not an {self.address_family} address')
            return None
        return InterfaceSpec(name, address)

    # -- databases

    def lease_database(self, cfg: dict[str, Any], path: KeyPath) -> LeaseDatabase:
        kind = cfg.get("type", "memfile")
        if kind == "postgresql":
            return self.sql_lease_database(cfg, path)
        if kind != "memfile":
            self.error(path + ("type",), f'only "memfile" and "postgresql" are supported yet (got "{kind}")')
            # the database keys' own "not acted on" warnings would only repeat this error
            self.drop_warnings_inside(path)
        name = cfg.get("name")
        if name is not None and not name.strip():
            self.error(path + ("name",), "the lease file name is empty")
            name = None
        return LeaseDatabase(
            type="memfile",
            persist=cfg.get("persist", True),
            name=name,
            lfc_interval=cfg.get("lfc-interval", 3600),
            sync=cfg.get("sync", "batch"),
        )

    def sql_lease_database(self, cfg: dict[str, Any], path: KeyPath) -> LeaseDatabase:
        """Kea's PostgreSQL lease database (edge/dhcp4/lease_pgsql.py): DHCPv4 only in this slice. The keys
        the store acts on lose their "not acted on" warning; the others (reconnect timers, TLS) keep it."""
        if self.address_family != "IPv4":
            self.error(path + ("type",), '"postgresql" lease databases are supported for DHCPv4 only yet')
            self.drop_warnings_inside(path)
        name = cfg.get("name")
        if not name or not str(name).strip():
            self.error(path + ("name",), 'a "postgresql" lease database needs "name" (the database name)')
        acted = {format_path(path + (key,)) for key in _SQL_KEYS}
        self.issues.warnings = [w for w in self.issues.warnings if w.path not in acted]
        return LeaseDatabase(
            type="postgresql",
            persist=True,
            name=name,
            params=tuple((key, cfg[key]) for key in _SQL_KEYS if key in cfg),
        )

    def hosts_databases(self, g: dict[str, Any], root: KeyPath) -> tuple[HostsDatabase, ...]:
        if "hosts-database" in g and "hosts-databases" in g:
            self.error(
                root + ("hosts-databases",),
                'give "hosts-database" or "hosts-databases", not both',
                at_key=True,
            )
            return ()
        if "hosts-database" in g:
            entries: list[tuple[KeyPath, dict[str, Any]]] = [
                (root + ("hosts-database",), g["hosts-database"])
            ]
        else:
            entries = list(self.items(g, "hosts-databases", root))
        out: list[HostsDatabase] = []
        seen: dict[str, KeyPath] = {}
        for path, db in entries:
            kind = db["type"]
            if kind == "postgresql":
                sql = self.sql_hosts_database(db, path)
                if sql is not None:
                    out.append(sql)
                continue
            if kind != "tinydb":
                self.error(
                    path + ("type",),
                    f'only "postgresql" and "tinydb" host databases are supported yet (got "{kind}"); keep the '
                    'reservations in the configuration or in a TinyDB file: {"type": "tinydb", "name": '
                    '"/path/hosts.json"}',
                )
                self.drop_warnings_inside(path)
                continue
            name = db.get("name", "")
            if not name.strip():
                self.error(
                    path + ("name",) if "name" in db else path,
                    'a tinydb hosts database needs "name": the path of its file',
                )
                continue
            if name in seen:
                self.error(
                    path + ("name",), f"the same hosts database is configured at {format_path(seen[name])}"
                )
                continue
            seen[name] = path
            out.append(HostsDatabase(type=kind, name=name))
        return tuple(out)

    def sql_hosts_database(self, db: dict[str, Any], path: KeyPath) -> HostsDatabase | None:
        """Kea's PostgreSQL hosts tables (edge/leases/hosts_pgsql.py, read when the configuration is applied).
        The connection keys it acts on lose their "not acted on" warning."""
        name = db.get("name")
        if not name or not str(name).strip():
            self.error(
                path + ("name",) if "name" in db else path,
                'a "postgresql" hosts database needs "name" (the database name)',
            )
            return None
        acted = {format_path(path + (key,)) for key in _SQL_KEYS}
        self.issues.warnings = [w for w in self.issues.warnings if w.path not in acted]
        params = tuple((key, db[key]) for key in _SQL_KEYS if key in db)
        return HostsDatabase(type="postgresql", name=name, params=params)

    def expired_leases_processing(self, g: dict[str, Any]) -> ExpiredLeasesProcessing:
        filled = self.table.fill_defaults(g.get("expired-leases-processing", {}), EXPIRED)
        return ExpiredLeasesProcessing(
            **{
                name.replace("-", "_"): value
                for name, value in filled.items()
                if name not in ("comment", "user-context")
            }
        )

    # -- hooks that change what the configuration means

    def flex_id(self, g: dict[str, Any], root: KeyPath) -> StringExpression | None:
        """Kea's flex_id hook library: its `identifier-expression` is a string expression whose value is
        the client's flex-id. Compiled here (an error points into the expression); None without the hook."""
        for path, library, parameters in self.hooks:
            if "flex_id" not in library or not isinstance(parameters, dict):
                continue
            text = parameters.get("identifier-expression")
            where = path + ("parameters", "identifier-expression")
            if not isinstance(text, str) or not text.strip():
                self.error(
                    where if "identifier-expression" in parameters else path + ("parameters",),
                    'the flex_id hook needs "identifier-expression" (a string expression)',
                )
                return None
            try:
                return compile_string(text, self.registry, family=self.expr_family)
            except ExpressionError as err:
                self.error(
                    where, f"bad expression: {err.message} (at character {err.offset + 1})", inside=err.offset
                )
                return None
        return None

    # -- loggers

    def loggers(self, g: dict[str, Any], root: KeyPath) -> tuple[Logger, ...]:
        out: list[Logger] = []
        for path, lg in self.items(g, "loggers", root):
            if "output_options" in lg and "output-options" in lg:
                self.error(path, 'give "output_options" (Kea 2.2) or "output-options", not both')
                continue
            key = "output-options" if "output-options" in lg else "output_options"
            outputs: list[LoggerOutput] = []
            for opath, o in self.items(lg, key, path):
                if not o["output"].strip():
                    self.error(
                        opath + ("output",),
                        'the log output is empty (use "stdout", "stderr", "syslog" or a file path)',
                    )
                    continue
                filled = self.table.fill_defaults(o, LOG_OUTPUT)
                outputs.append(
                    LoggerOutput(
                        output=o["output"],
                        maxsize=filled["maxsize"],
                        maxver=filled["maxver"],
                        flush=filled["flush"],
                        pattern=filled["pattern"],
                    )
                )
            out.append(
                Logger(
                    name=lg["name"],
                    severity=lg.get("severity", "INFO"),
                    debuglevel=lg.get("debuglevel", 0),
                    outputs=tuple(outputs),
                )
            )
        return tuple(out)
