"""The page's JSON: what `/api/summary`, `/api/leases` and `/api/events` answer, and the two actions.

Rules this module keeps:
- Each answer is built from command answers only (reader.py), one family after the other, in the order
  the process serves them; a family's part has the same shape whichever family it is (families.py
  supplies the names), so the page draws DHCPv6's subnets and prefixes with the code that draws DHCPv4's.
- Times are epoch seconds from the server's clock (`now` in each answer): the page counts down expiries
  from the server's idea of now, not the phone's.
- Lease pages are the family's `lease4-get-page` / `lease6-get-page` (address order, from the last
  address seen: no scan, whatever the number of leases); a search is one of the family's exact lookups
  (address, MAC, client-id or DUID, hostname), chosen by what the text looks like.
- An action is one command (`lease4-del` / `lease6-del`, `config-reload`) and its answer is passed on as
  the command gave it; the page shows its text.
- Bad input (an unknown family, a malformed cursor or body) is an ApiError: HTTP 400 with a message.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from typing import Any

from edge.dashboard.families import Resource
from edge.dashboard.layout import Layout
from edge.dashboard.reader import Family, Statistics

__all__ = ["ApiError", "classify", "config_reload", "events", "lease_del", "leases", "summary"]

PAGE_SIZE = 100
MAX_PAGE = 1000
FIRST_EVENTS = 50  # how many recent events a page gets when it first asks
EVENTS_PER_POLL = 200
STATE_NAMES = {0: "assigned", 1: "declined", 2: "expired-reclaimed"}


class ApiError(Exception):
    """The request cannot be answered as asked; the message says why, for the page."""


def _family(families: Sequence[Family], service: str | None) -> Family:
    for family in families:
        if family.service == service:
            return family
    known = ", ".join(f.service for f in families) or "none"
    raise ApiError(f"this server serves no family {str(service)[:20]!r} (it serves: {known})")


# ----------------------------------------------------------------------------------------- summary


def _usage(stats: Statistics, resource: Resource, scope: str) -> dict[str, int]:
    out = {"total": stats.get(scope + resource.total), "assigned": stats.get(scope + resource.assigned)}
    if resource.declined:
        out["declined"] = stats.get(scope + resource.declined)
    return out


def _subnets(family: Family, stats: Statistics, layout: Layout) -> list[dict[str, Any]]:
    out = []
    for subnet in layout.subnets.values():
        scope = f"subnet[{subnet.id}]."
        resources = []
        for resource in family.view.resources:
            pools = subnet.pools.get(resource.pools_key, ())
            usage: dict[str, Any] = _usage(stats, resource, scope)
            if not pools and not usage["total"]:
                continue  # e.g. a v6 subnet without prefix pools: no "prefixes" bar
            usage["name"] = resource.name
            usage["pools"] = []
            for pool in pools:
                item: dict[str, Any] = {"pool": pool.text, "size": pool.size}
                pool_scope = f"{scope}{resource.pool_stat}[{pool.index}]."
                if pool_scope + resource.total in stats.values:  # Kea 2.4+'s per-pool statistics, if kept
                    item.update(_usage(stats, resource, pool_scope))
                usage["pools"].append(item)
            resources.append(usage)
        out.append(
            {"id": subnet.id, "prefix": subnet.prefix, "network": subnet.network, "resources": resources}
        )
    return out


def _networks(subnets: list[dict[str, Any]], layout: Layout) -> list[dict[str, Any]]:
    by_id = {s["id"]: s for s in subnets}
    out = []
    for name, ids in layout.networks.items():
        totals: dict[str, dict[str, Any]] = {}
        for subnet_id in ids:
            for usage in by_id.get(subnet_id, {}).get("resources", []):
                into = totals.setdefault(usage["name"], {"name": usage["name"], "total": 0, "assigned": 0})
                for key in ("total", "assigned", "declined"):
                    if key in usage:
                        into[key] = into.get(key, 0) + usage[key]
        out.append({"name": name, "subnets": list(ids), "resources": list(totals.values())})
    return out


def _packets(family: Family, stats: Statistics) -> dict[str, int]:
    prefix = family.view.received[0].stat.split("-")[0]  # "pkt4"
    out = {"received": stats.get(f"{prefix}-received"), "sent": stats.get(f"{prefix}-sent")}
    for row in (*family.view.received, *family.view.sent):
        direction = "sent" if row.stat.endswith("-sent") else "received"
        out[f"{row.operation}-{direction}"] = stats.get(row.stat)
    return out


def family_summary(family: Family, origin: str) -> dict[str, Any]:
    status = family.call("status-get", None, origin).get("arguments") or {}
    stats = family.statistics(origin)
    layout = family.layout(origin)
    subnets = _subnets(family, stats, layout)
    totals = []
    for resource in family.view.resources:
        names = [s for s in stats.values if s.startswith("subnet[") and s.endswith("]." + resource.total)]
        if not names and resource.pools_key == "pd-pools":
            continue
        total = {"name": resource.name, "total": 0, "assigned": 0}
        if resource.declined:
            total["declined"] = 0
        for subnet in subnets:
            for usage in subnet["resources"]:
                if usage["name"] == resource.name:
                    for key in ("total", "assigned", "declined"):
                        if key in total:
                            total[key] += usage.get(key, 0)
        totals.append(total)
    store = {
        "write-errors": stats.get("lease-store-write-errors"),
        "compactions": stats.get("lease-store-compactions"),
        "compaction-failures": stats.get("lease-store-compaction-failures"),
        "last-compaction": stats.changed_at("lease-store-compactions"),
    }
    commands = set(family.call("list-commands", None, origin).get("arguments") or [])
    part: dict[str, Any] = {
        "service": family.service,
        "label": family.view.label,
        "status": status,
        "store": store,
        "packets": _packets(family, stats),
        "totals": totals,
        "subnets": subnets,
        "networks": _networks(subnets, layout),
        "actions": sorted(commands & {family.view.lease_del, "config-reload"}),
    }
    ha = status.get("high-availability")
    if ha is None and "ha-heartbeat" in commands:
        heartbeat = family.call("ha-heartbeat", None, origin)
        ha = heartbeat.get("arguments") or {"text": heartbeat.get("text", "")}
    if ha is not None:
        part["ha"] = ha
    return part


def summary(families: Sequence[Family], origin: str, now: float, version: str) -> dict[str, Any]:
    return {
        "now": now,
        "version": version,
        "families": [family_summary(family, origin) for family in families],
    }


# ----------------------------------------------------------------------------------------- leases


def classify(text: str) -> str:
    """What a search text looks like: "ip4", "ip6", "mac" (6 octets), "hex" (other octets), "name"."""
    text = text.strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        return "ip4" if address.version == 4 else "ip6"
    compact = text.replace(":", "").replace("-", "").replace(" ", "")
    separated = any(sep in text for sep in ":- ")
    if compact and len(compact) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in compact):
        if separated or len(compact) >= 12:
            return "mac" if len(compact) == 12 else "hex"
    return "name"


def _lease(family: Family, item: dict[str, Any]) -> dict[str, Any]:
    """A lease as the page shows it, whatever the family."""
    client = ""
    for key in family.view.lease_client_keys:
        if item.get(key):
            client = str(item[key])
            break
    valid = int(item.get("valid-lft", 0) or 0)
    cltt = int(item.get("cltt", 0) or 0)
    state = int(item.get("state", 0) or 0)
    out: dict[str, Any] = {
        "family": family.service,
        "address": item.get("ip-address", ""),
        "client": client,
        "hostname": item.get("hostname", ""),
        "subnet-id": item.get("subnet-id", 0),
        "expires": cltt + valid,
        "valid-lft": valid,
        "state": STATE_NAMES.get(state, str(state)) if valid or state else "released",
    }
    if "type" in item:
        out["type"] = item["type"]
        if item.get("type") == "IA_PD" and "prefix-len" in item:
            out["address"] = f"{item['ip-address']}/{item['prefix-len']}"
    if item.get("client-id") and client != item["client-id"]:
        out["client-id"] = item["client-id"]
    return out


def _int(text: str | None, default: int, low: int, high: int, name: str) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit():
        raise ApiError(f"{name} must be a number from {low} to {high}, not {text[:20]!r}")
    return max(low, min(high, int(text)))


def leases(families: Sequence[Family], query: dict[str, str], origin: str, now: float) -> dict[str, Any]:
    """A page of one family's leases (`family`, `from`, `limit`), or a search over every family (`q`)."""
    text = query.get("q", "").strip()
    if text:
        kind = classify(text)
        found = []
        for family in families:
            for search in family.view.searches:
                if search.kind != kind:
                    continue
                answer = family.call(search.command, {search.argument: text, **dict(search.extra)}, origin)
                if answer.get("result") == 0:
                    arguments = answer.get("arguments") or {}
                    items = arguments.get("leases", [arguments] if "ip-address" in arguments else [])
                    found.extend(_lease(family, item) for item in items)
                elif answer.get("result") not in (0, 3):
                    raise ApiError(str(answer.get("text", "the search failed"))[:300])
        return {"now": now, "search": text, "kind": kind, "leases": found, "next": None}
    family = _family(families, query.get("family") or (families[0].service if families else None))
    limit = _int(query.get("limit"), PAGE_SIZE, 1, MAX_PAGE, "limit")
    start = query.get("from") or "start"
    if start != "start":
        try:
            ipaddress.ip_address(start.split("/")[0])
        except ValueError:
            raise ApiError(f"from must be 'start' or an address, not {start[:60]!r}") from None
        start = start.split("/")[0]
    answer = family.call(family.view.lease_page, {"from": start, "limit": limit}, origin)
    if answer.get("result") not in (0, 3):
        raise ApiError(str(answer.get("text", "the lease page could not be read"))[:300])
    items = (answer.get("arguments") or {}).get("leases", [])
    page = [_lease(family, item) for item in items]
    following = items[-1]["ip-address"] if len(items) == limit else None
    return {"now": now, "family": family.service, "from": start, "leases": page, "next": following}


