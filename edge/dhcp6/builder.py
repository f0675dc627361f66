"""The Dhcp6 builder: a cleaned `Dhcp6` map -> Config6, checking what only DHCPv6 has.

Rules this module keeps:
- The shared parts (edge/config/{sections,control_sockets,options,classes,reservations,scopes,networks}.py)
  do everything both families do; this class adds DHCPv6's own: IPv6 addresses, subnet6 with address pools
  and prefix-delegation pools, interface-id and rapid-commit, v6 reservations (duid, hw-address, flex-id;
  ip-addresses and prefixes), the preferred-lifetime triplet, server-id, mac-sources,
  relay-supplied-options, and the raw document config-get shows.
- Kea 2.2's checks are kept (src/lib/dhcpsrv/parsers: pools inside their subnet and not overlapping, a
  delegated length not shorter than the pool's prefix, an excluded prefix longer than the delegated one and
  inside it, interface and interface-id not both on one subnet, renew-timer <= rebind-timer); where Kea is
  silent but the configuration is surely wrong (overlapping subnets, undefined classes, a preferred
  lifetime above the valid one, which clients discard: RFC 8415 section 21.6) it is refused too.
- rapid-commit, interface and interface-id are network-level as in Kea: a subnet in a shared network takes
  its network's unless it gives its own; a top-level subnet defaults to rapid-commit false.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from edge.config.control_sockets import ControlSocketsPart
from edge.config.d2 import build_settings as build_ddns_settings
from edge.config.errors import IssueLog, format_path
from edge.config.networks import NetworkDraft, NetworksPart, Span
from edge.config.options import OptionRules
from edge.config.positions import KeyPath
from edge.config.scopes import Scope, map_reservation_mode, resolved, show_resolved
from edge.config.sections import SectionsPart
from edge.dhcp6.keys import SERVER_ID, SUBNET, TABLE
from edge.dhcp6.model import (
    ClientClass6,
    Config6,
    PdPool6,
    Pool6,
    Reservation6,
    ScopeParams6,
    ServerId,
    SharedNetwork6,
    Subnet6,
    prefix_text,
)
from edge.wire import options6

__all__ = ["DEFAULT_DATA_DIRECTORY", "OPTION_RULES", "Builder6", "ipv6", "parse_pool", "parse_prefix"]

DEFAULT_DATA_DIRECTORY = "/var/lib/edge-dhcp"

OPTION_RULES = OptionRules(
    space=options6.DHCP6_SPACE,
    standard=options6.STANDARD,
    make_def=options6.make_def,
    reserved={0: "reserved in the dhcp6 space"},
    implicit_spaces=(),
)

SCOPE_FIELDS = {
    "preferred-lifetime": "preferred_lifetime",
    "min-preferred-lifetime": "min_preferred_lifetime",
    "max-preferred-lifetime": "max_preferred_lifetime",
    "valid-lifetime": "valid_lifetime",
    "min-valid-lifetime": "min_valid_lifetime",
    "max-valid-lifetime": "max_valid_lifetime",
    "renew-timer": "renew_timer",
    "rebind-timer": "rebind_timer",
    "calculate-tee-times": "calculate_tee_times",
    "t1-percent": "t1_percent",
    "t2-percent": "t2_percent",
    "rapid-commit": "rapid_commit",
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
    "ddns-conflict-resolution-mode": "ddns_conflict_resolution_mode",
    "ddns-ttl-percent": "ddns_ttl_percent",
    "ddns-ttl": "ddns_ttl",
    "ddns-ttl-min": "ddns_ttl_min",
    "ddns-ttl-max": "ddns_ttl_max",
    "hostname-char-set": "hostname_char_set",
    "hostname-char-replacement": "hostname_char_replacement",
}
SHOWN_RESOLVED = (
    "preferred-lifetime",
    "min-preferred-lifetime",
    "max-preferred-lifetime",
    "valid-lifetime",
    "min-valid-lifetime",
    "max-valid-lifetime",
    "calculate-tee-times",
    "t1-percent",
    "t2-percent",
    "store-extended-info",
)
TIMER_KEYS = (
    "preferred-lifetime",
    "min-preferred-lifetime",
    "max-preferred-lifetime",
    "valid-lifetime",
    "min-valid-lifetime",
    "max-valid-lifetime",
    "renew-timer",
    "rebind-timer",
)
_HEX_RE = re.compile(r"(?:[0-9A-Fa-f]{2})*")


def ipv6(text: str) -> int | None:
    """IPv6 text -> 128-bit int, or None (no zone index, no embedded prefix length)."""
    try:
        return int(ipaddress.IPv6Address(text.strip()))
    except ValueError:
        return None


def parse_prefix(text: str) -> tuple[int, int]:
    """'2001:db8::/48' -> (network, 48). Host bits must be zero. Raises ValueError with the reason."""
    try:
        net = ipaddress.IPv6Network(text.strip())
    except ValueError:
        raise ValueError(f'"{text}" is not an IPv6 prefix like "2001:db8:1::/48"') from None
    return int(net.network_address), net.prefixlen


def parse_pool(text: str) -> tuple[int, int]:
    """'a - b' or 'prefix/len' -> (first, last). Raises ValueError with the reason."""
    if "/" in text:
        try:
            net = ipaddress.IPv6Network(text.strip(), strict=False)
        except ValueError:
            raise ValueError(f'"{text}" is not an address range ("a - b") or prefix ("a/len")') from None
        return int(net.network_address), int(net.broadcast_address)
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f'"{text}" is not an address range ("a - b") or prefix ("a/len")')
    first, last = ipv6(parts[0]), ipv6(parts[1])
    if first is None or last is None:
        bad = parts[0] if first is None else parts[1]
        raise ValueError(f'"{bad.strip()}" is not an IPv6 address')
    if first > last:
        raise ValueError(f'the range "{text}" ends before it starts')
    return first, last


class Builder6(NetworksPart, SectionsPart, ControlSocketsPart):
    table = TABLE
    expr_family = 6
    option_rules = OPTION_RULES
    scope_fields = SCOPE_FIELDS
    params_type = ScopeParams6
    timer_keys = TIMER_KEYS
    subnet_key = SUBNET
    identifier_kinds = ("hw-address", "duid", "flex-id")
    default_host_identifiers = ("hw-address", "duid")
    address_family = "IPv6"
    example_address = "2001:db8::1"

    def __init__(self, issues: IssueLog, source: str, interfaces_present: Collection[str] | None) -> None:
        super().__init__(issues, source, interfaces_present, options6.STANDARD.copy())

    def parse_address(self, text: str) -> int | None:
        return ipv6(text)

    # -- the whole document

    def build(self, g: dict[str, Any]) -> Config6:
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
        mac_sources = self.unique_names(g, "mac-sources", ["any"], root)
        rsoo = self.relay_supplied_options(g, root)
        server_id = self.server_id(g.get(SERVER_ID), root + (SERVER_ID,))
        data_directory = self.data_directory(g, root)

        networks, subnets, subnet_paths = self.networks_and_subnets(g, global_scope)
        self.check_overlaps(
            [Span(s.id, s.network, s.last, s.prefix_len, s.text) for s in subnets], subnet_paths
        )
        control = self.control_sockets(g, root)
        loggers = self.loggers(g, root)
        expired = self.expired_leases_processing(g)
        ddns = build_ddns_settings(g.get("dhcp-ddns"), root + ("dhcp-ddns",), self.issues, self.source)
        self.issues.raise_if_errors()
        raw = self.raw_document(g, subnets)
        ifaces_raw = raw["interfaces-config"]
        return Config6(
            interfaces=interfaces,
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
            client_classes=classes,  # type: ignore[arg-type] - make_class builds ClientClass6
            reservations=global_reservations,
            host_reservation_identifiers=identifiers,
            mac_sources=mac_sources,
            relay_supplied_options=rsoo,
            server_id=server_id,
            data_directory=data_directory,
            decline_probation_period=raw["decline-probation-period"],
            expired_leases_processing=expired,
            control_sockets=control,
            loggers=loggers,
            raw={"Dhcp6": raw},
            source=self.source,
            warnings=tuple(str(w) for w in self.issues.sorted(self.issues.warnings)),
            ip_reservations_unique=self.ip_unique,
            early_global_reservations_lookup=g.get("early-global-reservations-lookup", False),
            reservations_lookup_first=g.get("reservations-lookup-first", False),
            hosts_databases=hosts_dbs,
            flex_id_expression=flex_id,
            ddns=ddns,
        )

    # -- DHCPv6's global sections

    def unique_names(self, g: dict[str, Any], key: str, default: list[str], root: KeyPath) -> tuple[str, ...]:
        out: list[str] = []
        for i, name in enumerate(g.get(key, default)):
            if name is None:
                continue
            if name in out:
                self.error(root + (key, i), f'"{name}" is listed twice')
                continue
            out.append(name)
        return tuple(out)

    def relay_supplied_options(self, g: dict[str, Any], root: KeyPath) -> tuple[int, ...]:
        """Kea's RSOO list: option codes or dhcp6 option names (as strings); 65 is always allowed."""
        codes: list[int] = [65]
        for i, item in enumerate(g.get("relay-supplied-options", [])):
            if item is None:
                continue
            text = item.strip()
            if text.isdigit():
                code = int(text)
                if not 0 < code <= 0xFFFF:
                    self.error(root + ("relay-supplied-options", i), f"option code {code} is not in 1..65535")
                    continue
            else:
                defn = self.registry.by_name(text, options6.DHCP6_SPACE)
                if defn is None:
                    self.error(
                        root + ("relay-supplied-options", i), f'unknown option "{text}" in space "dhcp6"'
                    )
                    continue
                code = defn.code
            if code not in codes:
                codes.append(code)
        return tuple(codes)

    def server_id(self, cfg: dict[str, Any] | None, path: KeyPath) -> ServerId:
        if cfg is None:
            return ServerId()
        text = cfg.get("identifier", "").strip()
        identifier = b""
        if text:
            if not _HEX_RE.fullmatch(text):
                self.error(
                    path + ("identifier",),
                    f'"{text}" is not a string of hexadecimal digits (like 0123456789ab)',
                )
            else:
                identifier = bytes.fromhex(text)
        kind = cfg["type"]
        # A DUID is at most 130 bytes (RFC 8415 section 11.1): 2 of type, then 8 (LLT), 4 (LL) or 4 (EN).
        limit = {"LLT": 120, "LL": 124, "EN": 124}[kind]
        if len(identifier) > limit:
            self.error(
                path + ("identifier",),
                f"is {len(identifier)} bytes long; a DUID-{kind} takes at most {limit}",
            )
        return ServerId(
            type=kind,
            identifier=identifier,
            time=cfg.get("time", 0),
            htype=cfg.get("htype", 0),
            enterprise_id=cfg.get("enterprise-id", 0),
            persist=cfg.get("persist", True),
        )

    def data_directory(self, g: dict[str, Any], root: KeyPath) -> str:
        text = g.get("data-directory")
        if text is None:
            return DEFAULT_DATA_DIRECTORY
        if not text.strip():
            self.error(root + ("data-directory",), "the data directory is empty")
            return DEFAULT_DATA_DIRECTORY
        return text

    # -- classes and scopes

    def make_class(self, c: dict[str, Any], path: KeyPath, fields: dict[str, Any]) -> ClientClass6:
        lifetimes = {
            k: c.get(k) for k in ("min-preferred-lifetime", "preferred-lifetime", "max-preferred-lifetime")
        }
        self.check_lifetime_order(lifetimes, path)
        return ClientClass6(
            **fields,
            preferred_lifetime=lifetimes["preferred-lifetime"],
            min_preferred_lifetime=lifetimes["min-preferred-lifetime"],
            max_preferred_lifetime=lifetimes["max-preferred-lifetime"],
        )

    def scope_default(self, key: str) -> Any:
        if key == "rapid-commit":
            return False
        return super().scope_default(key)

    def resolve_extra(self, values: dict[str, Any]) -> None:
        if values["min_preferred_lifetime"] is None:
            values["min_preferred_lifetime"] = values["preferred_lifetime"]
        if values["max_preferred_lifetime"] is None:
            values["max_preferred_lifetime"] = values["preferred_lifetime"]

    def timer_pairs(self, v: dict[str, Any]) -> list[tuple[str, Any, str, Any]]:
        def triplet(name: str) -> tuple[Any, Any, Any]:
            middle = v[name]
            low = v["min-" + name] if v["min-" + name] is not None else middle
            high = v["max-" + name] if v["max-" + name] is not None else middle
            return low, middle, high

        p_low, preferred, p_high = triplet("preferred-lifetime")
        v_low, valid, v_high = triplet("valid-lifetime")
        return [
            ("min-preferred-lifetime", p_low, "preferred-lifetime", preferred),
            ("preferred-lifetime", preferred, "max-preferred-lifetime", p_high),
            ("min-valid-lifetime", v_low, "valid-lifetime", valid),
            ("valid-lifetime", valid, "max-valid-lifetime", v_high),
            ("preferred-lifetime", preferred, "valid-lifetime", valid),
            ("renew-timer", v["renew-timer"], "rebind-timer", v["rebind-timer"]),
        ]

    # -- reservations

    def reservations(
        self, cfg: dict[str, Any], path: KeyPath, subnet: Subnet6 | None
    ) -> tuple[Reservation6, ...]:
        return self.reservation_list(self.items(cfg, "reservations", path), subnet)

    def reservation_list(
        self, entries: Iterable[tuple[KeyPath, dict[str, Any]]], subnet: Subnet6 | None
    ) -> tuple[Reservation6, ...]:
        """Reservations of one scope (`subnet`, or None for the global scope), checked for duplicates."""
        out: list[Reservation6] = []
        by_id: dict[tuple[str, bytes], KeyPath] = {}
        by_ip: dict[tuple[int, int], KeyPath] = {}
        for item_path, r in entries:
            found = self.reservation_identifier(r, item_path, by_id)
            if found is None:
                continue
            kind, ident = found
            here: set[tuple[int, int]] = set()
            addresses: list[int] = []
            for i, text in enumerate(r.get("ip-addresses", [])):
                where = item_path + ("ip-addresses", i)
                if text is None:
                    continue
                address = ipv6(text)
                if address is None:
                    self.error(where, f'"{text}" is not an IPv6 address')
                elif subnet is not None and address not in subnet:
                    self.error(where, f"{text} is outside the subnet {subnet.text}")
                elif self.reserved_once((address, 128), text, where, item_path, by_ip, here):
                    addresses.append(address)
            prefixes: list[tuple[int, int]] = []
            for i, text in enumerate(r.get("prefixes", [])):
                where = item_path + ("prefixes", i)
                if text is None:
                    continue
                try:
                    prefix = parse_prefix(text)
                except ValueError as err:
                    self.error(where, str(err))
                    continue
                if self.reserved_once(prefix, text, where, item_path, by_ip, here):
                    prefixes.append(prefix)
            out.append(
                Reservation6(
                    **{kind.replace("-", "_"): ident},
                    ip_addresses=tuple(addresses),
                    prefixes=tuple(prefixes),
                    hostname=self.reservation_hostname(r, item_path),
                    client_classes=self.reservation_classes(r.get("client-classes", []), item_path),
                    option_data=self.option_data(r, item_path, self.registry),
                    subnet_id=subnet.id if subnet is not None else 0,
                )
            )
        return tuple(out)

    def reserved_once(
        self,
        key: tuple[int, int],
        text: str,
        where: KeyPath,
        owner: KeyPath,
        by_ip: dict[tuple[int, int], KeyPath],
        here: set[tuple[int, int]],
    ) -> bool:
        """An address (length 128) or prefix is reserved once per reservation, and (unless
        ip-reservations-unique is false) by one reservation of the scope. False when refused (reported)."""
        if key in here:
            self.error(where, f"{text} is listed twice in this reservation")
            return False
        here.add(key)
        if key in by_ip and self.ip_unique:
            self.error(
                where,
                f"{text} is already reserved by {format_path(by_ip[key])} "
                '(set "ip-reservations-unique": false to allow this)',
            )
            return False
        by_ip.setdefault(key, owner)
        return True

    # -- shared networks and subnets

    def interface_id(self, obj: dict[str, Any], path: KeyPath) -> bytes | None:
        text = obj.get("interface-id")
        if not text:
            return None
        if obj.get("interface"):
            self.error(
                path + ("interface-id",),
                'give "interface" (for clients on a local link) or "interface-id" (for clients behind a relay '
                "that sends this interface-id), not both",
            )
        return text.encode("utf-8")

    def network_fields(self, net: dict[str, Any], path: KeyPath) -> dict[str, Any]:
        return {
            "interface": self.interface_name(net, path),
            "interface_id": self.interface_id(net, path),
            "relay_addresses": self.relay(net, path),
            "option_data": self.option_data(net, path, self.registry),
        }

    def make_network(self, draft: NetworkDraft, subnet_ids: tuple[int, ...]) -> SharedNetwork6:
        return SharedNetwork6(
            name=draft.name,
            subnet_ids=subnet_ids,
            interface=draft.fields["interface"],
            interface_id=draft.fields["interface_id"],
            relay_addresses=draft.fields["relay_addresses"],
            client_classes=draft.guard,
            option_data=draft.fields["option_data"],
            require_client_classes=draft.required,
        )

    def subnet(
        self, s: dict[str, Any], path: KeyPath, sid: int, chain: list[Scope], network: NetworkDraft | None
    ) -> Subnet6 | None:
        text = s["subnet"]
        if "/" not in text:
            hint = f', like "{text.strip()}/64"' if ipv6(text) is not None else ' like "2001:db8:1::/64"'
            self.error(path + ("subnet",), f'"{text}" is not a prefix: a subnet needs a length{hint}')
            return None
        try:
            net = ipaddress.IPv6Network(text.strip(), strict=False)
        except ValueError:
            self.error(path + ("subnet",), f'"{text}" is not an IPv6 prefix like "2001:db8:1::/64"')
            return None
        if int(ipaddress.IPv6Interface(text.strip()).ip) != int(net.network_address):
            self.warning(path + ("subnet",), f'host bits are set in "{text}"; taken as {net}')
        scope = self.scope(s, path)
        chain = [*chain, scope]
        self.check_timers(chain)
        interface = self.interface_name(s, path)
        self.same_interface(interface, network, path)
        interface_id = self.interface_id(s, path)
        if network is not None:
            interface = interface or network.fields["interface"]
            interface_id = interface_id or network.fields["interface_id"]
        guard, required = self.guards(s, path)
        base = Subnet6(id=sid, network=int(net.network_address), prefix_len=net.prefixlen)
        pools = self.pools(s, path, base)
        pd_pools = self.pd_pools(s, path)
        reservations = self.reservations(s, path, base)
        relays = self.relay(s, path)
        if not relays and network is not None:
            relays = network.fields["relay_addresses"]
        return Subnet6(
            id=sid,
            network=base.network,
            prefix_len=base.prefix_len,
            pools=pools,
            pd_pools=pd_pools,
            option_data=self.option_data(s, path, self.registry),
            shared_network_option_data=network.fields["option_data"] if network is not None else (),
            reservations=reservations,
            relay_addresses=relays,
            interface=interface,
            interface_id=interface_id,
            shared_network=network.name if network is not None else None,
            client_classes=guard,
            require_client_classes=required,
            params=self.resolve(chain),
            path=format_path(path),
        )

    def pools(self, s: dict[str, Any], path: KeyPath, subnet: Subnet6) -> tuple[Pool6, ...]:
        pools: list[Pool6] = []
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
                Pool6(
                    first=first,
                    last=last,
                    option_data=self.option_data(p, item_path, self.registry),
                    client_classes=guard,
                    require_client_classes=required,
                )
            )
        self.check_pool_overlaps(spans)
        return tuple(pools)

    def pd_pools(self, s: dict[str, Any], path: KeyPath) -> tuple[PdPool6, ...]:
        """Prefix-delegation pools (Kea's Pool6 of type PD). Unlike address pools they need not lie inside
        the subnet: delegated prefixes are routed to the requesting router, not on this link."""
        out: list[PdPool6] = []
        spans: list[tuple[int, int, KeyPath, str]] = []
        for item_path, p in self.items(s, "pd-pools", path):
            pool = self.pd_pool(p, item_path)
            if pool is None:
                continue
            spans.append((pool.prefix, pool.last, item_path, pool.text))
            out.append(pool)
        self.check_pool_overlaps(spans, key="prefix")
        return tuple(out)

    def pd_pool(self, p: dict[str, Any], path: KeyPath) -> PdPool6 | None:
        address = ipv6(p["prefix"])
        if address is None:
            self.error(
                path + ("prefix",), f'"{p["prefix"]}" is not an IPv6 address (the prefix without /len)'
            )
            return None
        length, delegated = p["prefix-len"], p["delegated-len"]
        if delegated < length:
            self.error(
                path + ("delegated-len",),
                f"the delegated length ({delegated}) must be at least the prefix length ({length})",
            )
            return None
        if address != address & ~(((1 << 128) - 1) >> length):
            self.error(path + ("prefix",), f'host bits are set in "{p["prefix"]}/{length}"')
            return None
        excluded, excluded_len = 0, p.get("excluded-prefix-len", 0)
        text = p.get("excluded-prefix", "")
        if text or excluded_len:
            value = ipv6(text) if text else 0
            if value is None:
                self.error(path + ("excluded-prefix",), f'"{text}" is not an IPv6 address')
                return None
            excluded = value
            if excluded_len <= delegated:
                self.error(
                    path + ("excluded-prefix-len",),
                    f"the excluded prefix length ({excluded_len}) must be greater than the delegated length "
                    f"({delegated})",
                )
                return None
            if excluded >> (128 - delegated) != address >> (128 - delegated):
                self.error(
                    path + ("excluded-prefix",),
                    f"the excluded prefix {prefix_text(excluded, excluded_len)} is not inside the first "
                    f"delegated prefix {prefix_text(address, delegated)}",
                )
                return None
        guard, required = self.guards(p, path)
        return PdPool6(
            prefix=address,
            prefix_len=length,
            delegated_len=delegated,
            excluded_prefix=excluded,
            excluded_prefix_len=excluded_len,
            option_data=self.option_data(p, path, self.registry),
            client_classes=guard,
            require_client_classes=required,
        )

    # -- the raw document (config-get)

    def raw_document(self, g: dict[str, Any], subnets: list[Subnet6]) -> dict[str, Any]:
        raw = self.table.fill_defaults(g)
        by_path = {s.path: s for s in subnets}
        map_reservation_mode(raw)
        for net in raw.get("shared-networks", []):
            map_reservation_mode(net)
            net.setdefault("rapid-commit", False)
            net.setdefault("interface-id", "")
            for key in SHOWN_RESOLVED:
                net.setdefault(key, resolved(key, [raw, net]))
        for net_index, net in enumerate(raw.get("shared-networks", [])):
            for sub_index, s in enumerate(net.get("subnet6", [])):
                self.raw_subnet(
                    s, [raw, net], by_path[f"Dhcp6.shared-networks[{net_index}].subnet6[{sub_index}]"]
                )
            net["subnet6"].sort(key=lambda s: s["id"])
        for sub_index, s in enumerate(raw.get("subnet6", [])):
            self.raw_subnet(s, [raw], by_path[f"Dhcp6.subnet6[{sub_index}]"])
        raw["subnet6"].sort(key=lambda s: s["id"])
        for scope in _scopes_with_options(raw):
            for opt in scope.get("option-data", []):
                self.raw_option(opt)
        return raw

    def raw_subnet(self, s: dict[str, Any], parents: list[dict[str, Any]], subnet: Subnet6) -> None:
        s["id"] = subnet.id
        map_reservation_mode(s)
        show_resolved(s, parents, subnet.params, SHOWN_RESOLVED)
        if len(parents) == 1:  # Kea fills these in for subnets outside shared networks only
            s.setdefault("rapid-commit", False)
            s.setdefault("interface-id", "")
        relay = s.get("relay", {})
        if "ip-address" in relay:
            relay["ip-addresses"] = [relay.pop("ip-address")]


def _scopes_with_options(raw: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield raw
    yield from raw.get("client-classes", [])
    yield from raw.get("reservations", [])
    subnets = list(raw.get("subnet6", []))
    for net in raw.get("shared-networks", []):
        yield net
        subnets.extend(net.get("subnet6", []))
    for s in subnets:
        yield s
        yield from s.get("pools", [])
        yield from s.get("pd-pools", [])
        yield from s.get("reservations", [])
