"""Graphviz layout time of tangled maps, with and without the cheap layout
that `cruxmap render` gives big maps (issue 14 #14).

    python benchmarks/render_layout.py                 # 150 claims, dot and graphviz-pure
    python benchmarks/render_layout.py 90 150 --engine dot --limit 300

For each size it writes a deterministic tangled map (each concluded claim
has 1-3 reductions of 2-5 premises drawn from anywhere below it), makes its
DOT with ``cruxmap render --format dot``, and times the Graphviz program on
that DOT as drawn (the cheap layout applies when the map is over
``render.BIG_MAP`` nodes or ``render.BIG_MAP_EDGES`` edges) and with the
cheap-layout attributes removed, each run capped at ``--limit`` seconds.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def tangle(n: int, seed: int = 1) -> str:
    """A map of ``n`` claims whose reductions take premises from anywhere below."""
    r = random.Random(seed)
    lines = []
    leaves = max(3, n // 4)
    for i in range(n):
        lines.append(f'claim c{i}: "Claim number {i} about a thing that matters"')
        if i < leaves:
            lines.append(f"    assume: {r.choice(['partial', 'good', 'great'])}")
    for i in range(leaves, n):
        for _ in range(r.randint(1, 3)):
            premises = r.sample(range(i), min(i, r.randint(2, 5)))
            listed = ", ".join(f"c{p} >= {r.choice(['partial', 'good'])}" for p in premises)
            lines.append(f"c{i} reduces to {listed}")
    lines.extend(f"goal c{g} >= partial" for g in range(n - 3, n))
    return "\n".join(lines) + "\n"


def time_layout(engine: str, dot: str, limit: float) -> str:
    start = time.perf_counter()
    try:
        subprocess.run([engine, "-Tsvg"], input=dot.encode(), capture_output=True, check=True,
                       timeout=limit)  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"> {limit:.0f} s"
    return f"{time.perf_counter() - start:.1f} s"


def main() -> None:
    from cruxmap.present import render

    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int, default=[150])
    ap.add_argument("--engine", action="append", default=None)
    ap.add_argument("--limit", type=float, default=300)
    args = ap.parse_args()
    engines = args.engine or ["dot", "graphviz-pure"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text("")
        for n in args.sizes:
            path = root / f"tangle{n}.crux"
            path.write_text(tangle(n))
            dot = subprocess.run(
                [sys.executable, "-m", "cruxmap", "render", str(path), "--format", "dot", "-o", "-"],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            edges = dot.count(" -> ")
            cheap = render.CHEAP_LAYOUT in dot
            full = dot.replace(render.CHEAP_LAYOUT, "")
            print(f"{n} claims, {path.stat().st_size / 1024:.1f} KB, {edges} edges, "
                  f"cheap layout {'on' if cheap else 'off'}")  # fmt: skip
            for engine in engines:
                print(f"  {engine:14} as drawn {time_layout(engine, dot, args.limit):>9}   "
                      f"full layout {time_layout(engine, full, args.limit):>9}")  # fmt: skip


if __name__ == "__main__":
    main()
