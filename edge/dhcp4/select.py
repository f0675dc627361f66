"""Subnet4 selection: which configured subnet does a packet belong to? An index, never a walk.

Rules (Kea 2.2's CfgSubnets4::selectSubnet, candidates in subnet-id order since Kea 1.7.10):
1. A relay's link-selection sub-option (82.5), or else the subnet-selection option (118) when the packet
   has no option 82, names the address to select by: the subnet containing it, if the client's classes
   allow it.
2. giaddr set: the first subnet (by id) whose `relay.ip-addresses` lists giaddr, or, for a subnet that lists
   no relay addresses itself, whose shared network does; the client's classes must allow it.
3. Otherwise an address is chosen: giaddr if set; else ciaddr, if the packet was unicast to us (renewing);
   else the source address, if unicast; else the receiving interface: subnets (or their shared networks)
   configured with `interface: NAME`, first allowed by id; failing that the interface's first address.
   The subnet containing the address is selected if the client's classes allow it.
A subnet's classes allow a client when neither the subnet's guard (`client-class`) nor its shared
network's guard excludes it.

Theory of operation: containment is one dictionary per prefix length present in the configuration (at
most 33), so finding the subnet of an address costs one lookup per distinct prefix length; the loader
refuses overlapping subnets, so at most one subnet contains an address. Relay addresses and interface names
are dictionaries of id-ordered lists. Cost per packet is flat however many subnets there are; `make bench`
measures it at 10, 1 000 and 10 000 subnets.
"""

from __future__ import annotations

from collections.abc import Container

from edge.dhcp4.model import Config4, SharedNetwork4, Subnet4

BROADCAST = 0xFFFFFFFF


class SubnetSelector:
    def __init__(self, config: Config4) -> None:
        self.subnets = config.subnets
        self.networks: dict[str, SharedNetwork4] = {net.name: net for net in config.shared_networks}
        self._by_prefix: dict[int, dict[int, Subnet4]] = {}
        self._by_relay: dict[int, list[Subnet4]] = {}
        self._by_interface: dict[str, list[Subnet4]] = {}
        self._by_id: dict[int, Subnet4] = {}
        # subnet id -> the guards a client must pass: (shared network guard, subnet guard)
        self._guards: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        for subnet in sorted(config.subnets, key=lambda s: s.id):
            self._by_id[subnet.id] = subnet
            self._by_prefix.setdefault(subnet.prefix_len, {}).setdefault(subnet.network, subnet)
            shared = self.networks.get(subnet.shared_network or "")
            relays = subnet.relay_addresses or (shared.relay_addresses if shared is not None else ())
            for relay in relays:
                self._by_relay.setdefault(relay, []).append(subnet)
            interface = subnet.interface or (shared.interface if shared is not None else None)
            if interface:
                self._by_interface.setdefault(interface, []).append(subnet)
            self._guards[subnet.id] = (
                shared.client_classes if shared is not None else (),
                subnet.client_classes,
            )
        # Longest prefix first (the loader refuses overlaps; this only matters for configurations in code).
        self._prefix_lens = sorted(self._by_prefix, reverse=True)
        self._masks = [
            ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0, self._by_prefix[plen])
            for plen in self._prefix_lens
        ]
        self._members: dict[str, tuple[Subnet4, ...]] = {}
        for net in config.shared_networks:
            members = [self._by_id[i] for i in net.subnet_ids if i in self._by_id]
            self._members[net.name] = tuple(sorted(members, key=lambda s: s.id))

    def by_id(self, subnet_id: int) -> Subnet4 | None:
        return self._by_id.get(subnet_id)

    def network_of(self, subnet: Subnet4) -> SharedNetwork4 | None:
        return self.networks.get(subnet.shared_network) if subnet.shared_network else None

    def allows(self, subnet: Subnet4, classes: Container[str]) -> bool:
        """Kea's Subnet4::clientSupported: the shared network's guard, then the subnet's."""
        net_guard, guard = self._guards.get(subnet.id, ((), subnet.client_classes))
        if net_guard and not any(name in classes for name in net_guard):
            return False
        return not guard or any(name in classes for name in guard)

    def containing(self, address: int) -> Subnet4 | None:
        for mask, bucket in self._masks:
            subnet = bucket.get(address & mask)
            if subnet is not None:
                return subnet
        return None

    def _allowed(self, subnet: Subnet4 | None, classes: Container[str]) -> Subnet4 | None:
        return subnet if subnet is not None and self.allows(subnet, classes) else None

    def select(
        self,
        giaddr: int,
        ciaddr: int,
        ifname: str,
        interface_addresses: tuple[int, ...],
        link_selection: int = 0,
        classes: Container[str] = ("ALL",),
        src_ip: int = 0,
        dst_ip: int = BROADCAST,
    ) -> Subnet4 | None:
        if link_selection:
            return self._allowed(self.containing(link_selection), classes)
        if giaddr:
            for subnet in self._by_relay.get(giaddr, ()):
                if self.allows(subnet, classes):
                    return subnet
            return self._allowed(self.containing(giaddr), classes)
        unicast = dst_ip != BROADCAST
        if ciaddr and unicast:
            return self._allowed(self.containing(ciaddr), classes)
        if src_ip and unicast:
            return self._allowed(self.containing(src_ip), classes)
        for subnet in self._by_interface.get(ifname, ()):
            if self.allows(subnet, classes):
                return subnet
        if interface_addresses:
            return self._allowed(self.containing(interface_addresses[0]), classes)
        return None

    def ring(self, subnet: Subnet4, classes: Container[str]) -> list[Subnet4]:
        """Kea's getNextSubnet walk: `subnet` first, then the other members of its shared network that the
        client's classes allow, in id order starting after `subnet` and wrapping around."""
        if not subnet.shared_network:
            return [subnet]
        members = self._members.get(subnet.shared_network, ())
        if len(members) <= 1:
            return [subnet]
        at = next((i for i, s in enumerate(members) if s.id == subnet.id), 0)
        out = [subnet]
        for offset in range(1, len(members)):
            other = members[(at + offset) % len(members)]
            if self.allows(other, classes):
                out.append(other)
        return out

    def members(self, subnet: Subnet4) -> tuple[Subnet4, ...]:
        """All subnets of `subnet`'s shared network in id order (just `subnet` outside a network)."""
        if subnet.shared_network:
            found = self._members.get(subnet.shared_network)
            if found:
                return found
        return (subnet,)

    def candidates(self, subnet: Subnet4) -> tuple[Subnet4, ...]:
        """Kept for callers of the first cut: the members of `subnet`'s shared network, in id order."""
        return self.members(subnet)
