"""The bitset robustness pass against plain re-evaluation, on every benchmark shape.

Margins and cut sets come from one bottom-up pass over failure sets; they
must agree with the definition (cap the premises, recompute the least fixed
point, look at the goal) on maps larger and more tangled than the random maps
of the reference tests: the benchmark generators' shapes (wide sharing, a
hub, stacked diamonds, many goals, rings, back edges) at small sizes.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from generate import SHAPES, generate  # benchmarks/ is on pytest's pythonpath

from cruxmap.core.graph import build, goals
from cruxmap.core.loader import BLOCKING, Loader
from cruxmap.core.robustness import Analysis
from cruxmap.core.semantics import Scenario, evaluate


def load(tmp_path: Path, text: str):
    path = tmp_path / "m.crux"
    path.write_text(text)
    amap, diags = Loader().load_map(path)
    assert not [d for d in diags if d.code in BLOCKING]
    return amap, build(amap)


def holds_with(a: Analysis, goal: int, req: int, caps: dict[int, int]) -> bool:
    ceil = list(a.ceil)
    for c, lv in caps.items():
        ceil[c] = min(ceil[c], lv)
    return evaluate(a.g, a.scenario, ceil)[goal] >= req


def brute_force(a: Analysis, goal: int, req: int, max_order: int):
    """(need per premise, minimal cut sets up to max_order) by definition."""
    support = sorted(a.g.ancestors(goal))
    need = {}
    for p in support:
        need[p] = next(
            (lv for lv in range(a.values[p] + 1) if holds_with(a, goal, req, {p: lv})),
            a.values[p],
        )
    cands = [p for p in support if a._lowered(p) < a.values[p]]
    found: list[frozenset[int]] = []
    for k in range(1, max_order + 1):
        for combo in itertools.combinations(cands, k):
            s = frozenset(combo)
            if any(f <= s for f in found):
                continue
            if not holds_with(a, goal, req, {p: a._lowered(p) for p in combo}):
                found.append(s)
    return need, {s for s in found}


def check(a: Analysis, goal_pairs: list[tuple[int, int]], max_order: int) -> int:
    results = a.goals(goal_pairs)
    compared = 0
    for c, req in goal_pairs:
        res = results[c]
        if not res.holds:
            continue
        need, cuts = brute_force(a, c, req, max_order)
        assert set(res.premises) == set(need)
        for p, pr in res.premises.items():
            want = (None, None) if need[p] == 0 else (a.values[p] - need[p], need[p] - 1)
            assert (pr.margin, pr.breaks_at) == want, (a.g.names[p], pr, need[p])
        assert res.cut_sets_complete
        assert {frozenset(s) for s in res.cut_sets} == cuts
        compared += 1
    return compared


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("seed", range(4))
def test_shapes_match_reevaluation(tmp_path: Path, shape: str, seed: int) -> None:
    n = {"goals200": 40, "orwide": 16}.get(shape, 30)
    amap, g = load(tmp_path, generate(n, seed, shape))
    pairs = [(g.index[x.claim], g.levels.index(x.required)) for x in goals(amap)]
    depth = 1 + seed % 2
    a = Analysis(g, Scenario(), depth=depth, max_order=2)
    assert check(a, pairs, 2) >= 1  # not vacuous: some goal holds


@pytest.mark.parametrize("seed", range(4))
def test_order3_and_pinned_claims_match_reevaluation(tmp_path: Path, seed: int) -> None:
    amap, g = load(tmp_path, generate(24, seed, "cycles"))
    pairs = [(g.index[x.claim], g.levels.index(x.required)) for x in goals(amap)]
    concluded = [c for c in range(len(g.names)) if not g.is_leaf(c)]
    pin = {concluded[len(concluded) // 2]: 2, concluded[-1]: g.top}
    a = Analysis(g, Scenario(overrides=pin), depth=1, max_order=3)
    check(a, pairs, 3)


def test_ring_margins_and_budget_flags(tmp_path: Path) -> None:
    """Issue 14 #1: a ring with one way in is exact, with nothing cut."""
    _amap, g = load(tmp_path, generate(800, 0, "ring"))
    goal = g.index["c0"]
    a = Analysis(g, Scenario(), depth=1, max_order=2)
    res = a.goals([(goal, g.levels.index("good"))])[goal]
    assert res.holds and res.cut_sets_complete
    # Every claim on the ring, and the leaf, is a single point of failure:
    # capped at partial the ring (and so the goal) falls to bottom.
    assert len(res.premises) == 800
    for p, pr in res.premises.items():
        assert (pr.margin, pr.breaks_at) == (3, g.levels.index("partial")), g.names[p]
    assert res.cut_sets == []  # one step down (near_perfect) still >= good


