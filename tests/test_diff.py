"""``cruxmap diff`` as users run it: real git repositories with several
commits, the command run as a subprocess, every kind of change asserted as
the exact JSON entry it produces."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cmarkgfm  # GitHub's own Markdown renderer: the PR comment must render there
import pytest

from cruxmap.commands import main
from cruxmap.present import diff

BASE = """\
claim goal_c: "The goal"
    source: "s"
claim a: "Premise A"
    source: "s"
    assume: great
claim b: "Premise B"
    source: "s"
    assume: good

reduction r1: goal_c reduces to a >= good, b >= partial
    because: "w"

goal goal_c >= good
"""
# In BASE: a is at great (margin 1, breaks at partial), b at good (margin 1,
# breaks at none); no cut set; uniform margin 1.


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "NO_COLOR"))}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
    )
    return env


class Git:
    """A scratch repository: write files, commit, run cruxmap in it."""

    def __init__(self, path: Path, home: Path) -> None:
        self.path = path
        self.env = _env(home)

    def __call__(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def write(self, files: dict[str, str | None]) -> None:
        for name, text in files.items():
            p = self.path / name
            if text is None:
                p.unlink()
            else:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text, encoding="utf-8")

    def commit(self, files: dict[str, str | None], message: str = "change") -> None:
        self.write(files)
        self("add", "-A")
        self("commit", "-qm", message)

    def cruxmap(
        self, *args: str, cwd: Path | None = None, subprocess_: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """``cruxmap ARGS`` in the repository: in-process through the real
        entry point (fast), or as a separate process."""
        if subprocess_:
            return subprocess.run(
                [sys.executable, "-m", "cruxmap", *args],
                cwd=cwd or self.path,
                env=self.env,
                capture_output=True,
                text=True,
                encoding="utf-8",
            )
        out, err = io.StringIO(), io.StringIO()
        with contextlib.chdir(cwd or self.path), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # fmt: skip
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse errors
                code = int(exc.code or 0)
        return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())

    def diff_json(self, *args: str, code: int | None = None) -> dict[str, Any]:
        proc = self.cruxmap("diff", "--format", "json", *args)
        assert proc.returncode in (0, 1), proc.stderr
        if code is not None:
            assert proc.returncode == code, proc.stdout
        return json.loads(proc.stdout)


@pytest.fixture(autouse=True)
def _git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git as in a fresh account: no user or system configuration."""
    for name, value in _env(tmp_path).items():
        monkeypatch.setenv(name, value)
    for name in list(os.environ):
        if name.startswith("GIT_") and name not in _env(tmp_path):
            monkeypatch.delenv(name)


@pytest.fixture
def repo(tmp_path: Path) -> Git:
    path = tmp_path / "repo"
    path.mkdir()
    g = Git(path, tmp_path)
    g("init", "-q", "-b", "main")
    g.commit({"pyproject.toml": "[project]\nname = 'scratch'\n", "m.crux": BASE}, "base")
    return g


def changes(report: dict[str, Any], path: str = "m.crux") -> list[dict[str, Any]]:
    [entry] = [m for m in report["maps"] if m["path"] == path]
    return entry["changes"]


def entry(kind: str, effect: str, old: Any, new: Any, goal: str | None = None, subject: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "kind": kind,
        "effect": effect,
        "goal": goal,
        "subject": subject,
        "old": old,
        "new": new,
    }


def premise(value: str, margin: int | None, breaks_at: str | None) -> dict[str, Any]:
    return {"value": value, "margin": margin, "breaks_at": breaks_at, "brittle": margin == 0}


# --------------------------------------------------------------------------- robustness


def test_premise_weakened_is_a_regression(repo: Git) -> None:
    repo.write({"m.crux": BASE.replace("assume: great", "assume: good")})
    report = repo.diff_json(code=1)
    assert changes(report) == [
        entry("premise_brittle", "regression", premise("great", 1, "partial"),
              premise("good", 0, "partial"), "goal_c", "a"),
        entry("cut_set_added", "regression", None, ["a"], "goal_c", "a"),
        entry("uniform_margin", "worse", 1, 0, "goal_c"),
        entry("claim_changed", "neutral", {"assume": "great"}, {"assume": "good"}, subject="a"),
    ]  # fmt: skip
    assert report["regression"] is True
    assert report["summary"]["regression"] == 2
    assert report["old"]["label"].startswith("main (merge base ")


def test_route_added_margins_grow(repo: Git) -> None:
    extra = 'claim c: "C"\n    source: "s"\n    assume: great\nreduction r2: goal_c reduces to c >= good\n    because: "w"\n'
    repo.commit({"m.crux": BASE + extra}, "second route")
    report = repo.diff_json("--against", "HEAD~1", code=0)
    assert changes(report) == [
        entry("margin", "better", premise("great", 1, "partial"), premise("great", None, None), "goal_c", "a"),
        entry("margin", "better", premise("good", 1, "none"), premise("good", None, None), "goal_c", "b"),
        entry("premise_added", "neutral", None, premise("great", None, None), "goal_c", "c"),
        entry("claim_added", "neutral", None, {"text": "C", "assume": "great"}, subject="c"),
        entry("reduction_added", "neutral", None,
              {"conclusion": "goal_c", "premises": {"c": "good"}, "yields": "perfect"}, subject="r2"),
    ]  # fmt: skip


def test_threshold_lowered(repo: Git) -> None:
    repo.commit({"m.crux": BASE.replace("a >= good", "a >= partial")})
    report = repo.diff_json("--against", "HEAD~1", code=0)
    assert changes(report) == [
        entry("margin", "better", premise("great", 1, "partial"), premise("great", 2, "none"), "goal_c", "a"),
        entry("reduction_changed", "neutral", {"premises": {"a": "good", "b": "partial"}},
              {"premises": {"a": "partial", "b": "partial"}}, subject="r1"),
    ]  # fmt: skip


