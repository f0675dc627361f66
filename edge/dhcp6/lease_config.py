"""What the lease tools read of a Dhcp6 configuration file: the lease database, the control sockets and the
subnets (id, prefix, pools, pd-pools). Not a configuration loader: `edge-dhcp leases import/export` and
`stats recount` of a Dhcp6 file need only this, and until edge/config/ loads Dhcp6 whole this is where
they get it (LEASES6.load_config should then call the real loader; the objects here are the shape the
lease tools ask for: edge/leases/interchange.py's SubnetsConfig, edge/dhcp6/lease_stats.py's
Config6Totals).

Rules:
- The file is read with the configuration parser (comments, includes, positions); every problem is a
  ConfigError naming file:line:column and the key, never a traceback.
- Subnets come from `subnet6` at the top and inside `shared-networks`; a subnet without `id` gets the next
  free one in file order, as the v4 loader numbers them.
- A subnet holds the addresses of its prefix and the prefixes of its pd-pools (a delegated prefix is
  usually outside the subnet itself): a lease belongs to the subnet that holds its address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from edge.config.errors import ConfigError, ConfigIssue, KeyPath, format_path
from edge.config.jsonpos import ParsedText, parse_text, read_config_text
from edge.config.model import ControlSocket, LeaseDatabase


@dataclass(frozen=True)
class Pool6:
    first: int
    last: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class PdPool6:
    prefix: int
    prefix_len: int
    delegated_len: int

    @property
    def size(self) -> int:
        """How many prefixes of delegated_len it can hand out."""
        return 1 << (self.delegated_len - self.prefix_len)

    def __contains__(self, address: object) -> bool:
        return isinstance(address, int) and address >> (128 - self.prefix_len) == self.prefix >> (
            128 - self.prefix_len
        )


@dataclass(frozen=True)
class Subnet6:
    id: int
    network: int
    prefix_len: int
    text: str
    pools: tuple[Pool6, ...] = ()
    pd_pools: tuple[PdPool6, ...] = ()

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, int):
            return False
        shift = 128 - self.prefix_len
        return address >> shift == self.network >> shift or any(address in pool for pool in self.pd_pools)


@dataclass(frozen=True)
class LeaseConfig6:
    subnets: tuple[Subnet6, ...]
    lease_database: LeaseDatabase
    control_sockets: tuple[ControlSocket, ...] = ()

    def subnet_by_id(self, subnet_id: int) -> Subnet6 | None:
        return next((s for s in self.subnets if s.id == subnet_id), None)


class _Reader:
    def __init__(self, parsed: ParsedText, source: str) -> None:
        self.parsed = parsed
        self.source = source
        self.issues: list[ConfigIssue] = list(parsed.errors)

    def error(self, path: KeyPath, message: str) -> None:
        pos = self.parsed.positions.locate(path)
        if pos is None:
            self.issues.append(ConfigIssue(self.source, None, None, format_path(path), message))
        else:
            self.issues.append(ConfigIssue(pos[0], pos[1], pos[2], format_path(path), message))

    def map(self, value: Any, path: KeyPath) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, "must be a map")
            return {}
        return value

    def list(self, value: Any, path: KeyPath) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "must be a list")
            return []
        return value

    def prefix(self, text: Any, path: KeyPath) -> ipaddress.IPv6Network | None:
        try:
            return ipaddress.IPv6Network(str(text), strict=False)
        except ValueError:
            self.error(path, "%r is not an IPv6 prefix" % (text,))
            return None

    def pool(self, entry: Any, path: KeyPath) -> Pool6 | None:
        text = self.map(entry, path).get("pool")
        if not isinstance(text, str):
            self.error(path + ("pool",), 'a pool needs a "pool" text')
            return None
        if "-" in text:
            first_text, _, last_text = text.partition("-")
            try:
                first = int(ipaddress.IPv6Address(first_text.strip()))
                last = int(ipaddress.IPv6Address(last_text.strip()))
            except ValueError:
                self.error(path + ("pool",), "%r is not an IPv6 range" % text)
                return None
            if last < first:
                self.error(path + ("pool",), "%r ends before it starts" % text)
                return None
            return Pool6(first, last)
        network = self.prefix(text, path + ("pool",))
        if network is None:
            return None
        return Pool6(int(network.network_address), int(network.broadcast_address))

    def pd_pool(self, entry: Any, path: KeyPath) -> PdPool6 | None:
        entry = self.map(entry, path)
        prefix, length, delegated = entry.get("prefix"), entry.get("prefix-len"), entry.get("delegated-len")
        if (
            not isinstance(length, int)
            or not isinstance(delegated, int)
            or not 0 <= length <= delegated <= 128
        ):
            self.error(path, "a pd-pool needs prefix-len <= delegated-len <= 128")
            return None
        network = self.prefix("%s/%d" % (prefix, length), path + ("prefix",))
        if network is None:
            return None
        return PdPool6(int(network.network_address), length, delegated)

    def config(self) -> LeaseConfig6:
        root = self.parsed.value
        if not isinstance(root, dict) or "Dhcp6" not in root:
            self.error((), 'no "Dhcp6" map at the top')
            raise ConfigError(self.issues)
        top: KeyPath = ("Dhcp6",)
        g = self.map(root["Dhcp6"], top)
        entries: list[tuple[KeyPath, dict[str, Any]]] = []
        for n, net in enumerate(self.list(g.get("shared-networks"), top + ("shared-networks",))):
            net_path = top + ("shared-networks", n)
            for i, s in enumerate(self.list(self.map(net, net_path).get("subnet6"), net_path + ("subnet6",))):
                entries.append((net_path + ("subnet6", i), self.map(s, net_path + ("subnet6", i))))
        for i, s in enumerate(self.list(g.get("subnet6"), top + ("subnet6",))):
            entries.append((top + ("subnet6", i), self.map(s, top + ("subnet6", i))))
        used = {s.get("id") for _, s in entries if isinstance(s.get("id"), int) and s.get("id")}
        next_auto = 1
        subnets: list[Subnet6] = []
        seen: set[int] = set()
        for path, s in entries:
            sid = s.get("id", 0)
            if not isinstance(sid, int) or isinstance(sid, bool) or sid < 0:
                self.error(path + ("id",), "must be a positive integer")
                continue
            if not sid:
                while next_auto in used or next_auto in seen:
                    next_auto += 1
                sid = next_auto
            if sid in seen:
                self.error(path + ("id",), "subnet id %d is used twice" % sid)
                continue
            seen.add(sid)
            network = self.prefix(s.get("subnet"), path + ("subnet",))
            if network is None:
                continue
            pools = [
                self.pool(p, path + ("pools", k))
                for k, p in enumerate(self.list(s.get("pools"), path + ("pools",)))
            ]
            pd_pools = [
                self.pd_pool(p, path + ("pd-pools", k))
                for k, p in enumerate(self.list(s.get("pd-pools"), path + ("pd-pools",)))
            ]
            subnets.append(
                Subnet6(
                    sid,
                    int(network.network_address),
                    network.prefixlen,
                    str(network),
                    tuple(p for p in pools if p is not None),
                    tuple(p for p in pd_pools if p is not None),
                )
            )
        db = self.map(g.get("lease-database"), top + ("lease-database",))
        database = LeaseDatabase(
            type=str(db.get("type", "memfile")),
            persist=bool(db.get("persist", True)),
            name=db.get("name") if isinstance(db.get("name"), str) else None,
            lfc_interval=int(db.get("lfc-interval", 3600))
            if isinstance(db.get("lfc-interval", 0), int)
            else 3600,
            sync=str(db.get("sync", "batch")),
        )
        sockets: list[ControlSocket] = []
        raw_sockets = [g["control-socket"]] if isinstance(g.get("control-socket"), dict) else []
        raw_sockets += [
            s for s in self.list(g.get("control-sockets"), top + ("control-sockets",)) if isinstance(s, dict)
        ]
        for entry in raw_sockets:
            if entry.get("socket-type", "unix") == "unix" and isinstance(entry.get("socket-name"), str):
                sockets.append(ControlSocket("unix", entry["socket-name"]))
        if self.issues:
            raise ConfigError(self.issues)
        return LeaseConfig6(tuple(sorted(subnets, key=lambda s: s.id)), database, tuple(sockets))


def load_lease_config6(path: str | None) -> LeaseConfig6:
    """The lease tools' view of the Dhcp6 file at `path` (ConfigError for anything wrong in it)."""
    if not path:
        raise ConfigError(
            [ConfigIssue("<none>", None, None, "", "a Dhcp6 configuration file is needed (-c FILE)")]
        )
    return _Reader(parse_text(read_config_text(path), path), path).config()


def lease_config6_from_text(text: str, source: str = "<string>") -> LeaseConfig6:
    return _Reader(parse_text(text, source), source).config()
