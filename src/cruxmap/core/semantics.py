"""Values of claims (SPEC section 3): least fixed points, scenarios, objections.

Values are level indices. A :class:`Scenario` says which claims are set or
capped and which reductions are gone; :func:`evaluate` computes every claim's
value under it in one pass over the strongly connected components, iterating
to the least fixed point only inside the (rare) cyclic ones.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from cruxmap.core.graph import ClaimGraph
from cruxmap.core.model import ArgumentMap


@dataclass
class Scenario:
    #: ``--set`` overrides: the claim takes the level whatever its routes give
    #: (for a leaf this replaces ``assume``); caps still apply on top.
    overrides: dict[int, int] = field(default_factory=dict)
    #: Upper bounds applied to any claim (objections, scaling down).
    caps: dict[int, int] = field(default_factory=dict)
    #: Reductions (route indices) that do not go through.
    removed: frozenset[int] = frozenset()

    def ceiling(self, g: ClaimGraph) -> list[int]:
        """Per-claim upper bound from caps."""
        ceil = [g.top] * len(g.names)
        for c, lv in self.caps.items():
            ceil[c] = min(ceil[c], lv)
        return ceil

    def leaf_values(self, g: ClaimGraph) -> list[int]:
        """Value each leaf or overridden claim takes before caps (``assume``
        for a leaf unless overridden; an overridden concluded claim ignores
        its routes, so it is evaluated as a leaf)."""
        vals = list(g.assume)
        for c, lv in self.overrides.items():
            vals[c] = lv
        return vals


def route_yield(g: ClaimGraph, r: int, values: list[int]) -> int:
    route = g.routes[r]
    for p, th in route.premises:
        if values[p] < th:
            return 0
    return route.yields


def evaluate(
    g: ClaimGraph,
    scenario: Scenario | None = None,
    ceiling: list[int] | None = None,
    components: list[tuple[list[int], bool]] | None = None,
) -> list[int]:
    """Least-fixed-point value of every claim under a scenario.

    ``components`` (topologically ordered, closed under premises) limits the
    work to part of the map, e.g. a goal's support; claims outside stay 0.
    """
    scenario = scenario or Scenario()
    ceil = ceiling if ceiling is not None else scenario.ceiling(g)
    leaf = scenario.leaf_values(g)
    removed = scenario.removed
    pinned = scenario.overrides
    values = [0] * len(g.names)
    todo = components if components is not None else zip(g.components, g.cyclic, strict=True)
    for comp, cyclic in todo:
        if not cyclic:
            c = comp[0]
            values[c] = _local(g, c, values, ceil, leaf, removed, pinned)
            continue
        # Kleene iteration from bottom: the least fixed point, so a cycle
        # cannot lift itself without support from outside it. A worklist
        # recomputes only the claims whose premises rose: each claim rises
        # at most once per level, so a ring costs O(levels x ring), not a
        # sweep of the ring per step that values travel round it.
        members = set(comp)
        queue = deque(comp)
        queued = set(comp)
        while queue:
            c = queue.popleft()
            queued.discard(c)
            v = _local(g, c, values, ceil, leaf, removed, pinned)
            if v != values[c]:
                values[c] = v
                for r in g.routes_from[c]:
                    d = g.routes[r].conclusion
                    if d in members and d not in queued:
                        queued.add(d)
                        queue.append(d)
    return values


def _local(
    g: ClaimGraph,
    c: int,
    values: list[int],
    ceil: list[int],
    leaf: list[int],
    removed: frozenset[int],
    pinned: dict[int, int],
) -> int:
    routes = g.routes_to[c]
    if not routes or c in pinned:
        return min(leaf[c], ceil[c])
    best = 0
    for r in routes:
        if r in removed:
            continue
        y = route_yield(g, r, values)
        if y > best:
            best = y
    return min(best, ceil[c])


# --------------------------------------------------------------------------- objections


class Status(StrEnum):
    IN = "in"
    OUT = "out"
    UNDECIDED = "undecided"


def grounded(amap: ArgumentMap) -> dict[str, Status]:
    """Grounded extension of the attack graph of objections.

    An objection is ``in`` once every objection attacking it is ``out``, and
    ``out`` once some attacker is ``in``; what is neither at the fixed point
    stays ``undecided`` (e.g. two objections rebutting each other).
    """
    attackers: dict[str, list[str]] = {o: [] for o in amap.objections}
    for obj in amap.objections.values():
        if obj.against in attackers:
            attackers[obj.against].append(obj.id)
    status: dict[str, Status] = {}
    # Worklist over "objections whose attackers' statuses just changed".
    attacks: dict[str, list[str]] = {o: [] for o in amap.objections}
    for target, atts in attackers.items():
        for a in atts:
            attacks[a].append(target)
    pending_out = {o: len(a) for o, a in attackers.items()}
    queue = [o for o, n in pending_out.items() if n == 0]
    while queue:
        o = queue.pop()
        if o in status:
            continue
        status[o] = Status.IN
        for target in attacks[o]:
            if target not in status:
                status[target] = Status.OUT
                for t2 in attacks[target]:
                    pending_out[t2] -= 1
                    if pending_out[t2] == 0 and t2 not in status:
                        queue.append(t2)
    return {o: status.get(o, Status.UNDECIDED) for o in amap.objections}


def objections_scenario(
    g: ClaimGraph, amap: ArgumentMap, statuses: dict[str, Status], base: Scenario
) -> tuple[Scenario, list[str]]:
    """``base`` with every standing objection applied, and their IDs."""
    caps = dict(base.caps)
    removed = set(base.removed)
    route_index = {r.id: r.index for r in g.routes}
    standing: list[str] = []
    for oid, st in statuses.items():
        if st is not Status.IN:
            continue
        o = amap.objections[oid]
        if o.against in g.index:
            c = g.index[o.against]
            lv = g.levels.index(o.caps) if o.caps in g.levels else 0
            caps[c] = min(caps.get(c, g.top), lv)
            standing.append(oid)
        elif o.against in route_index:
            removed.add(route_index[o.against])
            standing.append(oid)
    return Scenario(dict(base.overrides), caps, frozenset(removed)), standing