def test_threshold_raised_shrinks_a_margin_and_a_goal_stops_holding(repo: Git) -> None:
    repo.write({"m.crux": BASE.replace("b >= partial", "b >= good")})
    assert changes(repo.diff_json(code=1))[0] == entry(
        "premise_brittle",
        "regression",
        premise("good", 1, "none"),
        premise("good", 0, "partial"),
        "goal_c",
        "b",
    )
    repo.write({"m.crux": BASE.replace("b >= partial", "b >= great")})
    assert changes(repo.diff_json(code=1))[0] == entry(
        "goal_status", "regression",
        {"status": "holds", "value": "perfect", "required": "good"},
        {"status": "fails", "value": "none", "required": "good"}, "goal_c",
    )  # fmt: skip
    repo.write({"m.crux": BASE.replace("assume: good", "assume: great")})
    assert entry("margin", "better", premise("good", 1, "none"), premise("great", 2, "none"),
                 "goal_c", "b") in changes(repo.diff_json(code=0))  # fmt: skip


def test_shrunken_margin_goal_level_and_requirement(repo: Git) -> None:
    wide = BASE.replace("a >= good", "a >= partial").replace("assume: great", "assume: perfect")
    repo.commit({"m.crux": wide})
    weaker = wide.replace("assume: perfect", "assume: great").replace(
        '    because: "w"', '    yields: great\n    because: "w"'
    )
    repo.write({"m.crux": weaker})
    got = changes(repo.diff_json("--against", "HEAD", code=1))
    assert got[:2] == [
        entry("margin", "regression", premise("perfect", 4, "none"), premise("great", 2, "none"), "goal_c", "a"),
        entry("goal_level", "worse", "perfect", "great", "goal_c"),
    ]  # fmt: skip
    repo.write({"m.crux": wide.replace(">= good\n", ">= great\n")})
    assert entry("goal_required", "neutral", "good", "great", "goal_c") in changes(
        repo.diff_json("--against", "HEAD")
    )


def test_cut_set_of_order_two_appears(repo: Git) -> None:
    # Two routes, through a and through c: with a at good, both one step
    # down at once break the goal, though neither alone does.
    two = BASE.replace(
        "reduction r1: goal_c reduces to a >= good, b >= partial",
        'claim c: "C"\n    source: "s"\n    assume: good\n'
        "reduction r1: goal_c reduces to a >= good\nreduction r3: goal_c reduces to c >= good",
    )
    repo.commit({"m.crux": two})
    repo.write({"m.crux": two.replace("assume: great", "assume: good")})
    got = changes(repo.diff_json("--against", "HEAD", code=1))
    assert entry("cut_set_added", "regression", None, ["a", "c"], "goal_c", "a, c") in got
    assert not any(c["kind"] == "premise_brittle" for c in got)
    # Of order 3 it is only "worse" (and --max-order 1 does not list it).
    assert changes(repo.diff_json("--against", "HEAD", "--max-order", "1", code=0)) == [
        entry("uniform_margin", "worse", 1, 0, "goal_c"),
        entry("claim_changed", "neutral", {"assume": "great"}, {"assume": "good"}, subject="a"),
    ]  # fmt: skip


def test_cut_set_removed_and_premise_removed(repo: Git) -> None:
    two = BASE.replace("reduction r1: goal_c reduces to a >= good, b >= partial",
                       "reduction r1: goal_c reduces to a >= great, b >= good")  # fmt: skip
    repo.commit({"m.crux": two})
    repo.write({"m.crux": two.replace(", b >= good", "")})
    got = changes(repo.diff_json("--against", "HEAD"))
    assert entry("cut_set_removed", "better", ["b"], None, "goal_c", "b") in got
    assert entry("premise_not_brittle", "better", premise("good", 0, "partial"), None, "goal_c", "b") in got  # fmt: skip
    repo.write({"m.crux": two.replace("assume: good", "assume: great")})
    got = changes(repo.diff_json("--against", "HEAD"))
    assert entry("premise_not_brittle", "better", premise("good", 0, "partial"),
                 premise("great", 1, "partial"), "goal_c", "b") in got  # fmt: skip
    repo.write({"m.crux": BASE.replace(", b >= partial", "")})
    got = changes(repo.diff_json("--against", "HEAD~1"))
    assert (
        entry("premise_removed", "neutral", premise("good", 1, "none"), None, "goal_c", "b") in got
    )


def test_goal_added_and_removed(repo: Git) -> None:
    repo.write({"m.crux": BASE + "goal a >= great\n"})
    got = changes(repo.diff_json(code=0))
    assert entry("goal_added", "neutral", None, {"required": "great", "value": "great", "status": "holds", "brittle": []}, "a") in got  # fmt: skip
    repo.write({"m.crux": BASE.replace("goal goal_c >= good\n", "goal a >= good\n")})
    got = changes(repo.diff_json(code=0))
    assert entry("goal_removed", "worse", {"required": "good", "value": "perfect", "status": "holds", "brittle": []}, None, "goal_c") in got  # fmt: skip


# --------------------------------------------------------------------------- objections


OBJ = """
objection slow: "Interpretability will come too late"
    against: a
    caps: partial
"""
REBUTTAL = """
objection answer: "Early results already transfer"
    against: slow
"""


