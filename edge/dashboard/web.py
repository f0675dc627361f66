"""The Dashboard: the web routes of one process, over every family service it serves.

Rules this module keeps:
- One Dashboard per process (edge/server/main.py makes it): each family service hands its ControlService
  the same route table, so whichever HTTP listener the browser reaches shows every family; each family
  joins with `add_family(service name, its ControlService.execute)`.
- Routes: `GET /` and its static files, `GET /api/summary`, `/api/leases`, `/api/events` (JSON),
  `POST /api/lease-del` and `/api/config-reload` (the actions), `GET /metrics` (Prometheus).
- Nothing is built before it is asked for: the page builder, the metrics (with prometheus_client) and the
  static files are imported or read on the first request that needs them; there is no timer.
- Static files are sent with an ETag (`If-None-Match` gets 304) and gzip when the browser takes it; every
  answer carries headers that keep the page from being framed or sniffed, and the JSON is never cached.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from edge.control.routes import RouteTable, WebRequest, WebResponse

if TYPE_CHECKING:
    from edge.dashboard.reader import Family

__all__ = ["Dashboard"]

STATIC: dict[str, tuple[str, str]] = {  # path -> (file in static/, content type)
    "/": ("index.html", "text/html; charset=utf-8"),
    "/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
    "/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "/icon.svg": ("icon.svg", "image/svg+xml"),
}
SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)
GZIP_AT_LEAST = 1024  # bytes: below this gzip saves too little to bother


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    return packer.compress(data) + packer.flush()


def _accepts_gzip(request: WebRequest) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


class _Asset:
    __slots__ = ("body", "gzipped", "etag", "content_type")

    def __init__(self, body: bytes, content_type: str) -> None:
        self.body = body
        self.gzipped = _gzip(body) if len(body) >= GZIP_AT_LEAST else None
        self.etag = '"%08x-%x"' % (zlib.crc32(body), len(body))
        self.content_type = content_type


class Dashboard:
    """The page, its JSON and /metrics for the family services added to it."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.routes = RouteTable()
        self._members: list[tuple[str, Callable[..., Any]]] = []
        self._families: list[Family] | None = None  # made on the first request
        self._assets: dict[str, _Asset] = {}
        self._version: str | None = None
        for path in STATIC:
            self.routes.add("GET", path, self._static)
        self.routes.add("GET", "/metrics", self._metrics)
        self.routes.add("GET", "/api/summary", self._summary)
        self.routes.add("GET", "/api/leases", self._leases)
        self.routes.add("GET", "/api/events", self._events)
        self.routes.add("POST", "/api/lease-del", self._lease_del)
        self.routes.add("POST", "/api/config-reload", self._config_reload)

    def add_family(self, service: str, execute: Callable[..., Any]) -> None:
        """A family service joins: `execute` is its ControlService.execute(request, origin)."""
        from edge.dashboard.families import family_view

        family_view(service)  # an unknown family is refused now, not on the first request
        self._members.append((service, execute))
        self._families = None

    # ------------------------------------------------------------------ helpers
    def families(self) -> list[Family]:
        if self._families is None:
            from edge.dashboard.families import family_view
            from edge.dashboard.reader import Family

            self._families = [Family(family_view(service), execute) for service, execute in self._members]
        return self._families

    def version(self) -> str:
        if self._version is None:
            families = self.families()
            answer = families[0].call("version-get", None, "dashboard") if families else {}
            self._version = str(answer.get("text") or "unknown")
        return self._version

    @staticmethod
    def _origin(request: WebRequest) -> str:
        return f"dashboard {request.method} {request.path} ({request.origin})"

    @staticmethod
    def _json(request: WebRequest, value: Any, status: int = 200) -> WebResponse:
        body = json.dumps(value, separators=(",", ":"), default=str).encode()
        headers: tuple[tuple[str, str], ...] = (("Cache-Control", "no-store"), *SECURITY_HEADERS)
        if len(body) >= GZIP_AT_LEAST and _accepts_gzip(request):
            body = _gzip(body)
            headers = (("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"), *headers)
        return WebResponse(status, body, "application/json", headers)

    def _api(self, request: WebRequest, build: Callable[[], Any]) -> WebResponse:
        from edge.dashboard.api import ApiError

        try:
            return self._json(request, build())
        except ApiError as exc:
            return self._json(request, {"result": 400, "text": f"Bad Request: {exc}"}, 400)

    # ------------------------------------------------------------------ routes
    def _static(self, request: WebRequest) -> WebResponse:
        asset = self._assets.get(request.path)
        if asset is None:
            from importlib.resources import files

            name, content_type = STATIC[request.path]
            asset = _Asset((files("edge.dashboard") / "static" / name).read_bytes(), content_type)
            self._assets[request.path] = asset
        headers: tuple[tuple[str, str], ...] = (
            ("ETag", asset.etag),
            ("Cache-Control", "no-cache"),
            ("Vary", "Accept-Encoding"),
            *SECURITY_HEADERS,
        )
        if request.headers.get("if-none-match") == asset.etag:
            return WebResponse(304, b"", asset.content_type, headers)
        if asset.gzipped is not None and _accepts_gzip(request):
            return WebResponse(
                200, asset.gzipped, asset.content_type, (("Content-Encoding", "gzip"), *headers)
            )
        return WebResponse(200, asset.body, asset.content_type, headers)

    def _metrics(self, request: WebRequest) -> WebResponse:
        from edge.dashboard.metrics import CONTENT_TYPE, render

        body = render(self.families(), self.version(), self._origin(request))
        headers: tuple[tuple[str, str], ...] = (("Cache-Control", "no-store"),)
        if len(body) >= GZIP_AT_LEAST and _accepts_gzip(request):
            body = _gzip(body)
            headers = (("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"), *headers)
        return WebResponse(200, body, CONTENT_TYPE, headers)

    def _summary(self, request: WebRequest) -> WebResponse:
        from edge.dashboard import api

        return self._api(
            request, lambda: api.summary(self.families(), self._origin(request), self.clock(), self.version())
        )

    def _leases(self, request: WebRequest) -> WebResponse:
        from edge.dashboard import api

        return self._api(
            request,
            lambda: api.leases(self.families(), dict(request.query), self._origin(request), self.clock()),
        )

    def _events(self, request: WebRequest) -> WebResponse:
        from edge.dashboard import api

        return self._api(
            request,
            lambda: api.events(self.families(), dict(request.query), self._origin(request), self.clock()),
        )

    def _lease_del(self, request: WebRequest) -> WebResponse:
        from edge.dashboard import api

        return self._api(request, lambda: api.lease_del(self.families(), request.body, self._origin(request)))

    def _config_reload(self, request: WebRequest) -> WebResponse:
        from edge.dashboard import api

        return self._api(
            request, lambda: api.config_reload(self.families(), request.body, self._origin(request))
        )
