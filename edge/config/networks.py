"""Shared networks and subnets as both families read them: subnet ids, network names, relays, overlaps, and
the walk that resolves each subnet's scope chain (global -> shared network -> subnet).

Rules this module keeps:
- Subnet ids are unique. Kea 2.2 numbers subnets without an id in the order it reads them -- shared
  networks' subnets first -- skipping ids given explicitly; so do we, so lease files and statistics agree.
- Shared network names are unique and not empty. A subnet's interface must agree with its network's.
- Subnets may not overlap (Kea 2.2 refuses a duplicate prefix; an overlap is surely a mistake too).
- The family builds its own subnets and networks (`subnet`, `network_fields`, `make_network`); this part
  walks the document and hands each subnet its scope chain and its network's draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edge.config.errors import format_path
from edge.config.positions import KeyPath
from edge.config.reservations import ReservationsPart
from edge.config.scopes import Scope, ScopesPart

__all__ = ["NetworkDraft", "NetworksPart", "Span", "doc_order"]


@dataclass(frozen=True)
class NetworkDraft:
    """A shared network as read, before its subnets are known."""

    index: int
    name: str
    path: KeyPath
    scope: Scope
    guard: tuple[str, ...]
    required: tuple[str, ...]
    fields: dict[str, Any]  # the family's (interface, relay addresses, options, ...)


@dataclass(frozen=True)
class Span:
    """A subnet's address range, for the overlap check."""

    subnet_id: int
    first: int
    last: int
    prefix_len: int
    text: str


def doc_order(path: KeyPath) -> tuple[int, ...]:
    """A sort key giving the order in which Kea reads subnets (shared networks first)."""
    return tuple(p if isinstance(p, int) else (0 if p == "shared-networks" else 1) for p in path[1:])