def test_objection_rebutted(repo: Git) -> None:
    repo.commit({"m.crux": BASE + OBJ}, "objection")
    repo.commit({"m.crux": BASE + OBJ + REBUTTAL}, "rebuttal")
    report = repo.diff_json("--against", "HEAD~1", code=0)
    assert changes(report) == [
        entry("with_objections", "better", {"level": "none", "status": "fails"},
              {"level": "perfect", "status": "holds"}, "goal_c"),
        entry("objection_status", "neutral", "in", "out", subject="slow"),
        entry("objection_added", "neutral", None,
              {"text": "Early results already transfer", "against": "slow", "caps": None, "status": "in"},
              subject="answer"),
    ]  # fmt: skip
    # Edited and removed objections; --objections analyses both sides with them applied.
    repo.write({"m.crux": BASE + OBJ.replace("caps: partial", "caps: good")})
    got = changes(repo.diff_json("--against", "HEAD", "--objections"))
    assert entry("objection_changed", "neutral", {"caps": "partial"}, {"caps": "good"}, subject="slow") in got  # fmt: skip
    assert entry("objection_removed", "neutral",
                 {"text": "Early results already transfer", "against": "slow", "caps": None, "status": "in"},
                 None, subject="answer") in got  # fmt: skip
    # With the objections applied, a is capped at good: brittle in the new version.
    assert entry("goal_status", "regression", {"status": "holds", "value": "perfect", "required": "good"},
                 {"status": "holds", "value": "perfect", "required": "good"}, "goal_c") not in got  # fmt: skip
    assert entry("premise_brittle", "regression", premise("great", 1, "partial"),
                 premise("good", 0, "partial"), "goal_c", "a") in got  # fmt: skip


# --------------------------------------------------------------------------- files


def test_file_renamed_is_followed(repo: Git) -> None:
    repo("mv", "m.crux", "moved.crux")
    repo.commit({}, "rename")
    report = repo.diff_json("--against", "HEAD~1", code=0)
    [m] = report["maps"]
    assert (m["old_path"], m["new_path"], m["status"], m["renamed"]) == ("m.crux", "moved.crux", "unchanged", True)  # fmt: skip
    # Renamed and changed: the changes are reported under the new name.
    repo.write({"moved.crux": BASE.replace("assume: great", "assume: good")})
    report = repo.diff_json("--against", "HEAD~1", code=1)
    [m] = report["maps"]
    assert m["renamed"] and m["changes"][0]["kind"] == "premise_brittle"
    text = repo.cruxmap("diff", "--against", "HEAD~1").stdout
    assert "moved.crux  (renamed from m.crux)" in text


def test_file_deleted_and_added(repo: Git) -> None:
    other = (
        'claim x: "X"\nclaim y: "Y"\n    assume: great\nx reduces to y >= great\ngoal x >= good\n'
    )
    repo.commit({"m.crux": None, "n.crux": other}, "replace")
    report = repo.diff_json("--against", "HEAD~1")
    assert changes(report, "m.crux") == [
        entry("map_removed", "neutral",
              {"analysed": True, "errors": [], "goals": {"goal_c": "holds"}, "brittle": []}, None)
    ]  # fmt: skip
    assert changes(report, "n.crux") == [
        entry("map_added", "neutral", None,
              {"analysed": True, "errors": [], "goals": {"x": "holds"}, "brittle": ["y"]})
    ]  # fmt: skip
    # A deleted file named on the command line is still compared.
    got = repo.diff_json("--against", "HEAD~1", "m.crux")
    assert [m["status"] for m in got["maps"]] == ["removed"]


def test_import_added(repo: Git) -> None:
    lib = 'claim c: "C"\n    source: "s"\n    assume: great\nreduction r2: goal_c reduces to c >= good\n    because: "w"\n'
    repo.commit({"lib/extra.crux": lib}, "library")
    repo.commit({"m.crux": 'import "lib/extra.crux"\n' + BASE}, "import it")
    report = repo.diff_json("--against", "HEAD~1", "m.crux")
    got = changes(report)
    assert entry("reduction_added", "neutral", None,
                 {"conclusion": "goal_c", "premises": {"c": "good"}, "yields": "perfect"}, subject="r2") in got  # fmt: skip
    assert entry("margin", "better", premise("great", 1, "partial"), premise("great", None, None), "goal_c", "a") in got  # fmt: skip


def test_import_resolved_inside_the_revision(repo: Git) -> None:
    """The old side's imports read the revision's files, not the working tree's."""
    lib = 'claim c: "C"\n    source: "s"\n    assume: great\nreduction r2: goal_c reduces to c >= good\n    because: "w"\n'
    repo.commit({"lib.crux": lib, "m.crux": 'import "lib.crux"\n' + BASE}, "with lib")
    repo.write({"lib.crux": lib.replace("assume: great", "assume: partial")})
    got = changes(repo.diff_json("m.crux"))
    assert entry("claim_changed", "neutral", {"assume": "great"}, {"assume": "partial"}, subject="c") in got  # fmt: skip
    # An import leaving the revision's tree is refused as in a checkout.
    repo.commit({"m.crux": 'import "../outside.crux"\n' + BASE}, "escape")
    (repo.path.parent / "outside.crux").write_text(lib)
    report = repo.diff_json("--against", "HEAD", "m.crux")
    assert changes(report) == []


