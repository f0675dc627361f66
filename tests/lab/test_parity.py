"""Kea 2.2 and edge-dhcp, same configuration file, same clients: the same answers (issue 4).

Each test writes one Kea-dialect configuration, starts Kea 2.2 from it, plays a script of clients, stops
Kea, starts edge-dhcp from the SAME file, plays the same script, and compares what the clients saw: message
type, yiaddr, siaddr, sname, file and every option value (tests/lab/parity.py). Most steps are crafted
packets (tests/lab/crafted.py) because they can say anything a client may say; the last tests use the real
clients (dhclient, udhcpc, dhcpcd) and a real relay (dhcrelay).

Besides "same as Kea", each scenario asserts the facts it is about (the phone got an address from the
voice subnet, ...), so a feature that silently did nothing in both servers would still fail.

Deliberate differences, each declared where it applies and compared without the differing part:
- NAK: edge-dhcp adds option 56 with the reason (parity.ALWAYS).
- RELEASE: Kea 2.2 deletes a released lease, so the client's next DISCOVER gets the next free address;
  edge-dhcp keeps the record (valid lifetime 0), so the client gets its address back, as later Kea does
  with lease affinity (test_basic_exchanges checks both behaviours explicitly).
"""

from __future__ import annotations

import ipaddress
import struct

import pytest

from edge.wire import pkt4 as wire
from tests.lab.crafted import ip, packet
from tests.lab.parity import (
    Answer,
    Deliberate,
    ParityServer,
    ParitySite,
    answer,
    assert_same,
    base_config,
    parity_site,
    run_both,
)

pytestmark = pytest.mark.lab

SERVER = "192.0.2.1"
DISCOVER, REQUEST, DECLINE, RELEASE, INFORM = (
    wire.DHCPDISCOVER,
    wire.DHCPREQUEST,
    wire.DHCPDECLINE,
    wire.DHCPRELEASE,
    wire.DHCPINFORM,
)


def mac(n: int, family: int = 0xAA) -> bytes:
    return bytes((0x02, family, 0, 0, n >> 8, n & 255))


def a(text: str) -> bytes:
    return struct.pack("!I", ip(text))


def u32(value: int) -> bytes:
    return struct.pack("!I", value)


def agent(*subs: tuple[int, bytes]) -> bytes:
    return wire.build_suboptions(list(subs))


def yi(ans: Answer) -> str:
    return ans.yiaddr


class Script:
    """One client script: sends crafted packets through `c` and records what came back."""

    def __init__(self, ps: ParitySite, server: ParityServer) -> None:
        self.ps = ps
        self.server = server
        self.c = ps.crafted()
        self.out: list[Answer] = []
        self.deliberate: list[Deliberate] = []

    def __enter__(self) -> Script:
        return self

    def __exit__(self, *exc: object) -> None:
        self.c.close()

    def send(self, step: str, pkt: wire.Packet, expect: bool = True, **kw: object) -> Answer:
        reply = self.c.send(pkt, expect=expect, **kw)  # type: ignore[arg-type]
        ans = answer(step, reply, self.deliberate)
        self.out.append(ans)
        return ans

    def discover(self, step: str, hw: bytes, **kw: object) -> Answer:
        expect = bool(kw.pop("expect", True))
        return self.send(step, packet(DISCOVER, hw, **kw), expect=expect)  # type: ignore[arg-type]

    def select(self, step: str, hw: bytes, address: str, **kw: object) -> Answer:
        """REQUEST in SELECTING: server id and requested address."""
        options = dict(kw.pop("options", {}) or {})  # type: ignore[call-overload]
        options.update({54: a(SERVER), 50: a(address)})
        expect = bool(kw.pop("expect", True))
        return self.send(step, packet(REQUEST, hw, options=options, **kw), expect=expect)  # type: ignore[arg-type]

    def dora(self, step: str, hw: bytes, **kw: object) -> tuple[Answer, Answer]:
        offer = self.discover(step + " discover", hw, **dict(kw))
        ack = self.select(step + " request", hw, offer.yiaddr or "0.0.0.0", **dict(kw))
        return offer, ack

    def renew(self, step: str, hw: bytes, address: str, **kw: object) -> Answer:
        """REQUEST in RENEWING: ciaddr set, unicast to the server."""
        pkt = packet(REQUEST, hw, ciaddr=address, broadcast=False, **kw)  # type: ignore[arg-type]
        return self.send(step, pkt, unicast_to=ip(SERVER), src_ip=ip(address))

    def reboot(self, step: str, hw: bytes, address: str, expect: bool = True, **kw: object) -> Answer:
        """REQUEST in INIT-REBOOT: requested address, no server id, broadcast."""
        options = dict(kw.pop("options", {}) or {})  # type: ignore[call-overload]
        options[50] = a(address)
        return self.send(step, packet(REQUEST, hw, options=options, **kw), expect=expect)  # type: ignore[arg-type]

    def release(self, step: str, hw: bytes, address: str, **kw: object) -> Answer:
        pkt = packet(RELEASE, hw, ciaddr=address, broadcast=False, options={54: a(SERVER)}, **kw)  # type: ignore[arg-type]
        return self.send(step, pkt, expect=False, unicast_to=ip(SERVER), src_ip=ip(address))

    def decline(self, step: str, hw: bytes, address: str) -> Answer:
        return self.send(step, packet(DECLINE, hw, options={54: a(SERVER), 50: a(address)}), expect=False)

    def stats(self, *names: str) -> dict[str, int]:
        return self.server.stats(*names)


