"""Lease interchange: other servers' lease files in, ours out (`edge-dhcp leases import/export`).

Rules:
- Import formats are one table, IMPORT_FORMATS: format name -> parser. A parser has the signature

      def parse_x(stream: TextIO, source: str) -> Iterator[Row | Removal | RowError]

  reading text from `stream` (`source` names it in messages) and yielding, in file order, `Row(line, lease)`
  for a lease, `Removal(line, address)` for "this address has no lease any more", and `RowError(line,
  message)` for a row it cannot read (then it carries on with the next row). Line numbers count from 1.
  Later rows for an address replace earlier ones (Kea's CSV and ISC dhcpd's leases file are both logs).
  A lease whose subnet the file does not know gets subnet_id 0: the import finds its subnet in the
  configuration by address. Adding a format is adding a row.
- Nothing is imported half-way without saying so: every row is parsed and checked (a usable lease, an
  address inside a configured subnet whose id matches) before the store is touched. With any bad row the
  import stops and lists them all by line number, unless asked to skip them, and then it says how many
  it skipped and which.
- Kea 2.2's memfile CSV both ways: columns address, hwaddr, client_id, valid_lifetime, expire, subnet_id,
  fqdn_fwd, fqdn_rev, hostname, state, user_context; Kea escapes "," as "&#x2c" and "&" as "&#x26" inside
  values (no CSV quoting); a row with valid_lifetime 0 deletes the address's lease; columns are found by the
  header, so older (fewer columns) and newer (extra columns) Kea files read too.
- JSON is Kea's lease4-get-all shape ({"leases": [{"ip-address": ..., "hw-address": ..., "valid-lft": ...,
  "cltt": ...}]}), so the same conversion serves the control channel (`lease_to_kea`, `lease_from_kea`).
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, TextIO

from edge.config.model import DaemonConfig
from edge.leases.journal import JournalCorrupt
from edge.leases.lease import STATE_DECLINED, STATE_DEFAULT, Lease
from edge.leases.snapshot import read_tinydb
from edge.leases.store import LeaseStore, pack_record
from edge.wire.addr import int_to_ip, ip_to_int


class Row(NamedTuple):
    line: int
    lease: Lease


class Removal(NamedTuple):
    line: int
    address: int


class RowError(NamedTuple):
    line: int
    message: str


Item = Row | Removal | RowError
Parser = Callable[[TextIO, str], Iterator[Item]]

KEA_CSV_COLUMNS = (
    "address",
    "hwaddr",
    "client_id",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "fqdn_fwd",
    "fqdn_rev",
    "hostname",
    "state",
    "user_context",
)
_REQUIRED = KEA_CSV_COLUMNS[:9]  # Kea's minimum: up to hostname
_ESCAPE = re.compile(r"&#x([0-9a-fA-F]{2})")


# ------------------------------------------------------------------------------------------- small parts


def kea_unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "&#x" in text else text


def kea_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in ",&\n\r":
            out.append("&#x%02x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def parse_hex(text: str, what: str, limit: int) -> bytes:
    cleaned = text.strip().replace(":", "").replace("-", "")
    try:
        value = bytes.fromhex(cleaned)
    except ValueError:
        raise ValueError("%s %r is not hexadecimal bytes (like 01:02:03)" % (what, text)) from None
    if len(value) > limit:
        raise ValueError("%s %r is %d bytes, at most %d" % (what, text, len(value), limit))
    return value


def _int(text: str, what: str, low: int = 0, high: int = 2**32 - 1) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("%s %r is not a number" % (what, text)) from None
    if not low <= value <= high:
        raise ValueError("%s %d is out of range (%d..%d)" % (what, value, low, high))
    return value


def _bool(text: str, what: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true"):
        return True
    if value in ("0", "false", ""):
        return False
    raise ValueError("%s %r is not 0 or 1" % (what, text))


def _address(text: str) -> int:
    try:
        address = ip_to_int(text.strip())
    except ValueError:
        raise ValueError("address %r is not an IPv4 address" % text) from None
    if address in (0, 0xFFFFFFFF):
        raise ValueError("address %s cannot be leased" % text)
    return address


# ------------------------------------------------------------------------------------------- Kea CSV


def parse_kea_csv(stream: TextIO, source: str) -> Iterator[Item]:
    """Kea 2.x memfile CSV (leases4.csv)"""
    header = stream.readline().rstrip("\r\n")
    columns = header.split(",")
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        yield RowError(
            1, "not a Kea DHCPv4 lease file: the header %r lacks %s" % (header[:120], ", ".join(missing))
        )
        return
    for number, raw in enumerate(stream, start=2):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        fields = line.split(",")
        if len(fields) != len(columns):
            yield RowError(number, "%d fields where the header has %d columns" % (len(fields), len(columns)))
            continue
        row = {name: kea_unescape(value) for name, value in zip(columns, fields, strict=True)}
        try:
            yield _kea_csv_row(number, row)
        except ValueError as exc:
            yield RowError(number, str(exc))


def _kea_csv_row(number: int, row: dict[str, str]) -> Row | Removal:
    address = _address(row["address"])
    valid = _int(row["valid_lifetime"], "valid_lifetime")
    if valid == 0:
        return Removal(number, address)  # Kea's "this lease was deleted"
    expire = _int(row["expire"], "expire", 0, 2**63 - 1)
    state = _int(row.get("state") or "0", "state", 0, 255)
    hwaddr = parse_hex(row["hwaddr"], "hwaddr", 20)
    if not hwaddr and state != STATE_DECLINED:
        raise ValueError("empty hwaddr (Kea allows that only for declined leases)")
    client_id = parse_hex(row["client_id"], "client_id", 255) if row["client_id"].strip() else None
    context_text = row.get("user_context", "").strip()
    context = None
    if context_text:
        try:
            context = json.loads(context_text)
        except ValueError as exc:
            raise ValueError("user_context is not JSON: %s" % exc) from None
        if not isinstance(context, dict):
            raise ValueError("user_context is not a JSON object")
    lease = Lease(
        address,
        hwaddr=hwaddr,
        client_id=client_id,
        valid_lifetime=valid,
        cltt=expire - valid,
        subnet_id=_int(row["subnet_id"], "subnet_id"),
        hostname=row["hostname"],
        state=state,
        fqdn_fwd=_bool(row["fqdn_fwd"], "fqdn_fwd"),
        fqdn_rev=_bool(row["fqdn_rev"], "fqdn_rev"),
        user_context=context or None,
    )
    return Row(number, lease)


def write_kea_csv(leases: Iterable[Lease], out: TextIO) -> int:
    out.write(",".join(KEA_CSV_COLUMNS) + "\n")
    count = 0
    for lease in leases:
        context = ""
        if lease.user_context:
            context = kea_escape(json.dumps(lease.user_context, separators=(", ", ": "), ensure_ascii=True))
        out.write(
            ",".join(
                (
                    int_to_ip(lease.address),
                    lease.hwaddr.hex(":"),
                    lease.client_id.hex(":") if lease.client_id else "",
                    str(lease.valid_lifetime),
                    str(lease.expire),
                    str(lease.subnet_id),
                    "1" if lease.fqdn_fwd else "0",
                    "1" if lease.fqdn_rev else "0",
                    kea_escape(lease.hostname),
                    str(lease.state),
                    context,
                )
            )
            + "\n"
        )
        count += 1
    return count


# ------------------------------------------------------------------------------------------- Kea JSON


def lease_to_kea(lease: Lease) -> dict[str, Any]:
    """A lease as Kea's lease4-get answers it."""
    out: dict[str, Any] = {
        "ip-address": int_to_ip(lease.address),
        "hw-address": lease.hwaddr.hex(":"),
        "valid-lft": lease.valid_lifetime,
        "cltt": lease.cltt,
        "subnet-id": lease.subnet_id,
        "fqdn-fwd": lease.fqdn_fwd,
        "fqdn-rev": lease.fqdn_rev,
        "hostname": lease.hostname,
        "state": lease.state,
    }
    if lease.client_id:
        out["client-id"] = lease.client_id.hex(":")
    if lease.user_context:
        out["user-context"] = lease.user_context
    return out


