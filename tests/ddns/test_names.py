"""Name selection and the option 81 / 12 answers (Kea 2.2's rules), and the requests lease events make."""

from __future__ import annotations

from typing import Any

import pytest

from edge.ddns import fqdn
from edge.ddns.names import NameHandler, Names, qualify, sanitize, ttl_for
from edge.ddns.ncr import CHG_ADD, CHG_REMOVE, NameChangeRequest
from edge.dhcp4.config import load_data
from edge.dhcp4.lease import Lease
from edge.dhcp4.model import Config4
from edge.wire import pkt4 as wire

MAC = bytes.fromhex("020000000001")
ADDRESS = 0xC0000264  # 192.0.2.100


def make_config(updates: bool = True, **scope: Any) -> Config4:
    dhcp4: dict[str, Any] = {
        "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.150"}]}],
        "ddns-qualifying-suffix": "home.example",
        "dhcp-ddns": {"enable-updates": updates},
    }
    dhcp4.update(scope)
    return load_data({"Dhcp4": dhcp4})


def request(**options: bytes) -> wire.Packet:
    packet = wire.Packet(op=wire.BOOTREQUEST, chaddr=MAC + bytes(10))
    packet.set(wire.OPT_MESSAGE_TYPE, bytes([wire.DHCPREQUEST]))
    for code, data in options.items():
        packet.set(int(code.lstrip("o")), data)
    return packet


def names(config: Config4, packet: wire.Packet, reservation: Any = None, classes: Any = ()) -> Names:
    handler = NameHandler(lambda: config)
    return handler.names_for(packet, config.subnets[0], ADDRESS, reservation, classes)


def flags_of(result: Names) -> tuple[int, int, int]:
    got = fqdn.decode(result.reply_data)
    return int(got.n), int(got.s), int(bool(got.flags & fqdn.FLAG_O))


# Kea's table (ARM "Default FQDN flag behavior" and the override rows): client N-S -> reply N-S-O and what
# the server updates.
@pytest.mark.parametrize(
    ("client_flags", "overrides", "reply_nso", "forward", "reverse"),
    [
        (0x00, {}, (0, 0, 0), False, True),  # client does A itself; server does PTR
        (0x01, {}, (0, 1, 0), True, True),
        (0x08, {}, (1, 0, 0), False, False),
        (0x00, {"ddns-override-client-update": True}, (0, 1, 1), True, True),
        (0x08, {"ddns-override-no-update": True}, (0, 1, 1), True, True),
        (0x01, {"ddns-send-updates": False}, (1, 0, 1), False, False),
    ],
)
def test_option_81_flags_follow_kea(
    client_flags: int, overrides: dict, reply_nso: tuple, forward: bool, reverse: bool
) -> None:
    config = make_config(**overrides)
    result = names(config, request(o81=fqdn.encode(client_flags | fqdn.FLAG_E, "laptop", False)))
    assert flags_of(result) == reply_nso
    assert (result.forward, result.reverse) == (forward, reverse)
    assert result.hostname == "laptop.home.example."


def test_with_updates_off_everywhere_the_reply_says_n() -> None:
    result = names(make_config(updates=False), request(o81=fqdn.encode(0x05, "laptop.home.example", True)))
    assert flags_of(result) == (1, 0, 1)
    assert not result.forward and not result.reverse
    assert result.hostname == "laptop.home.example."  # the name is still chosen and answered (as Kea)


def test_option_81_reply_copies_encoding_and_rcodes_like_kea() -> None:
    # udhcpc -F phone: ASCII, partial; Kea 2.2 answered 01 00 00 "phone.home.example."
    result = names(make_config(), request(o81=bytes.fromhex("01000070686f6e65")))
    assert result.reply_data == bytes.fromhex("01000070686f6e652e686f6d652e6578616d706c652e")
    # dhclient: wire format, fully qualified "laptop." stays as it is (Kea: 05 00 00 06 laptop 00)
    result = names(make_config(), request(o81=bytes.fromhex("050000066c6170746f7000")))
    assert result.reply_data == bytes.fromhex("050000066c6170746f7000")
    assert result.hostname == "laptop."
    assert not result.forward  # a single label is never put into DNS


