"""Boot the Raspberry Pi image under qemu-system-aarch64 (`-M virt`): the board of the image tests.

Rules this module keeps:
- The image boots with ITS OWN kernel, initrd and kernel command line, read from its FAT partition the way
  the Pi's firmware reads them (config.txt's `kernel=` and `initramfs`, cmdline.txt), so what is tested is
  what a Pi would run. The command line is used as it is: its `console=ttyAMA0,115200` is the `virt`
  machine's PL011 UART, as it is the Pi's (and `console=ttyS1`, the Pi 3/4 mini UART, does not exist there).
- qemu's `virt` machine stands in for the board (`raspi3b` is not needed for a userspace test): the card is
  a virtio disk (`snapshot=on` for throw-away runs; the tests use a card file of their own instead, so a
  second boot sees what the first one wrote), the NIC is virtio-net on a tap device, the serial line is a
  Unix socket (pyserial `unix://`, edge/board/protocol_unix.py) with everything the board prints also
  logged to a file, and the qemu monitor is a second Unix socket (system_reset, quit).
- `romfile=` is empty: the NIC's iPXE option ROM (package ipxe-qemu) is not needed to boot a kernel.
- This module only builds the command and talks to the sockets; starting qemu where the tap lives (a lab
  network namespace) and killing it is the caller's job (tests/board/test_image.py uses tests.lab.netns).

Theory of operation: `boot_files(card, dest)` copies kernel and initrd out of the card's FAT partition
(mtools, no mount) and returns them with the command line; `QemuBoard(...).argv()` is the qemu command;
`QemuBoard.monitor("system_reset")` sends a monitor command; `QemuBoard.console_text()` is what the board
printed so far.

`QemuBoard(..., machine="raspi3b", dtb=...)` is qemu's Raspberry Pi 3 model instead (the slower, closer-to-
the-Pi check, tests/board/test_raspi3b.py): the card is an SD card (its size must be a power of two: the
tests' 2 GiB card file is; an image file gets a 2G qcow2 overlay, `sd_overlay`), the Pi 3 device tree from
the card (`raspi3b_dtb`), the NIC a `usb-net` on the SoC's USB controller (dwc2), the serial socket on the
second serial port, the mini UART (ttyS1, where a real Pi 3's GPIO header console is); the first port (the
PL011, which a Pi 3 gives to Bluetooth) is logged to a file. Memory and CPUs are the model's (1 GiB, 4).

Manual use: `python -m board.qemu CARD` boots a card (copy-on-write, `snapshot=on`) with the serial console
on the terminal and no network; Ctrl-A X quits. `--machine raspi3b` boots it on qemu's Raspberry Pi 3 model
instead (SD card, Pi 3 device tree, console on the mini UART ttyS1): the slower, closer-to-the-Pi check.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from board.assemble import fat_extract, fat_read, partitions

QEMU = "qemu-system-aarch64"
PI3_DTB = "bcm2837-rpi-3-b.dtb"  # on the card's FAT partition (raspi-firmware copies the kernel's DTBs there)


@dataclass(frozen=True)
class BootFiles:
    kernel: Path
    initrd: Path
    cmdline: str


def boot_files(card: Path, dest: Path) -> BootFiles:
    """Kernel, initrd and command line as the Pi's firmware finds them on the card's first partition."""
    start = partitions(card)[0].start
    config = fat_read(card, start, "config.txt").decode(errors="replace")
    kernel = initrd = None
    for line in config.splitlines():
        line = line.strip()
        if line.startswith("kernel="):
            kernel = line.split("=", 1)[1].strip()
        elif line.startswith("initramfs "):
            initrd = line.split()[1]
    if kernel is None or initrd is None:
        raise RuntimeError(f"config.txt on {card} names no kernel= / initramfs:\n{config}")
    dest.mkdir(parents=True, exist_ok=True)
    fat_extract(card, start, kernel, dest / kernel)
    fat_extract(card, start, initrd, dest / initrd)
    cmdline = fat_read(card, start, "cmdline.txt").decode().strip()
    return BootFiles(dest / kernel, dest / initrd, cmdline)


@dataclass
class QemuBoard:
    card: Path
    boot: BootFiles
    workdir: Path
    tap: str | None = "tap0"
    mac: str = "52:54:00:ed:9e:01"
    memory_mib: int = 1024
    cpus: int = 2
    snapshot: bool = False
    serial_on_stdio: bool = False
    machine: str = "virt"  # or "raspi3b" (needs `dtb`)
    dtb: Path | None = None

    @property
    def serial_socket(self) -> Path:
        return self.workdir / "serial.sock"

    @property
    def monitor_socket(self) -> Path:
        return self.workdir / "monitor.sock"

    @property
    def console_log(self) -> Path:
        return self.workdir / "console.log"

    def argv(self) -> list[str]:
        if self.machine == "raspi3b":
            return self.raspi3b_argv()
        if self.machine != "virt":
            raise ValueError(f"unknown machine {self.machine!r} (virt or raspi3b)")
        drive = f"file={self.card},format=raw,if=none,id=card,cache=writeback"
        if self.snapshot:
            drive += ",snapshot=on"
        argv = [
            QEMU,
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
            "-m",
            str(self.memory_mib),
            "-smp",
            str(self.cpus),
            "-kernel",
            str(self.boot.kernel),
            "-initrd",
            str(self.boot.initrd),
            "-append",
            self.boot.cmdline,
            "-drive",
            drive,
            "-device",
            "virtio-blk-pci,drive=card",
            "-device",
            "virtio-rng-pci",
            "-display",
            "none",
            "-no-user-config",
            "-nodefaults",
        ]
        if self.tap is not None:
            argv += [
                "-netdev",
                f"tap,id=lan,ifname={self.tap},script=no,downscript=no",
                "-device",
                f"virtio-net-pci,netdev=lan,mac={self.mac},romfile=",
            ]
        else:
            argv += ["-nic", "none"]
        if self.serial_on_stdio:
            argv += ["-serial", "mon:stdio"]
        else:
            argv += [
                "-chardev",
                f"socket,id=serial0,path={self.serial_socket},server=on,wait=off,logfile={self.console_log},logappend=on",
                "-serial",
                "chardev:serial0",
                "-monitor",
                f"unix:{self.monitor_socket},server=on,wait=off",
            ]
        return argv

    def raspi3b_argv(self) -> list[str]:
        """qemu's Raspberry Pi 3 model booting the card: closer to a real Pi's boot path (SD controller, Pi 3
        device tree, USB NIC, the mini UART as ttyS1 on the second serial port), slower than `virt`."""
        if self.dtb is None:
            raise ValueError("the raspi3b machine needs the Pi 3 device tree (dtb=)")
        fmt = "qcow2" if self.card.suffix == ".qcow2" else "raw"
        drive = f"file={self.card},if=sd,format={fmt},cache=writeback"
        if self.snapshot:
            drive += ",snapshot=on"
        argv = [
            QEMU, "-M", "raspi3b", "-kernel", str(self.boot.kernel), "-initrd", str(self.boot.initrd),
            "-dtb", str(self.dtb), "-append", self.boot.cmdline, "-drive", drive,
            "-display", "none", "-no-user-config", "-nodefaults",
        ]  # fmt: skip
        if self.tap is not None:
            argv += ["-netdev", f"tap,id=lan,ifname={self.tap},script=no,downscript=no"]
        else:  # qemu's user-mode network with restrict=on: nothing leaves qemu
            argv += ["-netdev", "user,id=lan,restrict=on"]
        argv += ["-device", f"usb-net,netdev=lan,mac={self.mac}"]
        if self.serial_on_stdio:
            return argv + ["-serial", "null", "-serial", "mon:stdio"]
        return argv + [
            "-serial", f"file:{self.workdir / 'pl011.log'}",
            "-chardev",
            f"socket,id=serial1,path={self.serial_socket},server=on,wait=off,logfile={self.console_log},logappend=on",
            "-serial", "chardev:serial1",
            "-monitor", f"unix:{self.monitor_socket},server=on,wait=off",
        ]  # fmt: skip

    def console_text(self) -> str:
        try:
            return self.console_log.read_text(errors="replace")
        except OSError:
            return ""

    def wait_for_socket(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not (self.serial_socket.exists() and self.monitor_socket.exists()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"qemu made no sockets in {self.workdir} within {timeout:.0f} s")
            time.sleep(0.1)

    def monitor(self, command: str, timeout: float = 10.0) -> str:
        """Send one human-monitor command and return what the monitor printed."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.monitor_socket))
            seen = b""
            while b"(qemu) " not in seen:
                seen += sock.recv(4096)
            sock.sendall(command.encode() + b"\n")
            answer = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    chunk = sock.recv(4096)
                except TimeoutError:
                    break
                if not chunk:
                    break
                answer += chunk
                if answer.rstrip().endswith(b"(qemu)"):
                    break
            return answer.decode(errors="replace")


