"""``[tool.cruxmap]`` in ``pyproject.toml``: project-wide defaults for check.

Command-line flags override these. Unknown keys are an error rather than
silently ignored, since a misspelt ``fail-on`` would quietly weaken CI.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cruxmap.core.diagnostics import RULES, did_you_mean
from cruxmap.core.errors import CruxmapError
from cruxmap.core.loader import inside

if TYPE_CHECKING:
    from cruxmap.core.dependents import Layout


class ConfigError(CruxmapError):
    """A configuration problem; the CLI exits 2 with this message."""


SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Config:
    """The settings of one run, built once (:func:`parse`); command-line flags
    make a changed copy (``dataclasses.replace``) rather than patching it, so
    that a config shared by several commands or threads never changes under
    them."""

    path: Path | None = None
    paths: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "warning"
    depth: int = 1
    max_order: int = 3
    format: str = "text"
    #: Globs (relative to the pyproject.toml) of files always analysed as
    #: maps, and of files always linted as libraries (docs/language.md).
    roots: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()

    def layout(self) -> Layout:
        """The roles ``roots`` and ``libraries`` settle, for a run."""
        from cruxmap.core.dependents import Layout

        base = self.path.parent if self.path is not None else None
        return Layout(tuple(self.roots), tuple(self.libraries), base)


# ``max-order`` and ``depth`` have no upper bound here: the file is untrusted
# (a pull request can set ``max-order = 1000000000000``), and the analysis
# bounds its own work instead (the order only truncates; budgets count all
# the work and the report says when a list was cut: docs/engine.md).
FORMATS = ("text", "json", "github", "sarif")
_CODES: dict[str, object] = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[Cc][Xx][0-9]{0,3}$"},
}

#: Every key: its JSON Schema and what it means. The validator below and the
#: published schema (docs/config.schema.json) are both read off this table.
FIELDS: dict[str, tuple[dict[str, object], str]] = {
    "paths": (
        {"type": "array", "items": {"type": "string"}},
        "what `cruxmap check` checks when no PATHS are given (relative to pyproject.toml, inside the project)",
    ),
    "select": (_CODES, "only these codes or prefixes (e.g. CX1)"),
    "ignore": (_CODES, "never these codes or prefixes"),
    "fail-on": ({"enum": list(SEVERITIES), "default": "warning"}, "lowest severity that makes the exit status 1"),
    "depth": (
        {"type": "integer", "minimum": 1, "default": 1},
        "steps each premise of a cut set is scaled down",
    ),
    "max-order": (
        {"type": "integer", "minimum": 1, "default": 3},
        "largest cut set listed",
    ),
    "format": ({"enum": list(FORMATS), "default": "text"}, "output format of `cruxmap check`"),
    "roots": (
        {"type": "array", "items": {"type": "string"}},
        "globs (relative to pyproject.toml) of files always analysed as maps, even when imported without goals of their own",
    ),
    "libraries": (
        {"type": "array", "items": {"type": "string"}},
        "globs (relative to pyproject.toml) of files always linted as libraries, not analysed as maps",
    ),
}  # fmt: skip
KEYS = set(FIELDS)


def schema() -> dict[str, object]:
    """JSON Schema of the ``[tool.cruxmap]`` table (docs/config.schema.json),
    for editors that validate ``pyproject.toml`` (e.g. Even Better TOML)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "[tool.cruxmap] in pyproject.toml",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            key: {**spec, "description": text} for key, (spec, text) in sorted(FIELDS.items())
        },
    }


def schema_text() -> str:
    import json

    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"


def find_pyproject(start: Path) -> Path | None:
    start = start.absolute()
    for d in (start, *start.parents):
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


#: A ``pyproject.toml`` larger than this is refused unread (real ones are a
#: few KiB; the file is untrusted and parsed whole).
MAX_CONFIG_BYTES = 1024 * 1024


