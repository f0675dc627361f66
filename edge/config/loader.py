"""Kea-dialect configuration -> validated, immutable Config snapshot.

Rules this module keeps:
- `load_file`, `load_text` and `load_data` either return a complete Config or raise one ConfigError
  listing every problem found (file:line:column and key path each); nothing else escapes for any input.
- The snapshot holds no parse positions, only values: addresses as ints, option payloads as wire bytes,
  scope parameters resolved per subnet (global -> shared network -> subnet, as Kea inherits them),
  subnets sorted by id. `raw` is the Kea-dialect document with Kea's defaults filled in (config-get).
- Semantics follow Kea 2.2 where Kea checks something; where Kea is silent but a configuration is surely
  wrong (overlapping subnets, unknown class names, inconsistent timers) we refuse it and say why.

Theory of operation, in four passes over one document:
  1. jsonpos parses the text into plain values and a position map (syntax errors stop here);
  2. the top level is checked (one `Dhcp4`, none of the obsolete shared-file sections);
  3. schema.validate checks every key against the key table and returns a cleaned copy whose types can
     be trusted (bad parts are dropped, so later passes see only well-typed values, and never report a
     follow-on error for a value that was already reported);
  4. _Builder turns the cleaned document into model objects, checking meaning as it goes: addresses,
     pools, ids, reservations, classes, option data (encoded by edge.wire.options44), timers.
Every problem goes to one IssueLog by key path; the log finds the position. At the end, errors raise.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from edge.config import schema
from edge.config.d2 import build_settings as build_ddns_settings
from edge.config.errors import ConfigError, ConfigIssue, IssueLog, format_path
from edge.config.jsonpos import MAX_DEPTH, KeyPath, parse_text, read_config_text
from edge.config.model import (
    ClientClass,
    Config,
    ControlSocket,
    ExpiredLeasesProcessing,
    HostsDatabase,
    InterfaceSpec,
    LeaseDatabase,
    Logger,
    LoggerOutput,
    OptionData,
    OptionDef,
    Pool,
    Reservation,
    ScopeParams,
    SharedNetwork,
    Subnet,
)
from edge.expr.language import ExpressionError, compile_string, compile_test
from edge.wire import optiondef, options4
from edge.wire.errors import OptionTextError

__all__ = [
    "BUILTIN_CLASSES",
    "ConfigError",
    "ConfigIssue",
    "load_data",
    "load_file",
    "load_text",
    "parse_host_documents",
]

log = logging.getLogger("edge.config")

# Classes Kea defines itself; VENDOR_CLASS_<option 60> is assigned automatically too.
BUILTIN_CLASSES = frozenset({"ALL", "KNOWN", "UNKNOWN", "BOOTP", "DROP", "SKIP_DDNS"})
BUILTIN_CLASS_PREFIXES = ("VENDOR_CLASS_",)

# Top-level sections other Kea daemons used to share a file with Dhcp4 (Kea < 2.0).
OTHER_DAEMONS = ("Dhcp6", "DhcpDdns", "Control-agent", "Netconf")

IDENTIFIER_MAX = {"hw-address": 20, "client-id": 128, "circuit-id": 128, "duid": 128, "flex-id": 128}
SNAME_MAX = 63  # the sname field is 64 bytes, NUL-terminated
FILE_MAX = 127  # the file field is 128 bytes, NUL-terminated
IFNAME_MAX = 15  # Linux IFNAMSIZ - 1

_SEPARATOR_RE = re.compile(r"[:\-\s]")
_OCTET_RE = re.compile(r"[0-9A-Fa-f]{1,2}")
_HEX_RE = re.compile(r"(?:[0-9A-Fa-f]{2})+")

# Scope parameters the model resolves, and the ScopeParams field each becomes.
SCOPE_FIELDS = {
    "valid-lifetime": "valid_lifetime",
    "min-valid-lifetime": "min_valid_lifetime",
    "max-valid-lifetime": "max_valid_lifetime",
    "renew-timer": "renew_timer",
    "rebind-timer": "rebind_timer",
    "calculate-tee-times": "calculate_tee_times",
    "t1-percent": "t1_percent",
    "t2-percent": "t2_percent",
    "match-client-id": "match_client_id",
    "authoritative": "authoritative",
    "next-server": "next_server",
    "server-hostname": "server_hostname",
    "boot-file-name": "boot_file_name",
    "reservations-global": "reservations_global",
    "reservations-in-subnet": "reservations_in_subnet",
    "reservations-out-of-pool": "reservations_out_of_pool",
    "ddns-send-updates": "ddns_send_updates",
    "ddns-override-no-update": "ddns_override_no_update",
    "ddns-override-client-update": "ddns_override_client_update",
    "ddns-replace-client-name": "ddns_replace_client_name",
    "ddns-generated-prefix": "ddns_generated_prefix",
    "ddns-qualifying-suffix": "ddns_qualifying_suffix",
    "ddns-update-on-renew": "ddns_update_on_renew",
    "ddns-conflict-resolution-mode": "ddns_conflict_resolution_mode",  # ddns-use-conflict-resolution maps here
    "ddns-ttl-percent": "ddns_ttl_percent",
    "ddns-ttl": "ddns_ttl",
    "ddns-ttl-min": "ddns_ttl_min",
    "ddns-ttl-max": "ddns_ttl_max",
    "hostname-char-set": "hostname_char_set",
    "hostname-char-replacement": "hostname_char_replacement",
}
# Kea's old reservation-mode values, as the three flags that replaced it (global, in-subnet, out-of-pool).
RESERVATION_MODES = {
    "disabled": (False, False, False),
    "out-of-pool": (False, True, True),
    "global": (True, False, False),
    "all": (False, True, False),
}
# Resolved values Kea's config-get shows in every shared network and subnet.
SHOWN_RESOLVED = (
    "valid-lifetime",
    "min-valid-lifetime",
    "max-valid-lifetime",
    "calculate-tee-times",
    "t1-percent",
    "t2-percent",
    "store-extended-info",
)
# Control sockets: keys that only http(s) sockets take; the Linux limit on a unix socket path
# (sun_path is 108 bytes with its terminating NUL); the largest password or user file read.
HTTP_ONLY_KEYS = (
    "socket-address",
    "socket-port",
    "authentication",
    "trust-anchor",
    "cert-file",
    "key-file",
    "cert-required",
    "http-headers",
)
UNIX_PATH_MAX = 107
SECRET_FILE_MAX = 4096
TIMER_KEYS = ("valid-lifetime", "min-valid-lifetime", "max-valid-lifetime", "renew-timer", "rebind-timer")


# ----------------------------------------------------------------------------------------- entry points


def _not_ascii_name(text: str) -> str:
    """The message for a DNS name (or part of one) with characters beyond ASCII: names go on the wire one
    byte per character (option 12/81, DNS updates), so an internationalized name is written in its IDNA
    form. (Kea 2.2 would send the UTF-8 bytes as they are; no resolver reads them as the name meant.)"""
    bad = next(ch for ch in text if not ch.isascii())
    shown = repr(bad)[1:-1] if bad.isprintable() else f"U+{ord(bad):04X}"
    return (
        f'"{text[:40]}" is not usable in a DNS name: "{shown}" is not ASCII (write an internationalized '
        "name in its IDNA form, xn--...)"
    )


def load_file(path: str, *, interfaces_present: Collection[str] | None = None) -> Config:
    """Load a configuration file (Kea dialect, includes allowed).

    `interfaces_present`, when given, is the set of interface names on this machine: interfaces the
    configuration names that are not among them become warnings (never errors: a configuration may be
    checked on another machine than the one it is for)."""
    return load_text(read_config_text(path), source=path, interfaces_present=interfaces_present)


def load_text(
    text: str, source: str = "<string>", *, interfaces_present: Collection[str] | None = None
) -> Config:
    """Load a configuration from text; `source` names it in messages (and resolves relative includes)."""
    parsed = parse_text(text, source)
    issues = IssueLog(source, parsed.positions)
    issues.errors.extend(parsed.errors)
    issues.warnings.extend(parsed.warnings)
    return _logged(_Builder(parsed.value, issues, source, interfaces_present).build())


def load_data(
    obj: Any, source: str = "<data>", *, interfaces_present: Collection[str] | None = None
) -> Config:
    """Load a configuration that is already a Python value (config-set). No positions exist, so every
    issue names `source` and the key path."""
    issues = IssueLog(source)
    problem = _not_json(obj)
    if problem is not None:
        path, message = problem
        issues.error(path, message)
        issues.raise_if_errors()
    return _logged(_Builder(obj, issues, source, interfaces_present).build())


def parse_host_documents(docs: list[dict[str, Any]], config: Config, source: str) -> tuple[Reservation, ...]:
    """Host reservations from a hosts database: each document is a `reservations` entry (Kea syntax) plus
    "subnet-id" (absent or 0: global) and "doc-id" (its id in the database, for messages). Checked exactly
    like reservations in `config`; raises ConfigError listing every problem, with paths like hosts[3]."""
    issues = IssueLog(source)
    builder = _Builder(None, issues, source, None)
    for d in config.option_defs:
        try:
            builder.registry.add(
                options4.make_def(d.code, d.name, d.space, d.type, d.array, d.record_types, d.encapsulate)
            )
        except ValueError:
            continue  # the configuration was accepted with it; a standard option of the same name wins
    builder.class_names = {c.name for c in config.client_classes}
    builder.ip_unique = config.ip_reservations_unique
    scopes: dict[int, list[tuple[KeyPath, dict[str, Any]]]] = {}
    for doc in docs:
        doc = dict(doc)
        doc_id = doc.pop("doc-id", len(scopes))
        path: KeyPath = ("hosts", int(doc_id) if str(doc_id).isdigit() else str(doc_id))
        sid = doc.pop("subnet-id", 0)
        if not isinstance(sid, int) or isinstance(sid, bool) or sid < 0:
            issues.error(path + ("subnet-id",), f"expected a subnet id (an integer), got {schema.show(sid)}")
            continue
        if sid and config.subnet_by_id(sid) is None:
            issues.error(path + ("subnet-id",), f"subnet {sid} is not in the configuration")
            continue
        clean = schema.validate_kind(doc, schema.RESERVATION, path, issues)
        if clean is not None:
            scopes.setdefault(sid, []).append((path, clean))
    out: list[Reservation] = []
    for sid, entries in scopes.items():
        out.extend(builder.reservation_list(entries, config.subnet_by_id(sid) if sid else None))
    issues.raise_if_errors()
    return tuple(out)


def _logged(config: Config) -> Config:
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


def _not_json(obj: Any) -> tuple[KeyPath, str] | None:
    """A value that json.dumps would not write, or that nests too deep: where and why (iteratively)."""
    stack: list[tuple[KeyPath, Any]] = [((), obj)]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_DEPTH:
            return path[:MAX_DEPTH], f"objects and lists nested more than {MAX_DEPTH} deep"
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    return path, f"object keys must be strings, got {type(key).__name__}"
                if not _is_text(key):
                    return path, "object keys must be text: one has a lone surrogate (\\ud800-\\udfff)"
                stack.append((path + (key,), item))
        elif isinstance(value, list):
            stack.extend((path + (i,), item) for i, item in enumerate(value))
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                return path, "numbers must be finite"
        elif isinstance(value, str):
            if not _is_text(value):
                return path, "strings must be text: this one has a lone surrogate (\\ud800-\\udfff)"
        elif not (value is None or isinstance(value, (int, bool))):
            return path, f"not a JSON value: {type(value).__name__}"
    return None


def _is_text(value: str) -> bool:
    """False for a string holding a lone surrogate (from a JSON \\ud800 escape): no file or log can take it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# ----------------------------------------------------------------------------------------- small parsers


