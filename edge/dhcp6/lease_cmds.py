"""The lease6-* commands (Kea's lease_cmds hook library, built in): add, update, get, del, wipe, pages, bulk
apply -- the twin of edge/dhcp4/lease_cmds.py.

Rules this module keeps:
- Arguments, answers and texts follow Kea 2.2's lease_cmds (lease_cmds.cc, lease_parser.cc and
  Lease6::toElement at tag Kea-2.2.0) and what a running kea-dhcp6 2.2.0 answered (tests/lab/
  kea6-observed.md). A lease is `{"user-context"?, "ip-address", "type", "prefix-len" (IA_PD only),
  "iaid", "duid", "subnet-id", "cltt", "preferred-lft", "valid-lft", "fqdn-fwd", "fqdn-rev", "hostname",
  "hw-address"? , "state"}`; lists come as `{"leases": [...]}` with "N IPv6 lease(s) found."; nothing
  found is result 3.
- A lease is named by its address (or delegated prefix) and its type: `"type"` defaults to IA_NA, so a
  prefix is found only with `"type": "IA_PD"` (Kea's getLease6(type, address)). The other key is
  subnet-id + identifier-type "duid" + identifier + iaid (+ type); more than one lease under it is an
  error naming the key, as Kea's getLease6(type, duid, iaid, subnet-id) throws.
- Where this module says more than Kea, on purpose: a DUID lookup without "iaid" is refused (Kea
  silently takes IAID 0, which is a real IAID and may name somebody else's lease); lease6-update of a
  missing lease without "force-create" says how to create it; a bulk-apply deletion by DUID that finds
  nothing is listed in "failed-deleted-leases" (Kea skips it without a word); "Incorrect lease type"
  names the values it accepts (Kea's text says "na, ta and pd" but accepts only IA_NA, IA_TA, IA_PD).
- The lease store is touched only through the LeaseStore6 interface (get, get6, find_by_*, page, put,
  delete, all); `put` replaces a lease whole. Statistics stay true without a recount: the store announces
  every change on its change feed and the statistics subscriber (lease_stats.py) moves the gauges.
- `lease6-del` with `"update-ddns": true` deletes the lease, then hands it to the DDNS service
  (`server.ddns.remove_for`, the call lease4-del and reclamation use), which queues the removal of its
  AAAA, ip6.arpa PTR and DHCID as Kea 2.2's queueNCR does: only when the lease has a hostname and
  fqdn-fwd or fqdn-rev, never for a delegated prefix (IA_PD). The answer is Kea's "IPv6 lease deleted."
  whether or not there was anything to remove. Without a running DDNS service it is refused with a clear
  error and nothing is deleted, as lease4-del is: Kea would delete and silently skip the DNS removal,
  leaving stale records behind.

Theory of operation: each handler gets the server (see commands.ServerApi) and arguments already
type-checked by the registry; it checks the relations between them (which subnet, which key, which type),
then reads or writes the store. lease6-bulk-apply checks every item first and changes nothing if one is
malformed; then it applies the deletions, then the additions/updates, and lists the ones that failed.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, cast

from edge.control.commands import ServerApi
from edge.control.protocol import EMPTY, ERROR, SUCCESS, answer
from edge.control.registry import (
    BOOL,
    MAP,
    STRING,
    Arg,
    ArgError,
    Command,
    ValueKind,
    hex_bytes,
    integer,
    list_of,
)
from edge.dhcp6.lease import (
    STATE_DECLINED,
    STATE_DEFAULT,
    STATE_EXPIRED_RECLAIMED,
    TYPE_NA,
    TYPE_PD,
    TYPE_TA,
    Lease6,
    address_text,
    parse_address,
)
from edge.dhcp6.lease_store import LeaseStore6
from edge.dhcp6.model import Config6, Subnet6
from edge.leases.errors import LeaseStoreError

__all__ = ["LEASE6_COMMANDS", "lease_from_args", "lease_to_json"]

TYPE_V4 = 3  # Kea's Lease::TYPE_V4: accepted by its lease6-get/-del parameters, and never finds a v6 lease
# "type" of a lease6-get / lease6-del key (Kea's getParameters: names or their numbers as text)
QUERY_TYPES = {
    "IA_NA": TYPE_NA,
    "0": TYPE_NA,
    "IA_TA": TYPE_TA,
    "1": TYPE_TA,
    "IA_PD": TYPE_PD,
    "2": TYPE_PD,
    "V4": TYPE_V4,
    "3": TYPE_V4,
}
# "type" of a lease given whole (lease6-add, lease6-update, bulk-apply "leases": Kea's Lease6Parser)
LEASE_TYPES = {"IA_NA": TYPE_NA, "IA_TA": TYPE_TA, "IA_PD": TYPE_PD}
KEA_TYPE_TEXT = {TYPE_NA: "IA_NA", TYPE_TA: "IA_TA", TYPE_PD: "IA_PD", TYPE_V4: "V4"}
MAX_DUID = 128  # Kea's DUID::MAX_DUID_LEN
MAX_EXPIRE = 2**63 - 1


def _ipv6(value: Any) -> int:
    text = STRING.convert(value)
    try:
        return parse_address(text)
    except ValueError:
        raise ArgError(f'"{text[:60]}" is not an IPv6 address') from None


IPV6 = ValueKind("an IPv6 address", _ipv6)
DUID = hex_bytes(MAX_DUID)


def _type_text(lease_type: int) -> str:
    return KEA_TYPE_TEXT.get(lease_type, f"unknown ({lease_type})")


def _config(server: ServerApi) -> Config6:
    return cast(Config6, server.config)


def _store(server: ServerApi) -> LeaseStore6:
    return cast(LeaseStore6, server.store)


# ----------------------------------------------------------------------------------------- lease <-> JSON


def lease_to_json(lease: Lease6) -> dict[str, Any]:
    """A lease as Kea's lease_cmds answer it (Lease6::toElement)."""
    out: dict[str, Any] = {}
    if lease.user_context:
        out["user-context"] = lease.user_context
    out["ip-address"] = address_text(lease.address)
    out["type"] = _type_text(lease.lease_type)
    if lease.lease_type == TYPE_PD:
        out["prefix-len"] = int(lease.prefix_len)
    out["iaid"] = int(lease.iaid)
    out["duid"] = lease.duid.hex(":")
    out["subnet-id"] = int(lease.subnet_id)
    out["cltt"] = int(lease.cltt)
    out["preferred-lft"] = int(lease.preferred_lifetime)
    out["valid-lft"] = int(lease.valid_lifetime)
    out["fqdn-fwd"] = bool(lease.fqdn_fwd)
    out["fqdn-rev"] = bool(lease.fqdn_rev)
    out["hostname"] = lease.hostname or ""
    if lease.hwaddr:
        out["hw-address"] = lease.hwaddr.hex(":")
    out["state"] = int(lease.state)
    return out


