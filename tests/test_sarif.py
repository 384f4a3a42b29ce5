"""SARIF output, validated against the official SARIF 2.1.0 schema and
checked for the fields GitHub code scanning reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from cruxmap.core.diagnostics import RULES, Diagnostic, Severity, make
from cruxmap.core.loader import BLOCKING
from cruxmap.present import sarif

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))

BRITTLE = """\
claim alignment: "AI is aligned"
    source: "https://example.org"
claim interp: "full interpretability"
    source: "seed"
    assume: perfect
alignment reduces to interp
    because: "see everything"
goal alignment >= good
claim unused: "never used"
"""


def validate(log: dict) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(log)


def test_empty_log_is_valid_and_lists_every_rule() -> None:
    log = sarif.to_sarif([])
    validate(log)
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "cruxmap"
    assert driver["version"]
    # Only when the installed metadata names a home page (none is invented).
    assert driver.get("informationUri", "https://").startswith("https://")
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    for rule in driver["rules"]:
        spec = RULES[rule["id"]]
        assert rule["name"] == spec.name
        assert rule["shortDescription"]["text"] == spec.description
        assert rule["fullDescription"]["text"]
        # The long help with its example, as `cruxmap rules CODE` prints it.
        assert rule["help"]["text"].startswith(spec.help.rstrip())
        assert "Example:" in rule["help"]["markdown"]
        if spec.code in BLOCKING:  # stops the analysis: cannot be suppressed
            assert "cannot be suppressed" in rule["help"]["text"]
        else:
            assert f"ignore[{spec.code}]" in rule["help"]["text"]
        expected = {"error": "error", "warning": "warning", "info": "note"}[spec.severity.value]
        assert rule["defaultConfiguration"]["level"] == expected
    assert log["runs"][0]["results"] == []


def test_results_carry_rule_level_message_and_region(project: Path) -> None:
    (project / "maps").mkdir()
    (project / "maps" / "a map.crux").write_text('claim alignment: "x"\n', encoding="utf-8")
    brittle = dict(premise="alignment", goal="g", level="perfect", breaks_at="near_perfect")
    diags = [
        make("CX101", "maps/a map.crux", 1, 7, suggestion="ask less", end_line=1, end_column=16, **brittle),
        make("CX202", "maps/a map.crux", 1, 1, claim="alignment", end_line=1, end_column=16),
        make("CX102", "maps/a map.crux", 1, 1, goal="g", required="good", reached="none",
             why="`g#1` needs `a` >= good, has none"),
    ]  # fmt: skip
    log = sarif.to_sarif(diags)
    validate(log)
    assert log["runs"][0]["columnKind"] == "unicodeCodePoints"
    results = log["runs"][0]["results"]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["level"] for r in results] == ["warning", "note", "error"]
    for r, d in zip(results, diags, strict=True):
        assert r["ruleId"] == d.code
        assert rules[r["ruleIndex"]]["id"] == d.code
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "maps/a%20map.crux", "uriBaseId": "%SRCROOT%"}
        assert loc["region"]["startLine"] == 1
    assert results[0]["message"]["text"] == (
        "premise `alignment` is brittle for goal `g`: at perfect the goal holds, "
        "at near_perfect it fails (help: ask less)"
    )
    # The region is the diagnostic's range.
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1, "startColumn": 7, "endLine": 1, "endColumn": 16,
    }  # fmt: skip
    assert results[1]["locations"][0]["physicalLocation"]["region"]["endColumn"] == 16
    # Fingerprints key alerts on what they are about (code and IDs), not on
    # the line they are at, the levels in the message, or its wording.
    moved = make(
        "CX101", "maps/a map.crux", 9, 1, **{**brittle, "level": "great", "breaks_at": "good"}
    )
    fingerprint = results[0]["partialFingerprints"]
    assert sarif.to_sarif([moved])["runs"][0]["results"][0]["partialFingerprints"] == fingerprint
    other = make("CX101", "maps/a map.crux", 1, 7, **{**brittle, "premise": "interp"})
    assert sarif.to_sarif([other])["runs"][0]["results"][0]["partialFingerprints"] != fingerprint


def test_regions_count_code_points_from_the_lexer(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    """`claim été` is underlined whole (an ASCII-only re-lex stopped after
    `claim`); a premise after a wide character starts where it is."""
    write(
        "u.crux", 'claim été: "summer"\nclaim 名前: "name"\nété reduces to 名前\ngoal été >= good\n'
    )
    _, out, _ = run("check", "--format", "sarif", "u.crux")
    log = json.loads(out)
    validate(log)
    regions = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]):
        r["locations"][0]["physicalLocation"]["region"]
        for r in log["runs"][0]["results"]
    }  # fmt: skip
    assert regions["CX202", 1] == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 10}
    assert regions["CX202", 2] == {"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 9}
    assert regions["CX203", 3] == {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 4}


def test_unreadable_file_still_gives_a_valid_region() -> None:
    d = Diagnostic(code="CX005", severity=Severity.ERROR, path="gone/x.crux", line=3, column=4,
                   message="file not found")  # fmt: skip
    log = sarif.to_sarif([d])
    validate(log)
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 4, "endLine": 3, "endColumn": 5}


def test_paths_are_relative_to_the_repository_root(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / ".git").mkdir()
    sub = project / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert sarif.artifact_uri("x.crux") == ("sub/x.crux", True)
    outside = Path("/elsewhere/y.crux")
    uri, relative = sarif.artifact_uri(str(outside))
    assert uri == "file:///elsewhere/y.crux" and not relative


def test_check_format_sarif_end_to_end(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    write("arg.crux", BRITTLE)
    write("broken.crux", 'claim x "no colon"\n')
    code, out, err = run("check", "--format", "sarif", "arg.crux", "broken.crux")
    assert code == 2, err
    log = json.loads(out)
    validate(log)
    results = log["runs"][0]["results"]
    by_rule = {r["ruleId"] for r in results}
    assert {"CX001", "CX101", "CX201"} <= by_rule
    syntax = next(r for r in results if r["ruleId"] == "CX001")
    assert syntax["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.crux"
    assert syntax["level"] == "error"
    brittle = next(r for r in results if r["ruleId"] == "CX101")
    assert brittle["level"] == "warning"
    assert brittle["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_a_log_holds_at_most_the_limit_most_severe_first() -> None:
    """Code scanning rejects a run past 25,000 results: the log keeps the
    most severe findings and ends with one note counting those left out."""
    diags = [make("CX202", "a.crux", i + 1, 1, claim=f"c{i}") for i in range(150)]
    diags.insert(120, make("CX102", "a.crux", 500, 1, goal="g", required="good",
                           reached="none", why="w"))  # fmt: skip
    log = sarif.to_sarif(diags, limit=100)
    validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == 100
    assert [r["level"] for r in results].count("error") == 1  # the error is kept
    note = results[-1]
    assert note["level"] == "note" and note["properties"] == {"left_out": 52}
    assert note["message"]["text"].startswith("52 more findings are not in this log")
    assert "ruleId" in note and note["locations"]
    # Kept findings stay in their order; under the limit nothing is left out.
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results[:-1]]
    assert lines == sorted(lines)
    assert len(sarif.to_sarif(diags[:100], limit=100)["runs"][0]["results"]) == 100
    assert sarif.MAX_RESULTS == 25_000


def test_fingerprint_of_cx101_does_not_follow_its_goals() -> None:
    """One finding per premise: a goal joining or leaving keeps the alert."""
    from cruxmap.core.lint import _brittle
    from cruxmap.core.model import Claim, Loc

    claim = Claim(id="interp", text="text", loc=Loc("a.crux", 3, 1))
    prints = [
        sarif.to_sarif([_brittle(claim, goals, "perfect", "near_perfect")])["runs"][0]["results"][
            0
        ]["partialFingerprints"]
        for goals in (["g1"], ["g1", "g2"], ["g2", "g3", "g4", "g5"])
    ]
    assert prints[0] == prints[1] == prints[2]


def test_goals200_map_gives_one_result_per_premise(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    """200 goals over one shared support (benchmarks/generate.py): one
    CX101 per brittle premise (was one per premise and goal), and the log
    stays far below code scanning's limit."""
    from generate import goals200  # benchmarks/ is on pytest's pythonpath

    path = write("wide.crux", goals200(1000, 0))
    _, out, _ = run("check", "--format", "sarif", "--max-order", "1", path)
    log = json.loads(out)
    results = log["runs"][0]["results"]
    brittle = [r for r in results if r["ruleId"] == "CX101"]
    places = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in brittle}
    assert brittle and len(places) == len(brittle)
    assert sum(len(r["properties"]["goals"]) for r in brittle) > 2 * len(brittle)
    assert len(results) <= 2 * 1000 + 200  # claims, reductions and goals at most


def test_check_caps_the_log_end_to_end(
    write: Callable[..., Path],
    run: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`check --format sarif` applies the cap (lowered here to 50): 40
    unused claims without a source are 80 findings."""
    monkeypatch.setattr(sarif, "MAX_RESULTS", 50)
    path = write("many.crux", "".join(f'claim c{i}: "c"\n' for i in range(40)))
    _, out, _ = run("check", "--format", "sarif", path)
    log = json.loads(out)
    validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == 50 and results[-1]["properties"] == {"left_out": 31}
