"""The ``cruxmap`` command line.

Exit codes follow ruff and flake8: 0 nothing at or above the failing
severity, 1 findings, 2 the input could not be read or parsed, or the command
was misused. Heavy modules are imported inside the commands so that
``cruxmap --version`` stays instant.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from cruxmap import __version__

if TYPE_CHECKING:
    from cruxmap.config import Config
    from cruxmap.diagnostics import Diagnostic

FORMATS = ("text", "json", "github", "sarif")  # cruxmap.formats registers each


class _Parser(argparse.ArgumentParser):
    """argparse, with user text in its errors (an unknown option may be a
    file name that pre-commit passed) made terminal-safe."""

    def error(self, message: str) -> NoReturn:
        from cruxmap.output import clean

        super().error(clean(message))


class UsageError(Exception):
    """Misuse of the command line: message to stderr, exit 2."""


def _bounded(top: int) -> Callable[[str], int]:
    """argparse type: a whole number from 1 to ``top``."""

    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
        if not 1 <= n <= top:
            raise argparse.ArgumentTypeError(f"expected a number from 1 to {top}, got {n}")
        return n

    return parse


_positive = _bounded(2**63 - 1)
_depth = _order = _positive  # the analysis bounds its own work (docs/engine.md)


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def add_analysis_options(
    p: argparse.ArgumentParser,
    *,
    set_help: str,
    objections_help: str,
    depth_help: str,
    order_help: str,
) -> None:
    """The options that choose what is analysed, as ``explain``, ``cruxes``
    and ``diff`` take them: ``--set``, ``--objections``, ``--depth``,
    ``--max-order`` and ``--config``. Each command words its own help."""
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="CLAIM=LEVEL",
                   help=set_help)  # fmt: skip
    p.add_argument("--objections", action="store_true", help=objections_help)
    p.add_argument("--depth", type=_depth, default=None, help=depth_help)
    p.add_argument("--max-order", type=_order, default=None, help=order_help)
    p.add_argument("--config", type=Path, default=None,
                   help="pyproject.toml to read [tool.cruxmap] from")  # fmt: skip


#: The one-line help of the commands whose parsers live in their modules.
LAZY_COMMANDS = {
    "explain": "why each goal holds or fails, as a derivation tree",
    "cruxes": "rank the premises by how much the goals depend on them",
    "diff": "what a change did to robustness (against a git revision, or two files)",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``command``: the one about to run (its
    module's parser is built in full, the others' only listed)."""
    parser = _Parser(
        prog="cruxmap",
        description="Map arguments as claims and reductions; find the premises they cannot afford to see weakened.",
    )
    parser.add_argument("--version", action="version", version=f"cruxmap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser(
        "check",
        help="lint files and analyse robustness to scaling down",
        description="Lint .crux files and report which premises each goal cannot afford to see weakened.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or directories (default: `paths` from config, else .)",
    )
    check.add_argument(
        "--format", choices=FORMATS, default=None, help="output format (default text)"
    )
    check.add_argument("--set", dest="overrides", action="append", default=[], metavar="CLAIM=LEVEL",
                       help="run a scenario: take CLAIM at LEVEL whatever its routes give; repeatable")  # fmt: skip
    check.add_argument(
        "--objections",
        action="store_true",
        help="analyse with every standing objection applied",
    )
    check.add_argument(
        "--depth",
        type=_depth,
        default=None,
        help="steps each premise of a cut set is scaled down (default 1)",
    )
    check.add_argument(
        "--max-order",
        type=_order,
        default=None,
        help="largest cut set listed (default 3)",
    )
    check.add_argument("--fail-on", choices=("error", "warning", "info"), default=None,
                       help="lowest severity that makes the exit status 1 (default warning)")  # fmt: skip
    check.add_argument(
        "--select",
        type=_codes,
        action="extend",
        default=None,
        metavar="CODES",
        help="only these codes or prefixes (comma-separated)",
    )
    check.add_argument(
        "--ignore",
        type=_codes,
        action="extend",
        default=None,
        metavar="CODES",
        help="skip these codes or prefixes",
    )
    check.add_argument(
        "--config", type=Path, default=None, help="pyproject.toml to read [tool.cruxmap] from"
    )
    check.add_argument(
        "--no-summary", action="store_true", help="omit the summary line of text output"
    )
    check.add_argument("-q", "--quiet", action="store_true",
                       help="text output: only the findings at or above --fail-on")  # fmt: skip
    check.add_argument("--no-dependents", action="store_true",
                       help="check only the files named, not also the maps of the project that import them")  # fmt: skip
    check.add_argument("--new-only", action="store_true",
                       help="only findings the revision (--against) did not have; see docs/diff.md")  # fmt: skip
    check.add_argument("--against", metavar="REV", default=None,
                       help="with --new-only: the revision (default: merge base with the default branch, else HEAD)")  # fmt: skip
    check.set_defaults(handler=cmd_check)

    fmt = sub.add_parser(
        "fmt",
        help="rewrite .crux files in the canonical layout",
        description="Rewrite .crux files in one canonical layout, keeping every comment. "
        "Formatted standard input and diffs go to stdout, reports to stderr.",
    )
    fmt.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or directories; - reads standard input and writes standard output "
        "(default: `paths` from config, else .)",
    )
    fmt.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file would change"
    )
    fmt.add_argument(
        "--diff", action="store_true", help="write nothing; print a unified diff of the changes"
    )
    fmt.set_defaults(handler=cmd_fmt)

    render = sub.add_parser(
        "render",
        help="draw maps with Graphviz (SVG, DOT or PNG)",
        description="Draw each map: claims with their levels, reductions with each premise's "
        "threshold, goals, margins, brittle premises and objections, with a legend.",
    )
    render.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a .crux file, or a directory (one drawing per .crux file under it)",
    )
    render.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        default=None,
        help="output file; a directory when drawing several maps; - for stdout "
        "(default: next to each map, with the format's extension)",
    )
    render.add_argument(
        "--format",
        dest="render_format",
        choices=("svg", "dot", "png"),
        default=None,
        help="output format (default: the -o file's extension, else svg; dot needs no Graphviz)",
    )
    render.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="CLAIM=LEVEL",
        help="draw a scenario: cap CLAIM at LEVEL and mark what changed; repeatable",
    )
    render.add_argument(
        "--objections",
        action="store_true",
        help="draw the objections scenario: every standing objection applied",
    )
    render.add_argument(
        "--combine", action="store_true", help="draw all the maps named or found in one drawing"
    )
    render.add_argument("--goal", dest="part_goals", action="append", default=[], metavar="GOAL",
                        help="draw only the support of this goal; repeatable")  # fmt: skip
    render.add_argument("--focus", metavar="CLAIM", default=None,
                        help="draw only the claims within --radius reductions of CLAIM")  # fmt: skip
    render.add_argument("--radius", type=int, default=2, metavar="N",
                        help="steps (reductions) around --focus (default 2)")  # fmt: skip
    render_mode = render.add_mutually_exclusive_group()
    render_mode.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming drawings that are stale or missing",
    )
    render_mode.add_argument(
        "--fail-on-change",
        action="store_true",
        help="redraw only stale drawings, and exit 1 if any was (for pre-commit)",
    )
    render.add_argument("--no-dependents", action="store_true",
                        help="draw only the maps named, not also the maps of the project that import them")  # fmt: skip
    render.add_argument(
        "--graphviz",
        metavar="PROGRAM",
        default=None,
        help="dot, graphviz-pure, or a path to a dot-compatible program "
        "(default: $CRUXMAP_GRAPHVIZ, else dot on PATH, else graphviz-pure)",
    )
    render.add_argument(
        "--config", type=Path, default=None, help="pyproject.toml to read [tool.cruxmap] from"
    )
    render.set_defaults(handler=cmd_render, select=None, ignore=None)  # fmt: skip

    explore = sub.add_parser(
        "explore",
        help="write an interactive HTML page to explore a map's scenarios",
        description="Write one self-contained HTML page per map: the drawing, with a level "
        "picker on every claim that re-evaluates the map in the page.",
    )
    explore.add_argument("paths", nargs="+", metavar="PATH", help="a .crux file or a directory")
    explore.add_argument("-o", "--output", metavar="OUT", default=None,
                         help="output file; a directory for several maps; - for stdout "
                         "(default: next to each map, .html)")  # fmt: skip
    explore.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="CLAIM=LEVEL",
                         help="open the page in this scenario when its address has none")  # fmt: skip
    explore.add_argument("--objections", action="store_true",
                         help="open the page with the standing objections applied")  # fmt: skip
    explore.add_argument("--check", action="store_true",
                         help="write nothing; exit 1 naming pages that are stale or missing")  # fmt: skip
    explore.add_argument("--graphviz", metavar="PROGRAM", default=None,
                         help="dot, graphviz-pure, or a path (as for render)")  # fmt: skip
    explore.add_argument("--config", type=Path, default=None,
                         help="pyproject.toml to read [tool.cruxmap] from")  # fmt: skip
    explore.set_defaults(handler=cmd_explore, select=None, ignore=None)

    # Commands in modules of their own are imported only when run: `check`
    # in a pre-commit hook should not pay for `diff` (start-up, issue 8).
    for name, summary in LAZY_COMMANDS.items():
        if name != command:
            sub.add_parser(name, help=summary)  # for --help; never dispatched
        elif name == "explain":
            from cruxmap import explain

            explain.add_parser(sub)
        elif name == "cruxes":
            from cruxmap import cruxes

            cruxes.add_parser(sub)
        else:
            from cruxmap.diff import add_parser as add_diff

            add_diff(sub)

    rules = sub.add_parser("rules", help="list the diagnostic codes, or explain one")
    rules.add_argument(
        "codes",
        nargs="*",
        metavar="CODE",
        help="print the full help of these codes (e.g. CX101, or a name like brittle-premise)",
    )
    rules.set_defaults(handler=cmd_rules)

    lsp = sub.add_parser(
        "lsp",
        help="run the language server (stdio), for editors",
        description="Serve the Language Server Protocol over standard input and output (see docs/editors.md).",
    )
    lsp.set_defaults(handler=cmd_lsp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(next((w for w in words if not w.startswith("-")), None))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    # A short-lived process: the cyclic garbage collector would only rescan
    # the (acyclic) model of a large map again and again.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return int(args.handler(args))
    except UsageError as exc:
        return _usage_error(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:
        from cruxmap.api import CruxmapError

        if isinstance(exc, CruxmapError):
            return _usage_error(exc)
        raise
    finally:
        if gc_was_enabled:
            gc.enable()


def _usage_error(exc: Exception) -> int:
    from cruxmap.output import clean  # the message may quote user text

    print(f"cruxmap: error: {clean(str(exc))}", file=sys.stderr)
    return 2


# --------------------------------------------------------------------------- rules


def cmd_rules(args: argparse.Namespace) -> int:
    from cruxmap.diagnostics import RULES, explain, find_rule

    if not args.codes:
        for rule in RULES.values():
            print(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<28} {rule.description}")
        return 0
    try:
        found = [find_rule(code) for code in args.codes]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    print("\n".join(explain(rule) for rule in found).rstrip("\n"))
    return 0


def cmd_lsp(args: argparse.Namespace) -> int:
    from cruxmap.lsp import main as serve

    return serve()


# --------------------------------------------------------------------------- check


def _load_config(args: argparse.Namespace) -> Config:
    from cruxmap import config

    try:
        cfg = config.load(args.config)
        if args.select:
            cfg.select = config.check_codes(args.select, "--select")
        if args.ignore:
            cfg.ignore = [*cfg.ignore, *config.check_codes(args.ignore, "--ignore")]
    except config.ConfigError as exc:
        raise UsageError(str(exc)) from exc
    for name in ("depth", "max_order", "fail_on", "format"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(cfg, name, value)
    return cfg


def _parse_overrides(raw: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw:
        claim, sep, level = item.partition("=")
        claim, level = claim.strip(), level.strip()
        if not sep or not claim or not level:
            raise UsageError(f"--set {item!r}: expected CLAIM=LEVEL, e.g. --set interp=good")
        out[claim] = level
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from cruxmap import api, formats

    cfg = _load_config(args)
    paths = args.paths or cfg.paths or ["."]
    options = api.Options.from_config(
        cfg, scenario=_parse_overrides(args.overrides), objections=args.objections
    )
    run = api.Run(paths, options, dependents=not args.no_dependents, layout=cfg.layout())
    try:
        run.validate()
    except api.CruxmapError as exc:
        raise UsageError(str(exc)) from exc
    results: Iterable[tuple[api.Result, list[Diagnostic]]] = run
    if args.new_only or args.against:  # issue 11: what the revision did not already have
        from cruxmap.diff import only_new

        # The maps added for importing a file named are compared too.
        named = [*paths, *(str(f) for f in run.added)]
        results = only_new(run, named, options, args.against, args.new_only)
    out = formats.get(cfg.format)(sys.stdout, summary=not args.no_summary, quiet=args.quiet,
                                  fail_on=cfg.fail_on)  # fmt: skip
    out.begin(run)
    warned: set[str] = set()
    for result, fresh in results:
        if options.scenario:
            from cruxmap.explain import warn_scenario

            warn_scenario(result, warned)
        out.map(result, fresh)
    out.end(run)
    return run.exit_status(cfg.fail_on)


# --------------------------------------------------------------------------- fmt


def cmd_fmt(args: argparse.Namespace) -> int:
    from cruxmap import config, formatting, output
    from cruxmap.loader import discover, display_path

    paths: list[str] = args.paths
    if not paths:
        try:
            paths = config.load().paths or ["."]
        except config.ConfigError as exc:
            raise UsageError(str(exc)) from exc
    if paths.count("-") > 1:
        raise UsageError("`-` (standard input) can be named only once")
    files, problems = discover(p for p in paths if p != "-")
    targets: list[tuple[str, Path | None]] = [(display_path(f), f) for f in files]
    if "-" in paths:
        targets.insert(0, ("-", None))
    if problems:
        print(output.format_text(problems), file=sys.stderr)
        if not targets:
            return 2
    status = formatting.run(targets, check=args.check, diff=args.diff)
    return 2 if problems else status


# --------------------------------------------------------------------------- render


def cmd_render(args: argparse.Namespace) -> int:
    """Plan the outputs, analyse every map, render all in memory, then write:
    a map with errors, or a Graphviz failure, writes nothing."""
    from cruxmap import api, output, render
    from cruxmap.diagnostics import Severity

    cfg = _load_config(args)
    mode = "check" if args.check else "update" if args.fail_on_change else "write"
    req = render.Request(paths=args.paths, output=args.output, fmt=args.render_format,
                         combine=args.combine, objections=args.objections,
                         overrides=_parse_overrides(args.overrides), mode=mode,
                         engine=args.graphviz, depth=cfg.depth, max_order=cfg.max_order,
                         part=render.Part(tuple(args.part_goals), args.focus, args.radius)
                         if args.part_goals or args.focus is not None else None)  # fmt: skip
    try:
        jobs = render.plan(req)
    except render.UsageProblem as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:  # a path that cannot even be looked at (name too long)
        raise UsageError(f"{exc.filename}: {exc.strerror or exc}") from exc
    files = list(dict.fromkeys(f for job in jobs for f, _ in job.maps))
    options = api.Options.from_config(cfg, scenario=req.overrides)
    dependents = not args.no_dependents and render.adds_dependents(req)
    run = api.Run([str(f) for f in files], options, dependents=dependents, layout=cfg.layout())
    try:
        run.validate()
    except api.CruxmapError as exc:
        raise UsageError(str(exc)) from exc
    ran = list(run)
    by_file = {f: res for f, (res, _) in zip(run.files, ran, strict=True)}
    try:
        jobs = render.dependent_jobs(req, jobs, list(run.added))
    except render.UsageProblem as exc:
        raise UsageError(str(exc)) from exc
    jobs, libraries = render.without_libraries(jobs, lambda f: by_file[f].library)
    # A library is linted, not drawn: only its errors stop the drawing.
    results = [(res.internal, fresh) for res, fresh in ran if not res.library or not res.map.ok]
    broken = [(r, d) for r, d in results if not r.analysed]
    if broken:
        errors = [d for _, diags in broken for d in diags if d.severity is Severity.ERROR]
        print(output.format_text(errors), file=sys.stderr)
        names = ", ".join(output.clean(r.amap.root) for r, _ in broken)
        print(f"cruxmap: not rendered, fix the errors first: {names}; nothing was written",
              file=sys.stderr)  # fmt: skip
        return 2 if any(api.unreadable(d.code) for d in errors) else 1
    notes = sys.stderr if args.output == "-" else sys.stdout
    from cruxmap.formats import added_lines

    for line in added_lines(run, "checked" if args.check else "drawn"):
        print(output.clean(line), file=notes)
    for f in libraries:
        print(f"{render.shown(f)}: a library (imported, no goals of its own): not drawn on its "
              "own; name it in [tool.cruxmap] `roots` to draw it", file=notes)  # fmt: skip
    try:
        rendered = render.render_jobs(
            req, jobs, {f: res.internal for f, res in by_file.items() if not res.library}
        )
        return render.finish(req, rendered, notes)
    except render.RenderError as exc:
        print(f"cruxmap: error: {output.clean(str(exc))}", file=sys.stderr)
        return 2


# --------------------------------------------------------------------------- explore


def cmd_explore(args: argparse.Namespace) -> int:
    """The explorer page lives in cruxmap.explore; this only maps its errors."""
    from cruxmap import explore, output, render

    cfg = _load_config(args)
    try:
        return explore.run(args.paths, args.output, check=args.check, graphviz=args.graphviz,
                           scenario=_parse_overrides(args.overrides), objections=args.objections,
                           depth=cfg.depth, max_order=cfg.max_order, layout=cfg.layout())  # fmt: skip
    except explore.UsageProblem as exc:
        raise UsageError(str(exc)) from exc
    except render.RenderError as exc:
        print(f"cruxmap: error: {output.clean(str(exc))}", file=sys.stderr)
        return 2
