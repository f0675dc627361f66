"""Lease files of ISC dhcpd and dnsmasq, for `edge-dhcp leases import --format dhcpd-leases|dnsmasq`.

Rules this module keeps:
- Each dialect's parser lives beside its configuration reader (dhcpd/leases.py, dnsmasq/leases.py) and
  has the signature of edge.leases.interchange's IMPORT_FORMATS rows; `register()` adds them as rows of
  that table. The import itself (checking each lease against the configured subnets, refusing leases
  that are in none, writing the store) is interchange's, the same for every format.
"""

from __future__ import annotations

from edge.dhcp4.lease_csv import IMPORT_FORMATS
from edge.dhcp6.lease_csv import IMPORT_FORMATS6
from edge.migrate.dhcpd.leases import parse_dhcpd_leases
from edge.migrate.dhcpd.leases6 import parse_dhcpd6_leases
from edge.migrate.dnsmasq.leases import parse_dnsmasq_leases

__all__ = ["parse_dhcpd6_leases", "parse_dhcpd_leases", "parse_dnsmasq_leases", "register"]


def register() -> None:
    """Add the two formats to `edge-dhcp leases import` (rows of interchange.IMPORT_FORMATS)."""
    IMPORT_FORMATS.setdefault("dhcpd-leases", parse_dhcpd_leases)
    IMPORT_FORMATS.setdefault("dnsmasq", parse_dnsmasq_leases)
    IMPORT_FORMATS6.setdefault("dhcpd-leases", parse_dhcpd6_leases)  # dhcpd6.leases, with a Dhcp6 config
