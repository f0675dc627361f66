"""Option scopes and spaces through the whole engine: precedence, always-send, never-send, encapsulated
spaces (43, custom), vendor 125, fixed fields, required classes, lifetimes and T1/T2 as Kea computes them."""

from __future__ import annotations

import struct
from typing import Any

from edge.dhcp4.config import load_data
from edge.dhcp4.engine import Engine, Inbound
from edge.dhcp4.lease_store import MemoryLeaseStore4
from edge.wire import pkt4 as wire

NOW = 1_800_000_000.0
SERVER = 0xC0000201


def engine_for(dhcp4: dict[str, Any]) -> Engine:
    return Engine(
        load_data({"Dhcp4": {"interfaces-config": {"interfaces": ["eth0"]}, **dhcp4}}), MemoryLeaseStore4()
    )


def ask(
    engine: Engine, n: int = 1, prl: bytes = b"", msg: int = wire.DHCPDISCOVER, **options: bytes
) -> wire.Packet:
    pkt = wire.Packet()
    pkt.chaddr = bytes((2, 0, 0, 0, 0, n)) + bytes(10)
    pkt.xid = n
    pkt.set(53, bytes((msg,)))
    if msg == wire.DHCPINFORM:
        pkt.ciaddr = struct.pack("!I", 0xC0000232)
    if prl:
        pkt.set(55, prl)
    for name, value in options.items():
        pkt.set(int(name.removeprefix("o")), value)
    dst = SERVER if msg == wire.DHCPINFORM else 0xFFFFFFFF
    out = engine.handle(wire.encode(pkt), Inbound("eth0", 2, dst_ip=dst, local_addresses=(SERVER,)), NOW)
    assert out is not None
    return wire.decode(out.payload)


def ntp(address: str) -> list[dict[str, str]]:
    return [{"name": "ntp-servers", "data": address}]


def ip(text: str) -> bytes:
    return bytes(int(x) for x in text.split("."))


SUBNET = {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}


def test_scopes_reservation_pool_subnet_network_class_global() -> None:
    engine = engine_for(
        {
            "option-data": ntp("10.0.0.1") + [{"name": "time-offset", "data": "1"}],
            "client-classes": [
                {
                    "name": "first",
                    "test": "option[60].exists",
                    "option-data": ntp("10.0.0.2") + [{"name": "time-offset", "data": "2"}],
                },
                {
                    "name": "second",
                    "test": "option[60].exists",
                    "option-data": [{"name": "time-offset", "data": "3"}],
                },
            ],
            "shared-networks": [
                {
                    "name": "n",
                    "interface": "eth0",
                    "option-data": ntp("10.0.0.3"),
                    "subnet4": [
                        {
                            **SUBNET,
                            "option-data": ntp("10.0.0.4"),
                            "pools": [
                                {"pool": "192.0.2.100 - 192.0.2.100", "option-data": ntp("10.0.0.5")},
                                {"pool": "192.0.2.101 - 192.0.2.199"},
                            ],
                            "reservations": [
                                {"hw-address": "02:00:00:00:00:09", "option-data": ntp("10.0.0.6")}
                            ],
                        }
                    ],
                }
            ],
        }
    )
    prl = bytes((2, 42))
    assert ask(engine, 1, prl).get(42) == ip("10.0.0.5")  # pool (the first address is in the pool with it)
    assert ask(engine, 2, prl).get(42) == ip("10.0.0.4")  # subnet beats shared network and classes
    assert ask(engine, 9, prl).get(42) == ip("10.0.0.6")  # reservation beats everything
    # The first class that defines an option wins over later classes and over the global scope.
    assert ask(engine, 3, prl, o60=b"x").get(2) == struct.pack("!i", 2)
    assert ask(engine, 4, prl).get(2) == struct.pack("!i", 1)


def test_always_send_at_any_scope_and_the_value_of_the_highest_scope() -> None:
    engine = engine_for(
        {
            "option-data": [
                {"name": "ntp-servers", "data": "10.0.0.1", "always-send": True},
                {"name": "log-servers", "data": "10.0.0.9"},
                {"name": "domain-name", "data": "example.org"},
            ],
            "subnet4": [{**SUBNET, "interface": "eth0", "option-data": ntp("10.0.0.4")}],
        }
    )
    reply = ask(engine, 1, bytes((1, 3)))
    assert reply.get(42) == ip("10.0.0.4")  # not requested, sent because the global one is always-send
    assert reply.get(7) is None  # neither requested nor always-send
    assert reply.get(15) == b"example.org"  # a basic option: always sent when configured


