"""Why a goal holds or fails, as data: the derivation behind each value.

The engine computes values, margins and cut sets; this module says where
they come from. It reads an analysed map (``lint.MapResult``, reached through
an API ``Result``) and builds, for every claim a goal rests on, a
:class:`ClaimView`: its value and where it comes from (an assumption, a
``--set``, a capping objection, or its routes, each route with every
premise's value against its threshold). It is the pure part of ``cruxmap
explain``: lint's one-line "why it fails" help comes from here, and the
presenters in :mod:`cruxmap.present.explain` turn the views into a text tree,
Markdown or JSON.

A derivation is a DAG, not a tree: a claim shared by two routes is shown once
and later referred back to ("see above"), which also ends cycles. So the
output is linear in the size of the goal's support.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cruxmap.core.graph import ClaimGraph
    from cruxmap.core.mapresult import MapResult
    from cruxmap.core.repairs import RepairSearch
    from cruxmap.core.semantics import Scenario


# --------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class Link:
    """One premise of a route: the claim, the level the route asks of it."""

    claim: int
    threshold: int
    #: No ``>= LEVEL`` was written: the threshold is top.
    bare: bool
    met: bool
    #: Steps the premise is below its threshold (0 when met).
    short: int


@dataclass(slots=True)
class RouteView:
    index: int
    id: str
    yields: int
    premises: list[Link]
    #: Standing objections against this reduction.
    objections: list[str]
    #: The objections are applied (``--objections``): the route is removed.
    removed: bool
    works: bool
    #: A working route whose yield is the claim's computed value.
    carries: bool = False

    @property
    def blocked_by(self) -> list[Link]:
        return [lk for lk in self.premises if not lk.met]


@dataclass(slots=True)
class ClaimView:
    index: int
    name: str
    value: int
    baseline: int
    leaf: bool
    #: A leaf's ``assume`` (top when not written).
    assume: int
    assume_written: bool
    #: ``--set`` level, when the scenario names this claim.
    set_to: int | None
    #: Standing objections against the claim: (id, caps level).
    objections: list[tuple[str, int]]
    #: The objections are applied (``--objections``).
    objections_applied: bool
    routes: list[RouteView] = field(default_factory=list)
    #: What the claim gets before caps and overrides: a leaf's assumption (or
    #: ``--set``), or the best working route's yield.
    computed: int = 0


class Explainer:
    """Views of the claims of one analysed map, built on demand."""

    def __init__(
        self,
        res: MapResult,
        scenario: Scenario | None = None,
        values: list[int] | None = None,
    ) -> None:
        from cruxmap.core.semantics import Scenario, Status

        assert res.graph is not None, "explain needs an analysed map"
        self.res = res
        self.g: ClaimGraph = res.graph
        #: Values in ``scenario`` (default: the analysed ones).
        self.values: list[int] = values if values is not None else res.values
        self.scenario: Scenario = (
            scenario if scenario is not None else getattr(res, "scenario", None) or Scenario()
        )
        base = getattr(res, "base_values", None)
        self.baseline: list[int] = base if base else res.values
        self.levels = self.g.levels
        amap = res.amap
        #: Objections are applied (only they cap claims or remove routes).
        self.applied = bool(self.scenario.removed or self.scenario.caps)
        # Standing objections by target.
        self._claim_obj: dict[int, list[tuple[str, int]]] = {}
        self._route_obj: dict[str, list[str]] = {}
        route_ids = {r.id for r in self.g.routes}
        for oid, st in res.statuses.items():
            if st is not Status.IN:
                continue
            o = amap.objections[oid]
            if o.against in self.g.index:
                lv = self.levels.index(o.caps) if o.caps in self.levels else 0
                self._claim_obj.setdefault(self.g.index[o.against], []).append((oid, lv))
            elif o.against in route_ids:
                self._route_obj.setdefault(o.against, []).append(oid)
        self._views: dict[int, ClaimView] = {}

    def name(self, c: int) -> str:
        return self.g.names[c]

    def level(self, i: int | None) -> str:
        return "-" if i is None else self.levels[i]

    def view(self, c: int) -> ClaimView:
        v = self._views.get(c)
        if v is None:
            v = self._views[c] = self._build(c)
        return v

    def _build(self, c: int) -> ClaimView:
        g, values, sc = self.g, self.values, self.scenario
        amap = self.res.amap
        claim = amap.claims.get(g.names[c])
        set_to = sc.overrides.get(c)
        objs = self._claim_obj.get(c, [])
        applied = bool(objs) and c in sc.caps and self.applied
        view = ClaimView(
            index=c,
            name=g.names[c],
            value=values[c],
            baseline=self.baseline[c],
            leaf=g.is_leaf(c),
            assume=g.assume[c],
            assume_written=bool(claim is not None and claim.assume),
            set_to=set_to,
            objections=objs,
            objections_applied=applied,
        )
        if view.leaf:
            view.computed = set_to if set_to is not None else g.assume[c]
            return view
        best = 0
        for r in g.routes_to[c]:
            route = g.routes[r]
            reduction = amap.reductions.get(route.id)
            bare = (
                {p.claim for p in reduction.premises if p.threshold is None} if reduction else set()
            )
            links = [
                Link(p, th, g.names[p] in bare, values[p] >= th, max(0, th - values[p]))
                for p, th in route.premises
            ]
            removed = r in sc.removed
            rv = RouteView(
                index=r,
                id=route.id,
                yields=route.yields,
                premises=links,
                objections=self._route_obj.get(route.id, []),
                removed=removed,
                works=not removed and all(lk.met for lk in links),
            )
            if rv.works:
                best = max(best, route.yields)
            view.routes.append(rv)
        view.computed = best
        for rv in view.routes:
            # A claim pinned by --set takes its level whatever its routes give.
            rv.carries = rv.works and rv.yields == best and best > 0 and set_to is None
        return view

    def support(self, c: int) -> list[int]:
        """``c`` and every claim it rests on, in the order a tree shows them."""
        seen: dict[int, None] = {}
        stack = [c]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen[n] = None
            for r in reversed(self.g.routes_to[n]):
                for p, _ in reversed(self.g.routes[r].premises):
                    if p not in seen:
                        stack.append(p)
        return list(seen)

    # -- sentences ------------------------------------------------------

    def origin(self, v: ClaimView) -> str:
        """Where a claim's value comes from, when not (only) from its routes."""
        lv = self.level
        parts: list[str] = []
        if v.leaf:
            if v.set_to is not None:
                written = (
                    f"assumed {lv(v.assume)}"
                    if v.assume_written
                    else f"no `assume`: {lv(v.assume)}"
                )
                parts.append(f"set to {lv(v.set_to)} by --set ({written})")
            elif v.assume_written:
                parts.append(f"assumed {lv(v.assume)}")
            else:
                parts.append(f"no `assume`: taken as {lv(v.assume)} (top)")
        elif v.set_to is not None:
            parts.append(f"set to {lv(v.set_to)} by --set (routes give {lv(v.computed)})")
        for oid, cap in v.objections:
            if v.objections_applied:
                if v.value == cap and v.computed > cap:
                    parts.append(f"capped at {lv(cap)} by objection `{oid}`")
                else:
                    parts.append(f"objection `{oid}` caps it at {lv(cap)}")
            else:
                parts.append(f"objection `{oid}` stands: would cap it at {lv(cap)} (--objections)")
        return "; ".join(parts)

    def route_note(self, rv: RouteView) -> str:
        lv = self.level
        if rv.removed:
            by = ", ".join(f"`{o}`" for o in rv.objections)
            return f"removed by objection {by}" if by else "removed"
        if rv.works:
            text = f"gives {lv(rv.yields)}"
            if rv.carries:
                text += " (carries)"
        else:
            blockers = ", ".join(f"`{self.name(lk.claim)}`" for lk in rv.blocked_by)
            text = f"would give {lv(rv.yields)}; blocked by {blockers}"
        if rv.objections and not rv.removed:
            text += "; objection " + ", ".join(f"`{o}`" for o in rv.objections)
            text += " stands against it (--objections removes it)"
        return text

    def link_text(self, lk: Link) -> str:
        lv = self.level
        need = f"needs >= {lv(lk.threshold)}" + (" (bare)" if lk.bare else "")
        if lk.met:
            return f"{need} ✓"
        return f"{need} ✗ short by {lk.short} step{'s' if lk.short != 1 else ''}"


