"""`edge-dhcp board flash` against an image file standing in for the SD card, and its refusals.

The refusals are tested on real block-device nodes that lead nowhere: `mknod` with major 240 (reserved
for local/experimental use, no driver here, so opening one fails with ENXIO), described by a sysfs tree
and a mount table made in the test's temp directory. Even a bug in the checks could not write to a disk.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import lzma
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge.board.flash import (
    FlashError,
    flash,
    image_chunks,
    inspect_target,
    parse_size,
    refusals,
    verify_written,
    xz_uncompressed_size,
)

REPO = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


def make_image(tmp_path: Path, size: int = 9 * MiB + 512, name: str = "board.img") -> tuple[Path, bytes]:
    """A raw image with structure (zeros, text, random bytes) like a real disk image."""
    blocks = [bytes(MiB), b"edge-dhcp boot sector\n" * 1000, os.urandom(2 * MiB)]
    data = bytearray()
    while len(data) < size:
        data += blocks[len(data) // MiB % 3]
    raw = bytes(data[:size])
    path = tmp_path / name
    path.write_bytes(raw)
    return path, raw


def compress(path: Path) -> Path:
    xz = path.with_name(path.name + ".xz")
    xz.write_bytes(lzma.compress(path.read_bytes(), format=lzma.FORMAT_XZ, preset=1))
    return xz


def write_sha256(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge", "board", "flash", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def card(tmp_path: Path, size: int = 16 * MiB) -> Path:
    target = tmp_path / "card.bin"
    target.write_bytes(b"\xff" * size)  # what an erased card reads as
    return target


@pytest.mark.parametrize("compressed", [False, True], ids=["img", "img.xz"])
def test_flash_to_an_image_file_and_verify(tmp_path: Path, compressed: bool) -> None:
    image, raw = make_image(tmp_path)
    if compressed:
        image = compress(image)
    write_sha256(image)
    target = card(tmp_path)
    result = cli(str(image), "--device", str(target), "--yes")
    assert result.returncode == 0, result.stderr
    assert "sha256 matches" in result.stderr
    assert f"{len(raw)} bytes written and verified" in result.stderr
    assert "writing:" in result.stderr and "verifying:" in result.stderr  # progress lines (not a terminal)
    written = target.read_bytes()
    assert written[: len(raw)] == raw
    assert written[len(raw) :] == b"\xff" * (16 * MiB - len(raw)), "bytes past the image must be untouched"


def test_damaged_image_is_refused_before_writing(tmp_path: Path) -> None:
    image, _ = make_image(tmp_path)
    image = compress(image)
    write_sha256(image)
    with open(image, "r+b") as handle:  # one flipped byte in the middle of the download
        handle.seek(image.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0x40]))
    target = card(tmp_path)
    result = cli(str(image), "--device", str(target), "--yes")
    assert result.returncode == 1
    assert "does not match board.img.xz.sha256" in result.stderr
    assert target.read_bytes() == b"\xff" * 16 * MiB


def test_truncated_xz_fails_clearly(tmp_path: Path) -> None:
    image, _ = make_image(tmp_path)
    xz = compress(image)
    xz.write_bytes(xz.read_bytes()[: xz.stat().st_size // 2])
    result = cli(str(xz), "--device", str(card(tmp_path)), "--yes")
    assert result.returncode == 1
    assert "edge-dhcp board flash:" in result.stderr and "Traceback" not in result.stderr


def test_xz_index_gives_the_raw_size_also_for_concatenated_streams(tmp_path: Path) -> None:
    one, two = os.urandom(300_000), b"x" * 5_000_000
    path = tmp_path / "two.img.xz"
    # Two streams with stream padding between them, as `cat a.xz b.xz` or pixz may produce.
    path.write_bytes(lzma.compress(one) + b"\0" * 8 + lzma.compress(two))
    assert xz_uncompressed_size(path) == len(one) + len(two)
    assert b"".join(image_chunks(path)) == one + two
    (tmp_path / "not.xz").write_bytes(b"not an xz file at all, no footer")
    assert xz_uncompressed_size(tmp_path / "not.xz") is None


def test_not_on_a_terminal_needs_yes(tmp_path: Path) -> None:
    image, _ = make_image(tmp_path)
    target = card(tmp_path)
    result = cli(str(image), "--device", str(target))
    assert result.returncode == 1
    assert "give --yes" in result.stderr
    assert target.read_bytes() == b"\xff" * 16 * MiB


def test_missing_targets_are_errors_and_nothing_is_created(tmp_path: Path) -> None:
    image, _ = make_image(tmp_path, size=MiB)
    missing = tmp_path / "nosuch"
    result = cli(str(image), "--device", str(missing), "--yes")
    assert result.returncode == 1 and "does not exist" in result.stderr
    assert not missing.exists()
    result = cli(str(tmp_path / "no-image.img"), "--device", str(card(tmp_path)), "--yes")
    assert result.returncode == 1 and "no such image file" in result.stderr


def test_regular_file_under_dev_is_refused() -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm here")
    stray = shm / f"edge-flash-test-{os.getpid()}"
    stray.write_bytes(b"\0" * 4096)
    try:
        with pytest.raises(FlashError, match="regular file under /dev"):
            inspect_target(stray)
    finally:
        stray.unlink()


def test_verification_notices_a_card_that_lies(tmp_path: Path) -> None:
    target = tmp_path / "card.bin"
    data = os.urandom(3 * MiB)
    target.write_bytes(data)
    verify_written(target, len(data), hashlib.sha256(data).hexdigest(), io.StringIO())
    with open(target, "r+b") as handle:  # a card that silently dropped one write
        handle.seek(2 * MiB)
        handle.write(b"\0" * 512)
    with pytest.raises(FlashError, match="verification FAILED"):
        verify_written(target, len(data), hashlib.sha256(data).hexdigest(), io.StringIO())


def test_sizes() -> None:
    assert parse_size("64G") == 64 * 1024**3
    assert parse_size("512MiB") == 512 * MiB
    assert parse_size("1000") == 1000
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size("big")


# -- block devices: a fake sysfs, real device nodes that lead nowhere -------------------------------------


class FakeSystem:
    """A sysfs tree, a mount table and a swap table for devices with major number 240."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sysfs = root / "sys"
        self.mounts = root / "mounts"
        self.swaps = root / "swaps"
        root.mkdir()
        self.mounts.write_text("proc /proc proc rw 0 0\n")
        self.swaps.write_text("Filename\tType\tSize\tUsed\tPriority\n")
        (self.sysfs / "dev" / "block").mkdir(parents=True)

    def disk(
        self,
        name: str,
        minor: int,
        size: int,
        removable: bool,
        via: str = "pci0000:00/0000:00:14.0",
        partitions: int = 2,
        model: str = "SD Card Reader",
    ) -> Path:
        device = self.sysfs / "devices" / via / "block" / name
        (device / "device").mkdir(parents=True)
        (device / "size").write_text(f"{size // 512}\n")
        (device / "removable").write_text("1\n" if removable else "0\n")
        (device / "device" / "model").write_text(model + "\n")
        (device / "holders").mkdir()
        (self.sysfs / "dev" / "block" / f"240:{minor}").symlink_to(device)
        node = self.root / name
        os.mknod(node, 0o600 | 0o060000, os.makedev(240, minor))
        for number in range(1, partitions + 1):
            part = device / f"{name}{number}"
            part.mkdir()
            (part / "partition").write_text(f"{number}\n")
            (part / "size").write_text("2048\n")
            (part / "holders").mkdir()
            (self.sysfs / "dev" / "block" / f"240:{minor + number}").symlink_to(part)
            os.mknod(self.root / f"{name}{number}", 0o600 | 0o060000, os.makedev(240, minor + number))
        return node

    def mount(self, source: Path, where: str) -> None:
        with open(self.mounts, "a") as handle:
            handle.write(f"{source} {where} vfat rw 0 0\n")

    def inspect(self) -> dict[str, Path]:
        return {"sysfs": self.sysfs, "mounts": self.mounts, "swaps": self.swaps}


