"""Capture real DHCPv6 exchanges (real clients and tools against Kea 2.2's kea-dhcp6) into tests/wire/captures6/.

Run (root; Debian's isc-dhcp-client, dhcpcd-base, isc-dhcp-relay, kea-dhcp6-server, kea-admin):

    python -m tests.wire.capture6 [--out DIR] [--only NAME ...] [--list]

Each scenario builds a fresh lab (tests/lab/netns6.py: network namespaces, DAD off, the server on ifindex
70000 with MAC 02:00:5e:10:00:01, the client on 131072 with MAC 02:00:5e:10:00:02), starts kea-dhcp6 with
the config written into the file, drives one real client the way the lab runners do (our own scripts and
private lease/DUID files, never the machine's), and records every DHCPv6 datagram on the server's link
(and, for the relay, on the client's link too). Nothing leaves the namespaces; the lab is torn down even
on errors.

One JSON file per scenario: name, description, the tool and Kea versions, the Kea config, and the
datagrams in order: link, outgoing (sent from the capturing namespace), direction (client->server /
server->client), source and destination
[address]:port, message type, the payload as hex, and a decoded view (tests/lab/dhcp6msg.py, an
independent test-side decoder). DUID-LLT times and transaction ids differ between runs; everything else
is reproducible. These files are codec vectors and the seed corpus of the v6 fuzzer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.lab import dhcp6msg as m
from tests.lab import kea6
from tests.lab.capture6 import Capture6
from tests.lab.clients6 import Dhclient6, Dhcpcd6, run_perfdhcp6
from tests.lab.common6 import CLIENT_INDEX, CLIENT_MAC, PERF_CLIENT_INDEX, SERVER_INDEX, SERVER_MAC
from tests.lab.kea6_peer import Peer6
from tests.lab.netns import Lab
from tests.lab.netns6 import Site6, add_address6, build6
from tests.lab.relay6 import DhcpRelay6

OUT = Path(__file__).resolve().parent / "captures6"


def subnets(relayed: bool = False, rapid: bool = False) -> list[dict[str, Any]]:
    local = kea6.subnet6(
        1,
        "2001:db8:1::/64",
        ["2001:db8:1::100-2001:db8:1::1ff"],
        pd_pools=[kea6.pd_pool("2001:db8:8::", 56, 64)],
        dns="2001:db8:1::53",
        domain_search="lab.example",
        interface="srv0",
        rapid_commit=rapid,
    )
    behind = kea6.subnet6(
        2,
        "2001:db8:2::/64",
        ["2001:db8:2::100-2001:db8:2::1ff"],
        pd_pools=[kea6.pd_pool("2001:db8:9::", 56, 64)],
        dns="2001:db8:2::53",
    )
    return [local, behind] if relayed else [local]


@dataclass
class Run:
    lab: Lab
    site: Site6
    server: kea6.Kea6Server
    captures: dict[str, Capture6]


def start(lab: Lab, *, relayed: bool = False, client_index: int = CLIENT_INDEX, **kwargs: Any) -> Run:
    site = build6(
        lab,
        relay=relayed,
        server_index=SERVER_INDEX,
        client_index=client_index,
        server_mac=SERVER_MAC,
        client_mac=CLIENT_MAC,
    )
    rapid = kwargs.pop("rapid", False)
    server = kea6.Kea6Server(
        lab,
        site.server.ns,
        interfaces=[f"srv0/{site.server.ip}"],
        subnets=subnets(relayed, rapid),
        **kwargs,
    ).start()
    captures = {"server-link": Capture6(lab, site.server.ns, "srv0")}
    if relayed:
        captures["client-link"] = Capture6(lab, site.client.ns, "cli0")
    return Run(lab, site, server, captures)


def settle(run: Run, seconds: float = 0.5) -> None:
    time.sleep(seconds)  # the last answer may still be crossing the veth when the client has reported
    for capture in run.captures.values():
        capture.close()


# -- scenarios --------------------------------------------------------------------------------------------


def dhclient(run: Run, **kwargs: Any) -> Dhclient6:
    return Dhclient6(run.lab, run.site.client.ns, "cli0", **kwargs)


def sc_dhclient_ia_na(lab: Lab) -> Run:
    run = start(lab)
    dhclient(run).obtain()
    settle(run)
    return run


def sc_dhclient_rapid_commit(lab: Lab) -> Run:
    run = start(lab, rapid=True)
    dhclient(run, rapid_commit=True).obtain()
    settle(run)
    return run


def sc_dhclient_ia_pd(lab: Lab) -> Run:
    run = start(lab)
    dhclient(run, ia_na=0, ia_pd=1).obtain()
    settle(run)
    return run


def sc_dhclient_several_ia(lab: Lab) -> Run:
    run = start(lab)
    dhclient(run, ia_na=2, ia_pd=1).obtain()
    settle(run)
    return run


def sc_dhclient_renew(lab: Lab) -> Run:
    run = start(lab, renew_timer=2, rebind_timer=100)
    client = dhclient(run)
    client.obtain(background=True)
    client.wait_renewal()
    settle(run)
    client.stop()
    return run


def sc_dhclient_confirm(lab: Lab) -> Run:
    run = start(lab)
    client = dhclient(run)
    client.obtain()
    client.restart()
    settle(run)
    return run


def sc_dhclient_rebind(lab: Lab) -> Run:
    run = start(lab)
    client = dhclient(run, ia_pd=1)
    client.obtain()
    client.restart()
    settle(run)
    return run


def sc_dhclient_release(lab: Lab) -> Run:
    run = start(lab)
    client = dhclient(run, ia_pd=1)
    client.obtain()
    client.release()
    settle(run)
    return run


def sc_dhclient_decline(lab: Lab) -> Run:
    run = start(lab)
    dhclient(run, decline=1).obtain()
    settle(run)
    return run


def sc_dhclient_inform(lab: Lab) -> Run:
    run = start(lab)
    client = dhclient(run, stateless=True)
    client.obtain()
    settle(run)
    client.stop()
    return run


def sc_dhcpcd(lab: Lab) -> Run:
    run = start(lab)
    client = Dhcpcd6(lab, run.site.client.ns, "cli0", ia_pd=1)
    client.obtain()
    client.release()  # restarts on the saved lease (CONFIRM or REBIND), then RELEASE
    settle(run)
    return run


def sc_dhcpcd_rapid_commit(lab: Lab) -> Run:
    run = start(lab, rapid=True)
    Dhcpcd6(lab, run.site.client.ns, "cli0", rapid_commit=True).obtain()
    settle(run)
    return run


def sc_dhcrelay(lab: Lab) -> Run:
    run = start(lab, relayed=True)
    assert run.site.relay_ns is not None
    DhcpRelay6(
        lab, run.site.relay_ns, lower=["down0"], upper=[f"{run.site.server.ip}%up0"], interface_id=True
    ).start()
    client = dhclient(run, ia_pd=1)
    client.obtain()
    client.release()
    settle(run)
    return run


def _perf(lab: Lab, mode: str) -> Run:
    run = start(lab, client_index=PERF_CLIENT_INDEX)
    result = run_perfdhcp6(lab, run.site.client.ns, "cli0", mode=mode, rate=5, num_request=3)
    if result.received("REQUEST-REPLY") == 0:
        raise RuntimeError(f"perfdhcp -6 {mode} got no replies:\n{result.output[-1500:]}")
    settle(run)
    return run


def sc_perfdhcp_address(lab: Lab) -> Run:
    return _perf(lab, "address-only")


def sc_perfdhcp_prefix(lab: Lab) -> Run:
    return _perf(lab, "prefix-only")


def sc_kea_status_answers(lab: Lab) -> Run:
    """Crafted requests drawing Kea's status-code answers: NoAddrsAvail/NoPrefixAvail, NoBinding, NotOnLink."""
    site = build6(
        lab,
        server_index=SERVER_INDEX,
        client_index=CLIENT_INDEX,
        server_mac=SERVER_MAC,
        client_mac=CLIENT_MAC,
    )
    tiny = kea6.subnet6(
        1,
        "2001:db8:1::/64",
        ["2001:db8:1::100-2001:db8:1::100"],
        interface="srv0",
        pd_pools=[kea6.pd_pool("2001:db8:8::", 64, 64)],
    )
    server = kea6.Kea6Server(lab, site.server.ns, interfaces=["srv0"], subnets=[tiny]).start()
    run = Run(lab, site, server, {"server-link": Capture6(lab, site.server.ns, "srv0")})
    sid = bytes.fromhex((server.server_id() or "").replace(":", ""))
    with Peer6(lab, site, sid) as peer:
        peer.lease(1)
        peer.lease(1, iaid=2, pd=True)
        peer.ask(peer.msg(m.SOLICIT, 2, ia_na=[(1, [])], ia_pd=[(2, [])]))  # pools exhausted
        peer.ask(peer.msg(m.RELEASE, 2, server_id=True, ia_na=[(1, ["2001:db8:1::100"])]))  # not theirs
        peer.ask(peer.msg(m.DECLINE, 2, server_id=True, ia_na=[(1, ["2001:db8:1::100"])]))
        peer.ask(peer.msg(m.CONFIRM, 2, ia_na=[(1, ["2001:db8:99::1"])]))  # not on link
        peer.ask(peer.msg(m.CONFIRM, 2, ia_na=[(1, ["2001:db8:1::77"])]))  # on link
        peer.ask(peer.msg(m.INFORMATION_REQUEST, 2, oro=[23]))
    settle(run)
    return run