def test_syntax_error_at_the_old_revision(repo: Git) -> None:
    repo.commit({"m.crux": BASE.replace('claim b: "Premise B"', 'claim b "Premise B"')}, "broken")
    repo.commit({"m.crux": BASE}, "fixed")
    report = repo.diff_json("--against", "HEAD~1", code=0)
    got = changes(report)
    assert got[0]["kind"] == "map_errors" and got[0]["effect"] == "better"
    assert got[0]["new"] == []
    [err] = got[0]["old"]
    assert (err["code"], err["path"], err["line"]) == ("CX001", "m.crux", 6)
    assert got[1] == entry("goal_status", "neutral",
                           {"status": "not analysed", "value": None, "required": "good"},
                           {"status": "holds", "value": "perfect", "required": "good"}, "goal_c")  # fmt: skip
    # Broken in the working tree: a regression, with the CX001 in the text.
    repo.write({"m.crux": BASE + "claim oops\n"})
    proc = repo.cruxmap("diff")
    assert proc.returncode == 1
    assert "REGRESSION  errors that stop the analysis: none -> 1 CX001" in proc.stdout
    assert "m.crux:14:" in proc.stdout and "CX001" in proc.stdout
    [table] = render_gfm(repo.cruxmap("diff", "--format", "markdown").stdout).tables
    assert table[1][:3] == ["🔴 regression", "errors that stop the analysis", "none"]
    assert table[1][3].startswith("CX001 m.crux:14:")


def test_paths_with_spaces_and_non_ascii_names(repo: Git) -> None:
    name = "maps dir/ärgument ü.crux"
    repo.commit({name: BASE}, "unicode")
    repo.write({name: BASE.replace("assume: great", "assume: good")})
    report = repo.diff_json("maps dir", code=1)
    [m] = report["maps"]
    assert m["path"] == name and m["changes"][0]["kind"] == "premise_brittle"
    proc = repo.cruxmap("diff", "--format", "markdown", "maps dir")
    assert "ärgument ü\\.crux" in proc.stdout
    # Renamed to another non-ASCII name with a space.
    repo("mv", name, "maps dir/ñew name.crux")
    repo.commit({}, "rename")
    report = repo.diff_json("--against", "HEAD~1", "maps dir")
    [m] = report["maps"]
    assert (m["old_path"], m["new_path"]) == (name, "maps dir/ñew name.crux")


def test_run_from_a_subdirectory(repo: Git) -> None:
    repo.commit({"sub/s.crux": BASE}, "sub")
    repo.write({"sub/s.crux": BASE.replace("assume: great", "assume: good")})
    proc = repo.cruxmap("diff", "--format", "json", ".", cwd=repo.path / "sub")
    report = json.loads(proc.stdout)
    assert [m["path"] for m in report["maps"]] == ["s.crux"]


def test_working_tree_and_index_untouched(repo: Git) -> None:
    repo.write({"m.crux": BASE.replace("assume: great", "assume: good")})
    index = (repo.path / ".git" / "index").read_bytes()
    status = repo("status", "--porcelain")
    stat = (repo.path / ".git" / "index").stat().st_mtime_ns
    assert repo.cruxmap("diff").returncode == 1
    assert (repo.path / ".git" / "index").read_bytes() == index
    assert (repo.path / ".git" / "index").stat().st_mtime_ns == stat
    assert repo("status", "--porcelain") == status
    assert (repo.path / "m.crux").read_text() == BASE.replace("assume: great", "assume: good")


# --------------------------------------------------------------------------- revisions


def test_default_revision_is_the_merge_base(repo: Git) -> None:
    repo("checkout", "-q", "-b", "feature")
    repo.commit({"m.crux": BASE.replace("assume: great", "assume: good")}, "weaken")
    repo("checkout", "-q", "main")
    repo.commit({"other.crux": BASE}, "main moves on")
    repo("checkout", "-q", "feature")
    report = repo.diff_json(code=1)
    base = repo("merge-base", "HEAD", "main").strip()
    assert report["old"]["rev"] == base
    assert report["old"]["label"] == f"main (merge base {base[:7]})"
    # other.crux exists only on main after the merge base: not in this diff.
    assert [m["path"] for m in report["maps"]] == ["m.crux"]


def test_no_default_branch_means_head(tmp_path: Path) -> None:
    path = tmp_path / "r"
    path.mkdir()
    g = Git(path, tmp_path)
    g("init", "-q", "-b", "trunk")
    g.commit({"m.crux": BASE}, "one")
    g.write({"m.crux": BASE.replace("assume: great", "assume: good")})
    report = g.diff_json(code=1)
    assert report["old"]["label"] == "HEAD"


def test_shallow_clone_without_merge_base(repo: Git, tmp_path: Path) -> None:
    repo("checkout", "-q", "-b", "feature")
    repo.commit({"m.crux": BASE.replace("assume: great", "assume: good")}, "f1")
    repo.commit({"x.crux": BASE}, "f2")
    repo("checkout", "-q", "main")
    repo.commit({"y.crux": BASE}, "m1")
    clone = tmp_path / "shallow"
    repo("clone", "-q", "--depth", "1", "--no-single-branch", "--branch", "feature",
         f"file://{repo.path}", str(clone))  # fmt: skip
    g = Git(clone, tmp_path)
    proc = g.cruxmap("diff", subprocess_=True)
    assert proc.returncode == 2
    assert "cannot find the merge base of HEAD and origin" in proc.stderr
    assert "shallow clone" in proc.stderr and "fetch-depth: 0" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = g.cruxmap("diff", "--against", "HEAD~1", subprocess_=True)
    assert proc.returncode == 2 and "unknown revision" in proc.stderr and "shallow" in proc.stderr


