"""Which options go into a reply, and with what values.

Rules (Kea's DHCPv4 behaviour):
- Scopes, lowest to highest precedence: global, client class, shared network, subnet, pool, host
  reservation. A higher scope's value for a code replaces a lower one's.
- Sent: the codes the client lists in option 55, plus the options marked `always-send`, plus the basic set
  Kea always sends when configured (subnet mask, routers, domain name servers, domain name). `never-send`
  wins over everything.
- Subnet mask (1) comes from the subnet unless configured explicitly.
- The engine adds 53, 54, 51, 58, 59 itself; options the server owns (53, 54, 51, 52, 58, 59, 61, 82) are
  never taken from the configuration.

Theory of operation: the global → shared network → subnet → pool merge is done once per configuration into
an `OptionBlock` per (subnet, pool). Per packet only classes and reservations, which are rare, cost a merge.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from edge.config.model import Config, OptionData, Subnet

BASIC_CODES = (1, 3, 6, 15)
SERVER_OWNED = frozenset((50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 82, 255, 0))

OptionBlock = dict[int, OptionData]


def _merge(block: OptionBlock, options: Iterable[OptionData]) -> None:
    for option in options:
        if option.space == "dhcp4" and option.code not in SERVER_OWNED:
            block[option.code] = option


class OptionPlanner:
    def __init__(self, config: Config) -> None:
        self.global_options: OptionBlock = {}
        _merge(self.global_options, config.option_data)
        self.class_options = {c.name: c.option_data for c in config.client_classes if c.option_data}
        # Blocks without classes: (subnet id, pool index or -1) -> merged options.
        self._blocks: dict[tuple[int, int], OptionBlock] = {}
        for subnet in config.subnets:
            base = self._subnet_block(subnet, ())
            self._blocks[(subnet.id, -1)] = base
            for index, pool in enumerate(subnet.pools):
                block = dict(base)
                _merge(block, pool.option_data)
                self._blocks[(subnet.id, index)] = block

    def _subnet_block(self, subnet: Subnet, classes: Iterable[str]) -> OptionBlock:
        block = dict(self.global_options)
        for name in classes:
            _merge(block, self.class_options.get(name, ()))
        _merge(block, subnet.shared_network_option_data)
        _merge(block, subnet.option_data)
        mask = OptionData(code=1, name="subnet-mask", data=struct.pack("!I", subnet.netmask))
        block.setdefault(1, mask)
        return block

    def block(
        self,
        subnet: Subnet | None,
        pool_index: int,
        classes: Iterable[str] = (),
        reservation_options: Iterable[OptionData] = (),
    ) -> OptionBlock:
        if subnet is None:
            block = dict(self.global_options)
            for name in classes:
                _merge(block, self.class_options.get(name, ()))
        else:
            with_classes = [c for c in classes if c in self.class_options]
            if with_classes:
                block = self._subnet_block(subnet, with_classes)
                if pool_index >= 0:
                    _merge(block, subnet.pools[pool_index].option_data)
            else:
                block = self._blocks[(subnet.id, pool_index)]
        reservation_options = tuple(reservation_options)
        if reservation_options:
            block = dict(block)
            _merge(block, reservation_options)
        return block


def select_options(block: OptionBlock, requested: Iterable[int]) -> list[tuple[int, bytes]]:
    """The (code, payload) pairs to send, in the client's requested order, then the always-sent ones."""
    chosen: list[tuple[int, bytes]] = []
    seen: set[int] = set()
    for code in list(requested) + list(BASIC_CODES):
        option = block.get(code)
        if option is not None and code not in seen and not option.never_send:
            chosen.append((code, option.data))
            seen.add(code)
    for code, option in block.items():
        if option.always_send and code not in seen and not option.never_send:
            chosen.append((code, option.data))
            seen.add(code)
    return chosen
