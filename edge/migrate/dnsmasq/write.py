"""Writing the Kea document from a dnsmasq model: subnets, classes in dependency order, reservations.

Rules this module keeps:
- dnsmasq's run-time defaults are written out: its own address (from this machine's interfaces, `local`,
  when one lies in the subnet) as router, DNS server and next-server unless the configuration gives
  them, and wherever `0.0.0.0` stood in an option; the broadcast address; the one-hour default lease.
  Where no local address lies in the subnet, the default cannot be written: a note says so.
- Classes are written so that each is defined before a test names it (Kea evaluates them in order); a
  subnet's tag that nothing else uses needs no class. dhcp-ignore and dhcp-host ...,ignore become DROP.
- A reservation goes into the subnet its address lies in, wherever its dhcp-host stood; one whose address
  is in no subnet is dropped with a note (dnsmasq ignores it too); one without an address is global.
- Directives that are not about DHCP are listed in one note: edge-dhcp is a DHCP server only.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from edge.migrate.common import Result
from edge.migrate.dnsmasq.model import Model, Subnet, TagClass
from edge.migrate.dnsmasq.options import option_entry
from edge.migrate.dnsmasq.syntax import Directive
from edge.migrate.jsonout import Comment

__all__ = ["Writer", "write_document"]


class Writer:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.own_noted: set[int] = set()  # id() of the own-address entries already noted

    def own_address(self, network: ipaddress.IPv4Network) -> str | None:
        for ifname, iface in self.model.local:
            if iface.ip in network and (not self.model.interfaces or ifname in self.model.interfaces):
                return str(iface.ip)
        return None

    def resolve_own(
        self, entry: dict[str, Any], network: ipaddress.IPv4Network | None
    ) -> dict[str, Any] | None:
        if "own-address" not in entry:
            return entry
        d: Directive = entry["directive"]
        own = self.own_address(network) if network is not None else None
        if own is None:
            if id(entry) not in self.own_noted:
                self.own_noted.add(id(entry))
                self.model.note(
                    d,
                    "0.0.0.0 means dnsmasq's own address, and no interface of this machine is "
                    "in the subnet: write the address",
                )
            return None
        values = [own if v == "0.0.0.0" else v for v in entry["own-address"]]
        return option_entry(self.model, d, entry["code"], values)

    def build(self) -> Result:
        d4: dict[str, Any] = {}
        for item in self.model.items:
            d4[item if isinstance(item, Comment) else Comment(str(item))] = None
        if self.model.not_dhcp:
            names = sorted({x.name for x in self.model.not_dhcp})
            where = ", ".join(f"{x.name} (line {x.line})" for x in self.model.not_dhcp[:12])
            more = f" and {len(self.model.not_dhcp) - 12} more" if len(self.model.not_dhcp) > 12 else ""
            n = self.model.add_note(
                self.model.not_dhcp[0].line,
                f"{len(self.model.not_dhcp)} directive(s) that are not about DHCP: {where}{more}",
                "edge-dhcp is a DHCP server only; keep dnsmasq (with dhcp-range removed) or another "
                "server for " + ", ".join(names[:8]) + ("..." if len(names) > 8 else ""),
            )
            d4[n.comment()] = None
        if self.model.interfaces:
            d4["interfaces-config"] = {"interfaces": list(self.model.interfaces)}
        elif self.model.subnets:
            d4[
                Comment(
                    "dnsmasq serves every interface unless told otherwise; Kea and edge-dhcp need them",
                    'listed: add "interfaces-config": {"interfaces": [...]}, or rerun with -i.',
                )
            ] = None
        for key, value in self.model.params.items():
            d4[key] = value
        d4["valid-lifetime"] = 3600  # dnsmasq's default lease time; each subnet says its own
        self.write_boot_globals(d4)
        options = [self.resolve_own(o, None) for o in self.model.global_options if "own-address" not in o]
        options = [o for o in options if o is not None]
        for o in self.model.global_options:
            if "own-address" in o:
                for s in self.model.subnets.values():
                    r = self.resolve_own(o, s.network)
                    if r is not None:
                        s.options.append(r)
        for domain, network, _line in self.model.domains:
            if network is None and 15 not in self.model.option_codes and 15 not in self.model.suppressed:
                options.append({"space": "dhcp4", "name": "domain-name", "code": 15, "data": domain})
        if options:
            d4["option-data"] = options
        classes = self.class_list()
        if classes:
            d4["client-classes"] = classes
        subnets = [self.subnet_out(s) for s in self.model.subnets.values()]
        self.place_global_reservations()
        if subnets:
            d4["subnet4"] = subnets
        if self.model.global_reservations:
            d4["reservations-global"] = True
            d4["reservations"] = self.model.global_reservations
        if self.model.multi_ip:
            d4[Comment("dnsmasq lets several hardware addresses share one reserved address")] = None
            d4["ip-reservations-unique"] = False
        header = [f"Converted from dnsmasq configuration {self.model.source} by edge-dhcp migrate dnsmasq."]
        return Result({"Dhcp4": d4}, self.model.notes, header)

    def write_boot_globals(self, d4: dict[str, Any]) -> None:
        for key in ("boot-file-name", "server-hostname"):
            if key in self.model.boot:
                d4[key] = self.model.boot[key]

    def place_global_reservations(self) -> None:
        keep = []
        for r in self.model.global_reservations:
            ip = r.get("ip-address") if isinstance(r, dict) else None
            subnet = next(
                (s for s in self.model.subnets.values() if ip and ipaddress.IPv4Address(ip) in s.network),
                None,
            )
            if subnet is not None:
                subnet.reservations.append(r)
            elif ip:
                n = self.model.add_note(
                    self.model.reservation_lines.get(id(r)),
                    f"dhcp-host for {ip}",
                    "the address is in no dhcp-range's subnet (dnsmasq ignores such hosts too)",
                )
                keep.append(n.comment())
            else:
                keep.append(r)
        self.model.global_reservations = keep if any(isinstance(r, dict) for r in keep) else []

    def subnet_out(self, s: Subnet) -> dict[str, Any]:
        obj: dict[str, Any] = {"id": s.id, "subnet": str(s.network)}
        for item in s.items:
            obj[item] = None
        if s.lease is not None:
            obj["valid-lifetime"] = s.lease  # dnsmasq never gives more; Kea's maximum defaults to it
        options = list(s.options)
        codes = {o.get("code") for o in options if isinstance(o, dict)} | set(self.model.option_codes)
        own = self.own_address(s.network)
        for code, name in ((3, "routers"), (6, "domain-name-servers")):
            if code in codes or code in self.model.suppressed or (code == 6 and not self.model.dns_enabled):
                continue
            if any(
                code in {o.get("code") for o in c.options if isinstance(o, dict)}
                for c in self.model.tags.values()
            ):
                continue
            if own is not None:
                obj[Comment(f"dnsmasq sends its own address as {name} unless told otherwise")] = None
                options.append({"space": "dhcp4", "name": name, "code": code, "data": own})
            else:
                n = self.model.add_note(
                    s.line,
                    f"the default {name} of {s.network}",
                    "dnsmasq sends its own "
                    "address; no interface of this machine is in the subnet, so it cannot be written "
                    "here: add the option",
                )
                obj[n.comment()] = None
        if 28 not in codes and 28 not in self.model.suppressed:
            options.append(
                {
                    "space": "dhcp4",
                    "name": "broadcast-address",
                    "code": 28,
                    "data": s.broadcast or str(s.network.broadcast_address),
                }
            )
        for domain, network, _line in self.model.domains:
            if network is not None and (network.subnet_of(s.network) or s.network.subnet_of(network)):
                if 15 not in codes:
                    options.append({"space": "dhcp4", "name": "domain-name", "code": 15, "data": domain})
        if options:
            obj["option-data"] = options
        boot = {**self.model.boot, **s.boot}
        if boot.get("next-server"):
            obj["next-server"] = boot["next-server"]
        elif own is not None:
            obj[
                Comment("dnsmasq puts its own address in siaddr (next-server) unless dhcp-boot names one")
            ] = None
            obj["next-server"] = own
        elif "next-server" in boot:
            n = self.model.add_note(
                self.model.boot_line or s.line,
                f"the TFTP server of {s.network}",
                "dnsmasq uses its own address; no interface of this machine is in the subnet",
            )
            obj[n.comment()] = None
        for key in ("boot-file-name", "server-hostname"):
            if key in s.boot:
                obj[key] = s.boot[key]
        if s.pools:
            obj["pools"] = s.pools
        if s.reservations:
            obj["reservations"] = s.reservations
        return obj

    def class_list(self) -> list[Any]:
        out: list[Any] = []
        done: set[str] = set()
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in done or name in visiting or name not in self.model.tags:
                return
            visiting.add(name)
            cls = self.model.tags[name]
            for dep in sorted(cls.depends):
                visit(dep)
            for dep in (t for t in _members(" ".join(cls.conditions)) if t != name):
                visit(dep)
            visiting.discard(name)
            done.add(name)
            out.append(self.class_out(cls))

        range_tags = {t for s in self.model.subnets.values() for t in s.tags}
        for name in list(self.model.tags):
            if (
                name in range_tags
                and not self.model.tags[name].conditions
                and not self.model.tags[name].options
                and not self.model.tags[name].referenced
                and not self.model.tags[name].params
            ):
                continue  # a subnet's tag that nothing else uses: no class needed
            visit(name)
        if self.model.drop:
            test = " or ".join(f"({t})" if len(self.model.drop) > 1 else t for t in self.model.drop)
            out.append(
                {
                    Comment("dhcp-ignore and dhcp-host ...,ignore: clients Kea must not answer"): None,
                    "name": "DROP",
                    "test": test,
                }
            )
        return out

    def class_out(self, cls: TagClass) -> dict[str, Any]:
        obj: dict[str, Any] = {"name": cls.name}
        for item in cls.items:
            obj[item] = None
        range_subnets = [s for s in self.model.subnets.values() if cls.name in s.tags]
        if range_subnets and (cls.referenced or cls.conditions):
            n = self.model.add_note(
                range_subnets[0].line,
                f"tag {cls.name}",
                "set by a dhcp-range: Kea 2.2 expressions cannot test the subnet, so other directives "
                "that test this tag see it unset",
            )
            obj[n.comment()] = None
        if cls.conditions:
            conditions = list(dict.fromkeys(cls.conditions))
            obj["test"] = " or ".join(f"({c})" if len(conditions) > 1 else c for c in conditions)
        elif cls.name in self.model.interfaces:
            obj["test"] = f"pkt.iface == '{cls.name}'"
            obj[Comment("dnsmasq tags each request with the name of the interface it came in on")] = None
        elif not cls.params.get("from-host") and "valid-lifetime" not in cls.params:
            obj[Comment("nothing sets this tag, so no client is in this class")] = None
        if cls.options:
            resolved = [self.resolve_own(o, self.only_network()) for o in cls.options]
            obj["option-data"] = [o for o in resolved if o is not None]
        for key in ("valid-lifetime", "boot-file-name", "server-hostname"):
            if key in cls.params:
                obj[key] = cls.params[key]
        if "next-server" in cls.params:
            address = cls.params["next-server"] or self.own_for_all()
            if address:
                obj["next-server"] = address
            else:
                n = self.model.add_note(
                    cls.params.get("line"),
                    f"the TFTP server for tag {cls.name}",
                    "dnsmasq uses its own address, which is not the same in every subnet (or no "
                    "interface of this machine is in them): write it out",
                )
                obj[n.comment()] = None
        return obj

    def only_network(self) -> ipaddress.IPv4Network | None:
        return next(iter(self.model.subnets)) if len(self.model.subnets) == 1 else None

    def own_for_all(self) -> str | None:
        found = {self.own_address(n) for n in self.model.subnets}
        return found.pop() if len(found) == 1 and None not in found else None


def write_document(model: Model) -> Result:
    """The Kea document for a configuration read (read.read_directives), with its notes."""
    return Writer(model).build()


def _members(test: str) -> list[str]:
    return re.findall(r"member\('([^']*)'\)", test)
