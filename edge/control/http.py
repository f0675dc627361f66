"""The control channel over HTTP(S), as Kea's Control Agent speaks it: `POST /` with one JSON command,
answered with a JSON list of responses.

Rules this module keeps:
- One request per connection, answered with `Connection: close` (every Kea client copes; it keeps the
  per-connection state to one request's worth).
- The order of checks is fixed so that nothing is read or run for a client that may not ask: TLS
  handshake (client certificate when `cert-required`), then the request head (at most MAX_HEAD_BYTES,
  else 431), then basic authentication (401, body not read, nothing run), then the method (POST only,
  else 405 with `Allow: POST`), `Transfer-Encoding` (501), `Content-Length` (411 missing, 413 over
  MAX_COMMAND_BYTES), `Content-Type` (415 unless application/json: that also makes a browser's
  cross-site request need a CORS preflight, which is never granted), then the body (400 if it is not
  a command). A client that does not finish within the deadline gets 408.
- Errors of the HTTP layer are answered as Kea's agent answers them: the HTTP status, and a JSON body
  `{"result": <status>, "text": "<reason>"}`. A command's own failure is HTTP 200 with result != 0 in
  the list, as in Kea.
- `service`: absent or [] or ["dhcp4"] is this server; any other service gets, in its place in the
  list, the error Kea's agent gives for a service it has no socket for.
- Passwords are compared in constant time (hmac.compare_digest) against every configured client.
- Web routes (routes.py; the dashboard fills them): once authentication has passed, a GET or HEAD whose
  path a route names is that route's; so is a POST to a routed path other than `/`, after the same body
  checks as a command. Without routes, or for any other method and path, everything above holds
  unchanged (`POST /` is always the command API). A routed GET on a listener without authentication
  (loopback only) must name a loopback host or an IP literal in `Host`, so a page elsewhere cannot reach
  it through a DNS name rebound to 127.0.0.1.

Theory of operation: HttpConnection is a small state machine (handshake -> head -> body -> answer),
driven by readiness callbacks from the server loop; see service.py for the connection life cycle.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hmac
import logging
import os
import socket
import ssl
from typing import Any

from edge import __version__
from edge.config.model import ControlSocket
from edge.control.protocol import (
    ERROR,
    MAX_COMMAND_BYTES,
    Request,
    answer,
    encode_answer,
)
from edge.control.routes import RouteHandler, WebRequest, WebResponse
from edge.control.transport import READS_PER_WAKEUP, Connection, ControlError, Host, Listener

__all__ = ["HttpListener", "open_http", "tls_context"]

log = logging.getLogger("edge.control")

MAX_HEAD_BYTES = 16384
REASONS = {
    100: "Continue",
    200: "OK",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


class HttpSettings:
    """What an HTTP listener checks per request; rebuilt on reconfiguration."""

    __slots__ = ("spec", "tls", "secrets", "realm", "headers", "authenticated")

    def __init__(self, spec: ControlSocket) -> None:
        self.spec = spec
        self.tls = tls_context(spec) if spec.socket_type == "https" else None
        self.secrets = tuple(secret.encode("utf-8") for secret in spec.credentials)
        self.realm = spec.realm.replace('"', "'")
        self.headers = spec.http_headers
        self.authenticated = spec.authenticated

    def authorized(self, header: str | None) -> bool:
        if not self.secrets:
            return True
        if not header:
            return False
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        ok = False
        for secret in self.secrets:  # no early exit: the time taken does not tell which one matched
            ok |= hmac.compare_digest(given, secret)
        return ok


def tls_context(spec: ControlSocket) -> ssl.SSLContext:
    """A server TLS context from Kea's trust-anchor / cert-file / key-file / cert-required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(spec.cert_file or "", spec.key_file or "")
        if spec.trust_anchor:
            if os.path.isdir(spec.trust_anchor):
                context.load_verify_locations(capath=spec.trust_anchor)
            else:
                context.load_verify_locations(cafile=spec.trust_anchor)
    except (OSError, ssl.SSLError) as exc:
        raise ControlError(
            f"cannot set up TLS for the https control socket on {spec.socket_address}:{spec.socket_port}: {exc}"
        ) from None
    if spec.trust_anchor:
        context.verify_mode = ssl.CERT_REQUIRED if spec.cert_required else ssl.CERT_OPTIONAL
    else:
        context.verify_mode = ssl.CERT_NONE
    return context


