"""``cruxmap diff``: what a change did to an argument's robustness.

Each map is analysed twice, at a git revision (read from git objects, see
:mod:`cruxmap.core.gitrev`) and in the working tree, or as two files. The two
analyses are reduced to plain *facts* (levels by name, IDs as keys) and
compared fact by fact, so that every reported change is one stable JSON
entry (``kind``, ``effect``, ``goal``, ``subject``, ``old``, ``new``; the
kinds are documented in ``docs/diff.md``). Text, JSON and Markdown are three
views of the same entries.

What counts as a *regression* (exit 1 by default) is fixed and documented:
a goal that stops holding, a premise that becomes brittle, a premise margin
that shrinks, a new cut set of order at most 2, and a map that stops
parsing. Everything else is ``worse``, ``better`` or ``neutral``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cruxmap.core.errors import CruxmapError
from cruxmap.core.text import md_code, md_escape

if TYPE_CHECKING:
    from cruxmap.api import Map, Options, Result, Run
    from cruxmap.core.diagnostics import Diagnostic
    from cruxmap.core.gitrev import Repo, Revision, Snapshot

#: Effects, worst first (the order of every listing).
EFFECTS = ("regression", "worse", "better", "neutral")
#: A new cut set this small is a regression: two modest shortfalls at once.
REGRESSION_CUT_ORDER = 2
#: GitHub's limit on a pull-request comment, in characters; the Markdown is
#: cut (with a count of what was left out) to fit it, which also fits the
#: 1 MiB limit of a job's step summary.
MARKDOWN_LIMIT = 65_536
#: Schema version of the JSON output (bumped when a key changes meaning).
JSON_VERSION = 1

Facts = dict[str, Any]


class DiffError(CruxmapError):
    """Misuse: a bad revision, path or scenario (exit 2)."""


# --------------------------------------------------------------------------- facts


def facts(result: Result | None, m: Map, rewrite: Callable[[str], str] | None = None) -> Facts:
    """What is compared of one analysed map: levels by name, IDs as keys.

    ``rewrite`` turns snapshot paths in diagnostics back into repository
    paths (for the revision side).
    """
    fix = rewrite or _same
    model = m.model
    blocking = [_diag_json(d, fix) for d in m.diagnostics if _is_blocking(d.code)]
    out: Facts = {
        "ok": result is not None and result.analysed,
        "errors": blocking,
        "scale": list(model.scale),
        "claims": {},
        "reductions": {},
        "objections": {},
        "goals": {},
    }
    if not out["ok"] or result is None:
        return out
    scale = list(model.scale)
    top, bottom = scale[-1], scale[0]
    concluded = {r.conclusion for r in model.reductions.values()}
    for c in model.claims.values():
        leaf = c.id not in concluded
        out["claims"][c.id] = {"text": c.text, "assume": (c.assume or top) if leaf else None}
    for r in model.reductions.values():
        out["reductions"][r.id] = {
            "conclusion": r.conclusion,
            "premises": {p.claim: p.threshold or top for p in r.premises},
            "yields": r.yields or top,
        }
    statuses = result.objections
    for o in model.objections.values():
        caps = (o.caps or bottom) if o.against in model.claims else None
        out["objections"][o.id] = {
            "text": o.text,
            "against": o.against,
            "caps": caps,
            "status": statuses.get(o.id, "undecided"),
        }
    for name, g in result.goals.items():
        entry: Facts = {
            "required": g.required,
            "value": g.value,
            "status": g.status,
            "expected": g.expected,
            "with_objections": {
                "level": g.with_objections.level,
                "status": g.with_objections.status,
            },
            "premises": None,
            "cut_sets": None,
            "cut_sets_complete": None,
            "uniform_margin": None,
        }
        if g.holds and g.premises is not None:
            entry["premises"] = {
                p: {
                    "value": pr.value,
                    "margin": pr.margin,
                    "breaks_at": pr.breaks_at,
                    "brittle": pr.margin == 0,
                }
                for p, pr in g.premises.items()
            }
            entry["cut_sets"] = [list(s) for s in g.cut_sets or []]
            entry["cut_sets_complete"] = g.cut_sets_complete
            entry["uniform_margin"] = g.uniform_margin
        out["goals"][name] = entry
    return out


def _is_blocking(code: str) -> bool:
    from cruxmap.api import blocking

    return blocking(code)


def _same(text: str) -> str:
    return text


def _diag_json(d: Diagnostic, fix: Callable[[str], str] = _same) -> dict[str, Any]:
    return {
        "code": d.code,
        "severity": str(getattr(d.severity, "value", d.severity)),
        "path": fix(d.path),
        "line": d.line,
        "column": d.column,
        "message": fix(d.message),
    }


# --------------------------------------------------------------------------- changes


@dataclass
class Change:
    """One difference between the two sides; ``old``/``new`` depend on ``kind``."""

    kind: str
    effect: str
    old: Any = None
    new: Any = None
    goal: str | None = None
    subject: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "effect": self.effect,
            "goal": self.goal,
            "subject": self.subject,
            "old": self.old,
            "new": self.new,
        }


def _rank(scale: list[str], level: str | None) -> int:
    return scale.index(level) if level in scale else -1


def _steps(margin: int | None) -> float:
    return float("inf") if margin is None else float(margin)


def compare(old: Facts | None, new: Facts | None) -> list[Change]:
    """Every change from ``old`` to ``new`` (``None``: the map is absent)."""
    out: list[Change] = []
    if old is None and new is None:
        return out
    if old is None or new is None:
        present = new if old is None else old
        assert present is not None
        summary = _map_summary(present)
        if old is None:
            out.append(Change("map_added", "neutral", None, summary))
        else:
            out.append(Change("map_removed", "neutral", summary, None))
        return out
    if old["errors"] or new["errors"] or not (old["ok"] and new["ok"]):
        if old["errors"] != new["errors"]:
            if not old["errors"]:
                effect = "regression"
            elif not new["errors"]:
                effect = "better"
            else:
                effect = "neutral"
            out.append(Change("map_errors", effect, old["errors"], new["errors"]))
        if old["ok"] and not new["ok"]:
            return out
        if new["ok"] and not old["ok"]:
            for name, g in new["goals"].items():
                before = {"status": "not analysed", "value": None, "required": g["required"]}
                after = {"status": g["status"], "value": g["value"], "required": g["required"]}
                out.append(Change("goal_status", "neutral", before, after, goal=name))
        return out
    if old["scale"] != new["scale"]:
        out.append(Change("scale_changed", "neutral", old["scale"], new["scale"]))
    out.extend(_goal_changes(old, new))
    out.extend(_objection_changes(old, new))
    out.extend(_structure_changes(old, new))
    return out


def _map_summary(f: Facts) -> dict[str, Any]:
    goals = {name: g["status"] for name, g in f["goals"].items()}
    brittle = sorted(
        {p for g in f["goals"].values() for p, pr in (g["premises"] or {}).items() if pr["brittle"]}
    )
    return {"analysed": f["ok"], "errors": f["errors"], "goals": goals, "brittle": brittle}


def _goal_summary(g: Facts) -> dict[str, Any]:
    brittle = sorted(p for p, pr in (g["premises"] or {}).items() if pr["brittle"])
    out = {"required": g["required"], "value": g["value"], "status": g["status"]}
    return {**out, **_goal_status(g), "brittle": brittle}


def _goal_status(g: Facts) -> dict[str, Any]:
    """A goal's ``status``, ``value`` and ``required``, and ``expected``
    only for a goal its map expects to fail (other entries stay as they were)."""
    out = {"status": g["status"], "value": g["value"], "required": g["required"]}
    if g.get("expected", "holds") != "holds":
        out["expected"] = g["expected"]
    return out


def _as_expected(g: Facts) -> bool:
    """The goal's outcome is what its map expects (see model.as_expected)."""
    from cruxmap.core.model import as_expected

    holds_wo = g["with_objections"]["status"] == "holds"
    return as_expected(g.get("expected", "holds"), g["status"] == "holds", holds_wo)