def sc_relay_crafted(lab: Lab) -> Run:
    """A crafted relay agent: RELAY-FORW with interface-id and remote-id, and two nested relays."""
    site = build6(
        lab,
        server_index=SERVER_INDEX,
        client_index=CLIENT_INDEX,
        server_mac=SERVER_MAC,
        client_mac=CLIENT_MAC,
    )
    add_address6(lab, site.client.ns, "cli0", "2001:db8:1::2/64")
    server = kea6.Kea6Server(
        lab, site.server.ns, interfaces=["srv0/2001:db8:1::1"], subnets=subnets(True)
    ).start()
    run = Run(lab, site, server, {"server-link": Capture6(lab, site.server.ns, "srv0")})
    with Peer6(lab, site, b"", relay=True, source="2001:db8:1::2") as relay:
        inner = relay.msg(m.SOLICIT, 3, ia_na=[(1, [])], oro=[23])
        one = m.relay_forw(
            inner.encode(),
            link="2001:db8:2::1",
            peer="fe80::3",
            options=[(m.INTERFACE_ID, b"eth7"), (37, b"\x00\x00\x09\xbfremote-7")],
        )
        relay.ask(one, to="2001:db8:1::1")
        outer = m.relay_forw(one.encode(), hop=1, link="2001:db8:1::2", peer="2001:db8:1::2")
        relay.ask(outer, to="2001:db8:1::1")
    settle(run)
    return run


