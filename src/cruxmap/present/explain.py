"""Why a goal holds or fails, presented (``cruxmap explain``).

The derivation itself (the :class:`~cruxmap.core.explanation.ClaimView` of every
claim a goal rests on, repairs and slack) is data built in
:mod:`cruxmap.core.explanation`, which lint also uses; this module renders it as
a text tree, Markdown or JSON, and prints check's one line per goal from an
API ``Result``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cruxmap.core.explanation import (
    ClaimView,
    Explainer,
    GoalExplanation,
    Link,
    why_fails,
)
from cruxmap.core.model import as_expected
from cruxmap.core.text import json_text, md_code, md_escape

if TYPE_CHECKING:
    from cruxmap import api
    from cruxmap.core.repairs import RepairSearch


# --------------------------------------------------------------------------- text


class Style:
    """ANSI styling, or none (piped output, ``NO_COLOR``)."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def bold(self, t: str) -> str:
        return self._sgr("1", t)

    def good(self, t: str) -> str:
        return self._sgr("32", t)

    def bad(self, t: str) -> str:
        return self._sgr("1;31", t)

    def warn(self, t: str) -> str:
        return self._sgr("33", t)

    def dim(self, t: str) -> str:
        return self._sgr("2", t)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def margin_text(ex: Explainer, pr: Any) -> str:
    if pr.margin is None:
        return f"holds at {ex.levels[0]}"
    if pr.margin == 0:
        return f"margin 0, brittle: fails at {ex.level(pr.breaks_at)}"
    return f"margin {pr.margin}, fails at {ex.level(pr.breaks_at)}"


class _Tree:
    """Lines of one goal's derivation, with sharing and cycles referred back."""

    def __init__(self, ex: Explainer, e: GoalExplanation, style: Style, clean: Any) -> None:
        self.ex, self.e, self.s, self.clean = ex, e, style, clean
        self.lines: list[str] = []
        self.shown: set[int] = set()
        self.margins = e.result.premises if e.holds else {}

    def claim_line(self, c: int, link: Link | None) -> str:
        ex, s = self.ex, self.s
        v = ex.view(c)
        head = f"{s.bold(v.name)}: {ex.level(v.value)}"
        if link is not None:
            text = ex.link_text(link)
            head += ", " + (s.good(text) if link.met else s.bad(text))
            if not link.met and not self.e.holds:
                head += " " + s.bad("◀ blocks")
        notes: list[str] = []
        pr = self.margins.get(c)
        if pr is not None:
            mt = margin_text(ex, pr)
            notes.append(s.warn(mt) if pr.margin == 0 else mt)
        origin = ex.origin(v)
        if origin:
            notes.append(origin)
        if notes:
            head += " · " + " · ".join(notes)
        return head

    def walk(self, c: int, link: Link | None, prefix: str, last: bool, root: bool) -> None:
        branch = "" if root else ("└── " if last else "├── ")
        line = self.claim_line(c, link)
        if c in self.shown and self.ex.view(c).routes:
            line += self.s.dim(" (derivation above)")
            self.lines.append(prefix + branch + line)
            return
        self.lines.append(prefix + branch + line)
        self.shown.add(c)
        child_prefix = prefix if root else prefix + ("    " if last else "│   ")
        routes = self.ex.view(c).routes
        for i, rv in enumerate(routes):
            rlast = i == len(routes) - 1
            mark = self.s.good("✓") if rv.works else self.s.bad("✗")
            note = self.ex.route_note(rv)
            self.lines.append(
                child_prefix + ("└── " if rlast else "├── ") + f"{mark} {rv.id} {note}"
            )
            rprefix = child_prefix + ("    " if rlast else "│   ")
            for j, lk in enumerate(rv.premises):
                self.walk(lk.claim, lk, rprefix, j == len(rv.premises) - 1, False)


def goal_header(ex: Explainer, e: GoalExplanation, style: Style) -> str:
    lv = ex.level
    name = ex.name(e.claim)
    head = f"goal {style.bold(name)} >= {lv(e.required)}: "
    critique = e.expected == "fails"
    if e.holds and critique and not _fails_with_objections(ex, e):
        head += style.bad(
            f"holds at {lv(e.value)}, but is expected to fail (the critique went stale)"
        )
    elif e.holds:
        head += style.good(f"holds at {lv(e.value)}")
    elif critique:
        head += style.bold(f"fails at {lv(e.value)}, as expected")
    else:
        head += style.bad(f"FAILS at {lv(e.value)}")
    if e.implicit:
        head += " (default goal: the map declares none)"
    if e.baseline != e.value:
        head += f" (baseline {lv(e.baseline)})"
    return head