#: The kinds that say whether a goal expected to fail still does.
_EXPECTATION_KINDS = ("goal_status", "with_objections")


def _goal_changes(old: Facts, new: Facts) -> list[Change]:
    out: list[Change] = []
    so, sn = old["scale"], new["scale"]
    for name in sorted(set(old["goals"]) | set(new["goals"])):
        go, gn = old["goals"].get(name), new["goals"].get(name)
        if go is None:
            out.append(Change("goal_added", "neutral", None, _goal_summary(gn), goal=name))
            continue
        if gn is None:
            effect = "worse" if go["status"] == "holds" else "neutral"
            out.append(Change("goal_removed", effect, _goal_summary(go), None, goal=name))
            continue

        # A goal its map expects to fail (a critique): what matters is
        # whether it still fails as expected; its robustness is not what the
        # map defends, so premise and cut-set changes are never regressions.
        critique = "fails" in (go.get("expected"), gn.get("expected"))
        ok_o, ok_n = _as_expected(go), _as_expected(gn)

        def add(kind: str, effect: str, a: Any, b: Any, subject: str | None = None) -> None:
            if critique and effect == "regression" and kind not in _EXPECTATION_KINDS:  # noqa: B023
                effect = "worse"
            out.append(Change(kind, effect, a, b, goal=name, subject=subject))  # noqa: B023

        if go["required"] != gn["required"]:
            add("goal_required", "neutral", go["required"], gn["required"])
        if go.get("expected", "holds") != gn.get("expected", "holds"):
            add(
                "goal_expected", "neutral", go.get("expected", "holds"), gn.get("expected", "holds")
            )
        if go["status"] != gn["status"]:
            # A goal that stops being what its map expects is the regression
            # (for a goal expected to hold: it stops holding).
            effect = "neutral" if ok_o == ok_n else "regression" if ok_o else "better"
            add("goal_status", effect, _goal_status(go), _goal_status(gn))
        elif go["value"] != gn["value"]:
            down = _rank(sn, gn["value"]) < _rank(so, go["value"])
            add("goal_level", "worse" if down else "better", go["value"], gn["value"])
        wo, wn = go["with_objections"], gn["with_objections"]
        if wo != wn:
            if critique and ok_o != ok_n and go["status"] == gn["status"]:
                effect = "regression" if ok_o else "better"
            elif critique and wo["status"] != wn["status"]:
                effect = "neutral"
            elif wo["status"] != wn["status"]:
                effect = "worse" if wn["status"] == "fails" else "better"
            else:
                effect = "worse" if _rank(sn, wn["level"]) < _rank(so, wo["level"]) else "better"
            add("with_objections", effect, wo, wn)
        if go["premises"] is None or gn["premises"] is None:
            continue  # a failing side: margins are not defined there
        out.extend(_premise_changes(name, go["premises"], gn["premises"]))
        cuts_o = {tuple(s) for s in go["cut_sets"]}
        cuts_n = {tuple(s) for s in gn["cut_sets"]}
        for s in sorted(cuts_n - cuts_o, key=lambda s: (len(s), s)):
            effect = "regression" if len(s) <= REGRESSION_CUT_ORDER else "worse"
            add("cut_set_added", effect, None, list(s), ", ".join(s))
        for s in sorted(cuts_o - cuts_n, key=lambda s: (len(s), s)):
            add("cut_set_removed", "better", list(s), None, ", ".join(s))
        if go["cut_sets_complete"] != gn["cut_sets_complete"]:
            add("cut_sets_complete", "neutral", go["cut_sets_complete"], gn["cut_sets_complete"])
        uo, un = go["uniform_margin"], gn["uniform_margin"]
        if uo != un:
            add("uniform_margin", "worse" if _steps(un) < _steps(uo) else "better", uo, un)
    return out


