"""cruxmap: map arguments as claims and reductions, and find their cruxes.

The library API lives in :mod:`cruxmap.api` and is re-exported here::

    import cruxmap
    result = cruxmap.analyse(cruxmap.load("arguments/interpretability.crux"))
"""

from typing import TYPE_CHECKING, Any

from cruxmap.core.version import __version__ as __version__

if TYPE_CHECKING:
    from cruxmap.api import (
        ClaimResult,
        CruxmapError,
        GoalResult,
        Map,
        Options,
        PremiseResult,
        Result,
        Run,
        Session,
        WithObjections,
        analyse,
        check,
        load,
        load_text,
    )


def __getattr__(name: str) -> Any:
    """The API, imported on first use: ``cruxmap --version`` and the
    command-line start-up stay free of it."""
    if name in __all__ and name != "__version__":
        from cruxmap import api

        return getattr(api, name)
    raise AttributeError(f"module 'cruxmap' has no attribute {name!r}")


__all__ = [
    "ClaimResult",
    "CruxmapError",
    "GoalResult",
    "Map",
    "Options",
    "PremiseResult",
    "Result",
    "Run",
    "Session",
    "WithObjections",
    "__version__",
    "analyse",
    "check",
    "load",
    "load_text",
]