def _fails_with_objections(ex: Explainer, e: GoalExplanation) -> bool:
    """The goal fails once the standing objections are applied."""
    return bool(ex.res.standing) and e.with_objections < e.required


def render_text(
    ex: Explainer,
    explanations: list[GoalExplanation],
    *,
    style: Style,
    depth: int,
    max_order: int,
    show_repairs: bool,
) -> list[str]:
    from cruxmap.present.output import clean

    lv = ex.level
    out: list[str] = []
    for e in explanations:
        if out:
            out.append("")
        out.append(goal_header(ex, e, style))
        if e.text:
            out.append(style.dim(f'  "{clean(e.text)}"'))
        tree = _Tree(ex, e, style, clean)
        tree.walk(e.claim, None, "", True, True)
        out.extend(tree.lines)
        if not e.holds:
            out.append(f"Why: {clean(why_fails(ex, e.claim, e.required))}.")
        else:
            out.extend(_holding_summary(ex, e, depth, max_order))
        wo = e.with_objections
        if ex.res.standing and not ex.applied:
            status = "holds" if wo >= e.required else "fails"
            if status == "fails" and e.expected == "fails":
                status = "fails, as expected,"
            out.append(
                f"With the standing objections applied: {status} at {lv(wo)} "
                f"({', '.join(ex.res.standing)})"
            )
        if show_repairs:
            out.extend(_repair_lines(ex, e, max_order))
    return out


def _holding_summary(ex: Explainer, e: GoalExplanation, depth: int, max_order: int) -> list[str]:
    gr = e.result
    lines: list[str] = []
    finite = sorted(
        ((p, pr) for p, pr in gr.premises.items() if pr.margin is not None),
        key=lambda kv: (kv[1].margin, ex.name(kv[0])),
    )
    if finite:
        shown = finite[:10]
        text = "; ".join(f"{ex.name(p)} ({margin_text(ex, pr)})" for p, pr in shown)
        if len(finite) > len(shown):
            text += f"; and {len(finite) - len(shown)} more (--format json lists them)"
        lines.append(f"Weakest links: {text}")
    elif gr.premises:
        lines.append(f"Weakest links: none; the goal holds with any one premise at {ex.levels[0]}")
    cuts = gr.cut_sets
    label = f"Cut sets (each member {_plural(depth, 'step')} down at once, up to {max_order})"
    if cuts:
        shown_cuts = cuts[:10]
        text = ", ".join("{" + ", ".join(ex.name(i) for i in s) + "}" for s in shown_cuts)
        if len(cuts) > len(shown_cuts):
            text += f", and {len(cuts) - len(shown_cuts)} more"
        lines.append(f"{label}: {text}")
    else:
        lines.append(f"{label}: none")
    if not gr.cut_sets_complete:
        lines.append("  (the cut-set search hit its budget: larger sets may be missing)")
    um = gr.uniform_margin
    if um is None:
        lines.append(f"Uniform margin: unlimited (holds with every leaf at {ex.levels[0]})")
    else:
        lines.append(
            f"Uniform margin: {um} (every leaf {_plural(um + 1, 'step')} down at once: fails)"
        )
    return lines


def repair_text(ex: Explainer, raises: Iterable[tuple[int, int]]) -> str:
    parts = []
    for leaf, level in raises:
        cur = ex.values[leaf]
        parts.append(f"{ex.name(leaf)} {ex.level(cur)} -> {ex.level(level)}")
    return ", ".join(parts)


def threshold_text(ex: Explainer, t: Any) -> str:
    route = ex.g.routes[t.route]
    return (
        f"`{route.id}` asks `{ex.name(t.premise)}` >= {ex.level(t.old)}; "
        f">= {ex.level(t.new)} (what it has) would do"
    )


