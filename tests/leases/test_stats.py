"""Lease statistics kept from the store's change feed (Kea's names and meanings), never negative, and the
recount that finds and reports what is wrong."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.dhcp4.config import load_data
from edge.dhcp4.lease import STATE_DECLINED, STATE_DEFAULT, STATE_EXPIRED_RECLAIMED, Lease
from edge.dhcp4.lease_stats import LeaseStatistics, attach_statistics, count_leases, recount_statistics
from edge.dhcp4.lease_store import MemfileLeaseStore4, MemoryLeaseStore4
from edge.stats import Statistics

BASE = 0xC0000200


def config():
    return load_data(
        {
            "Dhcp4": {
                "subnet4": [
                    {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.59"}]},
                    {
                        "id": 2,
                        "subnet": "198.51.100.0/24",
                        "pools": [{"pool": "198.51.100.10 - 198.51.100.19"}],
                    },
                ]
            }
        }
    )


def lease(n: int, mac: int = 1, **kw) -> Lease:
    fields = dict(hwaddr=bytes((2, 0, 0, 0, 0, mac)), valid_lifetime=3600, cltt=1_800_000_000, subnet_id=1)
    fields.update(kw)
    return Lease(BASE + n, **fields)


def kept() -> tuple[MemoryLeaseStore4, Statistics]:
    store = MemoryLeaseStore4()
    stats = Statistics()
    attach_statistics(store, stats)
    return store, stats


def test_life_of_a_lease_in_kea_terms():
    store, stats = kept()
    store.put(lease(10))
    assert stats.get("subnet[1].assigned-addresses") == 1
    assert (
        stats.get("subnet[1].cumulative-assigned-addresses")
        == stats.get("cumulative-assigned-addresses")
        == 1
    )
    store.put(lease(10, cltt=1_800_000_600))  # renewal
    assert stats.get("subnet[1].assigned-addresses") == 1 and stats.get("cumulative-assigned-addresses") == 1
    # Declined: still counted as assigned (Kea), and declined.
    store.put(Lease(BASE + 10, valid_lifetime=86400, cltt=1_800_001_000, subnet_id=1, state=STATE_DECLINED))
    assert stats.get("subnet[1].assigned-addresses") == 1
    assert stats.get("subnet[1].declined-addresses") == stats.get("declined-addresses") == 1
    # Probation over, another client takes the address before reclamation ran: reclaimed on the fly.
    store.put(lease(10, mac=2, cltt=1_800_090_000))
    assert stats.get("subnet[1].declined-addresses") == stats.get("declined-addresses") == 0
    assert stats.get("subnet[1].assigned-addresses") == 1
    assert stats.get("cumulative-assigned-addresses") == 2
    assert stats.get("reclaimed-leases") == stats.get("subnet[1].reclaimed-declined-addresses") == 1
    # Released (kept with lifetime 0 for the same client): no longer assigned.
    store.put(lease(10, mac=2, cltt=1_800_090_100, valid_lifetime=0))
    assert stats.get("subnet[1].assigned-addresses") == 0
    # The same client comes back: a new assignment.
    store.put(lease(10, mac=2, cltt=1_800_090_200))
    assert stats.get("subnet[1].assigned-addresses") == 1 and stats.get("cumulative-assigned-addresses") == 3
    store.put(lease(10, mac=2, cltt=1_800_090_200, state=STATE_EXPIRED_RECLAIMED))
    store.delete(BASE + 10)
    assert stats.get("subnet[1].assigned-addresses") == 0


changes = st.lists(
    st.tuples(
        st.integers(1, 6),  # address
        st.one_of(
            st.none(),  # delete
            st.builds(
                lambda mac, state, valid, subnet: (mac, state, valid, subnet),
                st.integers(1, 3),
                st.sampled_from([STATE_DEFAULT, STATE_DECLINED, STATE_EXPIRED_RECLAIMED]),
                st.sampled_from([0, 60, 3600]),
                st.sampled_from([1, 2]),
            ),
        ),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(changes)
def test_gauges_are_exact_and_never_negative_whatever_happens(ops):
    store, stats = kept()
    for n, change in ops:
        if change is None:
            store.delete(BASE + n)
        else:
            mac, state, valid, subnet = change
            store.put(lease(n, mac=mac, state=state, valid_lifetime=valid, subnet_id=subnet))
        truth = count_leases(store)
        for subnet in (1, 2):
            for name in ("assigned-addresses", "declined-addresses"):
                key = "subnet[%d].%s" % (subnet, name)
                assert stats.get(key) == truth.get(key, 0), key
        assert stats.get("declined-addresses") == truth["declined-addresses"]
        assert all(value >= 0 for value in stats.snapshot().values())


def test_recount_reports_and_fixes_what_drifted():
    store, stats = kept()
    cfg = config()
    for n in range(10, 15):
        store.put(lease(n, mac=n))
    store.put(Lease(BASE + 20, valid_lifetime=60, cltt=1, subnet_id=1, state=STATE_DECLINED))
    # The change feed kept the gauges right; what did not exist yet (total-addresses) is created, which is
    # not a correction.
    assert recount_statistics(cfg, store, stats) == {}
    assert stats.get("subnet[1].total-addresses") == 50
    stats.set("subnet[1].assigned-addresses", 999)
    stats.set("subnet[2].declined-addresses", 4)
    stats.set("subnet[9].assigned-addresses", 3)  # no lease of subnet 9 exists
    corrections = recount_statistics(cfg, store, stats)
    assert corrections == {
        "subnet[1].assigned-addresses": {"old": 999, "new": 6},
        "subnet[2].declined-addresses": {"old": 4, "new": 0},
        "subnet[9].assigned-addresses": {"old": 3, "new": 0},
    }
    assert stats.get("subnet[1].total-addresses") == 50 and stats.get("subnet[2].total-addresses") == 10
    assert recount_statistics(cfg, store, stats) == {}


def test_stats_recount_command_line_counts_the_lease_file(tmp_path):
    path = str(tmp_path / "leases.json")
    store = MemfileLeaseStore4(path)
    store.put(lease(10))
    store.put(Lease(BASE + 11, valid_lifetime=60, cltt=1, subnet_id=1, state=STATE_DECLINED))
    store.close()
    conf = tmp_path / "kea.json"
    conf.write_text(
        json.dumps(
            {
                "Dhcp4": {
                    "lease-database": {"type": "memfile", "name": path},
                    "subnet4": [
                        {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.59"}]}
                    ],
                }
            }
        )
    )
    out = subprocess.run(
        [sys.executable, "-m", "edge", "stats", "recount", "-c", str(conf)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["arguments"]["subnet[1].assigned-addresses"] == 2
    assert answer["arguments"]["subnet[1].declined-addresses"] == 1
    assert answer["arguments"]["subnet[1].total-addresses"] == 50


def test_stats_recount_command_line_asks_a_running_server(tmp_path):
    path = str(tmp_path / "ctrl.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(1)
    got = {}

    def serve() -> None:
        conn, _ = listener.accept()
        got["request"] = json.loads(conn.recv(65536))
        conn.sendall(
            json.dumps(
                {"result": 0, "text": "1 corrected", "arguments": {"x": {"old": 1, "new": 0}}}
            ).encode()
        )
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    conf = tmp_path / "kea.json"
    conf.write_text(json.dumps({"Dhcp4": {"control-socket": {"socket-type": "unix", "socket-name": path}}}))
    out = subprocess.run(
        [sys.executable, "-m", "edge", "stats", "recount", "-c", str(conf)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
        timeout=60,
    )
    thread.join(10)
    listener.close()
    assert out.returncode == 0, out.stderr
    assert got["request"] == {"command": "stats-recount"}
    assert json.loads(out.stdout)["arguments"] == {"x": {"old": 1, "new": 0}}


def test_lease_statistics_is_what_the_engine_uses():
    stats = Statistics()
    keeper = LeaseStatistics(stats)
    keeper.on_change(None, lease(1))
    keeper.on_change(lease(1), None)
    assert stats.get("subnet[1].assigned-addresses") == 0 and stats.get("cumulative-assigned-addresses") == 1
