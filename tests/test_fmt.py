"""``cruxmap fmt``: golden layouts, and properties over generated maps.

The generator below writes random ``.crux`` text with every statement kind,
attributes in random order, random spacing and indentation, both premise
separators, both string forms, CRLF and BOM, and comments in every position.
Each comment carries a tag naming where it must end up; the checks here are
written independently of the formatter's own safety check.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cruxmap.core.formatting import format_bytes, format_text, quote
from cruxmap.core.model import Document
from cruxmap.core.parsing import decode
from cruxmap.core.quickparse import parse_text

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "fmt_golden"


# --------------------------------------------------------------------------- checks


def _parse(data: bytes, path: str = "t.crux") -> tuple[str, Document]:
    text, problem = decode(data, path)
    assert problem is None and text is not None
    doc, diagnostics = parse_text(text, path)
    assert diagnostics == [], diagnostics
    return text, doc


def _strip(value: Any) -> Any:
    """A model dump without positions."""
    if isinstance(value, dict):
        return {
            k: _strip(v)
            for k, v in value.items()
            if k not in ("loc", "end_line", "attr_locs", "level_locs") and not k.endswith("_loc")
        }
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _model(doc: Document) -> list[Any]:
    return [(type(s).__name__, _strip(dataclasses.asdict(s))) for s in doc.statements]


def _in_span(doc: Document) -> list[list[str]]:
    """Comment texts inside each statement's lines (what ignore comments see)."""
    return [
        sorted(c.text for c in doc.comments if s.loc.line <= c.line <= s.end_line)
        for s in doc.statements
    ]


def assert_formats_safely(data: bytes) -> str:
    """Format ``data`` and check the output: layout hygiene, same model, same
    comments in the same statements, and a fixed point."""
    _, before = _parse(data)
    out = format_bytes(data, "t.crux")
    assert not out.startswith("\ufeff") and "\r\n" not in out
    assert out == "" or (out.endswith("\n") and not out.endswith("\n\n"))
    assert not out.startswith("\n")
    for line in out.split("\n"):
        assert not line.endswith((" ", "\t", "\r")), repr(line)
    _, after = _parse(out.encode())
    assert _model(after) == _model(before)
    assert sorted((c.text, c.own_line) for c in after.comments) == sorted(
        (c.text, c.own_line) for c in before.comments
    )
    assert _in_span(after) == _in_span(before)
    assert format_text(out, "t.crux") == out
    return out


# --------------------------------------------------------------------------- golden

GOLDEN_CASES = sorted(p.stem for p in GOLDEN.glob("*.input"))


def test_golden_cases_exist() -> None:
    assert len(GOLDEN_CASES) >= 7
    for name in GOLDEN_CASES:
        assert (GOLDEN / f"{name}.expected").exists(), name


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden(name: str) -> None:
    data = (GOLDEN / f"{name}.input").read_bytes()
    expected = (GOLDEN / f"{name}.expected").read_text("utf-8")
    assert assert_formats_safely(data) == expected
    assert format_text(expected, "t.crux") == expected


def test_attribute_order_is_the_documented_one() -> None:
    src = (
        'claim c: "c"\n    note: "n"\n    tags: t\n    assume: good\n    source: "s"\n'
        'r reduces to c\n    note: "n"\n    source: "s"\n    because: "b"\n    yields: good\n'
        'objection o: "o"\n    note: "n"\n    source: "s"\n    caps: good\n    against: c\n'
    )
    keys = [ln.split(":")[0].strip() for ln in format_text(src, "t").split("\n") if ln[:1] == " "]
    claim, reduction, objection = keys[:4], keys[4:8], keys[8:]
    assert claim == ["source", "assume", "tags", "note"]
    assert reduction == ["yields", "because", "source", "note"]
    assert objection == ["against", "caps", "source", "note"]


def test_crlf_bom_and_tabs() -> None:
    data = b'\xef\xbb\xbfclaim a: "x"\r\n\tsource: "s"   \r\ngoal a >= good'
    assert format_bytes(data, "t") == 'claim a: "x"\n    source: "s"\n\ngoal a >= good\n'


def test_empty_and_blank_files() -> None:
    assert format_text("", "t") == ""
    assert format_text("\n\n  \n", "t") == ""


def test_eol_comment_after_multiline_string_stays_after_it() -> None:
    src = 'claim a: "x"\n    note: """one\ntwo"""  # after\n    source: "s"\n'
    assert (
        format_text(src, "t")
        == 'claim a: "x"\n    source: "s"\n    note: """one\ntwo"""  # after\n'
    )


# --------------------------------------------------------------------------- strings

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30) | st.text(
    st.sampled_from(list('"\\\n\r \t#ab')), max_size=12
)


