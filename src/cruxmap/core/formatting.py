"""``cruxmap fmt``: one canonical layout for ``.crux`` files, comments kept.

The output is generated from the parsed model, never by editing the input
text, so it cannot depend on how the input was spaced. Comments are attached
by line number to the statement or attribute they sit on or above and move
with it. Before anything is written the output is parsed again and must give
the same model, the same comments in the same places, and itself when
formatted once more; otherwise nothing is written and the user is asked to
report a bug. Lines are never wrapped: the language has no line
continuation (an indented line is an attribute line). The rules are
documented in docs/language.md, "Layout (cruxmap fmt)".
"""

from __future__ import annotations

import difflib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from cruxmap.core.diagnostics import Diagnostic
from cruxmap.core.errors import CruxmapError
from cruxmap.core.model import Claim, Document, Goal, Import, Objection, Reduction, Scale, Statement
from cruxmap.core.quickparse import ATTRIBUTES, decode, parse_text

INDENT = "    "

_KIND: dict[type, str] = {
    Scale: "scale_stmt",
    Import: "import_stmt",
    Claim: "claim_stmt",
    Reduction: "reduction_stmt",
    Goal: "goal_stmt",
    Objection: "objection_stmt",
}


class SyntaxProblem(CruxmapError):
    """The input does not decode or parse; it is left as it is."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


class InternalError(CruxmapError):
    """The output failed the safety check: a formatter bug, nothing written."""


# --------------------------------------------------------------------------- strings


def quote(text: str) -> str:
    """A string literal that parses back to exactly ``text``.

    ``"..."`` with only ``\\\\`` and ``\\"`` escaped, unless the text has a line
    break that can be written as one; then ``\"\"\"...\"\"\"``. A carriage return
    has no escape and a short string cannot hold it, so it forces the long form.
    """
    if "\r" in text or any(_literal_break(text, i) for i, ch in enumerate(text) if ch == "\n"):
        return _long(text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _literal_break(text: str, i: int) -> bool:
    """Whether the newline at ``text[i]`` may be written as a real line break:
    not after whitespace (it would be trailing whitespace) nor after a
    carriage return (the pair would be read back as one CRLF line end)."""
    return i == 0 or text[i - 1] == "\n" or not text[i - 1].isspace()


def _long(text: str) -> str:
    """Built right to left so that a quote is escaped exactly when the two
    characters after it are quotes (counting the closing ones): only then
    would it end the string early."""
    pieces: list[str] = []
    after = '""'  # the first two characters of what follows, closing quotes included
    for i in range(len(text) - 1, -1, -1):
        ch = text[i]
        if ch == "\\":
            piece = "\\\\"
        elif ch == '"':
            piece = '\\"' if after == '""' else '"'
        elif ch == "\n" and not _literal_break(text, i):
            piece = "\\n"
        else:
            piece = ch
        pieces.append(piece)
        after = (piece + after)[:2]
    return '"""' + "".join(reversed(pieces)) + '"""'


# --------------------------------------------------------------------------- layout


@dataclass
class _Element:
    """A statement's first line, or one attribute line, with its comments."""

    key: str | None  # None for the statement line itself
    leading: list[str] = field(default_factory=list)  # own-line comments above an attribute
    eol: list[str] = field(default_factory=list)  # end-of-line comment


@dataclass
class _Block:
    """One statement with the comments and blank lines that belong to it."""

    statement: Statement
    head: _Element
    attrs: list[_Element]  # canonical order
    leading: list[str | None] = field(default_factory=list)  # None: a blank line
    blank_above: bool = False  # a blank line was written above `leading`
    blank_below: bool = False  # ... or between `leading` and the statement
    trailing: list[str] = field(default_factory=list)  # indented comments just below

    @property
    def has_body(self) -> bool:
        """Whether indented lines follow the statement line."""
        return bool(self.attrs or self.trailing)


@dataclass
class _Layout:
    blocks: list[_Block]
    footer: list[str | None]
    footer_blank_above: bool


def _present(st: Statement) -> list[tuple[str, str, Any]]:
    """(key, value kind, value) of each attribute written, in canonical order:
    the order ``parsing.ATTRIBUTES`` lists them."""
    if type(st) not in _KIND:
        raise InternalError(f"no layout for a {type(st).__name__} statement")
    found = []
    for key, kind in ATTRIBUTES[_KIND[type(st)]].items():
        value = getattr(st, key, None)
        if value is not None and value != []:
            found.append((key, kind, value))
    return found


