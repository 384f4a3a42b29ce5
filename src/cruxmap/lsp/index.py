"""What one ``.crux`` text says, indexed by position, for editor features.

Built from the parser's model (the statements that parse; a statement with a
syntax error is simply absent), so every feature that needs only the text
(symbols, folding, semantic tokens, definitions, references, rename,
completion) works without the analysis and on a file that does not parse as
a whole. Positions here are 0-based lines and 0-based code-point columns;
the server converts them to the client's position encoding at the edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cruxmap.api import CruxmapError
from cruxmap.core.diagnostics import Diagnostic
from cruxmap.core.model import (
    DEFAULT_SCALE,
    Claim,
    Document,
    Goal,
    Import,
    Loc,
    Objection,
    Reduction,
    Scale,
    Statement,
)
from cruxmap.core.quickparse import ATTRIBUTES, KEYWORDS, parse_text

IDENT = re.compile(r"[^\W\d][\w-]*")
#: One lexical token of the language, for highlighting; unterminated strings
#: run to the end of their line (or, for ``\"\"\"``, of the text).
TOKEN = re.compile(
    r"(?P<comment>#[^\n]*)"
    r'|(?P<string>"""(?:[^"\\]|\\[\s\S]|"(?!""))*(?:"""|\Z)|"(?:[^"\\\n]|\\.)*"?)'
    r"|(?P<ident>[^\W\d][\w-]*)"
    r"|(?P<op>>=|<|:|,)"
)

#: Kinds of names. ``target`` is an objection's ``against:``, which may name
#: a claim, a reduction or an objection.
CLAIM, REDUCTION, OBJECTION, LEVEL, TARGET = "claim", "reduction", "objection", "level", "target"
NAME_KINDS = (CLAIM, REDUCTION, OBJECTION)


class Refused(CruxmapError):
    """A request that cannot be served, with the reason for the user."""


@dataclass(slots=True, frozen=True)
class Occurrence:
    """A name written in the text: its place, what kind of name it is, and
    whether this is where it is declared."""

    line: int
    col: int
    name: str
    kind: str
    decl: bool = False

    @property
    def end(self) -> int:
        return self.col + len(self.name)

    def matches(self, kind: str) -> bool:
        """Whether this occurrence can refer to a name of ``kind``."""
        if self.kind == TARGET:
            return kind in NAME_KINDS
        return self.kind == kind


@dataclass(slots=True)
class Span:
    """One statement: its kind, name, first and last line."""

    kind: str
    name: str
    start: int
    end: int
    statement: Statement


@dataclass
class FileIndex:
    path: Path
    text: str
    version: int | None
    lines: list[str]
    document: Document
    diagnostics: list[Diagnostic]
    occurrences: list[Occurrence] = field(default_factory=list)
    by_line: dict[int, list[Occurrence]] = field(default_factory=dict)
    #: name -> (kind, declaring occurrence, statement), claims, explicit
    #: reductions and objections declared in this file.
    definitions: dict[str, tuple[str, Occurrence, Statement]] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)
    #: (target as written, 0-based line, column of the string)
    imports: list[tuple[str, int, int]] = field(default_factory=list)
    scale: Scale | None = None

    def at(self, line: int, col: int) -> Occurrence | None:
        """The name occurrence covering (line, col), touching its end too."""
        for occ in self.by_line.get(line, ()):
            if occ.col <= col <= occ.end:
                return occ
        return None

    def span_at(self, line: int) -> Span | None:
        """The statement whose lines include ``line`` (binary search)."""
        lo, hi = 0, len(self.spans)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.spans[mid].end < line:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self.spans) and self.spans[lo].start <= line <= self.spans[lo].end:
            return self.spans[lo]
        return None

    @property
    def levels(self) -> list[str]:
        return list(self.scale.levels) if self.scale is not None else list(DEFAULT_SCALE)


def clean_text(text: str) -> str:
    """The text as the parser reads it: no BOM, LF line ends (CRLF keeps
    the line numbering, so positions still agree with the client's)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n")


def build(path: Path, text: str, version: int | None = None) -> FileIndex:
    """Parse ``text`` (the file at ``path``) and index every name in it."""
    text = clean_text(text)
    document, diagnostics = parse_text(text, str(path))
    idx = FileIndex(
        path=path,
        text=text,
        version=version,
        lines=text.split("\n"),
        document=document,
        diagnostics=diagnostics,
    )
    occ = idx.occurrences

    def add(loc: Loc | None, name: str | None, kind: str, decl: bool = False) -> Occurrence | None:
        if loc is None or name is None:
            return None
        o = Occurrence(loc.line - 1, loc.column - 1, name, kind, decl)
        occ.append(o)
        return o

    def define(name: str, kind: str, o: Occurrence | None, st: Statement) -> None:
        if o is not None and name not in idx.definitions:
            idx.definitions[name] = (kind, o, st)

    for st in document.statements:
        end = max(st.end_line, st.loc.line) - 1
        if isinstance(st, Claim):
            define(st.id, CLAIM, add(st.attr_locs.get("id"), st.id, CLAIM, True), st)
            add(st.attr_locs.get("assume"), st.assume, LEVEL)
            idx.spans.append(Span(CLAIM, st.id, st.loc.line - 1, end, st))
        elif isinstance(st, Reduction):
            name = st.id or ""
            if st.explicit_id:
                define(st.id, REDUCTION, add(st.attr_locs.get("id"), st.id, REDUCTION, True), st)
            else:
                name = f"{st.conclusion} reduces to ..."
            add(st.conclusion_loc, st.conclusion, CLAIM)
            for p in st.premises:
                add(p.loc, p.claim, CLAIM)
                add(p.threshold_loc, p.threshold, LEVEL)
            add(st.attr_locs.get("yields"), st.yields, LEVEL)
            idx.spans.append(Span(REDUCTION, name, st.loc.line - 1, end, st))
        elif isinstance(st, Goal):
            add(st.claim_loc, st.claim, CLAIM)
            add(st.required_loc, st.required, LEVEL)
            idx.spans.append(Span("goal", st.claim, st.loc.line - 1, end, st))
        elif isinstance(st, Objection):
            define(st.id, OBJECTION, add(st.attr_locs.get("id"), st.id, OBJECTION, True), st)
            add(st.attr_locs.get("against"), st.against, TARGET)
            add(st.attr_locs.get("caps"), st.caps, LEVEL)
            idx.spans.append(Span(OBJECTION, st.id, st.loc.line - 1, end, st))
        elif isinstance(st, Scale):
            for level, loc in zip(st.levels, st.level_locs, strict=False):
                add(loc, level, LEVEL, True)
            if idx.scale is None:
                idx.scale = st
            idx.spans.append(Span("scale", " < ".join(st.levels), st.loc.line - 1, end, st))
        elif isinstance(st, Import):
            loc = st.attr_locs.get("target", st.loc)
            idx.imports.append((st.target, loc.line - 1, loc.column - 1))
            idx.spans.append(Span("import", st.target, st.loc.line - 1, end, st))
    occ.sort(key=lambda o: (o.line, o.col))
    for o in occ:
        idx.by_line.setdefault(o.line, []).append(o)
    idx.spans.sort(key=lambda s: s.start)
    return idx


def word_at(line: str, col: int) -> tuple[str, int] | None:
    """The identifier under (or just before) column ``col`` of ``line``,
    with its start column; ``None`` in a string, comment or on punctuation."""
    for m in TOKEN.finditer(line):
        if m.start() > col:
            break
        if m.start() <= col <= m.end() and m.lastgroup == "ident":
            return m.group(), m.start()
        if m.start() <= col < m.end():
            return None
    return None


def statement_kind_above(lines: list[str], line: int) -> str | None:
    """The kind of statement an indented line at ``line`` belongs to, read
    from the nearest statement line above (it may not parse yet)."""
    for i in range(min(line, len(lines) - 1), -1, -1):
        text = lines[i]
        if not text or text[0] in " \t#":
            continue
        word = IDENT.match(text)
        if word is None:
            return None
        first = word.group()
        if first in ("claim", "goal", "objection", "scale", "import", "reduction"):
            return first
        if " reduces " in text or text.rstrip().endswith(" reduces"):
            return "reduction"
        return None
    return None


def attributes_for(kind: str) -> list[str]:
    """Attribute names a statement kind accepts (the parser's own table)."""
    return list(ATTRIBUTES.get(f"{kind}_stmt", {}))


def is_keyword(word: str) -> bool:
    return word in KEYWORDS
