"""`python -m board.image` (`make image`): the flashable Raspberry Pi image with edge-dhcp inside.

Rules this module keeps:
- From Debian's packages and this tree only: the cached root filesystem (board/rootfs.py), the edge-dhcp
  arm64 .deb built from this tree by the cross build (`python -m cross.build --arch arm64`, or `--deb`),
  and the board's own files (board/overlay/ mirrored into the root, board/bootfs/ onto the boot
  partition, board/bootconfig.py). Nothing else is downloaded or invented here.
- The image is made for whoever flashes it: no password (root locked until password.txt), no SSH host
  keys (each card makes its own at first boot), an empty machine-id, no apt timers, journald in RAM, the
  FAT boot partition carrying the files a person edits (edge-dhcp.json, network.txt, README.txt).
- No loop devices and no mounts in the machine's namespace: the root is a directory, commands in it run
  in a private mount namespace (cross.rootfs.RootFs), the image is assembled by board/assemble.py.
- Every step is timed (cross.steps.Steps); the summary and the figures (sizes, times) are printed and
  written to build/board/image.json, which the qemu test reads.

Theory of operation:
  deb        cross build of the arm64 .deb (cached sysroot/crossenv: seconds when warm)
  rootfs     cached tarball, or mmdebstrap under qemu-user (minutes, once per machine)
  extract    fresh copy of the tarball in build/board/root
  install    dpkg -i edge-dhcp (its postinst builds /opt/edge-dhcp under emulation), board files
  assemble   boot files split off, FAT + ext4 + partition table (board/assemble.py)
  compress   xz, sha256 -> dist/edge-dhcp-pi-arm64.img.xz(.sha256); the raw image stays in build/board
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from board import assemble as asm
from board.rootfs import board_rootfs
from cross.rootfs import RootFs
from cross.steps import StepError, Steps, run

REPO = Path(__file__).resolve().parents[1]
BOARD = REPO / "board"
IMAGE_NAME = "edge-dhcp-pi-arm64.img"
HOSTNAME = "edge-dhcp"
# Units switched off in the image: apt's daily download and upgrade (network use nobody asked for, SD
# writes), and waiting for "network online" (eth0 may have no DHCP server to get an address from).
MASKED = ("apt-daily.timer", "apt-daily-upgrade.timer", "systemd-networkd-wait-online.service")
ENABLED = ("systemd-networkd.service", "edge-dhcp-boot-config.service", "edge-dhcp.service")


def build_deb(work: Path, log: Path) -> Path:
    out = work / "deb"
    run(
        [sys.executable, "-m", "cross.build", "--arch", "arm64", "--no-lintian", "--dist", out],
        log=log,
        cwd=REPO,
        timeout=3600,
    )
    debs = sorted(out.glob("edge-dhcp_*_arm64.deb"))
    if len(debs) != 1:
        raise StepError(f"expected one edge-dhcp arm64 .deb in {out}, found {debs}")
    return debs[0]


def copy_overlay(root: Path) -> list[str]:
    """board/overlay/ into the root (owner root, modes as in the tree); bootconfig.py to its place."""
    placed = []
    overlay = BOARD / "overlay"
    for src in sorted(overlay.rglob("*")):
        rel = src.relative_to(overlay)
        dest = root / rel
        if src.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.is_symlink() or dest.exists():
            dest.unlink()
        shutil.copyfile(src, dest)
        os.chmod(dest, 0o644)
        os.chown(dest, 0, 0)
        placed.append("/" + rel.as_posix())
    tool = root / "usr/lib/edge-dhcp-board/bootconfig.py"
    tool.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BOARD / "bootconfig.py", tool)
    os.chmod(tool, 0o755)
    placed.append("/usr/lib/edge-dhcp-board/bootconfig.py")
    return placed


def customize(rootfs: RootFs) -> None:
    """What makes the root filesystem an image to hand out (see the module's rules)."""
    root = rootfs.path
    (root / "etc/hostname").write_text(HOSTNAME + "\n")
    (root / "etc/hosts").write_text(
        f"127.0.0.1\tlocalhost\n127.0.1.1\t{HOSTNAME}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"
    )
    resolv = root / "etc/resolv.conf"
    if resolv.is_symlink() or resolv.exists():
        resolv.unlink()
    resolv.write_text("# Written from network.txt (dns=) at boot.\n")
    rootfs.run(["usermod", "-p", "*", "root"])  # locked: no password works until password.txt sets one
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/machine-id").write_text("")  # empty: systemd makes one at first boot
    dbus_id = root / "var/lib/dbus/machine-id"
    if dbus_id.is_file() and not dbus_id.is_symlink():
        dbus_id.unlink()
    rootfs.run(["systemctl", "enable", *ENABLED])
    rootfs.run(["systemctl", "mask", *MASKED])
    rootfs.run(["systemctl", "enable", "/usr/share/systemd/tmp.mount"])  # /tmp in RAM
    for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for path in (root / leftover).glob("*"):
            if path.is_file():
                path.unlink()
    for tmp in root.glob("tmp/*"):
        if tmp.is_file():
            tmp.unlink()


def split_boot(rootfs: RootFs, boot: Path) -> list[str]:
    """Move /boot/firmware's files out of the root into `boot` (the FAT partition), add the board's files."""
    firmware = rootfs.file("/boot/firmware")
    boot.mkdir(parents=True)
    for entry in sorted(firmware.iterdir()):
        shutil.move(str(entry), boot / entry.name)
    for src in sorted((BOARD / "bootfs").iterdir()):
        shutil.copyfile(src, boot / src.name)
    shipped = rootfs.file("/etc/edge-dhcp/edge-dhcp.json")
    shutil.copyfile(shipped, boot / "edge-dhcp.json")  # the packaged default, to edit from a laptop
    return sorted(p.name for p in boot.iterdir())


def boot_files(boot: Path) -> dict[str, str]:
    """Kernel and initrd names as config.txt gives them to the Pi's firmware (the qemu test boots those)."""
    found = {}
    for line in (boot / "config.txt").read_text().splitlines():
        line = line.strip()
        if line.startswith("kernel="):
            found["kernel"] = line.split("=", 1)[1]
        elif line.startswith("initramfs "):
            found["initrd"] = line.split()[1]
    if set(found) != {"kernel", "initrd"} or not all((boot / name).is_file() for name in found.values()):
        raise StepError(
            f"config.txt does not name a kernel and initrd present on the boot partition: {found}"
        )
    found["cmdline"] = (boot / "cmdline.txt").read_text().strip()
    return found


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m board.image", description=__doc__.split("\n")[0])
    parser.add_argument("--deb", type=Path, help="use this edge-dhcp arm64 .deb instead of building one")
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="output directory (default: dist/)")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "board", help="work directory")
    parser.add_argument("--xz-level", type=int, default=6, help="xz preset (default 6)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print(
            "make image needs root (mmdebstrap --mode=root, chroot, file owners in the image)",
            file=sys.stderr,
        )
        return 1
    steps = Steps(prefix="image")
    work, dist = args.work.resolve(), args.dist.resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "build.log"
    log.write_text("")
    raw = work / IMAGE_NAME
    root_dir, boot_dir = work / "root", work / "bootfs"
    figures: dict[str, object] = {}
    rootfs = None
    started = time.monotonic()
    try:
        for leftover in (root_dir, boot_dir):
            if leftover.exists():
                RootFs(leftover).remove()  # refuses if anything is still mounted inside
        with steps.step("edge-dhcp arm64 .deb") as note:
            deb = args.deb.resolve() if args.deb else build_deb(work, log)
            note.text = f"{deb.name}, {deb.stat().st_size // 1024} KiB"
        with steps.step("root filesystem (cached per machine)") as note:
            tarball, cached = board_rootfs(log)
            note.text = ("cached " if cached else "built ") + tarball.name
            figures["rootfs_cached"] = cached
        with steps.step("extract") as note:
            root_dir.mkdir(parents=True)
            run(
                ["tar", "--numeric-owner", "-I", "zstd", "-xf", tarball, "-C", root_dir], log=log, timeout=900
            )
            rootfs = RootFs(root_dir)
            note.text = f"{asm.tree_size(root_dir) / 2**20:.0f} MiB"
        with steps.step("install edge-dhcp + board files") as note:
            shutil.copyfile(deb, rootfs.file(f"/tmp/{deb.name}"))
            rootfs.run(["dpkg", "-i", f"/tmp/{deb.name}"], timeout=1800)
            placed = copy_overlay(root_dir)
            customize(rootfs)
            enabled = rootfs.run(["systemctl", "is-enabled", "edge-dhcp.service"], check=False).stdout.strip()
            if enabled != "enabled":
                raise StepError(f"edge-dhcp.service is {enabled!r} in the image, expected enabled")
            note.text = f"{deb.name}; {len(placed)} board files; edge-dhcp.service enabled"
        with steps.step("assemble (FAT + ext4, no loop devices)") as note:
            files = split_boot(rootfs, boot_dir)
            boot = boot_files(boot_dir)
            layout = asm.assemble(root_dir, boot_dir, raw, log)
            note.text = f"{raw.stat().st_size / 2**20:.0f} MiB raw; boot {layout.boot_size // 2**20} MiB, root {layout.root_size // 2**20} MiB"
            figures.update(boot=boot, boot_partition_files=files, layout=layout.__dict__)
        rootfs.remove()
        shutil.rmtree(boot_dir)
        rootfs = None
        with steps.step("compress (xz) + sha256") as note:
            dist.mkdir(parents=True, exist_ok=True)
            xz = dist / (IMAGE_NAME + ".xz")
            partial = xz.with_name(xz.name + ".partial")
            with open(partial, "wb") as out:
                subprocess.run(
                    ["xz", "-T0", f"-{args.xz_level}", "-c", str(raw)], stdout=out, check=True, timeout=3600
                )
            partial.rename(xz)
            digest = sha256_file(xz)
            (dist / (xz.name + ".sha256")).write_text(f"{digest}  {xz.name}\n")
            note.text = f"{xz.stat().st_size / 2**20:.0f} MiB, sha256 {digest[:16]}..."
    except (StepError, subprocess.SubprocessError, OSError) as exc:
        print(steps.summary())
        print(f"image build FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if rootfs is not None and not rootfs.mounts_inside():
            rootfs.remove()
    figures.update(
        image=str(raw),
        xz=str(xz),
        sha256=digest,
        raw_bytes=raw.stat().st_size,
        xz_bytes=xz.stat().st_size,
        deb=deb.name,
        total_seconds=round(time.monotonic() - started, 1),
        steps=[{"step": name, "seconds": round(t, 1), "note": text} for name, t, text in steps.done],
    )
    (work / "image.json").write_text(json.dumps(figures, indent=1))
    print(steps.summary())
    print(f"  {xz}  {xz.stat().st_size / 2**20:.0f} MiB compressed, {raw.stat().st_size / 2**20:.0f} MiB raw")
    print(f"  {xz}.sha256")
    print(f"  raw image for tests: {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
