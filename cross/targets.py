"""The one table of what differs between the ARM targets edge-dhcp is built for.

Rules this module keeps:
- A target is data: adding a board family is adding a row, not code.
- The target OS is Debian / Raspberry Pi OS bookworm with its Python 3.11; the build Python must have the
  same major.minor (crossenv builds extensions against the target's headers but runs the build Python).

Facts the rows encode (found building here):
- Debian's armhf python reports the machine `armv8l` when run on a 64-bit kernel or under qemu; wheels must
  be tagged `linux_armv7l` or the Pi's pip (32-bit OS) rejects them, hence `crossenv --machine armv7l`.
- `file` names the ELF flavour of a built extension: "ARM aarch64" for arm64, "ARM, EABI5" for armhf.
"""

from __future__ import annotations

from dataclasses import dataclass

SUITE = "bookworm"
PYTHON_VERSION = "3.11"
TARGET_PYTHON = f"/usr/bin/python{PYTHON_VERSION}"

# What a sysroot needs to build C extensions for the target Python (extracted, never configured).
SYSROOT_PACKAGES = (
    f"python{PYTHON_VERSION}",
    f"python{PYTHON_VERSION}-dev",
    f"python{PYTHON_VERSION}-venv",
    f"libpython{PYTHON_VERSION}-dev",
    "python3-venv",
)


@dataclass(frozen=True)
class Target:
    arch: str  # Debian architecture name, also the .deb's Architecture field
    triplet: str  # GNU triplet of the cross compiler (gcc-<triplet> package provides <triplet>-gcc)
    machine: str  # what crossenv reports as platform.machine(): the wheel tag's machine part
    elf: str  # a substring of `file`'s description of a correctly built extension module
    qemu: str  # binfmt_misc entry name of qemu-user for this architecture
    boards: str  # for humans: which boards run this

    @property
    def cc(self) -> str:
        return f"{self.triplet}-gcc"

    @property
    def wheel_platform(self) -> str:
        return f"linux_{self.machine}"


TARGETS: dict[str, Target] = {
    t.arch: t
    for t in (
        Target(
            arch="arm64",
            triplet="aarch64-linux-gnu",
            machine="aarch64",
            elf="ARM aarch64",
            qemu="qemu-aarch64",
            boards="Pi 3/4/5, Zero 2 W, CM4 on a 64-bit OS",
        ),
        Target(
            arch="armhf",
            triplet="arm-linux-gnueabihf",
            machine="armv7l",
            elf="ARM, EABI5",
            qemu="qemu-arm",
            boards="Pi 2/3/4, Zero 2 W on a 32-bit (ARMv7) OS",
        ),
    )
}


def target(arch: str) -> Target:
    try:
        return TARGETS[arch]
    except KeyError:
        raise SystemExit(f"unknown target architecture {arch!r}; known: {', '.join(TARGETS)}") from None