def _search_lines(ex: Explainer, search: RepairSearch, indent: str, limit: int = 10) -> list[str]:
    lines = []
    for i, rep in enumerate(search.repairs[:limit], 1):
        lines.append(f"{indent}{i}. {repair_text(ex, rep.raises)} ({_plural(rep.steps, 'step')})")
    if len(search.repairs) > limit:
        lines.append(
            f"{indent}... and {len(search.repairs) - limit} more (--format json lists them)"
        )
    if not search.repairs:
        lines.append(f"{indent}none up to order {search.order}")
    if not search.complete:
        lines.append(f"{indent}(search cut at its budget: larger repairs may be missing)")
    return lines


def _repair_lines(ex: Explainer, e: GoalExplanation, max_order: int) -> list[str]:
    if not e.holds:
        assert e.repairs is not None
        lines = [f"Repairs (raise up to {_plural(max_order, 'leaf assumption')}; smallest first):"]
        lines.extend(_search_lines(ex, e.repairs, "  "))
        if e.thresholds:
            lines.append("Or ask less of one premise (a lower threshold on one route):")
            for t in e.thresholds[:10]:
                lines.append("  " + threshold_text(ex, t))
            if len(e.thresholds) > 10:
                lines.append(f"  ... and {len(e.thresholds) - 10} more (--format json lists them)")
        if not e.thresholds_complete:
            lines.append("  (threshold search cut at its budget)")
        return lines
    if not e.slack:
        return ["Repairs: none needed (no brittle premise)"]
    lines = ["Slack for brittle premises (raises after which the goal survives it one step down):"]
    for p, search in e.slack.items():
        lines.append(f"  {ex.name(p)}:")
        lines.extend(_search_lines(ex, search, "    "))
    return lines


# --------------------------------------------------------------------------- markdown


def render_markdown(
    ex: Explainer,
    explanations: list[GoalExplanation],
    *,
    root: str,
    depth: int,
    max_order: int,
    show_repairs: bool,
    scenario: dict[str, str],
) -> list[str]:
    plain = Style(False)
    out = [f"## {md_escape(root)}", ""]
    if scenario:
        out.append(
            "Scenario: " + ", ".join(f"{md_code(k)} = {md_code(v)}" for k, v in scenario.items())
        )
        out.append("")
    for e in explanations:
        lv = ex.level
        status = (
            f"holds at {md_code(lv(e.value))}"
            if e.holds
            else f"**fails** at {md_code(lv(e.value))}"
        )
        out.append(f"### Goal {md_code(ex.name(e.claim))} >= {md_code(lv(e.required))}: {status}")
        out.append("")
        if e.text:
            out.append(f"> {md_escape(e.text)}")
            out.append("")
        tree = _MdTree(ex, e)
        tree.walk(e.claim, None, 0)
        out.extend(tree.lines)
        out.append("")
        if not e.holds:
            out.append(f"Why: {md_escape(why_fails(ex, e.claim, e.required))}.")
        else:
            out.extend(f"- {md_escape(line)}" for line in _holding_summary(ex, e, depth, max_order))
        if show_repairs:
            out.append("")
            for line in _repair_lines(ex, e, max_order):
                # Indented lines become nested list items (4 spaces of
                # indentation alone would make a code block).
                depth = (len(line) - len(line.lstrip(" "))) // 2
                text = md_escape(line.strip())
                out.append(text if depth == 0 else "  " * (depth - 1) + "- " + text)
        out.append("")
    del plain
    return out


class _MdTree:
    def __init__(self, ex: Explainer, e: GoalExplanation) -> None:
        self.ex, self.e = ex, e
        self.lines: list[str] = []
        self.shown: set[int] = set()
        self.margins = e.result.premises if e.holds else {}

    def walk(self, c: int, link: Link | None, level: int) -> None:
        ex = self.ex
        v = ex.view(c)
        pad = "  " * level
        text = f"{md_code(v.name)}: {md_code(ex.level(v.value))}"
        if link is not None:
            lt = md_escape(ex.link_text(link))
            text += ", " + (lt if link.met else f"**{lt}**")
            if not link.met and not self.e.holds:
                text += " **(blocks)**"
        pr = self.margins.get(c)
        if pr is not None:
            text += " · " + md_escape(margin_text(ex, pr))
        origin = ex.origin(v)
        if origin:
            text += " · " + md_escape(origin)
        if c in self.shown and v.routes:
            self.lines.append(f"{pad}- {text} (derivation above)")
            return
        self.lines.append(f"{pad}- {text}")
        self.shown.add(c)
        for rv in v.routes:
            mark = "✓" if rv.works else "✗"
            self.lines.append(
                f"{pad}  - {mark} route {md_code(rv.id)} {md_escape(ex.route_note(rv))}"
            )
            for lk in rv.premises:
                self.walk(lk.claim, lk, level + 2)


