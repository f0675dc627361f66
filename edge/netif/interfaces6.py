"""IPv6 interface discovery: names, 32-bit indexes, flags and the IPv6 addresses a DHCPv6 server may use.

Rules this module keeps:
- An interface index is the kernel's value, a plain int end to end (never 16 bits: interfaces.py's rule).
- Addresses are 16-byte `bytes`, as on the wire (edge.wire.pkt6, edge.wire.addr). `Interface6.addresses`
  holds only usable ones: tentative (DAD still running) and DAD-failed addresses are left out, since a
  socket cannot bind them (EADDRNOTAVAIL); they reappear in the next scan once DAD is done.
- `scan6()` is a snapshot of the calling *thread's* network namespace: it reads
  /proc/thread-self/net/if_inet6, not /proc/net (which follows the process's main thread), so code that
  moved one thread into a namespace (setns) sees that namespace. It never raises for an interface that
  disappears meanwhile (it is left out).

Theory of operation:
The v4 scan (interfaces.scan: netifaces, SIOCGIFFLAGS, if_nametoindex) gives names, indexes, MACs and
flags; /proc/thread-self/net/if_inet6 gives each IPv6 address with its interface index, prefix length,
scope and IFA_F_* flags in one read. The two are joined on the index into immutable `Interface6` values;
the v6 socket manager compares successive scans exactly as the v4 one does (manager.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from edge.netif.interfaces import Interface, interface_flags, scan

log = logging.getLogger("edge.netif")

IFF_MULTICAST = 0x1000
IFA_F_DADFAILED = 0x08
IFA_F_TENTATIVE = 0x40
_UNUSABLE = IFA_F_DADFAILED | IFA_F_TENTATIVE
IF_INET6_PATHS = ("/proc/thread-self/net/if_inet6", "/proc/net/if_inet6")


@dataclass(frozen=True, slots=True)
class Interface6:
    """One network interface as a DHCPv6 server sees it in one scan."""

    name: str
    index: int
    mac: bytes | None
    addresses: tuple[tuple[bytes, int], ...]  # usable IPv6 addresses: (16 bytes, prefix length)
    up: bool
    loopback: bool
    running: bool = False
    multicast: bool = False
    tentative: tuple[bytes, ...] = ()  # addresses still in DAD (or failed it): not bindable yet

    @property
    def link_local(self) -> bytes | None:
        """The first usable fe80::/10 address, the one a DHCPv6 server listens and answers on."""
        for address, _prefix in self.addresses:
            if address[0] == 0xFE and address[1] & 0xC0 == 0x80:
                return address
        return None

    @property
    def ipv6(self) -> list[bytes]:
        return [address for address, _prefix in self.addresses]

    def has_address(self, address: bytes) -> bool:
        return any(a == address for a, _p in self.addresses)

    def broadcast_addresses(self) -> set[int]:
        """IPv6 has no broadcast (the manager's v4 bookkeeping asks every interface)."""
        return set()


def parse_if_inet6(text: str) -> list[tuple[str, int, bytes, int, int, int]]:
    """/proc/net/if_inet6 lines -> (ifname, ifindex, address, prefix length, scope, flags) each.

    A line is "ADDRESS32HEX IFINDEX PREFIXLEN SCOPE FLAGS NAME", numbers in hex; malformed lines are
    skipped.
    """
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 6 or len(fields[0]) != 32:
            continue
        try:
            address = bytes.fromhex(fields[0])
            index, prefix, scope, flags = (int(f, 16) for f in fields[1:5])
        except ValueError:
            continue
        out.append((fields[5], index, address, prefix, scope, flags))
    return out


def _read_if_inet6() -> str:
    for path in IF_INET6_PATHS:
        try:
            with open(path) as f:
                return f.read()
        except FileNotFoundError:
            continue  # no IPv6 at all (or an old kernel without thread-self): try the next
    return ""


def scan6() -> dict[str, Interface6]:
    """Every interface in the calling thread's network namespace, with its IPv6 addresses, by name."""
    base: dict[str, Interface] = scan()
    by_index: dict[int, tuple[list[tuple[bytes, int]], list[bytes]]] = {}
    for _name, index, address, prefix, _scope, flags in parse_if_inet6(_read_if_inet6()):
        usable, pending = by_index.setdefault(index, ([], []))
        if flags & _UNUSABLE:
            pending.append(address)
        elif (address, prefix) not in usable:
            usable.append((address, prefix))
    found: dict[str, Interface6] = {}
    for name, iface in base.items():
        flags = interface_flags(name)
        if flags is None:
            continue  # vanished since scan()
        usable, pending = by_index.get(iface.index, ([], []))
        found[name] = Interface6(
            name=name,
            index=iface.index,
            mac=iface.mac,
            addresses=tuple(sorted(usable)),  # the kernel lists them in hash order: sort for stable scans
            up=iface.up,
            loopback=iface.loopback,
            running=iface.running,
            multicast=bool(flags & IFF_MULTICAST),
            tentative=tuple(sorted(pending)),
        )
    return found
