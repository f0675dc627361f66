"""DHCPv6 option types and table: hypothesis round trips per type and per definition.

The rule of test_options.py holds for DHCPv6 too: every codec in types.TYPES6 needs a value strategy here,
and every standard definition of options6 (every space) is round-tripped text -> wire -> text.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.wire import optiondef, options6
from edge.wire import types as T
from edge.wire.errors import DecodeError, OptionTextError
from tests.wire.test_options import VALUES, dnr_instance, text_values

wire_settings = settings(deadline=None, max_examples=200)

# DHCPv6 values: the DHCPv4 strategies, but a tuple may be longer than 255 octets (16-bit length).
VALUES6 = dict(VALUES)
VALUES6["dnr"] = dnr_instance(6).map(lambda i: [i])
VALUES6["tuple"] = st.one_of(text_values, st.text(alphabet="ab", min_size=250, max_size=400))


def test_every_v6_type_has_a_strategy():
    assert set(T.TYPES6) == set(VALUES6)
    assert T.TYPES6["tuple"].width == 2 and T.TYPES["tuple"].width == 1


@pytest.mark.parametrize("type_name", sorted(VALUES6))
@wire_settings
@given(data=st.data())
def test_v6_type_round_trips(type_name, data):
    codec = T.TYPES6[type_name]
    value = data.draw(VALUES6[type_name])
    wire = codec.to_wire(value)
    assert codec.from_wire(wire) == value
    assert codec.from_text(codec.to_text(value)) == value
    if codec.size is not None:
        assert len(wire) == codec.size


@wire_settings
@given(value=VALUES6["tuple"])
def test_v6_tuple_length_is_16_bits(value):
    wire = T.TYPES6["tuple"].to_wire(value)
    assert int.from_bytes(wire[:2], "big") == len(value.encode()) == len(wire) - 2


def value_strategy6(defn):
    if defn.type == "record":
        fields = [VALUES6[t] for t in defn.record_types]
        if defn.array:
            fields[-1] = st.lists(fields[-1], min_size=1, max_size=4)
        plain = st.tuples(*fields).map(list)
    elif defn.type == "empty":
        return st.binary(max_size=20) if defn.encapsulate else st.none()
    elif defn.array:
        item = VALUES6[defn.type]
        if defn.type == "tuple":
            item = item.filter(bool)  # [""] and [] would both be the text ""
        plain = st.lists(item, max_size=5)
    else:
        plain = VALUES6[defn.type]
    if defn.carries:
        return st.tuples(plain, st.binary(max_size=30)).map(list)
    return plain


ALL_DEFS6 = [d for space in options6.STANDARD.spaces() for d in options6.STANDARD.defs(space)]
IDS6 = [f"{d.space}/{d.code}-{d.name}" for d in ALL_DEFS6]


@pytest.mark.parametrize("defn", ALL_DEFS6, ids=IDS6)
@wire_settings
@given(data=st.data())
def test_v6_option_text_wire_text(defn, data):
    value = data.draw(value_strategy6(defn))
    wire = optiondef.value_to_wire(defn, value)
    assert optiondef.wire_to_value(defn, wire) == value
    text = optiondef.wire_to_text(defn, wire)
    assert optiondef.text_to_wire(defn, text) == wire
    assert optiondef.wire_to_text(defn, optiondef.text_to_wire(defn, text)) == text
    assert optiondef.text_to_wire(defn, wire.hex(), csv_format=False) == wire


@pytest.mark.parametrize("defn", ALL_DEFS6, ids=IDS6)
@wire_settings
@given(payload=st.binary(max_size=60))
def test_v6_wire_to_text_raises_only_decode_error(defn, payload):
    try:
        text = optiondef.wire_to_text(defn, payload)
    except DecodeError as e:
        assert e.reason == "bad-option-data"
        return
    assert isinstance(text, str)


@wire_settings
@given(
    text=st.one_of(st.text(max_size=40), st.text(alphabet="0123456789abcdefx.:/-, \\", max_size=30)),
    csv=st.booleans(),
)
def test_v6_text_to_wire_raises_only_option_text_error(text, csv):
    for defn in ALL_DEFS6:
        try:
            assert isinstance(optiondef.text_to_wire(defn, text, csv), bytes)
        except OptionTextError:
            pass


def test_table_rows_are_unique_and_sorted():
    for _space, rows in options6.STANDARD_SPACES:
        codes = [r[0] for r in rows]
        assert codes == sorted(set(codes))
        names = [r[1] for r in rows]
        assert len(names) == len(set(names))
    assert len(options6.STANDARD.defs("dhcp6")) == len(options6.DHCP6_OPTIONS) == 74


def test_v4_table_unaffected_by_v6():
    from edge.wire import options4

    assert options4.by_name("vivco-suboptions").types is T.TYPES
    assert not any(d.carries for s in options4.STANDARD.spaces() for d in options4.STANDARD.defs(s))