@given(_TEXT)
@settings(max_examples=300, deadline=None)
def test_quote_round_trips(text: str) -> None:
    """Any text written by ``quote`` reads back identically, through the file
    encoding too (CRLF folding would otherwise eat a CR before a newline)."""
    literal = quote(text)
    _, doc = _parse(f"claim a: {literal}\n".encode())
    assert doc.statements[0].text == text  # type: ignore[union-attr]
    long_form = literal.startswith('"""')
    assert long_form == ("\r" in text or "\n" in literal)
    for line in literal.split("\n")[:-1]:
        assert not line.endswith((" ", "\t", "\r"))


def test_quote_minimal_escapes() -> None:
    assert quote('say "hi"') == '"say \\"hi\\""'
    assert quote("a\\b") == '"a\\\\b"'
    assert quote("a\nb") == '"""a\nb"""'
    assert quote('x\n"') == '"""x\n\\""""'
    assert quote('x\n""y') == '"""x\n""y"""'
    assert quote('x\n"""y') == '"""x\n\\"""y"""'  # one escape: the run then ends in "y
    assert quote("a \nb") == '"a \\nb"'


# --------------------------------------------------------------------------- generator

IDS = ["a", "b", "full_interp", "near-perfect", "x_1", "αλήθεια", "_u"]
LEVELS = ["none", "partial", "good", "great", "perfect", "lvl-2"]
ATTRS = {
    "claim": {"source": "string", "assume": "level", "tags": "ids", "note": "string"},
    "reduction": {"yields": "level", "because": "string", "source": "string", "note": "string"},
    "goal": {"note": "string"},
    "objection": {"against": "id", "caps": "level", "source": "string", "note": "string"},
    "scale": {},
    "import": {},
}
WS = st.sampled_from(["", " ", "  ", "\t", " \t ", " \f"])
WS1 = st.sampled_from([" ", "  ", "\t", " \t"])
INDENT = st.sampled_from([" ", "    ", "\t", "  \t", "        ", "\t\t"])
COMMENT_TEXT = st.text(st.sampled_from(list('ab #"\\\té✓:[]')), max_size=8)
STRING_TEXT = st.text(st.sampled_from([*'ab "\\\n\t#é✓', "\r"]), max_size=12)
TRAILING = st.sampled_from(["", " ", "\t"])
_TAG = re.compile(r"<c(\d+)>")


@dataclass
class Generated:
    data: bytes
    #: comment tag -> where it must end up
    anchors: dict[int, tuple[Any, ...]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Generated({self.data!r})"


def _literal(draw: st.DrawFn, text: str) -> str:
    """``text`` as a random valid string literal (either form)."""
    if "\r" not in text and draw(st.booleans()):
        body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{body}"'
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append(draw(st.sampled_from(["\n", "\\n"])))
        else:
            out.append(ch)
    return '"""' + "".join(out) + '"""'


@st.composite
def sources(draw: st.DrawFn) -> Generated:
    gen = Generated(b"")
    tags = iter(range(10**6))
    lines: list[str] = []

    def comment(anchor: tuple[Any, ...]) -> str:
        tag = next(tags)
        gen.anchors[tag] = anchor
        suffix = draw(
            st.sampled_from(["", "", "", " # cruxmap: ignore[CX201]", " cruxmap: ignore"])
        )
        return f"#{draw(COMMENT_TEXT)}<c{tag}>{suffix}{draw(TRAILING)}"

    def eol(anchor: tuple[Any, ...]) -> str:
        return draw(WS) + comment(anchor) if draw(st.integers(0, 3)) == 0 else draw(WS)

    def blanks() -> None:
        lines.extend(draw(st.sampled_from(["", " ", "\t"])) for _ in range(draw(st.integers(0, 2))))

    kinds = draw(st.lists(st.sampled_from(list(ATTRS)), max_size=8))
    for i, kind in enumerate(kinds):
        blank_before = bool(draw(st.integers(0, 2)))
        if blank_before or i == 0:
            blanks()
        for _ in range(draw(st.integers(0, 2))):
            # Indented only where no statement is directly above, else it
            # would be that statement's trailing comment.
            indent = draw(INDENT) if (i == 0 or lines[-1:] == [""]) and draw(st.booleans()) else ""
            lines.append(indent + comment(("lead", i)))
            if draw(st.integers(0, 4)) == 0:
                lines.append("")
        lines.append(_head(draw, kind) + eol(("eol", i, None)))
        keys = draw(st.permutations(list(ATTRS[kind])))
        keys = keys[: draw(st.integers(0, len(keys)))]
        for key in keys:
            for _ in range(draw(st.integers(0, 1))):
                lines.append(
                    draw(st.sampled_from(["", " ", "    ", "\t"])) + comment(("before", i, key))
                )
            if draw(st.integers(0, 5)) == 0:
                lines.append(draw(st.sampled_from(["", "  "])))
            value = _value(draw, ATTRS[kind][key])
            lines.append(f"{draw(INDENT)}{key}{draw(WS)}:{draw(WS)}{value}" + eol(("eol", i, key)))
        for _ in range(draw(st.integers(0, 1))):
            lines.append(draw(INDENT) + comment(("trail", i)))
    if draw(st.booleans()):
        blanks()
        for _ in range(draw(st.integers(0, 2))):
            lines.append(comment(("end",)))
            blanks()
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    gen.data = data
    return gen


def _value(draw: st.DrawFn, kind: str) -> str:
    if kind == "string":
        return _literal(draw, draw(STRING_TEXT))
    if kind == "level":
        return draw(st.sampled_from(LEVELS))
    if kind == "id":
        return draw(st.sampled_from(IDS))
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=3))
    return ",".join(f"{draw(WS)}{x}{draw(WS)}" for x in ids)


