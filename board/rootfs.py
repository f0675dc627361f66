"""The Raspberry Pi root filesystem: Debian bookworm arm64 with the kernel and firmware, cached per machine.

Rules this module keeps:
- Debian's packages only (main + non-free-firmware, the suite's updates and, when this machine's apt
  has it, security), from the mirror this machine's apt uses (cross.aptsources); Debian's own Raspberry Pi
  images are made from the same packages (linux-image-arm64, raspi-firmware).
- Built by mmdebstrap under qemu-user, with the binfmt_misc entry the cross build uses (cross.rootfs's
  `ensure_binfmt`, which only enables an entry, never unregisters one: binfmt_misc is shared).
- The result is a tarball in the cache (cross.rootfs `cache_dir()`/board), named by a hash of everything
  that makes it (`RECIPE`: packages, sources, the hooks' text, FORMAT): change any and a new one is made;
  the downloaded .debs are kept beside it (sync-in/sync-out), so a rebuild downloads only what changed.
  One build at a time per machine (a lock file); a partial tarball never takes the final name.
- What is slow under emulation is done once: `update-initramfs` is diverted to /bin/true while packages
  install (every kernel-related trigger would rebuild the initrd) and run once at the end, which also lets
  raspi-firmware's hook copy kernel, initrd and device trees to /boot/firmware and write config.txt and
  cmdline.txt from /etc/default/raspi-firmware (set before, in the same hook).
- Only Debian's packages and their configuration files go in here; edge-dhcp and everything of the
  board's own (units, first-boot settings) are added per image by board/image.py, so editing those
  never invalidates this cache.

Theory of operation: `board_rootfs(log)` returns (tarball, cached?) and builds it when missing.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path

from cross.aptsources import debian_sources, forwarded_apt_options
from cross.rootfs import _locked, cache_dir, ensure_binfmt
from cross.steps import StepError, run
from cross.targets import SUITE, target

FORMAT = 1  # bump when the recipe changes in a way the text below does not show
ARCH = "arm64"
VARIANT = "minbase"
ROOT_LABEL = "RASPIROOT"
BOOT_LABEL = "RASPIFIRM"
PACKAGES = (
    # boot: init, device manager, modules, initrd, kernel, the Pi's firmware and boot files
    "systemd-sysv",
    "udev",
    "kmod",
    "initramfs-tools",
    "zstd",
    "linux-image-arm64",
    "raspi-firmware",
    # network: iproute2; systemd-networkd (in systemd) configures eth0; timesyncd keeps the clock moving
    # forward across reboots on a board without a real-time clock
    "iproute2",
    "systemd-timesyncd",
    # what the edge-dhcp .deb depends on (installed per image)
    "python3.11",
    "python3-pip-whl",
    "adduser",
    # first-boot: grow the root partition and file system; SSH for who leaves a key on the boot partition
    "fdisk",
    "e2fsprogs",
    "openssh-server",
    # fsck for the FAT boot partition (fstab pass 2)
    "dosfstools",
    # an editor for who logs in on the console (the boot partition is the usual way to change settings)
    "nano",
)
# /etc/default/raspi-firmware, read by raspi-firmware's hook when it writes cmdline.txt (which already has
# net.ifnames=0, so the wired port is eth0 on every model). Root by label. Consoles: its "auto" probes /dev
# at build time, which in a chroot finds nothing, so they are named: ttyAMA0 (the PL011) and, last so it is
# /dev/console, ttyS1 (the mini UART on GPIO 14/15 of Pi 3/4/Zero 2 W under Debian's kernel).
RASPI_FIRMWARE_DEFAULTS = f"""\
ROOTPART=LABEL={ROOT_LABEL}
CONSOLES="tty0 ttyAMA0,115200 ttyS1,115200"
"""
# /etc/default/raspi-firmware-custom, appended to config.txt: the hook sets the Pi 4's GPU clock for a stable
# mini-UART baud rate (GPU_FREQ=360) only when it runs on a Pi 4, never at build time; a [pi4] section does
# the same on the board itself.
RASPI_FIRMWARE_CUSTOM = "[pi4]\ncore_freq=360\n[all]\n"
DIVERTED = "/usr/sbin/update-initramfs"


def _hooks() -> tuple[list[str], list[str]]:
    """(essential hooks, customize hooks) as mmdebstrap shell snippets; $1 is the root directory."""
    essential = [
        f'chroot "$1" dpkg-divert --quiet --local --rename --add {DIVERTED} && ln -sf /bin/true "$1"{DIVERTED}',
    ]
    defaults = shlex.quote(RASPI_FIRMWARE_DEFAULTS)
    custom = shlex.quote(RASPI_FIRMWARE_CUSTOM)
    customize = [
        f'rm -f "$1"{DIVERTED} && chroot "$1" dpkg-divert --quiet --local --rename --remove {DIVERTED}',
        f'printf %s {defaults} >> "$1"/etc/default/raspi-firmware',
        f'printf %s {custom} > "$1"/etc/default/raspi-firmware-custom',
        # The fsck hook cannot find the root file system's type in a chroot; say it.
        'sed -i "s/^FSTYPE=.*/FSTYPE=ext4/" "$1"/etc/initramfs-tools/initramfs.conf',
        'mkdir -p "$1"/boot/firmware',
        'chroot "$1" update-initramfs -c -k all',
        'test -s "$1"/boot/firmware/cmdline.txt && test -s "$1"/boot/firmware/config.txt',
    ]
    return essential, customize


def recipe(sources: list[str]) -> dict[str, object]:
    essential, customize = _hooks()
    return {
        "format": FORMAT,
        "suite": SUITE,
        "arch": ARCH,
        "variant": VARIANT,
        "packages": sorted(PACKAGES),
        "sources": sources,
        "essential": essential,
        "customize": customize,
    }


def sources_lines() -> list[str]:
    """The machine's Debian mirror for the suite, its updates and security, with non-free-firmware."""
    return [line + " non-free-firmware" for line in debian_sources(SUITE, security=True)]


