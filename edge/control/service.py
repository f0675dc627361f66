"""The control channel's sockets: Unix and HTTP(S) listeners in the server's one event loop.

Rules this module keeps:
- Nothing blocks the loop. Every socket is non-blocking; each connection has its own input and output
  buffers and a deadline (REQUEST_TIMEOUT to deliver a complete command, then the same again for every
  stretch without progress while the answer is read). A client that stalls is dropped; a client that
  floods is cut off at MAX_COMMAND_BYTES. At most MAX_CONNECTIONS are open at once; more are refused
  at once. So a slow or hostile client costs a little memory and never delays a DHCP packet by more
  than one command's work.
- Commands run in the loop, one at a time, between packets: no locks, no threads, and a configuration
  swap happens between two packets, never during one.
- Unix sockets: one JSON command per connection, answered and closed, as Kea does. The socket file is
  created with mode 0600 (umask held while binding, so there is no moment it is more open), or 0660 with
  `socket-group`; never world-accessible. A stale socket file (nobody answers on it) is replaced; a
  live one (another server) or a file that is not a socket is left alone and reported. On close the
  file is removed only if it is still the one this server made.
- Reconfiguration is two-phase: `prepare(specs)` opens every new listener (binding, TLS certificates,
  group lookup) without touching the running ones and returns a Plan; `Plan.commit()` swaps them in and
  closes the ones no longer configured, `Plan.abort()` closes what was opened. A listener whose address
  (path, or IP and port) is unchanged is kept open, with its new settings applied at commit.

Theory of operation: a Listener's fd is registered with `loop.add_reader`; on readiness it accepts
(a bounded number per wake-up) and makes a Connection, itself registered for reads, and for writes only
while it has output pending (`loop.set_writable`). A Connection calls `ControlService.execute` with a
parsed Request and gets a Reply, whose `after` action (shutdown) runs once the answer is out. A 1-second
sweep timer runs only while connections are open, closing those past their deadline.
"""

from __future__ import annotations

import errno
import gc
import grp
import logging
import os
import socket
import stat
import struct
import time
from collections.abc import Callable
from typing import Any, Protocol

from edge.config.model import ControlSocket
from edge.control import jsonsteps
from edge.control.protocol import (
    ERROR,
    CommandScanner,
    Request,
    RequestError,
    answer,
    encode_answer,
    parse_command,
)
from edge.control.registry import Registry, Reply

__all__ = ["ControlError", "ControlService", "Loop", "Plan"]

log = logging.getLogger("edge.control")

REQUEST_TIMEOUT = 10.0  # seconds, as Kea's control channel
# Commands up to INLINE_PARSE bytes are parsed at once (well under a millisecond); larger ones in steps of
# jsonsteps.STEP, one per loop turn, the turns PARSE_TICK apart at most (packets are served in between).
INLINE_PARSE = 64 * 1024
PARSE_TICK = 0.0001
MAX_CONNECTIONS = 32
ACCEPTS_PER_WAKEUP = 16
READ_CHUNK = 65536
READS_PER_WAKEUP = 4  # at most 256 KiB per connection per wake-up: packets are served in between
WRITE_CHUNK = 262144
SWEEP_INTERVAL = 1.0
# After the answer: our side is shut for writing and the client's leftovers are read and dropped for up
# to this long, so that closing cannot reset the connection (and lose the answer) under a client that
# sent more than it should.
LINGER_TIMEOUT = 2.0
# Commands that only read: logged at debug level (Stork polls status-get every few seconds).
QUIET_COMMANDS = frozenset(
    {
        "list-commands",
        "version-get",
        "build-report",
        "status-get",
        "config-get",
        "config-hash-get",
        "config-test",
        "statistic-get",
        "statistic-get-all",
    }
)


class ControlError(Exception):
    """A control socket could not be opened; the message says which and why."""


class Loop(Protocol):
    """The hooks of edge.server.main.Server that the control channel uses."""

    def add_reader(self, fd: int, callback: Callable[[int], None]) -> None: ...

    def remove_reader(self, fd: int) -> None: ...

    def set_writable(self, fd: int, wanted: bool) -> None: ...

    def call_every(self, interval: float, callback: Callable[[], None], name: str = "") -> Any: ...

    def cancel_timer(self, timer: Any) -> None: ...


# ----------------------------------------------------------------------------------------- listeners


