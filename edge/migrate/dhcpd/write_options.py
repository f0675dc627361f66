"""dhcpd option settings and definitions, written as Kea option-data and option-def.

Rules this module keeps:
- dhcpd's spaces map to Kea's: dhcp -> dhcp4, agent -> dhcp-agent-options-space, a vivso space (`option
  vendor.NAME code N = encapsulate SPACE`) -> vendor-N, any other space keeps its name.
- A standard option keeps Kea's name for its code (edge.wire.options44), whatever dhcpd calls it; a value
  is written as Kea text only where that text means exactly the payload's bytes (kea.put_data), and
  always as hex where Kea's and edge-dhcp's text forms differ or a configuration redefined a standard
  code in a format of its own.
- Inherited settings come after a scope's own and never override them (dhcpd: the innermost wins); an
  option in a vivso space brings the vivso-suboptions (125) entry Kea needs to send it, once.
"""

from __future__ import annotations

from typing import Any

from edge.migrate.dhcpd.model import Model, OptSetting, Scope
from edge.migrate.dhcpd.options import DHCPD_SPACES, OptionInfo, kea_definition
from edge.migrate.kea import FORCE_HEX_CODES, KEA_LACKS, put_data
from edge.wire import optiondef, options4

__all__ = ["OptionWriter"]


class OptionWriter:
    TOP_SPACE = "dhcp"  # dhcpd's name for the family's own option space
    standard_def = staticmethod(options4.by_code)  # Kea's definition of a code in that space

    def __init__(self, model: Model) -> None:
        self.model = model

    def is_standard(self, info: OptionInfo) -> bool:
        """A code Kea defines in the family's top space: Kea knows it, no option-def is written."""
        return info.space == self.TOP_SPACE and self.standard_def(info.code) is not None

    def kea_space(self, space: str) -> str:
        if space in DHCPD_SPACES:
            return DHCPD_SPACES[space]
        if space in self.model.vendor_spaces:
            return f"vendor-{self.model.vendor_spaces[space]}"
        return space

    def expr_space(self, info: OptionInfo) -> tuple[str, int | None]:
        if info.space in self.model.vendor_spaces:
            return "vendor", self.model.vendor_spaces[info.space]
        if info.space in self.model.encapsulated:
            return "encapsulated", self.model.encapsulated[info.space]
        return "", None

    def kea_def(self, info: OptionInfo) -> optiondef.OptionDef | None:
        space = self.kea_space(info.space)
        if info.line is None or (info.space == "dhcp" and options4.by_code(info.code) is not None):
            return options4.STANDARD.by_code(info.code, space)
        mapped = kea_definition(info.dtype)
        if mapped is None:
            return None
        kind, array, record = mapped
        try:
            return options4.make_def(info.code, info.name, space, kind, array, record, info.dtype.encapsulate)
        except ValueError:
            return None

    def option_entry(self, setting: OptSetting) -> dict[str, Any]:
        info = setting.info
        space = self.kea_space(info.space)
        defn = self.kea_def(info)
        entry: dict[str, Any] = {"space": space}
        if info.space == "dhcp" and info.code in KEA_LACKS:
            entry["code"] = info.code
        else:
            # Kea's name for a standard code, and for a code a configuration redefined in the dhcp space
            entry["name"] = (
                defn.name if defn is not None and (info.line is None or info.space == "dhcp") else info.name
            )
            entry["code"] = info.code
        if defn is not None and defn.type == "empty" and not setting.payload:
            return entry
        # Values of options whose Kea 2.2 text differs from edge-dhcp's, and values for standard codes a
        # configuration redefined in its own format, are written as hex: both servers read hex alike.
        hex_only = setting.as_hex or info.code in FORCE_HEX_CODES and info.space == "dhcp"
        if info.space == "dhcp" and info.line is not None and options4.by_code(info.code) is not None:
            hex_only = True
        put_data(entry, defn, setting.payload, hex_only)
        return entry

    def option_list(self, scope: Scope, extra: list[Scope]) -> list[Any]:
        """Kea option-data for a scope: its own settings, then those of `extra` scopes it inherits from
        (first wins), with notes for untranslatable ones where they stood."""
        out: list[Any] = []
        seen: set[tuple[str, int]] = set()
        vivso: set[int] = set()
        for source in [scope, *extra]:
            if source is scope:
                out.extend(n.comment() for n in source.option_notes)
            for setting in source.options:
                key = (setting.info.space, setting.info.code)
                if key in seen:
                    continue
                seen.add(key)
                enterprise = self.model.vendor_spaces.get(setting.info.space)
                if enterprise is not None and enterprise not in vivso:
                    vivso.add(enterprise)
                    out.append(
                        {"space": "dhcp4", "name": "vivso-suboptions", "code": 125, "data": str(enterprise)}
                    )
                out.append(self.option_entry(setting))
        return out

    def definition(self, info: OptionInfo) -> dict[str, Any] | None:
        if self.is_standard(info):
            return None
        if info.dtype.fields == ("encap",) and info.space == "vendor":
            return None
        out: dict[str, Any] = {"space": self.kea_space(info.space), "name": info.name, "code": info.code}
        mapped = kea_definition(info.dtype)
        if mapped is None:
            out["type"] = "binary"
            return out
        kind, array, record = mapped
        out["type"] = kind
        if array:
            out["array"] = True
        if record:
            out["record-types"] = record
        if info.dtype.encapsulate:
            out["encapsulate"] = self.kea_space(info.dtype.encapsulate)
        return out
