"""Where a DHCPv6 server keeps its files when the configuration does not say, as Kea's kea-dhcp6 does
beside kea-dhcp4: its own lease file and control socket, never the v4 ones.

Rules this module keeps: DHCPv6 has no built-in default configuration (a v6 server needs a prefix to hand
out, which nothing on the machine can supply); `load_config(None)` says so.
"""

from __future__ import annotations

from edge.config.family import FamilyFiles
from edge.dhcp6.model import Config6

__all__ = ["DEFAULT_CONTROL_SOCKET", "DEFAULT_LEASE_FILE", "FILES6", "load_config"]

DEFAULT_LEASE_FILE = "/var/lib/edge-dhcp/dhcp6.leases"
DEFAULT_CONTROL_SOCKET = "/run/edge-dhcp/dhcp6-ctrl.sock"


def load_config(path: str | None) -> Config6:
    """The Dhcp6 configuration file at `path` (there is no built-in default for DHCPv6)."""
    from edge.dhcp6.config import load_file

    if not path:
        raise ValueError("DHCPv6 has no built-in default configuration; give one with -c FILE")
    return load_file(path)


def _files() -> FamilyFiles:
    from edge.dhcp6.config import DIALECT

    return FamilyFiles("DHCPv6", DIALECT, DEFAULT_LEASE_FILE, DEFAULT_CONTROL_SOCKET, load_config)


FILES6 = _files()