# --------------------------------------------------------------------------- why (one line)


def why_fails(
    ex: Explainer,
    c: int,
    required: int,
    values: list[int] | None = None,
    _seen: frozenset[int] = frozenset(),
) -> str:
    """One line saying why claim ``c`` does not reach ``required``: which
    route is blocked by which premise (CX102, CX104, explain). Where a
    single route is blocked by a single concluded claim, the reason for that
    claim follows ("because ..."), a few steps down the chain."""
    values = values if values is not None else ex.values
    g, lv = ex.g, ex.level
    v = ex.view(c)
    if v.leaf:
        return ex.origin(v) or f"a leaf at {lv(values[c])}"
    if v.set_to is not None and v.set_to < required:
        return f"set to {lv(v.set_to)} by --set"
    capped = [(o, cap) for o, cap in v.objections if v.objections_applied and cap < required]
    if capped and v.computed >= required:
        return "; ".join(f"capped at {lv(cap)} by objection `{o}`" for o, cap in capped)
    parts: list[str] = []
    for rv in v.routes:
        if rv.removed:
            parts.append(
                f"`{rv.id}` is removed by objection " + ", ".join(f"`{o}`" for o in rv.objections)
            )
            continue
        if rv.yields < required:
            parts.append(f"`{rv.id}` yields only {lv(rv.yields)}")
            continue
        shorts = []
        for lk in rv.blocked_by:
            bare = " (a bare `reduces to`)" if lk.bare else ""
            below = ex.view(lk.claim)
            why_low = ""
            if below.leaf and below.set_to is not None:
                why_low = " (set by --set)"
            elif below.leaf and below.objections_applied:
                caps = [o for o, cap in below.objections if cap == below.value]
                if caps:
                    why_low = " (capped by objection " + ", ".join(f"`{o}`" for o in caps) + ")"
            shorts.append(
                f"`{g.names[lk.claim]}` >= {lv(lk.threshold)}{bare}, has {lv(values[lk.claim])}"
                + why_low
            )
        if shorts:
            parts.append(f"`{rv.id}` needs " + " and ".join(shorts))
    if capped:
        parts.extend(f"capped at {lv(cap)} by objection `{o}`" for o, cap in capped)
    live = [rv for rv in v.routes if not rv.removed and rv.yields >= required]
    if len(parts) == 1 and len(live) == 1 and len(live[0].blocked_by) == 1 and len(_seen) < 4:
        lk = live[0].blocked_by[0]
        below = ex.view(lk.claim)
        if not below.leaf and lk.claim not in _seen and lk.claim != c:
            deeper = why_fails(ex, lk.claim, lk.threshold, values, _seen | {c})
            parts[0] += f", because {deeper}"
    return "; ".join(parts) or f"its routes give {lv(values[c])}"


