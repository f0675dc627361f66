"""Property and fuzz tests of the JSON side: no input crashes or hangs the control channel.

- The stream scanner finds the end of any JSON object however the bytes are chunked.
- Any bytes given to the parser yield a Request or a RequestError, nothing else.
- Any command name with any arguments yields a Kea answer (result 0-4), never an exception.
- Any bytes sent to the unix or HTTP socket yield an answer or a closed connection, and the server goes on
  answering.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.control.commands import SHARED_COMMANDS
from edge.control.protocol import CommandScanner, Request, RequestError, parse_command, parse_value
from edge.control.registry import Registry
from edge.dhcp4.config import load_data
from edge.dhcp4.lease_cmds import LEASE4_COMMANDS
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.server.dhcp4 import Dhcp4Service as Server
from tests.control.helpers import Running, document, start

json_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)


@settings(max_examples=300, deadline=None)
@given(obj=json_objects, cuts=st.lists(st.integers(0, 10_000), max_size=6), junk=st.binary(max_size=8))
def test_scanner_finds_the_end_however_chunked(obj: dict[str, Any], cuts: list[int], junk: bytes) -> None:
    text = json.dumps(obj, indent=1).encode()
    stream = text + junk
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    scanner = CommandScanner()
    end = None
    for start_, stop in zip(points, points[1:], strict=False):
        end = scanner.feed(stream[start_:stop])
        if end is not None:
            break
    assert end == len(text)
    assert parse_value(stream[:end]) == obj


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_parse_to_a_request_or_a_request_error(data: bytes) -> None:
    try:
        request = parse_command(data)
    except RequestError as exc:
        assert str(exc)
    else:
        assert isinstance(request, Request) and isinstance(request.command, str)
    try:
        CommandScanner().feed(data)
    except RequestError:
        pass


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_with_comment_characters_parses_or_is_refused(text: str) -> None:
    for candidate in (text, "{" + text + "}", '{"command": "x" ' + text + "}"):
        try:
            parse_command(candidate)
        except RequestError:
            pass


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server not running its loop: commands are dispatched to it directly."""
    path = tmp_path_factory.mktemp("fuzz") / "edge.json"
    config = load_data(document(**{"dhcp-ddns": {"enable-updates": False}}))
    server = Server(config, MemoryLeaseStore4(), str(path))
    yield server
    server.close()


COMMANDS = Registry((*SHARED_COMMANDS, *LEASE4_COMMANDS))  # what the DHCPv4 service answers
names = st.sampled_from(COMMANDS.names()) | st.text(min_size=1, max_size=20)


def arguments_for(name: str) -> st.SearchStrategy[dict[str, Any] | None]:
    command = COMMANDS.get(name)
    keys = [arg.name for arg in command.args] if command is not None else []
    key = st.sampled_from(keys + ["Dhcp4", "bogus"]) if keys else st.sampled_from(["Dhcp4", "bogus", "name"])
    value = (
        json_values
        | st.sampled_from(["192.0.2.11", "start", "1a:1b:1c:1d:1e:1f", "01:02"])
        | st.integers(0, 5)
    )
    return st.none() | st.dictionaries(key, value, max_size=4)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_command_with_any_arguments_gets_a_kea_answer(idle_server: Server, data: st.DataObject) -> None:
    name = data.draw(names)
    arguments = data.draw(arguments_for(name))
    reply = COMMANDS.dispatch(Request(name, arguments, None), idle_server)
    answer = reply.answer
    assert answer["result"] in (0, 1, 2, 3, 4), answer
    assert set(answer) <= {"result", "text", "arguments"}
    if answer["result"] != 0:
        assert isinstance(answer.get("text"), str) and answer["text"]
    json.dumps(answer)  # always serialisable


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = start(tmp_path_factory.mktemp("live"), http={})
    yield running
    running.stop()


def exchange(address: Any, family: int, data: bytes) -> bytes:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(15)
        sock.connect(address)
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
        return b"".join(chunks)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400) | st.builds(lambda s: s.encode(), st.text(max_size=200)))
def test_any_bytes_on_the_unix_socket(live: Running, data: bytes) -> None:
    got = exchange(str(live.sock), socket.AF_UNIX, data)
    if got:
        assert json.loads(got)["result"] in (0, 1, 2, 3, 4)
    assert live.call("status-get")["result"] == 0


http_heads = st.builds(
    lambda method, target, version, headers, body: (
        (f"{method} {target} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode(
            "utf-8", "replace"
        )
        + body
    ),
    st.sampled_from(["POST", "GET", "PUT", "", "POST POST"]),
    st.sampled_from(["/", "*", "/x?y", ""]),
    st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/9", "", "http/1.1"]),
    st.lists(
        st.tuples(
            st.sampled_from(
                ["Content-Length", "Content-Type", "Authorization", "Expect", "Transfer-Encoding", "X"]
            ),
            st.sampled_from(
                [
                    "0",
                    "5",
                    "-1",
                    "99999999999",
                    "application/json",
                    "text/plain",
                    "Basic abc",
                    "100-continue",
                    "chunked",
                    "",
                ]
            ),
        ),
        max_size=5,
    ),
    st.binary(max_size=60) | st.just(b'{"command": "status-get"}'),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=http_heads | st.binary(max_size=300))
def test_any_bytes_on_the_http_socket(live: Running, data: bytes) -> None:
    assert live.url is not None
    port = int(live.url.rsplit(":", 1)[1].strip("/"))
    got = exchange(("127.0.0.1", port), socket.AF_INET, data)
    if got:
        assert got.startswith(b"HTTP/1.1 "), got[:80]
        body = got.split(b"\r\n\r\n")[-1]
        json.loads(body)
    assert live.call("status-get")["result"] == 0


def test_helpers_document_is_valid(tmp_path: Path) -> None:
    assert load_data(document(tmp_path / "s.sock")).control_sockets[0].socket_name == str(tmp_path / "s.sock")
