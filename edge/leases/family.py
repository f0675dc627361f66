"""LeaseFamily: what the lease command line needs to know about one protocol family, in one value.

The lease tools (`edge-dhcp leases import|export`, `edge-dhcp stats recount`: cli.py) are the same for
DHCPv4 and DHCPv6; what differs is handed to them as a LeaseFamily by the family's own room
(edge/dhcp4/lease_family.py, edge/dhcp6/lease_family.py), never imported from here:
- how to read that family's configuration and which top-level key marks it ("Dhcp4", "Dhcp6");
- its default lease file and its persistent store;
- its tables of import and export formats (edge/leases/interchange.py);
- how to recount its lease statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge.leases.interchange import Parser, Writer
from edge.leases.record import RecordFormat
from edge.leases.store import LeaseStore
from edge.stats import Statistics


@dataclass(frozen=True)
class LeaseFamily:
    name: str  # "dhcp4", "dhcp6"
    config_key: str  # the configuration's top-level key: "Dhcp4", "Dhcp6"
    format: RecordFormat[Any]
    default_lease_file: str
    load_config: Callable[[str | None], Any]  # a file name (None: the built-in default) -> configuration
    # (path, sync=..., readonly=...) -> the family's persistent store
    open_store: Callable[..., LeaseStore[Any]]
    imports: dict[str, Parser]
    exports: dict[str, Writer]
    recount: Callable[[Any, LeaseStore[Any], Statistics], dict[str, dict[str, Any]]]

    def lease_file(self, config: Any, override: str | None = None) -> str:
        """The lease file of `config` (--lease-file overrides it), as `serve` would use it."""
        return override or config.lease_database.name or self.default_lease_file
