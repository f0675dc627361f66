"""Fuzz target: the control command executor, the road a command takes from a socket to its answer.

A real Server (no interfaces, a memfile lease store and its configuration file in a temporary directory)
executes each input: as command text (parse_command, then ControlService.execute), or, when the first
byte is odd, as a command built from the bytes: a name from the registry and arguments of the kinds its
rows declare, with values around their edges (so most inputs get past argument checking and into the
handlers). A handler exception that the registry would answer as "internal error" is a crash here; so is
an answer that is not strict JSON or has a result outside Kea's 0-4.

What would reach outside the temporary directory is taken out of configurations given to config-set and
config-test (interfaces, control sockets, loggers, hosts and lease databases, DNS updates): the fuzzer must
not open sockets on the host or write files elsewhere.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tests.fuzz.subjects import (
    COMMANDS,
    MemfileLeaseStore4,
    RequestError,
    Server,
    control_registry,
    encode_answer,
    load_data,
    parse_command,
    quiet_logging,
)

FREE_FORM_SAFE = {"interfaces-config": {"interfaces": [], "dhcp-socket-type": "udp"}}
OUTSIDE = (
    "control-socket",
    "control-sockets",
    "loggers",
    "hosts-database",
    "hosts-databases",
    "dhcp-ddns",
    "lease-database",
)
BASE = {
    "Dhcp4": {
        **FREE_FORM_SAFE,
        "subnet4": [
            {
                "id": 1,
                "subnet": "192.0.2.0/24",
                "pools": [{"pool": "192.0.2.10 - 192.0.2.200"}],
                "reservations": [{"hw-address": "02:00:00:00:00:01", "ip-address": "192.0.2.5"}],
            },
            {
                "id": 2,
                "subnet": "10.2.0.0/24",
                "relay": {"ip-addresses": ["10.2.0.1"]},
                "pools": [{"pool": "10.2.0.10 - 10.2.0.20"}],
            },
        ],
    }
}


class _Reraise:
    """Stands in for the registry's logger: its exception() re-raises what the registry caught."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None

    def exception(self, *args: Any, **kwargs: Any) -> None:
        raise  # noqa: PLE0704 - called from the registry's except block: re-raise the handler's exception


class Bytes:
    """Values drawn from input bytes (deterministic, never running out: zeros after the end)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        value = self.data[self.at] if self.at < len(self.data) else 0
        self.at += 1
        return value

    def pick(self, items: Any) -> Any:
        items = list(items)
        return items[self.byte() % len(items)]

    def text(self) -> str:
        n = self.byte() % 24
        raw = bytes(self.byte() for _ in range(n))
        return raw.decode("latin-1") if self.byte() & 1 else raw.hex(":")

    def integer(self) -> int:
        return self.pick(
            [
                0,
                1,
                -1,
                2,
                255,
                256,
                65535,
                2**31 - 1,
                2**31,
                2**32 - 1,
                2**32,
                2**63,
                -(2**63),
                self.byte(),
                self.byte() << 8 | self.byte(),
                7200,
                86400,
            ]
        )

    def value(self, depth: int = 0) -> Any:
        kind = self.byte() % (9 if depth < 3 else 6)
        if kind == 0:
            return self.integer()
        if kind == 1:
            return self.text()
        if kind == 2:
            return self.pick(
                [
                    "192.0.2.15",
                    "192.0.2.5",
                    "10.2.0.10",
                    "0.0.0.0",
                    "255.255.255.255",
                    "02:00:00:00:00:01",
                    "01:02:03",
                    "",
                    "1.2.3",
                    "192.0.2.0/24",
                    "all",
                    "*",
                ]
            )
        if kind == 3:
            return bool(self.byte() & 1)
        if kind == 4:
            return None
        if kind == 5:
            return self.pick([0.5, 1e300, -0.0, 3.25])
        if kind == 6:
            return [self.value(depth + 1) for _ in range(self.byte() % 4)]
        return {self.text(): self.value(depth + 1) for _ in range(self.byte() % 4)}


class ControlTarget:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="edge-fuzz-control-")
        atexit.register(shutil.rmtree, self.dir, True)
        path = Path(self.dir) / "edge-dhcp4.json"
        path.write_text(json.dumps(BASE))
        config = load_data(BASE, source=str(path))
        store = MemfileLeaseStore4(str(Path(self.dir) / "leases.db"), persist=True, sync="none")
        self.server = Server(config, store, str(path))
        self.names = COMMANDS.names()
        control_registry.log = _Reraise()  # type: ignore[assignment]

    def build(self, source: Bytes) -> dict[str, Any]:
        name = source.pick(self.names)
        command = COMMANDS.get(name)
        assert command is not None
        request: dict[str, Any] = {"command": name}
        if command.free_form:
            request["arguments"] = json.loads(json.dumps(BASE))
            for _ in range(source.byte() % 4):  # a few keys changed or added at the top of Dhcp4
                request["arguments"]["Dhcp4"][
                    source.pick(
                        [
                            "valid-lifetime",
                            "subnet4",
                            "option-data",
                            "client-classes",
                            "reservations",
                            "shared-networks",
                            source.text(),
                        ]
                    )
                ] = source.value()
        elif command.args or source.byte() & 1:
            arguments = {}
            for arg in command.args:
                if arg.required or source.byte() & 1:
                    arguments[arg.name] = source.value()
            if source.byte() % 8 == 0:
                arguments[source.text()] = source.value()
            request["arguments"] = arguments
        return request

    def one_input(self, data: bytes) -> None:
        if not data:
            return
        if data[0] & 1:
            text: bytes = json.dumps(self.build(Bytes(data[1:]))).encode()
        else:
            text = data[1:]
        try:
            request = parse_command(text)
        except RequestError as exc:
            str(exc).encode("utf-8")
            return
        if COMMANDS.get(request.command) is not None and request.arguments is not None:
            dhcp4 = request.arguments.get("Dhcp4")
            if COMMANDS.get(request.command).free_form and isinstance(dhcp4, dict):  # type: ignore[union-attr]
                for key in OUTSIDE:
                    dhcp4.pop(key, None)
                dhcp4.update(FREE_FORM_SAFE)
        reply = self.server.control.execute(request, "fuzz")
        if request.command == "config-set" or request.command == "config-reload":
            quiet_logging()  # a configuration applied sets up the server's logging again
        out = encode_answer(reply.answer)
        answer = json.loads(out, parse_constant=lambda name: (_ for _ in ()).throw(AssertionError(name)))
        assert answer.get("result") in (0, 1, 2, 3, 4), answer
        if reply.after is not None:
            reply.after()
        try:  # what stop() (shutdown) wrote to wake the loop: the loop would read it
            os.read(self.server.loop._wake_r, 4096)
        except BlockingIOError:
            pass


_target: ControlTarget | None = None


def one_input(data: bytes) -> None:
    global _target
    if _target is None:
        _target = ControlTarget()
    _target.one_input(data)