def test_usage_errors_exit_2(repo: Git, tmp_path: Path) -> None:
    for args, message in [
        (["--against=--output=x"], "cannot be empty or start with `-`"),
        (["--against", "nosuchbranch"], "unknown revision"),
        (["missing.crux"], "no such file or directory"),
        (["--set", "zzz=good"], "no claim `zzz`"),
        (["--set", "a=grate"], "did you mean `great`?"),
    ]:
        proc = repo.cruxmap("diff", *args, subprocess_=True)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
    outside = tmp_path / "plain"
    outside.mkdir()
    proc = repo.cruxmap("diff", cwd=outside, subprocess_=True)
    assert proc.returncode == 2 and "not inside a git repository" in proc.stderr


def test_options_apply_to_both_sides(repo: Git) -> None:
    repo.write({"m.crux": BASE.replace("a >= good", "a >= partial")})
    # With b set to partial on both sides, the change to a's threshold is all there is.
    got = changes(repo.diff_json("--set", "b=partial"))
    assert got[0] == entry("margin", "better", premise("great", 1, "partial"), premise("great", 2, "none"), "goal_c", "a")  # fmt: skip
    report = repo.diff_json("--set", "b=partial", "--depth", "2", "--max-order", "2")
    assert report["options"] == {"scenario": {"b": "partial"}, "objections": False, "depth": 2, "max_order": 2}  # fmt: skip


def test_fail_on(repo: Git) -> None:
    repo.write({"m.crux": BASE.replace('"Premise A"', '"Premise A, reworded"')})
    assert repo.cruxmap("diff").returncode == 0
    assert repo.cruxmap("diff", "--fail-on", "any").returncode == 1
    repo.write({"m.crux": BASE.replace("assume: great", "assume: good")})
    assert repo.cruxmap("diff", "--fail-on", "never").returncode == 0
    assert repo.cruxmap("diff").returncode == 1
    assert changes(repo.diff_json("--fail-on", "never"))[-1] == entry(
        "claim_changed", "neutral", {"assume": "great"}, {"assume": "good"}, subject="a"
    )
    repo.write({"m.crux": BASE.replace('"Premise A"', '"Premise A, reworded"')})
    assert changes(repo.diff_json()) == [
        entry("claim_changed", "neutral", {"text": "Premise A"}, {"text": "Premise A, reworded"}, subject="a")
    ]  # fmt: skip


def test_scale_changed(repo: Git) -> None:
    repo.write({"m.crux": "scale: none < partial < good < great < near_perfect < perfect < total\n" + BASE})  # fmt: skip
    got = changes(repo.diff_json())
    assert got[0]["kind"] == "scale_changed" and got[0]["new"][-1] == "total"


# --------------------------------------------------------------------------- two files


def test_two_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    old, new = tmp_path / "old.crux", tmp_path / "new.crux"
    old.write_text(BASE)
    new.write_text(BASE.replace("assume: great", "assume: good"))
    g = Git(tmp_path, tmp_path)
    proc = g.cruxmap("diff", "--format", "json", "old.crux", "new.crux", subprocess_=True)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["old"] == {"label": "old.crux", "rev": None}
    assert report["maps"][0]["changes"][0]["kind"] == "premise_brittle"


# --------------------------------------------------------------------------- text