def raspi3b_dtb(card: Path, dest: Path, name: str = PI3_DTB) -> Path:
    """The Pi 3 device tree copied out of the card's FAT partition (what the Pi's firmware would load)."""
    dest.mkdir(parents=True, exist_ok=True)
    fat_extract(card, partitions(card)[0].start, name, dest / name)
    return dest / name


def sd_overlay(image: Path, overlay: Path, size: str = "2G") -> Path:
    """A qcow2 overlay of `size` (a power of two, as qemu's SD card model wants) in front of a raw image."""
    argv = ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(image.resolve()), "-F", "raw", str(overlay)]
    subprocess.run([*argv, size], check=True)
    return overlay


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m board.qemu", description="Boot a card image under qemu (serial on this terminal)."
    )
    parser.add_argument(
        "card",
        type=Path,
        help="the image or card file (raw); changes are thrown away (snapshot=on / an overlay)",
    )
    parser.add_argument(
        "--machine", choices=("virt", "raspi3b"), default="virt",
        help="virt (as the tests; fast) or raspi3b (qemu's Pi 3 with the Pi 3 device tree; slower)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if shutil.which(QEMU) is None:
        print(f"{QEMU} is not installed (Debian package qemu-system-arm)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="edge-board-") as tmp:
        files = boot_files(args.card, Path(tmp))
        print("booting; Ctrl-A X quits qemu", file=sys.stderr)
        if args.machine == "raspi3b":
            board = QemuBoard(
                sd_overlay(args.card, Path(tmp) / "card.qcow2"), files, Path(tmp), tap=None,
                serial_on_stdio=True, machine="raspi3b", dtb=raspi3b_dtb(args.card, Path(tmp)),
            )  # fmt: skip
            return os.spawnvp(os.P_WAIT, QEMU, board.argv())
        board = QemuBoard(args.card, files, Path(tmp), tap=None, snapshot=True, serial_on_stdio=True)
        return os.spawnvp(os.P_WAIT, QEMU, board.argv())


if __name__ == "__main__":
    sys.exit(main())