def board_rootfs(log: Path) -> tuple[Path, bool]:
    """The cached root filesystem tarball and whether it was already there (built when it was not)."""
    sources = sources_lines()
    described = recipe(sources)
    key = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]
    store = cache_dir() / "board"
    tarball = store / f"pi-{SUITE}-{ARCH}-{key}.tar.zst"
    with _locked(store / ".rootfs.lock"):
        if tarball.exists():
            return tarball, True
        reason = ensure_binfmt(target(ARCH))
        if reason is not None:
            raise StepError(f"cannot build the {ARCH} root filesystem: {reason}")
        archives = store / f"apt-archives-{ARCH}"
        archives.mkdir(parents=True, exist_ok=True)
        partial = store / f".{tarball.name}.partial"
        plain = store / f".{tarball.stem}.partial"  # the .tar before compression
        partial.unlink(missing_ok=True)
        plain.unlink(missing_ok=True)
        essential, customize = _hooks()
        quoted = shlex.quote(str(archives))
        argv = [
            "mmdebstrap",
            "--mode=root",
            f"--variant={VARIANT}",
            f"--architectures={ARCH}",
            "--include=" + ",".join(PACKAGES),
            "--format=tar",
            '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
            f"--setup-hook=sync-in {quoted} /var/cache/apt/archives/",
            *[f"--essential-hook={hook}" for hook in essential],
            f"--customize-hook=sync-out /var/cache/apt/archives {quoted}",
            *[f"--customize-hook={hook}" for hook in customize],
        ]
        argv += [f"--aptopt={option}" for option in forwarded_apt_options()]
        try:
            run([*argv, SUITE, plain, *sources], log=log, timeout=3600)
            run(["zstd", "-q", "-T0", "-3", "--rm", plain, "-o", partial], log=log, timeout=1200)
        finally:
            plain.unlink(missing_ok=True)
        partial.rename(tarball)
        for old in store.glob(f"pi-{SUITE}-{ARCH}-*.tar.zst"):  # tarballs of earlier recipes
            if old != tarball:
                old.unlink(missing_ok=True)
        (store / f"pi-{SUITE}-{ARCH}-{key}.json").write_text(json.dumps(described, indent=1))
        return tarball, False
