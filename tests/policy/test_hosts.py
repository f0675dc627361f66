"""Host reservation backends: the configuration's, a TinyDB file's, asked in order and counted."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from tinydb import TinyDB

from edge.config.model import ip_int
from edge.dhcp4.config import load_data, open_host_backends, parse_host_documents
from edge.dhcp4.engine import Engine, Inbound
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.dhcp4.model import Reservation4
from edge.policy.hosts import (
    GLOBAL,
    ConfigHosts,
    HostManager,
    HostsDatabaseError,
    TinyDBHosts,
)
from edge.wire import pkt4 as wire

MAC = bytes.fromhex("aabbccddeeff")


def config(**dhcp4: object):  # type: ignore[no-untyped-def]
    doc = {
        "interfaces-config": {"interfaces": ["eth0"]},
        "reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "hostname": "global-one"}],
        "subnet4": [
            {
                "id": 1,
                "subnet": "192.0.2.0/24",
                "pools": [{"pool": "192.0.2.100 - 192.0.2.150"}],
                "reservations": [
                    {"hw-address": "aa:bb:cc:dd:ee:ff", "ip-address": "192.0.2.10"},
                    {"client-id": "01:aa:bb:cc:dd:ee:ff", "ip-address": "192.0.2.11"},
                ],
            }
        ],
    }
    doc.update(dhcp4)
    return load_data({"Dhcp4": doc})


def test_config_hosts_by_identifier_in_order_and_by_address_with_counters() -> None:
    cfg = config()
    hosts = HostManager([ConfigHosts(cfg)], cfg.host_reservation_identifiers)
    both = [("hw-address", MAC), ("client-id", b"\x01" + MAC)]
    assert hosts.find(1, both).ip_address == ip_int("192.0.2.10")
    assert hosts.find(1, list(reversed(both))).ip_address == ip_int("192.0.2.11")
    assert hosts.find(GLOBAL, both).hostname == "global-one"
    assert hosts.find(2, both) is None
    assert [r.ip_address for r in hosts.by_address(1, ip_int("192.0.2.11"))] == [ip_int("192.0.2.11")]
    assert hosts.by_address(1, ip_int("192.0.2.12")) == []
    assert (hosts.identifier_lookups, hosts.address_lookups) == (1 + 1 + 1 + 2, 2)


def write_hosts(path: Path, *docs: dict[str, object]) -> None:
    db = TinyDB(str(path))
    try:
        table = db.table("hosts")
        for doc in docs:
            table.insert(doc)
    finally:
        db.close()


def test_tinydb_hosts_are_asked_after_the_configuration(tmp_path: Path) -> None:
    path = tmp_path / "hosts.json"
    write_hosts(
        path,
        {
            "subnet-id": 1,
            "hw-address": "11:22:33:44:55:66",
            "ip-address": "192.0.2.20",
            "hostname": "nas",
            "option-data": [{"name": "domain-name", "data": "nas.example"}],
        },
        {"subnet-id": 1, "hw-address": "aa:bb:cc:dd:ee:ff", "ip-address": "192.0.2.21"},
        {"circuit-id": "'port-7'", "client-classes": ["vip"]},
    )
    cfg = config(
        **{"hosts-database": {"type": "tinydb", "name": str(path)}, "client-classes": [{"name": "vip"}]}
    )
    assert cfg.warnings == ()
    db = TinyDBHosts(str(path), lambda docs, src: parse_host_documents(docs, cfg, src))
    hosts = HostManager([ConfigHosts(cfg), db], cfg.host_reservation_identifiers)
    nas = hosts.find(1, [("hw-address", bytes.fromhex("112233445566"))])
    assert nas is not None and nas.hostname == "nas" and nas.option_data[0].data == b"nas.example"
    # The configuration's reservation for the same client wins, as Kea's HostMgr asks it first.
    assert hosts.find(1, [("hw-address", MAC)]).ip_address == ip_int("192.0.2.10")
    assert hosts.find(GLOBAL, [("circuit-id", b"port-7")]).client_classes == ("vip",)
    assert [r.hostname for r in hosts.by_address(1, ip_int("192.0.2.20"))] == ["nas"]


def test_the_engine_serves_a_tinydb_reservation(tmp_path: Path) -> None:
    path = tmp_path / "hosts.json"
    write_hosts(path, {"subnet-id": 1, "hw-address": "11:22:33:44:55:66", "ip-address": "192.0.2.20"})
    cfg = config(**{"hosts-database": {"type": "tinydb", "name": str(path)}})
    engine = Engine(cfg, MemoryLeaseStore4(), hosts=open_host_backends(cfg))
    pkt = wire.Packet()
    pkt.chaddr = bytes.fromhex("112233445566") + bytes(10)
    pkt.set(53, b"\x01")
    out = engine.handle(wire.encode(pkt), Inbound("eth0", 2, local_addresses=(ip_int("192.0.2.1"),)), 1e9)
    assert out is not None and struct.unpack("!I", wire.decode(out.payload).yiaddr)[0] == ip_int("192.0.2.20")


@pytest.mark.parametrize(
    "doc, words",
    [
        ({"subnet-id": 1, "hw-address": "zz", "ip-address": "192.0.2.20"}, "hosts[1].hw-address"),
        ({"subnet-id": 1, "hw-address": "11:22:33:44:55:66", "ip-address": "10.0.0.1"}, "outside the subnet"),
        ({"subnet-id": 9, "hw-address": "11:22:33:44:55:66"}, "subnet 9 is not in the configuration"),
        ({"subnet-id": "one", "hw-address": "11:22:33:44:55:66"}, "expected a subnet id"),
        ({"hw-address": "11:22:33:44:55:66", "bogus": 1}, 'unknown key "bogus"'),
        ({"hw-address": "11:22:33:44:55:66", "client-classes": [""]}, "a class name cannot be empty"),
    ],
)
def test_a_bad_document_is_a_clear_error_naming_it(
    tmp_path: Path, doc: dict[str, object], words: str
) -> None:
    path = tmp_path / "hosts.json"
    write_hosts(path, doc)
    with pytest.raises(HostsDatabaseError) as caught:
        open_host_backends(config(**{"hosts-database": {"type": "tinydb", "name": str(path)}}))
    assert str(path) in str(caught.value) and words in str(caught.value)


@pytest.mark.parametrize(
    "content, words", [(None, "no such file"), ("{oops", "bad JSON"), ('{"hosts": 3}', "table")]
)
def test_an_unreadable_database_is_a_clear_error(tmp_path: Path, content: str | None, words: str) -> None:
    path = tmp_path / "hosts.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(HostsDatabaseError, match=words):
        open_host_backends(config(**{"hosts-database": {"type": "tinydb", "name": str(path)}}))


def test_reservation_identifiers_for_the_index() -> None:
    r = Reservation4(circuit_id=b"x", subnet_id=3)
    assert r.identifiers() == (("circuit-id", b"x"),)


def test_a_database_host_may_carry_class_tags_a_guard_names(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Reservation4 classes are host tags (Kea takes undefined ones); one no guard names has no effect and
    # is logged, one the configuration's guards name is silent.
    path = tmp_path / "hosts.json"
    write_hosts(
        path,
        {"subnet-id": 1, "hw-address": "11:22:33:44:55:66", "client-classes": ["office"]},
        {"subnet-id": 1, "hw-address": "11:22:33:44:55:77", "client-classes": ["nope"]},
    )
    guarded = config(
        **{
            "hosts-database": {"type": "tinydb", "name": str(path)},
            "subnet4": [
                {
                    "id": 1,
                    "subnet": "192.0.2.0/24",
                    "pools": [{"pool": "192.0.2.100 - 192.0.2.150", "client-class": "office"}],
                    "reservations": [{"hw-address": "aa:bb:cc:dd:ee:ff", "client-classes": ["office"]}],
                }
            ],
        }
    )
    with caplog.at_level("WARNING", logger="edge.config"):
        backends = open_host_backends(guarded)
    tinydb = backends[1]
    assert tinydb.get(1, "hw-address", bytes.fromhex("112233445566")).client_classes == ("office",)
    assert tinydb.get(1, "hw-address", bytes.fromhex("112233445577")).client_classes == ("nope",)
    logged = [r.getMessage() for r in caplog.records if "CONFIG_WARNING" in r.getMessage()]
    assert len(logged) == 1 and 'class "nope" is not defined and no guard names it' in logged[0]