def _premise_changes(goal: str, old: Facts, new: Facts) -> list[Change]:
    out: list[Change] = []
    for p in sorted(set(old) | set(new)):
        po, pn = old.get(p), new.get(p)
        if po is not None and pn is not None and po == pn:
            continue
        was = po is not None and po["brittle"]
        now = pn is not None and pn["brittle"]
        if now and not was:
            kind, effect = "premise_brittle", "regression"
        elif was and not now:
            kind, effect = "premise_not_brittle", "better"
        elif po is None:
            kind, effect = "premise_added", "neutral"
        elif pn is None:
            kind, effect = "premise_removed", "neutral"
        elif (po["margin"], po["breaks_at"]) == (pn["margin"], pn["breaks_at"]):
            continue  # only the premise's own level moved; the goal's slack did not
        else:
            mo, mn = _steps(po["margin"]), _steps(pn["margin"])
            kind = "margin"
            effect = "regression" if mn < mo else "better" if mn > mo else "neutral"
        out.append(Change(kind, effect, po, pn, goal=goal, subject=p))
    return out


def _objection_changes(old: Facts, new: Facts) -> list[Change]:
    out: list[Change] = []
    oo, on = old["objections"], new["objections"]
    for oid in sorted(set(oo) | set(on)):
        a, b = oo.get(oid), on.get(oid)
        if a is None:
            out.append(Change("objection_added", "neutral", None, b, subject=oid))
        elif b is None:
            out.append(Change("objection_removed", "neutral", a, None, subject=oid))
        else:
            if a["status"] != b["status"]:
                out.append(
                    Change("objection_status", "neutral", a["status"], b["status"], subject=oid)
                )
            fields = [k for k in ("text", "against", "caps") if a[k] != b[k]]
            if fields:
                out.append(
                    Change(
                        "objection_changed",
                        "neutral",
                        {k: a[k] for k in fields},
                        {k: b[k] for k in fields},
                        subject=oid,
                    )
                )
    return out


def _structure_changes(old: Facts, new: Facts) -> list[Change]:
    out: list[Change] = []
    for what, keys in (
        ("claim", ("text", "assume")),
        ("reduction", ("conclusion", "premises", "yields")),
    ):
        a_all, b_all = old[what + "s"], new[what + "s"]
        for ident in sorted(set(a_all) | set(b_all)):
            a, b = a_all.get(ident), b_all.get(ident)
            if a is None:
                out.append(Change(what + "_added", "neutral", None, b, subject=ident))
            elif b is None:
                out.append(Change(what + "_removed", "neutral", a, None, subject=ident))
            else:
                changed = [k for k in keys if a[k] != b[k]]
                if changed:
                    out.append(
                        Change(
                            what + "_changed",
                            "neutral",
                            {k: a[k] for k in changed},
                            {k: b[k] for k in changed},
                            subject=ident,
                        )
                    )
    return out


# --------------------------------------------------------------------------- maps


@dataclass
class MapDiff:
    """The changes of one map, named as in the working tree (or as removed)."""

    old_path: str | None
    new_path: str | None
    changes: list[Change]
    #: Each goal's required level, for headings.
    needs: dict[str, str] = field(default_factory=dict)
    #: Git followed a rename (two files compared are not a rename).
    renamed: bool = False

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or "?"

    @property
    def status(self) -> str:
        if self.old_path is None:
            return "added"
        if self.new_path is None:
            return "removed"
        return "changed" if self.changes else "unchanged"

    def counts(self) -> Counter[str]:
        return Counter(c.effect for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "path": self.path,
            "old_path": self.old_path,
            "new_path": self.new_path,
            "status": self.status,
            "renamed": self.renamed,
            "counts": {e: counts[e] for e in EFFECTS},
            "changes": [c.to_json() for c in sorted_changes(self.changes)],
        }


@dataclass
class Report:
    old_label: str
    new_label: str
    old_rev: str | None
    options: dict[str, Any]
    maps: list[MapDiff] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for m in self.maps:
            total.update(m.counts())
        return total

    @property
    def regression(self) -> bool:
        return self.counts()["regression"] > 0

    def ordered(self) -> list[MapDiff]:
        """Maps with the worst changes first, then by path."""
        return sorted(self.maps, key=lambda m: (_worst(m.changes), m.path))

    def to_json(self) -> dict[str, Any]:
        counts = self.counts()
        statuses = Counter(m.status for m in self.maps)
        return {
            "version": JSON_VERSION,
            "old": {"label": self.old_label, "rev": self.old_rev},
            "new": {"label": self.new_label},
            "options": self.options,
            "summary": {
                "maps": len(self.maps),
                **{s: statuses[s] for s in ("changed", "added", "removed", "unchanged")},
                **{e: counts[e] for e in EFFECTS},
            },
            "regression": self.regression,
            "maps": [m.to_json() for m in self.ordered()],
        }

    def exit_status(self, fail_on: str) -> int:
        if fail_on == "never":
            return 0
        if fail_on == "any":
            return int(any(m.changes for m in self.maps))
        return int(self.regression)


