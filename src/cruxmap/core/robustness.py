"""Robustness to scaling down (SPEC section 3): margins, cut sets, uniform margin.

One bottom-up pass serves every goal, whatever the shape of the argument.

A *condition* ``(c, y)`` is "claim ``c`` is at least ``y``"; the ones that
matter are the goals' requirements and, below them, the thresholds of the
routes that work. An *event* caps one premise. For every condition and every
level ``L`` below top, ``fails[L]`` is the set of premises whose cap at ``L``
makes the condition false, as a bitset (a Python int, one bit per claim in
topological order). A route fails when any premise condition fails (union);
a claim falls below ``y`` when its own cap is below ``y`` or every route that
could carry it there fails (intersection). Capping lower only does more harm,
so ``fails[0] ⊇ fails[1] ⊇ ...``, and for a goal the lowest cap on ``p``
that keeps it is the number of levels whose set holds ``p``: every margin of
every goal from ``top`` bitsets per condition.

Cut sets use the events "``p`` scaled down ``depth`` steps". Order 1 is read
off the same bitsets. Orders 2..k follow the same recursion on families of
sets (a set of claims is a bitset too): union of the premises' families for
a route, the pairwise product, truncated at order k and kept minimal, for a
claim. This part can be large for real (a claim with two routes of a hundred
single points of failure each has ten thousand cut sets of order 2), so it
runs under a work budget and a size limit; where one is hit the affected
goals report their exact order-1 sets and ``cut_sets_complete = False``.

Cycles: values are least fixed points, so a condition on a cycle survives an
event only if it has a well-founded derivation. Its failure sets are the
*greatest* fixed point of the equations above; the conditions of a cyclic
component are started at "fails on anything" and iterated downwards with a
worklist until nothing changes. Acyclic components take one step each.

Cost (``n`` claims, ``e`` premise occurrences, ``s`` levels): the margin pass
is ``O(s * e)`` word-parallel set operations on sets of at most ``n`` bits,
i.e. ``O(s * e * n / 64)`` word operations in the worst case, shared by all
goals; cyclic components add at most one re-computation per bit a set can
lose. Reading the results costs the size of the report (every goal's whole
support). The uniform margin is ``O(s)`` evaluations of the map.
"""

from __future__ import annotations

import gc
import threading
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress
from typing import Any

from cruxmap.core.graph import ClaimGraph
from cruxmap.core.semantics import Scenario, evaluate
from cruxmap.core.session import BASES_MAX, SEEN_MAX, Session

#: Work units (one set built, compared or combined) the order >= 2 cut-set
#: search may spend per analysis, across all goals: this much, plus
#: ``CUT_SET_BUDGET_PER_CONDITION`` per condition of the map (so the bound
#: grows linearly with the map; about 0.2 microseconds a unit).
CUT_SET_BUDGET = 2_000_000
CUT_SET_BUDGET_PER_CONDITION = 300
#: Largest family of cut sets kept for one condition (and so listed for one
#: goal); a bigger one is cut.
CUT_SET_FAMILY_LIMIT = 10_000


class BudgetExceeded(Exception):
    """The analysis-wide cut-set budget is spent."""


class _TooBig(Exception):
    """One condition's family of cut sets is over the size limit."""


@dataclass(frozen=True, slots=True)
class PremiseAnalysis:
    baseline: int
    #: Steps ``p`` can drop with the goal holding; ``None``: holds at bottom.
    margin: int | None
    #: Highest level of ``p`` at which the goal fails; ``None``: none.
    breaks_at: int | None

    @property
    def brittle(self) -> bool:
        return self.margin == 0


