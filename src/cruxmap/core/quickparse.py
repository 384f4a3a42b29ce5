"""A line-at-a-time parser for the plain majority of ``.crux`` files.

Most files written by people and tools use one statement per line, ASCII
IDs, short strings without escapes and attributes that are valid. For such a
file a statement is one regular-expression match and a few objects; the
grammar's LALR parser (``cruxmap.core.parsing``) spends a Python step per token,
which made parsing a third of ``check`` on a 10,000-claim map (issue 8).

The fast path accepts only what it can build *exactly* as the grammar's
parser would (same statements, positions and comments) and gives up on the
whole file at anything else: a non-ASCII or keyword ID, an escape or a
triple-quoted string, an unknown or repeated attribute, a line it does not
recognise, any syntax error. The file then goes to the LALR parser, which
also reports the errors. ``tests/test_quickparse.py`` holds the two to the
same result on the corpus and on random maps. The LALR parser (and lark) is
imported only when a file needs it.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from cruxmap.core.diagnostics import Diagnostic
from cruxmap.core.model import (
    Claim,
    Comment,
    Document,
    Goal,
    Import,
    Loc,
    Objection,
    Premise,
    Reduction,
    Scale,
    Statement,
)
from cruxmap.core.syntax import ATTRIBUTES as ATTRIBUTES  # (re-exported: the parsers' shared table)
from cruxmap.core.syntax import CHOICES as CHOICES
from cruxmap.core.syntax import KEYWORDS as KEYWORDS
from cruxmap.core.syntax import decode as decode
from cruxmap.core.syntax import generated_id_references

_WS = r"[\t \f]*"
_B = r"(?![\w-])"  # an ID or keyword ends here (Unicode-aware: é continues it)
_ID = r"[A-Za-z_][A-Za-z0-9_-]*" + _B
_STR = r'"[^"\\\n]*"'
_END = _WS + r"(?P<cmt>#[^\n\u2028\u2029\x85]*)?"

_CLAIM = re.compile(rf"claim{_B}{_WS}(?P<id>{_ID}){_WS}:{_WS}(?P<s>{_STR}){_END}")
_OBJECTION = re.compile(rf"objection{_B}{_WS}(?P<id>{_ID}){_WS}:{_WS}(?P<s>{_STR}){_END}")
_PREMISE = rf"{_ID}(?:{_WS}>={_WS}{_ID})?"
_REDUCTION = re.compile(
    rf"(?:reduction{_B}{_WS}(?P<id>{_ID}){_WS}:{_WS})?(?P<c>{_ID}){_WS}reduces{_B}{_WS}to{_B}"
    rf"(?P<ps>{_WS}{_PREMISE}(?:{_WS}(?:,|and{_B}){_WS}{_PREMISE})*){_END}"
)
_ONE_PREMISE = re.compile(rf"{_WS}(?:(?:,|and{_B}){_WS})?(?P<p>{_ID})(?:{_WS}>={_WS}(?P<t>{_ID}))?")
_GOAL = re.compile(rf"goal{_B}{_WS}(?P<c>{_ID}){_WS}>={_WS}(?P<l>{_ID}){_END}")
_IMPORT = re.compile(rf"import{_B}{_WS}(?P<s>{_STR}){_END}")
_SCALE = re.compile(rf"scale{_B}{_WS}:(?P<ids>{_WS}{_ID}(?:{_WS}<{_WS}{_ID})*){_END}")
_LEVEL_ID = re.compile(rf"{_WS}<?{_WS}(?P<id>{_ID})")
_ATTRIBUTE = re.compile(
    rf"[\t ]+{_WS}(?P<k>{_ID}){_WS}:{_WS}(?:(?P<s>{_STR})|(?P<ids>{_ID}(?:{_WS},{_WS}{_ID})*)){_END}"
)
_LIST_ID = re.compile(rf"{_WS},?{_WS}(?P<id>{_ID})")
_BLANK_OR_COMMENT = re.compile(_END)

_FORMS = {
    "claim": _CLAIM,
    "objection": _OBJECTION,
    "goal": _GOAL,
    "import": _IMPORT,
    "scale": _SCALE,
}
_LEADING = {k[0]: k for k in _FORMS}  # (their first letters differ)

_KINDS = {
    Claim: "claim_stmt",
    Reduction: "reduction_stmt",
    Goal: "goal_stmt",
    Objection: "objection_stmt",
    Import: "import_stmt",
    Scale: "scale_stmt",
}


#: ``Loc(...)`` without the Python-level ``__new__`` of a named tuple (a
#: 10,000-claim file has 150,000 locations).
_loc: Callable[[tuple[str, int, int, int, int]], Loc] = partial(tuple.__new__, Loc)


class _GiveUp(Exception):
    """The file needs the grammar's parser."""


