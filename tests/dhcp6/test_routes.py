"""Routes for delegated prefixes (`delegated-prefix-routes`): the RouteKeeper against a fake kernel, and the
DHCPv6 service driving it from real DHCPv6 exchanges (messages from the lab's own codec, tests/lab/dhcp6msg.py).

The fake kernel keeps a routing table as the kernel does for what RouteKeeper asks of it (replace, del,
dump): a route is (dst, length, table) -> gateway, interface, protocol; deleting a route that is not there
is ESRCH, an unknown interface index ENODEV. The lab test (tests/lab/test_pd_routes.py) plays the same
against the real kernel, with pyroute2, a real dhclient -6 -P and a ping through the prefix.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from edge.control.protocol import Request
from edge.dhcp6.config import load_text
from edge.dhcp6.lease import STATE_DECLINED, STATE_DEFAULT, TYPE_NA, TYPE_PD, Lease6, parse_address
from edge.dhcp6.lease_store import MemoryLeaseStore6
from edge.dhcp6.routes import RTPROT_EDGE, RouteKeeper, Via, route_via, wanted, with_route_via
from edge.netif.datagrams6 import RxDatagram6
from edge.server.dhcp6 import Dhcp6Service
from tests.lab import dhcp6msg as m

NOW = 1_700_000_000.0
IFINDEX = {"eth0": 2, "eth1": 3}
ROUTER = ipaddress.IPv6Address("fe80::5eff:fe10:2")  # the requesting router's link-local address
OTHER = ipaddress.IPv6Address("fe80::5eff:fe10:3")
RELAY = ipaddress.IPv6Address("2001:db8:1::2")
OURS = ipaddress.IPv6Address("fe80::abc").packed
GLOBAL = ipaddress.IPv6Address("2001:db8:1::1").packed
MCAST = ipaddress.IPv6Address("ff02::1:2").packed
PREFIX = "2001:db8:8::"


class NetlinkError(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(code, text)
        self.code = code


class Route:
    """A dumped route as pyroute2 gives it: fields by item, attributes by get_attr."""

    def __init__(self, dst: str, dst_len: int, table: int, gateway: str, oif: int | None, proto: int) -> None:
        self.fields = {"dst_len": dst_len, "table": table, "proto": proto}
        self.attrs = {"RTA_DST": dst, "RTA_GATEWAY": gateway, "RTA_OIF": oif, "RTA_TABLE": table}

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def get_attr(self, name: str) -> Any:
        return self.attrs.get(name)


class FakeKernel:
    """The routing table RouteKeeper talks to, with IPRoute's route() and close()."""

    def __init__(self) -> None:
        self.table: dict[tuple[str, int, int], tuple[str, int | None, int]] = {}
        self.refuse: set[str] = set()  # destinations the kernel answers EINVAL for
        self.calls: list[str] = []
        self.closed = False
        self.opened = 0

    def open(self) -> FakeKernel:
        self.opened += 1
        return self

    def route(self, command: str, **kw: Any) -> list[Route]:
        self.calls.append(command)
        assert kw["family"] == 10
        if command == "dump":
            return [
                Route(dst, dst_len, table, gateway, oif, proto)
                for (dst, dst_len, table), (gateway, oif, proto) in self.table.items()
                if table == kw.get("table", table)
            ]
        key = (str(ipaddress.IPv6Address(kw["dst"])), kw["dst_len"], kw["table"])
        if command == "replace":
            if kw["dst"] in self.refuse:
                raise NetlinkError(22, "Invalid argument")
            if kw.get("oif") is not None and kw["oif"] not in IFINDEX.values():
                raise NetlinkError(19, "No such device")
            self.table[key] = (str(ipaddress.IPv6Address(kw["gateway"])), kw.get("oif"), kw["proto"])
        elif command == "del":
            if key not in self.table:
                raise NetlinkError(3, "No such process")
            del self.table[key]
        else:
            raise AssertionError(command)
        return []

    def close(self) -> None:
        self.closed = True

    def ours(self) -> dict[str, tuple[str, int | None]]:
        """Our routes (RTPROT_EDGE, main table) as {"prefix/len": (gateway, oif)}."""
        return {
            f"{dst}/{dst_len}": (gateway, oif)
            for (dst, dst_len, table), (gateway, oif, proto) in self.table.items()
            if proto == RTPROT_EDGE and table == 254
        }


