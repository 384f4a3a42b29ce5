"""Diagnostic codes and the diagnostic record.

Codes are a public contract (CI configs and ignore comments name them), so
each one is declared once here with its severity and a one-line description
that SARIF rules and ``cruxmap rules`` reuse. A code never changes meaning.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class Rule(NamedTuple):
    code: str
    severity: Severity
    name: str
    description: str


RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        Rule("CX001", Severity.ERROR, "syntax-error", "The file could not be parsed."),
        Rule("CX002", Severity.ERROR, "undefined-name", "Reference to an undefined claim, reduction or objection."),
        Rule("CX003", Severity.ERROR, "duplicate-id", "The same ID is declared twice."),
        Rule("CX004", Severity.ERROR, "unknown-level", "Unknown level, or a second, different scale."),
        Rule("CX005", Severity.ERROR, "bad-import", "Import missing, unreadable, or outside the project root."),
        Rule("CX006", Severity.ERROR, "misplaced-attribute", "`assume` on a concluded claim, or `caps` on an objection whose target is not a claim."),
        Rule("CX101", Severity.WARNING, "brittle-premise", "A premise is brittle for a goal: weakening it one step makes the goal fail."),
        Rule("CX102", Severity.ERROR, "goal-fails", "A goal fails at baseline."),
        Rule("CX103", Severity.WARNING, "circular-reduction", "Reductions form a cycle."),
        Rule("CX104", Severity.WARNING, "goal-fails-with-objections", "A goal fails once the standing objections are applied."),
        Rule("CX105", Severity.INFO, "single-point-of-failure", "The goal fails when this premise alone drops to the bottom level."),
        Rule("CX201", Severity.INFO, "unused-claim", "Claim declared but never used."),
        Rule("CX202", Severity.INFO, "claim-without-source", "Claim without `source`."),
        Rule("CX203", Severity.INFO, "reduction-without-because", "Reduction without `because`."),
    ]
}  # fmt: skip


class Diagnostic(BaseModel):
    """One finding, located at a file position (1-based line and column)."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    suggestion: str | None = None
    #: Source line shown under a syntax error, with a caret at ``column``.
    excerpt: str | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)


def make(
    code: str,
    path: str,
    line: int,
    column: int,
    message: str,
    *,
    suggestion: str | None = None,
    excerpt: str | None = None,
) -> Diagnostic:
    """Build a diagnostic whose severity is the one its code declares.

    Constructed without validation: every field is built here from typed
    values, and large maps produce tens of thousands of findings.
    """
    return Diagnostic.model_construct(
        code=code,
        severity=RULES[code].severity,
        path=path,
        line=max(1, line),
        column=max(1, column),
        message=message,
        suggestion=suggestion,
        excerpt=excerpt,
    )


def did_you_mean(name: str, candidates: list[str] | set[str]) -> str | None:
    """The closest existing name, for CX002/CX004 suggestions."""
    import difflib

    best = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    if best:
        return best[0]
    lowered = {c.lower(): c for c in candidates}
    return lowered.get(name.lower())
