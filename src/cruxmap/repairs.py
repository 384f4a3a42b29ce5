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

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from cruxmap.graph import ClaimGraph
from cruxmap.semantics import Scenario, evaluate

#: Upper bound on claim evaluations (probes x support size) for one search.
WORK_BUDGET = 20_000_000


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
    """Does the goal hold with these raises? Re-evaluates the goal's support."""

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
        self.base = Scenario(dict(scenario.overrides), caps, scenario.removed)
        nodes = g.ancestors(goal) | {goal}
        self.region = [
            (comp, cyclic)
            for comp, cyclic in zip(g.components, g.cyclic, strict=True)
            if comp[0] in nodes
        ]
        self.cost = max(1, len(nodes))
        self.allowed = max(1, budget // self.cost)
        self.spent = 0
        self.memo: dict[tuple[tuple[int, int], ...], bool] = {}

    def holds(self, raises: dict[int, int]) -> bool:
        key = tuple(sorted(raises.items()))
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        self.spent += 1
        if self.spent > self.allowed:
            raise _Budget
        overrides = dict(self.base.overrides)
        overrides.update(raises)
        sc = Scenario(overrides, self.base.caps, self.base.removed)
        ok = evaluate(self.g, sc, None, self.region)[self.goal] >= self.required
        self.memo[key] = ok
        return ok


def candidates(
    g: ClaimGraph, scenario: Scenario, values: list[int], goal: int, weaken: int | None = None
) -> list[tuple[int, int]]:
    """Leaves that can be raised for ``goal``, with the highest level worth
    raising each to (above it a cap would cut the raise back)."""
    ceil = scenario.ceiling(g)
    nodes = g.ancestors(goal) | {goal}
    out = []
    for c in sorted(nodes, key=lambda i: g.names[i]):
        if not g.is_leaf(c) or c == weaken:
            continue
        high = min(g.top, ceil[c])
        if high > values[c]:
            out.append((c, high))
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
    cands = candidates(g, scenario, values, goal, weaken)
    result.candidates = [c for c, _ in cands]
    found: list[Repair] = []
    try:
        if probe.holds({}):
            result.repairs = [Repair((), 0)]
            return result
        # Monotone: if raising every candidate as far as it goes does not
        # help, no repair exists at any order (one probe settles it).
        top_all = {c: hi for c, hi in cands}
        if not probe.holds(top_all):
            return result  # nothing up to any order
        for k in range(1, result.order + 1):
            for subset in itertools.combinations(cands, k):
                found.extend(_minimal_in(probe, values, subset))
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


def _minimal_in(
    probe: _Probe, values: list[int], subset: tuple[tuple[int, int], ...]
) -> Iterator[Repair]:
    """Minimal raise vectors using every leaf of ``subset``."""
    if not probe.holds({c: hi for c, hi in subset}):
        return
    *head, (last, last_hi) = subset
    ranges = [range(values[c] + 1, hi + 1) for c, hi in head]
    for levels in itertools.product(*ranges):
        raises = {c: lv for (c, _), lv in zip(head, levels, strict=True)}
        # Least level of the last leaf that makes the goal hold (monotone).
        raises[last] = last_hi
        if not probe.holds(raises):
            continue
        lo, hi = values[last] + 1, last_hi
        while lo < hi:
            mid = (lo + hi) // 2
            raises[last] = mid
            if probe.holds(raises):
                hi = mid
            else:
                lo = mid + 1
        raises[last] = hi
        # The last leaf cannot go lower; it may not be needed at all, and
        # every other leaf must be needed at its level.
        if all(_lower_fails(probe, values, raises, c) for c in raises):
            yield Repair(
                tuple(sorted(raises.items(), key=lambda kv: probe.g.names[kv[0]])),
                sum(lv - values[c] for c, lv in raises.items()),
            )


def _lower_fails(probe: _Probe, values: list[int], raises: dict[int, int], c: int) -> bool:
    lowered = dict(raises)
    if raises[c] - 1 <= values[c]:
        del lowered[c]
    else:
        lowered[c] = raises[c] - 1
    return not probe.holds(lowered)
