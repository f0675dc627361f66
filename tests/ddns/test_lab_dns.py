"""Names in DNS, end to end: real DHCP clients, edge-dhcp, and Debian's BIND - directly (the built-in
RFC 2136 updater) and through Kea's D2 (kea-dhcp-ddns) - in network namespaces.

Every scenario runs in both delivery modes with the same D2 document (tests/ddns/bind.py):
- a client sending option 81 (dhclient) gets its A and PTR records, and loses them when it releases;
- a client sending option 12 (udhcpc) gets them, and loses them when its lease expires and is reclaimed;
- lease4-del with "update-ddns": true removes them (without it, as in Kea, DNS is left alone);
- a second client asking for a name another client holds is refused by the DHCID check;
- with the DNS side down (named, or D2), updates wait in the persistent queue, also across an edge-dhcp
  restart, and are delivered once it is back.
Finally kea-dhcp4 2.2 and edge-dhcp are given the same clients: the answers (option 81/12) and the
NameChangeRequests they send must be the same bytes.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from edge.ddns import fqdn
from edge.wire import pkt4 as wire
from tests.ddns import bind
from tests.lab import kea
from tests.lab.capture import Capture
from tests.lab.clients import Dhclient, DhcpClient, Udhcpc
from tests.lab.edge import EdgeServer
from tests.lab.fixtures import require
from tests.lab.netns import Lab, Site

pytestmark = pytest.mark.lab

MODES = ["built-in", "kea-d2"]
POOL = "192.0.2.100 - 192.0.2.150"
SUFFIX = bind.FORWARD_ZONE


class DnsLab:
    """One lab: client and server namespaces; named (and D2) beside edge-dhcp in the server namespace."""

    def __init__(self, lab: Lab, mode: str) -> None:
        missing = bind.available()
        if missing:
            pytest.skip(f"not installed: {', '.join(missing)}")
        require("dhclient", "udhcpc")
        self.lab = lab
        self.mode = mode
        self.site: Site = lab.build(server_index=70000, client_index=131072)
        self.ns = self.site.server.ns
        self.named = bind.Named(lab, self.ns).start()
        self.d2 = bind.KeaD2(lab, self.ns, bind.d2_document()) if mode == "kea-d2" else None
        if self.d2 is not None:
            self.d2.start()
        self.edge: EdgeServer | None = None
        self._macs = iter(range(1, 200))

    def dhcp_ddns(self) -> dict[str, Any]:
        if self.mode == "built-in":
            return {"enable-updates": True, "user-context": {"d2-config": bind.d2_document()}}
        return {"enable-updates": True, "server-ip": "127.0.0.1", "server-port": bind.D2_PORT}

    def start_edge(self, valid_lifetime: int = 120, **extra: Any) -> EdgeServer:
        dhcp4 = {"dhcp-ddns": self.dhcp_ddns(), "ddns-qualifying-suffix": SUFFIX, **extra}
        self.edge = EdgeServer(
            self.lab,
            self.ns,
            interfaces=[self.site.server.ifname],
            subnets=[kea.subnet(1, "192.0.2.0/24", POOL, routers="192.0.2.1")],
            valid_lifetime=valid_lifetime,
            extra=dhcp4,
            control_socket=self.lab.tmp / "edge-control.sock",
        ).start()
        return self.edge

    def new_mac(self) -> None:
        """A fresh client: the client interface gets a new MAC (and no address)."""
        cli = self.site.client.ifname
        self.lab.ip(self.site.client.ns, "addr", "flush", "dev", cli)
        self.lab.ip(
            self.site.client.ns, "link", "set", cli, "address", f"02:00:00:00:00:{next(self._macs):02x}"
        )

    def client(self, cls: type[DhcpClient], **kwargs: Any) -> DhcpClient:
        return cls(self.lab, self.site.client.ns, self.site.client.ifname, **kwargs)

    def delivery_log(self) -> str:
        """Where the outcome of a DNS update is logged: edge-dhcp itself, or D2."""
        assert self.edge is not None
        return self.edge.output() if self.d2 is None else self.d2.output()

    def wait_delivery_log(self, pattern: str, timeout: float = 20.0) -> None:
        self.lab.wait_for(lambda: pattern in self.delivery_log(), timeout=timeout, what=pattern)


@pytest.fixture(params=MODES)
def dns(request: pytest.FixtureRequest, lab: Lab) -> Iterator[DnsLab]:
    yield DnsLab(lab, request.param)


def answer_81(capture: Capture) -> fqdn.ClientFqdn:
    acks = [p for p in capture.dhcp(src_port=67) if p.message_type == wire.DHCPACK and p.get(81) is not None]
    assert acks, "no DHCPACK carrying option 81"
    return fqdn.decode(acks[-1].get(81))


def test_option_81_client_is_named_in_dns_and_unnamed_when_it_releases(dns: DnsLab) -> None:
    dns.start_edge()
    client = dns.client(Dhclient, fqdn=f"laptop.{SUFFIX}.")
    with Capture(dns.lab, dns.site.client.ns, dns.site.client.ifname) as capture:
        lease = client.obtain()
        answer = answer_81(capture)
    assert (answer.flags, answer.name, answer.full) == (fqdn.FLAG_S | fqdn.FLAG_E, f"laptop.{SUFFIX}", True)
    found = dns.named.wait_names(f"laptop.{SUFFIX}", lease.address, present=True)
    assert len(found["DHCID"]) == 1
    client.release()
    dns.named.wait_names(f"laptop.{SUFFIX}", lease.address, present=False)


def test_option_12_client_is_named_and_unnamed_when_its_lease_expires(dns: DnsLab) -> None:
    dns.start_edge(valid_lifetime=4, **{"expired-leases-processing": {"reclaim-timer-wait-time": 1}})
    lease = dns.client(Udhcpc, hostname="Pi_Zero").obtain()  # one-shot: it will neither renew nor release
    assert lease.hostname == f"pizero.{SUFFIX}"  # sanitised, lower-cased, qualified (as Kea answers)
    dns.named.wait_names(f"pizero.{SUFFIX}", lease.address, present=True)
    dns.named.wait_names(f"pizero.{SUFFIX}", lease.address, present=False, timeout=30)


def test_lease4_del_with_update_ddns_removes_the_names_and_without_it_leaves_them(dns: DnsLab) -> None:
    edge = dns.start_edge()
    kept = dns.client(Udhcpc, hostname="printer").obtain()
    dns.new_mac()
    gone = dns.client(Udhcpc, hostname="scanner").obtain()
    dns.named.wait_names(f"printer.{SUFFIX}", kept.address, present=True)
    dns.named.wait_names(f"scanner.{SUFFIX}", gone.address, present=True)
    assert edge.ctl("lease4-del", {"ip-address": str(kept.address)})["result"] == 0
    answer = edge.ctl("lease4-del", {"ip-address": str(gone.address), "update-ddns": True})
    assert answer["result"] == 0, answer
    dns.named.wait_names(f"scanner.{SUFFIX}", gone.address, present=False)
    assert dns.named.names_of(f"printer.{SUFFIX}", kept.address)["A"] == [str(kept.address)]


def test_a_second_client_claiming_a_taken_name_is_refused_by_dhcid(dns: DnsLab) -> None:
    dns.start_edge()
    first = dns.client(Udhcpc, fqdn="laptop").obtain()  # busybox: option 81, ASCII, S=1
    dns.named.wait_names(f"laptop.{SUFFIX}", first.address, present=True)
    dns.new_mac()
    second = dns.client(Udhcpc, fqdn="laptop").obtain()
    assert second.address != first.address
    dns.wait_delivery_log("DHCP_DDNS_ADD_FAILED")
    found = dns.named.names_of(f"laptop.{SUFFIX}", first.address)
    assert found["A"] == [str(first.address)] and found["PTR"] == [f"laptop.{SUFFIX}."]
    assert dns.named.ptr(second.address) == []


def test_updates_wait_while_dns_is_down_and_survive_an_edge_crash(dns: DnsLab) -> None:
    edge = dns.start_edge()
    old = dns.client(Udhcpc, hostname="oldbox").obtain()
    dns.named.wait_names(f"oldbox.{SUFFIX}", old.address, present=True)
    down = dns.d2 if dns.d2 is not None else dns.named  # what goes away: named itself, or D2
    down.stop()
    dns.client(Udhcpc, hostname="oldbox").release()  # a removal...
    dns.new_mac()
    new = dns.client(Udhcpc, hostname="newbox").obtain()  # ...and an add, both waiting
    edge.wait_log("DHCP_DDNS_(ADD|REMOVE)_RETRY")
    edge.kill()  # SIGKILL: no clean shutdown; only what was written before answering the clients counts
    queue_file = edge.lease_path.with_name(edge.lease_path.name + ".ddns-queue")
    records = [json.loads(line.split(" ", 1)[1]) for line in queue_file.read_text().splitlines()]
    done = {r["done"] for r in records if "done" in r}
    waiting = [r["ncr"] for r in records if "add" in r and r["add"] not in done]
    assert [(w["change-type"], w["fqdn"]) for w in waiting] == [
        (1, f"oldbox.{SUFFIX}."),
        (0, f"newbox.{SUFFIX}."),
    ]
    edge.start()
    down.start()
    dns.named.wait_names(f"newbox.{SUFFIX}", new.address, present=True, timeout=40)
    dns.named.wait_names(f"oldbox.{SUFFIX}", old.address, present=False, timeout=10)


# ----------------------------------------------------------------------------------------- Kea reference


class NcrListener:
    """A UDP socket on D2's port inside a namespace, collecting the NameChangeRequests sent to it."""

    def __init__(self, lab: Lab, ns: str) -> None:
        with lab.inside(ns):
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", bind.D2_PORT))
        self.sock.settimeout(0.1)
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.received.append(self.sock.recv(65535))
            except TimeoutError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


