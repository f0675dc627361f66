"""Capture real DHCPv4 client packets for tests/wire/vectors.py (needs root).

Run:  python -m tests.wire.capture_clients [--out FILE]

What it does, and what it leaves behind (nothing):
- makes two throw-away network namespaces, wcap-s (server side) and wcap-c
  (client side), joined by a veth pair wcapA/wcapB, and gives wcap-c its own
  /etc/netns/wcap-c/resolv.conf so no client can touch the host's;
- in wcap-s, a tiny responder bound to UDP 67 answers DISCOVER with OFFER and
  REQUEST with ACK (192.0.2.0/24, TEST-NET-1), so each client goes on from
  DISCOVER to REQUEST; it records every UDP payload it receives;
- runs ISC dhclient, busybox udhcpc and dhcpcd in wcap-c, one after another,
  each with a dummy script (/bin/true) and a time limit; dhcpcd runs with
  private directories bind-mounted over /run and /var/lib/dhcpcd (as the lab's
  Dhcpcd runner does), so its pid file, control socket and lease stay in the
  temporary directory, not on the host;
- deletes the namespaces, the veth pair and /etc/netns/wcap-c, even on error.

It prints each captured payload as hex, labelled with the client and message
type.  The expectations in vectors.py were then written by hand from the bytes.
No traffic leaves the two namespaces.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

NS_S = "wcap-s"
NS_C = "wcap-c"
VETH_S = "wcapA"
VETH_C = "wcapB"
SERVER_IP = "192.0.2.1"

RESPONDER = r"""
import socket, sys, time
sys.path.insert(0, sys.argv[1])
from edge.wire import addr as A
from edge.wire import pkt4 as P
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.bind(("0.0.0.0", 67))
s.settimeout(0.5)
end = time.time() + float(sys.argv[2])
n = 0
while time.time() < end:
    try:
        data, addr = s.recvfrom(4096)
    except socket.timeout:
        continue
    print("RX " + data.hex(), flush=True)
    try:
        req = P.decode(data)
    except ValueError:
        continue
    mt = req.message_type
    if mt not in (P.DHCPDISCOVER, P.DHCPREQUEST):
        continue
    n += 1
    r = P.make_reply(req, P.DHCPOFFER if mt == P.DHCPDISCOVER else P.DHCPACK)
    r.yiaddr = A.ip_to_bytes("192.0.2.50")
    r.set(P.OPT_SERVER_ID, A.ip_to_bytes("192.0.2.1"))
    r.set(P.OPT_LEASE_TIME, (3600).to_bytes(4, "big"))
    r.set(P.OPT_SUBNET_MASK, A.ip_to_bytes("255.255.255.0"))
    r.set(P.OPT_ROUTERS, A.ip_to_bytes("192.0.2.1"))
    s.sendto(P.encode(r), ("255.255.255.255", 68))
