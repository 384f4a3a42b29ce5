"""Diagnostics as SARIF 2.1.0, the format GitHub code scanning uploads.

GitHub reads the rule table (to title and explain alerts), each result's rule,
level, message and location, and keys alerts on ``partialFingerprints`` when
given, so an alert survives unrelated edits that move it to another line.
Paths become repository-relative URIs under ``%SRCROOT%``: absolute paths
would not match the checkout GitHub annotates, and would leak local paths.

Code scanning rejects a run of more than 25,000 results (and shows the first
5,000 by severity), so a log holds at most :data:`MAX_RESULTS`: past that,
the most severe findings are kept and a last ``note`` result says how many
were left out. A finding reported once for many goals (CX101) lists them all
in its ``properties.goals``.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

from cruxmap import __version__
from cruxmap.core.diagnostics import RULES, Diagnostic, Severity
from cruxmap.core.text import escape

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
#: Results in one log, the note on those left out included: code scanning's
#: limit per run.
MAX_RESULTS = 25_000


def information_uri() -> str | None:
    """The project's home page from the installed metadata, if it names one."""
    try:
        urls = metadata.metadata("cruxmap").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "home", "documentation", "source"):
            return str(url).strip()
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
    their template arguments (a message built by hand, on its text). A
    finding for several goals (CX101) keys on its subject alone, whatever
    form its message takes: a goal joining or leaving does not re-key it."""
    about = d.subject or tuple(v for _, v in d.args) or (d.message,)
    key = "\x1f".join((d.code, uri, "" if d.goals else d.form, *about))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _kept(diagnostics: list[Diagnostic], limit: int) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """The findings a log of ``limit`` results holds (one is the note on the
    rest): the most severe first, in their order; and those left out."""
    if len(diagnostics) <= limit:
        return diagnostics, []
    ranked = sorted(range(len(diagnostics)), key=lambda i: -diagnostics[i].severity.rank)
    keep = set(ranked[: max(0, limit - 1)])
    kept = [d for i, d in enumerate(diagnostics) if i in keep]
    return kept, [d for i, d in enumerate(diagnostics) if i not in keep]


def to_sarif(diagnostics: list[Diagnostic], limit: int | None = None) -> dict[str, object]:
    """One SARIF log with one run: every rule, and one result per diagnostic
    (at most ``limit`` results, default :data:`MAX_RESULTS`, the last then a
    note on those left out)."""
    limit = MAX_RESULTS if limit is None else limit
    index = {code: i for i, code in enumerate(RULES)}
    results: list[dict[str, object]] = []
    # One lookup per file, not per finding (each walks up to the repository).
    uris: dict[str, dict[str, object]] = {}

    def location(path: str) -> dict[str, object]:
        if path not in uris:
            uri, relative = artifact_uri(path)
            uris[path] = {"uri": uri, "uriBaseId": "%SRCROOT%"} if relative else {"uri": uri}
        return uris[path]

    def result(d: Diagnostic, text: str, fingerprint: str) -> dict[str, object]:
        out: dict[str, object] = {
            "ruleId": d.code,
            "level": LEVELS[d.severity],
            "message": {"text": text},
            "locations": [
                {"physicalLocation": {"artifactLocation": location(d.path), "region": _region(d)}}
            ],
            "partialFingerprints": {"cruxmapFingerprint/v2": fingerprint},
        }
        if d.code in index:
            out["ruleIndex"] = index[d.code]
        return out

    kept, left_out = _kept(diagnostics, limit)
    for d in kept:
        text = escape(d.message)
        if d.suggestion:
            text += f" (help: {escape(d.suggestion)})"
        r = result(d, text, _fingerprint(d, str(location(d.path)["uri"])))
        if d.goals:
            r["properties"] = {"goals": list(d.goals)}
        results.append(r)
    if left_out:
        # At the first finding left out, under its rule (code scanning wants
        # a rule and a location for every result).
        first = left_out[0]
        note = (
            f"{len(left_out)} more findings are not in this log: code scanning accepts "
            f"{limit:,} results a run. `cruxmap check` (text or JSON) lists them all."
        )
        fingerprint = hashlib.sha256(b"cruxmap\x1fleft-out").hexdigest()[:32]
        r = result(first, note, fingerprint)
        r["level"] = "note"
        r["properties"] = {"left_out": len(left_out)}
        results.append(r)
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