def _worst(changes: Iterable[Change]) -> int:
    return min((EFFECTS.index(c.effect) for c in changes), default=len(EFFECTS))


GOAL_KINDS = (
    "goal_added",
    "goal_removed",
    "goal_status",
    "goal_level",
    "goal_required",
    "goal_expected",
    "with_objections",
    "premise_brittle",
    "premise_not_brittle",
    "margin",
    "premise_added",
    "premise_removed",
    "cut_set_added",
    "cut_set_removed",
    "cut_sets_complete",
    "uniform_margin",
)
MAP_KINDS = ("map_added", "map_removed", "map_errors", "scale_changed")
OBJECTION_KINDS = ("objection_status", "objection_added", "objection_removed", "objection_changed")
STRUCTURE_KINDS = (
    "claim_added",
    "claim_removed",
    "claim_changed",
    "reduction_added",
    "reduction_removed",
    "reduction_changed",
)
KINDS = MAP_KINDS + GOAL_KINDS + OBJECTION_KINDS + STRUCTURE_KINDS


def sorted_changes(changes: Iterable[Change]) -> list[Change]:
    """Grouped (map, goals worst first, objections, structure), worst first
    within each group, then in a fixed order of kinds and subjects."""
    changes = list(changes)
    worst_goal: dict[str, int] = {}
    for c in changes:
        if c.goal is not None:
            worst_goal[c.goal] = min(worst_goal.get(c.goal, 9), EFFECTS.index(c.effect))

    def key(c: Change) -> tuple[Any, ...]:
        if c.kind in MAP_KINDS:
            group: tuple[Any, ...] = (0,)
        elif c.goal is not None:
            group = (1, worst_goal[c.goal], c.goal)
        elif c.kind in OBJECTION_KINDS:
            group = (2,)
        else:
            group = (3,)
        return (*group, EFFECTS.index(c.effect), KINDS.index(c.kind), c.subject or "")

    return sorted(changes, key=key)


# --------------------------------------------------------------------------- words

#: Around an ID in the words below: shown as `id` in text, a code span in
#: Markdown. Map text never carries these characters (``_quote`` escapes them).
_OPEN, _CLOSE = "\x02", "\x03"
_NO_MARKS = str.maketrans({_OPEN: "\\x02", _CLOSE: "\\x03"})


def _id(name: Any) -> str:
    return f"{_OPEN}{str(name).translate(_NO_MARKS)}{_CLOSE}"


def _ids(names: Iterable[Any]) -> str:
    return ", ".join(_id(n) for n in names)


def plain_ids(text: str) -> str:
    """Words with each marked ID in backticks, as ``check`` messages show them."""
    return text.replace(_OPEN, "`").replace(_CLOSE, "`")


def _premise_words(p: Mapping[str, Any] | None) -> str:
    if p is None:
        return ""
    if p["margin"] is None:
        return f"{p['value']}, the goal holds even with it at bottom"
    return f"{p['value']}, margin {p['margin']} (the goal fails at {p['breaks_at']})"


def _margin_words(m: int | None) -> str:
    return "none needed (holds with every leaf at bottom)" if m is None else str(m)


def _reduction_words(r: Mapping[str, Any]) -> str:
    parts = []
    if "conclusion" in r:
        parts.append(f"concludes {_id(r['conclusion'])}")
    if "premises" in r:
        prem = ", ".join(f"{_id(c)} >= {t}" for c, t in r["premises"].items())
        parts.append(f"premises {prem or '(none)'}")
    if "yields" in r:
        parts.append(f"yields {r['yields']}")
    return "; ".join(parts)


def _fields_words(d: Mapping[str, Any]) -> str:
    return "; ".join(
        f"{k} {_quote(v) if k == 'text' else _id(v) if k == 'against' else v}" for k, v in d.items()
    )


def _quote(text: Any) -> str:
    s = str(text).translate(_NO_MARKS)
    return '"' + (s if len(s) <= 120 else s[:117] + "...") + '"'


def _goal_state(g: Mapping[str, Any] | None) -> str:
    if g is None:
        return ""
    if g["status"] == "not analysed":
        return "not analysed"
    if g.get("expected") == "fails":
        return f"{g['status']} at {g['value']} (expected to fail)"
    return f"{g['status']} at {g['value']}"


def _summary_words(s: Mapping[str, Any] | None) -> str:
    if s is None:
        return ""
    if not s["analysed"]:
        return f"not analysed ({len(s['errors'])} error{'s' if len(s['errors']) != 1 else ''})"
    goals = s["goals"]
    holding = sum(1 for v in goals.values() if v == "holds")
    words = f"{len(goals)} goal{'s' if len(goals) != 1 else ''}, {holding} holding"
    if s["brittle"]:
        words += ", brittle: " + _ids(s["brittle"])
    return words


def describe(c: Change) -> tuple[str, str, str]:
    """(what changed, before, after) in plain words, for text and Markdown.

    One small function per kind of change, looked up in ``_DESCRIBE``: a new
    kind adds one entry there rather than another branch here.
    """
    describer = _DESCRIBE.get(c.kind)
    if describer is None:
        raise AssertionError(c.kind)
    return describer(c)


def _goal_words(g: Mapping[str, Any]) -> str:
    return f"needs {g['required']}; {_goal_state(g)}" + _brittle_tail(g)


def _describe_goal_status(c: Change) -> tuple[str, str, str]:
    """The words depend on the effect, and flip for a goal expected to fail."""
    o, n = c.old, c.new
    what = {"regression": "goal stops holding", "better": "goal now holds"}.get(
        c.effect, "goal status"
    )
    if "fails" in (o.get("expected"), n.get("expected")) and c.effect != "neutral":
        what = {
            "regression": "expected failure now holds (the critique went stale)",
            "better": "goal fails again, as expected",
        }[c.effect]
    return what, _goal_state(o), _goal_state(n)


