"""``cruxmap lsp``: run the language server (stdio), for editors."""

from __future__ import annotations

import argparse


def add_arguments(lsp: argparse.ArgumentParser) -> None:
    lsp.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cruxmap.lsp import main as serve

    return serve()