def ifindex(name: str) -> int:
    if name not in IFINDEX:
        raise OSError(19, "No such device")
    return IFINDEX[name]


def ifname(index: int) -> str:
    for name, value in IFINDEX.items():
        if value == index:
            return name
    raise OSError(6, "No such device or address")


def keeper(kernel: FakeKernel) -> RouteKeeper:
    return RouteKeeper(kernel.open, ifindex, ifname)


def pd_lease(prefix: str = PREFIX, via: str | None = None, **kw: Any) -> Lease6:
    lease = Lease6(
        parse_address(prefix),
        duid=b"\x00\x03\x00\x01\x02\x00\x00\x00\x00\x01",
        iaid=1,
        lease_type=TYPE_PD,
        prefix_len=64,
        preferred_lifetime=300,
        valid_lifetime=600,
        cltt=int(NOW),
        subnet_id=1,
    )
    for name, value in kw.items():
        setattr(lease, name, value)
    return with_route_via(lease, Via.parse(via)) if via else lease  # type: ignore[arg-type]


# -- the lease's next hop ------------------------------------------------------------------------------------


def test_route_via_round_trip_keeps_the_rest_of_the_user_context() -> None:
    lease = pd_lease(user_context={"note": "lab", "edge-dhcp": {"other": 1}})
    assert route_via(lease) is None
    stamped = with_route_via(lease, Via.of(ROUTER.packed, "eth0"))
    assert stamped.user_context == {"note": "lab", "edge-dhcp": {"other": 1, "route-via": f"{ROUTER}%eth0"}}
    assert lease.user_context == {"note": "lab", "edge-dhcp": {"other": 1}}  # a copy was changed
    assert route_via(stamped) == Via(str(ROUTER), "eth0")
    assert Via.parse("2001:DB8:1:0::2") == Via("2001:db8:1::2", "")
    for junk in ("fe80::zz%eth0", "", 7, None, "eth0"):
        assert Via.parse(junk) is None


def test_only_a_delegated_prefix_in_the_default_state_wants_a_route() -> None:
    via = f"{ROUTER}%eth0"
    assert wanted(pd_lease(via=via)) == Via(str(ROUTER), "eth0")
    assert wanted(pd_lease()) is None  # no next hop known
    assert wanted(pd_lease(via=via, lease_type=TYPE_NA, prefix_len=128)) is None
    assert wanted(pd_lease(via=via, state=STATE_DECLINED)) is None
    assert wanted(pd_lease(via=via, state=2)) is None  # expired-reclaimed
    assert wanted(pd_lease(via=via, valid_lifetime=0)) is None
    assert wanted(pd_lease(via=via), now=NOW + 599) is not None
    assert wanted(pd_lease(via=via), now=NOW + 600) is None  # expired: a restart does not route it


# -- RouteKeeper against the fake kernel ---------------------------------------------------------------------


def test_keeper_installs_moves_and_withdraws() -> None:
    kernel = FakeKernel()
    k = keeper(kernel)
    first = pd_lease(via=f"{ROUTER}%eth0")
    k.changed(None, first, route_via(first))
    assert kernel.ours() == {"2001:db8:8::/64": (str(ROUTER), 2)}
    moved = with_route_via(first, Via(str(OTHER), "eth1"))
    k.changed(first, moved, route_via(moved))
    assert kernel.ours() == {"2001:db8:8::/64": (str(OTHER), 3)}
    k.changed(moved, None, None)
    assert kernel.ours() == {}
    assert k.routes == {} and kernel.opened == 1  # one socket for all of it


