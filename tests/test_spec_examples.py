"""Hand-worked examples of SPEC section 3, checked against the tool's JSON.

Every expected value below was worked out by hand from the SPEC (the working
is in the comments).  Each example also gives the same map as a
``reference.CruxMap`` so that the reference implementation is held to the same
hand-worked answers (those checks run even without cruxmap).

Default scale indices: none 0 < partial 1 < good 2 < great 3 < near_perfect 4
< perfect 5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from randmaps import run_check
from reference import CruxMap, Objection, Reduction, analyse

ABSENT = object()  # marks a key that must not be in the report
# Dicts under these keys must have exactly the expected keys.
EXACT_KEYS = {"claims", "goals", "premises", "objections"}


def C(cid: str, assume: str | None = None) -> str:
    s = f'claim {cid}: "Claim {cid}."\n    source: "ref"\n'
    if assume:
        s += f"    assume: {assume}\n"
    return s


def B(because: str = "warrant") -> str:
    return f'    because: "{because}"\n'


def R(rid, concl, *prems, yields=None):
    return Reduction(rid, concl, tuple(prems), yields)


@dataclass
class Example:
    name: str
    text: str
    map: CruxMap
    expected: dict
    sets: dict[str, str] = field(default_factory=dict)
    depth: int = 1
    max_order: int = 3
    codes_present: tuple[str, ...] = ()
    codes_absent: tuple[str, ...] = ()

    def args(self) -> list[str]:
        a: list[str] = []
        for c, lv in self.sets.items():
            a += ["--set", f"{c}={lv}"]
        if self.depth != 1:
            a += ["--depth", str(self.depth)]
        if self.max_order != 3:
            a += ["--max-order", str(self.max_order)]
        return a


def match(expected, actual, path="report") -> list[str]:
    """Differences between a (partial) expected report and an actual one."""
    errs: list[str] = []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        last = path.rsplit(".", 1)[-1]
        if last in EXACT_KEYS:
            want = {k for k, v in expected.items() if v is not ABSENT}
            if set(actual) != want:
                errs.append(f"{path}: keys {sorted(actual)} != expected {sorted(want)}")
        for k, v in expected.items():
            if v is ABSENT:
                if k in actual:
                    errs.append(f"{path}.{k}: should be left out, got {actual[k]!r}")
            elif k not in actual:
                errs.append(f"{path}.{k}: missing (expected {v!r})")
            elif k == "cut_sets":
                got = actual[k]
                if not isinstance(got, list) or {frozenset(x) for x in got} != {
                    frozenset(x) for x in v
                }:
                    errs.append(f"{path}.{k}: expected {v!r}, got {got!r}")
            else:
                errs += match(v, actual[k], f"{path}.{k}")
        return errs
    if expected != actual:
        errs.append(f"{path}: expected {expected!r}, got {actual!r}")
    return errs


def goal(required, baseline, status, *, wo=None, premises=None, cuts=None, um=ABSENT):
    """Expected goal entry.  For failing goals the analysis keys must be absent."""
    e: dict = {"required": required, "baseline": baseline, "status": status}
    if wo is not None:
        e["with_objections"] = {"level": wo[0], "status": wo[1]}
    if status == "fails":
        e.update(premises=ABSENT, cut_sets=ABSENT, uniform_margin=ABSENT)
    else:
        if premises is not None:
            e["premises"] = {
                p: {"baseline": b, "margin": m, "breaks_at": br}
                for p, (b, m, br) in premises.items()
            }
        if cuts is not None:
            e["cut_sets"] = cuts
        if um is not ABSENT:
            e["uniform_margin"] = um
    return e


# -- the examples -----------------------------------------------------------

INTERP_BARE = (
    C("alignment")
    + C("interpretability", "great")
    + "\nalignment reduces to interpretability\n"
    + B("with full interpretability we see every problem")
)
INTERP_BARE_MAP = CruxMap(
    claims={"alignment": None, "interpretability": "great"},
    reductions=[R("alignment#1", "alignment", ("interpretability", None))],
)

INTERP_GOOD = (
    C("alignment")
    + C("interpretability", "great")
    + "\nalignment reduces to interpretability >= good\n"
    + B()
)
INTERP_GOOD_MAP = CruxMap(
    claims={"alignment": None, "interpretability": "great"},
    reductions=[R("alignment#1", "alignment", ("interpretability", "good"))],
)

INTERP_BRITTLE = (
    C("alignment")
    + C("interpretability", "great")
    + "\nalignment reduces to interpretability >= great\n"
    + B()
    + "\ngoal alignment >= good\n"
)
INTERP_BRITTLE_MAP = CruxMap(
    claims={"alignment": None, "interpretability": "great"},
    reductions=[R("alignment#1", "alignment", ("interpretability", "great"))],
    goals={"alignment": "good"},
)

ALTERNATIVES = (
    C("a")
    + C("b", "good")
    + C("c", "great")
    + "\nreduction via_b: a reduces to b >= good\n"
    + B()
    + "\nreduction via_c: a reduces to c >= great\n    yields: great\n"
    + B()
    + "\ngoal a >= great\n"
)
ALTERNATIVES_MAP = CruxMap(
    claims={"a": None, "b": "good", "c": "great"},
    reductions=[
        R("via_b", "a", ("b", "good")),
        R("via_c", "a", ("c", "great"), yields="great"),
    ],
    goals={"a": "great"},
)

CYCLE_ALONE = (
    C("a")
    + C("b")
    + "\nreduction r1: a reduces to b >= partial\n"
    + B()
    + "reduction r2: b reduces to a >= partial\n"
    + B()
    + "goal a >= partial\n"
)
CYCLE_ALONE_MAP = CruxMap(
    claims={"a": None, "b": None},
    reductions=[R("r1", "a", ("b", "partial")), R("r2", "b", ("a", "partial"))],
    goals={"a": "partial"},
)

CYCLE_FED = (
    C("a")
    + C("b")
    + C("c", "good")
    + "\nreduction r1: a reduces to b >= partial\n"
    + B()
    + "reduction r2: b reduces to a >= partial\n"
    + B()
    + "reduction r3: b reduces to c >= good\n    yields: partial\n"
    + B()
    + "goal a >= good\n"
)
CYCLE_FED_MAP = CruxMap(
    claims={"a": None, "b": None, "c": "good"},
    reductions=[
        R("r1", "a", ("b", "partial")),
        R("r2", "b", ("a", "partial")),
        R("r3", "b", ("c", "good"), yields="partial"),
    ],
    goals={"a": "good"},
)

OBJ_CHAIN = (
    C("x", "great")
    + C("y")
    + "\nreduction r1: y reduces to x >= good\n"
    + B()
    + '\nobjection oa: "x is overrated"\n    against: x\n    caps: partial\n    source: "s"\n'
    + 'objection ob: "rebuts oa"\n    against: oa\n    source: "s"\n'
    + 'objection oc: "rebuts ob"\n    against: ob\n    source: "s"\n'
)
OBJ_CHAIN_MAP = CruxMap(
    claims={"x": "great", "y": None},
    reductions=[R("r1", "y", ("x", "good"))],
    objections=[
        Objection("oa", "claim", "x", "partial"),
        Objection("ob", "objection", "oa"),
        Objection("oc", "objection", "ob"),
    ],
)

OBJ_CYCLE = (
    C("x", "great")
    + C("y")
    + "\nreduction r1: y reduces to x >= good\n"
    + B()
    + '\nobjection p: "p"\n    against: q\n    source: "s"\n'
    + 'objection q: "q"\n    against: p\n    source: "s"\n'
    + 'objection e: "e"\n    against: f\n    source: "s"\n'
    + 'objection f: "f"\n    against: e\n    source: "s"\n'
    + 'objection z: "z breaks the e/f cycle"\n    against: e\n    source: "s"\n'
    + 'objection s: "caps x"\n    against: x\n    caps: partial\n    source: "s"\n'
    + 'objection t: "rebuts s"\n    against: s\n    source: "s"\n'
    + 'objection u: "rebuts t"\n    against: t\n    source: "s"\n'
    + 'objection w: "rebuts u"\n    against: u\n    source: "s"\n'
    + 'objection k: "rebuts w"\n    against: w\n    source: "s"\n'
)
OBJ_CYCLE_MAP = CruxMap(
    claims={"x": "great", "y": None},
    reductions=[R("r1", "y", ("x", "good"))],
    objections=[
        Objection("p", "objection", "q"),
        Objection("q", "objection", "p"),
        Objection("e", "objection", "f"),
        Objection("f", "objection", "e"),
        Objection("z", "objection", "e"),
        Objection("s", "claim", "x", "partial"),
        Objection("t", "objection", "s"),
        Objection("u", "objection", "t"),
        Objection("w", "objection", "u"),
        Objection("k", "objection", "w"),
    ],
)

REDUCTION_OBJ = (
    C("a")
    + C("b", "great")
    + C("c", "good")
    + "\nreduction main: a reduces to b >= good\n"
    + B()
    + "reduction backup: a reduces to c >= good\n    yields: good\n"
    + B()
    + "goal a >= great\n"
    + '\nobjection kill: "main does not go through"\n    against: main\n    source: "s"\n'
)
REDUCTION_OBJ_MAP = CruxMap(
    claims={"a": None, "b": "great", "c": "good"},
    reductions=[
        R("main", "a", ("b", "good")),
        R("backup", "a", ("c", "good"), yields="good"),
    ],
    goals={"a": "great"},
    objections=[Objection("kill", "reduction", "main")],
)

DEFAULT_GOALS = (
    C("top1")
    + C("mid")
    + C("base", "good")
    + C("top2")
    + C("leaf2", "partial")
    + C("lonely")
    + "\ntop1 reduces to mid >= good\n"
    + B()
    + "mid reduces to base >= good\n    yields: great\n"
    + B()
    + "top2 reduces to leaf2 >= partial\n    yields: good\n"
    + B()
)
DEFAULT_GOALS_MAP = CruxMap(
    claims={
        "top1": None,
        "mid": None,
        "base": "good",
        "top2": None,
        "leaf2": "partial",
        "lonely": None,
    },
    reductions=[
        R("top1#1", "top1", ("mid", "good")),
        R("mid#1", "mid", ("base", "good"), yields="great"),
        R("top2#1", "top2", ("leaf2", "partial"), yields="good"),
    ],
)

UNIFORM = (
    C("g")
    + C("a", "great")
    + C("b", "good")
    + "\nreduction r: g reduces to a >= good and b >= partial\n"
    + B()
    + "goal g >= good\n"
)
UNIFORM_MAP = CruxMap(
    claims={"g": None, "a": "great", "b": "good"},
    reductions=[R("r", "g", ("a", "good"), ("b", "partial"))],
    goals={"g": "good"},
)

NULL_MARGINS = (
    C("g")
    + C("a", "good")
    + "\ng reduces to a >= none\n    yields: good\n"
    + B()
    + "goal g >= good\n"
)
NULL_MARGINS_MAP = CruxMap(
    claims={"g": None, "a": "good"},
    reductions=[R("g#1", "g", ("a", "none"), yields="good")],
    goals={"g": "good"},
)

CHAIN = (
    C("g")
    + C("m")
    + C("a", "perfect")
    + "\ng reduces to m >= good\n"
    + B()
    + "m reduces to a >= great\n    yields: great\n"
    + B()
    + "goal g >= good\n"
)
CHAIN_MAP = CruxMap(
    claims={"g": None, "m": None, "a": "perfect"},
    reductions=[R("g#1", "g", ("m", "good")), R("m#1", "m", ("a", "great"), yields="great")],
    goals={"g": "good"},
)

CUSTOM_SCALE = (
    "scale: low < mid < high\n\n"
    + C("g")
    + C("a", "mid")
    + "\ng reduces to a >= mid\n    yields: mid\n"
    + B()
)
CUSTOM_SCALE_MAP = CruxMap(
    claims={"g": None, "a": "mid"},
    reductions=[R("g#1", "g", ("a", "mid"), yields="mid")],
    scale=("low", "mid", "high"),
)

CAPS_MIN = (
    C("g")
    + C("a", "great")
    + "\ng reduces to a >= partial\n"
    + B()
    + "goal g >= good\n"
    + '\nobjection o1: "o1"\n    against: a\n    caps: good\n    source: "s"\n'
    + 'objection o2: "o2"\n    against: a\n    caps: partial\n    source: "s"\n'
)
CAPS_MIN_MAP = CruxMap(
    claims={"g": None, "a": "great"},
    reductions=[R("g#1", "g", ("a", "partial"))],
    goals={"g": "good"},
    objections=[Objection("o1", "claim", "a", "good"), Objection("o2", "claim", "a", "partial")],
)

CAPS_DEFAULT = CAPS_MIN + 'objection o3: "o3"\n    against: a\n    source: "s"\n'
CAPS_DEFAULT_MAP = CruxMap(
    claims={"g": None, "a": "great"},
    reductions=[R("g#1", "g", ("a", "partial"))],
    goals={"g": "good"},
    objections=[
        Objection("o1", "claim", "a", "good"),
        Objection("o2", "claim", "a", "partial"),
        Objection("o3", "claim", "a", None),
    ],
)


EXAMPLES = [
    # alignment reduces to interpretability (bare: threshold top).  interpretability
    # is great < perfect, so the only route yields bottom: alignment = none; the
    # default goal (alignment, concluded and premise of nothing) needs partial: fails.
    Example(
        "interp_bare",
        INTERP_BARE,
        INTERP_BARE_MAP,
        {
            "scale": ["none", "partial", "good", "great", "near_perfect", "perfect"],
            "claims": {
                "alignment": {"baseline": "none"},
                "interpretability": {"baseline": "great"},
            },
            "goals": {"alignment": goal("partial", "none", "fails", wo=("none", "fails"))},
            "objections": {},
        },
        codes_present=("CX102",),
    ),
    # >= good: route fires, yields top.  interpretability great(3): good(2) still
    # holds, partial(1) fails -> margin 1, breaks_at partial.  Depth-1 cut sets: {i}
    # lowered to good holds -> none.  Uniform: d=1 holds, d=2 fails -> 1.
    # Not brittle, but fails with interpretability at bottom -> CX105.
    Example(
        "interp_good",
        INTERP_GOOD,
        INTERP_GOOD_MAP,
        {
            "claims": {
                "alignment": {"baseline": "perfect"},
                "interpretability": {"baseline": "great"},
            },
            "goals": {
                "alignment": goal(
                    "partial",
                    "perfect",
                    "holds",
                    wo=("perfect", "holds"),
                    premises={"interpretability": ("great", 1, "partial")},
                    cuts=[],
                    um=1,
                )
            },
        },
        codes_present=("CX105",),
        codes_absent=("CX101", "CX102", "CX104"),
    ),
    # Same map, depth 2: interpretability lowered to partial -> fails -> [[i]].
    Example(
        "interp_good_depth2",
        INTERP_GOOD,
        INTERP_GOOD_MAP,
        {"goals": {"alignment": {"cut_sets": [["interpretability"]]}}},
        depth=2,
    ),
    # Scenario sets the leaf above its assume: perfect(5); fails first at
    # partial(1): margin 3, breaks_at partial; uniform 3.
    Example(
        "interp_good_set_leaf_up",
        INTERP_GOOD,
        INTERP_GOOD_MAP,
        {
            "claims": {
                "alignment": {"baseline": "perfect"},
                "interpretability": {"baseline": "perfect"},
            },
            "goals": {
                "alignment": goal(
                    "partial",
                    "perfect",
                    "holds",
                    premises={"interpretability": ("perfect", 3, "partial")},
                    cuts=[],
                    um=3,
                )
            },
        },
        sets={"interpretability": "perfect"},
    ),
    # Scenario overrides the conclusion (SPEC v0.2): alignment = partial
    # whatever its route gives, so the premise no longer matters.
    Example(
        "interp_good_override_conclusion",
        INTERP_GOOD,
        INTERP_GOOD_MAP,
        {
            "claims": {
                "alignment": {"baseline": "partial"},
                "interpretability": {"baseline": "great"},
            },
            "goals": {
                "alignment": goal(
                    "partial",
                    "partial",
                    "holds",
                    premises={"interpretability": ("great", None, None)},
                    um=None,
                )
            },
        },
        sets={"alignment": "partial"},
    ),
    # Overriding the conclusion upward lifts it past what its route gives.
    Example(
        "interp_good_override_conclusion_up",
        INTERP_GOOD,
        INTERP_GOOD_MAP,
        {
            "claims": {
                "alignment": {"baseline": "perfect"},
                "interpretability": {"baseline": "great"},
            },
            "goals": {
                "alignment": goal(
                    "partial",
                    "perfect",
                    "holds",
                    premises={"interpretability": ("great", None, None)},
                    um=None,
                )
            },
        },
        sets={"alignment": "perfect"},
    ),
    # Scenario drops the leaf to partial: goal fails in the scenario.
    Example(
        "interp_good_set_leaf_down",
        INTERP_GOOD,
        INTERP_GOOD_MAP,
        {
            "claims": {
                "alignment": {"baseline": "none"},
                "interpretability": {"baseline": "partial"},
            },
            "goals": {"alignment": goal("partial", "none", "fails")},
        },
        sets={"interpretability": "partial"},
    ),
    # >= great with interpretability great: any step down fails -> brittle.
    Example(
        "interp_brittle",
        INTERP_BRITTLE,
        INTERP_BRITTLE_MAP,
        {
            "goals": {
                "alignment": goal(
                    "good",
                    "perfect",
                    "holds",
                    premises={"interpretability": ("great", 0, "good")},
                    cuts=[["interpretability"]],
                    um=0,
                )
            }
        },
        codes_present=("CX101",),
        codes_absent=("CX102",),
    ),
    # Two routes: via_b (b>=good, top) and via_c (c>=great, yields great).
    # a = perfect >= great.  Lowering b alone: via_c still gives great -> margin null.
    # Lowering c alone: via_b still perfect -> null.  Both one step: none -> the
    # order-2 cut set {b, c}.  Uniform margin 0 (every leaf one step down fails).
    Example(
        "alternatives",
        ALTERNATIVES,
        ALTERNATIVES_MAP,
        {
            "claims": {
                "a": {"baseline": "perfect"},
                "b": {"baseline": "good"},
                "c": {"baseline": "great"},
            },
            "goals": {
                "a": goal(
                    "great",
                    "perfect",
                    "holds",
                    premises={"b": ("good", None, None), "c": ("great", None, None)},
                    cuts=[["b", "c"]],
                    um=0,
                )
            },
        },
        codes_absent=("CX101", "CX102", "CX105"),
    ),
    Example(
        "alternatives_order1",
        ALTERNATIVES,
        ALTERNATIVES_MAP,
        {"goals": {"a": {"cut_sets": []}}},
        max_order=1,
    ),
    # Scenario b=partial: via_b dead, a = great via c.  b: null (already no help);
    # c: one step down -> good < great -> a none -> margin 0, breaks_at good.
    # Cut sets: {c}; {b, c} not minimal.
    Example(
        "alternatives_set_b_partial",
        ALTERNATIVES,
        ALTERNATIVES_MAP,
        {
            "claims": {
                "a": {"baseline": "great"},
                "b": {"baseline": "partial"},
                "c": {"baseline": "great"},
            },
            "goals": {
                "a": goal(
                    "great",
                    "great",
                    "holds",
                    premises={"b": ("partial", None, None), "c": ("great", 0, "good")},
                    cuts=[["c"]],
                    um=0,
                )
            },
        },
        sets={"b": "partial"},
    ),
    # A 2-cycle with no outside route cannot lift itself: both stay none.
    Example(
        "cycle_alone",
        CYCLE_ALONE,
        CYCLE_ALONE_MAP,
        {
            "claims": {"a": {"baseline": "none"}, "b": {"baseline": "none"}},
            "goals": {"a": goal("partial", "none", "fails")},
        },
        codes_present=("CX102", "CX103"),
    ),
    # READING R1 (least fixed point): r3 gives b partial from outside; then r1
    # gives a perfect and r2 gives b perfect.  Support of a = {b, c}.
    # b: goal holds for b >= partial, fails at none -> margin 5-1 = 4, breaks_at none.
    # c: good -> partial kills r3, the cycle collapses -> margin 0, breaks_at partial.
    Example(
        "cycle_fed_from_outside",
        CYCLE_FED,
        CYCLE_FED_MAP,
        {
            "claims": {
                "a": {"baseline": "perfect"},
                "b": {"baseline": "perfect"},
                "c": {"baseline": "good"},
            },
            "goals": {
                "a": goal(
                    "good",
                    "perfect",
                    "holds",
                    premises={"b": ("perfect", 4, "none"), "c": ("good", 0, "partial")},
                    cuts=[["c"]],
                    um=0,
                )
            },
        },
        codes_present=("CX101", "CX103"),
    ),
    # oa <- ob <- oc: oc in (unattacked), ob out, oa in.  oa caps x at partial:
    # y's route needs x >= good -> y none in the objections scenario.
    Example(
        "objection_chain",
        OBJ_CHAIN,
        OBJ_CHAIN_MAP,
        {
            "objections": {"oa": "in", "ob": "out", "oc": "in"},
            "goals": {"y": goal("partial", "perfect", "holds", wo=("none", "fails"))},
            "claims": {"x": {"baseline": "great"}, "y": {"baseline": "perfect"}},
        },
        codes_present=("CX104",),
    ),
    # p <-> q: both undecided.  e <-> f with z against e: z in, e out, f in.
    # s <- t <- u <- w <- k: k in, w out, u in, t out, s in: x capped at partial
    # -> y none in the objections scenario.
    Example(
        "objection_cycle_and_chain",
        OBJ_CYCLE,
        OBJ_CYCLE_MAP,
        {
            "objections": {
                "p": "undecided",
                "q": "undecided",
                "e": "out",
                "f": "in",
                "z": "in",
                "s": "in",
                "t": "out",
                "u": "in",
                "w": "out",
                "k": "in",
            },
            "goals": {"y": goal("partial", "perfect", "holds", wo=("none", "fails"))},
        },
    ),
    # A reduction objection removes `main`: only backup (yields good < great).
    # b: great -> good keeps main; partial: main fails, backup gives good < great:
    # margin 1, breaks_at partial.  c: main alone gives perfect -> null.
    # Cut sets at depth 1: none.  Uniform: d=1 (b good, c partial) holds via main,
    # d=2 fails -> 1.
    Example(
        "reduction_objection",
        REDUCTION_OBJ,
        REDUCTION_OBJ_MAP,
        {
            "objections": {"kill": "in"},
            "goals": {
                "a": goal(
                    "great",
                    "perfect",
                    "holds",
                    wo=("good", "fails"),
                    premises={"b": ("great", 1, "partial"), "c": ("good", None, None)},
                    cuts=[],
                    um=1,
                )
            },
        },
        codes_present=("CX104",),
    ),
    # No goal statement: default goals are top1 and top2 (concluded, premise of
    # nothing), each needing partial.  mid = great, top1 = perfect, top2 = good.
    # top1: mid great -> good holds, partial fails: margin 1, breaks_at partial;
    #       base good -> partial kills mid: margin 0, breaks_at partial.
    #       cut sets {base} ({mid} at good holds); uniform 0.
    # top2: leaf2 partial -> none fails: margin 0, breaks_at none; [[leaf2]]; 0.
    Example(
        "default_goals",
        DEFAULT_GOALS,
        DEFAULT_GOALS_MAP,
        {
            "claims": {
                "top1": {"baseline": "perfect"},
                "mid": {"baseline": "great"},
                "base": {"baseline": "good"},
                "top2": {"baseline": "good"},
                "leaf2": {"baseline": "partial"},
                "lonely": {"baseline": "perfect"},
            },
            "goals": {
                "top1": goal(
                    "partial",
                    "perfect",
                    "holds",
                    premises={"mid": ("great", 1, "partial"), "base": ("good", 0, "partial")},
                    cuts=[["base"]],
                    um=0,
                ),
                "top2": goal(
                    "partial",
                    "good",
                    "holds",
                    premises={"leaf2": ("partial", 0, "none")},
                    cuts=[["leaf2"]],
                    um=0,
                ),
            },
        },
        codes_present=("CX101",),
    ),
    # g needs a >= good and b >= partial; a great, b good.  a: margin 1 (breaks
    # at partial), b: margin 1 (breaks at none).  Depth 1: no cut sets ({a,b} at
    # good/partial holds).  Uniform: d=1 holds, d=2 fails -> 1.
    Example(
        "uniform_margin",
        UNIFORM,
        UNIFORM_MAP,
        {
            "goals": {
                "g": goal(
                    "good",
                    "perfect",
                    "holds",
                    premises={"a": ("great", 1, "partial"), "b": ("good", 1, "none")},
                    cuts=[],
                    um=1,
                )
            }
        },
        codes_absent=("CX101",),
    ),
    # Depth 2: a -> partial fails alone, b -> none fails alone.
    Example(
        "uniform_margin_depth2",
        UNIFORM,
        UNIFORM_MAP,
        {"goals": {"g": {"cut_sets": [["a"], ["b"]]}}},
        depth=2,
    ),
    # Threshold none: the route always fires -> everything null, no cut sets.
    Example(
        "null_margins",
        NULL_MARGINS,
        NULL_MARGINS_MAP,
        {
            "goals": {
                "g": goal(
                    "good",
                    "good",
                    "holds",
                    premises={"a": ("good", None, None)},
                    cuts=[],
                    um=None,
                )
            }
        },
    ),
    # Intermediate premise m: great -> good holds, partial fails: margin 1.
    # a perfect: np, great keep m great; good kills m -> margin 2, breaks_at good.
    # Uniform (leaf a only): d=1,2 hold, d=3 fails -> 2.  Depth-1 cuts: none.
    Example(
        "chain_intermediate_premise",
        CHAIN,
        CHAIN_MAP,
        {
            "claims": {
                "g": {"baseline": "perfect"},
                "m": {"baseline": "great"},
                "a": {"baseline": "perfect"},
            },
            "goals": {
                "g": goal(
                    "good",
                    "perfect",
                    "holds",
                    premises={"m": ("great", 1, "partial"), "a": ("perfect", 2, "good")},
                    cuts=[],
                    um=2,
                )
            },
        },
    ),
    # Custom scale low < mid < high: default goal g needs mid (just above bottom).
    Example(
        "custom_scale",
        CUSTOM_SCALE,
        CUSTOM_SCALE_MAP,
        {
            "scale": ["low", "mid", "high"],
            "claims": {"g": {"baseline": "mid"}, "a": {"baseline": "mid"}},
            "goals": {
                "g": goal(
                    "mid",
                    "mid",
                    "holds",
                    premises={"a": ("mid", 0, "low")},
                    cuts=[["a"]],
                    um=0,
                )
            },
        },
    ),
    # Two claim objections combine with min: a capped at partial, still >= partial.
    Example(
        "caps_min",
        CAPS_MIN,
        CAPS_MIN_MAP,
        {
            "objections": {"o1": "in", "o2": "in"},
            "claims": {"a": {"baseline": "great"}, "g": {"baseline": "perfect"}},
            "goals": {"g": goal("good", "perfect", "holds", wo=("perfect", "holds"))},
        },
    ),
    # A claim objection without caps caps at bottom: g fails with objections.
    Example(
        "caps_default_bottom",
        CAPS_DEFAULT,
        CAPS_DEFAULT_MAP,
        {
            "objections": {"o1": "in", "o2": "in", "o3": "in"},
            "goals": {"g": goal("good", "perfect", "holds", wo=("none", "fails"))},
        },
        codes_present=("CX104",),
    ),
]


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_reference_matches_hand_worked(ex: Example) -> None:
    got = analyse(ex.map, ex.sets or None, depth=ex.depth, max_order=ex.max_order)
    errs = match(ex.expected, got)
    assert not errs, "\n".join(errs)


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_tool_matches_hand_worked(ex: Example) -> None:
    rc, report, _ = run_check(ex.text, ex.args())
    assert rc in (0, 1), f"exit status {rc}; report: {report}"
    errs = match(ex.expected, report)
    codes = {d.get("code") for d in report.get("diagnostics", [])}
    bad = sorted(c for c in codes if c and c[:3] == "CX0")
    if bad:
        errs.append(f"unexpected error diagnostics {bad}: {report.get('diagnostics')}")
    errs += [f"diagnostic {c} missing" for c in ex.codes_present if c not in codes]
    errs += [f"diagnostic {c} unexpected" for c in ex.codes_absent if c in codes]
    assert not errs, "\n".join(errs) + "\n\nmap:\n" + ex.text
