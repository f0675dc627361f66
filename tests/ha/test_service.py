"""HaService inside a real Dhcp4Service (no sockets): heartbeats as Kea reads them, clock skew, the held
reply, unsent updates. The partner's answers are handed to the callbacks the link would call."""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from edge.dhcp4.config import load_data
from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.server.dhcp4 import Dhcp4Service
from tests.ha.helpers import dhcp4_doc, ha_block


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def service() -> Iterator[Dhcp4Service]:
    peers = [
        {"name": "server1", "url": f"http://127.0.0.1:{free_port()}/", "role": "primary"},
        {"name": "server2", "url": f"http://127.0.0.1:{free_port()}/", "role": "standby"},
    ]
    doc = dhcp4_doc(ha_block(peers=peers, **{"heartbeat-delay": 1000, "max-response-delay": 3000}))
    doc["Dhcp4"]["subnet4"][0]["pools"] = [{"pool": "192.0.2.10 - 192.0.2.99"}]
    svc = Dhcp4Service(load_data(doc), MemoryLeaseStore4())
    try:
        yield svc
    finally:
        svc.close()


def beat(state: str, skew: float = 0.0, unsent: int = 0) -> dict[str, Any]:
    stamp = email.utils.formatdate(time.time() + skew, usegmt=True)
    return {
        "result": 0,
        "arguments": {"state": state, "date-time": stamp, "scopes": [], "unsent-update-count": unsent},
    }


def lease(n: int = 20) -> Lease:
    return Lease(
        address=0xC0000200 + n,
        hwaddr=bytes([2, 0, 0, 0, 0, n]),
        client_id=None,
        valid_lifetime=120,
        cltt=int(time.time()),
        subnet_id=1,
        hostname="",
    )


class FakeOut:
    message_type = 5
    wait_seq = 0


def test_heartbeat_answer_as_kea_2_2(service: Dhcp4Service) -> None:
    answer = service.commands.get("ha-heartbeat").handler(service, {})  # type: ignore[union-attr]
    assert answer["result"] == 0 and answer["text"] == "HA peer status returned."
    args = answer["arguments"]
    assert args["state"] == "waiting" and args["scopes"] == [] and args["unsent-update-count"] == 0
    assert abs(email.utils.parsedate_to_datetime(args["date-time"]).timestamp() - time.time()) < 5
    assert args["date-time"].endswith(" GMT")


def test_both_waiting_primary_syncs_then_hot_standby(service: Dhcp4Service) -> None:
    ha = service.ha
    sent: list[str] = []
    ha.client.send = lambda cmd, outcome, timeout=10.0: sent.append(cmd["command"])  # type: ignore[method-assign]
    ha._on_heartbeat(beat("waiting"), "")
    assert ha.state == "syncing" and sent[-1] == "dhcp-disable"
    ha._sync_disabled({"result": 0}, "")
    assert sent[-1] == "lease4-get-page"
    ha._sync_page({"result": 3, "arguments": {"leases": [], "count": 0}}, "", 10000)
    assert sent[-1] == "ha-sync-complete-notify"
    ha._sync_notified({"result": 0}, "")
    assert ha.state == "ready"
    ha._on_heartbeat(beat("ready"), "")
    assert ha.state == "hot-standby" and ha.scopes.served_list() == ["server1"]


def test_clock_skew_over_60_s_terminates(service: Dhcp4Service) -> None:
    ha = service.ha
    ha._enter("hot-standby")
    ha._on_heartbeat(beat("hot-standby", skew=40), "")
    assert ha.state == "hot-standby"
    ha._on_heartbeat(beat("hot-standby", skew=70), "")
    assert ha.state == "terminated"


def test_ack_held_until_the_partner_answers(service: Dhcp4Service) -> None:
    ha = service.ha
    ha._enter("hot-standby")
    calls: list[tuple[dict[str, Any], Any]] = []
    ha.client.send = lambda cmd, outcome, timeout=10.0: calls.append((cmd, outcome))  # type: ignore[method-assign]
    delivered: list[Any] = []
    dropped: list[Any] = []
    service._deliver = delivered.append  # type: ignore[method-assign]
    service._drop_held = lambda out, why: dropped.append(out)  # type: ignore[method-assign]

    for answer, error in (({"result": 0}, ""), (None, "Connection refused")):
        calls.clear()
        ha.packet_begin()
        service.store.put(lease(len(delivered) + len(dropped) + 20))
        out = FakeOut()
        assert ha.packet_end(out) is None  # held
        [(cmd, outcome)] = calls
        assert cmd["command"] == "lease4-update" and cmd["arguments"]["force-create"] is True
        assert not delivered or answer is None
        outcome(answer, error)
    assert len(delivered) == 1 and len(dropped) == 1
    assert ha.partner_state == "unavailable"


def test_partner_down_counts_unsent_updates(service: Dhcp4Service) -> None:
    ha = service.ha
    ha._enter("partner-down")
    ha.packet_begin()
    service.store.put(lease(30))
    out = FakeOut()
    assert ha.packet_end(out) is out
    assert ha.heartbeat_answer()["arguments"]["unsent-update-count"] == 1
    assert ha.heartbeat_answer()["arguments"]["scopes"] == ["server1"]


def test_waiting_serves_nothing_and_tags_the_class(service: Dhcp4Service) -> None:
    from tests.dhcp4.helpers import client_packet, mac

    request = client_packet(1, mac(3))
    classes: dict[str, None] = {}
    assert service.ha.in_scope(request, classes) is False
    assert "HA_server1" in classes
    service.ha._enter("hot-standby")
    assert service.ha.in_scope(request, {}) is True