def _describe_margin(c: Change) -> tuple[str, str, str]:
    verb = {"regression": "shrinks", "better": "grows"}.get(c.effect, "changes")
    return f"margin of {_id(c.subject)} {verb}", _premise_words(c.old), _premise_words(c.new)


_CUT_SETS_STATE = {True: "complete", False: "partial (search budget hit)", None: "-"}


def _describe_objection_added_or_removed(c: Change) -> tuple[str, str, str]:
    """An added objection's words go after, a removed one's before."""
    added = c.kind == "objection_added"
    entry = c.new if added else c.old
    words = f"{entry['status']}, against {_id(entry['against'])}: {_quote(entry['text'])}"
    what = f"objection {_id(c.subject)} {'added' if added else 'removed'}"
    return (what, "", words) if c.new else (what, words, "")


def _premise_change(what: str) -> Callable[[Change], tuple[str, str, str]]:
    """A describer for a premise change: ``what`` with ``{}`` for the premise."""
    return lambda c: (what.format(_id(c.subject)), _premise_words(c.old), _premise_words(c.new))


def _subject_change(
    what: str, words: Callable[[Any], str], before: bool = True, after: bool = True
) -> Callable[[Change], tuple[str, str, str]]:
    """A describer for a named thing: ``what`` with ``{}`` for its name, each side in ``words``."""
    return lambda c: (
        what.format(_id(c.subject)),
        words(c.old) if before else "",
        words(c.new) if after else "",
    )


_DESCRIBE: dict[str, Callable[[Change], tuple[str, str, str]]] = {
    "map_added": lambda c: ("map added", "", _summary_words(c.new)),
    "map_removed": lambda c: ("map removed", _summary_words(c.old), ""),
    "map_errors": lambda c: (
        "errors that stop the analysis",
        _errors_words(c.old),
        _errors_words(c.new),
    ),
    "scale_changed": lambda c: ("scale", " < ".join(c.old), " < ".join(c.new)),
    "goal_added": lambda c: ("goal added", "", _goal_words(c.new)),
    "goal_removed": lambda c: ("goal removed", _goal_words(c.old), ""),
    "goal_required": lambda c: ("required level", c.old, c.new),
    "goal_expected": lambda c: (
        "expected outcome (`expect:`)",
        f"expected to {c.old[:-1]}",
        f"expected to {c.new[:-1]}",
    ),
    "goal_status": _describe_goal_status,
    "goal_level": lambda c: ("level reached", c.old, c.new),
    "with_objections": lambda c: ("with standing objections applied", _wo(c.old), _wo(c.new)),
    "premise_brittle": _premise_change("premise {} becomes brittle"),
    "premise_not_brittle": _premise_change("premise {} no longer brittle"),
    "margin": _describe_margin,
    "premise_added": _premise_change("premise {} enters the support"),
    "premise_removed": _premise_change("premise {} leaves the support"),
    "cut_set_added": lambda c: (f"new cut set {{{_ids(c.new)}}}", "", f"order {len(c.new)}"),
    "cut_set_removed": lambda c: (f"cut set {{{_ids(c.old)}}} gone", f"order {len(c.old)}", ""),
    "cut_sets_complete": lambda c: (
        "cut-set list",
        _CUT_SETS_STATE[c.old],
        _CUT_SETS_STATE[c.new],
    ),
    "uniform_margin": lambda c: ("uniform margin", _margin_words(c.old), _margin_words(c.new)),
    "objection_status": lambda c: (f"objection {_id(c.subject)}", c.old, c.new),
    "objection_added": _describe_objection_added_or_removed,
    "objection_removed": _describe_objection_added_or_removed,
    "objection_changed": _subject_change("objection {} changed", _fields_words),
    "claim_added": _subject_change("claim {} added", lambda f: _claim_words(f), before=False),
    "claim_removed": _subject_change("claim {} removed", lambda f: _claim_words(f), after=False),
    "claim_changed": _subject_change("claim {} changed", _fields_words),
    "reduction_added": _subject_change("reduction {} added", _reduction_words, before=False),
    "reduction_removed": _subject_change("reduction {} removed", _reduction_words, after=False),
    "reduction_changed": _subject_change("reduction {} changed", _reduction_words),
}


def _claim_words(c: Mapping[str, Any]) -> str:
    words = _quote(c["text"])
    return words + (f"; assume {c['assume']}" if c["assume"] is not None else "")


def _brittle_tail(g: Mapping[str, Any]) -> str:
    return f"; brittle: {_ids(g['brittle'])}" if g["brittle"] else ""


def _wo(w: Mapping[str, Any]) -> str:
    return f"{w['status']} at {w['level']}"


