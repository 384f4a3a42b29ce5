"""``cruxmap check``: lint files and analyse robustness to scaling down."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cruxmap.commands.common import (
    UsageError,
    _codes,
    _load_config,
    _parse_overrides,
    add_config,
    add_depth,
    add_max_order,
    add_objections,
    add_set,
)

if TYPE_CHECKING:
    from cruxmap import api
    from cruxmap.core.diagnostics import Diagnostic

FORMATS = ("text", "json", "github", "sarif")  # cruxmap.present.formats registers each


def add_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or directories (default: `paths` from config, else .)",
    )
    check.add_argument(
        "--format", choices=FORMATS, default=None, help="output format (default text)"
    )
    add_set(check, "run a scenario: take CLAIM at LEVEL whatever its routes give; repeatable")
    add_objections(check, "analyse with every standing objection applied")
    add_depth(check, "steps each premise of a cut set is scaled down (default 1)")
    add_max_order(check, "largest cut set listed (default 3)")
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
    add_config(check)
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
    check.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cruxmap import api
    from cruxmap.present import formats

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
        from cruxmap.present.diff import DiffError, only_new

        # The maps added for importing a file named are compared too.
        named = [*paths, *(str(f) for f in run.added)]
        try:
            results = only_new(run, named, options, args.against, args.new_only)
        except DiffError as exc:
            raise UsageError(str(exc)) from exc
    out = formats.get(cfg.format)(sys.stdout, summary=not args.no_summary, quiet=args.quiet,
                                  fail_on=cfg.fail_on)  # fmt: skip
    out.begin(run)
    warned: set[str] = set()
    for result, fresh in results:
        if options.scenario:
            from cruxmap.present.explain import warn_scenario

            warn_scenario(result, warned)
        out.map(result, fresh)
    out.end(run)
    return run.exit_status(cfg.fail_on)
