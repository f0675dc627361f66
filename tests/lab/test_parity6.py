"""Side by side: the same Dhcp6 configuration and the same client messages to Kea 2.2's kea-dhcp6 and to
edge-dhcp, and the whole transcripts compared.

Each scenario is a list of crafted client messages (tests/lab/kea6_peer.py, each server in its own
throw-away site) played against both servers. What is compared, message by message: the answer's type (or
no answer), its options in order with every IA, IAADDR, IAPREFIX, status code (number and text), T1/T2,
lifetime and option value (tests/lab/dhcp6msg.py describe(), an independent codec); then the statistics
both keep and the lease rows (Kea's lease6 CSV, edge-dhcp's journal written as the same CSV by its own
writer, tests/lab/edge6.py). The only things normalised are the server's own identity (its DUID, in the
server-id option), the transaction ids (each run draws its own; an answer is only taken with its request's) and the lease times that depend on the second each server wrote them (expire/cltt).

Differences kept on purpose are listed in DIFFERENCES with their reason; the test fails on any other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.lab import dhcp6msg as m
from tests.lab import kea6
from tests.lab.kea6_peer import Peer6
from tests.lab.netns import Lab
from tests.lab.netns6 import add_address6
from tests.lab.test_kea6_observed import NET, POOL, World, relayed_subnets

pytestmark = pytest.mark.lab

# (scenario, message index, what) -> why. Empty: no known difference in these scenarios.
DIFFERENCES: dict[tuple[str, int, str], str] = {}

OPTIONS = [
    {"name": "dns-servers", "data": "2001:db8:1::53"},
    {"name": "domain-search", "data": "lab.example"},
    {"name": "sntp-servers", "data": "2001:db8:1::123"},
    {"name": "preference", "data": "7", "always-send": True},
]
STATS = (
    "pkt6-received",
    "pkt6-receive-drop",
    "pkt6-parse-failed",
    "pkt6-solicit-received",
    "pkt6-request-received",
    "pkt6-renew-received",
    "pkt6-rebind-received",
    "pkt6-release-received",
    "pkt6-decline-received",
    "pkt6-infrequest-received",
    "pkt6-confirm-received",
    "pkt6-sent",
    "pkt6-advertise-sent",
    "pkt6-reply-sent",
    "cumulative-assigned-nas",
    "cumulative-assigned-pds",
    "declined-addresses",
    "v6-allocation-fail",
    "subnet[1].assigned-nas",
    "subnet[1].assigned-pds",
    "subnet[1].declined-addresses",
    "subnet[1].cumulative-assigned-nas",
    "subnet[1].cumulative-assigned-pds",
    "subnet[1].total-nas",
    "subnet[1].total-pds",
)
ROW_FIELDS = (
    "address", "duid", "valid_lifetime", "subnet_id", "pref_lifetime", "lease_type", "iaid", "prefix_len",
    "fqdn_fwd", "fqdn_rev", "hostname", "hwaddr", "state", "hwtype", "hwaddr_source",
)  # fmt: skip

Step = Callable[[Peer6, list[m.Message | None]], m.Message]


def offered(answers: list[m.Message | None], at: int, code: int = m.IA_NA, n: int = 0) -> list[str]:
    """The addresses (or prefixes) of IA number n of kind `code` in answer `at`."""
    msg = answers[at]
    assert msg is not None
    ia = m.ias(msg, code)[n]
    if code == m.IA_PD:
        return [str(p) for p, _, _ in ia.prefixes]
    return [str(a) for a, _, _ in ia.addresses]


def life_cycle() -> list[Step]:
    """Addresses and prefixes through every message type, with a relay-less CONFIRM and a DECLINE."""
    return [
        lambda p, a: p.msg(m.SOLICIT, 1, ia_na=[(1, [])], oro=[23, 24]),
        lambda p, a: p.msg(m.REQUEST, 1, server_id=True, ia_na=[(1, offered(a, 0))], oro=[23, 24]),
        lambda p, a: p.msg(m.SOLICIT, 2, ia_na=[(5, [])], ia_pd=[(6, [])], oro=[31]),
        lambda p, a: p.msg(
            m.REQUEST, 2, server_id=True, ia_na=[(5, offered(a, 2))], ia_pd=[(6, offered(a, 2, m.IA_PD))]
        ),
        lambda p, a: p.msg(m.RENEW, 1, server_id=True, ia_na=[(1, offered(a, 1))]),
        lambda p, a: p.msg(
            m.REBIND, 2, ia_na=[(5, offered(a, 3))], ia_pd=[(6, offered(a, 3, m.IA_PD))], oro=[23]
        ),
        lambda p, a: p.msg(m.CONFIRM, 1, ia_na=[(1, offered(a, 1))]),
        lambda p, a: p.msg(m.CONFIRM, 1, ia_na=[(1, ["2001:db8:77::1"])]),
        lambda p, a: p.msg(m.INFORMATION_REQUEST, 3, oro=[23, 24, 31]),
        lambda p, a: p.msg(m.RELEASE, 1, server_id=True, ia_na=[(1, offered(a, 1))]),
        lambda p, a: p.msg(m.DECLINE, 2, server_id=True, ia_na=[(5, offered(a, 3))]),
        lambda p, a: p.msg(m.RELEASE, 9, server_id=True, ia_na=[(1, ["2001:db8:1::1ff"])]),
        lambda p, a: p.msg(m.REQUEST, 4, server_id=b"\x00\x02\x00\x00\x00\x09\x01", ia_na=[(1, [])]),
        lambda p, a: p.msg(m.SOLICIT, 4, ia_na=[(1, ["2001:db8:1::1a0"], 9000, 9000)]),
        lambda p, a: p.msg(m.SOLICIT, 5, ia_na=[(1, []), (2, [])], ia_pd=[(3, []), (4, [])]),
    ]


def exhaustion() -> list[Step]:
    """A pool of two addresses and a pd-pool of two prefixes, asked for by three clients, then RENEW of
    an unknown lease and REBIND without a subnet."""
    steps: list[Step] = []
    for client in (1, 2, 3):
        steps.append(
            lambda p, a, c=client: p.msg(m.SOLICIT, c, ia_na=[(1, [])], ia_pd=[(2, [])], extra=[(14, b"")])
        )
    steps.append(lambda p, a: p.msg(m.RENEW, 7, server_id=True, ia_na=[(1, ["2001:db8:1::100"])]))
    return steps


def wrap(inner: m.Message, link: str, interface_id: bytes | None = None, hop: int = 0) -> m.Message:
    options = [] if interface_id is None else [(m.INTERFACE_ID, interface_id)]
    forw = m.relay_forw(inner.encode(), link=link, peer="fe80::1234", options=options)
    forw.hop = hop
    return forw


def inner_of(answers: list[m.Message | None], at: int) -> list[m.Message | None]:
    msg = answers[at]
    return [None if msg is None else msg.innermost()]


def relayed() -> list[Step]:
    """Relayed clients: by link-address, by interface-id, by relay.ip-addresses, a link-address of ::,
    two relays nested, and a REQUEST through the relay for what the ADVERTISE offered."""
    return [
        lambda p, a: wrap(p.msg(m.SOLICIT, 1, ia_na=[(1, [])], oro=[23]), "2001:db8:2::1"),
        lambda p, a: wrap(p.msg(m.SOLICIT, 2, ia_na=[(1, [])]), "2001:db8:2::1", b"port-3"),
        lambda p, a: wrap(p.msg(m.SOLICIT, 3, ia_na=[(1, [])]), "2001:db8:44::1"),
        lambda p, a: wrap(p.msg(m.SOLICIT, 4, ia_na=[(1, [])]), "::"),
        lambda p, a: m.relay_forw(
            wrap(p.msg(m.SOLICIT, 5, ia_na=[(1, [])]), "2001:db8:2::1", b"inner").encode(),
            link="2001:db8:99::1",
            peer="fe80::99",
            options=[(m.INTERFACE_ID, b"outer")],
        ),
        lambda p, a: wrap(
            p.msg(m.REQUEST, 1, server_id=True, ia_na=[(1, offered(inner_of(a, 0), 0))]), "2001:db8:2::1"
        ),
        lambda p, a: wrap(
            p.msg(m.RENEW, 1, server_id=True, ia_na=[(1, offered(inner_of(a, 0), 0))]), "2001:db8:2::1"
        ),
    ]


def prefix_delegation() -> list[Step]:
    """IA_PD through SOLICIT/REQUEST/RENEW/REBIND/RELEASE in a pd-pool of four /64s: alone, with IA_NA in
    the same message, with a prefix hint in the pool, a length-only hint (::/64), a hint outside every pool,
    the pool exhausted (NoPrefixAvail to SOLICIT and REQUEST), and a released prefix handed out again."""
    return [
        lambda p, a: p.msg(m.SOLICIT, 1, ia_pd=[(1, [])]),
        lambda p, a: p.msg(m.REQUEST, 1, server_id=True, ia_pd=[(1, offered(a, 0, m.IA_PD))]),
        lambda p, a: p.msg(m.RENEW, 1, server_id=True, ia_pd=[(1, offered(a, 1, m.IA_PD))]),
        lambda p, a: p.msg(m.SOLICIT, 2, ia_na=[(3, [])], ia_pd=[(4, [])]),
        lambda p, a: p.msg(
            m.REQUEST, 2, server_id=True, ia_na=[(3, offered(a, 3))], ia_pd=[(4, offered(a, 3, m.IA_PD))]
        ),
        lambda p, a: p.msg(m.SOLICIT, 3, ia_pd=[(1, ["2001:db8:8:3::/64"])]),
        lambda p, a: p.msg(m.REQUEST, 3, server_id=True, ia_pd=[(1, offered(a, 5, m.IA_PD))]),
        lambda p, a: p.msg(m.SOLICIT, 4, ia_pd=[(1, ["::/64"])]),
        lambda p, a: p.msg(m.REQUEST, 4, server_id=True, ia_pd=[(1, offered(a, 7, m.IA_PD))]),
        lambda p, a: p.msg(m.SOLICIT, 5, ia_pd=[(1, [])]),
        lambda p, a: p.msg(m.REQUEST, 5, server_id=True, ia_pd=[(1, [])]),
        lambda p, a: p.msg(m.REBIND, 1, ia_pd=[(1, offered(a, 1, m.IA_PD))]),
        lambda p, a: p.msg(m.RELEASE, 1, server_id=True, ia_pd=[(1, offered(a, 1, m.IA_PD))]),
        lambda p, a: p.msg(m.SOLICIT, 5, ia_pd=[(1, [])]),
        lambda p, a: p.msg(
            m.RELEASE, 2, server_id=True, ia_na=[(3, offered(a, 4))], ia_pd=[(4, offered(a, 4, m.IA_PD))]
        ),
        lambda p, a: p.msg(m.SOLICIT, 6, ia_pd=[(1, ["2001:db8:77::/64"])]),
        lambda p, a: p.msg(m.RENEW, 7, server_id=True, ia_pd=[(1, ["2001:db8:8:2::/64"])]),
    ]


def pd_exclude() -> list[Step]:
    """RFC 6603: a pd-pool with an excluded prefix; the PD_EXCLUDE option (67) when the ORO asks for it
    (SOLICIT, REQUEST), not when it does not (RENEW), and the one-prefix pool exhausted."""
    return [
        lambda p, a: p.msg(m.SOLICIT, 1, ia_pd=[(1, [])], oro=[67]),
        lambda p, a: p.msg(m.REQUEST, 1, server_id=True, ia_pd=[(1, offered(a, 0, m.IA_PD))], oro=[67]),
        lambda p, a: p.msg(m.RENEW, 1, server_id=True, ia_pd=[(1, offered(a, 1, m.IA_PD))]),
        lambda p, a: p.msg(m.RENEW, 1, server_id=True, ia_pd=[(1, offered(a, 1, m.IA_PD))], oro=[67, 23]),
        lambda p, a: p.msg(m.SOLICIT, 2, ia_pd=[(1, [])], oro=[67]),
    ]


SCENARIOS: dict[str, tuple[Callable[[], list[Step]], dict[str, Any]]] = {
    "relayed": (
        relayed,
        {"subnets": relayed_subnets(), "interfaces": ["srv0/2001:db8:1::1"], "relay": True},
    ),
    "life-cycle": (
        life_cycle,
        {
            "subnets": [
                kea6.subnet6(
                    1, NET, [POOL], interface="srv0", pd_pools=[kea6.pd_pool("2001:db8:8::", 56, 64)]
                )
            ],
            "extra": {"option-data": OPTIONS, "decline-probation-period": 1234},
        },
    ),
    "exhaustion": (
        exhaustion,
        {
            "subnets": [
                kea6.subnet6(
                    1,
                    NET,
                    ["2001:db8:1::100-2001:db8:1::101"],
                    interface="srv0",
                    pd_pools=[kea6.pd_pool("2001:db8:8::", 63, 64)],
                    rapid_commit=True,
                )
            ],
            "preferred_lifetime": 1000,
            "valid_lifetime": 4000,
        },
    ),
    "prefix-delegation": (
        prefix_delegation,
        {
            "subnets": [
                kea6.subnet6(
                    1, NET, [POOL], interface="srv0", pd_pools=[kea6.pd_pool("2001:db8:8::", 62, 64)]
                )
            ],
            "preferred_lifetime": 1000,
            "valid_lifetime": 4000,
        },
    ),
    "pd-exclude": (
        pd_exclude,
        {
            "subnets": [
                kea6.subnet6(
                    1,
                    NET,
                    [POOL],
                    interface="srv0",
                    pd_pools=[
                        kea6.pd_pool(
                            "2001:db8:a::", 56, 56, excluded_prefix="2001:db8:a:ff::", excluded_prefix_len=64
                        )
                    ],
                )
            ],
        },
    ),
}


# What Kea's own transcript must show for a scenario to have tested what it says (a config or message change
# that stopped exercising it would otherwise still compare equal).
MUST_SHOW: dict[str, tuple[str, ...]] = {
    "prefix-delegation": ('"NoPrefixAvail"', '"prefix": "2001:db8:8:3::/64"', '"ia-na"', '"ia-pd"'),
    "pd-exclude": ('"pd-exclude"', '"NoPrefixAvail"'),
}


def normalised(msg: m.Message | None, server_id: bytes) -> Any:
    if msg is None:
        return None
    text = m.describe(msg)
    text.pop("xid", None)  # the crafted client only takes an answer with its request's xid
    sid = server_id.hex()

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ("<server-id>" if v == sid else walk(v)) for k, v in value.items() if k != "xid"}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(text)


def play(kind: str, name: str) -> dict[str, Any]:
    """The scenario against one server, in a lab of its own (torn down when done, even on failure)."""
    with Lab() as lab:
        return _play(lab, kind, name)


def _play(lab: Lab, kind: str, name: str) -> dict[str, Any]:
    make, config = SCENARIOS[name]
    config = dict(config)
    world = World(lab, kind)
    to = None
    if config.pop("relay", False):
        add_address6(lab, world.site.client.ns, "cli0", "2001:db8:1::2/64")
        to = "2001:db8:1::1"
    peer = world.start(**config)
    if to is not None:
        peer.close()
        peer = Peer6(lab, world.site, peer.server_id, relay=True, source="2001:db8:1::2")
    try:
        answers: list[m.Message | None] = []
        transcript = []
        for step in make():
            message = step(peer, answers)
            # both answer in milliseconds, or not at all
            answer = peer.client.ask(message, timeout=1.0, to=to)
            answers.append(answer)
            transcript.append(normalised(answer, peer.server_id))
        stats = world.kea.statistics()
        rows = [{k: row.get(k) for k in ROW_FIELDS} for row in world.kea.lease_rows()]
        return {"transcript": transcript, "stats": {k: stats.get(k) for k in STATS}, "rows": rows}
    finally:
        peer.close()
        world.kea.stop()


@pytest.fixture
def both(lab_ready: None) -> Iterator[Callable[[str], tuple[dict[str, Any], dict[str, Any]]]]:
    if not kea6.available():
        pytest.skip("kea-dhcp6 is not installed")
    yield lambda name: (play("kea", name), play("edge", name))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_transcripts_statistics_and_lease_rows_match_kea(both: Any, name: str) -> None:
    kea, edge = both(name)
    assert len(kea["transcript"]) == len(edge["transcript"])
    for i, (theirs, ours) in enumerate(zip(kea["transcript"], edge["transcript"], strict=True)):
        if (name, i, "answer") in DIFFERENCES:
            continue
        assert ours == theirs, f"{name} message {i}: edge-dhcp answered differently from Kea 2.2"
    assert any(t is not None for t in kea["transcript"])  # the scenario did exchange messages
    said = json.dumps(kea["transcript"])
    for needle in MUST_SHOW.get(name, ()):
        assert needle in said, f"{name}: Kea's transcript lacks {needle}"
    assert edge["stats"] == kea["stats"]
    assert edge["rows"] == kea["rows"]
