"""Cross-building edge-dhcp for Raspberry Pi boards (arm64 and armhf) and the installable .deb packages.

Rules this package keeps:
- It runs on the build machine (Debian 12, x86-64) with the build tools `make cross` installs; nothing in it
  is imported by `edge` and it is not part of the edge-dhcp wheel.
- Everything Debian-specific about a target lives in one table, `cross.targets.TARGETS`.
- No host name of any package mirror is written here: the Debian mirror is read from this machine's apt
  sources at run time (`cross.aptsources`).

Modules: `targets` (the table), `aptsources` (mirror and apt options of this machine), `steps` (timed
steps), `build` (`python -m cross.build`: sysroot, crossenv, wheels, checks, .deb), `deb` (the package
layout), `rootfs` (cached ARM root filesystems the qemu tests install the .deb into).
"""
