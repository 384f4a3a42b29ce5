"""The one base exception of cruxmap, and the usage problem front ends share.

Every error the library raises derives from :class:`CruxmapError`, so that a
caller (a notebook, an editor plugin) can catch cruxmap's refusals in one
clause without also catching its own bugs. Internal control-flow exceptions
that never leave the library are not errors and stay apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cruxmap.core.diagnostics import Diagnostic


class CruxmapError(Exception):
    """Misuse of the library or command line; ``diagnostics`` says more when
    the problem is in a file."""

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)


class UsageProblem(CruxmapError):
    """A request that cannot be met as asked (``render``, ``explore``): the
    command line reports it as a usage error (exit 2)."""


class CruxmapOSError(OSError, CruxmapError):
    """A file cruxmap refuses (too large to read, not safe to replace): an
    :class:`OSError` first, so that every caller catching ``OSError`` around
    file access keeps catching it with its ``errno`` and ``strerror``."""

    def __init__(self, *args: object) -> None:
        OSError.__init__(self, *args)  # which does not chain on to CruxmapError.__init__
        self.diagnostics = []
