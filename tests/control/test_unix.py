"""The unix control socket: file mode, stale and foreign files, framing, slow and greedy clients.

Everything runs against a real Server loop in a thread and real unix sockets in tmp_path.
"""

from __future__ import annotations

import grp
import json
import os
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.control import service as service_module
from edge.control import transport as transport_module
from edge.dhcp4.config import load_data
from tests.control.helpers import Running, document

Serve = Callable[..., Running]


def connect(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(str(path))
    return sock


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        data = sock.recv(1 << 20)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def exchange(path: Path, payload: bytes, half_close: bool = False) -> dict:
    sock = connect(path)
    try:
        sock.sendall(payload)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return json.loads(read_all(sock))
    finally:
        sock.close()


# ----------------------------------------------------------------------------------------- the file


def test_socket_is_0600_and_removed_on_stop(serve: Serve) -> None:
    running = serve()
    st = os.stat(running.sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == os.geteuid()
    running.stop()
    assert not running.sock.exists()


def test_socket_group_makes_it_0660_for_that_group(tmp_path: Path) -> None:
    group = next(g for g in grp.getgrall() if g.gr_gid != os.getegid())
    doc = document(tmp_path / "ctrl.sock")
    doc["Dhcp4"]["control-sockets"][0]["socket-group"] = group.gr_name
    running = Running(load_data(doc), tmp_path / "ctrl.sock")
    try:
        st = os.stat(running.sock)
        assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == group.gr_gid
        assert running.call("status-get")["result"] == 0
    finally:
        running.stop()


def open_control(tmp_path: Path, **extra: object) -> tuple[bool, str]:
    from edge.dhcp4.lease_store import MemoryLeaseStore4
    from edge.server.dhcp4 import Dhcp4Service as Server

    doc = document(tmp_path / "ctrl.sock")
    doc["Dhcp4"]["control-sockets"][0].update(extra)
    server = Server(load_data(doc), MemoryLeaseStore4())
    try:
        return server.open_control()
    finally:
        server.close()


def test_unknown_socket_group_is_refused(tmp_path: Path) -> None:
    ok, message = open_control(tmp_path, **{"socket-group": "no-such-group-here"})
    assert not ok and 'socket-group "no-such-group-here" is not a group on this machine' in message


def test_stale_socket_file_is_replaced(tmp_path: Path, serve: Serve) -> None:
    path = tmp_path / "ctrl.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))  # bound, never listening: what a crashed server leaves behind
    stale.close()
    running = serve()
    assert running.call("status-get")["result"] == 0


def test_live_socket_of_another_process_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ctrl.sock"
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(str(path))
    other.listen(1)
    try:
        ok, message = open_control(tmp_path)
        assert not ok and "another process is listening on control socket" in message
        assert path.exists()
    finally:
        other.close()


def test_a_file_that_is_not_a_socket_is_never_removed(tmp_path: Path) -> None:
    path = tmp_path / "ctrl.sock"
    path.write_text("precious")
    ok, message = open_control(tmp_path)
    assert not ok and "exists and is not a socket; not replacing it" in message
    assert path.read_text() == "precious"


def test_missing_directory_is_created(tmp_path: Path) -> None:
    from edge.dhcp4.lease_store import MemoryLeaseStore4
    from edge.server.dhcp4 import Dhcp4Service as Server

    path = tmp_path / "run" / "edge-dhcp" / "ctrl.sock"
    server = Server(load_data(document(path)), MemoryLeaseStore4())
    try:
        assert server.open_control() == (True, "")
        assert stat.S_IMODE(os.stat(path.parent).st_mode) & 0o007 == 0
    finally:
        server.close()


# ----------------------------------------------------------------------------------------- framing


def test_one_command_per_connection_answered_and_closed(serve: Serve) -> None:
    running = serve()
    sock = connect(running.sock)
    sock.sendall(b'{"command": "status-get"}\n{"command": "list-commands"}')
    answer = read_all(sock)  # the server closes after one answer
    sock.close()
    assert json.loads(answer)["arguments"]["pid"] == os.getpid()


def test_command_trickling_in_byte_by_byte_with_comments(serve: Serve) -> None:
    running = serve()
    text = b'# a comment {\n{ "command": /* "x" */ "statistic-get", // }\n "arguments": {"name": "a}b\\"{"}}'
    sock = connect(running.sock)
    for index in range(len(text)):
        sock.send(text[index : index + 1])
    got = json.loads(read_all(sock))
    sock.close()
    assert got == {"result": 0, "arguments": {}}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[1, 2]", "a command must be a JSON object"),
        (b"status-get", "a command must be a JSON object"),
        (b'{"command": 5}', "'command' must be a non-empty string"),
        (b'{"arguments": {}}', "missing mandatory 'command' parameter"),
        (b'{"command": "status-get", "extra": 1}', "unsupported parameter 'extra'"),
        (b'{"command": "status-get", "arguments": 5}', "'arguments' must be a JSON object"),
        (b'{"command": "status-get", "arguments": {"x": NaN}}', "NaN is not a JSON number"),
        (b'{"command": "st\xffatus-get"}', "not valid UTF-8"),
        (b"{" * 100, "nests more than 64 levels deep"),
        (b'{"command": "status-get",}', "invalid JSON"),
    ],
)
def test_malformed_commands_get_result_1_with_the_reason(serve: Serve, payload: bytes, message: str) -> None:
    running = serve()
    got = exchange(running.sock, payload, half_close=True)
    assert got["result"] == 1 and message in got["text"], got
    assert running.call("status-get")["result"] == 0


