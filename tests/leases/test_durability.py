"""Durability: the group commit (one fsync for many records), and the server holding an ACK until the lease
change it promises is durable — or dropping it when the disk refused it.

The fsync here is the real os.fsync behind a gate the test opens, so the test decides when "the disk"
finishes; the packets go through the real engine and the server's own delivery code. The only stand-ins
are at the network edge: a socket object that hands the server prepared datagrams and a list that
collects what the server sends. (tests/lab/test_lease_durability.py does it with real clients and SIGKILL.)
"""

from __future__ import annotations

import errno
import os
import select
import struct
import threading

import pytest

from edge.dhcp4.config import load_data
from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_store import MemfileLeaseStore4
from edge.netif.datagrams import BROADCAST_IP, RxDatagram
from edge.server.dhcp4 import Dhcp4Service as Server
from edge.wire import pkt4 as wire
from tests.dhcp4.helpers import client_packet, mac

BASE = 0xC0000200
SERVER_IP = 0xC0000201  # 192.0.2.1


class GatedFsync:
    """os.fsync that waits for the test to open the gate (or fails when told to)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls = 0
        self.fail = False

    def __call__(self, fd: int) -> None:
        self.gate.wait(10)
        self.calls += 1
        if self.fail:
            raise OSError(errno.EIO, "Input/output error")
        os.fsync(fd)


def wait_readable(fd: int, timeout: float = 5.0) -> bool:
    return bool(select.select([fd], [], [], timeout)[0])


def lease(n: int) -> Lease:
    return Lease(BASE + 10 + n, hwaddr=bytes((2, 0, 0, 0, 0, n)), valid_lifetime=60, cltt=1, subnet_id=1)


def test_a_change_is_durable_only_after_its_fsync_and_many_share_one(tmp_path):
    fsync = GatedFsync()
    store = MemfileLeaseStore4(str(tmp_path / "leases.json"), sync="batch", window=0.001, fsync=fsync)
    store.put(lease(1))
    assert (store.last_seq, store.durable_seq) == (1, 0)
    assert not wait_readable(store.wakeup_fd(), 0.1) and store.poll() == []
    for n in range(2, 60):  # arrive while the first fsync is in flight
        store.put(lease(n))
    fsync.gate.set()
    events = []
    while not events or events[-1][0] < 59:
        assert wait_readable(store.wakeup_fd())
        events += store.poll()
    assert all(ok for _, ok in events) and store.durable_seq == 59
    assert fsync.calls <= 3  # 59 records, a couple of fsyncs: the group commit
    store.close()


def test_a_failed_fsync_is_reported_and_the_file_rewritten_from_memory(tmp_path, caplog):
    fsync = GatedFsync()
    fsync.fail = True
    fsync.gate.set()
    store = MemfileLeaseStore4(str(tmp_path / "leases.json"), sync="batch", window=0.001, fsync=fsync)
    store.put(lease(1))
    assert wait_readable(store.wakeup_fd())
    assert store.poll() == [(1, False)]
    assert store.durable_seq == 0 and store.sync_errors == 1
    assert "DHCPSRV_MEMFILE_SYNC_FAIL" in caplog.text
    store.wait_compaction()  # the rewrite started by the failure (the child fsyncs with the real os.fsync)
    assert store.compactions == 1
    fsync.fail = False
    store.put(lease(2))
    store.flush()
    assert store.durable_seq == 2
    store.close()
    assert {x.address for x in MemfileLeaseStore4(str(tmp_path / "leases.json"), readonly=True).all()} == {
        BASE + 11,
        BASE + 12,
    }


class FakeSocket:
    """What the socket manager hands the loop: recv() gives prepared datagrams, then would block."""

    def __init__(self, payloads: list[bytes]) -> None:
        self.payloads = list(payloads)

    def recv(self) -> RxDatagram:
        if not self.payloads:
            raise BlockingIOError
        payload = self.payloads.pop(0)
        return RxDatagram(payload, "veth-srv", 70000, b"\x02" * 6, None, 0, BROADCAST_IP, 68, 67)


def make_server(tmp_path, fsync: GatedFsync) -> tuple[Server, list]:
    config = load_data(
        {
            "Dhcp4": {
                "interfaces-config": {"interfaces": []},
                "lease-database": {"type": "memfile", "name": str(tmp_path / "leases.json")},
                "subnet4": [
                    {
                        "id": 1,
                        "subnet": "192.0.2.0/24",
                        "pools": [{"pool": "192.0.2.100 - 192.0.2.109"}],
                        "interface": "veth-srv",
                    }
                ],
            }
        }
    )
    store = MemfileLeaseStore4(str(tmp_path / "leases.json"), sync="batch", window=0.001, fsync=fsync)
    server = Server(config, store)
    server.manager.local_addresses = lambda ifname: [SERVER_IP]  # the interface the datagrams came in on
    sent: list = []
    server._send = lambda out: sent.append(wire.decode(out.payload))  # type: ignore[method-assign]
    return server, sent


def dora(server: Server, sent: list, n: int) -> wire.Packet:
    server._dispatch(FakeSocket([wire.encode(client_packet(wire.DHCPDISCOVER, mac(n)))]))
    offer = sent[-1]
    assert offer.message_type == wire.DHCPOFFER  # an OFFER promises nothing: sent at once
    request = client_packet(
        wire.DHCPREQUEST,
        mac(n),
        options={wire.OPT_SERVER_ID: struct.pack("!I", SERVER_IP), wire.OPT_REQUESTED_IP: offer.yiaddr},
    )
    server._dispatch(FakeSocket([wire.encode(request)]))
    return offer


@pytest.mark.parametrize("disk_ok", [True, False])
def test_server_sends_the_ack_only_once_its_lease_is_durable(tmp_path, disk_ok):
    fsync = GatedFsync()
    server, sent = make_server(tmp_path, fsync)
    try:
        offer = dora(server, sent, 1)
        assert [p.message_type for p in sent] == [wire.DHCPOFFER]  # the ACK waits for the disk
        assert server.store.get(struct.unpack("!I", offer.yiaddr)[0]) is not None
        fsync.fail = not disk_ok
        fsync.gate.set()
        wake = server.store.wakeup_fd()
        assert wait_readable(wake)
        server._on_store_wakeup(wake)
        if disk_ok:
            assert [p.message_type for p in sent] == [wire.DHCPOFFER, wire.DHCPACK]
            assert sent[-1].yiaddr == offer.yiaddr
            assert server.stats.get("pkt4-ack-sent") == 1
        else:
            assert [p.message_type for p in sent] == [wire.DHCPOFFER]  # never told it has the lease
            assert server.stats.get("pkt4-ack-sent") == 0
            assert server.stats.get("lease-store-write-errors") == 1
    finally:
        server.close()


def test_held_acks_go_out_at_shutdown_once_synced(tmp_path):
    fsync = GatedFsync()
    server, sent = make_server(tmp_path, fsync)
    dora(server, sent, 2)
    assert [p.message_type for p in sent] == [wire.DHCPOFFER]
    fsync.gate.set()
    server.close()  # flushes the store first, then sends what became durable
    assert [p.message_type for p in sent] == [wire.DHCPOFFER, wire.DHCPACK]
