"""`make demo`: a throw-away network lab where a real dhclient gets a lease from edge-dhcp.

What it does, in order, printing each step:
1. builds two network namespaces joined by a veth pair (server side ifindex 70000, client side 131072 —
   indexes above 65535 on purpose);
2. starts `edge-dhcp serve` with no configuration file, i.e. the built-in default: one subnet on the first
   interface with an address, a modest pool;
3. runs ISC dhclient in the client namespace (with the lab's own script and resolv.conf, so this machine's
   files are not touched) and prints the lease it got;
4. asks the server over its control channel (`edge-dhcp ctl status-get` in the server namespace, on a
   unix socket in the lab's temp dir) and prints the answer: Kea's status-get, as Stork reads it;
5. tears everything down, also on errors and Ctrl-C.
Traffic never leaves the two namespaces.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

from tests.lab.clients import Dhclient
from tests.lab.edge import EdgeServer
from tests.lab.netns import Lab, LabError, cleanup_stale


def say(text: str) -> None:
    print(text, flush=True)


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
        site = lab.build(server_index=70000, client_index=131072)
        say(
            f"lab: server namespace {site.server.ns}, {site.server.ifname} (ifindex {site.server.ifindex}) "
            f"{site.server.address}"
        )
        say(
            f"     client namespace {site.client.ns}, {site.client.ifname} (ifindex {site.client.ifindex}) "
            f"MAC {site.client.mac}"
        )
        server = EdgeServer(lab, site.server.ns, interfaces=[site.server.ifname], builtin_default=True)
        say("starting: edge-dhcp serve   (no -c: the built-in default configuration)")
        try:
            server.start()
            client = Dhclient(lab, site.client.ns, site.client.ifname)
            say("running:  dhclient in the client namespace")
            lease = client.obtain()
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
        say("--- edge-dhcp log ---")
        for line in server.output().splitlines():
            say("  " + line)
        say("")
        say(f"control:  edge-dhcp ctl status-get --socket {server.control_socket}   (in {site.server.ns})")
        try:
            status = server.ctl("status-get")
        except LabError as exc:
            say(f"demo failed: the control channel did not answer: {exc}")
            return 1
        for line in json.dumps(status, indent=2).splitlines():
            say("  " + line)
        server.stop()
    say(f"lab torn down; demo took {time.monotonic() - started:.1f} s")
    say("the web dashboard of the same lab, in your browser: make demo-dashboard")
    return 0


if __name__ == "__main__":
    sys.exit(main())
