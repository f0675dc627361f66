"""Socket6Manager, the if_inet6 parser and the v6 specs without root: a fake interface table, fake sockets."""

from __future__ import annotations

import errno
import logging
from typing import Any

import pytest

from edge.netif.datagrams6 import Transmit6
from edge.netif.interfaces6 import Interface6, parse_if_inet6
from edge.netif.manager6 import Socket6Manager, parse_interface_specs6
from edge.wire.addr import ip6_to_bytes

LL = ip6_to_bytes("fe80::1")
LL2 = ip6_to_bytes("fe80::2")
GLOBAL = ip6_to_bytes("2001:db8::1")


def iface(
    name: str,
    index: int,
    *addresses: bytes,
    up: bool = True,
    loopback: bool = False,
    tentative: tuple[bytes, ...] = (),
    multicast: bool = True,
) -> Interface6:
    return Interface6(
        name=name,
        index=index,
        mac=bytes([2, 0, 0, 0, 0, index & 0xFF]),
        addresses=tuple((a, 64) for a in addresses),
        up=up,
        loopback=loopback,
        multicast=multicast,
        tentative=tentative,
    )


class FakeInterface:
    def __init__(self, iface: Interface6, port: int, unicast: bytes | None) -> None:
        self.iface, self.port, self.unicast = iface, port, unicast
        self.failure: OSError | None = None
        self.closed = False
        self.sent: list[Transmit6] = []
        self.refuse_send: OSError | None = None

    def fileno(self) -> int:
        return 99

    def recv(self) -> None:
        return None

    def send(self, tx: Transmit6) -> None:
        if self.refuse_send is not None:
            raise self.refuse_send
        self.sent.append(tx)

    def close(self) -> None:
        self.closed = True


class World:
    def __init__(self, *ifaces: Interface6) -> None:
        self.ifaces = {i.name: i for i in ifaces}
        self.opened: list[FakeInterface] = []
        self.refuse: set[str] = set()

    def scan(self) -> dict[str, Interface6]:
        return dict(self.ifaces)

    def factory(self, iface: Interface6, port: int, unicast: bytes | None) -> FakeInterface:
        if iface.name in self.refuse:
            raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
        sock = FakeInterface(iface, port, unicast)
        self.opened.append(sock)
        return sock

    def manager(self, specs: list[tuple[str, bytes | None]], **kw: Any) -> Socket6Manager:
        return Socket6Manager(specs, scanner=self.scan, factory=self.factory, watch_links=False, **kw)


def test_specs_follow_keas_interfaces_config() -> None:
    assert parse_interface_specs6(["eth0", "eth1/2001:db8::1", "*"]) == [
        ("eth0", None),
        ("eth1", GLOBAL),
        ("*", None),
    ]
    with pytest.raises(ValueError, match="not an IPv6 address"):
        parse_interface_specs6(["eth0/192.0.2.1"])
    with pytest.raises(ValueError, match="no interface name"):
        parse_interface_specs6(["/2001:db8::1"])


def test_if_inet6_lines_are_parsed_with_32_bit_indexes() -> None:
    text = (
        "fe800000000000005cf96cfffeac813f 11170 40 20 80     srv0\n"
        "20010db8000100000000000000000001 20000 40 00 c2     srv1\n"
        "00000000000000000000000000000001 01 80 10 80       lo\n"
        "garbage line\n"
        "zz00000000000000000000000000000001 01 80 10 80       lo\n"
    )
    assert parse_if_inet6(text) == [
        ("srv0", 70000, ip6_to_bytes("fe80::5cf9:6cff:feac:813f"), 64, 0x20, 0x80),
        ("srv1", 131072, ip6_to_bytes("2001:db8:1::1"), 64, 0, 0xC2),
        ("lo", 1, ip6_to_bytes("::1"), 128, 0x10, 0x80),
    ]


def test_interface6_views() -> None:
    i = iface("eth0", 70000, GLOBAL, LL)
    assert (i.link_local, i.ipv6, i.has_address(GLOBAL), i.broadcast_addresses()) == (
        LL,
        [GLOBAL, LL],
        True,
        set(),
    )
    assert iface("eth1", 2, GLOBAL).link_local is None


