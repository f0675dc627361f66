"""The example configurations: each loads, says what its comments say, and is valid Kea 2.2 too."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from edge.config.model import ip_int
from edge.dhcp4.config import load_file
from edge.dhcp4.model import Config4

EXAMPLES = Path(__file__).parents[2] / "examples"
NAMES = sorted(p.name for p in EXAMPLES.glob("*.json"))


def load(name: str) -> Config4:
    return load_file(str(EXAMPLES / name))


def test_there_are_examples() -> None:
    assert {
        "home-lan.json",
        "lab-pxe.json",
        "relayed.json",
        "shared-network.json",
        "kea-2.2-basic.json",
    } <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_loads_without_warnings(name: str) -> None:
    assert load(name).warnings == ()


def test_home_lan() -> None:
    cfg = load("home-lan.json")
    (subnet,) = cfg.subnets
    assert subnet.text == "192.168.1.0/24" and subnet.params.authoritative
    assert (subnet.params.valid_lifetime, subnet.params.renew_timer, subnet.params.rebind_timer) == (
        86400,
        43200,
        75600,
    )
    assert [r.hostname for r in subnet.reservations] == ["nas", "printer", "living-room-tv", "parents-laptop"]
    assert subnet.reservations[2].client_id == bytes.fromhex("01dca632010203")
    assert subnet.reservations[3].ip_address is None
    assert {o.name: o.data for o in cfg.option_data}["domain-name-servers"] == bytes([192, 168, 1, 1])


def test_lab_pxe_classes_choose_boot_files() -> None:
    cfg = load("lab-pxe.json")
    files = {c.name: c.boot_file_name for c in cfg.client_classes}
    assert files == {
        "pxe": None,
        "ipxe": "http://10.20.0.5/boot.ipxe",
        "pxe-bios": "undionly.kpxe",
        "pxe-uefi-x64": "ipxe.efi",
        "pxe-uefi-arm64": "ipxe-arm64.efi",
    }
    pxe = cfg.client_classes[0]
    assert pxe.next_server == ip_int("10.20.0.5")
    assert [(o.code, o.data) for o in pxe.option_data] == [(66, b"10.20.0.5"), (60, b"PXEClient")]


def test_relayed_subnets_are_chosen_by_relay() -> None:
    cfg = load("relayed.json")
    assert cfg.dhcp_socket_type == "udp"
    relays = {s.id: s.relay_addresses for s in cfg.subnets}
    assert relays == {
        101: (ip_int("10.1.0.1"),),
        102: (ip_int("10.2.0.2"), ip_int("10.2.0.3")),
        103: (ip_int("10.3.0.1"),),
    }
    access = cfg.subnet_by_id(103)
    assert access is not None and access.params.match_client_id is False
    assert [r.circuit_id for r in access.reservations] == [b"Gi1/0/17", bytes.fromhex("000400010012")]
    assert cfg.host_reservation_identifiers[0] == "circuit-id"


def test_shared_network_guards() -> None:
    cfg = load("shared-network.json")
    (net,) = cfg.shared_networks
    assert (net.name, net.subnet_ids, net.interface) == ("office", (10, 20), "eth0")
    data, voice = cfg.subnets
    assert data.client_classes == ("not-phones",) and voice.client_classes == ("phones",)
    assert voice.require_client_classes == ("phones-late-options",)
    assert (data.params.valid_lifetime, voice.params.valid_lifetime) == (14400, 86400)
    assert data.params.authoritative and voice.shared_network == "office"
    assert [o.name for o in voice.shared_network_option_data] == ["domain-name-servers", "domain-name"]


def test_kea_22_basic() -> None:
    cfg = load("kea-2.2-basic.json")
    assert [(o.code, o.data) for o in cfg.option_data][1:] == [
        (15, b"example.org"),
        (119, b"\x08mydomain\x07example\x03com\x00\x07example\x03com\x00"),
        (67, b"EST5EDT4,M3.2.0/02:00,M11.1.0/02:00"),
        (23, b"\xf0"),
    ]
    assert cfg.subnets[0].reservations[-1].flex_id == b"s0mEVaLue"


def _local_interface() -> str:
    names = [name for _, name in socket.if_nameindex()]
    return next((n for n in names if n != "lo"), "lo")


@pytest.mark.skipif(
    shutil.which("kea-dhcp4") is None, reason="kea-dhcp4 is not installed (apt install kea-dhcp4-server)"
)
@pytest.mark.parametrize("name", NAMES)
def test_example_is_valid_for_kea(name: str, tmp_path: Path) -> None:
    # kea-dhcp4 -t insists that the interfaces exist, so the examples' "eth0" becomes one this machine has.
    text = (EXAMPLES / name).read_text().replace('"eth0"', f'"{_local_interface()}"')
    conf = tmp_path / name
    conf.write_text(text)
    env = dict(os.environ, KEA_LOCKFILE_DIR=str(tmp_path), KEA_PIDFILE_DIR=str(tmp_path))
    result = subprocess.run(
        ["kea-dhcp4", "-t", str(conf)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_kea_shipped_configuration() -> None:
    """Debian's /etc/kea/kea-dhcp4.conf loads as it is, DOCSIS (vendor-4491) options included."""
    shipped = Path("/etc/kea/kea-dhcp4.conf")
    if not shipped.exists():
        pytest.skip("no /etc/kea/kea-dhcp4.conf here")
    config = load_file(str(shipped))
    docsis = [
        o for s in config.subnets for r in s.reservations for o in r.option_data if o.space == "vendor-4491"
    ]
    assert [(o.name, o.code, o.data) for o in docsis] == [
        ("tftp-servers", 2, bytes([10, 1, 1, 202, 10, 1, 1, 203]))
    ]
