"""What this machine has that a configuration is checked against: its interface names.

Rules this module keeps: reading the machine is kept out of the loaders (which are pure functions of the
document and what they are given); callers pass `interface_names()` as `interfaces_present`.
"""

from __future__ import annotations

import socket

__all__ = ["interface_names"]


def interface_names() -> set[str]:
    """Names of the interfaces on this machine (empty when they cannot be listed)."""
    try:
        return {name for _, name in socket.if_nameindex()}
    except OSError:
        return set()
