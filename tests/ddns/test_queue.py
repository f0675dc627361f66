"""The persistent update queue: order, durability across a kill, torn and damaged lines, the size bound."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from edge.ddns.ncr import CHG_ADD, CHG_REMOVE, NameChangeRequest
from edge.ddns.queue import QueueFull, UpdateQueue


def ncr(n: int, change: int = CHG_ADD) -> NameChangeRequest:
    return NameChangeRequest(
        change,
        True,
        True,
        f"host{n}.home.example.",
        f"192.0.2.{n}",
        b"\x00\x00\x01" + bytes(32),
        1_800_000_000,
        600,
    )


def test_requests_leave_in_the_order_they_came(tmp_path: Path) -> None:
    queue = UpdateQueue(str(tmp_path / "q"))
    ids = [queue.append(ncr(i)) for i in range(1, 4)]
    seen = []
    while (head := queue.head()) is not None:
        seen.append(head[1].fqdn)
        queue.done(head[0])
    assert seen == ["host1.home.example.", "host2.home.example.", "host3.home.example."]
    assert ids == sorted(ids)


def test_pending_requests_survive_a_restart_without_close(tmp_path: Path) -> None:
    path = str(tmp_path / "q")
    queue = UpdateQueue(path)
    first = queue.append(ncr(1))
    queue.append(ncr(2, CHG_REMOVE))
    queue.done(first)
    # no close(): as if the process was killed right here
    again = UpdateQueue(path)
    assert [(n.fqdn, n.change_type) for n in again.pending()] == [("host2.home.example.", CHG_REMOVE)]
    new_id = again.append(ncr(3))
    assert new_id > first + 1  # numbering continues; a "done" can never hit a newer request
    again.close()


def test_a_torn_last_line_and_a_damaged_line_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "q"
    queue = UpdateQueue(str(path))
    for i in range(1, 4):
        queue.append(ncr(i))
    queue.close()
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"host2", b"hostX")  # checksum no longer matches
    path.write_bytes(b"\n".join(lines)[:-25])  # and the last line is cut short
    again = UpdateQueue(str(path))
    assert [n.fqdn for n in again.pending()] == ["host1.home.example."]
    assert "damaged line" in caplog.text and "torn last line" in caplog.text


def test_the_file_is_compacted_at_start(tmp_path: Path) -> None:
    path = tmp_path / "q"
    queue = UpdateQueue(str(path))
    for i in range(1, 50):
        queue.done(queue.append(ncr(i)))
    queue.append(ncr(99))
    queue.close()
    UpdateQueue(str(path)).close()
    assert len(path.read_bytes().splitlines()) == 1


def test_max_queue_size_refuses_more(tmp_path: Path) -> None:
    queue = UpdateQueue(str(tmp_path / "q"), max_size=2)
    queue.append(ncr(1))
    queue.append(ncr(2))
    with pytest.raises(QueueFull):
        queue.append(ncr(3))
    assert len(queue) == 2


def test_without_a_path_the_queue_is_memory_only(tmp_path: Path) -> None:
    queue = UpdateQueue(None)
    queue.done(queue.append(ncr(1)))
    assert len(queue) == 0 and os.listdir(tmp_path) == []


def test_done_must_name_the_head(tmp_path: Path) -> None:
    queue = UpdateQueue(None)
    queue.append(ncr(1))
    second = queue.append(ncr(2))
    with pytest.raises(ValueError):
        queue.done(second)
