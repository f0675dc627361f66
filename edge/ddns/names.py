"""Which name a client gets in DNS, what the reply tells it, and which DNS changes a lease event calls for.

Rules this module keeps (Kea 2.2's behaviour, checked against kea-dhcp4 in tests/ddns):
- The name comes from, in order: a host reservation's hostname; the client FQDN option (81); the host
  name option (12); or is generated (`ddns-generated-prefix`-a-b-c-d) when `ddns-replace-client-name`
  says so. With option 81 the client's name is replaced under "always" and "when-present", kept under
  "never" and "when-not-present", and generated whenever it is empty. With option 12 it is replaced under
  "always" and "when-present"; a client that sent neither option gets a generated name under "always"
  and "when-not-present". If both 81 and 12 are sent, 81 wins.
- Client-supplied names are sanitised with `hostname-char-set` / `hostname-char-replacement` (per label
  for option 81, where dots separate labels; over the whole text for option 12) and lower-cased. A partial
  name is qualified with `ddns-qualifying-suffix` unless it already ends with it.
- The option 81 flags in the reply follow RFC 4702 and Kea's table:
      client N-S   updates on                          reply N-S-O
      0-0          override-client-update ? 0-1-1 : 0-0-0 (server does PTR only)
      0-1          0-1-0                                (both)
      1-0          override-no-update ? 0-1-1 : 1-0-0 (none)
  and with updates off (`enable-updates` or `ddns-send-updates` false) N=1, S=0, O = client S. E and the
  RCODE bytes are copied from the client, as Kea 2.2 does; the name is always fully qualified. A client
  sending N=1 and S=1 is dropped, as Kea drops it.
- The lease records the outcome: `hostname` (with a trailing dot for option 81, without for option 12,
  as Kea's lease files show), `fqdn_fwd` (the A record is ours to manage) and `fqdn_rev` (the PTR is).
  Names with a single label (no suffix configured) are answered but never put into DNS: they would make
  an A record outside any zone and a PTR pointing nowhere.
- A renewal with the same name, flags and client asks for nothing unless `ddns-update-on-renew`; a
  changed name removes the old records and adds the new ones. Release, decline, expiry and `lease4-del`
  with update-ddns remove what the lease says was added.

Theory of operation: `NameHandler` is what the engine is given (the engine imports nothing from here; it
calls `names_for`, `apply`, `lease_granted` and `lease_removed` on whatever object the server attached).
Deciding is pure; the only effect is calling `sink(NameChangeRequest)`, which the DDNS service points at
its persistent queue. With updates off the sink is None and only the reply options are produced.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from edge.config.model import DaemonConfig, DdnsScope, NamedReservation, SubnetView
from edge.ddns import fqdn as fqdn_option
from edge.ddns.dhcid import dhcid_for
from edge.ddns.ncr import CHG_ADD, CHG_REMOVE, NameChangeRequest
from edge.leases.lease import LeaseRecord
from edge.wire.addr import int_to_ip

log = logging.getLogger("edge.ddns")


class Lease(LeaseRecord, Protocol):
    """A lease as the name handler reads it: the DHCID comes from the hardware address and client-id."""

    client_id: bytes | None


__all__ = ["NameHandler", "Names", "generated_name", "qualify", "sanitize", "ttl_for"]

OPT_HOSTNAME = 12
OPT_FQDN = 81
SKIP_CLASS = "SKIP_DDNS"


@dataclass(frozen=True, slots=True)
class Names:
    """The outcome for one request: what goes in the lease, in DNS and in the reply."""

    hostname: str = ""  # what the lease records ("" none)
    forward: bool = False  # the server manages the A record
    reverse: bool = False  # the server manages the PTR record
    reply_code: int = 0  # 81, 12 or 0 (nothing to add to the reply)
    reply_data: bytes = b""
    drop: bool = False  # the request is invalid (option 81 with N and S set): no reply at all


NO_NAMES = Names()


# ----------------------------------------------------------------------------------------- name text


@functools.lru_cache(maxsize=64)
def _char_set(pattern: str) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


def sanitize(text: str, params: DdnsScope, *, per_label: bool) -> str:
    """Replace (or drop) characters `hostname-char-set` matches; NULs always go. Lower-cases."""
    text = text.replace("\x00", "")
    pattern = _char_set(params.hostname_char_set)
    if pattern is not None:
        if per_label:
            labels = [pattern.sub(params.hostname_char_replacement, label) for label in text.split(".")]
            text = ".".join(label for label in labels if label)
        else:
            text = pattern.sub(params.hostname_char_replacement, text)
    return text.lower()


def qualify(name: str, suffix: str, *, trailing_dot: bool) -> str:
    """Kea's qualifyName: append the suffix to a name that does not end with it (on a label boundary);
    a name ending in "." is already absolute."""
    out = name
    suffix = suffix.strip().lower()
    if suffix.strip(".") and not name.endswith("."):
        bare = suffix.rstrip(".")
        if not (out == bare or out.endswith("." + bare)):
            out = (out + "." if out else "") + bare
    out = out.rstrip(".")
    return out + "." if trailing_dot and out else out


def generated_name(address: int, params: DdnsScope, *, trailing_dot: bool) -> str:
    dashed = "%d-%d-%d-%d" % (address >> 24 & 255, address >> 16 & 255, address >> 8 & 255, address & 255)
    return qualify(
        f"{params.ddns_generated_prefix.lower()}-{dashed}",
        params.ddns_qualifying_suffix,
        trailing_dot=trailing_dot,
    )


def ttl_for(lifetime: int, params: DdnsScope) -> int:
    """RFC 4702 section 5 and Kea: ddns-ttl if set; else lifetime x ddns-ttl-percent (default 1/3), at
    least ddns-ttl-min (default 600), at most ddns-ttl-max."""
    if params.ddns_ttl:
        return params.ddns_ttl
    percent = params.ddns_ttl_percent or (1 / 3)
    ttl = int(lifetime * percent)
    ttl = max(ttl, params.ddns_ttl_min or 600)
    if params.ddns_ttl_max:
        ttl = min(ttl, params.ddns_ttl_max)
    return ttl


def _qualified(name: str) -> bool:
    return "." in name.strip(".")


# The option 81 flag table: (client N, client S) -> (server S, server N) with updates on.
def _server_flags(client_n: bool, client_s: bool, enabled: bool, params: DdnsScope) -> tuple[bool, bool]:
    if not enabled:
        return False, True
    if client_n:
        s = params.ddns_override_no_update
        return s, not s
    if client_s:
        return True, False
    return params.ddns_override_client_update, False


# ----------------------------------------------------------------------------------------- the handler


class NameHandler:
    def __init__(
        self,
        config: Callable[[], DaemonConfig],
        sink: Callable[[NameChangeRequest], None] | None = None,
    ) -> None:
        self._config = config
        self.sink = sink

    # -- helpers
    def _params_for(self, subnet_id: int) -> DdnsScope:
        config = self._config()
        subnet = config.subnet_by_id(subnet_id)
        return subnet.params if subnet is not None else config.params

    def updates_enabled(self, params: DdnsScope) -> bool:
        return self._config().ddns.enable_updates and params.ddns_send_updates

    # -- deciding (pure)
    def names_for(
        self,
        request: Any,
        subnet: SubnetView,
        address: int,
        reservation: NamedReservation | None = None,
        classes: Iterable[str] = (),
    ) -> Names:
        params = subnet.params
        enabled = self.updates_enabled(params) and SKIP_CLASS not in classes
        reserved = reservation.hostname if reservation is not None and reservation.hostname else None
        fqdn_data = request.get(OPT_FQDN)
        if fqdn_data is not None:
            try:
                client = fqdn_option.decode(fqdn_data)
            except fqdn_option.FqdnError as exc:
                if fqdn_data[:1] and fqdn_data[0] & fqdn_option.FLAG_N and fqdn_data[0] & fqdn_option.FLAG_S:
                    log.info(
                        "DHCP4_DDNS_REQUEST_DROPPED %s: client FQDN option has N and S set; dropped",
                        request.mac.hex(":"),
                    )
                    return Names(drop=True)
                log.info(
                    "DHCP4_CLIENT_FQDN_DATA_INVALID %s: ignoring option 81: %s", request.mac.hex(":"), exc
                )
            else:
                return self._from_fqdn(client, params, enabled, address, reserved)
        return self._from_hostname(request, params, enabled, address, reserved)

    def _from_fqdn(
        self,
        client: fqdn_option.ClientFqdn,
        params: DdnsScope,
        enabled: bool,
        address: int,
        reserved: str | None,
    ) -> Names:
        server_s, server_n = _server_flags(client.n, client.s, enabled, params)
        flags = (
            (fqdn_option.FLAG_S if server_s else 0)
            | (fqdn_option.FLAG_N if server_n else 0)
            | (fqdn_option.FLAG_O if server_s != client.s else 0)
            | (fqdn_option.FLAG_E if client.e else 0)
        )
        mode = params.ddns_replace_client_name
        suffix = params.ddns_qualifying_suffix
        if reserved is not None:
            name = qualify(reserved.lower(), suffix, trailing_dot=True)
        elif not client.name or mode in ("always", "when-present"):
            name = generated_name(address, params, trailing_dot=True)
        else:
            clean = sanitize(client.name, params, per_label=True)
            if not clean:
                name = generated_name(address, params, trailing_dot=True)
            elif client.full:
                name = clean + "."
            else:
                name = qualify(clean, suffix, trailing_dot=True)
        try:
            data = fqdn_option.encode(flags, name, True, client.rcode1, client.rcode2)
        except fqdn_option.FqdnError as exc:
            log.info("DHCP4_CLIENT_FQDN_INVALID the name %r cannot be answered: %s", name, exc)
            return NO_NAMES
        usable = _qualified(name)
        if not usable and (server_s or not server_n):
            log.info(
                "DHCP4_DDNS_NAME_UNQUALIFIED %s is a single label: answered, but not put into DNS (set "
                "ddns-qualifying-suffix, and have the client send a partial name)",
                name,
            )
        return Names(
            hostname=name,
            forward=server_s and usable,
            reverse=(not server_n) and usable,
            reply_code=OPT_FQDN,
            reply_data=data,
        )

    def _from_hostname(
        self, request: Any, params: DdnsScope, enabled: bool, address: int, reserved: str | None
    ) -> Names:
        sent = request.get(OPT_HOSTNAME)
        mode = params.ddns_replace_client_name
        suffix = params.ddns_qualifying_suffix
        answer = sent is not None
        if reserved is not None:
            # Kea 2.2 answers a reserved name even to a client that neither sent nor asked for option 12.
            name = qualify(reserved.lower(), suffix, trailing_dot=False)
            answer = True
        elif sent is not None:
            text = sent.decode("latin-1").rstrip("\x00")
            if mode in ("always", "when-present"):
                name = generated_name(address, params, trailing_dot=False)
            else:
                clean = sanitize(text, params, per_label=False)
                if not clean.strip("."):
                    return NO_NAMES
                if _qualified(clean):
                    name = clean
                else:
                    name = qualify(clean.rstrip("."), suffix, trailing_dot=False)
        elif mode in ("always", "when-not-present"):
            name = generated_name(address, params, trailing_dot=False)
            answer = True
        else:
            return NO_NAMES
        try:
            fqdn_option.labels_of(name)
        except fqdn_option.FqdnError as exc:
            log.info("DHCP4_CLIENT_HOSTNAME_MALFORMED %s: %s", request.mac.hex(":"), exc)
            return NO_NAMES
        usable = enabled and _qualified(name)
        return Names(
            hostname=name,
            forward=usable,
            reverse=usable,
            reply_code=OPT_HOSTNAME if answer else 0,
            reply_data=name.encode("latin-1")[:255] if answer else b"",
        )

    def apply(self, reply: Any, names: Names | None) -> None:
        """Put the answer option into a reply (OFFER or ACK); it replaces any option 12 or 81 already
        there (a client answered with option 81 gets no option 12, as from Kea)."""
        if names is None:
            return
        reply.remove(OPT_HOSTNAME)
        reply.remove(OPT_FQDN)
        if names.reply_code:
            reply.set(names.reply_code, names.reply_data)

    # -- what differs between the families (edge/ddns/names6.py has the DHCPv6 answers)
    log_prefix = "DHCP4"

    def dhcid_of(self, fqdn: str, lease: Any) -> bytes:
        """The DHCID of `lease`'s client for `fqdn` (RFC 4701)."""
        return dhcid_for(fqdn, lease.hwaddr, lease.client_id)

    def address_text(self, address: int) -> str:
        return int_to_ip(address)

    def same_client(self, old: Any, new: Any) -> bool:
        return bool(old.hwaddr == new.hwaddr and old.client_id == new.client_id)

    def in_dns(self, lease: Any) -> bool:
        """Whether this kind of lease gets DNS entries at all."""
        return True

    # -- lease events -> NameChangeRequests
    def lease_granted(self, old: Lease | None, new: Lease, now: float) -> None:
        if self.sink is None:
            return
        params = self._params_for(new.subnet_id)
        same = (
            old is not None
            and old.state == new.state
            and old.expire > now
            and self.same_client(old, new)
            and _norm(old.hostname) == _norm(new.hostname)
            and old.fqdn_fwd == new.fqdn_fwd
            and old.fqdn_rev == new.fqdn_rev
        )
        if same and not params.ddns_update_on_renew:
            return
        if not same and old is not None:
            self.lease_removed(old, now)
        if new.hostname and (new.fqdn_fwd or new.fqdn_rev) and self.in_dns(new):
            self._emit(CHG_ADD, new, params)

    def lease_removed(self, lease: Lease, now: float = 0.0) -> bool:
        """Queue the removal of what `lease` says is in DNS. True if a request was queued."""
        if self.sink is None or not lease.hostname or not (lease.fqdn_fwd or lease.fqdn_rev):
            return False
        if not self.in_dns(lease):
            return False
        return self._emit(CHG_REMOVE, lease, self._params_for(lease.subnet_id))

    def _emit(self, change: int, lease: Lease, params: DdnsScope) -> bool:
        fqdn = _norm(lease.hostname)
        if not _qualified(fqdn):
            return False
        try:
            dhcid = self.dhcid_of(fqdn, lease)
            request = NameChangeRequest(
                change_type=change,
                forward=lease.fqdn_fwd,
                reverse=lease.fqdn_rev,
                fqdn=fqdn,
                ip_address=self.address_text(lease.address),
                dhcid=dhcid,
                lease_expires_on=lease.expire,
                lease_length=ttl_for(lease.valid_lifetime, params),
                conflict_mode=params.ddns_conflict_resolution_mode,
            )
        except ValueError as exc:
            log.error(
                "%s_NCR_CREATION_FAILED cannot build a DNS update for %s (%s): %s",
                self.log_prefix,
                self.address_text(lease.address),
                lease.hostname,
                exc,
            )
            return False
        assert self.sink is not None
        self.sink(request)
        return True


def _norm(hostname: str) -> str:
    """Lease hostname -> absolute lower-case FQDN ("" stays "")."""
    text = hostname.strip().lower().rstrip(".")
    return text + "." if text else ""
