"""The import direction: a lower layer never imports an upper one, siblings never import
each other, no module imports itself round a loop, and what DESIGN.md forbids outright.

The layers are written down once, in DESIGN.md's "Layers" block; this test reads that
block, so the document and the rule cannot drift apart. Imports under `if
TYPE_CHECKING:` and inside functions count too: a cycle that only type checkers see is
still a cycle a reader has to untangle.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kafkatui"
DESIGN = ROOT / "DESIGN.md"


@dataclass(frozen=True)
class Rules:
    layers: list[list[str]]  # top first; each layer is a list of sibling module prefixes
    forbidden: list[tuple[str, str]]  # (importer prefix, imported prefix)


def read_rules(text: str) -> Rules:
    """The fenced block after the `<!-- layers -->` marker: one layer per line, top
    first, siblings separated by `|`; lines `A !> B` forbid A importing B."""
    match = re.search(r"<!-- layers -->\s*```[a-z]*\n(.*?)```", text, re.S)
    assert match, "DESIGN.md has no <!-- layers --> block"
    layers: list[list[str]] = []
    forbidden: list[tuple[str, str]] = []
    for raw in match.group(1).splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "!>" in line:
            importer, imported = (part.strip() for part in line.split("!>"))
            forbidden.append((importer, imported))
        else:
            layers.append([part.strip() for part in line.split("|")])
    return Rules(layers, forbidden)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(imported kafkatui module, line) for every import in the file, wherever it is."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("kafkatui"):
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            if not base.startswith("kafkatui"):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield (candidate if candidate in known else base), node.lineno


def owner(module: str, rules: Rules) -> tuple[int, str] | None:
    """The layer index and the sibling prefix a module belongs to (longest prefix wins)."""
    best: tuple[int, str] | None = None
    for index, layer in enumerate(rules.layers):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > len(best[1])
            ):
                best = (index, prefix)
    return best


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def graph() -> dict[str, list[tuple[str, int]]]:
    known = modules()
    return {name: list(imports_of(name, path, known)) for name, path in known.items()}


def test_design_md_names_every_package_in_a_layer() -> None:
    rules = read_rules(DESIGN.read_text())
    prefixes = [prefix for layer in rules.layers for prefix in layer]
    unplaced = sorted(
        name
        for name in modules()
        # a package that only holds layers (kafkatui, kafkatui.engine) is in none itself
        if owner(name, rules) is None and not any(p.startswith(name + ".") for p in prefixes)
    )
    assert not unplaced, f"modules in no layer of DESIGN.md: {unplaced}"


Graph = dict[str, list[tuple[str, int]]]


def layer_violations(imports: Graph, rules: Rules) -> list[str]:
    wrong = []
    for name, targets in imports.items():
        mine = owner(name, rules)
        for target, line in targets:
            theirs = owner(target, rules)
            if mine is None or theirs is None or mine[1] == theirs[1]:
                continue
            if theirs[0] < mine[0]:
                wrong.append(f"{name}:{line} imports {target}, a layer above it")
            elif theirs[0] == mine[0]:
                wrong.append(f"{name}:{line} imports its sibling {target}")
    return wrong


def forbidden_violations(imports: Graph, rules: Rules) -> list[str]:
    return [
        f"{name}:{line} imports {target} ({importer} !> {imported})"
        for name, targets in imports.items()
        for target, line in targets
        for importer, imported in rules.forbidden
        if within(name, importer) and within(target, imported)
    ]


def test_no_layer_imports_upward_or_sideways() -> None:
    wrong = layer_violations(graph(), read_rules(DESIGN.read_text()))
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_what_design_md_forbids() -> None:
    wrong = forbidden_violations(graph(), read_rules(DESIGN.read_text()))
    assert not wrong, "\n".join(wrong)


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    edges = {
        name: {target for target, _ in targets if target != name and not name.startswith(target + ".")}
        for name, targets in graph().items()
    }
    for name in edges:  # a package's own __init__ importing from its modules is not a cycle
        edges[name] = {t for t in edges[name] if t in edges}
    cycles = strongly_connected(edges)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_rules_catch_what_they_are_meant_to() -> None:
    """The checker itself: an upward import, a sibling import, a forbidden one and a
    cycle are each reported, so a green run means something."""
    rules = read_rules("<!-- layers -->\n```text\na\nb | c\nd   # the bottom\nb !> d.x\n```\n")
    assert rules.layers == [["a"], ["b", "c"], ["d"]]
    assert rules.forbidden == [("b", "d.x")]
    imports: Graph = {
        "a.m": [("b.m", 1), ("d.x", 2)],  # downward: fine
        "b.m": [("a.m", 3), ("c.m", 4), ("d.x.y", 5), ("d.z", 6), ("b.n", 7)],
    }
    assert layer_violations(imports, rules) == [
        "b.m:3 imports a.m, a layer above it",
        "b.m:4 imports its sibling c.m",
    ]
    assert forbidden_violations(imports, rules) == ["b.m:5 imports d.x.y (b !> d.x)"]
    assert strongly_connected({"m": {"n"}, "n": {"o"}, "o": {"m"}, "p": {"m"}}) == [["m", "n", "o"]]
    assert strongly_connected({"m": {"n"}, "n": set()}) == []
