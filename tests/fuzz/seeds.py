"""The seed corpora of the fuzz targets, in tests/fuzz/corpus/<target>/ (one input per file).

- wire, engine: real client packets, captured in a lab from ISC dhclient, dhcpcd and busybox udhcpc by
  tests/wire/capture_clients.py (the capture is kept as corpus/captured-clients.txt: client, message type,
  hex), plus the packets the codec tests already use (tests/wire/vectors.py) and a few the engine's
  configuration (engine.json) has rows for: relayed with option 82, PXE, a reserved client-id, a
  RELEASE/DECLINE/INFORM. Engine inputs carry two leading bytes (fuzz_engine.py: source and clock step).
- engine6: every client message of the DHCPv6 lab captures (tests/wire/captures6/: dhclient -6, dhcpcd -6,
  dhcrelay -6, perfdhcp -6), with the server-id they carry replaced by the fuzzed server's, so REQUEST,
  RENEW, RELEASE and DECLINE get past the server-id check; two leading bytes as for engine.
- control: one valid command per registry row, as a client would send it.
- config: the project's examples.

`python -m tests.fuzz.seeds` (re)writes the corpus directories from these sources; the files are kept
in the repository so the fuzzers and the replay test start from the same inputs everywhere.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
CAPTURED = CORPUS / "captured-clients.txt"
TARGETS = ("wire", "engine", "engine6", "control", "config")


def client_packets() -> list[bytes]:
    """The captured client packets, in capture order (dhclient DISCOVER and REQUEST first)."""
    out = []
    for line in CAPTURED.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            out.append(bytes.fromhex(parts[2]))
    return out


def corpus(target: str) -> list[bytes]:
    """The seed inputs of `target`, sorted by file name."""
    return [p.read_bytes() for p in sorted((CORPUS / target).iterdir()) if p.is_file()]


def _packets() -> dict[str, bytes]:
    from tests.fuzz.subjects import wire
    from tests.wire import vectors
    from tests.wire.fuzz_decode import seed_packets

    named: dict[str, bytes] = {}
    for line in CAPTURED.read_text().splitlines():
        client, kind, hexed = line.split()
        named[f"{client}-{kind.removeprefix('DHCP').lower()}"] = bytes.fromhex(hexed)
    for i, v in enumerate(vectors.CAPTURED):
        named[f"vector-{i}"] = vectors.h(v["hex"])
    for i, data in enumerate(seed_packets()[len(vectors.CAPTURED) :]):
        named[f"codec-{i}"] = data
    base = wire.decode(named["dhclient-discover"])

    def variant(name: str, msg_type: int, **options: bytes) -> None:
        p = base.copy()
        p.set(wire.OPT_MESSAGE_TYPE, bytes((msg_type,)))
        for code, value in options.items():
            p.set(int(code[1:]), value)
        named[name] = wire.encode(p)

    variant(
        "relayed-82",
        wire.DHCPDISCOVER,
        o82=bytes.fromhex("0106706f72742d31") + bytes.fromhex("0504") + bytes((10, 1, 0, 1)),
    )
    variant("pxe", wire.DHCPDISCOVER, o60=b"PXEClient:Arch:00000:UNDI:002001")
    variant("phone", wire.DHCPDISCOVER, o60=b"phone", o12=b"desk-phone")
    variant(
        "client-id",
        wire.DHCPREQUEST,
        o61=bytes.fromhex("0102005e100002"),
        o50=bytes((192, 0, 2, 11)),
        o54=bytes((192, 0, 2, 1)),
    )
    variant(
        "fqdn",
        wire.DHCPREQUEST,
        o81=b"\x01\x00\x00laptop.lan.example",
        o50=bytes((192, 0, 2, 100)),
        o54=bytes((192, 0, 2, 1)),
    )
    variant("release", wire.DHCPRELEASE, o54=bytes((192, 0, 2, 1)))
    variant("decline", wire.DHCPDECLINE, o50=bytes((192, 0, 2, 100)), o54=bytes((192, 0, 2, 1)))
    variant("inform", wire.DHCPINFORM)
    return named


def _commands() -> dict[str, bytes]:
    from tests.fuzz.fuzz_control import BASE

    lease = {"ip-address": "192.0.2.15", "hw-address": "02:00:00:00:00:02", "hostname": "pc"}
    examples: dict[str, dict] = {
        "config-set": {"command": "config-set", "arguments": BASE},
        "config-test": {"command": "config-test", "arguments": BASE},
        "lease4-add": {"command": "lease4-add", "arguments": {**lease, "user-context": {"k": [1, "x"]}}},
        "lease4-update": {"command": "lease4-update", "arguments": {**lease, "force-create": True}},
        "lease4-get": {"command": "lease4-get", "arguments": {"ip-address": "192.0.2.15"}},
        "lease4-get-all": {"command": "lease4-get-all", "arguments": {"subnets": [1]}},
        "lease4-del": {"command": "lease4-del", "arguments": {"ip-address": "192.0.2.15"}},
        "lease4-wipe": {"command": "lease4-wipe", "arguments": {"subnet-id": 1}},
        "statistic-get": {"command": "statistic-get", "arguments": {"name": "pkt4-received"}},
        "dhcp-disable": {"command": "dhcp-disable", "arguments": {"max-period": 5}},
        "config-write": {"command": "config-write", "arguments": {"filename": "written.json"}},
    }
    from tests.fuzz.subjects import COMMANDS

    out = {}
    for name in COMMANDS.names():
        request = examples.get(name, {"command": name})
        out[name] = b"\x00" + json.dumps(request, indent=1).encode()  # first byte even: the text as is
    out["comments"] = b'\x00// a comment\n{"command": "status-get", /* here too */ "service": ["dhcp4"]}\n'
    return out


def _packets6() -> dict[str, bytes]:
    from tests.fuzz.fuzz_engine6 import SERVER_ID
    from tests.fuzz.subjects import pkt6

    named: dict[str, bytes] = {}
    for path in sorted((HERE.parent / "wire" / "captures6").glob("*.json")):
        capture = json.loads(path.read_text())
        for i, datagram in enumerate(capture["datagrams"]):
            if datagram["direction"] != "client->server":
                continue
            packet = pkt6.decode6(bytes.fromhex(datagram["hex"]), lenient=True)
            if packet.server_id is not None:
                packet.set(pkt6.OPT_SERVERID, SERVER_ID)
            relayed = bool(packet.relays)
            how = (0x10 | 3) if relayed else (0x40 | 1)
            named[f"{path.stem}-{i}"] = bytes((how, 1)) + pkt6.encode6(packet)
    return named


def write() -> None:
    packets = _packets()
    sets = {
        "wire": packets,
        "engine": {
            name: bytes((0x40 if "relayed" not in name else 0x02, 1)) + data for name, data in packets.items()
        },
        "engine6": _packets6(),
        "control": _commands(),
        "config": {p.stem: p.read_bytes() for p in sorted((HERE.parents[1] / "examples").glob("*.json"))},
    }
    sets["engine"].update(
        {
            f"{name}-later": bytes((0x60, 0xFF)) + data
            for name, data in packets.items()
            if name.startswith("dhclient")
        }
    )
    for target, inputs in sets.items():
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.iterdir():
            old.unlink()
        for name, data in inputs.items():
            (directory / f"{name}-{hashlib.sha1(data).hexdigest()[:8]}").write_bytes(data)
        print(f"{target}: {len(inputs)} seed inputs in {directory}", file=sys.stderr)


if __name__ == "__main__":
    write()
