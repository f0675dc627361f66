"""What the dashboard and the metrics know about each DHCP family, as data: one FamilyView row per family.

Rules this module keeps:
- Everything that differs between DHCPv4 and DHCPv6 is here and only here: the configuration's keys,
  the statistic names (Kea's: `assigned-addresses` / `assigned-nas` / `assigned-pds`), the lease fields
  and commands, and the Prometheus names. The rest of the dashboard reads a row; a family the process
  does not serve simply has no row in use.
- Prometheus names are those of the Kea exporter Stork ships (backend/agent/promkeaexporter.go):
  `kea_dhcp4_addresses_assigned_total{subnet,subnet_id,prefix,shared_network}`, `kea_dhcp4_packets_received_total
  {operation}`, `kea_dhcp6_pd_assigned_total`, ... so its Grafana dashboards work unchanged. Stork exports
  every value as a gauge; here a value that only grows (packets, cumulative counts, failures) is a
  counter with the same series name, which changes nothing for queries and lets rate() be right.
- edge-dhcp's own values (no Stork name) are `edge_dhcp_*` with a `family` label (metrics.py).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FAMILIES", "FamilyView", "Metric", "Resource", "family_view"]


@dataclass(frozen=True, slots=True)
class Resource:
    """A kind of thing the pools of a subnet hand out."""

    name: str  # "addresses" or "prefixes" (what the page says)
    pools_key: str  # the subnet's configuration key listing its pools: "pools", "pd-pools"
    pool_stat: (
        str  # the per-pool statistic scope Kea 2.4+ uses: subnet[1].pool[0]..., subnet[1].pd-pool[0]...
    )
    total: str  # statistic names, per subnet (and per pool)
    assigned: str
    declined: str | None


@dataclass(frozen=True, slots=True)
class Metric:
    """One statistic as one Prometheus series."""

    stat: str  # Kea's statistic name (without the subnet[ID]. / pool[ID]. scope)
    name: str  # Prometheus series name as Stork's exporter writes it
    kind: str  # "counter" or "gauge"
    help: str
    operation: str = ""  # the `operation` label of the packet families


@dataclass(frozen=True, slots=True)
class Search:
    """A lease search: the kind of text it takes and the command that runs it."""

    kind: str  # "ip4", "ip6", "mac", "hex", "name" (see api.classify)
    command: str
    argument: str
    extra: tuple[tuple[str, str], ...] = ()  # fixed arguments (v6: the lease type)


@dataclass(frozen=True, slots=True)
class FamilyView:
    service: str  # Kea's service name: "dhcp4"
    label: str  # "DHCPv4"
    config_key: str  # "Dhcp4"
    subnets_key: str  # "subnet4"
    resources: tuple[Resource, ...]
    lease_page: str  # "lease4-get-page"
    lease_del: str  # "lease4-del"
    lease_client_keys: tuple[str, ...]  # the lease fields naming the client, first present wins
    searches: tuple[Search, ...]
    received: tuple[Metric, ...]
    sent: tuple[Metric, ...]
    globals: tuple[Metric, ...]
    per_subnet: tuple[Metric, ...]
    per_pool: tuple[tuple[str, Metric], ...]  # (pool scope, metric)

    @property
    def lease_stat_names(self) -> frozenset[str]:
        return frozenset(name for r in self.resources for name in (r.total, r.assigned, r.declined) if name)


def _packets(prefix: str, direction: str, operations: tuple[tuple[str, str], ...]) -> tuple[Metric, ...]:
    family = "dhcp" + prefix[-1]
    name = f"kea_{family}_packets_{direction}_total"
    what = "Packets received" if direction == "received" else "Packets sent"
    return tuple(Metric(stat, name, "counter", what, operation) for operation, stat in operations)


def _received(prefix: str, kinds: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    rows = tuple((kind, f"{prefix}-{kind}-received") for kind in kinds)
    return (*rows, ("drop", f"{prefix}-receive-drop"), ("parse-failed", f"{prefix}-parse-failed"))


def _failures(family: str, scope: str, where: str) -> tuple[Metric, ...]:
    v = "v" + family[-1]
    rows = (
        ("", "Address allocation failures"),
        ("-shared-network", "Address allocation failures in a shared network"),
        ("-subnet", "Address allocation failures not in a shared network"),
        ("-no-pools", "Address allocation failures for lack of a configured pool"),
        ("-classes", "Address allocation failures because of the client's classes"),
    )
    return tuple(
        Metric(
            f"{v}-allocation-fail{suffix}",
            f"kea_{family}_{scope}allocation_fail{suffix.replace('-', '_')}_total",
            "counter",
            what + where,
        )
        for suffix, what in rows
    )


ADDRESSES4 = Resource(
    "addresses", "pools", "pool", "total-addresses", "assigned-addresses", "declined-addresses"
)

DHCP4 = FamilyView(
    service="dhcp4",
    label="DHCPv4",
    config_key="Dhcp4",
    subnets_key="subnet4",
    resources=(ADDRESSES4,),
    lease_page="lease4-get-page",
    lease_del="lease4-del",
    lease_client_keys=("hw-address", "client-id"),
    searches=(
        Search("ip4", "lease4-get", "ip-address"),
        Search("mac", "lease4-get-by-hw-address", "hw-address"),
        Search("hex", "lease4-get-by-client-id", "client-id"),
        Search("name", "lease4-get-by-hostname", "hostname"),
    ),
    received=_packets(
        "pkt4",
        "received",
        _received(
            "pkt4", ("discover", "offer", "request", "ack", "nak", "release", "decline", "inform", "unknown")
        ),
    ),
    sent=_packets(
        "pkt4", "sent", (("offer", "pkt4-offer-sent"), ("ack", "pkt4-ack-sent"), ("nak", "pkt4-nak-sent"))
    ),
    globals=(
        Metric(
            "cumulative-assigned-addresses",
            "kea_dhcp4_global4_cumulative_addresses_assigned_total",
            "counter",
            "Cumulative number of assigned addresses since server startup from all subnets",
        ),
        Metric(
            "declined-addresses",
            "kea_dhcp4_global4_addresses_declined_total",
            "gauge",
            "Declined counts from all subnets",
        ),
        Metric(
            "reclaimed-declined-addresses",
            "kea_dhcp4_global4_addresses_declined_reclaimed_total",
            "counter",
            "Declined addresses that were reclaimed for all subnets",
        ),
        Metric(
            "reclaimed-leases",
            "kea_dhcp4_global4_addresses_reclaimed_total",
            "counter",
            "Expired addresses that were reclaimed for all subnets",
        ),
        *_failures("dhcp4", "global4_", " for all subnets"),
        Metric(
            "v4-reservation-conflicts",
            "kea_dhcp4_global4_reservation_conflicts_total",
            "counter",
            "Host reservation allocation conflicts for all subnets",
        ),
        Metric(
            "v4-lease-reuses",
            "kea_dhcp4_global4_lease_reuses_total",
            "counter",
            "Times IPv4 leases were reused from cache for all subnets",
        ),
    ),
    per_subnet=(
        Metric("assigned-addresses", "kea_dhcp4_addresses_assigned_total", "gauge", "Assigned addresses"),
        Metric("declined-addresses", "kea_dhcp4_addresses_declined_total", "gauge", "Declined counts"),
        Metric(
            "reclaimed-declined-addresses",
            "kea_dhcp4_addresses_declined_reclaimed_total",
            "counter",
            "Declined addresses that were reclaimed",
        ),
        Metric(
            "reclaimed-leases",
            "kea_dhcp4_addresses_reclaimed_total",
            "counter",
            "Expired addresses that were reclaimed",
        ),
        Metric("total-addresses", "kea_dhcp4_addresses_total", "gauge", "Size of subnet address pool"),
        Metric(
            "cumulative-assigned-addresses",
            "kea_dhcp4_cumulative_addresses_assigned_total",
            "counter",
            "Cumulative number of assigned addresses since server startup",
        ),
        *_failures("dhcp4", "", ""),
        Metric(
            "v4-reservation-conflicts",
            "kea_dhcp4_reservation_conflicts_total",
            "counter",
            "Host reservation allocation conflicts",
        ),
        Metric("v4-lease-reuses", "kea_dhcp4_lease_reuses_total", "counter", "Times IPv4 leases were reused"),
    ),
    per_pool=(
        (
            "pool",
            Metric(
                "assigned-addresses",
                "kea_dhcp4_pool_addresses_assigned_total",
                "gauge",
                "Assigned addresses in the pool",
            ),
        ),
        (
            "pool",
            Metric(
                "declined-addresses",
                "kea_dhcp4_pool_addresses_declined_total",
                "gauge",
                "Declined addresses in the pool",
            ),
        ),
        (
            "pool",
            Metric("total-addresses", "kea_dhcp4_pool_addresses_total", "gauge", "Addresses in the pool"),
        ),
    ),
)

NAS = Resource("addresses", "pools", "pool", "total-nas", "assigned-nas", "declined-addresses")
PDS = Resource("prefixes", "pd-pools", "pd-pool", "total-pds", "assigned-pds", None)

DHCP6 = FamilyView(
    service="dhcp6",
    label="DHCPv6",
    config_key="Dhcp6",
    subnets_key="subnet6",
    resources=(NAS, PDS),
    lease_page="lease6-get-page",
    lease_del="lease6-del",
    lease_client_keys=("duid", "hw-address"),
    searches=(
        Search("ip6", "lease6-get", "ip-address", (("type", "IA_NA"),)),
        Search("ip6", "lease6-get", "ip-address", (("type", "IA_PD"),)),
        Search("hex", "lease6-get-by-duid", "duid"),
        Search("name", "lease6-get-by-hostname", "hostname"),
    ),
    received=_packets(
        "pkt6",
        "received",
        _received(
            "pkt6",
            (
                "solicit",
                "advertise",
                "request",
                "reply",
                "renew",
                "rebind",
                "release",
                "decline",
                "infrequest",
                "unknown",
            ),
        ),
    ),
    sent=_packets("pkt6", "sent", (("advertise", "pkt6-advertise-sent"), ("reply", "pkt6-reply-sent"))),
    globals=(
        Metric(
            "declined-addresses",
            "kea_dhcp6_global6_addresses_declined_total",
            "gauge",
            "Declined counts from all subnets",
        ),
        Metric(
            "cumulative-assigned-nas",
            "kea_dhcp6_global6_cumulative_nas_assigned_total",
            "counter",
            "Cumulative number of assigned NA addresses since server startup from all subnets",
        ),
        Metric(
            "cumulative-assigned-pds",
            "kea_dhcp6_global6_cumulative_pds_assigned_total",
            "counter",
            "Cumulative number of assigned PD prefixes since server startup",
        ),
        Metric(
            "reclaimed-declined-addresses",
            "kea_dhcp6_global6_addresses_declined_reclaimed_total",
            "counter",
            "Declined addresses that were reclaimed for all subnets",
        ),
        Metric(
            "reclaimed-leases",
            "kea_dhcp6_global6_addresses_reclaimed_total",
            "counter",
            "Expired addresses that were reclaimed for all subnets",
        ),
        *_failures("dhcp6", "global6_", " for all subnets"),
        Metric(
            "v6-ia-na-lease-reuses",
            "kea_dhcp6_global6_ia_na_lease_reuses_total",
            "counter",
            "Times IA_NA leases were reused from cache for all subnets",
        ),
        Metric(
            "v6-ia-pd-lease-reuses",
            "kea_dhcp6_global6_ia_pd_lease_reuses_total",
            "counter",
            "Times IA_PD leases were reused from cache for all subnets",
        ),
    ),
    per_subnet=(
        Metric("total-nas", "kea_dhcp6_na_total", "gauge", "Size of non-temporary address pool"),
        Metric(
            "assigned-nas", "kea_dhcp6_na_assigned_total", "gauge", "Assigned non-temporary addresses (IA_NA)"
        ),
        Metric("total-pds", "kea_dhcp6_pd_total", "gauge", "Size of prefix delegation pool"),
        Metric("assigned-pds", "kea_dhcp6_pd_assigned_total", "gauge", "Assigned prefix delegations (IA_PD)"),
        Metric(
            "reclaimed-leases",
            "kea_dhcp6_addresses_reclaimed_total",
            "counter",
            "Expired addresses that were reclaimed",
        ),
        Metric("declined-addresses", "kea_dhcp6_addresses_declined_total", "gauge", "Declined counts"),
        Metric(
            "reclaimed-declined-addresses",
            "kea_dhcp6_addresses_declined_reclaimed_total",
            "counter",
            "Declined addresses that were reclaimed",
        ),
        Metric(
            "cumulative-assigned-nas",
            "kea_dhcp6_cumulative_nas_assigned_total",
            "counter",
            "Cumulative number of assigned NA addresses since server startup",
        ),
        Metric(
            "cumulative-assigned-pds",
            "kea_dhcp6_cumulative_pds_assigned_total",
            "counter",
            "Cumulative number of assigned PD prefixes since server startup",
        ),
        *_failures("dhcp6", "", ""),
        Metric(
            "v6-ia-na-lease-reuses",
            "kea_dhcp6_ia_na_lease_reuses_total",
            "counter",
            "Times IA_NA leases were reused from cache",
        ),
        Metric(
            "v6-ia-pd-lease-reuses",
            "kea_dhcp6_ia_pd_lease_reuses_total",
            "counter",
            "Times IA_PD leases were reused from cache",
        ),
    ),
    per_pool=(
        (
            "pool",
            Metric(
                "assigned-nas", "kea_dhcp6_pool_na_assigned_total", "gauge", "Assigned addresses in the pool"
            ),
        ),
        (
            "pool",
            Metric("total-nas", "kea_dhcp6_pool_na_total", "gauge", "Size of non-temporary address pool"),
        ),
        (
            "pool",
            Metric(
                "declined-addresses",
                "kea_dhcp6_pool_addresses_declined_total",
                "gauge",
                "Declined addresses in the pool",
            ),
        ),
        (
            "pd-pool",
            Metric(
                "assigned-pds", "kea_dhcp6_pool_pd_assigned_total", "gauge", "Assigned prefixes in the pool"
            ),
        ),
        (
            "pd-pool",
            Metric("total-pds", "kea_dhcp6_pool_pd_total", "gauge", "Size of prefix delegation pool"),
        ),
    ),
)

FAMILIES: dict[str, FamilyView] = {view.service: view for view in (DHCP4, DHCP6)}


def family_view(service: str) -> FamilyView:
    try:
        return FAMILIES[service]
    except KeyError:
        raise ValueError(f"the dashboard knows no DHCP family {service!r}") from None
