"""Lint rules: from a loaded map and its analysis to diagnostics.

Structural rules (CX103, CX201-CX203) read the model and graph; robustness
rules (CX101, CX102, CX104-CX107) read the analysis. Suppression comments
(``# cruxmap: ignore[CODE,...]``) and ``select``/``ignore`` settings are
applied last, in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from cruxmap.core import diagnostics as dg
from cruxmap.core.diagnostics import BLOCKING, Diagnostic
from cruxmap.core.graph import ClaimGraph, find_cycle
from cruxmap.core.graph import build as build_graph
from cruxmap.core.graph import goals as goals_of
from cruxmap.core.mapresult import MapResult
from cruxmap.core.model import ArgumentMap, Claim, Document, Goal, Loc, Reduction
from cruxmap.core.options import Options
from cruxmap.core.robustness import Analysis, GoalAnalysis
from cruxmap.core.semantics import Scenario, evaluate, grounded, objections_scenario
from cruxmap.core.session import FINDINGS_MAX, Session


def check_map(
    amap: ArgumentMap,
    load_diagnostics: list[Diagnostic],
    options: Options,
    session: Session | None = None,
    selected: Selected | None = None,
) -> MapResult:
    """Analyse one loaded map and collect every finding about it.

    ``session`` carries what the maps of one run share (see
    :mod:`cruxmap.core.session`); the result is the same without it.
    """
    session = session if session is not None else Session()
    diags = list(load_diagnostics)
    result = MapResult(amap, diags)
    if any(d.code in BLOCKING for d in diags):
        return result
    g = build_graph(amap, session)
    result.graph = g
    # The scenario applies where its claims exist (a run's options name the
    # claims of all its maps); select/ignore are applied later, in one place.
    overrides = options.for_map(amap)
    scenario = Scenario(overrides={g.index[c]: g.levels.index(lv) for c, lv in overrides.items()})
    result.statuses = grounded(amap)
    obj_scenario, result.standing = objections_scenario(g, amap, result.statuses, scenario)
    analysed_in = obj_scenario if options.objections else scenario
    result.scenario = analysed_in
    analysis = Analysis(g, analysed_in, options.depth, options.max_order, session)
    result.values = analysis.values
    plain = not overrides and not (options.objections and result.standing)
    result.base_values = analysis.values if plain else evaluate(g)
    result.goals = goals_of(amap)
    goal_pairs = [(g.index[goal.claim], g.levels.index(goal.required)) for goal in result.goals]
    result.results = analysis.goals(goal_pairs)
    result.objection_values = evaluate(g, obj_scenario)
    result.analysed = True
    ctx = RuleContext(amap, g, session, result)
    diags.extend(_structure_rules(ctx, selected))
    diags.extend(_robustness_rules(ctx, selected))
    return result


def check_library(
    amap: ArgumentMap,
    load_diagnostics: list[Diagnostic],
    used: Collection[str] = (),
    session: Session | None = None,
    selected: Selected | None = None,
) -> MapResult:
    """Lint a library (a file only imported, without goals: docs/language.md)
    as loaded on its own: syntax, names and the structural rules, but no
    analysis (its importers analyse it as part of their maps), so no goals,
    no robustness findings, and CX201 only for a claim of the library's own
    file that neither it nor any map in ``used`` (the names its importers
    use) uses. ``analysed`` stays false."""
    diags = list(load_diagnostics)
    result = MapResult(amap, diags)
    if any(d.code in BLOCKING for d in diags):
        return result
    session = session if session is not None else Session()
    g = build_graph(amap, session)
    result.graph = g
    spared = {
        (c.loc.path, c.loc.line, c.loc.column)
        for c in amap.claims.values()
        if c.id in used or c.loc.path != amap.root
    }
    diags.extend(
        d
        for d in _structure_rules(RuleContext(amap, g, session), selected)
        if d.code != "CX201" or (d.path, d.line, d.column) not in spared
    )
    return result


def used_claims(amap: ArgumentMap) -> set[str]:
    """Names a map uses (in a reduction, a goal or an objection): what CX201
    asks of each claim."""
    used: set[str] = set()
    for r in amap.reductions.values():
        used.add(r.conclusion)
        used.update(p.claim for p in r.premises)
    used.update(goal.claim for goal in amap.goals)
    used.update(o.against for o in amap.objections.values() if o.against)
    return used


# --------------------------------------------------------------------------- rules


def _about(
    session: Session, st: Claim | Reduction, code: str, build: Callable[[Any], Diagnostic]
) -> Diagnostic:
    """``build(st)``, made once per statement in a session: many roots
    importing one big file would otherwise rebuild the same thousands of
    findings (issue 14 #3). ``build`` reads only the statement's position and
    ID, which is the key (by content: an ``id()`` can be reused)."""
    key = (code, st.loc, st.id)
    table = session.findings
    hit = table.get(key)
    if hit is not None:
        return hit
    d = build(st)
    if len(table) >= FINDINGS_MAX:
        table.clear()
    table[key] = d
    return d


# A rule is a function registered with the codes it reports (as pylint's
# checkers declare their messages): it runs only when one of its codes is
# selected, so a narrow ``--select`` skips the rest instead of filtering their
# findings afterwards. Registration order is the order findings are made in.
# Message templates, names and help stay in :data:`cruxmap.core.diagnostics.RULES`.


@dataclass(frozen=True)
class RuleContext:
    """What a rule reads: the map, its graph, the run's session and, for the
    robustness rules, the analysis (``None`` for a library)."""

    amap: ArgumentMap
    graph: ClaimGraph
    session: Session
    res: MapResult | None = None


@dataclass(frozen=True)
class GoalContext:
    """One goal as the per-goal rules see it: its graph index and result."""

    goal: Goal
    index: int
    result: GoalAnalysis

    @property
    def critique(self) -> bool:
        """A critique map's goal (``expect: fails``): its failure is
        information (CX107), and its holding is the error (CX106)."""
        return self.goal.expect == "fails"


MapRule = Callable[[RuleContext], list[Diagnostic]]
GoalRule = Callable[[RuleContext, GoalContext], list[Diagnostic]]


@dataclass(frozen=True)
class RegisteredRule:
    codes: tuple[str, ...]
    #: ``structure`` (model and graph), ``goal`` (once per goal of an
    #: analysed map, in goal order) or ``analysis`` (after the goals).
    phase: str
    check: Callable[..., list[Diagnostic]]


#: Every rule, in the order its findings are made.
REGISTRY: list[RegisteredRule] = []


def rule(*codes: str, phase: str = "structure") -> Callable[[Any], Any]:
    """Register the decorated function as the rule reporting ``codes``."""

    def register(fn: Any) -> Any:
        REGISTRY.append(RegisteredRule(codes, phase, fn))
        return fn

    return register


Selected = Callable[[str], bool]


def selection(select: list[str] | None, ignore: list[str]) -> Selected:
    """Whether a code is reported under ``select``/``ignore`` (prefixes), as
    :func:`apply_filters` judges it."""

    def selected(code: str) -> bool:
        if select and not any(code.startswith(s) for s in select):
            return False
        return not any(code.startswith(s) for s in ignore)

    return selected


def _rules(phase: str, selected: Selected | None) -> list[RegisteredRule]:
    return [
        r
        for r in REGISTRY
        if r.phase == phase and (selected is None or any(selected(c) for c in r.codes))
    ]


def _structure_rules(ctx: RuleContext, selected: Selected | None = None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for r in _rules("structure", selected):
        out.extend(r.check(ctx))
    return out


def _robustness_rules(ctx: RuleContext, selected: Selected | None = None) -> list[Diagnostic]:
    res = ctx.res
    assert res is not None and res.graph is not None
    out: list[Diagnostic] = []
    per_goal = _rules("goal", selected)
    if per_goal:
        for goal in res.goals:
            c = res.graph.index[goal.claim]
            gc = GoalContext(goal, c, res.results[c])
            for r in per_goal:
                out.extend(r.check(ctx, gc))
    for r in _rules("analysis", selected):
        out.extend(r.check(ctx))
    return out


# ----------------------------------------------------------- typed finding constructors


def _cycle(at: Loc, names: list[str]) -> Diagnostic:
    return dg.at(
        "CX103", at, cycle=" -> ".join([*names, names[0]]), subject=tuple(names),
        suggestion="a cycle cannot lift itself; give one claim a route from outside the cycle",
    )  # fmt: skip


def _unused(c: Claim) -> Diagnostic:
    return dg.at("CX201", c.loc, claim=c.id,
                 suggestion="use it in a reduction or goal, or remove it")  # fmt: skip


def _no_source(c: Claim) -> Diagnostic:
    return dg.at("CX202", c.loc, claim=c.id,
                 suggestion='add an indented line `source: "where this comes from"`')  # fmt: skip


def _no_assume(c: Claim, top: str) -> Diagnostic:
    return dg.at("CX205", c.loc, claim=c.id, top=top,
                 suggestion="add an indented line `assume: LEVEL` saying how far it is achieved")  # fmt: skip


def _no_because(r: Reduction) -> Diagnostic:
    return dg.at("CX203", r.loc, reduction=r.id,
                 suggestion='add an indented line `because: "why the premises suffice"`')  # fmt: skip


_EXPECTED = "nothing to fix: the map expects this goal to fail (`expect: fails`)"


def _goal_fails(where: Loc, *, goal: str, required: str, reached: str, why: str,
                critique: bool) -> Diagnostic:  # fmt: skip
    return dg.at(
        "CX107" if critique else "CX102", where, goal=goal, required=required, reached=reached,
        why=why, suggestion=_EXPECTED if critique else "strengthen a premise, lower a threshold, "
        "or add an alternative route (`cruxmap explain --repairs` lists the smallest raises)",
    )  # fmt: skip


def _critique_holds(where: Loc, *, goal: str, required: str, reached: str) -> Diagnostic:
    return dg.at(
        "CX106", where, goal=goal, required=required, reached=reached,
        suggestion="restore the weakness the critique shows, or delete `expect: fails` "
        "if the argument now holds",
    )  # fmt: skip


def _single_points(where: Loc, *, goal: str, premises: str) -> Diagnostic:
    return dg.at("CX105", where, goal=goal, premises=premises,
                 suggestion="add a route to the goal that does not go through them")  # fmt: skip


def _fails_with_objections(where: Loc, *, goal: str, level: str, required: str, why: str,
                           objections: str, relevant: list[str], critique: bool) -> Diagnostic:  # fmt: skip
    return dg.at(
        "CX107" if critique else "CX104", where, goal=goal, level=level,
        required=required, form="objections" if critique else "",
        why=why, objections=objections, subject=(goal, *relevant),
        suggestion=_EXPECTED if critique else "answer an objection with a rebuttal "
        "(`objection ...` with `against:` it), or repair the argument",
    )  # fmt: skip


# --------------------------------------------------------------------------- structure rules


@rule("CX103")
def cycles(ctx: RuleContext) -> list[Diagnostic]:
    """A cycle of reductions, at the first reduction (in reading order) that
    closes it."""
    amap, g = ctx.amap, ctx.graph
    out: list[Diagnostic] = []
    for comp, cyclic in zip(g.components, g.cyclic, strict=True):
        if not cyclic:
            continue
        names = [g.names[c] for c in find_cycle(g, comp)]
        members = set(names)
        reds = [
            r
            for r in amap.reductions.values()
            if r.conclusion in members and any(p.claim in members for p in r.premises)
        ]
        out.append(_cycle(reds[0].loc if reds else amap.claims[names[0]].loc, names))
    return out


@rule("CX201")
def unused_claims(ctx: RuleContext) -> list[Diagnostic]:
    used = used_claims(ctx.amap)
    return [_unused(c) for c in ctx.amap.claims.values() if c.id not in used]


@rule("CX202")
def missing_sources(ctx: RuleContext) -> list[Diagnostic]:
    return [
        _about(ctx.session, c, "CX202", _no_source)
        for c in ctx.amap.claims.values()
        if c.source is None
    ]


@rule("CX205")
def missing_assumptions(ctx: RuleContext) -> list[Diagnostic]:
    amap = ctx.amap
    concluded = {r.conclusion for r in amap.reductions.values()}
    needed = {p.claim for r in amap.reductions.values() for p in r.premises}
    needed.update(goal.claim for goal in amap.goals)
    return [
        _no_assume(c, amap.scale[-1])
        for c in amap.claims.values()
        if c.assume is None and c.id in needed and c.id not in concluded
    ]


@rule("CX203")
def missing_because(ctx: RuleContext) -> list[Diagnostic]:
    return [
        _about(ctx.session, r, "CX203", _no_because)
        for r in ctx.amap.reductions.values()
        if r.because is None
    ]


# --------------------------------------------------------------------------- robustness rules

#: Single points of failure named in one CX105 finding; the rest are counted.
SPOFS_NAMED = 10


def _spof(name: str, margin: int, breaks_at: str) -> str:
    return f"`{name}` (slack {margin} step{'s' if margin != 1 else ''}, fails at {breaks_at})"


@rule("CX102", "CX107", phase="goal")
def failing_goal(ctx: RuleContext, gc: GoalContext) -> list[Diagnostic]:
    gr = gc.result
    if gr.holds:
        return []
    # Only a failing goal needs the explainer: a clean map never imports it.
    from cruxmap.core.explanation import why_goal_fails

    res = ctx.res
    assert res is not None
    lv = ctx.graph.levels
    why = why_goal_fails(res, gc.index, gr.required)
    return [_goal_fails(gc.goal.loc, goal=gc.goal.claim, required=lv[gr.required],
                        reached=lv[gr.baseline], why=why, critique=gc.critique)]  # fmt: skip


@rule("CX106", phase="goal")
def critique_holds(ctx: RuleContext, gc: GoalContext) -> list[Diagnostic]:
    res, gr = ctx.res, gc.result
    assert res is not None
    if not gr.holds or not gc.critique:
        return []
    if res.standing and res.objection_values[gc.index] < gr.required:
        return []
    lv = ctx.graph.levels
    return [_critique_holds(gc.goal.loc, goal=gc.goal.claim, required=lv[gr.required],
                            reached=lv[gr.baseline])]  # fmt: skip


@rule("CX105", phase="goal")
def single_points(ctx: RuleContext, gc: GoalContext) -> list[Diagnostic]:
    """One finding per goal (SPEC's CX105, grouped): a map's clean run stays
    on one screen however many premises every route shares; the least slack
    first, the first few named."""
    res, gr, g = ctx.res, gc.result, ctx.graph
    assert res is not None
    if not gr.holds:
        return []
    spofs = gr.breakable_count() - len(gr.with_margin(0))
    if not spofs:
        return []
    lv, values = g.levels, res.values
    named: list[str] = []
    for m in range(1, len(lv)):
        if len(named) >= SPOFS_NAMED:
            break
        for p in gr.with_margin(m)[: SPOFS_NAMED - len(named)]:
            named.append(_spof(g.names[p], m, lv[values[p] - m - 1]))
    if spofs > SPOFS_NAMED:
        named.append(f"and {spofs - SPOFS_NAMED} more (`cruxmap explain` lists them)")
    return [_single_points(gc.goal.loc, goal=gc.goal.claim, premises=", ".join(named))]


@rule("CX104", "CX107", phase="goal")
def fails_with_objections(ctx: RuleContext, gc: GoalContext) -> list[Diagnostic]:
    res, gr, g, c = ctx.res, gc.result, ctx.graph, gc.index
    assert res is not None
    if not gr.holds:
        return []
    with_obj = res.objection_values[c]
    if not (with_obj < gr.required and res.standing):
        return []
    from cruxmap.core.explanation import objection_effects, why_goal_fails

    amap = ctx.amap
    support = set(gr.premises) | {c}  # the analysis already walked it
    names = {g.names[i] for i in support}
    route_ids = {r.id for r in g.routes if r.conclusion in support}
    relevant = [o for o in res.standing if amap.objections[o].against in names | route_ids]
    base = getattr(res, "scenario", None) or Scenario()
    obj_scenario, _ = objections_scenario(g, amap, res.statuses, base)
    why = why_goal_fails(res, c, gr.required, scenario=obj_scenario, values=res.objection_values)
    lv = g.levels
    return [
        _fails_with_objections(
            gc.goal.loc, goal=gc.goal.claim, level=lv[with_obj], required=lv[gr.required],
            why=why, objections=objection_effects(res, relevant), relevant=relevant,
            critique=gc.critique,
        )
    ]  # fmt: skip


@rule("CX101", phase="analysis")
def brittle_premises(ctx: RuleContext) -> list[Diagnostic]:
    """CX101 once per premise, naming every goal it is brittle for (issue 19
    #4): 200 goals over one support were 200 findings per premise."""
    res, g = ctx.res, ctx.graph
    assert res is not None
    brittle_for: dict[int, list[str]] = {}
    for goal in res.goals:
        gr = res.results[g.index[goal.claim]]
        if gr.holds:
            for p in gr.with_margin(0):
                brittle_for.setdefault(p, []).append(goal.claim)
    lv, values = g.levels, res.values
    return [
        _brittle(ctx.amap.claims[g.names[p]], goal_names, lv[values[p]], lv[values[p] - 1])
        for p, goal_names in brittle_for.items()
    ]


#: Goals a CX101 message names; the rest are counted (JSON and SARIF list
#: them all).
GOALS_NAMED = 3


def named_goals(goals: list[str]) -> str:
    """The first :data:`GOALS_NAMED` goals quoted, then how many more
    (as "`a`, `b`, `c` and 197 more")."""
    shown = ", ".join(f"`{x}`" for x in goals[:GOALS_NAMED])
    rest = len(goals) - GOALS_NAMED
    return f"{shown} and {rest} more" if rest > 0 else shown


def _brittle(claim: Claim, goals: list[str], level: str, breaks_at: str) -> Diagnostic:
    """One CX101 for a premise brittle for ``goals`` (the main message form
    when there is one)."""
    hint = "ask less of it (a lower `>=` threshold) or add a route that does not need it"
    if len(goals) == 1:
        return dg.at("CX101", claim.loc, premise=claim.id, goal=goals[0], level=level,
                     breaks_at=breaks_at, goals=tuple(goals), suggestion=hint)  # fmt: skip
    return dg.at(
        "CX101", claim.loc, form="goals", premise=claim.id, count=len(goals),
        named=named_goals(goals), level=level, breaks_at=breaks_at, goals=tuple(goals),
        suggestion=hint,
    )  # fmt: skip


# --------------------------------------------------------------------------- suppression

_IGNORE_RE = dg.IGNORE_COMMENT


def ignore_codes_in(comment: str) -> frozenset[str] | bool | None:
    """Codes named by an ignore comment; ``None`` for all; ``False``: none."""
    m = _IGNORE_RE.search(comment)
    if not m:
        return False
    if m.group(1) is None:
        return None
    return frozenset(c.strip().upper() for c in m.group(1).split(",") if c.strip())


def suppressed_lines(doc: Document) -> dict[int, frozenset[str] | None]:
    """Line -> codes suppressed on the statement spanning that line."""
    marks: dict[int, frozenset[str] | None] = {}
    for c in doc.comments:
        codes = ignore_codes_in(c.text)
        if codes is not False:
            marks[c.line] = codes  # type: ignore[assignment]
    if not marks:
        return {}
    result: dict[int, frozenset[str] | None] = {}
    for st in doc.statements:
        first, last = st.loc.line, max(st.end_line, st.loc.line)
        hits = [marks[ln] for ln in range(first, last + 1) if ln in marks]
        if not hits:
            continue
        merged: frozenset[str] | None = frozenset()
        for codes in hits:
            merged = None if codes is None or merged is None else merged | codes
        for ln in range(first, last + 1):
            result[ln] = merged
    return result


def apply_filters(
    diags: list[Diagnostic],
    documents: dict[str, Document],
    select: list[str] | None,
    ignore: list[str],
    *,
    root: str | None = None,
    analysed: bool = False,
) -> list[Diagnostic]:
    """Drop suppressed and deselected diagnostics; errors that stop analysis
    (syntax, names, imports) cannot be ignored: the map cannot be checked.

    Ignore comments naming unknown codes are reported (CX204), and with
    ``root`` (the map's root file) and ``analysed``, those in the root file
    that suppress nothing."""
    extra: list[Diagnostic] = []
    for path, doc in documents.items():
        if doc.comments:
            extra.extend(
                suppression_findings(diags, doc, analysed=analysed and path == root,
                                     select=select, ignore=ignore)
            )  # fmt: skip
    diags = diags + extra if extra else diags
    # Built only for files that have diagnostics: a run over thousands of
    # files must not redo every file's table for every map.
    tables: dict[str, dict[int, frozenset[str] | None]] = {}
    kept: list[Diagnostic] = []
    for d in diags:
        if d.code not in BLOCKING:
            if select and not any(d.code.startswith(s) for s in select):
                continue
            if any(d.code.startswith(s) for s in ignore):
                continue
            if d.path not in tables:
                parsed = documents.get(d.path)
                tables[d.path] = suppressed_lines(parsed) if parsed is not None else {}
            table = tables[d.path]
            if table and d.line in table:
                codes = table[d.line]
                # A bare ignore does not hide its own CX204 (only naming it does).
                if (codes is None and d.code != "CX204") or (codes is not None and d.code in codes):
                    continue
        kept.append(d)
    return kept


def suppression_findings(
    diags: list[Diagnostic],
    doc: Document,
    *,
    analysed: bool,
    select: list[str] | None,
    ignore: list[str],
) -> list[Diagnostic]:
    """CX204 for the ignore comments of ``doc`` that name an unknown code or,
    in an analysed map, suppress nothing among ``diags`` (the map's findings
    before filtering) on their statement."""
    from cruxmap.core.diagnostics import RULES

    def ran(code: str) -> bool:
        if select and not any(code.startswith(s) for s in select):
            return False
        return not any(code.startswith(s) for s in ignore)

    if not ran("CX204"):
        return []

    spans = [(st.loc.line, max(st.end_line, st.loc.line)) for st in doc.statements]
    here = [d for d in diags if d.path == doc.path and d.code not in BLOCKING]
    out: list[Diagnostic] = []
    for comment in doc.comments:
        codes = ignore_codes_in(comment.text)
        if codes is False or codes is True:  # (never True: a bool only for "no marker")
            continue
        span = next((sp for sp in spans if sp[0] <= comment.line <= sp[1]), None)
        on_statement = [d for d in here if span[0] <= d.line <= span[1]] if span is not None else []
        found = {d.code for d in on_statement}
        at = (doc.path, comment.line, comment.column)
        if codes is None:
            if analysed and not found and ran("CX204"):
                out.append(dg.make("CX204", *at, form="bare",
                                   suggestion="delete the comment"))  # fmt: skip
            continue
        if "CX204" in codes:
            continue  # kept on purpose
        for code in sorted(codes):
            if code not in RULES:
                guess = dg.did_you_mean(code, set(RULES))
                hint = f"did you mean `{guess}`?" if guess else "`cruxmap rules` lists the codes"
                out.append(dg.make("CX204", *at, form="unknown", ignored=code, suggestion=hint))
            elif analysed and ran(code) and code not in found:
                out.append(dg.make("CX204", *at, ignored=code,
                                   suggestion=f"delete `{code}` from the comment"))  # fmt: skip
    return out
