"""The fast paths of the robustness analysis against plain re-evaluation.

Margins come from post-dominators and cut sets from a bottom-up MOCUS; both
must agree with the definition (cap the premises, recompute the least fixed
point, look at the goal) on maps larger and more tangled than the random
maps of the reference tests: the benchmark generator's layered maps with
shared premises and alternative routes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cruxmap.graph import build, goals
from cruxmap.loader import Loader
from cruxmap.robustness import Analysis, _Mocus
from cruxmap.semantics import Scenario

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from generate import generate


def analyses(tmp_path: Path, n: int, seed: int, depth: int):
    path = tmp_path / f"m{seed}.crux"
    path.write_text(generate(n, seed))
    amap, diags = Loader().load_map(path)
    assert not [d for d in diags if d.severity == "error"]
    g = build(amap)
    a = Analysis(g, Scenario(), depth=depth, max_order=3)
    for goal in goals(amap):
        c, req = g.index[goal.claim], g.levels.index(goal.required)
        if a.values[c] >= req:
            yield a, c, req, g.ancestors(c)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("depth", [1, 2])
def test_fast_margins_and_cut_sets_match_reevaluation(
    tmp_path: Path, seed: int, depth: int
) -> None:
    for a, goal, req, support in analyses(tmp_path, 40, seed, depth):
        fast = a._need_by_dominators(goal, req, support)
        slow = a._need_by_evaluation(goal, req, support)
        assert {p: fast.get(p, 0) for p in support} == {p: slow.get(p, 0) for p in support}
        spf = {p for p in support if a._lowered(p) < fast.get(p, 0)}
        mocus = {frozenset(s) for s in _Mocus(a, goal, spf).family(goal, req)}
        brute = {frozenset(s) for s in a._cut_sets_by_evaluation(goal, req, support, spf)}
        assert {s for s in mocus if len(s) >= 2} == brute
        assert all(len(s) >= 2 for s in mocus)  # order 1 comes from the margins


def test_generator_yields_holding_goals_to_compare(tmp_path: Path) -> None:
    """Guards the test above against passing vacuously."""
    assert sum(1 for seed in range(12) for _ in analyses(tmp_path, 40, seed, 1)) >= 6
