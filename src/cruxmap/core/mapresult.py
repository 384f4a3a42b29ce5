"""One analysed map as the engine leaves it (index-keyed): what lint fills
in, and what the explanation and the API's name-keyed views read. Its own
module so that lint and the explanation, which each read it, do not import
each other."""

from __future__ import annotations

from dataclasses import dataclass, field

from cruxmap.core.diagnostics import Diagnostic
from cruxmap.core.graph import ClaimGraph
from cruxmap.core.model import ArgumentMap, Goal
from cruxmap.core.robustness import GoalAnalysis
from cruxmap.core.semantics import Scenario, Status


@dataclass
class MapResult:
    """Everything cruxmap knows about one map, ready for any output format."""

    amap: ArgumentMap
    diagnostics: list[Diagnostic]
    analysed: bool = False
    graph: ClaimGraph | None = None
    values: list[int] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    results: dict[int, GoalAnalysis] = field(default_factory=dict)
    statuses: dict[str, Status] = field(default_factory=dict)
    objection_values: list[int] = field(default_factory=list)
    standing: list[str] = field(default_factory=list)
    #: Values with no scenario and no objections applied (``values`` when
    #: neither is asked for).
    base_values: list[int] = field(default_factory=list)
    #: The scenario the analysis ran in (overrides, objections applied).
    scenario: Scenario | None = None
