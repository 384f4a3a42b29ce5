"""Independent, brute-force reference implementation of SPEC section 3.

Written only from /work/shared/SPEC.md, deliberately without sharing any code
with ``src/cruxmap``.  It works on a plain in-memory description of a map
(:class:`CruxMap`), never on ``.crux`` text, and it favours obviousness over
speed: every value is a least fixed point found by naive iteration from
bottom, every margin and cut set is found by trying every candidate.

Readings of points where the SPEC is ambiguous (each is marked ``READING`` in
the code below as well):

R1  Least fixed point.  The normative definition is the least fixed point.
    The parenthetical "a cycle of reductions cannot lift itself: its members
    get only what routes from outside the cycle give them" is read as a
    consequence of that definition (a cycle with no grounded input stays at
    bottom), not as an extra rule.  So once an outside route lifts one member
    of a cycle over its threshold, the reductions inside the cycle fire and may
    give the other members (and, around the cycle, the first member itself)
    *more* than the outside route alone gave.  Example: ``b`` gets ``partial``
    from outside, ``a reduces to b >= partial`` gives ``a = perfect`` and then
    ``b reduces to a >= partial`` gives ``b = perfect``.
R2  Leaf = a claim that no reduction of the map concludes (structural, decided
    on the whole map).  A concluded claim whose reductions are all removed by
    objections is still not a leaf: max over no reductions = bottom.
R3  Scenario ``claim=LEVEL`` (SPEC v0.2): the claim's value is LEVEL whatever
    its routes give, for a leaf (even above its ``assume``) and for a concluded
    claim alike (even above what its routes give).  Caps (objections, scaling
    down) still apply on top with ``min``.  The claim stays a leaf or not as
    the map says (R2, R9).
R4  "Scaling p down to L" (margins, cut sets, uniform margin) caps p at L on
    top of the analysed scenario; every other claim is recomputed (the
    ``other claims as in the baseline`` wording can only mean the *inputs* are
    unchanged; claims downstream of p must be recomputed, or nothing could
    change).  Steps are counted from p's value in the analysed scenario.
R5  Objection caps combine with the scenario and with one another by ``min``
    (a cap never raises); for a leaf ``caps`` caps the (scenario) value, it
    does not set it.  ``with_objections`` is the objections scenario applied on
    top of the analysed (``--set``) scenario.
R6  Support of g = every claim with a path of reductions to g (ancestors in the
    premise -> conclusion graph of *all* reductions, ignoring objections),
    excluding g itself even when g lies on a cycle.
R7  margin(p, g) counts steps down from p's scenario value while g still
    holds; ``None`` when g holds with p at bottom (including when p already is
    at bottom).  breaks_at = highest level L of the whole scale such that g
    fails with p capped at L (capping above p's value changes nothing).
R8  Cut sets: minimal (by inclusion, among all sets) non-empty subsets S of
    the support such that capping every p in S at ``max(bottom, v(p) - d)``
    simultaneously makes g fail; only |S| <= k listed, smallest first, each
    set sorted by name.  Premises in S are lowered from their scenario value,
    not from a value recomputed after the others were lowered.
R9  Uniform margin: "every leaf" means every leaf of the map (leaves outside
    the support cannot affect g anyway), lowered from its scenario value.
R10 Default goals (only when the map has no ``goal``): every claim concluded
    by some reduction and premise of no reduction, required = scale[1].
R11 For a goal that fails in the analysed scenario, ``premises``,
    ``cut_sets`` and ``uniform_margin`` are left out of the report;
    ``with_objections`` is still given.
R12 Grounded extension: an objection attacks the objection named in its
    ``against``; attacks on claims and reductions are not part of the attack
    graph.  Self-attack is allowed (such an objection is undecided unless
    something defeats it).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

DEFAULT_SCALE: tuple[str, ...] = (
    "none",
    "partial",
    "good",
    "great",
    "near_perfect",
    "perfect",
)


@dataclass(frozen=True)
class Reduction:
    id: str
    conclusion: str
    # (premise, threshold level name); threshold None means top.
    premises: tuple[tuple[str, str | None], ...]
    yields: str | None = None  # None means top


@dataclass(frozen=True)
class Objection:
    id: str
    kind: str  # "claim" | "reduction" | "objection"
    target: str
    caps: str | None = None  # only for kind == "claim"; None means bottom


@dataclass
class CruxMap:
    # claim id -> assume level name (None: default top; must be None for concluded claims)
    claims: dict[str, str | None]
    reductions: list[Reduction] = field(default_factory=list)
    goals: dict[str, str] = field(default_factory=dict)  # claim -> required level
    objections: list[Objection] = field(default_factory=list)
    scale: tuple[str, ...] = DEFAULT_SCALE

    # -- small helpers -------------------------------------------------
    @property
    def top(self) -> int:
        return len(self.scale) - 1

    def idx(self, level: str | None, default: int) -> int:
        return default if level is None else self.scale.index(level)

    def concluded(self) -> set[str]:
        return {r.conclusion for r in self.reductions}

    def leaves(self) -> set[str]:
        # READING R2: structural, over all reductions.
        return set(self.claims) - self.concluded()

    def premise_claims(self) -> set[str]:
        return {p for r in self.reductions for p, _ in r.premises}


# ---------------------------------------------------------------------------
# Values: least fixed point by naive iteration from bottom.
# ---------------------------------------------------------------------------


def fixpoint(
    m: CruxMap,
    sets: dict[str, int] | None = None,
    caps: dict[str, int] | None = None,
    removed: frozenset[str] | set[str] = frozenset(),
) -> dict[str, int]:
    """Least fixed point of the SPEC equations, as level indices.

    ``sets``: scenario overrides (index); the claim takes that level, routes or not.
    ``caps``: extra caps (index), applied to every claim with ``min``.
    ``removed``: ids of reductions that do not go through.
    """
    sets = sets or {}
    caps = caps or {}
    top = m.top
    leaves = m.leaves()
    active = [r for r in m.reductions if r.id not in removed]

    def bound(c: str) -> int:
        return caps.get(c, top)

    # READING R3: a set claim takes its level (then caps); routes are ignored.
    fixed = {c: min(lv, bound(c)) for c, lv in sets.items()}
    v: dict[str, int] = {}
    for c, assume in m.claims.items():
        if c in fixed:
            v[c] = fixed[c]
        elif c in leaves:
            v[c] = min(m.idx(assume, top), bound(c))
        else:
            v[c] = 0  # bottom: we want the *least* fixed point
    while True:
        new = dict(v)
        for c in m.claims:
            if c in leaves or c in fixed:
                continue
            best = 0  # max over no reductions = bottom
            for r in active:
                if r.conclusion != c:
                    continue
                if all(v[p] >= m.idx(t, top) for p, t in r.premises):
                    best = max(best, m.idx(r.yields, top))
            new[c] = min(best, bound(c))
        if new == v:
            return v
        v = new


def values(m: CruxMap, sets: dict[str, str] | None = None) -> dict[str, str]:
    """Claim values (level names) in the scenario ``sets`` (names)."""
    v = fixpoint(m, _sets_idx(m, sets))
    return {c: m.scale[i] for c, i in v.items()}


def _sets_idx(m: CruxMap, sets: dict[str, str] | None) -> dict[str, int]:
    return {c: m.scale.index(lv) for c, lv in (sets or {}).items()}


# ---------------------------------------------------------------------------
# Objections: grounded extension.
# ---------------------------------------------------------------------------


def objection_status(m: CruxMap) -> dict[str, str]:
    attackers = {
        o.id: [a.id for a in m.objections if a.kind == "objection" and a.target == o.id]
        for o in m.objections
    }
    status = {o.id: "undecided" for o in m.objections}
    changed = True
    while changed:
        changed = False
        for o in m.objections:
            if status[o.id] != "undecided":
                continue
            if all(status[a] == "out" for a in attackers[o.id]):
                status[o.id] = "in"
                changed = True
            elif any(status[a] == "in" for a in attackers[o.id]):
                status[o.id] = "out"
                changed = True
    return status


def objections_scenario(m: CruxMap) -> tuple[dict[str, int], frozenset[str]]:
    """Caps (index) and removed reduction ids of the objections scenario."""
    status = objection_status(m)
    caps: dict[str, int] = {}
    removed: set[str] = set()
    for o in m.objections:
        if status[o.id] != "in":
            continue
        if o.kind == "claim":
            lv = m.idx(o.caps, 0)  # default bottom
            caps[o.target] = min(caps.get(o.target, m.top), lv)  # READING R5
        elif o.kind == "reduction":
            removed.add(o.target)
    return caps, frozenset(removed)


# ---------------------------------------------------------------------------
# Goals and robustness.
# ---------------------------------------------------------------------------


def goals_of(m: CruxMap) -> dict[str, int]:
    if m.goals:
        return {g: m.scale.index(req) for g, req in m.goals.items()}
    # READING R10
    prem = m.premise_claims()
    return {c: 1 for c in sorted(m.concluded()) if c not in prem}


def support(m: CruxMap, g: str) -> set[str]:
    """Every claim with a path of reductions to g, excluding g (READING R6)."""
    seen: set[str] = set()
    todo = [g]
    while todo:
        x = todo.pop()
        for r in m.reductions:
            if r.conclusion == x:
                for p, _ in r.premises:
                    if p not in seen:
                        seen.add(p)
                        todo.append(p)
    seen.discard(g)
    return seen


def analyse(
    m: CruxMap,
    sets: dict[str, str] | None = None,
    depth: int = 1,
    max_order: int = 3,
) -> dict:
    """The parts of the JSON report that SPEC section 3 determines."""
    s = _sets_idx(m, sets)
    base = fixpoint(m, s)
    ocaps, oremoved = objections_scenario(m)
    withobj = fixpoint(m, s, ocaps, oremoved)  # READING R5
    name = m.scale
    report: dict = {
        "scale": list(m.scale),
        "claims": {c: {"baseline": name[base[c]]} for c in m.claims},
        "goals": {},
        "objections": objection_status(m),
    }
    for g, req in goals_of(m).items():
        entry: dict = {
            "required": name[req],
            "baseline": name[base[g]],
            "status": "holds" if base[g] >= req else "fails",
            "with_objections": {
                "level": name[withobj[g]],
                "status": "holds" if withobj[g] >= req else "fails",
            },
        }
        report["goals"][g] = entry
        if base[g] < req:
            continue  # READING R11

        def holds(caps: dict[str, int], g: str = g, req: int = req) -> bool:
            return fixpoint(m, s, caps)[g] >= req

        sup = sorted(support(m, g))
        premises = {}
        for p in sup:
            b = base[p]
            margin = None
            for d in range(1, b + 1):
                if not holds({p: b - d}):
                    margin = d - 1
                    break
            breaks_at = None
            for lv in range(m.top, -1, -1):
                if not holds({p: lv}):
                    breaks_at = name[lv]
                    break
            premises[p] = {"baseline": name[b], "margin": margin, "breaks_at": breaks_at}
        entry["premises"] = premises

        failing: list[frozenset[str]] = []
        cut_sets: list[list[str]] = []
        for k in range(1, max_order + 1):
            for combo in itertools.combinations(sup, k):
                fs = frozenset(combo)
                if holds({p: max(0, base[p] - depth) for p in combo}):
                    continue
                if not any(f < fs for f in failing):
                    cut_sets.append(sorted(combo))
                failing.append(fs)
        entry["cut_sets"] = cut_sets

        uniform = None
        leaves = m.leaves()
        for d in range(1, m.top + 1):
            if not holds({lf: max(0, base[lf] - d) for lf in leaves}):
                uniform = d - 1
                break
        entry["uniform_margin"] = uniform
    return report
