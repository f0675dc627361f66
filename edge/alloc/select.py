"""Subnet selection: which configured subnet does a packet belong to?

Rules (Kea's DHCPv4 order, simplified until the allocation issue adds class-aware shared-network walking):
1. A relay's link-selection sub-option (82.5) or the subnet-selection option (118), when present, names the
   address to select by.
2. giaddr set: a subnet (or shared network) whose `relay.ip-addresses` lists giaddr; else the subnet that
   contains giaddr.
3. ciaddr set (renewing/rebinding/inform): the subnet that contains ciaddr.
4. Otherwise the receiving interface: subnets configured with `interface: NAME`, then the subnet that contains
   one of the interface's addresses.
Candidates are considered in subnet-id order.

Theory of operation: containment is a dictionary per prefix length present in the configuration (at most 33
of them), so finding the subnet for an address costs one lookup per distinct prefix length, however many
subnets exist. Relay addresses and interface names are dictionaries too.
"""

from __future__ import annotations

from edge.config.model import Config, Subnet


class SubnetSelector:
    def __init__(self, config: Config) -> None:
        self.subnets = config.subnets
        self._by_prefix: dict[int, dict[int, Subnet]] = {}
        self._by_relay: dict[int, list[Subnet]] = {}
        self._by_interface: dict[str, list[Subnet]] = {}
        self._by_id: dict[int, Subnet] = {}
        networks = {net.name: net for net in config.shared_networks}
        for subnet in sorted(config.subnets, key=lambda s: s.id):
            self._by_id[subnet.id] = subnet
            bucket = self._by_prefix.setdefault(subnet.prefix_len, {})
            bucket.setdefault(subnet.network, subnet)
            relays = list(subnet.relay_addresses)
            interface = subnet.interface
            shared = networks.get(subnet.shared_network or "")
            if shared is not None:
                relays.extend(shared.relay_addresses)
                interface = interface or shared.interface
            for relay in relays:
                self._by_relay.setdefault(relay, []).append(subnet)
            if interface:
                self._by_interface.setdefault(interface, []).append(subnet)
        # Longest prefix first: a more specific subnet wins if a configuration nests them.
        self._prefix_lens = sorted(self._by_prefix, reverse=True)
        self._shared_members: dict[str, tuple[Subnet, ...]] = {}
        for net in config.shared_networks:
            members = [self._by_id[i] for i in net.subnet_ids if i in self._by_id]
            self._shared_members[net.name] = tuple(sorted(members, key=lambda s: s.id))

    def by_id(self, subnet_id: int) -> Subnet | None:
        return self._by_id.get(subnet_id)

    def containing(self, address: int) -> Subnet | None:
        for plen in self._prefix_lens:
            mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0
            subnet = self._by_prefix[plen].get(address & mask)
            if subnet is not None:
                return subnet
        return None

    def select(
        self,
        giaddr: int,
        ciaddr: int,
        ifname: str,
        interface_addresses: tuple[int, ...],
        link_selection: int = 0,
    ) -> Subnet | None:
        if link_selection:
            return self.containing(link_selection)
        if giaddr:
            relayed = self._by_relay.get(giaddr)
            if relayed:
                return relayed[0]
            return self.containing(giaddr)
        if ciaddr:
            subnet = self.containing(ciaddr)
            if subnet is not None:
                return subnet
        by_name = self._by_interface.get(ifname)
        if by_name:
            return by_name[0]
        for address in interface_addresses:
            subnet = self.containing(address)
            if subnet is not None:
                return subnet
        return None

    def candidates(self, subnet: Subnet) -> tuple[Subnet, ...]:
        """The subnets a client of `subnet` may be served from: its shared network's members, in id order."""
        if subnet.shared_network:
            members = self._shared_members.get(subnet.shared_network)
            if members:
                return members
        return (subnet,)
