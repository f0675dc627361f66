"""Debian's BIND 9 (`named`) and Kea's D2 (`kea-dhcp-ddns`) as real peers in a lab namespace.

Rules this module keeps:
- named runs in a lab namespace on that namespace's own loopback, with a config, zone files, journals
  and pid file under the lab's temp dir (`named -g -c FILE`: foreground, logging to the lab's log file,
  no /etc/bind, no rndc control channel). Nothing touches the machine's named (if one runs) or its port
  53: a network namespace has its own.
- The zones accept updates signed with one TSIG key and nothing else, so an unsigned or wrongly signed
  update would fail the tests.
- kea-dhcp-ddns runs the same way, its pid/lock files in the lab dir (KEA_PIDFILE_DIR/KEA_LOCKFILE_DIR).
- Both are started through Lab.popen (the lab kills them) and waited for on their log lines, never slept.
- `dig` (bind9-dnsutils) is what the tests look with, as an administrator would.
- Besides the v4 reverse zone, named also serves the nibble (ip6.arpa) reverse zone of the v6 lab's server
  link 2001:db8:1::/64 (tests/lab/netns6.py); `d2_document(ipv6=True)` adds it to reverse-ddns, so the v4
  tests' document stays exactly what it was.

Theory of operation: `d2_document()` is one Kea D2 configuration; the built-in updater and kea-dhcp-ddns
are given the very same document, so a scenario proves both read D2's schema the same way.
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import json
import shutil
import signal
import time
from pathlib import Path
from typing import Any

from tests.lab.netns import Lab, LabError, Proc

KEY_NAME = "edge-key"
SECRET = base64.b64encode(b"edge-dhcp lab tsig secret, 32 b!").decode()
FORWARD_ZONE = "home.example"
REVERSE_ZONE = "2.0.192.in-addr.arpa"
NETWORK6 = ipaddress.IPv6Network("2001:db8:1::/64")  # the v6 lab's server link (tests/lab/netns6.py)


def reverse_zone6(network: ipaddress.IPv6Network) -> str:
    """The ip6.arpa zone of a prefix whose length is a multiple of 4: one label per nibble, reversed."""
    if network.prefixlen % 4:
        raise ValueError(f"{network}: an ip6.arpa zone needs a prefix length that is a multiple of 4")
    nibbles = network.network_address.exploded.replace(":", "")[: network.prefixlen // 4]
    return ".".join(reversed(nibbles)) + ".ip6.arpa"


REVERSE_ZONE6 = reverse_zone6(NETWORK6)  # 0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa
D2_PORT = 53001
_ids = itertools.count(1)


def available() -> list[str]:
    """The programs these peers need that are missing."""
    wanted = ("named", "dig", "kea-dhcp-ddns")
    return [p for p in wanted if shutil.which(p) is None and not Path("/usr/sbin", p).exists()]


def d2_document(
    dns_port: int = 53, algorithm: str = "HMAC-SHA256", timeout_ms: int = 500, ipv6: bool = False
) -> dict[str, Any]:
    """A Kea D2 configuration for the lab's zones (its own daemon settings included, which the built-in
    updater accepts and ignores); `ipv6` also lists the ip6.arpa zone under reverse-ddns."""
    server = {"ip-address": "127.0.0.1", "port": dns_port}
    reverse = [REVERSE_ZONE] + ([REVERSE_ZONE6] if ipv6 else [])
    return {
        "DhcpDdns": {
            "ip-address": "127.0.0.1",
            "port": D2_PORT,
            "dns-server-timeout": timeout_ms,
            "ncr-protocol": "UDP",
            "ncr-format": "JSON",
            "tsig-keys": [{"name": KEY_NAME, "algorithm": algorithm, "secret": SECRET}],
            "forward-ddns": {
                "ddns-domains": [{"name": FORWARD_ZONE + ".", "key-name": KEY_NAME, "dns-servers": [server]}]
            },
            "reverse-ddns": {
                "ddns-domains": [
                    {"name": zone + ".", "key-name": KEY_NAME, "dns-servers": [server]} for zone in reverse
                ]
            },
            "loggers": [
                {"name": "kea-dhcp-ddns", "output_options": [{"output": "stdout"}], "severity": "INFO"}
            ],
        }
    }


class Named:
    def __init__(self, lab: Lab, ns: str, port: int = 53, algorithm: str = "hmac-sha256") -> None:
        self.lab = lab
        self.ns = ns
        self.port = port
        self.algorithm = algorithm
        self.dir = lab.tmp / f"named-{next(_ids)}"
        self.dir.mkdir()
        self.conf = self.dir / "named.conf"
        self.proc: Proc | None = None
        self._write()

    def _write(self) -> None:
        d = self.dir
        soa = (
            f"$TTL 300\n@ IN SOA ns.{FORWARD_ZONE}. admin.{FORWARD_ZONE}. 1 3600 600 86400 300\n"
            f"  IN NS ns.{FORWARD_ZONE}.\n"
        )
        (d / "forward.zone").write_text(soa + "ns IN A 127.0.0.1\nrouter IN A 192.0.2.1\n")
        (d / "reverse.zone").write_text(soa + f"1 IN PTR router.{FORWARD_ZONE}.\n")
        (d / "reverse6.zone").write_text(soa)
        zones = "".join(
            f'zone "{zone}" {{ type primary; file "{d / file}"; allow-update {{ key "{KEY_NAME}"; }}; }};\n'
            for zone, file in (
                (FORWARD_ZONE, "forward.zone"),
                (REVERSE_ZONE, "reverse.zone"),
                (REVERSE_ZONE6, "reverse6.zone"),
            )
        )
        self.conf.write_text(
            "options {\n"
            f'  directory "{d}";\n'
            f'  pid-file "{d}/named.pid";\n'
            f'  session-keyfile "{d}/session.key";\n'
            f'  managed-keys-directory "{d}";\n'
            f"  listen-on port {self.port} {{ 127.0.0.1; }};\n"
            "  listen-on-v6 { none; };\n"
            "  recursion no;\n"
            "  dnssec-validation no;\n"
            "  notify no;\n"
            "};\n"
            "controls { };\n"
            f'key "{KEY_NAME}" {{ algorithm {self.algorithm}; secret "{SECRET}"; }};\n' + zones
        )

    def start(self, timeout: float = 20.0) -> Named:
        self.proc = self.lab.popen(self.ns, ["named", "-g", "-n", "1", "-c", str(self.conf)], name="named")
        deadline = time.monotonic() + timeout
        while "running" not in self.proc.output():
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                out = self.proc.output()
                self.proc.stop()
                raise LabError(f"named did not start:\n{out}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            finally:
                self.proc.stop()

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""

    # -- looking, as an administrator would
    def dig(self, name: str, rdtype: str = "A") -> list[str]:
        done = self.lab.run(
            self.ns,
            ["dig", "+short", "+time=1", "+tries=2", "-p", str(self.port), "@127.0.0.1", name, rdtype],
        )
        return [line.strip() for line in done.stdout.splitlines() if line.strip()]

    def ptr(self, address: object) -> list[str]:
        """The PTR of an IPv4 (in-addr.arpa) or IPv6 (ip6.arpa, one label per nibble) address."""
        return self.dig(ipaddress.ip_address(str(address)).reverse_pointer, "PTR")

    @staticmethod
    def address_type(address: object) -> str:
        return "AAAA" if ipaddress.ip_address(str(address)).version == 6 else "A"

    def names_of(self, fqdn: str, address: object) -> dict[str, list[str]]:
        """Everything the tests care about for one client: A (AAAA for an IPv6 address), DHCID and PTR."""
        kind = self.address_type(address)
        return {kind: self.dig(fqdn, kind), "DHCID": self.dig(fqdn, "DHCID"), "PTR": self.ptr(address)}

    def wait_names(
        self, fqdn: str, address: object, present: bool, timeout: float = 30.0
    ) -> dict[str, list[str]]:
        """Wait until `fqdn` has (present) or has not (absent) its A/AAAA record and its address's PTR."""
        kind = self.address_type(address)
        want_a, want_ptr = [ipaddress.ip_address(str(address)).compressed], [fqdn.rstrip(".") + "."]

        def check() -> dict[str, list[str]] | None:
            found = self.names_of(fqdn, address)
            if present and found[kind] == want_a and found["PTR"] == want_ptr:
                return found
            if not present and not found[kind] and not found["PTR"]:
                return found
            return None

        return self.lab.wait_for(
            check, timeout=timeout, interval=0.2, what=f"{fqdn} {'in' if present else 'out of'} DNS"
        )


class KeaD2:
    """kea-dhcp-ddns with the lab's D2 document."""

    def __init__(self, lab: Lab, ns: str, document: dict[str, Any]) -> None:
        self.lab = lab
        self.ns = ns
        self.dir = lab.tmp / f"kea-d2-{next(_ids)}"
        self.dir.mkdir()
        self.config_path = self.dir / "kea-dhcp-ddns.json"
        self.config_path.write_text(json.dumps(document, indent=2))
        self.proc: Proc | None = None

    def start(self, timeout: float = 20.0) -> KeaD2:
        env = {"KEA_PIDFILE_DIR": str(self.dir), "KEA_LOCKFILE_DIR": str(self.dir)}
        self.proc = self.lab.popen(
            self.ns, ["kea-dhcp-ddns", "-c", str(self.config_path)], env=env, name="kea-dhcp-ddns"
        )
        deadline = time.monotonic() + timeout
        while "DHCP_DDNS_STARTED" not in self.proc.output():
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                out = self.proc.output()
                self.proc.stop()
                raise LabError(f"kea-dhcp-ddns did not start:\n{out}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""