def subnet(
    sid: int, cidr: str, pools: list[str | dict[str, object]] | str, **extra: object
) -> dict[str, object]:
    """A subnet4 entry; pools as "a - b" strings or as full pool objects."""
    items = [pools] if isinstance(pools, str) else pools
    return {
        "id": sid,
        "subnet": cidr,
        "pools": [p if isinstance(p, dict) else {"pool": p} for p in items],
        **extra,
    }


LAN_OPTIONS = [
    {"name": "routers", "data": "192.0.2.1"},
    {"name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54"},
    {"name": "domain-name", "data": "lab.example"},
]


# ----------------------------------------------------------------------------------------------- scenarios


def test_basic_exchanges(lab) -> None:
    """DORA order, repeated DISCOVER, RENEWING, INIT-REBOOT (known, wrong, unknown), lifetimes, host names,
    INFORM, DECLINE and RELEASE against a non-authoritative server."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "valid-lifetime": 600,
            "min-valid-lifetime": 300,
            "max-valid-lifetime": 900,
            "option-data": [{"name": "ntp-servers", "data": "192.0.2.123"}],
            "subnet4": [
                subnet(
                    1,
                    "192.0.2.0/24",
                    "192.0.2.100 - 192.0.2.149",
                    **{
                        "option-data": LAN_OPTIONS,
                        "reservations": [
                            {
                                "hw-address": "02:aa:00:00:00:07",
                                "ip-address": "192.0.2.50",
                                "hostname": "Printer",
                            }
                        ],
                    },
                ),
            ],
        },
    )

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            first = s.discover("A discover", mac(1))
            s.discover("B discover", mac(2))
            s.discover("A discovers again, no option 50", mac(1))
            s.discover("A discovers again, asking for its offer", mac(1), options={50: a(first.yiaddr)})
            s.select("A request", mac(1), first.yiaddr)
            s.discover("A discover with a lease", mac(1))
            s.renew("A renews", mac(1), first.yiaddr)
            s.reboot("A reboots (INIT-REBOOT, its address)", mac(1), first.yiaddr)
            s.reboot("A reboots asking for another address", mac(1), "192.0.2.103")
            s.reboot("unknown client reboots", mac(11), "192.0.2.104", expect=False)
            s.select("C asks for an address outside the pools", mac(12), "192.0.2.20", expect=False)
            s.dora("D asks for a long lease", mac(13), options={51: u32(86400)})
            s.dora("E asks for a short lease", mac(14), options={51: u32(10)})
            s.discover("reserved client", mac(7), prl=bytes((1, 3, 12)))
            s.dora("client with a host name", mac(8), options={12: b"MyHost_1"})
            s.send(
                "INFORM from a configured client",
                packet(INFORM, mac(9), ciaddr=RELAY, broadcast=False),
                unicast_to=ip(SERVER),
                src_ip=ip(RELAY),
            )
            declined = s.dora("F", mac(16))[1].yiaddr
            s.decline("F declines", mac(16), declined)
            s.discover("F again after its decline", mac(16))
            s.release("A releases", mac(1), first.yiaddr)
            after = s.discover("A after its release", mac(1))
            # The deliberate difference (module docstring): Kea 2.2 gives the next free address, we give
            # A its own address back. Check each server for its own behaviour, then compare the rest.
            if server.kind == "edge":
                assert after.yiaddr == first.yiaddr, after
            else:
                assert after.yiaddr != first.yiaddr and after.message == "OFFER", after
            s.out[-1] = Answer(
                after.step,
                after.message,
                "(see the check above)",
                after.siaddr,
                after.sname,
                after.file,
                after.options,
            )
            s.out.append(
                Answer("declined-addresses", str(s.stats("declined-addresses")["declined-addresses"]))
            )
            return s.out

    out = assert_same(run_both(ps, config, play))
    steps = {x.step: x for x in out}
    assert steps["A discover"].yiaddr == "192.0.2.100" and steps["B discover"].yiaddr == "192.0.2.101"
    assert (
        steps["A renews"].message == "ACK" and steps["A reboots (INIT-REBOOT, its address)"].message == "ACK"
    )
    assert steps["A reboots asking for another address"].message == "NAK"
    assert steps["unknown client reboots"].message == "none"
    assert (
        steps["reserved client"].yiaddr == "192.0.2.50"
        and steps["reserved client"].options[12] == b"printer".hex()
    )
    assert steps["D asks for a long lease request"].options[51] == u32(900).hex()
    assert steps["E asks for a short lease request"].options[51] == u32(300).hex()
    assert steps["F again after its decline"].yiaddr != steps["F request"].yiaddr
    assert steps["declined-addresses"].message == "1"


RELAY = "192.0.2.2"


def test_authoritative_naks(lab) -> None:
    """An authoritative server NAKs what it cannot confirm: unknown INIT-REBOOT clients, another client's
    address, an address of another network; and a REQUEST from a network it does not serve."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        authoritative=True,
        **{
            "subnet4": [
                subnet(1, "192.0.2.0/24", "192.0.2.100 - 192.0.2.110", **{"option-data": LAN_OPTIONS})
            ],
        },
    )

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            _, ack = s.dora("A", mac(1))
            s.reboot("unknown client reboots with a free address", mac(2), "192.0.2.105")
            s.reboot("B reboots with A's address", mac(3), ack.yiaddr)
            s.reboot("A reboots with an address of another network", mac(1), "10.9.9.9")
            s.select("C selects A's address", mac(4), ack.yiaddr)
            s.send(
                "relayed RENEW from a network not served",
                packet(REQUEST, mac(5), ciaddr="10.2.2.50", giaddr="10.2.2.1"),
            )
            return s.out

    out = assert_same(run_both(ps, config, play))
    assert [x.message for x in out[2:]] == ["NAK"] * 5


