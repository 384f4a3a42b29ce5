"""The ``cruxmap`` command line: one module per command (its arguments and
its run), the parser built from them here, and ``main``.

Exit codes follow ruff and flake8: 0 nothing at or above the failing
severity, 1 findings, 2 the input could not be read or parsed, or the command
was misused. Heavy modules are imported inside the commands so that
``cruxmap --version`` stays instant.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

from cruxmap import __version__
from cruxmap.commands import check, explore, fmt, lsp, render, rules
from cruxmap.commands.common import UsageError, _Parser

#: The one-line help of the commands whose parsers are built only when they
#: run: `check` in a pre-commit hook should not pay for `diff` (start-up, issue 8).
LAZY_COMMANDS = {
    "explain": "why each goal holds or fails, as a derivation tree",
    "cruxes": "rank the premises by how much the goals depend on them",
    "diff": "what a change did to robustness (against a git revision, or two files)",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``command``: the one about to run (its
    module's parser is built in full, the lazy others' only listed)."""
    parser = _Parser(
        prog="cruxmap",
        description="Map arguments as claims and reductions; find the premises they cannot afford to see weakened.",
    )
    parser.add_argument("--version", action="version", version=f"cruxmap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check.add_arguments(sub.add_parser(
        "check",
        help="lint files and analyse robustness to scaling down",
        description="Lint .crux files and report which premises each goal cannot afford to see weakened.",
    ))  # fmt: skip
    fmt.add_arguments(sub.add_parser(
        "fmt",
        help="rewrite .crux files in the canonical layout",
        description="Rewrite .crux files in one canonical layout, keeping every comment. "
        "Formatted standard input and diffs go to stdout, reports to stderr.",
    ))  # fmt: skip
    render.add_arguments(sub.add_parser(
        "render",
        help="draw maps with Graphviz (SVG, DOT or PNG)",
        description="Draw each map: claims with their levels, reductions with each premise's "
        "threshold, goals, margins, brittle premises and objections, with a legend.",
    ))  # fmt: skip
    explore.add_arguments(sub.add_parser(
        "explore",
        help="write an interactive HTML page to explore a map's scenarios",
        description="Write one self-contained HTML page per map: the drawing, with a level "
        "picker on every claim that re-evaluates the map in the page.",
    ))  # fmt: skip
    for name, summary in LAZY_COMMANDS.items():
        if name != command:
            sub.add_parser(name, help=summary)  # for --help; never dispatched
        else:
            module = importlib.import_module(f"cruxmap.commands.{name}")
            module.add_arguments(
                sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
            )
    rules.add_arguments(sub.add_parser("rules", help="list the diagnostic codes, or explain one"))
    lsp.add_arguments(sub.add_parser(
        "lsp",
        help="run the language server (stdio), for editors",
        description="Serve the Language Server Protocol over standard input and output (see docs/editors.md).",
    ))  # fmt: skip
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
    from cruxmap.present.output import clean  # the message may quote user text

    print(f"cruxmap: error: {clean(str(exc))}", file=sys.stderr)
    return 2
