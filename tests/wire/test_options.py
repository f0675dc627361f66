"""Option types and the option table: unit tests and hypothesis round trips."""

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.wire import optiondef, options4
from edge.wire import types as T
from edge.wire.errors import DecodeError, OptionTextError

# Explicit per test, so loading this module changes no global hypothesis profile;
# no deadline: timing is not what these tests check.
wire_settings = settings(deadline=None, max_examples=200)

# ------------------------------------------------------------------ value strategies per type

_label = st.binary(min_size=1, max_size=20)


@st.composite
def fqdn_values(draw):
    labels = draw(st.lists(_label, min_size=0, max_size=5))
    text = T._labels_to_text(labels)
    return text


ipv4_values = st.builds(lambda b: ".".join(str(x) for x in b), st.binary(min_size=4, max_size=4))
ipv6_values = st.builds(lambda b: T.ipv6_bytes_to_text(b), st.binary(min_size=16, max_size=16))
text_values = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Zs", "Cc", "Zl", "Zp"), blacklist_characters="\x00\\"
    ),
    min_size=0,
    max_size=40,
)


@st.composite
def psid_values(draw):
    plen = draw(st.integers(0, 16))
    psid = draw(st.integers(0, (1 << plen) - 1)) if plen else 0
    return (psid, plen)


@st.composite
def prefix_values(draw):
    plen = draw(st.integers(0, 128))
    raw = bytearray(draw(st.binary(min_size=16, max_size=16)))
    T._mask_bits(raw, plen)
    return (T.ipv6_bytes_to_text(raw), plen)


@st.composite
def route_values(draw):
    out = []
    for _ in range(draw(st.integers(1, 5))):
        width = draw(st.integers(0, 32))
        raw = bytearray(draw(st.binary(min_size=4, max_size=4)))
        T._mask_bits(raw, width)
        out.append((T.ipv4_bytes_to_text(raw), width, draw(ipv4_values)))
    return out


@st.composite
def dnr_instance(draw, family=4):
    """One RFC 9463 instance (priority, adn, addresses, SvcParams) that Kea's rules accept."""
    adn = T._labels_to_text(draw(st.lists(_label, min_size=1, max_size=4)))
    addr = ipv4_values if family == 4 else ipv6_values
    addrs = draw(st.lists(addr, min_size=0, max_size=3))
    params = []
    if addrs:
        ids = draw(st.lists(st.sampled_from(["dot", "doq", "h2", "h3", "http/1.1"]), max_size=3, unique=True))
        if ids:
            params.append((1, b"".join(bytes([len(i)]) + i.encode() for i in ids)))
        if draw(st.booleans()):
            params.append((3, draw(st.integers(0, 0xFFFF)).to_bytes(2, "big")))
        if any(i[0] == "h" for i in ids) or draw(st.booleans()):
            path = draw(st.sampled_from(["/dns-query{?dns}", "/q,|{?dns}", "/a=b{?dns}"]))
            params.append((7, path.encode()))
    return (draw(st.integers(0, 0xFFFF)), adn, addrs, params)


VALUES = {
    "binary": st.binary(max_size=40),
    "boolean": st.booleans(),
    "empty": st.none(),
    "fqdn": fqdn_values(),
    "ipv4-address": ipv4_values,
    "ipv6-address": ipv6_values,
    "ipv6-prefix": prefix_values(),
    "psid": psid_values(),
    "string": text_values,
    "tuple": text_values,
    "uint8": st.integers(0, 0xFF),
    "uint16": st.integers(0, 0xFFFF),
    "uint32": st.integers(0, 0xFFFFFFFF),
    "int8": st.integers(-0x80, 0x7F),
    "int16": st.integers(-0x8000, 0x7FFF),
    "int32": st.integers(-0x80000000, 0x7FFFFFFF),
    "classless-route": route_values(),
    "vivso": st.lists(st.tuples(st.integers(0, 0xFFFFFFFF), st.binary(max_size=20)), min_size=1, max_size=3),
    "dnr": st.lists(dnr_instance(), min_size=1, max_size=3),
}