def test_exhaustion_and_failure_counters(lab) -> None:
    """A full pool: no OFFER, a NAK for a taken address, and Kea's allocation-failure counters; a pool the
    client's classes do not allow counts as 'no pools'."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "client-classes": [{"name": "vip", "test": "option[60].text == 'vip'"}],
            "subnet4": [
                subnet(
                    1,
                    "192.0.2.0/24",
                    ["192.0.2.100 - 192.0.2.101", "192.0.2.200 - 192.0.2.200"],
                    **{"option-data": LAN_OPTIONS, "valid-lifetime": 3001, "calculate-tee-times": True},
                ),
                subnet(
                    2,
                    "10.1.1.0/24",
                    [{"pool": "10.1.1.100 - 10.1.1.110", "client-class": "vip"}],
                    relay={"ip-addresses": ["10.1.1.1"]},
                ),
            ],
        },
    )
    names = (
        "v4-allocation-fail",
        "v4-allocation-fail-subnet",
        "v4-allocation-fail-shared-network",
        "v4-allocation-fail-no-pools",
        "v4-allocation-fail-classes",
        "subnet[1].v4-allocation-fail",
        "subnet[2].v4-allocation-fail-no-pools",
        "pkt4-receive-drop",
    )

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            for n in range(1, 4):
                s.dora(f"client {n}", mac(n))
            s.discover("a fourth client finds the pool full", mac(4), expect=False)
            s.select("a fourth client asks for a taken address", mac(4), "192.0.2.100")
            s.discover("relayed client without the pool's class", mac(5), giaddr="10.1.1.1", expect=False)
            s.discover("relayed client with it", mac(6), giaddr="10.1.1.1", options={60: b"vip"})
            for name, value in s.stats(*names).items():
                s.out.append(Answer(name, str(value)))
            return s.out

    out = assert_same(run_both(ps, config, play))
    counters = {x.step: int(x.message) for x in out if x.step in names}
    assert counters["v4-allocation-fail"] == 1 and counters["v4-allocation-fail-no-pools"] == 1
    assert [x.yiaddr for x in out[1:6:2]] == ["192.0.2.100", "192.0.2.101", "192.0.2.200"]
    # T1 = 0.5 * 3001 = 1500.5: Kea rounds halves up (C round), so 1501; T2 = 2625.875 -> 2626
    assert (out[1].options[58], out[1].options[59]) == (u32(1501).hex(), u32(2626).hex())
    assert out[6].message == "none" and out[7].message == "NAK" and out[9].yiaddr == "10.1.1.100"


def test_shared_network_class_guards_and_moves(lab) -> None:
    """Shared networks: subnets tried in id order and guarded by classes; a full subnet hands over to the
    next; a client keeps its address when it shows up through another relay of the same network; relay
    addresses on the shared network select its subnets."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "client-classes": [
                {"name": "phones", "test": "substring(option[60].hex,0,5) == 'phone'"},
                {"name": "not-phones", "test": "not member('phones')"},
            ],
            "shared-networks": [
                {
                    "name": "office",
                    "interface": ps.site.server.ifname,
                    "option-data": LAN_OPTIONS,
                    "subnet4": [
                        subnet(
                            20, "192.0.2.0/24", "192.0.2.100 - 192.0.2.101", **{"client-class": "not-phones"}
                        ),
                        subnet(
                            10,
                            "198.51.100.0/24",
                            "198.51.100.10 - 198.51.100.20",
                            **{"client-class": "phones"},
                        ),
                        subnet(
                            30,
                            "203.0.113.0/24",
                            "203.0.113.10 - 203.0.113.20",
                            **{"client-class": "not-phones"},
                        ),
                    ],
                },
                {
                    "name": "campus",
                    "relay": {"ip-addresses": ["10.3.3.1"]},
                    "subnet4": [
                        subnet(
                            40, "10.1.1.0/24", "10.1.1.100 - 10.1.1.110", relay={"ip-addresses": ["10.1.1.1"]}
                        ),
                        subnet(
                            41, "10.2.2.0/24", "10.2.2.100 - 10.2.2.110", relay={"ip-addresses": ["10.2.2.1"]}
                        ),
                        subnet(42, "172.16.0.0/24", "172.16.0.100 - 172.16.0.110"),
                    ],
                },
            ],
        },
    )

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            s.dora("phone", mac(1), options={60: b"phone-x1"})
            s.dora("laptop 1", mac(2))
            s.dora("laptop 2", mac(3))
            s.dora("laptop 3 (first subnet full)", mac(4))
            s.dora("phone 2", mac(5), options={60: b"phone-x2"})
            _, ack = s.dora("roamer via relay 10.1.1.1", mac(6), giaddr="10.1.1.1")
            s.discover("roamer via relay 10.2.2.1 keeps its address", mac(6), giaddr="10.2.2.1")
            s.select("roamer requests it there", mac(6), ack.yiaddr, giaddr="10.2.2.1")
            s.dora("newcomer via relay 10.2.2.1", mac(7), giaddr="10.2.2.1")
            s.dora("client via the network's relay 10.3.3.1", mac(8), giaddr="10.3.3.1")
            return s.out

    out = assert_same(run_both(ps, config, play))
    by = {x.step: x for x in out}
    assert by["phone request"].yiaddr.startswith("198.51.100.")
    assert by["laptop 1 request"].yiaddr == "192.0.2.100"
    assert by["laptop 3 (first subnet full) request"].yiaddr.startswith("203.0.113.")
    assert (
        by["roamer via relay 10.2.2.1 keeps its address"].yiaddr
        == by["roamer via relay 10.1.1.1 request"].yiaddr
    )
    # Kea's preferred subnet: dynamic allocation in a shared network starts in the member that allocated
    # last (subnet 40 here), whichever relay the newcomer came through.
    assert by["newcomer via relay 10.2.2.1 request"].yiaddr.startswith("10.1.1.")
    assert by["client via the network's relay 10.3.3.1 request"].yiaddr.startswith("10.1.1.")


