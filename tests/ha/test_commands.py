"""The JSON edge-dhcp sends a partner, as Kea 2.2's CommandCreator builds it."""

from __future__ import annotations

from edge.dhcp4.lease import Lease
from edge.ha.service import command, lease_delete, lease_update


def lease(**kw) -> Lease:
    base = dict(
        address=0xC0000264,
        hwaddr=bytes.fromhex("0a0b0c0d0e0f"),
        client_id=None,
        valid_lifetime=120,
        cltt=1_000_000,
        subnet_id=1,
        hostname="",
        state=0,
        fqdn_fwd=False,
        fqdn_rev=False,
        user_context=None,
    )
    base.update(kw)
    return Lease(**base)


def test_lease4_update_has_expire_for_cltt_and_force_create() -> None:
    cmd = lease_update(lease(client_id=b"\x01\x0a\x0b\x0c\x0d\x0e\x0f"))
    assert cmd["command"] == "lease4-update" and cmd["service"] == ["dhcp4"]
    args = cmd["arguments"]
    assert "cltt" not in args and args["expire"] == 1_000_120 and args["force-create"] is True
    assert args["ip-address"] == "192.0.2.100" and args["hw-address"] == "0a:0b:0c:0d:0e:0f"
    assert args["client-id"] == "01:0a:0b:0c:0d:0e:0f" and args["hostname"] == ""


def test_lease4_del_has_no_force_create_and_no_client_id_when_none() -> None:
    args = lease_delete(lease())["arguments"]
    assert "force-create" not in args and "client-id" not in args and args["expire"] == 1_000_120


def test_plain_commands() -> None:
    assert command("ha-heartbeat") == {"command": "ha-heartbeat", "service": ["dhcp4"]}
    assert (
        command("dhcp-disable", {"origin": "ha-partner", "max-period": 60})["arguments"]["origin"]
        == "ha-partner"
    )