def test_encapsulated_spaces_option_43_and_a_custom_space() -> None:
    engine = engine_for(
        {
            "option-def": [
                {"name": "acme", "code": 226, "type": "empty", "encapsulate": "acme-space"},
                {"name": "level", "code": 1, "space": "acme-space", "type": "uint8"},
            ],
            "option-data": [
                {"name": "vendor-encapsulated-options"},
                {
                    "code": 2,
                    "space": "vendor-encapsulated-options-space",
                    "csv-format": False,
                    "data": "BEEF",
                },
                {"code": 1, "space": "vendor-encapsulated-options-space", "csv-format": False, "data": "01"},
                {"name": "acme"},
                {"name": "level", "space": "acme-space", "data": "7"},
            ],
            "subnet4": [{**SUBNET, "interface": "eth0"}],
        }
    )
    reply = ask(engine, 1, bytes((43, 226)))
    assert reply.get(43) == bytes((1, 1, 1, 2, 2, 0xBE, 0xEF))
    assert reply.get(226) == bytes((1, 1, 7))


def test_option_43_redefined_globally_as_binary_and_per_class_with_sub_options() -> None:
    # Kea's own examples (advanced.json, vendor-specific.json): option 43 is Kea 2.2's "last resort"
    # definition, not a standard one, so a configuration may redefine it globally (here as binary) and a
    # class may redefine it again as encapsulating its vendor's space; the class's option 43 then carries
    # the class's options of that space, and other clients get the global binary 43.
    engine = engine_for(
        {
            "option-def": [
                {"name": "vendor-encapsulated-options", "code": 43, "type": "binary"},
                {"name": "vlanid", "code": 2, "space": "339", "type": "uint32"},
                {"name": "dls", "code": 3, "space": "339", "type": "string"},
            ],
            "option-data": [{"name": "vendor-encapsulated-options", "data": "CAFE"}],
            "client-classes": [
                {
                    "name": "VENDOR_CLASS_339",
                    "option-def": [
                        {
                            "name": "vendor-encapsulated-options",
                            "code": 43,
                            "type": "empty",
                            "encapsulate": "339",
                        }
                    ],
                    "option-data": [
                        {"name": "vendor-encapsulated-options"},
                        {"name": "vlanid", "space": "339", "data": "123", "always-send": True},
                        {"name": "dls", "space": "339", "data": "sdlp://x", "always-send": True},
                    ],
                }
            ],
            "subnet4": [{**SUBNET, "interface": "eth0"}],
        }
    )
    phone = ask(engine, 1, bytes((43,)), o60=b"339")
    assert phone.get(43) == bytes((2, 4, 0, 0, 0, 123, 3, 8)) + b"sdlp://x"
    other = ask(engine, 2, bytes((43,)), o60=b"acme")
    assert other.get(43) == bytes((0xCA, 0xFE))


def test_a_class_may_not_redefine_a_standard_option() -> None:
    bad = {
        "client-classes": [{"name": "c", "option-def": [{"name": "routers", "code": 3, "type": "binary"}]}],
        "subnet4": [{**SUBNET, "interface": "eth0"}],
    }
    try:
        engine_for(bad)
    except Exception as err:  # the loader's error names the entry
        assert "already defined" in str(err) and "client-classes[0].option-def[0]" in str(err)
    else:
        raise AssertionError("a class redefining routers (3) was accepted")


def test_vendor_125_for_docsis_with_its_option_request_list() -> None:
    engine = engine_for(
        {
            "option-data": [
                {"name": "tftp-servers", "space": "vendor-4491", "data": "10.1.1.202, 10.1.1.203"},
                {"name": "oro", "space": "vendor-4491", "data": "1"},
            ],
            "subnet4": [{**SUBNET, "interface": "eth0"}],
        }
    )
    asked = struct.pack("!IB", 4491, 3) + bytes((1, 1, 2))  # sub-option 1 (ORO) asks for 2
    reply = ask(engine, 1, bytes((1, 3)), o125=asked)
    assert reply.get(125) == struct.pack("!IB", 4491, 10) + bytes((2, 8, 10, 1, 1, 202, 10, 1, 1, 203))
    assert ask(engine, 2, bytes((1, 3))).get(125) is None  # a client that sent no 125 gets none


