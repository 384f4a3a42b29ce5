"""The JSON report as plain dicts (the layout of ``docs/report.schema.json``,
whose models live in :mod:`cruxmap.present.report`). Kept free of pydantic so that
``cruxmap check --format json`` starts as fast as the text format.

A map's goals are built one at a time (:func:`goal_entries`), so a writer
can stream them: 200 goals over one 10,000-claim support hold a million
premise entries, and only one goal's need be in memory at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from cruxmap.core.model import as_expected

if TYPE_CHECKING:
    from cruxmap.api import Result, Run
    from cruxmap.core.graph import ClaimGraph
    from cruxmap.core.mapresult import MapResult
    from cruxmap.core.model import Goal
    from cruxmap.core.robustness import GoalAnalysis

#: Bumped when a key changes meaning or goes away (adding keys does not).
#: 3: a map's ``diagnostics`` are positions in the top-level list; a goal's
#: ``premises`` are those that can break it, the rest are ``unbreakable``.
#: 4: CX101 is one finding per premise, naming every goal it concerns in
#: ``goals`` (its ``subject`` is the premise alone).
SCHEMA_VERSION = 4


#: ``json.dumps(x, ensure_ascii=False)`` with one encoder made once (``dumps``
#: with any option builds a new encoder per call: a big report makes
#: tens of thousands of calls).
compact_json = json.JSONEncoder(ensure_ascii=False).encode


def map_json(result: Result, diagnostics: Sequence[int] = ()) -> dict[str, Any]:
    """One map's entry (:class:`MapReport`) as a JSON-ready dict;
    ``diagnostics``: the positions of its findings in the report."""
    out = map_head(result, diagnostics)
    out["goals"] = dict(goal_entries(result))
    out["objections"] = map_objections(result)
    return out


def size(result: Result) -> int:
    """Entries of the map's report: claims, and each holding goal's support."""
    return result.report_size


def map_head(result: Result, diagnostics: Sequence[int] = ()) -> dict[str, Any]:
    """A map's entry up to its claims (``goals`` and ``objections`` follow)."""
    amap = result.map.model
    out: dict[str, Any] = {
        "root": amap.root,
        "files": list(amap.files),
        "analysed": result.analysed,
    }
    if result.same_as is not None:
        out["same_as"] = result.same_as
    out.update(
        scale=list(amap.scale),
        scenario=result.scenario,
        objections_applied=result.options.objections,
        depth=result.options.depth,
        max_order=result.options.max_order,
        diagnostics=[] if result.same_as is not None else list(diagnostics),
        claims={},
    )
    if result.same_as is not None or not result.analysed:
        return out
    out["claims"] = {
        name: {"baseline": c.baseline, "value": c.value} for name, c in result.claims.items()
    }
    return out


def map_objections(result: Result) -> dict[str, str]:
    if result.same_as is not None or not result.analysed:
        return {}
    return result.objections


def _analysed(result: Result) -> tuple[MapResult, ClaimGraph] | None:
    """The engine's result and graph of a map whose goals are written here
    (``None`` for one not analysed, or written as ``same_as`` another)."""
    if result.same_as is not None or not result.analysed:
        return None
    res = result.internal
    assert res.graph is not None
    return res, res.graph


def _head(res: MapResult, goal: Goal, gr: GoalAnalysis) -> dict[str, Any]:
    """A goal's entry up to ``premises``."""
    assert res.graph is not None
    lv = res.graph.levels
    with_objections = res.objection_values[gr.claim] >= gr.required
    return {
        "required": lv[gr.required],
        "value": lv[gr.baseline],
        "baseline": lv[res.base_values[gr.claim]],
        "status": "holds" if gr.holds else "fails",
        "expected": goal.expected,
        "as_expected": as_expected(goal.expected, gr.holds, with_objections),
        "implicit": goal.implicit,
    }


def _tail(res: MapResult, gr: GoalAnalysis) -> dict[str, Any]:
    """A goal's entry after ``unbreakable``."""
    g = res.graph
    assert g is not None
    tail: dict[str, Any] = {}
    if gr.holds:
        tail["cut_sets"] = [[g.names[i] for i in s] for s in gr.cut_sets]
        tail["cut_sets_complete"] = gr.cut_sets_complete
        tail["uniform_margin"] = gr.uniform_margin
    wo = res.objection_values[gr.claim]
    tail["with_objections"] = {
        "level": g.levels[wo],
        "status": "holds" if wo >= gr.required else "fails",
    }
    return tail