def lease_from_kea(obj: Any) -> Lease:
    """The inverse of lease_to_kea; ValueError naming the field that is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("a lease must be a JSON object")
    if "ip-address" not in obj:
        raise ValueError('no "ip-address"')
    valid = obj.get("valid-lft", 0)
    cltt = obj.get("cltt", 0)
    for name, value in (
        ("valid-lft", valid),
        ("cltt", cltt),
        ("subnet-id", obj.get("subnet-id", 0)),
        ("state", obj.get("state", 0)),
    ):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError('"%s" must be an integer' % name)
    context = obj.get("user-context")
    if context is not None and not isinstance(context, dict):
        raise ValueError('"user-context" must be an object')
    client_id = obj.get("client-id") or ""
    return Lease(
        _address(str(obj["ip-address"])),
        hwaddr=parse_hex(str(obj.get("hw-address", "")), "hw-address", 20),
        client_id=parse_hex(str(client_id), "client-id", 255) if client_id else None,
        valid_lifetime=valid,
        cltt=cltt,
        subnet_id=obj.get("subnet-id", 0),
        hostname=str(obj.get("hostname", "") or ""),
        state=obj.get("state", STATE_DEFAULT),
        fqdn_fwd=bool(obj.get("fqdn-fwd", False)),
        fqdn_rev=bool(obj.get("fqdn-rev", False)),
        user_context=context or None,
    )


def parse_kea_json(stream: TextIO, source: str) -> Iterator[Item]:
    """Kea's lease4-get-all answer ({"leases": [...]}, the whole answer, or a bare list)"""
    text = stream.read()
    try:
        data = json.loads(text)
    except ValueError as exc:
        yield RowError(getattr(exc, "lineno", 1), "not JSON: %s" % exc)
        return
    if isinstance(data, list) and data and isinstance(data[0], dict) and "arguments" in data[0]:
        data = data[0]  # a ctl answer from Kea's control agent
    if isinstance(data, dict):
        data = (data.get("arguments") or data).get("leases")
    if not isinstance(data, list):
        yield RowError(1, 'expected {"leases": [...]} or a list of leases')
        return
    starts = [m.start() for m in re.finditer(r'"ip-address"', text)]
    for index, obj in enumerate(data):
        line = text.count("\n", 0, starts[index]) + 1 if index < len(starts) else 1
        try:
            yield Row(line, lease_from_kea(obj))
        except ValueError as exc:
            yield RowError(line, "leases[%d]: %s" % (index, exc))


