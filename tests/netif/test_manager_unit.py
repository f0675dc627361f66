"""SocketManager scheduling and status, with a fake interface table and fake sockets (no root needed).

Time is passed explicitly to open_pending(now), so every step is deterministic.
"""

from __future__ import annotations

import errno
from typing import Any

import pytest

from edge.netif.datagrams import Transmit
from edge.netif.interfaces import Interface
from edge.netif.manager import SocketManager, parse_interface_specs

ADDR = 0xC0000201  # 192.0.2.1
OTHER = 0xC6336401  # 198.51.100.1


def iface(name: str, index: int, *addresses: int, up: bool = True, loopback: bool = False) -> Interface:
    return Interface(
        name=name,
        index=index,
        mac=bytes([2, 0, 0, 0, 0, index & 0xFF]),
        addresses=tuple((a, 24) for a in addresses),
        up=up,
        loopback=loopback,
        broadcast=not loopback,
    )


class FakeSocket:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        self.failure: OSError | None = None
        self.closed = False
        self.sent: list[Transmit] = []

    def fileno(self) -> int:
        return 99

    def recv(self) -> None:
        return None

    def send(self, tx: Transmit, *args: Any) -> None:
        self.sent.append(tx)

    def close(self) -> None:
        self.closed = True


class World:
    """The fake machine: an interface table the test edits, and every socket the manager opened."""

    def __init__(self, *ifaces: Interface) -> None:
        self.ifaces = {i.name: i for i in ifaces}
        self.opened: list[FakeSocket] = []
        self.refuse: set[str] = set()

    def scan(self) -> dict[str, Interface]:
        return dict(self.ifaces)

    def raw(self, iface: Interface, port: int, address: int | None) -> FakeSocket:
        if iface.name in self.refuse:
            raise OSError(errno.EPERM, "Operation not permitted")
        sock = FakeSocket(iface, port, address)
        self.opened.append(sock)
        return sock

    def udp(self, port: int, **kwargs: Any) -> FakeSocket:
        sock = FakeSocket(port, **kwargs)
        self.opened.append(sock)
        return sock

    def manager(self, specs: list[tuple[str, int | None]], **kwargs: Any) -> SocketManager:
        kwargs.setdefault("retry_wait_ms", 1000)
        return SocketManager(
            specs, scanner=self.scan, raw_factory=self.raw, udp_factory=self.udp, watch_links=False, **kwargs
        )


def test_parse_interface_specs() -> None:
    assert parse_interface_specs(["eth0", "eth1/192.0.2.1", "*"]) == [
        ("eth0", None),
        ("eth1", ADDR),
        ("*", None),
    ]
    with pytest.raises(ValueError):
        parse_interface_specs(["/192.0.2.1"])
    with pytest.raises(ValueError):
        parse_interface_specs(["eth0/not-an-address"])


def test_everything_present_is_ready() -> None:
    world = World(iface("eth0", 70000, ADDR))
    manager = world.manager([("eth0", None)], max_retries=3)
    assert manager.status()["status"] == "retrying"  # nothing attempted yet
    assert manager.open_pending(0.0) == 1.0  # re-detect poll
    assert manager.status() == {"status": "ready", "errors": []}
    assert manager.open_interfaces() == ["eth0"]
    raw = next(s for s in world.opened if s.args and isinstance(s.args[0], Interface))
    assert raw.args[0].index == 70000
    assert manager.local_addresses("eth0") == [ADDR]


def test_kea_default_no_retries_means_failed_at_once() -> None:
    world = World()
    manager = world.manager([("eth1", None)], max_retries=0, re_detect=False)
    assert manager.open_pending(0.0) is None  # nothing scheduled
    status = manager.status()
    assert status["status"] == "failed"
    assert status["errors"] == [{"interface": "eth1", "error": "interface eth1 does not exist"}]


