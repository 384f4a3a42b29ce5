"""The argument model: what a ``.crux`` file says, independent of its layout.

Every object carries the position it was written at, so that any later
finding (a brittle premise, a failing goal) can point back at the text.
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_SCALE: tuple[str, ...] = ("none", "partial", "good", "great", "near_perfect", "perfect")


class Loc(NamedTuple):
    """A 1-based position in a file (a tuple: large maps have many)."""

    path: str
    line: int
    column: int


class Node(BaseModel):
    model_config = ConfigDict(frozen=False)

    loc: Loc
    #: First and last line of the whole statement, attribute lines included.
    end_line: int = 0
    #: Where each attribute was written, for precise diagnostics.
    attr_locs: dict[str, Loc] = Field(default_factory=dict)


class Scale(Node):
    levels: list[str]
    level_locs: list[Loc] = Field(default_factory=list)


class Import(Node):
    target: str


class Claim(Node):
    id: str
    text: str
    source: str | None = None
    assume: str | None = None
    tags: list[str] = Field(default_factory=list)
    note: str | None = None


class Premise(BaseModel):
    claim: str
    #: ``None`` means no ``>= LEVEL`` was written: the threshold is top.
    threshold: str | None = None
    loc: Loc
    threshold_loc: Loc | None = None


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


class Goal(Node):
    claim: str
    required: str
    claim_loc: Loc
    required_loc: Loc
    note: str | None = None
    #: True for goals the SPEC derives when a map declares none.
    implicit: bool = False


class Objection(Node):
    id: str
    text: str
    against: str | None = None
    caps: str | None = None
    source: str | None = None
    note: str | None = None


Statement = Scale | Import | Claim | Reduction | Goal | Objection


class Comment(BaseModel):
    """A comment as written, kept for the formatter and ignore markers."""

    line: int
    column: int
    text: str
    #: True when nothing but whitespace precedes it on its line.
    own_line: bool


class Document(BaseModel):
    """One parsed file, statements in source order."""

    path: str
    statements: list[Statement] = Field(default_factory=list)
    comments: list[Comment] = Field(default_factory=list)


class ArgumentMap(BaseModel):
    """A root file and everything it imports: one namespace of IDs."""

    root: str
    files: list[str] = Field(default_factory=list)
    scale: list[str] = Field(default_factory=lambda: list(DEFAULT_SCALE))
    scale_declared: bool = False
    claims: dict[str, Claim] = Field(default_factory=dict)
    reductions: dict[str, Reduction] = Field(default_factory=dict)
    goals: list[Goal] = Field(default_factory=list)
    objections: dict[str, Objection] = Field(default_factory=dict)

    def level_index(self, name: str | None, default_top: bool = True) -> int:
        """Position of a level on the scale; ``None`` is top (or bottom)."""
        if name is None:
            return len(self.scale) - 1 if default_top else 0
        return self.scale.index(name)

    @property
    def top(self) -> int:
        return len(self.scale) - 1
