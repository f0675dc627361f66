"""The load-balancing hash and scopes, as Kea 2.2's QueryFilter computes them."""

from __future__ import annotations

import random

from edge.dhcp4.config import load_data
from edge.ha.config import read_ha
from edge.ha.scopes import MIXING_TABLE, Scopes, lb_hash, ordered_servers
from tests.ha.helpers import dhcp4_doc, ha_block

DISCOVER, OFFER, REQUEST, INFORM = 1, 2, 3, 8


def scopes(this: str = "server1", mode: str = "load-balancing", **kw) -> Scopes:
    ha = read_ha(load_data(dhcp4_doc(ha_block(this=this, mode=mode, **kw))).raw)
    assert ha is not None
    return Scopes(ha)


def test_table_is_rfc_3074s() -> None:
    # RFC 3074 section 6 begins 251, 175, 119, 215 and ends 6, 169, 234, 151.
    assert MIXING_TABLE[:4] == bytes([251, 175, 119, 215])
    assert MIXING_TABLE[-4:] == bytes([6, 169, 234, 151])
    assert sorted(MIXING_TABLE) == list(range(256))


def test_hash_by_hand() -> None:
    # One octet 0x00: start at the length (1), then T[1 ^ 0] = T[1] = 175.
    assert lb_hash(b"\x00") == 175
    # 01 02: start 2; last octet first: T[2 ^ 2] = T[0] = 251; then T[251 ^ 1] = T[250] = 170.
    assert lb_hash(b"\x01\x02") == 170
    # Taken first octet first, the same key would give T[T[2 ^ 1] ^ 2] = T[T[3] ^ 2] = T[215 ^ 2] = T[213].
    assert lb_hash(b"\x01\x02") != MIXING_TABLE[213]
    assert lb_hash(b"") == 0


def test_client_id_wins_over_chaddr_and_balance_is_even() -> None:
    s1, s2 = scopes("server1"), scopes("server2")
    rng = random.Random(7)
    mine = 0
    for _ in range(2000):
        mac = bytes(rng.randrange(256) for _ in range(6))
        a, cls_a = s1.in_scope(DISCOVER, mac, None)
        b, cls_b = s2.in_scope(DISCOVER, mac, None)
        assert a != b and cls_a == cls_b  # exactly one server answers, both see the same class
        assert cls_a == ("HA_server1" if lb_hash(mac) % 2 == 0 else "HA_server2")
        mine += a
    assert 800 < mine < 1200
    mac = bytes(6)
    cid = b"\x01" + mac
    assert s1.scope_of(REQUEST, mac, cid) == ("server1" if lb_hash(cid) % 2 == 0 else "server2")
    assert s1.scope_of(REQUEST, mac, b"") == ("server1" if lb_hash(mac) % 2 == 0 else "server2")


def test_unfiltered_types_are_always_ours_in_the_first_class() -> None:
    s2 = scopes("server2")
    s2.serve_none()
    assert s2.in_scope(OFFER, b"\x01" * 6, None) == (True, "HA_server1")
    assert s2.in_scope(INFORM, b"\x01" * 6, None)[0] is False


def test_hot_standby_primary_serves_all_standby_none_until_failover() -> None:
    primary, standby = scopes("server1", "hot-standby"), scopes("server2", "hot-standby")
    mac = b"\xaa" * 6
    assert primary.in_scope(DISCOVER, mac, None) == (True, "HA_server1")
    assert standby.in_scope(DISCOVER, mac, None) == (False, "HA_server1")
    standby.serve_failover()
    assert standby.served_list() == ["server1"]
    assert standby.in_scope(DISCOVER, mac, None) == (True, "HA_server1")


def test_order_primary_first_then_by_name_backups_last() -> None:
    peers = [
        {"name": "a-backup", "url": "http://127.0.0.1:8003/", "role": "backup"},
        {"name": "zz", "url": "http://127.0.0.1:8001/", "role": "primary"},
        {"name": "b", "url": "http://127.0.0.1:8002/", "role": "secondary"},
    ]
    ha = read_ha(load_data(dhcp4_doc(ha_block(this="zz", mode="load-balancing", peers=peers))).raw)
    assert ha is not None
    assert [n for n, _ in ordered_servers(ha)] == ["zz", "b", "a-backup"]
