"""The HA partner link over HTTP/1.1 with keep-alive, both ways, without blocking the server's loop.

Rules this module keeps:
- `PeerClient`: one worker thread per partner sends commands one at a time, in order, over one
  persistent connection (http.client; reconnected when the partner closed it), each with Kea's shape:
  `POST /`, `Content-Type: application/json`, `Host: <ip>`, Basic auth when the peer entry has a user.
  Timeouts: 10 s, or the job's own (lease4-get-page: sync-timeout). The outcome (the answer's first
  element, or an error text) goes back through a pipe the loop watches; the callback runs in the loop.
- `PeerListener`: this server's own peer URL, served as Kea 2.2's dedicated HA listener is: threads
  read requests (HTTP/1.1, connections kept open for back-to-back requests, as Kea's HA client reuses
  one), check Basic auth against this server's peer entry (401 otherwise), and hand the parsed command
  to the loop through a pipe; the loop thread alone runs it (the registry is not thread-safe) and the
  answer goes back as a JSON list with Content-Length.
- Nothing in the loop thread waits on the network.
"""

from __future__ import annotations

import base64
import hmac
import http.client
import json
import logging
import os
import queue
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger("edge.ha")

DEFAULT_TIMEOUT = 10.0
MAX_BODY = 64 * 1024 * 1024  # a lease4-get-page answer of 10000 leases is a few MB

Outcome = Callable[[dict[str, Any] | None, str], None]  # (answer or None, error text)


class _Wake:
    """A pipe the loop watches; threads write one octet after queueing work for the loop."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)

    def poke(self) -> None:
        try:
            os.write(self.write_fd, b"\0")
        except (BlockingIOError, OSError):
            pass  # full: the loop wakes anyway

    def drain(self) -> None:
        try:
            while os.read(self.read_fd, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def basic_auth(user: str | None, password: str) -> str | None:
    if user is None:
        return None
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class PeerClient:
    """Commands to one partner, in order, from a worker thread."""

    def __init__(self, loop: Any, host: str, port: int, auth: str | None, name: str) -> None:
        self.loop = loop
        self.host, self.port, self.auth, self.name = host, port, auth, name
        self._jobs: queue.Queue[tuple[dict[str, Any], float, Outcome] | None] = queue.Queue()
        self._done: queue.Queue[tuple[Outcome, dict[str, Any] | None, str]] = queue.Queue()
        self._wake = _Wake()
        loop.add_reader(self._wake.read_fd, self._on_done)
        self._conn: http.client.HTTPConnection | None = None
        self.in_flight = 0  # jobs queued or running (read in the loop thread)
        self._thread = threading.Thread(target=self._run, name=f"ha-client-{name}", daemon=True)
        self._thread.start()

    def send(self, command: dict[str, Any], outcome: Outcome, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.in_flight += 1
        self._jobs.put((command, timeout, outcome))

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=2.0)
        self.loop.remove_reader(self._wake.read_fd)
        self._wake.close()

    # -- the loop thread
    def _on_done(self, fd: int) -> None:
        self._wake.drain()
        while True:
            try:
                outcome, result, error = self._done.get_nowait()
            except queue.Empty:
                return
            self.in_flight -= 1
            try:
                outcome(result, error)
            except Exception as exc:
                self.loop.unexpected("HA_LINK_CALLBACK_FAIL", exc, f"an answer from {self.name} failed")

    # -- the worker thread
    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                if self._conn is not None:
                    self._conn.close()
                return
            command, timeout, outcome = job
            try:
                result, error = self._exchange(command, timeout), ""
            except Exception as exc:  # every failure is an outcome for the loop
                result, error = None, f"{type(exc).__name__}: {exc}"
            self._done.put((outcome, result, error))
            self._wake.poke()

    def _exchange(self, command: dict[str, Any], timeout: float) -> dict[str, Any]:
        body = json.dumps(command).encode()
        headers = {"Content-Type": "application/json", "Host": self.host}
        if self.auth:
            headers["Authorization"] = self.auth
        for attempt in (1, 2):
            fresh = self._conn is None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            conn = self._conn
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            try:
                conn.request("POST", "/", body, headers)
                response = conn.getresponse()
                data = response.read(MAX_BODY)
                if response.will_close:
                    conn.close()
                    self._conn = None
            except (OSError, http.client.HTTPException):
                conn.close()
                self._conn = None
                if fresh or attempt == 2:
                    raise
                continue  # the partner closed a kept connection: once more on a new one
            return _first_answer(data, response.status)
        raise OSError("unreachable")  # pragma: no cover


def _first_answer(data: bytes, status: int) -> dict[str, Any]:
    """Kea reads the first element of a JSON list; a bare map counts as result 1 (Kea's rule)."""
    value = json.loads(data or b"null")
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    if isinstance(value, dict):
        return {"result": 1, "text": f"not a list (HTTP {status}): {value.get('text', '')}"}
    raise ValueError(f"unusable answer (HTTP {status})")


class PeerListener:
    """This server's peer URL: requests from threads, commands run in the loop thread."""

    def __init__(
        self,
        loop: Any,
        host: str,
        port: int,
        auth: str | None,
        run: Callable[[dict[str, Any]], Any],
    ) -> None:
        self.loop = loop
        self.run = run
        self.auth = auth
        self._wake = _Wake()
        self._work: queue.Queue[tuple[dict[str, Any], list[Any], threading.Event]] = queue.Queue()
        loop.add_reader(self._wake.read_fd, self._on_work)
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug("HA_LISTENER %s " + fmt, self.client_address[0], *args)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = self.headers.get("Content-Length")
                if length is None or not length.isdigit() or int(length) > MAX_BODY:
                    self._reply(411 if length is None else 413, {"result": 1, "text": "bad Content-Length"})
                    return
                body = self.rfile.read(int(length))
                if listener.auth is not None:
                    given = self.headers.get("Authorization", "")
                    if not hmac.compare_digest(given.encode(), listener.auth.encode()):
                        self._reply(401, {"result": 401, "text": "Unauthorized"})
                        return
                try:
                    command = json.loads(body)
                    if not isinstance(command, dict) or not isinstance(command.get("command"), str):
                        raise ValueError("not a command")
                except ValueError as exc:
                    self._reply(400, {"result": 400, "text": f"Bad Request: {exc}"})
                    return
                self._reply(200, [listener.submit(command)])

            def _reply(self, status: int, value: Any) -> None:
                data = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server((host, port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, name="ha-listener", daemon=True)
        self._thread.start()

    def submit(self, command: dict[str, Any]) -> Any:
        """From a request thread: run `command` in the loop and wait for its answer."""
        slot: list[Any] = []
        done = threading.Event()
        self._work.put((command, slot, done))
        self._wake.poke()
        if not done.wait(DEFAULT_TIMEOUT):
            return {"result": 1, "text": "the server did not answer in time"}
        return slot[0]

    def _on_work(self, fd: int) -> None:
        self._wake.drain()
        while True:
            try:
                command, slot, done = self._work.get_nowait()
            except queue.Empty:
                return
            try:
                slot.append(self.run(command))
            except Exception as exc:
                slot.append({"result": 1, "text": f"internal error: {exc}"})
            done.set()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.loop.remove_reader(self._wake.read_fd)
        self._wake.close()