def test_half_closed_incomplete_command_is_an_error(serve: Serve) -> None:
    running = serve()
    got = exchange(running.sock, b'{"command": "status-get"', half_close=True)
    assert got["result"] == 1 and "invalid JSON" in got["text"]


def test_oversized_command_is_cut_off(serve: Serve) -> None:
    running = serve()
    sock = connect(running.sock)
    sock.sendall(b'{"command": "config-test", "arguments": {"x": "')
    chunk = b"a" * 65536
    try:
        for _ in range(200):  # 13 MiB, beyond the 8 MiB limit; the server stops reading and answers
            sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    got = json.loads(read_all(sock))
    sock.close()
    assert got["result"] == 1 and "larger than 8 MiB" in got["text"]


# ----------------------------------------------------------------------------------------- clients


@pytest.fixture
def quick_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "REQUEST_TIMEOUT", 1.0)
    monkeypatch.setattr(service_module, "SWEEP_INTERVAL", 0.1)


def test_slow_client_is_dropped_and_does_not_hold_up_others(serve: Serve, quick_deadlines: None) -> None:
    running = serve()
    slow = connect(running.sock)
    slow.sendall(b'{"command": "status-')  # and then nothing
    # Another client is answered while the slow one is still connected.
    assert running.call("status-get")["result"] == 0
    assert [c for c in running.server.control.connections if c.buffer == b'{"command": "status-']
    got = json.loads(read_all(slow))  # the server gives up on it, saying why
    slow.close()
    assert got == {"result": 1, "text": "timed out waiting for a complete command"}
    assert running.server.control.connections == set()


def test_connection_limit(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "MAX_CONNECTIONS", 3)
    running = serve()
    idle = [connect(running.sock) for _ in range(3)]
    try:
        running.server.control  # noqa: B018 - the loop accepts them asynchronously:
        deadline = time.monotonic() + 10
        while len(running.server.control.connections) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        extra = connect(running.sock)
        assert read_all(extra) == b""  # accepted and closed at once
        extra.close()
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + 10
    while running.server.control.connections and time.monotonic() < deadline:
        time.sleep(0.01)
    assert running.call("status-get")["result"] == 0


def test_client_that_does_not_read_a_large_answer_does_not_block_others(serve: Serve) -> None:
    running = serve()
    for i in range(40000):  # about 2.5 MB of answer: more than the socket buffers hold
        running.server.stats.set(f"test[{i}].a-statistic-with-a-long-name", i)
    greedy = connect(running.sock)
    greedy.sendall(b'{"command": "statistic-get-all"}')
    deadline = time.monotonic() + 10
    while not any(c.writing for c in running.server.control.connections) and time.monotonic() < deadline:
        time.sleep(0.01)
    pending = [c for c in running.server.control.connections if c.writing]
    assert pending and pending[0].sent < len(pending[0].out)  # stuck on a full socket buffer
    assert running.call("status-get")["result"] == 0  # the loop is free meanwhile
    got = json.loads(read_all(greedy))
    greedy.close()
    assert got["arguments"]["test[39999].a-statistic-with-a-long-name"][0][0] == 39999


def test_control_socket_override_replaces_or_adds_the_unix_socket(tmp_path: Path) -> None:
    """`edge-dhcp serve --control-socket PATH`: the unix socket is at PATH, whatever the file says."""
    from edge.dhcp4.lease_store import MemoryLeaseStore4
    from edge.server.dhcp4 import Dhcp4Service as Server

    override = tmp_path / "override.sock"
    for doc in (document(tmp_path / "configured.sock"), document(None)):
        server = Server(load_data(doc), MemoryLeaseStore4(), control_socket=str(override))
        try:
            assert server.open_control() == (True, "")
            assert override.exists() and not (tmp_path / "configured.sock").exists()
            assert [s.socket_name for s in server.control_specs(server.config)] == [str(override)]
        finally:
            server.close()
        assert not override.exists()


def test_accept_failure_pauses_the_listener_instead_of_spinning(serve: Serve) -> None:
    import errno as errno_module

    running = serve()
    (listener,) = running.server.control.listeners.values()
    real = listener.sock
    failures: list[float] = []

    class OutOfDescriptors:  # accept() fails as with EMFILE, once
        def accept(self) -> tuple[socket.socket, object]:
            if not failures:
                failures.append(time.monotonic())
                raise OSError(errno_module.EMFILE, "Too many open files")
            return real.accept()

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    listener.sock = OutOfDescriptors()
    try:
        got = running.call("status-get")  # waits in the backlog while the listener is paused
    finally:
        listener.sock = real
    assert got["result"] == 0 and len(failures) == 1
    assert not listener.paused
