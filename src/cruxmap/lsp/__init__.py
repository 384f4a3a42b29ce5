"""``cruxmap lsp``: a language server for ``.crux`` files over stdio.

pygls and lsprotocol are imported only here, so the other commands start
without them.
"""

from __future__ import annotations


def main() -> int:
    """Run the server until the client asks it to exit."""
    from cruxmap.lsp.server import main as serve

    return serve()