class HttpListener(Listener):
    kind = "http"

    def __init__(
        self, service: Host, spec: ControlSocket, sock: socket.socket, settings: HttpSettings
    ) -> None:
        super().__init__(service, spec, sock)
        self.settings = settings

    @property
    def key(self) -> tuple[Any, ...]:
        return ("tcp", self.spec.socket_address, self.spec.socket_port)

    def describe(self) -> str:
        host = self.spec.socket_address
        if ":" in host:
            host = f"[{host}]"
        return f"{self.spec.socket_type}://{host}:{self.spec.socket_port}/"

    def prepare_settings(self, spec: ControlSocket) -> Any:
        return HttpSettings(spec)

    def apply_settings(self, spec: ControlSocket, settings: Any) -> None:
        self.spec = spec
        self.settings = settings

    def connect(self, conn: socket.socket, peer: Any) -> HttpConnection:
        label = f"{self.describe()} from {peer[0]}"
        if self.settings.tls is not None:
            wrapped = self.settings.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            return HttpConnection(self.service, wrapped, label, self.settings, handshake=True)
        return HttpConnection(self.service, conn, label, self.settings, handshake=False)

    def refuse(self, conn: socket.socket) -> None:
        if self.settings.tls is None:
            try:  # one non-blocking attempt; a 503 beats a silent reset
                conn.send(
                    _response(
                        503,
                        {"result": 503, "text": "Service Unavailable: too many connections"},
                        self.settings,
                    )
                )
            except OSError:
                pass
        super().refuse(conn)


def open_http(service: Host, spec: ControlSocket) -> HttpListener:
    settings = HttpSettings(spec)
    family = socket.AF_INET6 if ":" in spec.socket_address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((spec.socket_address, spec.socket_port))
        sock.listen(16)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ControlError(
            f"cannot open {spec.socket_type} control socket on {spec.socket_address} port {spec.socket_port}: "
            f"{exc.strerror or exc}"
        ) from None
    return HttpListener(service, spec, sock, settings)


def _response(
    status: int, body: Any, settings: HttpSettings | None, extra: tuple[tuple[str, str], ...] = ()
) -> bytes:
    return _message(status, encode_answer(body), "application/json", settings, extra)


def _message(
    status: int,
    payload: bytes,
    content_type: str,
    settings: HttpSettings | None,
    extra: tuple[tuple[str, str], ...] = (),
    head_only: bool = False,
) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(payload)}",
        f"Date: {email.utils.formatdate(usegmt=True)}",
        f"Server: edge-dhcp/{__version__}",
        "Connection: close",
    ]
    lines.extend(f"{name}: {value}" for name, value in extra)
    if settings is not None:
        lines.extend(f"{name}: {value}" for name, value in settings.headers)
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
    return head if head_only else head + payload