# --------------------------------------------------------------------------- JSON


def to_json(
    ex: Explainer,
    explanations: list[GoalExplanation],
    *,
    root: str,
    scenario: dict[str, str],
    depth: int,
    max_order: int,
) -> dict[str, Any]:
    """The derivations as data: goals, and a flat table of the claims they
    rest on (a DAG: each claim once, routes naming premises by ID)."""
    lv = ex.level
    claims: dict[str, Any] = {}
    goals: list[dict[str, Any]] = []
    for e in explanations:
        for c in ex.support(e.claim):
            name = ex.name(c)
            if name not in claims:
                claims[name] = _claim_json(ex, ex.view(c))
        gr = e.result
        entry: dict[str, Any] = {
            "claim": ex.name(e.claim),
            "required": lv(e.required),
            "value": lv(e.value),
            "baseline": lv(e.baseline),
            "status": "holds" if e.holds else "fails",
            "expected": e.expected,
            "as_expected": as_expected(e.expected, e.holds, not _fails_with_objections(ex, e)),
            "implicit": e.implicit,
            "with_objections": {
                "level": lv(e.with_objections),
                "status": "holds" if e.with_objections >= e.required else "fails",
            },
        }
        if e.holds:
            entry["premises"] = {
                ex.name(p): {
                    "value": lv(pr.baseline),
                    "margin": pr.margin,
                    "breaks_at": lv(pr.breaks_at) if pr.breaks_at is not None else None,
                    "brittle": pr.brittle,
                }
                for p, pr in sorted(gr.premises.items(), key=lambda kv: ex.name(kv[0]))
            }
            entry["cut_sets"] = [[ex.name(i) for i in s] for s in gr.cut_sets]
            entry["cut_sets_complete"] = gr.cut_sets_complete
            entry["uniform_margin"] = gr.uniform_margin
        else:
            entry["why"] = why_fails(ex, e.claim, e.required)
            entry["blocking"] = [
                {
                    "route": rv.id,
                    "premise": ex.name(lk.claim),
                    "threshold": lv(lk.threshold),
                    "value": lv(ex.values[lk.claim]),
                }
                for rv in ex.view(e.claim).routes
                for lk in rv.blocked_by
            ]
        if e.repairs is not None:
            entry["repairs"] = _search_json(ex, e.repairs)
            entry["threshold_repairs"] = {
                "complete": e.thresholds_complete,
                "repairs": [
                    {
                        "route": ex.g.routes[t.route].id,
                        "premise": ex.name(t.premise),
                        "from": lv(t.old),
                        "to": lv(t.new),
                    }
                    for t in e.thresholds
                ],
            }
        if e.slack:
            entry["slack"] = {ex.name(p): _search_json(ex, s) for p, s in e.slack.items()}
        goals.append(entry)
    return {
        "root": ex.res.amap.root,
        "scale": list(ex.levels),
        "scenario": scenario,
        "objections_applied": ex.applied,
        "depth": depth,
        "max_order": max_order,
        "goals": goals,
        "claims": claims,
        "objections": {oid: st.value for oid, st in ex.res.statuses.items()},
    }


def _claim_json(ex: Explainer, v: ClaimView) -> dict[str, Any]:
    lv = ex.level
    data: dict[str, Any] = {"value": lv(v.value), "baseline": lv(v.baseline), "leaf": v.leaf}
    if v.leaf:
        data["assume"] = lv(v.assume)
        data["assume_written"] = v.assume_written
    if v.set_to is not None:
        data["set"] = lv(v.set_to)
    if v.objections:
        data["objections"] = [
            {"objection": o, "caps": lv(cap), "applied": v.objections_applied}
            for o, cap in v.objections
        ]
    if not v.leaf:
        data["routes"] = [
            {
                "id": rv.id,
                "yields": lv(rv.yields),
                "works": rv.works,
                "carries": rv.carries,
                "removed": rv.removed,
                "objections": rv.objections,
                "premises": [
                    {
                        "claim": ex.name(lk.claim),
                        "threshold": lv(lk.threshold),
                        "bare": lk.bare,
                        "value": lv(ex.values[lk.claim]),
                        "met": lk.met,
                    }
                    for lk in rv.premises
                ],
            }
            for rv in v.routes
        ]
    return data


