"""`make demo-dashboard`: the lab of `make demo`, with the dashboard open to this machine's browser.

What it does, in order, printing each step:
1. builds the lab: a server namespace with two links, each to a client namespace of its own (two subnets,
   192.0.2.0/24 and 198.51.100.0/24);
2. starts `edge-dhcp serve` with a configuration for both links and an HTTP control socket on the server
   namespace's loopback (127.0.0.1:8000 there: no password is needed for a loopback listener);
3. runs a real dhclient in each client namespace (host names "laptop" and "printer");
4. forwards 127.0.0.1:PORT of this machine (8000, or the next free port) into the server namespace's
   127.0.0.1:8000, prints the URL, and waits for Enter while you look: release a lease, reload the
   configuration, or run `dhclient` again in a client namespace (the command is printed) and watch the
   event list;
5. tears everything down, also on errors and Ctrl-C.
Traffic never leaves this machine's loopback and the lab's namespaces. `--check` fetches the page and
/metrics through the forwarder instead of waiting (tests/dashboard/test_demo.py runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import threading
import time
import urllib.request

from tests.lab.clients import Dhclient
from tests.lab.edge import EdgeServer
from tests.lab.kea import subnet
from tests.lab.netns import Lab, LabError, cleanup_stale

NS_PORT = 8000


def say(text: str) -> None:
    print(text, flush=True)


class Forwarder:
    """127.0.0.1:port on this machine -> 127.0.0.1:NS_PORT inside a lab namespace, one thread per direction."""

    def __init__(self, lab: Lab, ns: str, port: int) -> None:
        self.lab, self.ns = lab, ns
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for candidate in range(port, port + 50):
            try:
                self.listener.bind(("127.0.0.1", candidate))
                break
            except OSError:
                continue
        else:
            raise LabError(f"no free port on 127.0.0.1 from {port} to {port + 49}")
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            try:
                with self.lab.inside(self.ns):  # the upstream socket is made, and stays, in the namespace
                    upstream = socket.create_connection(("127.0.0.1", NS_PORT), timeout=10)
            except OSError:
                conn.close()
                continue
            for source, target in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self.closed = True
        self.listener.close()


def wait_for_enter(url: str, clients: list[Dhclient]) -> None:
    say("")
    say(f"  dashboard  {url}")
    say(f"  metrics    {url}metrics")
    say("")
    say("The lab stays up until you press Enter. Type r and Enter to have the laptop's dhclient ask")
    say("again (watch the event list), p for the printer's.")
    while True:
        try:
            line = input().strip().lower()
        except EOFError:  # no terminal: wait for Ctrl-C instead
            while True:
                time.sleep(3600)
        if not line:
            return
        if line in ("r", "p"):
            client = clients[0 if line == "r" else 1]
            say(f"  {client.hostname}: {client.renew().address}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 to open (default 8000)")
    parser.add_argument("--check", action="store_true", help="fetch the page and /metrics, then tear down")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        say("make demo-dashboard needs root: it creates network namespaces (sudo make demo-dashboard)")
        return 1
    if shutil.which("dhclient") is None:
        say("dhclient is not installed (apt-get install isc-dhcp-client); `make system-deps` installs it")
        return 1
    cleanup_stale()
    with Lab(prefix="edgedash") as lab:
        site = lab.build()
        second_ns = lab.add_namespace("client2")
        lab.add_link((site.server.ns, "srv1"), (second_ns, "cli0"), a_address="198.51.100.1/24")
        say(
            f"lab: server namespace {site.server.ns}: {site.server.ifname} {site.server.address}, srv1 198.51.100.1/24"
        )
        say(f"     client namespaces {site.client.ns} and {second_ns}")
        control = [{"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": NS_PORT}]
        server = EdgeServer(
            lab,
            site.server.ns,
            interfaces=[site.server.ifname, "srv1"],
            subnets=[
                subnet(1, "192.0.2.0/24", "192.0.2.100 - 192.0.2.199", routers="192.0.2.1"),
                subnet(2, "198.51.100.0/24", "198.51.100.50 - 198.51.100.69", routers="198.51.100.1"),
            ],
            valid_lifetime=900,
            extra={"control-sockets": control},
        )
        forwarder = None
        result = 0
        try:
            say("starting: edge-dhcp serve -c " + str(server.config_path))
            server.start()
            clients = []
            for ns, ifname, name in (
                (site.client.ns, site.client.ifname, "laptop"),
                (second_ns, "cli0", "printer"),
            ):
                client = Dhclient(lab, ns, ifname, hostname=name)
                lease = client.obtain()
                clients.append(client)
                say(f"  dhclient ({name}) in {ns} got {lease.address}/{lease.prefix_len}")
            forwarder = Forwarder(lab, site.server.ns, args.port)
            url = f"http://127.0.0.1:{forwarder.port}/"
            if args.check:
                with urllib.request.urlopen(url, timeout=10) as reply:
                    page = reply.read()
                with urllib.request.urlopen(url + "api/summary", timeout=10) as reply:
                    summary = json.loads(reply.read())
                with urllib.request.urlopen(url + "metrics", timeout=10) as reply:
                    metrics = reply.read().decode()
                assigned = sum(s["resources"][0]["assigned"] for s in summary["families"][0]["subnets"])
                ok = (
                    b"dashboard.js" in page
                    and assigned == 2
                    and "kea_dhcp4_addresses_assigned_total" in metrics
                )
                say(
                    f"check: page {len(page)} bytes, {assigned} lease(s) in the summary, /metrics "
                    f"{len(metrics)} bytes: {'ok' if ok else 'NOT OK'}"
                )
                result = 0 if ok else 1
            else:
                wait_for_enter(url, clients)
        except LabError as exc:
            say(f"demo failed: {exc}")
            say("--- edge-dhcp log ---")
            say(server.output())
            result = 1
        except KeyboardInterrupt:
            say("")
        finally:
            if forwarder is not None:
                forwarder.close()
            server.stop()
    say("lab torn down")
    return result


if __name__ == "__main__":
    sys.exit(main())