@dataclass
class GoalAnalysis:
    claim: int
    required: int
    baseline: int
    cut_sets: list[tuple[int, ...]] = field(default_factory=list)
    #: False when the cut-set search hit its budget: the list is partial
    #: (order 1 is always complete).
    cut_sets_complete: bool = True
    uniform_margin: int | None = None
    #: The goal's support (bitset, without the goal) and, per level ``L``, the
    #: premises whose cap at ``L`` breaks it: the margins, read on demand (a
    #: map with 200 goals over 10,000 claims has two million of them).
    _support: int = field(default=0, repr=False)
    _fails: list[int] = field(default_factory=list, repr=False)
    _analysis: Analysis | None = field(default=None, repr=False, compare=False)

    @property
    def holds(self) -> bool:
        return self.baseline >= self.required

    @cached_property
    def premises(self) -> dict[int, PremiseAnalysis]:
        """Every premise of the support, in topological order."""
        a = self._analysis
        if a is None:
            return {}
        claims = list(map(a.claim_of.__getitem__, _bits(self._support)))
        row0 = self._row(0).__getitem__
        out = dict(zip(claims, map(row0, map(a.values.__getitem__, claims)), strict=True))
        out.update(self.breakable)
        return out

    def by_need(self) -> list[tuple[int, list[int]]]:
        """The breakable premises grouped by need (the lowest level they must
        keep for the goal to hold: margin = value - need), each group in
        topological order."""
        a = self._analysis
        if a is None:
            return []
        claim_of = a.claim_of.__getitem__
        fails, support = self._fails, self._support
        out = []
        # need(p) = number of levels whose set holds p; the sets are nested,
        # so the premises with need exactly L + 1 are fails[L] - fails[L + 1].
        for lv in range(len(fails)):
            exact = fails[lv] & ~(fails[lv + 1] if lv + 1 < len(fails) else 0) & support
            if exact:
                out.append((lv + 1, list(map(claim_of, _bits(exact)))))
        return out

    @cached_property
    def breakable(self) -> dict[int, PremiseAnalysis]:
        """The premises whose fall alone can break the goal (margin not
        ``None``), grouped by need."""
        a = self._analysis
        if a is None:
            return {}
        value_of = a.values.__getitem__
        out: dict[int, PremiseAnalysis] = {}
        for need, claims in self.by_need():
            row = self._row(need).__getitem__
            out.update(zip(claims, map(row, map(value_of, claims)), strict=True))
        return out

    def with_margin(self, m: int) -> list[int]:
        """The premises whose margin is exactly ``m``, in topological order:
        a premise at value ``v`` with need ``v - m``, from the level sets
        without visiting the premises one by one."""
        a = self._analysis
        if a is None or not self._fails:
            return []
        fails, by_value = self._fails, a.value_sets()
        hits = 0
        for v, at_v in enumerate(by_value):
            need = v - m
            if need < 1 or need > len(fails):
                continue
            lower = fails[need] if need < len(fails) else 0
            hits |= (fails[need - 1] & ~lower) & at_v
        return list(map(a.claim_of.__getitem__, _bits(hits & self._support)))

    def support_size(self) -> int:
        """Premises in the goal's support (the goal itself not counted)."""
        return self._support.bit_count()

    def breakable_count(self) -> int:
        return (self._fails[0] & self._support).bit_count() if self._fails else 0

    def unbreakable(self) -> list[int]:
        """The premises of the support the goal survives even at bottom."""
        a = self._analysis
        if a is None:
            return []
        rest = self._support & ~(self._fails[0] if self._fails else 0)
        return list(map(a.claim_of.__getitem__, _bits(rest)))

    def _row(self, need: int) -> list[PremiseAnalysis]:
        assert self._analysis is not None
        return self._analysis.table()[need]


#: A family of cut sets of order 2..k: the sets (bitsets) and a mask holding
#: at least their members (so "does any set touch these claims?" is one AND);
#: ``_TOP`` ("fails on nothing at all", the start of the fixed-point
#: iteration on a cycle) or ``None`` (cut by the budget: unknown).
Family = tuple[frozenset[int], int]
Multi = Family | None
_TOP: Family = (frozenset({0}), -1)
_MISSING = object()  # (a family a base did not hold)
_EMPTY: Family = (frozenset(), 0)


