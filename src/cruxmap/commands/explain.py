"""``cruxmap explain``: why each goal holds or fails, as a derivation tree."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cruxmap.commands.common import (
    UsageError,
    _load_config,
    _parse_overrides,
    add_analysis_options,
    report_unanalysed,
)

HELP = "why each goal holds or fails, as a derivation tree"
DESCRIPTION = (
    "Show the derivation behind each goal: the routes, each premise's value "
    "against its threshold, down to the assumptions; margins, cut sets and, with "
    "--repairs, the smallest changes that make a failing goal hold."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="PATH", help="the map's root .crux file")
    p.add_argument("goals", nargs="*", metavar="GOAL", help="goals to explain (default: all)")
    p.add_argument("--format", dest="explain_format", choices=("text", "json", "markdown"),
                   default="text", help="output format (default text)")  # fmt: skip
    p.add_argument("--repairs", action="store_true",
                   help="list minimal repairs of failing goals, and slack for brittle premises")  # fmt: skip
    add_analysis_options(
        p,
        set_help="run a scenario: take CLAIM at LEVEL; repeatable",
        objections_help="explain with every standing objection applied",
        depth_help="steps each premise of a cut set is scaled down (default 1)",
        order_help="largest cut set and repair listed (default 3)",
    )
    p.set_defaults(handler=run, select=None, ignore=None)


def run(args: argparse.Namespace) -> int:
    from cruxmap import api
    from cruxmap.core.diagnostics import Severity
    from cruxmap.core.text import use_colour
    from cruxmap.present.explain import (
        Style,
        _goal_suggestion,
        dumps,
        render_markdown,
        render_text,
        scenario_line,
        to_json,
        warn_scenario,
    )
    from cruxmap.present.output import clean

    cfg = _load_config(args)
    options = api.Options.from_config(
        cfg, scenario=_parse_overrides(args.overrides), objections=args.objections
    )
    path = Path(args.path)
    if path.is_dir():
        raise UsageError(f"{args.path}: explain takes a map's root file, not a directory")
    m = api.load(path)
    if not m.ok:
        errors = [d for d in m.diagnostics if d.severity is Severity.ERROR]
        return report_unanalysed(
            errors, f"cruxmap: cannot explain {clean(m.root)}: fix the errors first"
        )
    try:
        result = api.analyse(m, options)
    except api.CruxmapError as exc:
        raise UsageError(str(exc)) from exc
    for name in args.goals:
        if name not in result.goals:
            raise UsageError(f"no goal `{name}` in {m.root} ({_goal_suggestion(result, name)})")
    warn_scenario(result, set())
    ex, es = result.explain(args.goals, repairs=args.repairs)
    scenario = dict(result.scenario)
    fmt = args.explain_format
    if fmt == "json":
        data = to_json(ex, es, root=m.root, scenario=scenario, depth=options.depth,
                       max_order=options.max_order)  # fmt: skip
        sys.stdout.write(dumps(data) + "\n")
        return 0
    if fmt == "markdown":
        lines = render_markdown(ex, es, root=m.root, depth=options.depth,
                                max_order=options.max_order, show_repairs=args.repairs,
                                scenario=scenario)  # fmt: skip
        sys.stdout.write("\n".join(lines).rstrip("\n") + "\n")
        return 0
    style = Style(use_colour())
    lines = [style.bold(clean(m.root))]
    said = scenario_line(result, scenario, options.objections)
    if said:
        lines.append(clean(said))
    if not es:
        lines.append("No goals (declare one with `goal CLAIM >= LEVEL`).")
    lines.append("")
    lines.extend(render_text(ex, es, style=style, depth=options.depth,
                             max_order=options.max_order, show_repairs=args.repairs))  # fmt: skip
    sys.stdout.write("\n".join(lines).rstrip("\n") + "\n")
    return 0
