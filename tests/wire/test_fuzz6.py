"""Fuzzing decode6 with hypothesis: only DecodeError may escape, and what decodes encodes back.

Inputs are random bytes, random bytes behind message and relay headers, and mutations of valid messages
(fuzz_decode6.seed_packets: captured client and Kea messages, deep and odd relay chains).  Everything a
server would look at inside a decoded message is parsed too (fuzz_decode6.look_inside).
tests/wire/fuzz_decode6.py does the same at volume.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.wire import pkt6
from edge.wire.errors import DECODE_REASONS, DecodeError
from tests.wire.fuzz_decode6 import check, mutate, seed_packets

FUZZ = settings(deadline=None, max_examples=500)
SEEDS = seed_packets()


def _ok(data):
    err, _ = check(data)
    assert err is None, f"{type(err).__name__}: {err} for {data.hex()}"
    try:
        pkt6.decode6(data)
    except DecodeError as e:
        assert e.reason in DECODE_REASONS


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(data):
    _ok(data)


@FUZZ
@given(kind=st.integers(0, 255), data=st.binary(min_size=3, max_size=200))
def test_random_bytes_behind_a_message_type(kind, data):
    _ok(bytes((kind,)) + data)


@FUZZ
@given(kind=st.sampled_from((12, 13)), head=st.binary(min_size=33, max_size=33), rest=st.binary(max_size=200))
def test_random_relay_layers(kind, head, rest):
    _ok(bytes((kind,)) + head + rest)


@FUZZ
@given(seed=st.sampled_from(SEEDS), rnd=st.randoms(use_true_random=False), rounds=st.integers(1, 4))
def test_mutated_messages(seed, rnd, rounds):
    data = seed
    for _ in range(rounds):
        data = mutate(data, rnd)
    _ok(data)


@FUZZ
@given(seed=st.sampled_from(SEEDS), cut=st.integers(0, 400))
def test_truncations(seed, cut):
    _ok(seed[:cut])


def test_seeds_decode_and_round_trip():
    for s in SEEDS:
        err, ok = check(s)
        assert err is None and ok


def test_check_catches_a_crash(monkeypatch):
    """The fuzz harness itself reports a non-DecodeError (so a green run means something)."""
    import edge.wire.payloads6 as P6

    def broken(code, payload):
        raise IndexError("deliberate")

    monkeypatch.setattr(P6, "parse_ia", broken)
    err, _ = check(SEEDS[0])
    assert isinstance(err, IndexError)