def _attach(doc: Document, text: str) -> _Layout:
    """Give every comment and blank line of ``text`` its owner.

    Inside a statement, an end-of-line comment belongs to the line it ends
    and an own-line comment to the attribute below it. Between statements,
    indented comments directly below a statement stay with it; the rest lead
    the next statement, or end the file.
    """
    lines = text.split("\n")
    own = {c.line: c for c in doc.comments if c.own_line}
    eol = {c.line: c for c in doc.comments if not c.own_line}
    blocks: list[_Block] = []
    prev_end = 0

    def gap(first: int, last: int) -> list[tuple[str, bool] | None]:
        """Lines between statements: (comment, indented), or None if blank."""
        items: list[tuple[str, bool] | None] = []
        for ln in range(first, last + 1):
            if ln in own:
                items.append((own[ln].text, own[ln].column > 1))
            elif not lines[ln - 1].strip(" \t\f"):
                items.append(None)
            else:
                raise InternalError(f"line {ln} belongs to no statement")
        return items

    def split(items: list[tuple[str, bool] | None]) -> list[tuple[str, bool] | None]:
        """Move the indented comments right below the last block into it."""
        n = 0
        while blocks and n < len(items) and (item := items[n]) is not None and item[1]:
            blocks[-1].trailing.append(item[0])
            n += 1
        return items[n:]

    for st in doc.statements:
        start, end = st.loc.line, max(st.end_line, st.loc.line)
        head = _Element(None)
        attrs = [_Element(key) for key, _, _ in _present(st)]
        starts = sorted(
            [(start, head)]
            + [(st.attr_locs[a.key].line, a) for a in attrs if a.key in st.attr_locs],
            key=lambda pair: pair[0],
        )
        for ln in range(start, end + 1):
            if ln in own:
                below = [el for s, el in starts if s > ln]
                if not below:
                    raise InternalError(f"comment on line {ln} has no attribute below it")
                below[0].leading.append(own[ln].text)
            elif ln in eol:
                [el for s, el in starts if s <= ln][-1].eol.append(eol[ln].text)
        block = _Block(st, head, attrs)
        block.leading, block.blank_above, block.blank_below = _paragraphs(
            split(gap(prev_end + 1, start - 1))
        )
        blocks.append(block)
        prev_end = end
    footer, footer_above, _ = _paragraphs(split(gap(prev_end + 1, len(lines))))
    return _Layout(blocks, footer, footer_above)


def _paragraphs(items: list[tuple[str, bool] | None]) -> tuple[list[str | None], bool, bool]:
    """Comments with each run of blank lines between them as one ``None``;
    and whether blank lines came before the first and after the last."""
    comments: list[str | None] = []
    pending = False
    for item in items:
        if item is None:
            pending = bool(comments)
            continue
        if pending:
            comments.append(None)
            pending = False
        comments.append(item[0])
    if not comments:
        return [], False, False
    return comments, items[0] is None, items[-1] is None


def _head(st: Statement) -> str:
    if isinstance(st, Scale):
        return "scale: " + " < ".join(st.levels)
    if isinstance(st, Import):
        return f"import {quote(st.target)}"
    if isinstance(st, Claim):
        return f"claim {st.id}: {quote(st.text)}"
    if isinstance(st, Reduction):
        premises = ", ".join(
            p.claim if p.threshold is None else f"{p.claim} >= {p.threshold}" for p in st.premises
        )
        named = f"reduction {st.id}: " if st.explicit_id else ""
        return f"{named}{st.conclusion} reduces to {premises}"
    if isinstance(st, Goal):
        return f"goal {st.claim} >= {st.required}"
    if isinstance(st, Objection):
        return f"objection {st.id}: {quote(st.text)}"
    raise InternalError(f"no layout for a {type(st).__name__} statement")


def _value(kind: str, value: Any) -> str:
    if kind == "string":
        return quote(value)
    if kind == "ids":
        return ", ".join(value)
    return str(value)


def _with(code: str, comments: list[str]) -> str:
    return code + "".join("  " + c for c in comments)


def _separated(a: _Block, b: _Block) -> bool:
    """The blank-line rule: one blank line between statements, except in a
    run of statements of one kind that have no indented lines."""
    return type(a.statement) is not type(b.statement) or a.has_body or b.has_body


