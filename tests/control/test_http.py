"""The HTTP(S) control socket: Kea Control Agent framing, HTTP errors, basic auth, TLS, slow clients.

A real Server loop in a thread, listening on 127.0.0.1 at a free port; requests are written by hand
(to send exactly the malformed thing under test) or with urllib through edge.control.client.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edge.config.errors import ConfigError
from edge.control import service as service_module
from edge.control import transport as transport_module
from edge.control.client import CtlError, send_http
from edge.dhcp4.config import load_data
from tests.control.helpers import Running, document, free_port, start

Serve = Callable[..., Running]


def request(
    port: int, data: bytes, *, wrap: Callable[[socket.socket], Any] | None = None, half_close: bool = False
) -> tuple[int, dict[str, str], Any]:
    """Send raw bytes; return (status, headers, decoded JSON body)."""
    sock: Any = socket.create_connection(("127.0.0.1", port), timeout=10)
    if wrap is not None:
        sock = wrap(sock)
    try:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        sock.close()
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 100 "):  # an interim answer to Expect: 100-continue
        head, _, body = body.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    assert int(headers["content-length"]) == len(body)
    return status, headers, json.loads(body)


def post(
    body: bytes,
    *,
    content_type: str = "application/json",
    extra: str = "",
    method: str = "POST",
    length: int | None = None,
) -> bytes:
    size = len(body) if length is None else length
    return (
        f"{method} / HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {size}\r\n"
        f"{extra}\r\n"
    ).encode() + body


def port_of(running: Running) -> int:
    assert running.url is not None
    return int(running.url.rsplit(":", 1)[1].strip("/"))


# ----------------------------------------------------------------------------------------- framing


def test_answers_are_a_list_as_from_kea_control_agent(serve: Serve) -> None:
    running = serve(http={})
    port = port_of(running)
    for service in (None, [], ["dhcp4"]):
        command: dict[str, Any] = {"command": "status-get"}
        if service is not None:
            command["service"] = service
        status, headers, body = request(port, post(json.dumps(command).encode()))
        assert status == 200 and headers["content-type"] == "application/json"
        assert headers["connection"] == "close"
        assert isinstance(body, list) and len(body) == 1 and body[0]["result"] == 0
        assert "pid" in body[0]["arguments"]
    status, _, body = request(port, post(b'{"command": "version-get", "service": ["dhcp4", "dhcp6"]}'))
    assert status == 200 and body[0]["result"] == 0
    assert body[1] == {"result": 1, "text": "forwarding socket is not configured for the server type dhcp6"}
    # A command's failure is HTTP 200 with the result in the list, as in Kea.
    status, _, body = request(port, post(b'{"command": "nope"}'))
    assert status == 200 and body == [{"result": 2, "text": "'nope' command not supported."}]


def test_the_real_client_over_http(serve: Serve) -> None:
    running = serve(http={})
    got = running.http("lease4-add", {"ip-address": "192.0.2.11", "hw-address": "02:00:00:00:00:01"})
    assert got == {"result": 0, "text": "Lease for address 192.0.2.11, subnet-id 1 added."}
    assert running.call("lease4-get", {"ip-address": "192.0.2.11"})["result"] == 0


@pytest.mark.parametrize(
    ("data", "status", "text"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 405, "Method Not Allowed: use POST, not GET"),
        (b"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n", 405, "Method Not Allowed"),
        (post(b"{not json"), 400, "Bad Request: invalid JSON"),
        (post(b'{"command": 7}'), 400, "'command' must be a non-empty string"),
        (post(b"[]"), 400, "a command must be a JSON object"),
        (
            b"POST / HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{}",
            411,
            "Content-Length header is required",
        ),
        (post(b"", length=50_000_000), 413, "larger than 8 MiB"),
        (post(b'{"command": "status-get"}', content_type="text/plain"), 415, "application/json"),
        (post(b"{}", extra="Transfer-Encoding: chunked\r\n"), 501, "Transfer-Encoding is not supported"),
        (b"POST / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "use HTTP/1.1"),
        (b"BREW\r\n\r\n", 400, "malformed request line"),
        (b"POST / HTTP/1.1\r\nbad header\r\n\r\n", 400, "malformed header line"),
        (b"POST / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", 431, "larger than 16384 bytes"),
        (post(b"{}", extra="Content-Length: 9\r\n"), 400, "conflicting Content-Length headers"),
    ],
)
def test_http_errors(serve: Serve, data: bytes, status: int, text: str) -> None:
    running = serve(http={})
    got_status, headers, body = request(port_of(running), data)
    assert got_status == status
    assert body["result"] == status and text in body["text"], body
    if status == 405:
        assert headers["allow"] == "POST"
    assert running.call("status-get")["result"] == 0  # still serving


def test_request_ending_early_is_400(serve: Serve) -> None:
    running = serve(http={})
    status, _, body = request(port_of(running), post(b'{"command"', length=100), half_close=True)
    assert status == 400 and "ended before it was complete" in body["text"]


def test_expect_100_continue_as_curl_sends_it(serve: Serve) -> None:
    running = serve(http={})
    data = post(b'{"command": "status-get"}', extra="Expect: 100-continue\r\n")
    status, _, body = request(port_of(running), data)
    assert status == 200 and body[0]["result"] == 0


def test_configured_http_headers_are_sent(serve: Serve) -> None:
    running = serve(
        http={"http-headers": [{"name": "Strict-Transport-Security", "value": "max-age=31536000"}]}
    )
    _, headers, _ = request(port_of(running), post(b'{"command": "status-get"}'))
    assert headers["strict-transport-security"] == "max-age=31536000"


def test_slow_http_client_gets_408_and_others_are_served(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport_module, "REQUEST_TIMEOUT", 1.0)
    monkeypatch.setattr(service_module, "SWEEP_INTERVAL", 0.1)
    running = serve(http={})
    port = port_of(running)
    slow = socket.create_connection(("127.0.0.1", port), timeout=10)
    slow.sendall(b"POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    assert running.http("status-get")["result"] == 0  # answered while the slow one waits
    assert [c for c in running.server.control.connections if c.length == 100]
    data = b""
    while chunk := slow.recv(65536):
        data += chunk
    slow.close()
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")


# ----------------------------------------------------------------------------------------- authentication


@pytest.fixture
def secured(serve: Serve, tmp_path: Path) -> Running:
    secret = tmp_path / "admin.pw"
    secret.write_text("correct horse\n")
    secret.chmod(0o600)
    auth = {
        "type": "basic",
        "realm": "edge-test",
        "clients": [{"user": "admin", "password-file": str(secret)}, {"user": "ro", "password": "x"}],
    }
    return serve(http={"authentication": auth})


def test_basic_auth_right_password(secured: Running) -> None:
    assert secured.http("status-get", user="admin", password="correct horse")["result"] == 0
    assert secured.http("status-get", user="ro", password="x")["result"] == 0


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic YWRtaW46d3Jvbmc=", "Basic !!!", "Bearer abc", "Basic " + "YWRtaW46Y29ycmVjdCBob3JzZQ"],
)
def test_wrong_password_is_401_and_changes_nothing(secured: Running, authorization: str | None) -> None:
    extra = f"Authorization: {authorization}\r\n" if authorization else ""
    command = b'{"command": "lease4-add", "arguments": {"ip-address": "192.0.2.11", "hw-address": "02:00:00:00:00:01"}}'
    status, headers, body = request(port_of(secured), post(command, extra=extra))
    assert status == 401 and body == {"result": 401, "text": "Unauthorized"}
    assert headers["www-authenticate"] == 'Basic realm="edge-test"'
    assert len(secured.server.store) == 0  # the command did not run


def test_wrong_password_through_the_client(secured: Running) -> None:
    with pytest.raises(CtlError, match="HTTP 401 Unauthorized"):
        secured.http("status-get", user="admin", password="wrong")


def test_non_loopback_http_without_authentication_is_refused(tmp_path: Path) -> None:
    doc = document(http={"socket-address": "0.0.0.0", "socket-port": 8000})
    with pytest.raises(ConfigError) as caught:
        load_data(doc)
    text = str(caught.value)
    assert "Dhcp4.control-sockets[0].socket-address" in text
    assert 'answers the whole network, so it needs "authentication"' in text
    assert '"password-file"' in text and 'bind it to "127.0.0.1"' in text


def test_edge_dhcp_check_and_serve_refuse_it_with_the_how_to(tmp_path: Path) -> None:
    path = tmp_path / "open.json"
    path.write_text(json.dumps(document(http={"socket-address": "192.0.2.1", "socket-port": 8000})))
    check = subprocess.run([*EDGE, "check", "-c", str(path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 1 and 'so it needs "authentication"' in check.stdout
    serve = subprocess.run(
        [*EDGE, "serve", "-c", str(path), "--lease-file", str(tmp_path / "l")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert serve.returncode == 1 and 'so it needs "authentication"' in serve.stderr + serve.stdout
    assert "Traceback" not in serve.stderr


EDGE = [sys.executable, "-m", "edge"]


def test_a_user_without_password_has_the_empty_password_as_in_kea() -> None:
    doc = document(http={"authentication": {"type": "basic", "clients": [{"user": "admin"}]}})
    assert load_data(doc).control_sockets[0].credentials == ("admin:",)


@pytest.mark.parametrize(
    ("client", "message"),
    [
        ({"password": "x"}, 'an authentication client needs "user" or "user-file"'),
        ({"user": "a:b", "password": "x"}, "must not contain a colon"),
        ({"user": "admin", "password-file": "/nonexistent/pw"}, 'cannot read "/nonexistent/pw"'),
    ],
)
def test_authentication_client_rules(client: dict[str, str], message: str) -> None:
    doc = document(http={"authentication": {"type": "basic", "clients": [client]}})
    with pytest.raises(ConfigError, match=message):
        load_data(doc)


def test_password_file_without_user_holds_user_and_password(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("ops:pa:ss\n")
    doc = document(
        http={
            "authentication": {
                "type": "basic",
                "directory": str(tmp_path),
                "clients": [{"password-file": "secret"}],
            }
        }
    )
    assert load_data(doc).control_sockets[0].credentials == ("ops:pa:ss",)


def test_world_readable_password_file_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("x")
    (tmp_path / "pw").chmod(0o644)
    doc = document(
        http={
            "authentication": {
                "type": "basic",
                "clients": [{"user": "a", "password-file": str(tmp_path / "pw")}],
            }
        }
    )
    assert any("can be read by every user" in warning for warning in map(str, load_data(doc).warnings))


# ----------------------------------------------------------------------------------------- TLS


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate."""
    d = tmp_path_factory.mktemp("pki")
    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=edge test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        cwd=d,
    )
    for name, extra in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        openssl(
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            f"/CN={name}",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            cwd=d,
        )
        (d / f"{name}.ext").write_text(extra + "\n")
        openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            f"{name}.ext",
            "-out",
            f"{name}.pem",
            cwd=d,
        )
    return d