def _search_json(ex: Explainer, s: RepairSearch) -> dict[str, Any]:
    return {
        "complete": s.complete,
        "max_order": s.order,
        "repairs": [
            {
                "raise": {ex.name(leaf): ex.level(level) for leaf, level in rep.raises},
                "from": {ex.name(leaf): ex.level(ex.values[leaf]) for leaf, _ in rep.raises},
                "leaves": len(rep.raises),
                "steps": rep.steps,
            }
            for rep in s.repairs
        ],
    }


def dumps(data: Any) -> str:
    return json_text(json.dumps(data, indent=2, ensure_ascii=False))


# --------------------------------------------------------------------------- scenarios


def warn_scenario(result: api.Result, warned: set[str]) -> None:
    """Print each ``--set`` that changes nothing to stderr, once per run."""
    from cruxmap.present.output import clean

    for warning in result.scenario_warnings:
        if warning not in warned:
            warned.add(warning)
            print(f"cruxmap: warning: {clean(warning)}", file=sys.stderr)


def scenario_text(scenario: Any, objections: bool) -> str | None:
    """``Scenario: ...`` for text output, or None at the baseline."""
    parts = []
    if scenario:
        parts.append("--set " + " ".join(f"{c}={lv}" for c, lv in scenario.items()))
    if objections:
        parts.append("--objections (every standing objection applied)")
    return "Scenario: " + "; ".join(parts) if parts else None


def scenario_line(result: api.Result, scenario: dict[str, str], objections: bool) -> str | None:
    """The scenario a report is in, for text output (None: the baseline)."""
    parts = []
    if scenario:
        parts.append("--set " + " ".join(f"{c}={lv}" for c, lv in scenario.items()))
    if objections:
        standing = ", ".join(result.standing) if result.standing else "none stand"
        parts.append(f"--objections ({standing})")
    if not parts:
        return None
    return "Scenario: " + "; ".join(parts)


def _goal_suggestion(result: api.Result, name: str) -> str:
    from cruxmap.core.diagnostics import did_you_mean

    goals = list(result.goals)
    guess = did_you_mean(name, goals)
    if guess:
        return f"did you mean `{guess}`?"
    if name in result.map.model.claims:
        return f"`{name}` is a claim but not a goal; goals: " + ", ".join(f"`{x}`" for x in goals)
    return "goals: " + ", ".join(f"`{x}`" for x in goals) if goals else "the map has no goals"


# --------------------------------------------------------------------------- check's results lines


def goal_status_lines(result: api.Result) -> list[str]:
    """One line per goal for ``check``'s text report: where each argument
    stands, so that a clean run still says something."""
    from cruxmap.present.output import clean

    if not result.analysed:
        return []
    root = clean(result.map.root)
    out = []
    for goal in result.goals.values():
        head = f"{root}: goal `{goal.claim}`"
        if not goal.holds:
            expected = ", as expected," if goal.expected == "fails" else ""
            out.append(
                f"{head} fails{expected} at {goal.value} (needs {goal.required}); "
                f"why: cruxmap explain {root} {goal.claim}"
            )
            continue
        parts = [f"{head} holds at {goal.value} (needs {goal.required})"]
        if goal.expected == "fails":
            parts[0] += (
                ", fails with objections, as expected"
                if result.standing and goal.with_objections.status == "fails"
                else ", but is expected to fail"
            )
        um = goal.uniform_margin
        parts.append("uniform margin unlimited" if um is None else f"uniform margin {um}")
        if goal.cut_sets:
            parts.append("smallest cut set {" + ", ".join(goal.cut_sets[0]) + "}")
        else:
            parts.append("no cut set" + ("" if goal.cut_sets_complete else " found (search cut)"))
        out.append("; ".join(parts))
    return out
