"""Repairs (SPEC section 3): the smallest raises of leaf assumptions that make
a failing goal hold -- the dual of cut sets (minimal path sets).

A *repair* raises some leaves above their current values so that the goal
holds; it is *minimal* when no leaf can be left out and no raised level
lowered with the goal still holding. Values are monotone in the leaves (a
least fixed point of monotone rules), so a raise vector is minimal exactly
when lowering any one of its leaves by one step makes the goal fail.

The search runs over sets of candidate leaves, smallest first. For each set
it first asks whether raising all of them to their highest useful level
helps at all (one evaluation rules most sets out), then walks the levels of
all but the last leaf and binary-searches the last. Every probe re-evaluates
only the goal's support; the probes are budgeted, and a search cut short
says so.

The same search answers "what gives a brittle premise slack": with the
premise capped one step below its value, which raises keep the goal holding.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from cruxmap.core.graph import ClaimGraph
from cruxmap.core.semantics import Scenario, evaluate

#: Upper bound on claim re-evaluations spent on one search.
WORK_BUDGET = 1_000_000


@dataclass(frozen=True, slots=True)
class Repair:
    #: (leaf, new level), leaves in name order.
    raises: tuple[tuple[int, int], ...]
    #: Total steps raised.
    steps: int


@dataclass
class RepairSearch:
    repairs: list[Repair] = field(default_factory=list)
    #: False when the budget ran out: larger repairs (or more of the same
    #: size) may exist.
    complete: bool = True
    #: Largest number of leaves tried.
    order: int = 3
    #: Leaves that could be raised at all.
    candidates: list[int] = field(default_factory=list)


class _Budget(Exception):
    pass


class _Probe:
    """Does the goal hold with these raises?

    Values only grow when leaves are raised (the rules are monotone), so a
    probe starts from the values without raises and re-evaluates only what
    lies downstream of the raised leaves, in topological order, stopping
    where nothing changes. A cyclic component is iterated from its current
    values, which reaches the new least fixed point because they lie below it.
    """

    def __init__(
        self,
        g: ClaimGraph,
        scenario: Scenario,
        goal: int,
        required: int,
        weaken: int | None,
        values: list[int],
        budget: int,
    ) -> None:
        self.g, self.goal, self.required = g, goal, required
        caps = dict(scenario.caps)
        if weaken is not None:
            caps[weaken] = min(caps.get(weaken, g.top), max(values[weaken] - 1, 0))
        self.scenario = Scenario(dict(scenario.overrides), caps, scenario.removed)
        self.nodes = g.ancestors(goal) | {goal}
        region = [
            (comp, cyclic)
            for comp, cyclic in zip(g.components, g.cyclic, strict=True)
            if comp[0] in self.nodes
        ]
        self.ceil = self.scenario.ceiling(g)
        self.base = evaluate(g, self.scenario, self.ceil, region)
        self.allowed = budget
        self.spent = 0
        self.memo: dict[tuple[tuple[int, int], ...], bool] = {}

    def successors(self, c: int) -> Iterator[int]:
        """Conclusions in the goal's support whose value ``c`` can change."""
        g, sc = self.g, self.scenario
        for r in g.routes_from[c]:
            if r in sc.removed:
                continue
            e = g.routes[r].conclusion
            if e in self.nodes and e not in sc.overrides:
                yield e

    def _local(self, e: int, vals: dict[int, int]) -> int:
        g, base = self.g, self.base
        self.spent += 1
        if self.spent > self.allowed:
            raise _Budget
        best = 0
        for r in g.routes_to[e]:
            if r in self.scenario.removed:
                continue
            route = g.routes[r]
            if route.yields > best and all(vals.get(p, base[p]) >= th for p, th in route.premises):
                best = route.yields
        return min(best, self.ceil[e])

    def holds(self, raises: dict[int, int]) -> bool:
        key = tuple(sorted(raises.items()))
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        g, base = self.g, self.base
        vals: dict[int, int] = {}
        heap: list[int] = []
        queued: set[int] = set()

        def push_from(c: int) -> None:
            for e in self.successors(c):
                pos = g.position[e]
                if pos not in queued:
                    queued.add(pos)
                    heapq.heappush(heap, pos)

        for c, lv in raises.items():
            v = min(lv, self.ceil[c])
            if v > base[c]:
                vals[c] = v
                push_from(c)
        while heap:
            pos = heapq.heappop(heap)
            comp = g.components[pos]
            changed: list[int] = []
            if not g.cyclic[pos]:
                e = comp[0]
                v = self._local(e, vals)
                if v != vals.get(e, base[e]):
                    vals[e] = v
                    changed.append(e)
            else:
                again = True
                while again:
                    again = False
                    for e in comp:
                        if e not in self.nodes or e in self.scenario.overrides:
                            continue
                        v = self._local(e, vals)
                        if v != vals.get(e, base[e]):
                            vals[e] = v
                            changed.append(e)
                            again = True
            for e in changed:
                push_from(e)
        ok = vals.get(self.goal, base[self.goal]) >= self.required
        self.memo[key] = ok
        return ok


