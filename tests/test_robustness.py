"""The fast paths of the robustness analysis against plain re-evaluation.

Margins come from post-dominators and cut sets from a bottom-up MOCUS; both
must agree with the definition (cap the premises, recompute the least fixed
point, look at the goal) on maps larger and more tangled than the random
maps of the reference tests: the benchmark generator's layered maps with
shared premises and alternative routes.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from cruxmap.graph import build, goals
from cruxmap.loader import BLOCKING, Loader
from cruxmap.robustness import Analysis, _Mocus
from cruxmap.semantics import Scenario

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from generate import generate


def analyses(tmp_path: Path, n: int, seed: int, depth: int, cycles: int = 0):
    path = tmp_path / f"m{seed}.crux"
    text = generate(n, seed)
    rng = random.Random(seed)
    for k in range(cycles):
        # Claims are numbered from the goal down, so a deep claim concluded
        # from a shallower one closes a cycle through the goal's support.
        deep, shallow = sorted(rng.sample(range(1, n), 2), reverse=True)
        text += f'\nreduction back{k}: c{deep} reduces to c{shallow} >= good\n    because: "x"\n'
    path.write_text(text)
    amap, diags = Loader().load_map(path)
    assert not [d for d in diags if d.code in BLOCKING]  # CX006: an assume now concluded
    g = build(amap)
    a = Analysis(g, Scenario(), depth=depth, max_order=3)
    for goal in goals(amap):
        c, req = g.index[goal.claim], g.levels.index(goal.required)
        if a.values[c] >= req:
            yield a, c, req, g.ancestors(c)


def compare_margins(a: Analysis, goal: int, req: int, support: set[int]) -> tuple[bool, dict]:
    """Assert the fast margins equal re-evaluation's; (cyclic, fast needs)."""
    cyclic = any(a.g.in_cycle(n) for n in support | {goal})
    if cyclic:
        a._restrict_to(goal, support | {goal})
    fast = a._need_by_dominators(goal, req, support, cyclic)
    slow = a._need_by_evaluation(goal, req, support)
    assert {p: fast.get(p, 0) for p in support} == {p: slow.get(p, 0) for p in support}
    return cyclic, fast


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("depth", [1, 2])
def test_fast_margins_and_cut_sets_match_reevaluation(
    tmp_path: Path, seed: int, depth: int
) -> None:
    for a, goal, req, support in analyses(tmp_path, 40, seed, depth):
        cyclic, fast = compare_margins(a, goal, req, support)
        if cyclic:
            continue  # cut sets there come from re-evaluation alone
        spf = {p for p in support if a._lowered(p) < fast.get(p, 0)}
        mocus = {frozenset(s) for s in _Mocus(a, goal, spf).family(goal, req)}
        brute = {frozenset(s) for s in a._cut_sets_by_evaluation(goal, req, support, spf)}
        assert {s for s in mocus if len(s) >= 2} == brute
        assert all(len(s) >= 2 for s in mocus)  # order 1 comes from the margins


@pytest.mark.parametrize("seed", range(12))
def test_margins_with_cycles_match_reevaluation(tmp_path: Path, seed: int) -> None:
    """Claims on or behind a cycle are re-evaluated; the rest take the fast path."""
    for a, goal, req, support in analyses(tmp_path, 40, seed, 1, cycles=3):
        compare_margins(a, goal, req, support)


def test_generator_yields_holding_goals_to_compare(tmp_path: Path) -> None:
    """Guards the test above against passing vacuously."""
    assert sum(1 for seed in range(12) for _ in analyses(tmp_path, 40, seed, 1)) >= 6
