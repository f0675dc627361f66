"""The Raspberry Pi image on qemu's Raspberry Pi 3 model (`-M raspi3b`): the slower, closer-to-the-Pi check.

`make test-image` boots the image on qemu's `virt` machine (fast, virtio disk and NIC). This module boots
the same image the way a Pi 3 would (`make test-image-raspi3b`; manual or nightly, NOT part of `make test`,
whose pytest runs deselect the marker `raspi3b`):
1. the image flashed with `edge-dhcp board flash` onto a 2 GiB card file (a power of two, as qemu's SD
   card model wants) and its FAT partition edited with mtools, as test_image.py does (its `flash_card`),
   but with edge-dhcp.json and network.txt naming usb0: the NIC is qemu's `usb-net` (CDC Ethernet) on the
   SoC's dwc2 USB controller, which the kernel names usb0 (usbnet's name for a point-to-point link with a
   locally administered MAC; net.ifnames=0 keeps kernel names);
2. booted on `-M raspi3b` with the kernel, initrd and cmdline.txt AND the Pi 3 device tree
   (bcm2837-rpi-3-b.dtb) from the card's FAT partition, the card on the emulated SD controller, the serial
   socket on the mini UART (ttyS1, the GPIO header console of a real Pi 3), the usb-net on a tap in a lab
   network namespace bridged to a client namespace (board/qemu.py, QemuBoard(machine="raspi3b"));
3. checked: a real ISC dhclient DISCOVERing from power-on gets a lease with the options from that
   edge-dhcp.json, served over usb0; the login prompt appears on the mini UART; `edge-dhcp board console`
   logs in there and reads the device tree's model, usb0, edge-dhcp.service and `status-get`.

The helpers (image, card, lab site, dhclient, console) are test_image.py's; only the machine differs.
Figures (power-on to login prompt and to first lease) go to the "Raspberry Pi image figures" summary;
nothing asserts on speed. Everything runs in lab namespaces torn down on every path; qemu runs in the lab's
"lan" namespace and is stopped with it.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator

import pytest

from board.qemu import PI3_DTB, raspi3b_dtb
from tests.board import test_image as virt

pytestmark = [pytest.mark.lab, pytest.mark.raspi3b, pytest.mark.slow]

image = virt.image  # the fixture: the image `make image` just built (EDGE_TEST_IMAGE=1), or skipped
BOOT_TIMEOUT = 900.0  # qemu's 4-core Pi 3 on 2 shared cores; generous, never asserted as a speed
INTERFACE = "usb0"


@pytest.fixture(scope="module")
def pi3(image: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> Iterator[virt.Site]:
    card = virt.flash_card(image, tmp_path_factory.mktemp("raspi3b-card"), interface=INTERFACE)
    dtb = raspi3b_dtb(card.path, card.workdir / "boot", PI3_DTB)
    with virt.lab_site(card, machine="raspi3b", dtb=dtb, timeout=BOOT_TIMEOUT) as site:
        yield site


def test_raspi3b_boots_the_card_and_serves_a_real_client_over_usb0(pi3: virt.Site) -> None:
    ((ns, _mac),) = pi3.client_ns(1)
    client, lease, first_lease, login = pi3.boot_and_lease(ns)  # dhclient DISCOVERs from power-on
    virt.note(
        f"raspi3b (first boot): power-on to login prompt {login:.1f} s; to first lease over usb0 {first_lease:.1f} s"
    )
    assert pi3.board is not None
    console = pi3.board.console_text()  # the mini UART only: the PL011 goes to pl011.log
    assert re.search(r"Machine model: Raspberry Pi 3 Model B\r?\n", console), console[:3000]  # not B+
    assert "cdc_ether" in console and f"{INTERFACE}: register 'cdc_ether'" in console, console[-6000:]
    assert "login:" in console
    assert lease.address in virt.LAB_NET
    assert ipaddress.IPv4Address("192.0.2.100") <= lease.address <= ipaddress.IPv4Address("192.0.2.199")
    assert lease.routers == (ipaddress.IPv4Address("192.0.2.1"),)
    assert lease.dns_servers == (ipaddress.IPv4Address("192.0.2.53"), ipaddress.IPv4Address("192.0.2.54"))
    assert lease.domain_name == "pi.lab.example"
    assert lease.server_id == ipaddress.IPv4Address("192.0.2.1")
    assert lease.lease_time == 7200
    assert pi3.lab.ping(ns, "192.0.2.1"), "the board's own address from network.txt answers on usb0"
    client.stop()


def test_raspi3b_console_on_the_mini_uart_reads_the_board(pi3: virt.Site) -> None:
    if pi3.board is None or "login:" not in pi3.board.console_text():
        pytest.skip("the board did not reach its login prompt (the test before failed)")
    status, out = pi3.console(
        "tr -d '\\0' </proc/device-tree/model; echo; readlink /sys/class/net/usb0/device/driver; "
        "ip -o -4 addr show dev usb0; systemctl is-active edge-dhcp; readlink /proc/self/fd/1; "
        f"echo @@status-get; {virt.CTL} status-get; echo @@lease4-get-all; {virt.CTL} lease4-get-all"
    )
    assert status == 0, out
    lines = out.splitlines()
    assert lines[0] == "Raspberry Pi 3 Model B", out
    assert lines[1].endswith("/cdc_ether"), out
    assert "inet 192.0.2.1/24" in lines[2] and "usb0" in lines[2], out
    assert lines[3] == "active", out
    assert lines[4] == "/dev/ttyS1", "the login is on the mini UART, the Pi 3's GPIO header console"
    _, status_text, leases_text = out.split("@@")  # after the marker lines the command prints
    status_get = json.loads(status_text.removeprefix("status-get\n"))
    assert status_get["result"] == 0 and status_get["arguments"]["pid"] > 1
    leases = json.loads(leases_text.removeprefix("lease4-get-all\n"))["arguments"]["leases"]
    ((_ns, mac),) = pi3.client_ns(1)
    assert [x["hw-address"] for x in leases] == [mac], leases
    virt.note(f"raspi3b: {lines[0]}, usb0 {lines[2].split()[3]}, edge-dhcp {lines[3]}, 1 lease in the store")
