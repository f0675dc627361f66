"""The event ring: what a lease change, a NAK and a reload become, bounded, and read with `events-get`."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

from edge.dashboard.events import EventRing
from edge.dhcp4.config import load_data
from edge.dhcp4.engine import Inbound
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.server.dhcp4 import Dhcp4Service
from edge.wire import pkt4 as wire
from tests.control.helpers import document
from tests.dashboard.helpers import DashboardServer
from tests.dhcp4.helpers import client_packet, mac

Dash = Callable[..., DashboardServer]
MAC = "02:00:00:00:00:01"


def _kinds(server: DashboardServer, after: int = 0) -> list[tuple[str, str]]:
    answer = server.command("events-get", {"after": after})
    assert answer["result"] == 0
    return [(e["kind"], e.get("address", "")) for e in answer["arguments"]["events"]]


def test_lease_changes_become_events(dash: Dash) -> None:
    server = dash()
    lease = {"ip-address": "192.0.2.11", "hw-address": MAC, "hostname": "laptop"}
    assert server.command("lease4-add", lease)["result"] == 0
    assert server.command("lease4-update", {**lease, "valid-lft": 900})["result"] == 0  # same client: renewal
    other = {"ip-address": "192.0.2.11", "hw-address": "02:00:00:00:00:02"}
    assert server.command("lease4-update", other)["result"] == 0  # someone else now: an allocation
    assert server.command("lease4-update", {**other, "valid-lft": 0})["result"] == 0  # lifetime 0: release
    assert server.command("lease4-update", {**other, "state": 1})["result"] == 0  # declined
    assert server.command("lease4-update", {**other, "state": 2})["result"] == 0  # reclaimed
    assert server.command("lease4-add", {"ip-address": "192.0.2.12", "hw-address": MAC})["result"] == 0
    assert server.command("lease4-del", {"ip-address": "192.0.2.12"})["result"] == 0
    assert _kinds(server) == [
        ("allocate", "192.0.2.11"),
        ("renew", "192.0.2.11"),
        ("allocate", "192.0.2.11"),
        ("release", "192.0.2.11"),
        ("decline", "192.0.2.11"),
        ("expire", "192.0.2.11"),
        ("allocate", "192.0.2.12"),
        ("delete", "192.0.2.12"),
    ]
    first = server.command("events-get", {"after": 0, "limit": 1})["arguments"]
    assert first["events"][0] == {
        "seq": 1,
        "time": first["events"][0]["time"],
        "kind": "allocate",
        "address": "192.0.2.11",
        "client": MAC,
        "hostname": "laptop",
        "subnet-id": 1,
    }
    assert abs(first["events"][0]["time"] - time.time()) < 60 and first["last"] == 8
    assert _kinds(server, after=7) == [("delete", "192.0.2.12")]
    assert _kinds(server, after=8) == []


def test_reloads_and_refused_configurations_are_events(dash: Dash, tmp_path: Path) -> None:
    path = tmp_path / "edge.json"
    server = dash(config_path=path)
    assert server.command("config-reload")["result"] == 0
    path.write_text('{"Dhcp4": {"subnet4": "not a list"}}')
    assert server.command("config-reload")["result"] == 1
    events = server.command("events-get")["arguments"]["events"]
    assert [e["kind"] for e in events] == ["reload", "reload-failed"]
    assert events[0]["text"] == f"{path}: 1 subnet(s)"
    assert str(path) in events[1]["text"]


def test_a_nak_is_an_event_with_the_client_and_the_reason() -> None:
    config = load_data(document(None, None, authoritative=True), source="<test>")
    service = Dhcp4Service(config, MemoryLeaseStore4())
    try:
        request = client_packet(wire.DHCPREQUEST, mac(9), options={50: socket.inet_aton("203.0.113.5")})
        inbound = Inbound(ifname="lab0", ifindex=1, local_addresses=(0xC0000201,))
        out = service.engine.handle(wire.encode(request), inbound, time.time())
        assert out is not None and out.message_type == wire.DHCPNAK
        service.reply_event(out)
        events, missed = service.events.since(0, 10)
        assert missed == 0
        assert [(e["kind"], e["client"]) for e in events] == [("nak", "02:00:00:00:00:09")]
        assert "203.0.113.5" in events[0]["text"]
        ack_like = service.engine.handle(
            wire.encode(client_packet(wire.DHCPDISCOVER, mac(10))), inbound, time.time()
        )
        assert ack_like is not None
        service.reply_event(ack_like)  # an OFFER is no event
        assert len(service.events) == 1
    finally:
        service.close()


def test_the_ring_is_bounded_and_says_what_a_slow_reader_missed() -> None:
    ring = EventRing(lambda: 1000.0, size=4, subject_text=lambda n: f"#{n}")
    for n in range(10):
        ring.add("allocate", n, b"\x02\x01", "", 1)
    assert len(ring) == 4 and ring.last == 10
    events, missed = ring.since(0, 100)
    assert [e["seq"] for e in events] == [7, 8, 9, 10] and missed == 6
    assert events[0]["address"] == "#6" and events[0]["client"] == "02:01"
    events, missed = ring.since(8, 1)
    assert [e["seq"] for e in events] == [9] and missed == 0
    assert ring.since(10, 5) == ([], 0)


def test_events_get_checks_its_arguments(dash: Dash) -> None:
    server = dash()
    bad = server.command("events-get", {"after": -1})
    assert bad["result"] == 1 and "'after'" in bad["text"]
    assert server.command("events-get", {"limit": 0})["result"] == 1
    assert json.dumps(server.command("events-get")) == json.dumps(
        {"result": 0, "text": "0 event(s) found.", "arguments": {"events": [], "last": 0}}
    )
