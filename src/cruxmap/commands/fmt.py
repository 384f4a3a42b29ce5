"""``cruxmap fmt``: rewrite .crux files in the canonical layout."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
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
    from cruxmap.core import config
    from cruxmap.core.loader import discover, display_path
    from cruxmap.present import output

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
    status = format_files(targets, check=args.check, diff=args.diff)
    return 2 if problems else status


def _fail(shown: str, why: str) -> str:
    print(f"error: cannot format {shown}: {why}", file=sys.stderr)
    return "failed"


def _format_one(shown: str, path: Path | None, *, check: bool, diff: bool) -> str:
    """Format one file (``path`` None: standard input); the outcome word."""
    from cruxmap.core import formatting
    from cruxmap.core.files import write_atomic
    from cruxmap.core.loader import escapes_project, links_to_non_crux, read_source
    from cruxmap.core.text import clean
    from cruxmap.present import output

    shown = clean(shown)  # a file name reaches the terminal
    if path is not None and escapes_project(path):
        return _fail(shown, "symlink resolves outside the project root; not read")
    if path is not None and links_to_non_crux(path):
        return _fail(shown, "a link to a file that is not a .crux file; not read")
    try:
        data = sys.stdin.buffer.read() if path is None else read_source(path)
    except OSError as exc:
        return _fail(shown, f"cannot read it: {exc.strerror or exc}")
    try:
        result = formatting.format_bytes(data, shown)
    except formatting.SyntaxProblem as exc:
        print(output.format_text(exc.diagnostics), file=sys.stderr)
        return _fail(shown, "it has syntax errors; left unchanged")
    except formatting.InternalError as exc:
        return _fail(
            shown,
            f"INTERNAL ERROR: {exc}. Nothing was written. This is a bug in cruxmap fmt; "
            "please report it with the file attached.",
        )
    encoded = result.encode("utf-8")
    changed = encoded != data
    if diff and changed:
        sys.stdout.write(formatting.unified_diff(data, result, shown))
        sys.stdout.flush()
    if check or diff:
        if changed:
            print(f"would reformat {shown}", file=sys.stderr)
        return "changed" if changed else "unchanged"
    if path is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(encoded)
        sys.stdout.buffer.flush()
    elif changed:
        try:
            write_atomic(path, encoded, follow_symlinks=True)
        except OSError as exc:
            return _fail(shown, f"cannot write it: {exc.strerror or exc}; left unchanged")
    if changed:
        print(f"reformatted {shown}", file=sys.stderr)
    return "changed" if changed else "unchanged"


def format_files(
    files: list[tuple[str, Path | None]], *, check: bool = False, diff: bool = False
) -> int:
    """Format (shown name, path) pairs, a path of None being standard input.

    Formatted stdin and diffs go to stdout, everything else to stderr, as
    black does. Exit status: 2 if a file could not be formatted, else 1 if
    ``check``/``diff`` found a file to change, else 0.
    """
    counts = Counter(_format_one(shown, path, check=check, diff=diff) for shown, path in files)
    dry = check or diff

    def n(k: int) -> str:
        return f"{k} file{'' if k == 1 else 's'}"

    parts = []
    if counts["changed"]:
        parts.append(n(counts["changed"]) + (" would be reformatted" if dry else " reformatted"))
    if counts["unchanged"]:
        parts.append(n(counts["unchanged"]) + (" already formatted" if dry else " left unchanged"))
    if counts["failed"]:
        parts.append(n(counts["failed"]) + " could not be formatted")
    print((", ".join(parts) or "No .crux files found") + ".", file=sys.stderr)
    if counts["failed"]:
        return 2
    return 1 if dry and counts["changed"] else 0
