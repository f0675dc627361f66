"""The configuration rooms import only downwards: config/, expr/ and policy/ know no family (dhcp4/, dhcp6/)
and no shell (server/, control/, netif/, leases/), and no two of their modules import each other."""

from __future__ import annotations

import ast
from pathlib import Path

EDGE = Path(__file__).parents[2] / "edge"
SHARED_ROOMS = ("config", "expr", "policy")
ABOVE = ("edge.dhcp4", "edge.dhcp6", "edge.server", "edge.control", "edge.netif", "edge.leases", "edge.cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(EDGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("edge"):
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names if alias.name.startswith("edge"))
    return out


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for room in SHARED_ROOMS for p in (EDGE / room).glob("*.py")}
    everything = {module_name(p) for p in EDGE.rglob("*.py")}
    return {name: {t for t in imports(p) if t in everything and t != name} for name, p in files.items()}


def test_the_shared_rooms_import_no_family_and_no_shell() -> None:
    upward = sorted(
        (name, target) for name, targets in graph().items() for target in targets if target.startswith(ABOVE)
    )
    assert upward == []


def test_no_module_of_the_shared_rooms_is_in_an_import_cycle() -> None:
    edges = graph()

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            here = todo.pop()
            for nxt in edges.get(here, ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    cycles = sorted(name for name in edges if reaches(name, name))
    assert cycles == []
