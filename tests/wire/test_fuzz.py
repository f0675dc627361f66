"""Fuzzing decode with hypothesis: only DecodeError may escape.

Inputs are random bytes and mutations of valid packets (the captured client
packets and random encoded ones): bit flips, truncations, corrupted length
bytes, forced option 52 values and garbage in the overloaded fields.  Every
option of a packet that does decode is also run through its type (wire_to_text)
and option 82 through parse_suboptions, which must likewise raise only
DecodeError.  tests/wire/fuzz_decode.py does the same at volume.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.wire import optiondef, options4
from edge.wire import pkt4 as P
from edge.wire.errors import DECODE_REASONS, DecodeError
from tests.wire import vectors
from tests.wire.fuzz_decode import mutate

FUZZ = settings(deadline=None, max_examples=500)

SEEDS = [vectors.h(v["hex"]) for v in vectors.CAPTURED]


def _seed_packets():
    out = list(SEEDS)
    p = P.Packet(op=2, xid=1)
    p.set(53, b"\x05")
    p.set(82, bytes.fromhex("0104 00010002 0203 616263".replace(" ", "")))
    p.set(224, b"x" * 250)
    p.set(225, b"y" * 100)
    p.set(119, bytes.fromhex("03656e67 056170706c65 03636f6d 00 096d61726b6574696e67 c004".replace(" ", "")))
    out.append(P.encode(p))  # overloaded into file
    return out


SEED_PACKETS = _seed_packets()


def check_decode(data):
    try:
        p = P.decode(data)
    except DecodeError as e:
        assert e.reason in DECODE_REASONS
        return None
    for code in p.option_order:
        defn = options4.by_code(code)
        if defn is not None:
            try:
                optiondef.wire_to_text(defn, p.options[code])
            except DecodeError as e:
                assert e.reason == "bad-option-data"
    if 82 in p.options:
        try:
            P.parse_suboptions(p.options[82])
        except DecodeError as e:
            assert e.reason == "suboption-overrun"
    return p


@FUZZ
@given(data=st.binary(max_size=700))
def test_random_bytes(data):
    check_decode(data)


@FUZZ
@given(data=st.binary(min_size=236, max_size=600))
def test_random_bytes_with_cookie(data):
    check_decode(bytes([1]) + data[1:236] + P.MAGIC_COOKIE + data[236:])


@FUZZ
@given(seed=st.sampled_from(SEED_PACKETS), rnd=st.randoms(use_true_random=False), rounds=st.integers(1, 4))
def test_mutated_packets(seed, rnd, rounds):
    data = seed
    for _ in range(rounds):
        data = mutate(data, rnd)
    check_decode(data)


@FUZZ
@given(
    seed=st.sampled_from(SEED_PACKETS),
    value=st.integers(0, 255),
    garbage=st.binary(min_size=192, max_size=192),
)
def test_overload_values_with_garbage_fields(seed, value, garbage):
    data = bytearray(seed)
    data[44:236] = garbage
    data[240:240] = bytes([52, 1, value])
    p = check_decode(bytes(data))
    if p is not None:
        assert 1 <= value <= 3 and p.overload == value


@FUZZ
@given(seed=st.sampled_from(SEED_PACKETS), at=st.integers(240, 400), value=st.integers(0, 255))
def test_length_byte_corruption(seed, at, value):
    data = bytearray(seed)
    if at < len(data):
        data[at] = value
    check_decode(bytes(data))


@FUZZ
@given(seed=st.sampled_from(SEED_PACKETS), cut=st.integers(0, 400))
def test_truncations(seed, cut):
    check_decode(seed[:cut])


def test_decode_reasons_are_the_documented_set():
    # every reason the module docstring lists is one DecodeError can carry
    import edge.wire.errors as errors_module

    for reason in DECODE_REASONS:
        assert reason in errors_module.__doc__