# ------------------------------------------------------------------------------------------- TinyDB


def parse_tinydb(stream: TextIO, source: str) -> Iterator[Item]:
    """a TinyDB JSON file with a "leases" table (an edge-dhcp lease file)"""
    if source and os.path.exists(source + ".journal") and os.path.getsize(source + ".journal"):
        yield RowError(
            0,
            "warning: %s.journal exists and is not empty: the changes it holds are not in %s "
            "(stop that server cleanly first; it folds the journal into the file)" % (source, source),
        )
    try:
        for number, document in read_tinydb(stream, source):
            try:
                yield Row(number, Lease.from_doc(document))
            except (KeyError, ValueError, TypeError) as exc:
                yield RowError(
                    number,
                    "not a lease document: %s" % (exc if not isinstance(exc, KeyError) else "no %s" % exc),
                )
    except JournalCorrupt as exc:
        match = re.search(r": line (\d+): ", str(exc))
        yield RowError(int(match.group(1)) if match else 1, str(exc))


IMPORT_FORMATS: dict[str, Parser] = {
    "kea-csv": parse_kea_csv,
    "tinydb": parse_tinydb,
    "json": parse_kea_json,
}


def _export_json(leases: Iterable[Lease], out: TextIO) -> int:
    items = [lease_to_kea(lease) for lease in leases]
    json.dump({"leases": items}, out, indent=1)
    out.write("\n")
    return len(items)


