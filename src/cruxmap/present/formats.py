"""Output formats of ``cruxmap check``, behind one interface.

A format is a class registered under its name; the command line looks it
up and feeds it each map's result as the run produces it, so a run over
thousands of roots never holds every report at once. A new format is one
class with ``@register("name")``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from cruxmap.api import Result, Run
    from cruxmap.core.diagnostics import Diagnostic


class Format:
    """Receives a run's results in order; writes to ``out``."""

    name: ClassVar[str] = ""

    def __init__(
        self, out: IO[str], *, summary: bool = True, quiet: bool = False, fail_on: str = "warning"
    ) -> None:
        self.out = out
        self.summary = summary
        #: ``-q``: only the findings at or above ``fail_on``, nothing else.
        self.quiet = quiet
        self.fail_on = fail_on

    def begin(self, run: Run) -> None:
        """Called once before the first map."""

    def map(self, result: Result, fresh: list[Diagnostic]) -> None:
        """Called for each map with the diagnostics it is first to report."""

    def end(self, run: Run) -> None:
        """Called once after the last map (also when there was none)."""


FORMATS: dict[str, type[Format]] = {}


def register(name: str) -> Callable[[type[Format]], type[Format]]:
    def add(cls: type[Format]) -> type[Format]:
        cls.name = name
        FORMATS[name] = cls
        return cls

    return add


def get(name: str) -> type[Format]:
    return FORMATS[name]


@register("text")
class Text(Format):
    """``path:line:col: CODE message`` lines, one line per goal saying where
    it stands, then a summary line (``-q``: only the failing findings)."""

    goal_lines: list[str]

    def begin(self, run: Run) -> None:
        from cruxmap.present import output
        from cruxmap.present.explain import scenario_text

        self.goal_lines = []
        said = scenario_text(run.options.scenario, run.options.objections)
        if said and not self.quiet:
            print(output.clean(said), file=self.out)
        if not self.quiet:
            for line in added_lines(run):
                print(output.clean(line), file=self.out)

    def _shown(self, diags: list[Diagnostic]) -> list[Diagnostic]:
        if not self.quiet:
            return diags
        from cruxmap.core.diagnostics import Severity

        rank = Severity(self.fail_on).rank
        return [d for d in diags if d.severity.rank >= rank]

    def map(self, result: Result, fresh: list[Diagnostic]) -> None:
        from cruxmap.present import output
        from cruxmap.present.explain import goal_status_lines

        text = output.format_text(self._shown(fresh))
        if text:
            print(text, file=self.out)
        if not self.quiet:
            self.goal_lines.extend(goal_status_lines(result))

    def end(self, run: Run) -> None:
        from cruxmap.present import output

        if not run.maps and not run.libraries and run.reported:
            print(output.format_text(self._shown(run.reported)), file=self.out)
        if self.quiet:
            return
        for line in self.goal_lines:
            print(line, file=self.out)
        if not self.summary:
            return
        if not run.maps and not run.libraries and not run.reported:
            print("No .crux files found.", file=self.out)
            return
        line = output.summary(run.file_count, run.maps, run.claim_count, run.goals, run.reported)
        if run.skipped:
            names = ", ".join(output.clean(s) for s in run.skipped)
            line += f" Not analysed (fix the errors first): {names}."
        if run.libraries:
            line += (
                f" {_named(run.libraries, 'library', 'libraries')} linted, not analysed as maps."
            )
        print(line, file=self.out)


#: Libraries named in the summary line; the rest are counted.
LIBRARIES_NAMED = 5


def _named(names: list[str], one: str, many: str) -> str:
    from cruxmap.present import output

    shown = ", ".join(output.clean(n) for n in names[:LIBRARIES_NAMED])
    more = f" and {len(names) - LIBRARIES_NAMED} more" if len(names) > LIBRARIES_NAMED else ""
    return f"{len(names)} {one if len(names) == 1 else many} ({shown}{more})"


def added_lines(run: Run, verb: str = "checked") -> list[str]:
    """One line per map checked because it imports a file named (issue 19):
    ``also checked: maps/a.crux (imports maps/common/lib.crux)``."""
    from cruxmap.core.loader import display_path

    out = []
    for chain in run.added.values():
        via = "".join(f", which imports {c}" for c in chain[2:])
        out.append(f"also {verb}: {chain[0]} (imports {chain[1]}{via})")
    for root in run.projects.truncated():
        out.append(f"note: {display_path(root)}/ holds too many files to index; maps importing "
                   "a file named may be missed (put a pyproject.toml or .git at the project root)")  # fmt: skip
    return out


@register("github")
class GitHub(Format):
    """GitHub Actions workflow commands: annotations on the pull request."""

    def map(self, result: Result, fresh: list[Diagnostic]) -> None:
        from cruxmap.present import output

        text = output.format_github(fresh)
        if text:
            print(text, file=self.out)

    def end(self, run: Run) -> None:
        from cruxmap.present import output

        if not run.maps and not run.libraries and run.reported:
            print(output.format_github(run.reported), file=self.out)


@register("sarif")
class Sarif(Format):
    """SARIF 2.1.0 for code scanning; one log, written at the end."""

    def end(self, run: Run) -> None:
        from cruxmap.core.text import json_text
        from cruxmap.present.jsonreport import COMPACT_ABOVE
        from cruxmap.present.sarif import to_sarif

        # Indented for people; past COMPACT_ABOVE findings on one line (only
        # the compact encoder is C: 25,000 results took seconds to indent).
        indent = 2 if len(run.reported) <= COMPACT_ABOVE else None
        log = to_sarif(run.reported)
        self.out.write(json_text(json.dumps(log, indent=indent, ensure_ascii=False)) + "\n")


@register("json")
class Json(Format):
    """The report of ``docs/report.schema.json``, streamed map by map; the
    text is :mod:`cruxmap.present.jsonreport`'s (the models of :mod:`cruxmap.present.report`
    define it, and the tests check the two agree)."""

    def _write(self, piece: str) -> None:
        """A piece of the document, unsafe characters as JSON escapes."""
        from cruxmap.core.text import json_text

        self.out.write(json_text(piece))

    def begin(self, run: Run) -> None:
        from cruxmap import __version__
        from cruxmap.present.jsonreport import report_opening

        self._write(report_opening(__version__))
        self._first = True
        self._run = run

    def map(self, result: Result, fresh: list[Diagnostic]) -> None:
        from cruxmap.present.jsonreport import map_texts

        if result.library:
            return  # not a map: its findings are in "diagnostics"
        first, self._first = self._first, False
        for piece in map_texts(result, self._run.positions(result), first=first):
            self._write(piece)

    def end(self, run: Run) -> None:
        from cruxmap.present.jsonreport import report_closing

        self._write(report_closing(run, any_map=not self._first))