def _head(draw: st.DrawFn, kind: str) -> str:
    ident = st.sampled_from(IDS)
    level = st.sampled_from(LEVELS)
    if kind == "scale":
        levels = draw(st.lists(level, min_size=1, max_size=4))
        return "scale" + draw(WS) + ":" + "<".join(f"{draw(WS)}{x}{draw(WS)}" for x in levels)
    if kind == "import":
        return "import" + draw(WS1) + _literal(draw, draw(STRING_TEXT))
    if kind in ("claim", "objection"):
        text = _literal(draw, draw(STRING_TEXT))
        return f"{kind}{draw(WS1)}{draw(ident)}{draw(WS)}:{draw(WS)}{text}"
    if kind == "goal":
        return f"goal{draw(WS1)}{draw(ident)}{draw(WS)}>={draw(WS)}{draw(level)}"
    head = ""
    if draw(st.booleans()):
        head = f"reduction{draw(WS1)}{draw(ident)}{draw(WS)}:{draw(WS)}"
    head += f"{draw(ident)}{draw(WS1)}reduces{draw(WS1)}to{draw(WS1)}"
    for j in range(draw(st.integers(1, 4))):
        if j:
            head += draw(st.sampled_from([f"{draw(WS)},{draw(WS)}", f"{draw(WS1)}and{draw(WS1)}"]))
        head += draw(ident)
        if draw(st.booleans()):
            head += f"{draw(WS)}>={draw(WS)}{draw(level)}"
    return head


# --------------------------------------------------------------------------- properties


def _check_places(out: str, gen: Generated) -> None:
    """Every comment sits where its tag says, and comments sharing a place
    keep their order."""
    _, doc = _parse(out.encode())
    lines = out.split("\n")
    comment_lines = {c.line for c in doc.comments if c.own_line}
    seen: dict[tuple[Any, ...], list[int]] = {}
    for c in doc.comments:
        m = _TAG.search(c.text)
        assert m, c.text
        tag = int(m.group(1))
        anchor = gen.anchors.pop(tag)
        seen.setdefault(anchor, []).append(tag)
        where = anchor[0]
        if where in ("eol", "before"):
            s = doc.statements[anchor[1]]
            starts = sorted(
                [(s.loc.line, None)] + [(loc.line, k) for k, loc in s.attr_locs.items()
                                        if k not in ("id", "target")]
            )  # fmt: skip
            assert s.loc.line <= c.line <= s.end_line
            if where == "eol":
                assert not c.own_line
                assert [k for line, k in starts if line <= c.line][-1] == anchor[2]
            else:
                assert c.own_line
                nxt = c.line + 1
                while nxt in comment_lines:
                    nxt += 1
                assert (nxt, anchor[2]) in starts
        elif where == "lead":
            s = doc.statements[anchor[1]]
            assert c.own_line and c.column == 1
            nxt = c.line + 1
            while nxt in comment_lines or not lines[nxt - 1].strip():
                nxt += 1
            assert nxt == s.loc.line
        elif where == "trail":
            s = doc.statements[anchor[1]]
            assert c.own_line and c.column == 5
            assert all(ln in comment_lines for ln in range(s.end_line + 1, c.line))
        else:
            assert c.own_line and c.column == 1
            assert all(c.line > s.end_line for s in doc.statements)
    assert gen.anchors == {}, "comments lost"
    for tags in seen.values():
        assert tags == sorted(tags)


@given(sources())
@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_generated_maps_format_safely(gen: Generated) -> None:
    out = assert_formats_safely(gen.data)
    _check_places(out, gen)
    # Idempotent through bytes as well as text.
    assert format_bytes(out.encode(), "t.crux") == out


# --------------------------------------------------------------------------- real maps

ARGUMENTS = sorted((ROOT / "arguments").rglob("*.crux"))


@pytest.mark.parametrize("path", ARGUMENTS, ids=[p.name for p in ARGUMENTS])
def test_arguments_format_safely(path: Path) -> None:
    assert_formats_safely(path.read_bytes())