def _leases_answer(leases: list[Lease6], **extra: Any) -> dict[str, Any]:
    count = len(leases)
    arguments: dict[str, Any] = {"leases": [lease_to_json(lease) for lease in leases], **extra}
    return answer(SUCCESS if count else EMPTY, f"{count} IPv6 lease(s) found.", arguments)


def subnet_for_address(config: Config6, address: int) -> Subnet6 | None:
    """The most specific configured subnet that contains `address`."""
    best: Subnet6 | None = None
    for subnet in config.subnets:
        if address in subnet and (best is None or subnet.prefix_len > best.prefix_len):
            best = subnet
    return best


def _subnet(config: Config6, subnet_id: int, address: int, lease_type: int) -> Subnet6:
    """Kea's rule: subnet-id 0 (or none) means "the subnet the address is in", for addresses (IA_NA) only;
    otherwise the subnet must exist, and an IA_NA address must lie in it (Kea checks no other type)."""
    if subnet_id == 0:
        if lease_type != TYPE_NA:
            raise ArgError(
                "Subnet-id is 0 or not specified. This is allowed for address leases only, not prefix leases."
            )
        subnet = subnet_for_address(config, address)
        if subnet is None:
            raise ArgError(
                f"subnet-id not specified and failed to find a subnet for address {address_text(address)}"
            )
        return subnet
    subnet = config.subnet_by_id(subnet_id)
    if subnet is None:
        raise ArgError(f"Invalid subnet-id: No IPv6 subnet with subnet-id={subnet_id} currently configured.")
    if lease_type == TYPE_NA and address not in subnet:
        raise ArgError(
            f"The address {address_text(address)} does not belong to subnet {subnet.text}, "
            f"subnet-id={subnet_id}"
        )
    return subnet


