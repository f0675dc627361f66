"""The DHCPv4 family service: raw or UDP sockets on port 67, the DHCPv4 engine, lease4-* commands.

What only DHCPv4 knows in the server (edge/server/service.py holds the rest): the socket manager of
edge/netif (AF_PACKET + BPF, or UDP), the `Inbound` a received datagram becomes (addresses as ints, this
interface's own addresses cached per interface until the sockets change), the reply handed to the socket
manager as a `Transmit`, the DNS name handler the engine answers options 81/12 with, and the statistic
names of a reply that was counted as sent but never left (an ACK whose lease could not be made durable),
and what a lease change or a NAK means as an event (edge/dashboard/events.py change_kind, with the v4
meaning of holding an address and of the same client: hardware address and client-id).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from edge.control.commands import Family
from edge.dashboard.events import change_kind
from edge.ddns.names import NameHandler
from edge.ddns.service import attach, queue_path_for
from edge.dhcp4.config import DIALECT, open_host_backends
from edge.dhcp4.defaults import load_config
from edge.dhcp4.engine import Engine, Inbound, Outbound
from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_cmds import LEASE4_COMMANDS
from edge.dhcp4.lease_stats import holds_address, recount_statistics
from edge.dhcp4.model import Config4
from edge.ha.service import attach as attach_ha
from edge.netif.datagrams import Transmit
from edge.netif.manager import SocketManager
from edge.policy.hosts import HostBackend
from edge.server.service import FamilyService
from edge.stats import PACKET_COUNTERS
from edge.wire.addr import int_to_ip

DHCPACK = 5
DHCPNAK = 6
OPT_MESSAGE = 56


def _same_client(old: Lease, new: Lease) -> bool:
    return old.hwaddr == new.hwaddr and old.client_id == new.client_id


def _as_int(address: Any) -> int:
    if address is None:
        return 0
    if isinstance(address, int):
        return address
    if isinstance(address, bytes | bytearray):
        return struct.unpack("!I", bytes(address))[0] if len(address) == 4 else 0
    parts = [int(p) for p in str(address).split(".")]
    return parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]


class Dhcp4Service(FamilyService):
    family = Family("DHCPv4", "Dhcp4", DIALECT)
    prefix = "DHCP4"
    service_name = "dhcp4"
    pkt = "pkt4"
    family_commands = LEASE4_COMMANDS
    startup_counters = PACKET_COUNTERS
    subject_text = int_to_ip

    engine: Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._local: dict[str, tuple[int, ...]] = {}  # ifname -> our addresses there, for Inbound
        self.names = NameHandler(lambda: self.engine.config)
        super().__init__(*args, **kwargs)
        self.engine.recount(self.clock())
        try:
            self.ha = attach_ha(self)  # the HA hook library's block, if configured (edge/ha)
        except Exception:
            self.loop.services.remove(self)  # e.g. the peer URL's port in use: no half-made service
            raise

    # ------------------------------------------------------------------ the family's parts
    def load_config(self, path: str | None) -> Config4:
        return load_config(path)

    def make_engine(self, config: Config4, hosts: Sequence[HostBackend]) -> Engine:
        return Engine(config, self.store, self.stats, hosts=hosts, names=self.names)

    def reconfigure_engine(self, config: Config4, hosts: Sequence[HostBackend]) -> None:
        self.engine.reconfigure(config, hosts)

    def open_hosts(self, config: Config4) -> Sequence[HostBackend]:
        return open_host_backends(config)

    def make_manager(self, config: Config4) -> SocketManager:
        specs = [(spec.name, spec.address) for spec in config.interfaces]
        return SocketManager(
            specs,
            config.dhcp_socket_type,
            config.service_sockets_retry_wait_time,
            config.service_sockets_max_retries,
            config.re_detect,
        )

    def sockets_changed(self) -> None:
        self._local.clear()

    def inbound(self, rx: Any) -> Inbound:
        ifname = rx.ifname
        local = self._local.get(ifname)
        if local is None:
            local = self._local[ifname] = tuple(_as_int(a) for a in self.manager.local_addresses(ifname))
        src_ip, dst_ip = rx.src_ip, rx.dst_ip
        return Inbound(
            ifname,
            rx.ifindex,
            src_ip if type(src_ip) is int else _as_int(src_ip),
            dst_ip if type(dst_ip) is int else _as_int(dst_ip),
            rx.src_port,
            rx.src_mac or b"",
            local,
        )

    def send(self, out: Outbound) -> None:
        tx = Transmit(out.payload, out.dst_ip, out.dst_port, out.dst_mac, out.src_ip)  # its field order
        self.manager.send(out.ifname, tx)

    def attach_ddns(self, deliverer: Any = None) -> None:
        self.ddns = attach(
            self.ddns,
            self.engine.config,
            self.names,
            self.loop,
            queue_path_for(self.store),
            self.lease_timers.reclaimer.on_reclaim,
            self.monotonic,
            deliverer,
        )

    def recount_statistics(self) -> dict[str, dict[str, int]]:
        return recount_statistics(self.config, self.store, self.stats)

    def lease_event(self, old: Lease | None, new: Lease | None) -> None:
        kind = change_kind(old, new, holds_address, _same_client)
        if kind is None:
            return
        lease = new if new is not None else old
        assert lease is not None
        if kind == "decline":  # a declined address has no client any more
            self.events.add(kind, lease.address, b"", "", lease.subnet_id)
        else:
            self.events.add(kind, lease.address, lease.hwaddr, lease.hostname, lease.subnet_id)

    def reply_event(self, out: Outbound) -> None:
        if out.message_type == DHCPNAK:
            packet = out.packet
            why = packet.get(OPT_MESSAGE) or b""
            self.events.add("nak", None, packet.mac, "", 0, why.decode("ascii", "replace"))

    def uncount_sent(self, out: Outbound) -> None:
        self.stats.inc("pkt4-sent", -1)  # the engine counted it when it built the reply
        if out.message_type == DHCPACK:
            self.stats.inc("pkt4-ack-sent", -1)
        self.stats.inc("pkt4-receive-drop")