def test_retries_count_down_then_fail() -> None:
    world = World()
    manager = world.manager([("eth1", None)], max_retries=2, re_detect=False)
    assert manager.open_pending(0.0) == 1.0
    assert manager.status()["status"] == "retrying"
    assert manager.open_pending(0.5) == 0.5  # not due yet: nothing happens
    assert manager.open_pending(1.0) == 1.0  # retry 1 of 2
    assert manager.status()["status"] == "retrying"
    assert manager.open_pending(2.0) is None  # retry 2 of 2: spent
    assert manager.status()["status"] == "failed"
    world.ifaces["eth1"] = iface("eth1", 5, ADDR)
    assert manager.open_pending(100.0) is None  # no re-detect, no retries left: stays failed
    assert manager.status()["status"] == "failed"


def test_retry_opens_an_interface_that_appeared() -> None:
    world = World(iface("eth0", 2, ADDR))
    manager = world.manager([("eth0", None), ("eth1", None)], max_retries=5, re_detect=False)
    manager.open_pending(0.0)
    assert manager.open_interfaces() == ["eth0"]
    assert manager.status()["errors"] == [{"interface": "eth1", "error": "interface eth1 does not exist"}]
    world.ifaces["eth1"] = iface("eth1", 131072, OTHER)
    manager.open_pending(1.0)
    assert manager.open_interfaces() == ["eth0", "eth1"]
    assert manager.status() == {"status": "ready", "errors": []}


def test_re_detect_opens_late_interfaces_after_retries_are_spent() -> None:
    world = World()
    manager = world.manager([("usb0", None)], max_retries=0, re_detect=True)
    assert manager.open_pending(0.0) == 1.0  # polling continues
    assert manager.status()["status"] == "failed"
    world.ifaces["usb0"] = iface("usb0", 70000, ADDR)
    manager.open_pending(1.0)
    assert manager.open_interfaces() == ["usb0"]
    assert manager.status()["status"] == "ready"


def test_disappearing_interface_is_closed_and_reopened_with_its_new_index() -> None:
    world = World(iface("usb0", 70000, ADDR))
    manager = world.manager([("usb0", None)], max_retries=1, re_detect=True)
    manager.open_pending(0.0)
    first = world.opened[-1]
    del world.ifaces["usb0"]
    manager.open_pending(1.0)
    assert first.closed
    assert manager.open_interfaces() == []
    assert manager.status()["status"] == "retrying"  # a fresh budget for a new failure
    world.ifaces["usb0"] = iface("usb0", 70001, ADDR)
    manager.open_pending(2.0)
    assert manager.open_interfaces() == ["usb0"]
    assert world.opened[-1].args[0].index == 70001


def test_socket_failure_triggers_an_immediate_reconcile() -> None:
    world = World(iface("eth0", 3, ADDR))
    manager = world.manager([("eth0", None)], re_detect=False)
    manager.open_pending(0.0)
    sock = world.opened[-1]
    sock.failure = OSError(errno.ENETDOWN, "Network is down")
    world.ifaces["eth0"] = iface("eth0", 4, ADDR)  # it came back with a new index
    manager.open_pending(0.1)
    assert sock.closed
    assert world.opened[-1].args[0].index == 4


def test_reasons_an_interface_cannot_be_served() -> None:
    world = World(iface("down0", 2, ADDR, up=False), iface("bare0", 3), iface("eth0", 4, ADDR))
    world.refuse.add("eth0")
    manager = world.manager([("down0", None), ("bare0", None), ("eth0", None), ("eth1", OTHER)])
    manager.open_pending(0.0)
    errors = {e["interface"]: e["error"] for e in manager.status()["errors"]}
    assert errors["down0"] == "interface down0 is down"
    assert errors["bare0"] == "interface bare0 has no IPv4 address"
    assert "Operation not permitted" in errors["eth0"] and "index 4" in errors["eth0"]
    assert errors["eth1"] == "interface eth1 does not exist"
    world.ifaces["eth1"] = iface("eth1", 5, ADDR)
    manager.open_pending(1.0)
    errors = {e["interface"]: e["error"] for e in manager.status()["errors"]}
    assert errors["eth1"] == "interface eth1 does not have address 198.51.100.1"


