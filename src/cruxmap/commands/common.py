"""What the commands share: the parser class, the analysis options declared
once (``--set``, ``--objections``, ``--depth``, ``--max-order``,
``--config``), config loading, usage errors and the unanalysed-map report.

Heavy modules are imported inside the functions so that building the
parser (``cruxmap --version``, ``cruxmap check`` in a hook) stays instant.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from cruxmap.core.errors import CruxmapError

if TYPE_CHECKING:
    from cruxmap.core.config import Config
    from cruxmap.core.diagnostics import Diagnostic


class _Parser(argparse.ArgumentParser):
    """argparse, with user text in its errors (an unknown option may be a
    file name that pre-commit passed) made terminal-safe."""

    def error(self, message: str) -> NoReturn:
        from cruxmap.present.output import clean

        super().error(clean(message))


class UsageError(CruxmapError):
    """Misuse of the command line: message to stderr, exit 2."""


def _bounded(top: int) -> Callable[[str], int]:
    """argparse type: a whole number from 1 to ``top``."""

    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
        if not 1 <= n <= top:
            raise argparse.ArgumentTypeError(f"expected a number from 1 to {top}, got {n}")
        return n

    return parse


_positive = _bounded(2**63 - 1)
_depth = _order = _positive  # the analysis bounds its own work (docs/engine.md)


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


# Each option is declared here once; a command adds the ones it takes, in
# the order its --help lists them, with its own wording of the help.


def add_set(p: argparse.ArgumentParser, help: str) -> None:
    """``--set CLAIM=LEVEL`` (repeatable), into ``args.overrides``."""
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="CLAIM=LEVEL",
                   help=help)  # fmt: skip


def add_objections(p: argparse.ArgumentParser, help: str) -> None:
    """``--objections``: analyse with every standing objection applied."""
    p.add_argument("--objections", action="store_true", help=help)


def add_depth(p: argparse.ArgumentParser, help: str) -> None:
    """``--depth``: steps each premise of a cut set is scaled down."""
    p.add_argument("--depth", type=_depth, default=None, help=help)


def add_max_order(p: argparse.ArgumentParser, help: str) -> None:
    """``--max-order``: the largest cut set listed."""
    p.add_argument("--max-order", type=_order, default=None, help=help)


def add_config(p: argparse.ArgumentParser) -> None:
    """``--config``: the pyproject.toml to read ``[tool.cruxmap]`` from."""
    p.add_argument("--config", type=Path, default=None,
                   help="pyproject.toml to read [tool.cruxmap] from")  # fmt: skip


def add_analysis_options(
    p: argparse.ArgumentParser,
    *,
    set_help: str,
    objections_help: str,
    depth_help: str,
    order_help: str,
) -> None:
    """The options that choose what is analysed, as ``explain``, ``cruxes``
    and ``diff`` take them: ``--set``, ``--objections``, ``--depth``,
    ``--max-order`` and ``--config``. Each command words its own help."""
    add_set(p, set_help)
    add_objections(p, objections_help)
    add_depth(p, depth_help)
    add_max_order(p, order_help)
    add_config(p)


def _load_config(args: argparse.Namespace) -> Config:
    from cruxmap.core import config

    changes: dict[str, Any] = {}
    try:
        cfg = config.load(args.config)
        if args.select:
            changes["select"] = config.check_codes(args.select, "--select")
        if args.ignore:
            changes["ignore"] = (*cfg.ignore, *config.check_codes(args.ignore, "--ignore"))
    except config.ConfigError as exc:
        raise UsageError(str(exc)) from exc
    for name in ("depth", "max_order", "fail_on", "format"):
        value = getattr(args, name, None)
        if value is not None:
            changes[name] = value
    return dataclasses.replace(cfg, **changes)


def _parse_overrides(raw: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw:
        claim, sep, level = item.partition("=")
        claim, level = claim.strip(), level.strip()
        if not sep or not claim or not level:
            raise UsageError(f"--set {item!r}: expected CLAIM=LEVEL, e.g. --set interp=good")
        out[claim] = level
    return out


def report_unanalysed(errors: Sequence[Diagnostic], message: str) -> int:
    """A map that could not be analysed: its errors and ``message`` (already
    terminal-safe) to stderr; exit 2 if a file could not be read, else 1."""
    from cruxmap import api
    from cruxmap.present.output import format_text

    print(format_text(list(errors)), file=sys.stderr)
    print(message, file=sys.stderr)
    return 2 if any(api.unreadable(d.code) for d in errors) else 1
