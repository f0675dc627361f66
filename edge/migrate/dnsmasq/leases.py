"""dnsmasq's lease file, read for `edge-dhcp leases import --format dnsmasq`.

Rules this module keeps:
- The parser has the signature of edge.leases.interchange's IMPORT_FORMATS rows (a text stream and its name
  in, Row / RowError out, in file order, line numbers from 1); migrate/leases.py registers it.
- The file holds `EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID` per line (`*` for none, expiry 0 for an infinite
  lease), then DHCPv6 leases after a `duid` line, which are skipped with a warning (a RowError starting
  "warning:", which does not stop an import). It does not record the lease length, so a lease is given
  the time from now to its expiry as its lifetime (an hour when it has already expired), which keeps the
  expiry exact.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Iterator
from typing import TextIO

from edge.leases.interchange import Item, Row, RowError
from edge.leases.lease import Lease

__all__ = ["parse_dnsmasq_leases"]

INFINITE = 0xFFFFFFFF
HEX_LIST = re.compile(r"^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2})*$")  # one or more bytes, colon-separated


def parse_dnsmasq_leases(stream: TextIO, source: str) -> Iterator[Item]:
    """dnsmasq's lease file (EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID per line)"""
    now = int(time.time())
    v6 = False
    for number, raw in enumerate(stream, start=1):
        line = raw.strip()
        if not line:
            continue
        fields = line.split()
        if fields[0] == "duid":
            v6 = True
            continue
        if v6:
            yield RowError(number, "warning: a DHCPv6 lease, skipped")
            continue
        if len(fields) not in (4, 5):
            yield RowError(number, f"{len(fields)} fields, expected EXPIRY MAC ADDRESS HOSTNAME [CLIENT-ID]")
            continue
        expiry_text, mac, address_text, hostname = fields[:4]
        client_text = fields[4] if len(fields) == 5 else "*"
        try:
            expiry = int(expiry_text)
            if expiry < 0:
                raise ValueError
        except ValueError:
            yield RowError(number, f"expiry {expiry_text!r} is not a time")
            continue
        try:
            address = int(ipaddress.IPv4Address(address_text))
        except ValueError:
            yield RowError(number, f"{address_text!r} is not an IPv4 address")
            continue
        # dnsmasq writes non-Ethernet hardware addresses as TYPE-HEX; keep the address part
        if re.match(r"^[0-9a-fA-F]{1,2}-", mac):
            mac = mac.split("-", 1)[1]
        if not HEX_LIST.match(mac):
            yield RowError(number, f"hardware address {mac!r} is not hex")
            continue
        hwaddr = bytes(int(p, 16) for p in mac.split(":"))
        client_id = None
        if client_text != "*":
            if not HEX_LIST.match(client_text):
                yield RowError(number, f"client id {client_text!r} is not hex")
                continue
            client_id = bytes(int(p, 16) for p in client_text.split(":"))
        if expiry == 0:
            valid, cltt = INFINITE, now
        else:
            valid = expiry - now if expiry > now else 3600
            cltt = expiry - valid
        yield Row(
            number,
            Lease(
                address,
                hwaddr=hwaddr,
                client_id=client_id,
                valid_lifetime=valid,
                cltt=cltt,
                hostname="" if hostname == "*" else hostname,
            ),
        )
