"""The DHCPv6 engine in-process (sans-IO): what the lab scenarios against Kea cannot reach cheaply.

The Kea 2.2 behaviours themselves are played side by side against kea-dhcp6 in tests/lab/
test_kea6_observed.py and test_harness6.py; here: hostile input, durability promises (wait_seq), the
allocator's pointer across a reload, reservations, declined addresses, shared networks, pool classes,
relay replies, and the server-id file. Messages are built with the lab's independent codec
(tests/lab/dhcp6msg.py), so a mistake shared with edge.wire cannot hide.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from edge.dhcp6.config import load_text
from edge.dhcp6.engine import Engine6
from edge.dhcp6.exchange import Inbound6
from edge.dhcp6.lease_store import MemoryLeaseStore6
from edge.dhcp6.model import ServerId
from edge.dhcp6.server_id import SERVER_ID_FILE, load_server_id, make_server_id
from tests.lab import dhcp6msg as m

SID = bytes.fromhex("000100012c3a1b2a020000000abc")
LL = ipaddress.IPv6Address("fe80::1").packed
MCAST = ipaddress.IPv6Address("ff02::1:2").packed
NOW = 1_700_000_000.0


def duid(n: int) -> bytes:
    return m.duid_ll(bytes((2, 0, 0, 0, 0, n)))


def config(**dhcp6: Any) -> Any:
    base: dict[str, Any] = {
        "interfaces-config": {"interfaces": []},
        "subnet6": [
            {
                "id": 1,
                "subnet": "2001:db8:1::/64",
                "interface": "eth0",
                "pools": [{"pool": "2001:db8:1::100-2001:db8:1::103"}],
                "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 62, "delegated-len": 64}],
            }
        ],
    }
    base.update(dhcp6)
    return load_text(json.dumps({"Dhcp6": base}))


class Client:
    """The engine and a crafted client on eth0."""

    def __init__(self, cfg: Any = None) -> None:
        self.store = MemoryLeaseStore6()
        self.engine = Engine6(cfg if cfg is not None else config(), self.store, server_id=SID)
        self.now = NOW
        self.xid = 0x10

    def send(
        self, msg: m.Message, *, ifname: str = "eth0", src: bytes = LL, port: int = 546, dst: bytes = MCAST
    ) -> Any:
        return self.engine.handle(msg.encode(), Inbound6(ifname, 70000, src, port, dst), self.now)

    def ask(self, msg: m.Message, **kwargs: Any) -> m.Message | None:
        out = self.send(msg, **kwargs)
        return None if out is None else m.decode(out.payload)

    def msg(
        self, msg_type: int, client: int = 1, *options: tuple[int, bytes], server_id: bool = False
    ) -> m.Message:
        self.xid += 1
        opts = [(m.CLIENT_ID, duid(client))]
        if server_id:
            opts.append((m.SERVER_ID, SID))
        return m.Message(msg_type, self.xid, opts + list(options))

    def lease(self, client: int = 1, iaid: int = 1) -> str:
        adv = self.ask(self.msg(m.SOLICIT, client, (m.IA_NA, m.ia_na(iaid))))
        assert adv is not None and adv.name == "ADVERTISE"
        offered = str(m.ias(adv)[0].addresses[0][0])
        reply = self.ask(
            self.msg(m.REQUEST, client, (m.IA_NA, m.ia_na(iaid, 0, 0, m.iaaddr(offered))), server_id=True)
        )
        assert reply is not None and reply.name == "REPLY"
        return str(m.ias(reply)[0].addresses[0][0])

    def stat(self, name: str) -> int:
        return self.engine.stats.get(name)


def test_hostile_input_is_counted_and_dropped() -> None:
    c = Client()
    # 33 nested RELAY-FORW layers: one more than RFC 8415's hop limit
    inner = c.msg(m.SOLICIT, 1, (m.IA_NA, m.ia_na(1))).encode()
    for hop in range(33):
        layer = m.Message(
            m.RELAY_FORW,
            0,
            [(m.RELAY_MSG, inner)],
            hop=hop,
            link=ipaddress.IPv6Address(f"2001:db8:1::{hop + 1:x}"),
        )
        inner = layer.encode()
    assert c.send(m.decode(inner)) is None
    # an IA_NA too short for its IAID/T1/T2, and a client FQDN with both N and S set
    assert c.send(c.msg(m.SOLICIT, 1, (m.IA_NA, b"\x00\x00\x00\x01"))) is None
    assert c.send(c.msg(m.SOLICIT, 1, (m.IA_NA, m.ia_na(1)), (39, b"\x05\x00"))) is None
    assert c.stat("pkt6-parse-failed") == 3 and c.stat("pkt6-receive-drop") == 3
    # a client-id longer than Kea's 128-byte DUID limit is refused by the sanity check
    big = m.Message(m.SOLICIT, 9, [(m.CLIENT_ID, b"\x00\x02" + bytes(140)), (m.IA_NA, m.ia_na(1))])
    assert c.send(big) is None and c.stat("pkt6-receive-drop") == 4
    # and the engine still serves a well-formed SOLICIT
    assert c.ask(c.msg(m.SOLICIT, 1, (m.IA_NA, m.ia_na(1)))) is not None


def test_only_committing_replies_wait_for_durability() -> None:
    c = Client()
    advertise = c.send(c.msg(m.SOLICIT, 1, (m.IA_NA, m.ia_na(1))))
    assert advertise is not None and advertise.wait_seq == 0 and len(c.store) == 0
    address = str(m.ias(m.decode(advertise.payload))[0].addresses[0][0])
    reply = c.send(c.msg(m.REQUEST, 1, (m.IA_NA, m.ia_na(1, 0, 0, m.iaaddr(address))), server_id=True))
    assert reply is not None and reply.wait_seq == c.store.last_seq and len(c.store) == 1
    info = c.send(c.msg(m.INFORMATION_REQUEST, 1, (m.ORO, m.oro(23))))
    assert info is not None and info.wait_seq == 0


def test_the_allocation_pointer_survives_a_reload() -> None:
    c = Client()
    first = c.ask(c.msg(m.SOLICIT, 1, (m.IA_NA, m.ia_na(1))))
    c.engine.reconfigure(config())
    second = c.ask(c.msg(m.SOLICIT, 2, (m.IA_NA, m.ia_na(1))))
    assert first is not None and second is not None
    assert str(m.ias(first)[0].addresses[0][0]) == "2001:db8:1::100"
    assert str(m.ias(second)[0].addresses[0][0]) == "2001:db8:1::101"


def test_a_reserved_address_goes_to_its_host_only() -> None:
    subnet = {
        "id": 1,
        "subnet": "2001:db8:1::/64",
        "interface": "eth0",
        "pools": [{"pool": "2001:db8:1::100-2001:db8:1::101"}],
        "reservations": [
            {"duid": duid(7).hex(":"), "ip-addresses": ["2001:db8:1::100"], "hostname": "seven"}
        ],
    }
    c = Client(config(subnet6=[subnet]))
    assert c.lease(client=1) == "2001:db8:1::101"  # ::100 is reserved to client 7
    assert c.lease(client=7) == "2001:db8:1::100"
    assert c.store.get(int(ipaddress.IPv6Address("2001:db8:1::100"))).hostname == "seven"
    # the pool is now used up for everyone else
    adv = c.ask(c.msg(m.SOLICIT, 2, (m.IA_NA, m.ia_na(1))))
    assert adv is not None and m.ias(adv)[0].status == (2, "Sorry, no address could be allocated.")
    assert c.stat("v6-allocation-fail") == 1 and c.stat("subnet[1].v6-allocation-fail") == 1


def test_a_declined_address_is_held_for_its_probation_period() -> None:
    subnet = {
        "id": 1,
        "subnet": "2001:db8:1::/64",
        "interface": "eth0",
        "pools": [{"pool": "2001:db8:1::100-2001:db8:1::100"}],
    }
    c = Client(config(subnet6=[subnet], **{"decline-probation-period": 100}))
    address = c.lease(client=1)
    reply = c.ask(c.msg(m.DECLINE, 1, (m.IA_NA, m.ia_na(1, 0, 0, m.iaaddr(address))), server_id=True))
    assert reply is not None and m.ias(reply)[0].status[0] == 0
    held = c.store.get(int(ipaddress.IPv6Address(address)))
    assert held.state == 1 and held.duid == b"\x00" and held.valid_lifetime == 100
    assert c.stat("declined-addresses") == 1
    adv = c.ask(c.msg(m.SOLICIT, 2, (m.IA_NA, m.ia_na(1))))
    assert adv is not None and m.ias(adv)[0].status[0] == 2  # still on probation
    c.now += 101
    adv = c.ask(c.msg(m.SOLICIT, 2, (m.IA_NA, m.ia_na(1))))
    assert adv is not None and str(m.ias(adv)[0].addresses[0][0]) == address


def test_a_shared_network_moves_on_to_its_next_subnet() -> None:
    net = {
        "name": "lan",
        "interface": "eth0",
        "subnet6": [
            {"id": 1, "subnet": "2001:db8:1::/64", "pools": [{"pool": "2001:db8:1::100-2001:db8:1::100"}]},
            {"id": 2, "subnet": "2001:db8:2::/64", "pools": [{"pool": "2001:db8:2::100-2001:db8:2::100"}]},
        ],
    }
    c = Client(config(subnet6=[], **{"shared-networks": [net]}))
    assert c.lease(client=1) == "2001:db8:1::100"
    assert c.lease(client=2) == "2001:db8:2::100"
    lease = c.store.get(int(ipaddress.IPv6Address("2001:db8:2::100")))
    assert lease.subnet_id == 2 and c.stat("subnet[2].assigned-nas") == 1


def test_a_pool_with_a_class_serves_only_its_members() -> None:
    subnet = {
        "id": 1,
        "subnet": "2001:db8:1::/64",
        "interface": "eth0",
        "pools": [
            {"pool": "2001:db8:1::100-2001:db8:1::100", "client-class": "even"},
            {"pool": "2001:db8:1::200-2001:db8:1::200"},
        ],
    }
    classes = [{"name": "even", "test": "substring(option[1].hex, 9, 1) == 0x02"}]
    c = Client(config(subnet6=[subnet], **{"client-classes": classes}))
    assert c.lease(client=1) == "2001:db8:1::200"
    assert c.lease(client=2) == "2001:db8:1::100"


def test_relayed_replies_go_back_through_the_relay() -> None:
    subnet = {
        "id": 1,
        "subnet": "2001:db8:1::/64",
        "interface-id": "port-3",
        "pools": [{"pool": "2001:db8:1::100-2001:db8:1::1ff"}],
    }
    c = Client(config(subnet6=[subnet]))
    inner = c.msg(m.SOLICIT, 1, (m.IA_NA, m.ia_na(1)))
    relay = m.Message(
        m.RELAY_FORW,
        0,
        [(m.INTERFACE_ID, b"port-3"), (135, b"\x22\x22"), (m.RELAY_MSG, inner.encode())],
        hop=0,
        link=ipaddress.IPv6Address("2001:db8:99::1"),
        peer=ipaddress.IPv6Address("fe80::5"),
    )
    relay_ip = ipaddress.IPv6Address("2001:db8:99::1").packed
    out = c.send(relay, src=relay_ip, port=8738, dst=ipaddress.IPv6Address("2001:db8:1::1").packed)
    assert out is not None and out.dst_ip == relay_ip and out.dst_port == 8738  # RFC 8357 relay source port
    reply = m.decode(out.payload)
    assert reply.name == "RELAY-REPL" and reply.get(m.INTERFACE_ID) == b"port-3"
    assert reply.innermost().name == "ADVERTISE"
    assert str(m.ias(reply.innermost())[0].addresses[0][0]) == "2001:db8:1::100"


def test_the_server_id_is_made_once_and_kept(tmp_path: Path) -> None:
    mac = bytes.fromhex("020000000abc")
    first = load_server_id(ServerId(), str(tmp_path), NOW, mac)
    assert first[:4] == b"\x00\x01\x00\x01" and first[8:] == mac
    assert int.from_bytes(first[4:8], "big") == int(NOW) - 946684800
    stored = (tmp_path / SERVER_ID_FILE).read_text()
    assert stored == first.hex(":")  # Kea's format: lowercase colon hex, no newline
    assert load_server_id(ServerId(), str(tmp_path), NOW + 500, b"\x02" * 6) == first
    # a configuration that no longer fits the stored DUID makes a new one
    en = load_server_id(
        ServerId(type="EN", enterprise_id=2495, identifier=b"\x01\x02"), str(tmp_path), NOW, mac
    )
    assert en == bytes.fromhex("0002000009bf0102") and (tmp_path / SERVER_ID_FILE).read_text() == en.hex(":")
    # persist false writes nothing
    other = tmp_path / "other"
    ll = load_server_id(ServerId(type="LL", persist=False), str(other), NOW, mac)
    assert ll == bytes.fromhex("00030001") + mac and not other.exists()
    with pytest.raises(ValueError):
        make_server_id(ServerId(), NOW, b"")


def test_a_new_reservation_replaces_the_clients_other_lease_at_renew() -> None:
    c = Client()
    before = c.lease(client=3)
    subnet = dict(
        id=1,
        subnet="2001:db8:1::/64",
        interface="eth0",
        pools=[{"pool": "2001:db8:1::100-2001:db8:1::103"}],
        reservations=[{"duid": duid(3).hex(":"), "ip-addresses": ["2001:db8:1::77"]}],
    )
    c.engine.reconfigure(config(subnet6=[subnet]))
    renew = c.msg(m.RENEW, 3, (m.IA_NA, m.ia_na(1, 0, 0, m.iaaddr(before))), server_id=True)
    reply = c.ask(renew)
    assert reply is not None
    got = {str(a): (p, v) for a, p, v in m.ias(reply)[0].addresses}
    assert got["2001:db8:1::77"][1] > 0 and got[before] == (0, 0)  # the old address with lifetimes 0
    assert c.store.get(int(ipaddress.IPv6Address(before))) is None


def test_global_reservation_classes_steer_subnet_selection() -> None:
    subnets = [
        {
            "id": 1,
            "subnet": "2001:db8:1::/64",
            "interface": "eth0",
            "client-class": "gold",
            "pools": [{"pool": "2001:db8:1::100-2001:db8:1::1ff"}],
        },
        {
            "id": 2,
            "subnet": "2001:db8:2::/64",
            "interface": "eth0",
            "pools": [{"pool": "2001:db8:2::100-2001:db8:2::1ff"}],
        },
    ]
    extra = {
        "client-classes": [{"name": "gold"}],
        "reservations": [{"duid": duid(5).hex(":"), "client-classes": ["gold"]}],
        "early-global-reservations-lookup": True,
    }
    c = Client(config(subnet6=subnets, **extra))
    assert c.lease(client=5).startswith("2001:db8:1::")
    assert c.lease(client=6).startswith("2001:db8:2::")


def test_a_reclaimed_lease_kept_for_affinity_returns_to_its_client() -> None:
    c = Client()
    first = c.lease(client=4)
    address = int(ipaddress.IPv6Address(first))
    kept = c.store.get(address).copy()
    kept.state, kept.hostname = 2, ""  # what reclamation with hold-reclaimed-time leaves (expired-reclaimed)
    c.store.put(kept)
    c.now += 10_000  # long expired
    c.lease(client=5)  # another client takes the next free address, not this one
    assert c.lease(client=4) == first
    lease = c.store.get(address)
    assert lease.state == 0 and lease.duid == duid(4)