def test_keeper_puts_back_a_route_someone_removed_at_the_next_renewal() -> None:
    kernel = FakeKernel()
    k = keeper(kernel)
    lease = pd_lease(via=f"{ROUTER}%eth0")
    k.changed(None, lease, route_via(lease))
    kernel.table.clear()  # the interface went down, or `ip route del`
    k.changed(lease, lease, route_via(lease))
    assert kernel.ours() == {"2001:db8:8::/64": (str(ROUTER), 2)}
    kernel.table.clear()
    k.changed(lease, None, None)  # deleting what is gone already is no failure
    assert k.routes == {} and k.failed == {}


def test_keeper_logs_refusals_never_raises_and_retries(caplog: pytest.LogCaptureFixture) -> None:
    kernel = FakeKernel()
    k = keeper(kernel)
    kernel.refuse.add(PREFIX)
    lease = pd_lease(via=f"{ROUTER}%eth0")
    with caplog.at_level(logging.WARNING):
        k.changed(None, lease, route_via(lease))
        k.changed(None, pd_lease("2001:db8:8:1::", via=f"{ROUTER}%wlan9"), Via(str(ROUTER), "wlan9"))
    assert kernel.ours() == {}
    assert set(k.failed) == {(parse_address(PREFIX), 64), (parse_address("2001:db8:8:1::"), 64)}
    messages = [r.getMessage() for r in caplog.records]
    assert any("DHCP6_ROUTE_FAIL cannot install the route 2001:db8:8::/64" in t for t in messages), messages
    assert any("2001:db8:8:1::/64" in t and "No such device" in t for t in messages), messages
    kernel.refuse.clear()
    IFINDEX["wlan9"] = 9
    try:
        k.retry()
        assert kernel.ours() == {"2001:db8:8::/64": (str(ROUTER), 2), "2001:db8:8:1::/64": (str(ROUTER), 9)}
        assert k.failed == {}
    finally:
        del IFINDEX["wlan9"]


def test_keeper_without_netlink_says_so_once_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    tries = []

    def missing() -> Any:
        tries.append(1)
        raise ImportError("No module named 'pyroute2'")

    k = RouteKeeper(missing, ifindex, ifname)
    with caplog.at_level(logging.ERROR):
        for n in range(3):
            lease = pd_lease(f"2001:db8:8:{n}::", via=f"{ROUTER}%eth0")
            k.changed(None, lease, route_via(lease))
        k.sync([pd_lease(via=f"{ROUTER}%eth0")], NOW)
        k.clear()
    assert len(tries) == 1
    assert [r.getMessage()[:16] for r in caplog.records if r.levelno >= logging.ERROR] == ["DHCP6_ROUTE_FAIL"]
    k.close()


def test_sync_makes_the_kernel_hold_exactly_the_wanted_routes() -> None:
    kernel = FakeKernel()
    via, stale_via = (str(ROUTER), 2, RTPROT_EDGE), (str(OTHER), 2, RTPROT_EDGE)
    kernel.table[("2001:db8:8::", 64, 254)] = via  # still wanted: kept as it is
    kernel.table[("2001:db8:8:1::", 64, 254)] = stale_via  # wanted, via another router now
    kernel.table[("2001:db8:8:2::", 64, 254)] = via  # released while edge-dhcp was down
    kernel.table[("2001:db8:8:3::", 64, 254)] = (str(ROUTER), 2, 16)  # someone else's (proto dhcp)
    kernel.table[("2001:db8:8:4::", 64, 100)] = via  # another table
    leases = [
        pd_lease("2001:db8:8::", via=f"{ROUTER}%eth0"),
        pd_lease("2001:db8:8:1::", via=f"{ROUTER}%eth0"),
        pd_lease("2001:db8:8:5::", via=f"{ROUTER}%eth0"),  # not in the kernel yet
        pd_lease("2001:db8:8:6::", via=f"{ROUTER}%eth0", cltt=int(NOW) - 600),  # expired
        pd_lease("2001:db8:8:7::"),  # next hop unknown
    ]
    k = keeper(kernel)
    k.sync(leases, NOW)
    assert kernel.ours() == {
        "2001:db8:8::/64": (str(ROUTER), 2),
        "2001:db8:8:1::/64": (str(ROUTER), 2),
        "2001:db8:8:5::/64": (str(ROUTER), 2),
    }
    assert kernel.table[("2001:db8:8:3::", 64, 254)][2] == 16
    assert ("2001:db8:8:4::", 64, 100) in kernel.table
    assert kernel.calls.count("replace") == 2  # the route that was right was left alone
    assert set(k.routes) == {
        (parse_address(p), 64) for p in ("2001:db8:8::", "2001:db8:8:1::", "2001:db8:8:5::")
    }
    k.clear()
    assert kernel.ours() == {} and ("2001:db8:8:3::", 64, 254) in kernel.table


