"""Large control commands are parsed in bounded steps (issue 22): edge/control/jsonsteps.py gives the
value json.loads gives, yields between steps of STEP bytes, and the control channel runs one step per loop
turn, so another client is answered while a large command is still being parsed."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.control import jsonsteps
from edge.control.protocol import RequestError, parse_value

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=10), inner, max_size=6),
    max_leaves=60,
)


def run(data: bytes, comments: bool | None = None) -> tuple[Any, int]:
    job = jsonsteps.steps(data, comments)
    turns = 0
    while True:
        try:
            next(job)
            turns += 1
        except StopIteration as done:
            return done.value, turns


@contextlib.contextmanager
def small_containers() -> Iterator[None]:
    saved = jsonsteps.SMALL, jsonsteps.STEP
    jsonsteps.SMALL, jsonsteps.STEP = 8, 16  # so that small documents walk the stepwise path too
    try:
        yield
    finally:
        jsonsteps.SMALL, jsonsteps.STEP = saved


@settings(max_examples=300, deadline=None)
@given(
    value=st.dictionaries(st.text(max_size=10), json_values, max_size=6),
    ascii_only=st.booleans(),
    indent=st.sampled_from([None, 1]),
)
def test_same_value_as_the_one_shot_parser(value: dict, ascii_only: bool, indent: int | None) -> None:
    data = json.dumps(value, ensure_ascii=ascii_only, indent=indent).encode()
    with small_containers():
        assert run(data)[0] == parse_value(data)


@pytest.mark.parametrize(
    "text",
    [
        b'{"a": [1, 2,, 3]}',
        b'{"a": NaN}',
        b'{"a": 1e999}',
        b'{"a": "\\ud800"}',
        b'{"a": [1, 2] "b"}',
        b"{} x",
        b"",
        b'{"a": "\xff"}',
        b'{"a" 1}',
    ],
)
def test_refuses_what_the_one_shot_parser_refuses(text: bytes) -> None:
    with pytest.raises(RequestError):
        parse_value(text)
    with small_containers(), pytest.raises(RequestError):
        run(text)


def test_refuses_nesting_deeper_than_commands_may() -> None:
    with small_containers(), pytest.raises(RequestError, match="levels deep"):
        run(b'{"a": [' + b"[" * 80 + b"]" * 80 + b"]}")


def test_comments_are_blanked_when_the_scanner_saw_them() -> None:
    text = b'{"command": "x", // why\n "arguments": {"a": [1, /* two */ 2], "url": "http://x/#y"}}'
    with small_containers():
        assert run(text, comments=True)[0] == parse_value(text)
        assert run(text)[0] == parse_value(text)  # not scanned before: scanned here


def big_command(reservations: int) -> dict[str, Any]:
    rows = [
        {
            "hw-address": "02:00:%02x:%02x:%02x:%02x" % (i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255),
            "hostname": f"host-{i}",
            "user-context": {"note": "x" * 40, "n": i},
        }
        for i in range(reservations)
    ]
    subnet = {
        "id": 1,
        "subnet": "10.0.0.0/8",
        "pools": [{"pool": "10.0.0.10 - 10.0.0.20"}],
        "reservations": rows,
    }
    return {"command": "config-test", "arguments": {"Dhcp4": {"subnet4": [subnet]}}}


def test_a_large_command_takes_many_steps_of_bounded_size() -> None:
    data = json.dumps(big_command(20000)).encode()  # ~3 MiB
    value, turns = run(data, comments=False)
    assert value == json.loads(data)
    assert turns >= len(data) // jsonsteps.STEP  # at least one yield per STEP bytes


def test_another_client_is_answered_while_a_large_command_is_parsed(serve) -> None:
    running = serve()
    data = json.dumps(big_command(20000)).encode()
    answers: list[tuple[str, float, Any]] = []

    def big() -> None:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(60)
            sock.connect(str(running.sock))
            sock.sendall(data)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        answers.append(("big", time.monotonic(), json.loads(reply)))

    thread = threading.Thread(target=big)
    thread.start()
    time.sleep(0.05)  # the big command is on its way (ordering is asserted below, not timing)
    answers.append(("small", time.monotonic(), running.call("status-get")))
    thread.join(60)
    assert [name for name, _, _ in sorted(answers, key=lambda a: a[1])] == ["small", "big"]
    assert answers[0][2]["result"] == 0
    big_answer = next(a for name, _, a in answers if name == "big")
    assert big_answer["result"] == 0, big_answer


def test_a_large_command_over_http_is_parsed_in_steps_too(serve) -> None:
    running = serve(http={})
    command = big_command(3000)  # ~430 KiB: past INLINE_PARSE
    assert len(json.dumps(command)) > 64 * 1024
    reply = running.http(command["command"], command["arguments"])
    got = reply[0] if isinstance(reply, list) else reply
    assert got["result"] == 0, got
    bad = dict(command["arguments"])
    bad["Dhcp4"] = {**bad["Dhcp4"], "valid-lifetime": "x" * 70000}
    reply = running.http("config-test", bad)
    got = reply[0] if isinstance(reply, list) else reply
    assert got["result"] == 1 and "valid-lifetime" in got["text"], got
