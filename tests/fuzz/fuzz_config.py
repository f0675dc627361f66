"""Fuzz target: the configuration loader. Any text: load_text raises ConfigError (whose issues all render
as text) or gives a Config; and a Config it gives must be one `serve` can run: config-write's document of
it loads back to the same running configuration, and an Engine built from it answers a real client's
DISCOVER and REQUEST (dhclient's, from the seed corpus) without raising.

Nothing is opened outside the process: host databases (files the Engine would open or create) are left
out of the Engine built here, and the text is loaded with a source in a directory that does not exist, so
relative includes find nothing.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.fuzz.seeds import client_packets
from tests.fuzz.subjects import ConfigError, Engine, Inbound, MemoryLeaseStore4, load_text, written_config

SOURCE = "/nonexistent/edge-fuzz/config.json"

WHERE_FROM = {"raw", "source", "warnings", "path", "positions"}


def running(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {
            f.name: running(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.compare and f.name not in WHERE_FROM
        }
        if "subnet_ids" in out:
            out["subnet_ids"] = sorted(out["subnet_ids"])
        return out
    if isinstance(value, tuple | list):
        return [running(item) for item in value]
    if isinstance(value, dict):
        return {key: running(item) for key, item in value.items()}
    return value


def one_input(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        config = load_text(text, source=SOURCE)
    except ConfigError as err:
        for issue in err.issues:
            str(issue).encode("utf-8")
        return
    written = written_config(config)
    again = load_text(written.decode("utf-8"), source=SOURCE)
    assert running(again) == running(config), "config-write output loads back differently"
    engine = Engine(dataclasses.replace(config, hosts_databases=()), MemoryLeaseStore4())
    inbound = Inbound("eth0", 2, 0, 0xFFFFFFFF, 68, b"\x02\x00\x5e\x10\x00\x01", (0xC0000201,))
    for packet in client_packets()[:2]:
        engine.handle(packet, inbound, 1_700_000_000.0)
