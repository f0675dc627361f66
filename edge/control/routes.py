"""Web routes beside the command API: what the HTTP(S) control listener serves at paths other than `POST /`.

Rules this module keeps:
- The command API is not a route and cannot be replaced by one: `POST /` is always Kea's command channel
  (http.py), whatever a route table holds. A table adds GET (and HEAD) routes, and POST routes at other
  paths; a method and path no route names are answered as before routes existed (405 or 404).
- A route gets the request only after the listener's checks have passed: TLS, basic authentication, and
  for POST the same Content-Length / Content-Type (application/json) checks as a command, so a browser's
  cross-site request needs a CORS preflight that is never granted.
- The control room knows no page: a higher room (edge/dashboard) fills a RouteTable and the family
  service hands it to its ControlService; http.py only looks routes up and calls them.
- A handler returns a WebResponse; an exception in a handler is logged and answered 500, never raised
  into the loop.

Theory of operation: `RouteTable.find(method, path)` is a dictionary lookup on (method, path); HEAD is
served by the GET route with the body left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

__all__ = ["RouteHandler", "RouteTable", "WebRequest", "WebResponse"]


@dataclass(frozen=True, slots=True)
class WebRequest:
    """One request to a route: its method, path, query, headers (names lower-case) and body."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""
    origin: str = ""  # who asked, for logs: "http://127.0.0.1:8000/ from 127.0.0.1"

    @classmethod
    def parse_target(cls, target: str) -> tuple[str, dict[str, str]]:
        """(path, query) of a request target; a repeated query key keeps its last value."""
        path, _, query = target.partition("?")
        values = parse_qs(query, keep_blank_values=True, max_num_fields=64)
        return path or "/", {key: items[-1] for key, items in values.items()}


@dataclass(frozen=True, slots=True)
class WebResponse:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


RouteHandler = Callable[[WebRequest], WebResponse]


@dataclass
class RouteTable:
    """Routes by (method, path)."""

    _routes: dict[tuple[str, str], RouteHandler] = field(default_factory=dict)

    def add(self, method: str, path: str, handler: RouteHandler) -> None:
        if method == "POST" and path == "/":
            raise ValueError("POST / is the command API and cannot be a route")
        if (method, path) in self._routes:
            raise ValueError(f"route {method} {path} is registered twice")
        self._routes[(method, path)] = handler

    def find(self, method: str, path: str) -> RouteHandler | None:
        return self._routes.get(("GET" if method == "HEAD" else method, path))

    def methods(self) -> frozenset[str]:
        """Every method some route answers (HEAD with GET)."""
        found = {method for method, _ in self._routes}
        if "GET" in found:
            found.add("HEAD")
        return frozenset(found)

    def __bool__(self) -> bool:
        return bool(self._routes)
