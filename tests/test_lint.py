"""Every diagnostic code fires where it should, and suppression works."""

from __future__ import annotations

import json
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


def _shared_premise(goals: list[str]) -> str:
    """Each goal reduces to one bare premise ``p`` (taken at perfect), so
    ``p`` is brittle for every goal."""
    text = 'claim p: "shared premise"\n    source: "s"\n'
    for g in goals:
        text += f'claim {g}: "goal {g}"\n    source: "s"\n'
        text += f'{g} reduces to p\n    because: "b"\ngoal {g} >= good\n'
    return text


def test_cx101_once_per_premise_naming_every_goal(write: Callable[..., Path], run) -> None:
    """Issue 19 #4: a premise brittle for five goals is one finding, not
    five; text names the first three and counts the rest, JSON and SARIF
    list all five."""
    goals = ["g1", "g2", "g3", "g4", "g5"]
    path = write("m.crux", _shared_premise(goals))
    code, out, _ = run("check", "--no-summary", path)
    lines = [ln for ln in out.splitlines() if " CX101 " in ln]
    assert code == 1 and lines == [
        "m.crux:1:1: CX101 premise `p` is brittle for 5 goals (`g1`, `g2`, `g3` and 2 more): "
        "at perfect they hold, at near_perfect they fail"
    ]
    _, out, _ = run("check", "--format", "json", path)
    [d] = [d for d in json.loads(out)["diagnostics"] if d["code"] == "CX101"]
    assert d["goals"] == goals and d["subject"] == ["p"]
    _, out, _ = run("check", "--format", "sarif", path)
    [r] = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "CX101"]
    assert r["properties"]["goals"] == goals
    # One goal keeps the one-goal message; two or three are all named.
    _, out, _ = run("check", "--no-summary", write("one.crux", _shared_premise(["g1"])))
    assert "CX101 premise `p` is brittle for goal `g1`: at perfect the goal holds" in out
    _, out, _ = run("check", "--no-summary", write("three.crux", _shared_premise(goals[:3])))
    assert "brittle for 3 goals (`g1`, `g2`, `g3`): at perfect they hold" in out
    # The one finding is suppressed as one.
    marked = _shared_premise(goals).replace(
        '"shared premise"', '"shared premise"  # cruxmap: ignore[CX101]'
    )
    code, out, _ = run("check", "--no-summary", write("quiet.crux", marked))
    assert "CX101" not in out and "CX204" not in out


def test_cx101_in_a_shared_file_is_reported_per_goal_set(write: Callable[..., Path], run) -> None:
    """Two maps importing the premise with different goals each get their
    own finding there, even when the messages read the same (the fourth
    goal differs, past the three named): findings are told apart by all
    their goals."""
    write("lib.crux", _shared_premise(["g1", "g2", "g3"]))
    for name, extra in (("a.crux", "g4"), ("b.crux", "g5")):
        write(name, 'import "lib.crux"\n' + _shared_premise([extra]).split("\n", 2)[2])
    _, out, _ = run("check", "--format", "json", "a.crux", "b.crux")
    data = json.loads(out)
    brittle = [d for d in data["diagnostics"] if d["code"] == "CX101"]
    assert [d["goals"] for d in brittle] == [["g1", "g2", "g3", "g4"], ["g1", "g2", "g3", "g5"]]
    assert brittle[0]["message"] == brittle[1]["message"]
    positions = [m["diagnostics"] for m in data["maps"]]
    assert all(any(data["diagnostics"][i]["code"] == "CX101" for i in p) for p in positions)


def test_cx101_goals_are_exactly_the_brittle_pairs(write: Callable[..., Path], run) -> None:
    """Grouping loses nothing: the (premise, goal) pairs the CX101 findings
    name are the pairs the report's goals mark brittle, on a map of many
    goals over one support (benchmarks/generate.py)."""
    from generate import goals200  # benchmarks/ is on pytest's pythonpath

    _, out, _ = run("check", "--format", "json", "--max-order", "1", write("w.crux", goals200(400)))
    data = json.loads(out)
    named = {
        (d["subject"][0], g)
        for d in data["diagnostics"]
        if d["code"] == "CX101"
        for g in d["goals"]
    }
    marked = {
        (p, g)
        for g, goal in data["maps"][0]["goals"].items()
        for p, entry in (goal.get("premises") or {}).items()
        if entry["brittle"]
    }
    assert named == marked and len(named) > sum(d["code"] == "CX101" for d in data["diagnostics"])