EXPORT_FORMATS: dict[str, Callable[[Iterable[Lease], TextIO], int]] = {
    "kea-csv": write_kea_csv,
    "json": _export_json,
}


# ------------------------------------------------------------------------------------------- import


class ImportReport(NamedTuple):
    errors: list[RowError]  # bad rows (and warnings, line 0)
    added: int
    replaced: int
    unchanged: int
    skipped: int
    imported: bool  # False: nothing was written

    def summary(self) -> str:
        if not self.imported:
            return "nothing imported: %d bad row(s)" % self.skipped
        text = "%d lease(s) imported (%d new, %d replaced, %d already identical)" % (
            self.added + self.replaced,
            self.added,
            self.replaced,
            self.unchanged,
        )
        if self.skipped:
            text += "; %d bad row(s) skipped" % self.skipped
        return text


def check_leases(config: DaemonConfig, items: Iterable[Item]) -> tuple[list[Row], list[RowError]]:
    """The final lease of every address in `items`, each checked against `config`, and the bad rows."""
    final: dict[int, Row | Removal] = {}
    errors: list[RowError] = []
    for item in items:
        if isinstance(item, RowError):
            errors.append(item)
        elif isinstance(item, Removal):
            final[item.address] = item
        else:
            final[item.lease.address] = item
    rows: list[Row] = []
    for item in final.values():
        if isinstance(item, Removal):
            continue
        problem = _check(config, item.lease)
        if problem:
            errors.append(RowError(item.line, problem))
        else:
            rows.append(item)
    errors.sort(key=lambda e: e.line)
    rows.sort(key=lambda r: r.lease.address)
    return rows, errors


def _check(config: DaemonConfig, lease: Lease) -> str | None:
    try:
        pack_record(lease)
    except ValueError as exc:
        return str(exc)
    address = int_to_ip(lease.address)
    home = next((s for s in config.subnets if lease.address in s), None)
    if lease.subnet_id == 0:
        if home is None:
            return "%s is in no configured subnet" % address
        lease.subnet_id = home.id
        return None
    subnet = config.subnet_by_id(lease.subnet_id)
    if subnet is None:
        hint = " (the address is in subnet %d, %s)" % (home.id, home.text) if home is not None else ""
        return "subnet_id %d is not in the configuration%s" % (lease.subnet_id, hint)
    if lease.address not in subnet:
        return "%s is not inside subnet %d (%s)" % (address, subnet.id, subnet.text)
    return None


def import_leases(
    config: DaemonConfig,
    store: LeaseStore,
    items: Iterable[Item],
    *,
    skip_bad: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    rows, errors = check_leases(config, items)
    bad = [e for e in errors if e.line > 0 and not e.message.startswith("warning:")]
    if (bad and not skip_bad) or dry_run:
        return ImportReport(errors, 0, 0, 0, len(bad), False)
    added = replaced = unchanged = 0
    for row in rows:
        current = store.get(row.lease.address)
        if current == row.lease:
            unchanged += 1
            continue
        store.put(row.lease)
        if current is None:
            added += 1
        else:
            replaced += 1
    return ImportReport(errors, added, replaced, unchanged, len(bad), True)


def export_leases(store: LeaseStore, fmt: str, out: TextIO) -> int:
    leases = sorted(store.all(), key=lambda lease: lease.address)
    return EXPORT_FORMATS[fmt](leases, out)


def parse_text(fmt: str, text: str, source: str = "<text>") -> list[Item]:
    """Convenience for tests and the control channel: parse a whole string."""
    return list(IMPORT_FORMATS[fmt](io.StringIO(text), source))
