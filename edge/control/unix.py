"""Kea's Unix control socket: one JSON command per connection, answered and closed.

Rules this module keeps:
- The socket file is created with mode 0600 (umask held while binding, so there is no moment it is more
  open), or 0660 with `socket-group`; never world-accessible.
- A stale socket file (nobody answers on it) is replaced; a live one (another server) or a file that is
  not a socket is left alone and reported. On close the file is removed only if it is still the one this
  server made.
- Bytes are read until one JSON object is complete (or the client half-closes), then parsed as a command.
"""

from __future__ import annotations

import errno
import grp
import logging
import os
import socket
import stat
import struct
from collections.abc import Callable
from typing import Any

from edge.config.model import ControlSocket
from edge.control.protocol import ERROR, CommandScanner, RequestError, answer, encode_answer, parse_command
from edge.control.transport import READS_PER_WAKEUP, Connection, ControlError, Host, Listener

__all__ = ["UnixConnection", "UnixListener", "open_unix"]

log = logging.getLogger("edge.control")


class UnixListener(Listener):
    kind = "unix"

    def __init__(
        self,
        service: Host,
        spec: ControlSocket,
        sock: socket.socket,
        path: str,
        inode: tuple[int, int],
    ) -> None:
        super().__init__(service, spec, sock)
        self.path = path
        self.inode = inode

    @property
    def key(self) -> tuple[Any, ...]:
        return ("unix", self.path)

    def describe(self) -> str:
        return f"unix socket {self.path}"

    def prepare_settings(self, spec: ControlSocket) -> Any:
        return _group_id(spec.socket_group)

    def apply_settings(self, spec: ControlSocket, settings: Any) -> None:
        self.spec = spec
        try:
            _set_mode(self.path, settings)
        except OSError as exc:  # commit must not fail half-way: fall back to the narrowest mode
            log.error(
                "COMMAND_SOCKET_MODE %s: cannot give it to group %s (%s); it is mode 0600 now",
                self.describe(),
                spec.socket_group,
                exc.strerror or exc,
            )
            try:
                os.chmod(self.path, 0o600)
            except OSError:
                pass

    def connect(self, conn: socket.socket, peer: Any) -> Connection:
        return UnixConnection(self.service, conn, self.describe())

    def close(self) -> None:
        was_open = not self.closed
        super().close()
        if was_open:
            try:  # only our own file: another server may have taken the path over since
                st = os.lstat(self.path)
                if (st.st_dev, st.st_ino) == self.inode:
                    os.unlink(self.path)
            except OSError:
                pass


def _group_id(group: str | None) -> int | None:
    if group is None:
        return None
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        if group.isdigit():
            return int(group)
        raise ControlError(f'socket-group "{group}" is not a group on this machine') from None


def _set_mode(path: str, gid: int | None) -> None:
    if gid is None:
        os.chmod(path, 0o600)
    else:
        os.chmod(path, 0o600)  # group first, then open it to the group: never broader on the way
        os.chown(path, -1, gid)
        os.chmod(path, 0o660)


def open_unix(service: Host, spec: ControlSocket) -> UnixListener:
    path = os.path.abspath(spec.socket_name or "")
    gid = _group_id(spec.socket_group)
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, mode=0o750, exist_ok=True)
    except OSError as exc:
        raise ControlError(
            f"cannot create the directory {directory} for control socket {path}: {exc.strerror}"
        ) from None
    _clear_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # the file is born 0600: no window in which others could connect
    try:
        sock.bind(path)
        sock.listen(16)
        sock.setblocking(False)
        st = os.lstat(path)
        _set_mode(path, gid)
    except OSError as exc:
        sock.close()
        raise ControlError(f"cannot open control socket {path}: {exc.strerror or exc}") from None
    finally:
        os.umask(old_umask)
    return UnixListener(service, spec, sock, path, (st.st_dev, st.st_ino))


def _clear_stale(path: str) -> None:
    """Remove a socket file nobody listens on; refuse to touch a live socket or any other file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ControlError(f"cannot check control socket path {path}: {exc.strerror}") from None
    if not stat.S_ISSOCK(st.st_mode):
        raise ControlError(
            f"{path} exists and is not a socket; not replacing it (remove it or choose another socket-name)"
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(path)
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            return
        raise ControlError(f"cannot check control socket {path}: {exc.strerror or exc}") from None
    finally:
        probe.close()
    raise ControlError(
        f"another process is listening on control socket {path} (is edge-dhcp or Kea already running?)"
    )


class UnixConnection(Connection):
    """Kea's Unix protocol: bytes until one JSON object is complete (or the client half-closes)."""

    def __init__(self, service: Host, sock: socket.socket, label: str) -> None:
        super().__init__(service, sock, label)
        self.buffer = bytearray()
        self.scanner = CommandScanner()
        self.peer = _peer_uid(sock)

    def read(self) -> None:
        for _ in range(READS_PER_WAKEUP):
            data = self.recv_some()
            if data is None:
                return
            if not data:  # half-closed: what we have is all there is
                if self.buffer.strip():
                    self.finish(bytes(self.buffer))
                else:
                    self.close()
                return
            self.buffer += data
            try:
                end = self.scanner.feed(data)
            except RequestError as exc:
                self.reply(answer(ERROR, str(exc)))
                return
            if end is not None:
                self.finish(bytes(self.buffer[:end]))
                return

    def finish(self, data: bytes) -> None:
        try:
            request = parse_command(data)
        except RequestError as exc:
            self.reply(answer(ERROR, str(exc)))
            return
        reply = self.service.execute(request, f"{self.label}, uid {self.peer}")
        self.reply(reply.answer, reply.after)

    def reply(self, value: dict[str, Any], after: Callable[[], None] | None = None) -> None:
        self.buffer = bytearray()
        self.respond(encode_answer(value), after)

    def expired(self) -> None:
        if not self.writing and not self.lingering:
            try:  # best effort, never blocking: tell the client why it is being dropped
                self.sock.send(encode_answer(answer(ERROR, "timed out waiting for a complete command")))
            except OSError:
                pass
        self.close()


def _peer_uid(sock: socket.socket) -> str:
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        return str(uid)
    except OSError:
        return "?"
