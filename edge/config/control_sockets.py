"""Control sockets (`control-socket`, Kea <= 2.6, or `control-sockets`, Kea >= 2.7): unix, http and https,
with basic authentication and TLS, as both of Kea 2.2's DHCP daemons configure them.

Rules this module keeps:
- A socket that answers the whole network must authenticate its clients; a loopback one need not.
- Secret files are read now, at load, as Kea reads them: a missing or unreadable file is a configuration
  error, not a locked-out operator later. World-readable secret files are warned about.
- Two entries naming the same socket are refused (the second could never bind).
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Any

from edge.config.context import BuildContext
from edge.config.errors import format_path
from edge.config.keys import CONTROL
from edge.config.model import ControlSocket
from edge.config.positions import KeyPath

__all__ = ["ControlSocketsPart"]

# Keys that only http(s) sockets take; the Linux limit on a unix socket path (sun_path is 108 bytes with
# its terminating NUL); the largest password or user file read.
HTTP_ONLY_KEYS = (
    "socket-address",
    "socket-port",
    "authentication",
    "trust-anchor",
    "cert-file",
    "key-file",
    "cert-required",
    "http-headers",
)
UNIX_PATH_MAX = 107
SECRET_FILE_MAX = 4096


class ControlSocketsPart(BuildContext):
    def control_sockets(self, g: dict[str, Any], root: KeyPath) -> tuple[ControlSocket, ...]:
        if "control-socket" in g and "control-sockets" in g:
            self.error(
                root + ("control-sockets",),
                'give "control-socket" (Kea 2.2) or "control-sockets", not both',
                at_key=True,
            )
            return ()
        if "control-socket" in g:
            entries: list[tuple[KeyPath, dict[str, Any]]] = [
                (root + ("control-socket",), g["control-socket"])
            ]
        else:
            entries = list(self.items(g, "control-sockets", root))
        out: list[ControlSocket] = []
        seen: dict[Any, KeyPath] = {}
        for path, c in entries:
            kind = c["socket-type"]
            raw = self.table.fill_defaults(c, CONTROL)
            if kind == "unix":
                socket = self.unix_control_socket(c, path, raw)
                if socket is None:
                    continue
                key: Any = ("unix", os.path.abspath(socket.socket_name or ""))
            else:
                socket = self.http_control_socket(c, kind, path, raw)
                if socket is None:
                    continue
                key = ("http", socket.socket_address, socket.socket_port)
            if key in seen:
                self.error(path, f"the same control socket is configured at {format_path(seen[key])}")
                continue
            seen[key] = path
            out.append(socket)
        return tuple(out)

    def unix_control_socket(
        self, c: dict[str, Any], path: KeyPath, raw: dict[str, Any]
    ) -> ControlSocket | None:
        name = c.get("socket-name", "")
        if not name.strip():
            self.error(path, 'a unix control socket needs "socket-name" (the socket file path)')
            return None
        if len(os.fsencode(os.path.abspath(name))) > UNIX_PATH_MAX:
            self.error(
                path + ("socket-name",),
                f"is longer than the {UNIX_PATH_MAX} bytes a unix socket path may have",
            )
        for key in HTTP_ONLY_KEYS:
            if key in c:
                self.error(
                    path + (key,), f'"{key}" applies to http and https control sockets, not unix', at_key=True
                )
        group = c.get("socket-group")
        if group is not None and not group.strip():
            self.error(path + ("socket-group",), "must name a group (or leave the key out for mode 0600)")
        return ControlSocket("unix", socket_name=name, raw=raw, socket_group=group or None)

    def http_control_socket(
        self, c: dict[str, Any], kind: str, path: KeyPath, raw: dict[str, Any]
    ) -> ControlSocket | None:
        for key in ("socket-name", "socket-group"):
            if key in c:
                self.error(
                    path + (key,),
                    f'"{key}" applies to unix control sockets; an {kind} socket is given by '
                    '"socket-address" and "socket-port"',
                    at_key=True,
                )
        address = c.get("socket-address", "127.0.0.1")
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            self.error(path + ("socket-address",), f'"{address}" is not an IP address')
            return None
        port = c.get("socket-port", 8000)
        trust, cert, key_file = self.tls_files(c, kind, path)
        credentials, realm = self.authentication(c, path)
        headers = tuple((h["name"], h["value"]) for h in c.get("http-headers") or () if h is not None)
        for index, (name, value) in enumerate(headers):
            if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name) or any(ch in value for ch in "\r\n"):
                self.error(path + ("http-headers", index), "is not a valid HTTP header name and value")
        socket = ControlSocket(
            kind,
            socket_address=str(ip),
            socket_port=port,
            raw=raw,
            credentials=credentials,
            realm=realm,
            trust_anchor=trust,
            cert_file=cert,
            key_file=key_file,
            cert_required=c.get("cert-required", True),
            http_headers=headers,
        )
        if not ip.is_loopback and not socket.authenticated:
            self.error(
                path + ("socket-address",),
                f"an {kind} control socket on {address} answers the whole network, so it needs "
                '"authentication": add "authentication": {"type": "basic", "clients": [{"user": "admin", '
                '"password-file": "/etc/edge-dhcp/control.pw"}]} to it (or use "socket-type": "https" with '
                'a "trust-anchor" and "cert-required": true), or bind it to "127.0.0.1"',
            )
        return socket

    def tls_files(
        self, c: dict[str, Any], kind: str, path: KeyPath
    ) -> tuple[str | None, str | None, str | None]:
        given = {key: c.get(key) or None for key in ("cert-file", "key-file", "trust-anchor")}
        if kind == "http":
            for key, value in given.items():
                if value is not None:
                    self.error(path + (key,), f'"{key}" is for TLS: use "socket-type": "https"', at_key=True)
            return None, None, None
        needed = ["cert-file", "key-file"]
        if c.get("cert-required", True):
            needed.append("trust-anchor")
        for key in needed:
            if given[key] is None:
                why = (
                    ' (the CA that signs client certificates; or set "cert-required": false)'
                    if key == "trust-anchor"
                    else ""
                )
                self.error(path, f'an https control socket needs "{key}"{why}')
        for key, value in given.items():
            if value is not None and not os.access(value, os.R_OK):
                self.error(path + (key,), f'cannot read "{value}"')
        return given["trust-anchor"], given["cert-file"], given["key-file"]

    def authentication(self, c: dict[str, Any], path: KeyPath) -> tuple[tuple[str, ...], str]:
        """Kea's basic-auth clients as "user:password" secrets; files are read now, as Kea reads them,
        so a missing or unreadable file is a configuration error, not a locked-out operator later."""
        auth = c.get("authentication")
        if auth is None:
            return (), "edge-dhcp"
        auth_path = path + ("authentication",)
        directory = auth.get("directory", "")
        secrets: list[str] = []
        for item_path, client in self.items(auth, "clients", auth_path):
            for plain, from_file in (("user", "user-file"), ("password", "password-file")):
                if plain in client and from_file in client:
                    self.error(item_path, f'give "{plain}" or "{from_file}", not both')
            user = client.get("user")
            password = client.get("password")
            if "user-file" in client:
                user = self.secret_file(directory, client["user-file"], item_path + ("user-file",))
            if "password-file" in client:
                password = self.secret_file(
                    directory, client["password-file"], item_path + ("password-file",)
                )
                if (
                    password is not None
                    and user is None
                    and "user-file" not in client
                    and "user" not in client
                ):
                    # Kea: a password file without a user holds the whole "user:password" secret
                    user, sep, password = password.partition(":")
                    if not sep:
                        self.error(
                            item_path + ("password-file",), 'has no "user:password" in it (no user is given)'
                        )
                        continue
            if user is None:
                if "user-file" not in client and "user" not in client:
                    self.error(item_path, 'an authentication client needs "user" or "user-file"')
                continue
            if not user or ":" in user:
                self.error(item_path, "the user must not be empty and must not contain a colon")
                continue
            secrets.append(f"{user}:{password or ''}")
        return tuple(secrets), auth.get("realm", "edge-dhcp")

    def secret_file(self, directory: str, name: str, path: KeyPath) -> str | None:
        full = os.path.join(directory, name) if directory else name
        try:
            with open(full, "rb") as handle:
                data = handle.read(SECRET_FILE_MAX + 1)
            mode = os.stat(full).st_mode
        except OSError as exc:
            self.error(path, f'cannot read "{full}": {exc.strerror or exc}')
            return None
        if len(data) > SECRET_FILE_MAX:
            self.error(path, f'"{full}" is larger than {SECRET_FILE_MAX} bytes; it should hold one secret')
            return None
        if mode & 0o004:
            self.warning(path, f'"{full}" can be read by every user of this machine (chmod o-r it)')
        text = data.decode("utf-8", errors="replace")
        return text.rstrip("\r\n")  # editors add a final newline; it is not part of the secret
