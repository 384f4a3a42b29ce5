"""Repairs against brute force on random small maps.

For every failing goal, the repairs ``cruxmap.core.repairs`` lists are compared
with the minimal ones found by trying every raise of up to ``k`` leaves with
the independent reference semantics (tests/reference.py): each listed repair
makes the goal hold, is minimal, and none is missing up to the order. The
same for the slack of brittle premises of holding goals.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from randmaps import crux_maps, scenarios
from reference import CruxMap, fixpoint, goals_of, objections_scenario, support

from cruxmap.core import repairs as rp
from cruxmap.core.lint import check_map
from cruxmap.core.loader import Loader
from cruxmap.core.mapresult import MapResult
from cruxmap.core.options import Options
from cruxmap.core.semantics import Scenario, evaluate
from cruxmap.core.semantics import objections_scenario as objections_scenario_of

N = settings.default.max_examples * 6 // 5  # the hypothesis profile's, 120 by default
SETTINGS = settings(
    max_examples=N,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SMALL = crux_maps(max_claims=7, max_levels=5, max_reductions=8)


def analysed(text: str, sets: dict[str, str], objections: bool) -> MapResult:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "map.crux"
        path.write_text(text, encoding="utf-8")
        amap, diags = Loader().load_map(path)
    res = check_map(amap, diags, Options(scenario=dict(sets), objections=objections))
    assert res.analysed, [d.message for d in res.diagnostics]
    if getattr(res, "scenario", None) is None:
        g = res.graph
        assert g is not None
        sc = Scenario({g.index[c]: g.levels.index(lv) for c, lv in sets.items()})
        if objections:
            sc, _ = objections_scenario_of(g, amap, res.statuses, sc)
            res.values = evaluate(g, sc)
            from cruxmap.core.robustness import Analysis

            pairs = [(g.index[x.claim], g.levels.index(x.required)) for x in res.goals]
            res.results = Analysis(g, sc).goals(pairs)
        res.scenario = sc  # type: ignore[attr-defined]
    return res


def brute_force(
    m: CruxMap,
    goal: str,
    req: int,
    sets: dict[str, int],
    caps: dict[str, int],
    removed: frozenset[str],
    k: int,
    weaken: str | None = None,
) -> set[frozenset[tuple[str, str]]]:
    """Every minimal raise of at most ``k`` leaves making ``goal`` hold."""
    caps = dict(caps)
    cur = fixpoint(m, sets, caps, removed)
    if weaken is not None:
        caps[weaken] = min(caps.get(weaken, m.top), max(cur[weaken] - 1, 0))
    leaves = sorted(
        c for c in m.leaves() & (support(m, goal) | {goal}) if c != weaken and cur[c] < m.top
    )

    def holds(raises: dict[str, int]) -> bool:
        return fixpoint(m, {**sets, **raises}, caps, removed)[goal] >= req

    if holds({}):
        return {frozenset()}
    found: set[frozenset[tuple[str, str]]] = set()
    for size in range(1, k + 1):
        for subset in itertools.combinations(leaves, size):
            for levels in itertools.product(*(range(cur[c] + 1, m.top + 1) for c in subset)):
                raises = dict(zip(subset, levels, strict=True))
                if not holds(raises):
                    continue
                minimal = True
                for c in subset:
                    lower = dict(raises)
                    if raises[c] - 1 <= cur[c]:
                        del lower[c]
                    else:
                        lower[c] -= 1
                    if holds(lower):
                        minimal = False
                        break
                if minimal:
                    found.add(frozenset((c, m.scale[lv]) for c, lv in raises.items()))
    return found


def listed(res: MapResult, search: rp.RepairSearch) -> set[frozenset[tuple[str, str]]]:
    g = res.graph
    assert g is not None
    return {frozenset((g.names[c], g.levels[lv]) for c, lv in r.raises) for r in search.repairs}


def check_repairs(
    m: CruxMap, text: str, sets_named: dict[str, str], objections: bool, k: int
) -> None:
    res = analysed(text, sets_named, objections)
    g = res.graph
    assert g is not None
    sets = {c: m.scale.index(lv) for c, lv in sets_named.items()}
    caps: dict[str, int] = {}
    removed: frozenset[str] = frozenset()
    if objections:
        caps, removed = objections_scenario(m)
    scenario = res.scenario
    assert scenario is not None
    for goal, req in goals_of(m).items():
        c = g.index[goal]
        gr = res.results[c]
        if not gr.holds:
            search = rp.search(g, scenario, res.values, c, req, k)
            assert search.complete
            want = brute_force(m, goal, req, sets, caps, removed, k)
            got = listed(res, search)
            assert got == want, f"goal {goal}: listed {got}, brute force {want}\n{text}"
            order = [(len(r.raises), r.steps) for r in search.repairs]
            assert order == sorted(order), order
        else:
            for p, pr in gr.premises.items():
                if not pr.brittle:
                    continue
                search = rp.search(g, scenario, res.values, c, req, k, weaken=p)
                want = brute_force(m, goal, req, sets, caps, removed, k, weaken=g.names[p])
                got = listed(res, search)
                assert got == want, f"slack of {g.names[p]} for {goal}: {got} vs {want}\n{text}"


@SETTINGS
@given(SMALL, st.integers(1, 3))
def test_repairs_match_brute_force(gm, k):
    check_repairs(gm.map, gm.text, {}, False, k)


@SETTINGS
@given(st.data())
def test_repairs_match_brute_force_in_scenarios(data):
    gm = data.draw(SMALL)
    sets = data.draw(scenarios(gm.map))
    objections = data.draw(st.booleans())
    check_repairs(gm.map, gm.text, sets, objections, 2)


def test_budget_cut_is_reported():
    """A search that runs out of budget says so instead of claiming none exist."""
    leaves = [f"l{i}" for i in range(12)]
    claims = "\n".join(f'claim {c}: "x"\n    assume: none' for c in leaves)
    prem = ", ".join(f"{c} >= good" for c in leaves)
    text = f'{claims}\nclaim goal_c: "g"\ngoal_c reduces to {prem}\ngoal goal_c >= good\n'
    res = analysed(text, {}, False)
    g = res.graph
    assert g is not None and res.scenario is not None
    c = g.index["goal_c"]
    search = rp.search(g, res.scenario, res.values, c, 2, 3, budget=10)
    assert not search.complete
    full = rp.search(g, res.scenario, res.values, c, 2, 3)
    assert full.complete and full.repairs == []  # needs all 12: none up to order 3


@SETTINGS
@given(SMALL)
def test_threshold_repairs_match_brute_force(gm):
    """Each single threshold lowered to its premise's value, with the
    reference semantics: exactly those that make the goal hold are listed."""
    from dataclasses import replace

    m = gm.map
    res = analysed(gm.text, {}, False)
    g = res.graph
    assert g is not None and res.scenario is not None
    cur = fixpoint(m)
    for goal, req in goals_of(m).items():
        c = g.index[goal]
        if res.results[c].holds:
            continue
        found, complete = rp.threshold_repairs(g, res.scenario, res.values, c, req)
        assert complete
        got = {(g.routes[t.route].id, g.names[t.premise]) for t in found}
        want = set()
        sup = support(m, goal) | {goal}
        for i, r in enumerate(m.reductions):
            if r.conclusion not in sup:
                continue
            for j, (p, t) in enumerate(r.premises):
                if cur[p] >= m.idx(t, m.top):
                    continue
                prem = list(r.premises)
                prem[j] = (p, m.scale[cur[p]])
                reds = list(m.reductions)
                reds[i] = replace(r, premises=tuple(prem))
                if fixpoint(replace(m, reductions=reds))[goal] >= req:
                    want.add((r.id, p))
        assert got == want, f"goal {goal}: {got} vs {want}\n{gm.text}"