"""


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def setup():
    sh("ip", "netns", "add", NS_S)
    sh("ip", "netns", "add", NS_C)
    sh("ip", "link", "add", VETH_S, "netns", NS_S, "type", "veth", "peer", "name", VETH_C, "netns", NS_C)
    sh("ip", "-n", NS_S, "addr", "add", SERVER_IP + "/24", "dev", VETH_S)
    sh("ip", "-n", NS_S, "link", "set", VETH_S, "up")
    sh("ip", "-n", NS_S, "link", "set", "lo", "up")
    # limited broadcast (255.255.255.255) needs a route out of wcapA
    sh("ip", "-n", NS_S, "route", "add", "default", "dev", VETH_S)
    sh("ip", "-n", NS_C, "link", "set", VETH_C, "address", "02:00:5e:10:00:01")
    sh("ip", "-n", NS_C, "link", "set", VETH_C, "up")
    sh("ip", "-n", NS_C, "link", "set", "lo", "up")
    os.makedirs("/etc/netns/" + NS_C, exist_ok=True)
    with open(f"/etc/netns/{NS_C}/resolv.conf", "w") as f:
        f.write("# wcap-c throw-away resolv.conf\n")


def teardown():
    sh("ip", "netns", "del", NS_C, check=False)
    sh("ip", "netns", "del", NS_S, check=False)
    shutil.rmtree("/etc/netns/" + NS_C, ignore_errors=True)
    try:
        os.rmdir("/etc/netns")
    except OSError:
        pass


def run_client(label, argv, seconds, repo):
    """Start the responder, run one client for ``seconds``, return received payloads."""
    resp = subprocess.Popen(
        ["ip", "netns", "exec", NS_S, sys.executable, "-c", RESPONDER, repo, str(seconds + 2)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.7)
    client = subprocess.Popen(
        ["ip", "netns", "exec", NS_C] + argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        client.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        client.terminate()
        try:
            client.wait(timeout=3)
        except subprocess.TimeoutExpired:
            client.kill()
            client.wait()
    client_out = client.stdout.read().decode(errors="replace")
    if os.environ.get("WCAP_VERBOSE"):
        print(f"# {label} said:\n{client_out}", file=sys.stderr)
    out, err = resp.communicate(timeout=seconds + 10)
    if err.strip():
        print(f"# responder stderr ({label}): {err.strip()}", file=sys.stderr)
    # flush addresses a client may have configured, so the next one starts clean
    sh("ip", "-n", NS_C, "addr", "flush", "dev", VETH_C, check=False)
    return [bytes.fromhex(line[3:]) for line in out.splitlines() if line.startswith("RX ")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="also write the hex lines to this file")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (network namespaces)")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    tmp = tempfile.mkdtemp(prefix="wcap-")
    lines = []
    try:
        teardown()
        setup()
        conf = os.path.join(tmp, "dhcpcd.conf")
        with open(conf, "w") as f:
            f.write("hostname\noption domain_name_servers, domain_name, host_name\n")
        dconf = os.path.join(tmp, "dhclient.conf")
        with open(dconf, "w") as f:
            f.write(
                "option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;\n"
                'send host-name "wcap-dhclient";\n'
                "request subnet-mask, broadcast-address, time-offset, routers, domain-name,\n"
                "  domain-name-servers, domain-search, host-name, interface-mtu,\n"
                "  rfc3442-classless-static-routes, ntp-servers;\n"
            )
        # dhcpcd keeps state in /run and /var/lib/dhcpcd: give it private ones. `ip netns exec` already runs
        # the command in its own mount namespace, so these binds end with the client.
        private = {"/run": os.path.join(tmp, "run"), "/var/lib/dhcpcd": os.path.join(tmp, "dhcpcd-db")}
        for source in private.values():
            os.makedirs(source)
        binds = " && ".join(f"mount --bind {source} {target}" for target, source in private.items())
        clients = [
            (
                "dhclient",
                [
                    "dhclient",
                    "-4",
                    "-d",
                    "-1",
                    "-v",
                    "-sf",
                    "/bin/true",
                    "-lf",
                    os.path.join(tmp, "dhclient.leases"),
                    "-pf",
                    os.path.join(tmp, "dhclient.pid"),
                    "-cf",
                    dconf,
                    VETH_C,
                ],
                6,
            ),
            (
                "udhcpc",
                [
                    "udhcpc",
                    "-f",
                    "-q",
                    "-n",
                    "-t",
                    "3",
                    "-T",
                    "1",
                    "-i",
                    VETH_C,
                    "-s",
                    "/bin/true",
                    "-x",
                    "hostname:wcap-udhcpc",
                    "-V",
                    "wcap-test",
                ],
                6,
            ),
            (
                "dhcpcd",
                [
                    "/bin/sh",
                    "-c",
                    binds + ' && exec "$@"',
                    "wcap-binds",
                    "dhcpcd",
                    "-4",
                    "-B",
                    "-1",
                    "-t",
                    "5",
                    "-f",
                    conf,
                    "-c",
                    "/bin/true",
                    "-h",
                    "wcap-dhcpcd",
                    "--nolink",
                    VETH_C,
                ],
                7,
            ),
        ]
        for label, argv, secs in clients:
            for data in run_client(label, argv, secs, repo):
                mt = "?"
                try:
                    from edge.wire.pkt4 import MESSAGE_TYPE_NAMES, decode

                    mt = MESSAGE_TYPE_NAMES.get(decode(data).message_type, "?")
                except Exception as e:  # noqa: BLE001 - report, keep capturing
                    mt = f"undecodable: {e}"
                line = f"{label} {mt} {data.hex()}"
                lines.append(line)
                print(line)
    finally:
        teardown()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    socket.setdefaulttimeout(5)
    main()
