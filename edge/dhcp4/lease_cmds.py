"""The lease4-* commands (Kea's lease_cmds hook library, built in): add, update, get, del, wipe, pages.

Rules this module keeps:
- Arguments, answers and texts follow Kea 2.2's lease_cmds as observed on a running kea-dhcp4 2.2.0:
  a lease is `{"ip-address", "hw-address", "client-id"?, "cltt", "valid-lft", "subnet-id", "fqdn-fwd",
  "fqdn-rev", "hostname", "state", "user-context"?}`; lists come as `{"leases": [...]}` with the text
  "N IPv4 lease(s) found."; nothing found is result 3.
- The lease store is touched only through the LeaseStore interface (get, find_by_*, page, put, delete,
  all); `put` replaces a lease whole, so a change is copy-then-put.
- Statistics stay true without a recount: the store announces every change on its change feed and the
  engine's subscriber moves the gauges.
- `lease4-del` with `"update-ddns": true` hands the lease to the DDNS service (`server.ddns.remove_for`)
  before deleting it; without DDNS configured it is refused with a clear error and nothing is deleted:
  silently skipping the DNS removal would leave stale records behind.

Theory of operation: each handler gets the server (see commands.ServerApi) and arguments already
type-checked by the registry; it checks the relations between them (which subnet, which identifier),
then reads or writes the store.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from edge.control.commands import ServerApi
from edge.control.protocol import EMPTY, ERROR, SUCCESS, answer
from edge.control.registry import BOOL, IPV4, MAP, STRING, Arg, ArgError, Command, hex_bytes, integer, list_of
from edge.dhcp4.lease import STATE_DEFAULT, Lease
from edge.dhcp4.model import Config4, Subnet4
from edge.wire.addr import int_to_ip

__all__ = ["lease_from_args", "lease_to_json"]

STATES = (0, 1, 2)  # default, declined, expired-reclaimed


def lease_to_json(lease: Lease) -> dict[str, Any]:
    """A lease as Kea's lease_cmds answer it."""
    out: dict[str, Any] = {
        "ip-address": int_to_ip(lease.address),
        "hw-address": lease.hwaddr.hex(":"),
        "cltt": int(lease.cltt),
        "valid-lft": int(lease.valid_lifetime),
        "subnet-id": int(lease.subnet_id),
        "fqdn-fwd": bool(lease.fqdn_fwd),
        "fqdn-rev": bool(lease.fqdn_rev),
        "hostname": lease.hostname or "",
        "state": int(lease.state),
    }
    if lease.client_id:
        out["client-id"] = lease.client_id.hex(":")
    if lease.user_context:
        out["user-context"] = lease.user_context
    return out


def _leases_answer(leases: list[Lease], **extra: Any) -> dict[str, Any]:
    count = len(leases)
    arguments: dict[str, Any] = {"leases": [lease_to_json(lease) for lease in leases], **extra}
    return answer(SUCCESS if count else EMPTY, f"{count} IPv4 lease(s) found.", arguments)


def subnet_for_address(config: Config4, address: int) -> Subnet4 | None:
    """The most specific configured subnet that contains `address`."""
    best: Subnet4 | None = None
    for subnet in config.subnets:
        if address in subnet and (best is None or subnet.prefix_len > best.prefix_len):
            best = subnet
    return best


def _subnet(config: Config4, subnet_id: int, address: int) -> Subnet4:
    """Kea's rule: subnet-id 0 (or none) means "the subnet the address is in"; otherwise it must exist
    and contain the address."""
    if subnet_id == 0:
        subnet = subnet_for_address(config, address)
        if subnet is None:
            raise ArgError(
                f"subnet-id not specified and failed to find a subnet for address {int_to_ip(address)}"
            )
        return subnet
    subnet = config.subnet_by_id(subnet_id)
    if subnet is None:
        raise ArgError(f"Invalid subnet-id: No IPv4 subnet with subnet-id={subnet_id} currently configured.")
    if address not in subnet:
        raise ArgError(
            f"The address {int_to_ip(address)} does not belong to subnet {subnet.text}, subnet-id={subnet_id}"
        )
    return subnet