def test_wildcard_takes_usable_non_loopback_interfaces_and_reports_no_errors_for_the_rest() -> None:
    world = World(
        iface("lo", 1, 0x7F000001, loopback=True),
        iface("eth0", 2, ADDR),
        iface("eth1", 3),
        iface("eth2", 4, OTHER, up=False),
    )
    manager = world.manager([("*", None)])
    manager.open_pending(0.0)
    assert manager.open_interfaces() == ["eth0"]
    assert manager.status() == {"status": "ready", "errors": []}
    world.ifaces["eth1"] = iface("eth1", 3, OTHER)
    del world.ifaces["eth0"]
    manager.open_pending(1.0)
    assert manager.open_interfaces() == ["eth1"]
    assert manager.status() == {"status": "ready", "errors": []}


def test_explicit_address_is_the_source_and_the_only_local_address() -> None:
    world = World(iface("eth0", 2, ADDR, OTHER))
    manager = world.manager([("eth0", OTHER), ("eth0", ADDR)])
    manager.open_pending(0.0)
    raw = world.opened[-1]
    assert raw.args[2] == OTHER  # the first listed address wins
    assert manager.local_addresses("eth0") == [OTHER]


def test_send_chooses_raw_frame_or_routed_udp() -> None:
    world = World(iface("eth0", 2, ADDR))
    manager = world.manager([("eth0", None)])
    manager.open_pending(0.0)
    guard = next(s for s in world.opened if s.kwargs.get("guard"))
    raw = next(s for s in world.opened if not s.kwargs.get("guard"))
    mac = bytes.fromhex("020000000099")
    assert manager.send("eth0", Transmit(b"a", dst_ip=0xC0000263, dst_mac=mac))
    assert manager.send("eth0", Transmit(b"b", dst_ip=0xFFFFFFFF))
    assert manager.send("eth0", Transmit(b"c", dst_ip=0xC00002FF))  # the subnet's directed broadcast
    assert manager.send("eth0", Transmit(b"d", dst_ip=OTHER, dst_port=67))  # a relay: routed
    assert [tx.payload for tx in raw.sent] == [b"a", b"b", b"c"]
    assert [tx.payload for tx in guard.sent] == [b"d"]
    assert all(tx.src_ip == ADDR for tx in raw.sent + guard.sent)
    assert not manager.send("eth9", Transmit(b"e", dst_ip=OTHER))


def test_udp_mode_opens_one_serving_socket_per_interface_and_no_guard() -> None:
    world = World(iface("eth0", 70000, ADDR))
    manager = world.manager([("eth0", ADDR)], socket_type="udp")
    manager.open_pending(0.0)
    assert len(world.opened) == 1
    assert world.opened[0].kwargs == {"ifname": "eth0", "address": ADDR}
    assert manager.send("eth0", Transmit(b"x", dst_ip=OTHER, dst_port=67))
    assert world.opened[0].sent[0].src_ip == ADDR


def test_close_closes_everything() -> None:
    world = World(iface("eth0", 2, ADDR), iface("eth1", 3, OTHER))
    with world.manager([("*", None)]) as manager:
        manager.open_pending(0.0)
    assert world.opened and all(s.closed for s in world.opened)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        SocketManager([], socket_type="tcp")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        SocketManager([], max_retries=-1, watch_links=False)


def test_a_poll_between_retries_does_not_postpone_the_retry() -> None:
    world = World()
    manager = world.manager([("eth1", None)], max_retries=3, re_detect=True, retry_wait_ms=1000)
    manager.open_pending(0.0)
    manager._dirty = True  # as a netlink notification would
    assert manager.open_pending(0.6) == pytest.approx(0.4)  # the retry is still due at 1.0
    assert manager.status()["status"] == "retrying"
