"""The line-at-a-time fast path (``cruxmap.core.quickparse``) against the grammar's
LALR parser: on every file it accepts it must build exactly what the LALR
parser builds, and it must give up on every file the LALR parser rejects."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from randmaps import crux_maps, shaped_maps

from cruxmap.core.parsing import parse_lalr
from cruxmap.core.quickparse import parse_lines, parse_text

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted(
    p
    for d in ("arguments", "tests", "docs", "benchmarks")
    for p in (ROOT / d).rglob("*.crux")
    if p.is_file()
)


def agree(text: str) -> bool:
    """Assert the two parsers agree on ``text``; True when the fast path took it."""
    fast = None if "\r" in text else parse_lines(text.split("\n"), "m.crux")
    doc, diagnostics = parse_lalr(text, "m.crux")
    if fast is None:
        return False
    statements, comments = fast
    assert statements == doc.statements
    assert comments == doc.comments
    # The only findings on a file the fast path takes are about its comments
    # (`b#1` written as a name), made the same way for both.
    assert parse_text(text, "m.crux")[1] == diagnostics
    assert all("#" in d.message for d in diagnostics)
    return True


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(ROOT)))
def test_corpus(path: Path) -> None:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return
    agree(text)


def test_ordinary_files_take_the_fast_path() -> None:
    """Guards the speed claim: the seed maps and every benchmark shape do not
    fall back to the LALR parser."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    texts = [p.read_text("utf-8") for p in CORPUS if "fuzz_corpus" not in p.parts]
    assert len(texts) >= 6
    texts += [make(120, 1) for make in generate.SHAPES.values()]
    for text in texts:
        assert agree(text)


@given(crux_maps())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_maps(g) -> None:  # type: ignore[no-untyped-def]
    agree(g.text)


@given(shaped_maps())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_shaped_maps_take_the_fast_path(g) -> None:  # type: ignore[no-untyped-def]
    if "\\" not in g.text:
        assert agree(g.text)


# Lines made of the pieces where a line parser and a lexer could disagree:
# keywords as and inside IDs, separators, comments (with `#1`), odd spacing.
_IDS = [
    "a",
    "b2",
    "c_d",
    "to",
    "and",
    "andy",
    "tox",
    "claimed",
    "goal",
    "goals",
    "x-y",
    "é",
    "reduction",
    "_u",
    "fails",
    "holds",
    "fail",
]
_WS = ["", " ", "  ", "\t", "\f", " \f "]
_PIECES = [
    "claim", "reduction", "reduces", "to", "goal", "objection", "import", "scale",
    ":", ",", ">=", "<", "and", '"t"', '"# not a comment"', '""', '"""x"""', '"a\\"b"',
    "#c", "#1", "# note", "ab#2", *_IDS,
]  # fmt: skip
_ATTRS = [
    "source",
    "because",
    "assume",
    "tags",
    "note",
    "yields",
    "against",
    "caps",
    "expect",
    "bogus",
]


@st.composite
def _line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["stmt", "stmt", "attr", "blank", "comment", "pieces"]))
    w = lambda: draw(st.sampled_from(_WS))  # noqa: E731
    ident = lambda: draw(st.sampled_from(_IDS))  # noqa: E731
    tail = draw(st.sampled_from(["", "", "  # trailing", "#1", "\u2028"]))
    if kind == "blank":
        return w()
    if kind == "comment":
        return w() + "# " + ident()
    if kind == "attr":
        value = draw(st.sampled_from(['"s"', ident(), f"{ident()}, {ident()}", '"# x"']))
        indent = draw(st.sampled_from(["    ", "\t", " ", "\f"]))
        return f"{indent}{draw(st.sampled_from(_ATTRS))}{w()}:{w()}{value}{tail}"
    if kind == "pieces":
        return w().join(draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=7)))
    form = draw(
        st.sampled_from(["claim", "objection", "reduction", "named", "goal", "import", "scale"])
    )
    if form in ("claim", "objection"):
        return (
            f"{form}{w() or ' '}{ident()}{w()}:{w()}{draw(st.sampled_from(_PIECES[-12:-7]))}{tail}"
        )
    if form in ("reduction", "named"):
        head = f"reduction {ident()}{w()}:{w()}" if form == "named" else ""
        prem = [
            ident() + draw(st.sampled_from(["", f"{w()}>={w()}{ident()}"]))
            for _ in range(draw(st.integers(1, 3)))
        ]
        sep = draw(st.sampled_from([",", " and ", " , ", ",and "]))
        return f"{head}{ident()} reduces{w() or ' '}to {sep.join(prem)}{tail}"
    if form == "goal":
        return f"goal {ident()}{w()}>={w()}{ident()}{tail}"
    if form == "import":
        return f'import{w()}"lib.crux"{tail}'
    return (
        f"scale{w()}:{w()}"
        + f"{w()}<{w()}".join(ident() for _ in range(draw(st.integers(1, 3))))
        + tail
    )


