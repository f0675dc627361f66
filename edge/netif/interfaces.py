"""Network interface discovery: names, 32-bit indexes, MACs, IPv4 addresses and flags.

Rules this module keeps:
- An interface index is the kernel's value from `socket.if_nametoindex`, kept as a plain Python int end to
  end. It is never packed into 16 bits anywhere (Linux hands out indexes above 65535, and `ip link add ...
  index N` accepts anything up to 2**31 - 1).
- IPv4 addresses are (address_int, prefix_len) pairs, in the order netifaces reports them (the primary
  address first).
- `scan()` is a snapshot of the calling thread's network namespace at one moment; it never raises for an
  interface that disappears while it is being scanned (that interface is just left out).
- Alias labels such as `eth0:1` are folded into their base interface: they are addresses, not interfaces.

Theory of operation:
netifaces (getifaddrs under the hood) gives names, link-layer and IPv4 addresses. It does not give flags or
indexes, so those come from SIOCGIFFLAGS and if_nametoindex on the same name. Everything is gathered into
immutable `Interface` values; the socket manager compares successive scans to notice interfaces that
appeared, vanished, changed index (unplugged and plugged back in) or gained/lost addresses.
"""

from __future__ import annotations

import fcntl
import ipaddress
import logging
import socket
import struct
from dataclasses import dataclass

import netifaces

log = logging.getLogger("edge.netif")

SIOCGIFFLAGS = 0x8913
IFF_UP = 0x1
IFF_BROADCAST = 0x2
IFF_LOOPBACK = 0x8
IFF_RUNNING = 0x40

_IFREQ = struct.Struct("16sH22x")  # struct ifreq: name, then ifr_flags in the union (40 bytes in all)


@dataclass(frozen=True, slots=True)
class Interface:
    """One network interface as seen by one scan."""

    name: str
    index: int
    mac: bytes | None
    addresses: tuple[tuple[int, int], ...]
    up: bool
    loopback: bool
    broadcast: bool
    running: bool = False

    @property
    def ipv4(self) -> list[int]:
        return [address for address, _prefix in self.addresses]

    def broadcast_addresses(self) -> set[int]:
        """Limited broadcast plus the directed broadcast of each attached subnet."""
        found = {0xFFFFFFFF}
        for address, prefix in self.addresses:
            if prefix < 31:
                found.add(address | ((1 << (32 - prefix)) - 1))
        return found

    def has_address(self, address: int) -> bool:
        return any(a == address for a, _p in self.addresses)


def _mac_from_text(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        raw = bytes(int(part, 16) for part in text.split(":"))
    except ValueError:
        return None
    return raw if len(raw) == 6 else None


def _prefix_from_netmask(netmask: str | None) -> int:
    if not netmask:
        return 32
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{netmask}").prefixlen
    except ValueError:
        return 32


def interface_flags(name: str) -> int | None:
    """The IFF_* flags of `name`, or None if there is no such interface (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            reply = fcntl.ioctl(probe.fileno(), SIOCGIFFLAGS, _IFREQ.pack(name.encode(), 0))
        except OSError:
            return None
    return _IFREQ.unpack(reply)[1]


def scan() -> dict[str, Interface]:
    """Every interface in the current network namespace, keyed by name."""
    bases: dict[str, list[str]] = {}
    for label in netifaces.interfaces():
        bases.setdefault(label.split(":", 1)[0], []).append(label)
    found: dict[str, Interface] = {}
    for name, labels in bases.items():
        try:
            index = socket.if_nametoindex(name)
        except OSError:
            continue  # vanished between the two calls
        flags = interface_flags(name)
        if flags is None:
            continue
        mac = None
        addresses: list[tuple[int, int]] = []
        for label in labels:
            try:
                families = netifaces.ifaddresses(label)
            except ValueError:
                continue
            if mac is None:
                for link in families.get(netifaces.AF_LINK, []):
                    mac = _mac_from_text(link.get("addr"))
                    if mac is not None:
                        break
            for entry in families.get(netifaces.AF_INET, []):
                try:
                    address = int(ipaddress.IPv4Address(entry["addr"]))
                except (KeyError, ValueError):
                    continue
                pair = (address, _prefix_from_netmask(entry.get("netmask")))
                if pair not in addresses:
                    addresses.append(pair)
        found[name] = Interface(
            name=name,
            index=index,
            mac=mac,
            addresses=tuple(addresses),
            up=bool(flags & IFF_UP),
            loopback=bool(flags & IFF_LOOPBACK),
            broadcast=bool(flags & IFF_BROADCAST),
            running=bool(flags & IFF_RUNNING),
        )
    return found
