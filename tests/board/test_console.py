"""`edge-dhcp board console` against a stand-in board on a pty, a TCP socket URL and a Unix socket URL.

The CLI runs as a subprocess, exactly as an operator runs it; the board end (tests/board/fakeboard.py) runs
real shell commands, so output and exit status are real. The real board — Debian's getty and login on an
emulated serial line — is tested in tests/board/test_image.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from edge.board import protocol_unix
from edge.board.console import LOGIN_STEPS, shown
from tests.board.fakeboard import FakeBoard

REPO = Path(__file__).resolve().parents[2]


def console(
    port: str, *extra: str, password: str | None = "s3cret", timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "EDGE_BOARD_PASSWORD"}
    if password is not None:
        env["EDGE_BOARD_PASSWORD"] = password
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "edge",
            "board",
            "console",
            "--port",
            port,
            "--login-timeout",
            "10",
            "--timeout",
            "10",
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def board() -> Iterator[FakeBoard]:
    made = FakeBoard()
    yield made
    made.stop()


@pytest.fixture(params=["pty", "tcp", "unix"])
def port(request: pytest.FixtureRequest, board: FakeBoard, tmp_path: Path) -> str:
    if request.param == "pty":
        return board.serve_pty()
    if request.param == "tcp":
        return board.serve_tcp()
    return board.serve_unix(tmp_path / "console.sock")


def test_run_logs_in_and_returns_output_and_status(port: str, board: FakeBoard) -> None:
    result = console(port, "--run", "echo hello from the board; printf 'two\\nlines\\n'; false")
    assert result.returncode == 1, result.stderr  # the status of `false`, the last command
    assert result.stdout == "hello from the board\ntwo\nlines\n", result.stderr
    assert board.logins == 1
    assert board.state == "LOGIN", "the session the tool opened must be logged out"


def test_exit_status_and_stderr_of_the_command(port: str) -> None:
    result = console(port, "--run", "ls /no/such/path")
    assert result.returncode == 2, result.stderr
    assert "/no/such/path" in result.stdout


def test_wrong_password_is_an_error_not_a_retry_loop(port: str, board: FakeBoard) -> None:
    result = console(port, "--run", "echo should not run", password="wrong")
    assert result.returncode == 255
    assert "refused the login as 'root'" in result.stderr
    assert "Traceback" not in result.stderr
    assert board.commands == []


def test_locked_account_is_refused(tmp_path: Path) -> None:
    locked = FakeBoard(locked=True)
    try:
        result = console(locked.serve_pty(), "--run", "true")
    finally:
        locked.stop()
    assert result.returncode == 255
    assert "refused the login" in result.stderr


def test_no_password_available_says_how_to_give_one(board: FakeBoard) -> None:
    result = console(board.serve_pty(), "--run", "true", password=None)
    assert result.returncode == 255
    assert "--password-file" in result.stderr and "EDGE_BOARD_PASSWORD" in result.stderr


def test_password_file_and_stay_logged_in(board: FakeBoard, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    port = board.serve_pty()
    first = console(port, "--run", "echo one", "--password-file", str(secret), "--stay", password=None)
    assert (first.returncode, first.stdout) == (0, "one\n"), first.stderr
    assert board.state == "SHELL"
    # Already at a shell prompt: no login, no password needed.
    second = console(port, "--run", "echo two", password=None)
    assert (second.returncode, second.stdout) == (0, "two\n"), second.stderr
    assert board.logins == 1


def test_markers_in_the_echo_do_not_end_the_output_early(port: str) -> None:
    # The output mentions the marker words; the typed line (echoed) contains them split in two halves.
    result = console(port, "--run", "echo EDGE-END-x 0; echo EDGE-BEGIN-y; echo last")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "EDGE-END-x 0\nEDGE-BEGIN-y\nlast\n"


def test_transcript_log(board: FakeBoard, tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    result = console(board.serve_pty(), "--run", "echo logged", "--log", str(log))
    assert result.returncode == 0, result.stderr
    text = log.read_bytes()
    assert b"login: " in text and b"Password: " in text and b"logged" in text


def test_port_that_cannot_be_opened(tmp_path: Path) -> None:
    for port in ("/dev/ttyNOSUCH9", f"unix://{tmp_path}/missing.sock", "socket://127.0.0.1:1", "nosuch://x"):
        result = console(port, "--run", "true")
        assert result.returncode == 255, port
        assert result.stderr.startswith("edge-dhcp board console: cannot open"), (port, result.stderr)
        assert "Traceback" not in result.stderr


def test_timeout_when_nothing_answers(tmp_path: Path) -> None:
    master, slave = os.openpty()  # a line nobody is at
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "edge",
                "board",
                "console",
                "--port",
                os.ttyname(slave),
                "--login-timeout",
                "2",
                "--run",
                "true",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert result.returncode == 255
    assert "within 2 s" in result.stderr


def test_interactive_needs_a_terminal(board: FakeBoard) -> None:
    result = console(board.serve_pty())
    assert result.returncode == 255
    assert "needs a terminal" in result.stderr


def test_unix_url_handler_is_a_pyserial_handler(tmp_path: Path, board: FakeBoard) -> None:
    url = board.serve_unix(tmp_path / "s.sock")
    protocol_unix.register()
    port = serial.serial_for_url(url, timeout=0.5)
    try:
        assert type(port).__module__ == "edge.board.protocol_unix"
        port.write(b"\r")
        seen = b""
        for _ in range(20):
            seen += port.read(256)
            if b"login: " in seen:
                break
        assert b"login: " in seen
    finally:
        port.close()
    for bad in ("unix://relative/path", "unix:///x?opt=1"):
        with pytest.raises(serial.SerialException):
            protocol_unix.socket_path(bad)


def test_prompt_table_matches_real_prompts() -> None:
    def which(text: bytes) -> str | None:
        seen = shown(text)
        for step in LOGIN_STEPS:
            if step.pattern.search(seen) if not step.at_end else step.pattern.search(seen):
                return step.name
        return None

    assert which(b"\r\nDebian GNU/Linux 12 pi ttyS1\r\n\r\npi login: ") == "login"
    assert which(b"Password: ") == "password"
    assert which(b"\x1b[?2004hroot@pi:~# ") == "shell"
    assert which(b"$ ") == "shell"
    assert which(b"Last login: Mon Jan 1 on ttyAMA0\r\n") is None
    assert which(b"\r\nLogin incorrect\r\npi login: ") == "incorrect"