def _render(layout: _Layout) -> str:
    out: list[str] = []
    prev: _Block | None = None
    for block in layout.blocks:
        if prev is not None and (_separated(prev, block) or (block.leading and block.blank_above)):
            out.append("")
        out.extend(c or "" for c in block.leading)
        if block.leading and block.blank_below:
            out.append("")
        out.append(_with(_head(block.statement), block.head.eol))
        values = {key: _value(kind, v) for key, kind, v in _present(block.statement)}
        for el in block.attrs:
            assert el.key is not None
            out.extend(INDENT + c for c in el.leading)
            out.append(_with(f"{INDENT}{el.key}: {values[el.key]}", el.eol))
        out.extend(INDENT + c for c in block.trailing)
        prev = block
    if layout.footer:
        if prev is not None and layout.footer_blank_above:
            out.append("")
        out.extend(c or "" for c in layout.footer)
    return "\n".join(out) + "\n" if out else ""


# --------------------------------------------------------------------------- safety

_POSITIONS = frozenset({"loc", "end_line", "attr_locs", "level_locs"})


#: Per model class, the fields that say something (no positions); ``None``
#: for values that are not model objects.
_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _meaningful(cls: type) -> tuple[str, ...] | None:
    if cls not in _FIELDS:
        _FIELDS[cls] = (
            tuple(
                f.name
                for f in fields(cls)
                if f.name not in _POSITIONS and not f.name.endswith("_loc")
            )
            if is_dataclass(cls)
            else None
        )
    return _FIELDS[cls]


def _strip(value: Any) -> Any:
    cls = type(value)
    if cls is list:
        return [_strip(v) for v in value]
    names = _FIELDS[cls] if cls in _FIELDS else _meaningful(cls)
    if names is None:
        return value
    return {name: _strip(getattr(value, name)) for name in names}


def meaning(doc: Document) -> list[tuple[str, Any]]:
    """What a document says, with every position left out."""
    return [(type(st).__name__, _strip(st)) for st in doc.statements]


def _places(layout: _Layout) -> list[Any]:
    """Each comment with its owner, in owner order."""
    places: list[Any] = []
    for i, b in enumerate(layout.blocks):
        places.append((i, [c for c in b.leading if c is not None], b.head.eol, b.trailing))
        places.extend((i, a.key, a.leading, a.eol) for a in b.attrs)
    places.append(("end", [c for c in layout.footer if c is not None]))
    return places


def _spans(doc: Document) -> list[list[str]]:
    """The comments inside each statement's lines, which is what decides
    which statement a ``# cruxmap: ignore[...]`` comment applies to."""
    found = sorted((c.line, c.text) for c in doc.comments)
    lines = [line for line, _ in found]
    return [
        sorted(
            t for _, t in found[bisect_left(lines, st.loc.line) : bisect_right(lines, st.end_line)]
        )
        for st in doc.statements
    ]


def _verify(doc: Document, layout: _Layout, result: str, path: str) -> None:
    again, diagnostics = parse_text(result, path)
    if diagnostics:
        raise InternalError(f"the output does not parse ({diagnostics[0].message})")
    if meaning(again) != meaning(doc):
        raise InternalError("the output means something else")
    if sorted(c.text for c in again.comments) != sorted(c.text for c in doc.comments):
        raise InternalError("a comment was lost or changed")
    relaid = _attach(again, result)
    if _places(relaid) != _places(layout) or _spans(again) != _spans(doc):
        raise InternalError("a comment moved to another statement or attribute")
    if _render(relaid) != result:
        raise InternalError("formatting the output again changes it")


# --------------------------------------------------------------------------- entry points


def format_text(text: str, path: str) -> str:
    """The canonical layout of already decoded text (LF line ends, no BOM)."""
    doc, diagnostics = parse_text(text, path)
    errors = [d for d in diagnostics if d.code == "CX001"]
    if errors:
        raise SyntaxProblem(errors)
    layout = _attach(doc, text)
    result = _render(layout)
    _verify(doc, layout, result, path)
    return result


def format_bytes(data: bytes, path: str) -> str:
    """The canonical layout of a file's bytes (UTF-8; BOM and CRLF dropped)."""
    text, problem = decode(data, path)
    if problem is not None:
        raise SyntaxProblem([problem])
    assert text is not None
    return format_text(text, path)


def _lines(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def unified_diff(old: bytes, new: str, shown: str) -> str:
    """A diff ``git apply`` takes; CR and BOM changes show as changed lines."""
    before = old.decode("utf-8", errors="replace")
    out: list[str] = []
    for line in difflib.unified_diff(_lines(before), _lines(new), f"a/{shown}", f"b/{shown}"):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
