"""DDNS settings: the `Dhcp4.dhcp-ddns` map and, for the built-in updater, a Kea D2 configuration.

Rules this module keeps:
- `dhcp-ddns` keeps Kea's meaning. `enable-updates: false` (the default): no DNS updates at all (names are
  still chosen and answered to clients, as Kea does). `enable-updates: true`: updates are sent, and where
  to is decided by one more thing:
    * `"user-context": {"d2-config": ...}` names a Kea D2 configuration - a file path (relative to the
      Dhcp4 file), or the `{"DhcpDdns": {...}}` document itself - and edge-dhcp sends the RFC 2136
      updates itself (the *built-in* mode, no extra daemon);
    * without it, NameChangeRequests go to a Kea D2 daemon at `server-ip`:`server-port` (the *kea-d2*
      mode), exactly as kea-dhcp4 would send them.
  `user-context` is Kea's own place for extensions, so a configuration using the built-in mode still
  loads in Kea, which then simply uses D2.
- The D2 document is read with Kea D2 2.2's schema: `tsig-keys` (name, algorithm, secret or secret-file,
  digest-bits), `forward-ddns` and `reverse-ddns` with `ddns-domains` (name, key-name, dns-servers with
  ip-address, port, key-name) and `dns-server-timeout` (milliseconds). The keys that configure D2's own
  daemon (ip-address, port, control-socket, loggers, hooks-libraries, ncr-*) are accepted and ignored:
  in built-in mode there is no D2 daemon.
- Every problem is reported like the rest of the configuration: file:line:column and the key path, inside
  the D2 file when it is one (`DhcpDdns.forward-ddns.ddns-domains[0].key-name`).
- Values in the snapshot are final: names absolute and lower-case, secrets decoded, keys resolved.

Theory of operation: `build_settings` is called by the loader with the cleaned `dhcp-ddns` map and the
loader's IssueLog. A D2 file is parsed with jsonpos (so it may use comments and includes, as Kea's files
may) and checked against the small key table below; its issues are copied into the loader's log.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from edge.config.errors import ConfigError, IssueLog
from edge.config.jsonpos import KeyPath, parse_text, read_config_text

__all__ = [
    "MODE_BUILT_IN",
    "MODE_KEA_D2",
    "MODE_OFF",
    "TSIG_ALGORITHMS",
    "D2Config",
    "DdnsDomain",
    "DdnsSettings",
    "DnsServer",
    "TsigKey",
    "build_settings",
]

MODE_OFF = "off"
MODE_BUILT_IN = "built-in"
MODE_KEA_D2 = "kea-d2"

# Kea D2's TSIG algorithms and their digest sizes in bits.
TSIG_ALGORITHMS = {
    "HMAC-MD5": 128,
    "HMAC-SHA1": 160,
    "HMAC-SHA224": 224,
    "HMAC-SHA256": 256,
    "HMAC-SHA384": 384,
    "HMAC-SHA512": 512,
}
SECRET_FILE_MAX = 4096
REVERSE_TOPS = ("in-addr.arpa.", "ip6.arpa.")  # the reverse trees a reverse-ddns domain lies under (v4, v6)


@dataclass(frozen=True, slots=True)
class TsigKey:
    name: str  # absolute, lower-case: "edge-key."
    algorithm: str  # one of TSIG_ALGORITHMS, upper-case
    secret: bytes = b""
    digest_bits: int = 0


@dataclass(frozen=True, slots=True)
class DnsServer:
    address: str
    port: int = 53
    key: TsigKey | None = None


@dataclass(frozen=True, slots=True)
class DdnsDomain:
    name: str  # absolute, lower-case: "home.example." or "2.0.192.in-addr.arpa."
    servers: tuple[DnsServer, ...]
    key: TsigKey | None = None  # the domain's key-name; a server's own key-name wins


@dataclass(frozen=True, slots=True)
class D2Config:
    forward: tuple[DdnsDomain, ...] = ()
    reverse: tuple[DdnsDomain, ...] = ()
    keys: tuple[TsigKey, ...] = ()
    dns_server_timeout: int = 500  # milliseconds, per DNS exchange (Kea D2's default)
    source: str = "<inline>"

    def match_forward(self, fqdn: str) -> DdnsDomain | None:
        return _longest_match(self.forward, fqdn)

    def match_reverse(self, name: str) -> DdnsDomain | None:
        return _longest_match(self.reverse, name)


def _longest_match(domains: tuple[DdnsDomain, ...], name: str) -> DdnsDomain | None:
    """The domain whose name is the longest suffix of `name` (on label boundaries), as D2 matches them."""
    name = name.lower().rstrip(".") + "."
    best: DdnsDomain | None = None
    for domain in domains:
        zone = domain.name
        if name == zone or name.endswith("." + zone):
            if best is None or len(zone) > len(best.name):
                best = domain
    return best


@dataclass(frozen=True, slots=True)
class DdnsSettings:
    """`Dhcp4.dhcp-ddns`, resolved. `d2` is set in built-in mode."""

    enable_updates: bool = False
    server_ip: str = "127.0.0.1"
    server_port: int = 53001
    sender_ip: str = "0.0.0.0"
    sender_port: int = 0
    max_queue_size: int = 1024
    ncr_protocol: str = "UDP"
    ncr_format: str = "JSON"
    d2: D2Config | None = None

    @property
    def mode(self) -> str:
        if not self.enable_updates:
            return MODE_OFF
        return MODE_BUILT_IN if self.d2 is not None else MODE_KEA_D2


# ----------------------------------------------------------------------------------------- the D2 schema

_COMMON = {"comment", "user-context"}
# kind -> {key: required?}
_D2_KEYS: dict[str, dict[str, bool]] = {
    "DhcpDdns": {
        "tsig-keys": False,
        "forward-ddns": False,
        "reverse-ddns": False,
        "dns-server-timeout": False,
        # D2's own daemon; accepted and ignored in built-in mode
        "ip-address": False,
        "port": False,
        "ncr-protocol": False,
        "ncr-format": False,
        "control-socket": False,
        "control-sockets": False,
        "loggers": False,
        "hooks-libraries": False,
    },
    "tsig-key": {
        "name": True,
        "algorithm": True,
        "digest-bits": False,
        "secret": False,
        "secret-file": False,
    },
    "ddns-mgr": {"ddns-domains": False},
    "ddns-domain": {"name": True, "key-name": False, "dns-servers": True},
    "dns-server": {"ip-address": True, "port": False, "hostname": False, "key-name": False},
}


class _D2Reader:
    def __init__(self, issues: IssueLog, root: KeyPath, source: str) -> None:
        self.issues = issues
        self.root = root
        self.source = source
        self.keys: dict[str, TsigKey] = {}
        self.broken_keys: set[str] = set()  # defined but invalid (already reported): no follow-on errors

    def error(self, path: KeyPath, message: str, *, at_key: bool = False) -> None:
        self.issues.error(path, message, at_key=at_key)

    def check_map(self, value: Any, kind: str, path: KeyPath) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(path, f"expected an object, got {_show(value)}")
            return None
        table = _D2_KEYS[kind]
        ok = True
        for key in value:
            if key in table or key in _COMMON:
                continue
            import difflib  # only for a message about a mistake: not loaded into a serving process otherwise

            close = difflib.get_close_matches(key, list(table), n=1, cutoff=0.75)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            self.error(path + (key,), f'unknown key "{key}" in a Kea D2 {kind} entry{hint}', at_key=True)
        for key, required in table.items():
            if required and key not in value:
                self.error(path, f'missing required key "{key}"')
                ok = False
        return value if ok else None

    def items(self, obj: dict[str, Any], key: str, path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
        value = obj.get(key, [])
        if not isinstance(value, list):
            self.error(path + (key,), f"expected a list, got {_show(value)}")
            return
        for i, item in enumerate(value):
            yield path + (key, i), item

    def text(self, obj: dict[str, Any], key: str, path: KeyPath) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(path + (key,), f"expected a string, got {_show(value)}")
            return None
        return value

    def integer(self, obj: dict[str, Any], key: str, path: KeyPath, lo: int, hi: int, default: int) -> int:
        value = obj.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.error(path + (key,), f"expected an integer from {lo} to {hi}, got {_show(value)}")
            return default
        return value

    def document(self, doc: Any) -> D2Config | None:
        top = self.check_map(doc, "DhcpDdns", self.root)
        if top is None:
            return None
        for path, item in self.items(top, "tsig-keys", self.root):
            key = self.tsig_key(item, path)
            if key is None and isinstance(item, dict) and isinstance(item.get("name"), str):
                self.broken_keys.add(item["name"].strip().lower().rstrip(".") + ".")
            if key is not None:
                if key.name in self.keys:
                    self.error(path + ("name",), f'a TSIG key named "{key.name}" is already defined')
                self.keys[key.name] = key
        timeout = self.integer(top, "dns-server-timeout", self.root, 1, 3_600_000, 500)
        forward = self.domains(top, "forward-ddns", reverse=False)
        reverse = self.domains(top, "reverse-ddns", reverse=True)
        if not forward and not reverse:
            self.error(
                self.root,
                "no forward-ddns or reverse-ddns domains: the built-in updater would update nothing",
            )
        return D2Config(tuple(forward), tuple(reverse), tuple(self.keys.values()), timeout, self.source)

    def tsig_key(self, item: Any, path: KeyPath) -> TsigKey | None:
        obj = self.check_map(item, "tsig-key", path)
        if obj is None:
            return None
        name = self.dns_name(obj, "name", path)
        algorithm = (self.text(obj, "algorithm", path) or "").upper()
        if algorithm and algorithm not in TSIG_ALGORITHMS:
            listed = ", ".join(TSIG_ALGORITHMS)
            self.error(
                path + ("algorithm",), f'unknown TSIG algorithm "{obj["algorithm"]}"; Kea D2 knows {listed}'
            )
            return None
        bits = self.integer(obj, "digest-bits", path, 0, 512, 0)
        if bits not in (0, TSIG_ALGORITHMS.get(algorithm, 0)):
            self.error(
                path + ("digest-bits",),
                f"truncated TSIG digests (digest-bits {bits}) are not supported by the built-in updater; "
                "use 0 (the full digest), or send the updates through Kea D2",
            )
        secret = self.secret(obj, path)
        if name is None or not algorithm or secret is None:
            return None
        return TsigKey(name, algorithm, secret, bits)

    def secret(self, obj: dict[str, Any], path: KeyPath) -> bytes | None:
        text = self.text(obj, "secret", path)
        secret_file = self.text(obj, "secret-file", path)
        if (text is None) == (secret_file is None):
            self.error(path, 'give exactly one of "secret" (base64) and "secret-file"')
            return None
        where = path + ("secret",)
        if secret_file is not None:
            where = path + ("secret-file",)
            file_path = secret_file
            if not os.path.isabs(file_path) and os.path.isfile(self.source):
                file_path = os.path.join(os.path.dirname(self.source), file_path)
            try:
                if "\x00" in file_path:
                    raise OSError("the path contains a NUL character")
                with open(file_path, "rb") as handle:
                    raw = handle.read(SECRET_FILE_MAX + 1)
            except OSError as exc:
                self.error(where, f'cannot read "{secret_file}": {exc.strerror or exc}')
                return None
            if len(raw) > SECRET_FILE_MAX:
                self.error(
                    where, f'"{secret_file}" is larger than {SECRET_FILE_MAX} bytes; not a TSIG secret'
                )
                return None
            text = raw.decode("ascii", "replace").strip()
        assert text is not None
        try:
            decoded = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            self.error(where, "the TSIG secret is not valid base64")
            return None
        if not decoded:
            self.error(where, "the TSIG secret is empty")
            return None
        return decoded

    def dns_name(self, obj: dict[str, Any], key: str, path: KeyPath) -> str | None:
        text = self.text(obj, key, path)
        if text is None:
            return None
        name = text.strip().lower().rstrip(".")
        if not name:
            self.error(path + (key,), f'"{text}" is not a usable name (give e.g. "home.example.")')
            return None
        labels = name.split(".")
        if any(not label or len(label) > 63 or " " in label for label in labels) or len(name) > 253:
            self.error(path + (key,), f'"{text}" is not a valid domain name')
            return None
        return name + "."

    def key_ref(self, obj: dict[str, Any], path: KeyPath) -> TsigKey | None:
        name = self.text(obj, "key-name", path)
        if name is None or name.strip() == "":
            return None
        wanted = name.strip().lower().rstrip(".") + "."
        key = self.keys.get(wanted)
        if key is None and wanted not in self.broken_keys:
            known = ", ".join(k.rstrip(".") for k in self.keys) or "none are defined"
            self.error(path + ("key-name",), f'no TSIG key named "{name}" in tsig-keys ({known})')
        return key

    def domains(self, top: dict[str, Any], section: str, *, reverse: bool) -> list[DdnsDomain]:
        if section not in top:
            return []
        path = self.root + (section,)
        mgr = self.check_map(top[section], "ddns-mgr", path)
        if mgr is None:
            return []
        found: list[DdnsDomain] = []
        seen: dict[str, KeyPath] = {}
        for item_path, item in self.items(mgr, "ddns-domains", path):
            obj = self.check_map(item, "ddns-domain", item_path)
            if obj is None:
                continue
            name = self.dns_name(obj, "name", item_path)
            key = self.key_ref(obj, item_path)
            servers = []
            for server_path, server in self.items(obj, "dns-servers", item_path):
                made = self.server(server, server_path, key)
                if made is not None:
                    servers.append(made)
            if "dns-servers" in obj and isinstance(obj["dns-servers"], list) and not obj["dns-servers"]:
                self.error(item_path + ("dns-servers",), "lists no DNS server to send the updates to")
            if name is None or not servers:
                continue
            if reverse and not any(name == top or name.endswith("." + top) for top in REVERSE_TOPS):
                self.error(
                    item_path + ("name",),
                    f'"{name}" is not a reverse zone (it should end in .in-addr.arpa or .ip6.arpa)',
                )
                continue
            if name in seen:
                self.error(item_path + ("name",), f'domain "{name}" is already listed in {section}')
                continue
            seen[name] = item_path
            found.append(DdnsDomain(name, tuple(servers), key))
        return found

    def server(self, item: Any, path: KeyPath, domain_key: TsigKey | None) -> DnsServer | None:
        obj = self.check_map(item, "dns-server", path)
        if obj is None:
            return None
        if (self.text(obj, "hostname", path) or "").strip():
            self.error(
                path + ("hostname",),
                'servers are given by "ip-address"; "hostname" is not supported (as in Kea D2)',
            )
        text = self.text(obj, "ip-address", path)
        if text is None:
            return None
        try:
            address = str(ipaddress.ip_address(text.strip()))
        except ValueError:
            self.error(path + ("ip-address",), f'"{text}" is not an IP address')
            return None
        port = self.integer(obj, "port", path, 1, 65535, 53)
        key = self.key_ref(obj, path) if "key-name" in obj else domain_key
        return DnsServer(address, port, key)


def _show(value: Any) -> str:
    from edge.config.schema import show

    return show(value)


# ----------------------------------------------------------------------------------------- entry point


def build_settings(ddns: dict[str, Any] | None, path: KeyPath, issues: IssueLog, source: str) -> DdnsSettings:
    """The `dhcp-ddns` map (already type-checked against the Dhcp4 key table) -> DdnsSettings. Problems go
    to `issues` (the loader raises them together with every other problem)."""
    ddns = ddns or {}
    enable = bool(ddns.get("enable-updates", False))
    settings: dict[str, Any] = {
        "enable_updates": enable,
        "server_ip": ddns.get("server-ip", "127.0.0.1"),
        "server_port": ddns.get("server-port", 53001),
        "sender_ip": ddns.get("sender-ip", "0.0.0.0") or "0.0.0.0",
        "sender_port": ddns.get("sender-port", 0),
        "max_queue_size": ddns.get("max-queue-size", 1024),
        "ncr_protocol": ddns.get("ncr-protocol", "UDP"),
        "ncr_format": ddns.get("ncr-format", "JSON"),
    }
    for key in ("server-ip", "sender-ip"):
        text = ddns.get(key)
        if text:
            try:
                ipaddress.ip_address(text)
            except ValueError:
                issues.error(path + (key,), f'"{text}" is not an IP address')
    if settings["ncr_protocol"] != "UDP":
        issues.error(path + ("ncr-protocol",), 'only "UDP" is supported (as in Kea, which has no TCP sender)')
    for old in (
        "qualifying-suffix",
        "generated-prefix",
        "replace-client-name",
        "override-client-update",
        "override-no-update",
        "hostname-char-set",
        "hostname-char-replacement",
    ):
        if old in ddns:
            new = old if old.startswith("hostname-char") else "ddns-" + old
            issues.warning(
                path + (old,),
                f'"{old}" inside dhcp-ddns is ignored (Kea moved it out in 1.7); give "{new}" at global, '
                "shared-network or subnet level instead",
                at_key=True,
            )
    context = ddns.get("user-context")
    reference = context.get("d2-config") if isinstance(context, dict) else None
    if reference is not None:
        ref_path = path + ("user-context", "d2-config")
        settings["d2"] = _load_d2(reference, ref_path, issues, source)
        if settings["d2"] is None and not issues.errors:  # pragma: no cover - _load_d2 reports why
            issues.error(ref_path, "the D2 configuration could not be used")
    return DdnsSettings(**settings)


def _load_d2(reference: Any, ref_path: KeyPath, issues: IssueLog, source: str) -> D2Config | None:
    if isinstance(reference, dict):
        # Inline: {"DhcpDdns": {...}}, positions come from the main document.
        if set(reference) - _COMMON != {"DhcpDdns"}:
            issues.error(ref_path, 'an inline D2 configuration is an object with one key, "DhcpDdns"')
            return None
        return _D2Reader(issues, ref_path + ("DhcpDdns",), source).document(reference["DhcpDdns"])
    if not isinstance(reference, str) or not reference.strip():
        issues.error(ref_path, 'expected the path of a Kea D2 configuration file, or {"DhcpDdns": {...}}')
        return None
    file_path = reference.strip()
    if "\x00" in file_path:
        issues.error(ref_path, "the D2 configuration path contains a NUL character")
        return None
    if not os.path.isabs(file_path):
        base = os.path.dirname(source) if os.path.isfile(source) else os.getcwd()
        file_path = os.path.join(base, file_path)
    try:
        parsed = parse_text(read_config_text(file_path), file_path)
    except ConfigError as exc:
        issues.errors.extend(exc.issues)
        issues.error(ref_path, f'the D2 configuration "{reference}" cannot be read')
        return None
    log = IssueLog(file_path, parsed.positions)
    log.errors.extend(parsed.errors)
    log.warnings.extend(parsed.warnings)
    doc = parsed.value
    config: D2Config | None = None
    if not isinstance(doc, dict) or "DhcpDdns" not in doc:
        log.error((), 'a Kea D2 configuration file is {"DhcpDdns": {...}}')
    else:
        for key in doc:
            if key != "DhcpDdns":
                log.error(
                    (key,),
                    f'unexpected top-level key "{key}" (the file should hold only "DhcpDdns")',
                    at_key=True,
                )
        config = _D2Reader(log, ("DhcpDdns",), file_path).document(doc["DhcpDdns"])
    issues.errors.extend(log.errors)
    issues.warnings.extend(log.warnings)
    return config if not log.errors else None
