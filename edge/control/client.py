"""`edge-dhcp ctl`: send one command to a running server (or to Kea) and print the answer.

Rules this module keeps:
- Speaks exactly what the server speaks (and what Kea speaks): over a Unix socket one JSON command, the
  answer read until the server closes; over HTTP(S) `POST /` with `"service": ["dhcp4"]`, so the same
  command also works through Kea's Control Agent (`"service": ["dhcp6"]` for the DHCPv6 family: `-6`, or a
  Dhcp6 file given with -c), and the first answer of the returned list is printed.
- The answer is printed as JSON: indented when stdout is a terminal, one line otherwise (for scripts and
  `jq`). The exit status is the answer's `result` (0 success, 1 error, 2 unsupported command, 3 nothing
  found, 4 conflict), and 5 when no answer came (cannot connect, timeout, not JSON), with the reason on
  stderr. Never a traceback.
- Where to connect: `--socket PATH` or `--url URL`; else the first control socket of `-c CONFIG`; else
  the built-in default's socket path (the family's: edge/dhcp4/defaults.py DEFAULT_CONTROL_SOCKET).
- Passwords come from a file (`--password-file`), never from the command line where `ps` shows them.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # ssl and urllib are imported when used: `edge-dhcp --help` stays quick on a Pi
    import ssl

    from edge.config.family import FamilyFiles

__all__ = ["NO_ANSWER", "add_arguments", "run_ctl", "send_http", "send_unix"]

NO_ANSWER = 5
MAX_ANSWER_BYTES = 256 * 1024 * 1024


class CtlError(Exception):
    """No usable answer; the message is for the user."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "ctl_command", metavar="COMMAND", help="the command, e.g. status-get, lease4-get, config-reload"
    )
    given = parser.add_mutually_exclusive_group()
    given.add_argument(
        "--args", metavar="JSON", help='the arguments as a JSON object, e.g. \'{"ip-address": "192.0.2.10"}\''
    )
    given.add_argument(
        "--args-file", metavar="FILE", help="read the arguments (a JSON object) from FILE; - is stdin"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--socket", metavar="PATH", help="the server's unix control socket")
    where.add_argument("--url", metavar="URL", help="an http(s) control socket, e.g. http://127.0.0.1:8000/")
    parser.add_argument(
        "-c", "--config", help="find the control socket in this configuration file (Dhcp4 or Dhcp6)"
    )
    parser.add_argument(
        "-6",
        "--dhcp6",
        action="store_true",
        help="the DHCPv6 server: its default socket, and service dhcp6 for a Control Agent "
        "(implied by a Dhcp6 file given with -c)",
    )
    parser.add_argument("--user", help="basic-authentication user (with --url)")
    parser.add_argument(
        "--password-file", metavar="FILE", help="file holding the basic-authentication password"
    )
    parser.add_argument("--ca", metavar="FILE", help="https: CA certificate(s) to verify the server with")
    parser.add_argument("--cert", metavar="FILE", help="https: client certificate")
    parser.add_argument("--key", metavar="FILE", help="https: client private key")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the answer (default 60)"
    )