def test_text_is_grouped_worst_first_and_plain_off_a_terminal(repo: Git) -> None:
    repo.write({"m.crux": BASE.replace("assume: great", "assume: good") + OBJ})
    proc = repo.cruxmap("diff", subprocess_=True)
    assert "\x1b[" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Comparing main (merge base ")
    assert lines[1:] == [
        "",
        "m.crux",
        "  goal `goal_c` (needs good)",
        "    REGRESSION  premise `a` becomes brittle: great, margin 1 (the goal fails at partial) -> good, margin 0 (the goal fails at partial)",
        "    REGRESSION  new cut set {`a`}: order 1",
        "    worse       with standing objections applied: holds at perfect -> fails at none",
        "    worse       uniform margin: 1 -> 0",
        "  objections",
        '    changed     objection `slow` added: in, against `a`: "Interpretability will come too late"',
        "  claims and reductions",
        "    changed     claim `a` changed: assume great -> assume good",
        "",
        "1 map changed: 2 regressions, 2 worse, 0 better, 2 other.",
    ]


def test_no_change(repo: Git) -> None:
    proc = repo.cruxmap("diff")
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[-1] == "No change in 1 map."


# --------------------------------------------------------------------------- markdown


class _Tables(HTMLParser):
    """Tables in rendered HTML: a list of rows (lists of cell texts) per table."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def render_gfm(markdown: str) -> _Tables:
    """Render with GitHub's own cmark-gfm and collect the tables."""
    html = cmarkgfm.github_flavored_markdown_to_html(markdown)
    parser = _Tables()
    parser.feed(html)
    return parser


HOSTILE = 'Pipes | and `ticks` and <script>alert(1)</script> & <b>bold</b> @octocat **not bold** [x](javascript:y)'  # fmt: skip


def test_markdown_renders_tables_and_escapes_map_text(repo: Git) -> None:
    repo.write({"m.crux": BASE.replace("Premise A", HOSTILE).replace("assume: great", "assume: good")})  # fmt: skip
    proc = repo.cruxmap("diff", "--format", "markdown")
    assert proc.returncode == 1
    md = proc.stdout
    assert md.startswith("### cruxmap diff: **2 regressions** in 1 map\n")
    parsed = render_gfm(md)
    assert "script" not in parsed.tags and "b" not in parsed.tags and "a" not in parsed.tags
    report = repo.diff_json()
    # One table per goal and one for the claims: every change is a row.
    rows = [row for table in parsed.tables for row in table[1:]]
    assert len(rows) == sum(len(m["changes"]) for m in report["maps"])
    assert all(table[0] == ["", "change", "before", "after"] for table in parsed.tables)
    assert all(len(row) == 4 for row in rows)
    claim_row = rows[-1]
    assert claim_row[0] == "⚪ changed" and claim_row[1] == "claim a changed"
    assert claim_row[2] == 'text "Premise A"; assume great'
    assert claim_row[3] == 'text "' + HOSTILE.replace("@", "@\u200b") + '"; assume good'
    # The text survives intact (apart from the zero-width space that keeps
    # "@octocat" from mentioning anyone).
    repo.write({"m.crux": BASE.replace("Premise A", HOSTILE)})
    rows = render_gfm(repo.cruxmap("diff", "--format", "markdown").stdout).tables[0][1:]
    assert rows[0][2] == 'text "Premise A"'
    assert rows[0][3] == 'text "' + HOSTILE.replace("@", "@\u200b") + '"'


def test_markdown_fits_githubs_limit_and_counts_what_it_leaves_out(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    claims = "".join(f'claim c{i}: "Claim number {i} | with a long text to fill the table"\n' for i in range(3000))  # fmt: skip
    (tmp_path / "old.crux").write_text(BASE)
    (tmp_path / "new.crux").write_text(BASE.replace("assume: great", "assume: good") + claims)
    g = Git(tmp_path, tmp_path)
    md = g.cruxmap("diff", "--format", "markdown", "old.crux", "new.crux").stdout
    assert len(md) <= 65_536
    total = len(json.loads(g.cruxmap("diff", "--format", "json", "old.crux", "new.crux").stdout)["maps"][0]["changes"])  # fmt: skip
    rows = [row for table in render_gfm(md).tables for row in table[1:]]
    assert 100 < len(rows) < total
    last = md.rstrip("\n").splitlines()[-1]
    assert last == f"_… {total - len(rows)} more changes not shown: run `cruxmap diff` for the full list._"  # fmt: skip
    # Worst first: the regressions made it in.
    assert rows[0][0] == "🔴 regression"


def test_markdown_cut_counts_regressions_left_out() -> None:
    report = diff.Report("a", "b", None, {})
    many = [diff.Change("premise_brittle", "regression", None, {"value": "good", "margin": 0, "breaks_at": "partial", "brittle": True}, goal="g", subject=f"p{i}") for i in range(50)]  # fmt: skip
    report.maps.append(diff.MapDiff("m.crux", "m.crux", many, {"g": "good"}))
    md = diff.format_markdown(report, limit=2000)
    assert len(md) <= 2000
    shown = len(render_gfm(md).tables[0]) - 1
    assert md.rstrip().endswith(
        f"_… {50 - shown} more changes not shown ({50 - shown} of them regressions): "
        "run `cruxmap diff` for the full list._"
    )


def test_md_escape() -> None:
    assert diff.md_escape("a|b") == "a\\|b"
    assert diff.md_escape("<img src=x>") == "&lt;img src=x&gt;"
    assert diff.md_escape("`x`") == "\\`x\\`"
    assert diff.md_escape("line\nbreak\r\nhere") == "line break here"
    assert diff.md_escape("\x1b[31mred") == "\\\\x1b\\[31mred"


# --------------------------------------------------------------------------- README

README = Path(__file__).resolve().parent.parent / "README.md"


def _block_after(text: str, marker: str, lang: str = "") -> str:
    start = text.index(marker)
    open_ = text.index("```" + lang + "\n", start) + len(lang) + 4
    return text[open_ : text.index("```", open_)]


def test_readme_example_is_real_output(tmp_path: Path) -> None:
    readme = README.read_text(encoding="utf-8")
    interp = _block_after(readme, "in `interp.crux`:").replace("assume: great", "assume: perfect")
    repaired = _block_after(readme, "In `repaired.crux`:")
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "interp.crux").write_text(interp)
    (tmp_path / "repaired.crux").write_text(repaired)
    shown = _block_after(readme, "## What did this change do?")
    command, _, expected = shown.partition("\n")
    assert command == "$ cruxmap diff repaired.crux interp.crux"
    proc = Git(tmp_path, tmp_path).cruxmap(*command[2:].split()[1:], subprocess_=True)
    assert proc.returncode == 1
    assert proc.stdout == expected


def test_readme_ci_job_runs_as_written(tmp_path: Path) -> None:
    """The README's `diff` job, step by step, on a pull request as GitHub
    checks it out: a full clone, HEAD the merge of the branch into the base."""
    import yaml  # PyYAML comes with pre-commit (a test extra)

    readme = README.read_text(encoding="utf-8")
    workflow = yaml.safe_load(_block_after(readme, "In GitHub Actions", "yaml"))
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as true
    job = workflow["jobs"]["diff"]
    assert job["if"] == "github.event_name == 'pull_request'"
    checkout, _python, install, *steps = job["steps"]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"] == {
        "fetch-depth": 0
    }
    assert install["run"].startswith("pip install ")  # replaced by this checkout's cruxmap
    # The origin: main, and a pull request that weakens a premise.
    origin = tmp_path / "origin"
    origin.mkdir()
    g = Git(origin, tmp_path)
    g("init", "-q", "-b", "main")
    g.commit({"pyproject.toml": "[project]\nname = 'research'\n", "arguments/m.crux": BASE}, "base")
    g("checkout", "-q", "-b", "pr")
    g.commit({"arguments/m.crux": BASE.replace("assume: great", "assume: good")}, "weaken")
    g("checkout", "-q", "main")
    g.commit({"arguments/other.crux": BASE}, "main moves on")
    # actions/checkout with fetch-depth 0: every branch, HEAD detached at the merge.
    work = tmp_path / "work"
    g("clone", "-q", str(origin), str(work))
    w = Git(work, tmp_path)
    w("checkout", "-q", "--detach", "origin/main")
    w("merge", "-q", "--no-ff", "-m", "Merge pr into main", "origin/pr")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "cruxmap"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m cruxmap "$@"\n')
    shim.chmod(0o755)
    summary = tmp_path / "summary.md"
    summary.touch()
    env = dict(w.env, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", GITHUB_STEP_SUMMARY=str(summary))  # fmt: skip
    codes = []
    for step in steps:
        step_env = dict(env, **{k: v.replace("${{ github.base_ref }}", "main") for k, v in step.get("env", {}).items()})  # fmt: skip
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=work, env=step_env, capture_output=True, text=True,
        )  # fmt: skip
        codes.append(proc.returncode)
        assert "Traceback" not in proc.stderr
    assert codes == [1]  # the regression fails the job
    md = summary.read_text(encoding="utf-8")
    assert md.startswith("### cruxmap diff: **2 regressions** in 2 maps\n")
    assert "origin/main → working tree: 1 map changed, 1 unchanged;" in md
    [table, _claims] = render_gfm(md).tables
    assert table[1][:2] == ["🔴 regression", "premise a becomes brittle"]
    # The base's own later change (other.crux) is not the pull request's.
    assert "other\\.crux" not in md


