"""``cruxmap fmt``: rewrite .crux files in the canonical layout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cruxmap.commands.common import UsageError


def add_arguments(fmt: argparse.ArgumentParser) -> None:
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
    fmt.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cruxmap import config, formatting, output
    from cruxmap.loader import discover, display_path

    paths: list[str] = args.paths
    if not paths:
        try:
            paths = list(config.load().paths) or ["."]
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