def _ipv4(text: str) -> int | None:
    """Dotted-quad IPv4 text -> int, or None. Strict: four decimal octets, no leading zeros."""
    try:
        return int(ipaddress.IPv4Address(text.strip()))
    except ValueError:
        return None


def _parse_identifier(kind: str, text: str) -> bytes:
    """A reservation identifier as Kea writes it: hex octets separated by ':' (or '-' or blanks), plain
    hex, or (except for hw-address) a 'quoted string'. Raises ValueError with the reason."""
    text = text.strip()
    if kind != "hw-address" and len(text) >= 2 and text[0] == text[-1] == "'":
        data = text[1:-1].encode("utf-8")
    elif _SEPARATOR_RE.search(text):
        groups = _SEPARATOR_RE.split(text)
        if not all(_OCTET_RE.fullmatch(g) for g in groups):
            raise ValueError(f'"{text}" is not hex octets separated by ":"')
        data = bytes(int(g, 16) for g in groups)
    else:
        digits = text[2:] if text[:2] in ("0x", "0X") else text
        if not _HEX_RE.fullmatch(digits):
            hint = "" if kind == "hw-address" else " or a 'quoted string'"
            raise ValueError(f'"{text}" is not hex (like 01:02:03 or 010203){hint}')
        data = bytes.fromhex(digits)
    if not data:
        raise ValueError("is empty")
    if len(data) > IDENTIFIER_MAX[kind]:
        raise ValueError(f"is {len(data)} bytes long; at most {IDENTIFIER_MAX[kind]} are allowed")
    return data


def _parse_pool(text: str) -> tuple[int, int]:
    """'a - b' or 'a/len' -> (first, last). Raises ValueError with the reason."""
    if "/" in text:
        try:
            net = ipaddress.IPv4Network(text.strip(), strict=False)
        except ValueError:
            raise ValueError(f'"{text}" is not an address range ("a - b") or prefix ("a/len")') from None
        return int(net.network_address), int(net.broadcast_address)
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f'"{text}" is not an address range ("a - b") or prefix ("a/len")')
    first, last = _ipv4(parts[0]), _ipv4(parts[1])
    if first is None or last is None:
        bad = parts[0] if first is None else parts[1]
        raise ValueError(f'"{bad.strip()}" is not an IPv4 address')
    if first > last:
        raise ValueError(f'the range "{text}" ends before it starts')
    return first, last


@dataclass(frozen=True)
class _Scope:
    """One level of scope parameters as given (after reservation-mode mapping), and where."""

    values: dict[str, Any]
    path: KeyPath


# ----------------------------------------------------------------------------------------- the builder


