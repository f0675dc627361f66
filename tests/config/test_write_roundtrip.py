"""config-write then config-reload gives the same running configuration, for every configuration the
loader accepts (issue 22): the examples, and hypothesis-mutated examples that still load.

"The same running configuration" is the Config4 value minus what only says where it came from (the raw
document, the source name, warnings, the key paths that name each subnet or reservation in its file,
since the written file lists subnets by id). The writer is config-write's own (commands.written_config);
the text it writes is loaded as the file config-reload would read, with the original's name as its source
(config-write writes into the configuration's directory, so relative names resolve alike).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.config.errors import ConfigError
from edge.config.jsonpos import parse_text
from edge.control.commands import written_config
from edge.dhcp4.config import load_data, load_file, load_text
from edge.dhcp4.model import Config4
from tests.config.test_fuzz import EXAMPLE_PATHS, _places, json_values, key_names

WHERE_FROM = {"raw", "source", "warnings", "path", "positions"}
# The examples as written (not as loaded: the loaded raw documents have every default filled in).
EXAMPLES = [(p, parse_text(p.read_text(), str(p)).value) for p in EXAMPLE_PATHS]


def running(value: Any) -> Any:
    """`value` (a Config4 or part of one) as plain data, without the fields that only say where it came from."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {
            f.name: running(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.compare and f.name not in WHERE_FROM
        }
        if "subnet_ids" in out:  # a network's members in file order; the selector takes them by id
            out["subnet_ids"] = sorted(out["subnet_ids"])
        return out
    if isinstance(value, tuple | list):
        return [running(item) for item in value]
    if isinstance(value, dict):
        return {key: running(item) for key, item in value.items()}
    return value


def assert_round_trip(config: Config4, source: str) -> None:
    data = written_config(config)
    json.loads(data, parse_constant=lambda name: pytest.fail(f"config-write wrote {name}"))
    try:
        again = load_text(data.decode("utf-8"), source=source)
    except ConfigError as err:
        pytest.fail(
            f"config-write output does not load back:\n{err}\n--- written ---\n{data.decode()[:3000]}"
        )
    assert running(again) == running(config)
    # And writing again changes nothing: the written document is a fixed point.
    assert written_config(again) == data


@pytest.mark.parametrize("path", EXAMPLE_PATHS, ids=lambda p: p.name)
def test_examples_round_trip(path: Path) -> None:
    assert_round_trip(load_file(str(path)), str(path))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(EXAMPLES), st.data())
def test_accepted_mutations_of_the_examples_round_trip(
    example: tuple[Path, dict[str, Any]], data: st.DataObject
) -> None:
    path, doc = example
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        places = [p for p in _places(doc) if p]
        if not places:
            break
        where = data.draw(st.sampled_from(places))
        parent = doc
        for part in where[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "delete", "add-key", "duplicate", "scalar"]))
        last = where[-1]
        if action == "replace":
            parent[last] = data.draw(json_values)
        elif action == "scalar":  # a nearby value of the same kind: most such configurations still load
            old = parent[last]
            if isinstance(old, bool):
                parent[last] = not old
            elif isinstance(old, int):
                parent[last] = data.draw(
                    st.sampled_from([0, 1, 2, 60, 3600, 86400, 2**31, old * 2, old // 2])
                )
            elif isinstance(old, float):
                parent[last] = data.draw(st.sampled_from([0.0, 0.25, 0.5, 0.875, 1.0]))
        elif action == "delete":
            del parent[last]
        elif action == "add-key" and isinstance(parent, dict):
            parent[data.draw(key_names)] = data.draw(json_values)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    try:
        config = load_data(doc, source=str(path))
    except ConfigError:
        return  # not accepted: nothing to write
    assert_round_trip(config, str(path))


lifetimes = st.sampled_from([None, 0, 60, 600, 3600, 7200, 14400, 86400])
percents = st.sampled_from([None, 0.25, 0.5, 0.875])


@st.composite
def timer_scope(draw: st.DrawFn) -> dict[str, Any]:
    """Lifetime and timer keys a scope may give (each may be absent): inheritance is where writing went wrong."""
    keys = {
        "valid-lifetime": lifetimes,
        "min-valid-lifetime": lifetimes,
        "max-valid-lifetime": lifetimes,
        "renew-timer": lifetimes,
        "rebind-timer": lifetimes,
        "t1-percent": percents,
        "t2-percent": percents,
        "calculate-tee-times": st.sampled_from([None, True, False]),
    }
    out = {}
    for key, values in keys.items():
        value = draw(values)
        if value is not None:
            out[key] = value
    return out


@st.composite
def generated_configs(draw: st.DrawFn) -> dict[str, Any]:
    """Global, shared-network and subnet scopes, each with its own draw of lifetimes and timers."""
    subnet_no = iter(range(1, 100))

    def subnet() -> dict[str, Any]:
        n = next(subnet_no)
        return {
            "id": n,
            "subnet": f"10.{n}.0.0/24",
            "pools": [{"pool": f"10.{n}.0.10 - 10.{n}.0.20"}],
            **draw(timer_scope()),
        }

    networks = [
        {
            "name": f"net{k}",
            **draw(timer_scope()),
            "subnet4": [subnet() for _ in range(draw(st.integers(1, 2)))],
        }
        for k in range(draw(st.integers(0, 2)))
    ]
    body: dict[str, Any] = {
        **draw(timer_scope()),
        "subnet4": [subnet() for _ in range(draw(st.integers(0, 2)))],
    }
    if networks:
        body["shared-networks"] = networks
    return {"Dhcp4": body}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_configs())
def test_accepted_generated_configs_round_trip(doc: dict[str, Any]) -> None:
    try:
        config = load_data(doc, source="/nonexistent/generated.json")
    except ConfigError:
        return
    assert_round_trip(config, "/nonexistent/generated.json")