def test_classes_from_global_reservations(lab) -> None:
    """Kea #1139: classes of a global reservation take part in subnet selection within a shared network and
    in pool selection, and the first-pass classes are evaluated again with them known."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "reservations-global": True,
            "reservations-in-subnet": False,
            "client-classes": [
                {"name": "cameras"},
                {
                    "name": "others",
                    "test": "not member('cameras')",
                    "option-data": [{"name": "ntp-servers", "data": "192.0.2.111"}],
                },
                {"name": "printers", "option-data": [{"name": "ntp-servers", "data": "192.0.2.112"}]},
            ],
            "reservations": [
                {"hw-address": "02:aa:00:00:00:01", "client-classes": ["cameras"]},
                {"hw-address": "02:aa:00:00:00:03", "client-classes": ["printers"], "hostname": "hp"},
            ],
            "shared-networks": [
                {
                    "name": "net",
                    "interface": ps.site.server.ifname,
                    "option-data": LAN_OPTIONS,
                    "subnet4": [
                        subnet(1, "192.0.2.0/24", "192.0.2.100 - 192.0.2.110", **{"client-class": "others"}),
                        subnet(
                            2,
                            "198.51.100.0/24",
                            "198.51.100.100 - 198.51.100.110",
                            **{"client-class": "cameras"},
                        ),
                    ],
                },
            ],
            "subnet4": [
                subnet(
                    3,
                    "10.1.1.0/24",
                    [
                        {"pool": "10.1.1.10 - 10.1.1.19", "client-class": "others"},
                        {"pool": "10.1.1.20 - 10.1.1.29", "client-class": "cameras"},
                    ],
                    relay={"ip-addresses": ["10.1.1.1"]},
                ),
            ],
        },
    )

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            s.dora("camera", mac(1), prl=bytes((1, 3, 42)))
            s.dora("laptop", mac(2), prl=bytes((1, 3, 42)))
            s.dora("printer", mac(3), prl=bytes((1, 3, 12, 42)))
            s.dora("relayed camera", mac(1), giaddr="10.1.1.1")
            s.dora("relayed laptop", mac(2), giaddr="10.1.1.1")
            return s.out

    out = assert_same(run_both(ps, config, play))
    by = {x.step: x for x in out}
    assert by["camera request"].yiaddr.startswith("198.51.100.")
    assert (
        by["laptop request"].yiaddr.startswith("192.0.2.")
        and by["laptop request"].options[42] == a("192.0.2.111").hex()
    )
    assert by["printer request"].options[42] == a("192.0.2.112").hex()
    assert (
        by["relayed camera request"].yiaddr == "10.1.1.20"
        and by["relayed laptop request"].yiaddr == "10.1.1.10"
    )


def test_early_global_reservations_lookup(lab) -> None:
    """With early-global-reservations-lookup, a global reservation's classes (and KNOWN) choose between
    subnets that are not in a shared network (two subnets behind one relay, guarded by classes)."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "early-global-reservations-lookup": True,
            "reservations-global": True,
            "client-classes": [{"name": "staff"}, {"name": "guests", "test": "not member('staff')"}],
            "reservations": [{"hw-address": "02:aa:00:00:00:01", "client-classes": ["staff"]}],
            "subnet4": [
                subnet(
                    1,
                    "10.1.1.0/24",
                    "10.1.1.100 - 10.1.1.110",
                    relay={"ip-addresses": ["10.1.1.1"]},
                    **{"client-class": "guests"},
                ),
                subnet(
                    2,
                    "10.2.2.0/24",
                    "10.2.2.100 - 10.2.2.110",
                    relay={"ip-addresses": ["10.1.1.1"]},
                    **{"client-class": "staff"},
                ),
            ],
        },
    )

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            s.dora("staff member", mac(1), giaddr="10.1.1.1")
            s.dora("guest", mac(2), giaddr="10.1.1.1")
            return s.out

    out = assert_same(run_both(ps, config, play))
    assert out[1].yiaddr.startswith("10.2.2.") and out[3].yiaddr.startswith("10.1.1.")


