"""The command line as users and CI drive it: exit codes, formats, config."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from test_lint import BRITTLE

ROBUST = BRITTLE.replace("reduces to interp\n", "reduces to interp >= good\n").replace(
    'claim interp: "Full interpretability"\n    source: "seed 000"\n',
    'claim interp: "Full interpretability"\n    source: "seed 000"\n    assume: great\n',
)
ROBUST += 'claim oversight: "Oversight"\n    source: "s"\nreduction r2: alignment reduces to oversight >= good\n    because: "b"\n'


def test_exit_0_when_clean_1_on_warning_2_on_syntax_error(write: Callable[..., Path], run) -> None:
    assert run("check", write("ok.crux", ROBUST))[0] == 0
    assert run("check", write("brittle.crux", BRITTLE))[0] == 1
    code, out, _ = run("check", write("bad.crux", 'claim a "A"\n'))
    assert code == 2 and "bad.crux:1:9: CX001" in out


def test_missing_path_and_misuse_exit_2(project: Path, write: Callable[..., Path], run) -> None:
    code, out, _ = run("check", "nope.crux")
    assert code == 2 and "CX005" in out
    path = write("m.crux", BRITTLE)
    code, _, err = run("check", "--set", "interpp=good", path)
    assert code == 2 and "did you mean `interp`?" in err
    code, _, err = run("check", "--set", "interp=grate", path)
    assert code == 2 and "did you mean `great`?" in err
    code, _, err = run("check", "--set", "interp", path)
    assert code == 2 and "CLAIM=LEVEL" in err


def test_text_output_and_summary(write: Callable[..., Path], run) -> None:
    code, out, _ = run("check", write("m.crux", BRITTLE))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("m.crux:3:1: CX101 premise `interp` is brittle for goal `alignment`")
    # The info: CX205, `interp` is a leaf without `assume`.
    assert lines[-1] == "Checked 1 file (1 map): 2 claims, 1 goal; 0 errors, 1 warning, 1 info."


def test_json_report_has_the_spec_keys(write: Callable[..., Path], report) -> None:
    rep = report(write("m.crux", ROBUST))
    assert {"scale", "diagnostics", "claims", "goals", "objections"} <= set(rep)
    goal = rep["goals"]["alignment"]
    assert {
        "required",
        "baseline",
        "status",
        "premises",
        "cut_sets",
        "uniform_margin",
        "with_objections",
    } <= set(goal)
    # interp can fall to the bottom with the goal holding: not among the
    # premises that can break it, listed as unbreakable.
    assert "interp" not in goal["premises"] and "interp" in goal["unbreakable"]
    assert set(goal["premises"]) | set(goal["unbreakable"]) == set(rep["claims"]) - {"alignment"}
    assert all(
        set(e) == {"baseline", "value", "margin", "breaks_at", "brittle"}
        and isinstance(e["margin"], int)
        for e in goal["premises"].values()
    )
    # One step down leaves both routes standing; all leaves four steps down do not.
    assert goal["cut_sets"] == []
    assert goal["uniform_margin"] == 3


def test_several_maps_are_keyed_by_path_and_shared_findings_reported_once(
    write: Callable[..., Path], run
) -> None:
    write("shared.crux", BRITTLE)
    write("a.crux", 'import "shared.crux"\n')
    write("b.crux", 'import "shared.crux"\n')
    code, out, _ = run("check", "--format", "json", ".")
    data = json.loads(out)
    assert [m["root"] for m in data["maps"]] == ["a.crux", "b.crux", "shared.crux"]
    # The first map lists its findings (by position in the report's list);
    # the two made of the same file refer to it.
    first = [data["diagnostics"][i] for i in data["maps"][0]["diagnostics"]]
    assert [d["code"] for d in first].count("CX101") == 1
    assert [m["diagnostics"] for m in data["maps"][1:]] == [[], []]
    brittle = [d for d in data["diagnostics"] if d["code"] == "CX101"]
    assert len(brittle) == 1 and code == 1
    # Three roots made of the same file share one analysis.
    assert [m.get("same_as") for m in data["maps"]] == [None, "a.crux", "a.crux"]
    assert data["summary"]["claims"] == 2 and data["summary"]["maps"] == 3
    code, out, _ = run("check", ".")
    assert out.count("CX101") == 1


def test_github_format(write: Callable[..., Path], run) -> None:
    _, out, _ = run("check", "--format", "github", write("m.crux", BRITTLE))
    assert out.startswith("::warning file=m.crux,line=3,col=1,title=CX101::CX101 premise `interp`")


def test_scenario_changes_values_and_margins(write: Callable[..., Path], report) -> None:
    path = write("m.crux", ROBUST)
    rep = report("--set", "interp=good", path)
    assert rep["claims"]["interp"] == {"baseline": "great", "value": "good"}
    assert rep["scenario"] == {"interp": "good"}
    # At good, interp still cannot sink the goal alone (the other route holds).
    assert "interp" in rep["goals"]["alignment"]["unbreakable"]
    rep = report("--set", "interp=partial", "--set", "oversight=partial", path)
    assert rep["goals"]["alignment"]["status"] == "fails"


def test_fail_on_select_ignore(write: Callable[..., Path], run) -> None:
    path = write("m.crux", BRITTLE)
    assert run("check", "--fail-on", "error", path)[0] == 0
    assert run("check", "--ignore", "CX101", path)[0] == 0
    code, out, _ = run("check", "--select", "CX2", path)
    assert code == 0 and "CX101" not in out
    code, _, err = run("check", "--select", "CX999", path)
    assert code == 2 and "unknown code" in err


def test_pyproject_config(project: Path, write: Callable[..., Path], run) -> None:
    write("maps/m.crux", BRITTLE)
    (project / "pyproject.toml").write_text(
        '[tool.cruxmap]\npaths = ["maps"]\nignore = ["CX101"]\n'
    )
    code, out, _ = run("check")
    assert code == 0 and "Checked 1 file" in out
    (project / "pyproject.toml").write_text('[tool.cruxmap]\nfail_on = "error"\n')
    code, _, err = run("check")
    assert code == 2 and "did you mean `fail-on`?" in err
    (project / "pyproject.toml").write_text(
        '[tool.cruxmap]\nfail-on = "info"\ndepth = 2\nmax-order = 1\n'
    )
    code, out, _ = run("check", "--format", "json", "maps")
    assert code == 1 and json.loads(out)["maps"][0]["depth"] == 2


def test_depth_and_max_order(write: Callable[..., Path], report) -> None:
    path = write("m.crux", ROBUST)
    assert report("--max-order", "1", path)["goals"]["alignment"]["cut_sets"] == []
    assert report("--depth", "3", path)["goals"]["alignment"]["cut_sets"] == []
    deep = report("--depth", "4", path)["goals"]["alignment"]["cut_sets"]
    assert deep == [["interp", "oversight"]]


def test_version_is_fast_and_module_entry_point_works(write: Callable[..., Path]) -> None:
    probe = "import sys; from cruxmap.commands import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\nprint('networkx' in sys.modules, 'pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False False")
    path = write("m.crux", BRITTLE)
    proc = subprocess.run(
        [sys.executable, "-m", "cruxmap", "check", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "CX101" in proc.stdout


def test_lazy_commands_are_listed_with_their_own_help() -> None:
    """`cruxmap --help` lists explain, cruxes and diff without importing
    them; the line it shows is the one their own parser declares."""
    import argparse

    from cruxmap.commands import LAZY_COMMANDS, build_parser

    for name, summary in LAZY_COMMANDS.items():
        parser = build_parser(name)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        helps = {c.dest: c.help for c in sub._choices_actions}
        assert helps[name] == summary
        assert sub.choices[name].description  # the full parser, not the listing
    assert not build_parser("check")._actions[-1].choices["diff"].description  # type: ignore[union-attr]
