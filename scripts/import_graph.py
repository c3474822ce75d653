"""Print the handover package's import graph and check that dependencies point downwards.

Usage: .venv/bin/python scripts/import_graph.py [--modules] [--sizes]

Reads every module under handover/ with ast (nothing is imported or run) and collects the
`handover.*` modules each one imports, at any depth (imports inside functions count too).
By default it prints the graph between layers (core, store, services, api, ws, ...) with the
number of module-level edges, then the import cycles between modules; --modules prints the
edges module by module; --sizes prints the line count of every module. It exits 1 when a
dependency points upwards:

    core      imports nothing from store, services, api, ws, bus
    store     imports nothing from services, api, ws
    services  imports nothing from api, ws
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "handover"

# layer -> the layers it must not import
FORBIDDEN = {
    "core": {"store", "services", "api", "ws", "bus"},
    "store": {"services", "api", "ws"},
    "services": {"api", "ws"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path, known: set[str]) -> set[str]:
    current = module_name(path)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolve(current, is_package, node)
            # `from handover.services import klantbeeld` names a module, not an attribute
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for target in targets:
            # the longest known module that the import names
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith(PACKAGE + ".") and target != current:
                found.add(target)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def upwards(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(module, imported module) of every import that breaks the rules in FORBIDDEN."""
    return [
        (module, target)
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer(target) in FORBIDDEN.get(layer(module), set())
    ]


def build() -> dict[str, set[str]]:
    """Module -> the handover modules it imports (names without the package prefix kept whole)."""
    paths = sorted((ROOT / PACKAGE).rglob("*.py"))
    known = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, known) for p in paths}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else parts[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--modules", action="store_true", help="edges module by module")
    parser.add_argument("--sizes", action="store_true", help="line count of every module")
    args = parser.parse_args()
    graph = build()

    if args.sizes:
        for p in sorted((ROOT / PACKAGE).rglob("*.py")):
            print(f"{len(p.read_text().splitlines()):5d}  {p.relative_to(ROOT)}")
        return 0

    if args.modules:
        for module, targets in graph.items():
            short = module.removeprefix(PACKAGE + ".")
            names = ", ".join(sorted(t.removeprefix(PACKAGE + ".") for t in targets))
            print(f"{short}: {names or '-'}")
    else:
        layers: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for module, targets in graph.items():
            for target in targets:
                if layer(target) != layer(module):
                    layers[layer(module)][layer(target)] += 1
        for source in sorted({layer(m) for m in graph}):
            edges = layers.get(source, {})
            text = ", ".join(f"{t} ({n})" for t, n in sorted(edges.items()))
            print(f"{source:13} -> {text or '-'}")
        for group in cycles(graph):
            print("cycle: " + " <-> ".join(m.removeprefix(PACKAGE + ".") for m in group))

    wrong = upwards(graph)
    for module, target in wrong:
        print(f"UPWARDS: {module} imports {target}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
