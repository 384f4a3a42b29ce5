"""``cruxmap explore``: write an interactive HTML page to explore a map's scenarios."""

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
)


def add_arguments(explore: argparse.ArgumentParser) -> None:
    explore.add_argument("paths", nargs="+", metavar="PATH", help="a .crux file or a directory")
    explore.add_argument("-o", "--output", metavar="OUT", default=None,
                         help="output file; a directory for several maps; - for stdout "
                         "(default: next to each map, .html)")  # fmt: skip
    add_set(explore, "open the page in this scenario when its address has none")
    add_objections(explore, "open the page with the standing objections applied")
    explore.add_argument("--check", action="store_true",
                         help="write nothing; exit 1 naming pages that are stale or missing")  # fmt: skip
    explore.add_argument("--graphviz", metavar="PROGRAM", default=None,
                         help="dot, graphviz-pure, or a path (as for render)")  # fmt: skip
    add_config(explore)
    explore.set_defaults(handler=run, select=None, ignore=None)


def run(args: argparse.Namespace) -> int:
    """The explorer page lives in cruxmap.present.explore; this only maps its errors."""
    from cruxmap import api
    from cruxmap.core.errors import UsageProblem
    from cruxmap.present import explore, output, render

    cfg = _load_config(args)
    try:
        options = api.Options.from_config(
            cfg, scenario=_parse_overrides(args.overrides), objections=args.objections
        )
        return explore.run(args.paths, args.output, check=args.check, graphviz=args.graphviz,
                           options=options, layout=cfg.layout())  # fmt: skip
    except UsageProblem as exc:
        raise UsageError(str(exc)) from exc
    except render.RenderError as exc:
        print(f"cruxmap: error: {output.clean(str(exc))}", file=sys.stderr)
        return 2
