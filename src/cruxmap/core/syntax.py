"""What both parsers of ``.crux`` text share: the attribute table, the
choices and keywords, decoding bytes to text, and the check for generated
reduction IDs written as names.

It sits below ``cruxmap.core.quickparse`` (the line-at-a-time fast path) and
``cruxmap.core.parsing`` (the grammar's parser) so that each can use it without
importing the other: the fast path hands a file to the grammar's parser
when it gives up, and the grammar's parser needs the same tables.
"""

from __future__ import annotations

import re

from cruxmap.core import diagnostics as dg
from cruxmap.core.diagnostics import Diagnostic
from cruxmap.core.model import Comment

#: Attributes each statement takes, and the kind of value (the grammar
#: accepts any ``key: value`` line; the parsers check it against this).
ATTRIBUTES: dict[str, dict[str, str]] = {
    "claim_stmt": {"source": "string", "assume": "level", "tags": "ids", "note": "string"},
    "reduction_stmt": {
        "yields": "level",
        "because": "string",
        "source": "string",
        "note": "string",
    },
    "goal_stmt": {"expect": "choice", "note": "string"},
    "objection_stmt": {"against": "id", "caps": "level", "source": "string", "note": "string"},
    "import_stmt": {},
    "scale_stmt": {},
}

#: The values a ``choice`` attribute takes, the default first.
CHOICES: dict[str, tuple[str, ...]] = {"expect": ("holds", "fails")}

#: The grammar's keywords: an ID spelled like one is a keyword to its lexer.
KEYWORDS = frozenset(
    ("scale", "import", "claim", "reduction", "reduces", "to", "and", "goal", "objection")
)


_GENERATED_ID = re.compile(r"[\w-]+$")


def generated_id_references(
    comments: list[Comment], lines: list[str], path: str
) -> list[Diagnostic]:
    """``b#1`` written as a name reads as ``b`` plus a comment; say so
    rather than let an objection silently hit the claim ``b``."""
    found = []
    for c in comments:
        if not c.text[1:2].isdigit():
            continue
        before = lines[c.line - 1][: c.column - 1]
        m = _GENERATED_ID.search(before)
        if m and re.match(r"#\d+\b", c.text):
            name = m.group(0) + re.match(r"#\d+", c.text).group(0)  # type: ignore[union-attr]
            found.append(
                dg.make(
                    "CX001", path, c.line, m.start() + 1,
                    f"`{name}` cannot be written: `#` starts a comment, so generated reduction IDs cannot be named",
                    suggestion=f"give the reduction a name (`reduction NAME: {m.group(0)} reduces to ...`) and use it",
                    excerpt=lines[c.line - 1], end_line=c.line, end_column=m.start() + 1 + len(name),
                )
            )  # fmt: skip
    return found


def decode(data: bytes, path: str) -> tuple[str | None, Diagnostic | None]:
    """UTF-8 (BOM ignored) with CRLF folded to LF; a bad byte is CX001."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, dg.make(
            "CX001",
            path,
            line,
            column,
            f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            suggestion="save the file as UTF-8",
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n"), None
