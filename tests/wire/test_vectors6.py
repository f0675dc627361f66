"""The DHCPv6 vectors (tests/wire/vectors6.py) under CPython, one pytest test each."""

import pytest

from tests.wire import vectors6


@pytest.mark.parametrize("name,check", vectors6.VECTORS, ids=[name for name, _ in vectors6.VECTORS])
def test_vector(name, check):
    check()


def test_run_counts_every_vector():
    seen = []
    passed, failed, messages = vectors6.run(lambda name, ok, msg: seen.append((name, ok)))
    assert (passed, failed, messages) == (len(vectors6.VECTORS), 0, [])
    assert [name for name, _ in seen] == [name for name, _ in vectors6.VECTORS]


def test_run_reports_a_failing_vector(monkeypatch):
    def broken():
        vectors6.eq(1, 2, "deliberate")

    monkeypatch.setattr(vectors6, "VECTORS", vectors6.VECTORS[:3] + [("deliberate/failure", broken)])
    passed, failed, messages = vectors6.run()
    assert (passed, failed) == (3, 1)
    assert messages == ["deliberate/failure: Fail: deliberate: got 1, want 2"]


def test_vector_names_are_unique():
    names = [name for name, _ in vectors6.VECTORS]
    assert len(names) == len(set(names))


def test_text_vectors_cover_every_standard_type():
    """Every option data type the DHCPv6 table uses has at least one hand-written text vector."""
    from edge.wire import options6

    used = {
        (d.type, t)
        for s in options6.STANDARD.spaces()
        for d in options6.STANDARD.defs(s)
        for t in (d.record_types or (d.type,))
    }
    covered = set()
    for name, space, *_ in vectors6.TEXT_VECTORS:
        d = options6.by_name(name, space)
        covered |= {(d.type, t) for t in (d.record_types or (d.type,))}
    missing = {t for _, t in used} - {t for _, t in covered}
    assert not missing, f"types without a text vector: {sorted(missing)}"
