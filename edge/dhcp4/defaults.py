"""The built-in configuration `edge-dhcp serve` uses when given no `-c`: one subnet on one interface.

Rules this module keeps:
- The default is an ordinary Kea-dialect document (a dict), loaded through the same loader as a file,
  so it is checked by the same rules and `config-get` shows exactly what is in force.
- `builtin_default` is a pure function of its arguments; reading the machine (interfaces, resolvers) is
  done by the separate helpers `first_interface` and `host_dns_servers`.

Theory of operation: the subnet is the network of the server's own address. The pool is a modest block
that leaves room for static addresses below it: for a /24 (or wider) it is .100-.199 of the server's
/24 block; for narrower subnets it is the upper half of the host range. The server's own address is
always kept out of the pool. Clients get the server as their router, and as DNS servers the resolvers
this machine itself uses (see `builtin_default`).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import replace
from typing import Any, NamedTuple

from edge.config.family import FamilyFiles
from edge.dhcp4.model import Config4

__all__ = [
    "DEFAULT_CONTROL_SOCKET",
    "DEFAULT_LEASE_FILE",
    "FILES4",
    "PLACEHOLDER_INTERFACE",
    "InterfaceAddress",
    "builtin_default",
    "builtin_for_check",
    "default_pool",
    "first_interface",
    "host_dns_servers",
    "load_builtin_default",
    "load_config",
]

log = logging.getLogger("edge.config")

DEFAULT_LEASE_FILE = "/var/lib/edge-dhcp/dhcp4.leases"
DEFAULT_CONTROL_SOCKET = "/run/edge-dhcp/dhcp4-ctrl.sock"
DEFAULT_VALID_LIFETIME = 3600


class InterfaceAddress(NamedTuple):
    name: str
    address: str
    prefix_len: int


# What `edge-dhcp check` shows when this machine has no usable interface (e.g. in a container).
PLACEHOLDER_INTERFACE = InterfaceAddress("eth0", "192.168.1.1", 24)


def default_pool(address: str, prefix_len: int) -> tuple[str, str] | None:
    """The pool (first, last) the built-in default hands out, or None when the subnet has no room."""
    server = int(ipaddress.IPv4Address(address))
    net = ipaddress.IPv4Network(f"{address}/{prefix_len}", strict=False)
    network, broadcast = int(net.network_address), int(net.broadcast_address)
    if prefix_len <= 24:
        block = server & 0xFFFFFF00
        first, last = block + 100, block + 199
    elif prefix_len <= 30:
        first, last = network + net.num_addresses // 2, broadcast - 1
    elif prefix_len == 31:  # RFC 3021 point-to-point: the one other address
        first = last = network if server == broadcast else broadcast
    else:
        return None
    first, last = _around(server, first, last)
    if first > last and prefix_len <= 30:  # no room beside the server: any other host address
        first, last = _around(server, network + 1, broadcast - 1)
    if first > last:
        return None
    return str(ipaddress.IPv4Address(first)), str(ipaddress.IPv4Address(last))


def _around(server: int, first: int, last: int) -> tuple[int, int]:
    """The range without the server's address: the larger side of it when it falls inside."""
    if not first <= server <= last:
        return first, last
    below, above = (first, server - 1), (server + 1, last)
    return below if below[1] - below[0] >= above[1] - above[0] else above


def builtin_default(
    ifname: str, address: str, prefix_len: int, dns_servers: list[str] | None = None
) -> dict[str, Any]:
    """The built-in Kea-dialect document for a server at `address`/`prefix_len` on `ifname`.

    DNS: dnsmasq users expect clients to get *some* resolver, and Kea users expect the option to say
    exactly what is configured. No DNS server runs on this box, so handing out the server's own address
    (as dnsmasq does, being a DNS forwarder too) would break name resolution. Instead clients get the
    resolvers this machine uses itself (`dns_servers`; None reads /etc/resolv.conf, skipping loopback
    stubs such as systemd-resolved's 127.0.0.53, which LAN clients cannot reach). With none usable, the
    option is left out, as Kea does when nothing is configured.
    """
    net = ipaddress.IPv4Network(f"{address}/{prefix_len}", strict=False)
    if dns_servers is None:
        dns_servers = host_dns_servers()
    options = [{"name": "routers", "data": address}]
    if dns_servers:
        options.append({"name": "domain-name-servers", "data": ", ".join(dns_servers)})
    pool = default_pool(address, prefix_len)
    subnet: dict[str, Any] = {
        "id": 1,
        "subnet": str(net),
        "interface": ifname,
        "pools": [{"pool": f"{pool[0]} - {pool[1]}"}] if pool else [],
        "option-data": options,
    }
    return {
        "Dhcp4": {
            "interfaces-config": {"interfaces": [ifname], "dhcp-socket-type": "raw"},
            "lease-database": {"type": "memfile", "persist": True, "name": DEFAULT_LEASE_FILE},
            "control-socket": {"socket-type": "unix", "socket-name": DEFAULT_CONTROL_SOCKET},
            "valid-lifetime": DEFAULT_VALID_LIFETIME,
            "subnet4": [subnet],
            "comment": f"edge-dhcp built-in default for {ifname} ({address}/{prefix_len})",
        }
    }