def test_pxe_classes(lab) -> None:
    """Network boot: classes on option 60/93/77 set next-server, boot file and options 66/67; the first
    class (in definition order) that sets a field wins; a reservation overrides them; the subnet's own
    values apply to everyone else."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "client-classes": [
                {
                    "name": "pxe",
                    "test": "substring(option[60].hex,0,9) == 'PXEClient'",
                    "next-server": "192.0.2.5",
                    "option-data": [
                        {"name": "tftp-server-name", "data": "192.0.2.5"},
                        {"name": "vendor-class-identifier", "data": "PXEClient"},
                    ],
                },
                {
                    "name": "ipxe",
                    "test": "option[77].hex == 'iPXE'",
                    "boot-file-name": "http://192.0.2.5/boot.ipxe",
                },
                {
                    "name": "bios",
                    "test": "not member('ipxe') and option[93].hex == 0x0000",
                    "boot-file-name": "undionly.kpxe",
                    "server-hostname": "bootsrv",
                },
                {
                    "name": "uefi",
                    "test": "not member('ipxe') and (option[93].hex == 0x0007 or option[93].hex == 0x0009)",
                    "boot-file-name": "ipxe.efi",
                    "next-server": "192.0.2.6",
                    "option-data": [{"name": "boot-file-name", "data": "ipxe.efi"}],
                },
            ],
            "subnet4": [
                subnet(
                    1,
                    "192.0.2.0/24",
                    "192.0.2.100 - 192.0.2.150",
                    **{
                        "option-data": LAN_OPTIONS,
                        "next-server": "192.0.2.9",
                        "boot-file-name": "default.0",
                        "reservations": [
                            {
                                "hw-address": "02:aa:00:00:00:05",
                                "boot-file-name": "builder/ipxe.efi",
                                "next-server": "192.0.2.7",
                            }
                        ],
                    },
                ),
            ],
        },
    )
    pxe = bytes((1, 3, 43, 60, 66, 67, 97, 128))

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            s.dora(
                "BIOS PXE ROM",
                mac(1),
                prl=pxe,
                options={60: b"PXEClient:Arch:00000:UNDI:002001", 93: b"\x00\x00"},
            )
            s.dora(
                "UEFI PXE ROM",
                mac(2),
                prl=pxe,
                options={60: b"PXEClient:Arch:00007:UNDI:003016", 93: b"\x00\x07"},
            )
            s.dora(
                "iPXE",
                mac(3),
                prl=pxe,
                options={60: b"PXEClient:Arch:00007:UNDI:003016", 93: b"\x00\x07", 77: b"iPXE"},
            )
            s.dora(
                "reserved build box",
                mac(5),
                prl=pxe,
                options={60: b"PXEClient:Arch:00007:UNDI:003016", 93: b"\x00\x07"},
            )
            s.dora("a laptop", mac(6))
            return s.out

    out = assert_same(run_both(ps, config, play))
    by = {x.step: x for x in out}
    assert (by["BIOS PXE ROM request"].file, by["BIOS PXE ROM request"].siaddr) == (
        "undionly.kpxe",
        "192.0.2.5",
    )
    assert by["BIOS PXE ROM request"].sname == "bootsrv"
    assert by["UEFI PXE ROM request"].siaddr == "192.0.2.5" and by["UEFI PXE ROM request"].file == "ipxe.efi"
    assert by["iPXE request"].file == "http://192.0.2.5/boot.ipxe"
    assert (by["reserved build box request"].file, by["reserved build box request"].siaddr) == (
        "builder/ipxe.efi",
        "192.0.2.7",
    )
    assert (by["a laptop request"].file, by["a laptop request"].siaddr) == ("default.0", "192.0.2.9")


def test_relays_circuit_id_reservations_and_option_82(lab) -> None:
    """Relayed clients: reservations by circuit-id in host-reservation-identifiers order, option 82 echoed
    byte for byte, the link-selection sub-option choosing the subnet, relay4[] in class tests."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "host-reservation-identifiers": ["circuit-id", "hw-address", "client-id"],
            "client-classes": [
                {
                    "name": "floor2",
                    "test": "relay4[2].hex == 'floor-2'",
                    "option-data": [{"name": "ntp-servers", "data": "10.1.1.123"}],
                }
            ],
            "subnet4": [
                subnet(
                    101,
                    "10.1.1.0/24",
                    "10.1.1.100 - 10.1.1.150",
                    relay={"ip-addresses": ["10.1.1.1"]},
                    **{
                        "option-data": [{"name": "routers", "data": "10.1.1.1"}],
                        "reservations": [
                            {"circuit-id": "'Gi1/0/17'", "ip-address": "10.1.1.17"},
                            {"circuit-id": "00:04:00:01:00:12", "ip-address": "10.1.1.18"},
                            {"hw-address": "02:aa:00:00:00:03", "ip-address": "10.1.1.33"},
                        ],
                    },
                ),
                subnet(102, "10.2.2.0/24", "10.2.2.100 - 10.2.2.150", relay={"ip-addresses": ["10.2.2.1"]}),
            ],
        },
    )
    ntp = bytes((1, 3, 42))

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            s.dora(
                "port Gi1/0/17",
                mac(1),
                giaddr="10.1.1.1",
                prl=ntp,
                options={82: agent((1, b"Gi1/0/17"), (2, b"floor-2"))},
            )
            s.dora(
                "binary circuit id",
                mac(2),
                giaddr="10.1.1.1",
                options={82: agent((1, bytes.fromhex("000400010012")))},
            )
            s.dora(
                "circuit id first, then hardware address",
                mac(3),
                giaddr="10.1.1.1",
                options={82: agent((1, b"Gi1/0/99"))},
            )
            s.dora(
                "link selection picks the other subnet",
                mac(4),
                giaddr="10.1.1.1",
                options={82: agent((1, b"Gi9"), (5, a("10.2.2.0")))},
            )
            s.dora("relayed without option 82", mac(5), giaddr="10.2.2.1")
            s.dora(
                "subnet-selection option (118) picks the other subnet",
                mac(6),
                giaddr="10.1.1.1",
                options={118: a("10.2.2.0")},
            )
            return s.out

    out = assert_same(run_both(ps, config, play))
    by = {x.step: x for x in out}
    assert (
        by["port Gi1/0/17 request"].yiaddr == "10.1.1.17"
        and by["port Gi1/0/17 request"].options[42] == a("10.1.1.123").hex()
    )
    assert by["port Gi1/0/17 request"].options[82] == agent((1, b"Gi1/0/17"), (2, b"floor-2")).hex()
    assert by["binary circuit id request"].yiaddr == "10.1.1.18"
    assert by["circuit id first, then hardware address request"].yiaddr == "10.1.1.33"
    assert by["link selection picks the other subnet request"].yiaddr.startswith("10.2.2.")
    option_118 = by["subnet-selection option (118) picks the other subnet request"]
    assert option_118.yiaddr.startswith("10.2.2.") and option_118.options[118] == a("10.2.2.0").hex()


