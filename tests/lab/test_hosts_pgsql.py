"""A reservation in Kea 2.2's PostgreSQL hosts tables, honoured alike by kea-dhcp4 and edge-dhcp (issue 21).

One throw-away PostgreSQL server (tests/leases/pgsql.py: a unix socket only, no TCP) holds one database with
Kea's schema (the real `kea-admin db-init pgsql`); one host is inserted into `hosts` and `dhcp4_options`
with SQL, the way Kea's pgsql host data source writes it: the lab client's hw-address, an address inside the
subnet but outside the pool, a hostname, and a host-scope domain-name (scope_id 3, formatted_value) that
differs from the subnet's. One Kea-dialect configuration names that database as its `hosts-database` (host =
the socket directory: kea-dhcp4 2.2 accepts it, libpq taking a "host" that starts with "/" as a socket
directory, so nothing listens on TCP); Debian's kea-dhcp4 2.2 is started from it and a real dhclient gets
its lease; Kea is stopped, the lease file removed, and edge-dhcp is started from the SAME file and database
for a fresh dhclient (tests/lab/parity.py run_both). Both clients must see the reserved address, hostname
and domain-name.

The namespaces are named hpg<pid>n<k>-<role>, apart from every other lab run's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from edge.config.model import ip_int
from tests.lab import kea
from tests.lab.clients import ClientLease
from tests.lab.common import CLIENT_INDEX, DNS, DOMAIN, POOL, SERVER_INDEX, in_pool, make_client
from tests.lab.fixtures import require
from tests.lab.netns import Lab, cleanup_stale
from tests.lab.parity import Answer, ParityServer, ParitySite, assert_same, base_config, run_both
from tests.leases.pgsql import AVAILABLE, NOT_AVAILABLE, kea_database, pg_server

pytest.importorskip("psycopg")

from tests.dhcp4.test_hosts_pgsql import add_host  # noqa: E402

pytestmark = [pytest.mark.lab, pytest.mark.skipif(not AVAILABLE, reason=NOT_AVAILABLE)]

HPG_PREFIX = "hpg"
RESERVED = "192.0.2.42"  # in 192.0.2.0/24, outside the pool
HOSTNAME = "hpg-printer"
RESERVED_DOMAIN = "hosts.lab.example"  # the host's domain-name; the subnet says DOMAIN
HW_ADDRESS = 0  # hosts.dhcp_identifier_type
DOMAIN_NAME = 15


@pytest.fixture
def hpg_lab(lab: Lab) -> Iterator[Lab]:
    """A lab of its own name (the `lab` fixture around it keeps the skip rules and the resolv.conf check)."""
    cleanup_stale(HPG_PREFIX)  # what a crashed earlier run of this test left (its pid is gone)
    with Lab(prefix=HPG_PREFIX) as made:
        yield made


def _facts(lease: ClientLease) -> dict[int, str]:
    keys = ("address", "prefix_len", "routers", "dns_servers", "domain_name", "hostname", "lease_time")
    return {i: str(getattr(lease, k)) for i, k in enumerate(keys)}


def test_a_host_in_keas_pgsql_tables_gets_the_same_lease_from_kea_and_edge(hpg_lab: Lab) -> None:
    if not kea.available():
        pytest.skip("kea-dhcp4 (Debian package kea-dhcp4-server) is not installed")
    require("dhclient")
    lab = hpg_lab
    site = lab.build(server_index=SERVER_INDEX, client_index=CLIENT_INDEX)
    ps = ParitySite(lab, site, lab.tmp)
    client_ns, client_if = site.client.ns, site.client.ifname
    with pg_server() as sock:
        database = kea_database(sock)
        add_host(
            database,
            site.client.mac_bytes,
            HW_ADDRESS,
            1,
            address=ip_int(RESERVED),
            hostname=HOSTNAME,
            options=[(DOMAIN_NAME, None, RESERVED_DOMAIN, "dhcp4", False)],
        )
        config = base_config(
            ps,
            **{
                "hosts-database": {k: database[k] for k in ("type", "name", "host", "user", "password")},
                "subnet4": [
                    kea.subnet(
                        1,
                        "192.0.2.0/24",
                        f"{POOL[0]} - {POOL[1]}",
                        routers="192.0.2.1",
                        dns=DNS,
                        domain=DOMAIN,
                    )
                ],
            },
        )
        seen: dict[str, ClientLease] = {}

        def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
            client = make_client("dhclient", lab, site, timeout=60.0)  # a fresh dhclient: no lease of its own
            try:
                seen[server.kind] = client.obtain()
            finally:
                client.stop()
                lab.ip(client_ns, "addr", "flush", "dev", client_if)
            return [Answer("dhclient lease", "", options=_facts(seen[server.kind]))]

        assert_same(run_both(ps, config, play))
    for kind, lease in seen.items():
        assert lease.address == ipaddress.IPv4Address(RESERVED), (kind, lease)
        assert not in_pool(lease.address, POOL)
        assert lease.hostname == HOSTNAME, (kind, lease)
        assert lease.domain_name == RESERVED_DOMAIN, (kind, lease)
        assert lease.dns_servers == (ipaddress.IPv4Address(DNS),), (kind, lease)
    assert sorted(seen) == ["edge", "kea"]
