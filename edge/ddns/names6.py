"""DHCPv6 names (option 39, RFC 4704): Kea 2.2's answer to a client FQDN and the AAAA/PTR changes of a lease.

Rules this module keeps (Kea 2.2's dhcp6_srv.cc processClientFqdn / createNameChangeRequests /
generateFqdn and d2_client_mgr):
- The N-S-O table is DHCPv4's (edge/ddns/names.py `_server_flags`): client 0-0 -> 0-1-1 under
  `ddns-override-client-update`, else 0-0-0 (the server does the PTR only); 0-1 -> 0-1-0; 1-0 -> 0-1-1 under
  `ddns-override-no-update`, else 1-0-0. With updates off N=1, S=0, O = client S. Option 39 has no E bit
  and no RCODEs: the name is always DNS wire format.
- The name: a reservation's hostname; else the client's, sanitised per label (`hostname-char-set`) and
  lower-cased, a partial one qualified with `ddns-qualifying-suffix`; replaced by a generated name under
  `ddns-replace-client-name` "always" / "when-present", or when empty. The generated name is made after the
  addresses are assigned, from the first IA_NA address: `ddns-generated-prefix`-2001-db8--1.suffix (Kea's
  generateFqdn: the address text with ':' -> '-').
- Only IA_NA leases go into DNS (Kea 2.2's queueNCR skips prefix leases): an AAAA record for the address
  and a PTR in ip6.arpa, with a DHCID from the DUID (RFC 4701 identifier type 0x0002).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from edge.config.model import DdnsScope
from edge.ddns.dhcid import duid_dhcid
from edge.ddns.names import NameHandler, _qualified, _server_flags, qualify, sanitize

__all__ = ["FLAG_N", "FLAG_O", "FLAG_S", "Fqdn6", "NameHandler6", "generated_name6"]

FLAG_S = 0x01
FLAG_O = 0x02
FLAG_N = 0x04
TYPE_NA = 0  # Kea's Lease::TYPE_NA, the lease_type of an IA_NA lease


@dataclass(frozen=True, slots=True)
class Fqdn6:
    """What option 39 decided: the reply's flags, the name ("" until generated), the DNS directions."""

    flags: int
    name: str  # absolute, with the trailing dot; "" when it is to be generated from the address
    forward: bool
    reverse: bool

    @property
    def generate(self) -> bool:
        return not self.name


def generated_name6(address: int, params: DdnsScope) -> str:
    dashed = ipaddress.IPv6Address(address).compressed.replace(":", "-")
    return qualify(
        f"{params.ddns_generated_prefix.lower()}-{dashed}", params.ddns_qualifying_suffix, trailing_dot=True
    )


class NameHandler6(NameHandler):
    log_prefix = "DHCP6"

    def decide(
        self, client_flags: int, name: str, full: bool, params: DdnsScope, reserved: str | None
    ) -> Fqdn6:
        """Option 39 with DNS updates on (`updates_enabled(params)`)."""
        client_s, client_n = bool(client_flags & FLAG_S), bool(client_flags & FLAG_N)
        server_s, server_n = _server_flags(client_n, client_s, True, params)
        flags = (
            (FLAG_S if server_s else 0)
            | (FLAG_N if server_n else 0)
            | (FLAG_O if server_s != client_s else 0)
        )
        mode = params.ddns_replace_client_name
        suffix = params.ddns_qualifying_suffix
        if reserved:
            out = qualify(reserved.lower(), suffix, trailing_dot=True)
        elif not name or mode in ("always", "when-present"):
            out = ""
        else:
            clean = sanitize(name, params, per_label=True)
            if not clean:
                out = ""
            elif full:
                out = clean + "."
            else:
                out = qualify(clean, suffix, trailing_dot=True)
        return Fqdn6(flags, out, server_s, not server_n)

    def usable(self, name: str) -> bool:
        """A single-label name is answered but never put into DNS (as in names.py)."""
        return _qualified(name)

    def dhcid_of(self, fqdn: str, lease: Any) -> bytes:
        return duid_dhcid(fqdn, lease.duid)

    def address_text(self, address: int) -> str:
        return ipaddress.IPv6Address(address).compressed

    def same_client(self, old: Any, new: Any) -> bool:
        return bool(old.duid == new.duid and old.iaid == new.iaid)

    def in_dns(self, lease: Any) -> bool:
        return bool(lease.lease_type == TYPE_NA)