# -- the DHCPv6 service ---------------------------------------------------------------------------------------


class _Socket:
    def __init__(self) -> None:
        self.pending: RxDatagram6 | None = None

    def fileno(self) -> int:
        return -1

    def recv(self) -> RxDatagram6 | None:
        rx, self.pending = self.pending, None
        return rx


class Site:
    """A Dhcp6Service with the fake kernel, served one datagram at a time as the loop would."""

    def __init__(self, tmp_path: Path, kernel: FakeKernel, store: MemoryLeaseStore6, on: bool = True) -> None:
        self.tmp_path = tmp_path
        self.kernel = kernel
        self.store = store
        self.now = NOW
        self.mono = 1000.0
        self.xid = 0x100
        self.sent: list[Any] = []
        self.server = self.start(on)

    def config_text(self, on: bool) -> str:
        dhcp6: dict[str, Any] = {
            "interfaces-config": {"interfaces": []},
            "data-directory": str(self.tmp_path),
            "lease-database": {"type": "memfile", "persist": False},
            "expired-leases-processing": {"hold-reclaimed-time": 3600},
            "subnet6": [
                {
                    "id": 1,
                    "subnet": "2001:db8:1::/64",
                    "interface": "eth0",
                    "rapid-commit": True,
                    "pools": [{"pool": "2001:db8:1::100-2001:db8:1::1ff"}],
                    "pd-pools": [{"prefix": PREFIX, "prefix-len": 62, "delegated-len": 64}],
                }
            ],
        }
        if on:
            dhcp6["delegated-prefix-routes"] = True
        return json.dumps({"Dhcp6": dhcp6})

    def start(self, on: bool) -> Dhcp6Service:
        server = Dhcp6Service(
            load_text(self.config_text(on)), self.store, clock=lambda: self.now, monotonic=lambda: self.mono
        )
        self.patch(server)

        def crash(message_id: str, exc: BaseException, what: str) -> None:
            raise AssertionError(f"{message_id}: {what}: {exc!r}") from exc

        server.loop.unexpected = crash  # type: ignore[method-assign]
        return server

    def patch(self, server: Dhcp6Service) -> None:
        """No sockets: the manager's addresses and sends are ours (again after a reload's new manager)."""
        server.manager.local_addresses = lambda ifname: [OURS]  # type: ignore[method-assign]
        server.manager.send = lambda ifname, tx: self.sent.append(tx)  # type: ignore[method-assign]

    def exchange(
        self, msg: m.Message, src: ipaddress.IPv6Address = ROUTER, ifname: str = "eth0"
    ) -> m.Message:
        dst = MCAST if src.is_link_local else GLOBAL
        sock = _Socket()
        sock.pending = RxDatagram6(msg.encode(), ifname, IFINDEX[ifname], src.packed, 546, dst)
        self.server._dispatch(sock)
        assert len(self.sent) == 1, self.sent
        reply = m.decode(self.sent.pop().payload)
        return reply.innermost() if reply.is_relay else reply

    def message(self, msg_type: int, *options: tuple[int, bytes], client: int = 1) -> m.Message:
        self.xid += 1
        client_id = m.duid_ll(bytes((2, 0, 0, 0, 0, client)))
        return m.Message(msg_type, self.xid, [(m.CLIENT_ID, client_id), *options])

    def delegate(self, src: ipaddress.IPv6Address = ROUTER, client: int = 1) -> m.Message:
        """SOLICIT with rapid commit for one IA_PD: the prefix is committed by the first exchange."""
        msg = self.message(m.SOLICIT, (m.RAPID_COMMIT, b""), (m.IA_PD, m.ia_pd(1)), client=client)
        reply = self.exchange(msg, src)
        assert reply.msg_type == m.REPLY, m.describe(reply)
        return reply

    def relayed(self, inner: m.Message) -> m.Message:
        return m.relay_forw(inner.encode(), link=str(RELAY), peer=str(ROUTER))

    def pd(self) -> Lease6:
        leases = [lease for lease in self.store.all() if lease.lease_type == TYPE_PD]
        assert len(leases) == 1, leases
        return leases[0]

    def command(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return self.server.commands.dispatch(Request(name, arguments, None), self.server).answer

    def kinds(self) -> list[str]:
        return [event["kind"] for event in self.server.events.since(0, 100)[0]]


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> FakeKernel:
    fake = FakeKernel()
    monkeypatch.setattr(Dhcp6Service, "route_keeper", lambda: RouteKeeper(fake.open, ifindex, ifname))
    return fake


def test_a_delegated_prefix_is_routed_via_the_router_and_the_route_goes_with_the_release(
    tmp_path: Path, kernel: FakeKernel
) -> None:
    site = Site(tmp_path, kernel, MemoryLeaseStore6())
    reply = site.delegate()
    assert [str(p[0]) for p in m.ias(reply, m.IA_PD)[0].prefixes] == ["2001:db8:8::/64"]
    assert kernel.ours() == {"2001:db8:8::/64": (str(ROUTER), 2)}
    lease = site.pd()
    assert lease.user_context == {"edge-dhcp": {"route-via": f"{ROUTER}%eth0"}}
    assert site.kinds() == ["allocate"]  # writing the next hop into the lease is no event of its own
    server_id = reply.get(m.SERVER_ID)
    assert server_id is not None
    ia = (m.IA_PD, m.ia_pd(1, 0, 0, m.iaprefix("2001:db8:8::/64")))
    renewed = site.exchange(site.message(m.RENEW, (m.SERVER_ID, server_id), ia))
    assert m.ias(renewed, m.IA_PD)[0].prefixes[0][2] > 0
    assert kernel.ours() == {"2001:db8:8::/64": (str(ROUTER), 2)}
    released = site.exchange(site.message(m.RELEASE, (m.SERVER_ID, server_id), ia))
    assert m.top_status(released) is not None and m.top_status(released)[0] == 0  # type: ignore[index]
    assert kernel.ours() == {}
    assert not list(site.store.all())


def test_a_router_that_moves_takes_its_route_along(tmp_path: Path, kernel: FakeKernel) -> None:
    site = Site(tmp_path, kernel, MemoryLeaseStore6())
    reply = site.delegate()
    server_id = reply.get(m.SERVER_ID)
    assert server_id is not None
    ia = (m.IA_PD, m.ia_pd(1, 0, 0, m.iaprefix("2001:db8:8::/64")))
    site.exchange(site.message(m.REBIND, ia), src=OTHER)
    assert kernel.ours() == {"2001:db8:8::/64": (str(OTHER), 2)}
    assert route_via(site.pd()) == Via(str(OTHER), "eth0")


def test_a_relayed_request_routes_via_the_relay(tmp_path: Path, kernel: FakeKernel) -> None:
    site = Site(tmp_path, kernel, MemoryLeaseStore6())
    inner = site.message(m.SOLICIT, (m.RAPID_COMMIT, b""), (m.IA_PD, m.ia_pd(1)))
    reply = site.exchange(site.relayed(inner), src=RELAY)
    assert reply.msg_type == m.REPLY
    assert kernel.ours() == {"2001:db8:8::/64": (str(RELAY), 2)}
    assert route_via(site.pd()) == Via(str(RELAY), "eth0")


def test_addresses_get_no_route_and_no_stamp(tmp_path: Path, kernel: FakeKernel) -> None:
    site = Site(tmp_path, kernel, MemoryLeaseStore6())
    site.exchange(site.message(m.SOLICIT, (m.RAPID_COMMIT, b""), (m.IA_NA, m.ia_na(1))))
    (lease,) = site.store.all()
    assert lease.lease_type == TYPE_NA and lease.user_context is None
    assert kernel.ours() == {} and kernel.calls.count("replace") == 0


def test_reclamation_and_lease6_del_remove_the_route(tmp_path: Path, kernel: FakeKernel) -> None:
    site = Site(tmp_path, kernel, MemoryLeaseStore6())
    site.delegate(client=1)
    site.delegate(client=2)
    assert len(kernel.ours()) == 2
    first, second = sorted(site.store.all(), key=lambda lease: lease.address)
    answer = site.command("lease6-del", {"ip-address": "2001:db8:8::", "type": "IA_PD"})
    assert answer["result"] == 0, answer
    assert list(kernel.ours()) == ["2001:db8:8:1::/64"]
    site.now += 7201  # past the valid lifetime (Kea's default, 7200 s)
    assert site.server.lease_timers.reclaimer.reclaim() == 1
    assert site.store.get(second.address).state != STATE_DEFAULT  # kept for affinity, reclaimed
    assert kernel.ours() == {}


def test_lease6_add_with_a_next_hop_in_its_user_context_is_routed(tmp_path: Path, kernel: FakeKernel) -> None:
    site = Site(tmp_path, kernel, MemoryLeaseStore6())
    answer = site.command(
        "lease6-add",
        {
            "ip-address": "2001:db8:8:3::",
            "type": "IA_PD",
            "prefix-len": 64,
            "duid": "00:03:00:01:02:00:00:00:00:09",
            "iaid": 5,
            "subnet-id": 1,
            "user-context": {"edge-dhcp": {"route-via": "2001:db8:1::77%eth0"}},
        },
    )
    assert answer["result"] == 0, answer
    assert kernel.ours() == {"2001:db8:8:3::/64": ("2001:db8:1::77", 2)}


def test_a_restart_restores_the_routes_from_the_lease_store(tmp_path: Path, kernel: FakeKernel) -> None:
    store = MemoryLeaseStore6()
    site = Site(tmp_path, kernel, store)
    site.delegate()
    site.server.close()
    assert kernel.closed and kernel.ours() == {"2001:db8:8::/64": (str(ROUTER), 2)}  # kept over the stop
    kernel.table.clear()  # a reboot
    kernel.table[("2001:db8:9::", 64, 254)] = (str(ROUTER), 2, RTPROT_EDGE)  # of a lease that is gone
    again = Site(tmp_path, kernel, store)
    assert kernel.ours() == {"2001:db8:8::/64": (str(ROUTER), 2)}
    again.server.close()


def test_off_by_default_and_turned_off_by_a_reload(tmp_path: Path, kernel: FakeKernel) -> None:
    site = Site(tmp_path, kernel, MemoryLeaseStore6(), on=False)
    site.delegate()
    assert site.server.routes is None and kernel.opened == 0 and site.pd().user_context is None
    ok, message = site.server.apply_config(load_text(site.config_text(on=True)))
    assert ok, message
    site.patch(site.server)
    assert kernel.ours() == {}  # the lease's next hop is unknown until the router speaks again
    site.delegate()  # the same client asks again (its SOLICIT renews the prefix it has)
    assert kernel.ours() == {"2001:db8:8::/64": (str(ROUTER), 2)}
    ok, message = site.server.apply_config(load_text(site.config_text(on=False)))
    assert ok, message
    assert kernel.ours() == {} and kernel.closed and site.server.routes is None
    assert route_via(site.pd()) == Via(str(ROUTER), "eth0")  # the lease keeps it for the next time
