"""Everything the fuzz targets take from edge-dhcp, imported here and nowhere else in tests/fuzz.

When a module moves, this file is the one to update; the targets name only what is defined here.
"""

from __future__ import annotations

from edge.config.errors import ConfigError
from edge.control.commands import SHARED_COMMANDS, written_config
from edge.control.protocol import RequestError, encode_answer, parse_command
from edge.control.registry import Registry
from edge.dhcp4.config import load_data, load_file, load_text
from edge.dhcp4.engine import Engine, Inbound
from edge.dhcp4.lease_cmds import LEASE4_COMMANDS
from edge.dhcp4.lease_store import MemfileLeaseStore4, MemoryLeaseStore4
from edge.dhcp6.config import load_file as load_file6
from edge.dhcp6.lease_store import MemoryLeaseStore6
from edge.netif.datagrams import RxDatagram
from edge.netif.datagrams6 import RxDatagram6
from edge.server.dhcp4 import Dhcp4Service as Server
from edge.server.dhcp6 import Dhcp6Service as Dhcp6Server
from edge.wire import optiondef, options4, pkt6
from edge.wire import pkt4 as wire
from edge.wire.errors import DecodeError, EncodeError

COMMANDS = Registry((*SHARED_COMMANDS, *LEASE4_COMMANDS))  # what the DHCPv4 service answers

__all__ = [
    "COMMANDS",
    "ConfigError",
    "DecodeError",
    "EncodeError",
    "Engine",
    "Inbound",
    "MemfileLeaseStore4",
    "MemoryLeaseStore4",
    "MemoryLeaseStore6",
    "RxDatagram6",
    "Dhcp6Server",
    "load_file6",
    "pkt6",
    "RequestError",
    "RxDatagram",
    "Server",
    "encode_answer",
    "load_data",
    "load_file",
    "load_text",
    "parse_command",
    "wire",
    "optiondef",
    "options4",
    "written_config",
]

# The engine's handler table and the control registry's logger, which the targets hook to turn what the
# server's safety nets would swallow into a crash the fuzzer sees.
from edge.control import registry as control_registry  # noqa: E402

__all__ += ["control_registry"]


def quiet_logging() -> None:
    """The server's own log set-up, its lines formatted and written as in `serve`, into os.devnull (UTF-8,
    strict): a line that cannot be written still shows, as the handler's error."""
    import logging
    import os

    from edge.log import configure_logging

    configure_logging()
    for handler in logging.getLogger("edge").handlers:
        handler.setStream(open(os.devnull, "w", encoding="utf-8"))  # type: ignore[attr-defined]  # noqa: SIM115


__all__ += ["quiet_logging"]
