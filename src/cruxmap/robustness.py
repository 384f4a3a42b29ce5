"""Robustness to scaling down (SPEC section 3): margins, cut sets, uniform margin.

The work is organised so that its cost follows the shape of the argument
rather than the square of its size:

* **Margins.** For a goal ``g`` and a premise ``p``, ``need(p)`` is the lowest
  level ``p`` may be capped at with ``g`` still holding. Everything ``p``
  does to ``g`` passes through ``p``'s immediate post-dominator ``d`` (every
  path from ``p`` to ``g`` meets ``d``), so ``need(p)`` follows from how
  ``d``'s value responds to capping ``p`` -- computed by propagating a small
  vector (one value per level of ``p``) through the nodes between ``p`` and
  ``d`` only, stopping wherever the change dies out -- and from ``need(d)``,
  already known. A chain or tree costs one step per claim.
* **Cut sets.** Order-1 cut sets are read off the margins. Higher orders come
  from a bottom-up MOCUS over the reduction structure (a claim fails when all
  its working routes fail; a route fails when any premise falls below its
  threshold), memoised per (claim, level), truncated at the maximum order,
  with single points of failure left out since no minimal set of order 2 or
  more can contain one.
* **Cycles.** Where the goal's support has a cycle, the claims on a cycle (and
  those whose post-dominator is on one) get their margins by re-evaluating the
  least fixed point of the support; the rest still take the fast path. Cut
  sets there come from re-evaluating candidate sets, within a budget.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

from cruxmap.graph import ClaimGraph
from cruxmap.semantics import Scenario, evaluate

Family = frozenset[frozenset[int]]
EMPTY: Family = frozenset()
ALREADY_FAILS: Family = frozenset({frozenset()})

#: Upper bound on set operations spent on one goal's cut sets.
CUT_SET_BUDGET = 4_000_000
#: Upper bound on the sets held at once (memory: a big --max-order or depth on
#: many alternative routes would otherwise build millions of them).
CUT_SET_FAMILY_LIMIT = 200_000
#: Upper bound on claim evaluations spent on one goal's cut sets where its
#: support has a cycle (re-evaluation of the support per candidate set).
EVALUATION_WORK_BUDGET = 5_000_000


class BudgetExceeded(Exception):
    pass


@dataclass
class PremiseResult:
    baseline: int
    #: Steps ``p`` can drop with the goal holding; ``None``: holds at bottom.
    margin: int | None
    #: Highest level of ``p`` at which the goal fails; ``None``: none.
    breaks_at: int | None

    @property
    def brittle(self) -> bool:
        return self.margin == 0


@dataclass
class GoalResult:
    claim: int
    required: int
    baseline: int
    premises: dict[int, PremiseResult] = field(default_factory=dict)
    cut_sets: list[tuple[int, ...]] = field(default_factory=list)
    #: False when the cut-set search hit its budget: the list is partial.
    cut_sets_complete: bool = True
    uniform_margin: int | None = None

    @property
    def holds(self) -> bool:
        return self.baseline >= self.required


class Analysis:
    """Robustness of each goal under one scenario (its values are the baseline)."""

    def __init__(
        self, g: ClaimGraph, scenario: Scenario, depth: int = 1, max_order: int = 3
    ) -> None:
        self.g = g
        self.scenario = scenario
        self.depth = max(1, depth)
        self.max_order = max(1, max_order)
        self.ceil = scenario.ceiling(g)
        self.values = evaluate(g, scenario, self.ceil)
        #: Per wide route: premises failing at baseline, thresholds by claim.
        self._route_info: dict[int, tuple[int, dict[int, list[int]]]] = {}
        #: Per goal with a cycle in its support: the components to re-evaluate.
        self._region: dict[int, list[tuple[list[int], bool]]] = {}

    # -- entry point ------------------------------------------------------

    def goals(self, goals: list[tuple[int, int]]) -> dict[int, GoalResult]:
        results: dict[int, GoalResult] = {}
        for c, req in goals:
            res = GoalResult(c, req, self.values[c])
            results[c] = res
            if res.holds:
                self._analyse(res)
        self._uniform_margins([r for r in results.values() if r.holds])
        return results

    def _analyse(self, res: GoalResult) -> None:
        g, goal = self.g, res.claim
        support = g.ancestors(goal)
        nodes = support | {goal}
        cyclic = any(g.in_cycle(n) for n in nodes)
        if cyclic:
            self._restrict_to(goal, nodes)
        need = self._need_by_dominators(goal, res.required, support, cyclic)
        for p in sorted(support):
            base = self.values[p]
            t = need.get(p, 0)
            if t <= 0:
                res.premises[p] = PremiseResult(base, None, None)
            else:
                res.premises[p] = PremiseResult(base, base - t, t - 1)
        spf = {p for p in support if self._lowered(p) < need.get(p, 0)}
        cuts: list[tuple[int, ...]] = [(p,) for p in sorted(spf)]
        if self.max_order >= 2:
            try:
                if cyclic:
                    more = self._cut_sets_by_evaluation(goal, res.required, support, spf)
                else:
                    family = _Mocus(self, goal, spf).family(goal, res.required)
                    more = [tuple(sorted(s)) for s in family if len(s) >= 2]
            except BudgetExceeded:
                more = []
                res.cut_sets_complete = False
            cuts.extend(more)
        # Members alphabetically, then sets smallest first and alphabetically.
        named = {tuple(sorted(s, key=lambda i: g.names[i])) for s in cuts}
        res.cut_sets = sorted(named, key=lambda s: (len(s), [g.names[i] for i in s]))

    def _lowered(self, p: int) -> int:
        return max(self.values[p] - self.depth, 0)

    # -- margins, acyclic -----------------------------------------------

    def _need_by_dominators(
        self, goal: int, required: int, support: set[int], cyclic: bool = False
    ) -> dict[int, int]:
        """``need`` for every premise of ``goal``.

        Where the support has cycles, claims on a cycle, and claims whose
        post-dominator is on one or is the goal, are settled by
        re-evaluation; they then count as post-dominated by the goal alone.
        Any other post-dominator found lies before every path's first such
        claim, so the regions the fast path propagates through hold no cycle.
        """
        g = self.g
        nodes = support | {goal}
        succ: dict[int, list[int]] = {}
        for n in support:
            outs = []
            for r in g.routes_from[n]:
                if r in self.scenario.removed:
                    continue
                c = g.routes[r].conclusion
                if c in nodes and c not in outs:
                    outs.append(c)
            succ[n] = outs
        # Immediate post-dominators (Cooper, Harvey and Kennedy's algorithm on
        # the reversed graph): acyclic, and visited conclusions first, so one
        # pass settles every claim.
        rank = {goal: 0}
        ipdom = {goal: goal}
        need: dict[int, int] = {goal: required}
        for p in sorted(support, key=lambda n: -g.position[n]):
            if cyclic and g.in_cycle(p):
                need[p] = self._need_one_by_evaluation(goal, required, p)
                rank[p], ipdom[p] = len(rank), goal
                continue
            d = -1
            for s in succ[p]:
                if s not in rank:
                    continue
                if d < 0:
                    d = s
                    continue
                a, b = s, d
                while a != b:
                    while rank[a] > rank[b]:
                        a = ipdom[a]
                    while rank[b] > rank[a]:
                        b = ipdom[b]
                d = a
            if d < 0:
                need[p] = 0
                continue
            if cyclic and (d == goal or g.in_cycle(d)):
                # Past a claim on a cycle the chain jumps to the goal, so a
                # region ending at the goal may hold a cycle: re-evaluate.
                need[p] = self._need_one_by_evaluation(goal, required, p)
                rank[p], ipdom[p] = len(rank), goal
                continue
            rank[p] = len(rank)
            ipdom[p] = d
            nd = need.get(d, 0)
            need[p] = self._need_through(p, d, nd, succ) if nd > 0 else 0
        return need

    def _need_through(self, p: int, d: int, need_d: int, succ: dict[int, list[int]]) -> int:
        """Lowest cap on ``p`` that keeps ``d`` at or above ``need_d``."""
        g, values, ceil = self.g, self.values, self.ceil
        base = values[p]
        width = base + 1
        vec: dict[int, list[int]] = {p: list(range(width))}
        heap: list[tuple[int, int]] = []
        queued: set[int] = set()
        for s in succ.get(p, ()):
            heapq.heappush(heap, (g.position[s], s))
            queued.add(s)
        removed = self.scenario.removed
        while heap:
            _, e = heapq.heappop(heap)
            if e in self.scenario.overrides:
                continue  # pinned by the scenario: its routes do not count
            row = [0] * width
            for r in g.routes_to[e]:
                if r in removed:
                    continue
                route = g.routes[r]
                varying = self._varying(r, vec)
                if varying is None:
                    continue
                for x in range(width):
                    if route.yields > row[x] and all(vec[q][x] >= th for q, th in varying):
                        row[x] = route.yields
            cap = ceil[e]
            row = [min(v, cap) for v in row]
            if all(v == values[e] for v in row):
                continue
            vec[e] = row
            if e == d:
                continue
            for s in succ.get(e, ()):
                if s not in queued:
                    queued.add(s)
                    heapq.heappush(heap, (g.position[s], s))
        f_d = vec.get(d)
        if f_d is None:
            return 0
        for x in range(width):
            if f_d[x] >= need_d:
                return x
        return width  # unreachable while the goal holds at baseline

    def _varying(self, r: int, vec: dict[int, list[int]]) -> list[tuple[int, int]] | None:
        """The premises of route ``r`` that ``vec`` varies, or ``None`` when a
        premise outside ``vec`` already fails at baseline. Only the varying
        ones are checked per level, so a reduction with thousands of premises
        costs a lookup per call, not a pass over all of them."""
        route, values = self.g.routes[r], self.values
        if len(route.premises) <= len(vec):
            varying = []
            for q, th in route.premises:
                if q in vec:
                    varying.append((q, th))
                elif values[q] < th:
                    return None
            return varying
        info = self._route_info.get(r)
        if info is None:
            by_claim: dict[int, list[int]] = {}
            for q, th in route.premises:
                by_claim.setdefault(q, []).append(th)
            failing = sum(1 for q, th in route.premises if values[q] < th)
            info = self._route_info[r] = (failing, by_claim)
        failing, by_claim = info
        varying = [(q, th) for q in vec if q in by_claim for th in by_claim[q]]
        if failing > sum(1 for q, th in varying if values[q] < th):
            return None
        return varying

    # -- margins, cyclic fallback ---------------------------------------

    def _holds_with(self, goal: int, required: int, caps: dict[int, int]) -> bool:
        ceil = list(self.ceil)
        for c, lv in caps.items():
            ceil[c] = min(ceil[c], lv)
        region = self._region.get(goal)
        return evaluate(self.g, self.scenario, ceil, region)[goal] >= required

    def _restrict_to(self, goal: int, nodes: set[int]) -> None:
        """Re-evaluate only the goal and its support (closed under premises,
        so their values come out exact) when probing this goal."""
        g = self.g
        self._region[goal] = [
            (comp, cyclic)
            for comp, cyclic in zip(g.components, g.cyclic, strict=True)
            if comp[0] in nodes
        ]

    def _need_by_evaluation(self, goal: int, required: int, support: set[int]) -> dict[int, int]:
        """``need`` by definition alone: the reference the fast path is tested against."""
        return {p: self._need_one_by_evaluation(goal, required, p) for p in support}

    def _need_one_by_evaluation(self, goal: int, required: int, p: int) -> int:
        """Binary search over caps on ``p``, re-evaluating the goal's support."""
        if self._holds_with(goal, required, {p: 0}):
            return 0
        lo, hi = 1, self.values[p]  # the goal holds at hi
        while lo < hi:
            mid = (lo + hi) // 2
            if self._holds_with(goal, required, {p: mid}):
                hi = mid
            else:
                lo = mid + 1
        return hi

    def _cut_sets_by_evaluation(
        self, goal: int, required: int, support: set[int], spf: set[int]
    ) -> list[tuple[int, ...]]:
        candidates = sorted(
            p for p in support if p not in spf and self._lowered(p) < self.values[p]
        )
        # Monotone: if the goal survives every candidate lowered at once, no
        # set of them is a cut set (one evaluation settles robust supports).
        if self._holds_with(goal, required, {p: self._lowered(p) for p in candidates}):
            return []
        found: list[frozenset[int]] = []
        spent = 0
        # Each evaluation costs about the size of the goal's support.
        allowed = max(1_000, EVALUATION_WORK_BUDGET // max(1, len(support)))
        for k in range(2, self.max_order + 1):
            for combo in itertools.combinations(candidates, k):
                s = frozenset(combo)
                if any(f <= s for f in found):
                    continue
                spent += 1
                if spent > allowed:
                    raise BudgetExceeded
                if not self._holds_with(goal, required, {p: self._lowered(p) for p in combo}):
                    found.append(s)
        return [tuple(sorted(s)) for s in found]

    # -- uniform margin -------------------------------------------------

    def _uniform_margins(self, holding: list[GoalResult]) -> None:
        g = self.g
        if not holding:
            return
        leaves = [c for c in range(len(g.names)) if g.is_leaf(c)]
        deepest = max((self.values[c] for c in leaves), default=0)
        open_goals = list(holding)
        for d in range(1, deepest + 1):
            overrides = dict(self.scenario.overrides)
            for c in leaves:
                overrides[c] = max(self.values[c] - d, 0)
            lowered = Scenario(overrides, self.scenario.caps, self.scenario.removed)
            vals = evaluate(g, lowered, self.ceil)
            still = []
            for res in open_goals:
                if vals[res.claim] < res.required:
                    res.uniform_margin = d - 1
                else:
                    still.append(res)
            open_goals = still
            if not open_goals:
                break
        for res in open_goals:
            res.uniform_margin = None


class _Mocus:
    """Minimal cut sets of order 2..k, bottom-up with memoisation."""

    def __init__(self, analysis: Analysis, goal: int, spf: set[int]) -> None:
        self.a = analysis
        self.goal = goal
        self.spf = spf
        self.k = analysis.max_order
        self.memo: dict[tuple[int, int], Family] = {}
        self.spent = 0

    def family(self, claim: int, level: int) -> Family:
        # Iterative post-order over the (claim, level) conditions needed.
        stack: list[tuple[int, int]] = [(claim, level)]
        while stack:
            c, y = stack[-1]
            if (c, y) in self.memo:
                stack.pop()
                continue
            missing = [dep for dep in self._deps(c, y) if dep not in self.memo]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            self.memo[(c, y)] = self._compute(c, y)
        return self.memo[(claim, level)]

    def _working_routes(self, c: int, y: int) -> list[int]:
        a = self.a
        out: list[int] = []
        if c in a.scenario.overrides:
            return out  # pinned by the scenario: its routes do not count
        for r in a.g.routes_to[c]:
            if r in a.scenario.removed:
                continue
            route = a.g.routes[r]
            if route.yields < y:
                continue
            if all(a.values[q] >= th for q, th in route.premises):
                out.append(r)
        return out

    def _deps(self, c: int, y: int) -> list[tuple[int, int]]:
        if y <= 0 or self.a.values[c] < y:
            return []
        deps = []
        for r in self._working_routes(c, y):
            deps.extend(self.a.g.routes[r].premises)
        return deps

    def _compute(self, c: int, y: int) -> Family:
        a = self.a
        if y <= 0:
            return EMPTY  # nothing is below bottom: this cannot fail
        if a.values[c] < y:
            return ALREADY_FAILS
        own: set[frozenset[int]] = set()
        if c != self.goal and c not in self.spf and a._lowered(c) < y:
            own.add(frozenset((c,)))
        routes = self._working_routes(c, y)
        if routes:
            acc: Family = ALREADY_FAILS
            for r in routes:
                alternatives: set[frozenset[int]] = set()
                for q, th in a.g.routes[r].premises:
                    alternatives |= self.memo[(q, th)]
                acc = self._product(acc, _minimal(alternatives))
                if not acc:
                    break
            own |= acc
        return _minimal(own)

    def _product(self, left: Family, right: Family) -> Family:
        self.spent += len(left) * len(right)
        if self.spent > CUT_SET_BUDGET:
            raise BudgetExceeded
        out: set[frozenset[int]] = set()
        k = self.k
        for s in left:
            for t in right:
                u = s | t
                if len(u) <= k:
                    out.add(u)
            if len(out) > CUT_SET_FAMILY_LIMIT:
                raise BudgetExceeded
        return _minimal(out)


def _minimal(family: set[frozenset[int]] | Family) -> Family:
    """Drop every set that strictly contains another set of the family."""
    if len(family) <= 1:
        return frozenset(family)
    if frozenset() in family:
        return ALREADY_FAILS
    keep = []
    members = set(family)
    # Only sizes some member has can hold a subset: a family of equal-sized
    # sets (alternative routes of equal length) needs no subset search, which
    # would otherwise cost 2^k per set with a large --max-order.
    sizes = sorted({len(s) for s in members})
    for s in family:
        if len(s) > sizes[0] and any(
            frozenset(sub) in members
            for size in sizes
            if size < len(s)
            for sub in itertools.combinations(s, size)
        ):
            continue
        keep.append(s)
    return frozenset(keep)
