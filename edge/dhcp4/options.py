"""Which options go into a reply, and with what values (Kea 2.2's appendRequestedOptions and friends).

Rules:
- Scopes, highest precedence first: host reservation, pool, subnet, shared network, client classes (in the
  order the packet joined them: the first class that defines an option wins), global. The first scope that
  defines a code supplies it.
- Sent: the codes the client lists in option 55 (in its order), the codes marked `always-send` at ANY scope
  (the value still comes from the highest scope defining the code), and the basic options Kea always sends
  when configured: routers (3), domain-name-servers (6), domain-name (15). `never-send` (Kea 2.4+) at the
  supplying scope suppresses the option. A code the engine already put in the reply (53, 54, 51, 58, 59,
  1, 12, 61, 82, 118) is never replaced.
- Option spaces: an option whose definition encapsulates a space (43 -> vendor-encapsulated-options-space,
  or a custom `option-def` with "encapsulate") carries the options of that space configured in the SAME
  scope as sub-options, after its own data (Kea builds them at configuration time the same way).
- Vendor-specific information (125): for the enterprise id the client sent in its option 125 (or that a
  configured option 125 names), the sub-options configured in space "vendor-<id>" that the client asked for
  (DOCSIS 4491: its sub-option 1 list) or that are `always-send`, each from the highest scope defining it.

Theory of operation: each scope's option-data becomes a `Scope` (code -> OptionData for dhcp4, plus the
vendor spaces) once per configuration, with encapsulated payloads already built. The scope chain of a
(subnet, pool) is precomputed; per reply only the classes and the reservation, which vary, are put in
front of the global scope. Lookups are dictionary hits along a chain of a few scopes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

from edge.config.model import OptionData, OptionDef
from edge.dhcp4.model import Config4, Subnet4
from edge.wire import optiondef, options4
from edge.wire import pkt4 as wire

BASIC_CODES = (3, 6, 15)
# Options the server sets itself; configured values for these are ignored.
SERVER_OWNED = frozenset((0, 50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 82, 118, 255))
VIVSO = 125
DOCSIS = 4491
VENDOR_PREFIX = "vendor-"


class Scope:
    """The options configured at one scope: dhcp4 codes, and vendor sub-options by enterprise id."""

    __slots__ = ("codes", "vendors", "always")

    def __init__(self) -> None:
        self.codes: dict[int, OptionData] = {}
        self.vendors: dict[int, dict[int, OptionData]] = {}
        self.always: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self.codes or self.vendors)


EMPTY = Scope()


def _tlv(code: int, data: bytes) -> bytes:
    out = bytearray()
    # A sub-option longer than 255 bytes is split into instances (RFC 3396 applies to sub-options too).
    for start in range(0, max(len(data), 1), 255):
        chunk = data[start : start + 255]
        out += bytes((code, len(chunk))) + chunk
    return bytes(out)


def build_scope(options: Iterable[OptionData], registry: optiondef.OptionRegistry) -> Scope:
    """One scope's options, with sub-options of encapsulated spaces folded into their parent option."""
    scope = Scope()
    by_space: dict[str, dict[int, OptionData]] = {}
    for option in options:
        by_space.setdefault(option.space, {})[option.code] = option
    for code, option in by_space.get(options4.DHCP4_SPACE, {}).items():
        if code in SERVER_OWNED:
            continue
        defn = registry.by_code(code)
        space = defn.encapsulate if defn is not None else ""
        if space and space in by_space:
            subs = b"".join(
                _tlv(sub.code, sub.data) for sub in sorted(by_space[space].values(), key=lambda o: o.code)
            )
            option = OptionData(
                code=option.code,
                name=option.name,
                space=option.space,
                data=option.data + subs,
                always_send=option.always_send,
                never_send=option.never_send,
                csv_format=option.csv_format,
            )
        scope.codes[code] = option
        if option.always_send:
            scope.always.add(code)
    for space, entries in by_space.items():
        if space.startswith(VENDOR_PREFIX) and space[len(VENDOR_PREFIX) :].isdigit():
            scope.vendors[int(space[len(VENDOR_PREFIX) :])] = dict(entries)
    return scope


def registry_for(
    config: Config4, base: optiondef.OptionRegistry | None = None, defs: Sequence[OptionDef] | None = None
) -> optiondef.OptionRegistry:
    """The configuration's definitions over the standard table; with `base` and `defs`, a client class's
    own definitions over the configuration's (they replace a global custom one, as Kea keeps them apart)."""
    registry = (base or options4.STANDARD).copy()
    for d in config.option_defs if defs is None else defs:
        try:
            registry.add(
                options4.make_def(d.code, d.name, d.space, d.type, d.array, d.record_types, d.encapsulate),
                replace=base is not None and options4.by_code(d.code, d.space) is None,
            )
        except ValueError:
            continue
    return registry