class Analysis:
    """Robustness of each goal under one scenario (its values are the baseline).

    With a ``session``, a map that begins with a library another map of the
    session began with reuses the library's failure sets (``_Base``); the
    results are the same as without.
    """

    def __init__(
        self,
        g: ClaimGraph,
        scenario: Scenario,
        depth: int = 1,
        max_order: int = 3,
        session: Session | None = None,
    ) -> None:
        self.g = g
        self.session = session
        self.scenario = scenario
        self.depth = max(1, depth)
        self.max_order = max(1, max_order)
        self.ceil = scenario.ceiling(g)
        self.values = evaluate(g, scenario, self.ceil)
        n = len(g.names)
        #: Bit of each claim: its rank in topological order, so a condition's
        #: sets only hold bits below its own and stay short low in the map.
        self.bit_of = [0] * n
        self.claim_of = [0] * n
        #: Shared premise results by [need][baseline].
        self._table = []
        self._value_sets: list[int] | None = None
        k = 0
        for comp in g.components:
            for c in comp:
                self.bit_of[c] = k
                self.claim_of[k] = c
                k += 1

    _table: list[list[PremiseAnalysis]]

    def _lowered(self, p: int) -> int:
        return max(self.values[p] - self.depth, 0)

    # -- entry point ------------------------------------------------------

    def goals(self, goals: list[tuple[int, int]]) -> dict[int, GoalAnalysis]:
        results: dict[int, GoalAnalysis] = {}
        for c, req in goals:
            results[c] = GoalAnalysis(c, req, self.values[c])
        holding = [r for r in results.values() if r.holds]
        # The pass allocates many small sets and no reference cycles: the
        # cyclic garbage collector would only rescan them (a quarter of the
        # time on large maps).
        collecting = gc.isenabled()
        gc.disable()
        try:
            if holding:
                base = _base_for(self)
                done = False
                if base is not None:
                    try:
                        self._measure(holding, base)
                        done = True
                    except _BaseFull:
                        _forget(self, base, full=True)  # analysed whole below
                    except BaseException:
                        _forget(self, base)  # its tables may be half built
                        raise
                    finally:
                        base.lock.release()
                if not done:
                    self._measure(holding, None)
            self._uniform_margins(holding)
        finally:
            if collecting:
                gc.enable()
        return results

    def _measure(self, holding: list[GoalAnalysis], base: _Base | None) -> None:
        """Run the sweep for the holding goals (on ``base`` when given) and
        fill in their results."""
        sweep = _Sweep(self, [(r.claim, r.required) for r in holding], base)
        try:
            support = self._supports([r.claim for r in holding])
            for res in holding:
                self._report(res, sweep, support[res.claim])
        finally:
            sweep.detach()  # (a map's own conditions out of the base's tables)

    def table(self) -> list[list[PremiseAnalysis]]:
        """One shared (frozen) premise result per (need, baseline)."""
        table = self._table
        if not table:
            n_levels = len(self.g.levels)
            table.extend(
                [
                    PremiseAnalysis(v, v - need, need - 1)
                    if need
                    else PremiseAnalysis(v, None, None)
                    for v in range(n_levels)
                ]
                for need in range(n_levels)
            )
        return table

    def value_sets(self) -> list[int]:
        """Per level, the claims (bitset) whose value is that level."""
        if self._value_sets is None:
            sets = [0] * len(self.g.levels)
            for c, v in enumerate(self.values):
                sets[v] |= 1 << self.bit_of[c]
            self._value_sets = sets
        return self._value_sets

    def _report(self, res: GoalAnalysis, sweep: _Sweep, support: int) -> None:
        claim_of = self.claim_of
        x = sweep.cond_of[(res.claim, res.required)]
        own = 1 << self.bit_of[res.claim]
        support &= ~own
        res._support, res._fails, res._analysis = support, sweep.levels[x], self
        singles = sweep.single[x] & support
        cuts: list[tuple[int, ...]] = [(claim_of[b],) for b in _bits(singles)]
        if self.max_order >= 2:
            multi = sweep.multi.get(x) if sweep.multi is not None else None
            if multi is None:
                res.cut_sets_complete = False
            else:
                for m in multi[0]:
                    if m & own:
                        continue  # the goal is never in its own support
                    cuts.append(tuple(claim_of[b] for b in _bits(m)))
        names = self.g.names
        named = [tuple(sorted(s, key=lambda i: names[i])) for s in cuts]
        res.cut_sets = sorted(named, key=lambda s: (len(s), [names[i] for i in s]))

    def _supports(self, goals: list[int]) -> dict[int, int]:
        """Structural ancestors of each goal, as bitsets (one topological pass;
        a set is dropped once every claim it feeds has been built)."""
        g, bit_of = self.g, self.bit_of
        wanted = set(goals)
        pending = [0] * len(g.names)
        feeds: list[list[int]] = [[] for _ in g.names]
        for r in g.routes:
            for p in {p for p, _ in r.premises}:
                feeds[r.conclusion].append(p)
                pending[p] += 1
        anc: dict[int, int] = {}
        out: dict[int, int] = {}
        for comp, cyclic in zip(g.components, g.cyclic, strict=True):
            acc = 0
            members = set(comp) if cyclic else ()
            for c in comp:
                for p in feeds[c]:
                    if p in members:
                        continue
                    acc |= anc[p] | (1 << bit_of[p])
            if cyclic:
                for c in comp:
                    acc |= 1 << bit_of[c]
            for c in comp:
                anc[c] = acc
                if c in wanted:
                    out[c] = acc
            for c in comp:
                for p in feeds[c]:
                    if p in members:
                        continue
                    pending[p] -= 1
                    if pending[p] == 0:
                        del anc[p]
            for c in comp:
                if pending[c] == 0 and c in anc:
                    del anc[c]
        return out

    # -- uniform margin -------------------------------------------------

    def _uniform_margins(self, holding: list[GoalAnalysis]) -> None:
        """Lower every leaf ``d`` steps for ``d = 1, 2, ...``: one evaluation
        of the map per level, shared by all goals."""
        g = self.g
        if not holding:
            return
        leaves = [c for c in range(len(g.names)) if g.is_leaf(c)]
        deepest = max((self.values[c] for c in leaves), default=0)
        open_goals = list(holding)
        for d in range(1, deepest + 1):
            ceil = list(self.ceil)
            for c in leaves:
                ceil[c] = min(ceil[c], max(self.values[c] - d, 0))
            vals = evaluate(g, self.scenario, ceil)
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


_DIGITS = bytes.maketrans(b"01", b"\x00\x01")


def _bits(x: int) -> list[int]:
    """Positions of the set bits of ``x``, ascending: a dense set selects
    positions by its binary digits in C, a sparse one skips to each digit."""
    if not x:
        return []
    s = bin(x)[:1:-1]
    if x.bit_count() * 10 > len(s):
        return list(compress(range(len(s)), s.encode("ascii").translate(_DIGITS)))
    out = []
    i = s.find("1")
    while i >= 0:
        out.append(i)
        i = s.find("1", i + 1)
    return out