def lease_from_args(config: Config4, args: dict[str, Any], now: float) -> Lease:
    """A Lease from lease4-add / lease4-update arguments (already type-checked), or ArgError."""
    address = args["ip-address"]
    subnet = _subnet(config, args.get("subnet-id", 0), address)
    valid = args.get("valid-lft", subnet.params.valid_lifetime)
    if "expire" in args:
        expire = args["expire"]
        if expire <= 0:
            raise ArgError("expiration time must be positive")
        if expire < valid:
            raise ArgError(f"expiration time ({expire}) must not be lower than valid lifetime ({valid})")
        cltt = expire - valid
    else:
        cltt = int(now)
    hostname = args.get("hostname", "")
    fqdn_fwd = args.get("fqdn-fwd", False)
    fqdn_rev = args.get("fqdn-rev", False)
    if (fqdn_fwd or fqdn_rev) and not hostname.strip():
        raise ArgError("No hostname specified and either forward or reverse fqdn was set to true.")
    state = args.get("state", STATE_DEFAULT)
    context = args.get("user-context")
    if "comment" in args:  # Kea keeps a lease's comment in its user context
        context = {**(context or {}), "comment": args["comment"]}
    return Lease(
        address=address,
        hwaddr=args["hw-address"],
        client_id=args.get("client-id"),
        valid_lifetime=valid,
        cltt=cltt,
        subnet_id=subnet.id,
        hostname=hostname,
        state=state,
        fqdn_fwd=fqdn_fwd,
        fqdn_rev=fqdn_rev,
        user_context=context,
    )


# ----------------------------------------------------------------------------------------- store changes


def _replace(server: ServerApi, old: Lease | None, new: Lease) -> None:
    try:
        server.store.put(new)  # may raise LeaseStoreError: then nothing changed and the registry answers 1
    except ValueError as exc:  # a lease the store cannot represent: nothing changed either
        raise ArgError(f"the lease cannot be stored: {exc}") from None


def _remove(server: ServerApi, lease: Lease) -> bool:
    return server.store.delete(lease.address)


# ----------------------------------------------------------------------------------------- handlers


