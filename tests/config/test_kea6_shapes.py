"""Our own Dhcp6 configurations in the shapes of Kea's doc/examples/kea6 (tests/config/kea6/, written for
edge-dhcp: Kea's files are not copied here): each loads without errors, means what its comments say, and
`edge-dhcp check` accepts it."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge.dhcp6.config import load_file
from edge.dhcp6.model import Config6

KEA6 = Path(__file__).parent / "kea6"
NAMES = sorted(p.name for p in KEA6.glob("*.json"))


def load(name: str) -> Config6:
    return load_file(str(KEA6 / name))


def ip(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


def packed(*texts: str) -> bytes:
    return b"".join(ipaddress.IPv6Address(t).packed for t in texts)


def test_the_shapes_cover_kea6_examples() -> None:
    assert len(NAMES) >= 16 and "reservations.json" in NAMES and "classify.json" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_loads_with_only_expected_warnings(name: str) -> None:
    cfg = load(name)
    # the only warnings are for keys edge-dhcp parses but does not act on yet
    assert all("accepted but not acted on" in w for w in cfg.warnings), cfg.warnings


def test_simple() -> None:
    cfg = load("simple.json")
    (s,) = cfg.subnets
    assert (s.id, s.text, s.interface) == (1, "2001:db8:10::/64", "lan0")
    assert s.pools[0].size == 0x1000
    assert (s.params.preferred_lifetime, s.params.valid_lifetime) == (3000, 4000)
    assert s.params.tee_times(3000) == (1000, 2000)  # explicit timers win over the percentages
    assert cfg.loggers[0].name == "kea-dhcp6" and cfg.loggers[0].outputs[0].output == "stdout"


def test_several_subnets_by_relay_address_with_a_pd_pool() -> None:
    cfg = load("several-subnets.json")
    assert [s.id for s in cfg.subnets] == [10, 20, 30]
    assert cfg.subnets[1].relay_addresses == (ip("2001:db8:b::1"), ip("2001:db8:b::2"))
    assert cfg.interfaces[0].address == ip("2001:db8:ff::547")
    (pd,) = cfg.subnets[2].pd_pools
    assert (pd.prefix_len, pd.delegated_len, pd.size) == (40, 56, 1 << 16)
    assert cfg.subnets[0].pools[0].size == 1 << 48


def test_shared_network() -> None:
    cfg = load("shared-network.json")
    one, two, three = cfg.subnets
    assert one.shared_network == two.shared_network == "office-floor-2" and three.shared_network is None
    assert one.params.rapid_commit and not two.params.rapid_commit
    assert one.interface == two.interface == "lan0"  # from the network
    assert one.params.preferred_lifetime == 900 and not two.params.reservations_in_subnet
    assert one.shared_network_option_data[0].data == packed("2001:db8:53::1")
    assert three.interface_id == b"pop-3" and three.params.preferred_lifetime == 3600


def test_stateless() -> None:
    cfg = load("stateless.json")
    assert cfg.subnets == () and not cfg.lease_database.persist
    options = {o.name: o.data for o in cfg.option_data}
    assert options["dns-servers"] == packed("2001:db8::53", "2001:db8::54")
    assert options["domain-search"] == b"\x03lab\x07example\x00\x07example\x00"
    assert options["information-refresh-time"] == (7200).to_bytes(4, "big")


def test_reservations() -> None:
    cfg = load("reservations.json")
    (s,) = cfg.subnets
    nas, router, printer, uplink = s.reservations
    assert nas.duid == bytes.fromhex("000100012a3b4c5d00163e112233") and nas.ip_addresses == (
        ip("2001:db8:40::10"),
    )
    assert router.hw_address == bytes.fromhex("00163eaabbcc") and len(router.ip_addresses) == 2
    assert router.prefixes == ((ip("2001:db8:4000:ff00::"), 56),)
    assert router.option_data[0].data == packed("2001:db8:40::53")
    assert printer.client_classes == (
        "printers",
        "lab-bench",
    )  # lab-bench: a tag the second pool's guard names
    assert s.pools[1].client_classes == ("lab-bench",)
    assert uplink.flex_id == b"uplink-7"
    assert cfg.flex_id_expression is not None and cfg.flex_id_expression.source == "relay6[0].option[18].hex"
    assert cfg.host_reservation_identifiers == ("duid", "hw-address", "flex-id")
    assert cfg.mac_sources == ("client-link-addr-option", "duid") and s.params.reservations_out_of_pool


def test_global_reservations() -> None:
    cfg = load("global-reservations.json")
    switch, build = cfg.reservations
    assert switch.subnet_id == 0 and switch.client_classes == ("infrastructure",)
    assert build.option_data[0].data == b"\x05build\x07example\x00"
    assert cfg.early_global_reservations_lookup and cfg.subnets[0].params.reservations_global
    (infra,) = cfg.client_classes
    assert (infra.preferred_lifetime, infra.valid_lifetime) == (86400, 172800)


def test_classify() -> None:
    cfg = load("classify.json")
    by_name = {c.name: c for c in cfg.client_classes}
    assert not by_name["via-port-7"].expression.depends_on_known  # type: ignore[union-attr]
    assert by_name["unknown-clients"].expression.depends_on_known  # type: ignore[union-attr]
    assert by_name["guests"].expression.depends_on_known and by_name["guests"].only_if_required  # type: ignore[union-attr]
    assert by_name["cable-modem"].option_data[0].data == b"\xc8"
    pools = cfg.subnets[0].pools
    assert pools[0].client_classes == ("cable-modem",) and pools[1].require_client_classes == ("guests",)


def test_tee_times() -> None:
    one, two, three, four = (s.params for s in load("tee-times.json").subnets)
    assert one.tee_times(4000) == (2000, 3200)  # Kea 2.2's v6 defaults: 0.5 and 0.8 of preferred
    assert (two.t1_percent, two.t2_percent) == (0.4, 0.75) and two.tee_times(4000) == (1600, 3000)
    assert three.tee_times(4000) == (1000, 3000)
    assert four.tee_times(4000) == (0, 0)


def test_duid() -> None:
    sid = load("duid.json").server_id
    assert (sid.type, sid.enterprise_id, sid.identifier, sid.persist) == ("EN", 2495, b"edgedhcp", True)


def test_leases_expiration() -> None:
    cfg = load("leases-expiration.json")
    e = cfg.expired_leases_processing
    assert (e.reclaim_timer_wait_time, e.hold_reclaimed_time, e.unwarned_reclaim_cycles) == (5, 1800, 10)
    assert cfg.decline_probation_period == 3600 and cfg.lease_database.lfc_interval == 1800
    p = cfg.subnets[0].params
    assert (p.min_valid_lifetime, p.valid_lifetime, p.max_valid_lifetime) == (1200, 2400, 4800)


def test_with_ddns() -> None:
    cfg = load("with-ddns.json")
    assert cfg.ddns.enable_updates
    p = cfg.subnets[0].params
    assert (p.ddns_qualifying_suffix, p.ddns_generated_prefix, p.ddns_replace_client_name) == (
        "floor1.v6.example",
        "host6",
        "when-not-present",
    )
    assert (
        p.ddns_update_on_renew
        and p.ddns_ttl_percent == 0.5
        and cfg.params.ddns_qualifying_suffix == "v6.example"
    )


def test_multiple_options() -> None:
    cfg = load("multiple-options.json")
    options = {(o.space, o.code): o for o in cfg.option_data}
    assert options[("dhcp6", 1000)].data == b"welcome"
    assert options[("dhcp6", 1001)].data == packed("2001:db8::1", "2001:db8::2")
    assert options[("dhcp6", 1002)].data == b"\x00\x07" + packed("2001:db8::7") + b"lab"
    assert options[("dhcp6", 1003)].data == b"\x0a\x0b\x0c" and options[("dhcp6", 7)].always_send
    assert options[("dhcp6", 17)].data == (4491).to_bytes(4, "big")
    assert options[("vendor-4491", 32)].data == packed("2001:db8::69")
    assert options[("vendor-4491", 33)].data == b"modem.cfg"
    assert {d.name for d in cfg.option_defs} == {"site-motd", "site-servers", "site-info"}
    assert cfg.subnets[0].pools[0].option_data[0].code == 31


def test_softwire46() -> None:
    options = {o.name: o for o in load("softwire46.json").subnets[0].option_data}
    assert options["s46-cont-lw"].data == b"" and options["s46-br"].space == "s46-cont-lw-options"
    assert options["s46-v4v6bind"].data[:4] == bytes([192, 0, 2, 3])


def test_netboot() -> None:
    uefi, ipxe = load("netboot.json").client_classes
    assert uefi.option_data[0].data == b"http://[2001:db8:d0::5]/boot/efi64.img"
    assert ipxe.expression is not None and "iPXE" in ipxe.test


def test_advanced() -> None:
    cfg = load("advanced.json")
    assert cfg.relay_supplied_options == (65, 110, 120, 130)
    assert cfg.mac_sources == ("client-link-addr-option", "remote-id", "ipv6-link-local")
    assert [c.socket_type for c in cfg.control_sockets] == ["unix", "http"] and not cfg.re_detect
    assert cfg.service_sockets_max_retries == 5 and cfg.reservations_lookup_first
    first, second = cfg.subnets[0].reservations  # ip-reservations-unique false: one address, two hosts
    assert first.ip_addresses == second.ip_addresses == (ip("2001:db8:e0::5"),)
    assert cfg.subnets[0].params.rapid_commit


def test_ha_load_balancing() -> None:
    cfg = load("ha-load-balancing.json")
    assert [p.client_classes for p in cfg.subnets[0].pools] == [("HA_alpha",), ("HA_beta",)]


def test_hosts_database() -> None:
    (db,) = load("hosts-database.json").hosts_databases
    assert (db.type, db.name) == ("tinydb", "/var/lib/edge-dhcp/hosts6.json")


def test_dhcpv4_over_dhcpv6() -> None:
    cfg = load("dhcpv4-over-dhcpv6.json")
    assert cfg.raw["Dhcp6"]["dhcp4o6-port"] == 6767
    assert cfg.subnets[0].option_data[0].data == packed("2001:db8:44::547")


@pytest.mark.parametrize("name", NAMES)
def test_check_accepts_each(name: str) -> None:
    script = Path(sys.executable).with_name("edge-dhcp")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "edge"]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    result = subprocess.run(
        [*command, "check", "-c", str(KEA6 / name)], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "OK"