def _lease_type(args: dict[str, Any]) -> int:
    text = args.get("type", "IA_NA")
    if text not in LEASE_TYPES:
        raise ArgError(f"Incorrect lease type: {text}, the only supported values are: IA_NA, IA_TA and IA_PD")
    return LEASE_TYPES[text]


def _context(args: dict[str, Any]) -> dict[str, Any] | None:
    context: dict[str, Any] | None = args.get("user-context")
    if "comment" in args:  # Kea keeps a lease's comment in its user context
        comment = args["comment"]
        if context is not None and "comment" in context:
            raise ArgError(
                f"Duplicated comment entry '{json.dumps(comment)}' in user context '{json.dumps(context)}'"
            )
        context = {**(context or {}), "comment": comment}
    return context


def lease_from_args(config: Config6, args: dict[str, Any], now: float) -> Lease6:
    """A Lease6 from lease6-add / lease6-update arguments (already type-checked), or ArgError."""
    address = args["ip-address"]
    lease_type = _lease_type(args)
    prefix_len = 128
    if lease_type == TYPE_PD:
        if "prefix-len" not in args:
            raise ArgError("missing mandatory 'prefix-len' argument (an IA_PD lease needs its prefix length)")
        prefix_len = args["prefix-len"]
    subnet = _subnet(config, args.get("subnet-id", 0), address, lease_type)
    valid = args.get("valid-lft", subnet.params.valid_lifetime)
    # Kea 2.2 (and every later release) defaults the preferred lifetime to the subnet's *valid* lifetime.
    preferred = args.get("preferred-lft", subnet.params.valid_lifetime)
    text = address_text(address)
    if "expire" in args:
        expire = args["expire"]
        if expire <= 0:
            raise ArgError(f"expiration time must be positive for address {text}")
        if expire < valid:
            raise ArgError(f"expiration time must be greater than valid lifetime for address {text}")
        cltt = expire - valid
    else:
        cltt = int(now)
    hostname = args.get("hostname", "")
    fqdn_fwd = args.get("fqdn-fwd", False)
    fqdn_rev = args.get("fqdn-rev", False)
    if not hostname and (fqdn_fwd or fqdn_rev):
        raise ArgError("No hostname specified and either forward or reverse fqdn was set to true.")
    state = args.get("state", STATE_DEFAULT)
    if state > STATE_EXPIRED_RECLAIMED:
        raise ArgError(
            f"Invalid state value: {state}, supported values are: 0 (default), 1 (declined) and "
            "2 (expired-reclaimed)"
        )
    if state == STATE_DECLINED and lease_type == TYPE_PD:
        raise ArgError("Invalid declined state for PD prefix.")
    return Lease6(
        address=address,
        duid=args["duid"],
        iaid=args["iaid"],
        lease_type=lease_type,
        prefix_len=prefix_len,
        preferred_lifetime=preferred,
        valid_lifetime=valid,
        cltt=cltt,
        subnet_id=subnet.id,
        hwaddr=args.get("hw-address", b""),
        hostname=hostname,
        state=state,
        fqdn_fwd=fqdn_fwd,
        fqdn_rev=fqdn_rev,
        user_context=_context(args),
    )


# ----------------------------------------------------------------------------------------- store changes


def _put(server: ServerApi, lease: Lease6) -> None:
    try:
        _store(server).put(lease)
    except ValueError as exc:  # a lease the store cannot represent: nothing changed
        raise ArgError(f"the lease cannot be stored: {exc}") from None
    except LeaseStoreError as exc:  # the change could not be recorded: nothing changed either
        raise ArgError(f"the lease could not be recorded: {exc}") from None


def _remove(server: ServerApi, lease: Lease6) -> bool:
    try:
        return _store(server).delete(lease.address)
    except LeaseStoreError as exc:
        raise ArgError(f"the deletion could not be recorded: {exc}") from None


def _add_or_update(server: ServerApi, lease: Lease6, force_create: bool) -> bool:
    """Store `lease` over the one of its type at its address; True if it was added. ArgError if there is no
    such lease and `force_create` is off, or a lease of another type holds the address."""
    old = _store(server).get(lease.address)
    if old is not None and old.lease_type != lease.lease_type:
        raise ArgError(
            f"the address {address_text(lease.address)} is held by an {_type_text(old.lease_type)} lease, "
            f"not an {_type_text(lease.lease_type)} one: delete that lease first"
        )
    if old is None and not force_create:
        raise ArgError(
            f"failed to update the lease with address {address_text(lease.address)}: no such lease "
            '(give "force-create": true to create it)'
        )
    _put(server, lease)
    return old is None