SCENARIOS: dict[str, tuple[Callable[[Lab], Run], str, str]] = {
    "dhclient6-ia-na": (sc_dhclient_ia_na, "dhclient", "dhclient -6 -N: SOLICIT, ADVERTISE, REQUEST, REPLY"),
    "dhclient6-rapid-commit": (
        sc_dhclient_rapid_commit,
        "dhclient",
        "dhclient -6 with `send dhcp6.rapid-commit;`, subnet rapid-commit true: SOLICIT(14) -> REPLY(14)",
    ),
    "dhclient6-ia-pd": (
        sc_dhclient_ia_pd,
        "dhclient",
        "dhclient -6 -P: prefix delegation (IA_PD/IAPREFIX /64)",
    ),
    "dhclient6-several-ia": (
        sc_dhclient_several_ia,
        "dhclient",
        "dhclient -6 -N -N -P: two IA_NA and one IA_PD",
    ),
    "dhclient6-renew": (
        sc_dhclient_renew,
        "dhclient",
        "dhclient -6 renewing at T1 (renew-timer 2): RENEW -> REPLY",
    ),
    "dhclient6-confirm": (
        sc_dhclient_confirm,
        "dhclient",
        "dhclient -6 restarted on its saved IA_NA lease: CONFIRM -> REPLY 'All addresses are on-link'",
    ),
    "dhclient6-rebind": (
        sc_dhclient_rebind,
        "dhclient",
        "dhclient -6 -N -P restarted on its saved lease: REBIND (no server-id) -> REPLY",
    ),
    "dhclient6-release": (
        sc_dhclient_release,
        "dhclient",
        "dhclient -6 -r with IA_NA + IA_PD: RELEASE -> REPLY",
    ),
    "dhclient6-decline": (
        sc_dhclient_decline,
        "dhclient",
        "dhclient -6 whose script exits 3 on the first BOUND6: DECLINE -> REPLY, then a new SOLICIT",
    ),
    "dhclient6-inform": (
        sc_dhclient_inform,
        "dhclient",
        "dhclient -6 -S: INFORMATION-REQUEST -> REPLY (DUID-LL)",
    ),
    "dhcpcd6": (
        sc_dhcpcd,
        "dhcpcd",
        "dhcpcd -6 (ia_na 1, ia_pd 2): SOLICIT..REPLY, a restart on the saved lease, RELEASE",
    ),
    "dhcpcd6-rapid-commit": (
        sc_dhcpcd_rapid_commit,
        "dhcpcd",
        "dhcpcd -6 with `option dhcp6_rapid_commit`: SOLICIT(14) -> REPLY",
    ),
    "dhcrelay6": (
        sc_dhcrelay,
        "dhcrelay",
        "dhclient -6 -N -P through dhcrelay -6 -I: RELAY-FORW/RELAY-REPL (link-address 2001:db8:2::1, "
        "interface-id) on the server link, the plain messages on the client link, then a RELEASE",
    ),
    "perfdhcp6-address": (sc_perfdhcp_address, "perfdhcp", "perfdhcp -6 -e address-only, 3 exchanges"),
    "perfdhcp6-prefix": (sc_perfdhcp_prefix, "perfdhcp", "perfdhcp -6 -e prefix-only, 3 exchanges"),
    "kea6-status-answers": (
        sc_kea_status_answers,
        "crafted",
        "crafted messages drawing Kea's NoAddrsAvail/NoPrefixAvail (pools exhausted), NoBinding (RELEASE/DECLINE "
        "of another client's lease), NotOnLink and Success CONFIRM answers, and an INFORMATION-REQUEST",
    ),
    "kea6-relay-crafted": (
        sc_relay_crafted,
        "crafted",
        "a crafted relay agent: RELAY-FORW with interface-id + remote-id, and the same inside a second relay",
    ),
}