# ----------------------------------------------------------------------------------------- events


def _cursor(text: str) -> dict[str, int]:
    """ "dhcp4:12,dhcp6:3" -> {"dhcp4": 12, "dhcp6": 3}."""
    out: dict[str, int] = {}
    for part in filter(None, text.split(",")):
        name, sep, number = part.partition(":")
        if not sep or not number.isdigit() or len(number) > 18:
            raise ApiError(f"after must look like dhcp4:12,dhcp6:3, not {text[:60]!r}")
        out[name] = int(number)
    return out


def events(families: Sequence[Family], query: dict[str, str], origin: str, now: float) -> dict[str, Any]:
    """Every family's events after the cursor (the newest FIRST_EVENTS of each when there is none),
    oldest first, with the cursor to ask from next."""
    after = _cursor(query.get("after", ""))
    found: list[dict[str, Any]] = []
    cursor = []
    for family in families:
        start = after.get(family.service)
        if start is None:
            last = (family.call("events-get", {"after": 2**63 - 1}, origin).get("arguments") or {}).get(
                "last", 0
            )
            start = max(0, int(last) - FIRST_EVENTS)
        arguments = family.call("events-get", {"after": start, "limit": EVENTS_PER_POLL}, origin).get(
            "arguments"
        )
        arguments = arguments or {}
        for event in arguments.get("events", []):
            event["family"] = family.service
            found.append(event)
        newest = arguments.get("events", [])
        cursor.append(f"{family.service}:{newest[-1]['seq'] if newest else start}")
    found.sort(key=lambda event: event["time"])
    return {"now": now, "events": found, "after": ",".join(cursor)}