# ----------------------------------------------------------------------------------------- finding a lease


def _query_type(args: dict[str, Any]) -> int:
    text = args.get("type", "IA_NA")
    if text not in QUERY_TYPES:
        raise ArgError(
            f"Invalid lease type specified: {text}, only supported values are: IA_NA, IA_TA, IA_PD and V4"
        )
    return QUERY_TYPES[text]


def _by_duid(server: ServerApi, args: dict[str, Any], verb: str) -> Lease6 | None:
    """The lease a (subnet-id, identifier-type duid, identifier, iaid, type) key names, or None."""
    if "identifier-type" not in args and "identifier" not in args and "subnet-id" not in args:
        raise ArgError(
            "give 'ip-address' (and 'type'), or 'subnet-id', 'identifier-type' \"duid\", 'identifier' and 'iaid'"
        )
    if "subnet-id" not in args:
        raise ArgError("Mandatory 'subnet-id' parameter missing.")
    if "identifier-type" not in args:
        raise ArgError("No 'ip-address' provided and 'identifier-type' is either missing or not a string.")
    if "identifier" not in args:
        raise ArgError("No 'ip-address' provided and 'identifier' is either missing or not a string.")
    kind = args["identifier-type"]
    if kind in ("hw-address", "client-id"):
        raise ArgError(f"{verb} by {kind} is not allowed in v6.")
    if kind == "address":
        raise ArgError("identifier-type 'address' is not a key here: give the address as 'ip-address'")
    if kind != "duid":
        raise ArgError(
            f"Incorrect identifier type: {kind}, the only supported values are: address, hw-address, duid"
        )
    if "iaid" not in args:
        raise ArgError("Mandatory 'iaid' parameter missing.")
    try:
        duid = DUID.convert(args["identifier"])
    except ArgError as exc:
        raise ArgError(f"'identifier' {exc}") from None
    lease_type, iaid, subnet_id = _query_type(args), args["iaid"], args["subnet-id"]
    found = _store(server).find_by_duid_iaid(duid, iaid, lease_type, subnet_id)
    if len(found) > 1:
        raise ArgError(
            f"More than one lease found for type {lease_type}, duid {duid.hex(':')}, iaid {iaid} "
            f"and subnet-id {subnet_id}"
        )
    return found[0] if found else None


def _lookup(server: ServerApi, args: dict[str, Any], verb: str = "Query") -> Lease6 | None:
    if "ip-address" in args:
        if "identifier-type" in args or "identifier" in args:
            raise ArgError("give either 'ip-address' or 'identifier-type' and 'identifier', not both")
        return _store(server).get6(_query_type(args), args["ip-address"])
    return _by_duid(server, args, verb)


# ----------------------------------------------------------------------------------------- handlers


