"""dnsmasq's DHCPv4 configuration -> a Kea-dialect `Dhcp4` configuration (`edge-dhcp migrate dnsmasq`).

Rules this module keeps:
- Same contract as dhcpd.py: input dnsmasq refuses ("bad option", a malformed dhcp-range) is refused with
  `FILE line N: message`; what has no Kea 2.2 equivalent becomes a counted note, written as a comment
  where it belongs; everything written loads in edge-dhcp and in `kea-dhcp4 -t`.
- dnsmasq fills in things at run time from the machine it runs on: the netmask of a range from the
  interface it sits on, and its own address as router, DNS server and TFTP server (`0.0.0.0` in options
  means the same). Kea needs them written out, so they are taken from this machine's interfaces
  (`local` addresses) when one lies in the subnet -- run the conversion on the box dnsmasq ran on -- and
  otherwise become notes. Nothing is looked up on the network.
- Tags become client classes: dhcp-match, dhcp-vendorclass, dhcp-userclass, dhcp-mac, dhcp-circuitid,
  dhcp-remoteid, dhcp-subscrid and tag-if give a class its test (several setters: `or`); dhcp-host
  set: tags are assigned by the reservation; `known` is Kea's KNOWN; a tag set by a dhcp-range stands
  for its subnet, so options for it go into that subnet. dhcp-ignore and dhcp-host ...,ignore become the
  DROP class.
- Directives that are not about DHCP (DNS, TFTP, process settings) are listed in one note: edge-dhcp is
  a DHCP server, whatever served DNS keeps doing so.

Theory of operation: lines are read (conf-file, conf-dir, dhcp-hostsfile and dhcp-optsfile followed) into
(name, value, file, line); each is interpreted at once into subnets, reservations, tag classes and
option settings; `build` then writes the document, ordering classes so each is defined before a test
names it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from edge.migrate.common import MigrationError, Note, Result
from edge.migrate.jsonout import Comment
from edge.migrate.kea import FORCE_HEX_CODES, KEA_LACKS, put_data
from edge.wire import optiondef, options4
from edge.wire.errors import OptionTextError

__all__ = ["DNSMASQ_OPTION_NAMES", "translate_file", "translate_text"]

# `dnsmasq --help dhcp` (2.90): option names -> codes. 255 "server-ip-address" is dnsmasq's own pseudo
# option for the siaddr field (next-server), not a DHCP option.
DNSMASQ_OPTION_NAMES = {
    "netmask": 1,
    "time-offset": 2,
    "router": 3,
    "dns-server": 6,
    "log-server": 7,
    "lpr-server": 9,
    "boot-file-size": 13,
    "domain-name": 15,
    "swap-server": 16,
    "root-path": 17,
    "extension-path": 18,
    "ip-forward-enable": 19,
    "non-local-source-routing": 20,
    "policy-filter": 21,
    "max-datagram-reassembly": 22,
    "default-ttl": 23,
    "mtu": 26,
    "all-subnets-local": 27,
    "router-discovery": 31,
    "router-solicitation": 32,
    "static-route": 33,
    "trailer-encapsulation": 34,
    "arp-timeout": 35,
    "ethernet-encap": 36,
    "tcp-ttl": 37,
    "tcp-keepalive": 38,
    "nis-domain": 40,
    "nis-server": 41,
    "ntp-server": 42,
    "netbios-ns": 44,
    "netbios-dd": 45,
    "netbios-nodetype": 46,
    "netbios-scope": 47,
    "x-windows-fs": 48,
    "x-windows-dm": 49,
    "T1": 58,
    "T2": 59,
    "vendor-class": 60,
    "nis+-domain": 64,
    "nis+-server": 65,
    "tftp-server": 66,
    "bootfile-name": 67,
    "mobile-ip-home": 68,
    "smtp-server": 69,
    "pop3-server": 70,
    "nntp-server": 71,
    "irc-server": 74,
    "user-class": 77,
    "rapid-commit": 80,
    "client-arch": 93,
    "client-interface-id": 94,
    "client-machine-id": 97,
    "posix-timezone": 100,
    "tzdb-timezone": 101,
    "ipv6-only": 108,
    "domain-search": 119,
    "sip-server": 120,
    "classless-static-route": 121,
    "vendor-id-encap": 125,
    "tftp-server-address": 150,
    "server-ip-address": 255,
}
# Options dnsmasq fills in itself unless told otherwise (an empty dhcp-option turns them off).
DEFAULTED = {1, 3, 6, 12, 15, 28}
OWN_ADDRESS_OPTIONS = {3, 6}

# Directives that are not about DHCP: listed together in one note.
NOT_DHCP = {
    "add-cpe-id",
    "add-mac",
    "add-subnet",
    "addn-hosts",
    "address",
    "alias",
    "all-servers",
    "auth-peer",
    "auth-sec-servers",
    "auth-server",
    "auth-soa",
    "auth-ttl",
    "auth-zone",
    "bogus-nxdomain",
    "bogus-priv",
    "caa-record",
    "cache-rr",
    "cache-size",
    "clear-on-reload",
    "cname",
    "conf-script",
    "connmark-allowlist",
    "connmark-allowlist-enable",
    "conntrack",
    "dns-forward-max",
    "dns-loop-detect",
    "dns-rr",
    "dnssec",
    "dnssec-check-unsigned",
    "dnssec-debug",
    "dnssec-limits",
    "dnssec-no-timecheck",
    "dnssec-timestamp",
    "domain-needed",
    "dumpfile",
    "dumpmask",
    "dynamic-host",
    "edns-packet-max",
    "enable-dbus",
    "enable-tftp",
    "enable-ubus",
    "expand-hosts",
    "fast-dns-retry",
    "filterwin2k",
    "group",
    "host-record",
    "hostsdir",
    "ignore-address",
    "interface-name",
    "ipset",
    "keep-in-foreground",
    "local",
    "local-service",
    "local-ttl",
    "localise-queries",
    "localmx",
    "log-async",
    "log-debug",
    "log-facility",
    "log-queries",
    "max-cache-ttl",
    "max-port",
    "max-tcp-connections",
    "max-ttl",
    "min-cache-ttl",
    "min-port",
    "mx-host",
    "mx-target",
    "naptr-record",
    "neg-ttl",
    "nftset",
    "no-daemon",
    "no-hosts",
    "no-ident",
    "no-negcache",
    "no-poll",
    "no-resolv",
    "no-round-robin",
    "pid-file",
    "port",
    "port-limit",
    "proxy-dnssec",
    "ptr-record",
    "query-port",
    "rebind-domain-ok",
    "rebind-localhost-ok",
    "resolv-file",
    "rev-server",
    "selfmx",
    "server",
    "servers-file",
    "srv-host",
    "stop-dns-rebind",
    "strict-order",
    "strip-mac",
    "strip-subnet",
    "synth-domain",
    "tftp-lowercase",
    "tftp-max",
    "tftp-mtu",
    "tftp-no-blocksize",
    "tftp-no-fail",
    "tftp-port-range",
    "tftp-root",
    "tftp-secure",
    "tftp-single-port",
    "tftp-unique-root",
    "trust-anchor",
    "txt-record",
    "umbrella",
    "use-stale-cache",
    "user",
    "quiet-ra",
    "quiet-tftp",
    "test",
    "version",
    "help",
}
# What edge-dhcp (like Kea) does anyway: accepted silently.
HARMLESS = {
    "bind-interfaces",
    "bind-dynamic",
    "log-dhcp",
    "quiet-dhcp",
    "quiet-dhcp6",
    "dhcp-no-override",
    "no-ping",
    "dhcp-sequential-ip",
    "dhcp-duid",
}
NO_EQUIVALENT = {
    "dhcp-lease-max": "Kea has no overall lease limit",
    "dhcp-script": "lease-event scripts need Kea's run_script hook; edge-dhcp has none",
    "dhcp-luascript": "lease-event scripts need Kea's run_script hook; edge-dhcp has none",
    "dhcp-scriptuser": "lease-event scripts need Kea's run_script hook; edge-dhcp has none",
    "script-arp": "lease-event scripts need Kea's run_script hook; edge-dhcp has none",
    "script-on-renewal": "lease-event scripts need Kea's run_script hook; edge-dhcp has none",
    "leasefile-ro": "leases are kept by the server's own lease store",
    "dhcp-rapid-commit": "rapid commit (option 80) is not supported by Kea 2.2",
    "dhcp-broadcast": "Kea answers by broadcast only when the client asks (RFC 2131)",
    "dhcp-generate-names": "generated host names have no Kea equivalent",
    "dhcp-fqdn": "DNS names of leases are configured with Kea's ddns-* parameters",
    "dhcp-client-update": "client FQDN handling is configured with Kea's ddns-* parameters",
    "dhcp-ignore-names": "ignoring client host names has no Kea 2.2 equivalent",
    "dhcp-name-match": "matching client host names has no Kea 2.2 equivalent",
    "dhcp-reply-delay": "reply delays are not supported",
    "dhcp-ttl": "not supported",
    "dhcp-alternate-port": "ports are given on the server's command line",
    "dhcp-relay": "edge-dhcp is not a relay agent; run dhcrelay",
    "dhcp-proxy": "not supported",
    "pxe-service": "PXE boot menus (proxy-DHCP option 43 menus) are not supported; use classes with "
    "boot-file-name",
    "pxe-prompt": "PXE boot menus are not supported",
    "dhcp-pxe-vendor": "PXE boot menus are not supported",
    "read-ethers": "/etc/ethers is not read; give the hosts as reservations",
    "dhcp-hostsdir": "host directories are not read; give the hosts as reservations",
    "dhcp-optsdir": "option directories are not read",
    "bootp-dynamic": "BOOTP clients are not served (Kea needs its BOOTP hook)",
    "shared-network": "dnsmasq's shared-network has no direct translation; use Kea shared-networks",
    "except-interface": "Kea lists the interfaces to serve, not those to leave out",
    "listen-address": "Kea serves interfaces (or interface/address pairs); name the interface",
    "no-dhcp-interface": "Kea lists the interfaces to serve, not those to leave out",
    "no-dhcpv4-interface": "Kea lists the interfaces to serve, not those to leave out",
    "no-dhcpv6-interface": "",
    "enable-ra": "router advertisements are IPv6",
    "ra-param": "router advertisements are IPv6",
    "bridge-interface": "not supported",
}
TIME = re.compile(r"^(\d+)([smhdw]?)$", re.IGNORECASE)
MAC = re.compile(r"^(?:[0-9a-fA-F]{1,2}-)?(?:[0-9a-fA-F*]{1,2})(?::[0-9a-fA-F*]{1,2}){5,}$")
HEX = re.compile(r"^[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2})+$")
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
INFINITE = 0xFFFFFFFF
MIN_LEASE = 120  # dnsmasq's minimum lease time


@dataclass
class Directive:
    name: str
    value: str | None
    source: str
    line: int

    def text(self) -> str:
        return self.name if self.value is None else f"{self.name}={self.value}"


@dataclass
class SubnetOut:
    network: ipaddress.IPv4Network
    id: int
    line: int
    pools: list[dict[str, Any]] = field(default_factory=list)
    lease: int | None = None
    tags: set[str] = field(default_factory=set)
    options: list[Any] = field(default_factory=list)
    reservations: list[Any] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    broadcast: str = ""
    boot: dict[str, Any] = field(default_factory=dict)


@dataclass
class TagClass:
    name: str
    conditions: list[str] = field(default_factory=list)
    depends: set[str] = field(default_factory=set)
    options: list[Any] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    items: list[Any] = field(default_factory=list)
    referenced: bool = False


def split_fields(value: str) -> list[str]:
    """dnsmasq's comma-separated fields; double quotes keep commas, and are removed."""
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    i = 0
    while i < len(value):
        c = value[i]
        if c == '"':
            quoted = not quoted
        elif c == "\\" and quoted and i + 1 < len(value):
            i += 1
            cur.append(value[i])
        elif c == "," and not quoted:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur).strip())
    return out


