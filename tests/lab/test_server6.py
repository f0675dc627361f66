"""edge-dhcp's DHCPv6 server under the things that end or abuse a server: restarts, crashes under load,
hostile relay chains and malformed datagrams (issue "DHCPv6 I", durability).

What this shows, each with real clients and the server started as a user starts it (`python -m edge serve`):
- a clean restart (SIGTERM, start again on the same lease file and data directory) keeps every lease as
  lease6-get-all shows it, keeps the server-id (kea-dhcp6-serverid), and the client is renewed on the same
  address and prefix;
- a SIGKILL in the middle of a `perfdhcp -6` run (and of the lease-file compactions it causes) loses no
  lease the server had promised: every address and prefix in a REPLY seen leaving the server's interface
  is in the restarted server's store, held by the client it was sent to (the default sync mode, "batch",
  sends a committing REPLY only after the journal's fsync), and in the snapshot a clean stop writes;
- hostile relay chains and malformed messages are dropped and counted as pkt6-parse-failed, without an
  answer, without a traceback, and the server goes on answering.
Every check reads what the server answered, sent or stored, not what the test assumed.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import struct
import threading
from typing import Any

import pytest
from tinydb import TinyDB

from tests.lab import dhcp6msg as m
from tests.lab import kea6
from tests.lab.capture6 import Capture6, Datagram6
from tests.lab.clients6 import Dhclient6, PerfResult6, run_perfdhcp6
from tests.lab.common6 import (
    CLIENT_INDEX,
    CLIENT_MAC,
    PD_POOL,
    PERF_CLIENT_INDEX,
    POOL6,
    RELAYED_POOL6,
    SERVER_INDEX,
    in_range,
    start_kea6,
)
from tests.lab.crafted6 import CraftedClient6
from tests.lab.edge6 import Edge6Server
from tests.lab.fixtures import require
from tests.lab.kea6_peer import Peer6, duid
from tests.lab.netns import Lab
from tests.lab.netns6 import Site6, add_address6, build6

pytestmark = pytest.mark.lab

PD_NET = ipaddress.IPv6Network(f"{PD_POOL[0]}/{PD_POOL[1]}")
SO_RCVBUFFORCE = 33  # Linux (<asm-generic/socket.h>); the socket module does not name it
RELAY_SOURCE = "2001:db8:1::2"  # the crafted relay agent's own address on the client link


@pytest.fixture
def site(lab: Lab) -> Site6:
    return build6(lab, server_index=SERVER_INDEX, client_index=CLIENT_INDEX, client_mac=CLIENT_MAC)


def start_edge6(lab: Lab, site: Site6, **kwargs: Any) -> Edge6Server:
    server = start_kea6(lab, site, kind="edge", **kwargs)
    assert isinstance(server, Edge6Server)
    return server


def stored(server: Edge6Server) -> dict[tuple[str, str], dict[str, Any]]:
    """lease6-get-all over the control socket: {(ip-address, type): lease as the server answers it}."""
    answer = server.command("lease6-get-all")
    assert answer["result"] in (0, 3), answer  # 3: no lease at all
    leases = (answer.get("arguments") or {}).get("leases", [])
    return {(lease["ip-address"], lease["type"]): lease for lease in leases}


def server_duid(server: Edge6Server) -> bytes:
    text = server.server_id()
    assert text, "no kea-dhcp6-serverid file"
    return bytes.fromhex(text.strip().replace(":", ""))


def no_traceback(output: str) -> None:
    assert "Traceback" not in output, output[-4000:]


# -- a clean restart ---------------------------------------------------------------------------------------


def test_restart_keeps_every_lease_and_the_server_id(lab: Lab, site: Site6) -> None:
    require("dhclient")
    server = start_edge6(lab, site)
    client = Dhclient6(lab, site.client.ns, site.client.ifname, ia_na=1, ia_pd=1)
    lease = client.obtain()  # then dhclient -x: it exits and keeps its lease file
    (address,) = lease.addresses
    (prefix,) = lease.prefixes
    assert in_range(address, POOL6) and prefix.subnet_of(PD_NET), lease
    before = stored(server)
    assert set(before) == {(str(address), "IA_NA"), (str(prefix.network_address), "IA_PD")}
    assert all(row["duid"].replace(":", "") == lease.client_id for row in before.values())
    identity = server_duid(server)
    assert lease.server_id == identity.hex()

    first = server.proc
    assert first is not None
    assert server.stop() == 0  # SIGTERM: a clean exit
    no_traceback(first.output())
    server.restart()
    assert server.proc is not first
    assert "2 lease(s) in store" in server.output()

    # The same leases, field by field (lifetimes, cltt, DUID, IAID, hw-address, state), and the same DUID.
    assert stored(server) == before
    assert server_duid(server) == identity

    # A RENEW from the client's DUID for what it holds, naming the server-id it knew: the restarted server
    # must take it as its own and renew the same address and prefix.
    na_iaid, pd_iaid = (int(b.iaid, 16) for t in ("na", "pd") for b in lease.bindings if b.type == t)
    with Peer6(lab, site, identity) as peer:
        renew = peer.msg(
            m.RENEW,
            bytes.fromhex(lease.client_id or ""),
            server_id=True,
            ia_na=[(na_iaid, [str(address)])],
            ia_pd=[(pd_iaid, [str(prefix)])],
        )
        reply = peer.ask(renew)
    assert reply is not None and reply.name == "REPLY", "no REPLY to the RENEW after the restart"
    assert reply.get(m.SERVER_ID) == identity
    (na,) = m.ias(reply, m.IA_NA)
    (pd,) = m.ias(reply, m.IA_PD)
    assert [(a, valid > 0) for a, _, valid in na.addresses] == [(address, True)], na
    assert [(p, valid > 0) for p, _, valid in pd.prefixes] == [(prefix, True)], pd
    assert server.statistics()["pkt6-renew-received"] == 1

    # The real client, started again on its lease file (REBIND, as it holds a prefix), gets both back.
    again = client.restart()
    assert again.addresses == [address] and again.prefixes == [prefix], again
    assert set(stored(server)) == set(before)
    no_traceback(server.output())


# -- a crash under load --------------------------------------------------------------------------------------


def _committed(datagram: Datagram6) -> dict[tuple[str, str], str]:
    """What a REPLY the server sent gives out (valid lifetime > 0): {(address or prefix, type): DUID}."""
    if not datagram.outgoing or not datagram.payload or datagram.payload[0] != m.REPLY:
        return {}
    reply = datagram.message()
    holder = (reply.get(m.CLIENT_ID) or b"").hex(":")
    found = {
        (str(a), "IA_NA"): holder for ia in m.ias(reply, m.IA_NA) for a, _, valid in ia.addresses if valid
    }
    for ia in m.ias(reply, m.IA_PD):
        found.update({(str(p.network_address), "IA_PD"): holder for p, _, valid in ia.prefixes if valid})
    return found


def test_sigkill_under_perfdhcp_load_loses_no_committed_lease(lab: Lab) -> None:
    require("perfdhcp")
    site = build6(lab, server_index=SERVER_INDEX, client_index=PERF_CLIENT_INDEX)
    # Room for every client perfdhcp makes up: 65536 addresses and 65536 /64 prefixes.
    subnets = [
        kea6.subnet6(
            1,
            "2001:db8:1::/64",
            ["2001:db8:1::1:0-2001:db8:1::1:ffff"],
            pd_pools=[kea6.pd_pool("2001:db8:100::", 48, 64)],
            interface=site.server.ifname,
        )
    ]
    server = Edge6Server(
        lab, site.server.ns, interfaces=[f"{site.server.ifname}/{site.server.ip}"], subnets=subnets
    )
    database = server.config["Dhcp6"]["lease-database"]
    assert "sync" not in database  # the default: "batch"
    database["lfc-interval"] = 1  # compactions during the load: the kill may land in the middle of one
    server.start()
    first = server.proc
    assert first is not None

    perf: list[PerfResult6] = []
    rate, requests = 500, 2000  # four seconds of SOLICITs; the kill comes well before the end

    def load() -> None:
        perf.append(
            run_perfdhcp6(
                lab,
                site.client.ns,
                site.client.ifname,
                mode="address-and-prefix",
                rate=rate,
                num_request=requests,
                clients=100000,
                timeout=60,
            )
        )

    with Capture6(lab, site.server.ns, site.server.ifname) as capture:
        # Room for a burst while the reading thread waits for the GIL: a frame lost here would be a REPLY
        # whose lease the test never checks.
        capture.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
        runner = threading.Thread(target=load, daemon=True)
        runner.start()
        lab.wait_for(
            lambda: (
                sum(1 for d in capture.datagrams() if d.outgoing and d.payload[:1] == b"\x07") >= 100
                and "DHCPSRV_MEMFILE_LFC_DONE" in first.output()
            ),
            timeout=30,
            what="100 REPLYs from the server and a compaction under load",
        )
        assert runner.is_alive(), "perfdhcp ended before the kill"
        assert server.kill() == -signal.SIGKILL
        runner.join(60)
        assert not runner.is_alive(), "perfdhcp did not finish"
    (result,) = perf
    # A compaction child dies with the server (PR_SET_DEATHSIG): nothing is left to write the files.
    lab.wait_for(lambda: not lab.pids(site.server.ns), timeout=5, what="an empty server namespace")
    promised: dict[tuple[str, str], str] = {}
    replies = 0
    for datagram in capture.datagrams():
        got = _committed(datagram)
        replies += bool(got)
        promised.update(got)
    no_traceback(first.output())

    # The kill came in the middle of the run: perfdhcp went on soliciting a dead server.
    sent, answered = result.sent("SOLICIT-ADVERTISE"), result.received("SOLICIT-ADVERTISE")
    assert sent >= requests and sent - answered >= rate // 2, result.output[-1500:]  # (it may send one more)
    # The capture saw every REPLY perfdhcp saw (so "promised" is the whole set, not a sample of it).
    assert replies >= result.received("REQUEST-REPLY") >= 1, result.output[-1500:]
    assert {kind for _, kind in promised} == {"IA_NA", "IA_PD"}

    server.restart()
    kept = stored(server)
    missing = sorted(set(promised) - set(kept))
    assert not missing, f"{len(missing)} of {len(promised)} promised leases lost, e.g. {missing[:5]}"
    # ... each held by the client the REPLY went to.
    assert {key: kept[key]["duid"] for key in promised} == promised
    # Nothing beyond what was asked for: at most one address and one prefix per REQUEST perfdhcp sent.
    assert len(kept) <= 2 * result.sent("REQUEST-REPLY"), (len(kept), result.output[-1500:])
    loaded = server.output()
    no_traceback(loaded)
    assert "JournalCorrupt" not in loaded and "INIT_FAIL" not in loaded, loaded[-3000:]

    # A clean stop writes the snapshot: stock TinyDB reads the same leases from it.
    assert server.stop() == 0
    db = TinyDB(str(server.lease_path))
    try:
        docs = db.table("leases").all()
    finally:
        db.close()
    kinds = {0: "IA_NA", 2: "IA_PD"}
    snapshot = {(doc["address"], kinds[doc["lease_type"]]): doc["duid"] for doc in docs}
    assert snapshot == {key: lease["duid"] for key, lease in kept.items()}


# -- hostile relays and malformed messages --------------------------------------------------------------------


def _solicit(n: int, xid: int) -> m.Message:
    return m.Message(
        m.SOLICIT, xid, [(m.CLIENT_ID, duid(n)), (m.ELAPSED_TIME, m.elapsed()), (m.IA_NA, m.ia_na(1))]
    )


def _relay_header(link: str, peer: str, hop: int = 0) -> bytes:
    return (
        bytes((m.RELAY_FORW, hop)) + ipaddress.IPv6Address(link).packed + ipaddress.IPv6Address(peer).packed
    )


def _nested(inner: bytes, depth: int) -> bytes:
    """`depth` RELAY-FORW layers around `inner`, each with its own link/peer (no loop, only depth)."""
    for level in range(depth):
        inner = m.relay_forw(inner, link="2001:db8:2::1", peer=f"fe80::{level + 1:x}", hop=level).encode()
    return inner


def hostile_relays() -> dict[str, bytes]:
    """RELAY-FORW datagrams a server must refuse to decode (sent to it by unicast from a relay's port)."""
    solicit = _solicit(0x7001, 0x7E0001).encode()
    head = _relay_header("2001:db8:2::1", "fe80::99")
    return {
        "33 relay layers": _nested(solicit, 33),
        "a relay loop (two layers, same link and peer)": m.relay_forw(
            m.relay_forw(solicit, link="2001:db8:2::1", peer="fe80::7").encode(),
            link="2001:db8:2::1",
            peer="fe80::7",
            hop=1,
        ).encode(),
        "no relay-msg": head + m.option(m.INTERFACE_ID, b"eth0"),
        "relay-msg twice": head + m.option(m.RELAY_MSG, solicit) + m.option(m.RELAY_MSG, solicit),
        "an empty relay-msg": head + m.option(m.RELAY_MSG, b""),
        "a relay-msg of 3 bytes": head + m.option(m.RELAY_MSG, b"\x01\x00\x00"),
        "a relay-msg running past the datagram": head + struct.pack("!HH", m.RELAY_MSG, 500) + solicit,
        "a relay header cut at 20 bytes": head[:20],
        "an inner relay layer cut at 30 bytes": head + m.option(m.RELAY_MSG, head[:30]),
    }


def malformed_messages() -> dict[str, bytes]:
    """Client messages (to ff02::1:2 from port 546) a server must refuse to decode."""
    client = (m.CLIENT_ID, duid(0x7002))
    elapsed = (m.ELAPSED_TIME, m.elapsed())

    def solicit(*options: tuple[int, bytes]) -> bytes:
        return m.Message(m.SOLICIT, 0x7E0002, [client, elapsed, *options]).encode()

    short_iaaddr = m.option(m.IAADDR, ipaddress.IPv6Address(POOL6[0]).packed[:10])
    short_iaprefix = m.option(m.IAPREFIX, b"\x00" * 9)
    return {
        "three bytes": b"\x01\x00\x00",
        "an IA_NA of 4 bytes": solicit((m.IA_NA, b"\x00\x00\x00\x01")),
        "an IAADDR of 10 bytes": solicit((m.IA_NA, m.ia_na(1, 0, 0, short_iaaddr))),
        "an IAPREFIX of 9 bytes": solicit((m.IA_PD, m.ia_pd(2, 0, 0, short_iaprefix))),
        "an IA_NA sub-option running past the IA": solicit(
            (m.IA_NA, m.ia_na(1) + struct.pack("!HH", m.IAADDR, 24) + b"\x00" * 8)
        ),
        "client-fqdn with N and S set": solicit((m.IA_NA, m.ia_na(1)), (39, b"\x05")),
        "client-fqdn with a label past its end": solicit((m.IA_NA, m.ia_na(1)), (39, b"\x01\x09host")),
    }


def test_hostile_relays_and_malformed_messages_are_counted_and_dropped(lab: Lab, site: Site6) -> None:
    server = start_edge6(lab, site)
    add_address6(lab, site.client.ns, site.client.ifname, f"{RELAY_SOURCE}/64")
    relays, clients = hostile_relays(), malformed_messages()
    with (
        CraftedClient6(lab, site.client.ns, site.client.ifname, relay=True, source=RELAY_SOURCE) as relay,
        CraftedClient6(lab, site.client.ns, site.client.ifname) as client,
        Capture6(lab, site.server.ns, site.server.ifname) as capture,
    ):
        for data in relays.values():
            relay.send(data, to=str(site.server.ip))
        for data in clients.values():
            client.send(data)
        bad = len(relays) + len(clients)
        # Every datagram arrived and each one was a parse failure (Kea's pkt6-parse-failed) ...
        lab.wait_for(
            lambda: server.statistics().get("pkt6-received", 0) >= bad,
            what=f"the server to receive {bad} datagrams",
        )
        stats = server.statistics()
        assert stats["pkt6-received"] == bad, stats
        assert stats["pkt6-parse-failed"] == bad, stats
        assert stats["pkt6-receive-drop"] == bad, stats
        assert stats.get("pkt6-processing-failed", 0) == 0, stats
        # ... and none was answered.
        assert relay.collect(0.5) == [] and client.collect(0.5) == []
        assert [d for d in capture.datagrams() if d.outgoing] == []

        # The server goes on answering, directly and through a (well-behaved) relay.
        advertise = client.ask(_solicit(0x7003, 0x7E0003))
        assert advertise is not None and advertise.name == "ADVERTISE" and advertise.xid == 0x7E0003
        assert in_range(m.ias(advertise)[0].addresses[0][0], POOL6)
        forw = m.relay_forw(
            _solicit(0x7004, 0x7E0004).encode(), link="2001:db8:2::1", peer="fe80::44", relay_msg_last=True
        )
        repl = relay.ask(forw, to=str(site.server.ip))
        assert repl is not None and repl.name == "RELAY-REPL", "no RELAY-REPL to a good RELAY-FORW"
        inner = repl.inner()
        assert inner.name == "ADVERTISE" and in_range(m.ias(inner)[0].addresses[0][0], RELAYED_POOL6)
        # The depth limit is the only thing wrong with 33 layers: 32 (RFC 8415's HOP_COUNT_LIMIT, Kea's
        # too) are served, the answer wrapped in as many RELAY-REPL layers.
        deep = relay.exchange(_nested(_solicit(0x7005, 0x7E0005).encode(), 32), to=str(site.server.ip))
        assert deep is not None, "no answer to a RELAY-FORW 32 layers deep"
        layers, msg = 0, m.decode(deep)
        while msg.is_relay:
            assert msg.name == "RELAY-REPL"
            layers, msg = layers + 1, msg.inner()
        assert layers == 32 and msg.name == "ADVERTISE" and msg.xid == 0x7E0005
    stats = server.statistics()
    assert stats["pkt6-parse-failed"] == bad and stats["pkt6-advertise-sent"] == 3, stats
    assert server.proc is not None and server.proc.poll() is None
    no_traceback(server.output())
