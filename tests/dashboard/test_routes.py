"""The HTTP listener's web routes: the page and /metrics beside the command API, behind the same checks.

Real listeners on 127.0.0.1 (tests/dashboard/helpers.py); requests written by hand so each test sees the
exact status and headers.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.control.routes import RouteTable, WebRequest, WebResponse
from tests.control.helpers import Running, start
from tests.dashboard.helpers import DashboardServer

Dash = Callable[..., DashboardServer]
AUTH = {"authentication": {"type": "basic", "clients": [{"user": "admin", "password": "s3cret"}]}}


def _without_date(raw: bytes) -> bytes:
    return re.sub(rb"Date: [^\r]*\r\n", b"", raw)


def test_the_page_and_its_files_are_served(dash: Dash) -> None:
    server = dash()
    page = server.get("/")
    assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert b"dashboard.js" in page.body and b"dashboard.css" in page.body
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    for path, kind in (
        ("/dashboard.js", "text/javascript"),
        ("/dashboard.css", "text/css"),
        ("/icon.svg", "image/svg"),
    ):
        reply = server.get(path)
        assert reply.status == 200 and reply.headers["content-type"].startswith(kind), (path, reply)
        assert len(reply.body) > 100


def test_no_cdn_everything_comes_from_the_server(dash: Dash) -> None:
    """Offline on a LAN: the page names no other host (no CDN, no web font, no analytics)."""
    server = dash()
    for path in ("/", "/dashboard.js", "/dashboard.css", "/icon.svg"):
        text = server.get(path).text
        assert not re.search(
            r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text.replace("http://www.w3.org/2000/svg", "")
        ), path


def test_head_sends_the_headers_of_get_without_the_body(dash: Dash) -> None:
    server = dash()
    full = server.get("/dashboard.js")
    head = server.request("HEAD", "/dashboard.js")
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(full.body))


def test_etag_gives_304_and_gzip_is_used_when_offered(dash: Dash) -> None:
    server = dash()
    first = server.get("/dashboard.js")
    again = server.get("/dashboard.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status == 304 and again.body == b""
    packed = server.get("/dashboard.js", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed.body) == first.body and len(packed.body) < len(first.body)


def test_post_slash_is_still_the_command_api_byte_for_byte(dash: Dash, tmp_path: Path) -> None:
    """The same command to a listener with the dashboard and to one without: the same answer."""
    with_routes = dash()
    plain: Running = start(tmp_path / "plain", http={})
    try:
        body = b'{"command": "config-test", "arguments": {"Dhcp4": {"subnet4": "x"}}}'
        replies = []
        for port in (with_routes.port, int(plain.url.rsplit(":", 1)[1].strip("/"))):
            raw = DashboardServer.raw(
                port,
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body,
            )
            replies.append(_without_date(raw))
        assert replies[0] == replies[1]
        assert b'"result": 1' in replies[0]
    finally:
        plain.stop()


def test_unknown_paths_and_other_methods(dash: Dash) -> None:
    server = dash()
    missing = server.get("/nothing-here")
    assert missing.status == 404 and missing.json()["result"] == 404
    options = server.request("OPTIONS", "/api/lease-del")
    assert options.status == 405 and options.headers["allow"] == "GET, HEAD, POST"
    # A POST to a path no route names is the command API, as before the dashboard existed.
    reply = server.post("/some/where", {"command": "version-get"})
    assert reply.status == 200 and reply.json()[0]["result"] == 0


def test_a_password_guards_the_page_and_the_metrics(dash: Dash) -> None:
    server = dash(http=AUTH)
    for path in ("/", "/metrics", "/api/summary", "/dashboard.js"):
        anonymous = server.get(path)
        assert anonymous.status == 401, path
        assert anonymous.headers["www-authenticate"] == 'Basic realm="edge-dhcp"'
        assert b"<html" not in anonymous.body and b"kea_" not in anonymous.body
        assert server.get(path, auth=("admin", "wrong")).status == 401
        assert server.get(path, auth=("admin", "s3cret")).status == 200, path
    refused = server.post("/api/lease-del", {"family": "dhcp4", "address": "192.0.2.10"})
    assert refused.status == 401


def test_an_unauthenticated_listener_answers_only_loopback_or_ip_hosts(dash: Dash) -> None:
    """DNS rebinding: a page from elsewhere whose name was rebound to 127.0.0.1 sends its own Host."""
    server = dash()
    assert server.get("/", headers={"Host": "evil.example:8000"}).status == 403
    assert server.get("/metrics", headers={"Host": "dhcp.attacker.test"}).status == 403
    assert server.get("/", headers={"Host": "localhost:%d" % server.port}).status == 200
    assert server.get("/", headers={"Host": "[::1]:%d" % server.port}).status == 200
    # ...while the command API keeps its own rules (no Host check), byte-for-byte as before.
    assert server.post("/", {"command": "version-get"}, headers={"Host": "evil.example"}).status == 200
    # With a password, any Host is fine: the browser had to log in.
    guarded = dash(http=AUTH)
    assert guarded.get("/", headers={"Host": "router.lan:8000"}, auth=("admin", "s3cret")).status == 200


def test_actions_need_a_json_body_so_cross_site_forms_cannot_post(dash: Dash) -> None:
    server = dash()
    body = b'{"family": "dhcp4", "address": "192.0.2.10"}'
    as_form = server.request("POST", "/api/lease-del", body, headers={"Content-Type": "text/plain"})
    assert as_form.status == 415
    no_length = DashboardServer.raw(
        server.port,
        b"POST /api/lease-del HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n",
    )
    assert b" 411 " in no_length.split(b"\r\n")[0]


def test_a_failing_route_is_a_500_and_the_server_goes_on(tmp_path: Path) -> None:
    routes = RouteTable()

    def broken(request: WebRequest) -> WebResponse:
        raise RuntimeError("planted")

    routes.add("GET", "/broken", broken)
    server = DashboardServer(tmp_path, routes=routes)
    try:
        reply = server.get("/broken")
        assert reply.status == 500 and "Internal Server Error" in reply.json()["text"]
        assert server.command("version-get")["result"] == 0
    finally:
        server.stop()


def test_the_route_table_refuses_to_take_the_command_api() -> None:
    table = RouteTable()
    with pytest.raises(ValueError, match="command API"):
        table.add("POST", "/", lambda request: WebResponse(200))
    table.add("GET", "/x", lambda request: WebResponse(200))
    with pytest.raises(ValueError, match="twice"):
        table.add("GET", "/x", lambda request: WebResponse(200))
    assert table.find("HEAD", "/x") is table.find("GET", "/x") is not None
    assert table.methods() == {"GET", "HEAD"}


def test_query_strings_are_parsed() -> None:
    assert WebRequest.parse_target("/api/leases?family=dhcp4&from=192.0.2.1&q=") == (
        "/api/leases",
        {"family": "dhcp4", "from": "192.0.2.1", "q": ""},
    )
    assert WebRequest.parse_target("/?a=1&a=2") == ("/", {"a": "2"})


def test_api_errors_are_400_with_a_reason(dash: Dash) -> None:
    server = dash()
    bad = server.get("/api/leases?family=dhcp9")
    assert bad.status == 400 and "serves no family 'dhcp9'" in bad.json()["text"]
    cursor = server.get("/api/events?after=nonsense")
    assert cursor.status == 400 and "after must look like" in cursor.json()["text"]
    body = server.request("POST", "/api/lease-del", b"[1, 2")
    assert body.status == 400 and "not JSON" in body.json()["text"]
    assert json.loads(server.get("/api/summary").body)["families"][0]["service"] == "dhcp4"