def _arguments(ns: argparse.Namespace) -> dict[str, Any] | None:
    text: str | None = None
    if ns.args is not None:
        text, where = ns.args, "--args"
    elif ns.args_file is not None:
        where = ns.args_file
        try:
            if ns.args_file == "-":
                text = sys.stdin.read()
            else:
                with open(ns.args_file, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CtlError(f"cannot read {ns.args_file}: {getattr(exc, 'strerror', None) or exc}") from None
    if text is None:
        return None
    from edge.control.protocol import RequestError, parse_value

    try:
        value = parse_value(text)
    except RequestError as exc:
        raise CtlError(f"{where}: {exc}") from None
    if not isinstance(value, dict):
        raise CtlError(f'{where}: the arguments must be a JSON object, e.g. {{"ip-address": "192.0.2.10"}}')
    return value


def _target(ns: argparse.Namespace, family: FamilyFiles) -> tuple[str, str]:
    """("unix", path) or ("http", url)."""
    if ns.socket:
        return "unix", ns.socket
    if ns.url:
        return "http", ns.url
    if not ns.config:
        return "unix", family.default_control_socket
    from edge.config.errors import ConfigError
    from edge.config.loader import load_file

    try:
        config = load_file(ns.config, (family.dialect,))
    except ConfigError as exc:
        raise CtlError(f"cannot read the control socket from {ns.config}:\n{exc}") from None
    for spec in config.control_sockets:
        if spec.socket_type == "unix" and spec.socket_name:
            return "unix", spec.socket_name
    for spec in config.control_sockets:
        host = f"[{spec.socket_address}]" if ":" in spec.socket_address else spec.socket_address
        return "http", f"{spec.socket_type}://{host}:{spec.socket_port}/"
    raise CtlError(f"{ns.config} configures no control socket; give --socket or --url")


def send_unix(path: str, request: dict[str, Any], timeout: float = 60.0) -> Any:
    """Send one command over a unix socket and return the decoded answer."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(path)
        except FileNotFoundError:
            raise CtlError(f"no control socket at {path} (is the server running? see --socket)") from None
        except PermissionError:
            raise CtlError(
                f'not allowed to use {path} (it is mode 0600: run as its owner, or configure "socket-group")'
            ) from None
        except ConnectionRefusedError:
            raise CtlError(
                f"nobody is listening on {path} (a stale socket file: is the server running?)"
            ) from None
        sock.sendall(json.dumps(request).encode())
        chunks: list[bytes] = []
        size = 0
        while True:
            data = sock.recv(1 << 20)
            if not data:
                break
            chunks.append(data)
            size += len(data)
            if size > MAX_ANSWER_BYTES:
                raise CtlError("the answer is implausibly large; giving up")
    except TimeoutError:
        raise CtlError(f"no answer from {path} within {timeout:g} s") from None
    except OSError as exc:
        raise CtlError(f"{path}: {exc.strerror or exc}") from None
    finally:
        sock.close()
    return _decode(b"".join(chunks), path)


def send_http(
    url: str,
    request: dict[str, Any],
    user: str | None = None,
    password: str | None = None,
    timeout: float = 60.0,
    context: ssl.SSLContext | None = None,
    service: str = "dhcp4",
) -> Any:
    """POST one command to an http(s) control socket (edge-dhcp's, or Kea's Control Agent, which passes it
    to the daemon `service` names: dhcp4 or dhcp6)."""
    import base64
    import urllib.error
    import urllib.request

    body = json.dumps({**request, "service": [service]}).encode()
    headers = {"Content-Type": "application/json"}
    if user is not None:
        secret = f"{user}:{password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(secret).decode("ascii")
    http_request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(http_request, timeout=timeout, context=context) as response:
            data = response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        detail = exc.read(4096).decode("utf-8", errors="replace").strip()
        raise CtlError(f"{url}: HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")) from None
    except urllib.error.URLError as exc:
        raise CtlError(f"cannot reach {url}: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise CtlError(f"{url}: {exc}") from None
    value = _decode(data, url)
    if isinstance(value, list):
        if not value:
            raise CtlError(f"{url} answered an empty list")
        return value[0]
    return value


def _decode(data: bytes, where: str) -> Any:
    if not data.strip():
        raise CtlError(f"{where} closed the connection without an answer")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise CtlError(f"{where} answered something that is not JSON: {data[:200]!r}") from None


def _tls_context(ns: argparse.Namespace) -> ssl.SSLContext | None:
    if not (ns.ca or ns.cert):
        return None
    import ssl

    context = ssl.create_default_context(cafile=ns.ca)
    if ns.cert:
        context.load_cert_chain(ns.cert, ns.key)
    return context


def run_ctl(
    ns: argparse.Namespace, family: FamilyFiles, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        request: dict[str, Any] = {"command": ns.ctl_command}
        arguments = _arguments(ns)
        if arguments is not None:
            request["arguments"] = arguments
        kind, where = _target(ns, family)
        if kind == "unix":
            if ns.user or ns.password_file:
                raise CtlError(
                    "--user and --password-file are for --url (a unix socket is guarded by its file mode)"
                )
            value = send_unix(where, request, ns.timeout)
        else:
            password = None
            if ns.password_file:
                try:
                    with open(ns.password_file, encoding="utf-8") as handle:
                        password = handle.read().rstrip("\r\n")
                except OSError as exc:
                    raise CtlError(f"cannot read {ns.password_file}: {exc.strerror}") from None
            if password is not None and not ns.user:
                raise CtlError("--password-file needs --user")
            try:
                context = _tls_context(ns)
            except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
                raise CtlError(f"TLS setup: {exc}") from None
            service = family.dialect.root.lower()  # "dhcp4" / "dhcp6", Kea's service names
            value = send_http(where, request, ns.user, password, ns.timeout, context, service)
    except CtlError as exc:
        print(f"edge-dhcp ctl: {exc}", file=err)
        return NO_ANSWER
    pretty = hasattr(out, "isatty") and out.isatty()
    print(json.dumps(value, indent=2) if pretty else json.dumps(value), file=out)
    result = value.get("result") if isinstance(value, dict) else None
    if not isinstance(result, int) or isinstance(result, bool):
        print('edge-dhcp ctl: the answer has no numeric "result"', file=err)
        return NO_ANSWER
    return 0 if result == 0 else max(1, min(result, 4))
