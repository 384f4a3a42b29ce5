"""The argument model: what a ``.crux`` file says, independent of its layout.

Every object carries the position it was written at, so that any later
finding (a brittle premise, a failing goal) can point back at the text.

Plain slotted dataclasses: the grammar already guarantees the types, and a
10,000-claim map builds tens of thousands of these, so validation (pydantic
stays at the boundaries: configuration and the JSON report) would only cost
start-up and parse time. Keyword-only, so that fields can be added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

DEFAULT_SCALE: tuple[str, ...] = ("none", "partial", "good", "great", "near_perfect", "perfect")


class Loc(NamedTuple):
    """A position in a file (a tuple: large maps have many).

    ``line`` and ``column`` are 1-based; columns count Unicode code points.
    ``end_line``/``end_column`` end the range (exclusive); 0 when unknown.
    """

    path: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    @property
    def start(self) -> tuple[str, int, int]:
        """Path, line and column: the position without its extent."""
        return (self.path, self.line, self.column)


@dataclass(slots=True, kw_only=True)
class Node:
    loc: Loc
    #: Last line of the whole statement, attribute lines included.
    end_line: int = 0
    #: Where each attribute was written, for precise diagnostics.
    attr_locs: dict[str, Loc] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class Scale(Node):
    levels: list[str]
    level_locs: list[Loc] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Import(Node):
    target: str


@dataclass(slots=True, kw_only=True)
class Claim(Node):
    id: str
    text: str
    source: str | None = None
    assume: str | None = None
    tags: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass(slots=True, kw_only=True)
class Premise:
    claim: str
    #: ``None`` means no ``>= LEVEL`` was written: the threshold is top.
    threshold: str | None = None
    loc: Loc
    threshold_loc: Loc | None = None


@dataclass(slots=True, kw_only=True)
class Reduction(Node):
    id: str
    #: False when the ID was generated as ``CONCLUSION#N``.
    explicit_id: bool
    conclusion: str
    conclusion_loc: Loc
    premises: list[Premise]
    #: ``None`` means top.
    yields: str | None = None
    because: str | None = None
    source: str | None = None
    note: str | None = None


@dataclass(slots=True, kw_only=True)
class Goal(Node):
    claim: str
    required: str
    claim_loc: Loc
    required_loc: Loc
    note: str | None = None
    #: ``expect:`` as written: ``"fails"`` for a goal recorded to show that
    #: it fails (a critique); ``None`` (not written) or ``"holds"`` otherwise.
    expect: str | None = None
    #: True for goals the SPEC derives when a map declares none.
    implicit: bool = False

    @property
    def expected(self) -> str:
        """What the map expects of the goal: ``"holds"`` (the default) or ``"fails"``."""
        return self.expect or "holds"


def as_expected(expected: str, holds: bool, holds_with_objections: bool) -> bool:
    """Whether a goal's outcome is what its map expects: a goal expected to
    hold must hold (in the analysed scenario); one expected to fail (a
    critique) must fail there or once the standing objections are applied."""
    if expected == "fails":
        return not (holds and holds_with_objections)
    return holds


def verdict(expected: str, holds: bool, holds_with_objections: bool) -> str:
    """A goal's outcome in words, its expectation included: ``holds``,
    ``fails``, ``fails as expected``, ``fails with objections, as expected``
    or ``holds, expected to fail`` (a stale critique)."""
    if expected != "fails":
        return "holds" if holds else "fails"
    if not holds:
        return "fails as expected"
    if not holds_with_objections:
        return "fails with objections, as expected"
    return "holds, expected to fail"


@dataclass(slots=True, kw_only=True)
class Objection(Node):
    id: str
    text: str
    against: str | None = None
    caps: str | None = None
    source: str | None = None
    note: str | None = None


Statement = Scale | Import | Claim | Reduction | Goal | Objection


@dataclass(slots=True, kw_only=True)
class Comment:
    """A comment as written, kept for the formatter and ignore markers."""

    line: int
    column: int
    text: str
    #: True when nothing but whitespace precedes it on its line.
    own_line: bool


@dataclass(slots=True, kw_only=True)
class Document:
    """One parsed file, statements in source order."""

    path: str
    statements: list[Statement] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class ArgumentMap:
    """A root file and everything it imports: one namespace of IDs."""

    root: str
    files: list[str] = field(default_factory=list)
    scale: list[str] = field(default_factory=lambda: list(DEFAULT_SCALE))
    scale_declared: bool = False
    claims: dict[str, Claim] = field(default_factory=dict)
    reductions: dict[str, Reduction] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    objections: dict[str, Objection] = field(default_factory=dict)

    def level_index(self, name: str | None, default_top: bool = True) -> int:
        """Position of a level on the scale; ``None`` is top (or bottom)."""
        if name is None:
            return len(self.scale) - 1 if default_top else 0
        return self.scale.index(name)

    @property
    def top(self) -> int:
        return len(self.scale) - 1
