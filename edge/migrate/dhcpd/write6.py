"""Writing a `dhcpd -6` configuration read by read6.py: the scope tree walked into a Kea-dialect `Dhcp6`.

Rules this module keeps:
- The v4 writer's rules (write.py) hold: groups copied into what they hold, hosts as global
  reservations, notes where their statements stood.
- subnet6 -> subnet6 with "pools" (range6) and "pd-pools" (prefix6: the smallest prefix holding the
  range, delegated-len the prefix6 length); a pool6's lease times move to its subnet as Kea pools have
  none, and a preferred-lifetime brings the renew (1/2) and rebind (4/5) timers dhcpd derives from it.
- A host becomes a reservation by duid (host-identifier option dhcp6.client-id) or hw-address, with
  fixed-address6 as ip-addresses and fixed-prefix6 as prefixes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from edge.migrate.common import MigrationError, Result
from edge.migrate.dhcpd.model import Model, OptSetting, Scope
from edge.migrate.dhcpd.options import OptionInfo, kea_definition
from edge.migrate.dhcpd.write import Writer
from edge.migrate.dhcpd.write_options import OptionWriter
from edge.migrate.jsonout import Comment
from edge.migrate.kea import put_data
from edge.wire import options6

__all__ = ["Writer6", "write_document6"]

KEA_PREFERRED = 3600  # Kea 2.2's preferred-lifetime when a configuration sets none
LIFETIME_KEYS = ("valid-lifetime", "min-valid-lifetime", "max-valid-lifetime", "preferred-lifetime")


def with_timers(obj: dict[str, Any], preferred: int) -> None:
    obj["preferred-lifetime"] = preferred
    obj["renew-timer"] = preferred // 2
    obj["rebind-timer"] = preferred * 4 // 5


class OptionWriter6(OptionWriter):
    TOP_SPACE = "dhcp6"
    standard_def = staticmethod(options6.by_code)

    def kea_space(self, space: str) -> str:
        if space in self.model.vendor_spaces:
            return f"vendor-{self.model.vendor_spaces[space]}"
        return space

    def option_list(self, scope: Scope, extra: list[Scope]) -> list[Any]:
        out = super().option_list(scope, extra)
        for i, entry in enumerate(out):
            if isinstance(entry, dict) and entry.get("space") == "dhcp4" and entry.get("code") == 125:
                # an option in a vendor (vsio) space travels in vendor-opts (17) in DHCPv6
                out[i] = {"space": "dhcp6", "name": "vendor-opts", "code": 17, "data": entry["data"]}
        return out

    def expr_space(self, info: OptionInfo) -> tuple[str, int | None]:
        if info.space == "dhcp6":
            return "top", None
        return super().expr_space(info)

    def kea_def(self, info: OptionInfo) -> Any:
        if self.is_standard(info):
            return options6.by_code(info.code)
        mapped = kea_definition(info.dtype)
        if mapped is None:
            return None
        kind, array, record = mapped
        try:
            return options6.make_def(
                info.code, info.name, info.space, kind, array, record, info.dtype.encapsulate
            )
        except ValueError:
            return None

    def option_entry(self, setting: OptSetting) -> dict[str, Any]:
        info = setting.info
        defn = self.kea_def(info)
        std = self.is_standard(info)
        entry: dict[str, Any] = {"space": self.kea_space(info.space)}
        entry["name"] = defn.name if defn is not None and std else info.name
        entry["code"] = info.code
        if defn is not None and defn.type == "empty" and not setting.payload:
            entry["data"] = ""
            return entry
        put_data(entry, defn, setting.payload, setting.as_hex or (std and info.line is not None))
        return entry


class Writer6(Writer):
    def __init__(self, model: Model, interfaces: Iterable[str] = (), local6: Iterable[Any] = ()) -> None:
        super().__init__(model, interfaces)
        self.options = OptionWriter6(model)
        self.local6 = list(local6)

    def apply_params(self, obj: dict[str, Any], params: dict[str, tuple[Any, int]], kind: str) -> None:
        preferred = params.get("preferred-lifetime")
        rest = {k: v for k, v in params.items() if k != "preferred-lifetime"}
        super().apply_params(obj, rest, kind)
        if preferred is not None and kind in ("root", "shared", "subnet"):
            with_timers(obj, preferred[0])

    def build(self) -> Result:
        result = super().build()
        d = result.document.pop("Dhcp4")
        if "subnet4" in d:
            d["subnet6"] = d.pop("subnet4")
        for net in d.get("shared-networks", []):
            if "subnet4" in net:
                net["subnet6"] = net.pop("subnet4")
        if self.reservations_out:
            d["host-reservation-identifiers"] = [
                k
                for k in ("duid", "hw-address")
                if any(isinstance(r, dict) and k in r for r in self.reservations_out)
            ]
        self.dhcpd_preferred(d, KEA_PREFERRED)
        result.document["Dhcp6"] = d
        result.header[0] = result.header[0].replace("migrate dhcpd", "migrate dhcpd -6")
        return result

    def walk(self, scope: Scope, subnets: list[dict[str, Any]]) -> None:
        for item in scope.items:
            if isinstance(item, Scope) and item.kind == "shared":
                only = self.subnets_of(item)
                pools = [s for s in item.items if isinstance(s, Scope) and s.kind == "pool"]
                if len(only) == 1 and not pools:
                    subnets.append(self.lone_subnet(item, only[0]))
                    continue
            self.walk_one(item, subnets)

    def walk_one(self, item: Any, subnets: list[dict[str, Any]]) -> None:
        holder = Scope("group", 0, None, items=[item])
        super().walk(holder, subnets)

    def lone_subnet(self, network: Scope, subnet: Scope) -> dict[str, Any]:
        """A shared network of one subnet is that subnet (as keama writes it): the network's interface,
        options and parameters go to the subnet, under its own."""
        obj = self.subnet_out(subnet)
        self.place(obj, network)
        groups = network.groups()
        if network.interface and "interface" not in obj:
            obj["interface"] = network.interface
        inherited = self.options.option_list(network, groups)
        own = {(o.get("space"), o.get("code")) for o in obj.get("option-data", []) if isinstance(o, dict)}
        extra = [
            o for o in inherited if not isinstance(o, dict) or (o.get("space"), o.get("code")) not in own
        ]
        if extra:
            obj.setdefault("option-data", []).extend(extra)
        params: dict[str, Any] = {}
        self.apply_params(params, self.merged_params(network, groups), "subnet")
        for key, value in params.items():
            obj.setdefault(key, value)
        return obj

    def dhcpd_preferred(self, obj: dict[str, Any], inherited: int) -> None:
        """dhcpd -6 sends a preferred lifetime of 5/8 the valid one unless one is set below it; Kea would
        send its own default (3600) even above a shorter valid lifetime. So where a valid-lifetime is set
        and the preferred lifetime in force is not below it, dhcpd's is written."""
        preferred = obj.get("preferred-lifetime", inherited)
        valid = obj.get("valid-lifetime")
        if valid is not None and preferred >= valid and "preferred-lifetime" not in obj:
            obj[Comment("dhcpd -6 sends 5/8 of the valid lifetime as the preferred one")] = None
            obj["preferred-lifetime"] = preferred = valid // 2 + valid // 8
        for key in ("shared-networks", "subnet6"):
            for child in obj.get(key, []):
                if isinstance(child, dict):
                    self.dhcpd_preferred(child, preferred)

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
        self.pools6(obj, scope, scope, [])
        self.walk(scope, [])
        if scope.interface:
            obj["interface"] = scope.interface
        elif scope.declared_in().kind != "shared" or not scope.declared_in().interface:
            self.tie_to_interface(obj, scope)
        return obj

    def tie_to_interface(self, obj: dict[str, Any], scope: Scope) -> None:
        """dhcpd -6 serves a subnet6 on the interface that has an address in it; Kea serves a directly
        connected client only from a subnet naming its interface. So a subnet with an address of one of
        the interfaces served (-i, or `interface` statements) on this machine gets that interface."""
        served = set(self.extra_interfaces + self.model.interfaces)
        names = sorted(
            {n for n, i in self.local6 if n in served and scope.network is not None and i.ip in scope.network}
        )
        if len(names) == 1:
            obj[Comment(f"{names[0]} has an address in this subnet here: dhcpd -6 serves it there")] = None
            obj["interface"] = names[0]

    def pools6(self, kea: dict[str, Any], subnet: Scope, scope: Scope, options: list[Any]) -> None:
        assert subnet.network is not None
        for text, line, _temporary in scope.ranges6:
            first = text.split(" - ")[0].split("/")[0]
            last = text.split(" - ")[-1].split("/")[0]
            for a in (first, last):
                if ipaddress.IPv6Address(a) not in subnet.network:
                    raise MigrationError(
                        self.model.source, line, f"range6 {text} is not within subnet {subnet.network}"
                    )
            pool: dict[str, Any] = {}
            if scope is not subnet:
                self.place(pool, scope)
                if options or scope.option_notes:
                    pool["option-data"] = options
            pool["pool"] = text
            kea.setdefault("pools", []).append(pool)
            self.pools_out.append((pool, scope))
        for prefix, length, delegated, _line in scope.prefixes6:
            pd: dict[str, Any] = {"prefix": prefix, "prefix-len": length, "delegated-len": delegated}
            if scope is not subnet and (options or scope.option_notes):
                pd["option-data"] = options
            kea.setdefault("pd-pools", []).append(pd)

    def pool_out(self, scope: Scope) -> None:
        owner = scope.declared_in()
        if owner.kind != "subnet":
            candidates = [s for s in self.subnets_of(owner) if s.network is not None]
            target = next(
                (
                    s
                    for s in candidates
                    if any(
                        ipaddress.IPv6Address(t.split(" - ")[0].split("/")[0]) in s.network  # type: ignore[operator]
                        for t, _l, _t in scope.ranges6
                    )
                    or any(ipaddress.IPv6Address(p) in s.network for p, *_ in scope.prefixes6)  # type: ignore[operator]
                ),
                None,
            )
            if target is None:
                line = (scope.ranges6 or [("", scope.line, False)])[0][1]
                raise MigrationError(
                    self.model.source, line, "pool6 is not within any subnet of this network"
                )
            owner = target
        kea = self.kea_objects[id(owner)]
        options = self.options.option_list(scope, [])
        self.pools6(kea, owner, scope, options)
        for key in LIFETIME_KEYS:
            if key in scope.params:
                value, pline = scope.params[key]
                if key not in kea:
                    kea[Comment(f"{key} moved from a pool6 (line {pline}): Kea pools have none")] = None
                    if key == "preferred-lifetime":
                        with_timers(kea, value)
                    else:
                        kea[key] = value
                elif kea[key] != value:
                    n = self.model.add_note(
                        pline,
                        f"{key} {value} in a pool6",
                        "Kea pools have no lease times and the subnet has its own",
                    )
                    kea[n.comment()] = None
        if not scope.ranges6 and not scope.prefixes6:
            n = self.model.add_note(scope.line, "pool6 without a range6 or prefix6", "nothing to allocate")
            kea[n.comment()] = None

    def reservation(self, scope: Scope) -> list[Any]:
        groups = scope.groups()
        params = self.merged_params(scope, groups)
        obj: dict[str, Any] = {}
        self.place(obj, scope)
        if scope.duid is not None:
            obj["duid"] = scope.duid.hex(":")
        elif scope.hw:
            obj["hw-address"] = scope.hw
        else:
            n = self.model.add_note(
                scope.line,
                f"host {scope.name}",
                "it has no host-identifier option dhcp6.client-id or hardware address, so no client can match it",
            )
            return [n.comment()]
        use_names = any(s.params.get("use-host-decl-names", (False, 0))[0] for s in scope.chain())
        if "hostname" in params:
            obj["hostname"] = params["hostname"][0]
        elif use_names:
            obj["hostname"] = scope.name
        if scope.fixed6:
            obj["ip-addresses"] = scope.fixed6
        if scope.fixed_prefixes6:
            obj["prefixes"] = scope.fixed_prefixes6
        options = self.options.option_list(scope, groups)
        if options or scope.option_notes:
            obj["option-data"] = options
        if not any(k in obj for k in ("ip-addresses", "prefixes", "hostname", "option-data")):
            obj[Comment("a host with nothing to give but being known (allow/deny known-clients)")] = None
            obj["client-classes"] = ["KNOWN"]
        return [obj]


def write_document6(model: Model, interfaces: Iterable[str] = (), local6: Iterable[Any] = ()) -> Result:
    """The Kea Dhcp6 document for a configuration read by read6.Reader6, with its notes."""
    return Writer6(model, interfaces, local6).build()
