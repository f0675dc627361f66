"""The import graph of edge/, checked against the layers the design names (`python -m tests.layers`).

Rules it enforces (DESIGN.md, "Rules that keep it livable"):
- No import runs from a lower layer to a higher one. Each top-level room of edge/ (a package such as
  `wire` or `dhcp4`, or a module such as `log`) sits in one layer of LAYERS; a room may import rooms of its
  own layer only where SAME_LAYER allows it, and rooms of lower layers freely.
- The family rooms (dhcp4, dhcp6) never import each other, and shared rooms never import a family room.
- No two modules import each other, directly or round a longer circle (a strongly connected component of
  more than one module is reported with its members).
- Every import counts: at the top of a module, inside a function (lazy), or under TYPE_CHECKING, since a
  type-only import is still a join between the two layers.

`make lint` runs it; tests/test_layers.py runs it inside `make test` and shows it can fail.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "edge"

# Lowest first. A room not listed is an error (a new room must be placed on purpose).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("wire",),
    ("stats", "fsio"),
    ("expr",),
    ("config",),
    ("log",),
    ("leases", "policy"),
    ("netif", "ddns"),
    ("control",),
    ("dhcp4", "dhcp6"),
    ("ha", "dashboard"),
    ("server",),
    ("migrate", "bench", "board"),
    ("cli",),
    ("__main__", "__init__"),
)
FAMILIES = frozenset({"dhcp4", "dhcp6"})
# Rooms of one layer that may import one another (the pairs named here only, in this direction).
SAME_LAYER: frozenset[tuple[str, str]] = frozenset({("leases", "policy"), ("policy", "leases")})


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, known: Mapping[str, Path]) -> set[str]:
    """The modules of ours that `path` (module `name`) imports, anywhere in its text."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from pkg import mod` joins us to pkg.mod; `from pkg import name` to pkg itself.
            candidates = [
                f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target
                for alias in node.names
            ]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for candidate in candidates:
            # `import edge.a.b` also imports edge.a and edge: count the deepest module of ours it names.
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name and candidate != "edge":
                found.add(candidate)
    return found


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    known = {module_name(p, root): p for p in root.rglob("*.py")}
    return {name: imports_of(path, name, known) for name, path in known.items()}


def _layer_index() -> dict[str, int]:
    return {r: i for i, rooms in enumerate(LAYERS) for r in rooms}


def layer_problems(edges: Mapping[str, Iterable[str]]) -> list[str]:
    index = _layer_index()
    problems = []
    for source in sorted(edges):
        src_room = room(source)
        if src_room not in index:
            problems.append(f"{source}: room {src_room!r} is in no layer of tests/layers.py")
            continue
        for target in sorted(edges[source]):
            dst_room = room(target)
            if dst_room == src_room:
                continue
            if dst_room not in index:
                problems.append(f"{source} imports {target}: room {dst_room!r} is in no layer")
            elif dst_room in FAMILIES and src_room not in FAMILIES and index[src_room] <= index[dst_room]:
                problems.append(f"{source} imports {target}: a shared room imports a family room")
            elif src_room in FAMILIES and dst_room in FAMILIES:
                problems.append(f"{source} imports {target}: the families never import each other")
            elif index[dst_room] > index[src_room]:
                problems.append(f"{source} imports {target}: {src_room} is below {dst_room}")
            elif index[dst_room] == index[src_room] and (src_room, dst_room) not in SAME_LAYER:
                problems.append(f"{source} imports {target}: {src_room} and {dst_room} share a layer")
    return problems


def circles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.append(sorted(members))
    return sorted(found)


def problems(root: Path = ROOT) -> list[str]:
    edges = graph(root)
    out = layer_problems(edges)
    out += ["circle: " + " <-> ".join(members) for members in circles(edges)]
    return out


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    print(f"import graph: {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
