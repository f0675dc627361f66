"""The import graph keeps the design's layers (tests/layers.py), and the check can fail."""

from __future__ import annotations

from pathlib import Path

from tests import layers


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "edge"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "__init__.py").touch()
    return root


def test_the_tree_keeps_its_layers() -> None:
    assert layers.problems() == []


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "wire/__init__.py": "",
            "wire/pkt4.py": "from edge.config import model\n",
            "config/__init__.py": "",
            "config/model.py": "",
        },
    )
    assert layers.problems(root) == ["edge.wire.pkt4 imports edge.config.model: wire is below config"]


def test_a_lazy_import_counts(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "config/__init__.py": "",
            "config/a.py": "def f():\n    from edge.server import main\n",
            "server/__init__.py": "",
            "server/main.py": "",
        },
    )
    assert layers.problems(root) == ["edge.config.a imports edge.server.main: config is below server"]


def test_families_stay_apart_and_shared_rooms_stay_below_them(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "dhcp4/__init__.py": "",
            "dhcp4/engine.py": "from edge.dhcp6 import engine\n",
            "dhcp6/__init__.py": "",
            "dhcp6/engine.py": "",
            "control/__init__.py": "",
            "control/commands.py": "import edge.dhcp4.engine\n",
        },
    )
    assert layers.problems(root) == [
        "edge.control.commands imports edge.dhcp4.engine: a shared room imports a family room",
        "edge.dhcp4.engine imports edge.dhcp6.engine: the families never import each other",
    ]


def test_a_circle_is_found_with_its_members(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "leases/__init__.py": "",
            "leases/a.py": "from edge.leases import b\n",
            "leases/b.py": "from edge.leases.c import x\n",
            "leases/c.py": "from . import a\nx = 1\n",
        },
    )
    assert layers.problems(root) == ["circle: edge.leases.a <-> edge.leases.b <-> edge.leases.c"]


def test_a_room_in_no_layer_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"gadgets/__init__.py": "", "gadgets/x.py": ""})
    assert layers.problems(root) == [
        "edge.gadgets: room 'gadgets' is in no layer of tests/layers.py",
        "edge.gadgets.x: room 'gadgets' is in no layer of tests/layers.py",
    ]
