"""edge/migrate/'s imports point down: what it may use of the rest of edge, and how its rooms lean on each other.

- migrate is a leaf of the tree: nothing imports it but the command line (edge/cli.py).
- It uses only the low rooms of edge: the codec, config, leases, the v4 family's tables, the file helpers,
  and the interface scan (dnsmasq takes netmasks and its own address from the machine it runs on).
- The two dialects are peers: dhcpd/ and dnsmasq/ never import each other; what both need sits beside them
  (common.py, jsonout.py, kea.py). No two modules import each other, at any distance.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MIGRATE = REPO / "edge" / "migrate"
# edge.dhcp6 as edge.dhcp4: the lease record and the lease-import table the dhcpd6.leases parser joins
ALLOWED_OUTSIDE = (
    "edge.wire",
    "edge.config",
    "edge.leases",
    "edge.dhcp4",
    "edge.dhcp6",
    "edge.fsio",
    "edge.netif",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every edge module `path` imports (at the top or inside a function); `from P import m` counts as P.m
    when P.m is a module."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("edge"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("edge"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in known else node.module)
    return out


def migrate_graph() -> dict[str, set[str]]:
    paths = sorted(MIGRATE.rglob("*.py"))
    known = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, known) for p in paths}


def test_only_the_command_line_imports_migrate() -> None:
    importers = []
    for path in sorted((REPO / "edge").rglob("*.py")):
        if MIGRATE in path.parents:
            continue
        if any(m.startswith("edge.migrate") for m in imports_of(path, set())):
            importers.append(str(path.relative_to(REPO)))
    assert importers == ["edge/cli.py"]


def test_migrate_uses_only_the_low_rooms_of_edge() -> None:
    outside = {
        (mod, imp)
        for mod, imps in migrate_graph().items()
        for imp in imps
        if not imp.startswith("edge.migrate") and not imp.startswith(ALLOWED_OUTSIDE)
    }
    assert outside == set()


def test_the_dialects_do_not_import_each_other() -> None:
    crossing = {
        (mod, imp)
        for mod, imps in migrate_graph().items()
        for imp in imps
        for a, b in (("dhcpd", "dnsmasq"), ("dnsmasq", "dhcpd"))
        if mod.startswith(f"edge.migrate.{a}") and imp.startswith(f"edge.migrate.{b}")
    }
    assert crossing == set()


def test_no_import_cycles_inside_migrate() -> None:
    graph = {
        m: {i for i in imps if i.startswith("edge.migrate") and i != m} for m, imps in migrate_graph().items()
    }
    cycles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []
