"""The ``cruxmap`` command line.

Exit codes follow ruff and flake8: 0 nothing at or above the failing
severity, 1 findings, 2 the input could not be read or parsed, or the command
was misused. Heavy modules are imported inside the commands so that
``cruxmap --version`` stays instant.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from cruxmap import __version__

if TYPE_CHECKING:
    from cruxmap.config import Config
    from cruxmap.diagnostics import Diagnostic
    from cruxmap.lint import MapResult
    from cruxmap.model import ArgumentMap

FORMATS = ("text", "json", "github", "sarif")


class _Parser(argparse.ArgumentParser):
    """argparse, with user text in its errors (an unknown option may be a
    file name that pre-commit passed) made terminal-safe."""

    def error(self, message: str) -> NoReturn:
        from cruxmap.output import clean

        super().error(clean(message))


class UsageError(Exception):
    """Misuse of the command line: message to stderr, exit 2."""


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {n}")
    return n


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def build_parser() -> argparse.ArgumentParser:
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
                       help="run a scenario: cap CLAIM at LEVEL (a leaf is set to it); repeatable")  # fmt: skip
    check.add_argument(
        "--depth",
        type=_positive,
        default=None,
        help="steps each premise of a cut set is scaled down (default 1)",
    )
    check.add_argument(
        "--max-order", type=_positive, default=None, help="largest cut set listed (default 3)"
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
    parser = build_parser()
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
        from cruxmap.output import clean  # the message may quote user text

        print(f"cruxmap: error: {clean(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    finally:
        if gc_was_enabled:
            gc.enable()


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


def _check_overrides(overrides: dict[str, str], amaps: list[ArgumentMap]) -> None:
    from cruxmap.diagnostics import did_you_mean

    for claim, level in overrides.items():
        maps = [amap for amap in amaps if claim in amap.claims]
        if not maps and amaps:
            names = set().union(*(amap.claims for amap in amaps))
            guess = did_you_mean(claim, names)
            hint = f" (did you mean `{guess}`?)" if guess else ""
            raise UsageError(f"--set {claim}={level}: no claim `{claim}` in the checked maps{hint}")
        for amap in maps:
            if level not in amap.scale:
                guess = did_you_mean(level, set(amap.scale))
                hint = f"did you mean `{guess}`?" if guess else "levels: " + " < ".join(amap.scale)
                raise UsageError(f"--set {claim}={level}: unknown level `{level}` ({hint})")


def run_check(
    paths: list[str], cfg: Config, overrides: dict[str, str]
) -> tuple[list[MapResult], list[list[Diagnostic]], int]:
    """Load, analyse and filter every map; the diagnostics of each map are
    those not already reported for an earlier one."""
    from cruxmap.diagnostics import INPUT_ERRORS, Severity
    from cruxmap.lint import Options, apply_filters, check_map
    from cruxmap.loader import Loader, discover

    files, problems = discover(paths)
    loader = Loader()
    loaded = [loader.load_map(f) for f in files]
    if overrides:
        # Validate --set against the maps before analysing anything.
        _check_overrides(overrides, [amap for amap, _ in loaded])
    results: list[MapResult] = []
    per_map: list[list[Diagnostic]] = []
    seen: set[tuple[object, ...]] = set()
    fail_rank = Severity(cfg.fail_on).rank
    status = 0
    first = True
    documents = loader.documents()  # every file is loaded by now
    for amap, diags in loaded:
        local = {k: v for k, v in overrides.items() if k in amap.claims}
        res = check_map(amap, diags, Options(cfg.depth, cfg.max_order, local))
        kept = apply_filters(res.diagnostics, documents, cfg.select or None, cfg.ignore)
        if first:
            kept = problems + kept
            first = False
        fresh = []
        for d in sorted(kept, key=lambda d: d.sort_key):
            key = (d.code, d.path, d.line, d.column, d.message)
            if key not in seen:
                seen.add(key)
                fresh.append(d)
        results.append(res)
        per_map.append(fresh)
    if not loaded and problems:
        per_map.append(problems)
    for diags in per_map:
        for d in diags:
            if d.code in INPUT_ERRORS:
                status = 2
            elif status == 0 and d.severity.rank >= fail_rank:
                status = 1
    return results, per_map, status


def cmd_check(args: argparse.Namespace) -> int:
    from cruxmap import output
    from cruxmap.report import build_report, dump

    cfg = _load_config(args)
    paths = args.paths or cfg.paths or ["."]
    overrides = _parse_overrides(args.overrides)
    results, per_map, status = run_check(paths, cfg, overrides)
    all_diags = [d for diags in per_map for d in diags]
    fmt = cfg.format
    if fmt == "json":
        reports = [
            dump(build_report(res, diags, {k: v for k, v in overrides.items() if k in res.amap.claims},
                              cfg.depth, cfg.max_order))
            for res, diags in zip(results, per_map, strict=False)
        ]  # fmt: skip
        if len(reports) == 1:
            payload: object = reports[0]
        else:
            payload = {"maps": {r["root"]: r for r in reports}}
            if not results and all_diags:
                payload = {
                    "maps": {},
                    "diagnostics": [d.to_json() for d in all_diags],
                }
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "github":
        text = output.format_github(all_diags)
        if text:
            print(text)
    elif fmt == "sarif":
        from cruxmap.sarif import to_sarif

        sys.stdout.write(json.dumps(to_sarif(all_diags), indent=2, ensure_ascii=False) + "\n")
    else:
        text = output.format_text(all_diags)
        if text:
            print(text)
        if not args.no_summary:
            files = len({f for r in results for f in r.amap.files})
            claims = sum(len(r.amap.claims) for r in results)
            goals = sum(len(r.goals) for r in results)
            line = output.summary(files, len(results), claims, goals, all_diags)
            skipped = [r.amap.root for r in results if not r.analysed]
            if skipped:
                line += f" Not analysed (fix the errors first): {', '.join(output.clean(s) for s in skipped)}."
            if not results and not all_diags:
                line = "No .crux files found."
            print(line)
    return status


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
    from cruxmap import output, render
    from cruxmap.diagnostics import INPUT_ERRORS, Severity

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
    results, per_map, _ = run_check([str(f) for f in files], cfg, req.overrides)
    broken = [(r, d) for r, d in zip(results, per_map, strict=True) if not r.analysed]
    if broken:
        errors = [d for _, diags in broken for d in diags if d.severity is Severity.ERROR]
        print(output.format_text(errors), file=sys.stderr)
        names = ", ".join(output.clean(r.amap.root) for r, _ in broken)
        print(f"cruxmap: not rendered, fix the errors first: {names}; nothing was written",
              file=sys.stderr)  # fmt: skip
        return 2 if any(d.code in INPUT_ERRORS for d in errors) else 1
    try:
        rendered = render.render_jobs(req, jobs, dict(zip(files, results, strict=True)))
        return render.finish(req, rendered, sys.stderr if args.output == "-" else sys.stdout)
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
                           depth=cfg.depth, max_order=cfg.max_order)  # fmt: skip
    except explore.UsageProblem as exc:
        raise UsageError(str(exc)) from exc
    except render.RenderError as exc:
        print(f"cruxmap: error: {output.clean(str(exc))}", file=sys.stderr)
        return 2
