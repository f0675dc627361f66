"""Every command over the real unix socket, with Kea 2.2's argument rules and answer shapes.

The expected texts and shapes were taken from a kea-dhcp4 2.2.0 (Debian 12) with libdhcp_lease_cmds and
libdhcp_stat_cmds loaded, sent the same commands (see the report of issue 6).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edge.leases.lease import STATE_DEFAULT, STATE_EXPIRED_RECLAIMED
from tests.control.helpers import SUBNET_1, SUBNET_2, Running, document

Serve = Callable[..., Running]
MAC = "1a:1b:1c:1d:1e:1f"


def gauge(running: Running, name: str) -> int:
    return int(running.server.stats.get(name))


# ----------------------------------------------------------------------------------------- general


def test_list_commands_is_the_table(serve: Serve) -> None:
    running = serve()
    got = running.call("list-commands")
    assert got["result"] == 0
    expected = {
        "list-commands",
        "version-get",
        "build-report",
        "status-get",
        "config-get",
        "config-test",
        "config-set",
        "config-write",
        "config-reload",
        "config-hash-get",
        "dhcp-disable",
        "dhcp-enable",
        "leases-reclaim",
        "events-get",
        "lease4-add",
        "lease4-update",
        "lease4-del",
        "lease4-get",
        "lease4-get-all",
        "lease4-get-page",
        "lease4-get-by-hw-address",
        "lease4-get-by-client-id",
        "lease4-get-by-hostname",
        "lease4-wipe",
        "statistic-get",
        "statistic-get-all",
        "statistic-reset",
        "statistic-reset-all",
        "statistic-remove",
        "statistic-remove-all",
        "stats-recount",
        "shutdown",
    }
    assert set(got["arguments"]) == expected
    assert got["arguments"] == sorted(got["arguments"])


def test_unknown_command_is_result_2_as_kea(serve: Serve) -> None:
    assert serve().call("lease6-get") == {"result": 2, "text": "'lease6-get' command not supported."}


def test_unknown_and_mistyped_arguments_are_result_1_naming_them(serve: Serve) -> None:
    running = serve()
    got = running.call("lease4-get", {"ip_address": "192.0.2.1"})
    assert got["result"] == 1 and "unknown argument 'ip_address' for lease4-get" in got["text"]
    got = running.call("lease4-get", {"ip-address": 5})
    assert got == {"result": 1, "text": "'ip-address' must be an IPv4 address in a string, not number 5"}
    got = running.call("statistic-get", {})
    assert got == {"result": 1, "text": "missing mandatory 'name' argument"}
    got = running.call("leases-reclaim", {"remove": "yes"})
    assert got == {"result": 1, "text": "'remove' must be true or false, not string \"yes\""}


def test_version_and_build_report(serve: Serve) -> None:
    from edge import __version__

    running = serve()
    version = running.call("version-get")
    assert version["result"] == 0 and version["text"] == __version__
    assert "Python" in version["arguments"]["extended"]
    report = running.call("build-report")
    assert report["result"] == 0 and __version__ in report["text"]


def test_status_get_has_what_stork_reads(serve: Serve) -> None:
    running = serve()
    got = running.call("status-get")
    assert got["result"] == 0
    args = got["arguments"]
    assert args["pid"] == os.getpid()
    assert isinstance(args["uptime"], int) and isinstance(args["reload"], int)
    assert args["multi-threading-enabled"] is False
    assert "thread-pool-size" not in args  # Kea leaves them out without multi-threading
    assert args["sockets"] == {"status": "ready"}


def test_status_get_sockets_errors_are_kea_strings(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    running = serve()
    # What SocketManager.status() reports when the Pi's USB Ethernet dongle is missing.
    report = {"status": "retrying", "errors": [{"interface": "eth1", "error": "no such interface"}]}
    monkeypatch.setattr(running.server.manager, "status", lambda: report)
    sockets = running.call("status-get")["arguments"]["sockets"]
    assert sockets == {
        "status": "retrying",
        "errors": ["Failed to open socket on interface eth1, reason: no such interface"],
    }


def test_reload_counts_from_the_last_reconfiguration(serve: Serve, tmp_path: Path) -> None:
    running = serve()
    running.server.started -= 100
    running.server.reloaded -= 100
    before = running.call("status-get")["arguments"]
    assert before["uptime"] >= 100 and before["reload"] >= 100
    doc = document(tmp_path / "ctrl.sock")
    assert running.call("config-set", doc)["result"] == 0
    after = running.call("status-get")["arguments"]
    assert after["uptime"] >= 100 and after["reload"] < 5


# ----------------------------------------------------------------------------------------- leases


def test_lease4_add_get_update_del_as_kea(serve: Serve) -> None:
    running = serve()
    args = {
        "ip-address": "192.0.2.11",
        "hw-address": MAC,
        "hostname": "h1.example.org",
        "client-id": "01:02:03",
    }
    assert running.call("lease4-add", args) == {
        "result": 0,
        "text": "Lease for address 192.0.2.11, subnet-id 1 added.",
    }
    assert running.call("lease4-add", args) == {"result": 1, "text": "IPv4 lease already exists."}
    assert gauge(running, "subnet[1].assigned-addresses") == 1

    got = running.call("lease4-get", {"ip-address": "192.0.2.11"})
    assert got["result"] == 0 and got["text"] == "IPv4 lease found."
    lease = got["arguments"]
    assert set(lease) == {
        "ip-address",
        "hw-address",
        "client-id",
        "cltt",
        "valid-lft",
        "subnet-id",
        "fqdn-fwd",
        "fqdn-rev",
        "hostname",
        "state",
    }
    assert (
        lease["hw-address"],
        lease["client-id"],
        lease["subnet-id"],
        lease["valid-lft"],
        lease["state"],
    ) == (MAC, "01:02:03", 1, 7200, 0)
    assert abs(lease["cltt"] - time.time()) < 60

    by_hw = {"identifier-type": "hw-address", "identifier": MAC, "subnet-id": 1}
    assert running.call("lease4-get", by_hw)["arguments"]["ip-address"] == "192.0.2.11"
    by_cid = {"identifier-type": "client-id", "identifier": "01:02:03", "subnet-id": 1}
    assert running.call("lease4-get", by_cid)["arguments"]["ip-address"] == "192.0.2.11"
    no_subnet = {"identifier-type": "hw-address", "identifier": MAC}
    assert running.call("lease4-get", no_subnet) == {
        "result": 1,
        "text": "Mandatory 'subnet-id' parameter missing.",
    }
    assert running.call("lease4-get", {"ip-address": "192.0.2.99"}) == {
        "result": 3,
        "text": "Lease not found.",
    }

    update = {"ip-address": "192.0.2.11", "hw-address": MAC, "hostname": "new.example.org"}
    assert running.call("lease4-update", update) == {"result": 0, "text": "IPv4 lease updated."}
    stored = running.server.store.get(0xC000020B)
    assert (
        stored.hostname == "new.example.org" and stored.client_id is None
    )  # update replaces the lease whole
    missing = {"ip-address": "192.0.2.19", "hw-address": MAC}
    assert running.call("lease4-update", missing)["result"] == 1
    assert running.call("lease4-update", {**missing, "force-create": True}) == {
        "result": 0,
        "text": "IPv4 lease added.",
    }
    assert gauge(running, "subnet[1].assigned-addresses") == 2

    assert running.call("lease4-del", {"ip-address": "192.0.2.19"}) == {
        "result": 0,
        "text": "IPv4 lease deleted.",
    }
    assert running.call("lease4-del", {"ip-address": "192.0.2.19"}) == {
        "result": 3,
        "text": "IPv4 lease not found.",
    }
    assert running.call("lease4-del", by_hw) == {"result": 0, "text": "IPv4 lease deleted."}
    assert len(running.server.store) == 0
    assert gauge(running, "subnet[1].assigned-addresses") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"ip-address": "192.0.2.12"}, "missing mandatory 'hw-address' argument"),
        ({"hw-address": MAC}, "missing mandatory 'ip-address' argument"),
        (
            {"ip-address": "192.0.3.11", "hw-address": MAC},
            "subnet-id not specified and failed to find a subnet for address 192.0.3.11",
        ),
        (
            {"ip-address": "192.0.2.13", "hw-address": MAC, "subnet-id": 7},
            "Invalid subnet-id: No IPv4 subnet with subnet-id=7 currently configured.",
        ),
        (
            {"ip-address": "198.51.100.13", "hw-address": MAC, "subnet-id": 1},
            "The address 198.51.100.13 does not belong to subnet 192.0.2.0/24, subnet-id=1",
        ),
        ({"ip-address": "192.0.2.13", "hw-address": "zz"}, "'hw-address' \"zz\" is not a list of hex octets"),
        ({"ip-address": "192.0.2.13", "hw-address": MAC, "state": 3}, "'state' must be from 0 to 2, not 3"),
        (
            {"ip-address": "192.0.2.13", "hw-address": MAC, "fqdn-fwd": True},
            "No hostname specified and either forward or reverse fqdn was set to true.",
        ),
        (
            {"ip-address": "192.0.2.13", "hw-address": MAC, "valid-lft": 100, "expire": 50},
            "expiration time (50) must not be lower than valid lifetime (100)",
        ),
        (
            {"ip-address": "192.0.2.13", "hw-address": MAC, "user-context": [1]},
            "'user-context' must be a JSON object",
        ),
    ],
)
def test_lease4_add_refuses_bad_arguments(serve: Serve, args: dict[str, Any], message: str) -> None:
    running = serve()
    got = running.call("lease4-add", args)
    assert got["result"] == 1 and message in got["text"], got
    assert len(running.server.store) == 0


def test_lease4_add_with_every_field(serve: Serve) -> None:
    running = serve()
    args = {
        "ip-address": "192.0.2.14",
        "hw-address": "1a-1b-1c-1d-1e-3f",
        "state": 1,
        "valid-lft": 100,
        "expire": 2000000000,
        "user-context": {"a": 1},
        "comment": "by hand",
        "fqdn-fwd": True,
        "hostname": "x.example.org",
    }
    assert running.call("lease4-add", args)["result"] == 0
    lease = running.call("lease4-get", {"ip-address": "192.0.2.14"})["arguments"]
    assert lease["cltt"] == 2000000000 - 100 and lease["valid-lft"] == 100 and lease["state"] == 1
    assert lease["hw-address"] == "1a:1b:1c:1d:1e:3f" and lease["fqdn-fwd"] is True
    assert lease["user-context"] == {"a": 1, "comment": "by hand"}
    assert gauge(running, "subnet[1].declined-addresses") == 1


def add(running: Running, address: str, mac: str = MAC, **extra: Any) -> None:
    got = running.call("lease4-add", {"ip-address": address, "hw-address": mac, **extra})
    assert got["result"] == 0, got


def test_lease_lists_pages_and_lookups(serve: Serve) -> None:
    running = serve(**{"subnet4": [SUBNET_1, SUBNET_2]})
    add(running, "192.0.2.15")
    add(running, "192.0.2.11", hostname="H1.example.org", **{"client-id": "01:02:03"})
    add(running, "198.51.100.12", "02:00:00:00:00:02")
    every = running.call("lease4-get-all")
    assert every["text"] == "3 IPv4 lease(s) found."
    assert [x["ip-address"] for x in every["arguments"]["leases"]] == [
        "192.0.2.11",
        "192.0.2.15",
        "198.51.100.12",
    ]
    only_2 = running.call("lease4-get-all", {"subnets": [2]})
    assert [x["ip-address"] for x in only_2["arguments"]["leases"]] == ["198.51.100.12"]
    assert running.call("lease4-get-all", {"subnets": [5]}) == {
        "result": 3,
        "text": "0 IPv4 lease(s) found.",
        "arguments": {"leases": []},
    }
    assert running.call("lease4-get-all", {"subnets": 5})["result"] == 1

    pages: list[str] = []
    cursor = "start"
    while True:
        page = running.call("lease4-get-page", {"from": cursor, "limit": 2})
        addresses = [x["ip-address"] for x in page["arguments"]["leases"]]
        assert page["arguments"]["count"] == len(addresses)
        pages.extend(addresses)
        if page["arguments"]["count"] < 2:
            assert page["result"] == (0 if addresses else 3)
            break
        cursor = addresses[-1]
    assert pages == ["192.0.2.11", "192.0.2.15", "198.51.100.12"]
    assert running.call("lease4-get-page", {"from": "0.0.0.0", "limit": 1})["arguments"]["count"] == 1
    assert running.call("lease4-get-page", {"from": "start", "limit": 0}) == {
        "result": 1,
        "text": "page size of retrieved leases must not be 0",
    }
    assert running.call("lease4-get-page", {"from": "bad", "limit": 3}) == {
        "result": 1,
        "text": "'from' parameter value is neither 'start' keyword nor a valid IPv4 address",
    }
    assert running.call("lease4-get-page", {"limit": 3}) == {
        "result": 1,
        "text": "missing mandatory 'from' argument",
    }

    by_hw = running.call("lease4-get-by-hw-address", {"hw-address": MAC})
    assert [x["ip-address"] for x in by_hw["arguments"]["leases"]] == ["192.0.2.11", "192.0.2.15"]
    assert running.call("lease4-get-by-hw-address", {"hw-address": "1a:1b:1c:1d:1e:00"})["result"] == 3
    by_cid = running.call("lease4-get-by-client-id", {"client-id": "01:02:03"})
    assert [x["ip-address"] for x in by_cid["arguments"]["leases"]] == ["192.0.2.11"]
    by_name = running.call(
        "lease4-get-by-hostname", {"hostname": "h1.EXAMPLE.org"}
    )  # case-insensitive, as Kea
    assert [x["ip-address"] for x in by_name["arguments"]["leases"]] == ["192.0.2.11"]
    assert running.call("lease4-get-by-hostname", {"hostname": ""}) == {
        "result": 1,
        "text": "'hostname' parameter is empty",
    }


def test_lease4_wipe(serve: Serve) -> None:
    running = serve(**{"subnet4": [SUBNET_1, SUBNET_2]})
    add(running, "192.0.2.11")
    add(running, "192.0.2.12")
    add(running, "198.51.100.12")
    assert running.call("lease4-wipe", {"subnet-id": 1}) == {
        "result": 0,
        "text": "Deleted 2 IPv4 lease(s) from subnet(s) 1",
    }
    assert running.call("lease4-wipe", {"subnet-id": 1}) == {
        "result": 3,
        "text": "Deleted 0 IPv4 lease(s) from subnet(s) 1",
    }
    assert running.call("lease4-wipe") == {"result": 0, "text": "Deleted 1 IPv4 lease(s) from subnet(s) 1 2"}
    assert len(running.server.store) == 0
    assert (
        gauge(running, "subnet[1].assigned-addresses") == gauge(running, "subnet[2].assigned-addresses") == 0
    )


def test_lease4_del_update_ddns_is_a_clear_error_and_deletes_nothing(serve: Serve) -> None:
    running = serve()
    add(running, "192.0.2.15", hostname="a.example.org", **{"fqdn-fwd": True})
    got = running.call("lease4-del", {"ip-address": "192.0.2.15", "update-ddns": True})
    assert got["result"] == 1
    assert 'DDNS is not configured ("dhcp-ddns": {"enable-updates": true})' in got["text"]
    assert "nothing was deleted" in got["text"]
    assert running.server.store.get(0xC000020F) is not None
    assert running.call("lease4-del", {"ip-address": "192.0.2.15", "update-ddns": "yes"})["result"] == 1
    assert running.call("lease4-del", {"ip-address": "192.0.2.15", "update-ddns": False})["result"] == 0


def test_lease4_del_update_ddns_with_ddns_configured(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    running = serve(**{"dhcp-ddns": {"enable-updates": True}})
    add(running, "192.0.2.15", hostname="a.example.org", **{"fqdn-fwd": True})
    removed: list[int] = []
    ddns = running.server.ddns  # type: ignore[attr-defined]
    assert ddns is not None
    monkeypatch.setattr(ddns, "remove_for", lambda lease: removed.append(lease.address) or True)
    got = running.call("lease4-del", {"ip-address": "192.0.2.15", "update-ddns": True})
    assert got == {"result": 0, "text": "IPv4 lease deleted."}
    assert removed == [0xC000020F] and running.server.store.get(0xC000020F) is None


def consistent(running: Running) -> None:
    """The gauges agree with the store: a recount finds nothing to correct."""
    assert running.call("stats-recount")["arguments"]["corrected"] == {}


def test_leases_reclaim(serve: Serve) -> None:
    running = serve()
    now = int(time.time())
    expired = {"valid-lft": 100, "expire": now - 900}
    add(running, "192.0.2.11", "02:00:00:00:00:01", **expired)
    add(running, "192.0.2.12", "02:00:00:00:00:02", state=1, **expired)  # declined, probation over
    add(running, "192.0.2.13", "02:00:00:00:00:03")  # active
    consistent(running)
    assert running.call("leases-reclaim", {}) == {"result": 1, "text": "missing mandatory 'remove' argument"}
    got = running.call("leases-reclaim", {"remove": False})
    assert got == {
        "result": 0,
        "text": "Reclamation of expired leases is complete.",
        "arguments": {"reclaimed": 2},
    }
    store = running.server.store
    assert store.get(0xC000020B).state == STATE_EXPIRED_RECLAIMED  # kept for lease affinity
    assert store.get(0xC000020C) is None  # a declined address is simply free again
    assert store.get(0xC000020D).state == STATE_DEFAULT
    assert gauge(running, "reclaimed-leases") == 2 and gauge(running, "reclaimed-declined-addresses") == 1
    consistent(running)
    add(running, "192.0.2.14", "02:00:00:00:00:04", **expired)
    assert running.call("leases-reclaim", {"remove": True})["arguments"]["reclaimed"] == 1
    assert store.get(0xC000020E) is None
    consistent(running)


# ----------------------------------------------------------------------------------------- statistics


def test_statistics_commands_as_kea(serve: Serve) -> None:
    running = serve()
    running.server.stats.inc("pkt4-received", 5)
    got = running.call("statistic-get", {"name": "pkt4-received"})
    ((value, stamp),) = got["arguments"]["pkt4-received"]
    assert got["result"] == 0 and value == 5
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", stamp)
    assert running.call("statistic-get", {"name": "nope"}) == {"result": 0, "arguments": {}}
    assert running.call("statistic-get", {"name": 5})["result"] == 1
    every = running.call("statistic-get-all")["arguments"]
    assert every["pkt4-received"][0][0] == 5 and "subnet[1].total-addresses" in every
    assert every["subnet[1].total-addresses"][0][0] == 11
    assert running.call("statistic-reset", {"name": "pkt4-received"}) == {
        "result": 0,
        "text": "Statistic 'pkt4-received' reset.",
    }
    assert running.server.stats.get("pkt4-received") == 0
    assert running.call("statistic-reset", {"name": "nope"}) == {
        "result": 1,
        "text": "No 'nope' statistic found",
    }
    assert running.call("statistic-remove", {"name": "pkt4-sent"}) == {
        "result": 0,
        "text": "Statistic 'pkt4-sent' removed.",
    }
    assert running.call("statistic-remove", {"name": "pkt4-sent"})["result"] == 1
    running.server.stats.inc("pkt4-ack-sent", 3)
    assert running.call("statistic-reset-all")["result"] == 0
    assert all(v[0][0] == 0 for v in running.call("statistic-get-all")["arguments"].values())
    assert running.call("statistic-remove-all")["result"] == 0
    assert running.call("statistic-get-all") == {"result": 0, "arguments": {}}


def test_stats_recount_reports_what_it_corrected(serve: Serve) -> None:
    running = serve()
    add(running, "192.0.2.11")
    add(running, "192.0.2.12")
    running.server.stats.set("subnet[1].assigned-addresses", 0)  # drifted, as Kea's #1196 made it drift
    got = running.call("stats-recount")
    assert got["result"] == 0
    assert got["arguments"]["corrected"]["subnet[1].assigned-addresses"] == {"old": 0, "new": 2}
    assert gauge(running, "subnet[1].assigned-addresses") == 2
    again = running.call("stats-recount")
    assert again["arguments"]["corrected"] == {}


# ----------------------------------------------------------------------------------------- service state


def test_dhcp_disable_and_enable(serve: Serve) -> None:
    running = serve()
    server = running.server
    assert running.call("dhcp-disable", {"max-period": 0})["result"] == 1
    assert running.call("dhcp-disable", {"max-period": "x"})["result"] == 1
    assert running.call("dhcp-disable", {"origin": "bogus"}) == {
        "result": 1,
        "text": "invalid value used for 'origin' parameter: bogus",
    }
    assert server.dhcp_disabled_until is None
    assert running.call("dhcp-disable", {"max-period": 20}) == {
        "result": 0,
        "text": "DHCPv4 service disabled for 20 seconds",
    }
    assert server.dhcp_disabled_until is not None
    assert 15 < server.dhcp_disabled_until - server.monotonic() <= 20
    assert running.call("dhcp-enable") == {"result": 0, "text": "DHCP service successfully enabled"}
    assert server.dhcp_disabled_until is None
    assert running.call("dhcp-disable", {"origin": "user", "origin-id": 2002}) == {
        "result": 0,
        "text": "DHCPv4 service disabled",
    }
    assert server.dhcp_disabled_until == float("inf")


def test_packets_are_dropped_while_disabled_and_served_after_max_period(serve: Serve) -> None:
    running = serve()
    server = running.server
    handled: list[bytes] = []
    server.engine.handle = lambda payload, inbound, now: handled.append(payload)  # type: ignore[method-assign]

    class Rx:
        payload = b"x"
        ifname, ifindex, src_ip, dst_ip, src_port, src_mac = "eth0", 2, 0, 0, 68, b""

    class Sock:
        def __init__(self) -> None:
            self.queue = [Rx()]

        def recv(self) -> Any:
            return self.queue.pop() if self.queue else None

    server.manager.local_addresses = lambda ifname: []  # type: ignore[method-assign]
    server.dhcp_disabled_until = server.monotonic() + 60
    server._dispatch(Sock())
    assert handled == [] and server.stats.get("pkt4-receive-drop") == 1
    server.dhcp_disabled_until = server.monotonic() - 1  # max-period over
    server._dispatch(Sock())
    assert handled == [b"x"] and server.dhcp_disabled_until is None


def test_shutdown_answers_first_then_stops_with_the_exit_value(serve: Serve) -> None:
    running = serve()
    assert running.call("shutdown", {"exit-value": 3}) == {"result": 0, "text": "Shutting down."}
    running.thread.join(10)
    assert not running.thread.is_alive() and running.exit_code == 3
    assert not running.sock.exists()  # the socket file is removed on the way out
