"""The Raspberry Pi image of edge-dhcp: `make image` (`python -m board.image`) and its qemu boot test.

Rules this package keeps:
- It runs on the build machine (Debian 12, as root), like cross/; nothing in it is imported by `edge` and it
  is not part of the edge-dhcp wheel, except `bootconfig.py`, which is copied INTO the image and runs on the
  board (standard library only).
- It reuses the cross build's helpers (cross.steps for timed steps and commands, cross.aptsources for the
  machine's Debian mirror, cross.rootfs for binfmt_misc, the cache directory and chroot commands) instead of
  keeping copies of them.
- No loop devices, no mounts in the machine's namespace, no network traffic except the Debian mirror
  (mmdebstrap) and, in tests, inside lab network namespaces.

Modules: `rootfs` (the cached Debian arm64 root filesystem with kernel and firmware), `assemble` (FAT + ext4
+ partition table in one file), `image` (the whole build), `bootconfig` (first-boot settings from the boot
partition; runs on the Pi), `qemu` (boot a card under qemu-system-aarch64). Files: `overlay/` (copied into
the root), `bootfs/` (copied onto the boot partition).
"""