CLIENTS: list[tuple[type[DhcpClient], dict[str, Any]]] = [
    (Dhclient, {"fqdn": "laptop"}),  # option 81, wire format, fully qualified single label
    (Dhclient, {"fqdn": f"desk.{SUFFIX}."}),
    (Udhcpc, {"fqdn": "phone"}),  # option 81, ASCII, partial
    (Udhcpc, {"hostname": "Pi_Zero"}),  # option 12
]


def _run_clients(
    lab: Lab, site: Site, server: Any
) -> tuple[list[tuple[bytes | None, bytes | None]], list[dict]]:
    """Each client in turn with the same MAC: the (option 81, option 12) of its ACK, and the NCRs sent."""
    listener = NcrListener(lab, site.server.ns)
    answers = []
    try:
        server.start()
        for n, (cls, kwargs) in enumerate(CLIENTS, start=1):
            lab.ip(site.client.ns, "addr", "flush", "dev", "cli0")
            lab.ip(site.client.ns, "link", "set", "cli0", "address", f"02:00:00:00:0c:{n:02x}")
            with Capture(lab, site.client.ns, "cli0") as capture:
                cls(lab, site.client.ns, "cli0", **kwargs).obtain()
                acks = [p for p in capture.dhcp(src_port=67) if p.message_type == wire.DHCPACK]
            assert acks
            answers.append((acks[0].get(81), acks[0].get(12)))
        lab.wait_for(lambda: len(listener.received) >= 3, timeout=10, what="NameChangeRequests")
        time.sleep(0.3)  # a late extra request would be a difference too
    finally:
        listener.close()
        server.stop()
    requests = []
    for data in listener.received:
        assert int.from_bytes(data[:2], "big") == len(data) - 2  # Kea's length prefix
        record = json.loads(data[2:])
        record.pop("lease-expires-on")  # a time: differs between the two runs
        requests.append(record)
    return answers, requests