def objection_effects(res: MapResult, names: Iterable[str]) -> str:
    """What each named standing objection does, e.g. "`o` caps `c` at great";
    those that change nothing (a cap at or above the claim's value, removing a
    route that does not work anyway) are left out when others remain."""
    amap, g = res.amap, res.graph
    routes = {r.id: r for r in g.routes} if g is not None else {}
    biting: list[str] = []
    idle: list[str] = []
    for oid in names:
        target = amap.objections[oid].against or ""
        if target in amap.claims:
            caps = amap.objections[oid].caps or amap.scale[0]
            text = f"`{oid}` caps `{target}` at {caps}"
            bites = g is None or amap.scale.index(caps) < res.values[g.index[target]]
        else:
            text = f"`{oid}` removes `{target}`"
            route = routes.get(target)
            bites = route is None or all(res.values[p] >= th for p, th in route.premises)
        (biting if bites else idle).append(text)
    return ", ".join(biting or idle)


def why_goal_fails(
    res: MapResult,
    goal: int,
    required: int,
    *,
    scenario: Scenario | None = None,
    values: list[int] | None = None,
) -> str:
    """CX102 and CX104's reason: ``why_fails`` on a fresh view of the map."""
    return why_fails(Explainer(res, scenario, values), goal, required)


# --------------------------------------------------------------------------- per goal