def _loopback_or_literal(host_header: str | None) -> bool:
    """`Host` names localhost or an IP literal (with or without a port): not a DNS name that could have
    been rebound to this machine by someone else's page."""
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):  # [v6]:port
        return "]" in host
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name in ("localhost", "localhost."):
        return True
    import ipaddress

    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HttpConnection(Connection):
    def __init__(self, service: Host, sock: Any, label: str, settings: HttpSettings, handshake: bool) -> None:
        super().__init__(service, sock, label)
        self.settings = settings
        self.handshaking = handshake
        self.head = bytearray()
        self.body = bytearray()
        self.length: int | None = None
        self.route: RouteHandler | None = None  # a POST to a routed path (not `/`): the route's
        self.request: WebRequest | None = None

    # -- transport
    def on_event(self, fd: int) -> None:
        if self.closed:
            return
        try:
            if self.handshaking:
                self.handshake()
            elif self.lingering:
                self.drain()
            elif self.writing:
                self.flush()
            else:
                self.read()
        except Exception:
            log.exception("COMMAND_SOCKET_CONNECTION_FAIL %s: connection failed", self.label)
            self.close()

    def handshake(self) -> None:
        try:
            self.sock.do_handshake()
        except ssl.SSLWantReadError:
            self._want_write(False)
            return
        except ssl.SSLWantWriteError:
            self._want_write(True)
            return
        except (ssl.SSLError, OSError) as exc:
            log.warning("COMMAND_HTTPS_TLS_FAIL %s: TLS handshake failed: %s", self.label, exc)
            self.close()
            return
        self.handshaking = False
        self._want_write(False)
        self.read()  # data may already be decrypted and waiting

    def send_some(self, data: bytes) -> int:
        try:
            return int(self.sock.send(data))
        except ssl.SSLWantWriteError:
            raise BlockingIOError from None
        except ssl.SSLWantReadError:
            return 0

    def recv_blocked(self, exc: OSError) -> bool:
        # ssl's "want" errors are OSErrors too: they mean wait, not fail
        if isinstance(exc, ssl.SSLWantWriteError):  # TLS renegotiation: read on once writable
            self._want_write(True)
            return True
        return isinstance(exc, ssl.SSLWantReadError) or super().recv_blocked(exc)

    def read(self) -> None:
        for _ in range(READS_PER_WAKEUP):
            data = self.recv_some()
            if data is None:
                return
            if not data:
                if self.head or self.body:
                    self.error(400, "the request ended before it was complete")
                else:
                    self.close()
                return
            if self.length is None:
                self.head += data
                if not self.take_head():
                    return
            else:
                self.body += data
            if self.length is not None and len(self.body) >= self.length:
                self.run(bytes(self.body[: self.length]))
                return

    # -- request handling
    def take_head(self) -> bool:
        """Parse the head once it is complete; False while incomplete or when already answered."""
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            if len(self.head) > MAX_HEAD_BYTES:
                self.error(431, f"the request head is larger than {MAX_HEAD_BYTES} bytes")
            return False
        if end > MAX_HEAD_BYTES:
            self.error(431, f"the request head is larger than {MAX_HEAD_BYTES} bytes")
            return False
        head = bytes(self.head[:end]).decode("latin-1")
        rest = bytes(self.head[end + 4 :])
        self.head = bytearray()
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self.error(400, "malformed request line")
            return False
        method, target, version = parts
        if version not in ("HTTP/1.0", "HTTP/1.1"):
            self.error(505, f"{version[:20]} is not supported; use HTTP/1.1")
            return False
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                self.error(400, "malformed header line")
                return False
            name = name.lower()
            value = value.strip()
            if name in headers and name == "content-length" and headers[name] != value:
                self.error(400, "conflicting Content-Length headers")
                return False
            headers[name] = value
        if not self.settings.authorized(headers.get("authorization")):
            log.warning(
                "COMMAND_HTTP_AUTH_FAIL %s: %s",
                self.label,
                "wrong credentials" if "authorization" in headers else "no credentials",
            )
            self.reply_http(
                401,
                {"result": 401, "text": "Unauthorized"},
                (("WWW-Authenticate", f'Basic realm="{self.settings.realm}"'),),
            )
            return False
        routes = self.service.routes
        if routes:
            path, query = WebRequest.parse_target(target)
            route = None if (method, path) == ("POST", "/") else routes.find(method, path)
            if route is not None:
                request = WebRequest(method, path, query, headers, b"", self.label)
                if method != "POST":
                    self.serve(route, request)
                    return False
                self.route, self.request = route, request
            elif method in ("GET", "HEAD"):
                self.error(404, f"no page at {path[:80]}")
                return False
        if method != "POST":
            allow = ", ".join(sorted(routes.methods() | {"POST"})) if routes else "POST"
            self.reply_http(
                405,
                {"result": 405, "text": f"Method Not Allowed: use POST, not {method[:20]}"},
                (("Allow", allow),),
            )
            return False
        if "transfer-encoding" in headers:
            self.error(501, "Transfer-Encoding is not supported: send the body with a Content-Length")
            return False
        length_text = headers.get("content-length")
        if length_text is None:
            self.error(411, "a Content-Length header is required")
            return False
        if not length_text.isdigit():
            self.error(400, "Content-Length is not a number")
            return False
        length = int(length_text)
        if length > MAX_COMMAND_BYTES:
            self.error(413, f"the command is larger than {MAX_COMMAND_BYTES // 1024 // 1024} MiB")
            return False
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            self.error(415, 'send the command with "Content-Type: application/json"')
            return False
        if headers.get("expect", "").lower() == "100-continue":
            try:  # curl waits for this before sending a large body
                self.send_some(b"HTTP/1.1 100 Continue\r\n\r\n")
            except OSError:
                pass
        self.length = length
        self.body = bytearray(rest)
        if len(self.body) >= length:
            self.run(bytes(self.body[:length]))
            return False
        return True

    def serve(self, route: RouteHandler, request: WebRequest) -> None:
        """Answer a request with its route."""
        if not self.settings.authenticated and not _loopback_or_literal(request.headers.get("host")):
            self.error(
                403, "this listener asks no password, so its pages answer only to a loopback or IP host"
            )
            return
        try:
            response = route(request)
        except Exception:
            log.exception(
                "COMMAND_HTTP_ROUTE_FAIL %s: %s %s failed", self.label, request.method, request.path
            )
            response = WebResponse(
                500, encode_answer({"result": 500, "text": "Internal Server Error: see the server's log"})
            )
        self.respond(
            _message(
                response.status,
                response.body,
                response.content_type,
                self.settings,
                response.headers,
                head_only=request.method == "HEAD",
            )
        )

    def run(self, body: bytes) -> None:
        if self.route is not None and self.request is not None:
            head = self.request
            self.serve(
                self.route, WebRequest(head.method, head.path, head.query, head.headers, body, head.origin)
            )
            return
        self.parse_then(body, None, self.run_request, lambda message: self.error(400, message))

    def run_request(self, request: Request) -> None:
        if self.closed:
            return
        ours_name = self.service.service_name  # "dhcp4" or "dhcp6": the family this listener serves
        services = request.service or [ours_name]
        if ours_name in services:
            reply = self.service.execute(request, self.label)
            after = reply.after
            ours = reply.answer
        else:
            after, ours = None, None
        answers = [
            ours
            if name == ours_name
            else answer(ERROR, f"forwarding socket is not configured for the server type {name}")
            for name in services
        ]
        self.reply_http(200, answers, after=after)

    def error(self, status: int, reason: str) -> None:
        self.reply_http(status, {"result": status, "text": f"{REASONS.get(status, 'Error')}: {reason}"})

    def reply_http(
        self, status: int, body: Any, extra: tuple[tuple[str, str], ...] = (), after: Any = None
    ) -> None:
        self.respond(_response(status, body, self.settings, extra), after)

    def expired(self) -> None:
        if not self.writing and not self.handshaking and not self.lingering:
            try:
                self.send_some(_response(408, {"result": 408, "text": "Request Timeout"}, self.settings))
            except OSError:
                pass
        self.close()
