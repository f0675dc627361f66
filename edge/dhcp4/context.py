"""Everything the DHCPv4 engine derives from one configuration snapshot, built whole before it is used.

Rules:
- A Context is built from a Config4 (plus the host backends the server opened for it and the collaborators
  the engine was given) and never changed afterwards, except for its bounded caches (reply.py) and the
  allocator's free sets, which follow the lease store's change feed.
- `Engine.reconfigure` builds a new Context completely, then swaps one reference: if building fails (a bad
  hosts database, say) the old one keeps serving. Offers held for clients carry over (they name addresses,
  not configuration objects).
"""

from __future__ import annotations

from collections.abc import Sequence

from edge.ddns.names import NameHandler
from edge.dhcp4.alloc import Allocator
from edge.dhcp4.lease_store import LeaseStore4
from edge.dhcp4.model import ClientClass4, Config4
from edge.dhcp4.options import OptionPlanner
from edge.dhcp4.reply import Replies
from edge.dhcp4.select import SubnetSelector
from edge.policy.classify import Classifier
from edge.policy.hosts import HostBackend, HostManager
from edge.stats import Statistics


class Context(Replies):
    def __init__(
        self,
        config: Config4,
        store: LeaseStore4,
        stats: Statistics,
        backends: Sequence[HostBackend],
        names: NameHandler | None,
        offers: dict | None = None,
    ) -> None:
        self.config = config
        self.selector = SubnetSelector(config)
        self.classifier = Classifier(config.client_classes)
        self.hosts = HostManager(list(backends), config.host_reservation_identifiers)
        self.allocator = Allocator(config, store, self.hosts, self.selector, stats, offers)
        self.options = OptionPlanner(config)
        self.classes: dict[str, ClientClass4] = {c.name: c for c in config.client_classes}
        self.names = names
        super().__init__()
