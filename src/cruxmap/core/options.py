"""The analysis options: one frozen object, validated once, passed whole.

The command line, the config file, the library, the language server and the
explorer all build this one :class:`Options` (like black's ``Mode``), and
the engine, the renderer and the explorer read it as given, so that no layer
re-declares its fields or renames them on the way down.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cruxmap.core.errors import CruxmapError

if TYPE_CHECKING:
    from cruxmap.core.config import Config
    from cruxmap.core.model import ArgumentMap

__all__ = ["Options"]


@dataclass(frozen=True, slots=True)
class Options:
    """How to analyse, passed whole (like black's ``Mode``)."""

    #: ``--set``: claim ID -> level name, each claim taken at that level.
    scenario: Mapping[str, str] = field(default_factory=dict)
    #: Analyse with every standing objection applied.
    objections: bool = False
    #: Steps each premise of a cut set is scaled down.
    depth: int = 1
    #: Largest cut set listed.
    max_order: int = 3
    #: Only these codes (or prefixes); empty: all.
    select: tuple[str, ...] = ()
    #: Never these codes (or prefixes).
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse options that mean nothing, naming the field, rather than
        give depth-1 results for ``depth=0`` or fail deep in the engine with
        a raw ``TypeError`` for ``depth="2"``."""
        for name in ("depth", "max_order"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise CruxmapError(f"Options.{name} must be a whole number >= 1, got {value!r}")
            object.__setattr__(self, name, int(value))
        if not isinstance(self.objections, bool):
            raise CruxmapError(f"Options.objections must be True or False, got {self.objections!r}")
        if not isinstance(self.scenario, Mapping):
            raise CruxmapError(
                "Options.scenario must be a mapping of claim ID to level name "
                f"(such as {{'interp': 'good'}}), got {self.scenario!r}"
            )
        for claim, level in self.scenario.items():
            if not isinstance(claim, str) or not isinstance(level, str):
                raise CruxmapError(
                    "Options.scenario must map claim IDs to level names (strings), "
                    f"got {claim!r}: {level!r}"
                )
        for name in ("select", "ignore"):
            codes = getattr(self, name)
            if isinstance(codes, str) or not isinstance(codes, Iterable):
                raise CruxmapError(
                    f"Options.{name} must be a tuple of codes or prefixes "
                    f"(such as ('CX1',)), got {codes!r}"
                )
            codes = tuple(codes)
            if not all(isinstance(c, str) for c in codes):
                raise CruxmapError(f"Options.{name} must hold strings, got {codes!r}")
            object.__setattr__(self, name, codes)

    def key(self) -> tuple[object, ...]:
        """A hashable form (the scenario is a mapping)."""
        return (
            tuple(sorted(self.scenario.items())),
            self.objections,
            self.depth,
            self.max_order,
            self.select,
            self.ignore,
        )

    def replace(self, **changes: Any) -> Options:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_config(cls, cfg: Config, **changes: Any) -> Options:
        """The options ``[tool.cruxmap]`` asks for, with ``changes`` on top."""
        base = cls(
            depth=cfg.depth,
            max_order=cfg.max_order,
            select=tuple(cfg.select),
            ignore=tuple(cfg.ignore),
        )
        return base.replace(**changes) if changes else base

    def for_map(self, amap: ArgumentMap) -> dict[str, str]:
        """The part of the scenario that names claims of ``amap`` (a run over
        several maps applies each override where the claim exists)."""
        return {c: lv for c, lv in self.scenario.items() if c in amap.claims}