def test_every_registered_type_has_a_strategy():
    assert set(T.TYPES) == set(VALUES)
    assert len(T.TYPE_NAMES) == len(T.TYPES) + 1  # plus "record"


@pytest.mark.parametrize("type_name", sorted(VALUES))
@wire_settings
@given(data=st.data())
def test_type_round_trips(type_name, data):
    codec = T.TYPES[type_name]
    value = data.draw(VALUES[type_name])
    wire = codec.to_wire(value)
    assert codec.from_wire(wire) == value
    text = codec.to_text(value)
    assert codec.from_text(text) == value
    if codec.size is not None:
        assert len(wire) == codec.size


# ------------------------------------------------------------------ per option definition


def value_strategy(defn):
    if defn.type == "record":
        fields = [VALUES[t] for t in defn.record_types]
        if defn.array:
            fields[-1] = st.lists(fields[-1], min_size=1, max_size=4)
        return st.tuples(*fields).map(list)
    if defn.type == "empty":
        if defn.encapsulate:
            return st.binary(max_size=20)
        return st.none()
    if defn.array:
        item = VALUES[defn.type]
        if defn.type == "tuple":
            item = item.filter(bool)  # [""] and [] would both be the text ""
        return st.lists(item, max_size=5)
    return VALUES[defn.type]


ALL_DEFS = [d for space in options4.STANDARD.spaces() for d in options4.STANDARD.defs(space)]


@pytest.mark.parametrize("defn", ALL_DEFS, ids=[f"{d.space}/{d.code}-{d.name}" for d in ALL_DEFS])
@wire_settings
@given(data=st.data())
def test_option_text_wire_text(defn, data):
    value = data.draw(value_strategy(defn))
    wire = optiondef.value_to_wire(defn, value)
    assert optiondef.wire_to_value(defn, wire) == value
    text = optiondef.wire_to_text(defn, wire)
    assert optiondef.text_to_wire(defn, text) == wire
    assert optiondef.wire_to_text(defn, optiondef.text_to_wire(defn, text)) == text
    assert optiondef.text_to_wire(defn, wire.hex(), csv_format=False) == wire


@pytest.mark.parametrize("defn", ALL_DEFS, ids=[f"{d.space}/{d.code}-{d.name}" for d in ALL_DEFS])
@wire_settings
@given(payload=st.binary(max_size=60))
def test_wire_to_text_raises_only_decode_error(defn, payload):
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
def test_text_to_wire_raises_only_option_text_error(text, csv):
    for defn in ALL_DEFS:
        try:
            assert isinstance(optiondef.text_to_wire(defn, text, csv), bytes)
        except OptionTextError:
            pass


# ------------------------------------------------------------------ addresses against ipaddress


@wire_settings
@given(st.binary(min_size=16, max_size=16))
def test_ipv6_text_matches_ipaddress(raw):
    ours = T.ipv6_bytes_to_text(raw)
    assert ipaddress.IPv6Address(ours).packed == raw
    assert ours == ipaddress.IPv6Address(raw).compressed
    assert T.ipv6_text_to_bytes(ours) == raw
    assert T.ipv6_text_to_bytes(ipaddress.IPv6Address(raw).exploded) == raw


@wire_settings
@given(st.text(alphabet="0123456789abcdefABCDEF:.", max_size=45))
def test_ipv6_parser_agrees_with_ipaddress(text):
    ours = T.ipv6_text_to_bytes(text)
    try:
        theirs = ipaddress.IPv6Address(text).packed
    except ValueError:
        theirs = None
    assert ours == theirs


@wire_settings
@given(st.text(alphabet="0123456789.", max_size=16))
def test_ipv4_parser_agrees_with_ipaddress(text):
    ours = T.ipv4_text_to_bytes(text)
    try:
        theirs = ipaddress.IPv4Address(text).packed
    except ValueError:
        theirs = None
    assert ours == theirs


# ------------------------------------------------------------------ hex and csv