# --------------------------------------------------------------------------- check --new-only

BRITTLE_A = BASE.replace("assume: great", "assume: good")  # CX101 for a


def test_check_new_only_reports_what_the_revision_did_not_have(repo: Git) -> None:
    repo.commit({"m.crux": BRITTLE_A + 'claim loose: "No source"\n'}, "brittle a")
    # Lines move (a comment on top) and b becomes brittle too.
    repo.write({"m.crux": "# moved down\n" + BRITTLE_A.replace("b >= partial", "b >= good") + 'claim loose: "No source"\n'})  # fmt: skip
    everything = repo.cruxmap("check", "--no-summary", "m.crux")
    assert "premise `a` is brittle" in everything.stdout
    assert "premise `b` is brittle" in everything.stdout
    proc = repo.cruxmap("check", "--new-only", "--no-summary", "m.crux")
    assert proc.returncode == 1, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ": CX" in ln]
    assert len(lines) == 1 and "CX101 premise `b` is brittle" in lines[0]
    # Nothing new: exit 0, though the old findings are still there.
    repo.write({"m.crux": "# moved down\n" + BRITTLE_A + 'claim loose: "No source"\n'})
    proc = repo.cruxmap("check", "--new-only", "--no-summary", "m.crux")
    assert proc.returncode == 0 and ": CX" not in proc.stdout
    assert repo.cruxmap("check", "m.crux").returncode == 1


def _two_goals(goals: str) -> str:
    """``p`` brittle for each of ``goals`` (a bare reduction: needs perfect)."""
    text = 'claim p: "P"\n    source: "s"\n'
    for g in goals.split():
        text += f'claim {g}: "G"\n    source: "s"\n{g} reduces to p\n    because: "w"\ngoal {g} >= good\n'
    return text


def test_check_new_only_knows_cx101_goal_by_goal(repo: Git) -> None:
    """CX101 is one finding naming every goal its premise is brittle for: it
    is new when a goal is, and not when one leaves."""
    repo.commit({"m.crux": _two_goals("g1 g2")}, "p brittle for g1 and g2")
    repo.write({"m.crux": _two_goals("g1")})
    assert repo.cruxmap("check", "--new-only", "--no-summary", "m.crux").returncode == 0
    repo.write({"m.crux": _two_goals("g1 g2 g3")})
    proc = repo.cruxmap("check", "--new-only", "--no-summary", "m.crux")
    assert proc.returncode == 1
    assert "CX101 premise `p` is brittle for 3 goals (`g1`, `g2`, `g3`)" in proc.stdout


def test_check_new_only_follows_renames_and_takes_a_revision(repo: Git) -> None:
    repo.commit({"m.crux": BRITTLE_A}, "brittle a")
    repo("mv", "m.crux", "renamed.crux")
    assert repo.cruxmap("check", "--new-only", "--no-summary", ".").returncode == 0
    # Against the first commit, a's brittleness is new.
    proc = repo.cruxmap("check", "--new-only", "--against", "HEAD~1", "--format", "json", ".")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    [finding] = report["diagnostics"]
    assert (finding["code"], finding["path"], finding["line"]) == ("CX101", "renamed.crux", 3)
    assert report["maps"][0]["diagnostics"] == [0]
    assert report["summary"]["warnings"] == 1 and report["summary"]["infos"] == 0


def test_check_against_needs_new_only(repo: Git) -> None:
    proc = repo.cruxmap("check", "--against", "HEAD", subprocess_=True)
    assert proc.returncode == 2 and "--against needs --new-only" in proc.stderr


def test_claim_and_reduction_removed(repo: Git) -> None:
    repo.write({"m.crux": BASE.replace(", b >= partial", "").replace('claim b: "Premise B"\n    source: "s"\n    assume: good\n', "")})  # fmt: skip
    got = changes(repo.diff_json(code=0))
    assert entry("claim_removed", "neutral", {"text": "Premise B", "assume": "good"}, None, subject="b") in got  # fmt: skip
    repo.write({"m.crux": BASE.replace("reduction r1:", "reduction r9:")})
    got = changes(repo.diff_json(code=0))
    assert got == [
        entry("reduction_added", "neutral", None,
              {"conclusion": "goal_c", "premises": {"a": "good", "b": "partial"}, "yields": "perfect"}, subject="r9"),
        entry("reduction_removed", "neutral",
              {"conclusion": "goal_c", "premises": {"a": "good", "b": "partial"}, "yields": "perfect"}, None, subject="r1"),
    ]  # fmt: skip


