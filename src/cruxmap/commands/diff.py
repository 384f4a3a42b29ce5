"""``cruxmap diff``: what a change did to robustness (against a git revision, or two files)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cruxmap.commands.common import UsageError, _parse_overrides, add_analysis_options

HELP = "what a change did to robustness (against a git revision, or two files)"
DESCRIPTION = (
    "Compare each map at a git revision (default: the merge base with the "
    "default branch, else HEAD) with the working tree, or two files OLD.crux NEW.crux: "
    "goals that stopped holding, premises that became brittle, margins, cut sets, "
    "objections and the claims and reductions themselves. See docs/diff.md."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or directories (default: `paths` from config, else .); "
                   "two files and no --against: compare them")  # fmt: skip
    p.add_argument("--against", metavar="REV", default=None,
                   help="git revision to compare with (default: merge base with the default branch, else HEAD)")  # fmt: skip
    p.add_argument("--format", dest="diff_format", choices=("text", "json", "markdown"), default="text",
                   help="output format (default text; markdown: a pull-request comment)")  # fmt: skip
    p.add_argument("--fail-on", dest="diff_fail_on", choices=("any", "regression", "never"), default="regression",
                   help="exit 1 on any change, on a regression (default), or never")  # fmt: skip
    add_analysis_options(
        p,
        set_help="compare in a scenario (both sides); repeatable",
        objections_help="compare with every standing objection applied (both sides)",
        depth_help="cut-set depth (default: config, else 1)",
        order_help="largest cut set (default: config, else 3)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cruxmap.api import Options
    from cruxmap.core import config
    from cruxmap.core.text import json_text, use_colour
    from cruxmap.present.diff import (
        DiffError,
        _there,
        diff_files,
        diff_revision,
        format_markdown,
        format_text,
    )

    try:
        cfg = config.load(args.config)
    except config.ConfigError as exc:
        raise UsageError(str(exc)) from exc
    options = Options(
        scenario=_parse_overrides(args.overrides),
        objections=args.objections,
        depth=args.depth or cfg.depth,
        max_order=args.max_order or cfg.max_order,
    )
    paths: list[str] = args.paths
    try:
        if (
            len(paths) == 2
            and args.against is None
            and all(_there(Path(p), Path.is_file) for p in paths)
        ):
            report = diff_files(Path(paths[0]), Path(paths[1]), options)
        else:
            report = diff_revision(paths or list(cfg.paths) or ["."], args.against, options)
    except DiffError as exc:
        raise UsageError(str(exc)) from exc
    if args.diff_format == "json":
        import json

        text = json_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif args.diff_format == "markdown":
        text = format_markdown(report).rstrip("\n")
    else:
        text = format_text(report, colour=use_colour(sys.stdout))
    sys.stdout.write(text + "\n")
    return report.exit_status(args.diff_fail_on)
