"""Safe reconfiguration: config-test, config-set, config-reload, config-write, and Server.apply_config.

The rule under test everywhere: a new configuration goes into service whole or not at all, and on
refusal the running one keeps serving (same hash, same sockets) and the answer says why.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edge.control import commands as commands_module
from edge.control.client import CtlError, send_http
from edge.dhcp4.config import load_file
from tests.control.helpers import SUBNET_1, SUBNET_2, Running, document, free_port, start

Serve = Callable[..., Running]


def current(running: Running) -> dict[str, Any]:
    got = running.call("config-get")
    assert got["result"] == 0
    return dict(got["arguments"])


def refuses(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


# ----------------------------------------------------------------------------------------- config-get/test


def test_config_get_is_the_document_with_defaults_and_hash(serve: Serve) -> None:
    running = serve()
    got = current(running)
    assert set(got) == {"Dhcp4", "hash"}
    assert got["Dhcp4"]["valid-lifetime"] == 7200  # a Kea 2.2 default, filled in
    assert got["Dhcp4"]["subnet4"][0]["subnet"] == "192.0.2.0/24"
    assert got["hash"] == running.call("config-hash-get")["arguments"]["hash"]
    assert len(got["hash"]) == 64 and got["hash"] == got["hash"].upper()


def test_config_test_checks_without_changing_anything(serve: Serve, tmp_path: Path) -> None:
    running = serve()
    before = current(running)["hash"]
    good = document(tmp_path / "ctrl.sock", **{"subnet4": [SUBNET_1, SUBNET_2]})
    got = running.call("config-test", good)
    assert got["result"] == 0 and got["text"].startswith("Configuration seems sane.")
    bad = copy.deepcopy(good)
    bad["Dhcp4"]["subnet4"][0]["bogus"] = 1
    got = running.call("config-test", bad)
    assert got["result"] == 1 and 'Dhcp4.subnet4[0].bogus: unknown key "bogus"' in got["text"]
    assert running.call("config-test", {}) == {"result": 1, "text": "Missing mandatory 'Dhcp4' parameter."}
    assert running.call("config-test") == {"result": 1, "text": "Missing mandatory 'Dhcp4' parameter."}
    assert current(running)["hash"] == before


# ----------------------------------------------------------------------------------------- config-set


def test_config_set_applies_and_config_get_shows_it(serve: Serve, tmp_path: Path) -> None:
    running = serve()
    new = document(tmp_path / "ctrl.sock", **{"subnet4": [SUBNET_1, SUBNET_2], "valid-lifetime": 600})
    got = running.call("config-set", new)
    assert got["result"] == 0 and got["text"] == "Configuration successful."
    assert got["arguments"]["hash"] == current(running)["hash"]
    assert running.server.config.subnet_by_id(2) is not None
    assert current(running)["Dhcp4"]["valid-lifetime"] == 600
    assert running.server.stats.get("subnet[2].total-addresses") == 11


def test_config_get_output_round_trips_through_config_set(serve: Serve) -> None:
    running = serve()
    before = current(running)
    got = running.call("config-set", before)  # Kea 2.4+ clients send the hash back; it is ignored
    assert got["result"] == 0
    assert current(running)["hash"] == before["hash"]


def test_config_set_with_errors_keeps_the_old_configuration(serve: Serve, tmp_path: Path) -> None:
    running = serve()
    before = current(running)["hash"]
    bad = document(
        tmp_path / "ctrl.sock",
        **{"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 10.0.0.1"}]}]},
    )
    got = running.call("config-set", bad)
    assert got["result"] == 1
    assert (
        "the running one stays in service" in got["text"] and "Dhcp4.subnet4[0].pools[0].pool" in got["text"]
    )
    assert current(running)["hash"] == before


def test_config_set_whose_new_socket_cannot_open_changes_nothing(serve: Serve, tmp_path: Path) -> None:
    running = serve()
    before = current(running)["hash"]
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    taken = busy.getsockname()[1]
    free = free_port()
    try:
        new = document(tmp_path / "ctrl.sock", **{"subnet4": [SUBNET_1, SUBNET_2]})
        new["Dhcp4"]["control-sockets"] += [
            {"socket-type": "http", "socket-port": free},  # opens fine, then must be closed again
            {"socket-type": "http", "socket-port": taken},
        ]
        got = running.call("config-set", new)
    finally:
        busy.close()
    assert got["result"] == 1
    assert f"cannot open http control socket on 127.0.0.1 port {taken}" in got["text"]
    assert current(running)["hash"] == before
    assert running.server.config.subnet_by_id(2) is None
    assert refuses(free)  # nothing half-opened is left behind
    assert running.call("status-get")["result"] == 0


def test_config_set_failing_in_the_engine_changes_nothing(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = serve()
    before = current(running)["hash"]
    old_manager = running.server.manager

    def broken(config: Any, hosts: Any = None) -> None:
        raise RuntimeError("index build failed")

    monkeypatch.setattr(running.server.engine, "reconfigure", broken)
    port = free_port()
    new = document(tmp_path / "ctrl.sock", http={"socket-port": port})
    got = running.call("config-set", new)
    assert got["result"] == 1 and "index build failed" in got["text"]
    assert current(running)["hash"] == before
    assert running.server.manager is old_manager
    assert refuses(port)


def test_config_set_adds_moves_and_removes_control_sockets(serve: Serve, tmp_path: Path) -> None:
    running = serve()
    port = free_port()
    assert (
        running.call("config-set", document(tmp_path / "ctrl.sock", http={"socket-port": port}))["result"]
        == 0
    )
    url = f"http://127.0.0.1:{port}/"
    assert send_http(url, {"command": "status-get"})["result"] == 0
    # Move the unix socket: the answer still comes back on the old connection, then the old file is gone.
    moved = tmp_path / "moved.sock"
    assert running.call("config-set", document(moved, http={"socket-port": port}))["result"] == 0
    assert not (tmp_path / "ctrl.sock").exists()
    running.sock = moved
    assert running.call("status-get")["result"] == 0
    # Drop the HTTP socket.
    assert running.call("config-set", document(moved))["result"] == 0
    assert refuses(port)
    with pytest.raises(CtlError):
        send_http(url, {"command": "status-get"}, timeout=5)


def test_changed_authentication_applies_to_the_open_http_socket(serve: Serve, tmp_path: Path) -> None:
    port = free_port()
    running = serve(http={"socket-port": port})
    url = f"http://127.0.0.1:{port}/"
    auth = {"type": "basic", "clients": [{"user": "admin", "password": "pw"}]}
    new = document(tmp_path / "ctrl.sock", http={"socket-port": port, "authentication": auth})
    assert running.call("config-set", new)["result"] == 0
    with pytest.raises(CtlError, match="401"):
        send_http(url, {"command": "status-get"})
    assert send_http(url, {"command": "status-get"}, user="admin", password="pw")["result"] == 0


def test_leases_of_removed_subnets_are_kept_and_reported(serve: Serve, tmp_path: Path) -> None:
    running = serve(**{"subnet4": [SUBNET_1, SUBNET_2]})
    for address in ("198.51.100.11", "198.51.100.12"):
        assert (
            running.call("lease4-add", {"ip-address": address, "hw-address": "02:00:00:00:00:01"})["result"]
            == 0
        )
    assert (
        running.call("lease4-add", {"ip-address": "192.0.2.11", "hw-address": "02:00:00:00:00:02"})["result"]
        == 0
    )
    got = running.call("config-set", document(tmp_path / "ctrl.sock"))  # subnet 2 removed
    assert got["result"] == 0
    assert "2 lease(s) of subnet(s) 2, which the new configuration does not have, are kept" in got["text"]
    assert len(running.server.store) == 3
    kept = running.call("lease4-get-all", {"subnets": [2]})
    assert [x["ip-address"] for x in kept["arguments"]["leases"]] == ["198.51.100.11", "198.51.100.12"]
    assert running.call("lease4-wipe", {"subnet-id": 2})["text"] == "Deleted 2 IPv4 lease(s) from subnet(s) 2"
    assert len(running.server.store) == 1


# ----------------------------------------------------------------------------------------- config-reload


def written(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "edge-dhcp4.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def test_config_reload_applies_the_file_or_keeps_the_old_one(tmp_path: Path) -> None:
    path = written(tmp_path, document(tmp_path / "ctrl.sock"))
    running = Running(load_file(str(path)), tmp_path / "ctrl.sock", config_path=str(path))
    try:
        path.write_text(json.dumps(document(tmp_path / "ctrl.sock", **{"subnet4": [SUBNET_1, SUBNET_2]})))
        assert running.call("config-reload") == {"result": 0, "text": "Configuration successful."}
        assert running.server.config.subnet_by_id(2) is not None
        before = current(running)["hash"]
        path.write_text('{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/33"}]}}')
        got = running.call("config-reload")
        assert got["result"] == 1 and f"{path}:1:" in got["text"] and "stays in service" in got["text"]
        assert current(running)["hash"] == before
    finally:
        running.stop()


# ----------------------------------------------------------------------------------------- config-write


def test_config_write_is_atomic_and_loads_back(tmp_path: Path) -> None:
    path = written(tmp_path, document(tmp_path / "ctrl.sock"))
    path.chmod(0o640)
    running = Running(load_file(str(path)), tmp_path / "ctrl.sock", config_path=str(path))
    try:
        got = running.call("config-write")
        assert got["result"] == 0 and got["arguments"]["filename"] == str(path)
        assert got["arguments"]["size"] == path.stat().st_size
        assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the file's mode is kept
        assert load_file(str(path)).raw == running.server.config.raw
        other = running.call("config-write", {"filename": "copy.json"})
        assert other["result"] == 0 and (tmp_path / "copy.json").exists()
        assert stat.S_IMODE((tmp_path / "copy.json").stat().st_mode) == 0o600  # may hold passwords
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".edge-dhcp-")] == []
    finally:
        running.stop()


@pytest.mark.parametrize("filename", ["/etc/edge-dhcp-test.json", "../escape.json", "sub/../../escape.json"])
def test_config_write_only_into_the_configuration_directory(tmp_path: Path, filename: str) -> None:
    directory = tmp_path / "conf"
    directory.mkdir()
    path = written(directory, document(tmp_path / "ctrl.sock"))
    running = Running(load_file(str(path)), tmp_path / "ctrl.sock", config_path=str(path))
    try:
        got = running.call("config-write", {"filename": filename})
        assert got["result"] == 1 and "may only write into the configuration directory" in got["text"]
        assert not Path("/etc/edge-dhcp-test.json").exists() and not (tmp_path / "escape.json").exists()
    finally:
        running.stop()


def test_config_write_failure_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = written(tmp_path, document(tmp_path / "ctrl.sock"))
    original = path.read_bytes()
    running = Running(load_file(str(path)), tmp_path / "ctrl.sock", config_path=str(path))
    try:

        def power_cut(src: str, dst: str) -> None:  # the rename never happens
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(commands_module.os, "replace", power_cut)
        got = running.call("config-write")
        assert got["result"] == 1 and "No space left on device" in got["text"]
        assert path.read_bytes() == original
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".edge-dhcp-")] == []
    finally:
        running.stop()


def test_config_write_without_a_file(serve: Serve) -> None:
    got = serve().call("config-write")
    assert got["result"] == 1 and "built-in default configuration" in got["text"]


def test_start_helper_config_path(tmp_path: Path) -> None:
    running = start(tmp_path, config_path=str(tmp_path / "x.json"))
    try:
        assert running.server.config_path == str(tmp_path / "x.json")
    finally:
        running.stop()
    assert not os.path.exists(tmp_path / "ctrl.sock")