def test_option_81_wins_over_option_12() -> None:
    result = names(make_config(), request(o12=b"other", o81=fqdn.encode(0x05, "laptop", False)))
    assert result.reply_code == 81 and result.hostname == "laptop.home.example."


def test_option_12_is_sanitised_lowercased_and_qualified_as_kea_does() -> None:
    result = names(make_config(), request(o12=b"Pi_Zero"))
    assert (result.reply_code, result.reply_data) == (12, b"pizero.home.example")
    assert result.hostname == "pizero.home.example" and result.forward and result.reverse


def test_hostname_char_replacement_replaces_instead_of_dropping() -> None:
    config = make_config(**{"hostname-char-replacement": "x"})
    assert names(config, request(o12=b"myhost-$[123")).hostname == "myhost-xx123.home.example"
    assert sanitize("a_b.c!d", config.params, per_label=True) == "axb.cxd"


def test_a_multi_label_option_12_name_is_kept_as_it_is() -> None:
    assert names(make_config(), request(o12=b"nas.lab.example")).hostname == "nas.lab.example"


@pytest.mark.parametrize(
    ("mode", "sent", "expected"),
    [
        ("never", b"laptop", "laptop.home.example."),
        ("always", b"laptop", "myhost-192-0-2-100.home.example."),
        ("when-present", b"laptop", "myhost-192-0-2-100.home.example."),
        ("when-not-present", b"laptop", "laptop.home.example."),
        ("never", b"", "myhost-192-0-2-100.home.example."),
        ("when-not-present", b"", "myhost-192-0-2-100.home.example."),
    ],
)
def test_replace_client_name_modes_with_option_81(mode: str, sent: bytes, expected: str) -> None:
    config = make_config(**{"ddns-replace-client-name": mode})
    result = names(config, request(o81=fqdn.encode(0x01, sent.decode(), False)))
    assert result.hostname == expected


def test_replace_client_name_generates_for_a_client_that_sent_no_name() -> None:
    config = make_config(**{"ddns-replace-client-name": "when-not-present", "ddns-generated-prefix": "dev"})
    result = names(config, request())
    assert (result.reply_code, result.reply_data) == (12, b"dev-192-0-2-100.home.example")
    assert names(make_config(), request()) == Names()  # "never": nothing


def test_a_reservation_hostname_wins_and_is_qualified() -> None:
    reservation = (
        load_data(
            {
                "Dhcp4": {
                    "subnet4": [
                        {
                            "id": 1,
                            "subnet": "192.0.2.0/24",
                            "reservations": [{"hw-address": "02:00:00:00:00:01", "hostname": "Printer"}],
                        }
                    ],
                }
            }
        )
        .subnets[0]
        .reservations[0]
    )
    result = names(make_config(), request(o12=b"whatever"), reservation)
    assert (result.reply_code, result.reply_data) == (12, b"printer.home.example")
    # Kea 2.2 answers a reserved name even to a client that neither sent nor asked for option 12
    # (tests/lab/test_parity.py sees it do so).
    silent = names(make_config(), request(), reservation)
    assert (silent.reply_code, silent.reply_data, silent.forward) == (12, b"printer.home.example", True)


def test_n_and_s_together_drop_the_request_as_kea_does() -> None:
    assert names(make_config(), request(o81=b"\x09\x00\x00")).drop


def test_skip_ddns_class_chooses_the_name_but_updates_nothing() -> None:
    result = names(make_config(), request(o12=b"tv"), classes={"ALL": None, "SKIP_DDNS": None})
    assert result.hostname == "tv.home.example" and not result.forward and not result.reverse


def test_scope_inheritance_subnet_overrides_global() -> None:
    config = load_data(
        {
            "Dhcp4": {
                "ddns-qualifying-suffix": "home.example",
                "ddns-send-updates": False,
                "dhcp-ddns": {"enable-updates": True},
                "shared-networks": [
                    {
                        "name": "lan",
                        "ddns-qualifying-suffix": "lan.example",
                        "subnet4": [
                            {"id": 1, "subnet": "192.0.2.0/24", "ddns-send-updates": True},
                            {"id": 2, "subnet": "198.51.100.0/24", "ddns-use-conflict-resolution": False},
                        ],
                    }
                ],
            }
        }
    )
    one, two = config.subnets
    assert (one.params.ddns_qualifying_suffix, one.params.ddns_send_updates) == ("lan.example", True)
    assert (two.params.ddns_send_updates, two.params.ddns_conflict_resolution_mode) == (
        False,
        "no-check-with-dhcid",
    )
    handler = NameHandler(lambda: config)
    assert handler.names_for(request(o12=b"a"), one, ADDRESS).forward
    assert not handler.names_for(request(o12=b"a"), two, ADDRESS).forward


