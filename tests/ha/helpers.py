"""Kea-style HA configurations for the HA tests."""

from __future__ import annotations

import json
from typing import Any


def ha_block(
    this: str = "server1",
    mode: str = "hot-standby",
    peers: list[dict[str, Any]] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """The high-availability relationship (one map), peers on loopback unless given."""
    if peers is None:
        second = "standby" if mode == "hot-standby" else "secondary"
        peers = [
            {"name": "server1", "url": "http://127.0.0.1:8001/", "role": "primary"},
            {"name": "server2", "url": "http://127.0.0.1:8002/", "role": second},
        ]
    return {"this-server-name": this, "mode": mode, "peers": peers, **params}


def dhcp4_doc(
    block: dict[str, Any], library: str = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so"
) -> dict[str, Any]:
    return {
        "Dhcp4": {
            "interfaces-config": {"interfaces": []},
            "hooks-libraries": [
                {"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"},
                {"library": library, "parameters": {"high-availability": [block]}},
            ],
            "subnet4": [
                {
                    "id": 1,
                    "subnet": "192.0.2.0/24",
                    "pools": [
                        {"pool": "192.0.2.10 - 192.0.2.99", "client-class": "HA_server1"},
                        {"pool": "192.0.2.100 - 192.0.2.199", "client-class": "HA_server2"},
                    ],
                }
            ],
        }
    }


def dhcp4_text(block: dict[str, Any]) -> str:
    """Pretty JSON text (one key per line) so positions can be found with str.find."""
    return json.dumps(dhcp4_doc(block), indent=2)
