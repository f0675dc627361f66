"""The built-in default configuration and the machine helpers behind it."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from edge.config.model import ip_int
from edge.dhcp4 import defaults
from edge.dhcp4.config import load_data
from edge.dhcp4.defaults import InterfaceAddress, builtin_default, default_pool, host_dns_servers


@pytest.mark.parametrize(
    ("address", "prefix", "pool"),
    [
        ("192.168.1.1", 24, ("192.168.1.100", "192.168.1.199")),
        ("192.168.1.150", 24, ("192.168.1.100", "192.168.1.149")),  # the server stays out
        ("192.168.1.120", 24, ("192.168.1.121", "192.168.1.199")),  # the larger side is kept
        ("10.0.5.1", 16, ("10.0.5.100", "10.0.5.199")),  # in the server's own /24 block
        ("192.168.1.1", 25, ("192.168.1.64", "192.168.1.126")),
        ("192.168.1.129", 26, ("192.168.1.160", "192.168.1.190")),
        ("10.0.0.1", 30, ("10.0.0.2", "10.0.0.2")),
        ("10.0.0.2", 30, ("10.0.0.1", "10.0.0.1")),
        ("10.0.0.0", 31, ("10.0.0.1", "10.0.0.1")),
        ("10.0.0.7", 32, None),
    ],
)
def test_default_pool(address: str, prefix: int, pool: tuple[str, str] | None) -> None:
    assert default_pool(address, prefix) == pool


@pytest.mark.parametrize(("address", "prefix"), [("192.168.1.1", 24), ("10.9.8.7", 20), ("172.16.0.1", 29)])
def test_builtin_default_loads_cleanly(address: str, prefix: int) -> None:
    cfg = load_data(builtin_default("eth0", address, prefix, dns_servers=["9.9.9.9"]))
    assert cfg.warnings == ()
    (subnet,) = cfg.subnets
    assert subnet.id == 1 and subnet.interface == "eth0" and ip_int(address) in subnet
    assert all(ip_int(address) not in pool for pool in subnet.pools)
    assert [(o.name, o.data) for o in subnet.option_data] == [
        ("routers", bytes(int(x) for x in address.split("."))),
        ("domain-name-servers", bytes([9, 9, 9, 9])),
    ]
    assert subnet.params.valid_lifetime == 3600
    assert cfg.lease_database.name == defaults.DEFAULT_LEASE_FILE
    assert cfg.control_sockets[0].socket_name == defaults.DEFAULT_CONTROL_SOCKET
    assert [i.name for i in cfg.interfaces] == ["eth0"]


def test_builtin_default_without_resolvers_leaves_dns_out() -> None:
    doc = builtin_default("eth0", "192.168.1.1", 24, dns_servers=[])
    names = [o["name"] for o in doc["Dhcp4"]["subnet4"][0]["option-data"]]
    assert names == ["routers"]


def test_load_builtin_default_has_no_source() -> None:
    cfg = defaults.load_builtin_default(InterfaceAddress("wlan0", "10.0.0.1", 24), dns_servers=[])
    assert cfg.source is None and cfg.subnets[0].interface == "wlan0"


def test_host_dns_servers_skips_loopback_ipv6_and_junk(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# generated\nnameserver 127.0.0.53\nnameserver 192.168.1.1\nnameserver 2001:db8::1\n"
        "nameserver bogus\nsearch home.arpa\nnameserver 9.9.9.9\nnameserver 192.168.1.1\n"
    )
    assert host_dns_servers(str(conf)) == ["192.168.1.1", "9.9.9.9"]
    assert host_dns_servers(str(tmp_path / "missing")) == []


def fake_netifaces(table: dict[str, list[dict[str, str]]]) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        AF_INET=2,
        interfaces=lambda: list(table),
        ifaddresses=lambda name: {2: table[name]} if table[name] else {},
    )


def test_first_interface_skips_loopback_and_addressless(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {
        "lo": [{"addr": "127.0.0.1", "netmask": "255.0.0.0"}],
        "wlan0": [],
        "eth0": [
            {"addr": "169.254.3.4", "netmask": "255.255.0.0"},
            {"addr": "192.168.7.2", "netmask": "255.255.254.0"},
        ],
    }
    monkeypatch.setitem(__import__("sys").modules, "netifaces", fake_netifaces(table))
    monkeypatch.setattr(defaults.socket, "if_nameindex", lambda: [(1, "lo"), (3, "eth0"), (2, "wlan0")])
    assert defaults.first_interface() == InterfaceAddress("eth0", "192.168.7.2", 23)


def test_first_interface_none_when_nothing_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        __import__("sys").modules, "netifaces", fake_netifaces({"lo": [{"addr": "127.0.0.1"}]})
    )
    monkeypatch.setattr(defaults.socket, "if_nameindex", lambda: [(1, "lo")])
    assert defaults.first_interface() is None


def test_first_interface_on_this_machine_is_well_formed() -> None:
    found = defaults.first_interface()
    if found is not None:
        assert found.name != "lo" and not found.address.startswith("127.") and 0 <= found.prefix_len <= 32
