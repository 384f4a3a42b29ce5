"""The library API (``cruxmap.api``), used the way a notebook or front end uses it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cruxmap
from cruxmap import api
from cruxmap.present.report import Report, schema_text

ROOT = Path(__file__).resolve().parent.parent

ROBUST = """\
claim alignment: "The AI is aligned"
claim interp: "Interpretability"
    assume: great
claim oversight: "Oversight"
    assume: good
reduction via_interp: alignment reduces to interp >= good
reduction via_oversight: alignment reduces to oversight >= partial
    yields: good
goal alignment >= good
"""


def test_three_lines_from_docs() -> None:
    m = cruxmap.load(ROOT / "arguments" / "interpretability.crux")
    r = cruxmap.analyse(m)
    assert r.analysed and set(r.goals) >= {"aligned_as_argued", "aligned_repaired"}
    assert all(isinstance(g.status, str) for g in r.goals.values())


def test_results_are_keyed_by_name_with_level_names() -> None:
    r = api.analyse(api.load_text(ROBUST, "m.crux"))
    goal = r.goals["alignment"]
    assert (goal.status, goal.required, goal.value) == ("holds", "good", "perfect")
    assert goal.premises is not None
    assert goal.premises["interp"].margin is None
    assert goal.premises["oversight"].value == "good"
    assert goal.cut_sets == [] and goal.uniform_margin == 1
    assert r.claims["interp"] == api.ClaimResult("great", "great", True)


def test_scenario_is_one_options_object() -> None:
    m = api.load_text(ROBUST, "m.crux")
    opts = api.Options(scenario={"interp": "partial", "oversight": "none"})
    r = api.analyse(m, opts)
    assert r.goals["alignment"].status == "fails"
    assert r.goals["alignment"].premises is None
    assert r.claims["interp"].value == "partial" and r.claims["interp"].baseline == "great"
    assert r.scenario == {"interp": "partial", "oversight": "none"}
    assert opts.replace(depth=2).depth == 2 and opts.depth == 1


def test_bad_scenario_raises_cruxmap_error_with_suggestion() -> None:
    m = api.load_text(ROBUST, "m.crux")
    with pytest.raises(api.CruxmapError, match="did you mean `interp`"):
        api.analyse(m, api.Options(scenario={"intrp": "good"}))
    with pytest.raises(api.CruxmapError, match="unknown level `godo`"):
        api.analyse(m, api.Options(scenario={"interp": "godo"}))


def test_errors_are_diagnostics_not_exceptions() -> None:
    m = api.load_text('claim a "no colon"\n', "bad.crux")
    assert not m.ok
    r = api.analyse(m)
    assert not r.analysed and r.goals == {} and r.claims == {}
    assert [d.code for d in r.diagnostics] == ["CX001"]


def test_suppressions_and_select_are_applied() -> None:
    text = ROBUST.replace("goal alignment >= good", "goal alignment >= great").replace(
        "assume: great", "assume: good"
    )
    brittle = api.analyse(api.load_text(text, "m.crux"))
    assert "CX101" in {d.code for d in brittle.diagnostics}
    quiet = api.analyse(api.load_text(text, "m.crux"), api.Options(ignore=("CX1",)))
    assert not any(d.code.startswith("CX1") for d in quiet.diagnostics)
    marked = text.replace(
        'claim interp: "Interpretability"',
        'claim interp: "Interpretability"  # cruxmap: ignore[CX101]',
    )
    assert "CX101" not in {d.code for d in api.analyse(api.load_text(marked, "m.crux")).diagnostics}


def test_overlay_stands_in_for_unsaved_imports(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "lib.crux").write_text('claim interp: "I"\n    assume: great\n')
    root = tmp_path / "m.crux"
    root.write_text(
        'import "lib.crux"\nclaim a: "A"\na reduces to interp >= good\ngoal a >= good\n'
    )
    assert api.analyse(api.load(root)).goals["a"].status == "holds"
    unsaved = {tmp_path / "lib.crux": 'claim interp: "I"\n    assume: partial\n'}
    assert api.analyse(api.load(root, overlay=unsaved)).goals["a"].status == "fails"
    # The root itself from text: nothing on disk is needed for it.
    m = api.load_text(
        'import "lib.crux"\nclaim b: "B"\nb reduces to interp\n', tmp_path / "new.crux"
    )
    assert m.ok and "b" in api.analyse(m).claims


def test_overlay_cannot_lift_containment(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "pyproject.toml").write_text("")
    m = api.load_text('import "../outside.crux"\n', proj / "m.crux",
                      overlay={tmp_path / "outside.crux": 'claim x: "x"\n'})  # fmt: skip
    assert [d.code for d in m.diagnostics] == ["CX005"]


def test_check_streams_and_shares_one_analysis(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "big.crux").write_text(ROBUST)
    for i in range(5):
        (tmp_path / f"r{i}.crux").write_text('import "big.crux"\n')
    run = api.Run([tmp_path], api.Options())
    results = [r for r, _ in run]
    assert len(results) == 6 and run.shared == 5
    assert run.claim_count == 3 and run.file_count == 6
    assert all(r.goals["alignment"].status == "holds" for r in results)


def test_json_report_matches_published_schema(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a.crux").write_text(ROBUST)
    (tmp_path / "b.crux").write_text('import "a.crux"\n')
    (tmp_path / "bad.crux").write_text('claim "x"\n')
    out = subprocess.run(
        [sys.executable, "-m", "cruxmap", "check", "--format", "json", "--set", "interp=good", "."],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    doc = json.loads(out.stdout)
    Report.model_validate(doc)  # raises on any key or type the schema does not allow
    assert [m["root"] for m in doc["maps"]] == ["a.crux", "b.crux", "bad.crux"]
    assert doc["maps"][1]["same_as"] == "a.crux"
    assert doc["summary"]["errors"] >= 1


def test_published_schema_is_current() -> None:
    assert (ROOT / "docs" / "report.schema.json").read_text("utf-8") == schema_text(), (
        'regenerate: python -c "from cruxmap.present.report import schema_text; '
        "open('docs/report.schema.json','w').write(schema_text())\""
    )


def test_importing_cruxmap_is_light() -> None:
    code = "import sys, cruxmap; print('cruxmap.api' in sys.modules, 'lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_many_roots_sharing_one_import_cost_one_analysis(tmp_path: Path) -> None:
    """Issue 14 #3: 500 one-line roots importing one 1,700-claim chain took
    42 s, 5 GB and 2 GB of JSON; now one merge, one analysis, small output."""
    (tmp_path / "pyproject.toml").write_text("")
    chain = ['claim c0: "c0"\n    assume: great\n']
    chain += [f'claim c{i}: "c{i}"\nc{i} reduces to c{i - 1} >= good\n' for i in range(1, 1700)]
    (tmp_path / "big.crux").write_text("".join(chain) + "goal c1699 >= good\n")
    for i in range(200):
        (tmp_path / f"r{i:03}.crux").write_text('import "big.crux"\n')
    run = api.Run([tmp_path])
    merged_before = len(run.loader.merged)
    results = [r for r, _ in run]
    assert len(results) == 201 and run.shared == 200
    assert len(run.loader.merged) - merged_before == 1
    assert {r.internal is results[0].internal for r in results} == {True}
    assert run.claim_count == 1700
    out = subprocess.run(
        [sys.executable, "-m", "cruxmap", "check", "--format", "json", "."],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    doc = json.loads(out.stdout)
    assert [m.get("same_as") for m in doc["maps"]].count("big.crux") == 200
    # The shared analysis and its findings are written once, not 201 times:
    # the other 200 entries are a few hundred bytes each.
    once = len(json.dumps(doc["maps"][0], indent=2)) + len(json.dumps(doc["diagnostics"]))
    assert len(out.stdout) < 1.5 * once + 200 * 500


def test_config_schema_is_current_and_agrees_with_the_validator(tmp_path: Path) -> None:
    import jsonschema

    from cruxmap.core import config

    assert (ROOT / "docs" / "config.schema.json").read_text("utf-8") == config.schema_text()
    validator = jsonschema.Draft202012Validator(config.schema())
    cases: list[dict[str, object]] = [
        {},
        {"paths": ["arguments"], "select": ["CX1"], "ignore": ["cx202"], "fail-on": "info"},
        {"depth": 2, "max-order": 16, "format": "sarif"},
        {"max-order": 1000000000000},
        {"max-order": 0},
        {"depth": -1},
        {"depth": True},
        {"fail_on": "error"},
        {"format": "xml"},
        {"select": "CX1"},
        {"ignore": ["CX1\n::error::x"]},
    ]
    for table in cases:
        schema_ok = validator.is_valid(table)
        try:
            config.parse(table, tmp_path / "pyproject.toml")
            parse_ok = True
        except config.ConfigError:
            parse_ok = False
        assert schema_ok == parse_ok, table


def test_a_scenario_applies_to_the_maps_that_have_the_claim(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a.crux").write_text(ROBUST)
    (tmp_path / "b.crux").write_text('claim other: "O"\nclaim g: "G"\ng reduces to other\n')
    out = subprocess.run(
        [sys.executable, "-m", "cruxmap", "check", "--format", "json", "--set", "interp=none", "."],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode in (0, 1), out.stderr
    maps = {m["root"]: m for m in json.loads(out.stdout)["maps"]}
    assert maps["a.crux"]["scenario"] == {"interp": "none"}
    assert maps["b.crux"]["scenario"] == {}
    assert maps["a.crux"]["claims"]["interp"]["value"] == "none"


def test_json_check_does_not_import_pydantic(tmp_path: Path) -> None:
    """pydantic defines the published schema; writing a report needs none of it
    (its import costs more than checking a small map)."""
    (tmp_path / "m.crux").write_text(ROBUST)
    code = (
        "import sys; from cruxmap.commands import main; rc = main(['check', '--format', 'json', 'm.crux']); "
        "print('pydantic' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.stderr.strip().endswith("False"), out.stderr