class OptionPlanner:
    def __init__(self, config: Config4) -> None:
        registry = registry_for(config)
        self.global_scope = build_scope(config.option_data, registry)
        self.class_scopes: dict[str, Scope] = {}
        for cls in config.client_classes:
            own = registry_for(config, registry, cls.option_defs) if cls.option_defs else registry
            scope = build_scope(cls.option_data, own)
            if scope:
                self.class_scopes[cls.name] = scope
        networks = {net.name: build_scope(net.option_data, registry) for net in config.shared_networks}
        # (subnet id, pool index or -1) -> the scopes above classes: pool, subnet, shared network
        self._chains: dict[tuple[int, int], tuple[Scope, ...]] = {}
        for subnet in config.subnets:
            own = build_scope(subnet.option_data, registry)
            net = networks.get(subnet.shared_network or "", EMPTY)
            if net is EMPTY and subnet.shared_network_option_data:
                net = build_scope(subnet.shared_network_option_data, registry)
            base = tuple(s for s in (own, net) if s)
            self._chains[(subnet.id, -1)] = base
            for index, pool in enumerate(subnet.pools):
                pool_scope = build_scope(pool.option_data, registry)
                self._chains[(subnet.id, index)] = ((pool_scope,) if pool_scope else ()) + base
        self._registry = registry
        self._reservation_scopes: dict[int, Scope] = {}
        # Without class scopes and a reservation's options, a chain depends on (subnet, pool) only: the
        # full chain (with the global scope) is kept per (subnet id, pool index) for this configuration.
        self._plain: dict[tuple[int, int], tuple[Scope, ...]] = {}

    def reservation_scope(self, options: Sequence[OptionData]) -> Scope:
        key = id(options)
        found = self._reservation_scopes.get(key)
        if found is None:
            found = build_scope(options, self._registry)
            if len(self._reservation_scopes) < 65536:
                self._reservation_scopes[key] = found
        return found

    def chain(
        self,
        subnet: Subnet4 | None,
        pool_index: int,
        classes: Iterable[str] = (),
        reservation_options: Sequence[OptionData] = (),
    ) -> Sequence[Scope]:
        """The scopes to consult, highest precedence first."""
        if not reservation_options and not self.class_scopes and subnet is not None:
            key = (subnet.id, pool_index)
            found = self._plain.get(key)
            if found is None:
                found = self._plain[key] = tuple(self._build(subnet, pool_index, (), ()))
            return found
        return self._build(subnet, pool_index, classes, reservation_options)

    def _build(
        self,
        subnet: Subnet4 | None,
        pool_index: int,
        classes: Iterable[str],
        reservation_options: Sequence[OptionData],
    ) -> list[Scope]:
        out: list[Scope] = []
        if reservation_options:
            res = self.reservation_scope(reservation_options)
            if res:
                out.append(res)
        if subnet is not None:
            out.extend(self._chains.get((subnet.id, pool_index), self._chains.get((subnet.id, -1), ())))
        if self.class_scopes:
            for name in classes:
                scope = self.class_scopes.get(name)
                if scope is not None:
                    out.append(scope)
        if self.global_scope:
            out.append(self.global_scope)
        return out


def select_options(
    chain: Sequence[Scope], requested: Iterable[int], present: Iterable[int] = ()
) -> list[tuple[int, bytes]]:
    """The (code, payload) pairs to add: requested codes in the client's order, then always-send codes, then
    the basic ones; each from the first scope in `chain` that has it. Codes in `present` are skipped."""
    seen = set(present)
    chosen: list[tuple[int, bytes]] = []
    always: list[int] = []
    for scope in chain:
        always.extend(sorted(scope.always))
    for code in [*requested, *always, *BASIC_CODES]:
        if code in seen:
            continue
        seen.add(code)
        for scope in chain:
            option = scope.codes.get(code)
            if option is not None:
                if not option.never_send:
                    chosen.append((code, option.data))
                break
    return chosen


def vendor_option(chain: Sequence[Scope], request: wire.Packet, reply_payload: bytes | None) -> bytes | None:
    """Option 125 for the reply (Kea's appendRequestedVendorOptions), or None when nothing is to be sent."""
    vendor_id = 0
    oro: list[int] = []
    asked = request.get(VIVSO)
    if asked and len(asked) >= 5:
        vendor_id = struct.unpack("!I", asked[:4])[0]
        if vendor_id == DOCSIS:
            data = asked[5 : 5 + asked[4]]
            try:
                for code, value in wire.parse_suboptions(data):
                    if code == 1:
                        oro = list(value)
                        break
            except Exception:  # noqa: BLE001 - a malformed vendor option just has no ORO
                oro = []
    if not vendor_id and reply_payload and len(reply_payload) >= 4:
        vendor_id = struct.unpack("!I", reply_payload[:4])[0]
    if not vendor_id:
        return None
    wanted = list(oro)
    for scope in chain:
        for code, option in scope.vendors.get(vendor_id, {}).items():
            if option.always_send and code not in wanted:
                wanted.append(code)
    subs = b""
    for code in wanted:
        for scope in chain:
            option = scope.vendors.get(vendor_id, {}).get(code)
            if option is not None:
                subs += _tlv(code, option.data)
                break
    if not subs:
        return None
    if len(subs) > 255:
        subs = subs[:255]  # one enterprise block carries at most 255 bytes of sub-options
    return struct.pack("!IB", vendor_id, len(subs)) + subs
