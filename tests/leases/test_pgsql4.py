"""The PostgreSQL DHCPv4 lease store against a real PostgreSQL server this module starts (initdb into a
temporary directory, a unix socket only, no TCP) with Kea 2.2's schema made by `kea-admin db-init pgsql`."""

from __future__ import annotations

import pytest

psycopg = pytest.importorskip("psycopg")

from edge.config.model import ip_int  # noqa: E402
from edge.dhcp4.engine import Engine  # noqa: E402
from edge.dhcp4.lease import Lease4  # noqa: E402
from edge.dhcp4.lease_pgsql import PgSqlLeaseStore4, lease_from_row  # noqa: E402
from edge.leases.errors import LeaseStoreError  # noqa: E402
from edge.wire import pkt4 as wire  # noqa: E402
from tests.dhcp4.helpers import client_packet, local_inbound, mac, make_config, u32  # noqa: E402
from tests.leases.pgsql import AVAILABLE, NOT_AVAILABLE, PASSWORD  # noqa: E402

NOW = 1_800_000_000.0

pytestmark = pytest.mark.skipif(not AVAILABLE, reason=NOT_AVAILABLE)


def _rows(params):
    with psycopg.connect(host=params["host"], dbname=params["name"], user="postgres") as conn:
        return conn.execute(
            "SELECT address, hwaddr, client_id, valid_lifetime, extract(epoch from expire)::bigint, subnet_id, "
            "fqdn_fwd, fqdn_rev, hostname, state, user_context FROM lease4 ORDER BY address"
        ).fetchall()


def _lease(**kw):
    fields = dict(
        address=ip_int("192.0.2.10"),
        hwaddr=mac(1),
        client_id=b"\x01" + mac(1),
        valid_lifetime=3600,
        cltt=int(NOW),
        subnet_id=1,
        hostname="pi.example.org",
        fqdn_fwd=True,
        user_context={"a": 1},
    )
    fields.update(kw)
    return Lease4(**fields)


def test_put_get_update_delete_round_trip_through_the_database(kea_pgsql):
    store = PgSqlLeaseStore4(kea_pgsql)
    try:
        store.put(_lease())
        store.flush()
        assert store.durable_seq == store.last_seq == 1
        [row] = _rows(kea_pgsql)
        assert lease_from_row(row).to_doc() == _lease().to_doc()
        store.put(_lease(valid_lifetime=7200, hostname="renamed"))
        store.put(_lease(address=ip_int("192.0.2.11"), hwaddr=mac(2), client_id=None, user_context=None))
        store.flush()
        assert [r[3] for r in _rows(kea_pgsql)] == [7200, 3600]
        assert store.delete(ip_int("192.0.2.11")) is True
        store.flush()
    finally:
        store.close()
    # a second store loads what the first one committed
    again = PgSqlLeaseStore4(kea_pgsql)
    try:
        assert len(again) == 1
        got = again.get(ip_int("192.0.2.10"))
        assert got is not None and got.hostname == "renamed" and got.valid_lifetime == 7200
        assert got.cltt == int(NOW) and got.user_context == {"a": 1}
        assert again.find_by_client_id(b"\x01" + mac(1))[0].address == ip_int("192.0.2.10")
    finally:
        again.close()


def test_row_is_written_in_keas_encoding(kea_pgsql):
    store = PgSqlLeaseStore4(kea_pgsql)
    try:
        store.put(_lease(client_id=None, user_context=None, fqdn_rev=True))
        store.put(_lease(address=ip_int("192.0.2.12"), valid_lifetime=0xFFFFFFFF))
        store.flush()
    finally:
        store.close()
    first, infinite = _rows(kea_pgsql)
    # address as integer, empty bytea (not NULL) for no client-id, "" for no user context, expire = cltt + valid
    assert first == (
        ip_int("192.0.2.10"),
        mac(1),
        b"",
        3600,
        int(NOW) + 3600,
        1,
        True,
        True,
        "pi.example.org",
        0,
        "",
    )
    assert infinite[4] == int(NOW)  # Kea: expire = cltt for an infinite lifetime
    assert infinite[10] == '{"a":1}'


def test_unknown_schema_version_is_refused_without_the_password(kea_pgsql):
    with psycopg.connect(
        host=kea_pgsql["host"], dbname=kea_pgsql["name"], user="postgres", autocommit=True
    ) as c:
        c.execute("UPDATE schema_version SET version = 14, minor = 2")
    with pytest.raises(LeaseStoreError) as info:
        PgSqlLeaseStore4(kea_pgsql)
    assert "14.2" in str(info.value) and "13.0" in str(info.value)
    assert PASSWORD not in str(info.value)


def test_wrong_password_error_carries_no_password(kea_pgsql):
    with pytest.raises(LeaseStoreError) as info:
        PgSqlLeaseStore4(dict(kea_pgsql, host="127.0.0.1", port=1, password="wrong-" + PASSWORD))
    assert "cannot connect" in str(info.value) and PASSWORD not in str(info.value)


def test_engine_dora_with_the_postgresql_store(kea_pgsql):
    store = PgSqlLeaseStore4(kea_pgsql)
    try:
        engine = Engine(make_config(), store)
        out = engine.handle(wire.encode(client_packet(wire.DHCPDISCOVER, mac(7))), local_inbound(), NOW)
        offer = wire.decode(out.payload)
        request = client_packet(
            wire.DHCPREQUEST,
            mac(7),
            options={wire.OPT_SERVER_ID: offer.get(wire.OPT_SERVER_ID), wire.OPT_REQUESTED_IP: offer.yiaddr},
        )
        ack = wire.decode(engine.handle(wire.encode(request), local_inbound(), NOW).payload)
        assert ack.message_type == wire.DHCPACK
        store.flush()
        assert store.durable_seq == store.last_seq >= 1
        # the server loop learns of the commit through wakeup_fd/poll, as it does of the memfile's fsync
        assert store.wakeup_fd() is not None
        events = store.poll()
        assert events and events[-1] == (store.last_seq, True)
        assert store.poll() == []
    finally:
        store.close()
    [row] = _rows(kea_pgsql)
    assert row[0] == u32(ack.yiaddr) and row[1] == mac(7) and row[4] == int(NOW) + 3600 and row[5] == 1