def test_client_id_versus_hardware_address(lab) -> None:
    """match-client-id: a client is its client identifier (a new NIC keeps the lease) or, where the subnet
    says false, its hardware address; reservations by client-id and by DUID (client-id type 255)."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "host-reservation-identifiers": ["client-id", "duid", "hw-address"],
            "subnet4": [
                subnet(
                    1,
                    "192.0.2.0/24",
                    "192.0.2.100 - 192.0.2.150",
                    **{
                        "option-data": LAN_OPTIONS,
                        "reservations": [
                            {"client-id": "01:02:aa:00:00:00:09", "ip-address": "192.0.2.9"},
                            {"duid": "00:01:00:01:aa:bb:cc:dd:ee:ff", "ip-address": "192.0.2.10"},
                            {"hw-address": "02:aa:00:00:00:09", "ip-address": "192.0.2.11"},
                        ],
                    },
                ),
                subnet(
                    2,
                    "10.1.1.0/24",
                    "10.1.1.100 - 10.1.1.150",
                    relay={"ip-addresses": ["10.1.1.1"]},
                    **{"match-client-id": False},
                ),
            ],
        },
    )
    cid = b"\x01" + mac(1)

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            _, ack = s.dora("client-id on NIC 1", mac(1), options={61: cid})
            s.discover("same client-id on NIC 2", mac(2), options={61: cid})
            s.discover("NIC 1 without its client-id", mac(1))
            s.dora("client-id reservation wins over hw-address", mac(9), options={61: b"\x01" + mac(9)})
            s.dora(
                "DUID reservation",
                mac(10),
                options={61: bytes.fromhex("ff00000001000100 01aabbccddeeff".replace(" ", ""))},
            )
            s.dora("relayed, match-client-id false", mac(20), giaddr="10.1.1.1", options={61: b"\x01abc"})
            s.discover(
                "same hardware address, other client-id", mac(20), giaddr="10.1.1.1", options={61: b"\x01xyz"}
            )
            s.discover(
                "same client-id, other hardware address", mac(21), giaddr="10.1.1.1", options={61: b"\x01abc"}
            )
            del ack
            return s.out

    out = assert_same(run_both(ps, config, play))
    by = {x.step: x for x in out}
    assert by["same client-id on NIC 2"].yiaddr == by["client-id on NIC 1 request"].yiaddr
    assert by["client-id reservation wins over hw-address request"].yiaddr == "192.0.2.9"
    assert by["DUID reservation request"].yiaddr == "192.0.2.10"
    assert (
        by["same hardware address, other client-id"].yiaddr
        == by["relayed, match-client-id false request"].yiaddr
    )
    assert (
        by["same client-id, other hardware address"].yiaddr
        != by["relayed, match-client-id false request"].yiaddr
    )


def test_option_precedence_spaces_and_required_classes(lab) -> None:
    """Options: global < class < shared network < subnet < pool < reservation; always-send; csv-format
    false; custom option-def records and arrays; option 43 sub-options (vendor-encapsulated-options-space);
    a custom space encapsulated by a custom option; vendor 125 for DOCSIS (4491) with its ORO;
    only-if-required classes asked for by a pool and a subnet."""
    ps = parity_site(lab)
    ntp = lambda data: [{"name": "ntp-servers", "data": data}]  # noqa: E731
    config = base_config(
        ps,
        **{
            "option-def": [
                {
                    "name": "site-record",
                    "code": 224,
                    "type": "record",
                    "record-types": "uint16, ipv4-address, string",
                },
                {"name": "port-list", "code": 225, "type": "uint16", "array": True},
                {"name": "acme", "code": 226, "type": "empty", "encapsulate": "acme-space"},
                {"name": "acme-level", "code": 1, "space": "acme-space", "type": "uint8"},
                {"name": "acme-url", "code": 2, "space": "acme-space", "type": "string"},
            ],
            "option-data": [
                *ntp("192.0.2.1"),
                {"name": "time-offset", "data": "3600"},
                {"name": "site-record", "data": "7, 192.0.2.77, hq"},
                {"name": "port-list", "data": "80, 443, 8080", "always-send": True},
                {"code": 227, "csv-format": False, "data": "C0FFEE", "always-send": True},
                {"name": "vendor-encapsulated-options"},
                {
                    "code": 1,
                    "space": "vendor-encapsulated-options-space",
                    "csv-format": False,
                    "data": "0A0B",
                },
                {"name": "acme"},
                {"name": "acme-level", "space": "acme-space", "data": "3"},
                {"name": "acme-url", "space": "acme-space", "data": "http://acme/"},
                {"name": "tftp-servers", "space": "vendor-4491", "data": "192.0.2.44"},
            ],
            "client-classes": [
                {
                    "name": "gold",
                    "test": "option[60].text == 'gold'",
                    "option-data": [*ntp("192.0.2.2"), {"name": "time-offset", "data": "7200"}],
                },
                {"name": "plain", "test": "not member('gold')"},
                # Kea 2.2 skips a required class that has no test, so both late classes test something.
                {
                    "name": "late-subnet",
                    "only-if-required": True,
                    "test": "option[60].exists",
                    "option-data": [{"name": "log-servers", "data": "192.0.2.31"}],
                },
                {
                    "name": "late-untested",
                    "only-if-required": True,
                    "option-data": [{"name": "impress-servers", "data": "192.0.2.34"}],
                },
                {
                    "name": "late-pool",
                    "only-if-required": True,
                    "test": "option[60].text == 'gold'",
                    "option-data": [
                        {"name": "log-servers", "data": "192.0.2.32"},
                        {"name": "cookie-servers", "data": "192.0.2.33"},
                    ],
                },
            ],
            "shared-networks": [
                {
                    "name": "net",
                    "interface": ps.site.server.ifname,
                    "option-data": ntp("192.0.2.3"),
                    "subnet4": [
                        subnet(
                            1,
                            "192.0.2.0/24",
                            [
                                {"pool": "192.0.2.100 - 192.0.2.149", "client-class": "plain"},
                                {
                                    "pool": "192.0.2.150 - 192.0.2.199",
                                    "client-class": "gold",
                                    "option-data": ntp("192.0.2.5"),
                                    "require-client-classes": ["late-pool"],
                                },
                            ],
                            **{
                                "option-data": [*ntp("192.0.2.4"), *LAN_OPTIONS],
                                "require-client-classes": ["late-subnet", "late-untested"],
                                "reservations": [
                                    {
                                        "hw-address": "02:aa:00:00:00:09",
                                        "ip-address": "192.0.2.9",
                                        "option-data": ntp("192.0.2.6"),
                                    }
                                ],
                            },
                        )
                    ],
                }
            ],
            "subnet4": [
                subnet(2, "10.1.1.0/24", "10.1.1.100 - 10.1.1.150", relay={"ip-addresses": ["10.1.1.1"]})
            ],
        },
    )
    prl = bytes((1, 2, 3, 6, 7, 8, 10, 15, 42, 43, 224, 226))
    docsis = struct.pack("!IB", 4491, 5) + bytes((1, 3, 1, 2, 32))  # ORO: 1, 2, 32

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            s.dora("plain client (subnet scope)", mac(1), prl=prl)
            s.dora("gold client (pool scope, required classes)", mac(2), prl=prl, options={60: b"gold"})
            s.dora("reserved client", mac(9), prl=prl)
            s.dora("relayed client (global and class scopes)", mac(3), prl=prl, giaddr="10.1.1.1")
            s.dora("relayed gold client", mac(4), prl=prl, giaddr="10.1.1.1", options={60: b"gold"})
            s.dora(
                "cable modem asking for vendor options",
                mac(5),
                prl=bytes((1, 3, 125)),
                giaddr="10.1.1.1",
                options={125: docsis},
            )
            return s.out

    out = assert_same(run_both(ps, config, play))
    by = {x.step: x for x in out}
    ntp_of = {k.removesuffix(" request"): v.options.get(42) for k, v in by.items() if k.endswith("request")}
    assert ntp_of["plain client (subnet scope)"] == a("192.0.2.4").hex()
    assert ntp_of["gold client (pool scope, required classes)"] == a("192.0.2.5").hex()
    assert ntp_of["reserved client"] == a("192.0.2.6").hex()
    assert ntp_of["relayed client (global and class scopes)"] == a("192.0.2.1").hex()
    assert ntp_of["relayed gold client"] == a("192.0.2.2").hex()
    gold = by["gold client (pool scope, required classes) request"]
    assert gold.options[8] == a("192.0.2.33").hex()
    plain = by["plain client (subnet scope) request"]
    assert plain.options[225] == "00500 1bb1f90".replace(" ", "") and plain.options[227] == "c0ffee"
    assert plain.options[43] == "01020a0b" and 7 not in plain.options and 10 not in gold.options
    # Required classes join in Kea 2.2's order: shared network, subnet, pool; the first one defining an
    # option supplies it, so the subnet's late class beats the pool's.
    assert gold.options[7] == a("192.0.2.31").hex() and gold.options[2] == u32(7200).hex()
    assert by["cable modem asking for vendor options request"].options[125].startswith("0000118b")


def test_drop_class(lab) -> None:
    """The DROP class: packets in it get no answer, also when DROP depends on KNOWN (Kea 1.9.8+)."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "client-classes": [
                {
                    "name": "DROP",
                    "test": "option[60].text == 'evil' or (unknown and option[60].text == 'shy')",
                }
            ],
            "subnet4": [
                subnet(
                    1,
                    "192.0.2.0/24",
                    "192.0.2.100 - 192.0.2.150",
                    **{
                        "option-data": LAN_OPTIONS,
                        "reservations": [{"hw-address": "02:aa:00:00:00:03", "hostname": "known"}],
                    },
                )
            ],
        },
    )
    # Kea 2.2 has no `unknown` keyword (later Kea does); `not member('KNOWN')` is the same test.
    config["Dhcp4"]["client-classes"][0]["test"] = (
        "option[60].text == 'evil' or (not member('KNOWN') and option[60].text == 'shy')"
    )

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            s.discover("evil", mac(1), options={60: b"evil"}, expect=False)
            s.discover("shy and unknown", mac(2), options={60: b"shy"}, expect=False)
            s.discover("shy but known", mac(3), options={60: b"shy"})
            s.discover("ordinary", mac(4))
            s.out.append(Answer("pkt4-receive-drop", str(s.stats("pkt4-receive-drop")["pkt4-receive-drop"])))
            return s.out

    out = assert_same(run_both(ps, config, play))
    assert [x.message for x in out] == ["none", "none", "OFFER", "OFFER", "2"]


