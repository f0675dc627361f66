"""The shape of a family's configuration that the dashboard draws: subnets, shared networks, pools.

Rules this module keeps:
- Read from `config-get`'s document with the keys of the family's row (families.py): `subnet4` or
  `subnet6`, top level and inside `shared-networks`; a pool is `pools[].pool` ("first - last" or
  "prefix/len") or `pd-pools[]` (prefix, prefix-len, delegated-len).
- A pool's size is computed from its text (the page shows it beside the pool); the subnet's own total
  is the statistic the server keeps (`total-addresses`, `total-nas`, `total-pds`), not this sum.
- Anything malformed is shown as written with no size rather than refused: the server validated the
  configuration already, and the page must never fail on one odd entry.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from edge.dashboard.families import FamilyView

__all__ = ["Layout", "Pool", "SubnetInfo", "pool_size", "read_layout"]


@dataclass(frozen=True, slots=True)
class Pool:
    index: int  # its place in the subnet's list: Kea's pool id in subnet[ID].pool[INDEX] statistics
    text: str  # as configured: "192.0.2.10 - 192.0.2.20", "2001:db8:8::/56 -> /64"
    size: int | None


@dataclass(frozen=True, slots=True)
class SubnetInfo:
    id: int
    prefix: str
    network: str  # the shared network's name, "" when none
    pools: dict[str, tuple[Pool, ...]]  # by the configuration key: "pools", "pd-pools"


@dataclass
class Layout:
    subnets: dict[int, SubnetInfo] = field(default_factory=dict)
    networks: dict[str, tuple[int, ...]] = field(default_factory=dict)  # name -> subnet ids, in order


def pool_size(text: str) -> int | None:
    """Addresses in "first - last" or "prefix/len" (either family); None when it cannot be read."""
    try:
        if "-" in text:
            first, _, last = text.partition("-")
            low, high = ipaddress.ip_address(first.strip()), ipaddress.ip_address(last.strip())
            if low.version != high.version or int(high) < int(low):
                return None
            return int(high) - int(low) + 1
        return ipaddress.ip_network(text.strip(), strict=False).num_addresses
    except ValueError:
        return None


def _pd_pool(index: int, entry: dict[str, Any]) -> Pool:
    prefix = str(entry.get("prefix", "?"))
    length = entry.get("prefix-len")
    delegated = entry.get("delegated-len")
    text = f"{prefix}/{length} -> /{delegated}"
    size = None
    if isinstance(length, int) and isinstance(delegated, int) and 0 <= length <= delegated <= 128:
        size = 2 ** (delegated - length)
    return Pool(index, text, size)


def _subnet(view: FamilyView, entry: dict[str, Any], network: str) -> SubnetInfo | None:
    subnet_id = entry.get("id")
    if not isinstance(subnet_id, int):
        return None
    pools: dict[str, tuple[Pool, ...]] = {}
    for resource in view.resources:
        items = entry.get(resource.pools_key) or []
        if resource.pools_key == "pd-pools":
            pools[resource.pools_key] = tuple(
                _pd_pool(i, p) for i, p in enumerate(items) if isinstance(p, dict)
            )
        else:
            found = []
            for i, p in enumerate(items):
                text = str(p.get("pool", "")) if isinstance(p, dict) else str(p)
                found.append(Pool(i, text, pool_size(text)))
            pools[resource.pools_key] = tuple(found)
    return SubnetInfo(subnet_id, str(entry.get("subnet", "")), network, pools)


def read_layout(view: FamilyView, document: dict[str, Any]) -> Layout:
    """The layout of `config-get`'s arguments ({"Dhcp4": {...}, "hash": ...})."""
    body = document.get(view.config_key) or {}
    layout = Layout()
    for entry in body.get(view.subnets_key) or []:
        if isinstance(entry, dict) and (info := _subnet(view, entry, "")) is not None:
            layout.subnets[info.id] = info
    for network in body.get("shared-networks") or []:
        if not isinstance(network, dict):
            continue
        name = str(network.get("name", ""))
        ids = []
        for entry in network.get(view.subnets_key) or []:
            if isinstance(entry, dict) and (info := _subnet(view, entry, name)) is not None:
                layout.subnets[info.id] = info
                ids.append(info.id)
        layout.networks[name] = tuple(ids)
    return layout
