"""Disk image assembly without loop devices: FAT boot + ext4 root partitions in one image file.

Rules this module keeps:
- No loop device, no mount, no real disk: the FAT file system is made in a file (`mkfs.vfat -C`) and
  filled with mtools (`mcopy`), the ext4 one is made from a directory (`mkfs.ext4 -d`), the partition
  table is written into the image file by `sfdisk`, and each file system lands at its partition's offset
  with `dd conv=notrunc,sparse`. Any user who can run these tools can build an image.
- The layout is what the Pi's boot ROM expects: an MS-DOS partition table, partition 1 FAT32 (type 0x0c,
  bootable) holding firmware, kernel, initrd, device trees, config.txt and cmdline.txt; partition 2 ext4
  (type 0x83) holding the root. Both are labelled (RASPIFIRM, RASPIROOT) and mounted by label.
  Partition 1 starts at 4 MiB; every boundary is MiB-aligned (SD cards erase in large blocks).
- The root file system is made just big enough (contents plus headroom); the first boot grows it to the
  card (board/bootconfig.py), so the image stays small to download and quick to write.
- `inspect_image()` reads a finished image back (partition table, FAT listing, ext4 superblock) with the
  same tools, for the tests and the build summary.

Theory of operation: `assemble(root_dir, boot_dir, out)` — boot.vfat from boot_dir, root.ext4 from root_dir
(made beside `out`, removed after), the partition table, then both copied in at their offsets.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cross.steps import StepError, run

MiB = 1024 * 1024
SECTOR = 512
BOOT_START = 4 * MiB
BOOT_SIZE = 256 * MiB
ROOT_HEADROOM = 320 * MiB  # free space in the image's root, before the first boot grows it
BOOT_LABEL = "RASPIFIRM"
ROOT_LABEL = "RASPIROOT"


@dataclass(frozen=True)
class Layout:
    boot_start: int
    boot_size: int
    root_start: int
    root_size: int

    @property
    def total(self) -> int:
        return self.root_start + self.root_size

    def sfdisk_script(self) -> str:
        s = SECTOR
        return (
            "label: dos\nunit: sectors\n\n"
            f"start={self.boot_start // s}, size={self.boot_size // s}, type=c, bootable\n"
            f"start={self.root_start // s}, size={self.root_size // s}, type=83\n"
        )


def tree_size(path: Path) -> int:
    """Bytes the tree needs on ext4, roughly: files rounded up to 4 KiB blocks, plus an inode each."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        for name in filenames + dirnames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            total += (st.st_size + 4095) // 4096 * 4096 + 256
    return total


def plan(root_dir: Path, boot_size: int = BOOT_SIZE, headroom: int = ROOT_HEADROOM) -> Layout:
    need = tree_size(root_dir)
    root_size = (int(need * 1.10) + headroom + MiB - 1) // MiB * MiB
    return Layout(BOOT_START, boot_size, BOOT_START + boot_size, root_size)


