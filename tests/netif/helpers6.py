"""IPv6 pieces of the netif namespace tests: DAD-free links, link-local lookup, client sockets.

Lab hygiene for v6 (tests/lab/netns.py's rules plus one): duplicate address detection is off on every lab
link before it comes up (accept_dad=0 for all, default and the interface itself), and static addresses are
added with `nodad`, so no address is ever tentative and nothing waits on DAD.
"""

from __future__ import annotations

import json
import socket

from tests.lab.netns import Lab


def dad_off(lab: Lab, ns: str, ifname: str | None = None) -> None:
    """accept_dad=0 for all/default in `ns` (before links appear), or for `ifname` (before it is up)."""
    for key in ("all", "default") if ifname is None else (ifname,):
        lab.sysctl(ns, f"net.ipv6.conf.{key}.accept_dad", "0")


def namespace6(lab: Lab, role: str) -> str:
    ns = lab.add_namespace(role)
    dad_off(lab, ns)
    return ns


def link6(
    lab: Lab,
    a: tuple[str, str],
    b: tuple[str, str],
    *,
    a_index: int | None = None,
    b_index: int | None = None,
    a_addresses: tuple[str, ...] = (),
    b_addresses: tuple[str, ...] = (),
    up: bool = True,
) -> None:
    """A veth pair with DAD off on both ends, static addresses `nodad`, then (optionally) up."""
    lab.add_link(a, b, a_index=a_index, b_index=b_index, up=False)
    for (ns, ifname), addresses in ((a, a_addresses), (b, b_addresses)):
        dad_off(lab, ns, ifname)
        for address in addresses:
            lab.ip(ns, "addr", "add", address, "dev", ifname, "nodad")
    if up:
        for ns, ifname in (a, b):
            lab.ip(ns, "link", "set", ifname, "up")
        for ns, ifname in (a, b):
            lab.wait_for(
                lambda ns=ns, ifname=ifname: link_local(lab, ns, ifname), what=f"{ifname} link-local"
            )


def addresses6(lab: Lab, ns: str, ifname: str) -> list[dict]:
    info = json.loads(lab.ip(ns, "-j", "addr", "show", "dev", ifname).stdout)[0]
    return [e for e in info.get("addr_info", []) if e.get("family") == "inet6"]


def link_local(lab: Lab, ns: str, ifname: str) -> str | None:
    """The interface's link-local address once it is usable (not tentative), else None."""
    for entry in addresses6(lab, ns, ifname):
        if entry.get("scope") == "link" and not entry.get("tentative") and not entry.get("dadfailed"):
            return str(entry["local"])
    return None


def client_socket(
    lab: Lab, ns: str, ifname: str, port: int = 546, address: str | None = None
) -> socket.socket:
    """A UDP socket in `ns` bound to [address or the link-local of ifname]:port, scoped to ifname."""
    with lab.inside(ns):
        index = socket.if_nametoindex(ifname)
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        host = address or link_local(lab, ns, ifname)
        assert host is not None, f"{ifname} has no link-local address"
        scope = index if host.startswith("fe80") else 0
        sock.bind((host, port, 0, scope))
    sock.setblocking(False)
    return sock