def test_qualify_does_not_double_a_suffix_already_there() -> None:
    assert qualify("a.home.example", "home.example", trailing_dot=True) == "a.home.example."
    assert (
        qualify("a.barhome.example", "home.example", trailing_dot=False) == "a.barhome.example.home.example"
    )


@pytest.mark.parametrize(
    ("lifetime", "scope", "ttl"),
    [
        (120, {}, 600),
        (7200, {}, 2400),
        (7200, {"ddns-ttl-percent": 0.5}, 3600),
        (7200, {"ddns-ttl": 60}, 60),
        (7200, {"ddns-ttl-max": 1000}, 1000),
        (120, {"ddns-ttl-min": 30}, 40),
    ],
)
def test_ttl_follows_rfc_4702_and_kea_knobs(lifetime: int, scope: dict, ttl: int) -> None:
    assert ttl_for(lifetime, make_config(**scope).params) == ttl


# ---------------------------------------------------------------------------------------- lease events


def lease(hostname: str = "laptop.home.example.", fwd: bool = True, rev: bool = True, **kw: Any) -> Lease:
    base: dict[str, Any] = dict(
        address=ADDRESS,
        hwaddr=MAC,
        valid_lifetime=3600,
        cltt=1000,
        subnet_id=1,
        hostname=hostname,
        fqdn_fwd=fwd,
        fqdn_rev=rev,
    )
    base.update(kw)
    return Lease(**base)


def handler_with_sink(config: Config4) -> tuple[NameHandler, list[NameChangeRequest]]:
    sent: list[NameChangeRequest] = []
    return NameHandler(lambda: config, sent.append), sent


def test_a_new_lease_asks_for_an_add_with_kea_fields() -> None:
    handler, sent = handler_with_sink(make_config())
    handler.lease_granted(None, lease(), now=1500)
    (ncr,) = sent
    assert (ncr.change_type, ncr.fqdn, ncr.ip_address, ncr.forward, ncr.reverse) == (
        CHG_ADD,
        "laptop.home.example.",
        "192.0.2.100",
        True,
        True,
    )
    assert ncr.lease_expires_on == 4600 and ncr.lease_length == 1200 and ncr.use_conflict_resolution


def test_a_renewal_with_the_same_name_asks_nothing_unless_update_on_renew() -> None:
    handler, sent = handler_with_sink(make_config())
    handler.lease_granted(lease(), lease(cltt=2000), now=1500)
    assert sent == []
    handler, sent = handler_with_sink(make_config(**{"ddns-update-on-renew": True}))
    handler.lease_granted(lease(), lease(cltt=2000), now=1500)
    assert [n.change_type for n in sent] == [CHG_ADD]


def test_a_renewal_with_a_new_name_removes_the_old_and_adds_the_new() -> None:
    handler, sent = handler_with_sink(make_config())
    handler.lease_granted(lease(), lease(hostname="tablet.home.example."), now=1500)
    assert [(n.change_type, n.fqdn) for n in sent] == [
        (CHG_REMOVE, "laptop.home.example."),
        (CHG_ADD, "tablet.home.example."),
    ]


def test_removal_needs_names_the_lease_says_are_in_dns() -> None:
    handler, sent = handler_with_sink(make_config())
    assert not handler.lease_removed(lease(fwd=False, rev=False))
    assert not handler.lease_removed(lease(hostname=""))
    assert handler.lease_removed(lease(fwd=False))
    assert [(n.change_type, n.forward, n.reverse) for n in sent] == [(CHG_REMOVE, False, True)]


def test_without_a_sink_nothing_is_asked() -> None:
    handler = NameHandler(lambda: make_config(updates=False))
    handler.lease_granted(None, lease(), now=1500)
    assert not handler.lease_removed(lease())
