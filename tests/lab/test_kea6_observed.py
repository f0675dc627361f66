"""Kea 2.2 kea-dhcp6, observed: each fact from shared/notes/kea-2.2-dhcp6.md checked against the real server.

Every test here states one behaviour of Debian's kea-dhcp6 2.2 as an assertion on what it sent, wrote or
answered; tests/lab/kea6-observed.md lists the facts with the test that shows each. These are the answers
edge-dhcp's DHCPv6 server must give (or name as a deliberate difference) in the side-by-side harness.
Messages are crafted (tests/lab/kea6_peer.py), so each test controls every byte the server sees.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.lab import dhcp6msg as m
from tests.lab import kea6
from tests.lab.capture6 import Capture6
from tests.lab.common6 import CLIENT_INDEX, CLIENT_MAC, SERVER_INDEX, SERVER_MAC
from tests.lab.edge6 import Edge6Server
from tests.lab.kea6_peer import Peer6, duid
from tests.lab.netns import Lab
from tests.lab.netns6 import Site6, add_address6, build6

pytestmark = pytest.mark.lab

NET = "2001:db8:1::/64"
POOL = "2001:db8:1::100-2001:db8:1::1ff"
SUCCESS, UNSPEC_FAIL, NO_ADDRS_AVAIL, NO_BINDING, NOT_ON_LINK, USE_MULTICAST, NO_PREFIX_AVAIL = range(7)


SERVERS = {"kea": kea6.Kea6Server, "edge": Edge6Server}


class World:
    """One direct site, one server (kea-dhcp6, or edge-dhcp built from the same Kea configuration) and one
    crafted peer."""

    def __init__(self, lab: Lab, kind: str = "kea") -> None:
        self.lab = lab
        self.kind = kind
        self.site: Site6 = build6(
            lab,
            server_index=SERVER_INDEX,
            client_index=CLIENT_INDEX,
            client_mac=CLIENT_MAC,
            server_mac=SERVER_MAC,
        )
        self.server: kea6.Kea6Server | None = None
        self.peer: Peer6 | None = None

    def start(self, subnets: list[dict[str, Any]] | None = None, **kwargs: Any) -> Peer6:
        if self.kind == "kea" and not kea6.available():
            pytest.skip("kea-dhcp6 is not installed")
        if subnets is None:
            subnets = [
                kea6.subnet6(
                    1, NET, [POOL], interface="srv0", pd_pools=[kea6.pd_pool("2001:db8:8::", 56, 64)]
                )
            ]
        interfaces = kwargs.pop("interfaces", ["srv0"])
        self.server = SERVERS[self.kind](
            self.lab, self.site.server.ns, interfaces=interfaces, subnets=subnets, **kwargs
        )
        self.server.start()
        server_id = self.server.server_id()
        sid = bytes.fromhex(server_id.replace(":", "")) if server_id else b""
        self.peer = Peer6(self.lab, self.site, sid)
        return self.peer

    @property
    def kea(self) -> kea6.Kea6Server:
        assert self.server is not None
        return self.server


@pytest.fixture(params=sorted(SERVERS))
def world(lab: Lab, request: pytest.FixtureRequest) -> Iterator[World]:
    """The scenario against Kea 2.2 and against edge-dhcp: the side-by-side harness. A test that shows a
    fact only Kea has (its config checker, its log lines) is marked `kea_only`."""
    if request.param != "kea" and request.node.get_closest_marker("kea_only"):
        pytest.skip("a fact about Kea itself, not an answer both servers give")
    made = World(lab, request.param)
    yield made
    if made.peer is not None:
        made.peer.close()


def only_ia(msg: m.Message | None, code: int = m.IA_NA) -> m.IA:
    assert msg is not None, "no answer"
    found = m.ias(msg, code)
    assert len(found) == 1, m.describe(msg)
    return found[0]


# -- what Kea answers ----------------------------------------------------------------------------------------


def test_options_only_when_requested_in_ascending_code_order(world: World) -> None:
    options = [
        {"name": "dns-servers", "data": "2001:db8:1::53"},
        {"name": "domain-search", "data": "lab.example"},
        {"name": "sntp-servers", "data": "2001:db8:1::123"},
        {"name": "preference", "data": "7", "always-send": True},
    ]
    peer = world.start(extra={"option-data": options})
    plain = peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])]))
    assert plain is not None
    assert plain.codes() == [m.CLIENT_ID, m.SERVER_ID, m.IA_NA, m.PREFERENCE]  # always-send only
    asked = peer.ask(peer.msg(m.SOLICIT, 2, ia_na=[(1, [])], oro=[31, 24, 23]))
    assert asked is not None
    assert asked.codes() == [1, 2, 3, 7, 23, 24, 31]  # ascending, whatever order the ORO had


def test_option_56_ntp_server_is_not_defined_in_2_2(world: World) -> None:
    world.start()
    world.kea.config["Dhcp6"]["option-data"] = [{"name": "ntp-server", "data": "2001:db8:1::123"}]
    code, output = world.kea.check_config()
    assert code != 0 and "ntp-server" in output, output


def test_several_ia_na_and_a_new_ia_in_renew(world: World) -> None:
    peer = world.start()
    ia1 = peer.lease(1, iaid=1)
    address1 = str(ia1.addresses[0][0])
    renew = peer.msg(m.RENEW, 1, server_id=True, ia_na=[(1, [address1]), (2, [])])
    reply = peer.ask(renew)
    assert reply is not None and reply.name == "REPLY"
    got = {ia.iaid: [str(a) for a, _, _ in ia.addresses] for ia in m.ias(reply)}
    assert got[1] == [address1] and len(got[2]) == 1 and got[2][0] != address1
    assert len(world.kea.leases()) == 2


def test_pd_exclude_only_when_oro_asks_for_67(world: World) -> None:
    pool = kea6.pd_pool("2001:db8:8::", 56, 60, excluded_prefix="2001:db8:8::", excluded_prefix_len=64)
    peer = world.start([kea6.subnet6(1, NET, [POOL], interface="srv0", pd_pools=[pool])])
    without = only_ia(peer.ask(peer.msg(m.SOLICIT, 1, ia_pd=[(1, [])])), m.IA_PD)
    prefix_options = [m.decode_options(p[25:]) for c, p in without.options if c == m.IAPREFIX]
    assert prefix_options == [[]]
    with_67 = only_ia(peer.ask(peer.msg(m.SOLICIT, 2, ia_pd=[(1, [])], oro=[67])), m.IA_PD)
    (inner,) = [m.decode_options(p[25:]) for c, p in with_67.options if c == m.IAPREFIX]
    assert [c for c, _ in inner] == [67]


def test_server_id_is_duid_llt_from_2000_persisted_as_colon_hex(world: World) -> None:
    peer = world.start()
    text = world.kea.server_id()
    assert text is not None and re.fullmatch(r"([0-9a-f]{2}:)+[0-9a-f]{2}", text), repr(text)  # no newline
    raw = bytes.fromhex(text.replace(":", ""))
    assert raw[:4] == b"\x00\x01\x00\x01"  # DUID-LLT, htype 1
    seconds = int.from_bytes(raw[4:8], "big")
    assert abs(seconds + 946684800 - time.time()) < 3600  # seconds since 2000-01-01 UTC
    assert len(raw) == 14  # a MAC address of the machine's interfaces
    answer = peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])]))
    assert answer is not None and answer.get(m.SERVER_ID) == raw


def test_server_id_en_without_persist_writes_no_file(world: World) -> None:
    sid = {"type": "EN", "enterprise-id": 2495, "identifier": "0102030405", "persist": False}
    peer = world.start(server_id=sid)
    assert world.kea.server_id() is None
    answer = peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])]))
    assert answer is not None and answer.get(m.SERVER_ID) == bytes.fromhex("00020000" + "09bf" + "0102030405")


def test_stateless_subnet_options_then_global_and_options_only_config(world: World) -> None:
    glob = [
        {"name": "dns-servers", "data": "2001:db8:ff::53"},
        {"name": "sntp-servers", "data": "2001:db8:ff::1"},
    ]
    local = kea6.subnet6(1, NET, [], interface="srv0", dns="2001:db8:1::53")
    peer = world.start([local], extra={"option-data": glob})
    reply = peer.ask(peer.msg(m.INFORMATION_REQUEST, 1, oro=[23, 31]))
    assert reply is not None and reply.name == "REPLY"
    assert m.addresses_of(reply.get(23) or b"") == ["2001:db8:1::53"]  # the subnet's value wins
    assert m.addresses_of(reply.get(31) or b"") == ["2001:db8:ff::1"]  # the global one fills in
    assert reply.get(m.SERVER_ID) is not None and reply.get(m.CLIENT_ID) is not None


def test_stateless_with_no_subnets_at_all(world: World) -> None:
    peer = world.start([], extra={"option-data": [{"name": "dns-servers", "data": "2001:db8:ff::53"}]})
    reply = peer.ask(peer.msg(m.INFORMATION_REQUEST, 1, oro=[23]))
    assert reply is not None and m.addresses_of(reply.get(23) or b"") == ["2001:db8:ff::53"]
    # and an information-request without client-id is answered too (RFC 8415 allows it)
    anonymous = peer.ask(peer.msg(m.INFORMATION_REQUEST, None, oro=[23]))
    assert anonymous is not None and anonymous.get(m.CLIENT_ID) is None


def test_iterative_allocation_and_hints(world: World) -> None:
    pool_64 = kea6.subnet6(
        1, NET, ["2001:db8:1::/64"], interface="srv0", pd_pools=[kea6.pd_pool("2001:db8:8::", 56, 64)]
    )
    peer = world.start([pool_64])
    offered = [
        str(only_ia(peer.ask(peer.msg(m.SOLICIT, n, ia_na=[(1, [])]))).addresses[0][0]) for n in (1, 2, 3)
    ]
    assert offered == [
        "2001:db8:1::",
        "2001:db8:1::1",
        "2001:db8:1::2",
    ]  # `::` itself first; SOLICITs advance
    hinted = only_ia(peer.ask(peer.msg(m.SOLICIT, 4, ia_na=[(1, ["2001:db8:1::abcd"])])))
    assert str(hinted.addresses[0][0]) == "2001:db8:1::abcd"
    outside = only_ia(peer.ask(peer.msg(m.SOLICIT, 5, ia_na=[(1, ["2001:db8:99::1"])])))
    assert str(outside.addresses[0][0]) == "2001:db8:1::3"
    prefixes = [
        str(only_ia(peer.ask(peer.msg(m.SOLICIT, n, ia_pd=[(1, [])])), m.IA_PD).prefixes[0][0])
        for n in (6, 7)
    ]
    assert prefixes == ["2001:db8:8::/64", "2001:db8:8:1::/64"]
    length_only = only_ia(peer.ask(peer.msg(m.SOLICIT, 8, ia_pd=[(1, ["::/60"])])), m.IA_PD)
    assert str(length_only.prefixes[0][0]) == "2001:db8:8:2::/64"


def test_default_lifetimes_and_tee_times_from_preferred(world: World) -> None:
    peer = world.start()
    ia = only_ia(peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])])))
    assert ia.addresses[0][1:] == (3600, 7200)
    assert (ia.t1, ia.t2) == (1800, 2880)  # 0.5 and 0.8 x preferred


def test_tee_times_follow_preferred_not_valid(world: World) -> None:
    peer = world.start(preferred_lifetime=1000, valid_lifetime=4000)
    ia = only_ia(peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])])))
    assert (ia.t1, ia.t2) == (500, 800)


def test_explicit_timers_win_and_t1_not_below_t2(world: World) -> None:
    peer = world.start(renew_timer=100, rebind_timer=200)
    ia = only_ia(peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])])))
    assert (ia.t1, ia.t2) == (100, 200)
    world.kea.stop()
    peer.close()
    peer = world.start(renew_timer=200, rebind_timer=200)
    ia = only_ia(peer.ask(peer.msg(m.SOLICIT, 2, ia_na=[(1, [])])))
    assert (ia.t1, ia.t2) == (0, 200)  # T1 >= T2: T1 = 0
    world.kea.stop()
    peer.close()
    # timers above the preferred lifetime are sent as configured
    peer = world.start(renew_timer=5000, rebind_timer=6000)
    ia = only_ia(peer.ask(peer.msg(m.SOLICIT, 3, ia_na=[(1, [])])))
    assert (ia.t1, ia.t2, ia.addresses[0][1]) == (5000, 6000, 3600)
    # renew-timer above rebind-timer is a configuration error
    world.kea.config["Dhcp6"].update({"renew-timer": 300, "rebind-timer": 200})
    code, output = world.kea.check_config()
    # Kea: "the value of renew-timer (300) is greater than the value of rebind-timer (200)"; edge-dhcp says
    # the same with the key's file:line:column in front
    assert code != 0 and "renew-timer (300) is greater than" in output and "rebind-timer (200)" in output


def test_lifetime_hints_clamped_to_min_max(world: World) -> None:
    limits = {
        "min-preferred-lifetime": 1000,
        "max-preferred-lifetime": 3000,
        "min-valid-lifetime": 2000,
        "max-valid-lifetime": 6000,
    }
    peer = world.start(preferred_lifetime=2000, valid_lifetime=4000, extra=limits)
    high = only_ia(peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, ["::"], 9000, 9000)])))
    assert high.addresses[0][1:] == (3000, 6000)
    low = only_ia(peer.ask(peer.msg(m.SOLICIT, 2, ia_na=[(1, ["::"], 10, 10)])))
    assert low.addresses[0][1:] == (1000, 2000)
    none = only_ia(peer.ask(peer.msg(m.SOLICIT, 3, ia_na=[(1, [])])))
    assert none.addresses[0][1:] == (2000, 4000)


def test_solicit_commits_nothing_and_rapid_commit(world: World) -> None:
    rapid = kea6.subnet6(1, NET, [POOL], interface="srv0", rapid_commit=True)
    peer = world.start([rapid])
    advertise = peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])]))
    assert advertise is not None and advertise.name == "ADVERTISE"
    assert world.kea.lease_rows() == []
    reply = peer.ask(peer.msg(m.SOLICIT, 2, ia_na=[(1, [])], extra=[(m.RAPID_COMMIT, b"")]))
    assert reply is not None and reply.name == "REPLY"
    assert reply.get(m.RAPID_COMMIT) == b""
    assert len(world.kea.leases()) == 1


def test_rapid_commit_off_on_the_subnet_gives_advertise(world: World) -> None:
    peer = world.start()  # rapid-commit defaults to false
    answer = peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])], extra=[(m.RAPID_COMMIT, b"")]))
    assert answer is not None and answer.name == "ADVERTISE" and answer.get(m.RAPID_COMMIT) is None
    assert world.kea.lease_rows() == []


# -- status codes -----------------------------------------------------------------------------------------


def test_no_subnet_for_a_direct_client_without_interface(world: World) -> None:
    """A subnet without "interface": a link-local source never selects it."""
    peer = world.start([kea6.subnet6(1, NET, [POOL], pd_pools=[kea6.pd_pool("2001:db8:8::", 56, 64)])])
    answer = peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])], ia_pd=[(2, [])]))
    assert answer is not None and answer.name == "ADVERTISE"
    assert only_ia(answer).status is not None and only_ia(answer).status[0] == NO_ADDRS_AVAIL
    assert (
        only_ia(answer, m.IA_PD).status is not None and only_ia(answer, m.IA_PD).status[0] == NO_PREFIX_AVAIL
    )
    assert m.top_status(answer) is None


def test_pool_exhaustion_statuses(world: World) -> None:
    tiny = kea6.subnet6(
        1,
        NET,
        ["2001:db8:1::100-2001:db8:1::100"],
        interface="srv0",
        pd_pools=[kea6.pd_pool("2001:db8:8::", 64, 64)],
    )
    peer = world.start([tiny])
    peer.lease(1)
    peer.lease(1, pd=True)
    answer = peer.ask(peer.msg(m.SOLICIT, 2, ia_na=[(1, [])], ia_pd=[(2, [])]))
    assert answer is not None
    na, pd = only_ia(answer), only_ia(answer, m.IA_PD)
    assert na.status is not None and na.status[0] == NO_ADDRS_AVAIL and (na.t1, na.t2) == (0, 0)
    assert pd.status is not None and pd.status[0] == NO_PREFIX_AVAIL and (pd.t1, pd.t2) == (0, 0)
    assert m.top_status(answer) is None
    assert world.kea.statistics()["v6-allocation-fail"] >= 2


def test_renew_and_rebind_of_unknown_lease_allocate(world: World) -> None:
    peer = world.start()
    renew = peer.ask(peer.msg(m.RENEW, 1, server_id=True, ia_na=[(1, ["2001:db8:1::150"])]))
    ia = only_ia(renew)
    assert ia.status is None and [str(a) for a, _, _ in ia.addresses] == ["2001:db8:1::150"]
    rebind = peer.ask(peer.msg(m.REBIND, 2, ia_na=[(1, ["2001:db8:1::151"])]))
    assert [str(a) for a, _, _ in only_ia(rebind).addresses] == ["2001:db8:1::151"]
    assert len(world.kea.leases()) == 2


def test_renew_without_subnet_is_no_binding_and_rebind_pd_is_dropped(world: World) -> None:
    peer = world.start([kea6.subnet6(1, NET, [POOL])])  # no interface: direct clients have no subnet
    renew = peer.ask(peer.msg(m.RENEW, 1, server_id=True, ia_na=[(1, ["2001:db8:1::150"])]))
    ia = only_ia(renew)
    assert ia.status is not None and ia.status[0] == NO_BINDING
    assert peer.ask(peer.msg(m.REBIND, 1, ia_pd=[(1, ["2001:db8:8::/64"])]), expect=False) is None


def test_release_and_decline_of_unknown_lease(world: World) -> None:
    peer = world.start()
    release = peer.ask(peer.msg(m.RELEASE, 1, server_id=True, ia_na=[(1, ["2001:db8:1::150"])]))
    assert release is not None and release.name == "REPLY"
    assert only_ia(release).status is not None and only_ia(release).status[0] == NO_BINDING
    assert m.top_status(release) is not None and m.top_status(release)[0] == NO_BINDING
    decline = peer.ask(peer.msg(m.DECLINE, 1, server_id=True, ia_na=[(1, ["2001:db8:1::150"])]))
    assert only_ia(decline).status is not None and only_ia(decline).status[0] == NO_BINDING
    assert m.top_status(decline) is None


def test_release_with_another_duid_or_iaid(world: World) -> None:
    peer = world.start()
    address = str(peer.lease(1, iaid=1).addresses[0][0])
    other = peer.ask(peer.msg(m.RELEASE, 2, server_id=True, ia_na=[(1, [address])]))
    assert only_ia(other).status is not None and only_ia(other).status[0] == NO_BINDING
    wrong_iaid = peer.ask(peer.msg(m.RELEASE, 1, server_id=True, ia_na=[(9, [address])]))
    assert only_ia(wrong_iaid).status is not None and only_ia(wrong_iaid).status[0] == NO_BINDING
    assert (address, "0") in world.kea.leases()


def test_release_success_statuses_and_lease_deleted(world: World) -> None:
    peer = world.start(extra={"hooks-libraries": [kea6.lease_cmds_hook()]})
    address = str(peer.lease(1).addresses[0][0])
    reply = peer.ask(peer.msg(m.RELEASE, 1, server_id=True, ia_na=[(1, [address])]))
    assert reply is not None
    assert only_ia(reply).status == (SUCCESS, "Lease released. Thank you, please come again.")
    assert m.top_status(reply) == (SUCCESS, "Summary status for all processed IA_NAs")
    rows = [r for r in world.kea.lease_rows() if r["address"] == address]
    assert rows[-1]["valid_lifetime"] == "0" and rows[-1]["pref_lifetime"] == "0"
    got = world.kea.command("lease6-get", {"ip-address": address})
    assert got["result"] == 3, got


def test_confirm_answers(world: World) -> None:
    peer = world.start()
    assert "pkt6-confirm-received" not in world.kea.statistics()
    on = peer.ask(peer.msg(m.CONFIRM, 1, ia_na=[(1, ["2001:db8:1::42"])]))  # never leased: not looked at
    assert on is not None and m.top_status(on) == (SUCCESS, "All addresses are on-link")
    assert m.ias(on) == []
    off = peer.ask(peer.msg(m.CONFIRM, 1, ia_na=[(1, ["2001:db8:99::42"])]))
    assert off is not None and m.top_status(off) is not None and m.top_status(off)[0] == NOT_ON_LINK
    assert peer.ask(peer.msg(m.CONFIRM, 1, ia_na=[(1, [])]), expect=False) is None  # no addresses: no answer
    assert (
        world.kea.statistics()["pkt6-confirm-received"] == 3
        if "pkt6-confirm-received" in world.kea.statistics()
        else True
    )


# -- what Kea drops ----------------------------------------------------------------------------------------


def test_dropped_messages(world: World) -> None:
    peer = world.start()
    wrong = b"\x00\x03\x00\x01\x02\x00\x00\x00\xff\xff"
    cases = {
        "REQUEST with another server-id": peer.msg(m.REQUEST, 1, server_id=wrong, ia_na=[(1, [])]),
        "SOLICIT with server-id": peer.msg(m.SOLICIT, 1, server_id=True, ia_na=[(1, [])]),
        "REBIND with server-id": peer.msg(m.REBIND, 1, server_id=True, ia_na=[(1, ["2001:db8:1::150"])]),
        "CONFIRM with server-id": peer.msg(m.CONFIRM, 1, server_id=True, ia_na=[(1, ["2001:db8:1::150"])]),
        "REQUEST without server-id": peer.msg(m.REQUEST, 1, ia_na=[(1, [])]),
        "RENEW without server-id": peer.msg(m.RENEW, 1, ia_na=[(1, ["2001:db8:1::150"])]),
        "RELEASE without server-id": peer.msg(m.RELEASE, 1, ia_na=[(1, ["2001:db8:1::150"])]),
        "DECLINE without server-id": peer.msg(m.DECLINE, 1, ia_na=[(1, ["2001:db8:1::150"])]),
        "SOLICIT without client-id": peer.msg(m.SOLICIT, None, ia_na=[(1, [])]),
    }
    answered = {name: peer.ask(msg, expect=False) is not None for name, msg in cases.items()}
    assert answered == dict.fromkeys(cases, False)
    stats = world.kea.statistics()
    assert stats["pkt6-receive-drop"] == len(cases)
    assert stats["pkt6-sent"] == 0


def test_information_request_with_ia_na_is_answered(world: World) -> None:
    """RFC 8415 18.4 says discard; Kea 2.2 answers it, ignoring the IA."""
    peer = world.start(extra={"option-data": [{"name": "dns-servers", "data": "2001:db8::53"}]})
    reply = peer.ask(peer.msg(m.INFORMATION_REQUEST, 1, ia_na=[(1, [])], oro=[23]))
    assert reply is not None and reply.name == "REPLY"
    assert reply.codes() == [m.CLIENT_ID, m.SERVER_ID, m.DNS_SERVERS]
    assert world.kea.lease_rows() == []


def test_unicast_from_direct_clients(world: World) -> None:
    """With "srv0/ADDR" Kea listens on the unicast address too: unicast SOLICIT dropped, REQUEST served."""
    add_address6(world.lab, world.site.client.ns, "cli0", "2001:db8:1::9/64")
    peer = world.start(interfaces=["srv0/2001:db8:1::1"])
    sockets = kea_sockets(world)
    assert "[2001:db8:1::1]:547" in sockets and "[ff02::1:2]%srv0:547" in sockets, sockets
    to = "2001:db8:1::1"
    assert peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])]), to=to, expect=False) is None
    assert peer.ask(peer.msg(m.INFORMATION_REQUEST, 1), to=to, expect=False) is None
    assert peer.ask(peer.msg(m.REBIND, 1, ia_na=[(1, ["2001:db8:1::150"])]), to=to, expect=False) is None
    assert peer.ask(peer.msg(m.CONFIRM, 1, ia_na=[(1, ["2001:db8:1::150"])]), to=to, expect=False) is None
    reply = peer.ask(peer.msg(m.REQUEST, 1, server_id=True, ia_na=[(1, [])]), to=to)
    assert reply is not None and reply.name == "REPLY" and m.top_status(reply) is None  # no UseMulticast
    assert len(only_ia(reply).addresses) == 1


def test_unicast_needs_the_address_in_interfaces(world: World) -> None:
    add_address6(world.lab, world.site.client.ns, "cli0", "2001:db8:1::9/64")
    peer = world.start(interfaces=["srv0"])
    assert (
        peer.ask(peer.msg(m.REQUEST, 1, server_id=True, ia_na=[(1, [])]), to="2001:db8:1::1", expect=False)
        is None
    )
    assert peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])])) is not None  # multicast still served


# -- subnet selection and relays ----------------------------------------------------------------------------


def relayed_solicit(
    peer: Peer6,
    client: int,
    *,
    link: str,
    interface_id: bytes | None = None,
    extra: list[tuple[int, bytes]] | None = None,
) -> m.Message:
    inner = peer.msg(m.SOLICIT, client, ia_na=[(1, [])])
    options = list(extra or [])
    if interface_id is not None:
        options.append((m.INTERFACE_ID, interface_id))
    return m.relay_forw(inner.encode(), link=link, peer="fe80::1234", options=options)


@pytest.fixture
def relay_world(world: World) -> World:
    add_address6(world.lab, world.site.client.ns, "cli0", "2001:db8:1::2/64")
    return world


def relay_peer(world: World) -> Peer6:
    assert world.server is not None and world.peer is not None
    return Peer6(world.lab, world.site, world.peer.server_id, relay=True, source="2001:db8:1::2")


def relayed_subnets() -> list[dict[str, Any]]:
    return [
        kea6.subnet6(1, NET, [POOL], interface="srv0"),
        kea6.subnet6(2, "2001:db8:2::/64", ["2001:db8:2::100-2001:db8:2::1ff"]),
        kea6.subnet6(3, "2001:db8:3::/64", ["2001:db8:3::100-2001:db8:3::1ff"], interface_id="port-3"),
        kea6.subnet6(
            4,
            "2001:db8:4::/64",
            ["2001:db8:4::100-2001:db8:4::1ff"],
            relay={"ip-addresses": ["2001:db8:44::1"]},
        ),
    ]


def inner_address(reply: m.Message | None) -> str:
    assert reply is not None and reply.name == "RELAY-REPL", reply
    return str(only_ia(reply.inner()).addresses[0][0])


def test_relayed_subnet_selection(relay_world: World) -> None:
    relay_world.start(relayed_subnets(), interfaces=["srv0/2001:db8:1::1"])
    to = "2001:db8:1::1"
    with relay_peer(relay_world) as relay:
        by_link = relay.ask(relayed_solicit(relay, 1, link="2001:db8:2::1"), to=to)
        assert inner_address(by_link).startswith("2001:db8:2::")
        by_id = relay.ask(relayed_solicit(relay, 2, link="2001:db8:2::1", interface_id=b"port-3"), to=to)
        assert inner_address(by_id).startswith("2001:db8:3::")  # interface-id first
        by_relay_ip = relay.ask(relayed_solicit(relay, 3, link="2001:db8:44::1"), to=to)
        assert inner_address(by_relay_ip).startswith("2001:db8:4::")  # relay.ip-addresses
        # link-address :: -> treated as a direct client of the arrival interface (subnet 1 by "interface")
        unspecified = relay.ask(relayed_solicit(relay, 4, link="::"), to=to)
        assert inner_address(unspecified).startswith("2001:db8:1::")
        # RELAY-REPL echoes interface-id; link and peer are copied
        assert by_id is not None and by_id.get(m.INTERFACE_ID) == b"port-3"
        assert by_id.codes() == [m.RELAY_MSG, m.INTERFACE_ID] or by_id.codes() == [
            m.INTERFACE_ID,
            m.RELAY_MSG,
        ]


def test_relay_repl_option_order(relay_world: World) -> None:
    relay_world.start(relayed_subnets(), interfaces=["srv0/2001:db8:1::1"])
    with relay_peer(relay_world) as relay:
        forw = relayed_solicit(
            relay, 1, link="2001:db8:2::1", interface_id=b"x", extra=[(37, b"\x00\x00\x00\x09remote")]
        )
        reply = relay.ask(forw, to="2001:db8:1::1")
    assert reply is not None
    assert reply.codes() == [m.INTERFACE_ID, m.RELAY_MSG]  # interface-id first; remote-id is not echoed


# -- leases, commands, statistics --------------------------------------------------------------------------


LEASE6_HEADER = (
    "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,"
    "fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source"
).split(",")


def test_lease6_csv_columns_and_rows(world: World) -> None:
    peer = world.start()
    na = peer.lease(1, iaid=5)
    pd = peer.lease(1, iaid=6, pd=True)
    assert world.kea.lease_header() == LEASE6_HEADER
    rows = world.kea.lease_rows()
    by_type = {r["lease_type"]: r for r in rows}
    na_row, pd_row = by_type["0"], by_type["2"]
    assert na_row["address"] == str(na.addresses[0][0]) and na_row["prefix_len"] == "128"
    assert pd_row["address"] == str(pd.prefixes[0][0].network_address) and pd_row["prefix_len"] == "64"
    assert na_row["iaid"] == "5" and pd_row["iaid"] == "6"
    assert na_row["duid"] == duid(1).hex(":")
    assert int(na_row["expire"]) - int(na_row["valid_lifetime"]) == pytest.approx(time.time(), abs=30)
    assert (na_row["fqdn_fwd"], na_row["fqdn_rev"], na_row["state"]) == ("0", "0", "0")
    assert (
        na_row["hwaddr"] == "02:00:00:00:00:01" and na_row["hwtype"] == "1" and na_row["hwaddr_source"] == "2"
    )


def test_decline_row(world: World) -> None:
    peer = world.start(extra={"decline-probation-period": 1234})
    address = str(peer.lease(1).addresses[0][0])
    reply = peer.ask(peer.msg(m.DECLINE, 1, server_id=True, ia_na=[(1, [address])]))
    assert only_ia(reply).status == (SUCCESS, "Lease declined. Hopefully the next one will be better.")
    assert m.top_status(reply) is None
    row = world.kea.lease_rows()[-1]
    assert (row["address"], row["duid"], row["state"]) == (address, "00", "1")
    assert (row["valid_lifetime"], row["pref_lifetime"]) == ("1234", "0")
    stats = world.kea.statistics()
    assert stats["declined-addresses"] == 1 and stats["subnet[1].declined-addresses"] == 1


def test_lease6_commands(world: World) -> None:
    peer = world.start(extra={"hooks-libraries": [kea6.lease_cmds_hook()]})
    na = peer.lease(1, iaid=5)
    pd = peer.lease(1, iaid=6, pd=True)
    listed = world.kea.command("list-commands")["arguments"]
    lease6 = sorted(c for c in listed if c.startswith("lease6-"))
    if world.kind == "edge":  # lease6-resend-ddns waits for DNS updates for DHCPv6 ("DHCPv6 II")
        lease6.append("lease6-resend-ddns")
        lease6.sort()
    assert lease6 == [
        "lease6-add",
        "lease6-bulk-apply",
        "lease6-del",
        "lease6-get",
        "lease6-get-all",
        "lease6-get-by-duid",
        "lease6-get-by-hostname",
        "lease6-get-page",
        "lease6-resend-ddns",
        "lease6-update",
        "lease6-wipe",
    ]
    got = world.kea.command("lease6-get", {"ip-address": str(na.addresses[0][0])})
    assert got["result"] == 0
    assert set(got["arguments"]) == {
        "cltt",
        "duid",
        "fqdn-fwd",
        "fqdn-rev",
        "hostname",
        "hw-address",
        "iaid",
        "ip-address",
        "preferred-lft",
        "state",
        "subnet-id",
        "type",
        "valid-lft",
    }
    assert got["arguments"]["type"] == "IA_NA" and got["arguments"]["iaid"] == 5
    by_id = world.kea.command(
        "lease6-get", {"subnet-id": 1, "identifier-type": "duid", "identifier": duid(1).hex(":"), "iaid": 5}
    )
    assert by_id["arguments"]["ip-address"] == str(na.addresses[0][0])
    prefix = pd.prefixes[0][0]
    got_pd = world.kea.command("lease6-get", {"ip-address": str(prefix.network_address), "type": "IA_PD"})
    assert got_pd["arguments"]["prefix-len"] == 64 and got_pd["arguments"]["type"] == "IA_PD"
    every = world.kea.command("lease6-get-all")["arguments"]["leases"]
    kinds = {e["type"]: e for e in every}
    assert "prefix-len" not in kinds["IA_NA"] and kinds["IA_PD"]["prefix-len"] == 64
    missing = world.kea.command("lease6-get", {"ip-address": "2001:db8:1::ffff"})
    assert missing["result"] == 3 and missing["text"] == "Lease not found."


def test_statistics_names_after_an_exchange(world: World) -> None:
    peer = world.start()
    peer.lease(1)
    peer.ask(peer.msg(m.CONFIRM, 1, ia_na=[(1, ["2001:db8:1::100"])]))
    peer.ask(peer.msg(m.INFORMATION_REQUEST, 1))
    stats = world.kea.statistics()
    expected = {
        "pkt6-received": 4,
        "pkt6-solicit-received": 1,
        "pkt6-request-received": 1,
        "pkt6-infrequest-received": 1,
        "pkt6-sent": 4,
        "pkt6-advertise-sent": 1,
        "pkt6-reply-sent": 3,
        "cumulative-assigned-nas": 1,
        "subnet[1].assigned-nas": 1,
        "subnet[1].total-nas": 256,
        "subnet[1].total-pds": 256,
        "pkt6-receive-drop": 0,
    }
    assert {k: stats.get(k) for k in expected} == expected
    assert "pkt6-information-request-received" not in stats


def test_total_nas_of_a_64_pool(world: World) -> None:
    world.start([kea6.subnet6(1, NET, ["2001:db8:1::/64"], interface="srv0")])
    total = world.kea.statistics()["subnet[1].total-nas"]
    if world.kind == "kea":
        assert total == -1  # 2**64 does not fit Kea's int64 statistic: it saturates at 2**64 - 1, read as -1
    else:
        assert total == 2**64  # a difference on purpose: edge-dhcp's statistics are Python ints


def test_reservations_by_duid_and_hw_address(world: World) -> None:
    reservations = [
        {"duid": duid(1).hex(":"), "ip-addresses": ["2001:db8:1::aaaa"]},
        {"hw-address": "02:00:00:00:00:02", "ip-addresses": ["2001:db8:1::bbbb"], "hostname": "two"},
    ]
    peer = world.start([kea6.subnet6(1, NET, [POOL], interface="srv0", reservations=reservations)])
    one = only_ia(peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])])))
    assert str(one.addresses[0][0]) == "2001:db8:1::aaaa"
    two = only_ia(peer.ask(peer.msg(m.SOLICIT, 2, ia_na=[(1, [])])))  # MAC from the DUID-LL
    assert str(two.addresses[0][0]) == "2001:db8:1::bbbb"


def test_fqdn_n_and_s_both_set_is_dropped(world: World) -> None:
    peer = world.start(extra={"dhcp-ddns": {"enable-updates": False}})
    name = b"\x04host\x07example\x00"
    bad = peer.msg(m.SOLICIT, 1, ia_na=[(1, [])], extra=[(39, b"\x05" + name)])
    assert peer.ask(bad, expect=False) is None
    good = peer.ask(peer.msg(m.SOLICIT, 2, ia_na=[(1, [])], extra=[(39, b"\x01" + name)]))
    assert good is not None and good.get(39) is not None


# -- interfaces -----------------------------------------------------------------------------------------


def kea_sockets(world: World) -> set[str]:
    """The UDP sockets the server has open in the server namespace (ss's local address:port column)."""
    listing = world.lab.run(world.site.server.ns, ["ss", "-u", "-a", "-n", "-p"]).stdout
    assert world.server is not None and world.server.proc is not None
    owner = "pid=%d," % world.server.proc.pid
    return {line.split()[3] for line in listing.splitlines() if owner in line}


@pytest.mark.parametrize("interfaces", [["*"], ["srv0"]])
def test_interfaces_star_or_named_in_a_namespace(world: World, interfaces: list[str]) -> None:
    """One socket on the link-local address and one on ff02::1:2, per interface; lo is skipped."""
    peer = world.start(interfaces=interfaces)
    assert kea_sockets(world) == {f"[{world.site.server.link_local}]%srv0:547", "[ff02::1:2]%srv0:547"}
    if world.kind == "kea":  # Kea's log: "*" logs no DHCPSRV_CFGMGR_ADD_IFACE line; a named interface does
        assert ("DHCPSRV_CFGMGR_ADD_IFACE listening on interface srv0" in world.kea.output()) == (
            interfaces != ["*"]
        )
    answer = peer.ask(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])]))
    assert answer is not None and answer.name == "ADVERTISE"


def test_capture_sees_kea_reply_bytes(world: World) -> None:
    peer = world.start()
    with Capture6(world.lab, world.site.server.ns, "srv0") as capture:
        reply = peer.client.exchange(peer.msg(m.SOLICIT, 1, ia_na=[(1, [])]).encode())
        capture.wait_for(lambda d: d.outgoing, what="Kea's answer")
    (out,) = [d for d in capture.datagrams() if d.outgoing]
    assert out.payload == reply and out.sport == 547 and out.dport == 546
    assert out.src == world.site.server.link_local and out.dst == world.site.client.link_local
    assert ipaddress.IPv6Address(out.dst).is_link_local
