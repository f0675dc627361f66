"""Writing the Kea document: the scope tree (model.py) walked once into a Kea-dialect `Dhcp4`.

Rules this module keeps:
- dhcpd parameters apply to everything declared inside their scope; Kea inherits only global -> shared
  network -> subnet -> pool. So a group's parameters and options are copied into each declaration inside
  it (the declaration's own win), a superclass's into each of its subclasses.
- dhcpd hosts are global whatever block they sit in: they become global reservations. A reservation
  gets the host's declaration name only with use-host-decl-names (dhcpd sends no name otherwise).
- Pools: ranges are checked against their subnet (dhcpd refuses a range outside it, and so does this);
  a pool in a shared network goes to the subnet its range lies in; lease times, which Kea pools lack,
  move to the subnet; permits become one client-class guard (guards.py).
- Everything the reader noted is written where it stood, and the writer's own notes likewise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from edge.migrate.common import MigrationError, Note, Result, Untranslatable
from edge.migrate.dhcpd import expr as ex
from edge.migrate.dhcpd.guards import PoolGuards
from edge.migrate.dhcpd.model import KEA_SCOPE_KEYS, Model, Scope
from edge.migrate.dhcpd.options import IPV4
from edge.migrate.dhcpd.write_options import OptionWriter
from edge.migrate.jsonout import Comment

__all__ = ["Writer", "write_document"]


class Writer:
    def __init__(self, model: Model, interfaces: Iterable[str] = ()) -> None:
        self.model = model
        self.extra_interfaces = list(interfaces)  # from the command line (-i), as dhcpd takes them
        self.options = OptionWriter(model)
        self.guards = PoolGuards(model)
        self.subnets_out: list[dict[str, Any]] = []
        self.networks_out: list[dict[str, Any]] = []
        self.classes_out: list[Any] = []
        self.reservations_out: list[Any] = []
        self.pools_out: list[tuple[dict[str, Any], Scope]] = []
        self.kea_objects: dict[int, dict[str, Any]] = {}  # id(subnet or shared scope) -> its Kea object

    def merged_params(self, scope: Scope, extra: list[Scope]) -> dict[str, tuple[Any, int]]:
        out = dict(scope.params)
        for source in extra:
            for key, value in source.params.items():
                out.setdefault(key, value)
        return out

    def place(self, obj: dict[str, Any], scope: Scope) -> None:
        """Comments and notes that stand in a scope go into its Kea object, in order."""
        for item in scope.items:
            if isinstance(item, Note):
                obj[item.comment()] = None
            elif isinstance(item, Comment):
                obj[item] = None

    def apply_params(self, obj: dict[str, Any], params: dict[str, tuple[Any, int]], kind: str) -> None:
        allowed = KEA_SCOPE_KEYS.get(kind)
        for key, (value, _line) in params.items():
            if key in ("use-host-decl-names", "unknown-clients", "known-clients", "hostname"):
                continue
            if allowed is not None and key not in allowed:
                continue
            obj[key] = value

    def build(self) -> Result:
        d4: dict[str, Any] = {}
        self.place(d4, self.model.root)
        self.apply_params(d4, self.model.root.params, "root")
        self.walk(self.model.root, self.subnets_out)
        for pool, scope in self.pools_out:
            self.guards.guard(pool, scope)
        interfaces = list(dict.fromkeys(self.extra_interfaces + self.model.interfaces))
        if interfaces:
            d4["interfaces-config"] = {"interfaces": interfaces}
        elif self.subnets_out or self.networks_out:
            d4[
                Comment(
                    "This configuration declares subnets but no interfaces: dhcpd took them from its",
                    'command line. Add "interfaces-config": {"interfaces": [...]}, or rerun with -i.',
                )
            ] = None
        defs = [self.options.definition(info) for info in self.model.definitions]
        defs = [d for d in defs if d is not None]
        if defs:
            d4["option-def"] = defs
        options = self.options.option_list(self.model.root, [])
        if options or self.model.root.option_notes:
            d4["option-data"] = options
        classes = self.classes_out + list(self.guards.generated.values())
        if classes:
            d4["client-classes"] = classes
        if self.networks_out:
            d4["shared-networks"] = self.networks_out
        if self.subnets_out:
            d4["subnet4"] = self.subnets_out
        if self.reservations_out:
            d4["host-reservation-identifiers"] = [
                k
                for k in ("circuit-id", "client-id", "hw-address")
                if any(isinstance(r, dict) and k in r for r in self.reservations_out)
            ]
            d4[
                Comment(
                    "dhcpd hosts are global: they become global reservations (reservations-global), "
                    "as keama's",
                    'reservation-mode "global" did; Kea 2.x spells it with these two flags.',
                )
            ] = None
            d4["reservations-global"] = True
            d4["reservations-in-subnet"] = False
            d4["reservations"] = self.reservations_out
        header = [f"Converted from ISC dhcpd configuration {self.model.source} by edge-dhcp migrate dhcpd."]
        return Result({"Dhcp4": d4}, self.model.notes, header)

    def walk(self, scope: Scope, subnets: list[dict[str, Any]]) -> None:
        for item in scope.items:
            if not isinstance(item, Scope):
                continue
            if item.kind == "group":
                self.walk(item, subnets)
            elif item.kind == "shared":
                self.networks_out.append(self.network(item))
            elif item.kind == "subnet":
                subnets.append(self.subnet_out(item))
            elif item.kind == "host":
                self.reservations_out.extend(self.reservation(item))
            elif item.kind in ("class", "subclass"):
                self.classes_out.append(self.class_out(item))
            elif item.kind == "pool":
                self.pool_out(item)

    def network(self, scope: Scope) -> dict[str, Any]:
        obj: dict[str, Any] = {"name": scope.name}
        self.place(obj, scope)
        groups = scope.groups()
        subnets: list[dict[str, Any]] = []
        self.kea_objects[id(scope)] = obj
        obj["subnet4"] = subnets
        self.walk(scope, subnets)
        if scope.interface:
            obj["interface"] = scope.interface
        options = self.options.option_list(scope, groups)
        if options or scope.option_notes:
            obj["option-data"] = options
        self.apply_params(obj, self.merged_params(scope, groups), "shared")
        return obj

    def subnet_out(self, scope: Scope) -> dict[str, Any]:
        assert scope.network is not None
        obj: dict[str, Any] = {"id": scope.subnet_id, "subnet": str(scope.network)}
        self.kea_objects[id(scope)] = obj
        self.place(obj, scope)
        groups = scope.groups()
        self.apply_params(obj, self.merged_params(scope, groups), "subnet")
        options = self.options.option_list(scope, groups)
        if options or scope.option_notes:
            obj["option-data"] = options
        for low, high, line in scope.ranges:
            pool = {"pool": f"{ipaddress.IPv4Address(low)} - {ipaddress.IPv4Address(high)}"}
            self.check_in_subnet(scope, low, high, line)
            obj.setdefault("pools", []).append(pool)
            self.pools_out.append((pool, scope))
        self.walk(scope, [])
        if scope.interface:
            obj["interface"] = scope.interface
        return obj

    def check_in_subnet(self, subnet: Scope, low: int, high: int, line: int) -> None:
        assert subnet.network is not None
        net = subnet.network
        if not (int(net.network_address) <= low and high <= int(net.broadcast_address)):
            raise MigrationError(
                self.model.source,
                line,
                f"range {ipaddress.IPv4Address(low)} {ipaddress.IPv4Address(high)} is not "
                f"within subnet {net}",
            )

    def pool_out(self, scope: Scope) -> None:
        owner = scope.declared_in()
        candidates: list[Scope] = []
        if owner.kind == "subnet":
            candidates = [owner]
            network = owner.declared_in()
            if network.kind == "shared":
                candidates += [s for s in self.subnets_of(network) if s is not owner]
        elif owner.kind == "shared":
            candidates = self.subnets_of(owner)
        options = self.options.option_list(scope, [])
        for low, high, line in scope.ranges:
            target = next(
                (
                    s
                    for s in candidates
                    if s.network is not None
                    and int(s.network.network_address) <= low
                    and high <= int(s.network.broadcast_address)
                ),
                None,
            )
            kea = self.kea_objects.get(id(target)) if target is not None else None
            if kea is None:
                raise MigrationError(
                    self.model.source,
                    line,
                    f"range {ipaddress.IPv4Address(low)} {ipaddress.IPv4Address(high)} is "
                    "not within any subnet of this network",
                )
            pool: dict[str, Any] = {}
            self.place(pool, scope)
            if options or scope.option_notes:
                pool["option-data"] = options
            pool["pool"] = f"{ipaddress.IPv4Address(low)} - {ipaddress.IPv4Address(high)}"
            kea.setdefault("pools", []).append(pool)
            self.pools_out.append((pool, scope))
            for key in ("valid-lifetime", "min-valid-lifetime", "max-valid-lifetime"):
                if key in scope.params:
                    value, pline = scope.params[key]
                    if key not in kea:
                        kea[Comment(f"{key} moved from a pool (line {pline}): Kea pools have none")] = None
                        kea[key] = value
                    elif kea[key] != value:
                        n = self.model.add_note(
                            pline,
                            f"{key} {value} in a pool",
                            "Kea pools have no lease times and the subnet has its own",
                        )
                        pool[n.comment()] = None
        if not scope.ranges:
            n = self.model.add_note(
                scope.line, "pool without a range", "a Kea pool is a range; nothing to allocate"
            )
            if id(owner) in self.kea_objects:
                self.kea_objects[id(owner)][n.comment()] = None

    def subnets_of(self, network: Scope) -> list[Scope]:
        out = []
        for item in network.items:
            if isinstance(item, Scope):
                if item.kind == "subnet":
                    out.append(item)
                elif item.kind == "group":
                    out.extend(self.subnets_of(item))
        return out

    def reservation(self, scope: Scope) -> list[Any]:
        out: list[Any] = []
        groups = scope.groups()
        params = self.merged_params(scope, groups)
        obj: dict[str, Any] = {}
        self.place(obj, scope)
        use_names = next(
            (s.params["use-host-decl-names"][0] for s in scope.chain() if "use-host-decl-names" in s.params),
            False,
        )
        # dhcpd gives a host its declaration's name only with use-host-decl-names (keama always writes it,
        # but Kea sends a reservation's hostname to clients that ask for option 12, which dhcpd does not).
        if "hostname" in params:
            obj["hostname"] = params["hostname"][0]
        elif use_names:
            obj["hostname"] = scope.name
        if scope.hw:
            obj["hw-address"] = scope.hw
        if scope.client_id is not None:
            obj["client-id"] = scope.client_id.hex(":") if scope.client_id else ""
        if scope.circuit_id is not None:
            obj["circuit-id"] = scope.circuit_id.hex(":")
        if not (scope.hw or scope.client_id or scope.circuit_id):
            n = self.model.add_note(
                scope.line,
                f"host {scope.name}",
                "it has no hardware address, client identifier or circuit-id, so no client can match it",
            )
            return [n.comment()]
        addresses = []
        for text in scope.fixed:
            if IPV4.match(text):
                addresses.append(text)
            else:
                n = self.model.add_note(
                    scope.line,
                    f"fixed-address {text} of host {scope.name}",
                    f"{text} is a host name: dhcpd looks it up in DNS when it starts; give the address",
                )
                obj[n.comment()] = None
        if addresses:
            obj["ip-address"] = addresses[0]
            if len(addresses) > 1:
                n = self.model.add_note(
                    scope.line,
                    f"fixed-address {', '.join(addresses)} of host {scope.name}",
                    "a Kea reservation holds one address; the first one was kept",
                )
                obj[n.comment()] = None
        options = self.options.option_list(scope, groups)
        if use_names and not any(isinstance(o, dict) and o.get("code") == 12 for o in options):
            options.append({"space": "dhcp4", "name": "host-name", "code": 12, "data": scope.name})
        if options or scope.option_notes:
            obj["option-data"] = options
        self.apply_params(obj, params, "host")
        for key in params:
            if key not in KEA_SCOPE_KEYS["host"] and key not in (
                "use-host-decl-names",
                "hostname",
                "unknown-clients",
                "known-clients",
            ):
                line = params[key][1]
                n = self.model.add_note(
                    line,
                    f"{key} for host {scope.name}",
                    "a Kea reservation takes only options, next-server, boot-file-name and server-hostname",
                )
                obj[n.comment()] = None
        if not any(
            k in obj
            for k in (
                "ip-address",
                "hostname",
                "option-data",
                "next-server",
                "boot-file-name",
                "server-hostname",
            )
        ):
            # Kea wants every reservation to give something; what a bare dhcpd host gives is "known".
            obj[Comment("a host with nothing to give but being known (allow/deny known-clients)")] = None
            obj["client-classes"] = ["KNOWN"]
        out.append(obj)
        return out

    def class_out(self, scope: Scope) -> Any:
        obj: dict[str, Any] = {}
        groups = scope.groups()
        if scope.kind == "subclass":
            sup = scope.superclass
            assert sup is not None and sup.match is not None and scope.selector is not None
            obj["name"] = f"sub#{sup.name}#{scope.subclasses}"
            self.place(obj, scope)
            try:
                match = ex.to_kea(sup.match, self.options.expr_space)
                test = f"{match} == {ex.to_kea(scope.selector)}"
                if sup.match_if is not None:
                    test = f"({ex.to_kea(sup.match_if, self.options.expr_space)}) and ({test})"
                obj[Comment(f"subclass of {sup.name}, selector {ex.describe(scope.selector)}")] = None
                obj["test"] = test
            except Untranslatable as u:
                n = self.model.add_note(
                    scope.line, f"subclass {sup.name} {ex.describe(scope.selector)}", u.why
                )
                obj[n.comment()] = None
            extra = [sup, *groups]
        else:
            obj["name"] = scope.name
            self.place(obj, scope)
            if scope.match is not None:
                obj[Comment(f"match: {ex.describe(scope.match)} (see the sub# classes)")] = None
            if scope.match_if is not None:
                try:
                    obj["test"] = ex.to_kea(scope.match_if, self.options.expr_space)
                except Untranslatable as u:
                    n = self.model.add_note(scope.line, f"match if {ex.describe(scope.match_if)}", u.why)
                    obj[n.comment()] = None
            extra = groups
        vendor_space = scope.vendor_space or next((s.vendor_space for s in extra if s.vendor_space), "")
        if vendor_space:
            obj["option-def"] = [
                {
                    "name": "vendor-encapsulated-options",
                    "code": 43,
                    "type": "empty",
                    "encapsulate": self.options.kea_space(vendor_space),
                }
            ]
        options = self.options.option_list(scope, extra)
        if vendor_space:
            options.insert(0, {"name": "vendor-encapsulated-options", "code": 43})
        if options or scope.option_notes:
            obj["option-data"] = options
        params = self.merged_params(scope, extra)
        self.apply_params(obj, params, "class")
        for key, (_value, line) in params.items():
            if key not in KEA_SCOPE_KEYS["class"] and key not in ("use-host-decl-names",):
                n = self.model.add_note(
                    line,
                    f"{key} in class {scope.name}",
                    "a Kea class takes only options, lease times, next-server, boot-file-name and "
                    "server-hostname",
                )
                obj[n.comment()] = None
        return obj


def write_document(model: Model, interfaces: Iterable[str] = ()) -> Result:
    """The Kea document for a configuration read (read.read_statements), with its notes."""
    return Writer(model, interfaces).build()