def https(pki: Path, port: int, required: bool = True) -> dict[str, Any]:
    return {
        "socket-type": "https",
        "socket-port": port,
        "trust-anchor": str(pki / "ca.pem"),
        "cert-file": str(pki / "server.pem"),
        "key-file": str(pki / "server.key"),
        "cert-required": required,
    }


def start_https(tmp_path: Path, pki: Path, required: bool = True) -> tuple[Running, int]:
    port = free_port()
    doc = document(tmp_path / "ctrl.sock")
    doc["Dhcp4"]["control-sockets"].append(https(pki, port, required))
    return Running(load_data(doc), tmp_path / "ctrl.sock"), port


def client_context(pki: Path, with_cert: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    if with_cert:
        context.load_cert_chain(str(pki / "client.pem"), str(pki / "client.key"))
    return context


def test_https_with_client_certificate(tmp_path: Path, pki: Path) -> None:
    running, port = start_https(tmp_path, pki)
    try:
        url = f"https://127.0.0.1:{port}/"
        got = send_http(url, {"command": "status-get"}, context=client_context(pki, True))
        assert got["result"] == 0
        with pytest.raises(CtlError):  # no client certificate: the handshake fails, nothing runs
            send_http(url, {"command": "status-get"}, context=client_context(pki, False), timeout=5)
        assert running.call("status-get")["result"] == 0  # and the server is fine
    finally:
        running.stop()


def test_https_without_required_client_certificate(tmp_path: Path, pki: Path) -> None:
    running, port = start_https(tmp_path, pki, required=False)
    try:
        got = send_http(
            f"https://127.0.0.1:{port}/", {"command": "status-get"}, context=client_context(pki, False)
        )
        assert got["result"] == 0
    finally:
        running.stop()


def test_https_non_loopback_with_client_certificates_needs_no_basic_auth(pki: Path) -> None:
    doc = document(http=None)
    doc["Dhcp4"]["control-sockets"] = [{**https(pki, 8443), "socket-address": "0.0.0.0"}]
    assert load_data(doc).control_sockets[0].authenticated
    doc["Dhcp4"]["control-sockets"] = [{**https(pki, 8443, required=False), "socket-address": "0.0.0.0"}]
    with pytest.raises(ConfigError, match='needs "authentication"'):
        load_data(doc)


def test_tls_configuration_errors(pki: Path) -> None:
    def error_of(entry: dict[str, Any]) -> str:
        doc = document()
        doc["Dhcp4"]["control-sockets"] = [entry]
        with pytest.raises(ConfigError) as caught:
            load_data(doc)
        return str(caught.value)

    assert 'needs "trust-anchor"' in error_of({**https(pki, 8443), "trust-anchor": ""})
    assert 'use "socket-type": "https"' in error_of({**https(pki, 8443), "socket-type": "http"})
    assert 'cannot read "/nonexistent.pem"' in error_of({**https(pki, 8443), "cert-file": "/nonexistent.pem"})


def test_garbage_instead_of_a_tls_handshake(tmp_path: Path, pki: Path) -> None:
    running, port = start_https(tmp_path, pki)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
            deadline = time.monotonic() + 10
            data = b"x"
            while data and time.monotonic() < deadline:
                try:
                    data = sock.recv(1024)  # the server drops the connection
                except ConnectionResetError:
                    break
        assert running.call("status-get")["result"] == 0
    finally:
        running.stop()


def test_start_https_listener_refuses_a_bad_key(tmp_path: Path, pki: Path) -> None:
    (tmp_path / "bad.key").write_text("not a key")
    doc = document(tmp_path / "ctrl.sock")
    doc["Dhcp4"]["control-sockets"].append({**https(pki, free_port()), "key-file": str(tmp_path / "bad.key")})
    from edge.dhcp4.lease_store import MemoryLeaseStore4
    from edge.server.dhcp4 import Dhcp4Service as Server

    server = Server(load_data(doc), MemoryLeaseStore4())
    try:
        ok, message = server.open_control()
        assert not ok and "cannot set up TLS for the https control socket" in message
    finally:
        server.close()


def test_start_returns_running(tmp_path: Path) -> None:
    running = start(tmp_path, http={})
    try:
        assert running.http("status-get")["result"] == 0
    finally:
        running.stop()
