"""The JSON report of ``cruxmap check`` (SPEC section 4), as pydantic models.

Keys and meanings follow the SPEC; levels are reported by name. Goals that
fail in the analysed scenario carry no premises, cut sets or uniform margin.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cruxmap.diagnostics import Diagnostic
from cruxmap.lint import MapResult


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClaimReport(_Model):
    baseline: str


class PremiseReport(_Model):
    baseline: str
    margin: int | None
    breaks_at: str | None
    brittle: bool


class WithObjections(_Model):
    level: str
    status: str


class GoalReport(_Model):
    required: str
    baseline: str
    status: str
    implicit: bool = Field(default=False, description="a default goal (the map declares none)")
    premises: dict[str, PremiseReport] | None = None
    cut_sets: list[list[str]] | None = None
    cut_sets_complete: bool | None = None
    uniform_margin: int | None = None
    with_objections: WithObjections


class MapReport(_Model):
    root: str
    files: list[str]
    analysed: bool
    scale: list[str]
    scenario: dict[str, str]
    depth: int
    max_order: int
    #: ``Diagnostic.to_json()`` dicts (the record is a plain dataclass).
    diagnostics: list[dict[str, Any]]
    claims: dict[str, ClaimReport]
    goals: dict[str, GoalReport]
    objections: dict[str, str]


def build_report(
    res: MapResult,
    diagnostics: list[Diagnostic],
    scenario: dict[str, str],
    depth: int,
    max_order: int,
) -> MapReport:
    amap = res.amap
    report = MapReport(
        root=amap.root,
        files=amap.files,
        analysed=res.analysed,
        scale=amap.scale,
        scenario=scenario,
        depth=depth,
        max_order=max_order,
        diagnostics=[d.to_json() for d in diagnostics],
        claims={},
        goals={},
        objections={},
    )
    g = res.graph
    if not res.analysed or g is None:
        return report
    lv = g.levels
    report.claims = {
        name: ClaimReport(baseline=lv[res.values[i]]) for i, name in enumerate(g.names)
    }
    for goal in res.goals:
        c = g.index[goal.claim]
        gr = res.results[c]
        with_obj = res.objection_values[c]
        entry = GoalReport(
            required=lv[gr.required],
            baseline=lv[gr.baseline],
            status="holds" if gr.holds else "fails",
            implicit=goal.implicit,
            with_objections=WithObjections(
                level=lv[with_obj], status="holds" if with_obj >= gr.required else "fails"
            ),
        )
        if gr.holds:
            entry.premises = {
                g.names[p]: PremiseReport(
                    baseline=lv[pr.baseline],
                    margin=pr.margin,
                    breaks_at=lv[pr.breaks_at] if pr.breaks_at is not None else None,
                    brittle=pr.brittle,
                )
                for p, pr in sorted(gr.premises.items(), key=lambda kv: g.names[kv[0]])
            }
            entry.cut_sets = [[g.names[i] for i in s] for s in gr.cut_sets]
            entry.cut_sets_complete = gr.cut_sets_complete
            entry.uniform_margin = gr.uniform_margin
        report.goals[goal.claim] = entry
    report.objections = {oid: st.value for oid, st in res.statuses.items()}
    return report


def dump(report: MapReport) -> dict[str, object]:
    """JSON-ready dict; goal entries drop the robustness keys when absent."""
    data = report.model_dump(mode="json")
    for name, goal in data["goals"].items():
        if report.goals[name].premises is None:
            for key in ("premises", "cut_sets", "cut_sets_complete", "uniform_margin"):
                goal.pop(key, None)
    return data
