"""The control channel's transport machinery: listening sockets and connections in the server's one loop.

Rules this module keeps:
- Nothing blocks the loop. Every socket is non-blocking; each connection has its own input and output
  buffers and a deadline (REQUEST_TIMEOUT to deliver a complete command, then the same again for every
  stretch without progress while the answer is read). A client that stalls is dropped; a client that
  floods is cut off at MAX_COMMAND_BYTES. At most MAX_CONNECTIONS are open at once; more are refused
  at once. So a slow or hostile client costs a little memory and never delays a DHCP packet by more
  than one command's work.
- A Listener's fd is registered with `loop.add_reader`; on readiness it accepts (a bounded number per
  wake-up) and makes a Connection, itself registered for reads, and for writes only while it has output
  pending (`loop.set_writable`). A Connection hands a parsed Request to its Host (the ControlService,
  service.py) and gets a Reply, whose `after` action (shutdown) runs once the answer is out.
- The transports are subclasses: unix.py (Kea's one-command-per-connection Unix socket) and http.py
  (HTTP(S) as Kea's Control Agent speaks it). This module knows neither.
"""

from __future__ import annotations

import gc
import logging
import socket
from collections.abc import Callable
from typing import Any, Protocol

from edge.config.model import ControlSocket
from edge.control import jsonsteps
from edge.control.protocol import Request, RequestError, parse_command
from edge.control.registry import Reply
from edge.control.routes import RouteTable

__all__ = ["Connection", "ControlError", "Host", "Listener", "Loop"]

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
# After the answer: our side is shut for writing and the client's leftovers are read and dropped for up
# to this long, so that closing cannot reset the connection (and lose the answer) under a client that
# sent more than it should.
LINGER_TIMEOUT = 2.0


class ControlError(Exception):
    """A control socket could not be opened; the message says which and why."""


class Loop(Protocol):
    """The hooks of the server's event loop (edge/server/loop.py) that the control channel uses."""

    def add_reader(self, fd: int, callback: Callable[[int], None]) -> None: ...

    def remove_reader(self, fd: int) -> None: ...

    def set_writable(self, fd: int, wanted: bool) -> None: ...

    def call_every(self, interval: float, callback: Callable[[], None], name: str = "") -> Any: ...

    def cancel_timer(self, timer: Any) -> None: ...


class Host(Protocol):
    """What listeners and connections need from the control service that owns them (service.py)."""

    loop: Loop
    connections: set[Connection]
    service_name: str  # Kea's name for the daemon the channel speaks for: "dhcp4" or "dhcp6"
    routes: RouteTable | None  # web routes an HTTP listener serves beside the command API (routes.py)

    def now(self) -> float: ...

    def adopt(self, connection: Connection) -> None: ...

    def forget(self, connection: Connection) -> None: ...

    def execute(self, request: Request, origin: str) -> Reply: ...


# ----------------------------------------------------------------------------------------- listeners


class Listener:
    """A listening socket; subclasses make the connections."""

    kind = ""

    def __init__(self, service: Host, spec: ControlSocket, sock: socket.socket) -> None:
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
                log.warning(
                    "COMMAND_SOCKET_ACCEPT_FAIL %s: cannot accept a connection: %s", self.describe(), exc
                )
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
            "COMMAND_SOCKET_BUSY %s: %d connections open, refusing another", self.describe(), MAX_CONNECTIONS
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


# ----------------------------------------------------------------------------------------- connections


class Connection:
    """One client: input until a command is complete, then the answer out, then closed."""

    def __init__(self, service: Host, sock: Any, label: str) -> None:
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
            log.exception("COMMAND_SOCKET_CONNECTION_FAIL %s: connection failed", self.label)
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
                log.exception("COMMAND_AFTER_FAIL action after answering failed")

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