def test_fixed_fields_first_class_then_reservation() -> None:
    engine = engine_for(
        {
            "client-classes": [
                {"name": "a", "test": "option[60].exists", "boot-file-name": "a.efi"},
                {
                    "name": "b",
                    "test": "option[60].exists",
                    "boot-file-name": "b.efi",
                    "next-server": "10.0.0.2",
                    "server-hostname": "srv-b",
                },
            ],
            "subnet4": [
                {
                    **SUBNET,
                    "interface": "eth0",
                    "next-server": "10.0.0.1",
                    "boot-file-name": "subnet.0",
                    "reservations": [{"hw-address": "02:00:00:00:00:09", "boot-file-name": "mine.efi"}],
                }
            ],
        }
    )
    reply = ask(engine, 1, o60=b"pxe")
    assert (reply.file.rstrip(b"\0"), reply.siaddr, reply.sname.rstrip(b"\0")) == (
        b"a.efi",
        ip("10.0.0.2"),
        b"srv-b",
    )
    plain = ask(engine, 2)
    assert (plain.file.rstrip(b"\0"), plain.siaddr) == (b"subnet.0", ip("10.0.0.1"))
    assert ask(engine, 9, o60=b"pxe").file.rstrip(b"\0") == b"mine.efi"


def test_required_classes_network_then_subnet_then_pool() -> None:
    engine = engine_for(
        {
            "client-classes": [
                {
                    "name": "late-net",
                    "only-if-required": True,
                    "test": "'a' == 'a'",
                    "option-data": ntp("10.0.0.1"),
                },
                {
                    "name": "late-subnet",
                    "only-if-required": True,
                    "test": "'a' == 'a'",
                    "option-data": ntp("10.0.0.2"),
                },
                {
                    "name": "late-pool",
                    "only-if-required": True,
                    "test": "'a' == 'a'",
                    "option-data": ntp("10.0.0.3") + [{"name": "log-servers", "data": "10.0.0.3"}],
                },
            ],
            "shared-networks": [
                {
                    "name": "n",
                    "interface": "eth0",
                    "require-client-classes": ["late-net"],
                    "subnet4": [
                        {
                            **SUBNET,
                            "require-client-classes": ["late-subnet"],
                            "pools": [
                                {"pool": "192.0.2.100 - 192.0.2.199", "require-client-classes": ["late-pool"]}
                            ],
                        }
                    ],
                }
            ],
        }
    )
    reply = ask(engine, 1, bytes((7, 42)))
    assert reply.get(42) == ip("10.0.0.1") and reply.get(7) == ip("10.0.0.3")


def test_lifetimes_from_the_first_class_and_tee_times_rounded() -> None:
    engine = engine_for(
        {
            "client-classes": [{"name": "short", "test": "option[60].exists", "valid-lifetime": 1001}],
            "subnet4": [{**SUBNET, "interface": "eth0", "valid-lifetime": 3001, "calculate-tee-times": True}],
        }
    )
    reply = ask(engine, 1)
    # Kea rounds with C's round(): 0.5 * 3001 = 1500.5 -> 1501 (Python's round() would say 1500)
    assert struct.unpack("!III", reply.get(51) + reply.get(58) + reply.get(59)) == (3001, 1501, 2626)
    short = ask(engine, 2, o60=b"x")
    assert struct.unpack("!I", short.get(51))[0] == 1001 and struct.unpack("!I", short.get(58))[0] == 501


def test_inform_gets_options_but_no_lease_fields() -> None:
    engine = engine_for({"subnet4": [{**SUBNET, "option-data": [{"name": "routers", "data": "192.0.2.1"}]}]})
    reply = ask(engine, 1, bytes((1, 3)), msg=wire.DHCPINFORM)
    assert reply.get(3) == ip("192.0.2.1") and reply.get(51) is None and reply.get(1) is None
    assert reply.ciaddr == ip("192.0.2.50") and reply.yiaddr == bytes(4)
