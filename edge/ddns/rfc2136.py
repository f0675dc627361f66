"""The built-in updater: a NameChangeRequest becomes RFC 2136 UPDATE messages, TSIG-signed, sent to the
DNS servers a Kea D2 configuration names - what kea-dhcp-ddns would do, without the extra daemon.

Rules this module keeps:
- Zones and servers are chosen as D2 chooses them: the forward domain is the longest `forward-ddns`
  domain the FQDN ends with, the reverse domain the longest `reverse-ddns` domain the in-addr.arpa name
  ends with. A direction with no matching domain is skipped (logged once per request). Servers of a
  domain are tried in order; the request is retried later only if none answered.
- Conflict resolution (RFC 4703, `check-with-dhcid`, Kea's default), per direction:
    add, forward:   1. prerequisite "name not in use" -> add A (AAAA for an IPv6 address) + DHCID;
                    2. if the name is in use (YXDOMAIN): prerequisite "DHCID is ours" -> replace the A
                       records; if the DHCID is someone else's (NXRRSET) the name belongs to another
                       client: stop, and do not touch the PTR either.
    add, reverse:   replace PTR and DHCID at the address's name (no prerequisite: the address is ours).
    remove, fwd:    1. prerequisite "DHCID is ours" -> delete our A record;
                    2. prerequisite "DHCID is ours, no A/AAAA left" -> delete every record of the name.
    remove, rev:    prerequisite "the PTR points at this name" -> delete every record of the address name.
  `no-check-with-dhcid` replaces/deletes without prerequisites but still writes DHCID records;
  `check-exists-with-dhcid` lets a name be taken over when it has any DHCID (dynamic) but never when it
  has none (static); `no-check-without-dhcid` writes no DHCID at all (Kea >= 2.4's modes).
- The outcome of a request is DONE (applied, or nothing to do), FAILED (the DNS server said no: a
  conflict, REFUSED, NOTAUTH, a bad TSIG - retrying would not change it; logged as an error) or RETRY (no
  server answered, or SERVFAIL). The steps are idempotent for one client, so a request retried after a
  partial success converges to the same records.
- This runs in the DDNS service's worker thread: it may block for `dns-server-timeout` per exchange, never
  the packet loop.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.reversename
import dns.tsig
import dns.update

from edge.config.d2 import D2Config, DdnsDomain, DnsServer, TsigKey
from edge.ddns.ncr import NameChangeRequest
from edge.ddns.outcome import DONE, FAILED, RETRY, Outcome

log = logging.getLogger("edge.ddns")

__all__ = ["DONE", "FAILED", "RETRY", "Outcome", "Rfc2136Updater"]

_ALGORITHMS = {
    "HMAC-MD5": dns.tsig.HMAC_MD5,
    "HMAC-SHA1": dns.tsig.HMAC_SHA1,
    "HMAC-SHA224": dns.tsig.HMAC_SHA224,
    "HMAC-SHA256": dns.tsig.HMAC_SHA256,
    "HMAC-SHA384": dns.tsig.HMAC_SHA384,
    "HMAC-SHA512": dns.tsig.HMAC_SHA512,
}


class _NoServer(Exception):
    """No server of a domain answered."""


class _Stop(Exception):
    """The DNS server refused a step: the request fails (no retry)."""


def tsig_key(key: TsigKey) -> dns.tsig.Key:
    return dns.tsig.Key(key.name, key.secret, _ALGORITHMS[key.algorithm])


class Rfc2136Updater:
    def __init__(self, d2: D2Config) -> None:
        self.d2 = d2
        self.timeout = d2.dns_server_timeout / 1000.0

    # -- one request
    def deliver(self, ncr: NameChangeRequest) -> Outcome:
        forward = self.d2.match_forward(ncr.fqdn) if ncr.forward else None
        reverse_name = dns.reversename.from_address(ncr.ip_address)
        reverse = self.d2.match_reverse(reverse_name.to_text()) if ncr.reverse else None
        if ncr.forward and forward is None:
            log.warning(
                "DHCP_DDNS_NO_FWD_MATCH_ERROR no forward-ddns domain matches %s; A record not updated",
                ncr.fqdn,
            )
        if ncr.reverse and reverse is None:
            log.warning(
                "DHCP_DDNS_NO_REV_MATCH_ERROR no reverse-ddns domain matches %s; PTR not updated",
                reverse_name,
            )
        if forward is None and reverse is None:
            return Outcome(DONE, "no matching domain")
        try:
            if ncr.is_add:
                self._add(ncr, forward, reverse, reverse_name)
            else:
                self._remove(ncr, forward, reverse, reverse_name)
        except _NoServer as exc:
            return Outcome(RETRY, str(exc))
        except _Stop as exc:
            return Outcome(FAILED, str(exc))
        return Outcome(DONE)

    # -- procedures
    def _add(
        self,
        ncr: NameChangeRequest,
        forward: DdnsDomain | None,
        reverse: DdnsDomain | None,
        reverse_name: dns.name.Name,
    ) -> None:
        name = dns.name.from_text(ncr.fqdn)
        ttl = ncr.lease_length
        address = _rdata(_address_type(ncr), ncr.ip_address)
        dhcid = _dhcid_rdata(ncr.dhcid)
        mode = ncr.conflict_mode
        with_dhcid = mode != "no-check-without-dhcid"
        if forward is not None:
            if mode in ("check-with-dhcid", "check-exists-with-dhcid"):

                def add_new(m: dns.update.UpdateMessage) -> None:
                    m.absent(name)
                    m.add(name, ttl, address)
                    m.add(name, ttl, dhcid)

                def replace_ours(m: dns.update.UpdateMessage) -> None:
                    m.present(name)
                    if mode == "check-with-dhcid":
                        m.present(name, dhcid)
                    else:
                        m.present(name, "DHCID")
                        m.delete(name, "DHCID")
                        m.add(name, ttl, dhcid)
                    m.delete(name, address.rdtype)
                    m.add(name, ttl, address)

                rcode = self._send(forward, add_new, "forward add")
                if rcode == dns.rcode.YXDOMAIN:
                    rcode = self._send(forward, replace_ours, "forward replace")
                    if rcode == dns.rcode.NXRRSET:
                        owner = (
                            "another client's DHCID" if mode == "check-with-dhcid" else "no DHCID (static)"
                        )
                        raise _Stop(f"{ncr.fqdn} is in use and has {owner}; neither A nor PTR changed")
                self._expect(rcode, "forward add", ncr)
            else:

                def replace_any(m: dns.update.UpdateMessage) -> None:
                    m.delete(name, address.rdtype)
                    m.add(name, ttl, address)
                    if with_dhcid:
                        m.delete(name, "DHCID")
                        m.add(name, ttl, dhcid)

                self._expect(self._send(forward, replace_any, "forward replace"), "forward replace", ncr)
        if reverse is not None:

            def replace_ptr(m: dns.update.UpdateMessage) -> None:
                m.delete(reverse_name, "PTR")
                m.add(reverse_name, ttl, _rdata("PTR", ncr.fqdn))
                if with_dhcid:
                    m.delete(reverse_name, "DHCID")
                    m.add(reverse_name, ttl, dhcid)

            self._expect(self._send(reverse, replace_ptr, "reverse replace"), "reverse replace", ncr)

    def _remove(
        self,
        ncr: NameChangeRequest,
        forward: DdnsDomain | None,
        reverse: DdnsDomain | None,
        reverse_name: dns.name.Name,
    ) -> None:
        name = dns.name.from_text(ncr.fqdn)
        address = _rdata(_address_type(ncr), ncr.ip_address)
        dhcid = _dhcid_rdata(ncr.dhcid)
        mode = ncr.conflict_mode
        checked = mode in ("check-with-dhcid", "check-exists-with-dhcid")
        if forward is not None:
            if checked:

                def ours(m: dns.update.UpdateMessage) -> None:
                    if mode == "check-with-dhcid":
                        m.present(name, dhcid)
                    else:
                        m.present(name, "DHCID")

                def remove_address(m: dns.update.UpdateMessage) -> None:
                    ours(m)
                    m.delete(name, address)

                def remove_rest(m: dns.update.UpdateMessage) -> None:
                    ours(m)
                    m.absent(name, "A")
                    m.absent(name, "AAAA")
                    m.delete(name)

                rcode = self._send(forward, remove_address, "forward remove address")
                self._expect(rcode, "forward remove address", ncr, also=(dns.rcode.NXRRSET,))
                rcode = self._send(forward, remove_rest, "forward remove names")
                # NXRRSET: the DHCID is not ours (or gone); YXRRSET: other addresses still use the name.
                # Either way the name stays, rightly; the PTR of our address is still ours to remove.
                self._expect(rcode, "forward remove names", ncr, also=(dns.rcode.NXRRSET, dns.rcode.YXRRSET))
            else:

                def remove_any(m: dns.update.UpdateMessage) -> None:
                    m.delete(name, address)
                    if mode == "no-check-with-dhcid":
                        m.delete(name, "DHCID")

                self._expect(self._send(forward, remove_any, "forward remove"), "forward remove", ncr)
        if reverse is not None:

            def remove_ptr(m: dns.update.UpdateMessage) -> None:
                if checked:
                    m.present(reverse_name, _rdata("PTR", ncr.fqdn))
                    m.delete(reverse_name)
                else:
                    m.delete(reverse_name, "PTR")
                    m.delete(reverse_name, "DHCID")

            rcode = self._send(reverse, remove_ptr, "reverse remove")
            self._expect(rcode, "reverse remove", ncr, also=(dns.rcode.NXRRSET,))

    # -- messages
    def _send(self, domain: DdnsDomain, fill: Callable[[dns.update.UpdateMessage], None], what: str) -> int:
        """Build the message (`fill` adds prerequisites and updates) for each of the domain's servers in
        turn, signed with that server's key; the rcode of the first server that answers."""
        failures = []
        for server in domain.servers:
            message = dns.update.UpdateMessage(domain.name)
            if server.key is not None:
                message.use_tsig(tsig_key(server.key))
            fill(message)
            try:
                response = self._exchange(message, server)
            except dns.exception.Timeout:
                failures.append(f"{server.address}:{server.port} timed out")
                continue
            except OSError as exc:
                failures.append(f"{server.address}:{server.port} {exc.strerror or exc}")
                continue
            except dns.exception.DNSException as exc:
                raise _Stop(f"{what} to {server.address}:{server.port}: {exc}") from None
            rcode = response.rcode()
            if rcode == dns.rcode.SERVFAIL:
                failures.append(f"{server.address}:{server.port} answered SERVFAIL")
                continue
            return rcode
        raise _NoServer(f"{what} for zone {domain.name}: " + "; ".join(failures))

    def _exchange(self, message: dns.update.UpdateMessage, server: DnsServer) -> dns.message.Message:
        response = dns.query.udp(message, server.address, timeout=self.timeout, port=server.port)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(message, server.address, timeout=self.timeout, port=server.port)
        return response

    @staticmethod
    def _expect(rcode: int, what: str, ncr: NameChangeRequest, also: tuple[int, ...] = ()) -> None:
        if rcode == dns.rcode.NOERROR or rcode in also:
            return
        raise _Stop(f"{what} of {ncr.fqdn} ({ncr.ip_address}) refused: {dns.rcode.to_text(rcode)}")


def _rdata(kind: str, text: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(kind), text)


def _dhcid_rdata(raw: bytes) -> dns.rdata.Rdata:
    return _rdata("DHCID", base64.b64encode(raw).decode("ascii"))


def _address_type(ncr: NameChangeRequest) -> str:
    """A for a DHCPv4 lease's address, AAAA for a DHCPv6 one (the request's ip-address says which)."""
    return "AAAA" if ":" in ncr.ip_address else "A"