def make_vfat(boot_dir: Path, out: Path, size: int, log: Path | None = None) -> None:
    out.unlink(missing_ok=True)
    run(["mkfs.vfat", "-C", "-F", "32", "-n", BOOT_LABEL, out, str(size // 1024)], log=log)
    entries = sorted(p for p in boot_dir.iterdir())
    if entries:
        env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
        run(["mcopy", "-s", "-m", "-i", out, *entries, "::/"], log=log, env=env)


def make_ext4(root_dir: Path, out: Path, size: int, log: Path | None = None) -> None:
    out.unlink(missing_ok=True)
    with open(out, "wb") as handle:
        handle.truncate(size)
    # -m 2: reserve 2 % for root (not 5 %); -E root_owner: the tree's own owners are kept by -d.
    run(["mkfs.ext4", "-q", "-F", "-L", ROOT_LABEL, "-m", "2", "-d", root_dir, out], log=log, timeout=1200)


def place(src: Path, image: Path, offset: int, log: Path | None = None) -> None:
    run(
        [
            "dd",
            f"if={src}",
            f"of={image}",
            "bs=1M",
            f"seek={offset // MiB}",
            "conv=notrunc,sparse",
            "status=none",
        ],
        log=log,
        timeout=1200,
    )


def assemble(
    root_dir: Path, boot_dir: Path, out: Path, log: Path | None = None, layout: Layout | None = None
) -> Layout:
    """Write the image `out` from `root_dir` (without the boot files) and `boot_dir`; returns the layout."""
    layout = layout or plan(root_dir)
    boot_img = out.with_name(out.name + ".boot.vfat")
    root_img = out.with_name(out.name + ".root.ext4")
    try:
        make_vfat(boot_dir, boot_img, layout.boot_size, log)
        make_ext4(root_dir, root_img, layout.root_size, log)
        out.unlink(missing_ok=True)
        with open(out, "wb") as handle:
            handle.truncate(layout.total)
        run(
            ["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", out],
            input=layout.sfdisk_script(),
            log=log,
        )
        place(boot_img, out, layout.boot_start, log)
        place(root_img, out, layout.root_start, log)
    finally:
        boot_img.unlink(missing_ok=True)
        root_img.unlink(missing_ok=True)
    return layout


# -- reading an image back -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    start: int  # bytes
    size: int
    type: str
    bootable: bool


def partitions(image: Path) -> list[Partition]:
    out = run(["sfdisk", "--json", image])
    table = json.loads(out)["partitiontable"]
    if table.get("unit", "sectors") != "sectors" or table.get("label") != "dos":
        raise StepError(f"{image}: expected an MS-DOS partition table in sectors, got {table.get('label')}")
    return [
        Partition(p["start"] * SECTOR, p["size"] * SECTOR, p["type"], bool(p.get("bootable")))
        for p in table["partitions"]
    ]


def fat_files(image: Path, offset: int) -> list[str]:
    """Paths of the files on the FAT file system at `offset` (mtools, no mount)."""
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    out = run(["mdir", "-/", "-b", "-i", f"{image}@@{offset}", "::/"], env=env)
    return sorted(
        line.strip().removeprefix("::/")
        for line in out.splitlines()
        if line.strip() and not line.endswith("/")
    )


def fat_read(image: Path, offset: int, name: str) -> bytes:
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    result = subprocess.run(
        ["mtype", "-i", f"{image}@@{offset}", f"::/{name}"], capture_output=True, env=env, timeout=120
    )
    if result.returncode != 0:
        raise StepError(f"mtype ::/{name} in {image}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def fat_extract(image: Path, offset: int, name: str, dest: Path) -> None:
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    run(["mcopy", "-n", "-i", f"{image}@@{offset}", f"::/{name}", dest], env=env, timeout=300)


def fat_write(image: Path, offset: int, name: str, data: bytes, scratch: Path) -> None:
    """Put a file on the FAT partition of an image (what a person does with a laptop's file manager)."""
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    src = scratch / name
    src.write_bytes(data)
    try:
        run(["mcopy", "-o", "-i", f"{image}@@{offset}", src, f"::/{name}"], env=env)
    finally:
        src.unlink(missing_ok=True)


def ext4_extract(image: Path, offset: int, size: int, path: str, scratch: Path) -> bytes | None:
    """Contents of `path` in the ext4 file system of a partition (debugfs on a copy of the partition)."""
    part = scratch / "root.ext4.tmp"
    try:
        run(
            [
                "dd",
                f"if={image}",
                f"of={part}",
                "bs=1M",
                f"skip={offset // MiB}",
                f"count={size // MiB}",
                "conv=sparse",
                "status=none",
            ],
            timeout=600,
        )
        result = subprocess.run(["debugfs", "-R", f"cat {path}", str(part)], capture_output=True, timeout=120)
        if result.returncode != 0 or b"File not found" in result.stderr:
            return None
        return result.stdout
    finally:
        part.unlink(missing_ok=True)