def parse_time(text: str) -> int | None:
    if text.lower() == "infinite":
        return INFINITE
    m = TIME.match(text)
    if not m:
        return None
    n = int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2).lower()]
    return max(n, MIN_LEASE)


class DnsmasqTranslator:
    def __init__(
        self,
        source: str,
        interfaces: Iterable[str] = (),
        local: Iterable[tuple[str, ipaddress.IPv4Interface]] = (),
    ) -> None:
        self.source = source
        self.interfaces: list[str] = list(interfaces)
        self.local = list(local)
        self.notes: list[Note] = []
        self.items: list[Any] = []  # comments/notes for Dhcp4 itself
        self.subnets: dict[ipaddress.IPv4Network, SubnetOut] = {}
        self.tags: dict[str, TagClass] = {}
        self.global_options: list[Any] = []
        self.option_codes: dict[int, int] = {}  # global options given: code -> line
        self.suppressed: set[int] = set()  # defaulted options turned off with an empty dhcp-option
        self.params: dict[str, Any] = {}
        self.global_reservations: list[Any] = []
        self.drop: list[str] = []
        self.dns_enabled = True
        self.domains: list[tuple[str, ipaddress.IPv4Network | None, int]] = []
        self.not_dhcp: list[Directive] = []
        self.multi_ip = False
        self.lease_classes: dict[int, str] = {}
        self.boot: dict[str, Any] = {}
        self.boot_line = 0
        self.reservation_lines: dict[int, int] = {}
        self.own_noted: set[int] = set()

    # ---------------------------------------------------------------------------------- reading

    def fail(self, d: Directive, message: str) -> MigrationError:
        return MigrationError(d.source, d.line, message)

    def note(self, d: Directive, why: str, where: list[Any] | None = None) -> None:
        n = Note(d.source, d.line, d.text(), why)
        self.notes.append(n)
        (where if where is not None else self.items).append(n.comment())

    def lines(self, path: str, depth: int = 0, prefix: str = "") -> Iterator[Directive]:
        if depth > 16:
            raise MigrationError(path, None, "conf-file nested more than 16 deep")
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as handle:
                text = handle.read()
        except OSError as err:
            raise MigrationError(path, None, f"cannot read: {err.strerror}") from None
        yield from self.text_lines(text, path, depth, prefix)

    def text_lines(self, text: str, source: str, depth: int = 0, prefix: str = "") -> Iterator[Directive]:
        for number, raw in enumerate(text.splitlines(), 1):
            line = _strip_comment(raw).strip()
            if not line:
                continue
            if prefix:
                yield Directive(prefix, line, source, number)
                continue
            name, eq, value = line.partition("=")
            name = name.strip().lower()
            d = Directive(name, value.strip() if eq else None, source, number)
            if name == "conf-file":
                if not d.value:
                    raise self.fail(d, "conf-file needs a file name")
                yield from self.lines(self.relative(d.value, source), depth + 1)
            elif name == "conf-dir":
                if not d.value:
                    raise self.fail(d, "conf-dir needs a directory")
                yield from self.conf_dir(d, depth)
            elif name in ("dhcp-hostsfile", "dhcp-optsfile"):
                if not d.value:
                    raise self.fail(d, f"{name} needs a file name")
                target = self.relative(d.value, source)
                kind = "dhcp-host" if name == "dhcp-hostsfile" else "dhcp-option"
                paths = (
                    sorted(os.path.join(target, f) for f in os.listdir(target))
                    if os.path.isdir(target)
                    else [target]
                )
                for p in paths:
                    yield from self.lines(p, depth + 1, prefix=kind)
            else:
                yield d

    @staticmethod
    def relative(path: str, source: str) -> str:
        if os.path.isabs(path) or os.path.exists(path):
            return path
        beside = os.path.join(os.path.dirname(source), path)
        return beside if os.path.exists(beside) else path

    def conf_dir(self, d: Directive, depth: int) -> Iterator[Directive]:
        assert d.value is not None
        parts = split_fields(d.value)
        directory = self.relative(parts[0], d.source)
        wanted = [p[1:] for p in parts[1:] if p.startswith("*")]
        skipped = [p for p in parts[1:] if p and not p.startswith("*")]
        try:
            names = sorted(os.listdir(directory))
        except OSError as err:
            raise self.fail(d, f"cannot read directory {parts[0]}: {err.strerror}") from None
        for name in names:
            if name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#")):
                continue
            if wanted and not any(name.endswith(w) for w in wanted):
                continue
            if any(name.endswith(s) for s in skipped):
                continue
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                yield from self.lines(path, depth + 1)

    # ---------------------------------------------------------------------------------- interpreting

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
            return self.note(d, NO_EQUIVALENT[name])
        if name in NOT_DHCP or name.startswith("filter-"):
            if name == "port" and d.value is not None and d.value.strip() == "0":
                self.dns_enabled = False
            self.not_dhcp.append(d)
            return None
        raise self.fail(d, f"bad option {name}")

    def need(self, d: Directive) -> str:
        if not d.value:
            raise self.fail(d, f"{d.name} needs a value")
        return d.value

    # -- interfaces and globals

    def do_interface(self, d: Directive) -> None:
        for name in split_fields(self.need(d)):
            if "*" in name:
                self.note(d, "interface name patterns are not supported; list the interfaces")
            elif name and name not in self.interfaces:
                self.interfaces.append(name)

    def do_dhcp_authoritative(self, d: Directive) -> None:
        self.params["authoritative"] = True

    def do_dhcp_ignore_clid(self, d: Directive) -> None:
        self.params["match-client-id"] = False

    def do_dhcp_leasefile(self, d: Directive) -> None:
        path = self.need(d)
        self.items.append(
            Comment(
                f"dnsmasq kept its leases in {path} (line {d.line}): import them with",
                f"  edge-dhcp leases import --format dnsmasq {path} -c THIS-FILE",
            )
        )

    def do_domain(self, d: Directive) -> None:
        parts = split_fields(self.need(d))
        domain = parts[0]
        if domain == "#":
            return self.note(d, "the domain comes from /etc/resolv.conf at run time; write it out")
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
                        return self.note(d, "a domain for an address range that is not one network")
                else:
                    return self.note(d, "a domain for an interface's subnets; give the subnet instead")
            except ValueError:
                raise self.fail(d, f"bad address range {spec}") from None
        self.domains.append((domain, network, d.line))

    # -- ranges

    def do_dhcp_range(self, d: Directive) -> None:
        fields = split_fields(self.need(d))
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
            raise self.fail(d, "dhcp-range needs a start address")
        if ":" in fields[0] or fields[0].startswith("["):
            return self.note(d, "an IPv6 range; edge-dhcp and this configuration are DHCPv4")
        try:
            start = ipaddress.IPv4Address(fields[0])
        except ValueError:
            raise self.fail(d, f"bad dhcp-range start address {fields[0]}") from None
        rest = fields[1:]
        end = None
        mode = ""
        if rest and IPV4.match(rest[0]):
            try:
                end = ipaddress.IPv4Address(rest.pop(0))
            except ValueError:
                raise self.fail(d, "bad dhcp-range end address") from None
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
                        raise self.fail(d, f"unexpected address {f} in dhcp-range")
                except ValueError:
                    raise self.fail(d, f"bad address {f} in dhcp-range") from None
            elif parse_time(f) is not None:
                lease = parse_time(f)
            elif f.lower() in ("static", "proxy") and not mode:
                mode = f.lower()
            elif f:
                raise self.fail(d, f"bad dhcp-range field {f}")
        if mode == "proxy":
            return self.note(d, "proxy DHCP (answering only PXE, beside another server) is not supported")
        if end is not None and int(end) < int(start):
            raise self.fail(d, "inconsistent DHCP range")
        network = self.network_for(d, start, netmask)
        if end is not None and end not in network:
            raise self.fail(d, "inconsistent DHCP range: the end address is not in the start's subnet")
        subnet = self.subnets.get(network)
        if subnet is None:
            subnet = SubnetOut(network, len(self.subnets) + 1, d.line)
            self.subnets[network] = subnet
        if broadcast is not None:
            subnet.broadcast = str(broadcast)
        if lease is None:
            lease = 3600  # dnsmasq's default: one hour
        if subnet.lease is not None and subnet.lease != lease:
            self.note(d, f"Kea has one lease time per subnet; the subnet keeps {subnet.lease}s", subnet.items)
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
                raise self.fail(d, f"bad netmask {netmask}") from None
        for ifname, iface in self.local:
            if start in iface.network and (not self.interfaces or ifname in self.interfaces):
                self.items.append(
                    Comment(
                        f"the netmask of {start} (line {d.line}) comes from interface "
                        f"{ifname} ({iface}), as dnsmasq takes it"
                    )
                )
                return iface.network
        first = int(start) >> 24
        prefix = 8 if first < 128 else 16 if first < 192 else 24
        network = ipaddress.IPv4Network(f"{start}/{prefix}", strict=False)
        if any(network.overlaps(other) for other in self.subnets if start not in other):
            network = ipaddress.IPv4Network(f"{start}/24", strict=False)  # the class would swallow a subnet
        self.note(
            d,
            f"no netmask given and no interface of this machine is in that network: the subnet "
            f"is guessed from the address class, as dnsmasq does, as {network}; check it",
        )
        return network

    # -- hosts

    def do_dhcp_host(self, d: Directive) -> None:
        fields = split_fields(self.need(d))
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
                    self.note(
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
                self.note(
                    d,
                    "a dhcp-host used only for clients with certain tags has no Kea equivalent; "
                    "the host is written unconditionally",
                )
            elif IPV4.match(f):
                try:
                    ip = str(ipaddress.IPv4Address(f))
                except ValueError:
                    raise self.fail(d, f"bad address {f}") from None
            elif f.startswith("["):
                continue  # an IPv6 address for DHCPv6
            elif low == "ignore":
                ignore = True
            elif parse_time(f) is not None:
                lease = parse_time(f)
            else:
                if hostname:
                    raise self.fail(d, f"more than one host name in dhcp-host: {hostname}, {f}")
                hostname = f
        if ignore:
            tests = [self.mac_test(d, m) for m in macs]
            if client_id:
                tests.append(f"option[61].hex == 0x{client_id.replace(':', '')}")
            tests = [t for t in tests if t]
            if not tests:
                return self.note(d, "ignoring a host by name only has no Kea 2.2 equivalent")
            self.drop.extend(tests)
            return None
        if not macs and not client_id:
            return self.note(
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
                self.note(d, "a hardware address with wildcards cannot identify a Kea reservation")
                continue
            if "-" in m.split(":")[0]:
                m = m.split("-", 1)[1]
            identifiers.append(("hw-address", ":".join(f"{int(p, 16):02x}" for p in m.split(":"))))
        if client_id:
            identifiers.append(("client-id", client_id))
        if not identifiers:
            return None
        if len(identifiers) > 1 and ip:
            self.multi_ip = True
        target = self.global_reservations
        if ip:
            subnet = next((s for s in self.subnets.values() if ipaddress.IPv4Address(ip) in s.network), None)
            if subnet is None:
                # dnsmasq requires the address to lie in a subnet with a dhcp-range; ranges may come later,
                # so the reservation waits in the global list and is placed when the document is built.
                pass
            else:
                target = subnet.reservations
        for kind, value in identifiers:
            r: dict[str, Any] = {kind: value}
            if target is self.global_reservations:
                self.reservation_lines[id(r)] = d.line
            if ip:
                r["ip-address"] = ip
            if hostname:
                r["hostname"] = hostname
            if classes:
                r["client-classes"] = list(classes)
            target.append(r)
        return None

    def mac_test(self, d: Directive, mac: str) -> str:
        if "-" in mac.split(":")[0]:
            mac = mac.split("-", 1)[1]
        parts = mac.split(":")
        if "*" not in mac:
            return "pkt4.mac == 0x" + "".join(f"{int(p, 16):02x}" for p in parts)
        head = []
        for p in parts:
            if p == "*":
                break
            head.append(p)
        if any(p != "*" for p in parts[len(head) :]):
            self.note(d, "a hardware-address pattern with a wildcard in the middle has no Kea expression")
            return ""
        if not head:
            return "member('ALL')"
        return f"substring(pkt4.mac,0,{len(head)}) == 0x" + "".join(f"{int(p, 16):02x}" for p in head)

    def lease_class(self, lease: int) -> str:
        name = self.lease_classes.get(lease)
        if name is None:
            name = f"lease-time-{lease}" if lease != INFINITE else "lease-time-infinite"
            self.lease_classes[lease] = name
            cls = self.tag(name)
            cls.params["valid-lifetime"] = lease
            cls.items.append(Comment("a dhcp-host lease time; assigned by the reservations that had it"))
        return name

    # -- tags and classes

    def tag(self, name: str) -> TagClass:
        cls = self.tags.get(name)
        if cls is None:
            cls = TagClass(name)
            self.tags[name] = cls
        return cls

    def member(self, tag: str) -> str:
        """Kea test for one tag condition (`X` or `!X`)."""
        negate = tag.startswith("!")
        name = tag[1:] if negate else tag
        if name == "known":
            test = "member('KNOWN')"
        else:
            self.tag(name).referenced = True
            test = f"member('{name}')"
        return f"not {test}" if negate else test

    def condition_class(self, tags: list[str], d: Directive) -> str:
        if len(tags) == 1 and not tags[0].startswith("!"):
            if tags[0] == "known":
                return "KNOWN"
            self.member(tags[0])
            return tags[0]
        test = " and ".join(f"({self.member(t)})" if len(tags) > 1 else self.member(t) for t in tags)
        name = "tags-" + "-".join(t.replace("!", "not-") for t in tags)
        cls = self.tag(name)
        if not cls.conditions:
            cls.conditions.append(test)
            cls.depends.update(t.lstrip("!") for t in tags)
            cls.items.append(Comment(f"made for a condition on tags {', '.join(tags)} (line {d.line})"))
        return name

    def set_condition(self, d: Directive, setter: str, test: str) -> None:
        name = setter[4:] if setter.startswith("set:") else setter
        if not name:
            raise self.fail(d, f"{d.name} needs set:<tag>")
        cls = self.tag(name)
        cls.conditions.append(test)

    def do_dhcp_match(self, d: Directive) -> None:
        fields = split_fields(self.need(d))
        if len(fields) < 2:
            raise self.fail(d, "dhcp-match needs set:<tag> and an option")
        setter, spec, values = fields[0], fields[1], fields[2:]
        if spec.lower().startswith("vi-encap:"):
            number = spec[9:]
            if not number.isdigit():
                raise self.fail(d, "vi-encap: needs an enterprise number")
            if values:
                return self.note(
                    d, "matching the content of a vendor-identifying option has no Kea 2.2 expression"
                )
            return self.set_condition(d, setter, f"vendor[{int(number)}].exists")
        code = self.option_code(d, spec)
        if not values:
            return self.set_condition(d, setter, f"option[{code}].exists")
        value = ",".join(values)
        if "*" in value:
            parts = value.split(":")
            head = []
            for p in parts:
                if p == "*":
                    break
                head.append(p)
            if any(p != "*" for p in parts[len(head) :]) or not all(HEX.match(p + ":00") for p in head):
                return self.note(d, "a value pattern with a wildcard in the middle has no Kea expression")
            return self.set_condition(
                d,
                setter,
                f"substring(option[{code}].hex,0,{len(head)}) == 0x"
                + "".join(f"{int(p, 16):02x}" for p in head),
            )
        if HEX.match(value):
            return self.set_condition(d, setter, f"option[{code}].hex == 0x" + value.replace(":", "").lower())
        if value.isdigit() or (value[:-1].isdigit() and value[-1] in "bsi"):
            defn = options4.by_code(code)
            width = {"b": 1, "s": 2, "i": 4}.get(value[-1]) if not value.isdigit() else None
            number = int(value if value.isdigit() else value[:-1])
            if width is None:
                width = {"uint8": 1, "int8": 1, "uint16": 2, "int16": 2}.get(defn.type if defn else "", 4)
            if number >= 1 << (8 * width):
                raise self.fail(d, f"{number} does not fit the option")
            if defn is not None and defn.array:
                self.items.append(
                    Comment(
                        f"dhcp-match line {d.line}: dnsmasq matches one element of the "
                        f"option's list; this matches a client that sends just that value"
                    )
                )
            return self.set_condition(d, setter, f"option[{code}].hex == 0x{number:0{2 * width}x}")
        self.items.append(
            Comment(
                f"dhcp-match line {d.line}: dnsmasq matches the text anywhere in the "
                "option; Kea 2.2 can match it at the start only"
            )
        )
        return self.set_condition(d, setter, _prefix_test(f"option[{code}].hex", value.encode()))

    def do_dhcp_vendorclass(self, d: Directive) -> None:
        fields = split_fields(self.need(d))
        if len(fields) < 2:
            raise self.fail(d, "dhcp-vendorclass needs set:<tag> and a vendor class")
        if fields[1].lower().startswith("enterprise:"):
            return self.note(d, "enterprise-numbered vendor classes are DHCPv6")
        value = ",".join(fields[1:])
        self.items.append(
            Comment(
                f"dhcp-vendorclass line {d.line}: dnsmasq matches the text anywhere in "
                "the vendor class; Kea 2.2 can match it at the start only"
            )
        )
        self.set_condition(d, fields[0], _prefix_test("option[60].hex", value.encode()))

    def do_dhcp_userclass(self, d: Directive) -> None:
        fields = split_fields(self.need(d))
        if len(fields) < 2:
            raise self.fail(d, "dhcp-userclass needs set:<tag> and a user class")
        value = ",".join(fields[1:]).encode()
        # RFC 3004: each user class is length-prefixed; this matches the first one.
        self.items.append(
            Comment(
                f"dhcp-userclass line {d.line}: matched at the start of the client's "
                "first user class (dnsmasq matches anywhere)"
            )
        )
        self.set_condition(d, fields[0], f"substring(option[77].hex,1,{len(value)}) == " + _literal(value))

    def do_dhcp_mac(self, d: Directive) -> None:
        fields = split_fields(self.need(d))
        if len(fields) != 2 or not MAC.match(fields[1]):
            raise self.fail(d, "dhcp-mac needs set:<tag> and a hardware address")
        test = self.mac_test(d, fields[1])
        if test:
            self.set_condition(d, fields[0], test)

    def relay_match(self, d: Directive, sub: int) -> None:
        fields = split_fields(self.need(d))
        if len(fields) != 2:
            raise self.fail(d, f"{d.name} needs set:<tag> and a value")
        value = fields[1]
        data = bytes(int(p, 16) for p in value.split(":")) if HEX.match(value) else value.encode()
        self.set_condition(
            d, fields[0], f"relay4[{sub}].hex == " + _literal(data, HEX.match(value) is not None)
        )

    def do_dhcp_circuitid(self, d: Directive) -> None:
        self.relay_match(d, 1)

    def do_dhcp_remoteid(self, d: Directive) -> None:
        self.relay_match(d, 2)

    def do_dhcp_subscrid(self, d: Directive) -> None:
        self.relay_match(d, 6)

    def do_tag_if(self, d: Directive) -> None:
        fields = split_fields(self.need(d))
        sets = [f[4:] for f in fields if f.startswith("set:")]
        conds = [f[4:] for f in fields if f.startswith("tag:")]
        if not sets or len(sets) + len(conds) != len([f for f in fields if f]):
            raise self.fail(d, "tag-if takes set:<tag> and tag:<tag> fields only")
        if any("*" in c for c in conds):
            return self.note(d, "tag wildcards (interface-name patterns) have no Kea equivalent")
        test = (
            " and ".join(f"({self.member(c)})" if len(conds) > 1 else self.member(c) for c in conds)
            if conds
            else "member('ALL')"
        )
        for s in sets:
            cls = self.tag(s)
            cls.conditions.append(test)
            cls.depends.update(c.lstrip("!") for c in conds)

    def do_dhcp_ignore(self, d: Directive) -> None:
        tags = [f[4:] for f in split_fields(self.need(d)) if f.startswith("tag:")]
        if not tags:
            raise self.fail(d, "dhcp-ignore needs tag:<tag>")
        self.drop.append(
            " and ".join(f"({self.member(t)})" if len(tags) > 1 else self.member(t) for t in tags)
        )

    # -- options

    def option_code(self, d: Directive, spec: str) -> int:
        low = spec.lower()
        if low.startswith("option:"):
            name = spec[7:]
            code = DNSMASQ_OPTION_NAMES.get(name, DNSMASQ_OPTION_NAMES.get(name.lower()))
            if code is None:
                raise self.fail(d, f"unknown DHCP option name {name}")
            return code
        if spec.isdigit() and 0 < int(spec) < 255:
            return int(spec)
        raise self.fail(d, f"bad dhcp-option {spec}")

    def do_dhcp_option(self, d: Directive, force: bool = False) -> None:
        fields = split_fields(self.need(d))
        tags: list[str] = []
        while fields and (fields[0].lower().startswith(("tag:", "net:", "encap:", "vi-encap:", "vendor:"))):
            f = fields.pop(0)
            low = f.lower()
            if low.startswith(("tag:", "net:")):
                tags.append(f[4:])
            else:
                return self.note(
                    d,
                    "encapsulated options (encap:, vi-encap:, vendor:) are not translated; "
                    "define them with option-def and an encapsulating option",
                )
        if not fields:
            raise self.fail(d, "dhcp-option needs an option")
        spec = fields.pop(0)
        if spec.lower().startswith("option6:"):
            return self.note(d, "a DHCPv6 option")
        code = self.option_code(d, spec)
        values = fields
        if code == 255:  # server-ip-address: the siaddr field
            return self.boot_fields(d, tags, {"next-server": values[0] if values else ""})
        if code == 67 and values:
            return self.boot_fields(d, tags, {"boot-file-name": values[0]}, option=(code, values, force))
        if not values or values == [""]:
            if code in DEFAULTED and not tags:
                self.suppressed.add(code)
                return None
            return self.note(d, "an option without data")
        if code in (58, 59) and not tags:
            key = "renew-timer" if code == 58 else "rebind-timer"
            t = parse_time(values[0])
            if t is None:
                raise self.fail(d, f"bad time {values[0]}")
            self.params[key] = t
            return None
        if code == 51:
            return self.note(d, "the lease time comes from the dhcp-range (Kea's valid-lifetime)")
        entry = self.option_entry(d, code, values)
        if entry is None:
            return None
        if force:
            entry["always-send"] = True
        self.place_option(d, tags, code, entry)

    def do_dhcp_option_force(self, d: Directive) -> None:
        self.do_dhcp_option(d, force=True)

    def option_entry(self, d: Directive, code: int, values: list[str]) -> dict[str, Any] | None:
        defn = options4.by_code(code)
        own = [i for i, v in enumerate(values) if v == "0.0.0.0"]
        if own and defn is not None and defn.type == "ipv4-address":
            # 0.0.0.0 means "dnsmasq's own address": resolved per subnet when the document is built.
            return {"code": code, "own-address": values, "line": d.line, "directive": d}
        entry: dict[str, Any] = {"space": "dhcp4"}
        if code in KEA_LACKS or defn is None:
            entry["code"] = code
        else:
            entry["name"] = defn.name
            entry["code"] = code
        payload = self.payload(d, code, defn, values)
        if payload is None:
            return None
        put_data(entry, defn, payload, code in FORCE_HEX_CODES)
        return entry

    def payload(
        self, d: Directive, code: int, defn: optiondef.OptionDef | None, values: list[str]
    ) -> bytes | None:
        if code == 121:
            return _classless_routes(self, d, values)
        if len(values) == 1 and HEX.match(values[0]) and (defn is None or defn.type in ("binary", "string")):
            return bytes(int(p, 16) for p in values[0].split(":"))
        if defn is not None:
            parts = []
            for v in values:
                if defn.type.startswith(("uint", "int")) and v[-1:] in "bsi" and v[:-1].isdigit():
                    v = v[:-1]
                if defn.type == "boolean" and v in ("0", "1"):
                    v = "true" if v == "1" else "false"
                parts.append(v.replace(",", "\\,"))
            text = ", ".join(parts)
            try:
                return optiondef.text_to_wire(defn, text)
            except OptionTextError as err:
                if defn.type in ("string",) or defn.type == "fqdn":
                    raise self.fail(d, f"bad value for option {code}: {err.message}") from None
                raise self.fail(d, f"bad value for option {defn.name} ({code}): {err.message}") from None
        # An option without a definition: dnsmasq guesses the type from the text, and so do we.
        out = b""
        for v in values:
            if IPV4.match(v):
                out += ipaddress.IPv4Address(v).packed
            elif HEX.match(v):
                out += bytes(int(p, 16) for p in v.split(":"))
            elif v.isdigit():
                self.note(d, f"a number for option {code}, which has no definition: its size is unknown")
                return None
            else:
                out += v.encode()
        return out

    def place_option(self, d: Directive, tags: list[str], code: int, entry: dict[str, Any]) -> None:
        if not tags:
            self.option_codes[code] = d.line
            self.global_options.append(entry)
            return
        range_tags = [t for t in tags if any(t in s.tags for s in self.subnets.values())]
        if range_tags and len(tags) == 1:
            for s in self.subnets.values():
                if tags[0] in s.tags:
                    s.options.append(entry)
            return
        if range_tags:
            return self.note(d, "an option for a subnet's tag combined with other tags has no Kea equivalent")
        name = self.condition_class(tags, d) if len(tags) > 1 or tags[0].startswith("!") else tags[0]
        if name == "KNOWN":
            return self.note(d, "options for all known hosts: give them in each reservation")
        if name in tags:
            self.member(name)
        self.tag(name).options.append(entry)

    def do_dhcp_boot(self, d: Directive) -> None:
        fields = split_fields(self.need(d))
        tags = []
        while fields and fields[0].lower().startswith(("tag:", "net:")):
            tags.append(fields.pop(0)[4:])
        if not fields or not fields[0]:
            raise self.fail(d, "dhcp-boot needs a file name")
        params: dict[str, Any] = {"boot-file-name": fields[0]}
        if len(fields) > 1 and fields[1]:
            params["server-hostname"] = fields[1]
        if len(fields) > 2 and fields[2]:
            if IPV4.match(fields[2]):
                params["next-server"] = fields[2]
            else:
                self.note(
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
            entry = self.option_entry(d, code, values)
            if entry is not None:
                if force:
                    entry["always-send"] = True
                self.place_option(d, tags, code, entry)
            params = {k: v for k, v in params.items() if k != "boot-file-name"}
            if not params:
                return
        if not tags:
            self.boot.update(params)
            self.boot_line = d.line
            return
        range_tags = [t for t in tags if any(t in s.tags for s in self.subnets.values())]
        if range_tags:
            if len(tags) > 1:
                return self.note(d, "boot settings for a subnet's tag combined with other tags")
            for s in self.subnets.values():
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

    # ---------------------------------------------------------------------------------- writing

    def own_address(self, network: ipaddress.IPv4Network) -> str | None:
        for ifname, iface in self.local:
            if iface.ip in network and (not self.interfaces or ifname in self.interfaces):
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
                self.note(
                    d,
                    "0.0.0.0 means dnsmasq's own address, and no interface of this machine is "
                    "in the subnet: write the address",
                )
            return None
        values = [own if v == "0.0.0.0" else v for v in entry["own-address"]]
        return self.option_entry(Directive(d.name, d.value, d.source, d.line), entry["code"], values)

    def build(self) -> Result:
        d4: dict[str, Any] = {}
        for item in self.items:
            d4[item if isinstance(item, Comment) else Comment(str(item))] = None
        if self.not_dhcp:
            names = sorted({x.name for x in self.not_dhcp})
            where = ", ".join(f"{x.name} (line {x.line})" for x in self.not_dhcp[:12])
            more = f" and {len(self.not_dhcp) - 12} more" if len(self.not_dhcp) > 12 else ""
            n = Note(
                self.source,
                self.not_dhcp[0].line,
                f"{len(self.not_dhcp)} directive(s) that are not about DHCP: {where}{more}",
                "edge-dhcp is a DHCP server only; keep dnsmasq (with dhcp-range removed) or another "
                "server for " + ", ".join(names[:8]) + ("..." if len(names) > 8 else ""),
            )
            self.notes.append(n)
            d4[n.comment()] = None
        if self.interfaces:
            d4["interfaces-config"] = {"interfaces": list(self.interfaces)}
        elif self.subnets:
            d4[
                Comment(
                    "dnsmasq serves every interface unless told otherwise; Kea and edge-dhcp need them",
                    'listed: add "interfaces-config": {"interfaces": [...]}, or rerun with -i.',
                )
            ] = None
        for key, value in self.params.items():
            d4[key] = value
        d4["valid-lifetime"] = 3600  # dnsmasq's default lease time; each subnet says its own
        self.write_boot_globals(d4)
        options = [self.resolve_own(o, None) for o in self.global_options if "own-address" not in o]
        options = [o for o in options if o is not None]
        for o in self.global_options:
            if "own-address" in o:
                for s in self.subnets.values():
                    r = self.resolve_own(o, s.network)
                    if r is not None:
                        s.options.append(r)
        for domain, network, _line in self.domains:
            if network is None and 15 not in self.option_codes and 15 not in self.suppressed:
                options.append({"space": "dhcp4", "name": "domain-name", "code": 15, "data": domain})
        if options:
            d4["option-data"] = options
        classes = self.class_list()
        if classes:
            d4["client-classes"] = classes
        subnets = [self.subnet_out(s) for s in self.subnets.values()]
        self.place_global_reservations()
        if subnets:
            d4["subnet4"] = subnets
        if self.global_reservations:
            d4["reservations-global"] = True
            d4["reservations"] = self.global_reservations
        if self.multi_ip:
            d4[Comment("dnsmasq lets several hardware addresses share one reserved address")] = None
            d4["ip-reservations-unique"] = False
        header = [f"Converted from dnsmasq configuration {self.source} by edge-dhcp migrate dnsmasq."]
        return Result({"Dhcp4": d4}, self.notes, header)

    def write_boot_globals(self, d4: dict[str, Any]) -> None:
        for key in ("boot-file-name", "server-hostname"):
            if key in self.boot:
                d4[key] = self.boot[key]

    def place_global_reservations(self) -> None:
        keep = []
        for r in self.global_reservations:
            ip = r.get("ip-address") if isinstance(r, dict) else None
            subnet = next(
                (s for s in self.subnets.values() if ip and ipaddress.IPv4Address(ip) in s.network), None
            )
            if subnet is not None:
                subnet.reservations.append(r)
            elif ip:
                n = Note(
                    self.source,
                    self.reservation_lines.get(id(r)),
                    f"dhcp-host for {ip}",
                    "the address is in no dhcp-range's subnet (dnsmasq ignores such hosts too)",
                )
                self.notes.append(n)
                keep.append(n.comment())
            else:
                keep.append(r)
        self.global_reservations = keep if any(isinstance(r, dict) for r in keep) else []

    def subnet_out(self, s: SubnetOut) -> dict[str, Any]:
        obj: dict[str, Any] = {"id": s.id, "subnet": str(s.network)}
        for item in s.items:
            obj[item] = None
        if s.lease is not None:
            obj["valid-lifetime"] = s.lease  # dnsmasq never gives more; Kea's maximum defaults to it
        options = list(s.options)
        codes = {o.get("code") for o in options if isinstance(o, dict)} | set(self.option_codes)
        own = self.own_address(s.network)
        for code, name in ((3, "routers"), (6, "domain-name-servers")):
            if code in codes or code in self.suppressed or (code == 6 and not self.dns_enabled):
                continue
            if any(
                code in {o.get("code") for o in c.options if isinstance(o, dict)} for c in self.tags.values()
            ):
                continue
            if own is not None:
                obj[Comment(f"dnsmasq sends its own address as {name} unless told otherwise")] = None
                options.append({"space": "dhcp4", "name": name, "code": code, "data": own})
            else:
                n = Note(
                    self.source,
                    s.line,
                    f"the default {name} of {s.network}",
                    "dnsmasq sends its own "
                    "address; no interface of this machine is in the subnet, so it cannot be written "
                    "here: add the option",
                )
                self.notes.append(n)
                obj[n.comment()] = None
        if 28 not in codes and 28 not in self.suppressed:
            options.append(
                {
                    "space": "dhcp4",
                    "name": "broadcast-address",
                    "code": 28,
                    "data": s.broadcast or str(s.network.broadcast_address),
                }
            )
        for domain, network, _line in self.domains:
            if network is not None and (network.subnet_of(s.network) or s.network.subnet_of(network)):
                if 15 not in codes:
                    options.append({"space": "dhcp4", "name": "domain-name", "code": 15, "data": domain})
        if options:
            obj["option-data"] = options
        boot = {**self.boot, **s.boot}
        if boot.get("next-server"):
            obj["next-server"] = boot["next-server"]
        elif own is not None:
            obj[
                Comment("dnsmasq puts its own address in siaddr (next-server) unless dhcp-boot names one")
            ] = None
            obj["next-server"] = own
        elif "next-server" in boot:
            n = Note(
                self.source,
                self.boot_line or s.line,
                f"the TFTP server of {s.network}",
                "dnsmasq uses its own address; no interface of this machine is in the subnet",
            )
            self.notes.append(n)
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
            if name in done or name in visiting or name not in self.tags:
                return
            visiting.add(name)
            cls = self.tags[name]
            for dep in sorted(cls.depends):
                visit(dep)
            for dep in (t for t in _members(" ".join(cls.conditions)) if t != name):
                visit(dep)
            visiting.discard(name)
            done.add(name)
            out.append(self.class_out(cls))

        range_tags = {t for s in self.subnets.values() for t in s.tags}
        for name in list(self.tags):
            if (
                name in range_tags
                and not self.tags[name].conditions
                and not self.tags[name].options
                and not self.tags[name].referenced
                and not self.tags[name].params
            ):
                continue  # a subnet's tag that nothing else uses: no class needed
            visit(name)
        if self.drop:
            test = " or ".join(f"({t})" if len(self.drop) > 1 else t for t in self.drop)
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
        range_subnets = [s for s in self.subnets.values() if cls.name in s.tags]
        if range_subnets and (cls.referenced or cls.conditions):
            n = Note(
                self.source,
                range_subnets[0].line,
                f"tag {cls.name}",
                "set by a dhcp-range: Kea 2.2 expressions cannot test the subnet, so other directives "
                "that test this tag see it unset",
            )
            self.notes.append(n)
            obj[n.comment()] = None
        if cls.conditions:
            conditions = list(dict.fromkeys(cls.conditions))
            obj["test"] = " or ".join(f"({c})" if len(conditions) > 1 else c for c in conditions)
        elif cls.name in self.interfaces:
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
                n = Note(
                    self.source,
                    cls.params.get("line"),
                    f"the TFTP server for tag {cls.name}",
                    "dnsmasq uses its own address, which is not the same in every subnet (or no "
                    "interface of this machine is in them): write it out",
                )
                self.notes.append(n)
                obj[n.comment()] = None
        return obj

    def only_network(self) -> ipaddress.IPv4Network | None:
        return next(iter(self.subnets)) if len(self.subnets) == 1 else None

    def own_for_all(self) -> str | None:
        found = {self.own_address(n) for n in self.subnets}
        return found.pop() if len(found) == 1 and None not in found else None


def _members(test: str) -> list[str]:
    return re.findall(r"member\('([^']*)'\)", test)


def _literal(data: bytes, hex_form: bool = False) -> str:
    if not hex_form and data and all(32 <= b < 127 for b in data) and b"'" not in data:
        return "'" + data.decode() + "'"
    return "0x" + data.hex()


def _prefix_test(field: str, data: bytes) -> str:
    return f"substring({field},0,{len(data)}) == {_literal(data)}"


def _strip_comment(line: str) -> str:
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _classless_routes(t: DnsmasqTranslator, d: Directive, values: list[str]) -> bytes:
    """dnsmasq's `net/len,router,...` for option 121 -> RFC 3442 bytes."""
    if len(values) % 2:
        raise t.fail(d, "classless-static-route takes pairs of destination/width and router")
    out = bytearray()
    for dest, router in zip(values[::2], values[1::2], strict=True):
        try:
            net = ipaddress.IPv4Network(dest if "/" in dest else dest + "/32", strict=False)
            gw = ipaddress.IPv4Address(router)
        except ValueError:
            raise t.fail(d, f"bad route {dest} via {router}") from None
        out.append(net.prefixlen)
        out += net.network_address.packed[: (net.prefixlen + 7) // 8]
        out += gw.packed
    return bytes(out)


def translate_text(
    text: str,
    source: str = "<dnsmasq.conf>",
    interfaces: Iterable[str] = (),
    local: Iterable[tuple[str, ipaddress.IPv4Interface]] = (),
) -> Result:
    t = DnsmasqTranslator(source, interfaces, local)
    t.read(t.text_lines(text, source))
    return t.build()


def translate_file(
    path: str,
    interfaces: Iterable[str] = (),
    local: Iterable[tuple[str, ipaddress.IPv4Interface]] | None = None,
) -> Result:
    t = DnsmasqTranslator(path, interfaces, local_addresses() if local is None else local)
    t.read(t.lines(path))
    return t.build()


def local_addresses() -> list[tuple[str, ipaddress.IPv4Interface]]:
    """This machine's IPv4 interface addresses (what dnsmasq would find at run time); [] if unknown."""
    try:
        from edge.netif.interfaces import scan

        found = []
        for name, iface in scan().items():
            if iface.loopback:
                continue
            for address, prefix in iface.addresses:
                found.append((name, ipaddress.IPv4Interface((address, prefix))))
        return found
    except Exception:  # no netifaces, no permission: the conversion goes on without local knowledge
        return []
