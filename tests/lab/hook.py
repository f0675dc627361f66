"""The client-side event script: what dhclient (-sf), udhcpc (-s) and dhcpcd (-c) run on each lease event.

Rules this module keeps:
- It touches only what the generated shim (clients.py) names: its interface inside the namespace, its own
  JSON files, and the namespace's resolv.conf by its host path (/etc/netns/NAME/resolv.conf). It never
  opens /etc/resolv.conf, so even a missing bind mount could not make it write the machine's file.
- It always exits 0. dhclient treats a failing BOUND script as an address conflict and would DHCPDECLINE
  the lease; errors go to the `errors` file instead, where the runner reports them.
- Each client's own vocabulary (dhclient/dhcpcd `reason=BOUND`, udhcpc `argv[1]=bound`, option variables
  `new_routers` vs `router`, ...) is normalised into one event name and one lease dictionary.

Theory of operation:
Per event: normalise the environment, configure the interface the way a real client script would (dhclient
and udhcpc leave addresses and routes to their scripts; dhcpcd configures them itself, so for it only
resolv.conf is written), then append one JSON line to `events.jsonl` and rewrite `lease.json` with the
current lease (or null once it is released, expired or deconfigured).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import subprocess
import sys
import time
import traceback
from typing import Any

# reason (dhclient, dhcpcd) or argv[1] (udhcpc) -> our event name
EVENTS = {
    "PREINIT": "preinit",
    "BOUND": "bound",
    "REBOOT": "bound",
    "RENEW": "renew",
    "REBIND": "renew",
    "EXPIRE": "expire",
    "RELEASE": "release",
    "STOP": "stop",
    "STOPPED": "stop",
    "FAIL": "fail",
    "TIMEOUT": "fail",
    "NAK": "fail",
    "bound": "bound",
    "renew": "renew",
    "deconfig": "deconfig",
    "leasefail": "fail",
    "nak": "fail",
}
LEASE_EVENTS = {"bound", "renew"}
GONE_EVENTS = {"release", "expire", "deconfig"}

_CLIENT_VARS = re.compile(
    r"^(new_|old_|requested_|reason$|interface$|ip$|mask$|subnet$|router$|dns$|domain$|lease$|serverid$"
    r"|hostname$|broadcast$|siaddr$|sname$|boot_file$|opt\d+$|protocol$|medium$|message$)"
)


def _split(value: str | None) -> list[str]:
    return value.split() if value else []


def normalise(kind: str, env: dict[str, str], argv1: str | None) -> tuple[str, str, dict[str, Any] | None]:
    """(event, raw reason, lease dict or None) for one invocation of the script."""
    reason = argv1 if kind == "udhcpc" else env.get("reason", "")
    reason = reason or ""
    event = EVENTS.get(reason, "other")
    if event not in LEASE_EVENTS:
        return event, reason, None
    if kind == "udhcpc":
        address = env.get("ip")
        prefix = env.get("mask")
        if prefix is None and env.get("subnet"):
            prefix = str(ipaddress.IPv4Network(f"0.0.0.0/{env['subnet']}").prefixlen)
        lease = {
            "address": address,
            "prefix_len": int(prefix or 32),
            "routers": _split(env.get("router")),
            "dns_servers": _split(env.get("dns")),
            "domain_name": env.get("domain"),
            "lease_time": int(env["lease"]) if env.get("lease") else None,
            "server_id": env.get("serverid"),
            "hostname": env.get("hostname"),
            "broadcast": env.get("broadcast"),
        }
    else:
        prefix = env.get("new_subnet_cidr")
        if prefix is None and env.get("new_subnet_mask"):
            prefix = str(ipaddress.IPv4Network(f"0.0.0.0/{env['new_subnet_mask']}").prefixlen)
        lease = {
            "address": env.get("new_ip_address"),
            "prefix_len": int(prefix or 32),
            "routers": _split(env.get("new_routers")),
            "dns_servers": _split(env.get("new_domain_name_servers")),
            "domain_name": env.get("new_domain_name"),
            "lease_time": int(env["new_dhcp_lease_time"]) if env.get("new_dhcp_lease_time") else None,
            "server_id": env.get("new_dhcp_server_identifier"),
            "hostname": env.get("new_host_name"),
            "broadcast": env.get("new_broadcast_address"),
        }
    if not lease["address"]:
        return "other", reason, None
    return event, reason, lease


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def configure(
    settings: dict[str, Any], event: str, lease: dict[str, Any] | None, env: dict[str, str]
) -> None:
    ifname = settings["ifname"]
    if settings["configure"]:
        if event in ("preinit", "deconfig"):
            _ip("link", "set", "dev", ifname, "up")
        if event in GONE_EVENTS:
            _ip("-4", "addr", "flush", "dev", ifname, "scope", "global")
        if lease is not None:
            old = env.get("old_ip_address")
            if old and old != lease["address"]:
                _ip("-4", "addr", "flush", "dev", ifname, "scope", "global")
            argv = ["addr", "replace", f"{lease['address']}/{lease['prefix_len']}"]
            if lease.get("broadcast"):
                argv += ["broadcast", lease["broadcast"]]
            _ip(*argv, "dev", ifname)
            if lease["routers"]:
                _ip("route", "replace", "default", "via", lease["routers"][0], "dev", ifname)
    if lease is not None:
        lines = [f"# written by the edge-dhcp lab hook for {settings['kind']} on {ifname}"]
        if lease.get("domain_name"):
            lines.append(f"search {lease['domain_name']}")
        lines += [f"nameserver {server}" for server in lease["dns_servers"]]
        with open(settings["resolv_path"], "w") as handle:  # in place: it is a bind-mount source
            handle.write("\n".join(lines) + "\n")


def main(settings: dict[str, Any]) -> int:
    try:
        env = dict(os.environ)
        event, reason, lease = normalise(settings["kind"], env, sys.argv[1] if len(sys.argv) > 1 else None)
        gone = GONE_EVENTS | (
            {"stop"} if settings["kind"] == "dhcpcd" else set()
        )  # dhcpcd deconfigures on stop
        configure(settings, event, lease, env)
        seq = 0
        if os.path.exists(settings["events_path"]):
            with open(settings["events_path"]) as handle:
                seq = sum(1 for _ in handle)
        record = {
            "seq": seq + 1,
            "event": event,
            "reason": reason,
            "time": time.time(),
            "lease": lease,
            "env": {k: v for k, v in env.items() if _CLIENT_VARS.match(k)},
        }
        with open(settings["events_path"], "a") as handle:
            handle.write(json.dumps(record) + "\n")
        if lease is not None or event in gone:
            tmp = settings["lease_path"] + ".tmp"
            with open(tmp, "w") as handle:
                json.dump(lease, handle)
            os.replace(tmp, settings["lease_path"])
    except Exception:
        with open(settings["errors_path"], "a") as handle:
            handle.write(traceback.format_exc())
    return 0
