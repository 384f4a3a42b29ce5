"""Diagnostics as SARIF 2.1.0, the format GitHub code scanning uploads.

GitHub reads the rule table (to title and explain alerts), each result's rule,
level, message and location, and keys alerts on ``partialFingerprints`` when
given, so an alert survives unrelated edits that move it to another line.
Paths become repository-relative URIs under ``%SRCROOT%``: absolute paths
would not match the checkout GitHub annotates, and would leak local paths.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

from cruxmap import __version__
from cruxmap.diagnostics import RULES, Diagnostic, Severity
from cruxmap.loader import BLOCKING

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
#: An identifier, level or keyword, or a string literal, at a diagnostic's column.
_TOKEN = re.compile(r'"""|"(?:[^"\\\n]|\\.)*"?|[A-Za-z_][A-Za-z0-9_\-]*|\S')
#: A statement keyword and the ID after it (``claim alignment``), underlined together.
_KEYWORD_ID = re.compile(r"(?:claim|objection|reduction|goal)[ \t]+[A-Za-z_][A-Za-z0-9_\-]*")


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
        if rule.code in BLOCKING:
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
                "help": {"text": help_text, "markdown": help_text},
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


@cache
def _lines(path: str) -> tuple[str, ...] | None:
    from cruxmap.loader import escapes_project, read_source  # bounded, regular files only

    if "\\" in path or escapes_project(Path(path)):
        # An escaped display name (bad bytes, a literal backslash) is not the
        # file's real name: opening it could open another file, even a link
        # out of the project. Such a finding gets a one-character region.
        return None
    try:
        text = read_source(Path(path)).decode("utf-8-sig")
        return tuple(text.replace("\r\n", "\n").split("\n"))  # lines as the parser counts them
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _region(d: Diagnostic) -> dict[str, int]:
    """The token a diagnostic points at (an ID, a level, a string), so that
    code scanning underlines it; one character when the file cannot be read."""
    end = d.column + 1
    if d.excerpt is not None:
        lines: tuple[str, ...] | None = (d.excerpt,)
    else:  # CX005: a file that could not, or must not, be read
        lines = _lines(d.path) if d.code != "CX005" else None
    index = 0 if d.excerpt is not None else d.line - 1
    if lines is not None and 0 <= index < len(lines):
        text = lines[index]
        start = d.column - 1
        m = None
        if start < len(text):
            m = _KEYWORD_ID.match(text, start) or _TOKEN.match(text, start)
        if m and m.end() > m.start():
            end = m.end() + 1
    return {"startLine": d.line, "startColumn": d.column, "endLine": d.line, "endColumn": end}


def _fingerprint(d: Diagnostic, uri: str) -> str:
    """Stable across line moves: the message names the claims and goals."""
    key = "\x1f".join((d.code, uri, d.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def to_sarif(diagnostics: list[Diagnostic]) -> dict[str, object]:
    """One SARIF log with one run: every rule, and one result per diagnostic."""
    _lines.cache_clear()
    index = {code: i for i, code in enumerate(RULES)}
    results: list[dict[str, object]] = []
    for d in diagnostics:
        uri, relative = artifact_uri(d.path)
        location: dict[str, object] = {"uri": uri}
        if relative:
            location["uriBaseId"] = "%SRCROOT%"
        text = d.message
        if d.suggestion:
            text += f" (help: {d.suggestion})"
        result: dict[str, object] = {
            "ruleId": d.code,
            "level": LEVELS[d.severity],
            "message": {"text": text},
            "locations": [
                {"physicalLocation": {"artifactLocation": location, "region": _region(d)}}
            ],
            "partialFingerprints": {"cruxmapFingerprint/v1": _fingerprint(d, uri)},
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        results.append(result)
    driver: dict[str, object] = {
        "name": "cruxmap",
        "version": __version__,
        "semanticVersion": __version__,
    }
    uri = information_uri()
    if uri is not None:
        driver["informationUri"] = uri
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