def test_reservation_conflict_is_counted(lab) -> None:
    """A reserved address leased to someone else (added through the control channel): the reserved client
    gets another address and v4-reservation-conflicts counts it, globally and per subnet."""
    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "hooks-libraries": [{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"}],
            "subnet4": [
                subnet(
                    1,
                    "192.0.2.0/24",
                    "192.0.2.100 - 192.0.2.150",
                    **{
                        "option-data": LAN_OPTIONS,
                        "reservations": [{"hw-address": "02:aa:00:00:00:01", "ip-address": "192.0.2.120"}],
                    },
                )
            ],
        },
    )

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        with Script(ps, server) as s:
            added = server.command(
                "lease4-add",
                {
                    "ip-address": "192.0.2.120",
                    "hw-address": "02:bb:00:00:00:01",
                    "subnet-id": 1,
                    "valid-lft": 3600,
                },
            )
            assert added.get("result") == 0, added
            s.dora("reserved client", mac(1))
            got = s.stats("v4-reservation-conflicts", "subnet[1].v4-reservation-conflicts")
            s.out.extend(Answer(k, str(v)) for k, v in got.items())
            return s.out

    out = assert_same(run_both(ps, config, play))
    assert out[0].yiaddr != "192.0.2.120" and out[2].message == "1" and out[3].message == "1"