def goal_entries(result: Result) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each goal's entry, read straight off the engine's bitsets (the
    name-keyed :attr:`Result.goals` would build every premise twice)."""
    analysed = _analysed(result)
    if analysed is None:
        return
    res, g = analysed
    lv, names, base = g.levels, g.names, res.base_values
    # One entry per (baseline, value, margin): entries are shared, not copied.
    shared: dict[tuple[int, int, int], dict[str, Any]] = {}
    for goal in res.goals:
        gr = res.results[g.index[goal.claim]]
        item = _head(res, goal, gr)
        if gr.holds:
            premises: dict[str, Any] = {}
            breakable = gr.breakable
            for p in sorted(breakable, key=names.__getitem__):
                pr = breakable[p]
                margin = pr.margin or 0
                key = (base[p], pr.baseline, margin)
                if key not in shared:
                    shared[key] = {
                        "baseline": lv[base[p]],
                        "value": lv[pr.baseline],
                        "margin": margin,
                        "breaks_at": lv[pr.breaks_at or 0],
                        "brittle": margin == 0,
                    }
                premises[names[p]] = shared[key]
            item["premises"] = premises
            item["unbreakable"] = sorted(names[p] for p in gr.unbreakable())
        item.update(_tail(res, gr))
        yield goal.claim, item


def goal_texts(result: Result) -> Iterator[str]:
    """Each goal as ``"name": {...}`` in compact JSON, meaning what
    :func:`goal_entries` gives, but written from shared pieces of text: a
    premise's entry depends only on the premise and its need, so 200 goals
    over 10,000 claims are a million lookups and a string join, not a
    million encodings. (Keys are sorted as text; the dict writer sorts by
    name: the same objects.)"""
    analysed = _analysed(result)
    if analysed is None:
        return
    res, g = analysed
    lv, base, values = g.levels, res.base_values, res.values
    quoted = [compact_json(n) for n in g.names]
    qlv = [compact_json(x) for x in lv]
    # Per need: premise -> its `"name": {entry}` text.
    pieces: list[dict[int, str]] = [{} for _ in lv]

    def piece(p: int, need: int) -> str:
        margin = values[p] - need
        entry = (
            f'{{"baseline": {qlv[base[p]]}, "value": {qlv[values[p]]}, "margin": {margin}, '
            f'"breaks_at": {qlv[need - 1]}, "brittle": {"true" if margin == 0 else "false"}}}'
        )
        text = pieces[need][p] = quoted[p] + ": " + entry
        return text

    for goal in res.goals:
        gr = res.results[g.index[goal.claim]]
        out = compact_json(goal.claim) + ": "
        out += compact_json(_head(res, goal, gr))
        if gr.holds:
            items: list[str] = []
            for need, claims in gr.by_need():
                cache = pieces[need]
                items += [cache[p] if p in cache else piece(p, need) for p in claims]
            items.sort()
            listed = sorted([quoted[p] for p in gr.unbreakable()])
            out = (
                out[:-1] + ', "premises": {' + ", ".join(items) + '}, "unbreakable": ['
                + ", ".join(listed) + "]}"
            )  # fmt: skip
        yield out[:-1] + ", " + compact_json(_tail(res, gr))[1:]


def report_json(result: Result) -> dict[str, Any]:
    """A whole report (:class:`Report`) of one map: what ``check --format
    json`` writes for that map alone."""
    from collections import Counter

    from cruxmap import __version__

    counts = Counter(d.severity.value for d in result.diagnostics)
    amap = result.map.model
    return {
        "version": SCHEMA_VERSION,
        "tool": __version__,
        "maps": [map_json(result, range(len(result.diagnostics)))],
        "diagnostics": [d.to_json() for d in result.diagnostics],
        "summary": {
            "files": len(amap.files),
            "maps": 1,
            "claims": len(amap.claims),
            "goals": result.goal_count,
            "errors": counts["error"],
            "warnings": counts["warning"],
            "infos": counts["info"],
        },
    }


# --------------------------------------------------------------------------- the document

#: Maps whose report has more entries (claims, plus every premise of every
#: holding goal) and diagnostic lists longer than this are written on one
#: line: the same JSON, without the pure-Python indenting encoder (200 goals
#: over 1,000 claims are 160,000 premise entries; ten roots of 1,100 claims
#: each spent a quarter of their run indenting).
COMPACT_ABOVE = 2_000


def report_opening(tool: str) -> str:
    """The report up to its first map (the ``json`` format streams it)."""
    return f'{{\n  "version": {SCHEMA_VERSION},\n  "tool": {json.dumps(tool)},\n  "maps": ['


def map_texts(result: Result, positions: Sequence[int], *, first: bool) -> Iterator[str]:
    """One map's entry of the ``maps`` list, in pieces: indented for people
    on ordinary maps; on one line, a goal at a time, for big ones (only the
    compact encoder is C, and 200 goals over 10,000 claims are a million
    premise entries)."""
    sep = "\n" if first else ",\n"
    if size(result) <= COMPACT_ABOVE:
        body = json.dumps(map_json(result, positions), indent=2, ensure_ascii=False)
        yield sep + _indent(body, 4)
        return
    head = map_head(result, positions)
    yield sep + "    " + compact_json(head)[:-1] + ', "goals": {'
    comma = ""
    for text in goal_texts(result):
        yield comma + text
        comma = ", "
    yield '}, "objections": ' + compact_json(map_objections(result)) + "}"


def summary_json(run: Run) -> dict[str, int]:
    """The run's ``summary`` (:class:`Summary`)."""
    from collections import Counter

    counts = Counter(d.severity.value for d in run.reported)
    return {
        "files": run.file_count,
        "maps": run.maps,
        "claims": run.claim_count,
        "goals": run.goals,
        "errors": counts["error"],
        "warnings": counts["warning"],
        "infos": counts["info"],
    }


def report_closing(run: Run, *, any_map: bool) -> str:
    """The report after its last map: every finding of the run, one a line
    (readable, and each line is the C encoder's), and the summary."""
    lines = [compact_json(d.to_json()) for d in run.reported]
    diags = "[\n" + ",\n".join("  " + line for line in lines) + "\n]" if lines else "[]"
    summary = json.dumps(summary_json(run), indent=2)
    closing = "\n  ]" if any_map else "]"
    return (
        f'{closing},\n  "diagnostics": {_indent(diags, 2).lstrip()},\n'
        f'  "summary": {_indent(summary, 2).lstrip()}\n}}\n'
    )


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line for line in text.split("\n"))
