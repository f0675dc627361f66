"""The Dhcp4 builder: a cleaned `Dhcp4` map -> Config4, checking what only DHCPv4 has.

Rules this module keeps:
- The shared parts (edge/config/{sections,control_sockets,options,classes,reservations,scopes,networks}.py)
  do everything both families do; this class adds DHCPv4's own: IPv4 addresses, subnet4 and its pools, v4
  reservations (hw-address, client-id, circuit-id, duid, flex-id; one ip-address), the BOOTP fixed fields
  (next-server, server-hostname, boot-file-name) in scopes, classes and reservations, and the raw document
  config-get shows.
- Semantics follow Kea 2.2 where Kea checks something; where Kea is silent but a configuration is surely
  wrong (overlapping subnets, unknown class names, inconsistent timers) we refuse it and say why.
- The snapshot holds no parse positions, only values: addresses as ints, option payloads as wire bytes,
  scope parameters resolved per subnet (global -> shared network -> subnet, as Kea inherits them), subnets
  sorted by id. `raw` is the Kea-dialect document with Kea's defaults filled in (config-get).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from edge.config.control_sockets import ControlSocketsPart
from edge.config.d2 import build_settings as build_ddns_settings
from edge.config.errors import IssueLog, format_path
from edge.config.networks import NetworkDraft, NetworksPart, Span
from edge.config.options import OptionRules
from edge.config.positions import KeyPath
from edge.config.reservations import IDENTIFIER_MAX
from edge.config.scopes import Scope, map_reservation_mode, resolved, show_resolved
from edge.config.sections import SectionsPart
from edge.dhcp4.keys import SUBNET, TABLE
from edge.dhcp4.model import (
    ClientClass4,
    Config4,
    Pool4,
    Reservation4,
    ScopeParams4,
    SharedNetwork4,
    Subnet4,
)
from edge.wire import options4

__all__ = ["Builder4", "OPTION_RULES"]

SNAME_MAX = 63  # the sname field is 64 bytes, NUL-terminated
FILE_MAX = 127  # the file field is 128 bytes, NUL-terminated

OPTION_RULES = OptionRules(
    space=options4.DHCP4_SPACE,
    standard=options4.STANDARD,
    make_def=options4.make_def,
    reserved={0: "pad", 255: "end"},
    implicit_spaces=(options4.VENDOR_ENCAPSULATED_SPACE,),
)

# Scope parameters the model resolves, and the ScopeParams4 field each becomes.
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
TIMER_KEYS = ("valid-lifetime", "min-valid-lifetime", "max-valid-lifetime", "renew-timer", "rebind-timer")


def ipv4(text: str) -> int | None:
    """Dotted-quad IPv4 text -> int, or None. Strict: four decimal octets, no leading zeros."""
    try:
        return int(ipaddress.IPv4Address(text.strip()))
    except ValueError:
        return None


def parse_pool(text: str) -> tuple[int, int]:
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
    first, last = ipv4(parts[0]), ipv4(parts[1])
    if first is None or last is None:
        bad = parts[0] if first is None else parts[1]
        raise ValueError(f'"{bad.strip()}" is not an IPv4 address')
    if first > last:
        raise ValueError(f'the range "{text}" ends before it starts')
    return first, last


class Builder4(NetworksPart, SectionsPart, ControlSocketsPart):
    table = TABLE
    expr_family = 4
    option_rules = OPTION_RULES
    scope_fields = SCOPE_FIELDS
    params_type = ScopeParams4
    timer_keys = TIMER_KEYS
    subnet_key = SUBNET
    identifier_kinds = tuple(IDENTIFIER_MAX)
    default_host_identifiers = ("hw-address", "duid", "circuit-id", "client-id")

    def __init__(self, issues: IssueLog, source: str, interfaces_present: Collection[str] | None) -> None:
        super().__init__(issues, source, interfaces_present, options4.STANDARD.copy())

    def parse_address(self, text: str) -> int | None:
        return ipv4(text)

    # -- the whole document

    def build(self, g: dict[str, Any]) -> Config4:
        root = self.root
        self.note_hooks(g)
        self.note_class_tags(g, self.subnet_key)
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
        self.check_overlaps(
            [Span(s.id, s.network, s.broadcast, s.prefix_len, s.text) for s in subnets], subnet_paths
        )
        control = self.control_sockets(g, root)
        loggers = self.loggers(g, root)
        expired = self.expired_leases_processing(g)
        ddns = build_ddns_settings(g.get("dhcp-ddns"), root + ("dhcp-ddns",), self.issues, self.source)
        self.issues.raise_if_errors()
        raw = self.raw_document(g, subnets)
        ifaces_raw = raw["interfaces-config"]
        return Config4(
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
            client_classes=classes,  # type: ignore[arg-type] - make_class builds ClientClass4
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

    # -- classes and scopes: the BOOTP fixed fields

    def make_class(self, c: dict[str, Any], path: KeyPath, fields: dict[str, Any]) -> ClientClass4:
        return ClientClass4(
            **fields,
            next_server=self.address(c, "next-server", path) or None,
            server_hostname=self.field_text(c, "server-hostname", path, SNAME_MAX) or None,
            boot_file_name=self.field_text(c, "boot-file-name", path, FILE_MAX) or None,
        )

    def scope_extra(self, obj: dict[str, Any], path: KeyPath, values: dict[str, Any]) -> None:
        if "next-server" in values:
            address = self.address(obj, "next-server", path)
            values["next-server"] = address if address is not None else 0
        for key, limit in (("server-hostname", SNAME_MAX), ("boot-file-name", FILE_MAX)):
            self.field_text(obj, key, path, limit)

    def scope_default(self, key: str) -> Any:
        if key == "next-server":
            return 0
        return super().scope_default(key)

    def timer_pairs(self, v: dict[str, Any]) -> list[tuple[str, Any, str, Any]]:
        valid = v["valid-lifetime"]
        low = v["min-valid-lifetime"] if v["min-valid-lifetime"] is not None else valid
        high = v["max-valid-lifetime"] if v["max-valid-lifetime"] is not None else valid
        pairs = [
            ("min-valid-lifetime", low, "valid-lifetime", valid),
            ("valid-lifetime", valid, "max-valid-lifetime", high),
            ("renew-timer", v["renew-timer"], "rebind-timer", v["rebind-timer"]),
            ("rebind-timer", v["rebind-timer"], "valid-lifetime", valid),
        ]
        if v["rebind-timer"] is None:
            pairs.append(("renew-timer", v["renew-timer"], "valid-lifetime", valid))
        return pairs

    # -- reservations

    def reservations(
        self, cfg: dict[str, Any], path: KeyPath, subnet: Subnet4 | None
    ) -> tuple[Reservation4, ...]:
        return self.reservation_list(self.items(cfg, "reservations", path), subnet)

    def reservation_list(
        self, entries: Iterable[tuple[KeyPath, dict[str, Any]]], subnet: Subnet4 | None
    ) -> tuple[Reservation4, ...]:
        """Reservations of one scope (`subnet`, or None for the global scope), checked for duplicates."""
        out: list[Reservation4] = []
        by_id: dict[tuple[str, bytes], KeyPath] = {}
        by_ip: dict[int, KeyPath] = {}
        for item_path, r in entries:
            found = self.reservation_identifier(r, item_path, by_id)
            if found is None:
                continue
            kind, ident = found
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
            hostname = self.reservation_hostname(r, item_path)
            out.append(
                Reservation4(
                    **{kind.replace("-", "_"): ident},
                    ip_address=address,
                    hostname=hostname,
                    client_classes=self.reservation_classes(r.get("client-classes", []), item_path),
                    option_data=self.option_data(r, item_path, self.registry),
                    next_server=self.address(r, "next-server", item_path) or None,
                    server_hostname=self.field_text(r, "server-hostname", item_path, SNAME_MAX) or None,
                    boot_file_name=self.field_text(r, "boot-file-name", item_path, FILE_MAX) or None,
                    subnet_id=subnet.id if subnet is not None else 0,
                )
            )
        return tuple(out)

    # -- shared networks and subnets

    def network_fields(self, net: dict[str, Any], path: KeyPath) -> dict[str, Any]:
        return {
            "interface": self.interface_name(net, path),
            "relay_addresses": self.relay(net, path),
            "option_data": self.option_data(net, path, self.registry),
        }

    def make_network(self, draft: NetworkDraft, subnet_ids: tuple[int, ...]) -> SharedNetwork4:
        return SharedNetwork4(
            name=draft.name,
            subnet_ids=subnet_ids,
            interface=draft.fields["interface"],
            relay_addresses=draft.fields["relay_addresses"],
            client_classes=draft.guard,
            option_data=draft.fields["option_data"],
            require_client_classes=draft.required,
        )

    def subnet(
        self, s: dict[str, Any], path: KeyPath, sid: int, chain: list[Scope], network: NetworkDraft | None
    ) -> Subnet4 | None:
        text = s["subnet"]
        if "/" not in text:
            hint = f', like "{text.strip()}/24"' if ipv4(text) is not None else ' like "192.0.2.0/24"'
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
        scope = self.scope(s, path)
        chain = [*chain, scope]
        self.check_timers(chain)
        interface = self.interface_name(s, path)
        self.same_interface(interface, network, path)
        guard, required = self.guards(s, path)
        base = Subnet4(id=sid, network=int(net.network_address), prefix_len=net.prefixlen)
        pools = self.pools(s, path, base)
        reservations = self.reservations(s, path, base)
        return Subnet4(
            id=sid,
            network=base.network,
            prefix_len=base.prefix_len,
            pools=pools,
            option_data=self.option_data(s, path, self.registry),
            shared_network_option_data=network.fields["option_data"] if network is not None else (),
            reservations=reservations,
            relay_addresses=self.relay(s, path),
            interface=interface,
            shared_network=network.name if network is not None else None,
            client_classes=guard,
            require_client_classes=required,
            params=self.resolve(chain),
            path=format_path(path),
        )

    def pools(self, s: dict[str, Any], path: KeyPath, subnet: Subnet4) -> tuple[Pool4, ...]:
        pools: list[Pool4] = []
        spans: list[tuple[int, int, KeyPath, str]] = []
        for item_path, p in self.items(s, "pools", path):
            text = p["pool"]
            try:
                first, last = parse_pool(text)
            except ValueError as err:
                self.error(item_path + ("pool",), str(err))
                continue
            if first not in subnet or last not in subnet:
                self.error(item_path + ("pool",), f'the pool "{text}" is not inside the subnet {subnet.text}')
                continue
            spans.append((first, last, item_path, text))
            guard, required = self.guards(p, item_path)
            pools.append(
                Pool4(
                    first=first,
                    last=last,
                    option_data=self.option_data(p, item_path, self.registry),
                    client_classes=guard,
                    require_client_classes=required,
                )
            )
        self.check_pool_overlaps(spans)
        return tuple(pools)

    # -- the raw document (config-get)

    def raw_document(self, g: dict[str, Any], subnets: list[Subnet4]) -> dict[str, Any]:
        raw = self.table.fill_defaults(g)
        by_path = {s.path: s for s in subnets}
        map_reservation_mode(raw)
        for net in raw.get("shared-networks", []):
            map_reservation_mode(net)
            for key in SHOWN_RESOLVED:
                net.setdefault(key, resolved(key, [raw, net]))
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

    def raw_subnet(self, s: dict[str, Any], parents: list[dict[str, Any]], subnet: Subnet4) -> None:
        s["id"] = subnet.id
        map_reservation_mode(s)
        show_resolved(s, parents, subnet.params, SHOWN_RESOLVED)
        relay = s.get("relay", {})
        if "ip-address" in relay:
            relay["ip-addresses"] = [relay.pop("ip-address")]


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
