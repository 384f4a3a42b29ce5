"""Sanity checks of the reference implementation itself (no cruxmap needed)."""

from __future__ import annotations

import itertools

import networkx as nx
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from randmaps import crux_maps, scenarios
from reference import (
    CruxMap,
    Objection,
    Reduction,
    analyse,
    fixpoint,
    goals_of,
    objection_status,
    support,
    values,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def graph(m: CruxMap) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(m.claims)
    for r in m.reductions:
        for p, _ in r.premises:
            g.add_edge(p, r.conclusion)
    return g


def step(m: CruxMap, v: dict[str, int]) -> dict[str, int]:
    """One application of the SPEC equations (no scenario)."""
    out = {}
    for c, a in m.claims.items():
        rs = [r for r in m.reductions if r.conclusion == c]
        if not rs:
            out[c] = m.idx(a, m.top)
            continue
        best = 0
        for r in rs:
            if all(v[p] >= m.idx(t, m.top) for p, t in r.premises):
                best = max(best, m.idx(r.yields, m.top))
        out[c] = best
    return out


# -- tiny hand checks -------------------------------------------------------


def test_bare_reduction_needs_top():
    m = CruxMap(
        claims={"alignment": None, "interp": "great"},
        reductions=[Reduction("r", "alignment", (("interp", None),))],
    )
    assert values(m) == {"alignment": "none", "interp": "great"}
    m2 = CruxMap(
        claims={"alignment": None, "interp": "great"},
        reductions=[Reduction("r", "alignment", (("interp", "good"),))],
    )
    assert values(m2)["alignment"] == "perfect"


def test_self_loop_with_bottom_threshold_and_plain_cycle():
    m = CruxMap(
        claims={"a": None, "b": None},
        reductions=[
            Reduction("r1", "a", (("a", "none"),)),
            Reduction("r2", "b", (("a", "none"),)),
        ],
    )
    # thresholds of `none` are always met, so a and b are lifted (a fires on itself
    # because v(a)=none >= none): the least fixed point is top for both.
    assert values(m) == {"a": "perfect", "b": "perfect"}
    m2 = CruxMap(
        claims={"a": None, "b": None},
        reductions=[
            Reduction("r1", "a", (("b", "partial"),)),
            Reduction("r2", "b", (("a", "partial"),)),
        ],
    )
    assert values(m2) == {"a": "none", "b": "none"}


def test_scenario_overrides_leaf_and_conclusion():
    m = CruxMap(
        claims={"g": None, "a": "good"},
        reductions=[Reduction("r", "g", (("a", "good"),), "great")],
    )
    assert values(m, {"a": "perfect"}) == {"g": "great", "a": "perfect"}
    assert values(m, {"g": "partial"}) == {"g": "partial", "a": "good"}
    # SPEC v0.2: an override takes the claim at its level whatever its routes give.
    assert values(m, {"g": "perfect"}) == {"g": "perfect", "a": "good"}
    assert values(m, {"a": "partial"}) == {"g": "none", "a": "partial"}
    assert values(m, {"a": "partial", "g": "good"}) == {"g": "good", "a": "partial"}


def test_override_lifts_a_cycle_member():
    m = CruxMap(
        claims={"a": None, "b": None},
        reductions=[
            Reduction("r1", "a", (("b", "partial"),)),
            Reduction("r2", "b", (("a", "partial"),)),
        ],
    )
    assert values(m, {"a": "good"}) == {"a": "good", "b": "perfect"}


def test_objection_labels():
    m = CruxMap(
        claims={"x": None},
        objections=[
            Objection("a", "claim", "x"),
            Objection("b", "objection", "a"),
            Objection("c", "objection", "b"),
            Objection("p", "objection", "q"),
            Objection("q", "objection", "p"),
            Objection("s", "objection", "s"),
        ],
    )
    assert objection_status(m) == {
        "a": "in",
        "b": "out",
        "c": "in",
        "p": "undecided",
        "q": "undecided",
        "s": "undecided",
    }


def test_default_goals():
    m = CruxMap(
        claims={"t": None, "m": None, "l": None, "u": None},
        reductions=[Reduction("r1", "t", (("m", None),)), Reduction("r2", "m", (("l", None),))],
    )
    assert goals_of(m) == {"t": 1}


# -- properties over random maps --------------------------------------------


@SETTINGS
@given(crux_maps())
def test_fixpoint_is_a_fixed_point(gm):
    m = gm.map
    v = fixpoint(m)
    assert step(m, v) == v


@settings(max_examples=80, deadline=None)
@given(crux_maps(max_claims=5))
def test_fixpoint_is_least_by_enumeration(gm):
    m = gm.map
    inner = sorted(m.concluded())
    assume(len(inner) <= 4)
    v = fixpoint(m)
    leaves = {c: m.idx(a, m.top) for c, a in m.claims.items() if c not in m.concluded()}
    n_fixed = 0
    for combo in itertools.product(range(len(m.scale)), repeat=len(inner)):
        w = {**leaves, **dict(zip(inner, combo, strict=True))}
        if step(m, w) == w:
            n_fixed += 1
            assert all(v[c] <= w[c] for c in m.claims), (v, w)
    assert n_fixed >= 1


@SETTINGS
@given(crux_maps())
def test_acyclic_maps_match_a_topological_pass(gm):
    m = gm.map
    g = graph(m)
    assume(nx.is_directed_acyclic_graph(g))
    v: dict[str, int] = {}
    for c in nx.topological_sort(g):
        rs = [r for r in m.reductions if r.conclusion == c]
        if not rs:
            v[c] = m.idx(m.claims[c], m.top)
        else:
            v[c] = max(
                m.idx(r.yields, m.top) if all(v[p] >= m.idx(t, m.top) for p, t in r.premises) else 0
                for r in rs
            )
    assert fixpoint(m) == v


@SETTINGS
@given(crux_maps())
def test_support_is_networkx_ancestors(gm):
    m = gm.map
    g = graph(m)
    for c in m.claims:
        assert support(m, c) == nx.ancestors(g, c) - {c}


@SETTINGS
@given(st.data())
def test_analysis_is_internally_consistent(data):
    m = data.draw(crux_maps()).map
    sets = data.draw(st.one_of(st.none(), scenarios(m)))
    rep = analyse(m, sets)
    rep2 = analyse(m, sets, depth=2, max_order=2)
    idx = m.scale.index
    leaves = m.leaves()
    for g, e in rep["goals"].items():
        assert e["baseline"] == rep["claims"][g]["baseline"]
        if e["status"] == "fails":
            assert "premises" not in e
            continue
        assert set(e["premises"]) == support(m, g)
        singletons = {x[0] for x in e["cut_sets"] if len(x) == 1}
        for p, pe in e["premises"].items():
            assert pe["baseline"] == rep["claims"][p]["baseline"]
            if pe["margin"] is None:
                assert pe["breaks_at"] is None
            else:
                assert idx(pe["breaks_at"]) == idx(pe["baseline"]) - pe["margin"] - 1
            # brittle <=> {p} is a cut set at depth 1
            assert (pe["margin"] == 0) == (p in singletons)
            # depth-2 singleton cut set <=> margin < 2
            sing2 = {x[0] for x in rep2["goals"][g]["cut_sets"] if len(x) == 1}
            assert (pe["margin"] is not None and pe["margin"] < 2) == (p in sing2)
            if p in leaves and e["uniform_margin"] is not None:
                assert pe["margin"] is None or pe["margin"] >= e["uniform_margin"]
            if p in leaves and e["uniform_margin"] is None:
                assert pe["margin"] is None
        sizes = [len(x) for x in e["cut_sets"]]
        assert sizes == sorted(sizes)
        fs = [frozenset(x) for x in e["cut_sets"]]
        assert len(set(fs)) == len(fs)
        assert not any(a < b for a in fs for b in fs)


@SETTINGS
@given(st.data())
def test_raising_a_leaf_never_lowers_anything(data):
    gm = data.draw(crux_maps())
    m = gm.map
    leaves = sorted(m.leaves())
    assume(leaves)
    leaf = data.draw(st.sampled_from(leaves))
    cur = m.idx(m.claims[leaf], m.top)
    assume(cur < m.top)
    new = data.draw(st.integers(cur + 1, m.top))
    m2 = CruxMap(
        claims={**m.claims, leaf: m.scale[new]},
        reductions=m.reductions,
        goals=m.goals,
        objections=m.objections,
        scale=m.scale,
    )
    a, b = analyse(m), analyse(m2)
    for c in m.claims:
        assert m.scale.index(b["claims"][c]["baseline"]) >= m.scale.index(
            a["claims"][c]["baseline"]
        )
    for g in a["goals"]:
        for k in ("baseline",):
            assert m.scale.index(b["goals"][g][k]) >= m.scale.index(a["goals"][g][k])
        lo, hi = a["goals"][g]["with_objections"], b["goals"][g]["with_objections"]
        assert m.scale.index(hi["level"]) >= m.scale.index(lo["level"])


@SETTINGS
@given(crux_maps())
def test_rendered_text_shape(gm):
    m = gm.map
    lines = gm.text.splitlines()
    for ln in lines:
        assert ln == "" or ln[0] != " " or (ln.startswith("    ") and ": " in ln)
    for c in m.claims:
        assert f"claim {c}: " in gm.text
    for r in m.reductions:
        if "#" not in r.id:
            assert f"reduction {r.id}: {r.conclusion} reduces to " in gm.text
    for o in m.objections:
        assert f"objection {o.id}: " in gm.text
    assert sum(ln.startswith("goal ") for ln in lines) == len(m.goals)
