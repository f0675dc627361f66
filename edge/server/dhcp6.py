"""The DHCPv6 family service: UDP sockets on port 547, the DHCPv6 engine, lease6-* commands.

What only DHCPv6 knows in the server (edge/server/service.py holds the rest, shared with DHCPv4):
- the socket manager of edge/netif (Socket6Manager: per interface a link-local socket and one joined to
  ff02::1:2, as Kea opens them; no raw sockets for v6);
- the `Inbound6` a received datagram becomes (16-byte addresses, the arrival interface's full 32-bit index,
  this interface's own addresses cached until the sockets change), and the reply handed to the socket
  manager as a `Transmit6`;
- the server's DUID (server-id): made once and kept in the data directory as Kea's `kea-dhcp6-serverid`
  (edge/dhcp6/server_id.py), before the engine is built, so a client renewing after a restart still
  finds the server it was talking to;
- the statistic names of a reply counted as sent that never left (a REPLY whose lease could not be made
  durable), and what a lease change means as a dashboard event (a v6 lease's holder is its DUID + IAID).

DNS updates for DHCPv6 (option 39, AAAA/PTR) come with issue "DHCPv6 II": with `dhcp-ddns.enable-updates`
on, this service says once that it does not update DNS yet and serves addresses without it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from edge.control.commands import Family
from edge.dashboard.events import change_kind
from edge.dhcp6.config import DIALECT, open_host_backends
from edge.dhcp6.defaults import load_config
from edge.dhcp6.engine import STARTUP_COUNTERS, Engine6
from edge.dhcp6.exchange import Inbound6, Outbound6
from edge.dhcp6.lease import Lease6, address_text
from edge.dhcp6.lease_cmds import LEASE6_COMMANDS
from edge.dhcp6.lease_stats import counted, recount_statistics6
from edge.dhcp6.model import Config6
from edge.dhcp6.server_id import load_server_id
from edge.netif.datagrams6 import RxDatagram6, Transmit6
from edge.netif.interfaces6 import scan6
from edge.netif.manager6 import Socket6Manager
from edge.policy.hosts import HostBackend
from edge.server.service import FamilyService
from edge.wire.addr import bytes_to_ip6

log = logging.getLogger("edge.server")

REPLY = 7
HTYPE_ETHER = 1


def _holds(lease: Lease6) -> bool:
    return counted(lease) is not None


def _same_client(old: Lease6, new: Lease6) -> bool:
    return old.duid == new.duid and old.iaid == new.iaid


def _subject(address: Any) -> str:
    if isinstance(address, int):
        return address_text(address)
    if isinstance(address, bytes | bytearray) and len(address) == 16:
        return bytes_to_ip6(bytes(address))
    return str(address)


def _hardware_address() -> tuple[bytes, int]:
    """The MAC the server's DUID-LLT / DUID-LL is made from when the configuration gives none: the first
    non-loopback interface's by name (Kea takes the first suitable interface it detects)."""
    try:
        interfaces = scan6()
    except OSError:
        interfaces = {}
    for name in sorted(interfaces):
        iface = interfaces[name]
        if not iface.loopback and iface.mac and any(iface.mac):
            return iface.mac, HTYPE_ETHER
    return b"", HTYPE_ETHER


class Dhcp6Service(FamilyService):
    family = Family("DHCPv6", "Dhcp6", DIALECT)
    prefix = "DHCP6"
    service_name = "dhcp6"
    pkt = "pkt6"
    family_commands = LEASE6_COMMANDS
    startup_counters = STARTUP_COUNTERS
    subject_text = _subject

    engine: Engine6

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._local: dict[str, tuple[bytes, ...]] = {}  # ifname -> our addresses there, for Inbound6
        self.server_id = b""
        self._ddns_said = False
        super().__init__(*args, **kwargs)
        self.engine.recount(self.clock())

    # ------------------------------------------------------------------ the family's parts
    def load_config(self, path: str | None) -> Config6:
        return load_config(path)

    def make_engine(self, config: Config6, hosts: Sequence[HostBackend]) -> Engine6:
        hwaddr, htype = _hardware_address()
        self.server_id = load_server_id(config.server_id, config.data_directory, self.clock(), hwaddr, htype)
        log.info("DHCP6_SERVERID_LOADED server-id %s", self.server_id.hex(":"))
        return Engine6(config, self.store, self.stats, server_id=self.server_id, hosts=hosts)

    def reconfigure_engine(self, config: Config6, hosts: Sequence[HostBackend]) -> None:
        # The server-id is the server's identity towards its clients: a reload keeps it (Kea reads its file
        # again and finds the same DUID unless server-id changed, which needs a restart here).
        self.engine.reconfigure(config, hosts)

    def open_hosts(self, config: Config6) -> Sequence[HostBackend]:
        return open_host_backends(config)

    def make_manager(self, config: Config6) -> Socket6Manager:
        specs = [
            (spec.name, None if spec.address is None else spec.address.to_bytes(16, "big"))
            for spec in config.interfaces
        ]
        return Socket6Manager(
            specs,
            config.service_sockets_retry_wait_time,
            config.service_sockets_max_retries,
            config.re_detect,
        )

    def sockets_changed(self) -> None:
        self._local.clear()

    def inbound(self, rx: RxDatagram6) -> Inbound6:
        ifname = rx.ifname
        local = self._local.get(ifname)
        if local is None:
            local = self._local[ifname] = tuple(self.manager.local_addresses(ifname))
        return Inbound6(ifname, rx.ifindex, rx.src_ip, rx.src_port, rx.dst_ip, local)

    def send(self, out: Outbound6) -> None:
        self.manager.send(out.ifname, Transmit6(out.payload, out.dst_ip, out.dst_port, out.src_ip))

    def attach_ddns(self, deliverer: Any = None) -> None:
        if self.engine.config.ddns.enable_updates and not self._ddns_said:
            self._ddns_said = True
            log.warning(
                "DHCP6_DDNS_NOT_YET dhcp-ddns.enable-updates is on: DNS updates for DHCPv6 are not "
                "implemented yet; addresses are served without them"
            )

    def recount_statistics(self) -> dict[str, dict[str, int]]:
        return recount_statistics6(self.config, self.store, self.stats)

    def lease_event(self, old: Lease6 | None, new: Lease6 | None) -> None:
        kind = change_kind(old, new, _holds, _same_client)
        if kind is None:
            return
        lease = new if new is not None else old
        assert lease is not None
        if kind == "decline":  # a declined address has no client any more
            self.events.add(kind, lease.address, b"", "", lease.subnet_id)
        else:
            self.events.add(kind, lease.address, lease.duid, lease.hostname, lease.subnet_id)

    def uncount_sent(self, out: Outbound6) -> None:
        self.stats.inc("pkt6-sent", -1)  # the engine counted it when it built the reply
        if out.message_type == REPLY:
            self.stats.inc("pkt6-reply-sent", -1)
        self.stats.inc("pkt6-receive-drop")
