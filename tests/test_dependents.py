"""Issue 19 parts 2 and 3: the maps importing a changed file are checked and
redrawn too, and a file only imported (without goals) is a library.

The command line runs as a subprocess, as pre-commit runs it: with only the
changed file named (``cruxmap check maps/common/lib.crux``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cruxmap import api
from cruxmap.core.dependents import Layout, Projects, build_index, glob_regex, scan
from cruxmap.core.model import Import
from cruxmap.core.quickparse import parse_text

LIB = """\
claim not_scheming: "The model is not scheming"
    source: "https://example.org/s"
    assume: good
claim spare: "Nobody uses this"
    source: "https://example.org/t"
"""

A = """\
import "common/lib.crux"
claim deference_safe: "Deferring to the model is safe"
    source: "https://example.org/d"
deference_safe reduces to not_scheming >= good
    because: "a model that is not scheming can be deferred to"
goal deference_safe >= good
"""

B = """\
claim other: "Unrelated"
    source: "https://example.org/o"
    assume: great
goal other >= good
"""


def cruxmap(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cruxmap", *args], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=120)  # fmt: skip


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    (tmp_path / "maps" / "common").mkdir(parents=True)
    (tmp_path / "maps" / "common" / "lib.crux").write_text(LIB, encoding="utf-8")
    (tmp_path / "maps" / "a.crux").write_text(A, encoding="utf-8")
    (tmp_path / "maps" / "b.crux").write_text(B, encoding="utf-8")
    return tmp_path


def lower_the_library(proj: Path) -> None:
    lib = proj / "maps" / "common" / "lib.crux"
    lib.write_text(LIB.replace("assume: good", "assume: partial"), encoding="utf-8")


# --------------------------------------------------------------------------- part 2


def test_checking_a_changed_library_checks_its_importers(proj: Path) -> None:
    lower_the_library(proj)
    r = cruxmap(proj, "check", "maps/common/lib.crux")  # what the pre-commit hook runs
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith("also checked: maps/a.crux (imports maps/common/lib.crux)\n")
    assert "maps/a.crux:6:1: CX102 goal `deference_safe` needs good, reaches none" in r.stdout
    assert "maps/b.crux" not in r.stdout  # it imports nothing: not a dependent
    # Without the importers, the library alone has nothing that fails.
    alone = cruxmap(proj, "check", "--no-dependents", "maps/common/lib.crux")
    assert alone.returncode == 0, alone.stdout
    assert "CX102" not in alone.stdout and "also checked" not in alone.stdout


def test_dependents_through_imports_name_the_chain(proj: Path) -> None:
    (proj / "top.crux").write_text(
        'import "maps/a.crux"\nclaim t: "T"\n    source: "s"\n'
        't reduces to deference_safe\n    because: "b"\ngoal t >= good\n',
        encoding="utf-8",
    )
    lower_the_library(proj)
    r = cruxmap(proj, "check", "maps/common/lib.crux")
    assert r.returncode == 1
    assert "also checked: maps/a.crux (imports maps/common/lib.crux)" in r.stdout
    assert (
        "also checked: top.crux (imports maps/a.crux, which imports maps/common/lib.crux)"
        in r.stdout
    )
    assert "top.crux:6:1: CX102 goal `t`" in r.stdout


def test_json_and_sarif_include_the_dependents(proj: Path) -> None:
    lower_the_library(proj)
    r = cruxmap(proj, "check", "--format", "json", "maps/common/lib.crux")
    doc = json.loads(r.stdout)
    assert [m["root"] for m in doc["maps"]] == ["maps/a.crux"]  # the library is no map
    assert doc["summary"]["maps"] == 1 and doc["summary"]["files"] == 2
    assert any(d["code"] == "CX102" for d in doc["diagnostics"])
    s = cruxmap(proj, "check", "--format", "sarif", "maps/common/lib.crux")
    results = json.loads(s.stdout)["runs"][0]["results"]
    assert any(res["ruleId"] == "CX102" for res in results)


def test_render_redraws_the_importers_not_the_library(proj: Path) -> None:
    r = cruxmap(proj, "render", "--format", "dot", "maps/common/lib.crux")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "also drawn: maps/a.crux (imports maps/common/lib.crux)" in r.stdout
    assert "maps/common/lib.crux: a library" in r.stdout
    assert (proj / "maps" / "a.dot").exists()
    assert not (proj / "maps" / "common" / "lib.dot").exists()
    drawn = (proj / "maps" / "a.dot").read_text(encoding="utf-8")
    # The hook's mode: a change to the library makes the importer's drawing stale.
    lower_the_library(proj)
    stale = cruxmap(proj, "render", "--format", "dot", "--fail-on-change", "maps/common/lib.crux")
    assert stale.returncode == 1 and "redrew stale maps/a.dot" in stale.stdout
    assert (proj / "maps" / "a.dot").read_text(encoding="utf-8") != drawn
    (proj / "maps" / "a.dot").unlink()
    none = cruxmap(proj, "render", "--format", "dot", "--no-dependents", "maps/common/lib.crux")
    assert none.returncode == 0 and not (proj / "maps" / "a.dot").exists()


# --------------------------------------------------------------------------- part 3


def test_a_file_only_imported_is_a_library(proj: Path) -> None:
    r = cruxmap(proj, "check", ".")
    out = r.stdout
    # Not analysed as a fourth map: no CX201 for the claim a.crux uses, no
    # robustness findings of its own, not counted as a map.
    assert "CX201 claim `not_scheming`" not in out
    assert "maps/common/lib.crux:4:1: CX201 claim `spare` is declared but never used" in out
    assert out.count("CX201") == 1
    assert "Checked 3 files (2 maps)" in out
    assert "1 library (maps/common/lib.crux) linted, not analysed as maps." in out
    assert "maps/common/lib.crux: goal" not in out


def test_a_library_is_still_linted(proj: Path) -> None:
    lib = proj / "maps" / "common" / "lib.crux"
    lib.write_text(LIB + "spare reduces to nowhere\n", encoding="utf-8")
    r = cruxmap(proj, "check", "--no-dependents", "maps/common/lib.crux")
    assert r.returncode == 1
    assert "maps/common/lib.crux:6:18: CX002" in r.stdout
    assert r.stdout.count("CX002") == 1  # reported once, not again at the end
    lib.write_text(LIB.replace('    source: "https://example.org/t"\n', ""), encoding="utf-8")
    r = cruxmap(proj, "check", "--no-dependents", "maps/common/lib.crux")
    assert "maps/common/lib.crux:4:1: CX202" in r.stdout


def test_config_names_roots_and_libraries(proj: Path) -> None:
    (proj / "pyproject.toml").write_text(
        '[tool.cruxmap]\nroots = ["maps/common/*.crux"]\nlibraries = ["maps/b.crux"]\n',
        encoding="utf-8",
    )
    r = cruxmap(proj, "check", ".")
    assert "maps/common/lib.crux:1:1: CX201 claim `not_scheming`" in r.stdout  # a map again
    assert "maps/b.crux: goal" not in r.stdout  # linted only
    assert "1 library (maps/b.crux)" in r.stdout
    (proj / "pyproject.toml").write_text('[tool.cruxmap]\nroots = "maps/*"\n', encoding="utf-8")
    bad = cruxmap(proj, "check", ".")
    assert bad.returncode == 2 and "`roots` must be a list of strings" in bad.stderr


def test_import_cycles_without_goals_stay_maps(tmp_path: Path) -> None:
    (tmp_path / "x.crux").write_text('import "y.crux"\nclaim x: "x"\nx reduces to y\n')
    (tmp_path / "y.crux").write_text('import "x.crux"\nclaim y: "y"\n')
    (tmp_path / "self.crux").write_text('import "self.crux"\nclaim s: "s"\n')
    results = list(api.check([tmp_path]))
    assert [r.library for r in results] == [False, False, False]


# --------------------------------------------------------------------------- the index


def test_scan_reads_imports_and_goals_as_the_parser_does() -> None:
    assert scan('import "a.crux"  # x\nclaim a: "a"\ngoal a >= good\n') == (["a.crux"], True)
    assert scan('claim a: "import"\nimportant reduces to a\n') == ([], False)
    # A triple-quoted string can hide a line that looks like a statement.
    hidden = 'claim a: """\nimport "no.crux"\ngoal a >= good\n"""\nimport "yes.crux"\n'
    assert scan(hidden) == (["yes.crux"], False)
    assert scan('claim a: """\nimported, goal\n"""\n') == ([], False)
    # An escape: the string as the parser reads it (the loader's reading).
    escaped = 'import "a\\u0062.crux"\n'
    doc, _ = parse_text(escaped, "e.crux")
    assert scan(escaped) == ([st.target for st in doc.statements if isinstance(st, Import)], False)


def test_globs() -> None:
    rx = glob_regex("maps/**/common/*.crux")
    assert rx.fullmatch("maps/common/lib.crux") and rx.fullmatch("maps/x/y/common/lib.crux")
    assert not rx.fullmatch("maps/common/sub/lib.crux")
    assert glob_regex("./*.crux").fullmatch("a.crux") and not glob_regex("*.crux").fullmatch(
        "d/a.crux"
    )
    layout = Layout(roots=("lib.crux",), base=Path("/p"))
    assert (
        layout.forced(Path("/p/lib.crux")) == "root" and layout.forced(Path("/q/lib.crux")) is None
    )


def test_a_thousand_maps_recheck_only_the_dependents_of_one_library(tmp_path: Path) -> None:
    """1,000 maps, ten of which import one library (three directly, the rest
    through them): naming the library checks it and those ten only. The
    index (one scan of the project's import lines) takes well under a
    second (benchmarks/dependents.py measures it)."""
    (tmp_path / ".git").mkdir()
    maps = tmp_path / "maps"
    (maps / "common").mkdir(parents=True)
    (maps / "common" / "lib.crux").write_text(LIB, encoding="utf-8")
    want = set()
    for i in range(1000):
        if i < 3:
            head = 'import "common/lib.crux"\n'
        elif i < 10:
            head = f'import "m{i % 3:04d}.crux"\n'
        else:
            head = f'import "m{(i + 1) % 990 + 10:04d}.crux"\n' if i % 2 else ""
        if i < 10:
            want.add(f"m{i:04d}.crux")
        body = f'claim c{i}: "c"\n    source: "s"\n    assume: good\ngoal c{i} >= good\n'
        (maps / f"m{i:04d}.crux").write_text(head + body, encoding="utf-8")
    start = time.perf_counter()
    index = build_index(tmp_path)
    took = time.perf_counter() - start
    assert len(index.imports) == 1001
    assert took < 10, took  # about 0.05 s on a laptop; generous for shared CI
    run = api.Run([maps / "common" / "lib.crux"], dependents=True)
    assert {Path(f).name for f in run.added} == want
    results = list(run)
    assert len(results) == 11 and results[0][0].library and run.maps == 10
    # A map nothing imports has no dependents; one imported by another has.
    assert Projects().dependents([maps / "m0011.crux"]) == []
    assert [f.name for f, _ in Projects().dependents([maps / "m0022.crux"])] == ["m0011.crux"]


def test_each_importer_answers_for_its_own_file_and_the_library_for_its_claims(
    proj: Path,
) -> None:
    """lib has two claims; a.crux uses one, c.crux the other: no CX201 at all
    (a map no longer reports the library claims it does not use), and each
    result is the same checked alone as checked with the others."""
    lib = proj / "maps" / "common" / "lib.crux"
    lib.write_text(LIB.replace("Nobody uses this", "c.crux uses this"), encoding="utf-8")
    (proj / "maps" / "c.crux").write_text(
        A.replace("deference_safe", "other_safe").replace("not_scheming", "spare")
        + "    # (spare has no assume: CX205 is the library's, reported once)\n",
        encoding="utf-8",
    )
    together = {r.map.root: r.diagnostics for r in api.check([proj / "maps"])}
    assert not any(d.code == "CX201" for ds in together.values() for d in ds)
    for root, diags in together.items():
        alone = next(iter(api.check([root], dependents=False)))
        assert alone.diagnostics == diags, root


def test_explore_gives_a_library_no_page(proj: Path) -> None:
    r = cruxmap(proj, "explore", "maps/", "-o", "pages/")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "maps/common/lib.crux: a library" in r.stdout
    assert sorted(p.name for p in (proj / "pages").rglob("*.html")) == ["a.html", "b.html"]


def test_a_project_too_big_to_index_says_so(
    proj: Path, monkeypatch: pytest.MonkeyPatch, run: Callable[..., tuple[int, str, str]]
) -> None:
    from cruxmap.core import dependents

    monkeypatch.setattr(dependents, "MAX_WALKED_ENTRIES", 3)
    monkeypatch.chdir(proj)
    code, out, _ = run("check", "maps/b.crux")
    assert code == 0
    assert "holds too many files to index; maps importing a file named may be missed" in out