class _Sweep:
    """The conditions the goals depend on, and their failure sets."""

    #: A base leaves the cut-set families to the maps that read them.
    lazy = False

    def __init__(
        self, a: Analysis, goals: list[tuple[int, int]], base: _Base | None = None
    ) -> None:
        self.a = a
        g = a.g
        self.steps = g.top  # levels L = 0 .. top - 1 can cap a claim
        self.cond_of: dict[tuple[int, int], int] = {}
        self.claim: list[int] = []
        self.level: list[int] = []
        #: Per condition: the routes that can carry it (each a tuple of
        #: premise conditions), or None when no route can fail (a leaf, a
        #: claim pinned by the scenario, a route whose premises all have
        #: threshold bottom).
        self.routes: list[list[tuple[int, ...]] | None] = []
        #: With a shared base: claims below ``split`` are the base's; a
        #: condition on one is the base's, found through ``frontier`` (its
        #: number ``j`` stands as ``~j`` until :meth:`_attach`).
        self.base = base
        self.split = a.g.shared if base is not None else 0
        self.frontier: dict[tuple[int, int], int] = {}
        #: Conditions below ``start`` belong to the base (never freed here).
        self.start = 0
        self._own_keys: list[tuple[int, int]] = []
        self._attached = False
        #: The base's families this map recomputed past its budget (see
        #: :meth:`_base_families`), to put back.
        self._saved: dict[int, Any] = {}
        self._discover(goals)
        self.levels: list[list[int]] = [[] for _ in self.claim]
        #: Per condition: the order-1 cut sets (premises whose own scaling
        #: down by ``depth`` makes it fail).
        self.single: list[int] = [0] * len(self.claim)
        self._masks = self._lowered_masks()
        self._low = [a._lowered(c) if a.values[c] > 0 else 0 for c in range(len(g.names))]
        k = a.max_order
        self.k = k
        self.multi: dict[int, Multi] | None = {} if k >= 2 else None
        self.spent = 0
        self.budget = CUT_SET_BUDGET + CUT_SET_BUDGET_PER_CONDITION * len(self.claim)
        if base is not None:
            self._attach(base)
        self._run(range(self.start, len(self.claim)), goals)

    # -- sharing a base ---------------------------------------------------

    def _attach(self, base: _Base) -> None:
        """Have the base compute the conditions this map reads of it, then
        append this map's own conditions to the base's tables (so that one
        number names a condition whichever side it is on)."""
        base.ensure(list(self.frontier))
        start = len(base.claim)
        base_of = [base.cond_of[key] for key in self.frontier]
        own = len(self.claim)

        def at(q: int) -> int:
            return start + q if q >= 0 else base_of[~q]

        base.claim.extend(self.claim)
        base.level.extend(self.level)
        base.routes.extend(
            None if rs is None else [tuple(map(at, route)) for route in rs] for rs in self.routes
        )
        base.levels.extend(self.levels)
        base.single.extend(self.single)
        for key, x in self.cond_of.items():
            base.cond_of[key] = start + x
        self.start = start
        self._attached = True
        self.claim, self.level, self.routes = base.claim, base.level, base.routes
        self.levels, self.single = base.levels, base.single
        self._own_keys = list(self.cond_of)
        self.cond_of = base.cond_of
        if self.multi is not None:
            assert base.multi is not None
            self.multi = base.multi
            self._base_families(base, base_of, own)

    def _base_families(self, base: _Base, reached_from: list[int], own: int) -> None:
        """The cut-set families of the base conditions this map reads, as its
        whole analysis would have them, and its budget and spent work on
        leaving them.

        Analysed whole, the map computes those conditions first (the prefix
        is ordered first), component by component, each component's in level
        order, under a budget that counts them. So they are visited in that
        order, charged the work the base recorded for them; one the base does
        not hold is computed here, and kept by the base if it came out whole
        (not cut by the budget). From the one where the budget runs out on,
        the map computes them itself, in that state (cheap: every charge then
        fails), over the base's families, which :meth:`detach` puts back.
        """
        reached = base.reach(reached_from)
        self.budget = CUT_SET_BUDGET + CUT_SET_BUDGET_PER_CONDITION * (own + len(reached))
        g, multi = self.a.g, self.multi
        assert multi is not None
        known = base.known_work(reached)
        if known is not None and known <= self.budget:
            self.spent = known  # all whole and within budget: the order is moot
            return
        by_component: dict[int, list[int]] = {}
        for x in reached:
            by_component.setdefault(g.position[base.claim[x]], []).append(x)
        spent = 0
        for pos in sorted(by_component):
            xs = by_component[pos]
            units: list[tuple[list[int], int | None]]  # (conditions, their known work)
            if g.cyclic[pos]:
                # A group's work is known only for the same group.
                gid = base.group_of.get(xs[0])
                same = gid is not None and base.groups[gid][0] == frozenset(xs)
                units = [(xs, base.groups[gid][1] if same and gid is not None else None)]
            else:
                xs.sort(key=base.level.__getitem__)
                units = [([x], base.work.get(x)) for x in xs]
            for unit, known in units:
                if known is not None and spent + known <= self.budget:
                    spent += known
                    continue
                fresh = not any(x in base.work or x in base.group_of for x in unit)
                for x in unit:
                    self._saved[x] = multi.get(x, _MISSING)
                self.spent = spent
                if g.cyclic[pos]:
                    self._cyclic(unit, pos, levels=False)
                else:
                    multi[unit[0]] = self._multi(unit[0], multi, self.single)[1]
                if fresh and self.spent <= self.budget:  # whole: the base keeps it
                    for x in unit:
                        del self._saved[x]
                    base.keep(unit, self.spent - spent, bool(g.cyclic[pos]))
                spent = self.spent
        self.spent = spent

    def detach(self) -> None:
        """Take this map's conditions back out of the base's tables."""
        base, start = self.base, self.start
        if base is None or not self._attached:
            return
        self._attached = False
        for key in self._own_keys:
            del base.cond_of[key]
        if base.multi is not None:
            for x in range(start, len(base.claim)):
                base.multi.pop(x, None)
            for x, fam in self._saved.items():
                if fam is _MISSING:
                    base.multi.pop(x, None)
                else:
                    base.multi[x] = fam
        for table in (base.claim, base.level, base.routes, base.levels, base.single):
            del table[start:]

    # -- building the condition graph ------------------------------------

    def _cond(self, c: int, y: int, stack: list[int]) -> int:
        key = (c, y)
        if c < self.split:
            j = self.frontier.get(key)
            if j is None:
                j = self.frontier[key] = len(self.frontier)
            return ~j
        x = self.cond_of.get(key)
        if x is None:
            x = len(self.claim)
            self.cond_of[key] = x
            self.claim.append(c)
            self.level.append(y)
            self.routes.append(None)
            stack.append(x)
        return x

    def _discover(self, goals: list[tuple[int, int]]) -> None:
        stack: list[int] = []
        for c, y in goals:
            self._cond(c, y, stack)
        self._discover_from(stack)

    def _discover_from(self, stack: list[int]) -> None:
        a, g = self.a, self.a.g
        values, pinned, removed = a.values, a.scenario.overrides, a.scenario.removed
        while stack:
            x = stack.pop()
            c, y = self.claim[x], self.level[x]
            if y <= 0 or c in pinned or not g.routes_to[c]:
                continue
            routes: list[tuple[int, ...]] = []
            free = False
            for r in g.routes_to[c]:
                route = g.routes[r]
                if r in removed or route.yields < y:
                    continue
                if any(values[q] < th for q, th in route.premises):
                    continue
                prem = tuple(self._cond(q, th, stack) for q, th in route.premises if th > 0)
                if not prem:
                    free = True  # this route cannot fail
                routes.append(prem)
            self.routes[x] = None if free else routes

    # -- the pass ---------------------------------------------------------

    def _run(self, conditions: range, goals: list[tuple[int, int]] | None) -> None:
        """Compute ``conditions`` component by component, freeing (unless
        ``goals`` is None: a base keeps everything) what nothing reads later."""
        g = self.a.g
        position = g.position
        start = self.start
        uses = [0] * len(self.claim)
        if goals is not None:
            routes_of = self.routes
            for x in conditions:
                for route in routes_of[x] or ():
                    for q in route:
                        uses[q] += 1
            for c, y in goals:
                uses[self.cond_of[(c, y)]] += 1
        by_component: dict[int, list[int]] = {}
        claim_of = self.claim
        for x in conditions:
            by_component.setdefault(position[claim_of[x]], []).append(x)
        level = self.level
        for pos in sorted(by_component):
            group = by_component[pos]
            if g.cyclic[pos]:
                self._cyclic(group, pos)
            else:
                # In level order, not discovery order: the work before each
                # condition, so where a budget runs out, is then the same
                # whichever map discovered them (see ``_base_families``).
                group.sort(key=level.__getitem__)
                for x in group:
                    self.levels[x] = self._levels(x)
                    self.single[x] = self._singles(x)
                    if self.multi is not None and not self.lazy:
                        self.multi[x] = self._multi(x, self.multi, self.single)[1]
            if goals is None:
                self._retained(group)
                continue
            # Free what no later condition reads (goals keep theirs; the
            # base's are shared).
            for x in group:
                for route in self.routes[x] or ():
                    for q in route:
                        uses[q] -= 1
                        if uses[q] == 0 and q >= start:
                            self._free(q)

    def _retained(self, group: list[int]) -> None:
        """Kept conditions are counted by a base (see :class:`_Base`)."""

    def _free(self, x: int) -> None:
        self.levels[x] = []
        self.single[x] = 0
        if self.multi is not None:
            self.multi.pop(x, None)

    def _levels(self, x: int) -> list[int]:
        c, y = self.claim[x], self.level[x]
        own = 1 << self.a.bit_of[c]
        routes = self.routes[x]
        steps = self.steps
        if routes is None:
            return [own if lv < y else 0 for lv in range(steps)]
        levels = self.levels
        if len(routes) == 1 and len(routes[0]) == 1:
            below = levels[routes[0][0]]
            return [below[lv] | own if lv < y else below[lv] for lv in range(steps)]
        out = []
        live = True
        for lv in range(steps):
            acc = 0
            if live:
                first = True
                for route in routes:
                    u = 0
                    for q in route:
                        u |= levels[q][lv]
                    acc = u if first else acc & u
                    first = False
                    if not acc:
                        break
                live = acc != 0  # nested: nothing fails at a higher cap either
            out.append(acc | own if lv < y else acc)
        return out

    def _singles(self, x: int) -> int:
        """p is an order-1 cut set of ``x`` iff p in fails[lowered(p)]."""
        out = 0
        for mask, fails in zip(self._masks, self.levels[x], strict=False):
            out |= fails & mask
        return out

    def _lowered_masks(self) -> list[int]:
        """Claims by the level scaling down takes them to (bitsets); claims
        at bottom cannot be scaled down and are in none."""
        a = self.a
        masks = [0] * self.steps
        for c in range(len(a.g.names)):
            if a.values[c] > 0:
                masks[a._lowered(c)] |= 1 << a.bit_of[c]
        return masks

    # -- families of order 2..k ----------------------------------------

    def _charge(self, work: int) -> None:
        self.spent += work
        if self.spent > self.budget:
            raise BudgetExceeded

    def _multi(
        self, x: int, fam: dict[int, Multi] | _Overlay, single: list[int] | _Overlay
    ) -> tuple[int, Multi]:
        """The order-1 sets and the order-2..k family of condition ``x``, from
        those (``single``, ``fam``) of the conditions it reads."""
        c, y = self.claim[x], self.level[x]
        own = 1 << self.a.bit_of[c] if self._low[c] < y else 0
        routes = self.routes[x]
        if routes is None:
            return own, _EMPTY
        try:
            acc_s = 0
            acc_m: Multi = _TOP
            for route in routes:
                rs, rm = self._route_family(route, fam, single)
                acc_s, acc_m = self._product(acc_s, acc_m, rs, rm)
                if acc_m is None:
                    return acc_s | own, None
            if acc_m is _TOP or acc_m is None:
                return acc_s | own, acc_m
            return acc_s | own, self._without(acc_m, own)
        except _TooBig:
            return 0, None
        except BudgetExceeded:
            self.spent = self.budget + 1  # every later search is cut too
            return 0, None

    def _without(self, fam: Family, singles: int) -> Family:
        """``fam`` less the sets that contain one of ``singles`` (not minimal)."""
        sets, members = fam
        if not members & singles:
            return fam
        self._charge(len(sets))
        # (the sets that touch ``singles``, picked out in C)
        return sets.difference(filter(singles.__and__, sets)), members & ~singles  # type: ignore[arg-type]

    def _route_family(
        self,
        route: tuple[int, ...],
        fam: dict[int, Multi] | _Overlay,
        single: list[int] | _Overlay,
    ) -> tuple[int, Multi]:
        """A route fails when any premise condition fails: the union."""
        s = 0
        parts: list[Family] = []
        for q in route:
            m = fam.get(q)
            if m is _TOP:
                return 0, _TOP
            if m is None:
                return 0, None
            s |= single[q]
            if m[0]:
                parts.append(m)
        if not parts:
            return s, _EMPTY
        if len(parts) == 1:
            return s, self._without(parts[0], s)
        members = 0
        for _, mem in parts:
            members |= mem
        self._charge(sum(len(sets) for sets, _ in parts))
        union = frozenset().union(*(sets for sets, _ in parts))
        sets, members = self._without((union, members), s)
        if self.k > 2:
            sets = self._minimal(list(sets))
        return s, (sets, members)

    def _product(self, sa: int, fa: Multi, sb: int, fb: Multi) -> tuple[int, Multi]:
        """Both fail: every union of a set (or single) of each, up to order k.

        ``fa`` never touches ``sa`` (nor ``fb`` ``sb``), so no set built
        here contains a single of the result ``sa & sb``.
        """
        if fa is _TOP:
            return sb, fb
        if fb is _TOP:
            return sa, fa
        if fa is None or fb is None:
            if (fa is not None and not fa[0] and not sa) or (
                fb is not None and not fb[0] and not sb
            ):
                return 0, _EMPTY  # one side never fails: neither do both
            return sa & sb, None
        k = self.k
        ma, mem_a = fa
        mb, mem_b = fb
        out: set[int] = set()
        members = 0
        only_a, only_b = sa & ~sb, sb & ~sa
        if only_a and only_b:
            members = self._singles_product(only_a, only_b, out)
        # A set of one side with a single of the other: the set itself when
        # it holds that single, else one larger (only below order k).
        if ma:
            members |= self._set_with_single(ma, mem_a, sb, sa & sb, out)
        if mb:
            members |= self._set_with_single(mb, mem_b, sa, sa & sb, out)
        if ma and mb:
            members |= self._sets_product(ma, mem_a, mb, mem_b, out)
        if len(out) > CUT_SET_FAMILY_LIMIT:
            raise _TooBig
        sets = frozenset(out) if k == 2 else self._minimal(list(out))
        return sa & sb, (sets, members)

    def _singles_product(self, only_a: int, only_b: int, out: set[int]) -> int:
        """Add to ``out`` each pair of a single of one side only and a single
        of the other; return the claims used."""
        na, nb = only_a.bit_count(), only_b.bit_count()
        self._charge(na * nb)
        if na * nb > CUT_SET_FAMILY_LIMIT:
            raise _TooBig
        bs = [1 << b for b in _bits(only_b)]
        for i in _bits(only_a):
            bi = 1 << i
            out.update([bi | bj for bj in bs])
        return only_a | only_b

    def _set_with_single(
        self, m: frozenset[int], mem: int, other_s: int, both_s: int, out: set[int]
    ) -> int:
        """Add to ``out`` each set of ``m`` joined with a single of the other
        side (``other_s``, of which ``both_s`` are singles of both); return the
        claims used."""
        members = 0
        if mem & other_s:
            self._charge(len(m))
            for t in m:
                if t & other_s:
                    out.add(t)
                    members |= t
        k = self.k
        if k > 2 and other_s:
            other_only = other_s & ~both_s
            bs = [1 << b for b in _bits(other_only)]
            for t in m:
                if not t & other_s and t.bit_count() < k:
                    self._charge(len(bs))
                    for b in bs:
                        out.add(t | b)
                    members |= t | other_only
        return members

    def _sets_product(
        self, ma: frozenset[int], mem_a: int, mb: frozenset[int], mem_b: int, out: set[int]
    ) -> int:
        """Add to ``out`` each union of a set of each side up to order k (at
        order 2, the sets both sides share); return the claims used."""
        k = self.k
        if k == 2:
            both = ma & mb
            out.update(both)
            return mem_a & mem_b if both else 0
        members = 0
        self._charge(len(ma) * len(mb))
        for t in ma:
            for u in mb:
                tu = t | u
                if tu.bit_count() <= k:
                    out.add(tu)
                    members |= tu
        return members

    def _minimal(self, sets: list[int]) -> frozenset[int]:
        """Drop every set that strictly contains another (order >= 3 only:
        sets of equal size never contain one another)."""
        if self.k <= 2 or len(sets) <= 1:
            return frozenset(sets)
        sets.sort(key=int.bit_count)
        kept: list[int] = []
        for s in sets:
            self._charge(len(kept) + 1)
            if any(t & s == t for t in kept if t.bit_count() < s.bit_count()):
                continue
            kept.append(s)
        return frozenset(kept)

    # -- cycles ---------------------------------------------------------

    def _cyclic(self, group: list[int], pos: int, levels: bool = True) -> None:
        """Greatest fixed point of the failure sets of a cyclic component:
        start from "fails on anything", recompute with a worklist (with
        ``levels`` false, only the order-2..k families)."""
        a = self.a
        # In claim order, not discovery order: the same group is then iterated
        # alike whichever map discovered it (its work, so where a budget runs
        # out, is the same whether the map shares a base or not).
        bit_of, claim, level = a.bit_of, self.claim, self.level
        group = sorted(group, key=lambda x: (bit_of[claim[x]], level[x]))
        members = set(group)
        top_bit = max(a.bit_of[c] for c in a.g.components[pos])
        everything = (1 << (top_bit + 1)) - 1
        readers: dict[int, list[int]] = {x: [] for x in group}
        for x in group:
            for route in self.routes[x] or ():
                for q in route:
                    if q in members:
                        readers[q].append(x)
        if levels:
            for x in group:
                self.levels[x] = [everything] * self.steps
            queue = deque(group)
            queued = set(group)
            while queue:
                x = queue.popleft()
                queued.discard(x)
                new = self._levels(x)
                if new != self.levels[x]:
                    self.levels[x] = new
                    for r in readers[x]:
                        if r not in queued:
                            queued.add(r)
                            queue.append(r)
            for x in group:
                self.single[x] = self._singles(x)
        if self.multi is None or self.lazy:
            return
        # The families are iterated with their own order-1 part: until every
        # route is known, a member's singles are more than its final ones,
        # and dropping them would let the iteration climb back up.
        current: dict[int, Multi] = {x: _TOP for x in group}
        singles: dict[int, int] = {x: 0 for x in group}
        fam = self.multi
        view = _Overlay(current, fam)
        single_view = _Overlay(singles, self.single)
        queue = deque(group)
        queued = set(group)
        while queue:
            x = queue.popleft()
            queued.discard(x)
            s, family = self._multi(x, view, single_view)
            if family is None:
                for y in group:
                    current[y] = None
                break
            if family != current[x] or s != singles[x]:
                current[x] = family
                singles[x] = s
                for r in readers[x]:
                    if r not in queued:
                        queued.add(r)
                        queue.append(r)
        for x in group:
            m = current[x]
            fam[x] = None if m is _TOP else m