@dataclass
class GoalExplanation:
    claim: int
    required: int
    value: int
    baseline: int
    holds: bool
    implicit: bool
    text: str | None
    #: Index-keyed robustness result for a holding goal.
    result: Any
    with_objections: int
    #: ``expect:`` of the goal: ``"fails"`` for a critique's goal.
    expected: str = "holds"
    repairs: RepairSearch | None = None
    #: Single thresholds whose lowering makes a failing goal hold, and
    #: whether all were tried.
    thresholds: list[Any] = field(default_factory=list)
    thresholds_complete: bool = True
    #: Brittle premise -> the cheapest changes that give it slack.
    slack: dict[int, RepairSearch] = field(default_factory=dict)


def explain_goals(
    res: MapResult,
    names: Iterable[str] = (),
    *,
    repairs: bool = False,
    max_order: int = 3,
    scenario: Scenario | None = None,
) -> tuple[Explainer, list[GoalExplanation]]:
    """Explanations of the named goals (all when none is named). Unknown
    names are the caller's to reject (:func:`unknown_goals`)."""
    ex = Explainer(res, scenario)
    g = ex.g
    wanted = list(names)
    out: list[GoalExplanation] = []
    for goal in res.goals:
        if wanted and goal.claim not in wanted:
            continue
        c = g.index[goal.claim]
        gr = res.results[c]
        claim = res.amap.claims.get(goal.claim)
        e = GoalExplanation(
            claim=c,
            required=gr.required,
            value=gr.baseline,
            baseline=ex.baseline[c],
            holds=gr.holds,
            implicit=goal.implicit,
            text=claim.text if claim is not None else None,
            result=gr,
            with_objections=res.objection_values[c] if res.objection_values else gr.baseline,
            expected=goal.expected,
        )
        if repairs:
            from cruxmap.core import repairs as rp

            if not gr.holds:
                e.repairs = rp.search(g, ex.scenario, ex.values, c, gr.required, max_order)
                e.thresholds, e.thresholds_complete = rp.threshold_repairs(
                    g, ex.scenario, ex.values, c, gr.required
                )
            else:
                for p, pr in sorted(gr.premises.items(), key=lambda kv: g.names[kv[0]]):
                    if pr.brittle:
                        e.slack[p] = rp.search(
                            g, ex.scenario, ex.values, c, gr.required, max_order, weaken=p
                        )
        out.append(e)
    if wanted:
        order = {n: i for i, n in enumerate(wanted)}
        out.sort(key=lambda e: order[g.names[e.claim]])
    return ex, out


def unknown_goals(res: MapResult, names: Iterable[str]) -> list[str]:
    goals = {goal.claim for goal in res.goals}
    return [n for n in names if n not in goals]


def scenario_warnings(res: MapResult, scenario: Scenario | None = None) -> list[str]:
    """A sentence for each ``--set`` that changes nothing: the claim already
    has that value in the analysed scenario without it."""
    from cruxmap.core.semantics import Scenario, evaluate

    g = res.graph
    sc = scenario if scenario is not None else getattr(res, "scenario", None)
    if g is None or sc is None or not sc.overrides:
        return []
    out = []
    for c, level in sorted(sc.overrides.items(), key=lambda kv: g.names[kv[0]]):
        rest = {k: v for k, v in sc.overrides.items() if k != c}
        without = evaluate(g, Scenario(rest, sc.caps, sc.removed))
        if without == res.values:
            out.append(
                f"--set {g.names[c]}={g.levels[level]} changes nothing: "
                f"`{g.names[c]}` is {g.levels[without[c]]} without it"
            )
    return out
