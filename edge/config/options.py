"""Option definitions and option data, for either family: `option-def` entries become definitions in the
load's registry, `option-data` entries become encoded OptionData (wire payloads).

Rules this module keeps:
- The family's rules (OptionRules: its top-level space, standard table, code range and reserved codes,
  spaces that exist without definitions) are the only thing that differs between DHCPv4 and DHCPv6 here;
  the encoding machinery is edge/wire/optiondef.py's, shared by both.
- An option is named by "name" or "code" (or both, which must agree), in a space that exists; its data is
  Kea's csv-format text or, with "csv-format": false, hex.
- `raw_option` fills in what Kea's config-get shows for an option entry (code and name both, data).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from edge.config.context import BuildContext, close_match
from edge.config.model import OptionData, OptionDef
from edge.config.positions import KeyPath
from edge.wire import optiondef
from edge.wire.errors import OptionTextError

__all__ = ["OptionRules", "OptionsPart"]

MakeDef = Callable[[int, str, str, str, bool, Any, str], optiondef.OptionDef]


@dataclass(frozen=True, slots=True)
class OptionRules:
    """What a family decides about options."""

    space: str  # the top-level space: "dhcp4" / "dhcp6"
    standard: optiondef.OptionRegistry  # the family's standard definitions
    make_def: MakeDef  # optiondef.make_def with the family's code range and reserved codes
    reserved: Mapping[int, str]  # codes of the top-level space no option-data may use, and why
    implicit_spaces: tuple[str, ...] = ()  # spaces that exist without definitions of their own


_VENDOR_SPACE_RE = re.compile(r"vendor-[0-9]{1,10}")


class OptionsPart(BuildContext):
    option_rules: OptionRules  # set by the family's builder class

    def implicit_space(self, space: str, registry: optiondef.OptionRegistry) -> bool:
        """Spaces that exist without definitions of their own: the family's (option 43's in DHCPv4), any
        space an option encapsulates, and Kea's vendor-<enterprise id> spaces."""
        if space in self.option_rules.implicit_spaces or _VENDOR_SPACE_RE.fullmatch(space):
            return True
        return any(d.encapsulate == space for s in registry.spaces() for d in registry.defs(s))

    def option_defs(
        self,
        cfg: dict[str, Any],
        path: KeyPath,
        registry: optiondef.OptionRegistry,
        over_custom: bool = False,
    ) -> tuple[OptionDef, ...]:
        """`over_custom`: the entries are a client class's, which may redefine a global custom definition
        (Kea keeps a class's definitions apart from the global ones) but not a standard one."""
        defs: list[OptionDef] = []
        for item_path, d in self.items(cfg, "option-def", path):
            try:
                defn = self.option_rules.make_def(
                    d["code"],
                    d["name"],
                    d.get("space", self.option_rules.space),
                    d["type"],
                    d.get("array", False),
                    d.get("record-types", ""),
                    d.get("encapsulate", ""),
                )
                standard = self.option_rules.standard
                replace = over_custom and (
                    standard.by_code(defn.code, defn.space) is None
                    and standard.by_name(defn.name, defn.space) is None
                )
                registry.add(defn, replace=replace)
            except ValueError as err:
                self.error(item_path, str(err))
                continue
            defs.append(
                OptionDef(
                    code=defn.code,
                    name=defn.name,
                    space=defn.space,
                    type=defn.type,
                    array=defn.array,
                    record_types=tuple(defn.record_types),
                    encapsulate=defn.encapsulate,
                )
            )
        return tuple(defs)

    def add_known_defs(self, defs: tuple[OptionDef, ...]) -> None:
        """Definitions of an accepted configuration, into this load's registry (hosts databases are read
        against the configuration they belong to)."""
        for d in defs:
            try:
                self.registry.add(
                    self.option_rules.make_def(
                        d.code, d.name, d.space, d.type, d.array, d.record_types, d.encapsulate
                    )
                )
            except ValueError:
                continue  # the configuration was accepted with it; a standard option of the same name wins

    def option_data(
        self, cfg: dict[str, Any], path: KeyPath, registry: optiondef.OptionRegistry
    ) -> tuple[OptionData, ...]:
        out: list[OptionData] = []
        for item_path, opt in self.items(cfg, "option-data", path):
            encoded = self.one_option(opt, item_path, registry)
            if encoded is not None:
                out.append(encoded)
        return tuple(out)

    def one_option(
        self, opt: dict[str, Any], path: KeyPath, registry: optiondef.OptionRegistry
    ) -> OptionData | None:
        top = self.option_rules.space
        space = opt.get("space", top)
        name, code = opt.get("name"), opt.get("code")
        csv = opt.get("csv-format", True)
        if name is None and code is None:
            self.error(path, 'an option needs "name" or "code"')
            return None
        if id(registry) not in self.space_cache:
            self.space_cache[id(registry)] = (registry, registry.spaces())
        if space not in self.space_cache[id(registry)][1] and not self.implicit_space(space, registry):
            self.error(path + ("space",) if "space" in opt else path, f'unknown option space "{space}"')
            return None
        if space == top and code in self.option_rules.reserved:
            self.error(
                path + ("code",), f"option code {code} is reserved ({self.option_rules.reserved[code]})"
            )
            return None
        defn = None
        if name is not None:
            defn = registry.by_name(name, space)
            if defn is None:
                known = [d.name for d in registry.defs(space)]
                close = close_match(name, known)
                self.error(path + ("name",), f'unknown option "{name}" in space "{space}"{close}')
                return None
            if code is not None and code != defn.code:
                self.error(path + ("code",), f'option "{name}" has code {defn.code}, not {code}')
                return None
        elif code is not None:
            defn = registry.by_code(code, space)
        data = opt.get("data", "")
        if defn is None:
            if csv:
                self.error(
                    path + ("code",),
                    f'no definition for option {code} in space "{space}": add an option-def, '
                    'or give the data as hex with "csv-format": false',
                )
                return None
            try:
                payload = optiondef.hex_to_bytes(data)
            except OptionTextError as err:
                self.error(path + ("data",), err.message)
                return None
            return self.option_value(opt, code or 0, "", space, payload)
        ignored: list[str] = []
        try:
            payload = optiondef.text_to_wire(defn, data, csv, ignored)
        except OptionTextError as err:
            self.error(path + ("data",) if "data" in opt else path, err.message)
            return None
        if ignored:
            values = ", ".join(f'"{v}"' for v in ignored)
            self.warning(
                path + ("data",),
                f"option {defn.name} ({defn.code}) takes {optiondef.fields_wanted(defn)}; the extra "
                f"value{'s' if len(ignored) > 1 else ''} {values} {'are' if len(ignored) > 1 else 'is'} "
                "not sent: Kea 2.2 drops values past the last field too (escape a comma in text as \\\\,)",
            )
        return self.option_value(opt, defn.code, defn.name, space, payload)

    @staticmethod
    def option_value(opt: dict[str, Any], code: int, name: str, space: str, payload: bytes) -> OptionData:
        return OptionData(
            code=code,
            name=name,
            space=space,
            data=payload,
            always_send=opt.get("always-send", False),
            never_send=opt.get("never-send", False),
            csv_format=opt.get("csv-format", True),
        )

    def raw_option(self, opt: dict[str, Any]) -> None:
        """What config-get shows for an option entry: its code and name both, and its data."""
        space = opt.get("space", self.option_rules.space)
        defn = None
        if "name" in opt:
            defn = self.registry.by_name(opt["name"], space)
        elif "code" in opt:
            defn = self.registry.by_code(opt["code"], space)
        if defn is not None:
            opt.setdefault("code", defn.code)
            opt.setdefault("name", defn.name)
        opt.setdefault("data", "")