class _Base(_Sweep):
    """The failure sets of a closed imported prefix (``ClaimGraph.shared``),
    computed on demand and kept, for every map that imports it the same way.

    A root that imports a library of claims and adds its own is a map of
    its own; without this, each such root would recompute the library's
    conditions (issue 8's library shape). The conditions of base claims
    depend only on the base, so their failure sets are computed once (for
    the first map that asks, in its terms: the claims' numbers, bits and
    values are the same in every map with this base) and never freed; each
    map appends its own conditions for its analysis and takes them out
    after. Order-2..k families depend on the asking map's cut-set budget
    too, so the maps compute them (``_Sweep._base_families``) and the base
    keeps only those that came out whole. Lives in a session
    (:mod:`cruxmap.core.session`).
    """

    def __init__(self, a: Analysis) -> None:
        #: Cut-set families are computed by the maps that read them, in their
        #: terms (``_Sweep._base_families``); the base keeps the whole ones,
        #: with the work each took (by condition, or by cyclic group).
        self.work: dict[int, int] = {}
        self.group_of: dict[int, int] = {}
        self.groups: list[tuple[frozenset[int], int]] = []
        super().__init__(a, [])
        self.lock = threading.Lock()
        self.values = a.values[: a.g.shared]
        #: Bits held in the kept sets (their memory, roughly).
        self.bits = 0

    lazy = True

    def keep(self, unit: list[int], work: int, cyclic: bool) -> None:
        """Keep the families a map just computed whole for ``unit``."""
        if cyclic:
            for x in unit:
                self.group_of[x] = len(self.groups)
            self.groups.append((frozenset(unit), work))
        else:
            self.work[unit[0]] = work
        multi = self.multi
        assert multi is not None
        bits = 0
        for x in unit:
            fam = multi.get(x)
            if fam is not None:
                bits += len(fam[0]) * fam[1].bit_length()
        self._count(bits)

    def known_work(self, reached: set[int]) -> int | None:
        """The recorded work of ``reached`` (a closed set of base conditions),
        or ``None`` when a family is missing or a cyclic component's conditions
        in ``reached`` are not exactly one recorded group."""
        work, group_of, position, claim = self.work, self.group_of, self.a.g.position, self.claim
        total = 0
        groups: dict[int, int] = {}
        for x in reached:
            w = work.get(x)
            if w is not None:
                total += w
                continue
            gid = group_of.get(x)
            if gid is None or groups.setdefault(position[claim[x]], gid) != gid:
                return None
        for gid in groups.values():
            members, w = self.groups[gid]
            if not members <= reached:
                return None
            total += w
        return total

    def reach(self, conditions: list[int]) -> set[int]:
        """The base conditions ``conditions`` read, directly or not
        (themselves included)."""
        seen = set(conditions)
        stack = list(seen)
        routes = self.routes
        while stack:
            for route in routes[stack.pop()] or ():
                for q in route:
                    if q not in seen:
                        seen.add(q)
                        stack.append(q)
        return seen

    def _retained(self, group: list[int]) -> None:
        self._count(sum(fails.bit_length() for x in group for fails in self.levels[x]))

    def _count(self, bits: int) -> None:
        """Count what the base keeps; past ``BASE_MAX_BITS`` give it up (a
        deep chain's sets grow with depth: kept whole, they would be
        quadratic in memory, where the unshared analysis frees them)."""
        self.bits += bits
        if self.bits > BASE_MAX_BITS:
            raise _BaseFull

    def ensure(self, keys: list[tuple[int, int]]) -> None:
        """Add the base conditions ``keys`` name (and what they read) that no
        earlier map needed, with their failure sets (no budget applies to
        those; the cut-set families are the maps', see :meth:`keep`)."""
        stack: list[int] = []
        first = len(self.claim)
        for c, y in keys:
            self._cond(c, y, stack)
        self._discover_from(stack)
        added = len(self.claim) - first
        if not added:
            return
        self.levels.extend([] for _ in range(added))
        self.single.extend([0] * added)
        self._run(range(first, len(self.claim)), None)


