"""Diagnostics as text for terminals and as GitHub workflow commands.

User text reaches a terminal or a CI log here, so control characters and
ANSI escapes are made visible rather than interpreted.
"""

from __future__ import annotations

from collections import Counter

from cruxmap.core.diagnostics import Diagnostic, Severity

# The one terminal escaper (cruxmap.core.text), still reachable where callers look.
from cruxmap.core.text import clean as clean
from cruxmap.core.text import redact_credentials as redact_credentials


def text_line(d: Diagnostic) -> str:
    return f"{clean(d.path)}:{d.line}:{d.column}: {d.code} {clean(d.message)}"


def format_text(diags: list[Diagnostic]) -> str:
    lines: list[str] = []
    for d in diags:
        lines.append(text_line(d))
        if d.excerpt is not None:
            gutter = str(d.line)
            shown = clean(d.excerpt)
            # Counted on the cleaned text: an escaped character is wider.
            column = len(clean(d.excerpt[: d.column - 1])) + 1
            if len(shown) > 200:
                start = max(0, column - 100)
                shown = ("..." if start else "") + shown[start : start + 200]
                caret_col = column - start + (3 if start else 0)
            else:
                caret_col = column
            lines.append(f"  {gutter} | {shown}")
            lines.append(f"  {' ' * len(gutter)} | {' ' * (caret_col - 1)}^")
        if d.suggestion and d.severity is not Severity.INFO:
            lines.append(f"  help: {clean(d.suggestion)}")
    return "\n".join(lines)


def summary(files: int, maps: int, claims: int, goals: int, diags: list[Diagnostic]) -> str:
    counts = Counter(d.severity for d in diags)

    def n(k: int, word: str) -> str:
        return f"{k} {word}{'' if k == 1 else 's'}"

    findings = ", ".join(
        [
            n(counts[Severity.ERROR], "error"),
            n(counts[Severity.WARNING], "warning"),
            n(counts[Severity.INFO], "info"),
        ]
    )
    return (
        f"Checked {n(files, 'file')} ({n(maps, 'map')}): {n(claims, 'claim')}, "
        f"{n(goals, 'goal')}; {findings}."
    )


def _gh_escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_escape_prop(s: str) -> str:
    return _gh_escape_data(s).replace(":", "%3A").replace(",", "%2C")


def format_github(diags: list[Diagnostic]) -> str:
    """GitHub Actions workflow commands: annotations on the pull request."""
    kinds = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for d in diags:
        message = clean(d.message)
        if d.suggestion:
            message += f" ({clean(d.suggestion)})"
        lines.append(
            f"::{kinds[d.severity]} file={_gh_escape_prop(clean(d.path))},line={d.line},col={d.column},"
            f"title={_gh_escape_prop(d.code)}::{_gh_escape_data(f'{d.code} {message}')}"
        )
    return "\n".join(lines)