def versions() -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        text = (done.stdout + done.stderr).strip().splitlines()
        return text[0] if text else "unknown"

    return {
        "kea-dhcp6": first_line(["kea-dhcp6", "-v"]),
        "dhclient": first_line(["dhclient", "--version"]),
        "dhcpcd": first_line(["dhcpcd", "--version"]),
        "dhcrelay": first_line(["dhcrelay", "--version"]),
        "perfdhcp": first_line(["perfdhcp", "-v"]),
    }


def record(name: str, description: str, tool: str, run: Run, tools: dict[str, str]) -> dict[str, Any]:
    datagrams = []
    for link, capture in run.captures.items():
        for d in capture.datagrams():
            try:
                decoded: Any = m.describe(d.message())
            except ValueError as exc:
                decoded = {"error": str(exc)}
            # on the server's link what the server namespace sent; on the client's link what it received
            from_server = d.outgoing == (link == "server-link")
            datagrams.append(
                {
                    "time": d.time,
                    "link": link,
                    **d.record(),
                    "direction": "server->client" if from_server else "client->server",
                    "type": decoded.get("type", "?"),
                    "decoded": decoded,
                }
            )
    datagrams.sort(key=lambda entry: entry["time"])
    for entry in datagrams:
        del entry["time"]
    return {
        "name": name,
        "description": description,
        "tool": tool,
        "versions": {"kea-dhcp6": tools["kea-dhcp6"], **({tool: tools[tool]} if tool in tools else {})},
        "generated_by": "python -m tests.wire.capture6",
        "topology": {
            "server": {
                "ifindex": run.site.server.ifindex,
                "mac": run.site.server.mac,
                "link_local": str(run.site.server.link_local),
                "address": str(run.site.server.address),
            },
            "client": {
                "ifindex": run.site.client.ifindex,
                "mac": run.site.client.mac,
                "link_local": str(run.site.client.link_local),
            },
            "relayed": run.site.relayed,
        },
        "kea_config": run.server.config,
        "datagrams": datagrams,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        for name, (_, tool, description) in SCENARIOS.items():
            print(f"{name:24} {tool:9} {description}")
        return 0
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    tools = versions()
    failed = []
    for name, (scenario, tool, description) in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        try:
            with Lab() as lab:
                run = scenario(lab)
                data = record(name, description, tool, run, tools)
        except Exception as exc:  # report, go on with the others
            print(f"{name}: FAILED {exc}", file=sys.stderr)
            failed.append(name)
            continue
        config = data["kea_config"]["Dhcp6"]
        for key in ("lease-database", "control-socket", "data-directory"):
            config.pop(key, None)  # per-run temp paths
        (args.out / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
        kinds = " ".join(d["type"] for d in data["datagrams"])
        print(f"{name}: {len(data['datagrams'])} datagrams: {kinds}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
