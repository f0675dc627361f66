"""Reading a dnsmasq configuration: each directive, in file order, interpreted at once into the model.

Rules this module keeps:
- Input dnsmasq refuses ("bad option", a malformed dhcp-range) is refused with `FILE line N: message`,
  the first error only; a directive without a handler is looked up in keywords.py's tables.
- dnsmasq fills in things at run time from the machine it runs on: the netmask of a range from the
  interface it sits on (taken here from this machine's addresses, `local`, when one lies in the range's
  network; otherwise guessed from the address class, as dnsmasq does, with a note), and its own address
  as router, DNS server and TFTP server (resolved by the writer).
- A tag set by a dhcp-range stands for its subnet: options and boot settings for that tag go into the
  subnet. dhcp-host set: tags and lease times are classes the reservation names; dhcp-host ...,ignore
  joins the clients to drop.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from edge.migrate.dnsmasq.keywords import HARMLESS, NO_EQUIVALENT, NOT_DHCP
from edge.migrate.dnsmasq.model import Model, Subnet
from edge.migrate.dnsmasq.options import DEFAULTED, option_code, option_entry
from edge.migrate.dnsmasq.syntax import (
    HEX,
    INFINITE,
    IPV4,
    MAC,
    Directive,
    fail,
    need,
    parse_time,
    split_fields,
)
from edge.migrate.dnsmasq.tags import TagDirectives
from edge.migrate.jsonout import Comment

__all__ = ["Reader", "read_directives"]


class Reader(TagDirectives):
    def __init__(
        self,
        source: str,
        interfaces: Iterable[str] = (),
        local: Iterable[tuple[str, ipaddress.IPv4Interface]] = (),
    ) -> None:
        self.model = Model(source, list(interfaces), list(local))
        self.lease_classes: dict[int, str] = {}  # dhcp-host lease time -> the class that gives it

    def read(self, directives: Iterable[Directive]) -> None:
        for d in directives:
            self.directive(d)

    def directive(self, d: Directive) -> None:
        name = d.name
        handler = getattr(self, "do_" + name.replace("-", "_").replace("+", "plus"), None)
        if handler is not None:
            return handler(d)
        if name in HARMLESS:
            return None
        if name in NO_EQUIVALENT:
            if not NO_EQUIVALENT[name]:
                return None
            return self.model.note(d, NO_EQUIVALENT[name])
        if name in NOT_DHCP or name.startswith("filter-"):
            if name == "port" and d.value is not None and d.value.strip() == "0":
                self.model.dns_enabled = False
            self.model.not_dhcp.append(d)
            return None
        raise fail(d, f"bad option {name}")

    # -- interfaces and globals

    def do_interface(self, d: Directive) -> None:
        for name in split_fields(need(d)):
            if "*" in name:
                self.model.note(d, "interface name patterns are not supported; list the interfaces")
            elif name and name not in self.model.interfaces:
                self.model.interfaces.append(name)

    def do_dhcp_authoritative(self, d: Directive) -> None:
        self.model.params["authoritative"] = True

    def do_dhcp_ignore_clid(self, d: Directive) -> None:
        self.model.params["match-client-id"] = False

    def do_dhcp_leasefile(self, d: Directive) -> None:
        path = need(d)
        self.model.items.append(
            Comment(
                f"dnsmasq kept its leases in {path} (line {d.line}): import them with",
                f"  edge-dhcp leases import --format dnsmasq {path} -c THIS-FILE",
            )
        )

    def do_domain(self, d: Directive) -> None:
        parts = split_fields(need(d))
        domain = parts[0]
        if domain == "#":
            return self.model.note(d, "the domain comes from /etc/resolv.conf at run time; write it out")
        network = None
        if len(parts) >= 2:
            spec = parts[1]
            try:
                if "/" in spec:
                    network = ipaddress.IPv4Network(spec, strict=False)
                elif IPV4.match(spec):
                    high = parts[2] if len(parts) > 2 and IPV4.match(parts[2]) else spec
                    nets = list(
                        ipaddress.summarize_address_range(
                            ipaddress.IPv4Address(spec), ipaddress.IPv4Address(high)
                        )
                    )
                    network = nets[0] if len(nets) == 1 else None
                    if network is None:
                        return self.model.note(d, "a domain for an address range that is not one network")
                else:
                    return self.model.note(d, "a domain for an interface's subnets; give the subnet instead")
            except ValueError:
                raise fail(d, f"bad address range {spec}") from None
        self.model.domains.append((domain, network, d.line))

    # -- ranges

    def do_dhcp_range(self, d: Directive) -> None:
        fields = split_fields(need(d))
        required: list[str] = []
        set_tag = ""
        while fields:
            f = fields[0]
            low = f.lower()
            if low.startswith("tag:"):
                required.append(f[4:])
            elif low.startswith(("set:", "net:")):  # net: is dnsmasq's older spelling
                set_tag = f[4:]
            elif f and not IPV4.match(f) and ":" not in f and not f.startswith("["):
                set_tag = f  # the oldest spelling: a bare tag name
            else:
                break
            fields.pop(0)
        if not fields:
            raise fail(d, "dhcp-range needs a start address")
        if ":" in fields[0] or fields[0].startswith("["):
            return self.model.note(d, "an IPv6 range; edge-dhcp and this configuration are DHCPv4")
        try:
            start = ipaddress.IPv4Address(fields[0])
        except ValueError:
            raise fail(d, f"bad dhcp-range start address {fields[0]}") from None
        rest = fields[1:]
        end = None
        mode = ""
        if rest and IPV4.match(rest[0]):
            try:
                end = ipaddress.IPv4Address(rest.pop(0))
            except ValueError:
                raise fail(d, "bad dhcp-range end address") from None
        elif rest and rest[0].lower() in ("static", "proxy"):
            mode = rest.pop(0).lower()
        netmask = broadcast = None
        lease = None
        for f in rest:
            if IPV4.match(f):
                try:
                    if netmask is None:
                        netmask = ipaddress.IPv4Address(f)
                    elif broadcast is None:
                        broadcast = ipaddress.IPv4Address(f)
                    else:
                        raise fail(d, f"unexpected address {f} in dhcp-range")
                except ValueError:
                    raise fail(d, f"bad address {f} in dhcp-range") from None
            elif parse_time(f) is not None:
                lease = parse_time(f)
            elif f.lower() in ("static", "proxy") and not mode:
                mode = f.lower()
            elif f:
                raise fail(d, f"bad dhcp-range field {f}")
        if mode == "proxy":
            return self.model.note(
                d, "proxy DHCP (answering only PXE, beside another server) is not supported"
            )
        if end is not None and int(end) < int(start):
            raise fail(d, "inconsistent DHCP range")
        network = self.network_for(d, start, netmask)
        if end is not None and end not in network:
            raise fail(d, "inconsistent DHCP range: the end address is not in the start's subnet")
        subnet = self.model.subnets.get(network)
        if subnet is None:
            subnet = Subnet(network, len(self.model.subnets) + 1, d.line)
            self.model.subnets[network] = subnet
        if broadcast is not None:
            subnet.broadcast = str(broadcast)
        if lease is None:
            lease = 3600  # dnsmasq's default: one hour
        if subnet.lease is not None and subnet.lease != lease:
            self.model.note(
                d, f"Kea has one lease time per subnet; the subnet keeps {subnet.lease}s", subnet.items
            )
        else:
            subnet.lease = lease
        if set_tag:
            subnet.tags.add(set_tag)
            self.tag(set_tag)
        if mode == "static":
            return None
        pool: dict[str, Any] = {"pool": f"{start} - {end}"}
        if required:
            pool["client-class"] = self.condition_class(required, d)
        subnet.pools.append(pool)
        return None

    def network_for(
        self, d: Directive, start: ipaddress.IPv4Address, netmask: ipaddress.IPv4Address | None
    ) -> ipaddress.IPv4Network:
        if netmask is not None:
            try:
                return ipaddress.IPv4Network(f"{start}/{netmask}", strict=False)
            except ValueError:
                raise fail(d, f"bad netmask {netmask}") from None
        for ifname, iface in self.model.local:
            if start in iface.network and (not self.model.interfaces or ifname in self.model.interfaces):
                self.model.items.append(
                    Comment(
                        f"the netmask of {start} (line {d.line}) comes from interface "
                        f"{ifname} ({iface}), as dnsmasq takes it"
                    )
                )
                return iface.network
        first = int(start) >> 24
        prefix = 8 if first < 128 else 16 if first < 192 else 24
        network = ipaddress.IPv4Network(f"{start}/{prefix}", strict=False)
        if any(network.overlaps(other) for other in self.model.subnets if start not in other):
            network = ipaddress.IPv4Network(f"{start}/24", strict=False)  # the class would swallow a subnet
        self.model.note(
            d,
            f"no netmask given and no interface of this machine is in that network: the subnet "
            f"is guessed from the address class, as dnsmasq does, as {network}; check it",
        )
        return network

    # -- hosts

    def do_dhcp_host(self, d: Directive) -> None:
        fields = split_fields(need(d))
        macs: list[str] = []
        client_id: str | None = None
        ip: str | None = None
        hostname = ""
        lease: int | None = None
        ignore = False
        set_tags: list[str] = []
        for f in fields:
            low = f.lower()
            if not f:
                continue
            if MAC.match(f):
                macs.append(f)
            elif low.startswith("id:"):
                value = f[3:]
                if value == "*":
                    self.model.note(
                        d,
                        "id:* (ignore the client identifier for this host): Kea matches "
                        "reservations by hardware address anyway, but leases follow the client "
                        "identifier unless match-client-id is false",
                    )
                else:
                    client_id = value.lower() if HEX.match(value) else value.encode().hex(":")
            elif low.startswith("set:"):
                set_tags.append(f[4:])
            elif low.startswith("tag:"):
                self.model.note(
                    d,
                    "a dhcp-host used only for clients with certain tags has no Kea equivalent; "
                    "the host is written unconditionally",
                )
            elif IPV4.match(f):
                try:
                    ip = str(ipaddress.IPv4Address(f))
                except ValueError:
                    raise fail(d, f"bad address {f}") from None
            elif f.startswith("["):
                continue  # an IPv6 address for DHCPv6
            elif low == "ignore":
                ignore = True
            elif parse_time(f) is not None:
                lease = parse_time(f)
            else:
                if hostname:
                    raise fail(d, f"more than one host name in dhcp-host: {hostname}, {f}")
                hostname = f
        if ignore:
            tests = [self.mac_test(d, m) for m in macs]
            if client_id:
                tests.append(f"option[61].hex == 0x{client_id.replace(':', '')}")
            tests = [t for t in tests if t]
            if not tests:
                return self.model.note(d, "ignoring a host by name only has no Kea 2.2 equivalent")
            self.model.drop.extend(tests)
            return None
        if not macs and not client_id:
            return self.model.note(
                d,
                "a host matched by the name it sends has no Kea 2.2 equivalent (Kea "
                "identifies hosts by hardware address or client identifier)",
            )
        classes = list(set_tags)
        for t in set_tags:
            self.tag(t).params.setdefault("from-host", True)
        if lease is not None:
            classes.append(self.lease_class(lease))
        identifiers: list[tuple[str, str]] = []
        for m in macs:
            if "*" in m:
                self.model.note(d, "a hardware address with wildcards cannot identify a Kea reservation")
                continue
            if "-" in m.split(":")[0]:
                m = m.split("-", 1)[1]
            identifiers.append(("hw-address", ":".join(f"{int(p, 16):02x}" for p in m.split(":"))))
        if client_id:
            identifiers.append(("client-id", client_id))
        if not identifiers:
            return None
        if len(identifiers) > 1 and ip:
            self.model.multi_ip = True
        target = self.model.global_reservations
        if ip:
            subnet = next(
                (s for s in self.model.subnets.values() if ipaddress.IPv4Address(ip) in s.network), None
            )
            # dnsmasq requires the address to lie in a subnet with a dhcp-range; ranges may come later,
            # so a reservation with no subnet yet waits in the global list and is placed by the writer.
            if subnet is not None:
                target = subnet.reservations
        for kind, value in identifiers:
            r: dict[str, Any] = {kind: value}
            if target is self.model.global_reservations:
                self.model.reservation_lines[id(r)] = d.line
            if ip:
                r["ip-address"] = ip
            if hostname:
                r["hostname"] = hostname
            if classes:
                r["client-classes"] = list(classes)
            target.append(r)
        return None

    def lease_class(self, lease: int) -> str:
        name = self.lease_classes.get(lease)
        if name is None:
            name = f"lease-time-{lease}" if lease != INFINITE else "lease-time-infinite"
            self.lease_classes[lease] = name
            cls = self.tag(name)
            cls.params["valid-lifetime"] = lease
            cls.items.append(Comment("a dhcp-host lease time; assigned by the reservations that had it"))
        return name

    # -- options and boot settings

    def do_dhcp_option(self, d: Directive, force: bool = False) -> None:
        fields = split_fields(need(d))
        tags: list[str] = []
        while fields and (fields[0].lower().startswith(("tag:", "net:", "encap:", "vi-encap:", "vendor:"))):
            f = fields.pop(0)
            low = f.lower()
            if low.startswith(("tag:", "net:")):
                tags.append(f[4:])
            else:
                return self.model.note(
                    d,
                    "encapsulated options (encap:, vi-encap:, vendor:) are not translated; "
                    "define them with option-def and an encapsulating option",
                )
        if not fields:
            raise fail(d, "dhcp-option needs an option")
        spec = fields.pop(0)
        if spec.lower().startswith("option6:"):
            return self.model.note(d, "a DHCPv6 option")
        code = option_code(d, spec)
        values = fields
        if code == 255:  # server-ip-address: the siaddr field
            return self.boot_fields(d, tags, {"next-server": values[0] if values else ""})
        if code == 67 and values:
            return self.boot_fields(d, tags, {"boot-file-name": values[0]}, option=(code, values, force))
        if not values or values == [""]:
            if code in DEFAULTED and not tags:
                self.model.suppressed.add(code)
                return None
            return self.model.note(d, "an option without data")
        if code in (58, 59) and not tags:
            key = "renew-timer" if code == 58 else "rebind-timer"
            t = parse_time(values[0])
            if t is None:
                raise fail(d, f"bad time {values[0]}")
            self.model.params[key] = t
            return None
        if code == 51:
            return self.model.note(d, "the lease time comes from the dhcp-range (Kea's valid-lifetime)")
        entry = option_entry(self.model, d, code, values)
        if entry is None:
            return None
        if force:
            entry["always-send"] = True
        self.place_option(d, tags, code, entry)

    def do_dhcp_option_force(self, d: Directive) -> None:
        self.do_dhcp_option(d, force=True)

    def place_option(self, d: Directive, tags: list[str], code: int, entry: dict[str, Any]) -> None:
        if not tags:
            self.model.option_codes[code] = d.line
            self.model.global_options.append(entry)
            return
        range_tags = [t for t in tags if any(t in s.tags for s in self.model.subnets.values())]
        if range_tags and len(tags) == 1:
            for s in self.model.subnets.values():
                if tags[0] in s.tags:
                    s.options.append(entry)
            return
        if range_tags:
            return self.model.note(
                d, "an option for a subnet's tag combined with other tags has no Kea equivalent"
            )
        name = self.condition_class(tags, d) if len(tags) > 1 or tags[0].startswith("!") else tags[0]
        if name == "KNOWN":
            return self.model.note(d, "options for all known hosts: give them in each reservation")
        if name in tags:
            self.member(name)
        self.tag(name).options.append(entry)

    def do_dhcp_boot(self, d: Directive) -> None:
        fields = split_fields(need(d))
        tags = []
        while fields and fields[0].lower().startswith(("tag:", "net:")):
            tags.append(fields.pop(0)[4:])
        if not fields or not fields[0]:
            raise fail(d, "dhcp-boot needs a file name")
        params: dict[str, Any] = {"boot-file-name": fields[0]}
        if len(fields) > 1 and fields[1]:
            params["server-hostname"] = fields[1]
        if len(fields) > 2 and fields[2]:
            if IPV4.match(fields[2]):
                params["next-server"] = fields[2]
            else:
                self.model.note(
                    d,
                    f"the TFTP server {fields[2]} is a name dnsmasq looks up in /etc/hosts; give its address",
                    None,
                )
        else:
            params["next-server"] = ""  # dnsmasq's own address
        self.boot_fields(d, tags, params)

    def boot_fields(
        self,
        d: Directive,
        tags: list[str],
        params: dict[str, Any],
        option: tuple[int, list[str], bool] | None = None,
    ) -> None:
        if option is not None:
            code, values, force = option
            entry = option_entry(self.model, d, code, values)
            if entry is not None:
                if force:
                    entry["always-send"] = True
                self.place_option(d, tags, code, entry)
            params = {k: v for k, v in params.items() if k != "boot-file-name"}
            if not params:
                return
        if not tags:
            self.model.boot.update(params)
            self.model.boot_line = d.line
            return
        range_tags = [t for t in tags if any(t in s.tags for s in self.model.subnets.values())]
        if range_tags:
            if len(tags) > 1:
                return self.model.note(d, "boot settings for a subnet's tag combined with other tags")
            for s in self.model.subnets.values():
                if tags[0] in s.tags:
                    s.boot.update(params)
            return
        name = self.condition_class(tags, d) if len(tags) > 1 or tags[0].startswith("!") else tags[0]
        if name in tags:
            self.member(name)
        cls = self.tag(name)
        for key, value in params.items():
            cls.params[key] = value
            cls.params.setdefault("line", d.line)


def read_directives(
    directives: Iterable[Directive],
    source: str,
    interfaces: Iterable[str] = (),
    local: Iterable[tuple[str, ipaddress.IPv4Interface]] = (),
) -> Model:
    """The model of a configuration's directives (syntax.read_text / read_file)."""
    reader = Reader(source, interfaces, local)
    reader.read(directives)
    return reader.model
