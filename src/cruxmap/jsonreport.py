"""The JSON report as plain dicts (the layout of ``docs/report.schema.json``,
whose models live in :mod:`cruxmap.report`). Kept free of pydantic so that
``cruxmap check --format json`` starts as fast as the text format."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cruxmap.api import Result

#: Bumped when a key changes meaning or goes away (adding keys does not).
SCHEMA_VERSION = 2


def map_json(result: Result) -> dict[str, Any]:
    """One map's entry (:class:`MapReport`) as a JSON-ready dict."""
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
        diagnostics=[] if result.same_as is not None else [d.to_json() for d in result.diagnostics],
        claims={},
        goals={},
        objections={},
    )
    if result.same_as is not None or not result.analysed:
        return out
    out["claims"] = {
        name: {"baseline": c.baseline, "value": c.value} for name, c in result.claims.items()
    }
    goals: dict[str, Any] = {}
    for name, gr in result.goals.items():
        entry: dict[str, Any] = {
            "required": gr.required,
            "value": gr.value,
            "baseline": gr.baseline,
            "status": gr.status,
            "implicit": gr.implicit,
        }
        if gr.premises is not None:
            claims = result.claims
            entry["premises"] = {
                p: {
                    "baseline": claims[p].baseline,
                    "value": pr.value,
                    "margin": pr.margin,
                    "breaks_at": pr.breaks_at,
                    "brittle": pr.brittle,
                }
                for p, pr in gr.premises.items()
            }
            entry["cut_sets"] = [list(s) for s in gr.cut_sets or []]
            entry["cut_sets_complete"] = gr.cut_sets_complete
            entry["uniform_margin"] = gr.uniform_margin
        entry["with_objections"] = {
            "level": gr.with_objections.level,
            "status": gr.with_objections.status,
        }
        goals[name] = entry
    out["goals"] = goals
    out["objections"] = result.objections
    return out
