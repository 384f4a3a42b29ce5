"""``cruxmap cruxes``: rank the premises by how much the goals depend on them."""

from __future__ import annotations

import argparse
import json
import sys

from cruxmap.commands.common import (
    UsageError,
    _load_config,
    _parse_overrides,
    add_analysis_options,
)

HELP = "rank the premises by how much the goals depend on them"
DESCRIPTION = (
    "Rank premises: goals for which each is brittle, its smallest margin, "
    "goals it is a single point of failure for, and how many cut sets hold it "
    "(see docs/explain.md)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or directories (default: `paths` from config, else .)")  # fmt: skip
    p.add_argument("--format", dest="cruxes_format", choices=("table", "json", "markdown"),
                   default="table", help="output format (default table)")  # fmt: skip
    p.add_argument("--all", dest="include_all", action="store_true",
                   help="also list premises no goal is exposed to")  # fmt: skip
    add_analysis_options(
        p,
        set_help="run a scenario: take CLAIM at LEVEL; repeatable",
        objections_help="rank with every standing objection applied",
        depth_help="steps each premise of a cut set is scaled down (default 1)",
        order_help="largest cut set counted (default 3)",
    )
    p.set_defaults(handler=run, select=None, ignore=None)


def run(args: argparse.Namespace) -> int:
    from cruxmap import api
    from cruxmap.core.diagnostics import Severity
    from cruxmap.present.cruxes import markdown, rank, table, to_json
    from cruxmap.present.output import clean, format_text

    cfg = _load_config(args)
    options = api.Options.from_config(
        cfg, scenario=_parse_overrides(args.overrides), objections=args.objections
    )
    run = api.Run(args.paths or cfg.paths or ["."], options, dependents=False,
                  layout=cfg.layout())  # fmt: skip
    try:
        run.validate()
    except api.CruxmapError as exc:
        raise UsageError(str(exc)) from exc
    from cruxmap.present.explain import warn_scenario

    results = []
    broken = []
    warned: set[str] = set()
    for res, fresh in run:
        if res.library and res.map.ok:
            continue  # linted only: its premises are ranked in the maps importing it
        if options.scenario and res.analysed:
            warn_scenario(res, warned)
        if not res.analysed:
            broken.append(res.map.root)
            errors = [d for d in fresh if d.severity is Severity.ERROR]
            if errors:
                print(format_text(errors), file=sys.stderr)
        elif res.same_as is None:
            results.append(res.internal)
    if run.problems and not run.maps:
        print(format_text(run.problems), file=sys.stderr)
        return 2
    rows, failing = rank(results, include_all=args.include_all)
    fmt = args.cruxes_format
    if fmt == "json":
        data = to_json(rows, failing)
        data["not_analysed"] = broken
        from cruxmap.core.text import json_text

        sys.stdout.write(json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(markdown(rows, failing) + "\n")
    else:
        from cruxmap.present.explain import scenario_text

        said = scenario_text(options.scenario, options.objections)
        if said:
            print(clean(said))
        sys.stdout.write(table(rows, failing) + "\n")
    if broken:
        names = ", ".join(clean(b) for b in broken)
        print(f"cruxmap: not analysed (fix the errors first): {names}", file=sys.stderr)
        return 2 if any(api.unreadable(d.code) for d in run.reported) else 1
    return 0
