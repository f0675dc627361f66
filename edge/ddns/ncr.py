"""NameChangeRequest: one DNS change a lease event calls for, in Kea's vocabulary and wire format.

Rules this module keeps:
- The fields are Kea's (src/lib/dhcp_ddns NameChangeRequest): change-type (0 add, 1 remove),
  forward-change, reverse-change, fqdn (absolute, with the trailing dot), ip-address, dhcid (hex of the
  RDATA), lease-expires-on (UTC, YYYYMMDDHHMMSS), lease-length (the TTL to give the records) and
  use-conflict-resolution. edge-dhcp adds `conflict-resolution-mode` (Kea >= 2.5's four modes) only in its
  own queue file; what goes to a Kea 2.2 D2 is exactly kea-dhcp4 2.2's JSON (the lab tests compare the
  bytes kea-dhcp4 sends with ours).
- On UDP a request is a 2-octet big-endian length followed by the JSON text (Kea's NCR "JSON" format).
- A request is a value: `from_json(to_json(x)) == x`; `from_json` raises NcrError (ValueError) for any
  malformed input, never anything else.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["CHG_ADD", "CHG_REMOVE", "NameChangeRequest", "NcrError"]

CHG_ADD = 0
CHG_REMOVE = 1
MODES = ("check-with-dhcid", "no-check-with-dhcid", "check-exists-with-dhcid", "no-check-without-dhcid")


class NcrError(ValueError):
    pass


def expires_text(epoch: int) -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(max(0, int(epoch))))


def expires_epoch(text: str) -> int:
    import calendar  # on demand: with datetime, ~0.5 MB a server without DNS updates need not hold

    try:
        return calendar.timegm(time.strptime(text, "%Y%m%d%H%M%S"))
    except (ValueError, TypeError) as exc:
        raise NcrError(f"lease-expires-on {text!r} is not YYYYMMDDHHMMSS") from exc


@dataclass(frozen=True, slots=True)
class NameChangeRequest:
    change_type: int
    forward: bool
    reverse: bool
    fqdn: str
    ip_address: str
    dhcid: bytes
    lease_expires_on: int  # epoch seconds
    lease_length: int  # the TTL for the records
    conflict_mode: str = "check-with-dhcid"

    def __post_init__(self) -> None:
        if self.change_type not in (CHG_ADD, CHG_REMOVE):
            raise NcrError(f"change-type must be 0 (add) or 1 (remove), got {self.change_type!r}")
        if not self.forward and not self.reverse:
            raise NcrError("forward-change and reverse-change are both false")
        if not self.fqdn or not self.fqdn.endswith("."):
            raise NcrError(f"fqdn {self.fqdn!r} must be absolute (end with a dot)")
        if not self.dhcid:
            raise NcrError("the DHCID is empty")
        if self.conflict_mode not in MODES:
            raise NcrError(f"unknown conflict resolution mode {self.conflict_mode!r}")

    @property
    def is_add(self) -> bool:
        return self.change_type == CHG_ADD

    @property
    def use_conflict_resolution(self) -> bool:
        return self.conflict_mode == "check-with-dhcid"

    def with_change(self, change_type: int) -> NameChangeRequest:
        return replace(self, change_type=change_type)

    # -- Kea's JSON
    def to_kea_json(self) -> str:
        """Exactly what kea-dhcp4 2.2 sends (key order and spelling included)."""
        return (
            '{"change-type":%d,"forward-change":%s,"reverse-change":%s,"fqdn":%s,"ip-address":%s,'
            '"dhcid":"%s","lease-expires-on":"%s","lease-length":%d,"use-conflict-resolution":%s}'
            % (
                self.change_type,
                _bool(self.forward),
                _bool(self.reverse),
                json.dumps(self.fqdn),
                json.dumps(self.ip_address),
                self.dhcid.hex().upper(),
                expires_text(self.lease_expires_on),
                self.lease_length,
                _bool(self.use_conflict_resolution),
            )
        )

    def to_wire(self) -> bytes:
        text = self.to_kea_json().encode("utf-8")
        if len(text) > 0xFFFF:
            raise NcrError("request too large for Kea's 16-bit length prefix")
        return len(text).to_bytes(2, "big") + text

    def to_record(self) -> dict[str, Any]:
        """The queue file's form: Kea's fields plus the conflict-resolution mode."""
        record = json.loads(self.to_kea_json())
        record["conflict-resolution-mode"] = self.conflict_mode
        return record

    @classmethod
    def from_record(cls, record: Any) -> NameChangeRequest:
        if not isinstance(record, dict):
            raise NcrError("a NameChangeRequest is a JSON object")
        try:
            mode = record.get("conflict-resolution-mode")
            if mode is None:
                mode = (
                    "check-with-dhcid"
                    if record.get("use-conflict-resolution", True)
                    else "no-check-with-dhcid"
                )
            change = record["change-type"]
            length = record["lease-length"]
            if isinstance(change, bool) or not isinstance(change, int):
                raise NcrError("change-type must be an integer")
            if isinstance(length, bool) or not isinstance(length, int) or not 0 <= length <= 0xFFFFFFFF:
                raise NcrError("lease-length must be a 32-bit unsigned integer")
            forward, reverse = record["forward-change"], record["reverse-change"]
            if not isinstance(forward, bool) or not isinstance(reverse, bool):
                raise NcrError("forward-change and reverse-change must be true or false")
            fqdn, address, dhcid = record["fqdn"], record["ip-address"], record["dhcid"]
            if not all(isinstance(v, str) for v in (fqdn, address, dhcid)):
                raise NcrError("fqdn, ip-address and dhcid must be strings")
            try:
                raw = bytes.fromhex(dhcid)
            except ValueError as exc:
                raise NcrError("dhcid is not hex") from exc
            return cls(
                change_type=change,
                forward=forward,
                reverse=reverse,
                fqdn=fqdn,
                ip_address=address,
                dhcid=raw,
                lease_expires_on=expires_epoch(record["lease-expires-on"]),
                lease_length=length,
                conflict_mode=mode,
            )
        except KeyError as exc:
            raise NcrError(f"NameChangeRequest value missing for: {exc.args[0]}") from None

    @classmethod
    def from_wire(cls, data: bytes) -> NameChangeRequest:
        if len(data) < 2:
            raise NcrError("shorter than the length prefix")
        length = int.from_bytes(data[:2], "big")
        if length != len(data) - 2:
            raise NcrError(f"length prefix says {length} octets, {len(data) - 2} follow")
        try:
            record = json.loads(data[2:].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise NcrError(f"malformed NameChangeRequest JSON: {exc}") from None
        return cls.from_record(record)

    def describe(self) -> str:
        what = "add" if self.is_add else "remove"
        kind = "AAAA" if ":" in self.ip_address else "A"
        parts = [p for p, on in ((kind, self.forward), ("PTR", self.reverse)) if on]
        return f"{what} {'+'.join(parts)} {self.fqdn} {self.ip_address}"


def _bool(value: bool) -> str:
    return "true" if value else "false"