@pytest.fixture
def system(tmp_path: Path) -> FakeSystem:
    if os.geteuid() != 0:
        pytest.skip("mknod of block device nodes needs root")
    return FakeSystem(tmp_path / "fake")


def run_flash(image: Path, device: Path, system: FakeSystem, *extra: str) -> str:
    parser = argparse.ArgumentParser()
    from edge.board.flash import add_arguments

    add_arguments(parser)
    args = parser.parse_args([str(image), "--device", str(device), "--yes", *extra])
    out = io.StringIO()
    flash(args, stream=out, **system.inspect())
    return out.getvalue()


def test_block_device_facts_are_read_from_sysfs(system: FakeSystem) -> None:
    node = system.disk("sdb", 0, 32 * 10**9, removable=True)
    system.mount(system.root / "sdb1", "/media/user/RASPIFIRM")
    target = inspect_target(node, **system.inspect())
    assert (target.kind, target.name, target.size, target.removable, target.partition) == (
        "block",
        "sdb",
        32 * 10**9,
        True,
        False,
    )
    assert target.model == "SD Card Reader"
    assert target.in_use == [f"{system.root / 'sdb1'} is mounted on /media/user/RASPIFIRM"]
    assert inspect_target(system.root / "sdb2", **system.inspect()).partition