def test_kea_dhcp4_and_edge_dhcp_answer_the_same_and_send_d2_the_same_requests(lab: Lab) -> None:
    require("dhclient", "udhcpc")
    if not kea.available():
        pytest.skip("kea-dhcp4 is not installed")
    site = lab.build(server_index=60000, client_index=60001)  # Kea 2.2 wants a 16-bit client index
    subnets = [kea.subnet(1, "192.0.2.0/24", POOL)]
    extra = {"dhcp-ddns": {"enable-updates": True}, "ddns-qualifying-suffix": SUFFIX}
    kea_run = _run_clients(
        lab, site, kea.KeaServer(lab, site.server.ns, interfaces=["srv0"], subnets=subnets, extra=extra)
    )
    edge_run = _run_clients(
        lab, site, EdgeServer(lab, site.server.ns, interfaces=["srv0"], subnets=subnets, extra=extra)
    )
    assert edge_run[0] == kea_run[0]  # the option 81 / 12 answers, byte for byte
    # The requests, byte for byte (but the expiry time), with one deliberate difference: Kea also asks D2
    # to put the single-label name "laptop." into DNS (an A record outside every zone, a PTR to it);
    # edge-dhcp answers that name but does not put it into DNS.
    assert [r["fqdn"] for r in kea_run[1]] == [
        "laptop.",
        f"desk.{SUFFIX}.",
        f"phone.{SUFFIX}.",
        f"pizero.{SUFFIX}.",
    ]
    assert edge_run[1] == kea_run[1][1:]
    assert ipaddress.IPv4Address(kea_run[1][1]["ip-address"]) == ipaddress.IPv4Address("192.0.2.101")
