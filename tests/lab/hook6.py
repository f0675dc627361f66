"""The DHCPv6 client event script: what dhclient -6 (-sf) and dhcpcd -6 (-c) run on each lease event.

Rules this module keeps:
- It touches only what the generated shim (clients6.py) names: its interface inside the namespace, its own
  JSON files, and the namespace's resolv.conf by its host path (/etc/netns/NAME/resolv.conf), never
  /etc/resolv.conf.
- It exits 0, except in "decline" mode (decline=N): then it exits 3 on the first BOUND6 of each of the first
  N addresses, which makes dhclient -6 treat the address as a duplicate and send DECLINE.
- The clients' vocabularies are normalised: dhclient calls the script once per IA entry (new_ip6_address
  or new_ip6_prefix, new_iaid "5e:10:00:02", DUIDs in colon hex without leading zeros); dhcpcd once per
  exchange with every IA (new_dhcp6_ia_na1_ia_addr1, new_dhcp6_ia_pd1_prefix1 + _length, plain hex).
  Each becomes a list of bindings {type "na"/"pd", iaid (hex), address or prefix, preferred, valid, t1,
  t2} and option values {dns_servers, domain_search, server_id, client_id} (hex without colons).

Theory of operation:
Per event: normalise, configure the interface the way Debian's dhclient-script does for dhclient (leased
addresses added as /128 with `nodad` and their lifetimes; removed on RELEASE6/EXPIRE6; delegated prefixes
are not installed anywhere), write resolv.conf when options came, rewrite `lease.json` (the client's
current bindings, keyed "na:IAID:ADDRESS" / "pd:IAID:PREFIX", and the latest option values; a released or
expired binding is dropped from it), then append one JSON line to `events.jsonl`: whoever sees an event
finds lease.json already up to date.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import traceback
from typing import Any

EVENTS = {
    "PREINIT6": "preinit",
    "BOUND6": "bound",
    "REBOOT6": "bound",
    "RENEW6": "renew",
    "REBIND6": "rebind",
    "INFORM6": "inform",
    "DEPREF6": "depref",
    "EXPIRE6": "expire",
    "RELEASE6": "release",
    "STOP6": "stop",
    "DELEGATED6": "delegated",
}
LEASE_EVENTS = {"bound", "renew", "rebind", "inform", "delegated"}
GONE_EVENTS = {"release", "expire"}

_CLIENT_VARS = re.compile(r"^(new_|old_|cur_|requested_|reason$|interface$|protocol$)")


def duid_hex(value: str | None) -> str | None:
    """dhclient's "0:1:0:1:32:a9" and dhcpcd's "00010001..." both as plain lowercase hex."""
    if not value:
        return None
    if ":" in value:
        return bytes(int(part, 16) for part in value.split(":")).hex()
    return value.lower()


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def _split(value: str | None) -> list[str]:
    return value.split() if value else []


def bindings_from(kind: str, env: dict[str, str], prefix: str = "new_") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if kind == "dhclient":
        common = {
            "iaid": (env.get(prefix + "iaid") or env.get("new_iaid") or "").replace(":", "") or None,
            "preferred": _int(env.get(prefix + "preferred_life")),
            "valid": _int(env.get(prefix + "max_life")),
            "t1": _int(env.get(prefix + "renew")),
            "t2": _int(env.get(prefix + "rebind")),
        }
        if env.get(prefix + "ip6_address"):
            found.append({"type": "na", "address": env[prefix + "ip6_address"], **common})
        if env.get(prefix + "ip6_prefix"):
            found.append({"type": "pd", "prefix": env[prefix + "ip6_prefix"], **common})
        return found
    pattern = re.compile(rf"^{prefix}dhcp6_ia_(na|pd)(\d+)_(?:ia_addr|prefix)(\d+)$")
    for name in sorted(env):
        match = pattern.match(name)
        if match is None:
            continue
        kind_, ia, entry = match.groups()
        ia_key = f"{prefix}dhcp6_ia_{kind_}{ia}"
        entry_key = name
        binding: dict[str, Any] = {
            "type": kind_,
            "iaid": env.get(ia_key + "_iaid"),
            "preferred": _int(env.get(entry_key + "_pltime")),
            "valid": _int(env.get(entry_key + "_vltime")),
            "t1": _int(env.get(ia_key + "_t1")),
            "t2": _int(env.get(ia_key + "_t2")),
        }
        if kind_ == "na":
            binding["address"] = env[name]
        else:
            binding["prefix"] = f"{env[name]}/{env.get(entry_key + '_length', '')}"
        found.append(binding)
    return found


def options_from(env: dict[str, str]) -> dict[str, Any]:
    return {
        "dns_servers": _split(env.get("new_dhcp6_name_servers")),
        "domain_search": [d.rstrip(".") for d in _split(env.get("new_dhcp6_domain_search"))],
        "server_id": duid_hex(env.get("new_dhcp6_server_id")),
        "client_id": duid_hex(env.get("new_dhcp6_client_id")),
    }


def binding_key(binding: dict[str, Any]) -> str:
    return f"{binding['type']}:{binding['iaid']}:{binding.get('address') or binding.get('prefix')}"


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def configure(
    settings: dict[str, Any], event: str, new: list[dict[str, Any]], old: list[dict[str, Any]]
) -> None:
    if not settings["configure"]:
        return
    ifname = settings["ifname"]
    if event == "preinit":
        _ip("link", "set", "dev", ifname, "up")
    if event in GONE_EVENTS:
        for binding in old:
            if binding["type"] == "na":
                _ip("-6", "addr", "del", f"{binding['address']}/128", "dev", ifname)
    if event in LEASE_EVENTS:
        for binding in new:
            if binding["type"] != "na":
                continue
            argv = ["-6", "addr", "replace", f"{binding['address']}/128", "dev", ifname, "scope", "global"]
            if binding.get("valid") is not None and binding.get("preferred") is not None:
                argv += ["valid_lft", str(binding["valid"]), "preferred_lft", str(binding["preferred"])]
            _ip(*argv, "nodad")


def _write_resolv(settings: dict[str, Any], options: dict[str, Any]) -> None:
    if not options["dns_servers"] and not options["domain_search"]:
        return
    lines = [f"# written by the edge-dhcp lab v6 hook for {settings['kind']} on {settings['ifname']}"]
    if options["domain_search"]:
        lines.append("search " + " ".join(options["domain_search"]))
    lines += [f"nameserver {server}" for server in options["dns_servers"]]
    with open(settings["resolv_path"], "w") as handle:  # in place: it is a bind-mount source
        handle.write("\n".join(lines) + "\n")


def _should_decline(settings: dict[str, Any], event: str, new: list[dict[str, Any]]) -> str | None:
    if not settings.get("decline") or event != "bound":
        return None
    declined_path = settings["declined_path"]
    try:
        with open(declined_path) as handle:
            done = handle.read().split()
    except FileNotFoundError:
        done = []
    if len(done) >= int(settings["decline"]):
        return None
    for binding in new:
        if binding["type"] == "na" and binding["address"] not in done:
            with open(declined_path, "a") as handle:
                handle.write(binding["address"] + "\n")
            return str(binding["address"])
    return None


def main(settings: dict[str, Any]) -> int:
    code = 0
    try:
        env = dict(os.environ)
        kind = settings["kind"]
        reason = env.get("reason", "")
        event = EVENTS.get(reason, "other")
        new = bindings_from(kind, env, "new_") if event in LEASE_EVENTS else []
        old = bindings_from(kind, env, "old_") if event in GONE_EVENTS | {"stop"} else []
        if kind == "dhclient" and event in GONE_EVENTS | {"stop"} and not old:
            old = bindings_from(kind, env, "cur_")
        declined = _should_decline(settings, event, new)
        if declined is None:
            configure(settings, event, new, old)
        options = options_from(env)
        if event in LEASE_EVENTS and declined is None:
            _write_resolv(settings, options)
        seq = 0
        if os.path.exists(settings["events_path"]):
            with open(settings["events_path"]) as handle:
                seq = sum(1 for _ in handle)
        record = {
            "seq": seq + 1,
            "event": event,
            "reason": reason,
            "time": time.time(),
            "bindings": new,
            "old_bindings": old,
            "options": options,
            "declined": declined,
            "env": {k: v for k, v in env.items() if _CLIENT_VARS.match(k)},
        }
        try:
            with open(settings["lease_path"]) as handle:
                state = json.load(handle)
        except (FileNotFoundError, json.JSONDecodeError):
            state = {"bindings": {}, "options": {}}
        if event in LEASE_EVENTS and declined is None:
            for binding in new:
                state["bindings"][binding_key(binding)] = binding
            state["options"] = {k: v for k, v in options.items() if v} or state["options"]
        if event in GONE_EVENTS:
            if old:
                for binding in old:
                    state["bindings"].pop(binding_key(binding), None)
            else:  # dhcpcd's RELEASE6/EXPIRE6 name nothing: everything goes
                state["bindings"] = {}
        tmp = settings["lease_path"] + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(state, handle)
        os.replace(tmp, settings["lease_path"])
        # The event last: a reader that saw it finds lease.json already saying what the event did.
        with open(settings["events_path"], "a") as handle:
            handle.write(json.dumps(record) + "\n")
        if declined is not None:
            code = 3
    except Exception:
        with open(settings["errors_path"], "a") as handle:
            handle.write(traceback.format_exc())
    return code


if __name__ == "__main__":  # pragma: no cover - the shim in clients6.py is the entry point
    sys.exit(main(json.loads(sys.argv[1])))