def candidates(
    probe: _Probe, goal: int, weaken: int | None = None
) -> list[tuple[int, tuple[int, ...]]]:
    """Leaves worth raising for ``goal``, each with the levels worth raising
    it to: the thresholds it could newly meet (a level between two of them
    does no more than the lower one, so no minimal repair uses it), up to
    where a cap would cut the raise back."""
    g, base = probe.g, probe.base
    out = []
    for c in sorted(probe.nodes, key=lambda i: g.names[i]):
        if not g.is_leaf(c) or c == weaken:
            continue
        high = min(g.top, probe.ceil[c])
        levels: set[int] = set()
        for r in g.routes_from[c]:
            if r in probe.scenario.removed:
                continue
            route = g.routes[r]
            if route.conclusion not in probe.nodes or route.conclusion in probe.scenario.overrides:
                continue
            levels.update(th for p, th in route.premises if p == c and base[c] < th <= high)
        if c == goal and base[c] < probe.required <= high:
            levels.add(probe.required)
        if levels:
            out.append((c, tuple(sorted(levels))))
    return out


def search(
    g: ClaimGraph,
    scenario: Scenario,
    values: list[int],
    goal: int,
    required: int,
    max_order: int = 3,
    *,
    weaken: int | None = None,
    budget: int = WORK_BUDGET,
) -> RepairSearch:
    """Minimal repairs of ``goal`` (``>= required``) up to ``max_order`` leaves.

    ``values`` are the claims' values in ``scenario``. With ``weaken``, the
    goal must hold with that premise one step below its value (its slack).
    The empty repair is returned when nothing needs raising.
    """
    result = RepairSearch(order=max(1, max_order))
    probe = _Probe(g, scenario, goal, required, weaken, values, budget)
    cands = candidates(probe, goal, weaken)
    result.candidates = [c for c, _ in cands]
    found: list[Repair] = []
    try:
        if probe.holds({}):
            result.repairs = [Repair((), 0)]
            return result
        # Monotone: if raising every candidate as far as it goes does not
        # help, no repair exists at any order (one probe settles it).
        if not probe.holds({c: levels[-1] for c, levels in cands}):
            return result
        for k in range(1, result.order + 1):
            for subset in itertools.combinations(cands, k):
                found.extend(_minimal_in(probe, subset))
    except _Budget:
        result.complete = False
    found.sort(
        key=lambda r: (
            len(r.raises),
            r.steps,
            [g.names[c] for c, _ in r.raises],
            [lv for _, lv in r.raises],
        )
    )
    result.repairs = found
    return result


def _minimal_in(probe: _Probe, subset: tuple[tuple[int, tuple[int, ...]], ...]) -> Iterator[Repair]:
    """Minimal raise vectors using every leaf of ``subset``."""
    if not probe.holds({c: levels[-1] for c, levels in subset}):
        return
    *head, (last, last_levels) = subset
    useful = dict(subset)
    for chosen in itertools.product(*(levels for _, levels in head)):
        raises = {c: lv for (c, _), lv in zip(head, chosen, strict=True)}
        raises[last] = last_levels[-1]
        if not probe.holds(raises):
            continue
        # Least useful level of the last leaf that makes the goal hold.
        lo, hi = 0, len(last_levels) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            raises[last] = last_levels[mid]
            if probe.holds(raises):
                hi = mid
            else:
                lo = mid + 1
        raises[last] = last_levels[hi]
        # Minimal when lowering any leaf to its next useful level (or not
        # raising it at all) makes the goal fail.
        if all(_lower_fails(probe, useful, raises, c) for c in raises):
            yield Repair(
                tuple(sorted(raises.items(), key=lambda kv: probe.g.names[kv[0]])),
                sum(lv - probe.base[c] for c, lv in raises.items()),
            )


def _lower_fails(
    probe: _Probe, useful: dict[int, tuple[int, ...]], raises: dict[int, int], c: int
) -> bool:
    lowered = dict(raises)
    i = useful[c].index(raises[c])
    if i == 0:
        del lowered[c]
    else:
        lowered[c] = useful[c][i - 1]
    return not probe.holds(lowered)


@dataclass(frozen=True, slots=True)
class ThresholdRepair:
    """Lowering one premise's threshold on one route to the premise's value."""

    route: int
    premise: int
    #: The threshold written (or top for a bare premise) and the value that would do.
    old: int
    new: int


def threshold_repairs(
    g: ClaimGraph,
    scenario: Scenario,
    values: list[int],
    goal: int,
    required: int,
    limit: int = 500,
) -> tuple[list[ThresholdRepair], bool]:
    """The single thresholds in the goal's support that, lowered to what
    their premise has, make the goal hold on their own (the other kind of
    repair: asking less of a premise rather than more of an assumption).
    Returns them and whether every blocking threshold was tried."""
    import dataclasses

    nodes = g.ancestors(goal) | {goal}
    region = [
        (comp, cyclic)
        for comp, cyclic in zip(g.components, g.cyclic, strict=True)
        if comp[0] in nodes
    ]
    out: list[ThresholdRepair] = []
    tried = 0
    for r in sorted({r for c in nodes for r in g.routes_to[c]}):
        if r in scenario.removed or g.routes[r].conclusion in scenario.overrides:
            continue
        route = g.routes[r]
        for i, (p, th) in enumerate(route.premises):
            if values[p] >= th:
                continue
            tried += 1
            if tried > limit:
                return out, False
            premises = list(route.premises)
            premises[i] = (p, values[p])
            routes = list(g.routes)
            routes[r] = dataclasses.replace(route, premises=tuple(premises))
            changed = dataclasses.replace(g, routes=routes)
            if evaluate(changed, scenario, None, region)[goal] >= required:
                out.append(ThresholdRepair(r, p, th, values[p]))
    return out, True
