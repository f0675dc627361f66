"""What the converters may write in Kea 2.2's dialect, whichever server the configuration came from.

Rules this module keeps:
- Every option value written is one that both Kea 2.2 and edge-dhcp load: Kea's csv text where edge's codec
  turns the payload into text that parses back to the very same bytes (and holds no control characters),
  otherwise hex with "csv-format": false, which both servers take for any option.
- Options where the two servers' tables part ways are written the safe way: codes only edge-dhcp defines
  are given by code with hex data (no name, no definition); codes whose text forms differ are hex.
"""

from __future__ import annotations

from typing import Any

from edge.wire import optiondef
from edge.wire.errors import DecodeError, OptionTextError

__all__ = ["FORCE_HEX_CODES", "KEA_LACKS", "kea_text", "put_data"]

# Codes edge-dhcp's table defines that Kea 2.2's standard list does not (see edge/wire/options4.py): for
# these the output names the code only and gives hex data, which both servers take without a definition.
KEA_LACKS = frozenset({150, 252})
# Options whose Kea 2.2 text form differs from edge-dhcp's (or has none): their values are written as hex,
# which both servers read alike.
FORCE_HEX_CODES = frozenset({43, 121, 124, 125}) | KEA_LACKS


def kea_text(defn: optiondef.OptionDef | None, payload: bytes) -> str | None:
    """Kea csv text for `payload` under `defn`, or None when only hex says it exactly."""
    if defn is None or defn.type in ("empty", "binary"):
        return None
    try:
        text = optiondef.wire_to_text(defn, payload)
        if optiondef.text_to_wire(defn, text) != payload:
            return None
    except (DecodeError, OptionTextError):
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    return text


def put_data(entry: dict[str, Any], defn: optiondef.OptionDef | None, payload: bytes, as_hex: bool) -> None:
    """The value of an option-data entry: Kea's text for `payload`, else (or when `as_hex`) hex, csv off."""
    text = None if as_hex else kea_text(defn, payload)
    if text is None:
        entry["csv-format"] = False
        entry["data"] = payload.hex()
    else:
        entry["data"] = text