class NetworksPart(ReservationsPart, ScopesPart):
    subnet_key: str  # "subnet4" / "subnet6" (set by the family)

    # -- what the family builds

    def network_fields(self, net: dict[str, Any], path: KeyPath) -> dict[str, Any]:
        """The family's own values of a shared network (interface, relay, options...)."""
        return {}

    def subnet(
        self, s: dict[str, Any], path: KeyPath, sid: int, chain: list[Scope], network: NetworkDraft | None
    ) -> Any:
        """The family's subnet, or None when it is unusable (reported)."""
        raise NotImplementedError

    def make_network(self, draft: NetworkDraft, subnet_ids: tuple[int, ...]) -> Any:
        raise NotImplementedError

    # -- the walk

    def networks_and_subnets(
        self, g: dict[str, Any], global_scope: Scope
    ) -> tuple[tuple[Any, ...], list[Any], dict[int, KeyPath]]:
        """(shared networks, subnets in document order, subnet id -> path)."""
        root = self.root
        key = self.subnet_key
        # Kea 2.2 numbers subnets without an id in the order it reads them: shared networks first.
        entries: list[tuple[KeyPath, dict[str, Any], int | None]] = []
        networks_cfg: list[tuple[KeyPath, dict[str, Any]]] = list(self.items(g, "shared-networks", root))
        for n, (net_path, net) in enumerate(networks_cfg):
            entries.extend((p, s, n) for p, s in self.items(net, key, net_path))
        entries.extend((p, s, None) for p, s in self.items(g, key, root))

        explicit: dict[int, KeyPath] = {}
        for path, s, _ in entries:
            sid = s.get("id", 0)
            if sid:
                if sid in explicit:
                    self.error(
                        path + ("id",), f"subnet id {sid} is already used by {format_path(explicit[sid])}"
                    )
                else:
                    explicit[sid] = path
        next_auto = 1

        net_names: dict[str, KeyPath] = {}
        drafts: list[NetworkDraft] = []
        for n, (net_path, net) in enumerate(networks_cfg):
            name = net["name"]
            if not name.strip():
                self.error(net_path + ("name",), "a shared network name cannot be empty")
            elif name in net_names:
                self.error(
                    net_path + ("name",),
                    f'shared network "{name}" is already defined at {format_path(net_names[name])}',
                )
            net_names.setdefault(name, net_path)
            scope = self.scope(net, net_path)
            self.check_timers([global_scope, scope])
            guard, required = self.guards(net, net_path)
            fields = self.network_fields(net, net_path)
            drafts.append(NetworkDraft(n, name, net_path, scope, guard, required, fields))

        subnets: list[Any] = []
        paths: dict[int, KeyPath] = {}
        members: dict[int, list[int]] = {}
        for path, s, n in entries:
            sid = s.get("id", 0)
            if not sid or explicit.get(sid) != path:
                if sid:
                    continue  # a duplicate id, reported above
                while next_auto in explicit or next_auto in paths:
                    next_auto += 1
                sid = next_auto
            draft = drafts[n] if n is not None else None
            chain = [global_scope] + ([draft.scope] if draft is not None else [])
            subnet = self.subnet(s, path, sid, chain, draft)
            paths[sid] = path
            if subnet is not None:
                subnets.append(subnet)
                if n is not None:
                    members.setdefault(n, []).append(sid)

        networks = tuple(self.make_network(d, tuple(members.get(d.index, ()))) for d in drafts)
        return networks, subnets, paths

    def same_interface(self, interface: str | None, network: NetworkDraft | None, path: KeyPath) -> None:
        theirs = network.fields.get("interface") if network is not None else None
        if interface and theirs and interface != theirs:
            self.error(
                path + ("interface",),
                f'the subnet says interface "{interface}" but its shared network says "{theirs}"',
            )

    # -- relays

    def relay(self, obj: dict[str, Any], path: KeyPath) -> tuple[int, ...]:
        relay = obj.get("relay")
        if relay is None:
            return ()
        rpath = path + ("relay",)
        if "ip-address" in relay and "ip-addresses" in relay:
            self.error(rpath, 'give "ip-address" or "ip-addresses", not both')
            return ()
        if "ip-address" in relay:
            texts: list[tuple[KeyPath, str]] = [(rpath + ("ip-address",), relay["ip-address"])]
        else:
            texts = [
                (rpath + ("ip-addresses", i), t) for i, t in enumerate(relay.get("ip-addresses", [])) if t
            ]
        out: list[int] = []
        for item_path, text in texts:
            value = self.parse_address(text)
            if value is None:
                self.error(item_path, f'relay address "{text}" is not an {self.address_family} address')
            elif value in out:
                self.error(item_path, f"relay address {text} is listed twice")
            else:
                out.append(value)
        return tuple(out)

    # -- overlaps

    def check_pool_overlaps(self, spans: list[tuple[int, int, KeyPath, str]], key: str = "pool") -> None:
        """Pools of one subnet may not overlap: (first, last, path, text) each; the later one is reported."""
        spans = sorted(spans, key=lambda span: (span[0], span[1]))
        for (_, last_a, path_a, text_a), (first_b, _, path_b, text_b) in zip(spans, spans[1:], strict=False):
            if first_b <= last_a:
                later, earlier, text = (
                    (path_b, path_a, text_b) if path_b > path_a else (path_a, path_b, text_a)
                )
                self.error(later + (key,), f'the pool "{text}" overlaps the pool at {format_path(earlier)}')

    def check_overlaps(self, spans: list[Span], paths: dict[int, KeyPath]) -> None:
        ordered = sorted(spans, key=lambda s: (s.first, s.prefix_len))
        widest: Span | None = None
        for s in ordered:
            if widest is not None and s.first <= widest.last:
                a, b = paths[widest.subnet_id], paths[s.subnet_id]
                later, earlier = (b, a) if doc_order(b) > doc_order(a) else (a, b)
                other = widest if later == b else s
                same = (s.first, s.prefix_len) == (widest.first, widest.prefix_len)
                what = "is the same subnet as" if same else "overlaps"
                self.error(later + ("subnet",), f"{what} {other.text} at {format_path(earlier)}")
            if widest is None or s.last > widest.last:
                widest = s