def read_pyproject(path: Path, *, trusted: bool) -> dict[str, object]:
    """The parsed TOML of ``path``, bounded: a regular file of at most
    :data:`MAX_CONFIG_BYTES`, never (unless named with ``--config``) a
    symlink leading out of its own directory, and no traceback for
    pathological nesting (tomllib recurses once per nested array)."""
    from cruxmap.core.loader import FileTooLarge, read_source

    if not trusted:
        try:
            real, home = path.resolve(), path.parent.resolve()
        except (OSError, RuntimeError) as exc:
            raise ConfigError(f"{path}: cannot resolve the path (symlink loop?)") from exc
        if not inside(real, home):
            raise ConfigError(
                f"{path}: a symlink to a file outside the project; not read "
                "(name it with --config if you mean it)"
            )
    try:
        text = read_source(path, MAX_CONFIG_BYTES).decode("utf-8")
    except FileTooLarge as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid TOML: not UTF-8 ({exc.reason} at byte {exc.start})"
        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from exc
    except MemoryError as exc:  # pragma: no cover - bounded by the size cap
        raise ConfigError(f"{path}: too large to parse") from exc


def load(explicit: Path | None = None, start: Path | None = None) -> Config:
    """Read the nearest ``pyproject.toml`` (or ``explicit``) if it has a
    ``[tool.cruxmap]`` table; otherwise defaults."""
    path = explicit or find_pyproject(start or Path.cwd())
    if path is None:
        return Config()
    data = read_pyproject(path, trusted=explicit is not None)
    tool = data.get("tool", {})
    table = tool.get("cruxmap") if isinstance(tool, dict) else None
    if table is None:
        if explicit is not None:
            raise ConfigError(f"{path}: no [tool.cruxmap] table")
        return Config()
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.cruxmap] must be a table")
    return parse(table, path)


def parse(table: dict[str, object], path: Path | None = None) -> Config:
    where = f"{path}: [tool.cruxmap]" if path else "[tool.cruxmap]"
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            guess = did_you_mean(key, KEYS)
            hint = (
                f" (did you mean `{guess}`?)" if guess else f" (known: {', '.join(sorted(KEYS))})"
            )
            raise ConfigError(f"{where}: unknown key `{key}`{hint}")
        if key in ("roots", "libraries"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: `{key}` must be a list of strings (globs)")
            values[key] = tuple(value)
        elif key in ("paths", "select", "ignore"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: `{key}` must be a list of strings")
            if key == "paths":
                base = path.parent if path else Path.cwd()
                values["paths"] = tuple(str(base / v) for v in value)
                for v in value:
                    # The config is part of the (untrusted) project: it may
                    # not point cruxmap at files outside it.
                    try:
                        contained = inside((base / v).resolve(), base.resolve())
                    except (OSError, RuntimeError):
                        contained = False
                    if not contained:
                        raise ConfigError(
                            f"{where}: `paths` entry {v!r} is outside the project ({base})"
                        )
            else:
                values[key] = check_codes(value, f"{where}: `{key}`")
        elif key == "fail-on":
            if value not in SEVERITIES:
                raise ConfigError(f"{where}: `fail-on` must be one of {', '.join(SEVERITIES)}")
            values["fail_on"] = str(value)
        elif key in ("depth", "max-order"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{where}: `{key}` must be a whole number >= 1")
            values[key.replace("-", "_")] = value
        elif key == "format":
            if value not in FORMATS:
                raise ConfigError(f"{where}: `format` must be text, json, github or sarif")
            values["format"] = str(value)
    return Config(path=path, **values)


def check_codes(codes: list[str], where: str) -> tuple[str, ...]:
    """Codes or code prefixes (``CX1``) that name at least one rule."""
    out: list[str] = []
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        if not any(r.startswith(code) for r in RULES):
            guess = did_you_mean(code, set(RULES))
            hint = f" (did you mean {guess}?)" if guess else ""
            raise ConfigError(f"{where}: unknown code `{raw}`{hint}")
        out.append(code)
    return tuple(out)
