"""DHCPv6 reservations from Kea 2.2's PostgreSQL hosts tables (hosts, ipv6_reservations, dhcp6_options):
rows written the way Kea writes them (the schema made by the real `kea-admin db-init pgsql`, in a
throw-away PostgreSQL server), read when the configuration is applied and served by the engine."""

from __future__ import annotations

import ipaddress
import json

import pytest

psycopg = pytest.importorskip("psycopg")

from edge.dhcp6.config import load_text, open_host_backends  # noqa: E402
from edge.dhcp6.engine import Engine6  # noqa: E402
from edge.dhcp6.exchange import Inbound6  # noqa: E402
from edge.dhcp6.lease_store import MemoryLeaseStore6  # noqa: E402
from edge.policy.hosts import HostsDatabaseError  # noqa: E402
from tests.lab import dhcp6msg as m  # noqa: E402
from tests.leases.pgsql import AVAILABLE, NOT_AVAILABLE  # noqa: E402

pytestmark = pytest.mark.skipif(not AVAILABLE, reason=NOT_AVAILABLE)

SID = bytes.fromhex("000100012c3a1b2a020000000abc")
LL = ipaddress.IPv6Address("fe80::1").packed
MCAST = ipaddress.IPv6Address("ff02::1:2").packed
DUID = m.duid_ll(bytes.fromhex("1a2b3c4d5e6f"))


def add_host6(params, ident, ident_type, subnet6, reservations=(), hostname=None, options=(), subnet4=None):
    """A host with its ipv6_reservations (address, prefix_len, type) and host-scope dhcp6_options rows, as
    Kea's pgsql host data source writes them."""
    with psycopg.connect(host=params["host"], dbname=params["name"], user="postgres") as conn:
        host_id = conn.execute(
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, dhcp6_subnet_id, "
            "hostname) VALUES (%s, %s, %s, %s, %s) RETURNING host_id",
            (ident, ident_type, subnet4, subnet6, hostname),
        ).fetchone()[0]
        for address, prefix_len, kind in reservations:
            conn.execute(
                "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) VALUES (%s, %s, %s, %s)",
                (address, prefix_len, kind, host_id),
            )
        for code, value, formatted, space, persistent in options:
            conn.execute(
                "INSERT INTO dhcp6_options (code, value, formatted_value, space, persistent, host_id, scope_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, 3)",
                (code, value, formatted, space, persistent, host_id),
            )
    return host_id


def config(kea_pgsql):
    db = {k: kea_pgsql[k] for k in ("type", "name", "host", "user", "password")}
    doc = {
        "interfaces-config": {"interfaces": []},
        "hosts-database": db,
        "subnet6": [
            {
                "id": 1,
                "subnet": "2001:db8:1::/64",
                "interface": "eth0",
                "pools": [{"pool": "2001:db8:1::100-2001:db8:1::1ff"}],
                "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64}],
            }
        ],
    }
    return load_text(json.dumps({"Dhcp6": doc}))


def solicit(engine, duid, *options):
    msg = m.Message(m.SOLICIT, 0x77, [(m.CLIENT_ID, duid), *options])
    out = engine.handle(msg.encode(), Inbound6("eth0", 70000, LL, 546, MCAST), 1_700_000_000.0)
    assert out is not None
    return m.decode(out.payload)


def test_a_host_with_an_address_a_prefix_and_options_is_served(kea_pgsql) -> None:
    add_host6(
        kea_pgsql,
        DUID,
        1,  # duid
        1,
        reservations=[("2001:db8:1::42", 128, 0), ("2001:db8:8:ff00::", 56, 2)],
        hostname="router-2",
        options=[(23, None, "2001:db8::53", None, False)],  # dns-servers, csv text, space NULL = dhcp6
    )
    add_host6(kea_pgsql, bytes.fromhex("1a2b3c4d5e70"), 0, None, subnet4=1)  # a DHCPv4-only host
    cfg = config(kea_pgsql)
    backends = open_host_backends(cfg)
    assert sum(len(b) for b in backends) == 1
    engine = Engine6(cfg, MemoryLeaseStore6(), server_id=SID, hosts=backends)
    adv = solicit(engine, DUID, (m.IA_NA, m.ia_na(1)), (m.IA_PD, m.ia_pd(2)), (m.ORO, m.oro(23)))
    assert [str(a[0]) for a in m.ias(adv)[0].addresses] == ["2001:db8:1::42"]
    assert [str(p[0]) for p in m.ias(adv, m.IA_PD)[0].prefixes] == ["2001:db8:8:ff00::/56"]
    assert adv.get(23) == ipaddress.IPv6Address("2001:db8::53").packed
    other = solicit(engine, m.duid_ll(bytes.fromhex("02aabbccddee")), (m.IA_NA, m.ia_na(1)))
    assert str(m.ias(other)[0].addresses[0][0]) != "2001:db8:1::42"
    assert other.get(23) is None


def test_a_reserved_address_outside_the_subnet_is_refused_naming_the_host(kea_pgsql) -> None:
    bad = add_host6(kea_pgsql, DUID, 1, 1, reservations=[("2001:db8:99::1", 128, 0)])
    with pytest.raises(HostsDatabaseError) as info:
        open_host_backends(config(kea_pgsql))
    assert f"hosts[{bad}]" in str(info.value) and kea_pgsql["name"] in str(info.value)
