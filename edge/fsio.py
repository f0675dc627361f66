"""Replacing a file so that power loss never leaves half of it: the one place that does it.

Rules:
- A reader sees the old file or the new one, never a mix: the data goes to a temporary file beside the
  target (same directory, so the same file system), is fsynced, then renamed over the target, and the
  directory is fsynced so the rename itself survives a power cut.
- The mode of an existing target is kept; a new file gets `mode` (0600 by default: configurations may hold
  passwords).
- On any failure the temporary file is removed and the target is untouched; the error propagates.

Theory of operation: `tempfile.mkstemp` in the target's directory, write + flush + fsync, chmod, `os.replace`,
then fsync of the directory. The lease snapshot (edge/leases/snapshot.py) streams its own file with crash-test
hooks between the steps and keeps its own copy of this sequence for that reason.
"""

from __future__ import annotations

import os


def write_atomically(path: str, data: bytes | str, mode: int = 0o600) -> None:
    """Replace `path` with `data` (text is written as UTF-8), durably and all-or-nothing."""
    import tempfile  # only the commands that write files need it (and random, which it brings)

    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=".edge-dhcp-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
