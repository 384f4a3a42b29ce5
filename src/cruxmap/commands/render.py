"""``cruxmap render``: draw maps with Graphviz (SVG, DOT or PNG)."""

from __future__ import annotations

import argparse
import sys

from cruxmap.commands.common import (
    UsageError,
    _load_config,
    _parse_overrides,
    add_config,
    add_objections,
    add_set,
    report_unanalysed,
)


def add_arguments(render: argparse.ArgumentParser) -> None:
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
    add_set(render, "draw a scenario: cap CLAIM at LEVEL and mark what changed; repeatable")
    add_objections(render, "draw the objections scenario: every standing objection applied")
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
    add_config(render)
    render.set_defaults(handler=run, select=None, ignore=None)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Plan the outputs, analyse every map, render all in memory, then write:
    a map with errors, or a Graphviz failure, writes nothing."""
    from cruxmap import api
    from cruxmap.core.diagnostics import Severity
    from cruxmap.core.errors import UsageProblem
    from cruxmap.present import output, render

    cfg = _load_config(args)
    mode = "check" if args.check else "update" if args.fail_on_change else "write"
    options = api.Options.from_config(
        cfg, scenario=_parse_overrides(args.overrides), objections=args.objections
    )
    req = render.Request(paths=args.paths, output=args.output, fmt=args.render_format,
                         combine=args.combine, options=options, mode=mode, engine=args.graphviz,
                         part=render.Part(tuple(args.part_goals), args.focus, args.radius)
                         if args.part_goals or args.focus is not None else None)  # fmt: skip
    try:
        jobs = render.plan(req)
    except UsageProblem as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:  # a path that cannot even be looked at (name too long)
        raise UsageError(f"{exc.filename}: {exc.strerror or exc}") from exc
    files = list(dict.fromkeys(f for job in jobs for f, _ in job.maps))
    # The maps are analysed without objections: the drawing applies them.
    options = options.replace(objections=False)
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
    except UsageProblem as exc:
        raise UsageError(str(exc)) from exc
    jobs, libraries = render.without_libraries(jobs, lambda f: by_file[f].library)
    # A library is linted, not drawn: only its errors stop the drawing.
    results = [(res.internal, fresh) for res, fresh in ran if not res.library or not res.map.ok]
    broken = [(r, d) for r, d in results if not r.analysed]
    if broken:
        errors = [d for _, diags in broken for d in diags if d.severity is Severity.ERROR]
        names = ", ".join(output.clean(r.amap.root) for r, _ in broken)
        return report_unanalysed(
            errors, f"cruxmap: not rendered, fix the errors first: {names}; nothing was written"
        )
    notes = sys.stderr if args.output == "-" else sys.stdout
    from cruxmap.present.formats import added_lines

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
