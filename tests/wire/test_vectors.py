"""The shared vectors (tests/wire/vectors.py) under CPython, one pytest test each."""

import pytest

from tests.wire import vectors


@pytest.mark.parametrize("name,check", vectors.VECTORS, ids=[name for name, _ in vectors.VECTORS])
def test_vector(name, check):
    check()


def test_run_counts_every_vector():
    seen = []
    passed, failed, messages = vectors.run(lambda name, ok, msg: seen.append((name, ok)))
    assert (passed, failed, messages) == (len(vectors.VECTORS), 0, [])
    assert [name for name, _ in seen] == [name for name, _ in vectors.VECTORS]


def test_run_reports_a_failing_vector(monkeypatch):
    def broken():
        vectors.eq(1, 2, "deliberate")

    monkeypatch.setattr(vectors, "VECTORS", vectors.VECTORS[:3] + [("deliberate/failure", broken)])
    passed, failed, messages = vectors.run()
    assert (passed, failed) == (3, 1)
    assert messages == ["deliberate/failure: Fail: deliberate: got 1, want 2"]


def test_vector_names_are_unique():
    names = [name for name, _ in vectors.VECTORS]
    assert len(names) == len(set(names))