def parse_text(text: str, path: str) -> tuple[Document, list[Diagnostic]]:
    """Parse one file's text into a document plus its CX001 diagnostics: the
    fast path when the file is plain, else the grammar's parser."""
    lines = text.split("\n")
    # (A lone carriage return is an error the grammar's parser reports.)
    fast = None if "\r" in text else parse_lines(lines, path)
    if fast is None:
        from cruxmap.core.parsing import parse_lalr

        return parse_lalr(text, path)
    statements, comments = fast
    doc = Document(path=path, statements=statements, comments=comments)
    return doc, generated_id_references(comments, lines, path)


def parse_lines(lines: list[str], path: str) -> tuple[list[Statement], list[Comment]] | None:
    """Statements and comments of a plain file (see the module docstring),
    or ``None`` when the file is not plain."""
    # Many small objects and no cycles: the cyclic collector would only
    # rescan them, many times over on a big file.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Lines(lines, path).run()
    except _GiveUp:
        return None
    finally:
        if collecting:
            gc.enable()


class _Lines:
    __slots__ = ("attrs", "comments", "lines", "node", "path", "statements")

    def __init__(self, lines: list[str], path: str) -> None:
        self.lines = lines
        self.path = path
        self.statements: list[Statement] = []
        self.comments: list[Comment] = []
        #: The open statement's attribute lines (line number, match).
        self.attrs: list[tuple[int, re.Match[str]]] = []
        self.node: Any = None

    def run(self) -> tuple[list[Statement], list[Comment]]:
        statements, comments = self.statements, self.comments
        for ln, line in enumerate(self.lines, 1):
            first = line[:1]
            if first in ("", "#", "\t", " ", "\f"):
                m = _BLANK_OR_COMMENT.fullmatch(line)
                if m is not None:
                    cmt = m.start("cmt")
                    if cmt >= 0:
                        comments.append(Comment(line=ln, column=cmt + 1,
                                                text=m.group("cmt").rstrip(), own_line=True))  # fmt: skip
                    continue
                if first not in ("\t", " ") or self.node is None:
                    raise _GiveUp
                m = _ATTRIBUTE.fullmatch(line)
                if m is None:
                    raise _GiveUp
                self.attrs.append((ln, m))
                self.node.end_line = ln
                self._comment(ln, m)
                continue
            self._close()
            node, m = self._statement(ln, line, first)
            node.end_line = ln
            self._comment(ln, m)
            statements.append(node)
            self.node = node
        self._close()
        return statements, comments

    def _statement(self, ln: int, line: str, first: str) -> tuple[Any, re.Match[str]]:
        """The statement a line at column 1 holds: a keyword's form when it
        starts with one, else a reduction (``claimed reduces to ...``)."""
        keyword = _LEADING.get(first)
        if keyword is not None and line.startswith(keyword):
            m = _FORMS[keyword].fullmatch(line)
            if m is not None:
                return self._build(keyword, ln, line, m), m
        m = _REDUCTION.fullmatch(line)
        if m is None:
            raise _GiveUp
        return self._reduction(ln, m), m

    def _build(self, keyword: str, ln: int, line: str, m: re.Match[str]) -> Any:
        path = self.path
        if keyword == "claim":
            return self._claim(Claim, ln, m)
        if keyword == "objection":
            return self._claim(Objection, ln, m)
        if keyword == "goal":
            c, lv = m.group("c"), m.group("l")
            if c in KEYWORDS or lv in KEYWORDS:
                raise _GiveUp
            return Goal(
                loc=_loc((path, ln, 1, ln, m.end("c") + 1)), claim=c, required=lv,
                claim_loc=_loc((path, ln, m.start("c") + 1, ln, m.end("c") + 1)),
                required_loc=_loc((path, ln, m.start("l") + 1, ln, m.end("l") + 1)),
            )  # fmt: skip
        if keyword == "import":
            s = _loc((path, ln, m.start("s") + 1, ln, m.end("s") + 1))
            node = Import(loc=_loc((path, ln, 1, ln, s.end_column)), target=m.group("s")[1:-1])
            node.attr_locs["target"] = s
            return node
        levels, locs = [], []
        for lm in _parts(_LEVEL_ID, line, m, "ids", "id"):
            levels.append(lm.group("id"))
            locs.append(_loc((path, ln, lm.start("id") + 1, ln, lm.end("id") + 1)))
        return Scale(
            loc=_loc((path, ln, 1, ln, locs[-1].end_column)), levels=levels, level_locs=locs
        )

    def _comment(self, ln: int, m: re.Match[str]) -> None:
        cmt = m.start("cmt")
        if cmt >= 0:
            self.comments.append(
                Comment(line=ln, column=cmt + 1, text=m.group("cmt").rstrip(), own_line=False)
            )

    def _claim(self, kind: type[Claim] | type[Objection], ln: int, m: re.Match[str]) -> Any:
        name = m.group("id")
        if name in KEYWORDS:
            raise _GiveUp
        id_loc = _loc((self.path, ln, m.start("id") + 1, ln, m.end("id") + 1))
        node = kind(loc=_loc((self.path, ln, 1, ln, id_loc.end_column)), id=name,
                    text=m.group("s")[1:-1])  # fmt: skip
        node.attr_locs["id"] = id_loc
        return node

    def _reduction(self, ln: int, m: re.Match[str]) -> Reduction:
        path, line = self.path, self.lines[ln - 1]
        rid = m.group("id")
        conclusion = m.group("c")
        if conclusion in KEYWORDS or rid in KEYWORDS:
            raise _GiveUp
        c_loc = _loc((path, ln, m.start("c") + 1, ln, m.end("c") + 1))
        premises = []
        for pm in _parts(_ONE_PREMISE, line, m, "ps", "p", "t"):
            claim, level = pm.group("p"), pm.group("t")
            premises.append(Premise(
                claim=claim, threshold=level,
                loc=_loc((path, ln, pm.start("p") + 1, ln, pm.end("p") + 1)),
                threshold_loc=None if level is None else _loc((path, ln, pm.start("t") + 1, ln, pm.end("t") + 1)),
            ))  # fmt: skip
        if rid is None:
            node = Reduction(loc=c_loc, id="", explicit_id=False, conclusion=conclusion,
                             conclusion_loc=c_loc, premises=premises)  # fmt: skip
        else:
            id_loc = _loc((path, ln, m.start("id") + 1, ln, m.end("id") + 1))
            node = Reduction(loc=_loc((path, ln, 1, ln, id_loc.end_column)), id=rid, explicit_id=True,
                             conclusion=conclusion, conclusion_loc=c_loc, premises=premises)  # fmt: skip
            node.attr_locs["id"] = id_loc
        return node

    def _close(self) -> None:
        """Apply the open statement's attribute lines (valid ones only)."""
        if not self.attrs:
            return
        node, path = self.node, self.path
        allowed = ATTRIBUTES[_KINDS[type(node)]]
        seen: set[str] = set()
        for ln, m in self.attrs:
            name = m.group("k")
            want = allowed.get(name)
            if want is None or name in seen:
                raise _GiveUp
            seen.add(name)
            node.attr_locs[name] = _loc((path, ln, m.start("k") + 1, ln, m.end("k") + 1))
            s = m.group("s")
            if want == "string":
                if s is None:
                    raise _GiveUp
                setattr(node, name, s[1:-1])
                continue
            if s is not None:
                raise _GiveUp
            ids = _parts(_LIST_ID, self.lines[ln - 1], m, "ids", "id")
            if want == "ids":
                setattr(node, name, [im.group("id") for im in ids])
                continue
            if len(ids) != 1:  # a level, one ID or a choice
                raise _GiveUp
            im = ids[0]
            if want == "choice" and im.group("id") not in CHOICES[name]:
                raise _GiveUp
            node.attr_locs[name] = _loc((path, ln, im.start("id") + 1, ln, im.end("id") + 1))
            setattr(node, name, im.group("id"))
        self.attrs = []


def _parts(
    pattern: re.Pattern[str], line: str, m: re.Match[str], group: str, *names: str
) -> list[re.Match[str]]:
    """The consecutive matches of ``pattern`` that make up ``m``'s ``group``
    (a list of levels, premises or IDs); give up if one of their ``names``
    groups is a keyword."""
    out = []
    at, stop = m.start(group), m.end(group)
    while at < stop:
        part = pattern.match(line, at, stop)
        if part is None:  # pragma: no cover - the whole line matched
            raise _GiveUp
        if any(part.group(n) in KEYWORDS for n in names):
            raise _GiveUp
        out.append(part)
        at = part.end()
    return out
