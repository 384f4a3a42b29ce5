"""Unicode spoofing (issue 14 #11): identifiers as UAX #31 reads them, and
line separators that an editor shows as line breaks cannot hide text in a
comment. Also: the parser's fast path gives exactly what lark's own loop
gives (including for files with errors, which go through lark)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cruxmap.core import parsing

ROOT = Path(__file__).parent.parent
Run = Callable[..., tuple[int, str, str]]


def diags(run: Run, path: Path) -> list[dict]:
    _, out, _ = run("check", "--format", "json", path.name)
    return json.loads(out)["diagnostics"]


def test_invisible_hangul_filler_in_an_id_is_refused(write: Callable[..., Path], run: Run) -> None:
    path = write("m.crux", 'claim safety: "a"\nclaim safety\u3164: "b"\ngoal safety >= good\n')
    code, _, _ = run("check", path.name)
    assert code == 2
    found = diags(run, path)
    [d] = [d for d in found if d["code"] == "CX001"]
    assert (d["line"], d["column"], d["end_column"]) == (2, 7, 14)
    assert "invisible character (U+3164)" in d["message"]
    assert "\\u3164" not in d["message"]  # named by code point, not raw


@pytest.mark.parametrize("ch", ["\u200b", "\u200d", "\u202e", "\u2066", "\u00ad"])
def test_other_invisible_characters_end_an_id_with_an_error(
    write: Callable[..., Path], run: Run, ch: str
) -> None:
    path = write("m.crux", f'claim safe{ch}ty: "a"\n')
    assert [d["code"] for d in diags(run, path)] == ["CX001"]


def test_ids_are_nfkc_normalised(write: Callable[..., Path], run: Run) -> None:
    path = write(
        "m.crux",
        'claim \ufb01le: "ligature"\nclaim \uff46\uff55\uff4c\uff4c: "full-width"\n'
        "file reduces to full\ngoal file >= good\n",
    )
    _, out, _ = run("check", "--format", "json", path.name)
    [report] = json.loads(out)["maps"]
    assert set(report["claims"]) == {"file", "full"}
    assert report["goals"]["file"]["status"] == "holds"


def test_nfkc_that_makes_an_invalid_id_is_an_error(write: Callable[..., Path], run: Run) -> None:
    path = write("m.crux", 'claim \u2460x: "circled one"\n')  # NFKC: "1x"
    [d] = diags(run, path)
    assert d["code"] == "CX001" and "NFKC" in d["message"]


def test_mixed_script_confusable_is_a_warning(write: Callable[..., Path], run: Run) -> None:
    path = write(
        "m.crux", 'claim safety: "a"\n    source: "s"\nclaim s\u0430fety: "b"\n    source: "s"\n'
    )
    [d] = [d for d in diags(run, path) if d["code"] == "CX206"]
    assert d["severity"] == "warning" and (d["line"], d["column"]) == (3, 7)
    assert "Latin; Cyrillic U+0430" in d["message"]
    assert d["subject"] == ["s\u0430fety"]


@pytest.mark.parametrize(
    "name", ["été", "名前", "日本語のかな", "ラベル_x", "Ελλάδα", "Москва", "kanji漢字", "한국어"]
)
def test_single_scripts_and_cjk_mixes_are_fine(
    write: Callable[..., Path], run: Run, name: str
) -> None:
    path = write("m.crux", f'claim {name}: "a"\n')
    assert not [d for d in diags(run, path) if d["code"] in ("CX001", "CX206")]


def test_suppressible_like_any_warning(write: Callable[..., Path], run: Run) -> None:
    path = write("m.crux", 'claim s\u0430fety: "b"  # cruxmap: ignore[CX206]\n')
    assert "CX206" not in {d["code"] for d in diags(run, path)}


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85"])
def test_line_separator_cannot_hide_code_in_a_comment(
    write: Callable[..., Path], run: Run, sep: str
) -> None:
    path = write("m.crux", f'claim a: "x"\n# harmless{sep}claim hidden: "y"\n')
    code, out, _ = run("check", path.name)
    assert code == 2
    [d] = [d for d in diags(run, path) if d["code"] == "CX001"]
    assert (d["line"], d["column"]) == (2, 11)
    assert f"U+{ord(sep):04X}" in d["message"]
    assert sep not in out and sep not in d["excerpt"]  # shown escaped


def test_line_separator_inside_a_string_is_text(write: Callable[..., Path], run: Run) -> None:
    path = write("m.crux", 'claim a: "one\u2028two"\n')
    assert not [d for d in diags(run, path) if d["code"] == "CX001"]


def _corpus() -> list[Path]:
    return sorted(
        [
            *ROOT.glob("arguments/*.crux"),
            *ROOT.glob("tests/**/*.crux"),
            *ROOT.glob("docs/**/*.crux"),
        ]
    )


BROKEN = [
    'claim a "no colon"\n',
    "claim a:\n",
    'claim a: "x"\n  claim b: "y"\n',
    "a reduces to\n",
    "a reduces to b >=\n",
    "goal a >= \n",
    'claim a: "x"\n    source: 12 13\n',
    'claim a: "unterminated\n',
    'scale: a < b <\nclaim x: "y"\n',
    "   \n  indented first\n",
    'claim a: "x" $\n',
    '"""never closed\n',
    "objection o:\n",
    "claim",
    'claim a: "x"\u2028claim b: "y"\n',
]


def _both(text: str, name: str) -> list[object]:
    """What lark's own LALR loop and the fast path make of ``text``."""
    lark, builder = parsing._lark()
    results: list[object] = []
    for parse in (parsing._fast_path().parse, lark.parse):
        builder.reset(name, text.split("\n"))
        parsing._session.comments = []
        parsing._session.identifiers = []
        try:
            outcome: object = parse(text)
        except parsing.UnexpectedInput as exc:
            token = getattr(exc, "token", None)
            outcome = (
                type(exc).__name__, exc.line, exc.column, getattr(exc, "char", None),
                token and (token.type, str(token), token.line, token.column),
                sorted(getattr(exc, "expected", None) or ()),
            )  # fmt: skip
        results.append(
            (outcome, [d.message for d in builder.diagnostics],
             [(t.line, t.column, str(t)) for t in parsing._session.comments],
             parsing._session.identifiers)
        )  # fmt: skip
    return results


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_path_builds_what_lark_builds(path: Path) -> None:
    text, problem = parsing.decode(path.read_bytes(), path.name)
    if text is None:
        pytest.skip(f"not UTF-8: {problem}")
    fast, slow = _both(text, path.name)
    assert fast == slow


@pytest.mark.parametrize("text", BROKEN)
def test_fast_path_fails_as_lark_fails(text: str) -> None:
    fast, slow = _both(text, "broken.crux")
    assert fast == slow
    assert isinstance(fast, tuple) and isinstance(fast[0], tuple)  # it did fail