def _errors_words(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return "none"
    codes = Counter(e["code"] for e in errors)
    return ", ".join(f"{n} {code}" for code, n in sorted(codes.items()))


def _errors_detail(errors: list[dict[str, Any]], most: int = 3) -> str:
    """The first few errors, located: ``CX001 m.crux:3:9 expected ...``."""
    if not errors:
        return "none"
    shown = [
        f"{e['code']} {e['path']}:{e['line']}:{e['column']} {e['message']}" for e in errors[:most]
    ]
    more = f"; and {len(errors) - most} more" if len(errors) > most else ""
    return "; ".join(shown) + more


def _group_title(c: Change, goals: Mapping[str, str]) -> str:
    if c.kind in MAP_KINDS:
        return "map"
    if c.goal is not None:
        need = goals.get(c.goal)
        return f"goal {_id(c.goal)}" + (f" (needs {need})" if need else "")
    if c.kind in OBJECTION_KINDS:
        return "objections"
    return "claims and reductions"


def needs_of(old: Facts | None, new: Facts | None) -> dict[str, str]:
    """Each goal's required level (the working tree's, else the revision's)."""
    needs: dict[str, str] = {}
    for side in (old, new):
        for name, g in (side or {}).get("goals", {}).items():
            needs[name] = g["required"]
    return needs


# --------------------------------------------------------------------------- text


_COLOURS = {"regression": "\x1b[1;31m", "worse": "\x1b[33m", "better": "\x1b[32m", "neutral": ""}
_LABELS = {"regression": "REGRESSION", "worse": "worse", "better": "better", "neutral": "changed"}


def _counts_words(counts: Counter[str]) -> str:
    parts = []
    for e in EFFECTS:
        n = counts[e]
        word = {
            "regression": "regression",
            "worse": "worse",
            "better": "better",
            "neutral": "other",
        }[e]
        if e == "regression" and n != 1:
            word = "regressions"
        parts.append(f"{n} {word}")
    return ", ".join(parts)


def format_text(report: Report, colour: bool = False) -> str:
    from cruxmap.present.output import clean

    def paint(effect: str, text: str) -> str:
        code = _COLOURS[effect] if colour else ""
        return f"{code}{text}\x1b[0m" if code else text

    lines: list[str] = [
        f"Comparing {clean(report.old_label)} -> {clean(report.new_label)}",
    ]
    changed = [m for m in report.ordered() if m.changes]
    for m in changed:
        lines.append("")
        head = clean(m.path)
        if m.renamed:
            head += f"  (renamed from {clean(m.old_path or '')})"
        if m.status in ("added", "removed"):
            [c] = m.changes
            summary = c.new if m.status == "added" else c.old
            words = clean(plain_ids(_summary_words(summary)))
            lines.append(f"{head}  {m.status}: {words}")
            for e in summary["errors"]:
                lines.append(f"  {_error_line(e)}")
            continue
        lines.append(paint(EFFECTS[_worst(m.changes)], head) if colour else head)
        needs = m.needs
        current = None
        for c in sorted_changes(m.changes):
            title = _group_title(c, needs)
            if title != current:
                lines.append(f"  {clean(plain_ids(title))}")
                current = title
            what, before, after = (clean(plain_ids(x)) for x in describe(c))
            label = paint(c.effect, f"{_LABELS[c.effect]:<10}")
            if before and after:
                lines.append(f"    {label}  {what}: {before} -> {after}")
            else:
                lines.append(f"    {label}  {what}: {before or after}")
            if c.kind == "map_errors":
                for e in c.new or []:
                    lines.append(f"      {_error_line(e)}")
    lines.append("")
    if not report.maps:
        lines.append("No .crux files on either side.")
    elif not changed:
        lines.append(f"No change in {_n(len(report.maps), 'map')}.")
    else:
        lines.append(f"{_maps_words(report)}: {_counts_words(report.counts())}.")
    return "\n".join(lines)


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def _maps_words(report: Report) -> str:
    """ "2 maps changed, 1 added, 3 unchanged"."""
    statuses = Counter(m.status for m in report.maps)
    first, *rest = [s for s in ("changed", "added", "removed", "unchanged") if statuses[s]]
    words = [f"{_n(statuses[first], 'map')} {first}", *(f"{statuses[s]} {s}" for s in rest)]
    return ", ".join(words)


def _error_line(e: Mapping[str, Any]) -> str:
    from cruxmap.present.output import clean

    return f"{clean(e['path'])}:{e['line']}:{e['column']}: {e['code']} {clean(e['message'])}"


# --------------------------------------------------------------------------- markdown


def md_words(text: str) -> str:
    """Words from :func:`describe` as Markdown: marked IDs as code spans
    (IDs are letters, digits, ``_``, ``-`` and ``#``, safe inside one), the
    rest escaped."""
    parts = re.split(f"{_OPEN}(.*?){_CLOSE}", text)
    return "".join(md_escape(p) if i % 2 == 0 else md_code(p) for i, p in enumerate(parts))


_MD_ICONS = {
    "regression": "🔴 regression",
    "worse": "🟠 worse",
    "better": "🟢 better",
    "neutral": "⚪ changed",
}


def format_markdown(report: Report, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: a summary line, then one table per goal (and
    per group of other changes) for each changed map, worst first. Cut at
    whole rows to stay under ``limit`` characters, saying how much was left out."""
    counts = report.counts()
    changed = [m for m in report.ordered() if m.changes]
    if report.regression:
        verdict = f"**{counts['regression']} regression{'s' if counts['regression'] != 1 else ''}**"
    elif changed:
        verdict = "no regression"
    else:
        verdict = "no change"
    head = [
        f"### cruxmap diff: {verdict} in {len(report.maps)} map{'s' if len(report.maps) != 1 else ''}",
        "",
        f"{md_escape(report.old_label)} → {md_escape(report.new_label)}: "
        f"{_maps_words(report) if report.maps else 'no maps'}; {_counts_words(counts)}.",
    ]
    footer_reserve = 200
    body: list[str] = []
    used = sum(len(x) + 1 for x in head)
    total_rows = sum(len(m.changes) for m in changed)
    shown_rows = 0
    left_regressions = 0
    full = False
    for m in changed:
        needs = m.needs
        title = f"#### {md_escape(m.path)}"
        if m.renamed:
            title += f" (renamed from {md_escape(m.old_path or '')})"
        groups: list[tuple[str, list[Change]]] = []
        for c in sorted_changes(m.changes):
            g = _group_title(c, needs)
            if not groups or groups[-1][0] != g:
                groups.append((g, []))
            groups[-1][1].append(c)
        pending_title: list[str] = ["", title]
        for g, rows in groups:
            table_head = [
                "",
                f"**{md_words(g)}**",
                "",
                "| | change | before | after |",
                "| --- | --- | --- | --- |",
            ]
            started = False
            for c in rows:
                what, before, after = describe(c)
                if c.kind == "map_errors":  # name them: a comment has no terminal to scroll
                    before, after = _errors_detail(c.old), _errors_detail(c.new)
                row = f"| {_MD_ICONS[c.effect]} | {md_words(what)} | {md_words(before)} | {md_words(after)} |"
                extra = [*pending_title, *([] if started else table_head), row]
                size = sum(len(x) + 1 for x in extra)
                if full or used + size + footer_reserve > limit:
                    full = True
                    left_regressions += c.effect == "regression"
                    continue
                body.extend(extra)
                used += size
                pending_title = []
                started = True
                shown_rows += 1
    lines = head + body
    if shown_rows < total_rows:
        left = total_rows - shown_rows
        note = f" ({left_regressions} of them regressions)" if left_regressions else ""
        lines += [
            "",
            f"_… {left} more change{'s' if left != 1 else ''} not shown{note}: "
            "run `cruxmap diff` for the full list._",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- running


def _options_json(options: Options) -> dict[str, Any]:
    return {
        "scenario": dict(options.scenario),
        "objections": options.objections,
        "depth": options.depth,
        "max_order": options.max_order,
    }


def _analyse_all(
    maps: list[tuple[Map | None, Map | None]], options: Options
) -> list[tuple[Result | None, Result | None]]:
    """Analyse both sides with the same options; the scenario applies to each
    map where its claim exists, and must name a claim of some map."""
    from cruxmap.api import CruxmapError, analyse, validate_scenario
    from cruxmap.core.session import Session

    models = [m.model for pair in maps for m in pair if m is not None and m.ok]
    try:
        validate_scenario(options, models)
    except CruxmapError as exc:
        raise DiffError(str(exc)) from exc
    out: list[tuple[Result | None, Result | None]] = []
    session = Session()  # (shares a common import between the maps; invisible)
    for pair in maps:
        results: list[Result | None] = []
        for m in pair:
            if m is None:
                results.append(None)
                continue
            local = options.replace(scenario=options.for_map(m.model))
            results.append(analyse(m, local, session=session))
        out.append((results[0], results[1]))
    return out


def _there(path: Path, test: Callable[[Path], bool] = Path.exists, shown: str = "") -> bool:
    """``test(path)``, or the symlink itself for ``exists``; a name the
    system cannot even look at (too long) is a usage error naming ``shown``
    (the path as the user gave it), not a traceback."""
    try:
        return test(path) or (test is Path.exists and path.is_symlink())
    except OSError as exc:
        raise DiffError(f"{shown or path}: {exc.strerror or exc}") from None


def diff_files(old: Path, new: Path, options: Options) -> Report:
    """``cruxmap diff OLD.crux NEW.crux``: two maps on disk."""
    from cruxmap.api import load
    from cruxmap.core.loader import Loader

    for p in (old, new):
        if not _there(p, Path.is_file):
            raise DiffError(f"{p}: no such file")
    mo, mn = load(old, loader=Loader()), load(new, loader=Loader())
    [(ro, rn)] = _analyse_all([(mo, mn)], options)
    report = Report(mo.root, mn.root, None, _options_json(options))
    fo, fn = facts(ro, mo), facts(rn, mn)
    report.maps.append(MapDiff(mo.root, mn.root, compare(fo, fn), needs_of(fo, fn)))
    return report


def _repo_rel(path: Path, top: Path) -> str | None:
    real = Path(os.path.realpath(path.absolute().parent)) / path.name
    try:
        return real.relative_to(os.path.realpath(top)).as_posix()
    except ValueError:
        return None


def diff_revision(paths: list[str], against: str | None, options: Options) -> Report:
    """``cruxmap diff [--against REV] [PATHS]``: the maps at REV against the
    working tree, paired by path with git's renames followed."""
    from cruxmap.core import gitrev

    try:
        repo = gitrev.find_repo()
        rev = gitrev.resolve(repo, against)
        moved = gitrev.renames(repo, rev.sha)
        with gitrev.checkout(repo, rev) as snap:
            return _diff_snapshot(repo, snap, rev, moved, paths, options)
    except gitrev.GitError as exc:
        raise DiffError(str(exc)) from exc


def _diff_snapshot(
    repo: Repo,
    snap: Snapshot,
    rev: Revision,
    moved: dict[str, str],
    paths: list[str],
    options: Options,
) -> Report:
    from cruxmap.api import load
    from cruxmap.core.loader import Loader, discover

    new_paths, old_paths = [], []
    for p in paths:
        here = _there(Path(p))
        there_path = snap.local(p)
        there = _there(there_path, shown=p)
        if not here and not there:
            raise DiffError(
                f"{p}: no such file or directory, in the working tree or at {rev.label}"
            )
        if here:
            new_paths.append(p)
        if there:
            old_paths.append(str(there_path))
    new_files, _ = discover(new_paths)
    old_files, _ = discover(old_paths)
    new_by_rel: dict[str, Path] = {}
    for f in new_files:
        rel = _repo_rel(f, repo.top)
        if rel is not None:
            new_by_rel.setdefault(rel, f)
    old_rels = {r for f in old_files if (r := snap.rel(f)) is not None}
    at_rev = set(snap.files)
    inverse = {old: new for new, old in moved.items()}
    pairs: list[tuple[str | None, str | None]] = []
    paired_old: set[str] = set()
    for rel in sorted(new_by_rel):
        was = moved.get(rel, rel)
        if was in at_rev:
            pairs.append((was, rel))
            paired_old.add(was)
        else:
            pairs.append((None, rel))
    for gone in sorted(old_rels - paired_old):
        moved_to = inverse.get(gone)
        if moved_to is not None and (repo.top / moved_to).is_file():
            new_by_rel[moved_to] = repo.top / moved_to
            pairs.append((gone, moved_to))
        else:
            pairs.append((gone, None))
    old_loader, new_loader = Loader(), Loader()
    loaded: list[tuple[Map | None, Map | None]] = []
    for old_rel, new_rel in pairs:
        loaded.append(
            (
                load(snap.root / old_rel, loader=old_loader) if old_rel is not None else None,
                load(new_by_rel[new_rel], loader=new_loader) if new_rel is not None else None,
            )
        )
    results = _analyse_all(loaded, options)
    report = Report(rev.label, "working tree", rev.sha, _options_json(options))
    for (o, n), (mo, mn), (ro, rn) in zip(pairs, loaded, results, strict=True):
        fo = facts(ro, mo, snap.rewrite) if mo is not None else None
        fn = facts(rn, mn) if mn is not None else None
        report.maps.append(
            MapDiff(
                snap.shown(o) if o is not None else None,
                mn.root if mn is not None else None,
                compare(fo, fn),
                needs_of(fo, fn),
                renamed=None not in (o, n) and o != n,
            )
        )
    return report


def known_findings(
    paths: list[str], options: Options, against: str | None = None
) -> Callable[[Diagnostic], bool]:
    """For ``check --new-only``: a test that is true of a working-tree
    finding that the revision already had (same code, same file with renames
    followed, same message but for line and column numbers).

    The revision's maps are checked with the same options (its own
    suppression comments apply); a ``--set`` claim or level the revision
    lacks is left out there.
    """
    from cruxmap.api import analyse, load
    from cruxmap.core import gitrev
    from cruxmap.core.loader import Loader, discover
    from cruxmap.core.session import Session

    keys: set[tuple[str, str, str]] = set()
    try:
        repo = gitrev.find_repo()
        rev = gitrev.resolve(repo, against)
        moved = gitrev.renames(repo, rev.sha)
        with gitrev.checkout(repo, rev) as snap:
            there = [str(t) for p in paths if _there(t := snap.local(p), shown=p)]
            files, _ = discover(there)
            loader, session = Loader(), Session()
            for f in files:
                m = load(f, loader=loader)
                scenario = {
                    c: lv for c, lv in options.for_map(m.model).items() if lv in m.model.scale
                }
                local = options.replace(scenario=scenario)
                for d in analyse(m, local, session=session).diagnostics:
                    rel = snap.rel(Path(d.path)) or d.path
                    for unit in _units(d, _normal(snap.rewrite(d.message))):
                        keys.add((d.code, rel, unit))
    except gitrev.GitError as exc:
        raise DiffError(str(exc)) from exc

    def known(d: Diagnostic) -> bool:
        rel = _repo_rel(Path(d.path), repo.top) or d.path
        where = moved.get(rel, rel)
        return all((d.code, where, u) in keys for u in _units(d, _normal(d.message)))

    return known


def only_new(
    run: Run, paths: list[str], options: Options, against: str | None, new_only: bool
) -> Iterator[tuple[Result, list[Diagnostic]]]:
    """``check --new-only``: ``run``'s results without the findings the
    revision already had, taken out of each map's report, of what the map is
    first to report, and of ``run.reported`` (the summary and exit status).

    The revision is read here, before any output begins: a revision that
    cannot be read (CX007, an unknown name) is a usage error with nothing on
    standard output, not half a JSON report: a ``DiffError`` the command
    reports as a usage error."""
    if not new_only:
        raise DiffError("--against needs --new-only (or use `cruxmap diff --against REV`)")
    known = known_findings(paths, options, against)

    def results() -> Iterator[tuple[Result, list[Diagnostic]]]:
        for result, fresh in run:
            result.diagnostics = [d for d in result.diagnostics if not known(d)]
            kept = [d for d in fresh if not known(d)]
            if len(kept) != len(fresh):
                run.retract(fresh, kept)
            yield result, kept

    return results()


_POSITION = re.compile(r"(\.crux):\d+(?::\d+)?")
_SPOF_ITEM = re.compile(r"`[^`]+` \([^)]*\)")


def _units(d: Diagnostic, message: str) -> list[str]:
    """What a finding says, item by item: CX105 lists a goal's single points
    of failure in one message, and is known when each premise it names was
    (with the same slack) -- a premise leaving the list is no new finding.
    CX101 names every goal its premise is brittle for (``d.goals``), and is
    known when the premise was brittle, at the same level, for each."""
    code = d.code
    if code == "CX101" and d.goals:
        args = d.arguments
        at = f"{args.get('premise')}\x1f{args.get('level')}\x1f{args.get('breaks_at')}"
        return [f"{at}\x1f{goal}" for goal in d.goals]
    if code == "CX105" and ": " in message:
        head = message.split(": ", 1)[0]
        items = _SPOF_ITEM.findall(message.split(": ", 1)[1])
        if items:
            return [f"{head}: {item}" for item in items]
    return [message]


def _normal(message: str) -> str:
    """A message without line and column numbers, which move with any edit."""
    return _POSITION.sub(r"\1", message)
