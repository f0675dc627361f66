"""The fuzz targets, replayed deterministically inside `make test` (no fuzzing engine needed).

Each target runs its seed corpus (tests/fuzz/corpus/<target>/: real client packets captured in a lab,
one command per registry row, the examples), every crash input kept from earlier fuzzing
(tests/fuzz/crashes/<target>/), and a fixed number of inputs mutated from the seeds with a fixed random
seed. A target raises only on a bug (see each tests/fuzz/fuzz_*.py), so this fails whenever one of the
inputs finds one again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.fuzz.seeds import TARGETS
from tests.fuzz.targets import regressions, replay

MUTATIONS = {"wire": 3000, "engine": 2000, "engine6": 2000, "control": 600, "config": 300}


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """The targets set up the server's logging (into /dev/null): put the test session's back after."""
    edge = logging.getLogger("edge")
    saved = (list(edge.handlers), edge.level, edge.propagate, logging.getLogRecordFactory())
    from tests.fuzz.subjects import quiet_logging

    quiet_logging()
    yield
    for handler in list(edge.handlers):
        edge.removeHandler(handler)
        handler.close()
    handlers, level, propagate, factory = saved
    for handler in handlers:
        edge.addHandler(handler)
    edge.setLevel(level)
    edge.propagate = propagate
    logging.setLogRecordFactory(factory)


@pytest.mark.parametrize("name", TARGETS)
def test_target_replays_its_corpus_crashes_and_mutations(name: str) -> None:
    count, seeds = replay(name, MUTATIONS[name])
    assert seeds >= 5, f"the {name} corpus has only {seeds} seeds"
    assert count == seeds + len(regressions(name)) + MUTATIONS[name]


def test_the_wire_corpus_holds_each_real_clients_packets() -> None:
    from tests.fuzz.seeds import CORPUS

    names = {p.name.split("-")[0] for p in (CORPUS / "wire").iterdir()}
    assert {"dhclient", "dhcpcd", "udhcpc"} <= names
