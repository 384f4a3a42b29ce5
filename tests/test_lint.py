"""Every diagnostic code fires where it should, and suppression works."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

BRITTLE = (
    'claim alignment: "AI is aligned"\n'
    '    source: "seed 000"\n'
    'claim interp: "Full interpretability"\n'
    '    source: "seed 000"\n'
    "reduction r: alignment reduces to interp\n"
    '    because: "we would see every problem"\n'
    "goal alignment >= good\n"
)


def found(report: dict) -> list[tuple[str, int]]:
    """Code and line of each finding; CX205 (a leaf without `assume`, which
    BRITTLE's `interp` is) left out: tests/test_report_results.py covers it."""
    return [(d["code"], d["line"]) for d in report["diagnostics"] if d["code"] != "CX205"]


def test_cx101_brittle_premise_at_the_premise(write: Callable[..., Path], report) -> None:
    rep = report(write("m.crux", BRITTLE))
    assert found(rep) == [("CX101", 3)]
    d = rep["diagnostics"][0]
    assert (
        d["severity"] == "warning" and "`interp`" in d["message"] and "`alignment`" in d["message"]
    )


def test_cx102_goal_fails(write: Callable[..., Path], report) -> None:
    rep = report(
        write(
            "m.crux",
            BRITTLE.replace('"seed 000"\nreduction', '"seed 000"\n    assume: great\nreduction'),
        )
    )
    assert ("CX102", 8) in found(rep)
    (d,) = [d for d in rep["diagnostics"] if d["code"] == "CX102"]
    assert d["message"] == (
        "goal `alignment` needs good, reaches none: "
        "`r` needs `interp` >= perfect (a bare `reduces to`), has great"
    )
    assert rep["goals"]["alignment"]["status"] == "fails"
    assert "premises" not in rep["goals"]["alignment"]


def test_cx103_cycle_named(write: Callable[..., Path], report) -> None:
    text = (
        'claim a: "A"\n    source: "s"\nclaim b: "B"\n    source: "s"\n'
        'claim c: "C"\n    source: "s"\n'
        'a reduces to b\n    because: "x"\nb reduces to a\n    because: "x"\n'
        'a reduces to c >= good\n    because: "x"\ngoal a >= good\n'
    )
    rep = report(write("m.crux", text))
    (cyc,) = [d for d in rep["diagnostics"] if d["code"] == "CX103"]
    assert cyc["line"] == 7 and "a -> b -> a" in cyc["message"]


def test_cx104_goal_fails_with_objections_names_them(write: Callable[..., Path], report) -> None:
    text = BRITTLE.replace("reduces to interp\n", "reduces to interp >= good\n") + (
        'objection slow: "too slow"\n    against: interp\n    caps: partial\n'
        'objection unrelated: "?"\n    against: alignment\n    caps: perfect\n'
    )
    rep = report(write("m.crux", text))
    (d,) = [d for d in rep["diagnostics"] if d["code"] == "CX104"]
    assert "`slow`" in d["message"] and d["line"] == 7
    assert d["message"] == (
        "goal `alignment` needs good, reaches none once the standing objections are applied: "
        "`r` needs `interp` >= good, has partial (capped by objection `slow`); "
        "standing: `slow` caps `interp` at partial"
    )
    assert rep["goals"]["alignment"]["with_objections"] == {"level": "none", "status": "fails"}


def test_cx105_single_point_with_slack(write: Callable[..., Path], report) -> None:
    rep = report(
        write("m.crux", BRITTLE.replace("reduces to interp\n", "reduces to interp >= good\n"))
    )
    # One finding per goal, at the goal, naming each single point of failure.
    assert found(rep) == [("CX105", 7)]
    (d,) = [d for d in rep["diagnostics"] if d["code"] == "CX105"]
    assert d["message"] == (
        "goal `alignment` has single points of failure: `interp` (slack 3 steps, fails at partial)"
    )
    assert rep["goals"]["alignment"]["premises"]["interp"]["margin"] == 3


def test_cx201_cx202_cx203_infos(write: Callable[..., Path], report) -> None:
    text = 'claim a: "A"\nclaim b: "B"\n    source: "s"\nclaim lonely: "L"\n    source: "s"\na reduces to b >= good\n'
    rep = report(write("m.crux", text))
    # CX105 sits at the default goal `a`, i.e. at its claim.
    assert sorted(found(rep)) == [("CX105", 1), ("CX201", 4), ("CX202", 1), ("CX203", 6)]
    assert all(d["severity"] == "info" for d in rep["diagnostics"])


def test_ignore_comment_on_any_line_of_the_statement(write: Callable[..., Path], report) -> None:
    text = BRITTLE.replace(
        '    source: "seed 000"\nreduction',
        '    source: "seed 000"  # cruxmap: ignore[CX101]\nreduction',
    )
    assert found(report(write("m.crux", text))) == []
    text = BRITTLE.replace(
        'claim interp: "Full interpretability"',
        'claim interp: "Full interpretability"  # cruxmap: ignore[CX202, CX101]',
    )
    # `interp` has a source: the CX202 part suppresses nothing (CX204).
    assert found(report(write("m.crux", text))) == [("CX204", 3)]
    text = BRITTLE.replace(
        'claim interp: "Full interpretability"',
        'claim interp: "Full interpretability"  # cruxmap: ignore[CX202]',
    )
    assert found(report(write("m.crux", text))) == [("CX101", 3), ("CX204", 3)]


def test_ignore_comment_does_not_leak_to_other_statements(
    write: Callable[..., Path], report
) -> None:
    text = BRITTLE.replace(
        "goal alignment >= good", "goal alignment >= good  # cruxmap: ignore[CX101]"
    )
    # ... and the comment, which suppresses nothing where it is, says so (CX204).
    assert found(report(write("m.crux", text))) == [("CX101", 3), ("CX204", 7)]


def test_errors_that_block_analysis_cannot_be_ignored(write: Callable[..., Path], run) -> None:
    path = write("m.crux", 'claim a: "A"\ngoal b >= good  # cruxmap: ignore[CX002]\n')
    code, out, _ = run("check", path)
    assert code == 1 and "CX002 undefined claim `b`" in out
