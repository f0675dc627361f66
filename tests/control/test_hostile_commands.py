"""Control-channel inputs that once broke what the server writes (issue 22): lone surrogates and numbers
that overflow to infinity. Each is now refused with result 1 before anything runs, so no answer, lease
file or log line ever holds them. Commands go over the real unix socket as raw bytes (json.dumps cannot
write 1e999), and every answer is read back with a strict JSON parser."""

from __future__ import annotations

import json
import logging
import math
import socket
from pathlib import Path
from typing import Any

import pytest

from edge.control.protocol import encode_answer
from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_store import MemfileLeaseStore4, MemoryLeaseStore4
from tests.control.helpers import Running

LEASE = '"ip-address": "192.0.2.15", "hw-address": "02:00:00:00:00:01"'


def _strict(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"answer holds {name}, which is not JSON: {text[:200]}")

    return json.loads(text, parse_constant=refuse)


def raw(running: Running, text: str) -> dict[str, Any]:
    assert running.sock is not None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(running.sock))
        sock.sendall(text.encode("ascii"))
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    reply = _strict(data.decode("utf-8"))
    return reply[0] if isinstance(reply, list) else reply


@pytest.mark.parametrize(
    "text",
    [
        '{"command": "status-get\\ud800"}',
        '{"command": "lease4-add", "arguments": {' + LEASE + ', "hostname": "a\\ud800b"}}',
        '{"command": "lease4-add", "arguments": {' + LEASE + ', "user-context": {"k\\udc00": 1}}}',
        '{"command": "lease4-add", "arguments": {' + LEASE + ', "user-context": {"n": 1e999}}}',
        '{"command": "lease4-add", "arguments": {' + LEASE + ', "user-context": {"n": -1E400}}}',
        '{"command": "config-write", "arguments": {"filename": "/tmp/x\\ud800.json"}}',
        '{"command": "status-get", "service": ["dhcp4\\udfff"]}',
    ],
)
def test_refused_with_result_1_and_nothing_kept(serve, text: str) -> None:
    running = serve()
    reply = raw(running, text)
    assert reply["result"] == 1, reply
    assert "surrogate" in reply["text"] or "out of range" in reply["text"], reply
    assert "internal error" not in reply["text"], reply  # refused at the boundary, not tripped over
    assert len(running.server.store) == 0
    assert raw(running, '{"command": "status-get"}')["result"] == 0


def test_config_set_option_data_with_a_lone_surrogate_is_refused(serve) -> None:
    running = serve()
    for command in ("config-test", "config-set"):
        text = (
            '{"command": "%s", "arguments": {"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24",'
            ' "option-data": [{"name": "domain-name", "data": "x\\ud800"}]}]}}}' % command
        )
        reply = raw(running, text)
        assert reply["result"] == 1 and "surrogate" in reply["text"], reply
        assert "internal error" not in reply["text"] and "bug" not in reply["text"], reply
    assert running.server.config.subnets[0].option_data == ()


def test_a_valid_surrogate_pair_is_text_and_accepted(serve) -> None:
    running = serve()
    text = '{"command": "lease4-add", "arguments": {' + LEASE + ', "user-context": {"k": "\\ud83d\\ude00"}}}'
    assert raw(running, text)["result"] == 0
    got = raw(running, '{"command": "lease4-get-all"}')
    assert got["arguments"]["leases"][0]["user-context"] == {"k": "\U0001f600"}


@pytest.mark.parametrize("store_kind", ["memory", "memfile"])
def test_the_store_refuses_what_it_could_not_write_back(tmp_path: Path, store_kind: str) -> None:
    store = MemoryLeaseStore4() if store_kind == "memory" else MemfileLeaseStore4(str(tmp_path / "l.db"))
    base = dict(
        address=0xC000020F, hwaddr=b"\x02\0\0\0\0\1", client_id=None, valid_lifetime=60, cltt=1, subnet_id=1
    )
    for bad in ({"user_context": {"n": math.inf}}, {"user_context": {"n": math.nan}}, {"hostname": "\ud800"}):
        with pytest.raises(ValueError):
            store.put(Lease(**{**base, **bad}))  # type: ignore[arg-type]
    assert len(store) == 0
    store.close()
    if store_kind == "memfile":
        for path in tmp_path.iterdir():
            _strict(path.read_text("utf-8")) if path.suffix == ".db" and path.read_text().strip() else None


def test_encode_answer_is_strict_json_whatever_it_is_given() -> None:
    out = encode_answer({"result": 0, "arguments": {"a": math.inf, "b": [math.nan, 1.5], "c": object()}})
    value = _strict(out.decode())
    assert value["arguments"]["a"] == "inf" and value["arguments"]["b"][1] == 1.5


def test_a_log_line_with_a_lone_surrogate_is_escaped_not_lost(tmp_path: Path, capsys) -> None:
    from edge.config.model import Logger, LoggerOutput
    from edge.log import configure_logging

    out = tmp_path / "edge.log"
    configure_logging((Logger("kea-dhcp4", "INFO", 0, (LoggerOutput(str(out)),)),))
    try:
        logging.getLogger("edge.control").info("DHCP4_CTRL_COMMAND received command %s", "x\ud800y")
        logging.getLogger("edge.control").error("DHCP4_CTRL_COMMAND_FAIL %s", "z\udfffz")
    finally:
        configure_logging()
    text = out.read_text("utf-8")
    assert "x\\ud800y" in text and "z\\udfffz" in text
    assert "Logging error" not in capsys.readouterr().err
