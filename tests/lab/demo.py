"""`make demo`: a throw-away network lab where real dhclients get a v4 and a v6 lease from one edge-dhcp.

What it does, in order, printing each step:
1. builds two network namespaces joined by a veth pair (server side ifindex 70000, client side 131072 —
   indexes above 65535 on purpose), IPv6 duplicate address detection off (tests/lab/netns6.py build6), the
   server end with 192.0.2.1/24 and 2001:db8:1::1/64;
2. writes two configuration files: the DHCPv4 built-in default for that interface (exactly what `serve`
   with no -c would use, only its lease file and control socket moved into the lab's temp dir) and a
   Dhcp6 one (an address pool and a prefix-delegation pool on the same link, its own lease file, server-id
   directory and control socket), and starts ONE `edge-dhcp serve -c v4.json -c v6.json`: both families
   in one process;
3. runs ISC dhclient in the client namespace (with the lab's own script and resolv.conf, so this machine's
   files are not touched) and prints the v4 lease it got; then `dhclient -6` asking for one address
   (IA_NA) and one prefix (IA_PD), and prints that lease the same way;
4. asks the server over each family's control channel (`edge-dhcp ctl` in the server namespace, on unix
   sockets in the lab's temp dir): status-get on the DHCPv4 socket (Kea's answer, as Stork reads it) and
   lease6-get-all on the DHCPv6 one, and prints the answers;
5. tears everything down, also on errors and Ctrl-C.
Traffic never leaves the two namespaces.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import sys
import time
from typing import Any

from edge.dhcp4.defaults import builtin_default
from tests.lab import kea6
from tests.lab.clients import Dhclient
from tests.lab.clients6 import Dhclient6
from tests.lab.edge import TwoFamilyServer
from tests.lab.netns import Lab, LabError, cleanup_stale
from tests.lab.netns6 import build6

SERVER_INDEX = 70000
CLIENT_INDEX = 131072
SERVER_V4 = ipaddress.IPv4Interface("192.0.2.1/24")
POOL6 = "2001:db8:1::100-2001:db8:1::1ff"
PD_POOL = ("2001:db8:8::", 56, 64)
DNS6 = "2001:db8:1::53"
DOMAIN6 = "lab.example"


def say(text: str) -> None:
    print(text, flush=True)


def show_json(doc: Any) -> None:
    for line in json.dumps(doc, indent=2).splitlines():
        say("  " + line)


def both_families(lab: Lab, ns: str, ifname: str, address: ipaddress.IPv4Interface) -> TwoFamilyServer:
    """One `edge-dhcp serve -c <Dhcp4 file> -c <Dhcp6 file>` in the server namespace: the DHCPv4 built-in
    default for `ifname`, and an address pool with a prefix-delegation pool on the same link."""
    subnet6 = kea6.subnet6(
        1,
        "2001:db8:1::/64",
        [POOL6],
        pd_pools=[kea6.pd_pool(*PD_POOL)],
        dns=DNS6,
        domain_search=DOMAIN6,
        interface=ifname,
    )
    dhcp6 = {
        "interfaces-config": {"interfaces": [ifname]},
        "preferred-lifetime": 3000,
        "valid-lifetime": 4000,
        "subnet6": [subnet6],
        "loggers": [{"name": "kea-dhcp6", "output_options": [{"output": "stdout"}], "severity": "INFO"}],
    }
    server = TwoFamilyServer(lab, ns, interfaces=[ifname], dhcp6=dhcp6)
    server.control_socket = str(server.dir / "dhcp4-ctrl.sock")
    server.config = builtin_default(ifname, str(address.ip), address.network.prefixlen, dns_servers=[])
    dhcp4 = server.config["Dhcp4"]
    dhcp4["lease-database"]["name"] = str(server.lease_path)
    dhcp4["control-socket"] = {"socket-type": "unix", "socket-name": server.control_socket}
    return server


def ctl_on(server: TwoFamilyServer, socket_path: str, command: str) -> dict[str, Any]:
    """`edge-dhcp ctl COMMAND --socket PATH` in the server's namespace; the answer (an empty result, exit 3,
    is an answer too)."""
    return server.ctl(command, check=False, socket=socket_path)


def main() -> int:
    if os.geteuid() != 0:
        say("make demo needs root: it creates network namespaces (sudo make demo)")
        return 1
    if shutil.which("dhclient") is None:
        say("dhclient is not installed (apt-get install isc-dhcp-client); `make demo` installs it")
        return 1
    started = time.monotonic()
    cleanup_stale()
    with Lab(prefix="edgedemo") as lab:
        site6 = build6(lab, server_index=SERVER_INDEX, client_index=CLIENT_INDEX)
        lab.ip(site6.server.ns, "addr", "add", str(SERVER_V4), "dev", site6.server.ifname)
        server_end = lab.endpoint(site6.server.ns, site6.server.ifname)
        client_end = lab.endpoint(site6.client.ns, site6.client.ifname)
        say(
            f"lab: server namespace {server_end.ns}, {server_end.ifname} (ifindex {server_end.ifindex}) "
            f"{SERVER_V4}, {site6.server.address}, {site6.server.link_local}"
        )
        say(
            f"     client namespace {client_end.ns}, {client_end.ifname} (ifindex {client_end.ifindex}) "
            f"MAC {client_end.mac}, {site6.client.link_local}"
        )
        server = both_families(lab, server_end.ns, server_end.ifname, SERVER_V4)
        say(
            f"starting: edge-dhcp serve -c {server.config_path.name} -c {server.config6_path.name}   "
            "(one process, both families)"
        )
        say(f"          {server.config_path.name}: the DHCPv4 built-in default for {server_end.ifname}")
        say(
            f"          {server.config6_path.name}: pool {POOL6}, prefixes /{PD_POOL[2]} from {PD_POOL[0]}/{PD_POOL[1]}"
        )
        try:
            server.start()
            client = Dhclient(lab, client_end.ns, client_end.ifname)
            say("running:  dhclient in the client namespace")
            lease = client.obtain()
            client6 = Dhclient6(lab, site6.client.ns, site6.client.ifname, ia_na=1, ia_pd=1)
            say("running:  dhclient -6 -N -P in the client namespace (one address, one prefix)")
            lease6 = client6.obtain()
        except LabError as exc:
            say(f"demo failed: {exc}")
            say("--- edge-dhcp log ---")
            say(server.output())
            return 1
        say("")
        say(f"  dhclient got   {lease.address}/{lease.prefix_len}")
        say(f"  router         {', '.join(map(str, lease.routers)) or '-'}")
        say(f"  DNS servers    {', '.join(map(str, lease.dns_servers)) or '-'}")
        say(f"  lease time     {lease.lease_time} s")
        say(f"  server id      {lease.server_id}")
        say("")
        for binding in lease6.bindings:
            what = binding.address if binding.type == "na" else binding.prefix
            label = "dhclient -6 got" if binding.type == "na" else "delegated     "
            say(
                f"  {label} {what}   ({'IA_NA' if binding.type == 'na' else 'IA_PD'} {binding.iaid}, "
                f"preferred {binding.preferred} s, valid {binding.valid} s)"
            )
        say(f"  DNS servers     {', '.join(map(str, lease6.dns_servers)) or '-'}")
        say(f"  domain search   {', '.join(lease6.domain_search) or '-'}")
        say(f"  server id       {lease6.server_id or '-'}   (DUID)")
        say("")
        say("--- edge-dhcp log ---")
        for line in server.output().splitlines():
            say("  " + line)
        say("")
        try:
            say(f"control:  edge-dhcp ctl status-get --socket {server.control_socket}   (in {server_end.ns})")
            show_json(ctl_on(server, server.control_socket, "status-get"))
            say(f"control:  edge-dhcp ctl lease6-get-all --socket {server.control_socket6}")
            show_json(ctl_on(server, server.control_socket6, "lease6-get-all"))
        except LabError as exc:
            say(f"demo failed: the control channel did not answer: {exc}")
            return 1
        server.stop()
    say(f"lab torn down; demo took {time.monotonic() - started:.1f} s")
    say("the web dashboard of the same lab, in your browser: make demo-dashboard")
    return 0


if __name__ == "__main__":
    sys.exit(main())
