"""The disk-full scenario of test_diskfull.py, run inside a private mount namespace (`unshare -m`) where a
small tmpfs is mounted over the scenario's directory, so the full disk is real and nothing outside sees it.

Prints one JSON object with what happened; the test asserts on it.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import subprocess
import sys

from edge.dhcp4.engine import Engine
from edge.dhcp4.lease_store import MemfileLeaseStore4
from edge.stats import Statistics
from edge.wire import pkt4 as wire
from tests.dhcp4.helpers import SERVER, client_packet, local_inbound, mac, make_config


def main(directory: str) -> None:
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "edge-diskfull", directory], check=True)
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logging.getLogger("edge").addHandler(Collect())
    logging.getLogger("edge").setLevel(logging.INFO)
    path = os.path.join(directory, "leases.json")
    store = MemfileLeaseStore4(path, sync="batch")
    stats = Statistics()
    store.use_statistics(stats)
    engine = Engine(make_config(pool=("192.0.2.10", "192.0.2.250")), store, stats)
    now = 1_800_000_000.0

    def dora(n: int) -> tuple[int, bool]:
        offer = engine.handle(wire.encode(client_packet(wire.DHCPDISCOVER, mac(n))), local_inbound(), now)
        yiaddr = wire.decode(offer.payload).yiaddr
        request = client_packet(
            wire.DHCPREQUEST,
            mac(n),
            options={wire.OPT_SERVER_ID: struct.pack("!I", SERVER), wire.OPT_REQUESTED_IP: yiaddr},
        )
        ack = engine.handle(wire.encode(request), local_inbound(), now)
        if ack is not None:
            store.flush()  # what the server waits for before sending the ACK
        return struct.unpack("!I", yiaddr)[0], ack is not None and ack.wait_seq <= store.durable_seq

    acked = {}
    for n in range(1, 4):
        address, ok = dora(n)
        assert ok
        acked[address] = mac(n).hex(":")
    filler = os.path.join(directory, "filler")
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    refused = None
    for n in range(4, 120):  # until the journal's last page is full too
        address, ok = dora(n)
        if not ok:
            refused = (n, address)
            break
        acked[address] = mac(n).hex(":")
    assert refused is not None, "the disk never filled up"
    refused_n, refused_address = refused
    size_when_full = os.path.getsize(path + ".journal")
    second_try = dora(refused_n)[1]  # still full: still no ACK
    journal_unchanged = os.path.getsize(path + ".journal") == size_when_full  # no half record left behind
    compaction_started = store.start_compaction()
    store.wait_compaction()
    lease_after_refusal = store.get(refused_address)
    state = {
        "refused_lease_in_memory": lease_after_refusal is not None
        and lease_after_refusal.hwaddr == mac(refused_n),
        "second_try_acked": second_try,
        "journal_unchanged": journal_unchanged,
        "compaction_failures_while_full": store.compaction_failures if compaction_started else -1,
        "write_errors": stats.get("lease-store-write-errors"),
        "receive_drops": stats.get("pkt4-receive-drop"),
    }
    os.unlink(filler)  # space returns
    address, ok = dora(refused_n)
    state["acked_after_space_returned"] = ok  # (the allocator may pick another address: its business)
    acked[address] = mac(refused_n).hex(":")
    store.abandon()  # as if killed: the journal alone must hold every ACKed lease, cleanly
    reopened = MemfileLeaseStore4(path, readonly=True)
    state["lost"] = [
        a for a, hw in acked.items() if (reopened.get(a) is None or reopened.get(a).hwaddr.hex(":") != hw)
    ]
    state["acked"] = len(acked)
    state["logged_fail"] = any("DHCPSRV_MEMFILE_WRITE_FAIL" in r for r in records)
    state["logged_recovered"] = any("DHCPSRV_MEMFILE_WRITE_RECOVERED" in r for r in records)
    state["logged_lfc_fail"] = any("DHCPSRV_MEMFILE_LFC_FAIL" in r for r in records)
    state["no_temporaries"] = not [name for name in os.listdir(directory) if ".tmp." in name]
    print(json.dumps(state))


if __name__ == "__main__":
    main(sys.argv[1])
