"""The DHCPv6 capture files (tests/wire/captures6/, made by `python -m tests.wire.capture6`) are whole.

Each file must hold what its scenario promises (the message types its name stands for, in both
directions), and every payload must decode with the test-side decoder into the view stored beside it, so
a hand edit or a half-written regeneration cannot slip in unnoticed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.lab import dhcp6msg as m
from tests.wire.capture6 import SCENARIOS

CAPTURES = Path(__file__).resolve().parent / "captures6"
FILES = sorted(CAPTURES.glob("*.json"))

# the client message types each scenario must contain (a reply from Kea to each is checked separately)
MUST_SEND = {
    "dhclient6-ia-na": {"SOLICIT", "REQUEST"},
    "dhclient6-rapid-commit": {"SOLICIT"},
    "dhclient6-ia-pd": {"SOLICIT", "REQUEST"},
    "dhclient6-several-ia": {"SOLICIT", "REQUEST"},
    "dhclient6-renew": {"RENEW"},
    "dhclient6-confirm": {"CONFIRM"},
    "dhclient6-rebind": {"REBIND"},
    "dhclient6-release": {"RELEASE"},
    "dhclient6-decline": {"DECLINE"},
    "dhclient6-inform": {"INFORMATION-REQUEST"},
    "dhcpcd6": {"SOLICIT", "REQUEST", "RELEASE"},
    "dhcpcd6-rapid-commit": {"SOLICIT"},
    "dhcrelay6": {"SOLICIT", "RELAY-FORW", "RELEASE"},
    "perfdhcp6-address": {"SOLICIT", "REQUEST"},
    "perfdhcp6-prefix": {"SOLICIT", "REQUEST"},
    "kea6-status-answers": {"SOLICIT", "RELEASE", "DECLINE", "CONFIRM", "INFORMATION-REQUEST"},
    "kea6-relay-crafted": {"RELAY-FORW"},
}


def test_every_scenario_has_a_file() -> None:
    assert {f.stem for f in FILES} == set(SCENARIOS) == set(MUST_SEND)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_capture_file(path: Path) -> None:
    data = json.loads(path.read_text())
    assert data["name"] == path.stem and data["description"]
    assert "2.2" in data["versions"]["kea-dhcp6"]
    sent = {d["type"] for d in data["datagrams"] if d["direction"] == "client->server"}
    answers = [d for d in data["datagrams"] if d["direction"] == "server->client"]
    assert MUST_SEND[path.stem] <= sent, sent
    assert answers, "no answer from Kea recorded"
    for datagram in data["datagrams"]:
        msg = m.decode(bytes.fromhex(datagram["hex"]))
        assert m.describe(msg) == datagram["decoded"]
        assert msg.encode().hex() == datagram["hex"]  # the decoder loses nothing
    if path.stem in ("dhclient6-rapid-commit", "dhcpcd6-rapid-commit"):
        (reply,) = answers
        assert reply["type"] == "REPLY" and any(o["code"] == 14 for o in reply["decoded"]["options"])