def test_wildcard_serves_interfaces_with_a_link_local_and_never_loopback() -> None:
    world = World(
        iface("eth0", 70000, LL),
        iface("lo", 1, ip6_to_bytes("::1"), loopback=True),
        iface("eth1", 131072),  # no IPv6 at all: not wanted, no error
        iface("eth2", 5, GLOBAL),  # addresses but no link-local: an error, since it is wanted
    )
    m = world.manager([("*", None)])
    m.open_pending(0.0)
    assert m.open_interfaces() == ["eth0"]
    assert [(s.iface.name, s.port, s.unicast) for s in world.opened] == [("eth0", 547, None)]
    assert m.status()["errors"] == [
        {"interface": "eth2", "error": "interface eth2 has no usable IPv6 link-local address"}
    ]


def test_tentative_link_local_is_reported_and_opened_once_dad_is_done() -> None:
    world = World(iface("eth0", 70000, tentative=(LL,)))
    m = world.manager([("eth0", None)], retry_wait_ms=1000, max_retries=2)
    m.open_pending(0.0)
    assert m.status() == {
        "status": "retrying",
        "errors": [
            {
                "interface": "eth0",
                "error": "interface eth0 has no usable IPv6 link-local address (1 still tentative)",
            }
        ],
    }
    world.ifaces["eth0"] = iface("eth0", 70000, LL)
    m.open_pending(1.0)
    assert m.status() == {"status": "ready", "errors": []}
    assert m.local_addresses("eth0") == [LL]


def test_unicast_spec_needs_the_address_and_is_listened_on() -> None:
    world = World(iface("eth0", 7, LL))
    m = world.manager([("eth0", GLOBAL)])
    m.open_pending(0.0)
    assert m.status()["errors"] == [
        {"interface": "eth0", "error": "interface eth0 does not have address 2001:db8::1"}
    ]
    world.ifaces["eth0"] = iface("eth0", 7, GLOBAL, LL)
    m.open_pending(5.0)  # the re-detect poll (netlink, in a real run)
    assert world.opened[-1].unicast == GLOBAL
    assert m.local_addresses("eth0") == [LL, GLOBAL]


def test_duplicate_specs_keep_the_first(caplog: pytest.LogCaptureFixture) -> None:
    world = World(iface("eth0", 7, GLOBAL, LL))
    with caplog.at_level(logging.WARNING, logger="edge.netif"):
        m = world.manager([("eth0", GLOBAL), ("eth0", None), ("eth0", GLOBAL)])
    assert "eth0 is listed more than once; keeping 2001:db8::1" in caplog.text
    m.open_pending(0.0)
    assert [s.unicast for s in world.opened] == [GLOBAL]


def test_send_goes_to_the_interface_of_the_request() -> None:
    world = World(iface("eth0", 7, LL), iface("eth1", 8, LL2))
    m = world.manager([("*", None)])
    m.open_pending(0.0)
    tx = Transmit6(b"reply", dst_ip=ip6_to_bytes("fe80::99"))
    assert m.send("eth1", tx)
    assert [(s.iface.name, s.sent) for s in world.opened] == [("eth0", []), ("eth1", [tx])]
    assert not m.send("eth9", tx)
    world.opened[0].refuse_send = OSError(errno.ENETUNREACH, "Network is unreachable")
    assert not m.send("eth0", tx)


def test_a_failed_socket_is_reopened_with_the_new_index() -> None:
    world = World(iface("eth0", 70000, LL))
    m = world.manager([("eth0", None)])
    m.open_pending(0.0)
    first = world.opened[0]
    world.ifaces["eth0"] = iface("eth0", 131072, LL)
    first.failure = OSError(errno.ENODEV, "No such device")
    m.open_pending(1.0)
    assert first.closed and world.opened[-1].iface.index == 131072
    assert m.generation == 3  # opened, closed, opened


def test_refused_open_is_an_error_with_the_reason() -> None:
    world = World(iface("eth0", 7, LL))
    world.refuse.add("eth0")
    m = world.manager([("eth0", None)])
    m.open_pending(0.0)
    assert m.status() == {
        "status": "failed",
        "errors": [
            {
                "interface": "eth0",
                "error": "cannot open udp6 sockets on eth0 (index 7): [Errno 99] Cannot assign requested address",
            }
        ],
    }
