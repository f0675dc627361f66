"""The one table of client classes nobody has to define: Kea's built-in and special classes.

Rules this module keeps:
- Both readers of class names use this table: the expression language (`member('X')` of an undefined class
  is an error unless X is here) and the configuration loader (a guard or reservation naming an undefined
  class is refused unless X is here). Kea 2.2 keeps one list too (src/lib/dhcpsrv/client_class_def.cc).
- BUILT_IN are Kea's `builtinNames` (ALL, KNOWN, UNKNOWN, BOOTP): the server assigns them, so a definition
  of one may not carry a test. SPECIAL are classes Kea acts on that a configuration may define with a test
  (DROP drops the packet, SKIP_DDNS skips DNS updates); they may be named without being defined.
- PREFIXES are Kea 2.2's `builtinPrefixes` (VENDOR_CLASS_, HA_, AFTER_, EXTERNAL_), plus SPAWN_ (Kea >= 2.5
  class templates). As in Kea, a name is built in by prefix only when it is longer than the prefix.
- Who assigns a prefixed class: VENDOR_CLASS_<option 60 / option 16 data> the server; HA_<server-name> the
  HA hook library (load balancing: the class of the peer that serves the packet); EXTERNAL_ hook libraries;
  AFTER_ is reserved; SPAWN_ class templates (PREFIXES says so).

Observed in Kea 2.2's source: a subnet's, shared network's or pool's "client-class" is never checked against
the defined classes (any name loads; a guard naming a class no packet joins simply never matches). edge-dhcp
refuses an undefined, non-built-in name as surely a mistake, and warns about HA_ names that no configured HA
hook can assign (see the loader).
"""

from __future__ import annotations

__all__ = [
    "BUILT_IN",
    "HA_PREFIX",
    "KNOWN_CLASSES",
    "PREFIXES",
    "SPECIAL",
    "VENDOR_CLASS_PREFIX",
    "is_built_in",
    "prefix_of",
]

BUILT_IN = frozenset({"ALL", "KNOWN", "UNKNOWN", "BOOTP"})
SPECIAL = frozenset({"DROP", "SKIP_DDNS"})
KNOWN_CLASSES = frozenset({"KNOWN", "UNKNOWN"})  # a test naming these runs after the host lookup

VENDOR_CLASS_PREFIX = "VENDOR_CLASS_"
HA_PREFIX = "HA_"
PREFIXES: dict[str, str] = {
    VENDOR_CLASS_PREFIX: "the server (from the client's vendor class option)",
    HA_PREFIX: "the HA hook library (the class of the HA peer that serves the packet)",
    "AFTER_": "nothing yet (Kea reserves the prefix)",
    "EXTERNAL_": "a hook library",
    "SPAWN_": "a class template (Kea >= 2.5)",
}


def prefix_of(name: str) -> str | None:
    """The built-in prefix `name` starts with (and is longer than), or None."""
    for prefix in PREFIXES:
        if len(name) > len(prefix) and name.startswith(prefix):
            return prefix
    return None


def is_built_in(name: str) -> bool:
    """A class that may be named (in member(), guards, reservations) without being defined."""
    return name in BUILT_IN or name in SPECIAL or prefix_of(name) is not None