# ----------------------------------------------------------------------------------------- actions


def _body(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8")) if data.strip() else {}
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(f"the body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ApiError("the body must be a JSON object")
    return value


def lease_del(families: Sequence[Family], data: bytes, origin: str) -> dict[str, Any]:
    """Release one lease: {"family": "dhcp4", "address": "192.0.2.10"} (v6: and "type")."""
    body = _body(data)
    family = _family(families, body.get("family"))
    address = body.get("address")
    if not isinstance(address, str) or not address:
        raise ApiError('give the lease\'s "address"')
    arguments: dict[str, Any] = {"ip-address": address.split("/")[0]}
    kind = body.get("type")
    if kind is not None:
        if kind not in ("IA_NA", "IA_TA", "IA_PD"):
            raise ApiError(f'"type" must be IA_NA, IA_TA or IA_PD, not {str(kind)[:20]!r}')
        arguments["type"] = kind
    return family.call(family.view.lease_del, arguments, origin)


def config_reload(families: Sequence[Family], data: bytes, origin: str) -> dict[str, Any]:
    """Reload one family's configuration file ({"family": ...}), or every family's ({})."""
    body = _body(data)
    chosen = [_family(families, body["family"])] if body.get("family") else list(families)
    answers = [{"family": family.service, **family.call("config-reload", None, origin)} for family in chosen]
    failed = [a for a in answers if a.get("result") != 0]
    text = "; ".join(f"{a['family']}: {a.get('text', '')}" for a in answers)
    return {"result": 1 if failed else 0, "text": text, "answers": answers}