class _Builder:
    def __init__(
        self, doc: Any, issues: IssueLog, source: str, interfaces_present: Collection[str] | None
    ) -> None:
        self.doc = doc
        self.issues = issues
        self.source = source
        self.interfaces_present = interfaces_present
        # option spaces per registry; the registry is kept in the value so its id cannot be reused
        self.space_cache: dict[int, tuple[optiondef.OptionRegistry, list[str]]] = {}
        self.registry = options4.STANDARD.copy()
        self.class_names: set[str] = set()
        self.hooks_configured = False
        self.ip_unique = True

    # -- helpers

    def error(self, path: KeyPath, message: str, *, at_key: bool = False, inside: int = 0) -> None:
        self.issues.error(path, message, at_key=at_key, inside=inside)

    def warning(self, path: KeyPath, message: str, *, at_key: bool = False) -> None:
        self.issues.warning(path, message, at_key=at_key)

    @staticmethod
    def items(obj: dict[str, Any], key: str, path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
        """(path, item) for each well-formed item of a cleaned list (bad items are None: skipped)."""
        for i, item in enumerate(obj.get(key) or ()):
            if item is not None:
                yield path + (key, i), item

    def address(self, obj: dict[str, Any], key: str, path: KeyPath) -> int | None:
        text = obj.get(key)
        if text is None:
            return None
        value = _ipv4(text)
        if value is None:
            self.error(path + (key,), f'"{text}" is not an IPv4 address')
        return value

    def field_text(self, obj: dict[str, Any], key: str, path: KeyPath, limit: int) -> str | None:
        text = obj.get(key)
        if text is not None and len(text.encode("utf-8")) > limit:
            self.error(path + (key,), f"is {len(text.encode('utf-8'))} bytes long; at most {limit} fit")
        return text

    # -- the whole document

    def build(self) -> Config:
        dhcp4 = self.top_level()
        if dhcp4 is not None:
            clean = schema.validate(dhcp4, self.issues)
            if clean is not None:
                config = self.dhcp4(clean)
                self.issues.raise_if_errors()
                return config
        self.issues.raise_if_errors()
        raise ConfigError([self.issues.issue((), "no usable Dhcp4 section")])  # pragma: no cover

    def top_level(self) -> Any:
        doc = self.doc
        if not isinstance(doc, dict):
            self.error((), f'expected an object like {{"Dhcp4": {{...}}}}, got {schema.show(doc)}')
            return None
        for key in doc:
            if key == "Dhcp4":
                continue
            if key == "Logging":
                self.error(
                    (key,),
                    'the top-level "Logging" section is obsolete (Kea < 1.7); move its "loggers" list '
                    'into "Dhcp4" as "Dhcp4.loggers"',
                    at_key=True,
                )
            elif key in OTHER_DAEMONS:
                self.error(
                    (key,),
                    f'"{key}" belongs to another Kea daemon; keep each daemon\'s section in its own file '
                    '(this file should hold only "Dhcp4")',
                    at_key=True,
                )
            else:
                hint = ' (did you mean "Dhcp4"?)' if key.lower().startswith("dhcp4") else ""
                self.error((key,), f'unknown top-level key "{key}"{hint}', at_key=True)
        if "Dhcp4" not in doc:
            others = [k for k in doc if k in OTHER_DAEMONS]
            also = f" (this file configures {', '.join(others)})" if others else ""
            self.error((), f'no "Dhcp4" section: an edge-dhcp configuration is {{"Dhcp4": {{...}}}}{also}')
            return None
        return doc["Dhcp4"]

    def dhcp4(self, g: dict[str, Any]) -> Config:
        root: KeyPath = ("Dhcp4",)
        self.hooks_configured = bool([h for h in g.get("hooks-libraries", ()) if h is not None])
        self.ip_unique = g.get("ip-reservations-unique", True)

        interfaces = self.interfaces(g.get("interfaces-config", {}), root + ("interfaces-config",))
        lease_db = self.lease_database(g.get("lease-database", {}), root + ("lease-database",))
        hosts_dbs = self.hosts_databases(g, root)
        flex_id = self.flex_id(g, root)
        option_defs = self.option_defs(g, root, self.registry)
        classes = self.client_classes(g, root)
        global_scope = self.scope(g, root)
        global_params = self.resolve([global_scope])
        self.check_timers([global_scope], always=True)
        global_options = self.option_data(g, root, self.registry)
        global_reservations = self.reservations(g, root, subnet=None)
        identifiers = self.host_identifiers(g, root)

        networks, subnets, subnet_paths = self.networks_and_subnets(g, global_scope)
        self.check_overlaps(subnets, subnet_paths)
        control = self.control_sockets(g, root)
        loggers = self.loggers(g, root)
        expired = ExpiredLeasesProcessing(
            **{
                name.replace("-", "_"): value
                for name, value in schema.fill_defaults(
                    g.get("expired-leases-processing", {}), schema.EXPIRED
                ).items()
                if name not in ("comment", "user-context")
            }
        )
        ddns = build_ddns_settings(g.get("dhcp-ddns"), root + ("dhcp-ddns",), self.issues, self.source)
        self.issues.raise_if_errors()
        raw = self.raw_document(g, subnets)
        ifaces_raw = raw["interfaces-config"]
        return Config(
            interfaces=interfaces,
            dhcp_socket_type=ifaces_raw["dhcp-socket-type"],
            re_detect=ifaces_raw["re-detect"],
            service_sockets_require_all=ifaces_raw.get("service-sockets-require-all", False),
            service_sockets_max_retries=ifaces_raw.get("service-sockets-max-retries", 0),
            service_sockets_retry_wait_time=ifaces_raw.get("service-sockets-retry-wait-time", 5000),
            lease_database=lease_db,
            params=global_params,
            option_data=global_options,
            option_defs=option_defs,
            subnets=tuple(sorted(subnets, key=lambda s: s.id)),
            shared_networks=networks,
            client_classes=classes,
            reservations=global_reservations,
            host_reservation_identifiers=identifiers,
            decline_probation_period=raw["decline-probation-period"],
            echo_client_id=raw["echo-client-id"],
            expired_leases_processing=expired,
            control_sockets=control,
            loggers=loggers,
            raw={"Dhcp4": raw},
            source=self.source,
            warnings=tuple(str(w) for w in self.issues.sorted(self.issues.warnings)),
            ip_reservations_unique=self.ip_unique,
            early_global_reservations_lookup=g.get("early-global-reservations-lookup", False),
            reservations_lookup_first=g.get("reservations-lookup-first", False),
            hosts_databases=hosts_dbs,
            ddns=ddns,
            flex_id_expression=flex_id,
        )

    # -- interfaces, lease database

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
            self.error(path, f'"{text}" is not an interface: {problem} (use "eth0", "eth0/192.0.2.1" or "*")')
            return None
        self.check_present(name, path)
        if not sep:
            return InterfaceSpec(name)
        address = _ipv4(addr)
        if address is None:
            self.error(path, f'"{addr}" in "{text}" is not an IPv4 address')
            return None
        return InterfaceSpec(name, address)

    @staticmethod
    def interface_name_problem(name: str) -> str | None:
        if not name:
            return "the name is empty"
        if name == "*":
            return '"*" takes no address'
        if len(name) > IFNAME_MAX:
            return f"Linux interface names are at most {IFNAME_MAX} characters"
        if any(ch.isspace() or ch == "/" or not ch.isprintable() for ch in name):
            return "the name has a blank or an unprintable character"
        return None

    def lease_database(self, cfg: dict[str, Any], path: KeyPath) -> LeaseDatabase:
        kind = cfg.get("type", "memfile")
        if kind != "memfile":
            self.error(path + ("type",), f'only "memfile" is supported yet (got "{kind}")')
            # the database keys' own "not acted on" warnings would only repeat this error
            inside = format_path(path) + "."
            self.issues.warnings = [w for w in self.issues.warnings if not w.path.startswith(inside)]
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
            if kind != "tinydb":
                self.error(
                    path + ("type",),
                    f'only "tinydb" host databases are supported (got "{kind}"); keep the reservations in '
                    'the configuration or in a TinyDB file: {"type": "tinydb", "name": "/path/hosts.json"}',
                )
                inside = format_path(path) + "."
                self.issues.warnings = [w for w in self.issues.warnings if not w.path.startswith(inside)]
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

    def flex_id(self, g: dict[str, Any], root: KeyPath) -> Any:
        """Kea's flex_id hook library: its `identifier-expression` is a string expression whose value is
        the client's flex-id. Compiled here (an error points into the expression); None without the hook."""
        for path, hook in self.items(g, "hooks-libraries", root):
            library = str(hook.get("library", ""))
            parameters = hook.get("parameters")
            if "flex_id" not in library.rsplit("/", 1)[-1] or not isinstance(parameters, dict):
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
                return compile_string(text, self.registry)
            except ExpressionError as err:
                self.error(
                    where, f"bad expression: {err.message} (at character {err.offset + 1})", inside=err.offset
                )
                return None
        return None

    # -- option definitions and option data

    def option_defs(
        self, cfg: dict[str, Any], path: KeyPath, registry: optiondef.OptionRegistry
    ) -> tuple[OptionDef, ...]:
        defs: list[OptionDef] = []
        for item_path, d in self.items(cfg, "option-def", path):
            try:
                defn = options4.make_def(
                    d["code"],
                    d["name"],
                    d.get("space", "dhcp4"),
                    d["type"],
                    d.get("array", False),
                    d.get("record-types", ""),
                    d.get("encapsulate", ""),
                )
                registry.add(defn)
            except ValueError as err:
                self.error(item_path, str(err))
                continue
            defs.append(
                OptionDef(
                    code=defn.code,
                    name=defn.name,
                    space=defn.space,
                    type=defn.type,
                    array=defn.array,
                    record_types=tuple(defn.record_types),
                    encapsulate=defn.encapsulate,
                )
            )
        return tuple(defs)

    def option_data(
        self, cfg: dict[str, Any], path: KeyPath, registry: optiondef.OptionRegistry
    ) -> tuple[OptionData, ...]:
        out: list[OptionData] = []
        for item_path, opt in self.items(cfg, "option-data", path):
            encoded = self.one_option(opt, item_path, registry)
            if encoded is not None:
                out.append(encoded)
        return tuple(out)

    def one_option(
        self, opt: dict[str, Any], path: KeyPath, registry: optiondef.OptionRegistry
    ) -> OptionData | None:
        space = opt.get("space", "dhcp4")
        name, code = opt.get("name"), opt.get("code")
        csv = opt.get("csv-format", True)
        if name is None and code is None:
            self.error(path, 'an option needs "name" or "code"')
            return None
        if id(registry) not in self.space_cache:
            self.space_cache[id(registry)] = (registry, registry.spaces())
        if space not in self.space_cache[id(registry)][1] and not _implicit_space(space, registry):
            self.error(path + ("space",) if "space" in opt else path, f'unknown option space "{space}"')
            return None
        if space == "dhcp4" and code in (0, 255):
            self.error(path + ("code",), f"option code {code} is reserved ({'pad' if code == 0 else 'end'})")
            return None
        defn = None
        if name is not None:
            defn = registry.by_name(name, space)
            if defn is None:
                known = [d.name for d in registry.defs(space)]
                close = _close(name, known)
                self.error(path + ("name",), f'unknown option "{name}" in space "{space}"{close}')
                return None
            if code is not None and code != defn.code:
                self.error(path + ("code",), f'option "{name}" has code {defn.code}, not {code}')
                return None
        elif code is not None:
            defn = registry.by_code(code, space)
        data = opt.get("data", "")
        if defn is None:
            if csv:
                self.error(
                    path + ("code",),
                    f'no definition for option {code} in space "{space}": add an option-def, '
                    'or give the data as hex with "csv-format": false',
                )
                return None
            try:
                payload = optiondef.hex_to_bytes(data)
            except OptionTextError as err:
                self.error(path + ("data",), err.message)
                return None
            return self.option_value(opt, code or 0, "", space, payload)
        try:
            payload = optiondef.text_to_wire(defn, data, csv)
        except OptionTextError as err:
            self.error(path + ("data",) if "data" in opt else path, err.message)
            return None
        return self.option_value(opt, defn.code, defn.name, space, payload)

    @staticmethod
    def option_value(opt: dict[str, Any], code: int, name: str, space: str, payload: bytes) -> OptionData:
        return OptionData(
            code=code,
            name=name,
            space=space,
            data=payload,
            always_send=opt.get("always-send", False),
            never_send=opt.get("never-send", False),
            csv_format=opt.get("csv-format", True),
        )

    # -- client classes

    def client_classes(self, g: dict[str, Any], root: KeyPath) -> tuple[ClientClass, ...]:
        seen: dict[str, KeyPath] = {}
        for item_path, c in self.items(g, "client-classes", root):
            name = c["name"]
            if not name.strip():
                self.error(item_path + ("name",), "a class name cannot be empty")
            elif name in seen:
                self.error(
                    item_path + ("name",), f'class "{name}" is already defined at {format_path(seen[name])}'
                )
            else:
                seen[name] = item_path
        self.class_names = set(seen)
        classes: list[ClientClass] = []
        defined: dict[str, bool] = {}  # classes defined so far -> does the test depend on KNOWN/UNKNOWN
        for item_path, c in self.items(g, "client-classes", root):
            test = c.get("test")
            expression = None
            if test is not None and not test.strip():
                self.error(item_path + ("test",), 'the test expression is empty; leave "test" out instead')
            elif test is not None:
                registry = self.registry.copy() if c.get("option-def") else self.registry
                try:
                    expression = compile_test(test, registry, defined)
                except ExpressionError as err:
                    self.error(
                        item_path + ("test",),
                        f"bad expression: {err.message} (at character {err.offset + 1} of the test)",
                        inside=err.offset,
                    )
            defined[c["name"]] = expression.depends_on_known if expression is not None else False
            if "only-if-required" in c and "only-in-additional-list" in c:
                self.error(
                    item_path, 'give "only-if-required" (Kea 2.2) or "only-in-additional-list", not both'
                )
            registry = self.registry
            if c.get("option-def"):
                registry = self.registry.copy()
                self.option_defs(c, item_path, registry)
            lifetimes = {k: c.get(k) for k in ("min-valid-lifetime", "valid-lifetime", "max-valid-lifetime")}
            self.check_lifetime_order(lifetimes, item_path)
            classes.append(
                ClientClass(
                    name=c["name"],
                    test=test or "",
                    only_if_required=c.get("only-if-required", c.get("only-in-additional-list", False)),
                    option_data=self.option_data(c, item_path, registry),
                    next_server=self.address(c, "next-server", item_path) or None,
                    server_hostname=self.field_text(c, "server-hostname", item_path, SNAME_MAX) or None,
                    boot_file_name=self.field_text(c, "boot-file-name", item_path, FILE_MAX) or None,
                    valid_lifetime=lifetimes["valid-lifetime"],
                    min_valid_lifetime=lifetimes["min-valid-lifetime"],
                    max_valid_lifetime=lifetimes["max-valid-lifetime"],
                    expression=expression,
                )
            )
        return tuple(classes)

    def check_lifetime_order(self, lifetimes: dict[str, int | None], path: KeyPath) -> None:
        order = [(k, v) for k, v in lifetimes.items() if v is not None]
        for (lo_key, lo), (hi_key, hi) in zip(order, order[1:], strict=False):
            if lo > hi:
                self.error(path + (hi_key,), f"{lo_key} ({lo}) is greater than {hi_key} ({hi})")

    def class_refs(self, names: list[str | None], path: KeyPath, key: str) -> tuple[str, ...]:
        out: list[str] = []
        for i, name in enumerate(names):
            if name is None:
                continue
            item = path + (key, i) if key != "client-class" else path + (key,)
            if not name:
                if key != "client-class":
                    self.error(item, "a class name cannot be empty")
                continue
            if not (
                name in self.class_names or name in BUILTIN_CLASSES or name.startswith(BUILTIN_CLASS_PREFIXES)
            ):
                close = _close(name, sorted(self.class_names))
                if self.hooks_configured:
                    self.warning(
                        item, f'class "{name}" is not defined here (a hook library may set it){close}'
                    )
                else:
                    self.error(item, f'class "{name}" is not defined in Dhcp4.client-classes{close}')
            out.append(name)
        return tuple(out)

    def guards(self, obj: dict[str, Any], path: KeyPath) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(client classes guarding the scope, classes to evaluate additionally) in either spelling."""
        if "client-class" in obj and "client-classes" in obj:
            self.error(path, 'give "client-class" (Kea 2.2) or "client-classes", not both')
        if "require-client-classes" in obj and "evaluate-additional-classes" in obj:
            self.error(
                path, 'give "require-client-classes" (Kea 2.2) or "evaluate-additional-classes", not both'
            )
        if "client-class" in obj:
            guard = self.class_refs([obj["client-class"]], path, "client-class")
        else:
            guard = self.class_refs(obj.get("client-classes", []), path, "client-classes")
        key = (
            "evaluate-additional-classes"
            if "evaluate-additional-classes" in obj
            else "require-client-classes"
        )
        required = self.class_refs(obj.get(key, []), path, key)
        return guard, required

    # -- scopes and timers

    def scope(self, obj: dict[str, Any], path: KeyPath) -> _Scope:
        values = {k: obj[k] for k in SCOPE_FIELDS if k in obj}
        for k in ("store-extended-info",):
            if k in obj:
                values[k] = obj[k]
        if "next-server" in values:
            address = self.address(obj, "next-server", path)
            values["next-server"] = address if address is not None else 0
        for key, limit in (("server-hostname", SNAME_MAX), ("boot-file-name", FILE_MAX)):
            self.field_text(obj, key, path, limit)
        mode = obj.get("reservation-mode")
        if mode is not None:
            flags = ("reservations-global", "reservations-in-subnet", "reservations-out-of-pool")
            both = [k for k in flags if k in obj]
            if both:
                self.error(path + ("reservation-mode",), f'give "reservation-mode" or "{both[0]}", not both')
            else:
                values.update(zip(flags, RESERVATION_MODES[mode], strict=True))
                self.warning(
                    path + ("reservation-mode",),
                    "reservation-mode is Kea's old spelling; taken as "
                    + ", ".join(
                        f"{k}: {str(v).lower()}" for k, v in zip(flags, RESERVATION_MODES[mode], strict=True)
                    ),
                    at_key=True,
                )
        for key in ("t1-percent", "t2-percent"):
            value = values.get(key)
            if value is not None and not 0 < value < 1:
                self.error(path + (key,), f"{key} must be greater than 0 and less than 1, got {value}")
        self.ddns_scope(obj, path, values)
        return _Scope(values, path)

    def ddns_scope(self, obj: dict[str, Any], path: KeyPath, values: dict[str, Any]) -> None:
        """DDNS scope keys: Kea's old boolean becomes the conflict-resolution mode; the hostname character
        set must be a regular expression (Kea takes POSIX extended syntax; Python's covers its common use)."""
        if "ddns-use-conflict-resolution" in obj:
            if "ddns-conflict-resolution-mode" in obj:
                self.error(
                    path + ("ddns-use-conflict-resolution",),
                    'give "ddns-conflict-resolution-mode" or "ddns-use-conflict-resolution", not both',
                )
            else:
                use = obj["ddns-use-conflict-resolution"]
                values["ddns-conflict-resolution-mode"] = "check-with-dhcid" if use else "no-check-with-dhcid"
        pattern = obj.get("hostname-char-set")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.error(
                    path + ("hostname-char-set",), f'"{pattern}" is not a usable regular expression: {exc}'
                )
        for key in ("ddns-generated-prefix", "ddns-qualifying-suffix", "hostname-char-replacement"):
            text = obj.get(key)
            if text and not text.isascii():
                self.error(path + (key,), _not_ascii_name(text))
            elif key != "hostname-char-replacement" and text and (
                len(text) > 253 or any(not part or len(part) > 63 for part in text.strip(".").split("."))
            ):
                self.error(path + (key,), f'"{text}" is not a valid domain name part')

    @staticmethod
    def lookup(chain: list[_Scope], key: str) -> tuple[Any, KeyPath | None]:
        """The innermost given value of `key` in a chain ordered outermost first, and where it was given."""
        for scope in reversed(chain):
            if key in scope.values:
                return scope.values[key], scope.path + (key,)
        row = schema.lookup(schema.DHCP4, key)
        default = None if row is None or row.default is schema.NO_DEFAULT else row.default
        if key == "next-server":
            default = 0
        return default, None

    def resolve(self, chain: list[_Scope]) -> ScopeParams:
        values = {f: self.lookup(chain, k)[0] for k, f in SCOPE_FIELDS.items()}
        if values["min_valid_lifetime"] is None:
            values["min_valid_lifetime"] = values["valid_lifetime"]
        if values["max_valid_lifetime"] is None:
            values["max_valid_lifetime"] = values["valid_lifetime"]
        if values["ddns_conflict_resolution_mode"] is None:
            values["ddns_conflict_resolution_mode"] = "check-with-dhcid"
        return ScopeParams(**values)

    def check_timers(self, chain: list[_Scope], *, always: bool = False) -> None:
        """Timer consistency for the innermost scope of `chain`, reported where the inconsistency first
        appears: only if that scope gives one of the keys itself (or `always`, for the global scope)."""
        here = chain[-1]
        if not always and not any(k in here.values for k in (*TIMER_KEYS, "calculate-tee-times")):
            return
        v = {
            k: self.lookup(chain, k)[0]
            for k in (*TIMER_KEYS, "t1-percent", "t2-percent", "calculate-tee-times")
        }
        valid = v["valid-lifetime"]
        low = v["min-valid-lifetime"] if v["min-valid-lifetime"] is not None else valid
        high = v["max-valid-lifetime"] if v["max-valid-lifetime"] is not None else valid

        def where(*keys: str) -> KeyPath:
            for key in keys:
                if key in here.values:
                    return here.path + (key,)
            return here.path

        pairs = [
            ("min-valid-lifetime", low, "valid-lifetime", valid),
            ("valid-lifetime", valid, "max-valid-lifetime", high),
            ("renew-timer", v["renew-timer"], "rebind-timer", v["rebind-timer"]),
            ("rebind-timer", v["rebind-timer"], "valid-lifetime", valid),
        ]
        if v["rebind-timer"] is None:
            pairs.append(("renew-timer", v["renew-timer"], "valid-lifetime", valid))
        for lo_key, lo, hi_key, hi in pairs:
            if lo is not None and hi is not None and lo > hi:
                self.error(where(lo_key, hi_key), f"{lo_key} ({lo}) is greater than {hi_key} ({hi})")
        if v["calculate-tee-times"] and v["t1-percent"] >= v["t2-percent"]:
            self.error(
                where("t1-percent", "t2-percent"),
                f"t1-percent ({v['t1-percent']}) must be less than t2-percent ({v['t2-percent']})",
            )

    # -- reservations

    def host_identifiers(self, g: dict[str, Any], root: KeyPath) -> tuple[str, ...]:
        out: list[str] = []
        for i, name in enumerate(
            g.get("host-reservation-identifiers", ["hw-address", "duid", "circuit-id", "client-id"])
        ):
            if name is None:
                continue
            if name in out:
                self.error(root + ("host-reservation-identifiers", i), f'"{name}" is listed twice')
                continue
            out.append(name)
        return tuple(out)

    def reservations(
        self, cfg: dict[str, Any], path: KeyPath, subnet: Subnet | None
    ) -> tuple[Reservation, ...]:
        return self.reservation_list(self.items(cfg, "reservations", path), subnet)

    def reservation_list(
        self, entries: Iterable[tuple[KeyPath, dict[str, Any]]], subnet: Subnet | None
    ) -> tuple[Reservation, ...]:
        """Reservations of one scope (`subnet`, or None for the global scope), checked for duplicates."""
        out: list[Reservation] = []
        by_id: dict[tuple[str, bytes], KeyPath] = {}
        by_ip: dict[int, KeyPath] = {}
        for item_path, r in entries:
            kinds = [k for k in IDENTIFIER_MAX if k in r]
            if not kinds:
                self.error(item_path, "a reservation needs one identifier: " + ", ".join(IDENTIFIER_MAX))
                continue
            if len(kinds) > 1:
                self.error(
                    item_path, f'give one identifier per reservation, not both "{kinds[0]}" and "{kinds[1]}"'
                )
                continue
            kind = kinds[0]
            try:
                ident = _parse_identifier(kind, r[kind])
            except ValueError as err:
                self.error(item_path + (kind,), f"{kind} {err}")
                continue
            if (kind, ident) in by_id:
                self.error(
                    item_path + (kind,),
                    f"another reservation in this scope has the same {kind} ({format_path(by_id[(kind, ident)])})",
                )
            by_id.setdefault((kind, ident), item_path)
            address = self.address(r, "ip-address", item_path)
            if address is not None:
                if subnet is not None and address not in subnet:
                    self.error(
                        item_path + ("ip-address",),
                        f"{r['ip-address']} is outside the subnet {subnet.text}",
                    )
                elif address in by_ip and self.ip_unique:
                    self.error(
                        item_path + ("ip-address",),
                        f"{r['ip-address']} is already reserved by {format_path(by_ip[address])} "
                        '(set "ip-reservations-unique": false to allow this)',
                    )
                by_ip.setdefault(address, item_path)
            hostname = r.get("hostname", "")
            if hostname and not hostname.isascii():
                self.error(item_path + ("hostname",), _not_ascii_name(hostname))
            elif hostname and (
                len(hostname) > 255 or any(ch.isspace() or not ch.isprintable() for ch in hostname)
            ):
                self.error(item_path + ("hostname",), f'"{hostname[:40]}" is not a valid host name')
            out.append(
                Reservation(
                    **{kind.replace("-", "_"): ident},
                    ip_address=address,
                    hostname=hostname or None,
                    client_classes=self.class_refs(r.get("client-classes", []), item_path, "client-classes"),
                    option_data=self.option_data(r, item_path, self.registry),
                    next_server=self.address(r, "next-server", item_path) or None,
                    server_hostname=self.field_text(r, "server-hostname", item_path, SNAME_MAX) or None,
                    boot_file_name=self.field_text(r, "boot-file-name", item_path, FILE_MAX) or None,
                    subnet_id=subnet.id if subnet is not None else 0,
                )
            )
        return tuple(out)

    # -- shared networks and subnets

    def relay(self, obj: dict[str, Any], path: KeyPath) -> tuple[int, ...]:
        relay = obj.get("relay")
        if relay is None:
            return ()
        rpath = path + ("relay",)
        if "ip-address" in relay and "ip-addresses" in relay:
            self.error(rpath, 'give "ip-address" or "ip-addresses", not both')
            return ()
        if "ip-address" in relay:
            texts: list[tuple[KeyPath, str]] = [(rpath + ("ip-address",), relay["ip-address"])]
        else:
            texts = [
                (rpath + ("ip-addresses", i), t) for i, t in enumerate(relay.get("ip-addresses", [])) if t
            ]
        out: list[int] = []
        for item_path, text in texts:
            value = _ipv4(text)
            if value is None:
                self.error(item_path, f'relay address "{text}" is not an IPv4 address')
            elif value in out:
                self.error(item_path, f"relay address {text} is listed twice")
            else:
                out.append(value)
        return tuple(out)

    def interface_name(self, obj: dict[str, Any], path: KeyPath) -> str | None:
        name = obj.get("interface")
        if name is None:
            return None
        problem = self.interface_name_problem(name)
        if problem:
            self.error(path + ("interface",), f'"{name}" is not an interface name: {problem}')
            return None
        self.check_present(name, path + ("interface",))
        return name

    def check_present(self, name: str, path: KeyPath) -> None:
        if self.interfaces_present is not None and name not in self.interfaces_present:
            self.warning(
                path,
                f'interface "{name}" does not exist on this machine '
                "(fine if the configuration is meant for another one)",
            )

    def networks_and_subnets(
        self, g: dict[str, Any], global_scope: _Scope
    ) -> tuple[tuple[SharedNetwork, ...], list[Subnet], dict[int, KeyPath]]:
        root: KeyPath = ("Dhcp4",)
        # Kea 2.2 numbers subnets without an id in the order it reads them: shared networks first.
        entries: list[tuple[KeyPath, dict[str, Any], int | None]] = []
        networks_cfg: list[tuple[KeyPath, dict[str, Any]]] = list(self.items(g, "shared-networks", root))
        for n, (net_path, net) in enumerate(networks_cfg):
            entries.extend((p, s, n) for p, s in self.items(net, "subnet4", net_path))
        entries.extend((p, s, None) for p, s in self.items(g, "subnet4", root))

        explicit: dict[int, KeyPath] = {}
        for path, s, _ in entries:
            sid = s.get("id", 0)
            if sid:
                if sid in explicit:
                    self.error(
                        path + ("id",), f"subnet id {sid} is already used by {format_path(explicit[sid])}"
                    )
                else:
                    explicit[sid] = path
        next_auto = 1

        net_names: dict[str, KeyPath] = {}
        net_scopes: list[_Scope] = []
        net_info: list[tuple[str, str | None, tuple[int, ...], tuple[str, ...], tuple[OptionData, ...]]] = []
        net_guards: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        for net_path, net in networks_cfg:
            name = net["name"]
            if not name.strip():
                self.error(net_path + ("name",), "a shared network name cannot be empty")
            elif name in net_names:
                self.error(
                    net_path + ("name",),
                    f'shared network "{name}" is already defined at {format_path(net_names[name])}',
                )
            net_names.setdefault(name, net_path)
            scope = self.scope(net, net_path)
            self.check_timers([global_scope, scope])
            net_scopes.append(scope)
            guard, required = self.guards(net, net_path)
            net_guards.append((guard, required))
            net_info.append(
                (
                    name,
                    self.interface_name(net, net_path),
                    self.relay(net, net_path),
                    guard,
                    self.option_data(net, net_path, self.registry),
                )
            )

        subnets: list[Subnet] = []
        paths: dict[int, KeyPath] = {}
        members: dict[int, list[int]] = {}
        for path, s, n in entries:
            sid = s.get("id", 0)
            if not sid or explicit.get(sid) != path:
                if sid:
                    continue  # a duplicate id, reported above
                while next_auto in explicit or next_auto in paths:
                    next_auto += 1
                sid = next_auto
            subnet = self.subnet(s, path, sid, global_scope, n, net_scopes, net_info, net_guards)
            if subnet is not None:
                subnets.append(subnet)
                paths[sid] = path
                if n is not None:
                    members.setdefault(n, []).append(sid)
            else:
                paths[sid] = path

        networks = tuple(
            SharedNetwork(
                name=name,
                subnet_ids=tuple(members.get(n, ())),
                interface=interface,
                relay_addresses=relays,
                client_classes=guard,
                option_data=opts,
                require_client_classes=net_guards[n][1],
            )
            for n, (name, interface, relays, guard, opts) in enumerate(net_info)
        )
        return networks, subnets, paths

    def subnet(
        self,
        s: dict[str, Any],
        path: KeyPath,
        sid: int,
        global_scope: _Scope,
        n: int | None,
        net_scopes: list[_Scope],
        net_info: list[Any],
        net_guards: list[tuple[tuple[str, ...], tuple[str, ...]]],
    ) -> Subnet | None:
        text = s["subnet"]
        if "/" not in text:
            hint = f', like "{text.strip()}/24"' if _ipv4(text) is not None else ' like "192.0.2.0/24"'
            self.error(path + ("subnet",), f'"{text}" is not a prefix: a subnet needs a length{hint}')
            return None
        try:
            net = ipaddress.IPv4Network(text.strip(), strict=False)
        except ValueError:
            self.error(path + ("subnet",), f'"{text}" is not an IPv4 prefix like "192.0.2.0/24"')
            return None
        if str(net) != text.strip() and net.prefixlen < 32:
            given = ipaddress.IPv4Interface(text.strip())
            if given.ip != net.network_address:
                self.warning(path + ("subnet",), f'host bits are set in "{text}"; taken as {net}')
        chain = [global_scope] + ([net_scopes[n]] if n is not None else [])
        scope = self.scope(s, path)
        chain.append(scope)
        self.check_timers(chain)
        interface = self.interface_name(s, path)
        shared_name = None
        shared_options: tuple[OptionData, ...] = ()
        if n is not None:
            shared_name, net_interface, _, _, shared_options = net_info[n]
            if interface and net_interface and interface != net_interface:
                self.error(
                    path + ("interface",),
                    f'the subnet says interface "{interface}" but its shared network says "{net_interface}"',
                )
        guard, required = self.guards(s, path)
        base = Subnet(id=sid, network=int(net.network_address), prefix_len=net.prefixlen)
        pools = self.pools(s, path, base)
        reservations = self.reservations(s, path, base)
        return Subnet(
            id=sid,
            network=base.network,
            prefix_len=base.prefix_len,
            pools=pools,
            option_data=self.option_data(s, path, self.registry),
            shared_network_option_data=shared_options,
            reservations=reservations,
            relay_addresses=self.relay(s, path),
            interface=interface,
            shared_network=shared_name,
            client_classes=guard,
            require_client_classes=required,
            params=self.resolve(chain),
            path=format_path(path),
        )

    def pools(self, s: dict[str, Any], path: KeyPath, subnet: Subnet) -> tuple[Pool, ...]:
        pools: list[Pool] = []
        spans: list[tuple[int, int, KeyPath, str]] = []
        for item_path, p in self.items(s, "pools", path):
            text = p["pool"]
            try:
                first, last = _parse_pool(text)
            except ValueError as err:
                self.error(item_path + ("pool",), str(err))
                continue
            if first not in subnet or last not in subnet:
                self.error(item_path + ("pool",), f'the pool "{text}" is not inside the subnet {subnet.text}')
                continue
            spans.append((first, last, item_path, text))
            guard, required = self.guards(p, item_path)
            pools.append(
                Pool(
                    first=first,
                    last=last,
                    option_data=self.option_data(p, item_path, self.registry),
                    client_classes=guard,
                    require_client_classes=required,
                )
            )
        spans.sort(key=lambda span: (span[0], span[1]))
        for (_, last_a, path_a, text_a), (first_b, _, path_b, text_b) in zip(spans, spans[1:], strict=False):
            if first_b <= last_a:
                later, earlier, text = (
                    (path_b, path_a, text_b) if path_b > path_a else (path_a, path_b, text_a)
                )
                self.error(
                    later + ("pool",), f'the pool "{text}" overlaps the pool at {format_path(earlier)}'
                )
        return tuple(pools)

    def check_overlaps(self, subnets: list[Subnet], paths: dict[int, KeyPath]) -> None:
        ordered = sorted(subnets, key=lambda s: (s.network, s.prefix_len))
        widest: Subnet | None = None
        for s in ordered:
            if widest is not None and s.network <= widest.broadcast:
                a, b = paths[widest.id], paths[s.id]
                later, earlier = (b, a) if _doc_order(b) > _doc_order(a) else (a, b)
                other = widest if later == b else s
                what = (
                    "is the same subnet as"
                    if (s.network, s.prefix_len) == (widest.network, widest.prefix_len)
                    else "overlaps"
                )
                self.error(later + ("subnet",), f"{what} {other.text} at {format_path(earlier)}")
            if widest is None or s.broadcast > widest.broadcast:
                widest = s

    # -- control sockets and loggers

    def control_sockets(self, g: dict[str, Any], root: KeyPath) -> tuple[ControlSocket, ...]:
        if "control-socket" in g and "control-sockets" in g:
            self.error(
                root + ("control-sockets",),
                'give "control-socket" (Kea 2.2) or "control-sockets", not both',
                at_key=True,
            )
            return ()
        if "control-socket" in g:
            entries: list[tuple[KeyPath, dict[str, Any]]] = [
                (root + ("control-socket",), g["control-socket"])
            ]
        else:
            entries = list(self.items(g, "control-sockets", root))
        out: list[ControlSocket] = []
        seen: dict[Any, KeyPath] = {}
        for path, c in entries:
            kind = c["socket-type"]
            raw = schema.fill_defaults(c, schema.CONTROL)
            if kind == "unix":
                socket = self.unix_control_socket(c, path, raw)
                if socket is None:
                    continue
                key: Any = ("unix", os.path.abspath(socket.socket_name or ""))
            else:
                socket = self.http_control_socket(c, kind, path, raw)
                if socket is None:
                    continue
                key = ("http", socket.socket_address, socket.socket_port)
            if key in seen:
                self.error(path, f"the same control socket is configured at {format_path(seen[key])}")
                continue
            seen[key] = path
            out.append(socket)
        return tuple(out)

    def unix_control_socket(
        self, c: dict[str, Any], path: KeyPath, raw: dict[str, Any]
    ) -> ControlSocket | None:
        name = c.get("socket-name", "")
        if not name.strip():
            self.error(path, 'a unix control socket needs "socket-name" (the socket file path)')
            return None
        if len(os.fsencode(os.path.abspath(name))) > UNIX_PATH_MAX:
            self.error(
                path + ("socket-name",),
                f"is longer than the {UNIX_PATH_MAX} bytes a unix socket path may have",
            )
        for key in HTTP_ONLY_KEYS:
            if key in c:
                self.error(
                    path + (key,), f'"{key}" applies to http and https control sockets, not unix', at_key=True
                )
        group = c.get("socket-group")
        if group is not None and not group.strip():
            self.error(path + ("socket-group",), "must name a group (or leave the key out for mode 0600)")
        return ControlSocket("unix", socket_name=name, raw=raw, socket_group=group or None)

    def http_control_socket(
        self, c: dict[str, Any], kind: str, path: KeyPath, raw: dict[str, Any]
    ) -> ControlSocket | None:
        for key in ("socket-name", "socket-group"):
            if key in c:
                self.error(
                    path + (key,),
                    f'"{key}" applies to unix control sockets; an {kind} socket is given by '
                    '"socket-address" and "socket-port"',
                    at_key=True,
                )
        address = c.get("socket-address", "127.0.0.1")
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            self.error(path + ("socket-address",), f'"{address}" is not an IP address')
            return None
        port = c.get("socket-port", 8000)
        trust, cert, key_file = self.tls_files(c, kind, path)
        credentials, realm = self.authentication(c, path)
        headers = tuple((h["name"], h["value"]) for h in c.get("http-headers") or () if h is not None)
        for index, (name, value) in enumerate(headers):
            if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name) or any(ch in value for ch in "\r\n"):
                self.error(path + ("http-headers", index), "is not a valid HTTP header name and value")
        socket = ControlSocket(
            kind,
            socket_address=str(ip),
            socket_port=port,
            raw=raw,
            credentials=credentials,
            realm=realm,
            trust_anchor=trust,
            cert_file=cert,
            key_file=key_file,
            cert_required=c.get("cert-required", True),
            http_headers=headers,
        )
        if not ip.is_loopback and not socket.authenticated:
            self.error(
                path + ("socket-address",),
                f"an {kind} control socket on {address} answers the whole network, so it needs "
                '"authentication": add "authentication": {"type": "basic", "clients": [{"user": "admin", '
                '"password-file": "/etc/edge-dhcp/control.pw"}]} to it (or use "socket-type": "https" with '
                'a "trust-anchor" and "cert-required": true), or bind it to "127.0.0.1"',
            )
        return socket

    def tls_files(
        self, c: dict[str, Any], kind: str, path: KeyPath
    ) -> tuple[str | None, str | None, str | None]:
        given = {key: c.get(key) or None for key in ("cert-file", "key-file", "trust-anchor")}
        if kind == "http":
            for key, value in given.items():
                if value is not None:
                    self.error(path + (key,), f'"{key}" is for TLS: use "socket-type": "https"', at_key=True)
            return None, None, None
        needed = ["cert-file", "key-file"]
        if c.get("cert-required", True):
            needed.append("trust-anchor")
        for key in needed:
            if given[key] is None:
                why = (
                    ' (the CA that signs client certificates; or set "cert-required": false)'
                    if key == "trust-anchor"
                    else ""
                )
                self.error(path, f'an https control socket needs "{key}"{why}')
        for key, value in given.items():
            if value is not None and not os.access(value, os.R_OK):
                self.error(path + (key,), f'cannot read "{value}"')
        return given["trust-anchor"], given["cert-file"], given["key-file"]

    def authentication(self, c: dict[str, Any], path: KeyPath) -> tuple[tuple[str, ...], str]:
        """Kea's basic-auth clients as "user:password" secrets; files are read now, as Kea reads them,
        so a missing or unreadable file is a configuration error, not a locked-out operator later."""
        auth = c.get("authentication")
        if auth is None:
            return (), "edge-dhcp"
        auth_path = path + ("authentication",)
        directory = auth.get("directory", "")
        secrets: list[str] = []
        for item_path, client in self.items(auth, "clients", auth_path):
            for plain, from_file in (("user", "user-file"), ("password", "password-file")):
                if plain in client and from_file in client:
                    self.error(item_path, f'give "{plain}" or "{from_file}", not both')
            user = client.get("user")
            password = client.get("password")
            if "user-file" in client:
                user = self.secret_file(directory, client["user-file"], item_path + ("user-file",))
            if "password-file" in client:
                password = self.secret_file(
                    directory, client["password-file"], item_path + ("password-file",)
                )
                if (
                    password is not None
                    and user is None
                    and "user-file" not in client
                    and "user" not in client
                ):
                    # Kea: a password file without a user holds the whole "user:password" secret
                    user, sep, password = password.partition(":")
                    if not sep:
                        self.error(
                            item_path + ("password-file",), 'has no "user:password" in it (no user is given)'
                        )
                        continue
            if user is None:
                if "user-file" not in client and "user" not in client:
                    self.error(item_path, 'an authentication client needs "user" or "user-file"')
                continue
            if not user or ":" in user:
                self.error(item_path, "the user must not be empty and must not contain a colon")
                continue
            secrets.append(f"{user}:{password or ''}")
        return tuple(secrets), auth.get("realm", "edge-dhcp")

    def secret_file(self, directory: str, name: str, path: KeyPath) -> str | None:
        full = os.path.join(directory, name) if directory else name
        try:
            with open(full, "rb") as handle:
                data = handle.read(SECRET_FILE_MAX + 1)
            mode = os.stat(full).st_mode
        except OSError as exc:
            self.error(path, f'cannot read "{full}": {exc.strerror or exc}')
            return None
        if len(data) > SECRET_FILE_MAX:
            self.error(path, f'"{full}" is larger than {SECRET_FILE_MAX} bytes; it should hold one secret')
            return None
        if mode & 0o004:
            self.warning(path, f'"{full}" can be read by every user of this machine (chmod o-r it)')
        text = data.decode("utf-8", errors="replace")
        return text.rstrip("\r\n")  # editors add a final newline; it is not part of the secret

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
                filled = schema.fill_defaults(o, schema.LOG_OUTPUT)
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

    # -- the raw document (config-get)

    def raw_document(self, g: dict[str, Any], subnets: list[Subnet]) -> dict[str, Any]:
        raw = schema.fill_defaults(g, schema.DHCP4)
        by_path = {s.path: s for s in subnets}
        _map_reservation_mode(raw)
        for net in raw.get("shared-networks", []):
            _map_reservation_mode(net)
            for key in SHOWN_RESOLVED:
                net.setdefault(key, _resolved(key, [raw, net]))
        for net_index, net in enumerate(raw.get("shared-networks", [])):
            for sub_index, s in enumerate(net.get("subnet4", [])):
                self.raw_subnet(
                    s, [raw, net], by_path[f"Dhcp4.shared-networks[{net_index}].subnet4[{sub_index}]"]
                )
            net["subnet4"].sort(key=lambda s: s["id"])
        for sub_index, s in enumerate(raw.get("subnet4", [])):
            self.raw_subnet(s, [raw], by_path[f"Dhcp4.subnet4[{sub_index}]"])
        raw["subnet4"].sort(key=lambda s: s["id"])
        for scope in _scopes_with_options(raw):
            for opt in scope.get("option-data", []):
                self.raw_option(opt)
        return raw

    def raw_subnet(self, s: dict[str, Any], parents: list[dict[str, Any]], subnet: Subnet) -> None:
        s["id"] = subnet.id
        _map_reservation_mode(s)
        for key in SHOWN_RESOLVED:
            # The values the subnet runs with. Taken from its parameters, not looked up in the filled-in
            # parents: a network's shown max-valid-lifetime (its own valid-lifetime) is not what a subnet
            # that sets a longer valid-lifetime inherits, and config-write's file must load back the same.
            field = key.replace("-", "_")
            if hasattr(subnet.params, field):
                s[key] = getattr(subnet.params, field)
            else:
                s.setdefault(key, _resolved(key, [*parents, s]))
        relay = s.get("relay", {})
        if "ip-address" in relay:
            relay["ip-addresses"] = [relay.pop("ip-address")]

    def raw_option(self, opt: dict[str, Any]) -> None:
        space = opt.get("space", "dhcp4")
        defn = None
        if "name" in opt:
            defn = self.registry.by_name(opt["name"], space)
        elif "code" in opt:
            defn = self.registry.by_code(opt["code"], space)
        if defn is not None:
            opt.setdefault("code", defn.code)
            opt.setdefault("name", defn.name)
        opt.setdefault("data", "")


_VENDOR_SPACE_RE = re.compile(r"vendor-[0-9]{1,10}")


def _implicit_space(space: str, registry: optiondef.OptionRegistry) -> bool:
    """Spaces that exist without definitions of their own: option 43's, any space an option encapsulates,
    and Kea's vendor-<enterprise id> spaces (sub-options of option 125)."""
    if space == options4.VENDOR_ENCAPSULATED_SPACE or _VENDOR_SPACE_RE.fullmatch(space):
        return True
    return any(d.encapsulate == space for s in registry.spaces() for d in registry.defs(s))


def _close(name: str, known: list[str]) -> str:
    import difflib  # only for a message about a mistake: not loaded into a serving process otherwise

    match = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    return f'; did you mean "{match[0]}"?' if match else ""


def _doc_order(path: KeyPath) -> tuple[int, ...]:
    """A sort key giving the order in which Kea reads subnets (shared networks first)."""
    return tuple(p if isinstance(p, int) else (0 if p == "shared-networks" else 1) for p in path[1:])


def _map_reservation_mode(scope: dict[str, Any]) -> None:
    mode = scope.pop("reservation-mode", None)
    if mode is not None:
        flags = ("reservations-global", "reservations-in-subnet", "reservations-out-of-pool")
        scope.update(zip(flags, RESERVATION_MODES[mode], strict=True))


def _resolved(key: str, chain: list[dict[str, Any]]) -> Any:
    for scope in reversed(chain):
        if key in scope:
            return scope[key]
    if key in ("min-valid-lifetime", "max-valid-lifetime"):
        return _resolved("valid-lifetime", chain)
    return None


def _scopes_with_options(raw: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield raw
    yield from raw.get("client-classes", [])
    yield from raw.get("reservations", [])
    subnets = list(raw.get("subnet4", []))
    for net in raw.get("shared-networks", []):
        yield net
        subnets.extend(net.get("subnet4", []))
    for s in subnets:
        yield s
        yield from s.get("pools", [])
        yield from s.get("reservations", [])
