"""`edge-dhcp board flash IMAGE --device /dev/sdX`: write a board image to an SD card, then read it back.

Rules this module keeps:
- Refuse before writing a byte, with the reason: a device that is mounted (or holds swap, or is held by
  device-mapper/RAID), one the kernel does not call removable (an SD slot, `mmcblk*`, or a USB reader is
  removable), or one larger than a sane SD card (`--max-size`, default 256 GiB) is refused unless
  `--force`; a partition instead of a whole device, a missing target, or a device smaller than the image is
  refused always. A regular file may stand in for the device (tests, or preparing an image copy); a file
  that does not exist is never created, and nothing is created under /dev (a mistyped /dev/sdX stays
  an error instead of becoming a file).
- The image is checked before it is written: IMAGE.sha256 (sha256sum format) beside it is verified when
  present. `.img.xz` is decompressed while writing (its raw size is read from the xz index up front, so
  the size check happens before writing).
- Everything written is hashed on the way out; after the write the device's caches are flushed and the
  same number of bytes is read back and hashed. The two hashes must agree, or the command fails.
- Progress on stderr: a bar on a terminal, a line per 10 % otherwise.
- Block devices are opened O_EXCL, so the kernel itself refuses one that is mounted (when not forced).

Theory of operation: `inspect_target()` reads sysfs and the mount/swap tables into a `Target`;
`refusals()` turns a `Target` and the image's raw size into the list of reasons not to write (each
marked whether `--force` overrides it); `write_image()` streams, hashes and verifies.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import lzma
import os
import stat
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

CHUNK = 4 * 1024 * 1024
DEFAULT_MAX_SIZE = 256 * 1024**3
XZ_MAGIC = b"\xfd7zXZ\x00"
BLKFLSBUF = 0x1261
BLKGETSIZE64 = 0x80081272


class FlashError(Exception):
    """Flashing was refused or failed; the message is for the user."""


# -- the image -------------------------------------------------------------------------------------------


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(9):
        byte = data[pos + i]
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos + i + 1
    raise ValueError("bad xz varint")


def xz_uncompressed_size(path: Path) -> int | None:
    """The total uncompressed size recorded in an .xz file's indexes (None if it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            end = handle.tell()
            total = 0
            while end > 0:
                handle.seek(end - 4)
                while end >= 4 and handle.read(4) == b"\0\0\0\0":  # stream padding
                    end -= 4
                    handle.seek(end - 4)
                if end < 24:
                    return None
                handle.seek(end - 12)
                footer = handle.read(12)
                if footer[10:12] != b"YZ":
                    return None
                index_size = (struct.unpack("<I", footer[4:8])[0] + 1) * 4
                index_start = end - 12 - index_size
                handle.seek(index_start)
                index = handle.read(index_size)
                if not index or index[0] != 0:
                    return None
                records, pos = _varint(index, 1)
                blocks = 0
                for _ in range(records):
                    unpadded, pos = _varint(index, pos)
                    uncompressed, pos = _varint(index, pos)
                    blocks += (unpadded + 3) // 4 * 4
                    total += uncompressed
                end = index_start - blocks - 12  # start of this stream's header
                if end < 0:
                    return None
            return total
    except (OSError, ValueError, IndexError, struct.error):
        return None


