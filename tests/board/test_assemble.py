"""Image assembly (board/assemble.py) on a small synthetic tree: partitions, labels, file systems, contents.

The same code assembles the real image in `make image`; here the trees are a few files, so the test takes
seconds. Everything is checked with independent tools: sfdisk reads the table, fsck.vfat and e2fsck check
each file system (on a copy cut out at the partition's offset), mtools and debugfs read files back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from board.assemble import (
    BOOT_LABEL,
    ROOT_LABEL,
    Layout,
    MiB,
    assemble,
    ext4_extract,
    fat_files,
    fat_read,
    fat_write,
    partitions,
)

TOOLS = ("mkfs.vfat", "mcopy", "mdir", "mkfs.ext4", "sfdisk", "debugfs", "e2fsck", "fsck.vfat", "blkid")


@pytest.fixture(autouse=True)
def tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (`make system-deps`)")


def synthetic(tmp_path: Path) -> tuple[Path, Path]:
    root, boot = tmp_path / "root", tmp_path / "boot"
    (root / "etc").mkdir(parents=True)
    (root / "boot" / "firmware").mkdir(parents=True)  # the mount point stays in the root
    (root / "etc" / "hostname").write_text("edge-dhcp\n")
    (root / "etc" / "fstab").write_text(f"LABEL={ROOT_LABEL} / ext4 defaults,noatime 0 1\n")
    (root / "usr" / "bin").mkdir(parents=True)
    tool = root / "usr" / "bin" / "tool"
    tool.write_bytes(os.urandom(3 * MiB))
    tool.chmod(0o755)
    (root / "usr" / "bin" / "link").symlink_to("tool")
    secret = root / "etc" / "shadow"
    secret.write_text("root:*:19000:0:99999:7:::\n")
    secret.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(secret, 0, 42)  # mkfs.ext4 -d keeps owners; only root can make this one
    (boot / "overlays").mkdir(parents=True)
    (boot / "config.txt").write_text("arm_64bit=1\nenable_uart=1\n")
    (boot / "cmdline.txt").write_text(f"console=ttyS1,115200 root=LABEL={ROOT_LABEL} rw\n")
    (boot / "overlays" / "disable-bt.dtbo").write_bytes(b"\xd0\x0d\xfe\xed" + bytes(100))
    (boot / "vmlinuz").write_bytes(os.urandom(MiB))
    return root, boot


def cut(image: Path, start: int, size: int, dest: Path) -> Path:
    subprocess.run(
        [
            "dd",
            f"if={image}",
            f"of={dest}",
            "bs=1M",
            f"skip={start // MiB}",
            f"count={size // MiB}",
            "status=none",
        ],
        check=True,
    )
    return dest


def test_two_partitions_where_the_pi_expects_them(tmp_path: Path) -> None:
    root, boot = synthetic(tmp_path)
    image = tmp_path / "pi.img"
    layout = assemble(root, boot, image, layout=Layout(4 * MiB, 64 * MiB, 68 * MiB, 40 * MiB))
    assert image.stat().st_size == layout.total == 108 * MiB
    table = partitions(image)
    assert [(p.start, p.size, p.type, p.bootable) for p in table] == [
        (4 * MiB, 64 * MiB, "c", True),
        (68 * MiB, 40 * MiB, "83", False),
    ]
    assert all(p.start % MiB == 0 and p.size % MiB == 0 for p in table)

    fat = cut(image, table[0].start, table[0].size, tmp_path / "p1")
    ext = cut(image, table[1].start, table[1].size, tmp_path / "p2")
    assert subprocess.run(["fsck.vfat", "-n", str(fat)], capture_output=True).returncode == 0
    checked = subprocess.run(["e2fsck", "-fn", str(ext)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    labels = [
        subprocess.run(
            ["blkid", "-o", "value", "-s", "LABEL", str(p)], capture_output=True, text=True
        ).stdout.strip()
        for p in (fat, ext)
    ]
    assert labels == [BOOT_LABEL, ROOT_LABEL]
    fstype = subprocess.run(
        ["blkid", "-o", "value", "-s", "TYPE", str(fat)], capture_output=True, text=True
    ).stdout
    assert fstype.strip() == "vfat"


def test_contents_owners_and_modes_survive(tmp_path: Path) -> None:
    root, boot = synthetic(tmp_path)
    image = tmp_path / "pi.img"
    assemble(root, boot, image, layout=Layout(4 * MiB, 64 * MiB, 68 * MiB, 40 * MiB))
    table = partitions(image)
    assert fat_files(image, table[0].start) == [
        "cmdline.txt",
        "config.txt",
        "overlays/disable-bt.dtbo",
        "vmlinuz",
    ]
    assert fat_read(image, table[0].start, "config.txt") == (boot / "config.txt").read_bytes()
    assert fat_read(image, table[0].start, "vmlinuz") == (boot / "vmlinuz").read_bytes()
    p2 = table[1]
    assert ext4_extract(image, p2.start, p2.size, "/etc/hostname", tmp_path) == b"edge-dhcp\n"
    assert (
        ext4_extract(image, p2.start, p2.size, "/usr/bin/tool", tmp_path)
        == (root / "usr/bin/tool").read_bytes()
    )
    assert ext4_extract(image, p2.start, p2.size, "/no/such/file", tmp_path) is None
    ext = cut(image, p2.start, p2.size, tmp_path / "p2")
    stat = subprocess.run(
        ["debugfs", "-R", "stat /etc/shadow", str(ext)], capture_output=True, text=True
    ).stdout
    assert "Mode:  0640" in stat
    if os.geteuid() == 0:
        assert "Group:    42" in stat
    link = subprocess.run(
        ["debugfs", "-R", "stat /usr/bin/link", str(ext)], capture_output=True, text=True
    ).stdout
    assert 'Fast link dest: "tool"' in link
    # The boot files are on the FAT partition only, the root keeps the (empty) mount point.
    listing = subprocess.run(
        ["debugfs", "-R", "ls -l /boot/firmware", str(ext)], capture_output=True, text=True
    ).stdout
    assert "config.txt" not in listing


def test_boot_partition_can_be_edited_like_from_a_laptop(tmp_path: Path) -> None:
    root, boot = synthetic(tmp_path)
    image = tmp_path / "pi.img"
    assemble(root, boot, image, layout=Layout(4 * MiB, 64 * MiB, 68 * MiB, 40 * MiB))
    start = partitions(image)[0].start
    fat_write(image, start, "network.txt", b"address=192.0.2.1/24\n", tmp_path)
    assert fat_read(image, start, "network.txt") == b"address=192.0.2.1/24\n"
    assert "network.txt" in fat_files(image, start)


def test_default_plan_fits_the_tree_with_headroom(tmp_path: Path) -> None:
    from board.assemble import BOOT_SIZE, ROOT_HEADROOM, plan, tree_size

    root, _ = synthetic(tmp_path)
    layout = plan(root)
    assert layout.boot_start == 4 * MiB and layout.boot_size == BOOT_SIZE
    assert layout.root_start == layout.boot_start + layout.boot_size
    assert layout.root_size >= tree_size(root) + ROOT_HEADROOM
    assert layout.root_size % MiB == 0
