"""`edge-dhcp ctl`: output format, exit status, argument sources, where it connects."""

from __future__ import annotations

import http.server
import io
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.cli import build_parser
from edge.control.client import NO_ANSWER, run_ctl
from edge.dhcp4.defaults import FILES4
from tests.control.helpers import Running, document

Serve = Callable[..., Running]
REPO = Path(__file__).resolve().parents[2]


def ctl(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge", "ctl", *argv],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        cwd=REPO,
    )


def test_status_get_compact_json_and_exit_0(serve: Serve) -> None:
    running = serve()
    done = ctl("status-get", "--socket", str(running.sock))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1  # one line when not on a terminal
    assert json.loads(done.stdout)["arguments"]["pid"] > 0


def test_pretty_on_a_terminal(serve: Serve) -> None:
    running = serve()

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    args = build_parser().parse_args(["ctl", "version-get", "--socket", str(running.sock)])
    assert run_ctl(args, FILES4, out=out, err=io.StringIO()) == 0
    assert out.getvalue().startswith('{\n  "result": 0')


def test_exit_status_is_the_result(serve: Serve) -> None:
    running = serve()
    sock = str(running.sock)
    assert ctl("no-such-command", "--socket", sock).returncode == 2
    assert ctl("lease4-get", "--socket", sock, "--args", '{"ip-address": "192.0.2.99"}').returncode == 3
    bad = ctl("lease4-get", "--socket", sock, "--args", '{"ip-address": 5}')
    assert bad.returncode == 1 and json.loads(bad.stdout)["result"] == 1


def test_arguments_from_a_file_and_from_stdin(serve: Serve, tmp_path: Path) -> None:
    running = serve()
    sock = str(running.sock)
    lease = {"ip-address": "192.0.2.11", "hw-address": "02:00:00:00:00:01"}
    (tmp_path / "args.json").write_text("// a comment, as Kea allows\n" + json.dumps(lease))
    assert ctl("lease4-add", "--socket", sock, "--args-file", str(tmp_path / "args.json")).returncode == 0
    got = ctl("lease4-get", "--socket", sock, "--args-file", "-", stdin='{"ip-address": "192.0.2.11"}')
    assert got.returncode == 0 and json.loads(got.stdout)["arguments"]["hw-address"] == "02:00:00:00:00:01"


def test_bad_invocations_say_why_without_traceback(tmp_path: Path) -> None:
    cases = [
        (("status-get", "--socket", str(tmp_path / "none.sock")), "no control socket at"),
        (("status-get", "--socket", "/dev/null"), "edge-dhcp ctl:"),
        (("lease4-get", "--socket", "x", "--args", "{oops"), "--args: invalid JSON"),
        (("lease4-get", "--socket", "x", "--args", "[1]"), "must be a JSON object"),
        (("status-get", "--url", "http://127.0.0.1:9/"), "cannot reach http://127.0.0.1:9/"),
        (("status-get", "--socket", "x", "--user", "a"), "--user and --password-file are for --url"),
    ]
    for argv, message in cases:
        done = ctl(*argv)
        assert done.returncode == NO_ANSWER, (argv, done)
        assert message in done.stderr and "Traceback" not in done.stderr, (argv, done.stderr)


def test_socket_found_in_the_configuration_file(serve: Serve, tmp_path: Path) -> None:
    running = serve()
    path = tmp_path / "edge.json"
    path.write_text(json.dumps(document(running.sock)))
    done = ctl("status-get", "-c", str(path))
    assert done.returncode == 0 and json.loads(done.stdout)["result"] == 0


def test_url_with_user_and_password_file(serve: Serve, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("s3cret\n")
    auth = {"type": "basic", "clients": [{"user": "admin", "password": "s3cret"}]}
    running = serve(http={"authentication": auth})
    assert running.url is not None
    ok = ctl("status-get", "--url", running.url, "--user", "admin", "--password-file", str(tmp_path / "pw"))
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "wrong").write_text("nope")
    denied = ctl(
        "status-get", "--url", running.url, "--user", "admin", "--password-file", str(tmp_path / "wrong")
    )
    assert denied.returncode == NO_ANSWER and "HTTP 401 Unauthorized" in denied.stderr


def test_default_socket_is_the_builtin_defaults(monkeypatch: object) -> None:
    from edge.control.client import _target
    from edge.dhcp4.defaults import DEFAULT_CONTROL_SOCKET

    args = build_parser().parse_args(["ctl", "status-get"])
    assert _target(args, FILES4) == ("unix", DEFAULT_CONTROL_SOCKET)


def _answering_unix(path: Path, got: list[dict[str, Any]]) -> threading.Thread:
    """A one-shot stand-in control socket: records the command it is sent, answers result 0."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    listener.settimeout(30)

    def answer() -> None:
        with listener, listener.accept()[0] as conn:
            got.append(json.loads(conn.recv(65536)))
            conn.sendall(b'{"result": 0, "text": "ok"}')

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


def test_a_dhcp6_file_names_the_dhcpv6_socket(tmp_path: Path) -> None:
    # Once `ctl -c` read every file as Dhcp4: a Dhcp6 file's control socket was never found.
    sock = tmp_path / "v6.sock"
    path = tmp_path / "edge-dhcp6.json"
    control = {"socket-type": "unix", "socket-name": str(sock)}
    path.write_text(json.dumps({"Dhcp6": {"control-socket": control, "subnet6": []}}))
    got: list[dict[str, Any]] = []
    thread = _answering_unix(sock, got)
    done = ctl("lease6-get-all", "-c", str(path))
    thread.join(10)
    assert done.returncode == 0, done.stderr
    assert got == [{"command": "lease6-get-all"}]


def test_dhcpv6_through_a_control_agent_names_service_dhcp6(tmp_path: Path) -> None:
    bodies: list[dict[str, Any]] = []

    class Agent(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            answer = b'[{"result": 0, "text": "ok"}]'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    agent = http.server.HTTPServer(("127.0.0.1", 0), Agent)
    thread = threading.Thread(target=agent.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{agent.server_address[1]}/"
        assert ctl("status-get", "--url", url, "-6").returncode == 0
        assert ctl("status-get", "--url", url).returncode == 0
    finally:
        agent.shutdown()
        agent.server_close()
    assert [body["service"] for body in bodies] == [["dhcp6"], ["dhcp4"]]
