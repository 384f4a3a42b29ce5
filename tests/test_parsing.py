"""The language of SPEC sections 1-2: what parses, into what, and the errors."""

from __future__ import annotations

import pytest

from cruxmap.core.model import Claim, Goal, Import, Objection, Reduction, Scale
from cruxmap.core.parsing import decode
from cruxmap.core.quickparse import parse_text


def parse_ok(text: str) -> list:
    doc, diags = parse_text(text, "t.crux")
    assert diags == [], [d.message for d in diags]
    return doc.statements


def errors(text: str) -> list[tuple[int, int, str]]:
    _, diags = parse_text(text, "t.crux")
    assert all(d.code == "CX001" for d in diags)
    return [(d.line, d.column, d.message) for d in diags]


def test_every_statement_kind_with_attributes() -> None:
    text = (
        "scale: low < mid < high\n"
        'import "other.crux"\n'
        'claim a: "A"\n'
        '    source: "essay"\n'
        "    assume: mid\n"
        "    tags: x, y-z\n"
        '    note: "n"\n'
        "reduction r1: a reduces to b >= mid and c, d >= low\n"
        "    yields: mid\n"
        '    because: "why"\n'
        '    source: "s"\n'
        "a reduces to e\n"
        "goal a >= mid\n"
        'objection o: "too slow"\n'
        "    against: a\n"
        "    caps: low\n"
    )
    scale, imp, claim, red, anon, goal, obj = parse_ok(text)
    assert isinstance(scale, Scale) and scale.levels == ["low", "mid", "high"]
    assert isinstance(imp, Import) and imp.target == "other.crux"
    assert isinstance(claim, Claim)
    assert (claim.id, claim.text, claim.source, claim.assume, claim.tags, claim.note) == (
        "a", "A", "essay", "mid", ["x", "y-z"], "n",
    )  # fmt: skip
    assert isinstance(red, Reduction) and red.explicit_id and red.id == "r1"
    assert [(p.claim, p.threshold) for p in red.premises] == [
        ("b", "mid"), ("c", None), ("d", "low"),
    ]  # fmt: skip
    assert (red.yields, red.because, red.source) == ("mid", "why", "s")
    assert isinstance(anon, Reduction) and not anon.explicit_id and anon.conclusion == "a"
    assert isinstance(goal, Goal) and (goal.claim, goal.required) == ("a", "mid")
    assert isinstance(obj, Objection) and (obj.against, obj.caps) == ("a", "low")


def test_positions_and_statement_spans() -> None:
    text = '# intro\n\nclaim a: "A"  # trailing\n    source: "s"\n\n\ngoal a >= good\n'
    claim, goal = parse_ok(text)
    assert (claim.loc.line, claim.loc.column, claim.end_line) == (3, 1, 4)
    assert claim.attr_locs["source"].line == 4 and claim.attr_locs["source"].column == 5
    assert (goal.loc.line, goal.end_line) == (7, 7)
    assert goal.required_loc.column == 11


def test_comments_are_kept_with_positions() -> None:
    doc, _ = parse_text('# top\nclaim a: "x # not a comment"  # real\n', "t.crux")
    assert [(c.line, c.column, c.text, c.own_line) for c in doc.comments] == [
        (1, 1, "# top", True),
        (2, 31, "# real", False),
    ]


def test_strings_escapes_and_long_strings() -> None:
    (claim,) = parse_ok(
        'claim a: "say \\"hi\\" \\\\ \\n end"\n    note: """two\nlines "quoted" """\n'
    )
    assert claim.text == 'say "hi" \\ \n end'
    assert claim.note == 'two\nlines "quoted" '


def test_crlf_bom_tabs_and_no_final_newline() -> None:
    text, problem = decode('\ufeffclaim a: "A"\r\n\tsource: "s"\r\ngoal a >= good'.encode(), "t")
    assert problem is None and text is not None
    claim, goal = parse_ok(text)
    assert claim.source == "s" and goal.required == "good"


def test_non_utf8_is_cx001_with_position() -> None:
    text, problem = decode(b'claim a: "A"\nclaim b: "\xff"\n', "t.crux")
    assert text is None and problem is not None
    assert (problem.code, problem.line, problem.column) == ("CX001", 2, 11)
    assert "UTF-8" in problem.message


def test_empty_and_comment_only_files() -> None:
    assert parse_ok("") == []
    assert parse_ok("# just a comment\n\n   \n") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('claim a "A"\n', (1, 9, "expected `:`")),
        ("goal a >= \n", (1, 11, "expected an identifier, found the end of the line")),
        ('claim to: "x"\n', (1, 7, "found the keyword `to`")),
        ('claim a: "unterminated\n', (1, 10, "unterminated string")),
        ('  claim a: "A"\n', (1, 1, "unexpected indentation")),
        ("a reduces b\n", (1, 11, "expected `to`")),
        ('claim a: "A"\n    sorce: "s"\n', (2, 5, "unknown attribute `sorce`")),
        ('claim a: "A"\n    assume: "great"\n', (2, 13, "`assume` takes a level")),
        ('claim a: "bad \\t escape"\n', (1, 15, "unknown escape")),
        ('claim a: "A"\n    source: "s"\n    source: "t"\n', (3, 5, "duplicate attribute")),
    ],
)
def test_syntax_errors_say_what_was_expected(text: str, expected: tuple[int, int, str]) -> None:
    (found,) = errors(text)
    line, column, words = expected
    assert found[:2] == (line, column)
    assert words in found[2]
    assert "__ANON" not in found[2] and "_NL" not in found[2]


def test_error_has_excerpt_and_suggestion() -> None:
    _, diags = parse_text('claim a "A"\n', "t.crux")
    (d,) = diags
    assert d.excerpt == 'claim a "A"'
    assert d.suggestion and 'claim ID: "text"' in d.suggestion


def test_parsing_resumes_after_an_error() -> None:
    doc, diags = parse_text('claim a "A"\nclaim b: "B"\ngoal b >=\nclaim c: "C"\n', "t.crux")
    assert [d.line for d in diags] == [1, 3]
    assert [s.id for s in doc.statements if isinstance(s, Claim)] == ["b", "c"]


def test_generated_reduction_id_cannot_be_named() -> None:
    """`b#1` would read as `b` plus a comment: an objection would hit the claim."""
    (found,) = errors('claim b: "B"\nobjection o: "x"\n    against: b#1\n')
    assert found[:2] == (3, 14) and "`b#1` cannot be written" in found[2]
    assert errors('claim b: "B"  #1 is a fine comment\n') == []
