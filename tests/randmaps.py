"""Hypothesis strategies for random small argument maps.

Each generated map comes in two forms that describe the same argument:
``GeneratedMap.map`` (a :class:`tests.reference.CruxMap` for the reference
implementation) and ``GeneratedMap.text`` (``.crux`` source written in the
SPEC section 2 syntax, for the real tool).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import strategies as st
from reference import DEFAULT_SCALE, CruxMap, Objection, Reduction

# Identifiers usable as custom level names (none is a keyword or a claim id).
LEVEL_POOL = (
    "nil",
    "weak",
    "fair",
    "solid",
    "strong",
    "near-ideal",
    "ideal",
    "total",
    "lvl_9",
    "peak",
    "z_top",
)


@dataclass
class GeneratedMap:
    map: CruxMap
    text: str

    def __repr__(self) -> str:  # hypothesis prints this for falsifying examples
        return f"GeneratedMap(text=\n{self.text}\n)"


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(m: CruxMap, *, custom_scale: bool, order: list[int] | None = None, seps=None) -> str:
    """Write ``m`` as ``.crux`` text.

    ``order`` optionally permutes the statements (forward references);
    ``seps`` gives, per reduction, the premise separator ("," or "and").
    Reductions whose id contains ``#`` are written without ``reduction ID:``
    (they get the automatic ``CONCLUSION#N`` id).
    """
    blocks: list[str] = []
    for c, assume in m.claims.items():
        lines = [f"claim {c}: {_q('Claim ' + c + ' holds.')}", f"    source: {_q('ref:' + c)}"]
        if assume is not None:
            lines.append(f"    assume: {assume}")
        blocks.append("\n".join(lines))
    for i, r in enumerate(m.reductions):
        sep = (seps[i] if seps else ",") if len(r.premises) > 1 else ","
        joiner = ", " if sep == "," else " and "
        prem = joiner.join(p if t is None else f"{p} >= {t}" for p, t in r.premises)
        head = f"{r.conclusion} reduces to {prem}"
        if "#" not in r.id:
            head = f"reduction {r.id}: {head}"
        lines = [head]
        if r.yields is not None:
            lines.append(f"    yields: {r.yields}")
        lines.append(f"    because: {_q('Warrant for ' + r.conclusion + '.')}")
        blocks.append("\n".join(lines))
    for g, req in m.goals.items():
        blocks.append(f"goal {g} >= {req}")
    for o in m.objections:
        lines = [f"objection {o.id}: {_q('Objection ' + o.id + '.')}", f"    against: {o.target}"]
        if o.caps is not None:
            lines.append(f"    caps: {o.caps}")
        lines.append(f"    source: {_q('ref:' + o.id)}")
        blocks.append("\n".join(lines))
    if order is not None:
        blocks = [blocks[i] for i in order]
    if custom_scale:
        blocks.insert(0, "scale: " + " < ".join(m.scale))
    return "\n\n".join(blocks) + "\n"


@st.composite
def scales(draw, min_levels: int = 3, max_levels: int = 7) -> tuple[tuple[str, ...], bool]:
    if draw(st.integers(0, 9)) < 3:
        n = draw(st.integers(min_levels, max_levels))
        names = draw(st.permutations(LEVEL_POOL))[:n]
        return tuple(names), True
    return DEFAULT_SCALE, False


@st.composite
def _level(draw, scale: tuple[str, ...], bias: str = "uniform") -> str:
    """A level of ``scale``; ``bias`` "low"/"high" favours that end (min/max of two draws)."""
    i = draw(st.integers(0, len(scale) - 1))
    if bias != "uniform":
        j = draw(st.integers(0, len(scale) - 1))
        i = min(i, j) if bias == "low" else max(i, j)
    return scale[i]


@st.composite
def crux_maps(
    draw,
    min_claims: int = 2,
    max_claims: int = 12,
    min_levels: int = 3,
    max_levels: int = 7,
    max_reductions: int = 12,
) -> GeneratedMap:
    scale, custom = draw(scales(min_levels, max_levels))
    levels = st.sampled_from(scale)
    n = draw(st.integers(min_claims, max_claims))
    claims = [f"c{i}" for i in range(n)]
    acyclic = draw(st.booleans())
    # In acyclic maps premises come after their conclusion in claim order, or
    # (reverse) before it.  (Index order rather than a random permutation, so
    # that hypothesis can shrink the number of claims.)
    reverse = draw(st.booleans())
    rank = {c: (-i if reverse else i) for i, c in enumerate(claims)}

    reductions: list[Reduction] = []
    seps: list[str] = []
    per_conclusion: dict[str, int] = {}
    n_red = draw(st.integers(0, min(max_reductions, 2 * n)))
    for i in range(n_red):
        concl = draw(st.sampled_from(claims))
        if acyclic:
            pool = [c for c in claims if rank[c] > rank[concl]]
        elif draw(st.integers(0, 19)) == 0:
            pool = list(claims)  # may include the conclusion itself: a 1-cycle
        else:
            pool = [c for c in claims if c != concl]
        if not pool:
            continue
        k = draw(st.integers(1, min(3, len(pool))))
        prem_ids = draw(st.lists(st.sampled_from(pool), min_size=k, max_size=k, unique=True))
        # threshold None (bare premise, threshold top) about a third of the time
        prems = tuple(
            (p, None if draw(st.integers(0, 9)) < 3 else draw(_level(scale, "low")))
            for p in prem_ids
        )
        yields = None if draw(st.booleans()) else draw(_level(scale, "high"))
        per_conclusion[concl] = per_conclusion.get(concl, 0) + 1
        # READING: automatic ids count every reduction of that conclusion in load
        # order; such ids are never referenced in generated text anyway.
        auto = f"{concl}#{per_conclusion[concl]}"
        rid = f"r{i + 1}" if draw(st.integers(0, 9)) < 6 else auto
        reductions.append(Reduction(rid, concl, prems, yields))
        seps.append(draw(st.sampled_from([",", "and"])))

    concluded = {r.conclusion for r in reductions}
    claim_map: dict[str, str | None] = {}
    for c in claims:
        if c not in concluded and draw(st.integers(0, 9)) < 6:
            claim_map[c] = draw(_level(scale, "high"))
        else:
            claim_map[c] = None

    goals: dict[str, str] = {}
    if concluded and draw(st.booleans()):
        k = draw(st.integers(1, min(3, len(concluded))))
        picks = draw(
            st.lists(st.sampled_from(sorted(concluded)), min_size=k, max_size=k, unique=True)
        )
        if draw(st.integers(0, 9)) == 0:
            # READING: a goal on a leaf is legal; its support is empty and the
            # uniform margin lowers the goal claim itself (it is a leaf).
            picks.append(draw(st.sampled_from(claims)))
        for g in dict.fromkeys(picks):
            goals[g] = draw(_level(scale, "low"))

    objections: list[Objection] = []
    if draw(st.integers(0, 9)) < 4:
        n_obj = draw(st.integers(1, 4))
        oids = [f"o{j + 1}" for j in range(n_obj)]
        named_reds = [r.id for r in reductions if "#" not in r.id]
        for oid in oids:
            kinds = ["claim", "objection", "objection"]
            if named_reds:
                kinds.append("reduction")
            kind = draw(st.sampled_from(kinds))
            if kind == "claim":
                target = draw(st.sampled_from(claims))
                caps = draw(st.one_of(st.none(), levels))
            elif kind == "reduction":
                target = draw(st.sampled_from(named_reds))
                caps = None
            else:
                others = [x for x in oids if x != oid]
                if others and draw(st.integers(0, 14)) != 0:
                    target = draw(st.sampled_from(others))
                else:
                    target = oid  # self-attack, rarely
                caps = None
            objections.append(Objection(oid, kind, target, caps))

    m = CruxMap(
        claims=claim_map,
        reductions=reductions,
        goals=goals,
        objections=objections,
        scale=scale,
    )
    n_blocks = len(claims) + len(reductions) + len(goals) + len(objections)
    order = None
    if n_blocks and draw(st.integers(0, 4)) == 0:
        order = draw(st.permutations(range(n_blocks)))
        # Automatic ids count a conclusion's reductions in load order, which
        # is now the permuted order: number them as the file will read.
        first, counts = len(m.claims), {}
        renamed = list(m.reductions)
        for b in order:
            if first <= b < first + len(renamed):
                r = renamed[b - first]
                counts[r.conclusion] = counts.get(r.conclusion, 0) + 1
                if "#" in r.id:
                    renamed[b - first] = replace(r, id=f"{r.conclusion}#{counts[r.conclusion]}")
        m = replace(m, reductions=renamed)
    text = render(m, custom_scale=custom, order=order, seps=seps)
    return GeneratedMap(m, text)


# ---------------------------------------------------------------------------
# The benchmark shapes (benchmarks/generate.py) at small sizes.
# ---------------------------------------------------------------------------

SHAPES = ("wide", "hub", "goals", "cycles", "diamonds", "chain", "ring", "orwide")


@st.composite
def shaped_maps(draw, shapes: tuple[str, ...] = SHAPES, max_claims: int = 10) -> GeneratedMap:
    """A small map of one of the shapes the fast engine was built for: wide
    sharing, a hub premise in every reduction, many goals over one support,
    back edges (cycles), stacked diamonds, a chain, a ring with one way in,
    alternatives of one premise each (issue 8, issue 14 #1/#2)."""
    shape = draw(st.sampled_from(shapes))
    scale = DEFAULT_SCALE
    th_levels = st.sampled_from(scale[1:4])  # partial .. great
    leaf_levels = st.sampled_from(scale[3:])  # great .. perfect
    reductions: list[Reduction] = []
    claims: dict[str, str | None] = {}
    goals: dict[str, str] = {}

    def red(concl: str, prem: list[tuple[str, str | None]], yields: str | None = None) -> None:
        reductions.append(Reduction(f"red{len(reductions) + 1}", concl, tuple(prem), yields))

    if shape in ("wide", "hub", "goals", "cycles"):
        n = draw(st.integers(4, max_claims))
        names = [f"c{i}" for i in range(n)]
        window = max(2, int(2 * n**0.5))
        n_goals = n // 2 if shape == "goals" else max(1, min(3, n // 3))
        leaf = [i >= n - 2 or (i >= n_goals and draw(st.integers(0, 3)) == 0) for i in range(n)]
        for i in range(n):
            if leaf[i]:
                continue
            below = names[i + 1 : i + 1 + window]
            for _ in range(draw(st.integers(1, 2))):
                k = draw(st.integers(1, min(3, len(below))))
                picks = draw(st.lists(st.sampled_from(below), min_size=k, max_size=k, unique=True))
                prem: list[tuple[str, str | None]] = [(p, draw(th_levels)) for p in picks]
                if shape == "hub":
                    prem.append(("hub", draw(th_levels)))
                if shape == "cycles" and i > 0 and draw(st.integers(0, 2)) == 0:
                    prem.append((draw(st.sampled_from(names[:i])), draw(th_levels)))
                yields = None if draw(st.integers(0, 3)) else draw(st.sampled_from(scale[2:]))
                red(names[i], prem, yields)
        concluded = {r.conclusion for r in reductions}
        for c in names:
            claims[c] = None if c in concluded else draw(leaf_levels)
        if shape == "hub":
            claims["hub"] = draw(leaf_levels)
        for c in names[:n_goals]:
            if c in concluded:
                goals[c] = draw(st.sampled_from(scale[1:3]))
    elif shape == "diamonds":
        k = draw(st.integers(1, 3))
        for i in range(k):
            for side, extra in ((f"l{i}", f"a{i}"), (f"r{i}", f"b{i}")):
                red(f"d{i}", [(side, draw(th_levels))])
                red(side, [(f"d{i + 1}", draw(th_levels)), (extra, draw(th_levels))])
                claims[side] = None
                claims[extra] = draw(leaf_levels)
            claims[f"d{i}"] = None
        claims[f"d{k}"] = draw(leaf_levels)
        goals["d0"] = draw(st.sampled_from(scale[1:3]))
    elif shape in ("chain", "ring"):
        n = draw(st.integers(2, max_claims - 1))
        names = [f"c{i}" for i in range(n)]
        for i in range(n - 1):
            red(names[i], [(names[i + 1], draw(th_levels))])
        if shape == "ring":
            red(names[-1], [(names[0], draw(th_levels))])
            red(names[-1], [("leaf", draw(th_levels))])
            claims.update(dict.fromkeys(names))
            claims["leaf"] = draw(leaf_levels)
        else:
            claims.update(dict.fromkeys(names[:-1]))
            claims[names[-1]] = draw(leaf_levels)
        goals[names[0]] = draw(st.sampled_from(scale[1:3]))
    else:  # orwide: g <- y0..ym; y_i <- b_i | c_i (every {b_i, c_i} a cut set)
        m = draw(st.integers(1, 3))
        red("g", [(f"y{i}", None) for i in range(m)])
        claims["g"] = None
        for i in range(m):
            red(f"y{i}", [(f"b{i}", None)])
            red(f"y{i}", [(f"c{i}", None)])
            claims[f"y{i}"] = None
            claims[f"b{i}"] = draw(st.one_of(st.none(), leaf_levels))
            claims[f"c{i}"] = draw(st.one_of(st.none(), leaf_levels))
    m_ = CruxMap(claims=claims, reductions=reductions, goals=goals, scale=scale)
    return GeneratedMap(m_, render(m_, custom_scale=False))


@st.composite
def concluded_scenarios(draw, m: CruxMap) -> dict[str, str]:
    """``--set`` overrides that pin at least one concluded claim (raised or
    lowered), and maybe a leaf too."""
    concluded = sorted(m.concluded())
    if not concluded:
        return draw(scenarios(m))
    sets = {draw(st.sampled_from(concluded)): draw(st.sampled_from(m.scale))}
    if draw(st.booleans()):
        sets[draw(st.sampled_from(sorted(m.claims)))] = draw(st.sampled_from(m.scale))
    return sets


@st.composite
def scenarios(draw, m: CruxMap) -> dict[str, str]:
    """One or two ``--set claim=LEVEL`` overrides for ``m``."""
    k = draw(st.integers(1, min(2, len(m.claims))))
    cs = draw(st.lists(st.sampled_from(sorted(m.claims)), min_size=k, max_size=k, unique=True))
    return {c: draw(st.sampled_from(m.scale)) for c in cs}


# ---------------------------------------------------------------------------
# Running the real tool on generated text.
# ---------------------------------------------------------------------------


def run_check(text: str, extra_args: list[str] | tuple[str, ...] = ()) -> tuple[int, dict, str]:
    """Write ``text`` to a temporary ``map.crux`` and run ``cruxmap check --format json``.

    Runs in-process via ``cruxmap.commands.main``; falls back to a subprocess when
    nothing parseable reached the redirected stdout.  Returns (exit code,
    parsed JSON report, raw stdout).
    """
    import contextlib
    import io
    import json
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from cruxmap.commands import main

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "map.crux"
        path.write_text(text, encoding="utf-8")
        args = ["check", "--format", "json", *extra_args, str(path)]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(args)
            except SystemExit as e:  # a main() that exits instead of returning
                rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
        raw = out.getvalue()
        try:
            return rc, _single(json.loads(raw)), raw
        except ValueError:
            proc = subprocess.run(
                [sys.executable, "-m", "cruxmap", *args],
                capture_output=True,
                text=True,
                timeout=60,
            )
            raw = proc.stdout
            try:
                report = _single(json.loads(raw))
            except ValueError as e:
                raise AssertionError(
                    f"cruxmap printed no JSON (rc={proc.returncode}).\nstdout:\n{raw}\n"
                    f"stderr:\n{proc.stderr}\nin-process stderr:\n{err.getvalue()}\n"
                    f"map:\n{text}"
                ) from e
            return proc.returncode, report, raw


def _single(doc: dict) -> dict:
    """The map's entry of a one-map report (the layout of docs/report.schema.json),
    with each value in the analysed scenario (``value``) under ``baseline``,
    the name the reference implementation gives it."""
    (entry,) = doc["maps"]
    entry["diagnostics"] = [doc["diagnostics"][i] for i in entry["diagnostics"]]
    claims = entry["claims"]
    for item in entry["goals"].values():
        # The report lists a goal's unbreakable premises by name only; the
        # reference gives them entries with margin null, as v0.1 did.
        if "unbreakable" not in item:
            continue
        unbreakable = item.pop("unbreakable")
        assert unbreakable == sorted(unbreakable), unbreakable
        assert not set(unbreakable) & set(item["premises"]), item
        assert all(isinstance(p["margin"], int) for p in item["premises"].values()), item
        for p in unbreakable:
            item["premises"][p] = {
                "baseline": claims[p]["baseline"], "value": claims[p]["value"],
                "margin": None, "breaks_at": None, "brittle": False,
            }  # fmt: skip
    for item in [*entry["claims"].values(), *entry["goals"].values()]:
        item["baseline"] = item.pop("value")
        for prem in item.get("premises", {}).values():
            prem["baseline"] = prem.pop("value")
    return entry


# ---------------------------------------------------------------------------
# Minimising a map on which the tool and the reference disagree.
# ---------------------------------------------------------------------------


def _variants(m: CruxMap, keep: set[str]):
    """Maps one simplification smaller than ``m`` (all still valid)."""
    from dataclasses import replace

    targeted = {o.target for o in m.objections}
    for o in m.objections:
        if o.id not in targeted or o.target == o.id:
            yield replace(m, objections=[x for x in m.objections if x is not o])
    for g in m.goals:
        yield replace(m, goals={k: v for k, v in m.goals.items() if k != g})
    for r in m.reductions:
        if r.id not in targeted:
            # (a goal whose claim becomes a leaf stays: goals on leaves are legal)
            yield replace(m, reductions=[x for x in m.reductions if x is not r])
    for i, r in enumerate(m.reductions):
        for j in range(len(r.premises)):
            if len(r.premises) > 1:
                prem = r.premises[:j] + r.premises[j + 1 :]
                reds = [*m.reductions[:i], replace(r, premises=prem), *m.reductions[i + 1 :]]
                yield replace(m, reductions=reds)
        if r.yields is not None:
            reds = [*m.reductions[:i], replace(r, yields=None), *m.reductions[i + 1 :]]
            yield replace(m, reductions=reds)
    used = (
        {p for r in m.reductions for p, _ in r.premises}
        | {r.conclusion for r in m.reductions}
        | set(m.goals)
        | targeted
        | keep
    )
    for c in m.claims:
        if c not in used:
            yield replace(m, claims={k: v for k, v in m.claims.items() if k != c})
    for c, a in m.claims.items():
        if a is not None:
            yield replace(m, claims={**m.claims, c: None})


def minimise(m: CruxMap, still_fails, keep: set[str] = frozenset(), limit: int = 400) -> CruxMap:
    """Greedy delta debugging: drop statements/attributes while ``still_fails``."""
    tries = 0
    progress = True
    while progress and tries < limit:
        progress = False
        for v in _variants(m, set(keep)):
            tries += 1
            if still_fails(v):
                m = v
                progress = True
                break
            if tries >= limit:
                break
    return m


def text_of(m: CruxMap) -> str:
    return render(m, custom_scale=m.scale != DEFAULT_SCALE)
