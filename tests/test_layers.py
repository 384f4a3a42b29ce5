"""The layers of docs/architecture.md, checked on every import in src/cruxmap.

One way down: commands -> present -> api -> core; the language server
(``lsp``) sits beside the commands and imports api and core only; the
package root (``cruxmap/__init__``) is the API's face. Every import counts,
wherever it is written (module level, inside a function, under
``TYPE_CHECKING``, ``from cruxmap import x``, relative), because a
function-level import is still a dependency and one of them hid a
14-module cycle (issue 20).

The test fails on an import up a layer and on any import cycle among
cruxmap modules. ``KNOWN`` lists the (importer, imported) pairs that break
these rules today, each naming the change that removes it; a pair that no
longer occurs fails the test too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: What each layer may import (its own layer included).
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "api": frozenset({"api", "core"}),
    "present": frozenset({"present", "api", "core"}),
    "commands": frozenset({"commands", "lsp", "present", "api", "core"}),
    "lsp": frozenset({"lsp", "api", "core"}),
}

#: Modules outside the layer packages, and their layer. The package root is
#: the public API's face; the rest are not yet split into their layers'
#: packages (see docs/architecture.md).
FLAT: dict[str, str] = {
    "cruxmap": "api",  # the package root re-exports the API (and the version)
    "cruxmap.__main__": "commands",
}

#: Imports that break the rules today: (importer, imported), each with what
#: removes it. Only ever remove entries (the test fails on a stale one).
KNOWN: frozenset[tuple[str, str]] = frozenset(
    {
        # Not yet done (issue 20): api.Result's notebook and JSON views call
        # presenters (its _repr_svg_/_repr_html_ and to_json); they belong in
        # present, reached from the Result by the front end that shows it.
        ("cruxmap.api", "cruxmap.present.explore"),
        ("cruxmap.api", "cruxmap.present.jsonreport"),
        ("cruxmap.api", "cruxmap.present.render"),
        # Not yet done (issue 20): the server's "explain goal" command renders
        # explain's text presenter; the server should use api only.
        ("cruxmap.lsp.features", "cruxmap.present.explain"),
        # Not yet done (issue 20): a type-only (TYPE_CHECKING) cycle: the
        # Session's caches are annotated with graph's and robustness's types
        # while both take a Session; each cache typed in its own module,
        # passed instead of the Session, removes it.
        ("cruxmap.core.session", "cruxmap.core.graph"),
        ("cruxmap.core.session", "cruxmap.core.robustness"),
    }
)


def layer_of(module: str) -> str:
    """The layer of a cruxmap module: its package, else its FLAT entry."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ALLOWED:
        return parts[1]
    if module in FLAT:
        return FLAT[module]
    raise AssertionError(f"{module} has no layer: put it in a layer's package")


def modules(src: Path) -> dict[str, Path]:
    """Every module under ``src`` by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(src.rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _known_module(name: str, known: dict[str, Path]) -> str | None:
    """The module an imported dotted name lives in (its longest known prefix)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(src: Path, root: str = "cruxmap") -> set[tuple[str, str]]:
    """Every (importer, imported) pair among ``root``'s modules, reading all
    import statements anywhere in each file. ``from p import x`` counts as
    importing ``p.x`` when that is a module, else ``p`` itself."""
    known = modules(src)
    edges: set[tuple[str, str]] = set()
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                targets = [f"{origin}.{alias.name}" for alias in node.names]
                targets = [t if t in known else origin for t in targets]
            for target in targets:
                if target != root and not target.startswith(root + "."):
                    continue
                module = _known_module(target, known)
                if module is not None and module != name:
                    edges.add((name, module))
    return edges


def up_imports(
    edges: Iterable[tuple[str, str]], layer: Callable[[str], str] = layer_of
) -> list[tuple[str, str]]:
    """The imports whose target is in a layer the importer may not import."""
    return sorted((a, b) for a, b in edges if layer(b) not in ALLOWED[layer(a)])


def cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one
    module (Tarjan's algorithm, iterative)."""
    graph: dict[str, list[str]] = {}
    for a, b in sorted(set(edges)):
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(graph[node]):
                work.append((node, i + 1))
                nxt = graph[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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
    return sorted(found)


def problems(
    edges: set[tuple[str, str]],
    known: frozenset[tuple[str, str]],
    layer: Callable[[str], str] = layer_of,
) -> list[str]:
    """What is wrong with a module graph, given the allowed exceptions."""
    rest = edges - known
    out = [
        f"{a} imports {b}: {layer(a)} may not import {layer(b)}" for a, b in up_imports(rest, layer)
    ]
    out += ["import cycle: " + " <-> ".join(c) for c in cycles(rest)]
    out += [
        f"KNOWN lists {a} -> {b}, which no longer occurs: remove it"
        for a, b in sorted(known - edges)
    ]
    return out


def test_the_tree_keeps_its_layers() -> None:
    edges = imports(SRC)
    assert len({a for a, _ in edges}) > 30  # (the reader saw the package)
    assert problems(edges, KNOWN) == []


def test_every_module_has_a_layer() -> None:
    for name in modules(SRC):
        if name == "cruxmap" or name.startswith("cruxmap."):
            layer_of(name)


def test_the_checker_reports_a_back_import_and_a_cycle() -> None:
    edges = {
        ("cruxmap.core.a", "cruxmap.core.b"),
        ("cruxmap.core.b", "cruxmap.present.c"),  # up a layer
        ("cruxmap.present.c", "cruxmap.core.a"),  # ... which closes a cycle
        ("cruxmap.lsp.d", "cruxmap.present.c"),  # the server beside the commands
        ("cruxmap.commands.e", "cruxmap.lsp.d"),
    }
    assert up_imports(edges) == [
        ("cruxmap.core.b", "cruxmap.present.c"),
        ("cruxmap.lsp.d", "cruxmap.present.c"),
    ]
    assert cycles(edges) == [["cruxmap.core.a", "cruxmap.core.b", "cruxmap.present.c"]]
    assert problems(edges, frozenset({("cruxmap.lsp.d", "cruxmap.present.c")})) == [
        "cruxmap.core.b imports cruxmap.present.c: core may not import present",
        "import cycle: cruxmap.core.a <-> cruxmap.core.b <-> cruxmap.present.c",
    ]
    stale = frozenset({("cruxmap.core.a", "cruxmap.api.z")})
    assert problems({("cruxmap.core.a", "cruxmap.core.b")}, stale) == [
        "KNOWN lists cruxmap.core.a -> cruxmap.api.z, which no longer occurs: remove it"
    ]


def test_the_reader_sees_every_form_of_import(tmp_path: Path) -> None:
    files = {
        "cruxmap/__init__.py": "",
        "cruxmap/core/__init__.py": "",
        "cruxmap/core/a.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from cruxmap.present import b\n"
            "def f():\n    import cruxmap.api\n    from . import c\n    from .c import name\n"
        ),
        "cruxmap/core/c.py": "from ..present.b import thing\nfrom cruxmap import __version__\n",
        "cruxmap/api/__init__.py": "import json\nfrom cruxmap.core.c import name\n",
        "cruxmap/present/__init__.py": "",
        "cruxmap/present/b.py": "import cruxmap.core.a as a\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    edges = imports(tmp_path)
    assert edges == {
        ("cruxmap.core.a", "cruxmap.present.b"),
        ("cruxmap.core.a", "cruxmap.api"),
        ("cruxmap.core.a", "cruxmap.core.c"),
        ("cruxmap.core.c", "cruxmap.present.b"),
        ("cruxmap.core.c", "cruxmap"),
        ("cruxmap.api", "cruxmap.core.c"),
        ("cruxmap.present.b", "cruxmap.core.a"),
    }
    assert len(problems(edges, frozenset())) == 5  # four imports up a layer, one cycle