class Listener:
    """A listening socket; subclasses make the connections."""

    kind = ""

    def __init__(self, service: ControlService, spec: ControlSocket, sock: socket.socket) -> None:
        self.service = service
        self.spec = spec
        self.sock = sock
        self.fd = sock.fileno()
        self.closed = False
        self.paused = False

    @property
    def key(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def prepare_settings(self, spec: ControlSocket) -> Any:
        """Check and build what `spec` needs beyond the socket (may raise ControlError); nothing applied."""
        return spec

    def apply_settings(self, spec: ControlSocket, settings: Any) -> None:
        self.spec = spec

    def on_readable(self, fd: int) -> None:
        if self.closed:
            return
        for _ in range(ACCEPTS_PER_WAKEUP):
            try:
                conn, peer = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # EMFILE and friends: the listener stays readable, so pause it
                log.warning("DHCP4_CTRL_ACCEPT_FAIL %s: cannot accept a connection: %s", self.describe(), exc)
                self.pause()
                return
            conn.setblocking(False)
            if len(self.service.connections) >= MAX_CONNECTIONS:
                self.refuse(conn)
                continue
            self.service.adopt(self.connect(conn, peer))

    def pause(self, seconds: float = 1.0) -> None:
        """Stop accepting for a while: a listener that stays readable while accept() fails (no file
        descriptors left) would otherwise spin the loop."""
        if self.paused or self.closed:
            return
        self.paused = True
        loop = self.service.loop
        loop.remove_reader(self.fd)
        timer: list[Any] = []

        def resume() -> None:
            loop.cancel_timer(timer[0])
            self.paused = False
            if not self.closed:
                loop.add_reader(self.fd, self.on_readable)

        timer.append(loop.call_every(seconds, resume, "control-channel accept retry"))

    def refuse(self, conn: socket.socket) -> None:
        log.warning(
            "DHCP4_CTRL_BUSY %s: %d connections open, refusing another", self.describe(), MAX_CONNECTIONS
        )
        conn.close()

    def connect(self, conn: socket.socket, peer: Any) -> Connection:
        raise NotImplementedError

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.service.loop.remove_reader(self.fd)
        self.sock.close()


class UnixListener(Listener):
    kind = "unix"

    def __init__(
        self,
        service: ControlService,
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
                "DHCP4_CTRL_SOCKET_MODE %s: cannot give it to group %s (%s); it is mode 0600 now",
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


def open_unix(service: ControlService, spec: ControlSocket) -> UnixListener:
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


# ----------------------------------------------------------------------------------------- connections


class Connection:
    """One client: input until a command is complete, then the answer out, then closed."""

    def __init__(self, service: ControlService, sock: Any, label: str) -> None:
        self.service = service
        self.sock = sock
        self.fd = sock.fileno()
        self.label = label
        self.deadline = service.now() + REQUEST_TIMEOUT
        self.out = b""
        self.sent = 0
        self.writing = False
        self.lingering = False
        self.closed = False
        self.after: list[Callable[[], None]] = []
        self.want_write = False
        self._parsing: Any = None  # the timer stepping a large command's parse (parse_then)
        self._unheard = False  # not registered for reading while the parse finishes (_while_parsing)

    # -- loop callbacks
    def on_event(self, fd: int) -> None:
        if self.closed:
            return
        try:
            if self._parsing is not None:
                self._while_parsing()
            elif self.lingering:
                self.drain()
            elif self.writing:
                self.flush()
            else:
                self.read()
        except Exception:  # a transport bug must cost this connection, not the server
            log.exception("DHCP4_CTRL_CONNECTION_FAIL %s: connection failed", self.label)
            self.close()

    def read(self) -> None:
        raise NotImplementedError

    def parse_then(
        self,
        data: bytes | bytearray,
        comments: bool | None,
        proceed: Callable[[Request], None],
        refuse: Callable[[str], None],
    ) -> None:
        """Parse one command and hand the Request to `proceed` (or the error to `refuse`): at once when it is
        small, else in bounded steps, one per turn of the loop (edge/control/jsonsteps.py), so packets are
        served while a large command is parsed."""
        if len(data) <= INLINE_PARSE:
            try:
                request = parse_command(bytes(data))
            except RequestError as exc:
                refuse(str(exc))
                return
            proceed(request)
            return
        job = jsonsteps.steps(data, comments)
        _hold_collector(True)

        def step() -> None:
            try:
                next(job)
                return
            except StopIteration as done:
                self._stop_parsing()
                try:
                    request = parse_command(done.value, parsed=True, checked=True)
                except RequestError as exc:
                    refuse(str(exc))
                    return
            except RequestError as exc:
                self._stop_parsing()
                refuse(str(exc))
                return
            proceed(request)

        self._parsing = self.service.loop.call_every(PARSE_TICK, step, "control-channel parse")

    def _stop_parsing(self) -> None:
        if self._parsing is not None:
            self.service.loop.cancel_timer(self._parsing)
            self._parsing = None
            _hold_collector(False)
        if self._unheard and not self.closed:
            self._unheard = False
            self.service.loop.add_reader(self.fd, self.on_event)

    def _while_parsing(self) -> None:
        """Readable while its command is being parsed: the command is complete, so what comes now is not
        part of it (Kea ignores it too); at the end of the input, stop listening until the answer is out
        (a half-closed socket stays readable, and the loop would spin on it)."""
        data = self.recv_some()
        if data == b"":
            self._unheard = True
            self.service.loop.remove_reader(self.fd)

    def expired(self) -> None:
        """The deadline passed: say so if possible, then close."""
        self.close()

    # -- output
    def respond(self, data: bytes, after: Callable[[], None] | None = None) -> None:
        self.out = data
        self.sent = 0
        self.writing = True
        if after is not None:
            self.after.append(after)
        self.deadline = self.service.now() + REQUEST_TIMEOUT
        self.flush()

    def send_some(self, data: bytes) -> int:
        return int(self.sock.send(data))

    def recv_some(self) -> bytes | None:
        """One non-blocking read: the bytes, b"" when the peer has closed its side, None when nothing is
        waiting now (or the socket failed, in which case the connection is closed)."""
        try:
            return self.sock.recv(READ_CHUNK)
        except OSError as exc:
            if not self.recv_blocked(exc):
                self.close()
            return None

    def recv_blocked(self, exc: OSError) -> bool:
        """True when `exc` from recv only means "nothing to read yet" (the connection stays open)."""
        return isinstance(exc, (BlockingIOError, InterruptedError))

    def flush(self) -> None:
        while self.sent < len(self.out):
            chunk = self.out[self.sent : self.sent + WRITE_CHUNK]
            try:
                count = self.send_some(chunk)
            except (BlockingIOError, InterruptedError):
                self._want_write(True)
                return
            except OSError:
                self.close()  # the client went away; `after` still runs in close()
                return
            if count <= 0:
                self._want_write(True)
                return
            self.sent += count
            self.deadline = self.service.now() + REQUEST_TIMEOUT  # progress: a slow reader is fine
        self.finished()

    def finished(self) -> None:
        """The answer is out: do what had to wait for it, then linger (see LINGER_TIMEOUT)."""
        self._run_after()
        self.writing = False
        self.lingering = True
        self._want_write(False)
        self.deadline = self.service.now() + LINGER_TIMEOUT
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close()
            return
        self.drain()

    def drain(self) -> None:
        for _ in range(READS_PER_WAKEUP):
            data = self.recv_some()
            if data is None:
                return
            if not data:
                self.close()
                return

    def _run_after(self) -> None:
        after, self.after = self.after, []
        for action in after:
            try:
                action()
            except Exception:
                log.exception("DHCP4_CTRL_COMMAND_FAIL action after answering failed")

    def _want_write(self, wanted: bool) -> None:
        if wanted != self.want_write and not self.closed:
            self.want_write = wanted
            self.service.loop.set_writable(self.fd, wanted)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._stop_parsing()
        self.service.loop.remove_reader(self.fd)
        self.service.forget(self)
        try:
            self.sock.close()
        except OSError:
            pass
        self._run_after()  # the client left before the answer was out: the command still takes effect


class UnixConnection(Connection):
    """Kea's Unix protocol: bytes until one JSON object is complete (or the client half-closes)."""

    def __init__(self, service: ControlService, sock: socket.socket, label: str) -> None:
        super().__init__(service, sock, label)
        self.buffer = bytearray()
        self.scanner = CommandScanner()
        self.peer = _peer_uid(sock)

    def read(self) -> None:
        # A large command is taken one chunk per wake-up: scanning a chunk costs a few milliseconds, and
        # packets are served between wake-ups.
        for _ in range(READS_PER_WAKEUP if len(self.buffer) < INLINE_PARSE else 1):
            data = self.recv_some()
            if data is None:
                return
            if not data:  # half-closed: what we have is all there is
                if self.buffer.strip():
                    self.finish(self.buffer)
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
                del self.buffer[end:]  # what follows the command is not part of it
                self.finish(self.buffer)  # not copied: 8 MiB copies cost milliseconds each
                return

    def finish(self, data: bytes | bytearray) -> None:
        self.parse_then(
            data, self.scanner.comments, self.run, lambda message: self.reply(answer(ERROR, message))
        )

    def run(self, request: Request) -> None:
        if self.closed:
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


_collector_holds = [0, False]  # large parses in progress; whether the collector was on before the first


def _hold_collector(hold: bool) -> None:
    """Keep Python's cyclic garbage collector off while large commands are parsed. The parse makes a few
    hundred thousand objects (no cycles among them); left on, the collector walks them all now and then, a
    pause of up to ~100 ms for an 8 MiB command (edge/bench/control.py), which is what the stepwise parse
    is there to avoid. Back on, as it was, once the last such parse has finished."""
    if hold:
        if _collector_holds[0] == 0:
            _collector_holds[1] = gc.isenabled()
            gc.disable()
        _collector_holds[0] += 1
    else:
        _collector_holds[0] -= 1
        if _collector_holds[0] == 0 and _collector_holds[1]:
            gc.enable()


def _peer_uid(sock: socket.socket) -> str:
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        return str(uid)
    except OSError:
        return "?"


# ----------------------------------------------------------------------------------------- the service


class Plan:
    """New listeners opened and settings checked, not yet in service; commit() or abort() exactly once."""

    def __init__(self, service: ControlService) -> None:
        self.service = service
        self.opened: list[Listener] = []
        self.kept: list[tuple[Listener, ControlSocket, Any]] = []
        self.done = False

    def commit(self) -> None:
        if self.done:
            return
        self.done = True
        service = self.service
        wanted = {listener.key for listener in self.opened} | {listener.key for listener, _, _ in self.kept}
        for key, listener in list(service.listeners.items()):
            if key not in wanted:
                log.info("DHCP4_CTRL_SOCKET_CLOSE closing %s (no longer configured)", listener.describe())
                listener.close()
                del service.listeners[key]
        for listener, spec, settings in self.kept:
            listener.apply_settings(spec, settings)
        for listener in self.opened:
            service.listeners[listener.key] = listener
            service.loop.add_reader(listener.fd, listener.on_readable)
            log.info("DHCP4_CTRL_SOCKET_OPEN control channel on %s", listener.describe())

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        for listener in self.opened:
            listener.close()


class ControlService:
    """The control channel of one server: its listeners, its open connections, and command execution."""

    def __init__(
        self,
        server: Any,
        loop: Loop,
        registry: Registry | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        from edge.control.commands import COMMANDS

        self.server = server
        self.loop = loop
        self.registry = registry or COMMANDS
        self.now = now
        self.listeners: dict[tuple[Any, ...], Listener] = {}
        self.connections: set[Connection] = set()
        self._sweeper: Any = None

    # -- configuration
    def prepare(self, specs: tuple[ControlSocket, ...] | list[ControlSocket]) -> Plan:
        """Open what `specs` adds and check what it changes; raise ControlError (nothing changed) if any
        socket cannot be opened."""
        plan = Plan(self)
        try:
            for spec in specs:
                key = _key(spec)
                listener = self.listeners.get(key)
                if listener is not None and listener.kind == _kind(spec):
                    plan.kept.append((listener, spec, listener.prepare_settings(spec)))
                elif spec.socket_type == "unix":
                    plan.opened.append(open_unix(self, spec))
                else:
                    # Imported only when an HTTP socket is configured: it brings ssl and hashlib (OpenSSL,
                    # ~4 MB resident) into the process.
                    from edge.control.http import open_http

                    plan.opened.append(open_http(self, spec))
        except ControlError:
            plan.abort()
            raise
        except OSError as exc:
            plan.abort()
            raise ControlError(f"cannot open a control socket: {exc}") from None
        return plan

    def close(self) -> None:
        for connection in list(self.connections):
            connection.close()
        for listener in self.listeners.values():
            listener.close()
        self.listeners.clear()

    def describe(self) -> list[str]:
        return [listener.describe() for listener in self.listeners.values()]

    # -- connections
    def adopt(self, connection: Connection) -> None:
        self.connections.add(connection)
        self.loop.add_reader(connection.fd, connection.on_event)
        if self._sweeper is None:
            self._sweeper = self.loop.call_every(SWEEP_INTERVAL, self.sweep, "control-channel deadlines")

    def forget(self, connection: Connection) -> None:
        self.connections.discard(connection)
        if not self.connections and self._sweeper is not None:
            self.loop.cancel_timer(self._sweeper)
            self._sweeper = None

    def sweep(self) -> None:
        now = self.now()
        for connection in [c for c in self.connections if c.deadline <= now]:
            log.warning("DHCP4_CTRL_TIMEOUT %s: client too slow, connection dropped", connection.label)
            connection.expired()

    # -- commands
    def execute(self, request: Request, origin: str) -> Reply:
        if request.command in QUIET_COMMANDS:
            log.debug("DHCP4_CTRL_COMMAND received command %s (%s)", request.command, origin)
        else:
            log.info("DHCP4_CTRL_COMMAND received command %s (%s)", request.command, origin)
        reply = self.registry.dispatch(request, self.server)
        if reply.answer.get("result") not in (0, 3) and request.command not in QUIET_COMMANDS:
            log.info(
                "DHCP4_CTRL_COMMAND_RESULT %s: result %s: %s",
                request.command,
                reply.answer.get("result"),
                str(reply.answer.get("text", ""))[:300],
            )
        return reply


def _kind(spec: ControlSocket) -> str:
    return "unix" if spec.socket_type == "unix" else "http"


def _key(spec: ControlSocket) -> tuple[Any, ...]:
    if spec.socket_type == "unix":
        return ("unix", os.path.abspath(spec.socket_name or ""))
    return ("tcp", spec.socket_address, spec.socket_port)
