"""The lease6-* commands through the command registry, with Kea 2.2's argument rules, texts and shapes.

The expected texts are Kea 2.2.0's (src/hooks/dhcp/lease_cmds/lease_cmds.cc and lease_parser.cc at tag
Kea-2.2.0, Lease6::toElement in src/lib/dhcpsrv/lease.cc) and what a running kea-dhcp6 2.2.0 answered
(tests/lab/kea6-observed.md: lease6-get fields, IA_NA entries without prefix-len). The commands run the way
the service runs them: Registry.dispatch with a server object offering what commands.ServerApi names and
the lease6 rows use (config, store, clock, ddns), its statistics following the store's change feed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from edge.control.commands import SHARED_COMMANDS
from edge.control.protocol import Request
from edge.control.registry import Registry
from edge.ddns.names6 import NameHandler6
from edge.ddns.ncr import CHG_REMOVE, NameChangeRequest
from edge.ddns.outcome import RETRY, Outcome
from edge.ddns.service import DdnsService, attach
from edge.dhcp6.config import load_data
from edge.dhcp6.lease import STATE_DECLINED, TYPE_NA, TYPE_PD, Lease6, parse_address
from edge.dhcp6.lease_cmds import LEASE6_COMMANDS
from edge.dhcp6.lease_stats import attach_statistics6, recount_statistics6
from edge.dhcp6.lease_store import MemoryLeaseStore6
from edge.dhcp6.model import Config6
from edge.leases.errors import LeaseStoreError
from edge.stats import Statistics

NOW = 1_800_000_000
DUID_A = "00:03:00:01:02:00:00:00:00:01"
DUID_B = "00:03:00:01:02:00:00:00:00:02"
MAC = "02:00:00:00:00:01"
SUBNET_1 = {
    "id": 1,
    "subnet": "2001:db8:1::/64",
    "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
    "pd-pools": [{"prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56}],
    "valid-lifetime": 4000,
    "preferred-lifetime": 3000,
}
SUBNET_2 = {"id": 2, "subnet": "2001:db8:2::/64", "pools": [{"pool": "2001:db8:2::100 - 2001:db8:2::1ff"}]}
COMMANDS = Registry(LEASE6_COMMANDS)


def config(**dhcp6: Any) -> Config6:
    body: dict[str, Any] = {"subnet6": [dict(SUBNET_1), dict(SUBNET_2)]}
    body.update(dhcp6)
    return load_data({"Dhcp6": body})


class Server:
    """What the lease6-* handlers ask of the DHCPv6 service (commands.ServerApi)."""

    def __init__(self, cfg: Config6 | None = None) -> None:
        self.config = cfg or config()
        self.store = MemoryLeaseStore6()
        self.stats = Statistics()
        attach_statistics6(self.store, self.stats)
        recount_statistics6(self.config, self.store, self.stats)
        self.ddns: Any = None
        self.now = float(NOW)

    def clock(self) -> float:
        return self.now

    def call(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        return COMMANDS.dispatch(Request(command, arguments, None), self).answer

    def gauge(self, name: str) -> int:
        return int(self.stats.get(name))

    def consistent(self) -> None:
        """The gauges agree with the store: a recount finds nothing to correct."""
        assert recount_statistics6(self.config, self.store, self.stats) == {}


@pytest.fixture
def server() -> Server:
    return Server()


def add(server: Server, address: str, duid: str = DUID_A, iaid: int = 1, **extra: Any) -> None:
    got = server.call("lease6-add", {"ip-address": address, "duid": duid, "iaid": iaid, **extra})
    assert got["result"] == 0, got


def addresses(got: dict[str, Any]) -> list[str]:
    return [lease["ip-address"] for lease in got["arguments"]["leases"]]


# ----------------------------------------------------------------------------------------- the table


def test_the_table_is_kea_2_2_lease_cmds_v6_list_and_joins_the_shared_commands() -> None:
    names = sorted(command.name for command in LEASE6_COMMANDS)
    # Kea 2.2's list (kea6-observed.md) without lease6-resend-ddns, which is not built yet.
    assert names == [
        "lease6-add",
        "lease6-bulk-apply",
        "lease6-del",
        "lease6-get",
        "lease6-get-all",
        "lease6-get-by-duid",
        "lease6-get-by-hostname",
        "lease6-get-page",
        "lease6-update",
        "lease6-wipe",
    ]
    both = Registry((*SHARED_COMMANDS, *LEASE6_COMMANDS))  # what the DHCPv6 service builds: no clash
    assert set(names) <= set(both.names())


# ----------------------------------------------------------------------------------------- add, get, update, del


def test_lease6_add_get_update_del_as_kea(server: Server) -> None:
    args = {"ip-address": "2001:db8:1::100", "duid": DUID_A, "iaid": 5, "hostname": "h1.example.org"}
    assert server.call("lease6-add", args) == {
        "result": 0,
        "text": "Lease for address 2001:db8:1::100, subnet-id 1 added.",
    }
    assert server.call("lease6-add", args) == {"result": 1, "text": "IPv6 lease already exists."}
    assert server.gauge("subnet[1].assigned-nas") == 1

    got = server.call("lease6-get", {"ip-address": "2001:db8:1::100"})
    assert got["result"] == 0 and got["text"] == "IPv6 lease found."
    lease = got["arguments"]
    # The fields a kea-dhcp6 2.2.0 answered for an IA_NA lease with a hardware address, less hw-address:
    # Kea writes it only when the lease has one. No prefix-len for IA_NA.
    assert lease == {
        "ip-address": "2001:db8:1::100",
        "type": "IA_NA",
        "iaid": 5,
        "duid": DUID_A,
        "subnet-id": 1,
        "cltt": NOW,
        "preferred-lft": 4000,  # Kea 2.2 defaults preferred-lft to the subnet's valid lifetime
        "valid-lft": 4000,
        "fqdn-fwd": False,
        "fqdn-rev": False,
        "hostname": "h1.example.org",
        "state": 0,
    }

    by_duid = {"subnet-id": 1, "identifier-type": "duid", "identifier": DUID_A, "iaid": 5}
    assert server.call("lease6-get", by_duid)["arguments"]["ip-address"] == "2001:db8:1::100"
    assert server.call("lease6-get", {**by_duid, "iaid": 6}) == {"result": 3, "text": "Lease not found."}
    assert server.call("lease6-get", {**by_duid, "subnet-id": 2}) == {"result": 3, "text": "Lease not found."}
    assert server.call("lease6-get", {**by_duid, "type": "IA_PD"})["result"] == 3
    assert server.call("lease6-get", {"ip-address": "2001:db8:1::ffff"}) == {
        "result": 3,
        "text": "Lease not found.",
    }

    update = {"ip-address": "2001:db8:1::100", "duid": DUID_B, "iaid": 7, "hw-address": MAC, "valid-lft": 60}
    assert server.call("lease6-update", update) == {"result": 0, "text": "IPv6 lease updated."}
    stored = server.store.get(parse_address("2001:db8:1::100"))
    assert stored is not None
    assert (stored.duid.hex(":"), stored.iaid, stored.valid_lifetime, stored.hostname) == (DUID_B, 7, 60, "")
    assert server.call("lease6-get", {"ip-address": "2001:db8:1::100"})["arguments"]["hw-address"] == MAC

    missing = {"ip-address": "2001:db8:1::101", "duid": DUID_A, "iaid": 1}
    got = server.call("lease6-update", missing)
    assert got["result"] == 1 and "no such lease" in got["text"] and '"force-create": true' in got["text"]
    assert server.store.get(parse_address("2001:db8:1::101")) is None
    assert server.call("lease6-update", {**missing, "force-create": True}) == {
        "result": 0,
        "text": "IPv6 lease added.",
    }
    assert server.gauge("subnet[1].assigned-nas") == 2

    assert server.call("lease6-del", {"ip-address": "2001:db8:1::101"}) == {
        "result": 0,
        "text": "IPv6 lease deleted.",
    }
    assert server.call("lease6-del", {"ip-address": "2001:db8:1::101"}) == {
        "result": 3,
        "text": "IPv6 lease not found.",
    }
    by_duid_b = {"subnet-id": 1, "identifier-type": "duid", "identifier": DUID_B, "iaid": 7}
    assert server.call("lease6-del", by_duid_b) == {"result": 0, "text": "IPv6 lease deleted."}
    assert len(server.store) == 0
    assert server.gauge("subnet[1].assigned-nas") == 0
    server.consistent()


def test_lease6_prefix_needs_its_type_everywhere(server: Server) -> None:
    args = {"ip-address": "2001:db8:8000:100::", "type": "IA_PD", "prefix-len": 56, "duid": DUID_A, "iaid": 9}
    assert server.call("lease6-add", {**args, "subnet-id": 1}) == {
        "result": 0,
        "text": "Lease for prefix 2001:db8:8000:100::/56, subnet-id 1 added.",
    }
    assert server.gauge("subnet[1].assigned-pds") == 1 and server.gauge("subnet[1].assigned-nas") == 0
    # type defaults to IA_NA, as in Kea: the prefix is not an address lease
    assert server.call("lease6-get", {"ip-address": "2001:db8:8000:100::"})["result"] == 3
    got = server.call("lease6-get", {"ip-address": "2001:db8:8000:100::", "type": "IA_PD"})
    assert got["result"] == 0
    assert (got["arguments"]["type"], got["arguments"]["prefix-len"]) == ("IA_PD", 56)
    assert server.call("lease6-get", {"ip-address": "2001:db8:8000:100::", "type": "2"})["result"] == 0
    by_duid = {"subnet-id": 1, "identifier-type": "duid", "identifier": DUID_A, "iaid": 9, "type": "IA_PD"}
    assert server.call("lease6-get", by_duid)["arguments"]["prefix-len"] == 56
    assert server.call("lease6-del", {"ip-address": "2001:db8:8000:100::"}) == {
        "result": 3,
        "text": "IPv6 lease not found.",
    }
    # an update must keep the type: an IA_NA lease cannot take over a prefix's key (Kea checks no prefix
    # against its subnet, so a prefix may lie inside the subnet's own /64)
    inside = {"ip-address": "2001:db8:1:0:8000::", "duid": DUID_A, "iaid": 1, "subnet-id": 1}
    assert server.call("lease6-add", {**inside, "type": "IA_PD", "prefix-len": 80})["result"] == 0
    got = server.call("lease6-update", {**inside, "force-create": True})
    assert got["result"] == 1 and "held by an IA_PD lease" in got["text"], got
    assert server.call("lease6-get", {"ip-address": "2001:db8:1:0:8000::", "type": "IA_PD"})["result"] == 0
    assert server.call("lease6-del", {"ip-address": "2001:db8:1:0:8000::", "type": "IA_PD"})["result"] == 0
    assert server.call("lease6-del", {"ip-address": "2001:db8:8000:100::", "type": "IA_PD"})["result"] == 0
    assert server.gauge("subnet[1].assigned-pds") == 0
    server.consistent()


def test_lease6_add_with_every_field(server: Server) -> None:
    args = {
        "ip-address": "2001:db8:1::105",
        "duid": "0003000102000000000a",  # plain hex is accepted and answered as colon hex
        "iaid": 4294967295,
        "subnet-id": 1,
        "hw-address": "02-00-00-00-00-0a",
        "preferred-lft": 50,
        "valid-lft": 100,
        "expire": 2_000_000_000,
        "fqdn-fwd": True,
        "fqdn-rev": True,
        "hostname": "x.example.org",
        "state": STATE_DECLINED,
        "user-context": {"a": 1},
        "comment": "by hand",
    }
    assert server.call("lease6-add", args)["result"] == 0
    lease = server.call("lease6-get", {"ip-address": "2001:db8:1::105"})["arguments"]
    assert lease["cltt"] == 2_000_000_000 - 100
    assert (lease["preferred-lft"], lease["valid-lft"], lease["state"]) == (50, 100, 1)
    assert (lease["duid"], lease["iaid"]) == ("00:03:00:01:02:00:00:00:00:0a", 4294967295)
    assert lease["hw-address"] == "02:00:00:00:00:0a" and lease["fqdn-fwd"] is lease["fqdn-rev"] is True
    assert lease["user-context"] == {"a": 1, "comment": "by hand"}
    assert server.gauge("subnet[1].declined-addresses") == 1
    server.consistent()


def test_lease6_add_finds_the_subnet_of_an_address(server: Server) -> None:
    assert server.call("lease6-add", {"ip-address": "2001:db8:2::5", "duid": DUID_A, "iaid": 1}) == {
        "result": 0,
        "text": "Lease for address 2001:db8:2::5, subnet-id 2 added.",
    }
    lease = server.store.get(parse_address("2001:db8:2::5"))
    assert lease is not None and lease.subnet_id == 2 and lease.lease_type == TYPE_NA
    assert (lease.preferred_lifetime, lease.valid_lifetime) == (7200, 7200)  # subnet 2: the defaults


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"duid": DUID_A, "iaid": 1}, "missing mandatory 'ip-address' argument"),
        ({"ip-address": "2001:db8:1::1", "iaid": 1}, "missing mandatory 'duid' argument"),
        ({"ip-address": "2001:db8:1::1", "duid": DUID_A}, "missing mandatory 'iaid' argument"),
        ({"ip-address": "192.0.2.1", "duid": DUID_A, "iaid": 1}, "'ip-address' \"192.0.2.1\" is not an IPv6"),
        ({"ip-address": 7, "duid": DUID_A, "iaid": 1}, "'ip-address' must be a string, not number 7"),
        (
            {"ip-address": "2001:db8:1::1", "duid": "zz", "iaid": 1},
            "'duid' \"zz\" is not a list of hex octets",
        ),
        ({"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": -1}, "'iaid' must be from 0 to 4294967295"),
        (
            {"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": 1, "type": "IA_XX"},
            "Incorrect lease type: IA_XX, the only supported values are: IA_NA, IA_TA and IA_PD",
        ),
        (
            {"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": 1, "type": 2},
            "'type' must be a string, not number 2",
        ),
        (
            {"ip-address": "2001:db8:8000::", "duid": DUID_A, "iaid": 1, "type": "IA_PD", "subnet-id": 1},
            "missing mandatory 'prefix-len' argument",
        ),
        (
            {"ip-address": "2001:db8:8000::", "duid": DUID_A, "iaid": 1, "type": "IA_PD", "prefix-len": 56},
            "Subnet-id is 0 or not specified. This is allowed for address leases only, not prefix leases.",
        ),
        (
            {"ip-address": "2001:db8:9::1", "duid": DUID_A, "iaid": 1},
            "subnet-id not specified and failed to find a subnet for address 2001:db8:9::1",
        ),
        (
            {"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": 1, "subnet-id": 7},
            "Invalid subnet-id: No IPv6 subnet with subnet-id=7 currently configured.",
        ),
        (
            {"ip-address": "2001:db8:2::1", "duid": DUID_A, "iaid": 1, "subnet-id": 1},
            "The address 2001:db8:2::1 does not belong to subnet 2001:db8:1::/64, subnet-id=1",
        ),
        (
            {"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": 1, "state": 3},
            "Invalid state value: 3, supported values are: 0 (default), 1 (declined) and 2 (expired-reclaimed)",
        ),
        (
            {
                "ip-address": "2001:db8:8000::",
                "duid": DUID_A,
                "iaid": 1,
                "type": "IA_PD",
                "prefix-len": 56,
                "subnet-id": 1,
                "state": 1,
            },
            "Invalid declined state for PD prefix.",
        ),
        (
            {"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": 1, "fqdn-rev": True},
            "No hostname specified and either forward or reverse fqdn was set to true.",
        ),
        (
            {"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": 1, "valid-lft": 100, "expire": 50},
            "expiration time must be greater than valid lifetime for address 2001:db8:1::1",
        ),
        (
            {"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": 1, "expire": -5},
            "expiration time must be positive for address 2001:db8:1::1",
        ),
        (
            {"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": 1, "user-context": [1]},
            "'user-context' must be a JSON object",
        ),
        (
            {
                "ip-address": "2001:db8:1::1",
                "duid": DUID_A,
                "iaid": 1,
                "user-context": {"comment": "a"},
                "comment": "b",
            },
            "Duplicated comment entry '\"b\"' in user context",
        ),
        (
            {"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": 1, "client-id": "01:02"},
            "unknown argument 'client-id' for lease6-add",
        ),
    ],
)
def test_lease6_add_refuses_bad_arguments(server: Server, args: dict[str, Any], message: str) -> None:
    got = server.call("lease6-add", args)
    assert got["result"] == 1 and message in got["text"], got
    assert len(server.store) == 0


def test_a_lease_the_store_cannot_hold_is_refused(server: Server) -> None:
    got = server.call("lease6-add", {"ip-address": "2001:db8:1::1", "duid": "00", "iaid": 1})
    assert got["result"] == 1 and got["text"].startswith("the lease cannot be stored: "), got
    assert len(server.store) == 0


def test_a_store_that_cannot_record_is_an_error_and_nothing_changes(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(lease: Lease6) -> None:
        raise LeaseStoreError("disk full")

    monkeypatch.setattr(server.store, "put", full)
    got = server.call("lease6-add", {"ip-address": "2001:db8:1::1", "duid": DUID_A, "iaid": 1})
    assert got == {"result": 1, "text": "the lease could not be recorded: disk full"}


# ----------------------------------------------------------------------------------------- lookup keys


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "give 'ip-address' (and 'type'), or 'subnet-id', 'identifier-type' \"duid\", 'identifier'"),
        (
            {"identifier-type": "duid", "identifier": DUID_A, "iaid": 1},
            "Mandatory 'subnet-id' parameter missing.",
        ),
        (
            {"subnet-id": 1, "identifier": DUID_A, "iaid": 1},
            "No 'ip-address' provided and 'identifier-type' is either missing or not a string.",
        ),
        (
            {"subnet-id": 1, "identifier-type": "duid", "iaid": 1},
            "No 'ip-address' provided and 'identifier' is either missing or not a string.",
        ),
        (
            {"subnet-id": 1, "identifier-type": "duid", "identifier": DUID_A},
            "Mandatory 'iaid' parameter missing.",
        ),
        (
            {"subnet-id": 1, "identifier-type": "hw-address", "identifier": MAC, "iaid": 1},
            "Query by hw-address is not allowed in v6.",
        ),
        (
            {"subnet-id": 1, "identifier-type": "client-id", "identifier": "01:02", "iaid": 1},
            "Query by client-id is not allowed in v6.",
        ),
        (
            {"subnet-id": 1, "identifier-type": "flex-id", "identifier": "01:02", "iaid": 1},
            "Incorrect identifier type: flex-id, the only supported values are: address, hw-address, duid",
        ),
        (
            {"subnet-id": 1, "identifier-type": "duid", "identifier": "xyz", "iaid": 1},
            "'identifier' \"xyz\" has an odd number of hex digits",
        ),
        (
            {"ip-address": "2001:db8:1::1", "type": "IA_XX"},
            "Invalid lease type specified: IA_XX, only supported values are: IA_NA, IA_TA, IA_PD and V4",
        ),
        (
            {"ip-address": "2001:db8:1::1", "identifier-type": "duid", "identifier": DUID_A},
            "give either 'ip-address' or 'identifier-type' and 'identifier', not both",
        ),
        ({"ip-address": "2001:db8:1::zz"}, "'ip-address' \"2001:db8:1::zz\" is not an IPv6 address"),
        ({"ip_address": "2001:db8:1::1"}, "unknown argument 'ip_address' for lease6-get"),
    ],
)
def test_lease6_get_refuses_bad_keys(server: Server, args: dict[str, Any], message: str) -> None:
    got = server.call("lease6-get", args)
    assert got["result"] == 1 and message in got["text"], got


def test_lease6_del_by_hw_address_names_the_delete(server: Server) -> None:
    got = server.call(
        "lease6-del", {"subnet-id": 1, "identifier-type": "hw-address", "identifier": MAC, "iaid": 1}
    )
    assert got == {"result": 1, "text": "Delete by hw-address is not allowed in v6."}


def test_two_leases_under_one_duid_key_is_an_error_naming_the_key(server: Server) -> None:
    add(server, "2001:db8:1::100", iaid=3)
    add(server, "2001:db8:1::101", iaid=3)
    key = {"subnet-id": 1, "identifier-type": "duid", "identifier": DUID_A, "iaid": 3}
    message = f"More than one lease found for type 0, duid {DUID_A}, iaid 3 and subnet-id 1"
    assert server.call("lease6-get", key) == {"result": 1, "text": message}
    assert server.call("lease6-del", key) == {"result": 1, "text": message}
    assert len(server.store) == 2  # nothing deleted
    assert server.call("lease6-del", {"ip-address": "2001:db8:1::101"})["result"] == 0
    assert server.call("lease6-del", key) == {"result": 0, "text": "IPv6 lease deleted."}
    assert len(server.store) == 0


# ----------------------------------------------------------------------------------------- lists


def test_lease6_lists_pages_and_lookups(server: Server) -> None:
    add(server, "2001:db8:1::150")
    add(server, "2001:db8:1::101", DUID_B, 2, hostname="H1.example.org")
    add(server, "2001:db8:2::120", DUID_B, 3)
    add(server, "2001:db8:8000:200::", DUID_A, 4, type="IA_PD", **{"prefix-len": 56, "subnet-id": 1})

    every = server.call("lease6-get-all")
    assert every["result"] == 0 and every["text"] == "4 IPv6 lease(s) found."
    assert addresses(every) == [
        "2001:db8:1::101",
        "2001:db8:1::150",
        "2001:db8:2::120",
        "2001:db8:8000:200::",
    ]
    kinds = {lease["type"]: lease for lease in every["arguments"]["leases"]}
    assert "prefix-len" not in kinds["IA_NA"] and kinds["IA_PD"]["prefix-len"] == 56  # as Kea 2.2 answers
    assert addresses(server.call("lease6-get-all", {"subnets": [2]})) == ["2001:db8:2::120"]
    assert server.call("lease6-get-all", {"subnets": [5]}) == {
        "result": 3,
        "text": "0 IPv6 lease(s) found.",
        "arguments": {"leases": []},
    }
    assert server.call("lease6-get-all", {"subnets": 5})["result"] == 1

    pages: list[str] = []
    cursor = "start"
    while True:
        page = server.call("lease6-get-page", {"from": cursor, "limit": 3})
        got = addresses(page)
        assert page["arguments"]["count"] == len(got)
        assert page["text"] == f"{len(got)} IPv6 lease(s) found."
        pages.extend(got)
        if len(got) < 3:
            assert page["result"] == (0 if got else 3)
            break
        cursor = got[-1]
    assert pages == addresses(every)
    assert addresses(server.call("lease6-get-page", {"from": "2001:db8:1::150", "limit": 1})) == [
        "2001:db8:2::120"
    ]
    assert server.call("lease6-get-page", {"from": "::", "limit": 10})["arguments"]["count"] == 4
    assert server.call("lease6-get-page", {"from": "start", "limit": 0}) == {
        "result": 1,
        "text": "page size of retrieved leases must not be 0",
    }
    assert server.call("lease6-get-page", {"from": "bad", "limit": 3}) == {
        "result": 1,
        "text": "'from' parameter value is neither 'start' keyword nor a valid IPv6 address",
    }
    assert server.call("lease6-get-page", {"from": "192.0.2.1", "limit": 3}) == {
        "result": 1,
        "text": "'from' parameter value 192.0.2.1 is not an IPv6 address",
    }
    assert server.call("lease6-get-page", {"limit": 3}) == {
        "result": 1,
        "text": "missing mandatory 'from' argument",
    }

    by_duid = server.call("lease6-get-by-duid", {"duid": DUID_B})
    assert by_duid["text"] == "2 IPv6 lease(s) found."
    assert addresses(by_duid) == ["2001:db8:1::101", "2001:db8:2::120"]
    assert addresses(server.call("lease6-get-by-duid", {"duid": DUID_A})) == [
        "2001:db8:1::150",
        "2001:db8:8000:200::",
    ]
    assert server.call("lease6-get-by-duid", {"duid": "00:01:02"}) == {
        "result": 3,
        "text": "0 IPv6 lease(s) found.",
        "arguments": {"leases": []},
    }
    assert server.call("lease6-get-by-duid", {"duid": 5})["result"] == 1
    by_name = server.call("lease6-get-by-hostname", {"hostname": "h1.EXAMPLE.org"})  # case-insensitive
    assert addresses(by_name) == ["2001:db8:1::101"]
    assert server.call("lease6-get-by-hostname", {"hostname": "nobody"})["result"] == 3
    assert server.call("lease6-get-by-hostname", {"hostname": ""}) == {
        "result": 1,
        "text": "'hostname' parameter is empty",
    }


def test_lease6_wipe(server: Server) -> None:
    add(server, "2001:db8:1::100")
    add(server, "2001:db8:1::101", iaid=2)
    add(server, "2001:db8:8000:100::", iaid=3, type="IA_PD", **{"prefix-len": 56, "subnet-id": 1})
    add(server, "2001:db8:2::100")
    assert server.call("lease6-wipe", {"subnet-id": 1}) == {
        "result": 0,
        "text": "Deleted 3 IPv6 lease(s) from subnet(s) 1",
    }
    assert server.gauge("subnet[1].assigned-nas") == server.gauge("subnet[1].assigned-pds") == 0
    assert server.call("lease6-wipe", {"subnet-id": 1}) == {
        "result": 3,
        "text": "Deleted 0 IPv6 lease(s) from subnet(s) 1",
    }
    assert server.call("lease6-wipe") == {"result": 0, "text": "Deleted 1 IPv6 lease(s) from subnet(s) 1 2"}
    assert len(server.store) == 0
    assert server.call("lease6-wipe", {"subnet-id": "1"})["result"] == 1
    server.consistent()


def test_lease6_wipe_clears_a_subnet_no_longer_configured(server: Server) -> None:
    server.store.put(
        Lease6(
            parse_address("2001:db8:9::1"),
            bytes.fromhex("0003000102"),
            1,
            subnet_id=9,
            valid_lifetime=100,
            cltt=NOW,
        )
    )
    assert server.call("lease6-wipe") == {"result": 3, "text": "Deleted 0 IPv6 lease(s) from subnet(s) 1 2"}
    assert server.call("lease6-wipe", {"subnet-id": 9}) == {
        "result": 0,
        "text": "Deleted 1 IPv6 lease(s) from subnet(s) 9",
    }


# ----------------------------------------------------------------------------------------- DDNS


def test_lease6_del_update_ddns_is_a_clear_error_and_deletes_nothing(server: Server) -> None:
    add(server, "2001:db8:1::100", hostname="a.example.org", **{"fqdn-fwd": True})
    got = server.call("lease6-del", {"ip-address": "2001:db8:1::100", "update-ddns": True})
    assert got["result"] == 1
    assert 'DDNS is not configured ("dhcp-ddns": {"enable-updates": true})' in got["text"]
    assert "nothing was deleted" in got["text"]
    assert len(server.store) == 1
    assert server.call("lease6-del", {"ip-address": "2001:db8:1::100", "update-ddns": "yes"})["result"] == 1
    assert server.call("lease6-del", {"ip-address": "2001:db8:1::100", "update-ddns": False})["result"] == 0
    assert len(server.store) == 0


def test_lease6_del_update_ddns_with_ddns_enabled_but_no_service_running_deletes_nothing() -> None:
    server = Server(config(**{"dhcp-ddns": {"enable-updates": True}}))  # the service failed to start
    add(server, "2001:db8:1::100", hostname="a.example.org", **{"fqdn-fwd": True})
    got = server.call("lease6-del", {"ip-address": "2001:db8:1::100", "update-ddns": True})
    assert got["result"] == 1 and "the DDNS service is not running (see the log)" in got["text"], got
    assert len(server.store) == 1


class Loop:
    """The loop hooks DdnsService.start asks for; nothing here ever runs the worker's result reader, so a
    queued request stays in the queue, where the tests read it."""

    def add_reader(self, fd: int, callback: Any) -> None:
        pass

    def remove_reader(self, fd: int) -> None:
        pass

    def call_every(self, interval: float, callback: Any, name: str = "") -> Any:
        return callback

    def cancel_timer(self, timer: Any) -> None:
        pass


class NoDns:
    """A deliverer whose DNS server never answers: every request stays queued."""

    def deliver(self, request: NameChangeRequest) -> Outcome:
        return Outcome(RETRY, "no answer")


@pytest.fixture
def dns() -> Iterator[Server]:
    """dhcp-ddns on, with the real DDNS service and DHCPv6 name handler, wired as the service wires them."""
    server = Server(config(**{"dhcp-ddns": {"enable-updates": True}}))
    names = NameHandler6(lambda: server.config)
    service = attach(None, server.config, names, Loop(), None, [], lambda: 0.0, NoDns())
    assert isinstance(service, DdnsService)
    server.ddns = service
    yield server
    service.close()


def queued(server: Server) -> list[NameChangeRequest]:
    return list(server.ddns.queue.pending())


def duid_dhcid(duid: str, *labels: str) -> bytes:
    """RFC 4701 by hand: type 0x0002 (DUID), digest 1, SHA-256 of the DUID and the name in wire form."""
    wire = b"".join(bytes([len(label)]) + label.encode() for label in labels) + b"\0"
    return b"\x00\x02\x01" + hashlib.sha256(bytes.fromhex(duid.replace(":", "")) + wire).digest()


def test_lease6_del_update_ddns_queues_the_removal_of_aaaa_ptr_and_dhcid(dns: Server) -> None:
    add(dns, "2001:db8:1::100", hostname="a.example.org", **{"fqdn-fwd": True, "fqdn-rev": True})
    add(dns, "2001:db8:1::101", duid=DUID_B, hostname="B.Example.Org.", **{"fqdn-rev": True})
    got = dns.call("lease6-del", {"ip-address": "2001:db8:1::100", "update-ddns": True})
    assert got == {"result": 0, "text": "IPv6 lease deleted."}
    key = {"subnet-id": 1, "identifier-type": "duid", "identifier": DUID_B, "iaid": 1, "update-ddns": True}
    assert dns.call("lease6-del", key) == {"result": 0, "text": "IPv6 lease deleted."}
    assert len(dns.store) == 0
    first, second = queued(dns)
    assert (first.change_type, first.forward, first.reverse) == (CHG_REMOVE, True, True)
    assert (first.fqdn, first.ip_address) == ("a.example.org.", "2001:db8:1::100")
    assert first.dhcid == duid_dhcid(DUID_A, "a", "example", "org")
    assert first.lease_length == 4000 // 3  # RFC 4702's TTL: a third of subnet 1's valid lifetime
    assert first.describe() == "remove AAAA+PTR a.example.org. 2001:db8:1::100"
    assert (second.change_type, second.forward, second.reverse) == (CHG_REMOVE, False, True)  # PTR only
    assert (second.fqdn, second.ip_address) == ("b.example.org.", "2001:db8:1::101")
    assert second.dhcid == duid_dhcid(DUID_B, "b", "example", "org")
    dns.consistent()


@pytest.mark.parametrize("flag", [{"update-ddns": False}, {}])
def test_lease6_del_without_update_ddns_leaves_dns_alone(dns: Server, flag: dict[str, Any]) -> None:
    add(dns, "2001:db8:1::100", hostname="a.example.org", **{"fqdn-fwd": True, "fqdn-rev": True})
    got = dns.call("lease6-del", {"ip-address": "2001:db8:1::100", **flag})
    assert got == {"result": 0, "text": "IPv6 lease deleted."}
    assert len(dns.store) == 0 and queued(dns) == []


def test_lease6_del_update_ddns_asks_nothing_for_a_prefix_or_a_lease_without_names(dns: Server) -> None:
    pd = {"type": "IA_PD", "prefix-len": 56, "subnet-id": 1, "iaid": 2}
    add(dns, "2001:db8:8000:100::", hostname="r.example.org", **pd, **{"fqdn-fwd": True, "fqdn-rev": True})
    add(dns, "2001:db8:1::100", hostname="a.example.org")  # a name, but not in DNS (no fqdn-fwd/-rev)
    add(dns, "2001:db8:1::101", iaid=3)  # no name at all
    got = dns.call("lease6-del", {"ip-address": "2001:db8:8000:100::", "type": "IA_PD", "update-ddns": True})
    assert got == {"result": 0, "text": "IPv6 lease deleted."}
    for address in ("2001:db8:1::100", "2001:db8:1::101"):
        got = dns.call("lease6-del", {"ip-address": address, "update-ddns": True})
        assert got == {"result": 0, "text": "IPv6 lease deleted."}
    assert len(dns.store) == 0 and queued(dns) == []
    assert dns.call("lease6-del", {"ip-address": "2001:db8:1::100", "update-ddns": True}) == {
        "result": 3,
        "text": "IPv6 lease not found.",
    }
    assert queued(dns) == []


def test_lease6_del_update_ddns_deletes_before_it_asks_for_the_removal(server: Server) -> None:
    seen: list[tuple[int, bool]] = []

    class Ddns:
        def remove_for(self, lease: Lease6) -> bool:
            seen.append((lease.address, server.store.get(lease.address) is None))
            return True

    server.ddns = Ddns()
    add(server, "2001:db8:1::100", hostname="a.example.org", **{"fqdn-fwd": True})
    got = server.call("lease6-del", {"ip-address": "2001:db8:1::100", "update-ddns": True})
    assert got == {"result": 0, "text": "IPv6 lease deleted."}
    assert seen == [(parse_address("2001:db8:1::100"), True)]


def test_lease6_del_update_ddns_asks_nothing_when_the_deletion_fails(server: Server) -> None:
    seen: list[int] = []

    class Ddns:
        def remove_for(self, lease: Lease6) -> bool:
            seen.append(lease.address)
            return True

    def broken(address: int) -> bool:
        raise LeaseStoreError("disk full")

    server.ddns = Ddns()
    add(server, "2001:db8:1::100", hostname="a.example.org", **{"fqdn-fwd": True})
    server.store.delete = broken  # type: ignore[method-assign]
    got = server.call("lease6-del", {"ip-address": "2001:db8:1::100", "update-ddns": True})
    assert got["result"] == 1 and "disk full" in got["text"], got
    assert seen == []
    assert len(server.store) == 1


# ----------------------------------------------------------------------------------------- bulk apply


def test_lease6_bulk_apply_deletes_adds_and_updates(server: Server) -> None:
    add(server, "2001:db8:1::100")
    add(server, "2001:db8:1::101", iaid=2)
    add(server, "2001:db8:1::102", iaid=3, hostname="old.example.org")
    got = server.call(
        "lease6-bulk-apply",
        {
            "deleted-leases": [
                {"ip-address": "2001:db8:1::100", "type": "IA_NA"},
                {"subnet-id": 1, "identifier-type": "duid", "identifier": DUID_A, "iaid": 2},
            ],
            "leases": [
                {"ip-address": "2001:db8:1::102", "duid": DUID_A, "iaid": 3, "hostname": "new.example.org"},
                {"ip-address": "2001:db8:1::103", "duid": DUID_B, "iaid": 1},
                {
                    "ip-address": "2001:db8:8000:100::",
                    "type": "IA_PD",
                    "prefix-len": 56,
                    "subnet-id": 1,
                    "duid": DUID_B,
                    "iaid": 2,
                },
            ],
        },
    )
    assert got == {"result": 0, "text": "Bulk apply of 5 IPv6 leases completed."}  # no arguments at all
    assert addresses(server.call("lease6-get-all")) == [
        "2001:db8:1::102",
        "2001:db8:1::103",
        "2001:db8:8000:100::",
    ]
    stored = server.store.get(parse_address("2001:db8:1::102"))
    assert stored is not None and stored.hostname == "new.example.org"
    pd = server.store.get(parse_address("2001:db8:8000:100::"))
    assert pd is not None and (pd.lease_type, pd.prefix_len) == (TYPE_PD, 56)
    assert server.gauge("subnet[1].assigned-nas") == 2 and server.gauge("subnet[1].assigned-pds") == 1
    server.consistent()


def test_lease6_bulk_apply_lists_what_failed_as_kea(server: Server) -> None:
    add(server, "2001:db8:1:0:8000::", type="IA_PD", **{"prefix-len": 80, "subnet-id": 1})
    got = server.call(
        "lease6-bulk-apply",
        {
            "deleted-leases": [
                {"ip-address": "2001:db8:1::1ff"},  # no such lease
                {"subnet-id": 1, "identifier-type": "duid", "identifier": DUID_B, "iaid": 9},
            ],
            "leases": [
                {"ip-address": "2001:db8:1::105", "duid": DUID_A, "iaid": 1},
                # an IA_NA lease over the prefix's key fails alone
                {"ip-address": "2001:db8:1:0:8000::", "duid": DUID_A, "iaid": 1, "subnet-id": 1},
            ],
        },
    )
    assert got["result"] == 0 and got["text"] == "Bulk apply of 1 IPv6 leases completed."
    assert got["arguments"]["failed-deleted-leases"] == [
        {"type": "IA_NA", "ip-address": "2001:db8:1::1ff", "result": 3, "error-message": "lease not found"},
        {"type": "IA_NA", "duid": DUID_B, "result": 3, "error-message": "lease not found"},
    ]
    [failed] = got["arguments"]["failed-leases"]
    assert (failed["type"], failed["ip-address"], failed["result"]) == ("IA_NA", "2001:db8:1:0:8000::", 1)
    assert "held by an IA_PD lease" in failed["error-message"]
    assert len(server.store) == 2

    only_failures = server.call("lease6-bulk-apply", {"deleted-leases": [{"ip-address": "2001:db8:1::1fe"}]})
    assert only_failures["result"] == 3
    assert only_failures["text"] == "Bulk apply of 0 IPv6 leases completed."
    assert list(only_failures["arguments"]) == ["failed-deleted-leases"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "neither 'deleted-leases' nor 'leases' parameter specified"),
        ({"leases": {"ip-address": "2001:db8:1::1"}}, "'leases' must be a list, not a map"),
        ({"deleted-leases": ["2001:db8:1::1"]}, "'deleted-leases' item 0 must be a JSON object"),
        (
            {"deleted-leases": [{"ip-address": "2001:db8:1::100"}, {"ip-address": "nope"}]},
            "deleted-leases[1]: 'ip-address' \"nope\" is not an IPv6 address",
        ),
        (
            {"deleted-leases": [{"subnet-id": 1, "identifier-type": "duid", "identifier": DUID_A}]},
            "deleted-leases[0]: Mandatory 'iaid' parameter missing.",
        ),
        (
            {
                "leases": [
                    {"ip-address": "2001:db8:1::105", "duid": DUID_A, "iaid": 1},
                    {"ip-address": "2001:db8:2::1", "duid": DUID_A, "iaid": 1, "subnet-id": 1},
                ]
            },
            "leases[1]: The address 2001:db8:2::1 does not belong to subnet 2001:db8:1::/64, subnet-id=1",
        ),
        ({"leases": [{"ip-address": "2001:db8:1::105", "iaid": 1}]}, "leases[0]: missing mandatory 'duid'"),
    ],
)
def test_lease6_bulk_apply_changes_nothing_when_an_item_is_malformed(
    server: Server, args: dict[str, Any], message: str
) -> None:
    add(server, "2001:db8:1::100")
    got = server.call("lease6-bulk-apply", args)
    assert got["result"] == 1 and message in got["text"], got
    assert addresses(server.call("lease6-get-all")) == ["2001:db8:1::100"]