#: Most bits (see ``_Base.bits``) a base may keep: 64 MiB of sets.
BASE_MAX_BITS = 1 << 29


class _BaseFull(Exception):
    """A base would keep more than ``BASE_MAX_BITS``: given up."""


def _forget(a: Analysis, base: _Base, full: bool = False) -> None:
    """Drop ``base`` from ``a``'s session (``full``: and never make it again)."""
    session = a.session
    if session is None:
        return
    for key, b in list(session.bases.items()):
        if b is base:
            del session.bases[key]
            if full:
                session.seen[key] = True


def _base_for(a: Analysis) -> _Base | None:
    """The shared base for ``a``'s map, locked for its use; ``None`` when
    there is no session, the map has no shared prefix, or the scenario
    touches it (then it is analysed whole)."""
    g, sc, session = a.g, a.scenario, a.session
    b = g.shared
    if not b or session is None:
        return None
    if any(c < b for c in sc.overrides) or any(c < b for c in sc.caps):
        return None
    if any(r < g.shared_routes for r in sc.removed):
        return None
    key = (g.shared_key, a.depth, a.max_order)
    bases, seen = session.bases, session.seen
    base = bases.get(key)
    if base is None:
        if seen.get(key):
            return None  # outgrew its bound before
        if b == len(g.names) and key not in seen:
            # Nothing of its own (a root that only imports): nothing to share
            # with, unless another map begins with the same files.
            seen[key] = False
            while len(seen) > SEEN_MAX:
                seen.popitem(last=False)
            return None
    if base is not None and base.values != a.values[:b]:
        base = None  # (cannot happen: equal keys give equal values)
    if base is None:
        base = _Base(a)
        bases[key] = base
        while len(bases) > BASES_MAX:
            bases.popitem(last=False)
    else:
        bases.move_to_end(key)
    if not base.lock.acquire(blocking=False):
        return None  # in use by another thread: analyse whole
    return base


class _Overlay:
    """Read ``current`` first, then ``base`` (a cyclic group's iterates over
    the settled families below it), without copying either."""

    def __init__(self, current: dict[int, Any], base: dict[int, Any] | list[Any]) -> None:
        self.current = current
        self.base = base

    def get(self, x: int) -> Any:
        if x in self.current:
            return self.current[x]
        return self.base[x] if isinstance(self.base, list) else self.base.get(x)

    def __getitem__(self, x: int) -> Any:
        if x in self.current:
            return self.current[x]
        return self.base[x]
