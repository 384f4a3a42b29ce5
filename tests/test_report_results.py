"""``cruxmap check``'s text report shows results, and the small things of
issue 10 item 7, each as a user meets it (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [sys.executable, "-m", "cruxmap", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def project(tmp_path: Path, **files: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


OR_MAP = """\
claim g: "G"
    source: "s"
claim a: "A"
    source: "s"
    assume: good
claim b: "B"
    source: "s"
    assume: good
reduction ra: g reduces to a >= good
    because: "x"
reduction rb: g reduces to b >= good
    because: "x"
goal g >= good
"""


def test_clean_run_still_says_where_each_goal_stands(tmp_path):
    """The issue's example: two alternative routes, both just good enough.
    No finding, but the joint shortfall shows in the goal line."""
    project(tmp_path, **{"or.crux": OR_MAP})
    proc = run("check", "or.crux", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        "or.crux: goal `g` holds at perfect (needs good); uniform margin 0; smallest cut set {a, b}",
        "Checked 1 file (1 map): 3 claims, 1 goal; 0 errors, 0 warnings, 0 infos.",
    ]


def test_failing_goal_line_points_to_explain(tmp_path):
    project(tmp_path, **{"or.crux": OR_MAP.replace("assume: good", "assume: partial")})
    proc = run("check", "or.crux", cwd=tmp_path)
    assert proc.returncode == 1
    assert (
        "or.crux: goal `g` fails at none (needs good); why: cruxmap explain or.crux g"
        in proc.stdout.splitlines()
    )


def test_quiet_prints_only_failing_findings(tmp_path):
    text = OR_MAP.replace('    source: "s"\n    assume: good\nclaim b', "    assume: good\nclaim b")
    project(
        tmp_path,
        **{
            "or.crux": text,
            "bad.crux": OR_MAP.replace(">= good\n    because", ">= great\n    because", 1),
        },
    )
    proc = run("check", "-q", "or.crux", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""  # a CX202 info is below fail-on
    proc = run("check", "--quiet", "bad.crux", "or.crux", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines and all(": CX101 " in line or line.startswith("  help:") for line in lines)


def test_scenario_is_said_in_text_output(tmp_path):
    project(tmp_path, **{"or.crux": OR_MAP})
    proc = run("check", "or.crux", "--set", "a=perfect", cwd=tmp_path)
    assert "Scenario: --set a=perfect" in proc.stdout
    same = run("check", "or.crux", "--set", "a=good", cwd=tmp_path)
    assert "warning: --set a=good changes nothing: `a` is good without it" in same.stderr


def test_json_value_and_baseline_under_a_scenario(tmp_path):
    project(tmp_path, **{"or.crux": OR_MAP})
    proc = run("check", "or.crux", "--set", "a=perfect", "--format", "json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    (report,) = data["maps"] if isinstance(data.get("maps"), list) else [data]
    claim = report["claims"]["a"]
    assert claim["value"] == "perfect" and claim["baseline"] == "good"


def test_unknown_and_unused_ignore_codes_are_reported(tmp_path):
    text = OR_MAP.replace('claim a: "A"', 'claim a: "A"  # cruxmap: ignore[CX110]').replace(
        'claim b: "B"', 'claim b: "B"  # cruxmap: ignore[CX101]'
    )
    project(tmp_path, **{"or.crux": text})
    proc = run("check", "or.crux", "--format", "json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    (report,) = data["maps"]
    listed = [data["diagnostics"][i] for i in report["diagnostics"]]
    found = {(d["line"], d["code"], d["message"]) for d in listed}
    assert (3, "CX204", "`# cruxmap: ignore[CX110]` names no such code") in found
    assert (6, "CX204", "`# cruxmap: ignore[CX101]` suppresses nothing on this statement") in found
    # In a scenario, suppressions written for the baseline are not judged.
    scenario = run("check", "or.crux", "--set", "a=partial", "--format", "json", cwd=tmp_path)
    codes = [(d["line"], d["message"]) for d in json.loads(scenario.stdout)["diagnostics"]
             if d["code"] == "CX204"]  # fmt: skip
    assert codes == [(3, "`# cruxmap: ignore[CX110]` names no such code")]
    # A used suppression is not reported, and naming CX204 keeps one on purpose.
    used = text.replace("ignore[CX101]", "ignore[CX101, CX204]").replace(
        "ignore[CX110]", "ignore[CX204]"
    )
    project(tmp_path, **{"or.crux": used})
    data = json.loads(run("check", "or.crux", "--format", "json", cwd=tmp_path).stdout)
    (report,) = data["maps"]
    assert [i for i in report["diagnostics"] if data["diagnostics"][i]["code"] == "CX204"] == []


def test_leaf_without_assume_is_an_info(tmp_path):
    text = OR_MAP.replace('    source: "s"\n    assume: good\nclaim b', '    source: "s"\nclaim b')
    project(tmp_path, **{"or.crux": text})
    proc = run("check", "or.crux", cwd=tmp_path)
    assert "or.crux:3:1: CX205 leaf `a` has no `assume`: taken as perfect" in proc.stdout


def test_summary_counts_shared_claims_once_and_goals_of_broken_maps(tmp_path):
    common = 'claim shared: "S"\n    source: "s"\n    assume: good\n'
    top = 'import "common.crux"\nclaim {g}: "G"\n    source: "s"\n{g} reduces to shared >= good\n    because: "x"\ngoal {g} >= good\n'
    project(
        tmp_path,
        **{
            "lib/common.crux": common,
            "one.crux": top.format(g="one").replace('"common.crux"', '"lib/common.crux"'),
            "two.crux": top.format(g="two").replace('"common.crux"', '"lib/common.crux"'),
        },
    )
    proc = run("check", "one.crux", "two.crux", cwd=tmp_path)
    assert proc.stdout.splitlines()[-1].startswith("Checked 3 files (2 maps): 3 claims, 2 goals;")
    project(tmp_path, **{"two.crux": top.format(g="two") + "claim broken\n"})
    proc = run("check", "two.crux", cwd=tmp_path)
    assert "1 goal;" in proc.stdout.splitlines()[-1]


def test_import_outside_the_root_says_how_to_widen_it(tmp_path):
    inner = tmp_path / "project"
    (tmp_path / "other.crux").write_text('claim x: "X"\n', encoding="utf-8")
    project(inner, **{"m.crux": 'import "../other.crux"\nclaim a: "A"\n'})
    proc = run("check", "m.crux", cwd=inner)
    assert "CX005" in proc.stdout
    assert "pyproject.toml or .git" in proc.stdout and "common parent" in proc.stdout


def test_unquoted_attribute_text_help_says_quote_it(tmp_path):
    project(tmp_path, **{"m.crux": 'claim a: "A"\n    source: seed 002, para 3\n',
                         "u.crux": 'claim a: "A"\n    source: https://example.com/x\n'})  # fmt: skip
    for name, shown in (("m.crux", "seed 002, para 3"), ("u.crux", "https://example.com/x")):
        proc = run("check", name, cwd=tmp_path)
        assert "CX001" in proc.stdout
        assert f'help: text goes in double quotes: source: "{shown}"' in proc.stdout


def test_attribute_in_column_one_help_says_indent_it(tmp_path):
    project(tmp_path, **{"m.crux": 'claim a: "A"\nsource: "x"\n'})
    proc = run("check", "m.crux", cwd=tmp_path)
    assert "CX001" in proc.stdout
    assert (
        "help: attribute lines are indented under their statement: `    source: ...`" in proc.stdout
    )


def test_big_maps_stream_the_same_report(tmp_path):
    """Over 1,000 claims the JSON report is written goal by goal from shared
    pieces of text; it must say exactly what the dict writer says."""
    from generate import wide

    from cruxmap import api
    from cruxmap.present import jsonreport
    from cruxmap.present.jsonreport import COMPACT_ABOVE, map_json

    text = wide(1200)
    project(tmp_path, **{"w.crux": text})
    proc = run("check", "--format", "json", "--max-order", "2", "w.crux", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    (streamed,) = doc["maps"]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        res = api.analyse(api.load("w.crux"), api.Options(max_order=2))
        assert jsonreport.size(res) > COMPACT_ABOVE  # the streamed writer
        built = map_json(res, range(len(res.diagnostics)))
    finally:
        os.chdir(cwd)
    assert streamed == json.loads(json.dumps(built))
    assert [doc["diagnostics"][i] for i in streamed["diagnostics"]] == [
        d.to_json() for d in res.diagnostics
    ]
    holding = [g for g in streamed["goals"].values() if g["status"] == "holds"]
    assert holding and all(
        set(g["premises"]).isdisjoint(g["unbreakable"])
        and g["unbreakable"] == sorted(g["unbreakable"])
        for g in holding
    )
    # The name-keyed API sees the whole support, margin None for the rest.
    for name, g in streamed["goals"].items():
        if g["status"] == "holds":
            premises = res.goals[name].premises
            assert premises is not None
            assert set(premises) == set(g["premises"]) | set(g["unbreakable"])
            assert all(premises[p].margin is None for p in g["unbreakable"])
            assert all(premises[p].margin == e["margin"] for p, e in g["premises"].items())


def test_single_points_of_failure_are_named_least_slack_first(tmp_path):
    """CX105 names the ten premises with least slack and counts the rest, so
    a goal over thousands of shared premises gets one readable line."""
    claims = "".join(f'claim p{i}: "p"\n    source: "s"\n    assume: {lv}\n'
                     for i, lv in enumerate(["perfect"] * 8 + ["great"] * 6))  # fmt: skip
    prem = ", ".join(f"p{i} >= partial" for i in range(14))
    text = f'claim g: "g"\n    source: "s"\n{claims}reduction r: g reduces to {prem}\n    because: "x"\ngoal g >= good\n'
    project(tmp_path, **{"m.crux": text})
    doc = json.loads(run("check", "--format", "json", "m.crux", cwd=tmp_path).stdout)
    (msg,) = [d["message"] for d in doc["diagnostics"] if d["code"] == "CX105"]
    named = msg.split(": ", 1)[1]
    # The six at great (slack 2) first, then four of the eight at perfect.
    assert named.startswith(
        ", ".join(f"`p{i}` (slack 2 steps, fails at none)" for i in range(8, 14))
    )
    assert named.count("slack 4 steps") == 4
    assert named.endswith("and 4 more (`cruxmap explain` lists them)")
