"""edge.fsio.write_atomically: all-or-nothing replacement, mode kept, no temporary file left behind."""

from __future__ import annotations

import os
import stat

import pytest

from edge import fsio


def test_new_file_gets_the_data_and_a_private_mode(tmp_path):
    target = tmp_path / "kea-dhcp4.conf"
    fsio.write_atomically(str(target), '{"Dhcp4": {}}\n')
    assert target.read_text() == '{"Dhcp4": {}}\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["kea-dhcp4.conf"]


def test_existing_file_is_replaced_and_keeps_its_mode(tmp_path):
    target = tmp_path / "edge-dhcp.json"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    fsio.write_atomically(str(target), b"new contents")
    assert target.read_bytes() == b"new contents"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "edge-dhcp.json"
    target.write_bytes(b"old")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsio.os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        fsio.write_atomically(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["edge-dhcp.json"]
