"""Property tests: the real tool agrees with the reference implementation.

Random small maps (tests/randmaps.py) are written as ``.crux`` text, checked
with ``cruxmap check --format json`` in-process, and the report is compared
with ``tests/reference.py`` run on the in-memory description of the same map.
The hypothesis profile (``--hypothesis-profile``) sets the examples per test.
"""

from __future__ import annotations

import networkx as nx
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from randmaps import (
    GeneratedMap,
    concluded_scenarios,
    crux_maps,
    minimise,
    render,
    run_check,
    scenarios,
    shaped_maps,
    text_of,
)
from reference import CruxMap, analyse

# Examples per property: the hypothesis profile's (``--hypothesis-profile``).
N = settings.default.max_examples * 3 // 2
# No shrink phase: failures are minimised by randmaps.minimise instead, which is
# much faster than hypothesis shrinking on this generator.
SETTINGS = settings(
    max_examples=N,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ANALYSIS_KEYS = ("premises", "cut_sets", "uniform_margin")


def compare(expected: dict, actual: dict) -> list[str]:
    """Every way ``actual`` (tool JSON) differs from ``expected`` (reference)."""
    errs: list[str] = []
    if actual.get("scale") != expected["scale"]:
        errs.append(f"scale: expected {expected['scale']}, got {actual.get('scale')}")

    claims = actual.get("claims", {})
    if set(claims) != set(expected["claims"]):
        errs.append(f"claims: keys {sorted(claims)} != {sorted(expected['claims'])}")
    for c, e in expected["claims"].items():
        got = claims.get(c, {}).get("baseline")
        if got != e["baseline"]:
            errs.append(f"claims.{c}.baseline: expected {e['baseline']!r}, got {got!r}")

    goals = actual.get("goals", {})
    if set(goals) != set(expected["goals"]):
        errs.append(f"goals: keys {sorted(goals)} != {sorted(expected['goals'])}")
    for g, e in expected["goals"].items():
        a = goals.get(g)
        if a is not None:
            errs += _compare_goal(g, e, a)

    if actual.get("objections") != expected["objections"]:
        errs.append(
            f"objections: expected {expected['objections']}, got {actual.get('objections')}"
        )
    return errs


def _compare_goal(g: str, e: dict, a: dict) -> list[str]:
    """How goal ``g`` in the tool's JSON (``a``) differs from the reference's (``e``)."""
    errs: list[str] = []
    for k in ("required", "baseline", "status", "with_objections"):
        if a.get(k) != e[k]:
            errs.append(f"goals.{g}.{k}: expected {e[k]!r}, got {a.get(k)!r}")
    if e["status"] == "fails":
        for k in ANALYSIS_KEYS:
            if k in a:
                errs.append(f"goals.{g}.{k}: should be left out (goal fails), got {a[k]!r}")
        return errs
    for k in ANALYSIS_KEYS:
        if k not in a:
            errs.append(f"goals.{g}.{k}: missing")
    errs += _compare_premises(g, e["premises"], a.get("premises", {}))
    if "cut_sets" in a:
        errs += _compare_cut_sets(g, e["cut_sets"], a["cut_sets"])
    if "uniform_margin" in a and a["uniform_margin"] != e["uniform_margin"]:
        errs.append(
            f"goals.{g}.uniform_margin: expected {e['uniform_margin']!r}, "
            f"got {a['uniform_margin']!r}"
        )
    return errs


def _compare_premises(g: str, expected: dict, prem: dict) -> list[str]:
    """How goal ``g``'s premises differ: the support, and each premise's margin."""
    errs: list[str] = []
    if set(prem) != set(expected):
        errs.append(f"goals.{g}.premises: keys {sorted(prem)} != support {sorted(expected)}")
    for p, pe in expected.items():
        pa = prem.get(p)
        if pa is None:
            continue
        for k in ("baseline", "margin", "breaks_at"):
            if pa.get(k) != pe[k]:
                errs.append(f"goals.{g}.premises.{p}.{k}: expected {pe[k]!r}, got {pa.get(k)!r}")
        if "brittle" in pa and pa["brittle"] != (pe["margin"] == 0):
            errs.append(f"goals.{g}.premises.{p}.brittle: got {pa['brittle']!r}")
    return errs


def _compare_cut_sets(g: str, expected: list, got_cs: list) -> list[str]:
    """How goal ``g``'s cut sets differ: as sets, without duplicates, smallest first."""
    errs: list[str] = []
    want = {frozenset(x) for x in expected}
    got = {frozenset(x) for x in got_cs}
    if got != want:
        errs.append(
            f"goals.{g}.cut_sets: expected {sorted(map(sorted, want))}, "
            f"got {got_cs!r} (missing {sorted(map(sorted, want - got))}, "
            f"extra {sorted(map(sorted, got - want))})"
        )
    elif len(got_cs) != len(got):
        errs.append(f"goals.{g}.cut_sets: duplicates in {got_cs!r}")
    sizes = [len(x) for x in got_cs]
    if sizes != sorted(sizes):
        errs.append(f"goals.{g}.cut_sets: not smallest first: {got_cs!r}")
    return errs


def set_args(sets: dict[str, str] | None) -> list[str]:
    out: list[str] = []
    for c, lv in (sets or {}).items():
        out += ["--set", f"{c}={lv}"]
    return out


def disagreements(
    text: str,
    m: CruxMap,
    sets: dict[str, str] | None = None,
    depth: int = 1,
    max_order: int = 3,
) -> tuple[list[str], list[str]]:
    """(every disagreement between tool and reference, the CLI args used)."""
    args = set_args(sets)
    if depth != 1:
        args += ["--depth", str(depth)]
    if max_order != 3:
        args += ["--max-order", str(max_order)]
    rc, report, _ = run_check(text, args)
    expected = analyse(m, sets, depth=depth, max_order=max_order)
    errs = []
    if rc not in (0, 1):
        errs.append(f"exit status {rc}")
    bad = [d for d in report.get("diagnostics", []) if str(d.get("code", "")).startswith("CX0")]
    if bad:
        errs.append(f"error diagnostics on a valid map: {bad}")
    errs += compare(expected, report)
    return errs, args


def check_agreement(
    gm: GeneratedMap,
    sets: dict[str, str] | None = None,
    depth: int = 1,
    max_order: int = 3,
) -> None:
    errs, args = disagreements(gm.text, gm.map, sets, depth, max_order)
    if not errs:
        return
    # Hypothesis shrinking is slow here (it is switched off), so shrink by hand.
    small = minimise(
        gm.map,
        lambda v: bool(disagreements(text_of(v), v, sets, depth, max_order)[0]),
        keep=set(sets or ()),
    )
    small_errs, _ = disagreements(text_of(small), small, sets, depth, max_order)
    raise AssertionError(
        "cruxmap disagrees with the reference\n  "
        + "\n  ".join(errs)
        + f"\nargs: {args}\nmap:\n{gm.text}"
        + "\n----- minimised map -----\n  "
        + "\n  ".join(small_errs)
        + f"\nargs: {args}\nmap:\n{text_of(small)}"
    )


@SETTINGS
@given(crux_maps())
def test_baseline_agrees(gm):
    check_agreement(gm)


@SETTINGS
@given(st.data())
def test_scenario_agrees(data):
    gm = data.draw(crux_maps())
    sets = data.draw(scenarios(gm.map))
    check_agreement(gm, sets)


@settings(SETTINGS, max_examples=max(1, N * 2 // 3))
@given(crux_maps())
def test_depth2_order2_agrees(gm):
    check_agreement(gm, depth=2, max_order=2)


@SETTINGS
@given(st.data())
def test_scenario_pinning_concluded_claims_agrees(data):
    """SPEC v0.2: ``--set`` on a concluded claim takes it at that level,
    above or below what its routes give, cycles included."""
    gm = data.draw(st.one_of(crux_maps(), shaped_maps()))
    sets = data.draw(concluded_scenarios(gm.map))
    check_agreement(gm, sets)


@SETTINGS
@given(shaped_maps())
def test_benchmark_shapes_agree(gm):
    """The shapes the bitset engine was built for (issue 8) at small sizes."""
    check_agreement(gm)


@settings(SETTINGS, max_examples=max(1, N * 2 // 3))
@given(shaped_maps(), st.integers(1, 3), st.integers(1, 4))
def test_benchmark_shapes_depth_and_order_agree(gm, depth, max_order):
    check_agreement(gm, depth=depth, max_order=max_order)


@settings(SETTINGS, max_examples=max(1, N * 2 // 3))
@given(crux_maps())
def test_headline_diagnostics_agree(gm):
    """CX101/2/3/5 appear exactly when the reference says they should; CX104 roughly."""
    rc, report, _ = run_check(gm.text)
    ref = analyse(gm.map)
    codes = {d.get("code") for d in report.get("diagnostics", [])}
    failing = any(e["status"] == "fails" for e in ref["goals"].values())
    brittle = any(
        p["margin"] == 0
        for e in ref["goals"].values()
        if e["status"] == "holds"
        for p in e["premises"].values()
    )
    g = nx.DiGraph()
    g.add_edges_from((p, r.conclusion) for r in gm.map.reductions for p, _ in r.premises)
    cyclic = not nx.is_directed_acyclic_graph(g)
    slack_spof = any(
        p["margin"] is not None and p["margin"] > 0
        for e in ref["goals"].values()
        if e["status"] == "holds"
        for p in e["premises"].values()
    )
    errs = []
    for code, want in (
        ("CX101", brittle),
        ("CX102", failing),
        ("CX103", cyclic),
        ("CX105", slack_spof),
    ):
        if (code in codes) != want:
            errs.append(f"{code}: expected {'present' if want else 'absent'}")
    # CX104: a goal fails in the objections scenario.  Whether it is also given
    # for goals that fail at baseline anyway is left open; test only the rest.
    wo_fail = [g for g, e in ref["goals"].items() if e["with_objections"]["status"] == "fails"]
    newly = [g for g in wo_fail if ref["goals"][g]["status"] == "holds"]
    if newly and "CX104" not in codes:
        errs.append(f"CX104 missing: goals {newly} fail only with objections")
    if "CX104" in codes and not wo_fail:
        errs.append("CX104 given but no goal fails in the objections scenario")
    if failing and rc != 1:
        errs.append(f"a goal fails (CX102, error) but exit status is {rc}")
    assert not errs, (
        "\n".join(errs) + f"\ndiagnostics: {report.get('diagnostics')}\nmap:\n{gm.text}"
    )


@SETTINGS
@given(st.data())
def test_raising_a_leaf_assume_never_lowers_a_goal(data):
    gm = data.draw(crux_maps())
    m = gm.map
    leaves = sorted(m.leaves())
    assume(leaves)
    leaf = data.draw(st.sampled_from(leaves))
    cur = m.idx(m.claims[leaf], m.top)
    assume(cur < m.top)
    new = m.scale[data.draw(st.integers(cur + 1, m.top))]
    m2 = CruxMap(
        claims={**m.claims, leaf: new},
        reductions=m.reductions,
        goals=m.goals,
        objections=m.objections,
        scale=m.scale,
    )
    custom = gm.text.startswith("scale:")
    gm2 = GeneratedMap(m2, render(m2, custom_scale=custom))
    rank = m.scale.index
    ref_lo, ref_hi = analyse(m), analyse(m2)
    _, lo, _ = run_check(gm.text)
    _, hi, _ = run_check(gm2.text)
    errs = []
    for who, a, b in (("reference", ref_lo, ref_hi), ("cruxmap", lo, hi)):
        for g in a.get("goals", {}):
            if g not in b.get("goals", {}):
                errs.append(f"{who}: goal {g} disappeared")
                continue
            x, y = a["goals"][g], b["goals"][g]
            if rank(y["baseline"]) < rank(x["baseline"]):
                errs.append(f"{who}: goal {g} fell from {x['baseline']} to {y['baseline']}")
            xo, yo = x["with_objections"]["level"], y["with_objections"]["level"]
            if rank(yo) < rank(xo):
                errs.append(f"{who}: goal {g} with objections fell from {xo} to {yo}")
    assert not errs, "\n".join(errs) + f"\nraised {leaf} to {new}\nmap:\n{gm.text}"
