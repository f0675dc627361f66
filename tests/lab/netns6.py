"""IPv6 in the network-namespace lab: the direct and relayed topologies with link-local addresses, DAD off.

Rules this module keeps:
- Built on tests/lab/netns.py's `Lab` (its namespaces, veth pairs, per-namespace resolv.conf, teardown); the
  v4 `Lab.build()` is left exactly as it is. Everything here only adds IPv6 on top.
- Duplicate address detection is off on every lab link *before* the link comes up: accept_dad=0 for
  "all", "default" and the interface itself, and static addresses are added with `nodad`. A tentative
  address cannot be bound (EADDRNOTAVAIL: dhclient -6 exits at once, Kea opens no socket), so `build6()`
  returns only when no address in any lab namespace is tentative.
- Global addresses come from the documentation prefix 2001:db8::/32 only: the server's link
  2001:db8:1::/64, the relayed clients' link 2001:db8:2::/64 (the relay's downstream address there is the
  link-address dhcrelay -6 puts in RELAY-FORW).
- Interface indexes are the caller's choice (70000 and 131072 work); MAC addresses too, so that the
  EUI-64 link-local addresses (fe80::MAC-derived) and the clients' DUID-LL/LLT are reproducible.

Theory of operation:

    direct:   [client ns] cli0 ==veth== srv0 [server ns]
              cli0: fe80::/64 only; srv0: fe80::/64 + 2001:db8:1::1/64
    relayed:  [client ns] cli0 ==veth== down0 [relay ns] up0 ==veth== srv0 [server ns]
              down0: 2001:db8:2::1/64 (link-address), up0: 2001:db8:1::2/64, srv0: 2001:db8:1::1/64;
              forwarding on in the relay, the server routes 2001:db8:2::/64 via 2001:db8:1::2

`Site6` names the endpoints as `Endpoint6` values (namespace, interface, index, MAC, link-local, global).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

from tests.lab.netns import Lab, LabError

SERVER_NET = ipaddress.IPv6Network("2001:db8:1::/64")
CLIENT_NET = ipaddress.IPv6Network("2001:db8:2::/64")
ALL_DHCP_RELAY_AGENTS_AND_SERVERS = ipaddress.IPv6Address("ff02::1:2")


@dataclass
class Endpoint6:
    """One end of a v6 lab link."""

    ns: str
    ifname: str
    ifindex: int
    mac: str
    link_local: ipaddress.IPv6Address
    address: ipaddress.IPv6Interface | None = None

    @property
    def ip(self) -> ipaddress.IPv6Address:
        if self.address is None:
            raise LabError(f"{self.ns}/{self.ifname} has no global IPv6 address")
        return self.address.ip

    @property
    def mac_bytes(self) -> bytes:
        return bytes.fromhex(self.mac.replace(":", ""))

    @property
    def scoped_link_local(self) -> str:
        """fe80::x%ifname, as socket calls and `-u ADDR%IFACE` spell it."""
        return f"{self.link_local}%{self.ifname}"


@dataclass
class Site6:
    """The v6 topology made by `build6()`."""

    server: Endpoint6
    client: Endpoint6
    server_net: ipaddress.IPv6Network
    client_net: ipaddress.IPv6Network
    relay_up: Endpoint6 | None = None
    relay_down: Endpoint6 | None = None

    @property
    def relayed(self) -> bool:
        return self.relay_up is not None

    @property
    def relay_ns(self) -> str | None:
        return self.relay_up.ns if self.relay_up is not None else None


def dad_off(lab: Lab, ns: str, *ifnames: str) -> None:
    """accept_dad=0 (and no router solicitations' DAD either) for all, default and each named interface."""
    keys = [f"net.ipv6.conf.{name}.accept_dad=0" for name in ("all", "default", *ifnames)]
    keys += [f"net.ipv6.conf.{name}.dad_transmits=0" for name in ("all", "default", *ifnames)]
    lab.run(ns, ["sysctl", "-q", "-w", *keys])


def addresses6(lab: Lab, ns: str, ifname: str | None = None) -> list[dict[str, object]]:
    """`ip -6 addr` entries (iproute2 JSON addr_info dicts plus "ifname") in `ns`."""
    argv = ["-j", "-6", "addr", "show"] + (["dev", ifname] if ifname else [])
    found = []
    for link in json.loads(lab.ip(ns, *argv).stdout or "[]"):
        for entry in link.get("addr_info", []):
            if entry.get("family") == "inet6":
                found.append({**entry, "ifname": link["ifname"]})
    return found


def global_addresses(lab: Lab, ns: str, ifname: str) -> list[ipaddress.IPv6Interface]:
    return [
        ipaddress.IPv6Interface(f"{e['local']}/{e['prefixlen']}")
        for e in addresses6(lab, ns, ifname)
        if e.get("scope") == "global"
    ]


def wait_settled(lab: Lab, namespaces: list[str], timeout: float = 10.0) -> None:
    """Until every interface that is up has a link-local address and no address is tentative or dadfailed."""

    def settled() -> bool:
        for ns in namespaces:
            links = json.loads(lab.ip(ns, "-j", "-6", "addr", "show").stdout or "[]")
            for link in links:
                if link["ifname"] == "lo" or "UP" not in link.get("flags", []):
                    continue
                infos = [e for e in link.get("addr_info", []) if e.get("family") == "inet6"]
                if not any(e.get("scope") == "link" for e in infos):
                    return False
                if any(e.get("tentative") or e.get("dadfailed") for e in infos):
                    return False
        return True

    lab.wait_for(settled, timeout=timeout, what="IPv6 addresses to leave the tentative state")


def add_address6(lab: Lab, ns: str, ifname: str, address: str) -> None:
    """A static address (`nodad`) on a lab interface, waited for until it is usable."""
    lab.ip(ns, "-6", "addr", "add", address, "dev", ifname, "nodad")
    wait_settled(lab, [ns])


def endpoint6(lab: Lab, ns: str, ifname: str) -> Endpoint6:
    """The current v6 state of `ifname` in `ns`: index, MAC, link-local and first global address."""
    info = json.loads(lab.ip(ns, "-j", "addr", "show", "dev", ifname).stdout)[0]
    link_local = None
    address = None
    for entry in info.get("addr_info", []):
        if entry.get("family") != "inet6":
            continue
        if entry.get("scope") == "link" and link_local is None:
            link_local = ipaddress.IPv6Address(entry["local"])
        elif entry.get("scope") == "global" and address is None:
            address = ipaddress.IPv6Interface(f"{entry['local']}/{entry['prefixlen']}")
    if link_local is None:
        raise LabError(f"{ns}/{ifname} has no IPv6 link-local address")
    return Endpoint6(
        ns=ns,
        ifname=ifname,
        ifindex=info["ifindex"],
        mac=info.get("address", ""),
        link_local=link_local,
        address=address,
    )


def add_link6(
    lab: Lab,
    a: tuple[str, str],
    b: tuple[str, str],
    *,
    a_index: int | None = None,
    b_index: int | None = None,
    a_mac: str | None = None,
    b_mac: str | None = None,
    a_address: str | None = None,
    b_address: str | None = None,
) -> None:
    """A veth pair (down), DAD off on both ends, MACs and `nodad` addresses set, then both ends up."""
    lab.add_link(a, b, a_index=a_index, b_index=b_index, up=False)
    for (ns, ifname), mac, address in ((a, a_mac, a_address), (b, b_mac, b_address)):
        dad_off(lab, ns, ifname)
        if mac is not None:
            lab.ip(ns, "link", "set", ifname, "address", mac)
        if address is not None:
            lab.ip(ns, "-6", "addr", "add", address, "dev", ifname, "nodad")
        lab.ip(ns, "link", "set", ifname, "up")


def build6(
    lab: Lab,
    *,
    relay: bool = False,
    server_index: int | None = None,
    client_index: int | None = None,
    server_mac: str | None = None,
    client_mac: str | None = None,
    server_ifname: str = "srv0",
    client_ifname: str = "cli0",
    server_global: bool = True,
) -> Site6:
    """The standard v6 topology (see the module docstring); returns once no address is tentative."""
    server_ns = lab.add_namespace("server")
    client_ns = lab.add_namespace("client")
    for ns in (server_ns, client_ns):
        dad_off(lab, ns)
    server_ip = f"{SERVER_NET[1]}/64" if server_global else None
    if not relay:
        add_link6(
            lab,
            (server_ns, server_ifname),
            (client_ns, client_ifname),
            a_index=server_index,
            b_index=client_index,
            a_mac=server_mac,
            b_mac=client_mac,
            a_address=server_ip,
        )
        wait_settled(lab, [server_ns, client_ns])
        return Site6(
            server=endpoint6(lab, server_ns, server_ifname),
            client=endpoint6(lab, client_ns, client_ifname),
            server_net=SERVER_NET,
            client_net=SERVER_NET,
        )
    relay_ns = lab.add_namespace("relay")
    dad_off(lab, relay_ns)
    lab.run(relay_ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"])
    add_link6(
        lab,
        (server_ns, server_ifname),
        (relay_ns, "up0"),
        a_index=server_index,
        a_mac=server_mac,
        a_address=server_ip,
        b_address=f"{SERVER_NET[2]}/64",
    )
    add_link6(
        lab,
        (client_ns, client_ifname),
        (relay_ns, "down0"),
        a_index=client_index,
        a_mac=client_mac,
        b_address=f"{CLIENT_NET[1]}/64",
    )
    lab.ip(server_ns, "-6", "route", "add", str(CLIENT_NET), "via", str(SERVER_NET[2]), "dev", server_ifname)
    wait_settled(lab, [server_ns, client_ns, relay_ns])
    return Site6(
        server=endpoint6(lab, server_ns, server_ifname),
        client=endpoint6(lab, client_ns, client_ifname),
        server_net=SERVER_NET,
        client_net=CLIENT_NET,
        relay_up=endpoint6(lab, relay_ns, "up0"),
        relay_down=endpoint6(lab, relay_ns, "down0"),
    )