def lease6_add(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    lease = lease_from_args(_config(server), args, server.clock())
    if _store(server).get(lease.address) is not None:
        return answer(ERROR, "IPv6 lease already exists.")
    _put(server, lease)
    text = address_text(lease.address)
    if lease.lease_type == TYPE_NA:
        return answer(SUCCESS, f"Lease for address {text}, subnet-id {lease.subnet_id} added.")
    return answer(SUCCESS, f"Lease for prefix {text}/{lease.prefix_len}, subnet-id {lease.subnet_id} added.")


def lease6_update(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    lease = lease_from_args(_config(server), args, server.clock())
    added = _add_or_update(server, lease, args.get("force-create", False))
    return answer(SUCCESS, "IPv6 lease added." if added else "IPv6 lease updated.")


def lease6_get(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    lease = _lookup(server, args)
    if lease is None:
        return answer(EMPTY, "Lease not found.")
    return answer(SUCCESS, "IPv6 lease found.", lease_to_json(lease))


def _no_ddns(server: ServerApi) -> dict[str, Any]:
    """The refusal of update-ddns when no DDNS service runs (lease4-del's words)."""
    if _config(server).ddns.enable_updates:
        why = "the DDNS service is not running (see the log)"
    else:
        why = 'DDNS is not configured ("dhcp-ddns": {"enable-updates": true})'
    return answer(
        ERROR,
        f'cannot honour "update-ddns": {why}; nothing was deleted. Repeat without "update-ddns" to delete '
        "the lease and leave DNS as it is.",
    )


def lease6_del(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    update_ddns = args.get("update-ddns", False)
    if update_ddns and server.ddns is None:
        return _no_ddns(server)
    lease = _lookup(server, args, "Delete")
    if lease is None or not _remove(server, lease):
        return answer(EMPTY, "IPv6 lease not found.")
    if update_ddns and server.ddns is not None:
        # Deleted first, as Kea does: a deletion that could not be recorded removes nothing from DNS. The
        # name handler skips a lease without a hostname or fqdn-fwd/-rev, and every IA_PD prefix.
        server.ddns.remove_for(lease)  # type: ignore[arg-type]  # the DHCPv6 name handler takes Lease6
    return answer(SUCCESS, "IPv6 lease deleted.")


def lease6_get_all(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    subnets = args.get("subnets")
    leases = list(_store(server).all())
    if subnets is not None:
        wanted = set(subnets)
        leases = [lease for lease in leases if lease.subnet_id in wanted]
    leases.sort(key=lambda lease: lease.address)
    return _leases_answer(leases)


def lease6_get_page(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    start = args["from"]
    if start == "start":
        after = 0  # :: is never a lease, so "after ::" is the first page, as in Kea
    else:
        try:
            after = parse_address(start)
        except ValueError:
            if _is_ipv4(start):
                raise ArgError(f"'from' parameter value {start} is not an IPv6 address") from None
            raise ArgError(
                "'from' parameter value is neither 'start' keyword nor a valid IPv6 address"
            ) from None
    limit = args["limit"]
    if limit == 0:
        raise ArgError("page size of retrieved leases must not be 0")
    leases = list(_store(server).page(after, limit))
    return _leases_answer(leases, count=len(leases))


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def lease6_get_by_duid(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    leases = sorted(_store(server).find_by_duid(args["duid"]), key=lambda lease: lease.address)
    return _leases_answer(leases)


def lease6_get_by_hostname(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    hostname = args["hostname"]
    if not hostname:
        raise ArgError("'hostname' parameter is empty")
    leases = sorted(_store(server).find_by_hostname(hostname), key=lambda lease: lease.address)
    return _leases_answer(leases)


def lease6_wipe(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    subnet_id = args.get("subnet-id", 0)
    if subnet_id:
        targets = {subnet_id}  # also a subnet no longer configured: how its kept leases are cleared
    else:
        targets = {subnet.id for subnet in _config(server).subnets}
    store = _store(server)
    doomed = [lease for subnet in sorted(targets) for lease in store.find_by_subnet(subnet)]
    removed = sum(1 for lease in doomed if _remove(server, lease))
    ids = " ".join(str(i) for i in sorted(targets)) or "none"
    return answer(SUCCESS if removed else EMPTY, f"Deleted {removed} IPv6 lease(s) from subnet(s) {ids}")


# ----------------------------------------------------------------------------------------- bulk apply


def _failed(lease_type: int, address: int, duid: bytes | None, result: int, message: str) -> dict[str, Any]:
    """One entry of failed-deleted-leases / failed-leases, as Kea's createFailedLeaseMap makes it."""
    entry: dict[str, Any] = {"type": _type_text(lease_type)}
    if address:
        entry["ip-address"] = address_text(address)
    elif duid is not None:
        entry["duid"] = duid.hex(":")
    entry["result"] = result
    entry["error-message"] = message
    return entry


def _item(command: Command, item: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        return command.validate(item)
    except ArgError as exc:
        raise ArgError(f"{where}: {exc}") from None


def lease6_bulk_apply(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:
    deleted_items = args.get("deleted-leases")
    lease_items = args.get("leases")
    if deleted_items is None and lease_items is None:
        raise ArgError("neither 'deleted-leases' nor 'leases' parameter specified")
    # Everything is checked (and the leases to delete found) before anything changes.
    to_delete: list[tuple[dict[str, Any], Lease6 | None]] = []
    for index, item in enumerate(deleted_items or ()):
        where = f"deleted-leases[{index}]"
        key = _item(DELETED_ITEM, item, where)
        try:
            to_delete.append((key, _lookup(server, key, "Delete")))
        except ArgError as exc:
            raise ArgError(f"{where}: {exc}") from None
    to_store: list[Lease6] = []
    config, now = _config(server), server.clock()
    for index, item in enumerate(lease_items or ()):
        where = f"leases[{index}]"
        fields = _item(LEASE_ITEM, item, where)
        try:
            to_store.append(lease_from_args(config, fields, now))
        except ArgError as exc:
            raise ArgError(f"{where}: {exc}") from None

    done = 0
    failed_deleted: list[dict[str, Any]] = []
    for key, found in to_delete:
        lease_type = _query_type(key)
        address = key.get("ip-address", 0)
        duid = DUID.convert(key["identifier"]) if "identifier" in key else None
        try:
            if found is not None and _remove(server, found):
                done += 1
            else:
                failed_deleted.append(_failed(lease_type, address, duid, EMPTY, "lease not found"))
        except ArgError as exc:
            failed_deleted.append(_failed(lease_type, address, duid, ERROR, str(exc)))
    failed: list[dict[str, Any]] = []
    for lease in to_store:
        try:
            _add_or_update(server, lease, force_create=True)
            done += 1
        except ArgError as exc:
            failed.append(_failed(lease.lease_type, lease.address, lease.duid, ERROR, str(exc)))

    arguments: dict[str, Any] | None = None
    if failed_deleted or failed:
        arguments = {}
        if failed_deleted:
            arguments["failed-deleted-leases"] = failed_deleted
        if failed:
            arguments["failed-leases"] = failed
    return answer(SUCCESS if done else EMPTY, f"Bulk apply of {done} IPv6 leases completed.", arguments)


# ----------------------------------------------------------------------------------------- the table

LEASE_FIELDS = (
    Arg("ip-address", IPV6, required=True),
    Arg("duid", DUID, required=True),
    Arg("iaid", integer(), required=True),
    Arg("type", STRING),
    Arg("prefix-len", integer(1, 128)),
    Arg("subnet-id", integer()),
    Arg("hw-address", hex_bytes(20)),
    Arg("preferred-lft", integer()),
    Arg("valid-lft", integer()),
    Arg("expire", integer(-MAX_EXPIRE, MAX_EXPIRE)),
    Arg("fqdn-fwd", BOOL),
    Arg("fqdn-rev", BOOL),
    Arg("hostname", STRING),
    Arg("state", integer(0, 255)),
    Arg("user-context", MAP),
    Arg("comment", STRING),
)
LEASE_KEY = (
    Arg("ip-address", IPV6),
    Arg("type", STRING),
    Arg("identifier-type", STRING),
    Arg("identifier", STRING),
    Arg("iaid", integer()),
    Arg("subnet-id", integer()),
)


def _item_only(server: ServerApi, args: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
    raise AssertionError("an item row only validates")


# The rows one item of lease6-bulk-apply's lists is checked against (never dispatched).
DELETED_ITEM = Command("deleted-leases", _item_only, LEASE_KEY)
LEASE_ITEM = Command("leases", _item_only, (*LEASE_FIELDS, Arg("force-create", BOOL)))

# fmt: off
LEASE6_COMMANDS: tuple[Command, ...] = (
    Command("lease6-add", lease6_add, LEASE_FIELDS, summary="add a lease"),
    Command("lease6-update", lease6_update, (*LEASE_FIELDS, Arg("force-create", BOOL)),
            summary="replace a lease"),
    Command("lease6-del", lease6_del, (*LEASE_KEY, Arg("update-ddns", BOOL)), summary="delete a lease"),
    Command("lease6-get", lease6_get, LEASE_KEY, summary="one lease by address and type, or by DUID and IAID"),
    Command("lease6-get-all", lease6_get_all, (Arg("subnets", list_of(integer())),),
            summary="all leases (of some subnets)"),
    Command("lease6-get-page", lease6_get_page,
            (Arg("from", STRING, required=True), Arg("limit", integer(0), required=True)),
            summary="leases by address order, a page at a time"),
    Command("lease6-get-by-duid", lease6_get_by_duid, (Arg("duid", DUID, required=True),),
            summary="leases of a DUID"),
    Command("lease6-get-by-hostname", lease6_get_by_hostname,
            (Arg("hostname", STRING, required=True),), summary="leases of a hostname"),
    Command("lease6-wipe", lease6_wipe, (Arg("subnet-id", integer()),),
            summary="delete the leases of a subnet (or of all subnets)"),
    Command("lease6-bulk-apply", lease6_bulk_apply,
            (Arg("deleted-leases", list_of(MAP)), Arg("leases", list_of(MAP))),
            summary="delete, add and update many leases at once"),
)
# fmt: on
