"""DHCPv6 names in DNS, end to end: a real `dhclient -6` sending a Client FQDN (option 39), edge-dhcp's
DHCPv6 server, and Debian's BIND - directly (the built-in RFC 2136 updater, TSIG-signed) and through Kea's
D2 (kea-dhcp-ddns) - in network namespaces of their own ("dns6-server", "dns6-client").

Every scenario runs in both delivery modes with the same D2 document (tests/ddns/bind.py, with the
ip6.arpa zone of 2001:db8:1::/64):
- a client asking the server to update DNS (S=1) is answered S=1 with its name qualified, and named then
  holds the AAAA record of the leased address, the ip6.arpa PTR back to the name and the DHCID made from
  the client's DUID (RFC 4701 type 2, checked by value); `dhclient -6 -r` (RELEASE) takes them away;
- a client that leaves without releasing loses them when its lease expires and is reclaimed.
What is in DNS is only ever looked at with `dig` against named on the server namespace's loopback.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Iterator
from typing import Any

import pytest

from edge.ddns.dhcid import duid_dhcid
from edge.ddns.names6 import FLAG_S
from edge.wire.payloads6 import parse_client_fqdn
from tests.ddns import bind
from tests.lab import dhcp6msg as m
from tests.lab import kea6
from tests.lab.capture6 import Capture6
from tests.lab.clients6 import Dhclient6, Lease6
from tests.lab.edge6 import Edge6Server
from tests.lab.netns import Lab, LabError
from tests.lab.netns6 import add_link6, dad_off, endpoint6, wait_settled

pytestmark = pytest.mark.lab

MODES = ["built-in", "kea-d2"]
SUFFIX = bind.FORWARD_ZONE
NETWORK = bind.NETWORK6
POOL = ("2001:db8:1::100", "2001:db8:1::1ff")
SERVER_ADDRESS = f"{NETWORK[1]}/{NETWORK.prefixlen}"


class Dns6Lab:
    """Client and server namespaces on one link; named (and D2) beside edge-dhcp in the server namespace."""

    def __init__(self, lab: Lab, mode: str) -> None:
        missing = bind.available()
        if not Dhclient6.available():
            missing.append("dhclient")
        if missing:
            pytest.skip(f"not installed: {', '.join(missing)}")
        self.lab = lab
        self.mode = mode
        self.ns = lab.add_namespace("dns6-server")
        self.client_ns = lab.add_namespace("dns6-client")
        for ns in (self.ns, self.client_ns):
            dad_off(lab, ns)
        add_link6(
            lab,
            (self.ns, "srv0"),
            (self.client_ns, "cli0"),
            a_index=70000,
            b_index=131072,
            a_mac="02:00:5e:36:00:01",
            b_mac="02:00:5e:36:00:02",
            a_address=SERVER_ADDRESS,
        )
        wait_settled(lab, [self.ns, self.client_ns])
        self.server = endpoint6(lab, self.ns, "srv0")
        self.named = bind.Named(lab, self.ns).start()
        self.d2 = bind.KeaD2(lab, self.ns, bind.d2_document(ipv6=True)) if mode == "kea-d2" else None
        if self.d2 is not None:
            self.d2.start()
        self.edge: Edge6Server | None = None

    def dhcp_ddns(self) -> dict[str, Any]:
        if self.mode == "built-in":
            return {"enable-updates": True, "user-context": {"d2-config": bind.d2_document(ipv6=True)}}
        return {"enable-updates": True, "server-ip": "127.0.0.1", "server-port": bind.D2_PORT}

    def start_edge(self, valid_lifetime: int = 300, **extra: Any) -> Edge6Server:
        self.edge = Edge6Server(
            self.lab,
            self.ns,
            interfaces=[f"srv0/{self.server.ip}"],
            subnets=[kea6.subnet6(1, str(NETWORK), [f"{POOL[0]}-{POOL[1]}"], interface="srv0")],
            preferred_lifetime=max(valid_lifetime - 1, 1),
            valid_lifetime=valid_lifetime,
            extra={"dhcp-ddns": self.dhcp_ddns(), "ddns-qualifying-suffix": SUFFIX, **extra},
        ).start()
        return self.edge

    def client(self, fqdn: str) -> Dhclient6:
        conf = f'send fqdn.fqdn "{fqdn}";\nsend fqdn.server-update on;'
        return Dhclient6(self.lab, self.client_ns, "cli0", extra_conf=conf)

    def wait_d2(self, message: str, address: ipaddress.IPv6Address) -> None:
        """In the kea-d2 mode, that D2 itself logged `message` for a request about `address`."""
        if self.d2 is None:
            return
        d2 = self.d2

        def logged() -> bool:  # D2 logs the request on the lines after the message id, up to the next entry
            entries = re.split(r"\n(?=\d{4}-\d\d-\d\d )", d2.output())
            return any(message in entry and address.compressed in entry for entry in entries)

        try:
            self.lab.wait_for(logged, timeout=20, what=f"{message} for {address} in kea-dhcp-ddns's log")
        except LabError as exc:
            raise LabError(f"{exc}\nkea-dhcp-ddns said:\n{d2.output()[-4000:]}") from None

    def obtain(self, client: Dhclient6) -> tuple[Lease6, m.Message, m.Message]:
        """The lease, and the client's REQUEST and the server's REPLY to it as seen on the client's link."""
        with Capture6(self.lab, self.client_ns, "cli0") as capture:
            lease = client.obtain()
            messages = capture.messages()
        requests = [msg for msg in messages if msg.name == "REQUEST"]
        replies = [msg for msg in messages if msg.name == "REPLY"]
        assert requests and replies, [msg.name for msg in messages]
        return lease, requests[-1], replies[-1]


