"""What the shared front ends (`edge-dhcp ctl`, `leases`, `stats`, the config-* commands) need from a
family's configuration side, handed to them by whoever knows the family (edge/cli.py, the family service).

Rules this module keeps: the front ends stay family-neutral -- they never import a family's loader or its
defaults; a FamilyFiles value carries them (edge/dhcp4/defaults.py FILES4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge.config.loader import Dialect
from edge.config.model import DaemonConfig

__all__ = ["FamilyFiles"]


@dataclass(frozen=True)
class FamilyFiles:
    name: str  # "DHCPv4"
    dialect: Dialect  # its top-level key and builder
    default_lease_file: str  # where leases live when lease-database names no file
    default_control_socket: str  # the built-in default's unix control socket
    load_config: Callable[[str | None], DaemonConfig]  # a file, or (None) the built-in default
