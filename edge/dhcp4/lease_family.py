"""The DHCPv4 lease family as the lease command line sees it (edge/leases/family.py)."""

from __future__ import annotations

from edge.dhcp4.defaults import DEFAULT_LEASE_FILE, load_config
from edge.dhcp4.lease_csv import EXPORT_FORMATS, IMPORT_FORMATS
from edge.dhcp4.lease_record import LEASE4
from edge.dhcp4.lease_stats import recount_statistics
from edge.dhcp4.lease_store import MemfileLeaseStore4
from edge.leases.family import LeaseFamily

LEASES4 = LeaseFamily(
    name="dhcp4",
    config_key="Dhcp4",
    format=LEASE4,
    default_lease_file=DEFAULT_LEASE_FILE,
    load_config=load_config,
    open_store=MemfileLeaseStore4,
    imports=IMPORT_FORMATS,
    exports=EXPORT_FORMATS,
    recount=recount_statistics,
)
