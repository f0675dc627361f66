"""Scope parameters: what Kea inherits global -> shared network -> subnet, given, checked and resolved.

Rules this module keeps:
- A scope's values are kept as given (after Kea's old spellings are mapped: reservation-mode becomes the
  three reservations-* flags, ddns-use-conflict-resolution the conflict-resolution mode); `resolve` turns a
  chain of scopes (outermost first) into the family's resolved parameters, defaults from the key table.
- Timers are checked where an inconsistency first appears: a scope is checked only if it gives one of the
  timer keys itself (the global scope always), so one bad global value is one error, not one per subnet.
- The family says which keys are scope fields (`scope_fields`), what its resolved parameters are
  (`params_type`), and which timer orderings must hold (`timer_pairs`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from edge.config.context import BuildContext
from edge.config.errors import not_ascii_name
from edge.config.positions import KeyPath

__all__ = [
    "RESERVATION_FLAGS",
    "RESERVATION_MODES",
    "Scope",
    "ScopesPart",
    "map_reservation_mode",
    "resolved",
]

RESERVATION_FLAGS = ("reservations-global", "reservations-in-subnet", "reservations-out-of-pool")
# Kea's old reservation-mode values, as the three flags that replaced it (global, in-subnet, out-of-pool).
RESERVATION_MODES = {
    "disabled": (False, False, False),
    "out-of-pool": (False, True, True),
    "global": (True, False, False),
    "all": (False, True, False),
}


@dataclass(frozen=True)
class Scope:
    """One level of scope parameters as given (after reservation-mode mapping), and where."""

    values: dict[str, Any]
    path: KeyPath


class ScopesPart(BuildContext):
    scope_fields: dict[str, str]  # scope key -> the resolved parameters' field (set by the family)
    params_type: type  # the family's resolved parameters (ScopeParams4, ScopeParams6)
    timer_keys: tuple[str, ...] = ()  # keys whose presence in a scope makes it checked

    # -- what the family adds

    def scope_extra(self, obj: dict[str, Any], path: KeyPath, values: dict[str, Any]) -> None:
        """Family-specific checks and conversions of a scope's values (e.g. DHCPv4's next-server)."""

    def scope_default(self, key: str) -> Any:
        return self.table.default(self.table.root, key)

    def timer_pairs(self, v: dict[str, Any]) -> list[tuple[str, Any, str, Any]]:
        """(low key, low value, high key, high value) pairs that must not be inverted."""
        return []

    def resolve_extra(self, values: dict[str, Any]) -> None:
        """Derived defaults of the resolved parameters (e.g. min/max lifetimes from the lifetime)."""

    # -- shared

    def scope(self, obj: dict[str, Any], path: KeyPath) -> Scope:
        values = {k: obj[k] for k in self.scope_fields if k in obj}
        for k in ("store-extended-info",):
            if k in obj:
                values[k] = obj[k]
        self.scope_extra(obj, path, values)
        mode = obj.get("reservation-mode")
        if mode is not None:
            both = [k for k in RESERVATION_FLAGS if k in obj]
            if both:
                self.error(path + ("reservation-mode",), f'give "reservation-mode" or "{both[0]}", not both')
            else:
                values.update(zip(RESERVATION_FLAGS, RESERVATION_MODES[mode], strict=True))
                self.warning(
                    path + ("reservation-mode",),
                    "reservation-mode is Kea's old spelling; taken as "
                    + ", ".join(
                        f"{k}: {str(v).lower()}"
                        for k, v in zip(RESERVATION_FLAGS, RESERVATION_MODES[mode], strict=True)
                    ),
                    at_key=True,
                )
        for key in ("t1-percent", "t2-percent"):
            value = values.get(key)
            if value is not None and not 0 < value < 1:
                self.error(path + (key,), f"{key} must be greater than 0 and less than 1, got {value}")
        self.ddns_scope(obj, path, values)
        return Scope(values, path)

    def ddns_scope(self, obj: dict[str, Any], path: KeyPath, values: dict[str, Any]) -> None:
        """DDNS scope keys: Kea's old boolean becomes the conflict-resolution mode; the hostname character
        set must be a regular expression (Kea takes POSIX extended syntax; Python's covers its common use)."""
        if "ddns-use-conflict-resolution" in obj:
            if "ddns-conflict-resolution-mode" in obj:
                self.error(
                    path + ("ddns-use-conflict-resolution",),
                    'give "ddns-conflict-resolution-mode" or "ddns-use-conflict-resolution", not both',
                )
            else:
                use = obj["ddns-use-conflict-resolution"]
                values["ddns-conflict-resolution-mode"] = "check-with-dhcid" if use else "no-check-with-dhcid"
        pattern = obj.get("hostname-char-set")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.error(
                    path + ("hostname-char-set",), f'"{pattern}" is not a usable regular expression: {exc}'
                )
        for key in ("ddns-generated-prefix", "ddns-qualifying-suffix", "hostname-char-replacement"):
            text = obj.get(key)
            if text and not text.isascii():
                self.error(path + (key,), not_ascii_name(text))
            elif (
                key != "hostname-char-replacement"
                and text
                and (
                    len(text) > 253 or any(not part or len(part) > 63 for part in text.strip(".").split("."))
                )
            ):
                self.error(path + (key,), f'"{text}" is not a valid domain name part')

    def lookup(self, chain: list[Scope], key: str) -> tuple[Any, KeyPath | None]:
        """The innermost given value of `key` in a chain ordered outermost first, and where it was given."""
        for scope in reversed(chain):
            if key in scope.values:
                return scope.values[key], scope.path + (key,)
        return self.scope_default(key), None

    def resolve(self, chain: list[Scope]) -> Any:
        values = {f: self.lookup(chain, k)[0] for k, f in self.scope_fields.items()}
        if values["min_valid_lifetime"] is None:
            values["min_valid_lifetime"] = values["valid_lifetime"]
        if values["max_valid_lifetime"] is None:
            values["max_valid_lifetime"] = values["valid_lifetime"]
        if values["ddns_conflict_resolution_mode"] is None:
            values["ddns_conflict_resolution_mode"] = "check-with-dhcid"
        self.resolve_extra(values)
        return self.params_type(**values)

    def check_timers(self, chain: list[Scope], *, always: bool = False) -> None:
        """Timer consistency for the innermost scope of `chain`, reported where the inconsistency first
        appears: only if that scope gives one of the keys itself (or `always`, for the global scope)."""
        here = chain[-1]
        if not always and not any(k in here.values for k in (*self.timer_keys, "calculate-tee-times")):
            return
        v = {
            k: self.lookup(chain, k)[0]
            for k in (*self.timer_keys, "t1-percent", "t2-percent", "calculate-tee-times")
        }

        def where(*keys: str) -> KeyPath:
            for key in keys:
                if key in here.values:
                    return here.path + (key,)
            return here.path

        for lo_key, lo, hi_key, hi in self.timer_pairs(v):
            if lo is not None and hi is not None and lo > hi:
                self.error(where(lo_key, hi_key), f"{lo_key} ({lo}) is greater than {hi_key} ({hi})")
        if v["calculate-tee-times"] and v["t1-percent"] >= v["t2-percent"]:
            self.error(
                where("t1-percent", "t2-percent"),
                f"t1-percent ({v['t1-percent']}) must be less than t2-percent ({v['t2-percent']})",
            )


# ----------------------------------------------------------------------------------------- config-get


def map_reservation_mode(scope: dict[str, Any]) -> None:
    """In a raw document: Kea's old reservation-mode as the three flags (as config-get shows them)."""
    mode = scope.pop("reservation-mode", None)
    if mode is not None:
        scope.update(zip(RESERVATION_FLAGS, RESERVATION_MODES[mode], strict=True))


def show_resolved(s: dict[str, Any], parents: list[dict[str, Any]], params: Any, keys: Sequence[str]) -> None:
    """In a subnet's raw document: the values of `keys` it runs with. Taken from its parameters where they
    have the key, not looked up in the filled-in parents: a network's shown max-valid-lifetime (its own
    valid-lifetime) is not what a subnet that sets a longer valid-lifetime inherits, and config-write's file
    must load back the same."""
    for key in keys:
        field = key.replace("-", "_")
        if hasattr(params, field):
            s[key] = getattr(params, field)
        else:
            s.setdefault(key, resolved(key, [*parents, s]))


def resolved(key: str, chain: list[dict[str, Any]]) -> Any:
    """In raw documents ordered outermost first: the innermost value of `key` (min/max lifetimes default to
    the lifetime, as Kea resolves them)."""
    for scope in reversed(chain):
        if key in scope:
            return scope[key]
    if key in ("min-valid-lifetime", "max-valid-lifetime"):
        return resolved("valid-lifetime", chain)
    if key in ("min-preferred-lifetime", "max-preferred-lifetime"):
        return resolved("preferred-lifetime", chain)
    return None