def test_mounted_card_is_refused_unless_forced(system: FakeSystem, tmp_path: Path) -> None:
    image, _ = make_image(tmp_path, size=MiB)
    node = system.disk("sdb", 0, 32 * 10**9, removable=True)
    system.mount(system.root / "sdb2", "/media/user/RASPIROOT")
    with pytest.raises(
        FlashError, match=r"sdb2 is mounted on /media/user/RASPIROOT; unmount it first"
    ) as refused:
        run_flash(image, node, system)
    assert "--force writes anyway" in str(refused.value)
    # Forced, the checks let it through to opening the device, which has no driver: ENXIO, nothing written.
    with pytest.raises(FlashError, match="cannot open .* for writing"):
        run_flash(image, node, system, "--force")


def test_swap_and_holders_count_as_in_use(system: FakeSystem) -> None:
    node = system.disk("sdc", 16, 8 * 10**9, removable=True)
    with open(system.swaps, "a") as handle:
        handle.write(f"{system.root / 'sdc1'} partition 1048572 0 -2\n")
    (system.sysfs / "dev" / "block" / "240:16").resolve().joinpath("holders", "dm-0").mkdir()
    uses = inspect_target(node, **system.inspect()).in_use
    assert any("in use as swap" in u for u in uses) and any("held by dm-0" in u for u in uses)


def test_internal_disk_is_refused(system: FakeSystem, tmp_path: Path) -> None:
    image, _ = make_image(tmp_path, size=MiB)
    node = system.disk("sda", 32, 64 * 10**9, removable=False, model="Samsung SSD 870")
    with pytest.raises(FlashError, match="not a removable device"):
        run_flash(image, node, system)


def test_sd_slot_and_usb_reader_count_as_removable(system: FakeSystem) -> None:
    slot = system.disk(
        "mmcblk0", 48, 16 * 10**9, removable=False, via="platform/fe340000.mmc/mmc_host/mmc0/mmc0:aaaa"
    )
    usb = system.disk(
        "sdd",
        64,
        16 * 10**9,
        removable=False,
        via="pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0",
    )
    assert inspect_target(slot, **system.inspect()).removable
    assert inspect_target(usb, **system.inspect()).removable


def test_oversized_device_is_refused_unless_forced(system: FakeSystem, tmp_path: Path) -> None:
    image, _ = make_image(tmp_path, size=MiB)
    node = system.disk("sde", 80, 2 * 10**12, removable=True)
    with pytest.raises(FlashError, match="larger than an SD card"):
        run_flash(image, node, system)
    # A higher limit lets it through (to the driverless open).
    with pytest.raises(FlashError, match="cannot open"):
        run_flash(image, node, system, "--max-size", "4T")


def test_partition_and_too_small_device_are_refused_even_forced(system: FakeSystem, tmp_path: Path) -> None:
    image, _ = make_image(tmp_path, size=MiB)
    system.disk("sdf", 96, 32 * 10**9, removable=True)
    with pytest.raises(FlashError, match="is a partition") as refused:
        run_flash(image, system.root / "sdf1", system, "--force")
    assert "--force writes anyway" not in str(refused.value)
    tiny = system.disk("sdg", 112, 512 * 1024, removable=True)
    with pytest.raises(FlashError, match="the image needs"):
        run_flash(image, tiny, system, "--force")


def test_refusals_list_every_reason() -> None:
    from edge.board.flash import Target

    target = Target(
        path=Path("/dev/sdz"),
        kind="block",
        size=3 * 10**12,
        name="sdz",
        removable=False,
        in_use=["/dev/sdz1 is mounted on /"],
    )
    reasons = refusals(target, image_size=10**9)
    assert [r.forceable for r in reasons] == [True, True, True]
    assert len(reasons) == 3