def is_xz(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(6) == XZ_MAGIC


def raw_size(path: Path) -> int:
    if is_xz(path):
        size = xz_uncompressed_size(path)
        if size is None:
            raise FlashError(f"{path}: cannot read the uncompressed size from the xz index (damaged file?)")
        return size
    return path.stat().st_size


def check_sha256(path: Path, progress: Progress | None = None) -> str | None:
    """Verify IMAGE against IMAGE.sha256 when that file exists; the digest, or None when there is none."""
    sums = path.with_name(path.name + ".sha256")
    if not sums.exists():
        return None
    try:
        expected = sums.read_text().split()[0].lower()
    except (OSError, IndexError):
        raise FlashError(f"{sums}: not a sha256sum line") from None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress.advance(len(chunk))
    if digest.hexdigest() != expected:
        raise FlashError(
            f"{path} does not match {sums.name} (damaged or incomplete download?); nothing written"
        )
    return expected


def image_chunks(path: Path) -> Iterator[bytes]:
    """The raw image in chunks: the file itself, or what its xz streams decompress to."""
    with open(path, "rb") as handle:
        if not is_xz(path):
            while chunk := handle.read(CHUNK):
                yield chunk
            return
        decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        while True:
            if decompressor.eof:  # a next stream may follow, after zero padding
                rest = decompressor.unused_data.lstrip(b"\0")
                while not rest:
                    more = handle.read(CHUNK // 4)
                    if not more:
                        return
                    rest = more.lstrip(b"\0")
                decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
                data = rest
            elif decompressor.needs_input:
                data = handle.read(CHUNK // 4)
                if not data:
                    raise FlashError(f"{path}: the xz stream ends early (truncated file?)")
            else:
                data = b""
            try:
                out = decompressor.decompress(data, max_length=CHUNK)
            except lzma.LZMAError as exc:
                raise FlashError(f"{path}: cannot decompress: {exc}") from None
            if out:
                yield out


# -- the target ------------------------------------------------------------------------------------------


@dataclass
class Target:
    path: Path
    kind: str  # "block" or "file"
    size: int
    name: str = ""  # kernel name (sdb, mmcblk0) for block devices
    removable: bool = False
    partition: bool = False
    model: str = ""
    in_use: list[str] = field(default_factory=list)  # why the kernel is using it: mounts, swap, holders

    def describe(self) -> str:
        size = f"{self.size / 1e9:.1f} GB"
        if self.kind == "file":
            return f"{self.path} (a regular file, {size})"
        what = ", ".join(
            x for x in (self.model, size, "removable" if self.removable else "NOT removable") if x
        )
        return f"{self.path} ({self.name}: {what})"


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _mount_sources(table: Path) -> list[tuple[str, str]]:
    entries = []
    with contextlib.suppress(OSError):
        for line in table.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[0].startswith("/"):
                entries.append((fields[0].replace("\\040", " "), fields[1].replace("\\040", " ")))
    return entries


def inspect_target(
    path: Path,
    *,
    sysfs: Path = Path("/sys"),
    mounts: Path = Path("/proc/self/mounts"),
    swaps: Path = Path("/proc/swaps"),
) -> Target:
    """What `path` is, as far as flashing is concerned; FlashError if it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FlashError(
            f"{path} does not exist (is the card reader plugged in? `lsblk` lists devices)"
        ) from None
    except OSError as exc:
        raise FlashError(f"{path}: {exc}") from None
    if stat.S_ISREG(st.st_mode):
        if Path(os.path.realpath(path)).is_relative_to("/dev"):
            raise FlashError(f"{path} is a regular file under /dev, not a device (a mistyped name?)")
        return Target(path=path, kind="file", size=st.st_size, removable=True)
    if not stat.S_ISBLK(st.st_mode):
        raise FlashError(f"{path} is neither a block device nor a regular file")
    major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    node = sysfs / "dev" / "block" / f"{major}:{minor}"
    if not node.exists():
        raise FlashError(f"{path}: block device {major}:{minor} is not in {sysfs} (no such device?)")
    device_dir = node.resolve()
    name = device_dir.name
    target = Target(path=path, kind="block", size=int(_read(device_dir / "size") or 0) * 512, name=name)
    target.partition = (device_dir / "partition").exists()
    vendor, model = _read(device_dir / "device" / "vendor"), _read(device_dir / "device" / "model")
    target.model = " ".join(x for x in (vendor, model) if x)
    target.removable = (
        _read(device_dir / "removable") == "1" or name.startswith("mmcblk") or "/usb" in str(device_dir)
    )
    # The whole device and its partitions, by kernel name: what mounts and swaps are compared against.
    names = {name} | {p.name for p in device_dir.iterdir() if (p / "partition").exists()}
    for source, where in _mount_sources(mounts):
        if os.path.basename(os.path.realpath(source)) in names:
            target.in_use.append(f"{source} is mounted on {where}")
    for source, _kind in _mount_sources(swaps):
        if os.path.basename(os.path.realpath(source)) in names:
            target.in_use.append(f"{source} is in use as swap")
    for part in sorted(names):
        holders_dir = device_dir / "holders" if part == name else device_dir / part / "holders"
        with contextlib.suppress(OSError):
            for holder in sorted(holders_dir.iterdir()):
                target.in_use.append(f"{part} is held by {holder.name} (device-mapper, RAID or LVM)")
    return target


@dataclass(frozen=True)
class Refusal:
    reason: str
    forceable: bool


def refusals(target: Target, image_size: int, max_size: int = DEFAULT_MAX_SIZE) -> list[Refusal]:
    """Every reason not to write an image of `image_size` bytes to `target`."""
    found = []
    if target.partition:
        found.append(
            Refusal(
                f"{target.path} is a partition; give the whole device (e.g. /dev/sdb, not /dev/sdb1)", False
            )
        )
    if target.kind == "block" and target.size < image_size:
        found.append(Refusal(f"{target.path} holds {target.size} bytes, the image needs {image_size}", False))
    for use in target.in_use:
        found.append(Refusal(f"{use}; unmount it first", True))
    if not target.removable:
        found.append(Refusal(f"{target.path} is not a removable device (an internal disk?)", True))
    if target.kind == "block" and target.size > max_size:
        found.append(
            Refusal(
                f"{target.path} is {target.size / 1e9:.0f} GB, larger than an SD card is expected to be "
                f"({max_size / 1e9:.0f} GB; --max-size changes this)",
                True,
            )
        )
    return found


# -- progress --------------------------------------------------------------------------------------------


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last_decile = -1
        self.last_draw = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        fraction = min(self.done / self.total, 1.0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed / 1e6
        if self.tty:
            now = time.monotonic()
            if now - self.last_draw < 0.1 and fraction < 1.0:
                return
            self.last_draw = now
            bar = "#" * int(fraction * 30)
            self.stream.write(f"\r{self.label} [{bar:<30}] {fraction:4.0%} {rate:6.1f} MB/s")
            self.stream.flush()
        else:
            decile = int(fraction * 10)
            if decile > self.last_decile:
                self.last_decile = decile
                print(
                    f"{self.label}: {fraction:4.0%} ({self.done / 1e6:.0f} MB, {rate:.1f} MB/s)",
                    file=self.stream,
                )

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
        self.stream.flush()


# -- writing ---------------------------------------------------------------------------------------------


def _drop_caches(fd: int, block: bool) -> None:
    os.fsync(fd)
    if block:
        with contextlib.suppress(OSError):
            fcntl.ioctl(fd, BLKFLSBUF)
    with contextlib.suppress(OSError, AttributeError):
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def write_image(
    image: Path, target: Target, *, exclusive: bool, verify: bool, stream: TextIO
) -> tuple[int, str]:
    """Write `image` (raw or xz) to `target`; return bytes written and their sha256. Verifies when asked."""
    total = raw_size(image)
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    if target.kind == "block" and exclusive:
        flags |= os.O_EXCL
    try:
        fd = os.open(target.path, flags)
    except OSError as exc:
        hint = " (mounted or in use?)" if exc.errno == 16 else ""
        raise FlashError(f"cannot open {target.path} for writing: {exc.strerror}{hint}") from None
    digest = hashlib.sha256()
    written = 0
    progress = Progress("writing", total, stream)
    try:
        for chunk in image_chunks(image):
            view = memoryview(chunk)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            digest.update(chunk)
            written += len(chunk)
            progress.advance(len(chunk))
        progress.finish()
        _drop_caches(fd, target.kind == "block")
    except OSError as exc:
        raise FlashError(
            f"writing {target.path} failed after {written} bytes: {exc.strerror or exc}"
        ) from None
    finally:
        os.close(fd)
    if written != total:
        raise FlashError(f"{image}: {written} bytes decompressed, the xz index says {total}")
    if verify:
        verify_written(target.path, written, digest.hexdigest(), stream)
    return written, digest.hexdigest()


def verify_written(path: Path, length: int, expected: str, stream: TextIO) -> None:
    """Read `length` bytes back from `path` and compare their sha256 with `expected`."""
    digest = hashlib.sha256()
    progress = Progress("verifying", length, stream)
    left = length
    try:
        with open(path, "rb", buffering=0) as handle:
            while left:
                chunk = handle.read(min(CHUNK, left))
                if not chunk:
                    break
                digest.update(chunk)
                left -= len(chunk)
                progress.advance(len(chunk))
    except OSError as exc:
        raise FlashError(f"reading {path} back failed: {exc.strerror or exc}") from None
    progress.finish()
    if left:
        raise FlashError(f"verification failed: {path} ended {left} bytes early")
    if digest.hexdigest() != expected:
        raise FlashError(
            f"verification FAILED: what {path} holds is not what was written (bad card or reader?)"
        )


# -- the command -----------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    units = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    body = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = body[-1:] if body[-1:] in units else ""
    try:
        return int(float(body[: len(body) - len(unit)]) * units[unit])
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 64G)") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "image", type=Path, help="the image: .img or .img.xz (IMAGE.sha256 beside it is checked)"
    )
    parser.add_argument(
        "--device", required=True, type=Path, help="the whole SD card device, e.g. /dev/sdb or /dev/mmcblk0"
    )
    parser.add_argument(
        "--force", action="store_true", help="write even to a mounted, non-removable or very large device"
    )
    parser.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation (needed when not on a terminal)"
    )
    parser.add_argument("--no-verify", action="store_true", help="do not read the device back after writing")
    parser.add_argument(
        "--max-size",
        type=parse_size,
        default=DEFAULT_MAX_SIZE,
        help="largest device accepted without --force (default 256G)",
    )


def flash(
    args: argparse.Namespace, stdin: BinaryIO | None = None, stream: TextIO | None = None, **inspect: Path
) -> int:
    """Run `board flash`; `inspect` passes sysfs/mounts/swaps paths to inspect_target (tests)."""
    out = stream or sys.stderr
    image: Path = args.image
    if not image.is_file():
        raise FlashError(f"{image}: no such image file")
    checked = check_sha256(image, Progress("checking image", image.stat().st_size, out))
    print(
        f"{image}: "
        + (f"sha256 matches {image.name}.sha256" if checked else "no .sha256 file beside it, not checked"),
        file=out,
    )
    size = raw_size(image)
    target = inspect_target(args.device, **inspect)
    found = refusals(target, size, args.max_size)
    hard = [r.reason for r in found if not r.forceable]
    soft = [r.reason for r in found if r.forceable]
    if hard or (soft and not args.force):
        lines = [f"refusing to write {image.name} to {target.describe()}:"] + [
            f"  - {r}" for r in hard + soft
        ]
        if soft and not hard:
            lines.append("  (--force writes anyway)")
        raise FlashError("\n".join(lines))
    for reason in soft:
        print(f"warning (--force): {reason}", file=out)
    print(f"target: {target.describe()}; image: {size / 1e6:.0f} MB raw", file=out)
    if not args.yes:
        handle = stdin or sys.stdin.buffer
        if not os.isatty(handle.fileno()):
            raise FlashError("not on a terminal: give --yes to write without asking")
        print(
            f"Everything on {target.path} will be overwritten. Type 'yes' to continue: ",
            end="",
            file=out,
            flush=True,
        )
        if handle.readline().decode(errors="replace").strip().lower() != "yes":
            raise FlashError("not confirmed; nothing written")
    started = time.monotonic()
    written, digest = write_image(
        image, target, exclusive=not args.force, verify=not args.no_verify, stream=out
    )
    elapsed = time.monotonic() - started
    verified = "written and verified" if not args.no_verify else "written (not verified)"
    print(f"{written} bytes {verified} in {elapsed:.1f} s (sha256 {digest[:16]}...)", file=out)
    if target.kind == "block":
        print(f"done: {target.path} can be removed (the system has flushed it)", file=out)
    return 0