def load_builtin_default(
    iface: InterfaceAddress | None = None, dns_servers: list[str] | None = None
) -> Config4:
    """The built-in default as a Config4 (source None), for `iface` or else this machine's first one."""
    from edge.dhcp4.config import load_data

    iface = iface or first_interface() or PLACEHOLDER_INTERFACE
    doc = builtin_default(iface.name, iface.address, iface.prefix_len, dns_servers)
    return replace(load_data(doc, source="<built-in default>"), source=None)


def builtin_for_check() -> tuple[Config4, str]:
    """What `edge-dhcp check` without a file checks: the built-in default for this machine's first
    interface (or a placeholder when there is none), and how to name it."""
    iface = first_interface()
    config = load_builtin_default(iface)
    if iface is None:
        iface = PLACEHOLDER_INTERFACE
        note = " (no usable interface here; shown for a placeholder)"
    else:
        note = ""
    return config, f"built-in default for {iface.name} {iface.address}/{iface.prefix_len}{note}"


def load_config(path: str | None) -> Config4:
    """The configuration file at `path`, or without one the built-in default for this machine's first
    interface with an IPv4 address: what `edge-dhcp serve` and the lease tools run on."""
    from edge.dhcp4.config import load_data, load_file

    if path:
        return load_file(path)
    found = first_interface()
    if found is None:
        raise ValueError(
            "no interface with an IPv4 address for the built-in default configuration; give one with -c FILE"
        )
    return load_data(
        builtin_default(found.name, found.address, found.prefix_len), source="<built-in default>"
    )


def host_dns_servers(resolv_conf: str = "/etc/resolv.conf") -> list[str]:
    """IPv4 name servers this machine uses, without loopback addresses; [] when none or unreadable."""
    servers: list[str] = []
    try:
        with open(resolv_conf, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) >= 2 and fields[0] == "nameserver":
                    try:
                        addr = ipaddress.IPv4Address(fields[1])
                    except ValueError:
                        continue  # IPv6 servers cannot go in a DHCPv4 option
                    if not addr.is_loopback and str(addr) not in servers:
                        servers.append(str(addr))
    except OSError:
        return []
    return servers[:3]


def first_interface() -> InterfaceAddress | None:
    """The first interface (by kernel index) that is not loopback and has an IPv4 address, or None."""
    try:
        import netifaces
    except ImportError:  # pragma: no cover - netifaces is a declared dependency
        return None
    try:
        names = [name for _, name in sorted(socket.if_nameindex())]
    except OSError:
        names = list(netifaces.interfaces())
    for name in names:
        try:
            entries = netifaces.ifaddresses(name).get(netifaces.AF_INET, [])
        except ValueError:  # vanished meanwhile
            continue
        for entry in entries:
            try:
                addr = ipaddress.IPv4Address(entry.get("addr", ""))
                mask = entry.get("netmask") or "255.255.255.255"
                prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
            except ValueError:
                continue
            if addr.is_loopback or addr.is_link_local:
                continue
            return InterfaceAddress(name, str(addr), prefix)
    return None


def _files() -> FamilyFiles:
    from edge.dhcp4.config import DIALECT

    return FamilyFiles("DHCPv4", DIALECT, DEFAULT_LEASE_FILE, DEFAULT_CONTROL_SOCKET, load_config)


FILES4 = _files()
