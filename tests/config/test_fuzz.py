"""Property tests: whatever the input, loading either succeeds or raises ConfigError; nothing else."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.config.errors import ConfigError
from edge.dhcp4.config import load_data, load_text
from edge.dhcp4.keys import TABLE

EXAMPLE_PATHS = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))
EXAMPLE_TEXTS = [p.read_text() for p in EXAMPLE_PATHS]
# Loaded as files are (their source path given), so files they name (home-ddns.json's D2 file) are found.
EXAMPLE_DOCS = [load_text(p.read_text(), str(p)).raw for p in EXAMPLE_PATHS]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(
        ["10.0.0.1", "10.0.0.0/24", "10.0.0.1 - 10.0.0.9", "aa:bb:cc:dd:ee:ff", "'x'", "eth0", "*"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
key_names = st.sampled_from(sorted({row.name for row in TABLE.rows}))


def only_config_errors(call: Any, *args: Any) -> None:
    try:
        call(*args)
    except ConfigError as err:
        assert err.issues, "a ConfigError must carry at least one issue"
        for issue in err.issues:
            str(issue)


@SETTINGS
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    only_config_errors(load_text, text)


@SETTINGS
@given(st.sampled_from(EXAMPLE_TEXTS), st.data())
def test_mutated_example_text(text: str, data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 8))
        insert = data.draw(
            st.sampled_from(
                ["", "{", "}", "[", "]", ",", ":", '"', "/*", "#", "1e9", "null", "\\", "\x00", "é"]
            )
        )
        text = text[:at] + insert + text[at + cut :]
    only_config_errors(load_text, text)


@SETTINGS
@given(st.dictionaries(key_names, json_values, max_size=6))
def test_random_values_under_known_keys(dhcp4: dict[str, Any]) -> None:
    only_config_errors(load_data, {"Dhcp4": dhcp4})


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _places(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _places(item, path + (i,))
    return out


@SETTINGS
@given(st.sampled_from(EXAMPLE_DOCS), st.data())
def test_mutated_example_documents(doc: dict[str, Any], data: st.DataObject) -> None:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        places = [p for p in _places(doc) if p]
        if not places:
            break
        path = data.draw(st.sampled_from(places))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "delete", "add-key", "duplicate"]))
        last = path[-1]
        if action == "replace":
            parent[last] = data.draw(json_values)
        elif action == "delete":
            del parent[last]
        elif action == "add-key" and isinstance(parent, dict):
            parent[data.draw(key_names)] = data.draw(json_values)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    only_config_errors(load_data, doc)
    only_config_errors(load_text, json.dumps(doc))
