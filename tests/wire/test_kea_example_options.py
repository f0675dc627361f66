"""What Kea's own example configurations (doc/examples/kea6|kea4/all-options.json) ask of the option codec.

Surplus values: Kea 2.2's OptionDefinition::optionFactory writes one value per record field (values[0] for
a plain option) and drops the rest unchecked, so "0, 0x5553, 15 9D, A3 FF" for geoconf-civic (uint8,
uint16, binary) is accepted and "A3 FF" never reaches the wire.  edge's text_to_wire does the same when the
caller passes an ``ignored`` list (the config loader does, and warns), and refuses the text otherwise.  The
expected payloads below were read off the wire from kea-dhcp6 2.2 answering an INFORMATION-REQUEST whose
ORO asked for 36, 62 and 41 with these always-send options configured.

DOCSIS 3: Kea names the space of its CableLabs definitions docsis3-v6 / docsis3-v4 (docsis3_option_defs.h);
an option-data entry may name that space as well as vendor-4491.
"""

from __future__ import annotations

import pytest

from edge.wire import optiondef, options4, options6
from edge.wire.errors import OptionTextError

# (option, Kea data, payload kea-dhcp6 2.2 sent, the values it dropped)
OBSERVED_KEA_2_2 = [
    ("geoconf-civic", "0, 0x5553, 15 9D, A3 FF", "005553159d", ["A3 FF"]),
    ("nii", "1, 2, 11, 13", "01020b", ["13"]),
    ("new-posix-timezone", "EST5EDT4, M3.2.0", b"EST5EDT4".hex(), ["M3.2.0"]),
]


@pytest.mark.parametrize(("name", "text", "wire", "dropped"), OBSERVED_KEA_2_2)
def test_surplus_values_are_dropped_as_kea_2_2_drops_them(
    name: str, text: str, wire: str, dropped: list[str]
) -> None:
    defn = options6.by_name(name)
    ignored: list[str] = []
    assert optiondef.text_to_wire(defn, text, True, ignored) == bytes.fromhex(wire)
    assert ignored == dropped


@pytest.mark.parametrize(("name", "text", "wire", "dropped"), OBSERVED_KEA_2_2)
def test_without_an_ignored_list_surplus_values_are_still_an_error(
    name: str, text: str, wire: str, dropped: list[str]
) -> None:
    with pytest.raises(OptionTextError) as caught:
        optiondef.text_to_wire(options6.by_name(name), text)
    assert name in caught.value.message


def test_dropped_values_are_not_checked_but_kept_ones_are() -> None:
    nii = options6.by_name("nii")
    ignored: list[str] = []
    assert optiondef.text_to_wire(nii, "1, 2, 3, not-a-number, 999", True, ignored) == b"\x01\x02\x03"
    assert ignored == ["not-a-number", "999"]
    with pytest.raises(OptionTextError):
        optiondef.text_to_wire(nii, "1, 2, 300, 4", True, [])


def test_an_array_record_repeats_its_last_field_and_drops_nothing() -> None:
    # option-6rd: uint8, uint8, ipv6-address, ipv4-address[]
    defn = options4.by_name("option-6rd")
    ignored: list[str] = []
    wire = optiondef.text_to_wire(defn, "10, 32, 2001:db8::, 192.0.2.1, 192.0.2.2", True, ignored)
    assert ignored == []
    assert wire == bytes.fromhex("0a20" + "20010db8" + "00" * 12 + "c0000201" + "c0000202")


def test_an_array_takes_every_value() -> None:
    ignored: list[str] = []
    wire = optiondef.text_to_wire(options6.by_name("dns-servers"), "2001:db8::1, 2001:db8::2", True, ignored)
    assert len(wire) == 32 and ignored == []


def test_fewer_values_than_fields_stay_an_error_with_an_ignored_list() -> None:
    with pytest.raises(OptionTextError):
        optiondef.text_to_wire(options6.by_name("nii"), "1, 2", True, [])


def test_an_option_carrying_sub_options_takes_hex_after_its_fields_or_drops_other_text() -> None:
    ia_na = options6.by_name("ia-na")
    fields = bytes.fromhex("000000010000000200000003")
    assert optiondef.text_to_wire(ia_na, "1, 2, 3, 000d00020000", True, []) == fields + bytes.fromhex(
        "000d00020000"
    )
    ignored: list[str] = []
    assert optiondef.text_to_wire(ia_na, "1, 2, 3, not hex", True, ignored) == fields
    assert ignored == ["not hex"]
    with pytest.raises(OptionTextError):
        optiondef.text_to_wire(ia_na, "1, 2, 3, not hex")


def test_fields_wanted_names_the_fields() -> None:
    assert optiondef.fields_wanted(options6.by_name("geoconf-civic")) == "3 fields (uint8, uint16, binary)"
    assert optiondef.fields_wanted(options6.by_name("preference")) == "one uint8 value"


# Kea 2.2's docsis3_option_defs.h, as (code, name, type, array), written out here from its table.
KEA_DOCSIS3_V6 = {
    (1, "oro", "uint16", True),
    (2, "device-type", "string", False),
    (10, "vendor-type", "string", False),
    (32, "tftp-servers", "ipv6-address", True),
    (33, "config-file", "string", False),
    (34, "syslog-servers", "ipv6-address", True),
    (36, "device-id", "binary", False),
    (37, "time-servers", "ipv6-address", True),
    (38, "time-offset", "int32", False),
    (1026, "cmts-cm-mac", "binary", False),
}
KEA_DOCSIS3_V4 = {(1, "oro", "uint8", True), (2, "tftp-servers", "ipv4-address", True)}


def _table(registry: optiondef.OptionRegistry, space: str) -> set[tuple[int, str, str, bool]]:
    return {(d.code, d.name, d.type, d.array) for d in registry.defs(space)}


@pytest.mark.parametrize("space", ["docsis3-v6", "vendor-4491"])
def test_docsis3_v6_space_has_kea_2_2_definitions(space: str) -> None:
    assert _table(options6.STANDARD, space) == KEA_DOCSIS3_V6


@pytest.mark.parametrize("space", ["docsis3-v4", "vendor-4491"])
def test_docsis3_v4_space_has_kea_2_2_definitions(space: str) -> None:
    assert _table(options4.STANDARD, space) == KEA_DOCSIS3_V4


def test_docsis3_v6_option_data_encodes_as_kea_examples_give_it() -> None:
    def enc(name: str, text: str) -> bytes:
        return optiondef.text_to_wire(options6.by_name(name, "docsis3-v6"), text)

    assert enc("oro", "32, 33") == bytes.fromhex("00200021")
    assert enc("device-type", "ECM") == b"ECM"
    assert enc("tftp-servers", "2001:db8::31") == bytes.fromhex("20010db8" + "00" * 11 + "31")
    assert enc("device-id", "1A BB AD AB BA D0 00 00 00 00 00 00 00 00 CA FE") == bytes.fromhex(
        "1abbadabbad0" + "00" * 8 + "cafe"
    )
    assert enc("time-offset", "-3600") == (-3600).to_bytes(4, "big", signed=True)
    assert enc("cmts-cm-mac", "00:11:22:33:44:55") == bytes.fromhex("001122334455")