@wire_settings
@given(st.binary(max_size=30))
def test_hex_forms_round_trip(raw):
    plain = raw.hex()
    assert optiondef.hex_to_bytes(plain) == raw
    assert optiondef.hex_to_bytes(plain.upper()) == raw
    if raw:
        assert optiondef.hex_to_bytes("0x" + plain) == raw
        assert optiondef.hex_to_bytes(":".join(f"{b:02x}" for b in raw)) == raw
        assert optiondef.hex_to_bytes(" ".join(f"{b:x}" for b in raw)) == raw


@wire_settings
@given(st.lists(st.text(alphabet="ab ,\\x", max_size=6).map(str.strip), min_size=1, max_size=5))
def test_split_csv_inverts_escaping(fields):
    # a field that ends in a backslash would swallow the next comma: Kea's rule too
    fields = [f for f in fields if not f.endswith("\\")] or ["a"]
    text = ", ".join(T.escape_csv(f) for f in fields)
    assert optiondef.split_csv(text) == (fields if text.strip() else [])


# ------------------------------------------------------------------ behaviour worth naming


def test_string_drops_trailing_nuls_like_kea():
    d = options4.by_name("host-name")
    assert optiondef.wire_to_text(d, b"box\x00\x00") == "box"


def test_fqdn_pointer_loop_is_refused():
    with pytest.raises(DecodeError):
        T.TYPES["fqdn"].from_wire(bytes.fromhex("0161c000"))


def test_fqdn_escapes_survive_csv():
    d = options4.by_name("domain-search")
    wire = bytes.fromhex("03612c6200 0361206200".replace(" ", ""))
    text = optiondef.wire_to_text(d, wire)
    assert text == "a\\044b, a\\032b"
    assert optiondef.text_to_wire(d, text) == wire


def test_text_errors_name_the_option_and_problem():
    with pytest.raises(OptionTextError) as e:
        optiondef.text_to_wire(options4.by_name("interface-mtu"), "70000")
    assert "interface-mtu" in str(e.value) and "70000" in str(e.value)
    with pytest.raises(OptionTextError) as e:
        optiondef.text_to_wire(options4.by_name("routers"), "192.0.2.300")
    assert "192.0.2.300" in str(e.value)
    with pytest.raises(OptionTextError) as e:
        optiondef.text_to_wire(options4.by_name("host-name"), "a,b")
    assert "\\\\," in str(e.value)


def test_csv_false_is_hex_for_any_option():
    for name in ("routers", "host-name", "fqdn", "classless-static-route", "dhcp-agent-options"):
        assert optiondef.text_to_wire(options4.by_name(name), "01:02:03", csv_format=False) == b"\x01\x02\x03"


def test_option_counts():
    assert len(options4.STANDARD.defs("dhcp4")) == len(options4.DHCP4_OPTIONS)
    assert len(options4.STANDARD.defs("dhcp-agent-options-space")) == len(options4.AGENT_OPTIONS)
    codes = [row[0] for row in options4.DHCP4_OPTIONS]
    assert codes == sorted(set(codes))
    names = [row[1] for row in options4.DHCP4_OPTIONS]
    assert len(names) == len(set(names))


def test_registry_replace_and_copy_independence():
    reg = options4.STANDARD.copy()
    new = options4.make_def(15, "domain-name", "dhcp4", "fqdn")
    reg.add(new, replace=True)
    assert reg.by_code(15).type == "fqdn"
    assert options4.by_code(15).type == "string"
    assert len(reg) == len(options4.STANDARD)


def test_make_def_accepts_record_types_as_text_or_tuple():
    a = options4.make_def(230, "a", "dhcp4", "record", False, "ipv4-address, uint16, boolean, string")
    b = options4.make_def(230, "a", "dhcp4", "record", False, ("ipv4-address", "uint16", "boolean", "string"))
    assert a == b
    # Kea's documented example for such a record
    assert (
        optiondef.text_to_wire(a, "192.0.2.100, 123, true, Hello World")
        == bytes.fromhex("c0000264007b01") + b"Hello World"
    )