# ----------------------------------------------------------------------------------------------- real clients


def _lease_facts(lease: object) -> dict[str, object]:
    return {
        k: getattr(lease, k)
        for k in ("address", "prefix_len", "routers", "dns_servers", "domain_name", "lease_time")
    }


@pytest.mark.parametrize("kind", ["dhclient", "udhcpc", "dhcpcd"])
def test_real_clients_get_the_same_lease(lab, kind: str) -> None:
    from tests.lab.common import make_client

    ps = parity_site(lab)
    config = base_config(
        ps,
        **{
            "subnet4": [
                subnet(1, "192.0.2.0/24", "192.0.2.100 - 192.0.2.150", **{"option-data": LAN_OPTIONS})
            ],
        },
    )
    seen: dict[str, dict[str, object]] = {}

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        client = make_client(kind, ps.lab, ps.site)
        try:
            first = client.obtain()
            renewed = client.renew()
            seen[server.kind] = {**_lease_facts(first), "renewed": str(renewed.address)}
        finally:
            client.stop()
        lab.ip(ps.client_ns, "addr", "flush", "dev", ps.site.client.ifname)
        lab.ip(ps.client_ns, "addr", "add", "192.0.2.2/24", "dev", ps.site.client.ifname)
        for address in ("10.1.1.1", "10.2.2.1", "10.3.3.1"):
            lab.ip(ps.client_ns, "addr", "add", f"{address}/32", "dev", ps.site.client.ifname)
        return [Answer("lease", "", options={i: str(v) for i, v in enumerate(seen[server.kind].values())})]

    assert_same(run_both(ps, config, play))
    assert ipaddress.IPv4Address(seen["kea"]["address"]) in ipaddress.IPv4Network("192.0.2.0/24")


def test_real_relay_with_a_circuit_id_reservation(lab) -> None:
    """dhcrelay -a puts the name of the interface the request came in on (down0) into option 82 as the
    circuit-id; a real dhclient behind it gets the address reserved for that circuit from both servers."""
    from tests.lab.common import make_client
    from tests.lab.fixtures import require
    from tests.lab.relay import DhcpRelay

    require("dhcrelay")
    ps = parity_site(lab, relay=True)
    site = ps.site
    assert site.relay_down is not None and site.relay_up is not None
    config = base_config(
        ps,
        **{
            "host-reservation-identifiers": ["circuit-id", "hw-address"],
            "subnet4": [
                subnet(
                    2,
                    "198.51.100.0/24",
                    "198.51.100.100 - 198.51.100.150",
                    **{
                        "relay": {"ip-addresses": [str(site.relay_down.ip)]},
                        "option-data": [
                            {"name": "routers", "data": str(site.relay_down.ip)},
                            {"name": "domain-name-servers", "data": "203.0.113.53"},
                        ],
                        "reservations": [
                            {"circuit-id": "'down0'", "ip-address": "198.51.100.42", "hostname": "port-down0"}
                        ],
                    },
                )
            ],
        },
    )
    seen: dict[str, object] = {}

    def play(ps: ParitySite, server: ParityServer) -> list[Answer]:
        relay = DhcpRelay(
            lab, site.relay_down.ns, downstream=["down0"], upstream=["up0"], servers=[str(site.server.ip)]
        ).start()
        client = make_client("dhclient", ps.lab, site)
        try:
            lease = client.obtain()
            seen[server.kind] = lease
        finally:
            client.stop()
            relay.stop()
        lab.ip(site.client.ns, "addr", "flush", "dev", site.client.ifname)
        return [Answer("lease", "", options={i: str(v) for i, v in enumerate(_lease_facts(lease).values())})]

    assert_same(run_both(ps, config, play))
    assert str(seen["kea"].address) == "198.51.100.42"  # type: ignore[attr-defined]