@given(st.lists(_line(), max_size=12))
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_tricky_lines(lines: list[str]) -> None:
    agree("\n".join(lines))


def test_examples_both_ways() -> None:
    plain = (
        "# head\n"
        'claim a: "A # not a comment"  # tail\n'
        '    source: "s"\n'
        "\n"
        "    # between\n"
        "    tags: x, y-z\n"
        "claimed reduces to a >= good and b, c\n"
        "reduction r: goals reduces to\ta\f>=\fgreat\n"
        "    yields: good\n"
        "goal goals >= partial #1\n"
        "scale: none < partial < good < great < near_perfect < perfect\n"
        'objection o: "x"\n'
        "    against: r\n"
    )
    assert agree(plain)
    for bad in ("claim to: \"x\"\n", "claim a: \"x\"\n    source: \"s\"\n    source: \"t\"\n",
                "claim a: \"x\"\n    assume: a, b\n", "claim é: \"x\"\n", "  claim a: \"x\"\n",
                "a reduces to b and\n", "claim a: \"x\"\u2028\n"):  # fmt: skip
        assert parse_lines(bad.split("\n"), "m.crux") is None, bad
        agree(bad)


def test_goal_expectations_both_ways() -> None:
    """``expect:`` under a goal: both parsers build the same goal, and a
    value that is not `holds` or `fails` goes to the grammar's parser, whose
    CX001 suggests the nearest value."""
    for text in ("goal a >= good\n    expect: fails\n",
                 "goal a >= good  # c\n    note: \"n\"\n    expect:holds  # why\n"):  # fmt: skip
        assert agree(text)
    doc, _ = parse_text("goal a >= good\n    expect: fails\n", "m.crux")
    goal = doc.statements[0]
    assert goal.expect == "fails" and goal.expected == "fails"  # type: ignore[union-attr]
    assert goal.attr_locs["expect"][1:3] == (2, 13)
    for bad, hint in (("goal a >= good\n    expect: fail\n", "did you mean `fails`?"),
                      ("goal a >= good\n    expect: maybe\n", "write `expect: fails`"),
                      ("goal a >= good\n    expect: fails, holds\n", "write `expect: fails`"),
                      ('goal a >= good\n    expect: "fails"\n', "write `expect: fails`"),
                      ('claim a: "x"\n    expect: fails\n', "a claim takes")):  # fmt: skip
        assert parse_lines(bad.split("\n"), "m.crux") is None, bad
        agree(bad)
        diagnostics = parse_text(bad, "m.crux")[1]
        assert [d.code for d in diagnostics] == ["CX001"], bad
        assert hint in (diagnostics[0].suggestion or ""), (bad, diagnostics[0])
    bare = parse_text("goal a >= good\n    expect: maybe\n", "m.crux")[1][0]
    assert bare.message == "`expect` takes `holds` or `fails`, not `maybe`"
    assert (bare.line, bare.column, bare.end_column) == (2, 13, 18)


def test_parse_text_reports_what_the_grammar_reports() -> None:
    doc, diagnostics = parse_text('claim a "x"\nclaim b: "y"\n', "m.crux")
    assert [d.code for d in diagnostics] == ["CX001"]
    assert [s.id for s in doc.statements] == ["b"]  # type: ignore[union-attr]