@pytest.fixture(params=MODES)
def dns(request: pytest.FixtureRequest, lab: Lab) -> Iterator[Dns6Lab]:
    yield Dns6Lab(lab, request.param)


def _address(lease: Lease6) -> ipaddress.IPv6Address:
    assert len(lease.addresses) == 1, lease
    address = lease.addresses[0]
    assert ipaddress.IPv6Address(POOL[0]) <= address <= ipaddress.IPv6Address(POOL[1])
    return address


def test_option_39_client_gets_aaaa_ptr_and_dhcid_and_loses_them_when_it_releases(dns: Dns6Lab) -> None:
    name = f"laptop.{SUFFIX}"
    dns.start_edge()
    client = dns.client(name + ".")
    lease, request, reply = dns.obtain(client)
    address = _address(lease)
    sent = request.get(39)
    assert sent is not None, "dhclient -6 sent no Client FQDN option"
    assert parse_client_fqdn(sent) == (FLAG_S, name, True)
    answer = reply.get(39)
    assert answer is not None, "the REPLY carries no Client FQDN option"
    assert parse_client_fqdn(answer) == (FLAG_S, name, True)  # the server does the AAAA update: S=1, O=0

    found = dns.named.wait_names(name, address, present=True)
    assert found["AAAA"] == [address.compressed]
    assert found["PTR"] == [name + "."]
    duid = request.get(m.CLIENT_ID)
    assert duid is not None
    assert found["DHCID"] == [base64.b64encode(duid_dhcid(name + ".", duid)).decode()]
    dns.wait_d2("DHCP_DDNS_ADD_SUCCEEDED", address)  # kea-d2: it was D2 that made the change

    client.release()
    dns.named.wait_names(name, address, present=False)
    dns.wait_d2("DHCP_DDNS_REMOVE_SUCCEEDED", address)
    assert dns.named.names_of(name, address) == {"AAAA": [], "DHCID": [], "PTR": []}


def test_a_client_that_leaves_without_releasing_is_unnamed_when_its_lease_expires(dns: Dns6Lab) -> None:
    name = f"phone.{SUFFIX}"
    dns.start_edge(valid_lifetime=8, **{"expired-leases-processing": {"reclaim-timer-wait-time": 1}})
    lease, _, _ = dns.obtain(dns.client(name + "."))  # dhclient -x afterwards: no RENEW, no RELEASE
    address = _address(lease)
    dns.named.wait_names(name, address, present=True, timeout=10)
    dns.named.wait_names(name, address, present=False, timeout=30)
    assert dns.named.dig(name, "DHCID") == []
