"""dnsmasq's DHCPv6 directives -> a Kea-dialect `Dhcp6` configuration (`edge-dhcp migrate dnsmasq -6`).

Rules this module keeps:
- The same contract as the v4 converter: a malformed v6 dhcp-range or dhcp-host is refused with
  `FILE line N: message`; what has no Kea equivalent is a counted note; the output loads in edge-dhcp and
  in `kea-dhcp6 -t`.
- Only the DHCPv6 forms are read here: dhcp-range with an IPv6 start (or `constructor:`), dhcp-host with
  `id:` (a DUID) or a MAC and [IPv6] addresses, dhcp-option=option6:..., enable-ra. DHCPv4 directives are
  `migrate dnsmasq` without -6's business and are passed over in silence (one header line says so).
- Range modes: `static` is a subnet without a pool (reservations only); `ra-stateless` a subnet without
  a pool (stateless DHCPv6: options only); `ra-only` serves no DHCPv6 at all; `slaac`/`ra-names`/
  `ra-advrouter`/`off-link` and enable-ra are router-advertisement settings -- RA is the router's job
  (radvd, the router itself), not the DHCP server's: notes, and the range is still served.
- `constructor:IFACE` ranges are suffixes (::100) on the interface's global prefixes, which dnsmasq finds
  at run time; they are taken from this machine's addresses (`local6`, /proc/net/if_inet6) -- run the
  conversion on the box dnsmasq ran on -- and otherwise become notes. Nothing is looked up on the network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from edge.migrate.common import Note, Result
from edge.migrate.dnsmasq.syntax import INFINITE, MAC, Directive, fail, need, parse_time, split_fields
from edge.migrate.jsonout import Comment
from edge.migrate.local6 import Local6, local_addresses6
from edge.wire import options6

__all__ = ["local_addresses6", "translate6"]

RA_MODES = {"slaac", "ra-names", "ra-advrouter", "off-link"}
MODES = RA_MODES | {"static", "ra-only", "ra-stateless"}
# dnsmasq's option6 names (dnsmasq --help dhcp6) -> DHCPv6 code
OPTION6_NAMES = {
    "dns-server": 23,
    "domain-search": 24,
    "sip-server-domain-list": 21,
    "sip-server": 22,
    "nis-server": 27,
    "nis+-server": 28,
    "nis-domain": 29,
    "nis+-domain": 30,
    "sntp-server": 31,
    "information-refresh-time": 32,
    "ntp-server": 56,
    "bootfile-url": 59,
    "bootfile-param": 60,
}


@dataclass
class Subnet6:
    network: ipaddress.IPv6Network
    line: int
    interface: str = ""
    pools: list[str] = field(default_factory=list)
    valid: int | None = None
    constructed: bool = False  # from a constructor: range, whose dhcp-host [::N] suffixes it completes
    items: list[Any] = field(default_factory=list)


class Reader6:
    def __init__(self, source: str, interfaces: Iterable[str], local6: Iterable[Local6]) -> None:
        self.source = source
        self.interfaces = list(interfaces)
        self.local6 = list(local6)
        self.subnets: list[Subnet6] = []
        self.hosts: list[tuple[dict[str, Any], Directive]] = []
        self.options: list[Any] = []
        self.notes: list[Note] = []
        self.top: list[Any] = []

    def note(self, d: Directive, why: str, where: list[Any] | None = None) -> None:
        n = Note(d.source, d.line, d.text(), why)
        self.notes.append(n)
        (self.top if where is None else where).append(n)

    def read(self, directives: Iterable[Directive]) -> None:
        for d in directives:
            if d.name == "dhcp-range":
                self.dhcp_range(d)
            elif d.name == "dhcp-host":
                self.dhcp_host(d)
            elif d.name in ("dhcp-option", "dhcp-option-force") and d.value and "option6:" in d.value.lower():
                self.dhcp_option(d)
            elif d.name in ("enable-ra", "ra-param"):
                self.note(
                    d,
                    "router advertisements are the router's job (radvd or the router itself), not a DHCP server's",
                )
            elif d.name == "interface" and d.value:
                for name in split_fields(d.value):
                    if name and name not in self.interfaces:
                        self.interfaces.append(name)

    # -- dhcp-range

    def dhcp_range(self, d: Directive) -> None:
        fields = [f for f in split_fields(need(d)) if f]
        while fields and fields[0].lower().startswith(("tag:", "set:", "net:")):
            if fields[0].lower().startswith("tag:"):
                self.note(d, "a range for tagged clients only: tags are not translated for DHCPv6")
                return
            fields = fields[1:]
        if not fields or ":" not in fields[0] or fields[0].count(".") == 3:
            return  # a DHCPv4 range
        addresses: list[ipaddress.IPv6Address] = []
        constructor = ""
        modes: list[str] = []
        rest: list[str] = []
        for f in fields:
            low = f.lower()
            if low.startswith("constructor:"):
                constructor = f[len("constructor:") :]
            elif low in MODES:
                modes.append(low)
            elif not rest and not constructor and ":" in f:
                try:
                    addresses.append(ipaddress.IPv6Address(f))
                except ValueError:
                    raise fail(d, f"bad dhcp-range: {f} is not an IPv6 address") from None
            else:
                rest.append(f)
        if not addresses or len(addresses) > 2:
            raise fail(d, "bad dhcp-range: an IPv6 range is START[,END]")
        plen, lease = 64, None
        for f in rest:
            if f.isdigit() and not lease and int(f) <= 128 and f == rest[0]:
                plen = int(f)
            else:
                lease = parse_time(f)
                if lease is None:
                    raise fail(d, f"bad dhcp-range: {f} is neither a prefix length nor a lease time")
        if "ra-only" in modes:
            return self.note(d, "ra-only: dnsmasq sends router advertisements here and serves no DHCPv6")
        ends = addresses if len(addresses) == 2 else addresses * 2
        placed: list[tuple[ipaddress.IPv6Network, str, ipaddress.IPv6Address, ipaddress.IPv6Address]] = []
        if constructor:
            prefixes = [
                i
                for name, i in self.local6
                if name == constructor or (constructor.endswith("*") and name.startswith(constructor[:-1]))
            ]
            if not prefixes:
                return self.note(
                    d,
                    f"constructor:{constructor} takes the range from {constructor}'s IPv6 prefixes at run time, and "
                    "this machine has none there: run the conversion where dnsmasq ran, or write the range out",
                )
            for iface in prefixes:
                net = ipaddress.IPv6Network((iface.network.network_address, plen), strict=False)
                host_bits = (1 << (128 - plen)) - 1
                base = int(net.network_address)
                low = ipaddress.IPv6Address(base | (int(ends[0]) & host_bits))
                high = ipaddress.IPv6Address(base | (int(ends[1]) & host_bits))
                name = next(n for n, i in self.local6 if i is iface)
                placed.append((net, name, low, high))
        else:
            net = ipaddress.IPv6Network((ends[0], plen), strict=False)
            if ends[1] not in net:
                raise fail(d, f"bad dhcp-range: {ends[0]} and {ends[1]} are not in one /{plen}")
            placed.append((net, "", ends[0], ends[1]))
        for net, iface, low, high in placed:
            s = self.subnet_for(net, d.line)
            if iface and not s.interface:
                s.interface = iface
                s.constructed = True
            if lease is not None:
                s.valid = lease
            if "static" in modes:
                s.items.append(Comment(f"line {d.line}: static -- addresses only for dhcp-host reservations"))
            elif "ra-stateless" in modes:
                s.items.append(Comment(f"line {d.line}: ra-stateless -- stateless DHCPv6, options only"))
            else:
                s.pools.append(f"{low} - {high}")
            for mode in modes:
                if mode in RA_MODES:
                    self.note(
                        d,
                        f"{mode}: a router-advertisement setting; RA is the router's job (radvd or the router "
                        "itself). The DHCPv6 range is served",
                        s.items,
                    )

    def subnet_for(self, net: ipaddress.IPv6Network, line: int) -> Subnet6:
        for s in self.subnets:
            if s.network == net:
                return s
        s = Subnet6(net, line)
        self.subnets.append(s)
        return s

    # -- dhcp-host

    def dhcp_host(self, d: Directive) -> None:
        fields = [f for f in split_fields(need(d)) if f]
        v6 = [f for f in fields if f.startswith("[") and f.endswith("]")]
        duids = [f for f in fields if f.lower().startswith("id:")]
        if not v6 and not any(f.lower().startswith("id:") and f.count(":") > 12 for f in duids):
            return  # a DHCPv4 host
        r: dict[str, Any] = {}
        addresses: list[str] = []
        for f in fields:
            low = f.lower()
            if low.startswith("id:"):
                ident = f[3:]
                if ident == "*":
                    return self.note(d, "id:* (ignore the client identifier) has no DHCPv6 meaning in Kea")
                try:
                    raw = bytes.fromhex(ident.replace(":", ""))
                except ValueError:
                    raise fail(d, f"bad dhcp-host: {ident} is not a hex identifier") from None
                r["duid"] = raw.hex(":")
            elif MAC.match(f):
                r.setdefault("hw-address", f.lower())
            elif f in v6:
                try:
                    addresses.append(str(ipaddress.IPv6Address(f[1:-1].split("/")[0])))
                except ValueError:
                    raise fail(d, f"bad dhcp-host: {f} is not an IPv6 address") from None
            elif low.startswith(("tag:", "set:")) or low == "ignore" or parse_time(f) is not None:
                if low == "ignore":
                    return self.note(d, "ignore: Kea 2.2 has no reservation that refuses a client")
            elif ":" not in f and "." not in f or f.count(".") != 3:
                r["hostname"] = f
        if "duid" in r:
            r.pop("hw-address", None)
        if "duid" not in r and "hw-address" not in r:
            return self.note(d, "a host with neither id: (DUID) nor MAC cannot be matched by a DHCPv6 server")
        resolved = []
        for a in addresses:
            addr = ipaddress.IPv6Address(a)
            if int(addr) >> 64 == 0:  # [::5]: a suffix on a constructor: range's prefix
                nets = [s.network for s in self.subnets if s.constructed]
                if len(nets) != 1:
                    self.note(
                        d,
                        f"[{a}] is a suffix that needs exactly one constructor: range; there are {len(nets)}",
                    )
                    continue
                addr = ipaddress.IPv6Address(int(nets[0].network_address) | int(addr))
            resolved.append(str(addr))
        if resolved:
            r["ip-addresses"] = resolved
        if not any(k in r for k in ("ip-addresses", "hostname")):
            r["client-classes"] = ["KNOWN"]
        self.hosts.append((r, d))

    # -- options

    def dhcp_option(self, d: Directive) -> None:
        fields = split_fields(need(d))
        while fields and fields[0].lower().startswith(("tag:", "encap:", "vendor:")):
            if not fields[0].lower().startswith("tag:"):
                return self.note(d, "encapsulated and vendor DHCPv6 options are not translated")
            return self.note(d, "an option for tagged clients: tags are not translated for DHCPv6")
        spec = fields[0][len("option6:") :]
        code = int(spec) if spec.isdigit() else OPTION6_NAMES.get(spec.lower())
        if code is None:
            raise fail(d, f"bad dhcp-option: unknown DHCPv6 option {spec}")
        defn = options6.by_code(code)
        values = fields[1:]
        if any(v.strip("[]") == "::" for v in values):
            return self.note(d, "[::] is dnsmasq's own address, known at run time: give the address")
        if defn is None:
            return self.note(d, f"option6:{spec} is not in Kea 2.2's table")
        if code == 56:
            return self.note(
                d, "ntp-server (56) is made of sub-options in Kea; write it with option-def by hand"
            )
        data = ", ".join(v[1:-1] if v.startswith("[") and v.endswith("]") else v for v in values)
        self.options.append({"space": "dhcp6", "name": defn.name, "code": code, "data": data})

    # -- writing

    def result(self) -> Result:
        d6: dict[str, Any] = {}
        for item in self.top:
            d6[item.comment() if isinstance(item, Note) else item] = None
        if self.interfaces:
            d6["interfaces-config"] = {"interfaces": self.interfaces}
        if self.options:
            d6["option-data"] = self.options
        subnets = []
        for n, s in enumerate(self.subnets, 1):
            obj: dict[str, Any] = {"id": n, "subnet": str(s.network)}
            for item in s.items:
                obj[item.comment() if isinstance(item, Note) else item] = None
            if s.interface:
                obj["interface"] = s.interface
            if s.valid is not None:
                obj["valid-lifetime"] = s.valid
                if s.valid != INFINITE:
                    # dnsmasq sends a preferred lifetime equal to the valid one; Kea's default may exceed it
                    obj["preferred-lifetime"] = s.valid
            if s.pools:
                obj["pools"] = [{"pool": p} for p in s.pools]
            subnets.append(obj)
        reservations = [r for r, _ in self.hosts]
        if reservations:
            d6["host-reservation-identifiers"] = [
                k for k in ("duid", "hw-address") if any(k in r for r in reservations)
            ]
            d6["reservations-global"] = True
            d6["reservations-in-subnet"] = False
            d6["reservations"] = reservations
        if subnets:
            d6["subnet6"] = subnets
        header = [
            f"Converted from dnsmasq configuration {self.source} by edge-dhcp migrate dnsmasq -6",
            "(its DHCPv6 directives; `migrate dnsmasq` without -6 translates the DHCPv4 ones).",
        ]
        return Result({"Dhcp6": d6}, self.notes, header)


def translate6(
    directives: Iterable[Directive], source: str, interfaces: Iterable[str], local6: Iterable[Local6]
) -> Result:
    reader = Reader6(source, interfaces, local6)
    reader.read(directives)
    return reader.result()