@pytest.mark.parametrize("seed", range(3))
def test_larger_cyclic_maps_match_reevaluation(tmp_path: Path, seed: int) -> None:
    """Cyclic components big enough that the fixed-point iteration of the
    families takes many rounds (a bug there once made it climb back up)."""
    amap, g = load(tmp_path, generate(150, seed, "cycles"))
    assert any(g.cyclic)
    pairs = [(g.index[x.claim], g.levels.index(x.required)) for x in goals(amap)][:3]
    a = Analysis(g, Scenario(), depth=1, max_order=2)
    assert check(a, pairs, 2) >= 1


def _check_with_config(tmp_path: Path, text: str, config: str) -> dict:
    """``cruxmap check --format json`` as a user runs it, settings from
    pyproject.toml (which a repository controls: issue 14 #2)."""

    (tmp_path / "pyproject.toml").write_text("[tool.cruxmap]\n" + config)
    (tmp_path / "map.crux").write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "cruxmap", "check", "--format", "json", "map.crux"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr
    out = json.loads(proc.stdout)
    (entry,) = out.get("maps", [out])
    return entry["goals"]


def test_huge_max_order_on_a_cycle_is_exact(tmp_path: Path) -> None:
    """Issue 14 #2: four bare claims in a cycle, max-order 10^12, never
    finished; the order only truncates the families, so it is complete."""
    from run import _cycle4  # benchmarks/ is on sys.path (above)

    goals_ = _check_with_config(tmp_path, _cycle4(), "max-order = 1000000000000\n")
    goal = goals_["a"]
    assert goal["status"] == "holds" and goal["cut_sets_complete"] is True
    assert sorted(map(tuple, goal["cut_sets"])) == [("b",), ("c",), ("d",), ("leaf",)]


def test_alternative_pairs_at_order_64_are_exact(tmp_path: Path) -> None:
    """Issue 14 #2: g <- y0..y11, y_i <- b_i | c_i with max-order 64 ran past
    600 s in the subset search; every {b_i, c_i} is an order-2 cut set."""
    goals_ = _check_with_config(tmp_path, generate(37, 0, "orwide"), "max-order = 64\n")
    goal = goals_["g"]
    assert goal["cut_sets_complete"] is True
    want = {(f"y{i}",) for i in range(12)} | {(f"b{i}", f"c{i}") for i in range(12)}
    assert {tuple(s) for s in goal["cut_sets"]} == want


def test_tangle_at_order_10_depth_4_stops_at_the_budget(tmp_path: Path) -> None:
    """Issue 14 #2: ten alternative routes of ten premises at max-order 10,
    depth 4 has 10^10 cut sets; the search stops at its bound and says so,
    keeping the exact order-1 part (none here: every route is an alternative)."""
    text = ['claim g: "g"\n']
    for i in range(10):
        text += [f'claim p{i}_{j}: "p"\n' for j in range(10)]
        text.append(f"g reduces to {', '.join(f'p{i}_{j} >= good' for j in range(10))}\n")
    goals_ = _check_with_config(
        tmp_path, "".join(text) + "goal g >= good\n", "max-order = 10\ndepth = 4\n"
    )
    goal = goals_["g"]
    assert goal["status"] == "holds"
    assert goal["cut_sets_complete"] is False
    assert goal["cut_sets"] == []
