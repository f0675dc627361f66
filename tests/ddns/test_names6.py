"""DHCPv6 names (edge/ddns/names6.py) and the DHCPv6 engine with them: Kea 2.2's N-S-O table for option 39,
the name policy, the DHCID from the DUID, and the AAAA/PTR requests of real SOLICIT/REQUEST/RENEW/RELEASE/
DECLINE exchanges (sans-IO: a list as the queue)."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from typing import Any

import pytest

from edge.ddns.names6 import FLAG_N, FLAG_O, FLAG_S, NameHandler6, generated_name6
from edge.ddns.ncr import CHG_ADD, CHG_REMOVE, NameChangeRequest
from edge.dhcp6.config import load_text
from edge.dhcp6.engine import Engine6
from edge.dhcp6.exchange import Inbound6
from edge.dhcp6.lease import TYPE_NA, TYPE_PD, Lease6
from edge.dhcp6.lease_store import MemoryLeaseStore6
from edge.dhcp6.model import ScopeParams6
from edge.wire.payloads6 import build_client_fqdn, parse_client_fqdn
from tests.lab import dhcp6msg as m

SID = bytes.fromhex("000100012c3a1b2a020000000abc")
LL = ipaddress.IPv6Address("fe80::1").packed
MCAST = ipaddress.IPv6Address("ff02::1:2").packed
NOW = 1_700_000_000.0


def handler() -> NameHandler6:
    return NameHandler6(lambda: None)  # type: ignore[arg-type, return-value]  # decide() reads no config


# ------------------------------------------------------------------------------------ the N-S-O table


@pytest.mark.parametrize(
    ("client", "override_client", "override_no", "reply", "fwd", "rev"),
    [
        (0, False, False, 0, False, True),  # 0-0: the server does the PTR only
        (0, True, False, FLAG_S | FLAG_O, True, True),  # override-client-update
        (FLAG_S, False, False, FLAG_S, True, True),  # 0-1 -> 0-1-0
        (FLAG_S, True, True, FLAG_S, True, True),
        (FLAG_N, False, False, FLAG_N, False, False),  # 1-0 -> 1-0-0: no updates
        (FLAG_N, False, True, FLAG_S | FLAG_O, True, True),  # override-no-update -> 0-1-1
    ],
)
def test_the_n_s_o_table(
    client: int, override_client: bool, override_no: bool, reply: int, fwd: bool, rev: bool
) -> None:
    params = ScopeParams6(
        ddns_override_client_update=override_client,
        ddns_override_no_update=override_no,
        ddns_qualifying_suffix="lab.example",
    )
    got = handler().decide(client, "laptop", False, params, None)
    assert (got.flags, got.forward, got.reverse) == (reply, fwd, rev)
    assert got.name == "laptop.lab.example."


def test_the_name_policy() -> None:
    params = ScopeParams6(ddns_qualifying_suffix="lab.example", hostname_char_set="[^A-Za-z0-9.-]")
    h = handler()
    assert h.decide(FLAG_S, "Lap_Top", False, params, None).name == "laptop.lab.example."
    assert h.decide(FLAG_S, "pc.other.org", True, params, None).name == "pc.other.org."
    assert h.decide(FLAG_S, "pc", False, params, "printer").name == "printer.lab.example."
    assert h.decide(FLAG_S, "", False, params, None).generate
    always = ScopeParams6(ddns_qualifying_suffix="lab.example", ddns_replace_client_name="always")
    assert h.decide(FLAG_S, "pc", False, always, None).generate
    never = ScopeParams6(ddns_qualifying_suffix="lab.example", ddns_replace_client_name="when-not-present")
    assert h.decide(FLAG_S, "pc", False, never, None).name == "pc.lab.example."
    named = ScopeParams6(ddns_generated_prefix="Host", ddns_qualifying_suffix="lab.example")
    address = int(ipaddress.IPv6Address("2001:db8:1::100"))
    assert generated_name6(address, named) == "host-2001-db8-1--100.lab.example."


def test_the_dhcid_is_rfc_4701_type_2_over_the_duid() -> None:
    # RFC 4701 section 3.6, example 1: DUID 00:01:00:06:41:2d:f1:66:01:02:03:04:05:06, "chi6.example.com"
    duid = bytes.fromhex("000100064 12df1660102030405 06".replace(" ", ""))
    lease = Lease6(0, duid=duid, iaid=1, lease_type=TYPE_NA)
    rdata = handler().dhcid_of("chi6.example.com.", lease)
    assert base64.b64encode(rdata).decode() == "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="
    # by hand: identifier type 2, digest type 1, SHA-256(DUID + name in wire form)
    wire_name = b"\x04chi6\x07example\x03com\x00"
    assert rdata == b"\x00\x02\x01" + hashlib.sha256(duid + wire_name).digest()


# ------------------------------------------------------------------------------------ the engine


def config(updates: bool = True, **params: Any) -> Any:
    base: dict[str, Any] = {
        "interfaces-config": {"interfaces": []},
        "dhcp-ddns": {"enable-updates": updates},
        "ddns-qualifying-suffix": "lab.example",
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
    base.update(params)
    return load_text(json.dumps({"Dhcp6": base}))


class Client:
    def __init__(self, cfg: Any) -> None:
        self.store = MemoryLeaseStore6()
        self.sent: list[NameChangeRequest] = []
        self.names = NameHandler6(lambda: cfg, self.sent.append if cfg.ddns.enable_updates else None)
        self.engine = Engine6(cfg, self.store, server_id=SID, names=self.names)
        self.xid = 0x10
        self.now = NOW

    def ask(self, msg_type: int, *options: tuple[int, bytes], server_id: bool = True) -> m.Message:
        self.xid += 1
        opts = [(m.CLIENT_ID, m.duid_ll(bytes((2, 0, 0, 0, 0, 1))))]
        if server_id:
            opts.append((m.SERVER_ID, SID))
        msg = m.Message(msg_type, self.xid, opts + list(options))
        out = self.engine.handle(msg.encode(), Inbound6("eth0", 7, LL, 546, MCAST), self.now)
        assert out is not None
        return m.decode(out.payload)

    def get(self, fqdn: bytes, *ias: tuple[int, bytes]) -> tuple[m.Message, str]:
        adv = self.ask(m.SOLICIT, (39, fqdn), *ias, server_id=False)
        offered = str(m.ias(adv)[0].addresses[0][0])
        want = [(m.IA_NA, m.ia_na(1, 0, 0, m.iaaddr(offered))), *ias[1:]]
        return self.ask(m.REQUEST, (39, fqdn), *want), offered


def test_an_ia_na_lease_gets_aaaa_and_ptr_and_loses_them_on_release() -> None:
    c = Client(config())
    reply, address = c.get(build_client_fqdn(FLAG_S, "laptop", False), (m.IA_NA, m.ia_na(1)))
    assert parse_client_fqdn(reply.get(39)) == (FLAG_S, "laptop.lab.example", True)
    lease = c.store.get6(TYPE_NA, int(ipaddress.IPv6Address(address)))
    assert (lease.hostname, lease.fqdn_fwd, lease.fqdn_rev) == ("laptop.lab.example.", True, True)
    assert [(n.change_type, n.forward, n.reverse, n.fqdn, n.ip_address) for n in c.sent] == [
        (CHG_ADD, True, True, "laptop.lab.example.", address)
    ]  # the ADVERTISE asks for nothing
    assert c.sent[0].dhcid == c.names.dhcid_of("laptop.lab.example.", lease)
    assert c.sent[0].describe() == f"add AAAA+PTR laptop.lab.example. {address}"
    c.ask(
        m.RENEW,
        (39, build_client_fqdn(FLAG_S, "laptop", False)),
        (m.IA_NA, m.ia_na(1, 0, 0, m.iaaddr(address))),
    )
    assert len(c.sent) == 1  # same name, same client: a renewal asks for nothing
    c.ask(
        m.RENEW,
        (39, build_client_fqdn(FLAG_S, "tablet", False)),
        (m.IA_NA, m.ia_na(1, 0, 0, m.iaaddr(address))),
    )
    assert [(n.change_type, n.fqdn) for n in c.sent[1:]] == [
        (CHG_REMOVE, "laptop.lab.example."),
        (CHG_ADD, "tablet.lab.example."),
    ]
    c.ask(m.RELEASE, (m.IA_NA, m.ia_na(1, 0, 0, m.iaaddr(address))))
    assert [(n.change_type, n.fqdn, n.ip_address) for n in c.sent[3:]] == [
        (CHG_REMOVE, "tablet.lab.example.", address)
    ]


def test_a_delegated_prefix_gets_no_dns_entries_and_a_name_is_generated_from_the_address() -> None:
    c = Client(config())
    reply, address = c.get(build_client_fqdn(FLAG_S, "", False), (m.IA_NA, m.ia_na(1)), (m.IA_PD, m.ia_pd(2)))
    name = "myhost-" + address.replace(":", "-") + ".lab.example"
    assert parse_client_fqdn(reply.get(39)) == (FLAG_S, name, True)
    assert m.ias(reply, m.IA_PD)[0].prefixes
    assert [(n.change_type, n.fqdn, n.ip_address) for n in c.sent] == [(CHG_ADD, name + ".", address)]
    prefix = next(lease for lease in c.store.all() if lease.lease_type == TYPE_PD)
    assert not (prefix.fqdn_fwd or prefix.fqdn_rev)
    assert not c.names.lease_removed(prefix)  # reclamation of a prefix asks for nothing either
    na = c.store.get6(TYPE_NA, int(ipaddress.IPv6Address(address)))
    assert c.names.lease_removed(na)  # what expiry (on_reclaim) and lease6-del with update-ddns call
    assert c.sent[-1].change_type == CHG_REMOVE


def test_decline_removes_and_no_update_is_honoured() -> None:
    c = Client(config())
    _, address = c.get(build_client_fqdn(FLAG_N, "quiet", False), (m.IA_NA, m.ia_na(1)))
    assert c.sent == []  # N=1 without override-no-update: no DNS changes
    c = Client(config())
    _, address = c.get(build_client_fqdn(0, "pc", False), (m.IA_NA, m.ia_na(1)))
    assert [(n.forward, n.reverse) for n in c.sent] == [(False, True)]  # 0-0: PTR only
    c.ask(m.DECLINE, (m.IA_NA, m.ia_na(1, 0, 0, m.iaaddr(address))))
    assert [(n.change_type, n.forward, n.reverse) for n in c.sent[1:]] == [(CHG_REMOVE, False, True)]


def test_updates_off_answer_as_before() -> None:
    c = Client(config(updates=False))
    reply, address = c.get(build_client_fqdn(FLAG_S, "laptop", False), (m.IA_NA, m.ia_na(1)))
    assert parse_client_fqdn(reply.get(39)) == (FLAG_N | FLAG_O, "laptop", False)
    lease = c.store.get6(TYPE_NA, int(ipaddress.IPv6Address(address)))
    assert not (lease.fqdn_fwd or lease.fqdn_rev) and c.sent == []