def lease4_add(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    lease = lease_from_args(server.config, args, server.clock())
    if server.store.get(lease.address) is not None:
        return answer(ERROR, "IPv4 lease already exists.")
    _replace(server, None, lease)
    return answer(
        SUCCESS, f"Lease for address {int_to_ip(lease.address)}, subnet-id {lease.subnet_id} added."
    )


def lease4_update(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    lease = lease_from_args(server.config, args, server.clock())
    old = server.store.get(lease.address)
    if old is None:
        if not args.get("force-create", False):
            return answer(
                ERROR,
                f"failed to update the lease with address {int_to_ip(lease.address)}: no such lease "
                '(give "force-create": true to create it)',
            )
        _replace(server, None, lease)
        return answer(SUCCESS, "IPv4 lease added.")
    _replace(server, old, lease)
    return answer(SUCCESS, "IPv4 lease updated.")


def _by_identifier(server: ServerApi, args: dict[str, Any]) -> Lease | None:
    """The lease an (identifier-type, identifier, subnet-id) triple names, newest first."""
    kind = args.get("identifier-type")
    if kind is None or "identifier" not in args:
        raise ArgError("give 'ip-address', or 'identifier-type', 'identifier' and 'subnet-id'")
    if "subnet-id" not in args:
        raise ArgError("Mandatory 'subnet-id' parameter missing.")
    text = args["identifier"]
    from edge.control.registry import hex_bytes

    if kind == "hw-address":
        found = server.store.find_by_hwaddr(hex_bytes(20).convert(text), args["subnet-id"])
    elif kind == "client-id":
        found = server.store.find_by_client_id(hex_bytes(255, 2).convert(text), args["subnet-id"])
    else:
        raise ArgError(
            f"identifier-type '{kind}' is not supported for IPv4 leases (use hw-address or client-id)"
        )
    return max(found, key=lambda lease: lease.cltt) if found else None


def _lookup(server: ServerApi, args: dict[str, Any]) -> Lease | None:
    if "ip-address" in args:
        if "identifier-type" in args or "identifier" in args:
            raise ArgError("give either 'ip-address' or 'identifier-type' and 'identifier', not both")
        return server.store.get(args["ip-address"])
    return _by_identifier(server, args)


def lease4_get(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    lease = _lookup(server, args)
    if lease is None:
        return answer(EMPTY, "Lease not found.")
    return answer(SUCCESS, "IPv4 lease found.", lease_to_json(lease))


def lease4_del(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    if args.get("update-ddns", False):
        if server.ddns is None:
            enabled = server.config.raw.get("Dhcp4", {}).get("dhcp-ddns", {}).get("enable-updates", False)
            why = (
                "the DDNS service is not running (see the log)"
                if enabled
                else 'DDNS is not configured ("dhcp-ddns": {"enable-updates": true})'
            )
            return answer(
                ERROR,
                f'cannot honour "update-ddns": {why}; nothing was deleted. Repeat without '
                '"update-ddns" to delete the lease and leave DNS as it is.',
            )
    lease = _lookup(server, args)
    if lease is None:
        return answer(EMPTY, "IPv4 lease not found.")
    if args.get("update-ddns", False) and server.ddns is not None:
        server.ddns.remove_for(lease)
    _remove(server, lease)
    return answer(SUCCESS, "IPv4 lease deleted.")


def lease4_get_all(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    subnets = args.get("subnets")
    leases = list(server.store.all())
    if subnets is not None:
        wanted = set(subnets)
        leases = [lease for lease in leases if lease.subnet_id in wanted]
    leases.sort(key=lambda lease: lease.address)
    return _leases_answer(leases)


def lease4_get_page(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    start = args["from"]
    if start == "start":
        after = 0  # 0.0.0.0 is never a lease, so "after 0.0.0.0" is the first page, as in Kea
    else:
        try:
            after = int(ipaddress.IPv4Address(start))
        except ValueError:
            raise ArgError(
                "'from' parameter value is neither 'start' keyword nor a valid IPv4 address"
            ) from None
    limit = args["limit"]
    if limit == 0:
        raise ArgError("page size of retrieved leases must not be 0")
    leases = list(server.store.page(after, limit))
    return _leases_answer(leases, count=len(leases))


def lease4_get_by_hw_address(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    leases = sorted(server.store.find_by_hwaddr(args["hw-address"]), key=lambda lease: lease.address)
    return _leases_answer(leases)


def lease4_get_by_client_id(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    leases = sorted(server.store.find_by_client_id(args["client-id"]), key=lambda lease: lease.address)
    return _leases_answer(leases)


def lease4_get_by_hostname(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    hostname = args["hostname"]
    if not hostname:
        raise ArgError("'hostname' parameter is empty")
    leases = sorted(server.store.find_by_hostname(hostname), key=lambda lease: lease.address)
    return _leases_answer(leases)


def lease4_wipe(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    subnet_id = args.get("subnet-id", 0)
    if subnet_id:
        targets = {subnet_id}  # also a subnet no longer configured: how its kept leases are cleared
    else:
        targets = {subnet.id for subnet in server.config.subnets}
    doomed = [lease for subnet in sorted(targets) for lease in server.store.find_by_subnet(subnet)]
    removed = sum(1 for lease in doomed if _remove(server, lease))
    ids = " ".join(str(i) for i in sorted(targets)) or "none"
    return answer(SUCCESS if removed else EMPTY, f"Deleted {removed} IPv4 lease(s) from subnet(s) {ids}")


# ----------------------------------------------------------------------------------------- the table

LEASE_FIELDS = (
    Arg("ip-address", IPV4, required=True),
    Arg("hw-address", hex_bytes(20), required=True),
    Arg("subnet-id", integer()),
    Arg("client-id", hex_bytes(255, 2)),
    Arg("valid-lft", integer()),
    Arg("expire", integer(0, 2**63 - 1)),
    Arg("fqdn-fwd", BOOL),
    Arg("fqdn-rev", BOOL),
    Arg("hostname", STRING),
    Arg("state", integer(0, 2)),
    Arg("user-context", MAP),
    Arg("comment", STRING),
)
LEASE_KEY = (
    Arg("ip-address", IPV4),
    Arg("identifier-type", STRING),
    Arg("identifier", STRING),
    Arg("subnet-id", integer()),
)

# fmt: off
LEASE4_COMMANDS: tuple[Command, ...] = (
    Command("lease4-add", lease4_add, LEASE_FIELDS, summary="add a lease"),
    Command("lease4-update", lease4_update, (*LEASE_FIELDS, Arg("force-create", BOOL)),
            summary="replace a lease"),
    Command("lease4-del", lease4_del, (*LEASE_KEY, Arg("update-ddns", BOOL)), summary="delete a lease"),
    Command("lease4-get", lease4_get, LEASE_KEY, summary="one lease by address or identifier"),
    Command("lease4-get-all", lease4_get_all, (Arg("subnets", list_of(integer())),),
            summary="all leases (of some subnets)"),
    Command("lease4-get-page", lease4_get_page,
            (Arg("from", STRING, required=True), Arg("limit", integer(0), required=True)),
            summary="leases by address order, a page at a time"),
    Command("lease4-get-by-hw-address", lease4_get_by_hw_address,
            (Arg("hw-address", hex_bytes(20), required=True),), summary="leases of a MAC address"),
    Command("lease4-get-by-client-id", lease4_get_by_client_id,
            (Arg("client-id", hex_bytes(255, 1), required=True),), summary="leases of a client-id"),
    Command("lease4-get-by-hostname", lease4_get_by_hostname,
            (Arg("hostname", STRING, required=True),), summary="leases of a hostname"),
    Command("lease4-wipe", lease4_wipe, (Arg("subnet-id", integer()),),
            summary="delete the leases of a subnet (or of all subnets)"),
)
# fmt: on