def test_scale_change_entry(repo: Git) -> None:
    scale = "scale: none < partial < good < great < near_perfect < perfect < total\n"
    repo.write({"m.crux": scale + BASE})
    got = changes(repo.diff_json(code=0))
    old = ["none", "partial", "good", "great", "near_perfect", "perfect"]
    assert got[0] == entry("scale_changed", "neutral", old, [*old, "total"])


def test_cut_sets_complete_entry() -> None:
    """The cut-set search budget is only hit by very large maps; the
    comparison itself is checked on the facts it reads."""
    goal = {"required": "good", "value": "perfect", "status": "holds",
            "with_objections": {"level": "perfect", "status": "holds"},
            "premises": {}, "cut_sets": [], "cut_sets_complete": True, "uniform_margin": 1}  # fmt: skip
    side = {"ok": True, "errors": [], "scale": ["none", "good", "perfect"], "claims": {},
            "reductions": {}, "objections": {}, "goals": {"g": goal}}  # fmt: skip
    partial = dict(side, goals={"g": dict(goal, cut_sets_complete=False)})
    [change] = diff.compare(side, partial)
    assert change.to_json() == entry("cut_sets_complete", "neutral", True, False, "g")
    assert diff.describe(change) == ("cut-set list", "complete", "partial (search budget hit)")


def test_colour_on_a_terminal_only(repo: Git) -> None:
    import pty

    repo.write({"m.crux": BASE.replace("assume: great", "assume: good")})
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "cruxmap", "diff"],
        cwd=repo.path, env=repo.env, stdout=follower, stderr=subprocess.PIPE,
    )  # fmt: skip
    os.close(follower)
    shown = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(leader, 65536):
            shown += chunk
    os.close(leader)
    assert proc.returncode == 1
    assert b"\x1b[1;31mREGRESSION" in shown
    no_colour = subprocess.run(
        [sys.executable, "-m", "cruxmap", "diff"],
        cwd=repo.path, env=dict(repo.env, NO_COLOR="1"), capture_output=True,
    )  # fmt: skip
    assert b"\x1b[" not in no_colour.stdout


def test_docs_example_is_real_output(tmp_path: Path) -> None:
    """docs/diff.md's example: this repository's arguments/, with
    other_oversight lowered in interpretability.crux."""
    root = Path(__file__).resolve().parent.parent
    docs = (root / "docs" / "diff.md").read_text(encoding="utf-8")
    path = tmp_path / "repo"
    g = Git(path, tmp_path)
    path.mkdir()
    g("init", "-q", "-b", "main")
    maps = {f"arguments/{p.name}": p.read_text(encoding="utf-8") for p in (root / "arguments").glob("*.crux")}  # fmt: skip
    g.commit({"pyproject.toml": "[project]\nname = 'x'\n", **maps}, "maps")
    name = "arguments/interpretability.crux"
    edited = maps[name].replace(
        '(another bet besides interpretability)"\n    assume: good',
        '(another bet besides interpretability)"\n    assume: partial',
    )
    assert edited != maps[name]
    g.write({name: edited})
    sha = g("rev-parse", "HEAD").strip()[:7]

    def shown(block: str) -> str:
        return block.replace("merge base 83028a2", f"merge base {sha}").replace("83028a2", sha)

    text = _block_after(docs, "lowers `other_oversight`")
    command, _, expected = text.partition("\n")
    assert command == "$ cruxmap diff arguments/"
    proc = g.cruxmap("diff", "arguments/")
    assert proc.returncode == 1
    assert proc.stdout == shown(expected)
    start = docs.index("````markdown\n") + len("````markdown\n")
    markdown = docs[start : docs.index("````\n", start)]
    assert g.cruxmap("diff", "--format", "markdown", "arguments/").stdout == shown(markdown)


def test_symlinked_map_at_the_revision(repo: Git) -> None:
    """The snapshot keeps the revision's symlinks, as a checkout would."""
    os.symlink("m.crux", repo.path / "link.crux")
    repo.commit({}, "a symlink")
    repo.write({"m.crux": BASE.replace("assume: great", "assume: good")})
    report = repo.diff_json("--against", "HEAD", code=1)
    assert changes(report, "link.crux") == changes(report, "m.crux")
    assert changes(report)[0]["kind"] == "premise_brittle"


def test_revision_files_are_contained_and_bounded(repo: Git, tmp_path: Path) -> None:
    """At the revision as in the working tree: a symlink out of the project
    is not followed, and an oversized file is refused by its size unread."""
    secret = tmp_path / "secret.crux"
    secret.write_text('claim leaked: "SECRET"\n')
    os.symlink(str(secret), repo.path / "evil.crux")
    big = BASE + "# padding\n" * 500_000  # 5 MB: over the 4 MiB limit
    repo.commit({"big.crux": big}, "evil and big")
    repo("rm", "-q", "evil.crux")
    repo.write({"big.crux": BASE})
    report = repo.diff_json("--against", "HEAD")
    [removed] = changes(report, "evil.crux")
    [error] = removed["old"]["errors"]
    assert error["code"] == "CX005" and "outside the project root" in error["message"]
    assert "SECRET" not in json.dumps(report) and "leaked" not in json.dumps(report)
    [fixed, *_] = changes(report, "big.crux")
    assert fixed["kind"] == "map_errors" and fixed["effect"] == "better"
    assert "too large" in fixed["old"][0]["message"]
    assert "cruxmap-rev-" not in json.dumps(report)  # snapshot paths never leak
