"""DHCPv4 reservations from Kea 2.2's PostgreSQL hosts tables: rows written the way Kea writes them (the
schema made by the real `kea-admin db-init pgsql`, in a throw-away PostgreSQL server), read when the
configuration is applied and served by the engine."""

from __future__ import annotations

import struct

import pytest

psycopg = pytest.importorskip("psycopg")

from edge.config.model import ip_int  # noqa: E402
from edge.dhcp4.config import load_data, open_host_backends  # noqa: E402
from edge.dhcp4.engine import Engine, Inbound  # noqa: E402
from edge.dhcp4.lease_store import MemoryLeaseStore4  # noqa: E402
from edge.policy.hosts import HostManager, HostsDatabaseError  # noqa: E402
from edge.wire import pkt4 as wire  # noqa: E402
from tests.leases.pgsql import AVAILABLE, NOT_AVAILABLE, PASSWORD  # noqa: E402

pytestmark = pytest.mark.skipif(not AVAILABLE, reason=NOT_AVAILABLE)

MAC = bytes.fromhex("1a2b3c4d5e6f")
SERVER = ip_int("192.0.2.1")


def add_host(
    params,
    ident,
    ident_type,
    subnet4,
    address=None,
    hostname=None,
    classes=None,
    next_server=None,
    boot_file=None,
    subnet6=None,
    options=(),
):
    """Insert a host (and its host-scope dhcp4_options rows) as Kea's pgsql host data source does."""
    with psycopg.connect(host=params["host"], dbname=params["name"], user="postgres") as conn:
        host_id = conn.execute(
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, dhcp6_subnet_id, "
            "ipv4_address, hostname, dhcp4_client_classes, dhcp4_next_server, dhcp4_boot_file_name) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING host_id",
            (ident, ident_type, subnet4, subnet6, address, hostname, classes, next_server, boot_file),
        ).fetchone()[0]
        for code, value, formatted, space, persistent in options:
            conn.execute(
                "INSERT INTO dhcp4_options (code, value, formatted_value, space, persistent, host_id, scope_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, 3)",
                (code, value, formatted, space, persistent, host_id),
            )
    return host_id


def config(kea_pgsql, **extra):
    db = {k: kea_pgsql[k] for k in ("type", "name", "host", "user", "password")}
    doc = {
        "interfaces-config": {"interfaces": ["eth0"]},
        "hosts-databases": [db],
        "client-classes": [{"name": "printers"}],
        "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.150"}]}],
        **extra,
    }
    return load_data({"Dhcp4": doc})


def discover(engine, hw, prl=b"\x01\x03\x0c\x0f\x17\xd2"):
    pkt = wire.Packet()
    pkt.chaddr = hw + bytes(16 - len(hw))
    pkt.xid = 7
    pkt.set(53, b"\x01")
    pkt.set(55, prl)
    out = engine.handle(wire.encode(pkt), Inbound("eth0", 2, local_addresses=(SERVER,)), 1e9)
    assert out is not None
    return wire.decode(out.payload)


def test_a_host_in_keas_tables_is_served_with_its_address_name_fields_and_options(kea_pgsql) -> None:
    add_host(
        kea_pgsql,
        MAC,
        0,  # hw-address
        1,
        address=ip_int("192.0.2.50"),
        hostname="printer-7",
        classes="printers",
        next_server=ip_int("192.0.2.9"),
        boot_file="pxe.efi",
        subnet6=None,
        options=[
            (15, None, "lab.example", None, False),  # csv text (formatted_value), space NULL = dhcp4
            (23, b"\x40", "", "dhcp4", True),  # binary value, persistent (always-send), not asked for
            (66, None, "tftp.lab.example", "dhcp4", False),  # tftp-server-name
        ],
    )
    cfg = config(kea_pgsql)
    assert not [w for w in cfg.warnings if "hosts-databases" in w and "password" in w]
    engine = Engine(cfg, MemoryLeaseStore4(), hosts=open_host_backends(cfg))
    offer = discover(engine, MAC, prl=b"\x01\x03\x0f\x42")
    assert struct.unpack("!I", offer.yiaddr)[0] == ip_int("192.0.2.50")
    assert struct.unpack("!I", offer.siaddr)[0] == ip_int("192.0.2.9")
    assert offer.file.rstrip(b"\0") == b"pxe.efi"
    assert offer.get(12) == b"printer-7"
    assert offer.get(15) == b"lab.example"
    assert offer.get(23) == b"\x40"
    assert offer.get(66) == b"tftp.lab.example"
    # another client gets a pool address and none of the host's options
    other = discover(engine, bytes.fromhex("02aabbccddee"), prl=b"\x01\x03\x0f\x42")
    assert ip_int("192.0.2.100") <= struct.unpack("!I", other.yiaddr)[0] <= ip_int("192.0.2.150")
    assert other.get(66) is None and other.get(23) is None


def test_global_client_id_host_is_read_and_dhcpv6_only_hosts_are_not(kea_pgsql) -> None:
    add_host(kea_pgsql, b"\x01" + MAC, 3, 0, hostname="global-host")  # client-id, global (subnet id 0)
    add_host(kea_pgsql, bytes.fromhex("000300011a2b3c4d5e6f"), 1, None, subnet6=1, hostname="v6-only")
    add_host(kea_pgsql, bytes.fromhex("0003000102aabbccddee"), 1, 0xFFFFFFFF, subnet6=1, hostname="unused4")
    cfg = config(kea_pgsql, **{"reservations-global": True})
    hosts = HostManager(open_host_backends(cfg), cfg.host_reservation_identifiers)
    found = hosts.find(0, [("client-id", b"\x01" + MAC)])
    assert found is not None and found.hostname == "global-host"
    names = {r.hostname for b in hosts.backends for r in getattr(b, "_by_identifier", {}).values()}
    assert "v6-only" not in names and "unused4" not in names


def test_a_bad_row_is_refused_naming_the_host_id_and_nothing_is_loaded(kea_pgsql) -> None:
    add_host(kea_pgsql, MAC, 0, 1, address=ip_int("192.0.2.60"))
    bad = add_host(kea_pgsql, bytes.fromhex("02aabbccddee"), 0, 1, address=ip_int("10.0.0.1"))
    cfg = config(kea_pgsql)
    with pytest.raises(HostsDatabaseError) as info:
        open_host_backends(cfg)
    text = str(info.value)
    assert kea_pgsql["name"] in text and "outside the subnet" in text and f"hosts[{bad}]" in text


def test_no_schema_or_no_server_is_a_clear_error_without_the_password(kea_pgsql) -> None:
    with psycopg.connect(
        host=kea_pgsql["host"], dbname=kea_pgsql["name"], user="postgres", autocommit=True
    ) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(HostsDatabaseError) as info:
        open_host_backends(config(kea_pgsql))
    assert "schema version 99.0" in str(info.value) and "kea-admin" in str(info.value)
    gone = dict(kea_pgsql, host="127.0.0.1", port=1, password="wrong-" + PASSWORD)
    db = {k: gone[k] for k in ("type", "name", "host", "port", "user", "password")}
    cfg = load_data({"Dhcp4": {"interfaces-config": {"interfaces": ["eth0"]}, "hosts-database": db}})
    with pytest.raises(HostsDatabaseError) as info:
        open_host_backends(cfg)
    assert "cannot connect" in str(info.value) and PASSWORD not in str(info.value)
    assert PASSWORD not in repr(cfg.hosts_databases)
