"""The DHCPv6 lease family as the lease command line sees it (edge/leases/family.py)."""

from __future__ import annotations

from edge.dhcp6.lease_config import load_lease_config6
from edge.dhcp6.lease_csv import EXPORT_FORMATS6, IMPORT_FORMATS6
from edge.dhcp6.lease_record import LEASE6
from edge.dhcp6.lease_stats import recount_statistics6
from edge.dhcp6.lease_store import DEFAULT_LEASE_FILE6, MemfileLeaseStore6
from edge.leases.family import LeaseFamily

LEASES6 = LeaseFamily(
    name="dhcp6",
    config_key="Dhcp6",
    format=LEASE6,
    default_lease_file=DEFAULT_LEASE_FILE6,
    load_config=load_lease_config6,
    open_store=MemfileLeaseStore6,
    imports=IMPORT_FORMATS6,
    exports=EXPORT_FORMATS6,
    recount=recount_statistics6,
)
