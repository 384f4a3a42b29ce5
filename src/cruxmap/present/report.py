"""The JSON report of ``cruxmap check`` (SPEC section 4): one layout for any
number of maps, published as ``docs/report.schema.json``.

The pydantic models below are the schema's single source of truth (the
schema file is generated from them and CI checks it is current; the tests
validate real reports against them). Reports themselves are built as plain
dicts by :mod:`cruxmap.present.jsonreport`, which does not import pydantic: a large
map has tens of thousands of entries, validation would only re-check what
was just built, and importing pydantic costs more than checking a small map.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema

from cruxmap.present.jsonreport import SCHEMA_VERSION, map_json

__all__ = ["SCHEMA_VERSION", "Report", "map_json", "schema", "schema_text"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiagnosticReport(_Model):
    code: str = Field(description="stable rule code, e.g. CX101 (`cruxmap rules CODE`)")
    severity: Literal["error", "warning", "info"]
    path: str = Field(description="file as shown in messages (relative to the working directory)")
    line: int = Field(ge=1, description="1-based line of the start")
    column: int = Field(ge=1, description="1-based column of the start, in characters")
    end_line: int | None = Field(default=None, ge=1, description="line of the end, when known")
    end_column: int | None = Field(
        default=None, ge=1, description="column just past the end, when known"
    )
    message: str
    suggestion: str | None = None
    excerpt: str | None = Field(default=None, description="the source line (syntax errors)")
    subject: list[str] | None = Field(
        default=None, description="the IDs the finding is about (claims, goals, objections)"
    )
    goals: list[str] | None = Field(
        default=None,
        description="every goal a finding reported once for several goals concerns, in "
        "reading order (CX101: one finding per brittle premise; its message names the "
        "first three)",
    )


class ClaimReport(_Model):
    baseline: str = Field(description="level with no scenario and no objections applied")
    value: str = Field(description="level in the analysed scenario")


class PremiseReport(_Model):
    baseline: str = Field(description="the premise's level with no scenario")
    value: str = Field(description="the premise's level in the analysed scenario")
    margin: int = Field(ge=0, description="steps it can drop with the goal still holding")
    breaks_at: str = Field(description="highest level of the premise at which the goal fails")
    brittle: bool = Field(description="margin == 0: any weakening makes the goal fail")


class WithObjectionsReport(_Model):
    # Published as ``WithObjections`` (its name in docs/report.schema.json);
    # the Python name differs from :class:`cruxmap.api.WithObjections`.
    model_config = ConfigDict(extra="forbid", title="WithObjections")

    level: str
    status: Literal["holds", "fails"]


class GoalReport(_Model):
    required: str
    value: str = Field(description="level reached in the analysed scenario")
    baseline: str = Field(description="level reached with no scenario and no objections applied")
    status: Literal["holds", "fails"] = Field(description="in the analysed scenario")
    expected: Literal["holds", "fails"] = Field(
        default="holds",
        description="what the map expects (`expect:` under the goal): `fails` for a "
        "critique that records an argument to show it failing",
    )
    as_expected: bool = Field(
        description="the outcome is what the map expects: a goal expected to hold holds; "
        "one expected to fail fails, in the analysed scenario or with the standing "
        "objections (false for a goal that blocks the check: CX102 or CX106)"
    )
    implicit: bool = Field(default=False, description="a default goal (the map declares none)")
    premises: dict[str, PremiseReport] | None = Field(
        default=None,
        description="only for a goal that holds: each premise of its support whose fall "
        "alone can break it, with its margin",
    )
    unbreakable: list[str] | None = Field(
        default=None,
        description="only for a goal that holds: the rest of its support, the premises "
        "the goal survives even at bottom (margin null), sorted",
    )
    cut_sets: list[list[str]] | None = Field(
        default=None,
        description="minimal sets of premises that, each `depth` steps down, break the goal",
    )
    cut_sets_complete: bool | None = Field(
        default=None, description="false when the search hit its budget: the list is partial"
    )
    uniform_margin: int | None = Field(
        default=None, description="steps every leaf can drop together; null: never fails"
    )
    with_objections: WithObjectionsReport


class MapReport(_Model):
    root: str = Field(description="the file named or found; the map is it plus its imports")
    files: list[str]
    analysed: bool = Field(description="false when errors stopped the analysis")
    same_as: str | None = Field(
        default=None,
        description="root of an earlier map of this report made of the same files and "
        "analysed the same way; its diagnostics, claims, goals and objections are not "
        "repeated here",
    )
    scale: list[str]
    scenario: dict[str, str] = Field(description="the --set overrides that apply to this map")
    objections_applied: bool = Field(description="analysed with every standing objection applied")
    depth: int
    max_order: int
    diagnostics: list[int] = Field(
        description="every finding about this map, as positions in the report's top-level "
        "`diagnostics` (a finding in a file many maps import is written once; empty with "
        "`same_as`)"
    )
    claims: dict[str, ClaimReport]
    goals: dict[str, GoalReport]
    objections: dict[str, Literal["in", "out", "undecided"]]


class Summary(_Model):
    files: int
    maps: int
    claims: int = Field(description="distinct claims (a claim imported by two maps counts once)")
    goals: int
    errors: int
    warnings: int
    infos: int


class Report(_Model):
    """What ``cruxmap check --format json`` prints, for one map or many."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"$id": "https://cruxmap.invalid/report.schema.json"},
    )

    version: int = Field(description="report layout version; bumped on incompatible changes")
    tool: str = Field(description="cruxmap version that wrote the report")
    maps: list[MapReport]
    diagnostics: list[DiagnosticReport] = Field(
        description="every finding of the run, each once, in output order (files that "
        "could not be found or read appear only here)"
    )
    summary: Summary


class _PublishedNames(GenerateJsonSchema):
    """Names the schema's definitions by their published names, which a
    model's Python name may not be (``WithObjectionsReport``)."""

    def normalize_name(self, name: str) -> str:
        return super().normalize_name(name.replace("WithObjectionsReport", "WithObjections"))


def schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Report` (``docs/report.schema.json``)."""
    return Report.model_json_schema(schema_generator=_PublishedNames)


def schema_text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
