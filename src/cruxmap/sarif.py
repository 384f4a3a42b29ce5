"""Diagnostics as SARIF 2.1.0, the format GitHub code scanning uploads.

GitHub reads the rule table (to title and explain alerts), each result's rule,
level, message and location, and keys alerts on ``partialFingerprints`` when
given, so an alert survives unrelated edits that move it to another line.
Paths become repository-relative URIs under ``%SRCROOT%``: absolute paths
would not match the checkout GitHub annotates, and would leak local paths.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

from cruxmap import __version__
from cruxmap.diagnostics import RULES, Diagnostic, Severity, escape

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def information_uri() -> str | None:
    """The project's home page from the installed metadata, if it names one."""
    try:
        urls = metadata.metadata("cruxmap").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "home", "documentation", "source"):
            return url.strip()
    return None


def _rules() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for rule in RULES.values():
        if rule.blocking:
            help_text = (
                f"{rule.description} Fix it: a map with this error is not analysed, "
                "and it cannot be suppressed."
            )
        else:
            help_text = (
                f"{rule.description} Suppress it on one statement with a trailing comment "
                f"`# cruxmap: ignore[{rule.code}]`, or project-wide with "
                f'`ignore = ["{rule.code}"]` under [tool.cruxmap] in pyproject.toml.'
            )
        out.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.description},
                "fullDescription": {"text": f"{rule.code} ({rule.name}): {rule.description}"},
                "defaultConfiguration": {"level": LEVELS[rule.severity]},
                # The long help of `cruxmap rules CODE` (with its example),
                # then how to fix or suppress: what code scanning shows.
                "help": {
                    "text": f"{rule.help.rstrip()}\n\n{help_text}",
                    "markdown": f"{rule.help.rstrip()}\n\n{help_text}",
                },
                "properties": {"tags": ["cruxmap", rule.severity.value]},
            }
        )
    return out


def _repo_root(start: Path) -> Path:
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return start


def artifact_uri(path: str, base: Path | None = None) -> tuple[str, bool]:
    """URI of a diagnostic's file and whether it is relative to ``%SRCROOT%``
    (the repository root, found from the working directory)."""
    cwd = Path.cwd()
    root = base or _repo_root(cwd)
    p = Path(path)
    absolute = p if p.is_absolute() else cwd / p
    try:
        rel = absolute.relative_to(root)
    except ValueError:
        return Path(absolute).as_uri(), False
    return quote(rel.as_posix(), safe="/"), True


def _region(d: Diagnostic) -> dict[str, int]:
    """The range the diagnostic carries (an ID, a level, ``claim ID``, a
    string), from the lexer's tokens; one character when only the start is
    known (a file that could not be read). Columns are code points, as the
    run's ``columnKind`` declares."""
    if d.end_line is not None and d.end_column is not None:
        end_line, end_column = d.end_line, d.end_column
    else:
        end_line, end_column = d.line, d.column + 1
    return {
        "startLine": d.line,
        "startColumn": d.column,
        "endLine": end_line,
        "endColumn": end_column,
    }


def _fingerprint(d: Diagnostic, uri: str) -> str:
    """Stable across line moves, rewording and changed levels: the code, the
    file, the message form and what the finding is about (the IDs), never the
    message text. Findings with no subject (syntax and file errors) key on
    their template arguments (a message built by hand, on its text)."""
    about = d.subject or tuple(v for _, v in d.args) or (d.message,)
    key = "\x1f".join((d.code, uri, d.form, *about))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def to_sarif(diagnostics: list[Diagnostic]) -> dict[str, object]:
    """One SARIF log with one run: every rule, and one result per diagnostic."""
    index = {code: i for i, code in enumerate(RULES)}
    results: list[dict[str, object]] = []
    for d in diagnostics:
        uri, relative = artifact_uri(d.path)
        location: dict[str, object] = {"uri": uri}
        if relative:
            location["uriBaseId"] = "%SRCROOT%"
        text = escape(d.message)
        if d.suggestion:
            text += f" (help: {escape(d.suggestion)})"
        result: dict[str, object] = {
            "ruleId": d.code,
            "level": LEVELS[d.severity],
            "message": {"text": text},
            "locations": [
                {"physicalLocation": {"artifactLocation": location, "region": _region(d)}}
            ],
            "partialFingerprints": {"cruxmapFingerprint/v2": _fingerprint(d, uri)},
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        results.append(result)
    driver: dict[str, object] = {
        "name": "cruxmap",
        "version": __version__,
        "semanticVersion": __version__,
    }
    home = information_uri()
    if home is not None:
        driver["informationUri"] = home
    driver["rules"] = _rules()
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
