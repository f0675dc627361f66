"""A crafted DHCPv6 client against a running server, for scenario tests: DUIDs, messages, one-call exchanges.

`Peer6(lab, site, server_id)` wraps a CraftedClient6 on the site's client interface. `msg()` builds any
client message from keyword arguments (client-id from a small DUID-LL number, server-id, IA_NAs with
optional addresses and lifetimes, IA_PDs, ORO, extra options), `ask()` sends it and returns the decoded
answer or None. Used by the Kea observation tests (tests/lab/test_kea6_observed.py) and meant for the
side-by-side harness, where the same Peer6 calls run against Kea and edge-dhcp.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from tests.lab import dhcp6msg as m
from tests.lab.crafted6 import CraftedClient6
from tests.lab.netns import Lab
from tests.lab.netns6 import Site6

_xids = itertools.count(0x600001)

IAEntry = tuple[int, Sequence[str]] | tuple[int, Sequence[str], int, int]


def duid(n: int) -> bytes:
    """DUID-LL of the locally administered MAC 02:00:00:00:NN:NN."""
    return m.duid_ll(bytes((2, 0, 0, 0, (n >> 8) & 0xFF, n & 0xFF)))


class Peer6:
    def __init__(
        self, lab: Lab, site: Site6, server_id: bytes, *, relay: bool = False, source: str | None = None
    ):
        self.lab = lab
        self.site = site
        self.server_id = server_id
        self.client = CraftedClient6(lab, site.client.ns, site.client.ifname, relay=relay, source=source)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Peer6:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def msg(
        self,
        msg_type: int,
        client: int | bytes | None = 1,
        *,
        server_id: bytes | bool = False,
        ia_na: Sequence[IAEntry] = (),
        ia_pd: Sequence[IAEntry] = (),
        oro: Sequence[int] | None = None,
        extra: Sequence[tuple[int, bytes]] = (),
        xid: int | None = None,
    ) -> m.Message:
        """A client message. `server_id=True` puts the server's id in; bytes put those in.
        IA entries: (iaid, [addresses or prefixes]) or (iaid, [...], preferred, valid)."""
        options: list[tuple[int, bytes]] = []
        if client is not None:
            options.append((m.CLIENT_ID, duid(client) if isinstance(client, int) else client))
        if server_id is True:
            options.append((m.SERVER_ID, self.server_id))
        elif isinstance(server_id, bytes):
            options.append((m.SERVER_ID, server_id))
        options.append((m.ELAPSED_TIME, m.elapsed()))
        if oro is not None:
            options.append((m.ORO, m.oro(*oro)))
        for entry in ia_na:
            iaid, addresses = entry[0], entry[1]
            pref, valid = (entry[2], entry[3]) if len(entry) == 4 else (0, 0)
            options.append((m.IA_NA, m.ia_na(iaid, 0, 0, *(m.iaaddr(a, pref, valid) for a in addresses))))
        for entry in ia_pd:
            iaid, prefixes = entry[0], entry[1]
            pref, valid = (entry[2], entry[3]) if len(entry) == 4 else (0, 0)
            options.append((m.IA_PD, m.ia_pd(iaid, 0, 0, *(m.iaprefix(p, pref, valid) for p in prefixes))))
        options += list(extra)
        return m.Message(msg_type, next(_xids) if xid is None else xid, options)

    def ask(self, message: m.Message, *, expect: bool = True, to: str | None = None) -> m.Message | None:
        return self.client.ask(message, expect=expect, to=to)

    def lease(self, client: int, iaid: int = 1, *, pd: bool = False) -> m.IA:
        """SOLICIT + REQUEST for one IA; returns the IA of the REPLY."""
        key = {"ia_pd": [(iaid, [])]} if pd else {"ia_na": [(iaid, [])]}
        advertise = self.ask(self.msg(m.SOLICIT, client, **key))  # type: ignore[arg-type]
        assert advertise is not None, "no ADVERTISE"
        offered = m.ias(advertise, m.IA_PD if pd else m.IA_NA)[0]
        held = [str(p) for p, _, _ in offered.prefixes] if pd else [str(a) for a, _, _ in offered.addresses]
        key = {"ia_pd": [(iaid, held)]} if pd else {"ia_na": [(iaid, held)]}
        reply = self.ask(self.msg(m.REQUEST, client, server_id=True, **key))  # type: ignore[arg-type]
        assert reply is not None and reply.name == "REPLY", "no REPLY to REQUEST"
        return m.ias(reply, m.IA_PD if pd else m.IA_NA)[0]
